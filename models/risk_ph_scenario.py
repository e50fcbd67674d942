"""The two-stage form's scenario for mpi-sppy: the tree that shares one node until the first
onset, which variables are first stage, the scenario creator (a scenario's Pyomo model of
:mod:`models.pyomo_model` with the first stage as its root node), rho, and PH's converger.
Used by :mod:`models.risk_ph`."""

from __future__ import annotations

import numpy as np

from models.data import ModelData
from models.risk import RiskTree, scenario_data


def first_onset(tree: RiskTree) -> int:
    """The first month any scenario has an event active (the horizon's length if none)."""
    months = np.flatnonzero(tree.active.any(axis=(0, 1)))
    return int(months[0]) if len(months) else tree.active.shape[2]


def two_stage_tree(tree: RiskTree) -> tuple[RiskTree, int]:
    """The tree whose history is one node until ``t0`` (the first onset) and one node per
    scenario from ``t0`` on; and ``t0``."""
    t0 = first_onset(tree)
    history = np.zeros_like(tree.history)
    history[:, t0 + 1 :] = np.arange(1, tree.size + 1)[:, None]
    return RiskTree(tree.names, tree.probability, tree.events, tree.active, history), t0


def first_stage_masks(base: ModelData, t0: int) -> dict[str, np.ndarray]:
    """Per value block (``pyomo_engine.VALUE_BLOCKS`` order), which variables are decided
    before ``t0``: the first stage (yes/no decisions are decided before the horizon)."""
    from models.pyomo_risk import decision_months_by_block

    return {block: months < t0 for block, months in decision_months_by_block(base, base).items()}


def scenario_creator(name: str, **kw):
    """mpi-sppy's scenario creator: scenario ``name``'s Pyomo model, its first stage attached as
    the root node and its probability set."""
    import pyomo.environ as pyo
    from mpisppy.utils import sputils

    from models.pyomo_engine import VALUE_BLOCKS, columns
    from models.pyomo_model import build

    tree: RiskTree = kw["tree"]
    s = kw["index"][name]
    data = scenario_data(kw["base"], kw["scenario"], tree, kw["effects"], s)
    model = build(data)
    for var in model.component_data_objects(pyo.Var):  # a variable in no row keeps a value
        if var.value is None:
            var.set_value(0.0, skip_validation=True)
    variables = columns(model, data)
    masks = kw["masks"]
    nonants = [
        var
        for block in VALUE_BLOCKS
        for var, first in zip(variables[block], masks[block], strict=True)
        if first
    ]
    weight, alpha = kw["risk_weight"], kw["alpha"]
    if weight > 0:
        model.eta = pyo.Var(initialize=0.0)
        model.u = pyo.Var(within=pyo.NonNegativeReals, initialize=0.0)
        model.cvar_tail = pyo.Constraint(expr=model.u >= model.cost.expr - model.eta)
        model.cost.deactivate()
        model.risk_objective = pyo.Objective(
            expr=model.cost.expr + weight * (model.eta + model.u / (1 - alpha))
        )
        nonants.append(model.eta)
    sputils.attach_root_node(model, 0.0, nonants)
    model._mpisppy_probability = float(tree.probability[s])
    return model


def cost_rho_setter(
    model, scale: float = 1.0, floor: float = 1.0, eta: float = 1.0
) -> list[tuple[int, float]]:
    """rho of each first-stage variable: ``scale`` x |its cost coefficient|, at least
    ``floor``; the CVaR's eta (when there is one): ``eta``."""
    import pyomo.environ as pyo
    from pyomo.repn.standard_repn import generate_standard_repn

    objective = next(o for o in model.component_data_objects(pyo.Objective, active=True))
    repn = generate_standard_repn(objective.expr, quadratic=False)
    coefficient = {id(v): abs(float(c)) for v, c in zip(repn.linear_vars, repn.linear_coefs,
                                                        strict=True)}  # fmt: skip
    node = model._mpisppy_node_list[0]
    special = {id(model.eta): eta} if hasattr(model, "eta") else {}
    return [
        (id(var), special.get(id(var), scale * max(coefficient.get(id(var), 0.0), floor)))
        for var in node.nonant_vardata_list
    ]


def eta_rho(base: ModelData, scale: float, weight: float) -> float:
    """rho of the CVaR's eta: the risk weight over 10% of the cost of the plan made without
    events (a USD scale for the spread of the scenarios' costs), times ``scale``."""
    if weight <= 0:
        return 1.0
    from models.highs_engine import solve as solve_alone

    plain = solve_alone(base)
    size = abs(plain.objective) if plain.objective is not None else 1.0
    return scale * weight / max(0.1 * size, 1.0)


class Converged:
    """mpi-sppy's converger (``ph_converger``): converged when the scenarios agree on the first
    stage (``ph.conv``, the mean |x_s - xbar|) and the average stopped moving (the mean
    |xbar_k - xbar_k-1|), both at most ``tolerance``."""

    def __init__(self, ph, tolerance: float):
        self.ph, self.tolerance = ph, tolerance
        self.previous = self._xbar()
        self.value: float | None = None
        self.converged = False

    def _xbar(self) -> np.ndarray:
        model = next(iter(self.ph.local_scenarios.values()))
        return np.array([x._value for x in model._mpisppy_model.xbars.values()], dtype=float)

    def is_converged(self) -> bool:
        xbar = self._xbar()
        moved = float(np.mean(np.abs(xbar - self.previous))) if len(xbar) else 0.0
        self.previous = xbar
        spread = self.ph.conv if self.ph.conv is not None else np.inf
        self.value = max(float(spread), moved)
        self.converged = self.value <= self.tolerance
        return self.converged

    def post_loops(self) -> None:
        pass
