"""Tiny instances whose optimum is derived by hand in the comments, solved by both engines."""

from __future__ import annotations

import pytest
from builders import CAPPED, FLOORED, scenario
from helpers import ENGINES, solved


def tonnes(result, supplier=None, month=None):
    plan = result.plan
    if supplier is not None:
        plan = plan[plan["supplier"] == supplier]
    if month is not None:
        plan = plan[plan["month"] == month]
    return float(plan["tonnes"].sum())


@pytest.mark.parametrize("engine", ENGINES)
def test_landed_cost_adds_duty_and_freight(engine):
    # One supplier, no stockpile, no holding cost: buy exactly the 30 t demanded.
    # Landed cost = 100 x (1 + 10/100) + 5 = 115 USD/t, so the optimum is 30 x 115 = 3,450.
    sc = scenario(
        suppliers=[{"supplier": "A", "country": "AU", "freight_usd_per_t": 5, "tariff_pct": 10}],
        offers=[{"supplier": "A", "material": "Dy", "price_usd_per_t": 100}],
        demand={"Dy": [10, 10, 10]},
    )
    result = solved(sc, engine)
    assert result.objective_usd == pytest.approx(3450)
    assert result.costs["purchase_usd"] == pytest.approx(3000)
    assert result.costs["tariff_usd"] == pytest.approx(300)
    assert result.costs["freight_usd"] == pytest.approx(150)
    assert set(result.plan["landed_usd_per_t"]) == {115.0}


@pytest.mark.parametrize("engine", ENGINES)
def test_country_cap_forces_the_dearer_supplier(engine):
    # Floors of 1 month (10 t) in every month; 5 t initial stock.
    # Arrivals over the year X >= 30 demand + 10 final floor - 5 initial = 35 t.
    # China (A, 100) may supply at most 60% of X; Australia (B, 150) the rest, only from
    # month 2 (lead time 1). Cheapest: X = 35, A = 21, B = 14: 2,100 + 2,100 = 4,200.
    # Month 1 needs 5 + a1 - 10 >= 10, so a1 >= 15 from A alone: fits within A's 21 t.
    # The 10 t of the last floor are credited at the lowest landed price, A's 100: -1,000.
    result = solved(scenario(**CAPPED), engine)
    assert result.objective_usd == pytest.approx(3200)
    assert result.costs["closing_credit_usd"] == pytest.approx(-1000)
    assert tonnes(result, "A") == pytest.approx(21)
    assert tonnes(result, "B") == pytest.approx(14)
    assert tonnes(result, "B", "2026-01") == 0
    assert tonnes(result, "A", "2026-01") >= 15 - 1e-9
    cap = result.constraints[result.constraints["family"] == "country-share-cap"].iloc[0]
    assert cap["binding"] and cap["value"] == pytest.approx(0.6)
    # One more tonne allowed to China replaces a tonne of B: -50 USD.
    assert cap["shadow_price_usd_per_t"] == pytest.approx(-50)
    # One more tonne of final floor costs 0.6 x 100 + 0.4 x 150 = 120 USD.
    floors = result.constraints[result.constraints["family"] == "stockpile-floor"]
    assert floors.iloc[-1]["shadow_price_usd_per_t"] == pytest.approx(120)


@pytest.mark.parametrize("engine", ENGINES)
def test_lead_time_keeps_the_cheap_supplier_out_of_early_months(engine):
    # B (100 USD/t) delivers from month 3 (lead time 2); months 1-2 need A (200 USD/t).
    # 20 t x 200 + 20 t x 100 = 6,000; nothing is held (holding 1 USD/t-month).
    sc = scenario(
        4,
        materials=[{"material": "Nd", "holding_cost_usd_per_t_month": 1}],
        suppliers=[
            {"supplier": "A", "country": "IN"},
            {"supplier": "B", "country": "RU", "lead_time_months": 2},
        ],
        offers=[
            {"supplier": "A", "material": "Nd", "price_usd_per_t": 200},
            {"supplier": "B", "material": "Nd", "price_usd_per_t": 100},
        ],
        demand={"Nd": [10, 10, 10, 10]},
    )
    result = solved(sc, engine)
    assert result.objective_usd == pytest.approx(6000)
    assert result.plan.loc[result.plan["supplier"] == "B", "month"].min() == "2026-03"
    assert (result.plan.loc[result.plan["supplier"] == "B", "order_month"] == "2026-01").any()


@pytest.mark.parametrize("engine", ENGINES)
def test_dated_offer_overrides_and_buying_ahead_of_a_price_rise(engine):
    # The blank-month offer says 300; dated rows lower months 1-2 to 100. Holding 10 USD/t-month.
    # Buying in month 2 for month 3 costs 100 + 10, for month 4 100 + 20: both beat 300.
    # Month 1 buys its own 10 t (buying it a month early would add holding); month 2 buys 30 t.
    # Stock at month ends: 0, 20, 10, 0 -> holding 300; purchases 40 x 100 = 4,000. Total 4,300.
    sc = scenario(
        4,
        materials=[{"material": "Nd", "holding_cost_usd_per_t_month": 10}],
        suppliers=[{"supplier": "A", "country": "CN"}],
        offers=[
            {"supplier": "A", "material": "Nd", "price_usd_per_t": 300},
            {"supplier": "A", "material": "Nd", "month": "2026-01", "price_usd_per_t": 100},
            {"supplier": "A", "material": "Nd", "month": "2026-02", "price_usd_per_t": 100},
        ],
        demand={"Nd": [10, 10, 10, 10]},
    )
    result = solved(sc, engine)
    assert result.objective_usd == pytest.approx(4300)
    assert result.stock["stock_t"].tolist() == pytest.approx([0, 20, 10, 0])
    assert result.costs["holding_usd"] == pytest.approx(300)


@pytest.mark.parametrize("engine", ENGINES)
def test_stockpile_floor_and_its_shadow_prices(engine):
    # Two months of cover from month 2: floors of 20 t in months 2 and 3 (demand 10/month).
    # Month 1: buy 10 (no floor yet). Month 2: buy 10 + 20 = 30. Month 3: buy 10.
    # Purchases 50 x 100 = 5,000; holding (0 + 20 + 20) x 5 = 200. Total 5,200.
    # Floor of month 3 raised by 1 t: buy 1 more in month 3 and hold it: 100 + 5 = 105.
    # Floor of month 2 raised by 1 t: hold 1 t more in month 2 (5), buy 1 t less in month 3
    # than the extra bought in month 2 saves: net 5.
    # The 20 t of the last floor are credited at 100 USD/t: 5,200 - 2,000 = 3,200 (the credit
    # is a bound of its own: the floor rows' duals stay 5 and 105).
    result = solved(scenario(**FLOORED), engine)
    assert result.objective_usd == pytest.approx(3200)
    floors = result.constraints[result.constraints["family"] == "stockpile-floor"]
    assert floors["month"].tolist() == ["2026-02", "2026-03"]
    assert floors["shadow_price_usd_per_t"].tolist() == pytest.approx([5, 105])
    assert result.stock["floor_applies"].tolist() == [False, True, True]
    assert result.months_below_cover() == {"Sm": 1}


@pytest.mark.parametrize("engine", ENGINES)
def test_shortfall_is_taken_where_the_penalty_is_cheaper(engine):
    # A sells 5 t/month at 100; B sells any amount at 200; unmet demand costs 150/t.
    # Each month: 5 t from A (500) and 5 t short (750): 2 x 1,250 = 2,500.
    sc = scenario(
        2,
        materials=[{"material": "Tb", "shortfall_penalty_usd_per_t": 150}],
        suppliers=[{"supplier": "A", "country": "MY"}, {"supplier": "B", "country": "JP"}],
        offers=[
            {"supplier": "A", "material": "Tb", "price_usd_per_t": 100, "capacity_t_per_month": 5},
            {"supplier": "B", "material": "Tb", "price_usd_per_t": 200},
        ],
        demand={"Tb": [10, 10]},
    )
    result = solved(sc, engine)
    assert result.objective_usd == pytest.approx(2500)
    assert result.shortfall_t() == {"Tb": pytest.approx(10)}
    assert tonnes(result, "B") == 0
    capacity = result.constraints[result.constraints["family"] == "offer-capacity"]
    # One more tonne of A's capacity replaces a tonne of shortfall: 100 - 150 = -50.
    assert capacity.loc[capacity["supplier"] == "A", "shadow_price_usd_per_t"].tolist() == (
        pytest.approx([-50, -50])
    )


@pytest.mark.parametrize(("window", "optimum"), [("year", 6020), ("month", 6040)])
def test_cap_window_month_is_stricter_than_year(window, optimum):
    # China (100, unlimited) capped at 50%; Australia (200) can deliver 20 t, in month 1 only.
    # Demand: 40 t in month 2; holding 1 USD/t-month.
    # Per year: AU 20 t in month 1 (held a month: 20), CN 20 t in month 2: 6,020.
    # Per month: month 2 has no AU supply, so China may land nothing then; CN's 20 t must
    # arrive in month 1 beside AU's and is held a month too: 6,040.
    sc = scenario(
        2,
        materials=[{"material": "Dy", "holding_cost_usd_per_t_month": 1}],
        suppliers=[{"supplier": "CN1", "country": "CN"}, {"supplier": "AU1", "country": "AU"}],
        offers=[
            {"supplier": "CN1", "material": "Dy", "price_usd_per_t": 100},
            {"supplier": "AU1", "material": "Dy", "price_usd_per_t": 200,
             "capacity_t_per_month": 20},
            {"supplier": "AU1", "material": "Dy", "month": "2026-02", "price_usd_per_t": 200,
             "capacity_t_per_month": 0},
        ],
        demand={"Dy": [0, 40]},
        caps=[{"country": "CN", "max_share": 0.5}],
        cap_window=window,
    )  # fmt: skip
    for engine in ENGINES:
        assert solved(sc, engine).objective_usd == pytest.approx(optimum)


def test_storage_capacity_limits_buying_ahead():
    # Price 100 in month 1, 300 in month 2; 30 t needed in month 2; storage holds 10 t.
    # Buy 10 ahead (1,000) and 20 at 300 (6,000): 7,000 instead of 3,000 without the limit.
    sc = scenario(
        2,
        materials=[{"material": "Nd", "storage_capacity_t": 10}],
        suppliers=[{"supplier": "A", "country": "CN"}],
        offers=[
            {"supplier": "A", "material": "Nd", "price_usd_per_t": 300},
            {"supplier": "A", "material": "Nd", "month": "2026-01", "price_usd_per_t": 100},
        ],
        demand={"Nd": [0, 30]},
    )
    result = solved(sc)
    assert result.objective_usd == pytest.approx(7000)
    storage = result.constraints[result.constraints["family"] == "storage-capacity"]
    # One more tonne of storage in month 1 saves 300 - 100 = 200.
    assert storage.iloc[0]["binding"]
    assert storage.iloc[0]["shadow_price_usd_per_t"] == pytest.approx(-200)


def test_initial_stock_covers_everything_and_nothing_is_bought():
    # 30 t in stock, 10 t/month demand, holding 2: stock 20, 10, 0 -> holding 60, no purchases.
    sc = scenario(
        materials=[{"material": "Nd", "initial_stock_t": 30, "holding_cost_usd_per_t_month": 2}],
        suppliers=[{"supplier": "A", "country": "CN"}],
        offers=[{"supplier": "A", "material": "Nd", "price_usd_per_t": 100}],
        demand={"Nd": [10, 10, 10]},
    )
    result = solved(sc)
    assert result.objective_usd == pytest.approx(60)
    assert result.plan.empty and result.mix.empty
    assert result.stock["stock_t"].tolist() == pytest.approx([20, 10, 0])
