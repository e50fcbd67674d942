"""A solve against disruption scenarios by progressive hedging (``sourcing solve --method ph``):
mpi-sppy's PH over the two-stage form (``models.risk_ph``), then every scenario's plan with
the first stage PH kept (``models.risk_ph_eval``), and the same tables as the extensive form
(``optimizer.results.risk_results``).

Every MPI rank runs this; rank 0 builds the tables and its result is the one to report. The
other ranks return a result without a plan, with rank 0's status. ``summary.json``'s ``risk``
block gains ``method`` and ``ph`` (iterations, convergence, bounds, gap, ranks, cylinders).

The status is ``optimal`` when the plan's objective is within ``rel_gap`` of a lower bound (the
trivial bound, or the Lagrangian one from PH's final weights); else ``limit``: a plan, not shown
optimal, whether PH converged or stopped at its iteration or time limit.
"""

from __future__ import annotations

import time

import numpy as np

from models.data import ModelData
from models.risk import BASE, RiskTree
from models.risk_ph import PHSettings, abort_others, world
from models.risk_ph_eval import solve_ph
from models.solution import ModelSize, SolveOptions, Status
from optimizer.inputs.scenario import Scenario
from optimizer.results.result import Result
from optimizer.results.risk_results import risk_tables

METHOD = "progressive hedging (two-stage)"


def ph_result(
    scenario: Scenario, data: ModelData, options: SolveOptions, settings: PHSettings | None = None
) -> Result:
    started = time.perf_counter()
    settings = settings or PHSettings()
    try:
        run = solve_ph(scenario, data, options, settings)
    except Exception as error:  # on one rank: the others would wait for it in MPI for ever
        abort_others(error)
        raise
    outcome, tree, t0, plans, gap = run.outcome, run.tree, run.t0, run.plans, run.gap
    rank, ranks = world()
    solver = _solver_words(ranks)
    if plans is None:  # a worker rank: rank 0 reports
        status = _shared_status(None)
        return Result(scenario, status, f"PH worker rank {rank} of {ranks}", "pyomo", solver,
                      "", ModelSize(0, 0, 0))  # fmt: skip
    status, words = run.status(settings.rel_gap)
    _shared_status(status)
    one = plans.size or ModelSize(0, 0, 0)  # every scenario's subproblem, added up
    size = ModelSize(*(n * tree.size for n in (one.variables, one.constraints, one.nonzeros)))
    result = Result(scenario, status, words, "pyomo", solver, "", size,
                    objective_usd=plans.objective)  # fmt: skip
    result.timings = {"ph_s": outcome.seconds, "solve_s": outcome.seconds,
                      "plans_s": run.evaluate_seconds}  # fmt: skip
    if not plans.has_plan:
        return result
    risk_tables(result, plans)
    _two_stage_paths(result, tree, t0, data.months)
    result.risk_summary["method"] = METHOD
    result.risk_summary["first_stage_until"] = data.months[t0] if t0 < len(data.months) else None
    result.risk_summary["ph"] = {
        "iterations": outcome.iterations,
        "convergence": outcome.convergence,
        "converged": outcome.converged,
        "tolerance": settings.tolerance,
        "rel_gap": settings.rel_gap,
        "rho": settings.rho,
        "first_stage_from": run.source,
        "xhat_spoke_bound_usd": _rounded(outcome.inner_bound),
        "outer_bound_usd": _rounded(run.outer_bound),
        "trivial_bound_usd": _rounded(outcome.outer_bound),
        "lagrangian_bound_usd": _rounded(run.lagrangian),
        "gap": None if gap is None else round(gap, 9),
        "ranks": outcome.ranks,
        "cylinders": outcome.cylinders,
        "seconds": round(outcome.seconds, 3),
    }
    result.timings["total_s"] = time.perf_counter() - started
    return result


def _two_stage_paths(result: Result, tree: RiskTree, t0: int, months: list[str]) -> None:
    """The two-stage form shares decisions until ``t0`` only: each scenario's rows are its own
    from ``t0`` on (``onset_month`` in risk.csv, which ``plan.csv`` is written by), and the
    re-check of the tree gets the paths of that form: the events, plus a marker per scenario
    from ``t0`` on (``ceil(log2(S + 1))`` flags, so no two scenarios share a node after it)."""
    if t0 >= len(months):
        return
    names = result.risk["scenario"].astype(str)
    result.risk["onset_month"] = np.where(names == BASE, None, months[t0])
    bits = max(int(np.ceil(np.log2(tree.size + 1))), 1)
    code = (np.arange(1, tree.size + 1)[:, None] >> np.arange(bits)[None, :]) & 1  # (S, bits)
    marker = np.zeros((tree.size, bits, len(months)), dtype=bool)
    marker[:, :, t0:] = code[:, :, None].astype(bool)
    result.risk_tree = RiskTree(
        tree.names, tree.probability, [*tree.events, *(f"two-stage-{b}" for b in range(bits))],
        np.concatenate([tree.active, marker], axis=1), tree.history,
    )  # fmt: skip


def _solver_words(ranks: int) -> str:
    from importlib.metadata import version

    return f"mpi-sppy {version('mpi-sppy')} PH, HiGHS via Pyomo, {ranks} rank{'s' * (ranks > 1)}"


def _shared_status(status: Status | None) -> Status:
    """Rank 0's status, on every rank."""
    from mpi4py import MPI

    return Status(MPI.COMM_WORLD.bcast(None if status is None else status.value, root=0))


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(float(value), 2)


def ph_lines(risk: dict) -> list[str]:
    """The summary's lines on a PH solve (none for the extensive form)."""
    ph = risk.get("ph")
    if not ph:
        return []
    until = risk.get("first_stage_until")
    gap = "no outer bound" if ph["gap"] is None else f"gap {ph['gap']:.3%}"
    bound = ph["outer_bound_usd"]
    convergence = "-" if ph["convergence"] is None else f"{ph['convergence']:.2g}"
    return [
        f"  solved by progressive hedging over the two-stage form (first stage: the yes/no "
        f"decisions{f' and every decision before {until}' if until else ''}): "
        f"{ph['iterations']} iterations, convergence {convergence} (tolerance "
        f"{ph['tolerance']:g}), {gap}"
        + ("" if bound is None else f" to the outer bound USD {bound:,.0f}")
        + f"; {ph['ranks']} MPI rank{'s' * (ph['ranks'] > 1)} ({', '.join(ph['cylinders'])}); "
        f"first stage from the {ph['first_stage_from']}",
    ]
