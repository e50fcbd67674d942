"""The Pyomo engine: the model of :mod:`models.pyomo_model` solved through Pyomo
(:mod:`models.pyomo_solvers`) and read back into a :class:`~models.solution.Solution` aligned
with the model data, as the fast engine's is, so the tests can check that they agree.

With a processing chain the model has yes/no decisions (``build`` an option, ``sign`` a
contract): a MIP. Its duals are those of the LP with every decision fixed at its chosen value.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pyomo.environ as pyo
from pyomo.version import version as pyomo_version

from models import families as fam
from models.data import ModelData
from models.pyomo_model import (
    FAMILY_OF_CONSTRAINT,
    FAMILY_OF_UPPER_BOUND,
    build,
    label_keys,
    model_size,
    row_keys,
)
from models.pyomo_solvers import HIGHS_NAMES, reduced_costs_from_duals, run_solver
from models.solution import (
    Solution,
    SolveOptions,
    Status,
    relative_gap,
    upper_bound_duals,
)

# --------------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# Solving
# --------------------------------------------------------------------------------------------


def solve(data: ModelData, options: SolveOptions | None = None, solver: str = "highs") -> Solution:
    """Build the model, solve it with a Pyomo solver and return a solution aligned with ``data``.

    Names registered with Pyomo's newer solver interface (``highs``, ``gurobi_direct``, ...)
    are driven through that interface (``pyomo.contrib.solver``): the legacy wrapper that
    ``pyo.SolverFactory`` returns for them drops the reduced costs when solutions are not loaded
    on the spot (Pyomo 6.10, ``LegacySolverWrapper._solution_handler``). Every other name
    (``appsi_highs``, ``glpk``, ``cbc``, ``gurobi``, ...) goes through ``pyo.SolverFactory``;
    when such a solver reports duals but no reduced costs they are derived from the duals.

    A model with yes/no decisions (``build``, ``sign``) is solved as a MIP, with the time limit
    and relative gap of ``options``; the gap and best bound are reported when the solver gives
    them. With a plan, the decisions are then fixed at their values and the LP that remains is
    solved again for the duals (``duals_from_fixed_lp``); the plan and objective are then that
    LP's too, as in the fast engine: the best plan for the chosen decisions, which the duals
    describe. The gap is measured from that objective.

    Infeasible or failed runs return a status, not an exception; a plan is loaded only when the
    solver has a feasible point, and duals only at an optimum (left out when the solver reports
    none). Raises ``RuntimeError`` if Pyomo cannot run ``solver``.
    """
    options = options or SolveOptions()
    started = time.perf_counter()
    model = build(data)
    model.dual = pyo.Suffix(direction=pyo.Suffix.IMPORT)
    model.rc = pyo.Suffix(direction=pyo.Suffix.IMPORT)
    decisions = yes_no_decisions(model)
    mip = bool(decisions)
    built = time.perf_counter()
    run = run_solver(model, solver, options, mip)
    if run.words == "infeasibleOrUnbounded" and solver in HIGHS_NAMES:
        run = run_solver(model, solver, options, mip, presolve=False)
    solved = time.perf_counter()
    solution = Solution(
        status=run.status,
        termination=run.words,
        size=model_size(model),
        engine="pyomo",
        solver=f"{solver} {run.version} (Pyomo {pyomo_version})".replace("  ", " "),
        build_seconds=built - started,
        solve_seconds=solved - built,
        algorithm=("mip" if mip else options.algorithm) if solver in HIGHS_NAMES else "",
    )
    if mip:
        solution.best_bound = run.bound
        solution.mip_gap = relative_gap(run.incumbent, run.bound)
    if run.loaded:
        read_values(model, data, solution)
        if not mip:
            read_duals(model, data, solution)
        elif resolve_with_decisions_fixed(model, decisions, solver, options):
            read_values(model, data, solution)  # the fixed LP's plan, which the duals describe
            read_duals(model, data, solution)
            solution.duals_from_fixed_lp = True
            solution.mip_gap = relative_gap(solution.objective, run.bound)
    solution.read_seconds = time.perf_counter() - solved
    return solution


def yes_no_decisions(model: pyo.ConcreteModel) -> list:
    """The binary variables of the model: the options to build and the contracts to sign."""
    return [var for var in model.component_data_objects(pyo.Var) if var.is_binary()]


def resolve_with_decisions_fixed(
    model, decisions: list, solver: str, options: SolveOptions
) -> bool:
    """Fix every yes/no decision at the plan's value (``var.fix``), solve the LP that remains
    (simplex, no time limit, as the fast engine does) and load its values, duals and reduced
    costs; False when it has no optimum. Solvers keep a fixed binary an integer column (HiGHS
    would then solve a MIP, without duals), so the decisions are also made continuous in [0, 1]
    for the solve, as the fast engine does; they are free binaries again afterwards."""
    for var in decisions:
        var.fix(round(var.value or 0.0))
        var.domain = pyo.UnitInterval
    lp_options = SolveOptions(threads=options.threads, algorithm="simplex", verbose=options.verbose)
    try:
        run = run_solver(model, solver, lp_options, mip=False)
    finally:
        for var in decisions:
            var.domain = pyo.Binary
            var.unfix()
    return run.loaded and run.status == Status.OPTIMAL and len(model.dual) > 0


# --------------------------------------------------------------------------------------------
# Reading the solution
# --------------------------------------------------------------------------------------------

# The Solution arrays of variable values, in ModelData order (as ``highs_engine.VALUE_BLOCKS``).
VALUE_BLOCKS = tuple(variable.name for variable in fam.VARIABLES if variable.name != "total")


def read_values(model: pyo.ConcreteModel, data: ModelData, solution: Solution) -> None:
    """The objective and every block of ``VALUE_BLOCKS``; yes/no decisions rounded to 0 or 1.

    A variable in no row and without cost is not passed to the solver and has no value: it rests
    at its lower bound, 0."""
    for var in model.component_data_objects(pyo.Var):
        if var.value is None:
            var.set_value(0.0, skip_validation=True)
    solution.objective = float(pyo.value(model.cost))
    for block, variables in columns(model, data).items():
        setattr(solution, block, _values(variables))
    solution.build = np.round(solution.build) + 0.0
    solution.sign = np.round(solution.sign) + 0.0


def read_duals(model: pyo.ConcreteModel, data: ModelData, solution: Solution) -> None:
    """Row duals of every family and the duals of the capacity bounds, when the solver gave
    them (d objective / d right-hand side, as written in the rules above)."""
    if len(model.dual):
        for family, rows in constraint_rows(model, data).items():
            solution.row_duals[family] = np.array(
                [0.0 if row is None else model.dual.get(row, 0.0) for row in rows], dtype=float
            )
    if len(model.rc):
        variables = columns(model, data)
        for block, family in FAMILY_OF_UPPER_BOUND.items():
            solution.bound_duals[family] = _upper_bound_duals(
                model, variables[block], upper_bounds(data)[block]
            )


def columns(model: pyo.ConcreteModel, data: ModelData) -> dict[str, list]:
    """The variables of each block of ``VALUE_BLOCKS``, one per row of its ModelData frame.

    ``arrive`` holds the spot purchases and the contracted tonnes (``contracted``) in the order
    of ``ModelData.arrive``."""
    chain = data.chain
    contract = chain.contracts["contract"].to_numpy(dtype=object)
    keys = data.arrive[["material", "supplier", "order_month", "contract_k"]]
    arrive = [
        model.arrive[m, s, o] if k < 0 else model.contracted[contract[k], m, o]
        for m, s, o, k in keys.itertuples(index=False)
    ]
    return {
        "arrive": arrive,
        "stock": _at(model.stock, data.stock, "material", "month"),
        "shortfall": _at(model.shortfall, data.shortfall, "material", "month"),
        "run": _at(model.run, chain.runs, "unit", "month"),
        "sell": _at(model.sell, chain.sales, "material", "month"),
        "dispose": _at(model.dispose, chain.disposals, "material", "month"),
        "paid": _at(model.paid, chain.paid, "contract", "month"),
        "build": [model.build[o] for o in chain.options["option"]],
        "sign": [model.sign[k] for k in chain.contracts["contract"]],
        "below": _at(model.below, data.below, "material", "month"),
        "credit": [model.credit[m] for m in data.credits["material"]],
        "held": _at(model.held, data.content.held, "material", "origin", "month"),
        "used": _at(model.used, data.content.held, "material", "origin", "month"),
        "feed": _at(model.feed, data.content.feed, "unit", "material", "origin", "month"),
    }


def upper_bounds(data: ModelData) -> dict[str, np.ndarray]:
    """The upper bounds behind the bound families, aligned with ``columns``."""
    return {block: fam.VARIABLE_BY_NAME[block].bounds(data) for block in FAMILY_OF_UPPER_BOUND}


def constraint_rows(model: pyo.ConcreteModel, data: ModelData) -> dict[str, list]:
    """The rows of each row family in the order of its index table (the fast engine's order;
    ``None`` for a row that has nothing to constrain and was left out)."""
    return {
        family.name: _rows(getattr(model, family.component), row_keys(data, family))
        for family in fam.row_families()
    }


def _at(var: pyo.Var, frame: pd.DataFrame, *columns: str) -> list:
    return [var[key] for key in label_keys(frame, *columns)]


def _rows(constraint: pyo.Constraint, keys: list) -> list:
    """The rows of ``keys`` (``None`` where the rule left the row out)."""
    rows = dict(constraint.items())
    return [rows.get(key) for key in keys]


def _values(variables: list) -> np.ndarray:
    return np.array([var.value for var in variables], dtype=float)


def _upper_bound_duals(model, variables: list, upper: np.ndarray) -> np.ndarray:
    """d(objective)/d(upper bound) of each variable, from its value and reduced cost."""
    reduced = np.array([model.rc.get(var, 0.0) for var in variables], dtype=float)
    return upper_bound_duals(_values(variables), upper, reduced)


__all__ = [
    "FAMILY_OF_CONSTRAINT",
    "FAMILY_OF_UPPER_BOUND",
    "VALUE_BLOCKS",
    "build",
    "model_size",
    "reduced_costs_from_duals",
    "solve",
]
