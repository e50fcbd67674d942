"""Running a sweep: points go to Dask workers (a local cluster, one process per core, or an
existing cluster), each worker keeps one warm-started model, and every finished point is
journaled at once, so an interrupted sweep resumes with only the missing points.

Folder layout (``results/sweeps/<name>/`` by default):

- ``sweep.json`` — the sweep's fingerprint, design and parameters (a resumed run must match);
- ``points.jsonl`` — one JSON row per finished point, appended and synced as each returns;
- ``results.parquet`` and ``results.csv`` — the tidy table, one row per point, written at the end.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from models.data import compile_scenario
from models.highs_warm import WarmModel
from models.solution import SolveOptions, Status

from ..diagnose import diagnose
from ..strings import python_strings
from .figures import COST_COLUMNS, point_figures
from .spec import Sweep, apply_point

RESULTS_ROOT = Path("results") / "sweeps"
MANIFEST = "sweep.json"
JOURNAL = "points.jsonl"
TABLE = "results.parquet"
CSV = "results.csv"
MAX_CHUNK = 16


class SweepMismatch(Exception):
    """The results folder holds points of another sweep (or of a changed scenario)."""


@dataclass(frozen=True)
class Outcome:
    folder: Path
    total: int
    already_done: int
    ran: int
    failed: int
    statuses: dict[str, int]
    seconds: float


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
) -> Outcome:
    """Solve every point not yet in the results folder; then write the results table."""
    started = time.perf_counter()
    folder = results_folder(sweep, out)
    points = sweep.points()
    done = _prepare(folder, sweep, len(points), restart)
    todo = points[~points["point"].isin(done)]
    failed = 0
    if len(todo):
        failed = _run_points(sweep, todo, folder, len(points), len(done), workers, scheduler,
                             progress)  # fmt: skip
    table = consolidate(folder, points)
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


def _prepare(folder: Path, sweep: Sweep, total: int, restart: bool) -> set[int]:
    """The points already done, after checking the folder belongs to this very sweep."""
    manifest = {
        "name": sweep.name,
        "fingerprint": sweep.fingerprint,
        "design": sweep.design,
        "points": total,
        "parameters": [
            {"name": p.name, "path": p.path, "mode": p.mode, "base": p.base}
            for p in sweep.parameters
        ],
        "sweep_file": str(sweep.file),
        "scenario": str(sweep.scenario_path),
    }
    path = folder / MANIFEST
    if path.exists() and not restart:
        recorded = json.loads(path.read_text(encoding="utf-8"))
        if recorded.get("fingerprint") != sweep.fingerprint:
            raise SweepMismatch(
                f"{folder} holds results of a different sweep or scenario (the sweep file or "
                "the base scenario changed); run with --restart to discard them, or --out to "
                "write elsewhere"
            )
        return {row["point"] for row in read_journal(folder)}
    if not path.exists() and folder.exists() and any(folder.iterdir()):
        raise SweepMismatch(f"{folder} is not a sweep results folder; choose another --out")
    for name in (JOURNAL, TABLE, CSV):  # --restart: start the journal afresh
        (folder / name).unlink(missing_ok=True)
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    (folder / JOURNAL).touch()
    return set()


def read_journal(folder: Path) -> list[dict]:
    """Finished points, first row per point; a line torn by a crash is ignored."""
    rows: dict[int, dict] = {}
    path = folder / JOURNAL
    if not path.exists():
        return []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue  # the last line of a killed run
        rows.setdefault(int(row["point"]), row)
    return list(rows.values())


def consolidate(folder: Path, points: pd.DataFrame) -> pd.DataFrame:
    """``results.parquet`` and ``results.csv`` from the journal: one row per finished point."""
    rows = read_journal(folder)
    if not rows:
        return pd.DataFrame(columns=["point", "status"])
    table = pd.DataFrame(rows).sort_values("point", kind="stable").reset_index(drop=True)
    table = table[_column_order(table, points)]
    share_columns = [c for c in table.columns if c.startswith("share_")]
    solved = table["status"].isin([Status.OPTIMAL.value, Status.LIMIT.value])
    table.loc[solved, share_columns] = table.loc[solved, share_columns].fillna(0.0)
    for name, write in ((TABLE, _write_parquet), (CSV, _write_csv)):
        temporary = folder / f".{name}.tmp"
        write(table, temporary)
        os.replace(temporary, folder / name)
    return table


def _column_order(table: pd.DataFrame, points: pd.DataFrame) -> list[str]:
    first = [*points.columns, "status", "termination", "objective_usd", *COST_COLUMNS,
             "largest_country_share"]  # fmt: skip
    last = ["warm", "solve_s", "worker", "diagnosis"]
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
    (HiGHS runs single-threaded in each), so throughput grows with the workers."""
    from dask.distributed import Client, LocalCluster  # heavy: imported only to run a sweep

    if scheduler:
        client = Client(scheduler, timeout="30s")
        try:
            yield client
        finally:
            client.close()
        return
    cluster = LocalCluster(
        n_workers=workers or os.cpu_count() or 1,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=logging.ERROR,
    )
    client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
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
) -> int:
    """Submit the points, journal each chunk as it returns; the number of points that failed."""
    from dask.distributed import as_completed
    from tqdm import tqdm

    failed = 0
    counts: dict[str, int] = {}
    with dask_client(workers, scheduler) as client:
        n_workers = max(len(client.scheduler_info().get("workers", {})), 1)
        shared = client.scatter(sweep, broadcast=True)
        futures = [
            client.submit(solve_chunk, shared, chunk, pure=False)
            for chunk in _chunks(todo, n_workers)
        ]
        bar = tqdm(total=total, initial=done, unit="pt", disable=not progress, smoothing=0.1)
        _end_torn_line(folder / JOURNAL)
        with bar, open(folder / JOURNAL, "a", encoding="utf-8") as journal:
            for future in as_completed(futures):
                try:
                    rows = future.result()
                except Exception:  # a chunk lost for good (e.g. its worker kept dying)
                    failed += 1
                    continue
                _append(journal, rows)
                for row in rows:
                    counts[row["status"]] = counts.get(row["status"], 0) + 1
                bar.update(len(rows))
                bar.set_postfix(counts | {"failed": failed}, refresh=False)
    return failed


def _end_torn_line(path: Path) -> None:
    """A run killed mid-write leaves a partial last line: close it, so new rows start afresh."""
    with open(path, "rb+") as journal:
        journal.seek(0, os.SEEK_END)
        if journal.tell() and (journal.seek(-1, os.SEEK_END) or journal.read(1) != b"\n"):
            journal.write(b"\n")


def _append(journal, rows: list[dict]) -> None:
    journal.write("".join(json.dumps(row, allow_nan=True) + "\n" for row in rows))
    journal.flush()
    os.fsync(journal.fileno())


# --- in the worker -------------------------------------------------------------------------

_MODELS: dict[str, WarmModel] = {}  # one warm model per sweep, per worker process


@python_strings()
def solve_chunk(sweep: Sweep, records: list[dict]) -> list[dict]:
    """Solve a run of points on this worker's warm model; one result row per point."""
    model = _MODELS.get(sweep.fingerprint)
    if model is None:
        model = _MODELS[sweep.fingerprint] = WarmModel(sweep.scenario, SolveOptions(threads=1))
    return [solve_point(sweep, model, record) for record in records]


def solve_point(sweep: Sweep, model: WarmModel, record: dict) -> dict:
    started = time.perf_counter()
    values = {p.name: record[p.name] for p in sweep.parameters}
    row: dict = {"point": int(record["point"]), **values}
    try:
        scenario = apply_point(sweep.scenario, sweep.parameters, values)
        solution, warm = model.solve(scenario)
        row |= {"status": solution.status.value, "termination": solution.termination,
                "objective_usd": solution.objective, "warm": warm}  # fmt: skip
        row |= point_figures(model.point, solution)
        if solution.status == Status.INFEASIBLE:
            row["diagnosis"] = " ".join(diagnose(compile_scenario(scenario)))
    except Exception as error:  # one bad point must not stop the sweep: it is a row too
        row |= {"status": Status.ERROR.value, "diagnosis": f"{type(error).__name__}: {error}"}
    row["solve_s"] = round(time.perf_counter() - started, 6)
    row["worker"] = os.getpid()
    return row
