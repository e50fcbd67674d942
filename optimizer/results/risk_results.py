"""A solve against disruption scenarios (``events.csv`` with ``risk_scenarios.csv`` or
``[risk] samples``): the extensive form (``models.risk_engine``), then the tables.

``plan.csv``, ``stock.csv`` and ``processing.csv`` hold every scenario's rows with a
``scenario`` column, the rows the scenarios share under ``base`` (``scenario_rows``); in memory
``Result.plan``, ``stock``, ``processing``, ``mix`` and ``constraints`` describe the reference
path (the undisrupted scenario ``base`` when it has a probability, else the most probable
scenario) and ``risk_plan``, ``risk_stock`` and ``risk_processing`` every scenario's whole
tables. ``risk.csv`` has one row per scenario (probability, events, onset, cost, shortfall per
material, whether it lies in the CVaR tail). ``objective_usd`` is the expected cost plus
``risk_weight`` x CVaR; the cost components are expected values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.data import ModelData
from models.diagnose import diagnose
from models.highs_engine import solve as solve_alone
from models.risk import BASE
from models.risk_engine import RiskSolution, cvar, solve_risk, tail_weights
from models.solution import SolveOptions, Status
from optimizer.inputs.scenario import Scenario
from optimizer.results import tables
from optimizer.results.result import Result
from optimizer.results.risk_tables import plan_tables, processing_tables, stock_tables
from optimizer.results.scenario_rows import SCENARIO


def risk_result(scenario: Scenario, data: ModelData, options: SolveOptions) -> Result:
    outcome = solve_risk(scenario, data, options)
    result = Result(
        scenario=scenario,
        status=outcome.status,
        termination=outcome.termination,
        engine="highs",
        solver="HiGHS (extensive form)",
        algorithm="mip" if data.is_mip else "choose",
        model_size=outcome.size,
        objective_usd=outcome.objective,
        mip_gap=outcome.mip_gap,
    )
    result.timings = {"build_s": outcome.build_seconds, "solve_s": outcome.solve_seconds}
    if not outcome.has_plan:
        if outcome.status.value == "infeasible":
            result.diagnosis = _which_scenarios(outcome, options)
        return result
    _tables(result, outcome)
    return result


def _which_scenarios(outcome: RiskSolution, options: SolveOptions) -> list[str]:
    """Which scenarios cannot be served even alone (with foresight), with the first one's
    conflict in words; else the decisions they must share are what conflicts."""
    failing = [
        s for s, d in enumerate(outcome.datas)
        if solve_alone(d, options).status == Status.INFEASIBLE
    ]  # fmt: skip
    names = outcome.tree.names
    if not failing:
        return [
            "Every disruption scenario can be served alone, but not with the decisions they "
            "must share before their events are known: no plan made without knowing which "
            "scenario comes serves them all."
        ]
    listed = ", ".join(names[s] for s in failing)
    first = failing[0]
    return [
        f"No plan can serve the disruption scenario{'s' if len(failing) > 1 else ''} {listed}, "
        "even knowing its events in advance. In scenario "
        f"{names[first]}:",
        *diagnose(outcome.datas[first]),
    ]


def reference(outcome: RiskSolution) -> int:
    """The path the usual tables describe: ``base`` if it has a probability, else the most
    probable scenario."""
    names = outcome.tree.names
    return names.index(BASE) if BASE in names else int(np.argmax(outcome.tree.probability))


def _tables(result: Result, outcome: RiskSolution) -> None:
    tree = outcome.tree
    s0 = reference(outcome)
    data, solution = outcome.datas[s0], outcome.solutions[s0]
    result.plan = tables.plan_table(data, solution)
    result.stock = _released(tables.stock_table(data, solution), data)
    result.mix = tables.mix_table(data, result.plan, solution)
    result.constraints = tables.constraints_table(data, solution)
    if len(data.chain.units):
        result.processing = tables.processing_table(data, solution)
    if data.is_mip:
        result.decisions = tables.decisions_table(data, solution)
    result.risk_plan = plan_tables(outcome.datas, outcome.solutions, tree.names)
    result.risk_stock = stock_tables(outcome.datas, outcome.solutions, tree.names)
    if len(data.chain.units):
        result.risk_processing = processing_tables(outcome.datas, outcome.solutions, tree.names)
    components: dict[str, float] = {}
    for s in range(tree.size):  # scenarios: each a few dot products
        costs = tables.cost_breakdown(outcome.datas[s], outcome.solutions[s])
        for key, value in costs.items():
            components[key] = components.get(key, 0.0) + tree.probability[s] * value
    result.costs = {key: round(value, 2) for key, value in components.items()}
    # Each scenario's shortfall per material (each scenario's stock rows in the same order).
    summed = result.risk_stock.groupby([SCENARIO, "material"], sort=False)["shortfall_t"].sum()
    materials = data.stock["material"].unique()
    short = pd.DataFrame(summed.to_numpy().reshape(tree.size, len(materials)), index=tree.names,
                         columns=materials)  # fmt: skip
    costs = outcome.scenario_cost
    alpha = result.scenario.settings.cvar_alpha
    in_tail = tail_weights(costs, tree.probability, alpha) > 1e-12
    events = [
        ", ".join(e for e, on in zip(tree.events, tree.active[s].any(axis=1), strict=True) if on)
        for s in range(tree.size)
    ]
    result.risk = pd.DataFrame(
        {
            "scenario": tree.names,
            "probability": np.round(tree.probability, 12),
            "events": events,
            "onset_month": onsets(tree, data.months),
            "cost_usd": np.round(costs, 2),
            "in_cvar_tail": in_tail,
            **{f"shortfall_{m}_t": tables.clean(short[m].to_numpy()) for m in short.columns},
        }
    )
    any_short = short.sum(axis=1).to_numpy() > 1e-6
    expected = float(tree.probability @ costs)
    result.risk_summary = {
        "scenarios": tree.size,
        "reference_path": tree.names[s0],
        "expected_cost_usd": round(expected, 2),
        "cvar_usd": round(cvar(costs, tree.probability, alpha), 2),
        "cvar_alpha": alpha,
        "risk_weight": result.scenario.settings.risk_weight,
        "worst_case_usd": round(float(costs.max()), 2),
        "worst_case_scenario": tree.names[int(np.argmax(costs))],
        "probability_of_shortfall": round(float(tree.probability[any_short].sum()), 12),
        "vss_usd": _figure(outcome.vss),
        "vss_expected_cost_usd": _figure(outcome.vss_expected),
        "evpi_usd": _figure(outcome.evpi),
        "evpi_expected_cost_usd": _figure(outcome.evpi_expected),
        "expected_shortfall_t": {
            m: round(float(tree.probability @ short[m].to_numpy()), 6)
            for m in short.columns
            if (short[m] > 0).any()
        },
    }
    result.risk_reference_cost = float(costs[s0])
    result.risk_tree = tree


def onsets(tree, months: list[str]) -> list[str | None]:
    """Each scenario's first month with an event active (``None``: never disrupted)."""
    return [months[t] if t < len(months) else None for t in tree.onset]


def _released(stock: pd.DataFrame, data: ModelData) -> pd.DataFrame:
    """The stock table with ``floor_applies`` false in months whose floor an event released
    (the scenario's floor row is 0 where the written floor is not)."""
    floors = data.floors
    if floors.empty or "floor_applies" not in stock:
        return stock
    released = floors["floor_t"].to_numpy(dtype=float) == 0
    cells = data.cell(floors)[released]
    applies = stock["floor_applies"].to_numpy(dtype=bool).copy()
    applies[cells] = False
    return stock.assign(floor_applies=applies)


def _figure(value: float | None) -> float | str | None:
    """A value for summary.json: rounded; infinity in words (JSON has no infinity)."""
    if value is None:
        return None
    return "infinite" if not np.isfinite(value) else round(float(value), 2)


def _scenario_first(table: pd.DataFrame) -> pd.DataFrame:
    return table[["scenario", *[c for c in table.columns if c != "scenario"]]]


def risk_tables(result: Result, outcome: RiskSolution) -> None:
    """The tables of a solved ``outcome`` into ``result``: the public name of ``_tables`` for
    the other method that yields a RiskSolution (``risk_ph_results``, progressive hedging)."""
    _tables(result, outcome)
