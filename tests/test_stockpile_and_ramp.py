"""Hand-solved cases for the stockpile and the plants: shortfall is only unmet demand, a floor
that cannot be reached is infeasible or (with a penalty) missed by the tonnes under it, a fixed
floor on a material without demand, the closing stock credited up to the last floor, and a
plant's ramp-up. Every optimum is derived by hand in the docstring, on both engines, and each
plan passes the independent re-check (``solved``)."""

from __future__ import annotations

import pytest
from builders import scenario
from helpers import ENGINES, solved

from optimizer import Status, solve
from optimizer.results.recheck import recheck
from optimizer.results.summary_text import format_summary

ONE_SUPPLIER = [{"supplier": "S", "country": "XX"}]


def cover_case(cover: float, **settings):
    """One material, 100 t a month for 12 months, one supplier at 300 USD/t without lead time,
    holding 2 USD/t-month, ``cover`` months of cover from the first month, 200 t initial stock."""
    return scenario(
        12,
        materials=[{"material": "M", "initial_stock_t": 200, "holding_cost_usd_per_t_month": 2}],
        suppliers=ONE_SUPPLIER,
        offers=[{"supplier": "S", "material": "M", "price_usd_per_t": 300}],
        demand={"M": [100] * 12},
        stockpile_cover_months=cover,
        **settings,
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_the_closing_stock_is_credited_up_to_the_last_floor(engine):
    """1,200 t bought at 300 (360,000), 200 t held every month (12 x 200 x 2 = 4,800): 364,800;
    the 200 t the December floor requires are credited at 300: 304,800."""
    result = solved(cover_case(2.0), engine)
    assert result.objective_usd == pytest.approx(304_800)
    assert result.costs["closing_credit_usd"] == pytest.approx(-60_000)
    credited = result.stock.set_index("month")["credited_t"]
    assert credited["2026-12"] == pytest.approx(200) and credited.drop("2026-12").eq(0).all()


def test_one_more_month_of_cover_costs_its_holding_only():
    """Three months' cover: 100 t more bought (30,000), held 12 months (2,400), and credited
    (-30,000): 2,400 more than two months' cover."""
    two, three = solved(cover_case(2.0)), solved(cover_case(3.0))
    assert three.objective_usd - two.objective_usd == pytest.approx(2_400)


def test_without_the_credit_the_closing_stock_is_worth_nothing():
    result = solved(cover_case(2.0, closing_stock_credit="none"))
    assert result.objective_usd == pytest.approx(364_800)
    assert result.costs["closing_credit_usd"] == 0


def floor_case(**material):
    """Demand 10 t a month for 3 months; the only supplier delivers exactly 10 t a month at
    100 USD/t; two months' cover from the first month (a floor of 20 t) and no initial stock:
    the floor can never be reached. Unmet demand would cost 1,000 USD/t."""
    return scenario(
        3,
        materials=[{"material": "M", "shortfall_penalty_usd_per_t": 1_000, **material}],
        suppliers=ONE_SUPPLIER,
        offers=[
            {"supplier": "S", "material": "M", "price_usd_per_t": 100, "capacity_t_per_month": 10}
        ],
        demand={"M": [10, 10, 10]},
        stockpile_cover_months=2.0,
    )


def test_a_floor_out_of_reach_is_infeasible_and_no_shortfall_fills_it():
    """Shortfall is at most the demand: leaving demand unmet cannot build stock, so the floor
    stays out of reach (before, 20 t of phantom 'shortfall' a month filled it)."""
    result = solve(floor_case())
    assert result.status == Status.INFEASIBLE
    assert any("floor" in line for line in result.diagnosis)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_floor_with_a_penalty_is_missed_by_the_tonnes_under_it(engine):
    """With 50 USD per tonne-month under the floor: all 30 t bought (3,000), demand met, the
    stock stays at 0, 20 t under the floor each month (3 x 20 x 50 = 3,000): 6,000. Unmet demand
    to raise the stock would cost 1,000 a tonne to save 50."""
    result = solved(floor_case(floor_penalty_usd_per_t_month=50), engine)
    assert result.objective_usd == pytest.approx(6_000)
    stock = result.stock.set_index("month")
    assert stock["below_floor_t"].tolist() == pytest.approx([20, 20, 20])
    assert stock["shortfall_t"].tolist() == pytest.approx([0, 0, 0])
    assert result.costs["below_floor_usd"] == pytest.approx(3_000)
    rows = result.constraints[result.constraints["family"] == "below-floor"]
    assert rows["value"].tolist() == pytest.approx([20, 20, 20])


@pytest.mark.parametrize("engine", ENGINES)
def test_a_fixed_floor_holds_a_material_without_demand(engine):
    """5 t of a material nothing consumes, from the first month, for 3 months: 5 t bought at
    10 (50), held 3 months at 1 (15), credited at 10 at the end (-50): 15."""
    result = solved(
        scenario(
            3,
            materials=[{"material": "Dy", "holding_cost_usd_per_t_month": 1, "floor_t": 5}],
            suppliers=ONE_SUPPLIER,
            offers=[{"supplier": "S", "material": "Dy", "price_usd_per_t": 10}],
        ),
        engine,
    )
    assert result.objective_usd == pytest.approx(15)
    assert result.stock["stock_t"].tolist() == pytest.approx([5, 5, 5])


def test_a_fixed_floor_is_priced_per_tonne():
    """The floor above, priced per tonne of floor_t (a month of cover moves nothing): one more
    tonne is bought at 10, held 3 months (3) and credited at 10: 3 USD, both ways; re-solving
    with 6 t and 4 t gives the same."""

    def fixed(tonnes):
        return scenario(
            3,
            materials=[{"material": "Dy", "holding_cost_usd_per_t_month": 1, "floor_t": tonnes}],
            suppliers=ONE_SUPPLIER,
            offers=[{"supplier": "S", "material": "Dy", "price_usd_per_t": 10}],
        )

    result = solved(fixed(5))
    floor = result.policy[result.policy["policy"] == "stockpile-floor"].iloc[0]
    assert (floor["setting"], floor["marginal_unit"]) == (5, "USD per tonne more floor")
    assert floor["marginal_cost_usd"] == pytest.approx(3)
    assert floor["saving_if_loosened_usd"] == pytest.approx(3)
    assert solved(fixed(6)).objective_usd - result.objective_usd == pytest.approx(3)
    assert result.objective_usd - solved(fixed(4)).objective_usd == pytest.approx(3)
    text = format_summary(result)
    assert "Dy stockpile of 5 t (2026-01..2026-03): USD 3 per tonne more floor" in text


def ramp_case():
    """A line of 10 t/month that starts at half its capacity and reaches all of it 2 months on:
    5, 7.5 and 10 t. Y (10 t a month) is made from X (1 USD/t, 1 USD/t to process) or imported
    at 100."""
    return scenario(
        3,
        materials=[{"material": "X"}, {"material": "Y"}],
        suppliers=[{"supplier": "S", "country": "XX"}, {"supplier": "T", "country": "YY"}],
        offers=[
            {"supplier": "S", "material": "X", "price_usd_per_t": 1},
            {"supplier": "T", "material": "Y", "price_usd_per_t": 100},
        ],
        demand={"Y": [10, 10, 10]},
        processes=[
            {
                "process": "L",
                "country": "IN",
                "capacity_t_per_month": 10,
                "operating_cost_usd_per_t": 1,
                "ramp_months": 2,
                "ramp_start_fraction": 0.5,
            }
        ],
        process_io=[
            {"process": "L", "material": "X", "direction": "input", "t_per_t": 1},
            {"process": "L", "material": "Y", "direction": "output", "t_per_t": 1},
        ],
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_a_plant_ramps_up_linearly_from_its_first_month(engine):
    """22.5 t made (2 USD/t: 45) and 7.5 t imported (750): 795."""
    result = solved(ramp_case(), engine)
    assert result.objective_usd == pytest.approx(795)
    assert result.processing["throughput_t"].tolist() == pytest.approx([5, 7.5, 10])
    assert result.processing["capacity_t_per_month"].tolist() == pytest.approx([5, 7.5, 10])


# --- the re-check catches what the model must not do -------------------------------------------


def test_the_recheck_catches_shortfall_beyond_demand_and_floors_missed_without_penalty():
    result = solved(floor_case(floor_penalty_usd_per_t_month=50))
    stock = result.stock.copy()
    stock.loc[0, "shortfall_t"] = 15.0  # demand is 10
    found = recheck(result.scenario, result.plan, stock, result.objective_usd)
    assert any("exceeds the demand 10 t" in v for v in found)
    hard = floor_case()  # the same tables against a scenario whose floor has no penalty
    found = recheck(hard, result.plan, result.stock, result.objective_usd)
    assert any(v.startswith("below-floor: M 2026-01: 20 t under a floor that has no penalty")
               for v in found)  # fmt: skip


def test_the_recheck_catches_a_credit_above_the_floor_or_the_closing_stock():
    result = solved(cover_case(2.0))
    stock = result.stock.copy()
    stock.loc[stock["month"] == "2026-12", "credited_t"] = 250.0
    found = recheck(result.scenario, result.plan, stock, result.objective_usd)
    assert any(v.startswith("closing-stock: M 2026-12: 250 t credited") for v in found)


def test_the_recheck_holds_a_ramping_plant_to_its_month_s_capacity():
    result = solved(ramp_case())
    processing = result.processing.copy()
    processing.loc[0, "throughput_t"] = 6.0  # 5 t in its first month
    found = recheck(result.scenario, result.plan, result.stock, result.objective_usd,
                    processing=processing, decisions=result.decisions)  # fmt: skip
    assert any(
        v.startswith("process-capacity: L 2026-01: 6 t exceeds its capacity 5 t") for v in found
    )
