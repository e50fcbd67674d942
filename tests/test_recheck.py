"""The independent pandas re-check catches a deliberately corrupted plan, family by family."""

from __future__ import annotations

import pytest
from builders import scenario

from optimizer import solve
from optimizer.checks import recheck

SCENARIO = dict(
    months=4,
    materials=[{"material": "Dy", "initial_stock_t": 5, "shortfall_penalty_usd_per_t": None,
                "storage_capacity_t": 100}],
    suppliers=[
        {"supplier": "A", "country": "CN"},
        {"supplier": "B", "country": "AU", "lead_time_months": 1, "tariff_pct": 5},
    ],
    offers=[
        {"supplier": "A", "material": "Dy", "price_usd_per_t": 100, "capacity_t_per_month": 40},
        {"supplier": "B", "material": "Dy", "price_usd_per_t": 150, "capacity_t_per_month": 20},
    ],
    demand={"Dy": [10, 10, 10, 10]},
    caps=[{"country": "CN", "max_share": 0.6}],
    stockpile_cover_months=1.0,
)  # fmt: skip


@pytest.fixture(scope="module")
def solved():
    result = solve(scenario(**SCENARIO))
    assert result.violations == []
    return result


def check(result, plan=None, stock=None, objective=None):
    return recheck(
        result.scenario,
        result.plan if plan is None else plan,
        result.stock if stock is None else stock,
        result.objective_usd if objective is None else objective,
    )


def test_a_correct_plan_passes(solved):
    assert check(solved) == []


def test_tonnes_beyond_capacity(solved):
    plan = solved.plan.copy()
    row = plan.index[plan["supplier"] == "B"][0]
    plan.loc[row, "tonnes"] = 25.0
    assert any("offer-capacity" in v and "exceeds capacity 20 t" in v for v in check(solved, plan))


def test_arrival_before_the_lead_time(solved):
    plan = solved.plan.copy()
    row = plan.index[plan["supplier"] == "B"][0]
    plan.loc[row, "month"] = "2026-01"
    assert any(v.startswith("lead-time: Dy from B arrives 2026-01") for v in check(solved, plan))


def test_stock_that_does_not_balance(solved):
    stock = solved.stock.copy()
    stock.loc[2, "stock_t"] += 3.0
    found = check(solved, stock=stock)
    assert any(v.startswith("stock-balance: Dy 2026-03: stock") for v in found)


def test_a_country_above_its_cap(solved):
    plan = solved.plan.copy()
    plan.loc[plan["supplier"] == "B", "supplier"] = "A"  # all tonnes now from China
    found = check(solved, plan)
    assert any(v.startswith("country-share-cap: CN supplies") for v in found)


def test_stock_below_the_floor_and_above_storage(solved):
    stock = solved.stock.copy()
    stock.loc[1, "stock_t"] = 2.0
    stock.loc[3, "stock_t"] = 150.0
    found = check(solved, stock=stock)
    assert any(v.startswith("stockpile-floor: Dy 2026-02: stock 2 t is below") for v in found)
    assert any(v.startswith("storage-capacity: Dy 2026-04: stock 150 t exceeds") for v in found)


def test_shortfall_where_demand_must_be_met(solved):
    stock = solved.stock.copy()
    stock.loc[0, "shortfall_t"] = 1.0
    assert any("shortfall 1 t where demand must be met" in v for v in check(solved, stock=stock))


def test_an_objective_that_the_tables_do_not_add_up_to(solved):
    found = check(solved, objective=solved.objective_usd + 10)
    assert found and found[0].startswith("objective: the solver reports")


def test_a_landed_cost_that_ignores_the_duty(solved):
    plan = solved.plan.copy()
    plan.loc[plan["supplier"] == "B", "landed_usd_per_t"] = 150.0
    assert any("landed cost of Dy from B" in v for v in check(solved, plan))


def test_tonnes_from_a_supplier_without_an_offer(solved):
    plan = solved.plan.copy()
    plan.loc[plan.index[0], "supplier"] = "Z"
    assert any("has no offer" in v for v in check(solved, plan))
