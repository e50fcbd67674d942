"""The sweep report's figures as DataFrames (``optimizer.reporting``), on the results folders
built by hand in test_sweep_report: the numbers worked out from how those folders are made."""

from __future__ import annotations

import math

import pytest
from test_sweep_report import (
    CAP,
    CAP_FACTOR,
    COVER,
    RUSSIA,
    TORNADO,
    M,
    grid_rows,
    oat_rows,
    result_row,
    write_folder,
)

from optimizer.reporting import (
    SweepResults,
    cheapest_and_dearest,
    frontier,
    line_kind,
    parameter_lines,
    parameter_summary,
    rank_correlations,
    status_counts,
    tornado_bars,
    tornado_table,
)


@pytest.fixture(scope="module")
def grid(tmp_path_factory) -> SweepResults:
    """china_cap 40-80% × cover_months 0, 3, 6: cost (300 + (0.8 - cap) * 400 + 20 * cover) M;
    no plan at 40% and at 50% with 6 months (infeasible, an error)."""
    folder = tmp_path_factory.mktemp("analysis") / "grid"
    return SweepResults.from_folder(write_folder(folder, "grid", [CAP, COVER], grid_rows()))


def test_status_counts(grid):
    counts = status_counts(grid).set_index("status")
    assert list(counts.index) == ["optimal", "infeasible", "error"]
    assert list(counts["points"]) == [10, 1, 1]
    assert counts.at["optimal", "share"] == pytest.approx(10 / 12)
    assert counts.at["infeasible", "meaning"].startswith("no plan meets every cap")


def test_frontier_and_the_extremes(grid):
    assert list(frontier(grid)["point"]) == [0, 3, 6, 9]  # each cap's 0 months of cover
    extremes = cheapest_and_dearest(grid, count=2)
    assert list(extremes.loc["cheapest", "point"]) == [9, 10]  # USD 300 and 360 million
    assert list(extremes.loc["dearest", "point"]) == [1, 8]  # USD 520 and 500 million


def test_parameter_summary_and_lines(grid):
    cap, cover = grid.parameters
    summary = parameter_summary(grid, cap)
    assert list(summary.index) == [0.4, 0.5, 0.6, 0.8]
    assert summary.loc[0.4, ["points", "with_plan", "without_plan"]].tolist() == [3, 2, 1]
    assert summary.loc[0.4, "objective_usd_min"] == 460 * M
    assert summary.loc[0.4, "objective_usd_median"] == 490 * M
    assert summary.loc[0.8, ["objective_usd_min", "objective_usd_max"]].tolist() == [
        300 * M,
        420 * M,
    ]
    assert line_kind(grid, cap) == ("lines", cover)
    lines = parameter_lines(grid, cap)
    names = list(dict.fromkeys(lines.index.get_level_values("line")))
    assert names == ["cover_months 0", "cover_months 3", "cover_months 6"]
    six = lines.loc["cover_months 6"]
    assert list(six["china_cap"]) == [0.4, 0.5, 0.6, 0.8]
    assert list(six["status"]) == ["infeasible", "error", "optimal", "optimal"]


def test_rank_correlations_are_nan_for_a_constant_figure(grid, tmp_path):
    cap = grid.parameters[0]
    rho = rank_correlations(grid, cap)
    assert rho["largest_country_share"] == 1.0 and rho["objective_usd"] < 0
    rows = [result_row(p, {"china_cap": c}, "optimal", (300 + c) * M, 0.6) for p, c in
            enumerate((0.4, 0.6, 0.8))]  # fmt: skip
    flat = SweepResults.from_folder(write_folder(tmp_path / "flat", "grid", [CAP], rows))
    rho = rank_correlations(flat, CAP)  # no warning (warnings are errors here)
    assert math.isnan(rho["largest_country_share"]) and rho["objective_usd"] == 1.0


def test_tornado_table(tmp_path):
    folder = write_folder(
        tmp_path / "oat", "one-at-a-time", [CAP_FACTOR, RUSSIA, COVER], oat_rows()
    )
    results = SweepResults.from_folder(folder)
    table = tornado_table(tornado_bars(results.table, results.parameters)).set_index("parameter")
    assert list(table.index) == ["china_cap", "cover_months", "russia_price"]  # widest first
    for name, (low, high, low_value, high_value, missing) in TORNADO.items():
        row = table.loc[name]
        assert (row.low_usd, row.high_usd, row.low_value, row.high_value) == (
            low,
            high,
            low_value,
            high_value,
        )
        assert row.range_usd == high - low and row.base_usd == 100 * M
        assert row.no_plan_at == missing
