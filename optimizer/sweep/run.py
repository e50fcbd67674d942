"""Running a sweep: points go to Dask workers (a local cluster, one process per core, or an
existing cluster), each worker keeps one warm-started model, and every finished point is
journaled at once, so an interrupted sweep resumes with only the missing points.

Folder layout (``results/sweeps/<name>/`` by default):

- ``sweep.json`` — the sweep's fingerprint, design and parameters (a resumed run must match),
  the basis of its shares and its frontier measure (``frontier``: what the report plots);
- ``points.jsonl`` — one JSON row per finished point, appended and synced as each returns;
- ``results.parquet`` and ``results.csv`` — the tidy table, one row per point, written at the end.

The journal is read back on resume line by line, each line checked against the sweep (see
:func:`read_journal`): a line that is not a record of one of this sweep's points is reported
and ignored, the last good record of a point wins, and points whose last record is an error are
solved again.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import sys
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from models.data import compile_scenario
from models.diagnose import diagnose
from models.mip_warm import MipWarm
from models.risk_warm import RiskWarm
from models.solution import SolveOptions, Status
from optimizer.common.output_paths import (
    CHARTS,
    SWEEP,
    claimed,
    kind_of,
    marker,
    write_file_atomic,
)
from optimizer.common.strings import python_strings
from optimizer.inputs.problems import Problem
from optimizer.inputs.scenario import scenario_problems
from optimizer.sweep.point_metrics import CONCENTRATION, COST_COLUMNS, point_figures
from optimizer.sweep.points import apply_point
from optimizer.sweep.risk_points import risk_point_row
from optimizer.sweep.spec import Sweep

RESULTS_ROOT = Path("results") / "sweeps"
MANIFEST = "sweep.json"
REPORT = "report.html"
JOURNAL = "points.jsonl"
TABLE = "results.parquet"
CSV = "results.csv"
MAX_CHUNK = 16
WAKE_S = 0.1  # how often the wait for finished chunks looks for a Ctrl-C
INVALID = "invalid"  # a point whose inputs break the rules of the input files: not solved
STATUSES = (*(status.value for status in Status), INVALID)
RETRIED = (Status.ERROR.value,)  # a point whose last record has this status is solved again
TEXT_COLUMNS = ("status", "termination", "proof", "diagnosis")  # journal values that are strings
TEXT_PREFIXES = ("top_country_", "foreign_country_")
# Figures that are None where they do not exist (no supply, no floor): float columns, NaN there.
NUMBER_PREFIXES = ("largest_country_share", CONCENTRATION, "top_share_", "foreign_share_", "hhi_",
                   "cover_months_")  # fmt: skip
# A record with the figures of a plan has these (an earlier version's record lacks the later
# ones: its point is solved again, so every row has the same columns).
FIGURE_MARK, NEWEST_FIGURES = "largest_country_share", (CONCENTRATION,)
FLAG_COLUMNS = ("warm",)  # journal values that are true or false; the others are numbers
LARGEST_INTEGER = 2**63 - 1  # a table column holds 64-bit integers
SHOWN_LINES = 20  # bad journal lines reported one by one; the rest are counted
SHOWN_PROBLEMS = 10  # problems of an invalid point named in its diagnosis
NOT_SOLVED = "not solved: no result came back for this point; run the sweep again to solve it"


class SweepMismatch(Exception):
    """The results folder holds points of another sweep (or of a changed scenario)."""


@dataclass(frozen=True)
class Outcome:
    folder: Path
    total: int
    already_done: int
    ran: int
    failed: int  # points not solved because their chunk was lost (error rows, retried next run)
    statuses: dict[str, int]
    seconds: float


@dataclass
class Journal:
    """What ``points.jsonl`` holds for this sweep."""

    records: dict[int, dict]  # the last good record of each point
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line number, why)
    torn_at: int | None = None  # where an unfinished last line starts (it is cut off)
    unterminated: bool = False  # the last line is whole but has no line break

    @property
    def done(self) -> set[int]:
        """The points not to solve again: their last record is not an error."""
        return {p for p, record in self.records.items() if record["status"] not in RETRIED}


def print_warning(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


def results_folder(sweep: Sweep, out: str | Path | None = None) -> Path:
    return Path(out) if out is not None else RESULTS_ROOT / sweep.name


def run_sweep(
    sweep: Sweep,
    out: str | Path | None = None,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    restart: bool = False,
    progress: bool = True,
    warn: Callable[[str], None] = print_warning,
    in_process: bool = False,
) -> Outcome:
    """Solve every point not yet in the results folder (or only in error there); then write
    the results table. ``warn`` receives one line per journal line that is ignored;
    ``in_process``: solve the points one after another in this process, without Dask."""
    started = time.perf_counter()
    folder = results_folder(sweep, out)
    points = sweep.points()
    with claimed(folder, SWEEP, "--out" if out is not None else ""):  # held to the last write
        journal = _prepare(folder, sweep, points, restart)
        report_rejected(folder / JOURNAL, journal, warn)
        done = journal.done
        todo = points[~points["point"].isin(done)]
        records = dict(journal.records)
        failed = 0
        if len(todo):
            failed = _run_points(sweep, todo, folder, len(points), len(done), workers,
                                 scheduler, progress, records, in_process)  # fmt: skip
        table = consolidate(folder, points, records)
    return Outcome(
        folder=folder,
        total=len(points),
        already_done=len(done),
        ran=len(todo) - failed,
        failed=failed,
        statuses=table["status"].value_counts().to_dict() if len(table) else {},
        seconds=time.perf_counter() - started,
    )


# --- the results folder ------------------------------------------------------------------


def _prepare(folder: Path, sweep: Sweep, points: pd.DataFrame, restart: bool) -> Journal:
    """The journal so far, after checking the folder belongs to this very sweep."""
    manifest = marker(SWEEP) | {
        "name": sweep.name,
        "fingerprint": sweep.fingerprint,
        "design": sweep.design,
        "points": len(points),
        "parameters": [
            {"name": p.name, "path": p.path, "mode": p.mode, "base": p.base}
            for p in sweep.parameters
        ],
        "sweep_file": str(sweep.file),
        "scenario": str(sweep.scenario_path),
        "share_basis": sweep.scenario.settings.share_basis,
        "frontier": sweep.frontier.record(),
    }
    path = folder / MANIFEST
    ours = kind_of(folder) == SWEEP  # else absent or empty: checked by ``claimed``
    if ours and not restart:
        recorded = json.loads(path.read_text(encoding="utf-8"))
        if recorded.get("fingerprint") != sweep.fingerprint:
            raise SweepMismatch(
                f"{folder} holds results of a different sweep or scenario (the sweep file or "
                "the base scenario changed); run with --restart to discard them, or --out to "
                "write elsewhere"
            )
        if recorded != manifest:  # the same sweep, described by an earlier version
            _write_manifest(path, manifest)
        journal = read_journal(folder / JOURNAL, points, [p.name for p in sweep.parameters])
        repair_end(folder / JOURNAL, journal)
        return journal
    for name in (JOURNAL, TABLE, CSV, REPORT):  # --restart: start afresh (all files of ours)
        (folder / name).unlink(missing_ok=True)
    if ours:
        shutil.rmtree(folder / CHARTS, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    _write_manifest(path, manifest)
    (folder / JOURNAL).touch()
    return Journal({})


def _write_manifest(path: Path, manifest: dict) -> None:
    write_file_atomic(path, (json.dumps(manifest, indent=2) + "\n").encode("utf-8"))


# --- the journal ---------------------------------------------------------------------------


class _BadLine(Exception):
    """A journal line that is not a record of this sweep; the message says why."""


def read_journal(path: Path, points: pd.DataFrame, names: Sequence[str]) -> Journal:
    """The records of ``points.jsonl`` that belong to this sweep (``points``, with the
    parameter columns ``names``), the last of each point winning.

    The file is read as bytes and decoded line by line, so a bad byte spoils one line only. A
    line is set aside (with its number and why) unless it is a JSON object whose ``point`` is a
    point of the sweep, whose ``status`` is known, whose parameter values are that point's, and
    whose other values are strings, true/false or numbers as their column holds. An unfinished
    last line (a run stopped while writing it) is marked to be cut off; blank lines are skipped.
    """
    expected = {
        int(point): tuple(values)
        for point, *values in points[["point", *names]].itertuples(index=False)
    }
    journal = Journal({})
    if not path.exists():
        return journal
    offset = 0
    with open(path, "rb") as file:
        for number, raw in enumerate(file, start=1):
            start, offset = offset, offset + len(raw)
            if not raw.strip():
                continue
            journal.unterminated = not raw.endswith(b"\n")
            try:
                value = _decode(raw)
            except _BadLine as bad:
                if journal.unterminated:  # the last line, cut short by a killed run
                    journal.torn_at, journal.unterminated = start, False
                    why = "an unfinished last line (the run writing it was stopped); it is removed"
                    journal.rejected.append((number, why))
                else:
                    journal.rejected.append((number, f"{bad}; the line is ignored"))
                continue
            try:
                point = _check_record(value, expected, names)
            except _BadLine as bad:
                journal.rejected.append((number, f"{bad}; the line is ignored"))
                continue
            journal.records[point] = value
    return journal


def _decode(raw: bytes) -> object:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise _BadLine(f"not UTF-8 text (byte {error.start + 1})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        message = error.msg.removesuffix(" at")  # "Invalid control character at"
        raise _BadLine(f"not JSON (column {error.colno}: {message})") from None
    except (ValueError, RecursionError) as error:  # an endless number, a deep nest
        raise _BadLine(f"not readable JSON ({type(error).__name__})") from None


def _check_record(record: object, expected: Mapping[int, tuple], names: Sequence[str]) -> int:
    """The record's point, if it is a record of that point of this sweep."""
    if not isinstance(record, dict):
        raise _BadLine(f"not a JSON object but {_shown(record)}")
    point = record.get("point")
    if not _is_integer(point):
        raise _BadLine("no 'point'" if point is None else f"point {_shown(point)} is no integer")
    if point not in expected:
        raise _BadLine(f"not a point of this sweep (point {point})")
    status = record.get("status")
    if status not in STATUSES:
        what = "no status" if status is None else f"unknown status {_shown(status)}"
        raise _BadLine(f"point {point}: {what}")
    for name, value in zip(names, expected[point], strict=True):
        if name not in record:
            raise _BadLine(f"point {point}: no value of {name}")
        if not _same_value(record[name], value):
            raise _BadLine(
                f"not a point of this sweep (its point {point} has {name} = {value!r}, "
                f"not {_shown(record[name])})"
            )
    for key, value in record.items():
        if value is not None and not _fits(key, value):
            raise _BadLine(f"point {point}: {key} = {_shown(value)} is not {_kind(key)}")
    missing = [key for key in NEWEST_FIGURES if FIGURE_MARK in record and key not in record]
    if missing:
        raise _BadLine(
            f"point {point}: no {', '.join(missing)} (written by an earlier version of "
            "sourcing; its point is solved again)"
        )
    return point


def _kind(column: str) -> str:
    if column in TEXT_COLUMNS or column.startswith(TEXT_PREFIXES):
        return "a string"
    return "true or false" if column in FLAG_COLUMNS else "a number"


def _fits(column: str, value: object) -> bool:
    kind = _kind(column)
    if kind == "a string":
        return isinstance(value, str)
    if kind == "true or false":
        return isinstance(value, bool)
    return isinstance(value, float) or (_is_integer(value) and abs(value) <= LARGEST_INTEGER)


def _is_integer(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _same_value(got: object, wanted: float) -> bool:
    if not isinstance(got, int | float) or isinstance(got, bool):
        return False
    return got == wanted or (got != got and wanted != wanted)  # NaN: a blank base cell


def _shown(value: object) -> str:
    text = json.dumps(value, allow_nan=True)
    return text if len(text) <= 40 else text[:37] + "..."


def report_rejected(path: Path, journal: Journal, warn: Callable[[str], None]) -> None:
    for number, why in journal.rejected[:SHOWN_LINES]:
        warn(f"{path}:{number}: {why}")
    more = len(journal.rejected) - SHOWN_LINES
    if more > 0:
        warn(f"{path}: {more} more lines are not records of this sweep; they are ignored")


def repair_end(path: Path, journal: Journal) -> None:
    """Cut off an unfinished last line, or end a whole one, so new records start afresh."""
    if journal.torn_at is not None:
        os.truncate(path, journal.torn_at)
    elif journal.unterminated:
        with open(path, "ab") as file:
            file.write(b"\n")


def consolidate(folder: Path, points: pd.DataFrame, records: Mapping[int, dict]) -> pd.DataFrame:
    """``results.parquet`` and ``results.csv``: one row per point of the sweep, its last
    record; a point without one is an error row (solved again by the next run)."""
    if points.empty:
        return pd.DataFrame(columns=["point", "status"])
    rows = [
        records.get(int(values["point"])) or _error_row(values, NOT_SOLVED)
        for values in points.to_dict("records")
    ]
    table = pd.DataFrame(rows).sort_values("point", kind="stable").reset_index(drop=True)
    table = table[_column_order(table, points)]
    share_columns = [c for c in table.columns if c.startswith("share_")]
    solved = table["status"].isin([Status.OPTIMAL.value, Status.LIMIT.value])
    table.loc[solved, share_columns] = table.loc[solved, share_columns].fillna(0.0)
    for column in [c for c in table.columns if c.startswith(NUMBER_PREFIXES)]:
        table[column] = pd.to_numeric(table[column]).astype(float)
    for name, write in ((TABLE, _write_parquet), (CSV, _write_csv)):
        temporary = folder / f".{name}.tmp"
        write(table, temporary)
        os.replace(temporary, folder / name)
    return table


def _column_order(table: pd.DataFrame, points: pd.DataFrame) -> list[str]:
    first = [*points.columns, "status", "termination", "objective_usd", *COST_COLUMNS,
             "largest_country_share", CONCENTRATION]  # fmt: skip
    last = ["proof", "bound_usd", "warm", "solve_s", "worker", "diagnosis"]
    middle = sorted(c for c in table.columns if c not in first and c not in last)
    return [c for c in (*first, *middle, *last) if c in table.columns]


def _write_parquet(table: pd.DataFrame, path: Path) -> None:
    table.to_parquet(path, index=False)


def _write_csv(table: pd.DataFrame, path: Path) -> None:
    table.to_csv(path, index=False, lineterminator="\n")


# --- running points ------------------------------------------------------------------------


@contextmanager
def dask_client(workers: int | None, scheduler: str | None) -> Iterator:
    """A client of an existing cluster, or of a local one: a process per core, one thread each
    (HiGHS runs single-threaded in each), so throughput grows with the workers; no HTTP server
    and no fixed port (see :mod:`.cluster`). Ctrl-C reaches only this process, and one pressed
    while the cluster starts or closes is raised once that is done (so it is always closed)."""
    from dask.distributed import Client  # heavy: imported only to run a sweep

    from optimizer.sweep.cluster import InterruptsNoted, local_cluster, spawning_uninterrupted

    cluster = client = None
    try:
        with InterruptsNoted():
            if scheduler:
                client = Client(scheduler, timeout="30s")
            else:
                with spawning_uninterrupted():
                    cluster = local_cluster(workers or os.cpu_count() or 1)
                client = Client(cluster)
        yield client
    finally:
        with InterruptsNoted():
            try:
                if client is not None:
                    client.close()
            finally:
                if cluster is not None:
                    cluster.close()


def _chunks(todo: pd.DataFrame, workers: int) -> list[list[dict]]:
    """Runs of consecutive points (neighbours in a design differ least: warm starts pay most)."""
    size = int(np.clip(len(todo) // max(workers * 8, 1), 1, MAX_CHUNK))
    records = todo.to_dict("records")
    return [records[i : i + size] for i in range(0, len(records), size)]


def _run_points(
    sweep: Sweep,
    todo: pd.DataFrame,
    folder: Path,
    total: int,
    done: int,
    workers: int | None,
    scheduler: str | None,
    progress: bool,
    records: dict[int, dict],
    in_process: bool = False,
) -> int:
    """Solve the points on the workers, journaled (:func:`run_chunks`)."""
    return run_chunks(solve_chunk, sweep, todo, folder / JOURNAL, total, done, workers,
                      scheduler, progress, records, in_process)  # fmt: skip


def run_chunks(
    function: Callable[[object, list[dict]], list[dict]],
    payload: object,
    todo: pd.DataFrame,
    journal_path: Path,
    total: int,
    done: int,
    workers: int | None,
    scheduler: str | None,
    progress: bool,
    records: dict[int, dict],
    in_process: bool = False,
    unit: str = "pt",
) -> int:
    """Submit the rows of ``todo`` in chunks, ``function(payload, chunk)`` returning one record
    per row (with its ``point`` and ``status``); journal each chunk as it returns (and add its
    rows to ``records``); the number of rows whose chunk was lost, journaled as errors to be
    retried. ``in_process``: run the chunks one after another in this process, no Dask;
    ``unit``: what the progress bar counts."""
    from tqdm import tqdm

    from optimizer.sweep.cluster import InterruptsNoted

    failed = 0
    counts: dict[str, int] = {}
    # Ctrl-C is noted, then raised here between chunks: never inside Dask's code (see .cluster)
    with ExitStack() as stack:
        interrupted = stack.enter_context(InterruptsNoted())
        if in_process:
            chunks: dict = {}
            finished = _in_process(function, payload, _chunks(todo, 1), chunks, interrupted)
        else:
            client = stack.enter_context(dask_client(workers, scheduler))
            n_workers = max(len(client.scheduler_info().get("workers", {})), 1)
            shared = client.scatter(payload, broadcast=True)
            chunks = {
                client.submit(function, shared, chunk, pure=False): chunk
                for chunk in _chunks(todo, n_workers)
            }
            finished = _finished(chunks, interrupted)
        bar = tqdm(total=total, initial=done, unit=unit, disable=not progress, smoothing=0.1)
        with bar, open(journal_path, "a", encoding="utf-8") as journal:
            for future in finished:
                try:
                    rows = future.result()
                except Exception as error:  # a chunk lost for good (e.g. its worker kept dying)
                    why = _one_line(f"not solved: {type(error).__name__}: {error}")
                    rows = [_error_row(record, why) for record in chunks[future]]
                    failed += len(rows)
                _append(journal, rows)
                for row in rows:
                    records[row["point"]] = row
                    counts[row["status"]] = counts.get(row["status"], 0) + 1
                bar.update(len(rows))
                bar.set_postfix(counts | {"failed": failed}, refresh=False)
    return failed


def _in_process(
    function, payload, chunks: list[list[dict]], submitted: dict, interrupted: Callable[[], bool]
) -> Iterator:
    """The chunks solved here in turn, each yielded as a finished future (and entered in
    ``submitted`` with its chunk, as the Dask futures are)."""
    for chunk in chunks:
        if interrupted():
            raise KeyboardInterrupt
        done = _Done(function, payload, chunk)
        submitted[done] = chunk
        yield done


class _Done:
    """A chunk solved in this process, with the one method of a finished future we use."""

    def __init__(self, function, payload, chunk: list[dict]):
        try:
            self._rows, self._error = function(payload, chunk), None
        except Exception as error:
            self._rows, self._error = None, error

    def result(self) -> list[dict]:
        if self._error is not None:
            raise self._error
        return self._rows


def _finished(futures: Collection, interrupted: Callable[[], bool]) -> Iterator:
    """The futures as they finish; KeyboardInterrupt once ``interrupted()`` says so (looked at
    every ``WAKE_S`` while waiting)."""
    finished: queue.SimpleQueue = queue.SimpleQueue()
    for future in futures:
        future.add_done_callback(finished.put)  # called in another thread
    for _ in range(len(futures)):
        future = None
        while future is None:
            if interrupted():
                raise KeyboardInterrupt
            with suppress(queue.Empty):
                future = finished.get(timeout=WAKE_S)
        yield future


def _error_row(point: Mapping, why: str) -> dict:
    """The row of a point with no result: ``point`` holds its ``point`` and parameter values."""
    return {**point, "point": int(point["point"]), "status": Status.ERROR.value, "diagnosis": why}


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _append(journal, rows: list[dict]) -> None:
    journal.write("".join(json.dumps(row, allow_nan=True) + "\n" for row in rows))
    journal.flush()
    os.fsync(journal.fileno())


# --- in the worker -------------------------------------------------------------------------

_MODELS: dict[str, MipWarm | RiskWarm] = {}  # one warm model per sweep, per worker process


@python_strings()
def solve_chunk(sweep: Sweep, records: list[dict]) -> list[dict]:
    """Solve a run of points on this worker's warm model; one result row per point."""
    model = _MODELS.get(sweep.fingerprint)
    if model is None:
        model = point_model(sweep)
        _MODELS[sweep.fingerprint] = model
    return [solve_point(sweep, model, record) for record in records]


def point_model(sweep: Sweep) -> MipWarm | RiskWarm:
    """The model a worker keeps for ``sweep``'s points: one HiGHS thread; a MIP proved within
    the base scenario's ``[solver] mip_rel_gap``, as ``sourcing solve`` proves it."""
    if sweep.scenario.has_risk:
        return RiskWarm(SolveOptions(threads=1))
    gap = sweep.scenario.settings.mip_rel_gap
    return MipWarm(sweep.scenario, SolveOptions(threads=1, mip_rel_gap=gap))


def solve_point(sweep: Sweep, model: MipWarm | RiskWarm, record: dict) -> dict:
    started = time.perf_counter()
    values = {p.name: record[p.name] for p in sweep.parameters}
    row: dict = {"point": int(record["point"]), **values}
    try:
        scenario = apply_point(sweep.scenario, sweep.parameters, values)
        problems = scenario_problems(scenario)  # what loading these tables would refuse
        if problems:
            row |= {"status": INVALID, "diagnosis": _problems_line(problems)}
        elif isinstance(model, RiskWarm):  # disruption scenarios: the extensive form
            row |= risk_point_row(model, scenario, sweep.frontier)
        else:
            proved = model.solve(scenario)
            solution = proved.solution
            row |= {"status": solution.status.value, "termination": solution.termination,
                    "objective_usd": solution.objective, "warm": proved.warm,
                    "proof": proved.proof, "bound_usd": proved.bound}  # fmt: skip
            row |= point_figures(model.point, solution, sweep.frontier)  # the plan proved
            if solution.status == Status.INFEASIBLE:
                row["diagnosis"] = " ".join(diagnose(compile_scenario(scenario)))
    except Exception as error:  # one bad point must not stop the sweep: it is a row too
        row |= {
            "status": Status.ERROR.value,
            "diagnosis": _one_line(f"{type(error).__name__}: {error}"),
        }
    row["solve_s"] = round(time.perf_counter() - started, 6)
    row["worker"] = os.getpid()
    return row


def _problems_line(problems: Sequence[Problem]) -> str:
    """An invalid point's diagnosis: its problems on one line, the first few."""
    shown = "; ".join(str(problem) for problem in problems[:SHOWN_PROBLEMS])
    more = len(problems) - SHOWN_PROBLEMS
    return shown + (f"; and {more} more" if more > 0 else "")
