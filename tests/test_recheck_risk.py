"""The re-check of a risk solve: each scenario against its own events, and the tree."""

from __future__ import annotations

import pytest
from test_risk import BAN, ban_case

from optimizer import solve
from optimizer.results.findings import sentences
from optimizer.results.recheck_risk import recheck_paths, recheck_scenarios


def rechecked(result, plan=None, stock=None):
    tree = result.risk_tree
    return recheck_scenarios(
        result.scenario, result.risk,
        result.risk_plan if plan is None else plan,
        result.risk_stock if stock is None else stock,
        result.risk_processing, result.decisions, tree.active, tree.events,
    )  # fmt: skip


@pytest.fixture(scope="module")
def banned():
    result = solve(ban_case())
    assert result.violations == []  # every scenario was re-checked in the solve
    return result


def test_buying_from_a_banned_country_is_caught_in_that_scenario_only(banned):
    # The ban path (March-April) buys April's tonnes from Australia; move them to China: a
    # capacity of 0 while the ban lasts. In base, China sells without limit.
    plan = banned.risk_plan.copy()
    march = (plan["scenario"] == "ban") & (plan["month"] == "2026-04")
    assert march.sum() == 1 and (plan.loc[march, "supplier"] == "A").all()
    plan.loc[march, ["supplier", "country"]] = ["C", "CN"]
    plan.loc[march, ["price_usd_per_t", "landed_usd_per_t"]] = 100.0
    plan.loc[march, "cost_usd"] = plan.loc[march, "tonnes"] * 100.0
    found = rechecked(banned, plan=plan)
    assert any(m.startswith("scenario ban: offer-capacity") and "exceeds capacity 0" in m
               for m in found), found  # fmt: skip
    assert not any(m.startswith("scenario base") for m in found)


def test_an_order_landing_when_its_lead_time_and_events_do_not_say_is_caught():
    delay = {"event": "ban", "country": "CN", "extra_lead_months": 1}
    result = solve(ban_case(scenarios=({**BAN, "probability": 1.0},), effect=delay))
    assert result.violations == []
    plan = result.risk_plan.copy()
    late = plan["order_month"] == "2026-03"
    plan.loc[late, "month"] = "2026-03"  # as if the delay did not apply
    found = rechecked(result, plan=plan)
    assert any("event-effects: X from C ordered 2026-03 lands 2026-03" in m and "2026-04" in m
               for m in found), found  # fmt: skip


def test_a_scenario_deciding_before_it_can_know_is_caught(banned):
    # February's stock is decided before the ban can be known: the same in both paths.
    stock = banned.risk_stock.copy()
    feb = (stock["scenario"] == "ban") & (stock["month"] == "2026-02")
    stock.loc[feb, "stock_t"] += 5.0
    found = rechecked(banned, stock=stock)
    assert any(m.startswith("non-anticipativity: X decided 2026-02: stock_t") for m in found)
    # Once the ban has begun, the paths may differ: March's stock is free to.
    stock = banned.risk_stock.copy()
    assert not any(m.startswith("non-anticipativity") for m in rechecked(banned, stock=stock))


def test_an_order_one_scenario_lacks_before_it_can_know_is_caught(banned):
    # A missing row is 0 t: the ban path without February's order, which base places.
    plan = banned.risk_plan
    feb = (plan["scenario"] == "ban") & (plan["order_month"] == "2026-02")
    assert feb.any()
    found = rechecked(banned, plan=plan[~feb])
    assert any(m.startswith("non-anticipativity: X, ") and "decided 2026-02: tonnes" in m
               for m in found), found  # fmt: skip


def test_a_released_floor_is_not_a_floor_missed_but_one_held_is():
    # One month of cover, a certain ban in February-March, one month to refill: the stock is
    # 0 in March (released). Without the release, the re-check would call March a floor missed.
    feb = {**BAN, "probability": 1.0, "start_month": "2026-02"}
    result = solve(ban_case(scenarios=(feb,), stockpile_cover_months=1.0, refill_months=1))
    assert result.violations == []
    off = ban_case(scenarios=(feb,), stockpile_cover_months=1.0, refill_months=1,
                   release_floor=False)  # fmt: skip
    tree = result.risk_tree
    found = recheck_scenarios(off, result.risk, result.risk_plan, result.risk_stock, None,
                              None, tree.active, tree.events)  # fmt: skip
    assert any("stockpile-floor: X 2026-03: stock 0 t is below the floor 10 t" in m
               for m in found), found  # fmt: skip


def test_a_scenario_cost_that_its_tables_do_not_give_is_caught(banned):
    risk = banned.risk.copy()
    risk.loc[risk["scenario"] == "ban", "cost_usd"] += 100.0
    tree = banned.risk_tree
    found = recheck_scenarios(banned.scenario, risk, banned.risk_plan, banned.risk_stock, None,
                              None, tree.active, tree.events)  # fmt: skip
    assert any(m.startswith("scenario ban: objective") for m in found), found


@pytest.fixture(scope="module")
def generated():
    """A generated MIP (chains, contracts, a budget) with a cut, a delay and both: four
    scenarios that differ in capacities, prices, landing months and released floors."""
    from test_risk_programs import disrupted

    result = solve(disrupted())
    assert result.violations == [] and len(result.risk) == 4
    return result


def mutated(result):
    """The result's tables with errors in three scenarios, each of a few families."""
    names = result.risk["scenario"].tolist()
    plan, stock = result.risk_plan.copy(), result.risk_stock.copy()
    processing, risk = result.risk_processing.copy(), result.risk.copy()
    rows = [plan.index[plan["scenario"] == s] for s in names]
    plan.loc[rows[0][3], "tonnes"] += 500.0  # capacity, balance, cost, caps
    plan.loc[rows[1][5], "landed_usd_per_t"] += 7.0
    plan.loc[rows[2][-1], "month"] = plan.loc[rows[2][0], "month"]  # lands too early
    stock.loc[stock.index[stock["scenario"] == names[1]][4:14], "stock_t"] -= 1e3  # ten months
    stock.loc[stock.index[stock["scenario"] == names[2]][6], "shortfall_t"] = -2.0
    processing.loc[processing.index[processing["scenario"] == names[0]][2], "throughput_t"] += 1e4
    risk.loc[risk["scenario"] == names[2], "cost_usd"] += 500.0
    return risk, plan, stock, processing


def one_at_a_time(result, risk, plan, stock, processing, limit):
    """The re-check of each scenario's tables alone, the scenarios one after another."""
    tree, found = result.risk_tree, []
    for s, name in enumerate(risk["scenario"]):
        found += sentences(recheck_paths(
            result.scenario, risk.iloc[[s]], plan[plan["scenario"] == name],
            stock[stock["scenario"] == name], processing[processing["scenario"] == name],
            result.decisions, tree.active[[s]], tree.events, limit=limit,
        ), [name])  # fmt: skip
    return found


@pytest.mark.parametrize("limit", [20, 3])
def test_every_scenario_at_once_finds_what_one_scenario_after_another_finds(generated, limit):
    risk, plan, stock, processing = mutated(generated)
    tree, names = generated.risk_tree, risk["scenario"].tolist()
    at_once = recheck_paths(generated.scenario, risk, plan, stock, processing,
                            generated.decisions, tree.active, tree.events, limit=limit)  # fmt: skip
    found = sentences(at_once, names)
    assert found == one_at_a_time(generated, risk, plan, stock, processing, limit)
    # Three scenarios and several families; the limit holds per scenario and check.
    assert {f.scenario for f in at_once} == set(names[:3])
    more = [m for m in found if m.startswith(f"scenario {names[1]}: ... and ")]
    if limit == 3:
        assert more
        return
    assert not more
    families = {f.text.split(":")[0] for f in at_once}
    assert {"offer-capacity", "stock-balance", "event-effects", "process-capacity",
            "objective", "plan", "stock"} <= families, families  # fmt: skip
