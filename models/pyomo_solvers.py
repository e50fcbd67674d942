"""Running a Pyomo model with any solver Pyomo knows: its newer solver interface where the
name is registered there, ``pyo.SolverFactory`` otherwise; statuses mapped to ours, values and
(for an LP at its optimum) duals and reduced costs loaded into the model."""

from __future__ import annotations

import io
import logging
import math
from contextlib import suppress
from typing import Any, NamedTuple

import pyomo.environ as pyo
from pyomo.common.collections import ComponentMap
from pyomo.common.log import LoggingIntercept
from pyomo.contrib.solver.common.factory import SolverFactory as SolverFactoryV2
from pyomo.contrib.solver.common.results import SolutionStatus as SolutionStatusV2
from pyomo.contrib.solver.common.results import TerminationCondition as TerminationV2
from pyomo.contrib.solver.common.util import NoDualsError, NoReducedCostsError
from pyomo.opt import SolutionStatus as LegacySolutionStatus
from pyomo.opt import TerminationCondition as LegacyTermination
from pyomo.repn.standard_repn import generate_standard_repn

from models.solution import (
    SolveOptions,
    Status,
)

_V2_STATUS = {
    TerminationV2.convergenceCriteriaSatisfied: Status.OPTIMAL,
    TerminationV2.provenInfeasible: Status.INFEASIBLE,
    TerminationV2.locallyInfeasible: Status.INFEASIBLE,
    # HiGHS is first run again without presolve, which tells which (as in the fast engine);
    # for other solvers, or if it still cannot tell, read as infeasible.
    TerminationV2.infeasibleOrUnbounded: Status.INFEASIBLE,
    TerminationV2.unbounded: Status.UNBOUNDED,
    TerminationV2.maxTimeLimit: Status.LIMIT,
    TerminationV2.iterationLimit: Status.LIMIT,
    TerminationV2.objectiveLimit: Status.LIMIT,
    TerminationV2.minStepLength: Status.LIMIT,
    TerminationV2.interrupted: Status.LIMIT,
}


_LEGACY_STATUS = {
    LegacyTermination.optimal: Status.OPTIMAL,
    LegacyTermination.globallyOptimal: Status.OPTIMAL,
    LegacyTermination.locallyOptimal: Status.OPTIMAL,
    LegacyTermination.infeasible: Status.INFEASIBLE,
    LegacyTermination.infeasibleOrUnbounded: Status.INFEASIBLE,  # as above
    LegacyTermination.unbounded: Status.UNBOUNDED,
    LegacyTermination.maxTimeLimit: Status.LIMIT,
    LegacyTermination.maxIterations: Status.LIMIT,
    LegacyTermination.maxEvaluations: Status.LIMIT,
    LegacyTermination.minFunctionValue: Status.LIMIT,
    LegacyTermination.minStepLength: Status.LIMIT,
    LegacyTermination.userInterrupt: Status.LIMIT,
    LegacyTermination.resourceInterrupt: Status.LIMIT,
    LegacyTermination.feasible: Status.LIMIT,  # stopped with a feasible, unproven point
}


_LEGACY_FEASIBLE = {
    LegacySolutionStatus.optimal,
    LegacySolutionStatus.globallyOptimal,
    LegacySolutionStatus.locallyOptimal,
    LegacySolutionStatus.feasible,
    LegacySolutionStatus.bestSoFar,
}


# Thread-count and relative MIP gap option names of legacy solver plugins that have one.
_THREADS_OPTION = {
    "appsi_highs": "threads",
    "cbc": "threads",
    "cplex": "threads",
    "cplex_direct": "threads",
    "gurobi": "Threads",
    "gurobi_direct": "Threads",
    "gurobi_persistent": "Threads",
    "xpress": "threads",
}


_GAP_OPTION = {
    "appsi_highs": "mip_rel_gap",
    "cbc": "ratioGap",
    "glpk": "mipgap",
    "cplex": "mip_tolerances_mipgap",
    "gurobi": "MIPGap",
    "gurobi_direct": "MIPGap",
    "gurobi_persistent": "MIPGap",
}


HIGHS_NAMES = {"highs", "appsi_highs"}


class SolverRun(NamedTuple):
    """How one solver run ended: our status, the solver's words, whether a plan was loaded into
    the model, the solver's version, and its best plan's objective and bound (when it says)."""

    status: Status
    words: str
    loaded: bool
    version: str
    incumbent: float | None = None
    bound: float | None = None


def run_solver(
    model, solver: str, options: SolveOptions, mip: bool, presolve: bool = True
) -> SolverRun:
    if solver in SolverFactoryV2:
        return _run_v2(model, solver, options, mip, presolve)
    return _run_legacy(model, solver, options, mip, presolve)


def _highs_options(
    solver: str, options: SolveOptions, mip: bool, presolve: bool = True
) -> dict[str, Any]:
    """HiGHS's own options for our settings (other solvers get none); a MIP lets HiGHS choose."""
    if solver not in HIGHS_NAMES:
        return {}
    settings: dict[str, Any] = {"random_seed": 0}
    if not presolve:
        settings["presolve"] = "off"
    if options.algorithm in ("simplex", "ipm") and not mip:
        settings["solver"] = options.algorithm
    if options.algorithm == "ipm" and not mip:
        settings["run_crossover"] = "on"
    return settings


def _run_v2(model, solver: str, options: SolveOptions, mip: bool, presolve: bool) -> SolverRun:
    """Solve with Pyomo's newer solver interface; load values, and for an LP at its optimum
    duals and reduced costs."""
    opt = SolverFactoryV2(solver)
    if not opt.available():
        raise RuntimeError(f"Pyomo solver {solver!r} is not available")
    extra = {} if options.mip_rel_gap is None or not mip else {"rel_gap": options.mip_rel_gap}
    results = opt.solve(
        model,
        tee=options.verbose,
        load_solutions=False,
        raise_exception_on_nonoptimal_result=False,
        time_limit=options.time_limit_s,
        threads=options.threads,
        solver_options=_highs_options(solver, options, mip, presolve),
        **extra,
    )
    condition = results.termination_condition
    status = _V2_STATUS.get(condition, Status.ERROR)
    feasible = results.solution_status in (SolutionStatusV2.feasible, SolutionStatusV2.optimal)
    loaded = feasible and status in (Status.OPTIMAL, Status.LIMIT)
    model.dual.clear()
    model.rc.clear()
    if loaded:
        results.solution_loader.load_vars()
    if loaded and status == Status.OPTIMAL and not mip:
        with suppress(NoDualsError, NotImplementedError):
            model.dual.update(results.solution_loader.get_duals())
        with suppress(NoReducedCostsError, NotImplementedError):
            model.rc.update(results.solution_loader.get_reduced_costs())
    return SolverRun(
        status,
        condition.name,
        loaded,
        _version(opt),
        _finite(results.incumbent_objective),
        _finite(results.objective_bound),
    )


def _run_legacy(model, solver: str, options: SolveOptions, mip: bool, presolve: bool) -> SolverRun:
    """Solve with a solver of ``pyo.SolverFactory``; load values, and for an LP whatever
    suffixes come (a MIP is solved without asking for duals)."""
    # Pyomo logs a traceback for names it cannot run: keep it for the error message instead.
    with LoggingIntercept(io.StringIO(), "pyomo", logging.WARNING) as log:
        opt = pyo.SolverFactory(solver)
        available = opt is not None and opt.available(exception_flag=False)
    if not available:
        reason = " ".join(log.getvalue().split("Traceback")[0].split())
        raise RuntimeError(f"Pyomo solver {solver!r} is not available. {reason}".strip())
    for key, value in _highs_options(solver, options, mip, presolve).items():
        opt.options[key] = value
    if options.threads is not None and solver in _THREADS_OPTION:
        opt.options[_THREADS_OPTION[solver]] = int(options.threads)
    if mip and options.mip_rel_gap is not None and solver in _GAP_OPTION:
        opt.options[_GAP_OPTION[solver]] = float(options.mip_rel_gap)
    extra = {} if options.time_limit_s is None else {"timelimit": float(options.time_limit_s)}
    model.dual.clear()
    model.rc.clear()
    # A MIP has no duals to import: asking for them makes some plugins fail.
    direction = pyo.Suffix.LOCAL if mip else pyo.Suffix.IMPORT
    model.dual.direction = model.rc.direction = direction
    try:
        results = opt.solve(model, tee=options.verbose, load_solutions=False, **extra)
    finally:
        model.dual.direction = model.rc.direction = pyo.Suffix.IMPORT
    condition = results.solver.termination_condition
    status = _LEGACY_STATUS.get(condition, Status.ERROR)
    feasible = len(results.solution) > 0 and results.solution(0).status in _LEGACY_FEASIBLE
    loaded = feasible and status in (Status.OPTIMAL, Status.LIMIT)
    if loaded:
        model.solutions.load_from(results)
        loaded = any(var.value is not None for var in model.component_data_objects(pyo.Var))
    if loaded and status == Status.OPTIMAL and len(model.dual) and not len(model.rc):
        model.rc.update(reduced_costs_from_duals(model))
    if mip or not (loaded and status == Status.OPTIMAL):
        model.dual.clear()
        model.rc.clear()
    incumbent = bound = None
    with suppress(AttributeError, IndexError, TypeError, ValueError):
        low, high = results.problem[0].lower_bound, results.problem[0].upper_bound
        incumbent, bound = _finite(high), _finite(low)
    return SolverRun(status, str(condition.value), loaded, _version(opt), incumbent, bound)


def _finite(value) -> float | None:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _version(opt) -> str:
    try:
        version = opt.version()
    except Exception:  # some plugins need the executable to tell
        return ""
    return ".".join(str(part) for part in version) if version else ""


def reduced_costs_from_duals(model: pyo.ConcreteModel) -> ComponentMap:
    """cost[j] - sum_i a[i,j] * dual[i], for solvers that report duals but no reduced costs
    (and for Pyomo's legacy wrappers, which drop them)."""
    reduced = ComponentMap()
    objective = generate_standard_repn(model.cost.expr, quadratic=False)
    for var, coef in zip(objective.linear_vars, objective.linear_coefs, strict=True):
        reduced[var] = reduced.get(var, 0.0) + coef
    for row, dual in model.dual.items():
        repn = generate_standard_repn(row.body, quadratic=False)
        for var, coef in zip(repn.linear_vars, repn.linear_coefs, strict=True):
            reduced[var] = reduced.get(var, 0.0) - coef * dual
    return reduced
