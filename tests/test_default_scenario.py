"""The shipped India scenario solves to a plausible, policy-respecting plan (examples are tests)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from optimizer import Status, load_scenario, solve

FOLDER = Path(__file__).resolve().parents[1] / "inputs" / "india-2026"


@pytest.fixture(scope="module")
def result():
    result = solve(load_scenario(FOLDER))
    assert result.status == Status.OPTIMAL
    return result


def test_plan_passes_the_independent_recheck(result):
    assert result.violations == []
    assert result.costs["total_usd"] == pytest.approx(result.objective_usd, rel=1e-9)


def test_every_material_is_met_without_shortfall(result):
    assert result.shortfall_t() == {}
    assert set(result.plan["material"]) == set(result.scenario.materials["material"])


def test_china_stays_within_its_caps_every_year(result):
    caps = result.scenario.country_caps
    china = result.mix[result.mix["country"] == "CN"]
    default = caps.loc[caps["material"].isna(), "max_share"].iloc[0]
    specific = caps.dropna(subset=["material"]).set_index("material")["max_share"]
    allowed = china["material"].map(specific).fillna(default)
    assert (china["share"] <= allowed + 1e-9).all()
    assert len(result.binding_caps()) > 0  # the cap shapes the plan


def test_two_month_stockpile_holds_from_july_2026(result):
    stock = result.stock
    applies = stock["month"] >= "2026-07"
    assert stock.loc[applies, "floor_applies"].all()
    assert (stock.loc[applies, "stock_t"] >= 2 * stock.loc[applies, "demand_t"] - 1e-6).all()


def test_russia_supplies_only_from_2027(result):
    russian = result.plan[result.plan["country"] == "RU"]
    assert not russian.empty and russian["month"].min() >= "2027-01"


def test_every_material_has_more_than_one_source_country(result):
    countries = result.plan.groupby("material")["country"].nunique()
    assert (countries >= 2).all()


def test_both_engines_and_cbc_agree(result):
    other = solve(load_scenario(FOLDER), engine="pyomo", verify=True)
    assert other.objective_usd == pytest.approx(result.objective_usd, rel=1e-8)
    assert other.verification.agrees
    assert other.verification.objective_usd == pytest.approx(result.objective_usd, rel=1e-6)


def test_floor_shadow_prices_match_finite_differences(result):
    # Raising every material's cover by a small step raises each floor by step x demand; the
    # cost must rise by the sum of the floors' shadow prices times those increments.
    step = 1e-3
    scenario = result.scenario
    materials = scenario.materials.assign(cover_months=2.0 + step)
    moved = solve(scenario.with_changes(materials=materials))
    floors = result.constraints[result.constraints["family"] == "stockpile-floor"]
    demand = result.stock.set_index(["material", "month"])["demand_t"]
    increments = (
        step * demand.loc[list(zip(floors["material"], floors["month"], strict=True))].to_numpy()
    )
    predicted = float(np.dot(floors["shadow_price_usd_per_t"], increments))
    assert moved.objective_usd - result.objective_usd == pytest.approx(predicted, rel=1e-4)


def test_cap_shadow_prices_match_finite_differences(result):
    # Moving China's cap on Dy2O3 up by a small step raises the cap rows' right-hand side by
    # step x the window's total arrivals (the total is itself a variable: a first-order check).
    step = 1e-4
    scenario = result.scenario
    caps = pd.concat(
        [scenario.country_caps, pd.DataFrame([{"country": "CN", "material": "Dy2O3",
                                               "max_share": 0.6 + step}])],
        ignore_index=True,
    )  # fmt: skip
    moved = solve(scenario.with_changes(country_caps=caps))
    rows = result.constraints[
        (result.constraints["family"] == "country-share-cap")
        & (result.constraints["material"] == "Dy2O3")
    ]
    totals = result.mix[result.mix["material"] == "Dy2O3"].groupby("window")["tonnes"].sum()
    predicted = float(np.dot(rows["shadow_price_usd_per_t"], step * totals[rows["window"]]))
    assert predicted < 0
    assert moved.objective_usd - result.objective_usd == pytest.approx(predicted, rel=1e-3)
