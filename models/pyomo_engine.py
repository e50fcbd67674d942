"""The Pyomo engine: the LP of ``docs/formulation.md`` written algebraically, one Pyomo component
per set, parameter, variable family and constraint family.

It is the independent second formulation of the fast engine (:mod:`models.highs_engine`):
both read the same :class:`~models.data.ModelData` and return the same
:class:`~models.solution.Solution`, so the tests can check that they agree. It is slower to
build, but reads like the maths and can hand the model to any LP solver Pyomo knows.

Indices are the scenario's own labels: material ``m``, supplier ``s``, country ``c``, month
``t`` (``"2026-01"``), cap window ``w`` (``"2026"``). Duals are read off the constraints exactly
as they are written below: every constraint is written so that Pyomo's dual is already
d(objective)/d(right-hand side) in the fast engine's sign convention, and nothing is flipped.
"""

from __future__ import annotations

import io
import logging
import time
from contextlib import suppress
from typing import Any

import numpy as np
import pandas as pd
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
from pyomo.version import version as pyomo_version

from . import families as fam
from .data import ModelData
from .solution import ModelSize, Solution, SolveOptions, Status

# The constraint components of ``build`` and the families they implement.
FAMILY_OF_CONSTRAINT = {
    "stock_balance": fam.STOCK_BALANCE,
    "stockpile_floor": fam.STOCKPILE_FLOOR,
    "window_total": fam.WINDOW_TOTAL,
    "country_share_cap": fam.COUNTRY_SHARE_CAP,
}
# The variables whose upper bounds are the bound families.
FAMILY_OF_UPPER_BOUND = {"arrive": fam.OFFER_CAPACITY, "stock": fam.STORAGE_CAPACITY}


# --------------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------------


def build(data: ModelData) -> pyo.ConcreteModel:
    """The LP as a Pyomo model: sets, parameters, variables, constraints, objective."""
    model = pyo.ConcreteModel(name=data.name)
    declare_sets(model, data)
    declare_parameters(model, data)
    declare_variables(model)
    declare_constraints(model)
    model.cost = pyo.Objective(rule=total_cost_rule, sense=pyo.minimize)
    return model


def declare_sets(model: pyo.ConcreteModel, data: ModelData) -> None:
    """Materials, months and windows, and the sparse index sets of the variables and rows."""
    model.MATERIALS = pyo.Set(initialize=data.materials, ordered=True)
    model.MONTHS = pyo.Set(initialize=data.months, ordered=True)
    model.WINDOWS = pyo.Set(initialize=data.windows, ordered=True)
    # (m, s, t): supplier s can land material m in month t (one per arrive variable).
    model.OFFERS = pyo.Set(dimen=3, initialize=_keys(data.arrive, "material", "supplier", "month"))
    # (m, t): months in which material m may fall short (materials with a penalty).
    model.SHORT_CELLS = pyo.Set(dimen=2, initialize=_keys(data.shortfall, "material", "month"))
    # (m, t): months with a stockpile floor.
    model.FLOOR_CELLS = pyo.Set(dimen=2, initialize=_keys(data.floors, "material", "month"))
    # (m, w): capped windows of a material, each with a window-total variable.
    model.CAPPED_WINDOWS = pyo.Set(dimen=2, initialize=_keys(data.totals, "material", "window"))
    # (m, c, w): a country's share cap on a material in a window.
    model.CAPS = pyo.Set(dimen=3, initialize=_keys(data.caps, "material", "country", "window"))

    # Which arrivals each row sums: suppliers landing (m, t); arrivals (s, t) in a window, and
    # those of one country in a window.
    window = dict(zip(data.months, (data.windows[w] for w in data.window_of_month), strict=True))
    suppliers_of: dict[tuple, list] = {cell: [] for cell in model.MATERIALS * model.MONTHS}
    in_window: dict[tuple, list] = {key: [] for key in model.CAPPED_WINDOWS}
    from_country: dict[tuple, list] = {key: [] for key in model.CAPS}
    for m, s, t, c in data.arrive[["material", "supplier", "month", "country"]].itertuples(
        index=False
    ):
        suppliers_of[m, t].append(s)
        if (m, window[t]) in in_window:
            in_window[m, window[t]].append((s, t))
        if (m, c, window[t]) in from_country:
            from_country[m, c, window[t]].append((s, t))
    model.SUPPLIERS_OF = pyo.Set(model.MATERIALS, model.MONTHS, initialize=suppliers_of)
    model.ARRIVALS_IN = pyo.Set(model.CAPPED_WINDOWS, dimen=2, initialize=in_window)
    model.ARRIVALS_FROM = pyo.Set(model.CAPS, dimen=2, initialize=from_country)


def declare_parameters(model: pyo.ConcreteModel, data: ModelData) -> None:
    """Costs, demand, floors, shares and capacities (``inf``: unlimited)."""
    arrive, stock = data.arrive, data.stock
    offers = _keys(arrive, "material", "supplier", "month")
    cells = _keys(stock, "material", "month")
    model.landed_cost = pyo.Param(model.OFFERS, initialize=_by(offers, arrive["landed_usd_per_t"]))
    model.offer_capacity = pyo.Param(
        model.OFFERS, initialize=_by(offers, arrive["capacity_t_per_month"])
    )
    model.initial_stock = pyo.Param(
        model.MATERIALS, initialize=_by(data.materials, data.initial_stock_t)
    )
    model.demand = pyo.Param(
        model.MATERIALS, model.MONTHS, initialize=_by(cells, stock["demand_t"])
    )
    model.holding_cost = pyo.Param(
        model.MATERIALS, model.MONTHS, initialize=_by(cells, stock["holding_cost_usd_per_t_month"])
    )
    model.storage_capacity = pyo.Param(
        model.MATERIALS, model.MONTHS, initialize=_by(cells, stock["storage_capacity_t"])
    )
    model.shortfall_penalty = pyo.Param(
        model.SHORT_CELLS,
        initialize=_by(
            _keys(data.shortfall, "material", "month"),
            data.shortfall["shortfall_penalty_usd_per_t"],
        ),
    )
    model.floor = pyo.Param(
        model.FLOOR_CELLS,
        initialize=_by(_keys(data.floors, "material", "month"), data.floors["floor_t"]),
    )
    model.max_share = pyo.Param(
        model.CAPS,
        initialize=_by(_keys(data.caps, "material", "country", "window"), data.caps["max_share"]),
    )


def declare_variables(model: pyo.ConcreteModel) -> None:
    """0 <= arrive <= offer capacity, 0 <= stock <= storage capacity, shortfall >= 0,
    total >= 0. Pyomo reads an infinite capacity as no upper bound."""
    model.arrive = pyo.Var(
        model.OFFERS, bounds=lambda mdl, m, s, t: (0, mdl.offer_capacity[m, s, t])
    )
    model.stock = pyo.Var(
        model.MATERIALS, model.MONTHS, bounds=lambda mdl, m, t: (0, mdl.storage_capacity[m, t])
    )
    model.shortfall = pyo.Var(model.SHORT_CELLS, within=pyo.NonNegativeReals)
    model.total = pyo.Var(model.CAPPED_WINDOWS, within=pyo.NonNegativeReals)


def declare_constraints(model: pyo.ConcreteModel) -> None:
    """One component per constraint family (see ``FAMILY_OF_CONSTRAINT``)."""
    model.stock_balance = pyo.Constraint(model.MATERIALS, model.MONTHS, rule=stock_balance_rule)
    model.stockpile_floor = pyo.Constraint(model.FLOOR_CELLS, rule=stockpile_floor_rule)
    model.window_total = pyo.Constraint(model.CAPPED_WINDOWS, rule=window_total_rule)
    model.country_share_cap = pyo.Constraint(model.CAPS, rule=country_share_cap_rule)


def stock_balance_rule(model, m, t):
    """stock[m,t] = stock[m,t-1] + sum_s arrive[m,s,t] + shortfall[m,t] - demand[m,t],
    with stock[m,-1] = initial_stock[m].

    Written with stock[m,t] on the left, Pyomo hands the solver the row
    stock[m,t] - stock[m,t-1] - sum_s arrive[m,s,t] - shortfall[m,t] = -demand[m,t]
    (+ initial_stock[m] in the first month), the fast engine's row, so its dual is
    d(objective)/d(-demand): minus the marginal cost of a tonne of demand.
    """
    months = model.MONTHS
    before = model.initial_stock[m] if t == months.first() else model.stock[m, months.prev(t)]
    arrivals = sum(model.arrive[m, s, t] for s in model.SUPPLIERS_OF[m, t])
    unmet = model.shortfall[m, t] if (m, t) in model.SHORT_CELLS else 0
    return model.stock[m, t] == before + arrivals + unmet - model.demand[m, t]


def stockpile_floor_rule(model, m, t):
    """stock[m,t] >= floor[m,t] (cover months x demand). A binding floor has a dual >= 0."""
    return model.stock[m, t] >= model.floor[m, t]


def window_total_rule(model, m, w):
    """total[m,w] = sum_{s, t in w} arrive[m,s,t]."""
    return model.total[m, w] == sum(model.arrive[m, s, t] for s, t in model.ARRIVALS_IN[m, w])


def country_share_cap_rule(model, m, c, w):
    """sum_{s in c, t in w} arrive[m,s,t] <= max_share[m,c,w] * total[m,w].

    The row is sum - max_share * total <= 0: a binding cap has a dual <= 0."""
    from_country = sum(model.arrive[m, s, t] for s, t in model.ARRIVALS_FROM[m, c, w])
    return from_country <= model.max_share[m, c, w] * model.total[m, w]


def total_cost_rule(model):
    """landed cost x arrive + holding cost x stock + penalty x shortfall."""
    purchase = pyo.quicksum(model.landed_cost[k] * model.arrive[k] for k in model.OFFERS)
    holding = pyo.quicksum(
        model.holding_cost[m, t] * model.stock[m, t] for m in model.MATERIALS for t in model.MONTHS
    )
    unmet = pyo.quicksum(model.shortfall_penalty[k] * model.shortfall[k] for k in model.SHORT_CELLS)
    return purchase + holding + unmet


def model_size(model: pyo.ConcreteModel) -> ModelSize:
    """Variables, constraint rows and nonzero coefficients of the rows."""
    variables = sum(1 for _ in model.component_data_objects(pyo.Var, active=True))
    rows = list(model.component_data_objects(pyo.Constraint, active=True))
    nonzeros = sum(_row_nonzeros(row) for row in rows)
    return ModelSize(variables, len(rows), nonzeros)


def _row_nonzeros(row) -> int:
    repn = generate_standard_repn(row.body, compute_values=True, quadratic=False)
    return len(repn.linear_vars)


def _keys(frame: pd.DataFrame, *columns: str) -> list[tuple]:
    """The rows of ``frame`` as index tuples of the given label columns, in row order."""
    return list(zip(*(frame[column].tolist() for column in columns), strict=True))


def _by(keys, values) -> dict[Any, float]:
    """``{key: value}`` for keys aligned with the values of a ModelData column."""
    return dict(zip(keys, np.asarray(values, dtype=float).tolist(), strict=True))


# --------------------------------------------------------------------------------------------
# Solving
# --------------------------------------------------------------------------------------------

_V2_STATUS = {
    TerminationV2.convergenceCriteriaSatisfied: Status.OPTIMAL,
    TerminationV2.provenInfeasible: Status.INFEASIBLE,
    TerminationV2.locallyInfeasible: Status.INFEASIBLE,
    # Costs and variables are non-negative, so the LP is bounded below: it is infeasible.
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
    LegacyTermination.infeasibleOrUnbounded: Status.INFEASIBLE,  # bounded below, as above
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
# Thread-count option names of legacy solver plugins that have one.
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
_HIGHS_NAMES = {"highs", "appsi_highs"}


def solve(data: ModelData, options: SolveOptions | None = None, solver: str = "highs") -> Solution:
    """Build the model, solve it with a Pyomo solver and return a solution aligned with ``data``.

    Names registered with Pyomo's newer solver interface (``highs``, ``gurobi_direct``, ...)
    are driven through that interface (``pyomo.contrib.solver``): the legacy wrapper that
    ``pyo.SolverFactory`` returns for them drops the reduced costs when solutions are not loaded
    on the spot (Pyomo 6.10, ``LegacySolverWrapper._solution_handler``). Every other name
    (``appsi_highs``, ``glpk``, ``cbc``, ``gurobi``, ...) goes through ``pyo.SolverFactory``;
    when such a solver reports duals but no reduced costs they are derived from the duals.

    Infeasible or failed runs return a status, not an exception; a plan is loaded only when the
    solver has a feasible point, and duals only at an optimum (left out when the solver reports
    none). Raises ``RuntimeError`` if Pyomo cannot run ``solver``.
    """
    options = options or SolveOptions()
    started = time.perf_counter()
    model = build(data)
    model.dual = pyo.Suffix(direction=pyo.Suffix.IMPORT)
    model.rc = pyo.Suffix(direction=pyo.Suffix.IMPORT)
    built = time.perf_counter()
    if solver in SolverFactoryV2:
        status, words, loaded, version = _run_v2(model, solver, options)
    else:
        status, words, loaded, version = _run_legacy(model, solver, options)
    solved = time.perf_counter()
    solution = Solution(
        status=status,
        termination=words,
        size=model_size(model),
        engine="pyomo",
        solver=f"{solver} {version} (Pyomo {pyomo_version})".replace("  ", " "),
        build_seconds=built - started,
        solve_seconds=solved - built,
        algorithm=options.algorithm if solver in _HIGHS_NAMES else "",
    )
    if loaded:
        read_solution(model, data, solution)
    solution.read_seconds = time.perf_counter() - solved
    return solution


def _highs_options(solver: str, options: SolveOptions) -> dict[str, Any]:
    """HiGHS's own options for our settings (other solvers get none)."""
    if solver not in _HIGHS_NAMES:
        return {}
    settings: dict[str, Any] = {"random_seed": 0}
    if options.algorithm in ("simplex", "ipm"):
        settings["solver"] = options.algorithm
    if options.algorithm == "ipm":
        settings["run_crossover"] = "on"
    return settings


def _run_v2(model, solver: str, options: SolveOptions) -> tuple[Status, str, bool, str]:
    """Solve with Pyomo's newer solver interface; load values, duals and reduced costs."""
    opt = SolverFactoryV2(solver)
    if not opt.available():
        raise RuntimeError(f"Pyomo solver {solver!r} is not available")
    results = opt.solve(
        model,
        tee=options.verbose,
        load_solutions=False,
        raise_exception_on_nonoptimal_result=False,
        time_limit=options.time_limit_s,
        threads=options.threads,
        solver_options=_highs_options(solver, options),
    )
    condition = results.termination_condition
    status = _V2_STATUS.get(condition, Status.ERROR)
    feasible = results.solution_status in (SolutionStatusV2.feasible, SolutionStatusV2.optimal)
    loaded = feasible and status in (Status.OPTIMAL, Status.LIMIT)
    if loaded:
        results.solution_loader.load_vars()
    if loaded and status == Status.OPTIMAL:
        with suppress(NoDualsError, NotImplementedError):
            model.dual.update(results.solution_loader.get_duals())
        with suppress(NoReducedCostsError, NotImplementedError):
            model.rc.update(results.solution_loader.get_reduced_costs())
    return status, condition.name, loaded, _version(opt)


def _run_legacy(model, solver: str, options: SolveOptions) -> tuple[Status, str, bool, str]:
    """Solve with a solver of ``pyo.SolverFactory``; load values and whatever suffixes come."""
    # Pyomo logs a traceback for names it cannot run: keep it for the error message instead.
    with LoggingIntercept(io.StringIO(), "pyomo", logging.WARNING) as log:
        opt = pyo.SolverFactory(solver)
        available = opt is not None and opt.available(exception_flag=False)
    if not available:
        reason = " ".join(log.getvalue().split("Traceback")[0].split())
        raise RuntimeError(f"Pyomo solver {solver!r} is not available. {reason}".strip())
    for key, value in _highs_options(solver, options).items():
        opt.options[key] = value
    if options.threads is not None and solver in _THREADS_OPTION:
        opt.options[_THREADS_OPTION[solver]] = int(options.threads)
    extra = {} if options.time_limit_s is None else {"timelimit": float(options.time_limit_s)}
    results = opt.solve(model, tee=options.verbose, load_solutions=False, **extra)
    condition = results.solver.termination_condition
    status = _LEGACY_STATUS.get(condition, Status.ERROR)
    feasible = len(results.solution) > 0 and results.solution(0).status in _LEGACY_FEASIBLE
    loaded = feasible and status in (Status.OPTIMAL, Status.LIMIT)
    if loaded:
        model.solutions.load_from(results)
        loaded = pyo.value(model.cost, exception=False) is not None
    if loaded and status == Status.OPTIMAL and len(model.dual) and not len(model.rc):
        model.rc.update(reduced_costs_from_duals(model))
    if not (loaded and status == Status.OPTIMAL):
        model.dual.clear()
        model.rc.clear()
    return status, str(condition.value), loaded, _version(opt)


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


# --------------------------------------------------------------------------------------------
# Reading the solution
# --------------------------------------------------------------------------------------------


def read_solution(model: pyo.ConcreteModel, data: ModelData, solution: Solution) -> None:
    """Values, the objective and (when the solver gave them) duals, aligned with ``data``."""
    offers = _keys(data.arrive, "material", "supplier", "month")
    cells = _keys(data.stock, "material", "month")
    solution.objective = float(pyo.value(model.cost))
    solution.arrive = _values(model.arrive, offers)
    solution.stock = _values(model.stock, cells)
    solution.shortfall = _values(model.shortfall, _keys(data.shortfall, "material", "month"))
    if len(model.dual):
        rows = {
            fam.STOCK_BALANCE: (model.stock_balance, cells),
            fam.STOCKPILE_FLOOR: (model.stockpile_floor, _keys(data.floors, "material", "month")),
            fam.COUNTRY_SHARE_CAP: (
                model.country_share_cap,
                _keys(data.caps, "material", "country", "window"),
            ),
        }
        for family, (constraint, keys) in rows.items():
            solution.row_duals[family] = np.array(
                [model.dual.get(constraint[k], 0.0) for k in keys], dtype=float
            )
    if len(model.rc):
        solution.bound_duals[fam.OFFER_CAPACITY] = _upper_bound_duals(
            model, model.arrive, offers, data.arrive["capacity_t_per_month"]
        )
        solution.bound_duals[fam.STORAGE_CAPACITY] = _upper_bound_duals(
            model, model.stock, cells, data.stock["storage_capacity_t"]
        )


def _values(var: pyo.Var, keys: list[tuple]) -> np.ndarray:
    return np.array([var[k].value for k in keys], dtype=float)


def _upper_bound_duals(model, var: pyo.Var, keys: list[tuple], upper: pd.Series) -> np.ndarray:
    """d(objective)/d(upper bound): a variable resting at a finite upper bound with a negative
    reduced cost (raising the bound would lower the cost by that much); zero otherwise."""
    upper = upper.to_numpy(dtype=float)
    values = _values(var, keys)
    reduced = np.array([model.rc.get(var[k], 0.0) for k in keys], dtype=float)
    finite = np.isfinite(upper)
    bound = np.where(finite, upper, 0.0)
    at_upper = finite & (values >= bound - 1e-9 * np.maximum(1.0, bound))
    return np.where(at_upper & (reduced < 0), reduced, 0.0)


__all__ = [
    "FAMILY_OF_CONSTRAINT",
    "FAMILY_OF_UPPER_BOUND",
    "build",
    "model_size",
    "reduced_costs_from_duals",
    "solve",
]
