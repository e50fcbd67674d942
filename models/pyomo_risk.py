"""The Pyomo cross-check of the disruption scenarios' extensive form, written the classic way:
one copy of the Pyomo model (:mod:`models.pyomo_model`) per scenario, as a block, with explicit
non-anticipativity rows tying the copies' variables where the scenarios share their history,
and the same objective (expected cost + risk_weight x CVaR). It is independent of the fast
engine's node merging (``models.risk_build``), so their optima must agree.

Orders delayed by an event (``extra_lead_months``) are written as in the fast engine: the Pyomo
model indexes an arrival by its order month, and the month it lands in is data.
"""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo

from models import families as fam
from models.data import ModelData
from models.pyomo_engine import VALUE_BLOCKS, columns
from models.pyomo_model import build
from models.pyomo_solvers import run_solver
from models.risk import RiskTree
from models.risk_build import months_of
from models.solution import SolveOptions, Status


def decision_months_by_block(data: ModelData, base: ModelData) -> dict[str, np.ndarray]:
    """The month each variable of each block is decided in (orders: from the base data)."""
    months = {}
    for variable in fam.VARIABLES:
        if variable.name not in VALUE_BLOCKS:
            continue
        if variable.name == "arrive":  # an order in its order month (a delay moves its landing)
            t = base.arrive["t"].to_numpy(dtype=int) - base.arrive["lead_time_months"].to_numpy(int)
            months["arrive"] = np.maximum(t, -1)  # the base data: no delay
        else:
            months[variable.name] = months_of(data, variable.table(data))
    return months


def solve_extensive_pyomo(
    base: ModelData,
    datas: list[ModelData],
    tree: RiskTree,
    risk_weight: float,
    alpha: float,
    options: SolveOptions | None = None,
    solver: str = "highs",
) -> tuple[Status, float | None]:
    """(status, objective) of the extensive form built as scenario blocks plus equalities."""
    options = options or SolveOptions()
    parent = pyo.ConcreteModel(name="extensive form")
    parent.dual = pyo.Suffix(direction=pyo.Suffix.IMPORT)  # the runner reads them at an optimum
    parent.rc = pyo.Suffix(direction=pyo.Suffix.IMPORT)
    blocks = []
    for s, data in enumerate(datas):  # one Pyomo model per scenario, as a block
        model = build(data)
        model.cost.deactivate()
        parent.add_component(f"scenario_{s}", model)
        blocks.append(model)
    months = decision_months_by_block(datas[0], base)
    variables = [columns(model, data) for model, data in zip(blocks, datas, strict=True)]
    parent.non_anticipativity = pyo.ConstraintList()
    for block in VALUE_BLOCKS:
        node = tree.history[:, months[block] + 1]  # (S, variables of the block)
        n_vars = node.shape[1]
        # Each scenario's variable is tied to the first scenario at the same node.
        key = (node * n_vars + np.arange(n_vars)[None, :]).ravel()  # scenario-major order
        _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        ref = (first[inverse.ravel()] // n_vars).reshape(node.shape)
        for s, j in zip(*np.nonzero(ref != np.arange(tree.size)[:, None]), strict=True):
            parent.non_anticipativity.add(variables[s][block][j] == variables[ref[s, j]][block][j])
    costs = [model.cost.expr for model in blocks]
    expected = sum(float(p) * c for p, c in zip(tree.probability, costs, strict=True))
    if risk_weight > 0:
        parent.eta = pyo.Var()
        parent.u = pyo.Var(range(tree.size), within=pyo.NonNegativeReals)
        parent.tail = pyo.Constraint(range(tree.size), rule=lambda m, s: m.u[s] >= costs[s] - m.eta)
        tail = parent.eta + sum(
            float(tree.probability[s]) * parent.u[s] for s in range(tree.size)
        ) / (1 - alpha)
        parent.objective = pyo.Objective(expr=expected + risk_weight * tail)
    else:
        parent.objective = pyo.Objective(expr=expected)
    mip = any(var.is_binary() for var in parent.component_data_objects(pyo.Var))
    run = run_solver(parent, solver, options, mip)
    if not run.loaded or run.status != Status.OPTIMAL:
        return run.status, None
    return run.status, float(pyo.value(parent.objective))
