"""The re-check of a risk solve: each scenario against its own events, and the tree."""

from __future__ import annotations

import pytest
from test_risk import BAN, ban_case

from optimizer import solve
from optimizer.results.recheck_risk import recheck_scenarios


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
