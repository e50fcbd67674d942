"""The plan figures of optimizer.results.metrics, by hand, and the same numbers from a sweep
point's arrays as from a plan's tables."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from models import highs_engine
from models.data import compile_scenario
from models.solution import SolveOptions
from optimizer import solve
from optimizer.inputs.loading import load_scenario
from optimizer.results import metrics
from optimizer.results.compare import country_shares as one_material
from optimizer.sweep.point_metrics import point_figures

# Dy: CN 30 t in each of two windows, MY 20 t, and 20 t made by a processing unit in IN.
# Tb: CN and IN 10 t each (a tie). Nd: CN could supply it but supplies nothing.
SUPPLY = pd.DataFrame(
    [
        ("Dy", "2026", "CN", 30.0),
        ("Dy", "2027", "CN", 30.0),
        ("Dy", "2026", "MY", 20.0),
        ("Dy", "2027", "IN", 20.0),  # domestic output
        ("Tb", "2026", "IN", 10.0),
        ("Tb", "2026", "CN", 10.0),
        ("Nd", "2026", "CN", 0.0),
    ],
    columns=["material", "window", "country", "tonnes"],
)

# Dy, demand 10 t a month, a target of 2 months (20 t) from month 1, a floor from month 3.
# Tb: no floor, no demand in month 2, the target never reached.
STOCK = pd.DataFrame(
    {
        "material": ["Dy"] * 4 + ["Tb"] * 4,
        "month": ["2026-01", "2026-02", "2026-03", "2026-04"] * 2,
        "stock_t": [5.0, 15.0, 20.0, 25.0, 1.0, 1.0, 1.0, 1.0],
        "demand_t": [10.0, 10.0, 10.0, 10.0, 2.0, 0.0, 2.0, 2.0],
        "floor_t": [20.0, 20.0, 20.0, 20.0, 4.0, 0.0, 4.0, 4.0],
        "floor_applies": [False, False, True, True] + [False] * 4,
    }
)


def test_country_shares_by_hand():
    shares = metrics.country_shares(SUPPLY)
    assert shares.columns.tolist() == ["material", "country", "tonnes", "share"]
    # Materials as first met, countries by name; the windows added up.
    assert list(zip(shares["material"], shares["country"], strict=True)) == [
        ("Dy", "CN"), ("Dy", "IN"), ("Dy", "MY"), ("Tb", "CN"), ("Tb", "IN"), ("Nd", "CN"),
    ]  # fmt: skip
    assert shares["tonnes"].tolist() == [60.0, 20.0, 20.0, 10.0, 10.0, 0.0]
    # Dy: 60 / 100, 20 / 100 (domestic output counts for IN), 20 / 100; Nd: nothing supplied.
    assert shares["share"].tolist() == pytest.approx([0.6, 0.2, 0.2, 0.5, 0.5, 0.0])


def test_largest_share_and_hhi_by_hand():
    shares = metrics.country_shares(SUPPLY)
    largest = metrics.largest_shares(shares)
    assert largest.index.tolist() == ["Dy", "Tb", "Nd"]
    assert largest.loc["Dy"].tolist() == ["CN", pytest.approx(0.6)]
    assert largest.loc["Tb"].tolist() == ["CN", 0.5]  # a tie: the first country by name
    assert pd.isna(largest.at["Nd", "country"]) and math.isnan(largest.at["Nd", "share"])
    hhi = metrics.hhi(shares)
    # Dy: 0.6^2 + 0.2^2 + 0.2^2 = 0.44 -> 4,400; Tb: 0.5^2 + 0.5^2 -> 5,000; Nd: none.
    assert hhi["Dy"] == pytest.approx(4400)
    assert hhi["Tb"] == pytest.approx(5000)
    assert math.isnan(hhi["Nd"])


def test_one_country_is_a_single_source():
    shares = metrics.country_shares(SUPPLY[SUPPLY["country"] == "CN"])
    assert metrics.hhi(shares)["Dy"] == pytest.approx(10_000)
    assert metrics.largest_shares(shares).at["Dy", "share"] == 1.0


def test_no_supply_at_all():
    shares = metrics.country_shares(SUPPLY.iloc[:0])
    assert shares.empty and shares.columns.tolist() == ["material", "country", "tonnes", "share"]
    assert metrics.largest_shares(shares).empty and metrics.hhi(shares).empty


def test_the_order_of_the_rows_does_not_change_the_figures():
    shuffled = SUPPLY.sample(frac=1.0, random_state=3)
    a = metrics.country_shares(SUPPLY).set_index(["material", "country"]).sort_index()
    b = metrics.country_shares(shuffled).set_index(["material", "country"]).sort_index()
    pd.testing.assert_frame_equal(a, b)


def test_compare_country_shares_is_one_material_largest_first():
    shares = one_material(SUPPLY, "Dy")
    assert shares.index.tolist() == ["CN", "IN", "MY"]
    assert shares.tolist() == pytest.approx([0.6, 0.2, 0.2])


def test_cover_by_hand():
    cover = metrics.months_of_cover(STOCK)
    assert cover[:4].tolist() == [0.5, 1.5, 2.0, 2.5]
    assert math.isnan(cover[5])  # no demand: no months of cover
    lowest = metrics.lowest_cover(STOCK)
    assert lowest["Dy"] == 2.0  # months 3 and 4, where the floor applies
    assert math.isnan(lowest["Tb"])  # no floor
    assert metrics.months_below_target(STOCK).to_dict() == {"Dy": 2, "Tb": 3}
    first = metrics.first_month_at_target(STOCK)
    assert first["Dy"] == 3.0 and math.isnan(first["Tb"])


def test_cover_within_the_tolerance_is_at_the_target():
    stock = STOCK.assign(stock_t=STOCK["stock_t"].where(STOCK.index != 1, 20.0 - 5e-7))
    assert metrics.months_below_target(stock)["Dy"] == 1
    assert metrics.first_month_at_target(stock)["Dy"] == 2.0


def test_a_sweep_point_and_the_plan_tables_give_the_same_figures():
    """The default scenario has domestic output: the point's arrays and the result tables."""
    scenario = load_scenario(Path(__file__).resolve().parents[1] / "inputs" / "india-2026")
    result = solve(scenario)
    data = compile_scenario(scenario)
    row = point_figures(data, highs_engine.solve(data, SolveOptions(threads=1)))
    shares = metrics.country_shares(metrics.on_basis(result.mix))
    assert (shares["tonnes"] > 0).all()
    for material, country, share in zip(
        shares["material"], shares["country"], shares["share"], strict=True
    ):
        assert row[f"share_{material}_{country}"] == pytest.approx(share, abs=1e-8)
    largest = metrics.largest_shares(shares)
    for material in data.materials:
        if material in largest.index:
            assert row[f"top_country_{material}"] == largest.at[material, "country"]
            assert row[f"top_share_{material}"] == pytest.approx(largest.at[material, "share"])
        else:  # nothing supplied: no largest share
            assert row[f"top_country_{material}"] is None
            assert row[f"top_share_{material}"] is None
    assert row["largest_country_share"] == pytest.approx(largest["share"].max())
    lowest = metrics.lowest_cover(result.stock)
    for material in data.materials:
        expected = lowest[material]
        got = row[f"cover_months_{material}"]
        assert (got is None) if np.isnan(expected) else got == pytest.approx(expected, abs=1e-6)
    summary = result.summary()["largest_country_share"]
    assert {m: v["country"] for m, v in summary.items()} == {
        m: row[f"top_country_{m}"] for m in summary
    }
