"""A sweep point of a risk scenario: the extensive form solved warm (``models.risk_warm``), and
its row. Costs and shortfall are expected values over the point's scenarios; the shares, cover
and yes/no decisions are those of its reference path (``base`` when it has a probability, else
the most probable scenario), as in a risk solve's usual tables; ``expected_cost_usd``,
``cvar_usd``, ``worst_case_usd``, ``probability_of_shortfall`` and ``scenarios`` beside.
VSS and EVPI are not computed per point (each would take a solve per scenario).
"""

from __future__ import annotations

import numpy as np

from models.mip_warm import BRANCH_AND_CUT, LP
from models.risk import BASE
from models.risk_warm import RiskWarm
from models.solution import Status
from optimizer.inputs.scenario import Scenario
from optimizer.results.tables import cost_breakdown
from optimizer.sweep.point_metrics import COST_COLUMNS, Frontier, point_figures

RISK_COLUMNS = ("expected_cost_usd", "cvar_usd", "worst_case_usd", "probability_of_shortfall",
                "scenarios")  # fmt: skip


def risk_point_row(model: RiskWarm, scenario: Scenario, frontier: Frontier | None = None) -> dict:
    point, warm = model.solve(scenario)
    row: dict = {"status": point.status.value, "termination": point.termination,
                 "objective_usd": point.objective, "warm": warm}  # fmt: skip
    row["proof"] = BRANCH_AND_CUT if model.lp.is_mip else LP  # HiGHS on the extensive form
    if point.scenario_cost is None:
        if point.status == Status.INFEASIBLE:
            row["diagnosis"] = ("some disruption scenario cannot be served with the decisions "
                                "the scenarios share: solve the point to see which")  # fmt: skip
        return row
    names = point.names
    s0 = names.index(BASE) if BASE in names else int(np.argmax(point.probability))
    row |= point_figures(point.datas[s0], point.solution(s0), frontier)
    expected = dict.fromkeys(COST_COLUMNS, 0.0)
    for s, p in enumerate(point.probability):  # scenarios: each a vectorised breakdown
        costs = cost_breakdown(point.datas[s], point.solution(s))
        for key in COST_COLUMNS:
            expected[key] += p * costs[key]
    row |= expected
    materials = point.datas[s0].materials
    for m, material in enumerate(materials):
        row[f"shortfall_t_{material}"] = float(point.probability @ point.shortfall[:, m])
    row |= point.figures(scenario.settings.cvar_alpha)
    return row
