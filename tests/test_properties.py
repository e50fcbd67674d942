"""Properties that must hold on any scenario: relaxing a policy or adding supply never raises
the cost, costs scale with prices, and the same input gives the same output, byte for byte."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from optimizer import Status, solve, write_result
from optimizer.inputs.synthetic import synthetic_scenario
from optimizer.results.result import TIMING_KEYS

CASES = [(3, 4, 12, seed, window) for seed in (1, 2, 3) for window in ("month", "year")] + [
    (4, 5, 24, 7, "horizon"),
    (2, 6, 18, 11, "year"),
]
QUICK = CASES[0]  # the other cases run every property again: the full suite only
TOL = 1e-7


def cost(scenario) -> float:
    result = solve(scenario)
    assert result.status == Status.OPTIMAL and result.violations == []
    return result.objective_usd


def no_higher(new: float, old: float) -> bool:
    return new <= old * (1 + TOL) + 1e-6


@pytest.fixture(
    scope="module",
    params=[c if c == QUICK else pytest.param(c, marks=pytest.mark.slow) for c in CASES],
    ids=lambda c: "x".join(map(str, c)),
)
def base(request):
    *size, seed, window = request.param
    scenario = synthetic_scenario(*size, seed=seed, cap_window=window)
    result = solve(scenario)
    assert result.status == Status.OPTIMAL and result.violations == []
    assert len(result.binding_caps()) > 0  # so that relaxing a cap is a real test
    return scenario, result.objective_usd


def test_loosening_a_cap_never_raises_the_cost(base):
    scenario, original = base
    caps = scenario.country_caps.assign(max_share=lambda f: np.minimum(f["max_share"] + 0.15, 1))
    assert no_higher(cost(scenario.with_changes(country_caps=caps)), original)
    assert no_higher(cost(scenario.with_changes(country_caps=caps.iloc[0:0])), original)


def test_tightening_a_cap_never_lowers_the_cost(base):
    scenario, original = base
    caps = scenario.country_caps.assign(max_share=lambda f: f["max_share"] - 0.1)
    tighter = solve(scenario.with_changes(country_caps=caps))
    assert tighter.status == Status.OPTIMAL  # the backstop supplier keeps it feasible
    assert no_higher(original, tighter.objective_usd)


def test_more_capacity_never_raises_the_cost(base):
    scenario, original = base
    offers = scenario.offers.assign(capacity_t_per_month=lambda f: f["capacity_t_per_month"] * 1.5)
    assert no_higher(cost(scenario.with_changes(offers=offers)), original)


def test_another_supplier_never_raises_the_cost(base):
    scenario, original = base
    suppliers = pd.concat(
        [scenario.suppliers, pd.DataFrame([{"supplier": "NEW", "country": "C00",
         "lead_time_months": 1, "freight_usd_per_t": 10.0, "tariff_pct": 0.0}])],
        ignore_index=True,
    )  # fmt: skip
    new_offers = scenario.offers[scenario.offers["month"].isna()].drop_duplicates("material")
    new_offers = new_offers.assign(supplier="NEW", capacity_t_per_month=10.0)
    offers = pd.concat([scenario.offers, new_offers], ignore_index=True)
    assert no_higher(cost(scenario.with_changes(suppliers=suppliers, offers=offers)), original)


def test_less_cover_never_raises_the_cost(base):
    scenario, _ = base
    settings = scenario.settings.with_changes(stockpile_cover_months=1.0)
    materials = scenario.materials.assign(cover_months=np.nan)
    lower = scenario.with_changes(settings=settings, materials=materials)
    higher = scenario.with_changes(
        settings=scenario.settings.with_changes(stockpile_cover_months=3.0), materials=materials
    )
    assert no_higher(cost(lower), cost(higher))


def test_scaling_every_price_scales_the_cost(base):
    scenario, original = base
    k = 2.5
    offers = scenario.offers.assign(price_usd_per_t=lambda f: f["price_usd_per_t"] * k)
    suppliers = scenario.suppliers.assign(freight_usd_per_t=lambda f: f["freight_usd_per_t"] * k)
    materials = scenario.materials.assign(
        holding_cost_usd_per_t_month=lambda f: f["holding_cost_usd_per_t_month"] * k,
        shortfall_penalty_usd_per_t=lambda f: f["shortfall_penalty_usd_per_t"] * k,
    )
    scaled = scenario.with_changes(offers=offers, suppliers=suppliers, materials=materials)
    assert cost(scaled) == pytest.approx(k * original, rel=1e-7)


@pytest.mark.slow
def test_the_same_input_gives_byte_identical_outputs(tmp_path):
    scenario = synthetic_scenario(4, 5, 24, seed=3)
    first = write_result(solve(scenario), tmp_path / "first")
    second = write_result(solve(synthetic_scenario(4, 5, 24, seed=3)), tmp_path / "second")
    for name in ("plan.csv", "stock.csv", "mix.csv", "constraints.csv"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    summaries = [json.loads((folder / "summary.json").read_text()) for folder in (first, second)]
    for summary in summaries:
        for key in TIMING_KEYS:
            summary.pop(key)
    assert summaries[0] == summaries[1]
