"""What the stockpile is worth against disruption scenarios (``stockpile_value.csv``), and the
cover a risk-aware plan chooses by itself.

Four plans, each judged under the same scenarios: the stochastic plan with the policy's floors
and without them (the stock is then the model's choice), and the plan made without events with
and without the floors, its decisions taken before any event has begun fixed in the tree and
the rest re-optimised. For each: the objective (expected cost + risk_weight x CVaR), the
expected cost, the CVaR and the expected shortfall. The risk-optimal cover is the stochastic
plan without floors' stock at the end of the month before each possible onset, in months of the
next month's demand (tonnes for a material without demand).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.data import compile_scenario
from models.risk_engine import RiskSolution, cvar, solve_risk
from models.solution import SolveOptions
from optimizer.inputs.scenario import Scenario

COLUMNS = ["plan", "floors", "objective_usd", "expected_cost_usd", "cvar_usd",
           "expected_shortfall_t"]  # fmt: skip


def without_floors(scenario: Scenario) -> Scenario:
    """The scenario with no stockpile floor: no cover, no fixed floor."""
    materials = scenario.materials.assign(cover_months=0.0, floor_t=np.nan)
    settings = scenario.settings.with_changes(stockpile_cover_months=0.0)
    return scenario.with_changes(check=False, materials=materials, settings=settings)


def stockpile_value(
    scenario: Scenario, options: SolveOptions | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the four plans' figures, the risk-optimal cover per material and onset)."""
    options = options or SolveOptions()
    rows = []
    free = None
    for label, sc in (("with the floors", scenario), ("without floors", without_floors(scenario))):
        outcome = solve_risk(sc, compile_scenario(sc), options)
        rows.append(_row("stochastic", label, outcome, outcome.scenario_cost,
                         outcome.shortfall() if outcome.has_plan else None, sc))  # fmt: skip
        rows.append(_row("made without events", label, outcome, outcome.eev_cost,
                         outcome.eev_shortfall, sc))  # fmt: skip
        if label == "without floors":
            free = outcome
    figures = pd.DataFrame(rows, columns=COLUMNS)
    return figures, risk_optimal_cover(free) if free is not None else pd.DataFrame()


def _row(plan, floors, outcome: RiskSolution, costs, shortfall, scenario: Scenario) -> list:
    if costs is None or shortfall is None:
        return [plan, floors, np.nan, np.nan, np.nan, np.nan]
    p, settings = outcome.tree.probability, scenario.settings
    expected = float(p @ costs)
    tail = cvar(costs, p, settings.cvar_alpha)
    return [plan, floors, round(expected + settings.risk_weight * tail, 2), round(expected, 2),
            round(tail, 2), round(float(p @ shortfall), 6)]  # fmt: skip


def risk_optimal_cover(outcome: RiskSolution) -> pd.DataFrame:
    """Per material and possible onset month: the stock the plan holds at the end of the month
    before (shared by every scenario that cannot yet tell), in months of demand."""
    columns = ["material", "onset_month", "probability", "stock_t", "cover_months"]
    if not outcome.has_plan:
        return pd.DataFrame(columns=columns)
    tree, data = outcome.tree, outcome.datas[0]
    first = tree.onset  # the horizon's length for a scenario never disrupted
    onsets = sorted({int(t) for t in first if 0 < t < len(data.months)})
    demand = data.stock["demand_t"].to_numpy(dtype=float).reshape(len(data.materials), -1)
    rows = []
    for t in onsets:  # onset months: a few
        scenarios = np.flatnonzero(first == t)
        s = int(scenarios[0])  # the stock before the onset is shared by all that reach it
        stock = outcome.solutions[s].stock.reshape(len(data.materials), -1)[:, t - 1]
        months = np.where(demand[:, t] > 0, stock / np.where(demand[:, t] > 0, demand[:, t], 1),
                          np.nan)  # fmt: skip
        for m, material in enumerate(data.materials):
            rows.append([material, data.months[t], float(tree.probability[scenarios].sum()),
                         round(float(stock[m]), 6) + 0.0,  # + 0.0: no "-0.0" in the file
                         round(float(months[m]), 3) + 0.0])  # fmt: skip
    return pd.DataFrame(rows, columns=columns)
