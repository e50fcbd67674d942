"""Out-of-sample evaluation of a risk plan (``sourcing evaluate``): fresh event paths are
sampled from the scenario's ``events.csv``; in each, the plan's yes/no decisions and its base
path's decisions before the path's first event are fixed and the rest is re-optimised knowing
the path (:mod:`.evaluate_plan`); the risk figures over the paths come with confidence
intervals (:mod:`.evaluate_stats`), beside the figures the solve estimated in-sample.

The paths run through the sweep's executor (:func:`optimizer.sweep.run.run_chunks`: local
worker processes, a Dask cluster, or this process) and every finished path is journaled at once,
so an interrupted evaluation resumes where it stopped. Folder layout (``<RESULT>-evaluation/``
by default):

- ``evaluation.json`` — what is evaluated (its fingerprint: the result's tables, the inputs'
  digest, the seed and the number of samples; a resumed run must match) and, once complete,
  the figures;
- ``paths.jsonl`` — one JSON row per finished path, appended and synced as each returns;
- ``paths.csv`` — one row per distinct path, written at the end.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from models.risk import RiskTree, sampled_tree
from models.solution import SolveOptions, Status
from optimizer.common.output_paths import (
    EVALUATION,
    RESULT,
    claimed,
    kind_of,
    marker,
    write_file_atomic,
)
from optimizer.common.table_files import find_table
from optimizer.inputs.digest import input_digest
from optimizer.inputs.loading import load_scenario
from optimizer.inputs.scenario import Scenario
from optimizer.results.tables import COST_COMPONENTS
from optimizer.sweep.evaluate_plan import (
    TIMED_BLOCKS,
    TOLERANCE_T,
    EvaluationRefused,
    PathJob,
    RecordedPlan,
    band_effect_usd,
    evaluate_chunk,
    keep_prepared,
    onset,
    prepare,
    read_recorded_plan,
)
from optimizer.sweep.evaluate_stats import (
    BOOTSTRAP,
    beyond_worst,
    bootstrap_tail,
    mean_interval,
    wilson_interval,
)
from optimizer.sweep.run import (
    Journal,
    print_warning,
    read_journal,
    repair_end,
    report_rejected,
    run_chunks,
)

SUFFIX = "-evaluation"
MANIFEST = "evaluation.json"
JOURNAL = "paths.jsonl"
TABLE = "paths.csv"
VERSION = 1  # of what a path's figures mean: a change here makes old journals another's
MAX_SAMPLES = 100_000  # as [risk] samples
SHORT_T = 1e-6  # a path with more shortfall than this (tonnes, any material) falls short
NOT_SOLVED = "not solved: no result came back for this path; run the same command again"


class EvaluationMismatch(Exception):
    """The output folder holds an evaluation of another result, seed or number of samples."""


@dataclass(frozen=True, eq=False)
class Evaluation:
    """A checked evaluation: the result, its inputs and the sampled paths."""

    result: Path
    summary: dict
    scenario_path: Path
    scenario: Scenario
    plan: RecordedPlan
    samples: int
    seed: int
    seed_note: str  # how the seed was chosen
    inputs_changed: bool | None  # None: the result records no digest to compare with
    tree: RiskTree
    counts: np.ndarray  # draws of each distinct path
    fingerprint: str
    band_usd: float  # the most the fixing band can move a path's cost

    @property
    def alpha(self) -> float:
        return float(self.summary["risk"]["cvar_alpha"])

    @property
    def weight(self) -> float:
        return float(self.summary["risk"]["risk_weight"])

    def points(self) -> pd.DataFrame:
        return pd.DataFrame({"point": np.arange(self.tree.size), "count": self.counts})


@dataclass(frozen=True)
class Outcome:
    folder: Path
    paths: int  # distinct paths
    already_done: int
    ran: int
    failed: int  # paths whose chunk was lost (error rows, retried next run)
    seconds: float
    document: dict  # evaluation.json
    table: pd.DataFrame  # paths.csv


def default_folder(result: str | Path) -> Path:
    """``<RESULT>-evaluation`` beside the result folder."""
    path = Path(result)
    if path.name in ("", ".", ".."):
        path = path.resolve()
    return path.parent / f"{path.name}{SUFFIX}"


def load_evaluation(
    result: str | Path,
    samples: int,
    seed: int | None = None,
    scenario: str | Path | None = None,
    allow_changed_inputs: bool = False,
) -> Evaluation:
    """Check the result folder and its inputs and sample the paths; raise
    :class:`EvaluationRefused` (one line) when the result cannot be evaluated."""
    folder = Path(result)
    if not 1 <= samples <= MAX_SAMPLES:
        raise EvaluationRefused(f"--samples must be between 1 and {MAX_SAMPLES:,}, not {samples}")
    summary = _summary(folder)
    recorded = summary.get("inputs") or {}
    if scenario is None and not recorded.get("scenario"):
        raise EvaluationRefused(
            f"{folder}: its summary.json does not say which inputs it came from (written by an "
            "earlier version); name them with --scenario DIR"
        )
    path = Path(scenario) if scenario is not None else Path(recorded["scenario"])
    if not path.exists():
        raise EvaluationRefused(f"{path}: the inputs of the result are not there; name them "
                                "with --scenario DIR")  # fmt: skip
    digest = input_digest(path)
    changed = None if not recorded.get("digest") else digest != recorded["digest"]
    if changed and not allow_changed_inputs:
        raise EvaluationRefused(
            f"{path}: the input files changed since {folder} was solved (their digest differs "
            "from the one in its summary.json); solve again, or evaluate the plan against the "
            "changed inputs with --allow-changed-inputs"
        )
    loaded = load_scenario(path)
    events = loaded.events
    if events.empty:
        raise EvaluationRefused(f"{path}: has no events.csv, so there are no paths to sample")
    if not (events["monthly_probability"].to_numpy(dtype=float) > 0).any():
        raise EvaluationRefused(
            f"{path}: events.csv gives no event a monthly_probability, so every sampled path "
            "would be undisrupted; give the events their monthly chances"
        )
    plan = read_recorded_plan(folder, summary)
    solve_seed = loaded.settings.seed
    if seed is None:
        seed = solve_seed + 1
        note = f"the default: the solve's seed {solve_seed} + 1"
    else:
        note = "given" + (" (the solve's own)" if seed == solve_seed else "")
    settings = loaded.settings.with_changes(samples=samples, seed=seed)
    tree = sampled_tree(loaded.with_changes(settings=settings), loaded.settings.horizon)
    counts = np.rint(tree.probability * samples).astype(np.int64)
    prepared = prepare(loaded, plan, tree.events)  # refuses a plan the inputs do not fit
    fingerprint = _fingerprint(folder, digest, samples, seed)
    evaluation = Evaluation(
        folder, summary, path, loaded, plan, samples, seed, note, changed, tree, counts,
        fingerprint, band_effect_usd(prepared),
    )  # fmt: skip
    keep_prepared(fingerprint, prepared)  # for the paths solved in this process
    return evaluation


def _summary(folder: Path) -> dict:
    if not folder.is_dir() or kind_of(folder) != RESULT:
        raise EvaluationRefused(f"{folder}: not a result folder written by `sourcing solve`")
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    if summary.get("status") != Status.OPTIMAL.value or not summary.get("has_plan"):
        raise EvaluationRefused(
            f"{folder}: its solve ended '{summary.get('status')}', not optimal; only an optimal "
            "plan is evaluated"
        )
    if not summary.get("risk"):
        raise EvaluationRefused(
            f"{folder}: not a plan made against disruption scenarios (its summary.json has no "
            "risk block); solve a scenario with events.csv first"
        )
    return summary


def _fingerprint(folder: Path, digest: str, samples: int, seed: int) -> str:
    """sha256 of what the figures depend on: the result's plan tables, the inputs, the draws."""
    h = hashlib.sha256(f"evaluation {VERSION}\0{digest}\0{samples}\0{seed}\0".encode())
    for stem in ("decisions", "plan", "stock", "processing"):  # .csv or .parquet
        path = find_table(folder, stem) or folder / f"{stem}.csv"
        name = path.name
        data = path.read_bytes() if path.is_file() else b""
        h.update(f"{name}\0{len(data) if path.is_file() else -1}\0".encode())
        h.update(data)
    return h.hexdigest()


# --- running -----------------------------------------------------------------------------------


def run_evaluation(
    evaluation: Evaluation,
    out: str | Path | None = None,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    restart: bool = False,
    progress: bool = True,
    warn: Callable[[str], None] = print_warning,
) -> Outcome:
    """Solve every path not yet journaled in the output folder (or only in error there), then
    write ``paths.csv`` and ``evaluation.json``. ``workers == 1`` without a scheduler solves
    in this process; otherwise as a sweep does (local worker processes, one per core by
    default, or the Dask cluster at ``scheduler``)."""
    started = time.perf_counter()
    folder = Path(out) if out is not None else default_folder(evaluation.result)
    points = evaluation.points()
    with claimed(folder, EVALUATION, "--out" if out is not None else ""):
        journal = _prepare(folder, evaluation, len(points), restart, points)
        report_rejected(folder / JOURNAL, journal, warn)
        done = journal.done
        todo = points[~points["point"].isin(done)]
        records = dict(journal.records)
        failed = 0
        if len(todo):
            settings = evaluation.scenario.settings
            options = SolveOptions(time_limit_s=settings.time_limit_s, threads=1)
            job = PathJob(evaluation.fingerprint, evaluation.scenario, evaluation.plan,
                          evaluation.tree, options)  # fmt: skip
            in_process = scheduler is None and workers == 1
            failed = run_chunks(evaluate_chunk, job, todo, folder / JOURNAL, len(points),
                                len(done), workers, scheduler, progress, records,
                                in_process=in_process, unit="path")  # fmt: skip
        table = paths_table(evaluation, records)
        document = _manifest(evaluation, len(points)) | figures(evaluation, table)
        text = table.to_csv(index=False, lineterminator="\n")
        write_file_atomic(folder / TABLE, text.encode("utf-8"))
        _write_json(folder / MANIFEST, document)
    return Outcome(folder, len(points), len(done), len(todo) - failed, failed,
                   time.perf_counter() - started, document, table)  # fmt: skip


def _manifest(evaluation: Evaluation, paths: int) -> dict:
    return marker(EVALUATION) | {
        "fingerprint": evaluation.fingerprint,
        "result": str(evaluation.result.resolve()),
        "scenario": str(evaluation.scenario_path.resolve()),
        "inputs_changed": evaluation.inputs_changed,
        "samples": evaluation.samples,
        "seed": evaluation.seed,
        "seed_chosen": evaluation.seed_note,
        "paths": paths,
        "complete": False,
    }


def _prepare(folder: Path, evaluation: Evaluation, paths: int, restart: bool, points) -> Journal:
    """The journal so far, after checking the folder holds an evaluation of this very plan,
    inputs, seed and number of samples."""
    ours = kind_of(folder) == EVALUATION  # else absent or empty: checked by ``claimed``
    if ours and not restart:
        recorded = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        if recorded.get("fingerprint") != evaluation.fingerprint:
            raise EvaluationMismatch(
                f"{folder} holds an evaluation of {_what(recorded)}, not of this one (the result, "
                "its inputs, the seed or the number of samples differ); run with --restart to "
                "discard it, or --out to write elsewhere"
            )
        journal = read_journal(folder / JOURNAL, points, ["count"])
        repair_end(folder / JOURNAL, journal)
        return journal
    for name in (JOURNAL, TABLE):  # --restart: start afresh (all files of ours)
        (folder / name).unlink(missing_ok=True)
    folder.mkdir(parents=True, exist_ok=True)
    _write_json(folder / MANIFEST, _manifest(evaluation, paths))
    (folder / JOURNAL).touch()
    return Journal({})


def _what(recorded: dict) -> str:
    return (
        f"{recorded.get('result', '?')} with {recorded.get('samples', '?')} samples and seed "
        f"{recorded.get('seed', '?')}"
    )


def _write_json(path: Path, document: dict) -> None:
    text = json.dumps(document, indent=2, allow_nan=False) + "\n"
    write_file_atomic(path, text.encode("utf-8"))


# --- the table and the figures ---------------------------------------------------------------


def paths_table(evaluation: Evaluation, records: dict[int, dict]) -> pd.DataFrame:
    """One row per distinct path: its draws, events, first month, status, cost, the cost's
    components and the shortfall of each material; the same whatever ran it."""
    tree, months = evaluation.tree, evaluation.scenario.settings.horizon
    materials = evaluation.scenario.materials["material"].tolist()
    rows = []
    for s, name in enumerate(tree.names):
        record = records.get(s) or {"status": Status.ERROR.value, "diagnosis": NOT_SOLVED}
        first = onset(tree, s)
        active = tree.active[s].any(axis=1)
        row = {
            "path": name,
            "count": int(evaluation.counts[s]),
            "probability": round(float(evaluation.counts[s]) / evaluation.samples, 12),
            "events": ", ".join(e for e, on in zip(tree.events, active, strict=True) if on),
            "first_month": months[first] if first < len(months) else "",
            "active": _spells(tree, s, months),
            "status": record["status"],
            "cost_usd": record.get("cost_usd"),
            **{key: record.get(key) for key in COST_COMPONENTS},
            **{f"shortfall_{m}_t": record.get(f"shortfall_t_{m}") for m in materials},
            "infeasible_cause": _cause(record),
            "termination": record.get("termination", ""),
            "diagnosis": record.get("diagnosis", ""),
        }
        rows.append(row)
    return pd.DataFrame(rows)


def _cause(record: dict) -> str:
    """Why an infeasible path is: the ``plan``'s fixed decisions, or the ``path`` itself."""
    if record["status"] != Status.INFEASIBLE.value:
        return ""
    return "path" if record.get("servable") == 0 else "plan"


def _spells(tree: RiskTree, s: int, months: list[str]) -> str:
    """The path's events and when each is active: ``ban 2026-03..2026-04; ...``."""
    spells = []
    for e, event in enumerate(tree.events):
        on = np.concatenate([[False], tree.active[s, e], [False]]).astype(np.int8)
        starts, ends = np.flatnonzero(np.diff(on) == 1), np.flatnonzero(np.diff(on) == -1)
        for a, b in zip(starts, ends, strict=True):
            spells.append((a, f"{event} {months[a]}..{months[b - 1]}"))
    return "; ".join(text for _, text in sorted(spells))


def figures(evaluation: Evaluation, table: pd.DataFrame) -> dict:
    """``evaluation.json``'s figures: in-sample (the result's risk block) and out-of-sample
    with 95% intervals, and how each interval is made."""
    counts = table["count"].to_numpy(dtype=np.int64)
    ok = (table["status"] == Status.OPTIMAL.value).to_numpy()
    n_ok = int(counts[ok].sum())
    costs = table.loc[ok, "cost_usd"].to_numpy(dtype=float)
    short_columns = [c for c in table.columns if c.startswith("shortfall_") and c.endswith("_t")]
    shortfall = table.loc[ok, short_columns].to_numpy(dtype=float)
    expected = mean_interval(costs, counts[ok])
    cvar, objective = bootstrap_tail(costs, counts[ok], evaluation.alpha, evaluation.weight,
                                     evaluation.seed)  # fmt: skip
    if evaluation.weight == 0:
        objective = expected  # the objective is the expected cost: the same interval
    falls_short = shortfall.sum(axis=1) > SHORT_T
    worst = int(np.argmax(costs)) if len(costs) else None
    risk = evaluation.summary["risk"]
    in_short = risk.get("expected_shortfall_t") or {}
    per_material = {}
    for c, column in enumerate(short_columns):
        material = column.removeprefix("shortfall_").removesuffix("_t")
        if material in in_short or (shortfall[:, c] > SHORT_T).any():
            per_material[material] = _rounded(mean_interval(shortfall[:, c], counts[ok]), 6)
    infeasible = int(counts[(table["status"] == Status.INFEASIBLE.value).to_numpy()].sum())
    unservable = int(counts[(table["infeasible_cause"] == "path").to_numpy()].sum())
    statuses = table.groupby("status", sort=True)["count"].sum()
    return {
        "complete": True,
        "distinct_paths": len(table),
        "paths_by_status": {status: int(n) for status, n in statuses.items()},
        "cvar_alpha": evaluation.alpha,
        "risk_weight": evaluation.weight,
        "fixed": {
            "yes_no_decisions": "every path",
            "before_first_event": list(TIMED_BLOCKS),
            "tolerance_t": TOLERANCE_T,
            "band_effect_usd_at_most": round(evaluation.band_usd, 2),
        },
        "in_sample": {
            "scenarios": risk.get("scenarios"),
            "expected_cost_usd": risk.get("expected_cost_usd"),
            "cvar_usd": risk.get("cvar_usd"),
            "objective_usd": evaluation.summary.get("objective_usd"),
            "worst_case_usd": risk.get("worst_case_usd"),
            "probability_of_shortfall": risk.get("probability_of_shortfall"),
            "expected_shortfall_t": in_short,
        },
        "out_of_sample": {
            "samples_with_plan": n_ok,
            "expected_cost_usd": _rounded(expected, 2),
            "cvar_usd": _rounded(cvar, 2),
            "objective_usd": _rounded(objective, 2),
            "worst_case_usd": {
                "value": None if worst is None else round(float(costs[worst]), 2),
                "path": None if worst is None else table.loc[ok, "path"].iloc[worst],
                "costlier_path_probability_at_most": _round(beyond_worst(n_ok), 9),
            },
            "probability_of_shortfall": _rounded(
                wilson_interval(int(counts[ok][falls_short].sum()), n_ok), 9
            ),
            "probability_plan_cannot_be_followed": _rounded(
                wilson_interval(infeasible, evaluation.samples), 9
            ),
            "probability_no_plan_serves": _rounded(
                wilson_interval(unservable, evaluation.samples), 9
            ),
            "expected_shortfall_t": per_material,
        },
        "intervals": {
            "confidence": 0.95,
            "means": "normal approximation: mean +- 1.96 x standard deviation / sqrt(draws)",
            "cvar": f"percentile bootstrap, {BOOTSTRAP} resamples of the draws, seeded with the "
            "evaluation's seed",
            "objective": "as the expected cost (risk weight 0)"
            if evaluation.weight == 0
            else "percentile bootstrap, with the CVaR's resamples",
            "probabilities": "Wilson score interval",
            "worst_case": "none; with 95% confidence a path costlier than every draw has at most "
            "the probability given",
        },
    }


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(float(value), digits)


def _rounded(figure: dict, digits: int) -> dict:
    return {key: _round(value, digits) for key, value in figure.items()}


# --- in words --------------------------------------------------------------------------------


def summary_lines(document: dict) -> list[str]:
    """The figures of ``evaluation.json`` side by side, in-sample and out-of-sample."""
    inside, outside = document["in_sample"], document["out_of_sample"]
    alpha, weight = document["cvar_alpha"], document["risk_weight"]
    n, n_ok = document["samples"], outside["samples_with_plan"]
    rows = [("", "", "in-sample", "out-of-sample", "95% interval", "difference")]
    for label, key in (
        ("expected cost", "expected_cost_usd"),
        (f"CVaR {alpha:.0%}", "cvar_usd"),
        (f"objective (risk weight {weight:g})", "objective_usd"),
    ):
        rows.append(_usd_row(label, inside.get(key), outside[key]))
    worst = outside["worst_case_usd"]
    beyond = worst["costlier_path_probability_at_most"]
    note = "" if beyond is None else f"a costlier path: at most {_percent(beyond)}"
    rows.append(_usd_row("worst case", inside.get("worst_case_usd"), worst, note))
    rows.append(_share_row("probability of any shortfall",
                           inside.get("probability_of_shortfall"),
                           outside["probability_of_shortfall"]))  # fmt: skip
    in_short = inside.get("expected_shortfall_t") or {}
    for material, figure in outside["expected_shortfall_t"].items():
        rows.append(_tonnes_row(f"expected shortfall {material}", in_short.get(material, 0.0),
                                figure))  # fmt: skip
    width = max(len(row[0]) for row in rows) + 2
    lines = [
        f"Out-of-sample check of {document['result']}: {n:,} paths sampled from events.csv "
        f"(seed {document['seed']}, {document['seed_chosen']}), {document['distinct_paths']:,} "
        "distinct",
        "Fixed in every path: the yes/no decisions, and the base path's orders, runs, sales, "
        "disposal and shortfall before the path's first event; the rest re-optimised knowing "
        "the path.",
        *(f"{label:<{width}}{unit:>4}{a:>15}{b:>16}   {interval:<32}{difference:>13}".rstrip()
          for label, unit, a, b, interval, difference in rows),
    ]  # fmt: skip
    cannot, nobody = (
        outside["probability_plan_cannot_be_followed"],
        outside["probability_no_plan_serves"],
    )
    infeasible = document["paths_by_status"].get(Status.INFEASIBLE.value, 0)
    lines.append(
        f"Paths the plan cannot follow (infeasible with its decisions fixed): {infeasible:,} of "
        f"{n:,} draws, {_percent(cannot['value'])} ({_interval(cannot)})"
        + (
            f"; in {round(nobody['value'] * n):,} of them ({_percent(nobody['value'])}, "
            f"{_interval(nobody)}) no plan could serve the path, even one made knowing it"
            if nobody["value"]
            else ""
        )
    )
    if n_ok < n:
        lines.append(f"The figures above are over the {n_ok:,} draws with a plan.")
    lines.append(
        "Intervals: means by the normal approximation; CVaR"
        + ("" if weight == 0 else " and objective")
        + f" by a percentile bootstrap ({BOOTSTRAP:,} seeded resamples); probabilities by the "
        "Wilson score interval."
    )
    return lines


def _usd_row(label: str, inside, figure: dict, note: str = "") -> tuple:
    value, low, high = figure["value"], figure.get("low"), figure.get("high")
    interval = note or (f"{_usd(low)} .. {_usd(high)}" if low is not None else "")
    difference = "" if inside is None or value is None else f"{value - inside:+,.0f}"
    return label, "USD", _usd(inside), _usd(value), interval, difference


def _share_row(label: str, inside, figure: dict) -> tuple:
    value = figure["value"]
    interval = f"{_percent(figure['low'])} .. {_percent(figure['high'])}"
    difference = "" if inside is None or value is None else f"{100 * (value - inside):+.1f} pp"
    return label, "", _percent(inside), _percent(value), interval, difference


def _tonnes_row(label: str, inside: float, figure: dict) -> tuple:
    value = figure["value"]
    if value is None:
        return label, "t", f"{inside:,.2f}", "-", "", ""
    interval = f"{figure['low']:,.2f} .. {figure['high']:,.2f}"
    return label, "t", f"{inside:,.2f}", f"{value:,.2f}", interval, f"{value - inside:+,.2f}"


def _interval(figure: dict) -> str:
    return f"95% interval {_percent(figure['low'])} .. {_percent(figure['high'])}"


def _usd(value) -> str:
    return "-" if value is None else f"{value:,.0f}"


def _percent(value) -> str:
    return "-" if value is None else f"{value:.1%}"
