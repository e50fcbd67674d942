"""Sweep benchmarks: time per point of a cold rebuild and solve, the warm-started re-solve
(``models.highs_warm.WarmModel``) and the Pyomo engine on the same points; on the default
grid, the sweep's path (``models.mip_warm.MipWarm``: a MIP point proved from earlier points),
the old warm path (HiGHS's branch and cut at every point), a cold solve and ``sourcing solve``
run once per point, with how each point was proved; the proofs on the other sweeps of
``inputs/sweeps`` and at other MIP gaps; a sweep's throughput with 1, 2, ... Dask workers.
Prints figures and writes them to ``benchmarks/out/sweep.json``; it is not a test.

    python benchmarks/bench_sweep.py [--points 40] [--pyomo-every 5] [--cli-points 5]
        [--old-exact-every 10] [--no-proofs] [--workers-list 1,2] [--no-medium-workers]
        [--no-workers]

What each figure means, and the targets: ``benchmarks/README.md``, section "Sweeps".
"""

# ruff: noqa: E402  (the BLAS environment must be set before numpy is imported)
from __future__ import annotations

import os

# One BLAS thread, as Dask gives its workers (distributed.nanny.pre-spawn-environ): numpy's
# OpenBLAS otherwise runs a thread per core, and in-process figures would not be one-thread
# figures. `sourcing solve` subprocesses get the environment as it was.
USER_ENVIRONMENT = dict(os.environ)
BLAS_THREADS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
for _name in BLAS_THREADS:
    os.environ.setdefault(_name, "1")

import argparse
import datetime
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd
from bench_engines import log, machine, table, timed  # the same folder: shared helpers
from sweep_proofs import (
    exact_options,
    measure_other_gaps,
    measure_other_sweeps,
    new_point,
    proof_warnings,
    proofs_line,
    proofs_table,
    whole_points,
)

from models import highs_build, highs_warm
from models import highs_engine as he
from models.branching import rel_gap_of
from models.data import compile_scenario
from models.highs_warm import WarmModel
from models.mip_warm import MipWarm
from models.solution import SolveOptions
from optimizer.inputs.synthetic import synthetic_scenario
from optimizer.sweep import point_metrics as fig
from optimizer.sweep.point_metrics import COST_COLUMNS, point_figures
from optimizer.sweep.points import apply_point
from optimizer.sweep.run import dask_client, run_sweep
from optimizer.sweep.spec import Sweep, load_sweep

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SWEEP = ROOT / "inputs" / "sweeps" / "china-cap-and-cover.toml"
# The default before its processing chain, an LP: the same grid over it shows the warm path
# where HiGHS can start from the previous basis (a MIP's branch and cut starts afresh).
LP_DEFAULT = ROOT / "tests" / "fixtures" / "india-lp"
OUT = Path(__file__).resolve().parent / "out" / "sweep.json"
MEDIUM = (20, 15, 120)  # materials x suppliers x months of the generated scenario (seed 0)
OBJECTIVE_RTOL = 1e-6
TARGET_WARM_VS_COLD = 4.0  # medium: in-process cold rebuild + solve / warm, mean per point
TARGET_NEW_VS_CLI = 20.0  # default: `sourcing solve` subprocess / the sweep's path, per point
COLD = SolveOptions(threads=1, algorithm="simplex")
ONE_THREAD = SolveOptions(threads=1)  # the old sweep's options: HiGHS's default MIP gap
OLD_GAP = rel_gap_of(ONE_THREAD)
NO_PROBES = ("--probe-limit", "0")  # `sourcing solve` without re-solving the policies' prices

# A grid over the medium scenario as a user would write it: C00's general share cap (0.6 in the
# base), one supplier's prices, the default stockpile cover. The last parameter varies fastest,
# so consecutive points differ by a month of cover, or by one step of the price, as in real grids.
MEDIUM_SWEEP = """\
name = "bench-medium"
description = "bench_sweep.py: C00's cap x S003's prices x the stockpile cover"
scenario = "medium"
design = "grid"

[[parameter]]
name = "c00_cap"
path = "country_caps.max_share[country=C00]"
values = [0.4, 0.45, 0.5, 0.55, 0.6]

[[parameter]]
name = "s003_price"
path = "offers.price_usd_per_t[supplier=S003]"
mode = "factor"
values = [0.9, 1.0, 1.1, 1.2]

[[parameter]]
name = "cover_months"
path = "policy.stockpile_cover_months"
range = {{ start = 1, stop = {last_cover}, step = 1 }}
"""


# --------------------------------------------------------------------------------------------
# Points
# --------------------------------------------------------------------------------------------


def write_medium_sweep(folder: Path, points: int) -> Sweep:
    """The generated scenario as a folder and a sweep file next to it with at least ``points``
    points (5 caps x 4 prices x as many months of cover as needed, at least 3). Not timed."""
    synthetic_scenario(*MEDIUM).write(folder / "medium")
    file = folder / "bench-medium.toml"
    file.write_text(MEDIUM_SWEEP.format(last_cover=max(3, -(-points // 20))), encoding="utf-8")
    return load_sweep(file)


def apply(sweep: Sweep, record: dict):
    values = {p.name: float(record[p.name]) for p in sweep.parameters}
    return apply_point(sweep.scenario, sweep.parameters, values)


def prepare_points(sweep: Sweep, points: pd.DataFrame) -> tuple[list, list[float]]:
    """Each point's scenario, and the time ``apply_point`` takes for it. The scenarios are built
    up front; the same ``apply_point`` time is added to every path's time for the point."""
    timings = [timed(lambda r=r: apply(sweep, r)) for r in points.to_dict("records")]
    return [scenario for _, scenario in timings], [seconds for seconds, _ in timings]


# --------------------------------------------------------------------------------------------
# The paths, point by point (each adds the same figures: point_figures)
# --------------------------------------------------------------------------------------------


def cold_point(scenario, options: SolveOptions = COLD) -> dict:
    """Compile, build, a fresh HiGHS instance, dual simplex from scratch (a MIP: branch and
    cut, then the LP with the decisions fixed), figures."""
    compile_s, data = timed(lambda: compile_scenario(scenario))
    solve_s, solution = timed(lambda: he.solve(data, options))
    figures_s, row = timed(lambda: point_figures(data, solution))
    return {
        "compile_s": compile_s,
        "build_s": solution.build_seconds,
        "highs_run_s": solution.solve_seconds,
        "read_s": solution.read_seconds + solution.ranging_seconds,
        "ranging_s": solution.ranging_seconds,
        "figures_s": figures_s,
        "path_s": compile_s + solve_s + figures_s,
        "status": str(solution.status),
        "objective": solution.objective,
        "bound": solution.best_bound,
        "costs": {key: row.get(key) for key in COST_COLUMNS},
    }


def warm_point(model: WarmModel, scenario) -> dict:
    """``WarmModel.solve`` and the figures, as a sweep worker runs them (``solve_point``)."""
    solve_s, (solution, warm) = timed(lambda: model.solve(scenario))
    figures_s, row = timed(lambda: point_figures(model.point, solution))
    return {
        "changes_s": solution.build_seconds,  # the point's numbers + pushing what differs
        "highs_run_s": solution.solve_seconds,
        "read_s": solution.read_seconds,
        "figures_s": figures_s,
        "path_s": solve_s + figures_s,
        "warm": warm,
        "iterations": int(model.highs.getInfo().simplex_iteration_count),
        "status": str(solution.status),
        "objective": solution.objective,
        "costs": {key: row.get(key) for key in COST_COLUMNS},
    }


def pyomo_point(scenario) -> dict:
    """Compile, the Pyomo model, HiGHS through Pyomo, figures."""
    from models import pyomo_engine

    compile_s, data = timed(lambda: compile_scenario(scenario))
    solve_s, solution = timed(lambda: pyomo_engine.solve(data, ONE_THREAD))
    figures_s, _ = timed(lambda: point_figures(data, solution))
    return {
        "compile_s": compile_s,
        "build_s": solution.build_seconds,
        "highs_run_s": solution.solve_seconds,
        "read_s": solution.read_seconds,
        "figures_s": figures_s,
        "path_s": compile_s + solve_s + figures_s,
        "status": str(solution.status),
        "objective": solution.objective,
    }


def run_path(name: str, scenarios: list, apply_s: list[float], run) -> list[dict]:
    """``run`` on each point in order; ``total_s`` = the path's time + ``apply_point``."""
    records = []
    for i, (scenario, apply_time) in enumerate(zip(scenarios, apply_s, strict=True), start=1):
        record = run(scenario) | {"apply_s": apply_time}
        record["total_s"] = record["path_s"] + apply_time
        records.append(record)
        if i % 20 == 0 or i == len(scenarios):
            log(f"  {name}: {i}/{len(scenarios)} points")
    return records


def summary(records: list[dict]) -> dict:
    times = [r["total_s"] for r in records]
    return {
        "points": len(times),
        "mean_s": statistics.fmean(times),
        "median_s": statistics.median(times),
        "min_s": min(times),
        "max_s": max(times),
        "sum_s": sum(times),
    }


def disagreements(
    label: str,
    ids: list[int],
    cold: list[dict],
    other: list[dict],
    name: str,
    rtol: float = OBJECTIVE_RTOL,
):
    """Warnings: a point whose status or objective differs from the cold path's."""
    warnings = []
    for point, ref, run in zip(ids, cold, other, strict=True):
        a, b = ref["objective"], run["objective"]
        if run["status"] != ref["status"]:
            warnings.append(f"{label} point {point}: {name} {run['status']}, cold {ref['status']}")
        elif run["status"] == "optimal" and abs(a - b) > rtol * max(1.0, abs(a)):
            warnings.append(
                f"{label} point {point}: {name} objective {b!r} differs from the cold path's "
                f"{a!r} by more than {rtol:g} relative"
            )
    return warnings


def cost_mismatch(ids: list[int], cold: list[dict], warm: list[dict]) -> dict:
    """Points whose warm-path cost figures (purchase, tariff, ...) differ from the cold path's."""
    points, worst = [], 0.0
    for point, c, w in zip(ids, cold, warm, strict=True):
        off = max(
            abs((w["costs"][k] or 0.0) - (c["costs"][k] or 0.0)) / max(1.0, abs(c["costs"][k] or 0))
            for k in COST_COLUMNS
        )
        if off > OBJECTIVE_RTOL:
            points.append(point)
            worst = max(worst, off)
    return {"points": points, "worst_relative": worst}


# --------------------------------------------------------------------------------------------
# 1. Medium scenario: cold, warm and Pyomo on the same points
# --------------------------------------------------------------------------------------------


def measure_medium(args, folder: Path) -> dict:
    sweep = write_medium_sweep(folder, args.points)
    points = sweep.points().head(args.points)
    ids = points["point"].tolist()
    scenarios, apply_s = prepare_points(sweep, points)
    size = highs_build.build_model(compile_scenario(sweep.scenario)).size
    label = "x".join(map(str, MEDIUM))
    log(f"medium {label}: {len(ids)} points, {size.variables:,} variables")

    log("  cold: compile + build + solve + figures per point")
    cold = run_path("cold", scenarios, apply_s, cold_point)
    log("  warm: the model built once, then solve + figures per point")
    setup_s, model = timed(lambda: WarmModel(sweep.scenario, ONE_THREAD))
    warm = run_path("warm", scenarios, apply_s, lambda scenario: warm_point(model, scenario))
    profile = profile_warm(sweep, scenarios)
    subset = list(range(0, len(ids), args.pyomo_every)) if args.pyomo_every > 0 else []
    pyomo = pyomo_records(subset, scenarios, apply_s)

    warnings = disagreements("medium", ids, cold, warm, "warm")
    if pyomo:
        cold_subset = [cold[i] for i in subset]
        warnings += disagreements("medium", [ids[i] for i in subset], cold_subset, pyomo, "pyomo")
    summaries = {"cold": summary(cold), "warm": summary(warm)}
    if pyomo:
        summaries["pyomo"] = summary(pyomo)
        summaries["warm_on_pyomo_points"] = summary([warm[i] for i in subset])
        summaries["cold_on_pyomo_points"] = summary([cold[i] for i in subset])
    return {
        "size": label,
        **size.as_dict(),
        "sweep_file": MEDIUM_SWEEP.format(last_cover="n"),
        "points": ids,
        "pyomo_every": args.pyomo_every,
        "pyomo_points": [ids[i] for i in subset] if pyomo else [],
        "apply_s": apply_s,
        "warm_setup_s": setup_s,
        "warm_rebuilds": model.rebuilds,
        "cold": cold,
        "warm": warm,
        "pyomo": pyomo,
        "summaries": summaries,
        "profile": profile,
        "cost_mismatch": cost_mismatch(ids, cold, warm),
        "warnings": warnings,
    }


def pyomo_records(subset: list[int], scenarios: list, apply_s: list[float]) -> list[dict]:
    if not subset:
        return []
    log(f"  pyomo: {len(subset)} points")
    chosen = [scenarios[i] for i in subset]
    try:
        return run_path("pyomo", chosen, [apply_s[i] for i in subset], pyomo_point)
    except Exception as error:  # a missing or broken engine: report it, do not stop
        log(f"  pyomo skipped: {type(error).__name__}: {error}")
        return []


class Pieces:
    """Times of named pieces of work, one per point."""

    def __init__(self):
        self.times: dict[str, list[float]] = {}

    def add(self, name: str, seconds: float) -> None:
        self.times.setdefault(name, []).append(seconds)

    def run(self, name: str, call):
        seconds, value = timed(call)
        self.add(name, seconds)
        return value


def profile_warm(sweep: Sweep, scenarios: list) -> dict:
    """The warm path per point, piece by piece, on a second model over the same points: the
    structure check, the point's numbers, pushing what differs into HiGHS, HiGHS's run, reading
    the solution, each part of the figures. Uses WarmModel's internals (``_structure_changes``,
    ``_change``, ``_build``): skipped, with the reason, if they change."""
    log("  warm path, piece by piece")
    pieces = Pieces()
    try:
        model = WarmModel(sweep.scenario, ONE_THREAD)
        for scenario in scenarios:
            profile_point(model, scenario, pieces)
    except Exception as error:
        return {"skipped": f"{type(error).__name__}: {error}"}
    return {
        name: {"mean_s": statistics.fmean(t), "median_s": statistics.median(t), "runs": len(t)}
        for name, t in pieces.times.items()
    }


def profile_point(model: WarmModel, scenario, pieces: Pieces) -> None:
    """What ``WarmModel.solve`` and ``point_figures`` do for one point, step by step."""
    base, data, lp = model.scenario, model.data, model.lp

    def check():
        demand = highs_warm._demand_cells(scenario, data)
        return highs_warm._structure_changes(scenario, base, data, demand)

    check_s, changes = timed(check)
    pieces.add("structure_check", check_s)
    if changes:
        pieces.run("rebuild", lambda: model._build(scenario))
    else:
        point_s, point = timed(lambda: highs_warm.point_data(scenario, base, data))
        pieces.add("point numbers (w/o check)", max(point_s - check_s, 0.0))  # it checks again
        numbers = pieces.run("lp numbers", lambda: highs_warm.numbers_for(point, lp))
        pieces.run("push_changes", lambda: model._change(numbers))
        model.point = point
    pieces.run("highs_run", model.highs.run)
    solution = pieces.run("read_solution", lambda: he.read_solution(model.highs, model.lp, False))
    for part in (fig.cost_breakdown, fig.share_figures, fig.stock_figures):
        pieces.run(f"figures: {part.__name__}", lambda p=part: p(model.point, solution))


# --------------------------------------------------------------------------------------------
# 2. Default scenario: the warm path against `sourcing solve` per point
# --------------------------------------------------------------------------------------------


def lp_default_sweep(folder: Path) -> Path:
    """The default grid's sweep file, pointed at the LP copy of the default scenario."""
    text = DEFAULT_SWEEP.read_text(encoding="utf-8")
    line = next(line for line in text.splitlines() if line.startswith("scenario ="))
    written = folder / "china-cap-and-cover-lp.toml"
    written.write_text(text.replace(line, f"scenario = {json.dumps(str(LP_DEFAULT))}"))
    return written


def measure_default(args, folder: Path, sweep_file: Path) -> dict:
    """The default grid, point after point: the sweep's path (``MipWarm``, within the base
    scenario's gap), the old warm path (``WarmModel``: HiGHS's branch and cut at every point,
    with the options the sweep had before: HiGHS's default gap), the old path at the
    scenario's gap on every ``--old-exact-every``-th point, an independent cold solve of every
    point at the scenario's gap, and ``sourcing solve`` on ``--cli-points`` points."""
    sweep = load_sweep(sweep_file)
    folder = folder / sweep.scenario.name
    points = spread(sweep.points(), args.default_points)
    ids = points["point"].tolist()
    scenarios, apply_s = prepare_points(sweep, points)
    lp = highs_build.build_model(compile_scenario(sweep.scenario))
    options = exact_options(sweep)
    log(f"default {sweep.scenario.name}: {len(ids)} points, {lp.size.variables:,} variables")
    setup_s, model = timed(lambda: MipWarm(sweep.scenario, options))
    new = run_path("new", scenarios, apply_s, lambda scenario: new_point(model, scenario))
    log("  whole sweep points (solve_point)")
    whole = whole_points(sweep, points.to_dict("records"))
    old_setup_s, old_model = timed(lambda: WarmModel(sweep.scenario, ONE_THREAD))
    old = run_path("old", scenarios, apply_s, lambda scenario: warm_point(old_model, scenario))
    every = args.old_exact_every
    subset = list(range(0, len(ids), every)) if every > 0 and lp.is_mip else []
    old_exact = []
    if subset:
        exact = WarmModel(sweep.scenario, options)
        old_exact = run_path("old at the scenario's gap", [scenarios[i] for i in subset],
                             [apply_s[i] for i in subset],
                             lambda scenario: warm_point(exact, scenario))  # fmt: skip
    cold = run_path("cold", scenarios, apply_s, lambda scenario: cold_point(scenario, options))
    cli = measure_cli(args.cli_points, folder, ids, scenarios, new)
    lean = measure_cli(args.cli_points, folder, ids, scenarios, new, NO_PROBES)
    summaries = {"new": summary(new), "whole": summary(whole), "old": summary(old),
                 "cold": summary(cold)}  # fmt: skip
    if old_exact:
        summaries["old_exact"] = summary(old_exact)
        summaries["new_on_old_exact_points"] = summary([new[i] for i in subset])
    if cli:
        on_cli = [ids.index(r["point"]) for r in cli]
        summaries["cli"] = summary(cli)
        summaries["cli_no_probes"] = summary(lean)
        summaries["new_on_cli_points"] = summary([new[i] for i in on_cli])
        summaries["whole_on_cli_points"] = summary([whole[i] for i in on_cli])
        summaries["old_on_cli_points"] = summary([old[i] for i in on_cli])
    gap = rel_gap_of(options)
    return {
        "sweep": str(DEFAULT_SWEEP.relative_to(ROOT)),
        "scenario": sweep.scenario.name,
        "mip": bool(lp.is_mip),
        "decisions": int(lp.integrality.sum()),
        "mip_rel_gap": gap,
        **lp.size.as_dict(),
        "points": len(ids),
        "new_setup_s": setup_s,
        "new_rebuilds": model.rebuilds,
        "old_setup_s": old_setup_s,
        "old_rebuilds": old_model.rebuilds,
        "new": new,
        "whole": whole,
        "old": old,
        "old_exact": old_exact,
        "old_exact_points": [ids[i] for i in subset],
        "cold": cold,
        "cli": cli,
        "cli_no_probes": lean,
        "imports_s": python_imports_seconds() if cli else None,
        "summaries": summaries,
        "cost_mismatch": cost_mismatch(ids, cold, new),
        "warnings": proof_warnings("default", ids, cold, new, gap)
        + proof_warnings("default (solve_point)", ids, cold, whole, gap)
        + disagreements("default", ids, cold, old, "old", max(OBJECTIVE_RTOL, OLD_GAP))
        + [warning for run in cli + lean for warning in run["warnings"]],
    }


def spread(points: pd.DataFrame, count: int) -> pd.DataFrame:
    """``count`` points spread evenly over the grid; all of them when ``count`` is 0."""
    if count <= 0 or count >= len(points):
        return points
    return points.iloc[np.linspace(0, len(points) - 1, count).round().astype(int)]


def sourcing_command() -> str:
    """The venv's ``sourcing`` script, as users run it."""
    script = Path(sys.executable).with_name("sourcing")
    found = str(script) if script.exists() else shutil.which("sourcing")
    if found is None:
        raise FileNotFoundError("the `sourcing` command is not installed (pip install -e .)")
    return found


def measure_cli(
    count: int,
    folder: Path,
    ids: list[int],
    scenarios: list,
    new: list[dict],
    options: tuple[str, ...] = (),
):
    """``sourcing solve <folder> --out <dir> [options]`` as a subprocess for ``count`` points
    spread over the grid; each point's scenario folder is written first (``Scenario.write``),
    untimed."""
    if count <= 0:
        return []
    command = sourcing_command()
    runs = []
    for index in sorted(set(np.linspace(0, len(ids) - 1, count).round().astype(int))):
        point = ids[index]
        where = folder / f"cli-{point}" / "scenario"
        if not where.exists():
            scenarios[index].write(where)
        out = folder / f"cli-{point}" / ("result" + "".join(options))
        argv = [command, "solve", str(where), "--out", str(out), *options]
        seconds, done = timed(
            lambda a=argv: subprocess.run(
                a, cwd=folder, capture_output=True, text=True, env=USER_ENVIRONMENT
            )
        )
        found = out / "summary.json"
        objective = json.loads(found.read_text())["objective_usd"] if found.exists() else None
        reference, warnings = new[index]["objective"], []
        if done.returncode != 0 or objective is None:
            tail = done.stderr.strip()[-300:]
            warnings.append(
                f"default point {point}: `sourcing solve` exit {done.returncode} {tail}"
            )
        elif abs(objective - reference) > OBJECTIVE_RTOL * max(1.0, abs(reference)):
            warnings.append(
                f"default point {point}: `sourcing solve` objective {objective!r} differs from "
                f"the new path's {reference!r}"
            )
        runs.append({"point": point, "total_s": seconds, "exit_code": done.returncode,
                     "objective": objective, "warnings": warnings})  # fmt: skip
        log(f"  sourcing solve {' '.join(options)}: point {point}, {seconds:.2f} s")
    return runs


def python_imports_seconds() -> float:
    """What every `sourcing solve` pays before reading a file: Python and the CLI's imports
    (min of 3)."""
    argv = [sys.executable, "-c", "import optimizer.cli.main"]
    runs = (timed(lambda: subprocess.run(argv, check=True, env=USER_ENVIRONMENT)) for _ in range(3))
    return min(seconds for seconds, _ in runs)


# --------------------------------------------------------------------------------------------
# 4. Throughput with workers
# --------------------------------------------------------------------------------------------


def cluster_start_stop(workers: int) -> tuple[float, float]:
    """Starting a LocalCluster of ``workers`` processes and its client until every worker is
    up, then closing them: the fixed cost of each `sourcing sweep` run, measured alone."""
    started = time.perf_counter()
    with dask_client(workers, None) as client:
        client.wait_for_workers(workers)
        up = time.perf_counter() - started
        closing = time.perf_counter()
    return up, time.perf_counter() - closing


class FirstPoint:
    """Watches the journal (``points.jsonl``) for the first finished point."""

    def __init__(self, journal: Path):
        self.journal, self.seconds = journal, None
        self.started = time.perf_counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.is_set():
            if self.journal.exists() and self.journal.stat().st_size > 0:
                self.seconds = time.perf_counter() - self.started
                return
            time.sleep(0.005)

    def stop(self) -> float | None:
        self._stop.set()
        self._thread.join()
        return self.seconds


def measure_workers(label: str, sweep: Sweep, workers: int, folder: Path) -> dict:
    log(f"workers: {label} grid, {workers} worker(s): cluster start and stop alone")
    up, down = cluster_start_stop(workers)
    out = folder / f"{label}-w{workers}"  # a fresh results folder for every run
    log(f"workers: {label} grid, {workers} worker(s): run_sweep")
    watcher = FirstPoint(out / "points.jsonl")
    wall, outcome = timed(
        lambda: run_sweep(sweep, out, workers=workers, restart=True, progress=False)
    )
    first = watcher.stop()
    results = pd.read_parquet(out / "results.parquet")
    work = float(results["solve_s"].sum())
    steady = wall - up - down
    return {
        "sweep": label,
        "workers": workers,
        "points": outcome.total,
        "ran": outcome.ran,
        "failed": outcome.failed,
        "statuses": outcome.statuses,
        "wall_s": wall,
        "points_per_s": outcome.total / wall,
        "cluster_start_s": up,
        "cluster_stop_s": down,
        "first_point_s": first,
        "without_cluster_s": steady,
        "points_per_s_without_cluster": outcome.total / steady if steady > 0 else None,
        "work_s": work,
        "work_per_point_s": work / outcome.total,
        "processes": int(results["worker"].nunique()),
        "rebuilds": int((~results["warm"].fillna(True).astype(bool)).sum()),
    }


def measure_all_workers(args, folder: Path) -> list[dict]:
    grids = [("default", load_sweep(DEFAULT_SWEEP))]
    if not args.no_medium_workers:
        grids.append(("medium", load_sweep(folder / "bench-medium.toml")))
    records = []
    for label, sweep in grids:
        runs = [measure_workers(label, sweep, w, folder) for w in args.workers_list]
        one = next((r for r in runs if r["workers"] == 1), runs[0])
        for r in runs:
            r["speedup"] = one["wall_s"] / r["wall_s"]
            steady = r["without_cluster_s"]
            r["speedup_without_cluster"] = one["without_cluster_s"] / steady if steady > 0 else None
        records += runs
    return records


# --------------------------------------------------------------------------------------------
# Printing
# --------------------------------------------------------------------------------------------


def ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{1000 * seconds:.1f}"


def num(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def ratio(a: dict, b: dict, key: str = "mean_s") -> float:
    return a[key] / b[key]


MEDIUM_COLUMNS = {  # the parts of each path's time, as table columns (means, milliseconds)
    "cold": ("apply_s", "compile_s", "build_s", "highs_run_s", "read_s", "figures_s"),
    "warm": ("apply_s", None, "changes_s", "highs_run_s", "read_s", "figures_s"),
    "pyomo": ("apply_s", "compile_s", "build_s", "highs_run_s", "read_s", "figures_s"),
}


def medium_tables(m: dict) -> str:
    sums = m["summaries"]
    headers = "path,points,mean,median,min,max,apply,compile,build/changes,solve,read,figures"
    rows = []
    for name, parts in MEDIUM_COLUMNS.items():
        records = m[name]
        if not records:
            rows.append([name, "0", *["-"] * 11])
            continue
        own = sums[name]
        warm = sums["warm_on_pyomo_points" if name == "pyomo" else "warm"]
        means = [ms(statistics.fmean(r[k] for r in records)) if k else "-" for k in parts]
        stats = [ms(own[k]) for k in ("mean_s", "median_s", "min_s", "max_s")]
        rows.append([name, str(own["points"]), *stats, *means, f"{ratio(own, warm):.1f}"])
    title = (
        f"1. Medium scenario {m['size']} ({m['variables']:,} vars, {m['constraints']:,} rows, "
        f"{m['nonzeros']:,} nonzeros), the same points: time per point in milliseconds "
        "(apply..figures are means)"
    )
    lines = [table(title, [*headers.split(","), "x warm"], rows)]
    iterations = [r["iterations"] for r in m["warm"]]
    later = statistics.fmean(iterations[1:]) if len(iterations) > 1 else 0.0
    ranging = statistics.fmean(r["ranging_s"] for r in m["cold"])
    lines += [
        f"warm: the model built once in {ms(m['warm_setup_s'])} ms, not in the per-point "
        f"figures; {m['warm_rebuilds']} of {len(iterations)} solves rebuilt; simplex iterations "
        f"{iterations[0]:,} at the first point (no basis yet), then {later:,.0f} on average",
        f"cold: read includes HiGHS's cost ranging, {ms(ranging)} ms per point "
        "(highs_engine.solve always ranges; the warm path does not)",
    ]
    if m["pyomo"]:
        lines.append(
            f"pyomo: every {m['pyomo_every']}th point only (points "
            f"{', '.join(map(str, m['pyomo_points']))}); its 'x warm' is against the warm "
            f"path's mean on those points, {ms(sums['warm_on_pyomo_points']['mean_s'])} ms "
            f"(cold: {ms(sums['cold_on_pyomo_points']['mean_s'])} ms)"
        )
    cold, warm = sums["cold"], sums["warm"]
    line = (
        f"ratios per point: cold/warm {ratio(cold, warm):.1f}x (means), "
        f"{ratio(cold, warm, 'median_s'):.1f}x (medians)"
    )
    if m["pyomo"]:
        pyomo, subset = sums["pyomo"], sums["warm_on_pyomo_points"]
        line += (
            f"; pyomo/warm {ratio(pyomo, subset):.1f}x (means), "
            f"{ratio(pyomo, subset, 'median_s'):.1f}x (medians)"
        )
    return "\n".join([*lines, line]) + "\n"


def profile_table(m: dict) -> str:
    profile = dict(m["profile"])
    if "skipped" in profile:
        return f"Warm path piece by piece: skipped ({profile['skipped']})\n"
    profile["apply_point"] = {
        "mean_s": statistics.fmean(m["apply_s"]),
        "median_s": statistics.median(m["apply_s"]),
    }
    pieces = sorted(profile.items(), key=lambda item: item[1]["mean_s"], reverse=True)
    total = sum(p["mean_s"] for _, p in pieces)
    rows = [
        [name, ms(p["mean_s"]), ms(p["median_s"]), f"{100 * p['mean_s'] / total:.0f}"]
        for name, p in pieces
    ]
    rows.append(["sum", ms(total), "", "100"])
    title = (
        f"Warm path at {m['size']}, piece by piece: milliseconds per point (a second model "
        "over the same points)"
    )
    return table(title, ["piece", "mean", "median", "%"], rows)


DEFAULT_PATHS = (  # label, key, what 'x new' compares with: the new path on the same points
    ("new: MipWarm (in-process)", "new", "new"),
    ("new, whole sweep point: solve_point", "whole", "new"),
    ("old: WarmModel.solve, as before", "old", "new"),
    ("old at the scenario's gap", "old_exact", "new_on_old_exact_points"),
    ("cold: compile + solve (in-process)", "cold", "new"),
    ("sourcing solve (subprocess)", "cli", "new_on_cli_points"),
    ("sourcing solve --probe-limit 0", "cli_no_probes", "new_on_cli_points"),
)


def default_tables(d: dict, number: int) -> str:
    sums = d["summaries"]
    rows = [
        [label, str(sums[key]["points"]), ms(sums[key]["mean_s"]), ms(sums[key]["median_s"])]
        + [f"{ratio(sums[key], sums[base]):.1f}"]
        for label, key, base in DEFAULT_PATHS
        if key in sums
    ]
    kind = f"MIP, {d['decisions']} yes/no decisions" if d["mip"] else "LP"
    gap = f", mip_rel_gap {d['mip_rel_gap']:g}" if d["mip"] else ""
    title = (
        f"{number}. Default grid on {d['scenario']} ({kind}, {d['variables']:,} vars{gap}), "
        f"{d['sweep']} ({d['points']} points): time per point in milliseconds"
    )
    lines = [table(title, ["path", "points", "mean", "median", "x new"], rows)]
    statuses = pd.Series([r["status"] for r in d["new"]]).value_counts().to_dict()
    lps = statistics.fmean(r["lps"] for r in d["new"])
    lines.append(
        f"new: the model built once in {ms(d['new_setup_s'])} ms; {d['new_rebuilds']} of "
        f"{d['points']} points rebuilt it; statuses "
        + ", ".join(f"{name} {count}" for name, count in statuses.items())
        + f"; proofs: {proofs_line(d['new'])}; {lps:.1f} LPs a point on average"
    )
    if d["mip"]:
        lines.append(
            f"old: WarmModel.solve as the sweep ran it before, HiGHS's branch and cut from the "
            f"root at every point with SolveOptions(threads=1): HiGHS's default gap "
            f"{OLD_GAP:g}, not the scenario's {d['mip_rel_gap']:g}; built in "
            f"{ms(d['old_setup_s'])} ms, {d['old_rebuilds']} rebuilds"
        )
    if d["old_exact"]:
        lines.append(
            f"old at the scenario's gap: points {', '.join(map(str, d['old_exact_points']))}; "
            f"'x new' against the new path's mean on those points "
            f"({ms(sums['new_on_old_exact_points']['mean_s'])} ms)"
        )
    if d["cli"]:
        lines.append(
            f"sourcing solve: the whole command per point (points "
            f"{', '.join(str(r['point']) for r in d['cli'])}), writing each point's scenario "
            f"folder not timed; 'x new' against the new path's mean on those points "
            f"({ms(sums['new_on_cli_points']['mean_s'])} ms; whole sweep points "
            f"{ms(sums['whole_on_cli_points']['mean_s'])} ms; the old path's "
            f"{ms(sums['old_on_cli_points']['mean_s'])} ms); --probe-limit 0: the same command "
            f"without re-solving the policies' prices; Python + the CLI's imports alone take "
            f"{ms(d['imports_s'])} ms"
        )
    return "\n".join(lines) + "\n"


def proofs_section(proofs: dict, number: int) -> str:
    notes = (
        "mean, median: ms a point (the new path, figures included); LPs: LPs solved a point; "
        "solve: ms of an independent\nsolve of a point (compile + HiGHS's branch and cut + "
        "the fixed LP); agree: every point's status, and objective within the gap, as the\n"
        "independent solve's\n"
    )
    return (
        proofs_table(f"{number}. How the points were proved: the other sweeps over "
                     "the MIP default (its gap, 0)", proofs["sweeps"])
        + proofs_table("   ... and the default grid at other MIP gaps than its own",
                       proofs["gaps"])
        + notes
    )  # fmt: skip


def workers_table(runs: list[dict], number: int) -> str:
    headers = (
        "grid,workers,points,wall,points/s,speed-up,cluster up,first point,cluster down,"
        "w/o cluster,points/s,speed-up,work,ms/point,processes,rebuilds"
    )
    rows = [
        [r["sweep"], str(r["workers"]), str(r["points"]), num(r["wall_s"])]
        + [num(r["points_per_s"], 1), num(r["speedup"]) + "x", num(r["cluster_start_s"])]
        + [num(r["first_point_s"]), num(r["cluster_stop_s"]), num(r["without_cluster_s"])]
        + [num(r["points_per_s_without_cluster"], 1), num(r["speedup_without_cluster"]) + "x"]
        + [num(r["work_s"]), ms(r["work_per_point_s"]), str(r["processes"]), str(r["rebuilds"])]
        for r in runs
    ]
    title = (
        f"{number}. Throughput: run_sweep(workers=w, restart=True), a LocalCluster process per "
        "worker, HiGHS one thread each (seconds)"
    )
    notes = (
        "speed-up: 1 worker's wall time / w workers'; 'w/o cluster': wall time minus the "
        "cluster's start and stop (measured alone);\n'first point': from calling run_sweep to "
        "the first point in the journal; 'work': the points' solve_s summed over the workers, "
        "'ms/point' its mean\n(a point's time inside its worker: it grows when the workers "
        "compete for the cores)\n"
    )
    return table(title, headers.split(","), rows) + notes


def target_line(what: str, value: float, target: float, detail: str) -> str:
    verdict = "met" if value >= target else f"NOT MET (short by {target / value:.2f}x)"
    return f"  {what}: {value:.1f}x ({detail}; target >= {target:g}x): {verdict}"


def verdict(m: dict, defaults: list[dict], proofs: list[dict]) -> list[str]:
    cold, warm = m["summaries"]["cold"], m["summaries"]["warm"]
    lines = [
        "Targets:",
        target_line(
            f"warm vs cold rebuild + solve, medium {m['size']}",
            ratio(cold, warm),
            TARGET_WARM_VS_COLD,
            f"{ms(cold['mean_s'])} ms / {ms(warm['mean_s'])} ms per point",
        ),
    ]
    for d in defaults:
        if not d["cli"]:
            lines.append("  new path vs `sourcing solve`: not measured (--cli-points 0)")
            continue
        sums = d["summaries"]
        cli, whole = sums["cli"], sums["whole_on_cli_points"]
        lines.append(
            target_line(
                f"a sweep point (solve_point) vs `sourcing solve`, default grid on {d['scenario']}",
                ratio(cli, whole),
                TARGET_NEW_VS_CLI,
                f"{ms(cli['mean_s'])} ms / {ms(whole['mean_s'])} ms on the same points; "
                f"against all {d['points']} points' mean, {ms(sums['whole']['mean_s'])} ms: "
                f"{ratio(cli, sums['whole']):.1f}x; MipWarm.solve + figures alone "
                f"{ratio(cli, sums['new_on_cli_points']):.1f}x, the old path "
                f"{ratio(cli, sums['old_on_cli_points']):.1f}x",
            )
        )
        lean = sums["cli_no_probes"]
        lines.append(
            target_line(
                f"a sweep point (solve_point) vs `sourcing solve --probe-limit 0`, default grid "
                f"on {d['scenario']}",
                ratio(lean, whole),
                TARGET_NEW_VS_CLI,
                f"{ms(lean['mean_s'])} ms / {ms(whole['mean_s'])} ms on the same points; the "
                f"old path {ratio(lean, sums['old_on_cli_points']):.1f}x",
            )
        )
    warnings = m["warnings"] + [w for d in defaults for w in d["warnings"]]
    warnings += [w for result in proofs for w in result["warnings"]]
    for label, record in [("medium", m)] + [(d["scenario"], d) for d in defaults]:
        bad = record["cost_mismatch"]
        if bad["points"]:
            count = len(record["new"] if "new" in record else record["warm"])
            warnings.append(
                f"{label}: the warm path's cost figures (purchase_usd, tariff_usd, ...) differ "
                f"from the cold path's at {len(bad['points'])} of {count} points "
                f"(up to {bad['worst_relative']:.2%}) while the objectives agree: "
                "the warm path's figures do not price the plan with the point's numbers"
            )
    lines += [f"WARNING: {warning}" for warning in warnings]
    if not warnings:
        lines.append(
            f"Every path agrees with the cold path on every point's status and objective "
            f"(relative {OBJECTIVE_RTOL:g}; the old path within its gap {OLD_GAP:g}); every "
            "point of the new path is within the gap of its bound and of the cold path's."
        )
    return lines


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def warm_up() -> None:
    """Imports, a first HiGHS instance, Pyomo's plugins: untimed."""
    tiny = synthetic_scenario(2, 2, 12)
    data = compile_scenario(tiny)
    point_figures(data, he.solve(data, COLD))
    WarmModel(tiny, ONE_THREAD).solve(tiny)
    try:
        from models import pyomo_engine

        pyomo_engine.solve(data, ONE_THREAD)
    except Exception as error:
        log(f"Pyomo warm-up failed ({type(error).__name__}: {error})")


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add = parser.add_argument
    add("--points", type=int, default=40, help="points of the medium grid (default 40)")
    add("--pyomo-every", type=int, default=5, help="Pyomo on every Nth medium point; 0: none")
    add("--default-points", type=int, default=0, help="points of the default grid; 0: all")
    add("--cli-points", type=int, default=5, help="`sourcing solve` runs on the default grid")
    add("--old-exact-every", type=int, default=10, help="old path at the scenario's gap: every Nth")
    add("--no-proofs", action="store_true", help="skip the proofs of the other sweeps and gaps")
    add("--workers-list", type=lambda text: [int(w) for w in text.split(",")], default=[1, 2])
    add("--no-medium-workers", action="store_true", help="throughput on the default grid only")
    add("--no-workers", action="store_true", help="skip the throughput runs")
    add("--no-lp-default", action="store_true", help="skip the default grid on the LP copy")
    add("--out", type=Path, default=OUT, help=f"figures as JSON (default {OUT})")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = arguments(argv)
    started = time.perf_counter()
    info = machine() | {name: version(name) for name in ("pyomo", "dask", "distributed")}
    log("warming up (imports, first HiGHS instance, Pyomo)")
    warm_up()
    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as temporary:
        folder = Path(temporary)
        medium = measure_medium(args, folder)
        defaults = [measure_default(args, folder, DEFAULT_SWEEP)]
        if not args.no_lp_default:
            defaults.append(measure_default(args, folder, lp_default_sweep(folder)))
        loads = [round(os.getloadavg()[0], 2)]
        proofs = {"sweeps": [], "gaps": []}
        if not args.no_proofs:
            proofs["sweeps"] = measure_other_sweeps(args.default_points)
            proofs["gaps"] = measure_other_gaps(load_sweep(DEFAULT_SWEEP), args.default_points)
            loads.append(round(os.getloadavg()[0], 2))
        workers = [] if args.no_workers else measure_all_workers(args, folder)
    load_after = round(os.getloadavg()[0], 2)
    blas = ", ".join(f"{name}={os.environ[name]}" for name in BLAS_THREADS)

    print(f"bench_sweep  {datetime.date.today()}  {info['cpus']} cores  {info['cpu']}")
    print(f"Python {info['python']}, HiGHS {info['highs']}, Pyomo {info['pyomo']}, ", end="")
    print(f"Dask {info['dask']}, {info['platform']}")
    during = ", ".join(map(str, loads))
    print(f"load average (1 min): {info['load_average_1min']} before, {during} after the per-point "
          f"parts, {load_after} after; {blas}\n")  # fmt: skip
    print(medium_tables(medium))
    print(profile_table(medium))
    for number, default in enumerate(defaults, start=2):
        print(default_tables(default, number))
    number = 2 + len(defaults)
    if proofs["sweeps"]:
        print(proofs_section(proofs, number))
        number += 1
    if workers:
        print(workers_table(workers, number))
    print("\n".join(verdict(medium, defaults, proofs["sweeps"] + proofs["gaps"])))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    record = {"date": str(datetime.date.today()), "machine": info, "load_average_after": load_after,
              "loads": loads, "arguments": vars(args), "medium": medium, "defaults": defaults,
              "proofs": proofs, "workers": workers,
              "seconds": time.perf_counter() - started}  # fmt: skip
    args.out.write_text(json.dumps(record, indent=2, default=str) + "\n")
    print(f"\nFigures written to {args.out} ({time.perf_counter() - started:.0f} s in all)")


if __name__ == "__main__":
    main()
