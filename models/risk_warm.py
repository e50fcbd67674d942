"""The extensive form of a risk scenario kept in one HiGHS instance across sweep points.

A point that changes only numbers of the merged LP (a risk weight that stays positive, the
CVaR level, the scenarios' probabilities, a partial capacity factor, prices) has the same
matrix: its costs and bounds are changed in place and HiGHS starts from the last optimal
basis. A point that changes the tree (sampled paths, onsets, lengths), a ban's reach or the
risk weight to or from 0 changes the matrix: it is passed anew (cold).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from models.data import ModelData, compile_scenario
from models.highs_build import LinearProgram
from models.highs_engine import new_highs, pass_model, run, status_of
from models.risk import resolve_effects, scenario_data
from models.risk_build import build_extensive
from models.risk_engine import cvar, risk_tree, scenario_solution
from models.solution import Solution, SolveOptions, Status

if TYPE_CHECKING:
    from optimizer.inputs.scenario import Scenario


@dataclass
class RiskPoint:
    """One point's figures: the tree's scenarios, their costs and shortfall per material."""

    status: Status
    termination: str
    names: list[str] = field(default_factory=list)
    probability: np.ndarray | None = None
    objective: float | None = None
    scenario_cost: np.ndarray | None = None  # (S,)
    shortfall: np.ndarray | None = None  # (S, materials) tonnes over the horizon
    datas: list[ModelData] = field(default_factory=list)
    values: np.ndarray | None = None  # (S, scenario columns): each scenario's column values
    layout: LinearProgram | None = None  # one scenario's LP: where each block's columns are

    def solution(self, s: int) -> Solution:
        """Scenario ``s``'s plan as a :class:`Solution` of its own model data."""
        return scenario_solution(self.layout, self.values[s], float(self.scenario_cost[s]),
                                 self.status, self.termination)  # fmt: skip

    def figures(self, alpha: float) -> dict[str, float]:
        p, costs = self.probability, self.scenario_cost
        short = self.shortfall.sum(axis=1) > 1e-6
        return {
            "scenarios": len(self.names),
            "expected_cost_usd": float(p @ costs),
            "cvar_usd": cvar(costs, p, alpha),
            "worst_case_usd": float(costs.max()),
            "probability_of_shortfall": float(p[short].sum()),
        }


class RiskWarm:
    """``solve(scenario)`` for risk scenarios of one structure, warm where the matrix stays."""

    def __init__(self, options: SolveOptions | None = None):
        self.options = options or SolveOptions()
        self.highs = None
        self.lp: LinearProgram | None = None

    def solve(self, scenario: Scenario) -> tuple[RiskPoint, bool]:
        base = compile_scenario(scenario)
        tree = risk_tree(scenario, base.months)
        effects = resolve_effects(scenario, base, tree.events)
        datas = [scenario_data(base, scenario, tree, effects, s) for s in range(tree.size)]
        settings = scenario.settings
        form = build_extensive(datas, tree, settings.risk_weight, settings.cvar_alpha)
        lp = form.lp
        warm = self.lp is not None and _same_matrix(self.lp, lp)
        if warm:
            _change_numbers(self.highs, self.lp, lp)
        else:
            self.highs = new_highs(self.options, "choose")
            pass_model(self.highs, lp)
        self.lp = lp
        run(self.highs)
        status, words = status_of(self.highs)
        point = RiskPoint(status, words, tree.names, tree.probability, datas=datas)
        info = self.highs.getInfo()
        if status not in (Status.OPTIMAL, Status.LIMIT) or info.primal_solution_status != 2:
            return point, warm
        x_all = np.asarray(self.highs.getSolution().col_value)
        x = x_all[form.column_of]  # (S, scenario columns)
        point.objective = float(info.objective_function_value)
        point.scenario_cost = (form.scenario_cost * x).sum(axis=1)
        short = x[:, form.layout.columns["shortfall"]]
        m = base.shortfall["m"].to_numpy(dtype=int)
        point.shortfall = np.zeros((tree.size, len(base.materials)))
        np.add.at(point.shortfall.T, m, short.T)
        point.values, point.layout = x, form.layout
        return point, warm


def _same_matrix(old: LinearProgram, new: LinearProgram) -> bool:
    a, b = old.matrix, new.matrix
    return (
        a.shape == b.shape
        and np.array_equal(a.indptr, b.indptr)
        and np.array_equal(a.indices, b.indices)
        and np.array_equal(a.data, b.data)
        and np.array_equal(old.integrality, new.integrality)
    )


def _change_numbers(highs, old: LinearProgram, new: LinearProgram) -> None:
    """Costs and bounds that differ, changed in the instance (its basis kept)."""
    cols = np.flatnonzero(old.cost != new.cost).astype(np.int32)
    if len(cols):
        highs.changeColsCost(len(cols), cols, new.cost[cols])
    cols = np.flatnonzero((old.col_lower != new.col_lower) | (old.col_upper != new.col_upper))
    if len(cols):
        cols = cols.astype(np.int32)
        highs.changeColsBounds(len(cols), cols, new.col_lower[cols], new.col_upper[cols])
    rows = np.flatnonzero((old.row_lower != new.row_lower) | (old.row_upper != new.row_upper))
    if len(rows):
        rows = rows.astype(np.int32)
        highs.changeRowsBounds(len(rows), rows, new.row_lower[rows], new.row_upper[rows])
