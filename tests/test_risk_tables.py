"""Every disruption scenario's tables built at once are each scenario's own tables, stacked."""

from __future__ import annotations

import pandas as pd
import pytest
from test_risk import BAN, ban_case
from test_risk_programs import disrupted

from models.data import compile_scenario
from models.risk_engine import solve_risk
from models.solution import SolveOptions
from optimizer.results import tables
from optimizer.results.risk_tables import plan_tables, processing_tables, stock_tables


def one_by_one(outcome, table, released=False):
    """``table`` of each scenario's data and plan, a scenario column first."""
    parts = []
    for s, name in enumerate(outcome.tree.names):
        data, solution = outcome.datas[s], outcome.solutions[s]
        part = table(data, solution)
        if released:  # a floor row of 0 in the scenario's data: released by its events
            cells = data.cell(data.floors)[data.floors["floor_t"].to_numpy() == 0]
            applies = part["floor_applies"].to_numpy().copy()
            applies[cells] = False
            part = part.assign(floor_applies=applies)
        parts.append(part.assign(scenario=name))
    whole = pd.concat(parts, ignore_index=True)
    return whole[["scenario", *[c for c in whole.columns if c != "scenario"]]]


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(lambda: disrupted(), id="chains-delays-cuts"),
        pytest.param(lambda: disrupted(40), id="sampled"),
        pytest.param(lambda: ban_case(scenarios=(BAN, {**BAN, "scenario": "feb",
                                                         "start_month": "2026-02"}),
                                      stockpile_cover_months=1.0, refill_months=1),
                     id="released-floors"),
    ],
)  # fmt: skip
def test_stacked_tables_are_each_scenarios_own(case):
    scenario = case()
    outcome = solve_risk(scenario, compile_scenario(scenario), SolveOptions(), values=False)
    names = outcome.tree.names
    datas, solutions = outcome.datas, outcome.solutions
    stock = one_by_one(outcome, tables.stock_table, released=True)
    pd.testing.assert_frame_equal(stock_tables(datas, solutions, names), stock)
    plan = one_by_one(outcome, tables.plan_table)
    pd.testing.assert_frame_equal(plan_tables(datas, solutions, names), plan)
    if len(datas[0].chain.units):
        runs = one_by_one(outcome, tables.processing_table)
        pd.testing.assert_frame_equal(processing_tables(datas, solutions, names), runs)
