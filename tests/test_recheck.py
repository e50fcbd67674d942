"""The independent pandas re-check catches a deliberately corrupted plan, family by family."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from builders import scenario

from optimizer import solve
from optimizer.inputs.synthetic import synthetic_scenario
from optimizer.results.recheck import recheck

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


def test_a_small_stock_error_late_in_a_long_horizon():
    # 0.01 t in one month of 240, after some 20,000 t of cumulative demand: caught by the
    # month's own balance (a tolerance scaled by cumulative flows would let it pass).
    result = solve(synthetic_scenario(2, 3, 240, seed=4))
    stock = result.stock.copy()
    late = stock.index[(stock["material"] == stock["material"].iloc[0])][200]
    stock.loc[late, "stock_t"] += 0.01
    found = recheck(result.scenario, result.plan, stock, result.objective_usd)
    month = stock.loc[late, "month"]
    assert any(v.startswith(f"stock-balance: {stock.loc[late, 'material']} {month}") for v in found)


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


# --- the supply chain ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def chain_result():
    folder = Path(__file__).parent / "fixtures" / "chain-small"
    result = solve(folder)
    assert result.violations == [] and result.processing is not None
    return result


def check_chain(result, plan=None, stock=None, processing=None, decisions=None, objective=None):
    return recheck(
        result.scenario,
        result.plan if plan is None else plan,
        result.stock if stock is None else stock,
        result.objective_usd if objective is None else objective,
        processing=result.processing if processing is None else processing,
        decisions=result.decisions if decisions is None else decisions,
    )


def test_a_correct_chain_plan_passes(chain_result):
    assert check_chain(chain_result) == []


def test_throughput_beyond_a_units_capacity(chain_result):
    processing = chain_result.processing.copy()
    processing.loc[processing.index[0], "throughput_t"] = 50.0
    found = check_chain(chain_result, processing=processing)
    assert any(v.startswith("process-capacity: sep-plant") for v in found)
    assert any(v.startswith("stock-balance:") for v in found)  # the recipe no longer balances


def test_an_option_running_without_being_built(chain_result):
    processing = chain_result.processing.copy()
    row = processing.iloc[[0]].assign(unit="sep-partner", throughput_t=0.0)
    processing = pd.concat([processing, row], ignore_index=True)
    found = check_chain(chain_result, processing=processing)
    assert any("sep-partner runs in" in v and "was not built" in v for v in found)


def test_exclusive_options_both_built(chain_result):
    decisions = chain_result.decisions.copy()
    decisions.loc[decisions["name"].isin(["sep-expand", "sep-partner"]), "chosen"] = True
    found = check_chain(chain_result, decisions=decisions)
    assert any(v.startswith("exclusive-options: sep-upgrade") for v in found)


def test_a_contract_above_its_maximum_and_unsigned(chain_result):
    plan = chain_result.plan.copy()
    extra = pd.DataFrame([{"material": "carbonate", "supplier": "au-lynas", "country": "AU",
                           "contract": "lynas-offtake", "order_month": "2026-02",
                           "month": "2026-03", "tonnes": 40.0, "price_usd_per_t": 11000.0,
                           "landed_usd_per_t": 11080.0, "cost_usd": 443200.0}])  # fmt: skip
    found = check_chain(chain_result, plan=pd.concat([plan, extra], ignore_index=True))
    assert any("lynas-offtake, which was not signed" in v for v in found)
    assert any("above the contract's 30 t a month" in v for v in found)


def test_sales_above_the_market_limit(chain_result):
    stock = chain_result.stock.copy()
    row = stock.index[stock["material"] == "Ce-oxide"][2]
    stock.loc[row, "sold_t"] = 25.0
    assert any(
        v.startswith("sales-limit: Ce-oxide") for v in check_chain(chain_result, stock=stock)
    )


def test_spending_above_the_budget_and_a_wrong_objective(chain_result):
    # The budget is re-checked from tonnes at the inputs' prices, not from the plan's costs.
    plan = chain_result.plan.copy()
    first = plan.index[0]
    plan.loc[first, "tonnes"] = 5e7 / plan.loc[first, "landed_usd_per_t"]
    plan.loc[first, "cost_usd"] = 5e7
    found = check_chain(chain_result, plan=plan, objective=chain_result.objective_usd + 1e4)
    assert any(v.startswith("annual-budget: 2026") for v in found)
    assert any(v.startswith("objective: the solver reports") for v in found)


def test_a_plan_row_whose_cost_is_not_its_tonnes_at_its_landed_cost(chain_result):
    plan = chain_result.plan.copy()
    plan.loc[plan.index[0], "cost_usd"] *= 10
    plan.loc[plan.index[1], "landed_usd_per_t"] += 5
    found = check_chain(chain_result, plan=plan)
    assert sum(v.startswith("plan: cost of") for v in found) == 1
    assert sum(v.startswith("plan: landed cost of") for v in found) == 1


def test_contracted_tonnes_from_another_supplier_than_the_contracts(shipped_result):
    # The default takes Lynas's Dy and Tb contracts; a contracted row relabelled to another
    # supplier would move its tonnes to another country in the share caps.
    result = shipped_result("india-2026")
    plan = result.plan.copy()
    contracted = plan.index[plan["contract"].notna()]
    assert len(contracted)
    other = next(s for s in result.scenario.suppliers["supplier"] if s != "lynas-malaysia")
    plan.loc[contracted[0], "supplier"] = other
    found = check_chain(result, plan=plan)
    assert any(v.startswith("contract-volume:") and f"from {other} in" in v for v in found)
