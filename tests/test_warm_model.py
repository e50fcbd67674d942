"""The warm-started model of sweeps (``models.highs_warm.WarmModel``) against cold solves, where
a point's change reaches beyond the objective and the bounds: the annual budget's
coefficients, the bound duals read after a change of capacity, and a point that makes the
model unbounded."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from builders import scenario

from models import families as fam
from models import highs_engine
from models.data import compile_scenario
from models.highs_warm import WarmModel
from models.solution import SolveOptions, Status
from optimizer import load_scenario

ONE_THREAD = SolveOptions(threads=1)
LP_SCENARIO = Path(__file__).parent / "fixtures" / "india-lp"


def budgeted(price_2027: float):
    """X: 10 t due in 2027-01; 10/t in 2026-12 (held a month at 1/t), ``price_2027`` after;
    USD 60 to spend per calendar year; a tonne short costs 50."""
    return scenario(
        2,
        start="2026-12",
        materials=[{"material": "X", "holding_cost_usd_per_t_month": 1,
                    "shortfall_penalty_usd_per_t": 50}],
        suppliers=[{"supplier": "A", "country": "AU"}],
        offers=[{"supplier": "A", "material": "X", "price_usd_per_t": price_2027},
                {"supplier": "A", "material": "X", "month": "2026-12", "price_usd_per_t": 10}],
        demand={"X": [0, 10]},
        budget_usd_per_year=60,
    )  # fmt: skip


def test_a_price_change_reaches_the_budget_rows():
    # At 30/t in 2027: 6 t in 2026-12 (60, the 2026 budget) + 6 holding, 2 t in 2027 (60),
    # 2 t short (100): 226. At 15/t the 2027 budget buys 4 t: 60 + 6 + 60 = 126, none short.
    model = WarmModel(budgeted(30), ONE_THREAD)
    assert model.solve(budgeted(30))[0].objective == pytest.approx(226)
    solution, warm = model.solve(budgeted(15))
    assert warm
    assert solution.objective == pytest.approx(126)
    np.testing.assert_allclose(solution.arrive, [6, 4])


def test_bound_duals_after_a_capacity_change_are_those_of_a_cold_solve():
    base = load_scenario(LP_SCENARIO)
    offers = base.offers.assign(capacity_t_per_month=base.offers["capacity_t_per_month"] * 0.9)
    point = base.with_changes(offers=offers)
    model = WarmModel(base, ONE_THREAD)
    model.solve(base)
    warm, was_warm = model.solve(point)
    cold = highs_engine.solve(compile_scenario(point), ONE_THREAD)
    assert was_warm and warm.objective == pytest.approx(cold.objective, rel=1e-9)
    duals = warm.bound_duals[fam.OFFER_CAPACITY]
    assert np.count_nonzero(duals) > 0  # some offers sit at their new, lower capacity
    np.testing.assert_allclose(duals, cold.bound_duals[fam.OFFER_CAPACITY], atol=1e-6)


@pytest.mark.parametrize("with_contract", [False, True], ids=["lp", "mip"])
def test_a_point_that_makes_the_model_unbounded_says_so(with_contract):
    # Buying X at 50 and selling it at 100 with no market limit earns without end; at 200 not.
    contract = {"contract": "K", "supplier": "A", "max_t_per_month": 5, "price_usd_per_t": 500,
                "fixed_cost_usd": 1}  # fmt: skip
    contracts = [contract] if with_contract else None

    def priced(price):
        return scenario(
            3,
            materials=[{"material": "X", "sale_price_usd_per_t": 100,
                        "shortfall_penalty_usd_per_t": 1000}],
            suppliers=[{"supplier": "A", "country": "AU"}],
            offers=[{"supplier": "A", "material": "X", "price_usd_per_t": price}],
            contracts=contracts,
            demand={"X": [1, 1, 1]},
        )  # fmt: skip

    model = WarmModel(priced(200), ONE_THREAD)
    assert model.solve(priced(200))[0].status == Status.OPTIMAL
    solution, warm = model.solve(priced(50))
    assert warm and solution.status == Status.UNBOUNDED
