"""Sweep points of a MIP proved from earlier points (``models.mip_warm.MipWarm``), for
``bench_sweep.py``: one point as a sweep worker runs it, the count of each way a point was
proved, and how often each way is used on the other sweeps of ``inputs/sweeps`` and at other
MIP gaps. Every point is checked against an independent solve of it (compile, HiGHS's branch
and cut at the same gap: ``highs_engine.solve``), as `sourcing solve` solves it.
"""

from __future__ import annotations

import statistics
from collections import Counter
from pathlib import Path

import numpy as np
from bench_engines import log, table, timed  # the same folder: shared helpers

from models import highs_engine as he
from models.branching import allowed_gap, rel_gap_of
from models.data import compile_scenario
from models.mip_warm import PROOFS, MipWarm
from models.solution import SolveOptions
from optimizer.common.strings import python_strings
from optimizer.sweep.point_metrics import COST_COLUMNS, point_figures
from optimizer.sweep.points import apply_point
from optimizer.sweep.run import point_model, solve_point
from optimizer.sweep.spec import Sweep, load_sweep

ROOT = Path(__file__).resolve().parent.parent
OTHER_SWEEPS = ("lhs.toml", "partnership.toml", "tornado.toml")  # over the MIP default
OTHER_GAPS = (1e-4, 1e-3)  # the default grid again, at these gaps (its own is 0)
RTOL = 1e-6  # objectives of two exact solves agree to this, relative


def exact_options(sweep: Sweep) -> SolveOptions:
    """What a sweep worker solves with (``optimizer.sweep.run.point_model``) and `sourcing
    solve` too: the base scenario's ``[solver] mip_rel_gap``, one thread."""
    return SolveOptions(threads=1, mip_rel_gap=sweep.scenario.settings.mip_rel_gap)


def new_point(model: MipWarm, scenario) -> dict:
    """``MipWarm.solve`` and the figures, as a sweep worker runs them (``solve_point``)."""
    solve_s, proved = timed(lambda: model.solve(scenario))
    solution = proved.solution
    figures_s, row = timed(lambda: point_figures(model.point, solution))
    return {
        "changes_s": solution.build_seconds,  # the point's numbers + pushing what differs
        "highs_run_s": solution.solve_seconds,  # every LP of the proof, read included
        "figures_s": figures_s,
        "path_s": solve_s + figures_s,
        "warm": proved.warm,
        "proof": proved.proof,
        "lps": proved.lps,
        "bound": proved.bound,
        "status": str(solution.status),
        "objective": solution.objective,
        "costs": {key: row.get(key) for key in COST_COLUMNS},
    }


def whole_points(sweep: Sweep, records: list[dict]) -> list[dict]:
    """``optimizer.sweep.run.solve_point`` on each point in turn, on the model a worker keeps
    (``point_model``): all of a sweep point's work in its worker (applying the point, checking
    its inputs, the solve, the figures, its row; a diagnosis where infeasible), under
    ``python_strings`` as ``solve_chunk`` runs it."""
    model = point_model(sweep)
    runs = []
    for record in records:
        with python_strings():  # as solve_chunk runs them
            seconds, row = timed(lambda r=record: solve_point(sweep, model, r))
        runs.append({"total_s": seconds, "status": row["status"],
                     "objective": row.get("objective_usd"), "proof": row.get("proof"),
                     "bound": row.get("bound_usd")})  # fmt: skip
    return runs


def independent(scenario, options: SolveOptions) -> dict:
    """The point solved on its own: compile, build, HiGHS's branch and cut, the fixed LP."""
    seconds, solution = timed(lambda: he.solve(compile_scenario(scenario), options))
    return {"status": str(solution.status), "objective": solution.objective,
            "bound": solution.best_bound, "seconds": seconds}  # fmt: skip


def proof_warnings(label: str, ids, reference: list[dict], new: list[dict], rel_gap: float):
    """A point whose status differs from its independent solve's, whose plan is not within the
    gap of its own bound, or whose bound and the independent solve's do not overlap (both
    optima must lie within the gap of both bounds)."""
    warnings = []
    for point, ref, run in zip(ids, reference, new, strict=True):
        if run["status"] != ref["status"]:
            warnings.append(f"{label} point {point}: new {run['status']}, solve {ref['status']}")
            continue
        if run["status"] != "optimal":
            continue
        objective, slack = run["objective"], RTOL * max(1.0, abs(ref["objective"]))
        bound = run["bound"] if run["bound"] is not None else objective  # an LP: its optimum
        other = ref["bound"] if ref["bound"] is not None else ref["objective"]
        if objective - bound > allowed_gap(objective, rel_gap):
            warnings.append(f"{label} point {point}: {objective!r} is not within the gap of "
                            f"its bound {bound!r}")  # fmt: skip
        if bound > ref["objective"] + slack or other > objective + slack:
            warnings.append(f"{label} point {point}: new {objective!r} (bound {bound!r}), "
                            f"solve {ref['objective']!r} (bound {other!r})")  # fmt: skip
    return warnings


def proofs_line(records: list[dict]) -> str:
    counts = Counter(r["proof"] for r in records)
    return ", ".join(f"{proof} {counts[proof]}" for proof in PROOFS if counts[proof])


def points_of(sweep: Sweep, count: int = 0) -> tuple[list[int], list]:
    """The sweep's points (``count`` of them spread over it; all when 0) and their scenarios."""
    points = sweep.points()
    if 0 < count < len(points):
        points = points.iloc[np.linspace(0, len(points) - 1, count).round().astype(int)]
    records = points.to_dict("records")
    scenarios = [
        apply_point(sweep.scenario, sweep.parameters, {p.name: r[p.name] for p in sweep.parameters})
        for r in records
    ]
    return [int(r["point"]) for r in records], scenarios


def run_new(sweep: Sweep, scenarios: list, options: SolveOptions) -> tuple[list[dict], MipWarm]:
    model = MipWarm(sweep.scenario, options)
    return [new_point(model, scenario) for scenario in scenarios], model


def measure_other_sweeps(count: int = 0, folder: Path = ROOT / "inputs" / "sweeps") -> list[dict]:
    """Each other sweep over the MIP default (``count`` points of each; all when 0): the new path
    point after point (one model, as one worker), each point checked against its independent
    solve."""
    results = []
    for name in OTHER_SWEEPS:
        sweep = load_sweep(folder / name)
        ids, scenarios = points_of(sweep, count)
        options = exact_options(sweep)
        log(f"proofs: {name}, {len(ids)} points")
        new, model = run_new(sweep, scenarios, options)
        reference = [independent(scenario, options) for scenario in scenarios]
        results.append(summarise(name, ids, new, reference, options, model.rebuilds))
    return results


def measure_other_gaps(sweep: Sweep, count: int = 0) -> list[dict]:
    """The default grid at other MIP gaps than its own: where the earlier decisions prove."""
    ids, scenarios = points_of(sweep, count)
    results = []
    for gap in OTHER_GAPS:
        options = SolveOptions(threads=1, mip_rel_gap=gap)
        log(f"proofs: the default grid at a gap of {gap:g}")
        new, model = run_new(sweep, scenarios, options)
        reference = [independent(scenario, options) for scenario in scenarios]
        results.append(summarise(f"gap {gap:g}", ids, new, reference, options, model.rebuilds))
    return results


def summarise(label, ids, new, reference, options, rebuilds) -> dict:
    times = [r["path_s"] for r in new]
    return {
        "label": label,
        "points": len(ids),
        "rebuilds": rebuilds,
        "mean_s": statistics.fmean(times),
        "median_s": statistics.median(times),
        "lps": statistics.fmean(r["lps"] for r in new),
        "solve_mean_s": statistics.fmean(r["seconds"] for r in reference),
        "proofs": dict(Counter(r["proof"] for r in new)),
        "statuses": dict(Counter(r["status"] for r in new)),
        "warnings": proof_warnings(label, ids, reference, new, rel_gap_of(options)),
    }


def proofs_table(title: str, results: list[dict]) -> str:
    rows = [
        [r["label"], str(r["points"]), str(r["rebuilds"]), f"{1000 * r['mean_s']:.1f}",
         f"{1000 * r['median_s']:.1f}", f"{r['lps']:.1f}", f"{1000 * r['solve_mean_s']:.1f}",
         ", ".join(f"{p} {r['proofs'][p]}" for p in PROOFS if r["proofs"].get(p)),
         "yes" if not r["warnings"] else f"NO ({len(r['warnings'])})"]
        for r in results
    ]  # fmt: skip
    headers = ["sweep", "points", "rebuilds", "mean", "median", "LPs", "solve", "proofs",
               "agree"]  # fmt: skip
    return table(title, headers, rows)
