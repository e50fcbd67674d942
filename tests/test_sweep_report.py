"""The sweep report (``sourcing sweep-report``) on results folders built by hand, one per design:
the page is self-contained, every chart is a real PNG embedded in it, a second write is
byte-identical, the frontier and the tornado hold the figures worked out by hand, and a real
headless Chromium renders every chart without a console message."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib import style
from pages import (
    Page,
    assert_embedded_png,
    assert_self_contained,
    chromium,
    page_of,
    report_files,
    script_errors,
)

from optimizer.cli.main import main
from optimizer.reporting import (
    SweepParameter,
    SweepResults,
    frontier,
    pareto_frontier,
    tornado_bars,
    write_sweep_report,
)
from optimizer.reporting.sweep_charts import draw_frontier

MATERIALS = ("Dy2O3", "NdPr-oxide")
COUNTRIES = ("CN", "MY")
CAP = SweepParameter("china_cap", "country_caps.max_share[country=CN]", "set", 0.6)
COVER = SweepParameter("cover_months", "policy.stockpile_cover_months", "set", 2.0)
CAP_FACTOR = SweepParameter("china_cap", "country_caps.max_share[country=CN]", "factor", 1.0)
RUSSIA = SweepParameter("russia_price", "offers.price_usd_per_t[country=RU]", "factor", 1.0)
PRICE = SweepParameter("china_price", "offers.price_usd_per_t[country=CN]", "factor", 1.0)
M = 1e6

# One-at-a-time: (china_cap, russia_price, cover_months) -> (status, total cost); point 0 is
# the base. Worked out by hand: the tornado's bars run over these costs, the base's included.
OAT_POINTS = [
    ((1.0, 1.0, 2.0), "optimal", 100 * M),
    ((0.75, 1.0, 2.0), "optimal", 150 * M),
    ((1.25, 1.0, 2.0), "optimal", 95 * M),
    ((1.0, 0.7, 2.0), "optimal", 98 * M),
    ((1.0, 1.3, 2.0), "error", math.nan),
    ((1.0, 1.0, 0.0), "optimal", 90 * M),
    ((1.0, 1.0, 1.0), "optimal", 95 * M),
    ((1.0, 1.0, 3.0), "optimal", 110 * M),
    ((1.0, 1.0, 6.0), "infeasible", math.nan),
]
TORNADO = {  # parameter: (low cost, high cost, value at low, value at high, values without plan)
    "china_cap": (95 * M, 150 * M, 1.25, 0.75, []),
    "cover_months": (90 * M, 110 * M, 0.0, 3.0, [(6.0, "infeasible")]),
    "russia_price": (98 * M, 100 * M, 0.7, 1.0, [(1.3, "error")]),
}
CHARTS = {
    "grid": {"frontier", "cap-china_cap", "line-china_cap", "line-cover_months"},
    "one-at-a-time": {
        "frontier",
        "tornado",
        "line-china_cap",
        "line-russia_price",
        "line-cover_months",
    },
    "latin-hypercube": {
        "frontier",
        "cap-china_cap",
        "line-china_cap",
        "line-china_price",
        "line-cover_months",
    },
}


# ---------------------------------------------------------------------------------------------
# Results folders built by hand, as `sourcing sweep` writes them


def result_row(point: int, values: dict, status: str, cost: float, share: float, short=0.0):
    """One row of results.parquet: every column `optimizer.sweep.run` writes."""
    row = {"point": point, **values, "status": status}
    row["termination"] = {"optimal": "Optimal", "infeasible": "Infeasible"}.get(status, "")
    has_plan = math.isfinite(cost)
    parts = (cost - short, 0.04 * cost, 0.001 * cost, 0.002 * cost, short) if has_plan else ()
    names = ("purchase_usd", "tariff_usd", "freight_usd", "holding_usd", "shortfall_usd")
    row["objective_usd"] = cost if has_plan else math.nan
    for name, value in zip(names, parts or [math.nan] * 5, strict=True):
        row[name] = value
    row["largest_country_share"] = share if has_plan else math.nan
    for i, material in enumerate(MATERIALS):
        top = share - 0.05 * i if has_plan else math.nan
        row[f"top_country_{material}"] = "CN" if has_plan else None
        row[f"top_share_{material}"] = top
        row[f"share_{material}_CN"] = top
        row[f"share_{material}_MY"] = 1 - top if has_plan else math.nan
        row[f"shortfall_t_{material}"] = short / 1e5 if has_plan else math.nan
        row[f"cover_months_{material}"] = values.get("cover_months", 2.0) if has_plan else None
    row |= {"warm": point > 0, "solve_s": 0.01, "worker": 4242}
    row["diagnosis"] = (
        "Dy2O3 2026-01..2026-12: demand and the floor need more than the caps let in. " * 5
        if status == "infeasible"
        else ("RuntimeError: the solver crashed" if status == "error" else None)
    )
    return row


def write_folder(
    folder: Path, design: str, parameters, rows: list[dict], frontier: dict | None = None
) -> Path:
    """A results folder; without ``frontier``, as written before the frontier measure (the
    report falls back to the largest share)."""
    folder.mkdir(parents=True)
    manifest = {
        "format": "rare-earth-sourcing sweep",
        "name": folder.name,
        "fingerprint": "0123456789abcdef" * 4,
        "design": design,
        "points": len(rows),
        "parameters": [
            {"name": p.name, "path": p.path, "mode": p.mode, "base": p.base} for p in parameters
        ],
        "sweep_file": f"inputs/sweeps/{folder.name}.toml",
        "scenario": "inputs/india-2026",
        **({"frontier": frontier} if frontier else {}),
    }
    (folder / "sweep.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    table = pd.DataFrame(rows)
    table.to_parquet(folder / "results.parquet", index=False)
    table.to_csv(folder / "results.csv", index=False)
    return folder


def grid_rows() -> list[dict]:
    """china_cap × cover_months; no plan at 40% with 6 months (infeasible) nor at 50% with 6
    months (an error); plans under a 40% cap leave demand unmet."""
    rows = []
    for cap in (0.4, 0.5, 0.6, 0.8):
        for cover in (0.0, 3.0, 6.0):
            point = len(rows)
            status = {(0.4, 6.0): "infeasible", (0.5, 6.0): "error"}.get((cap, cover), "optimal")
            cost = (300 + (0.8 - cap) * 400 + cover * 20) * M if status == "optimal" else math.nan
            short = 50 * M if cap == 0.4 else 0.0
            values = {"china_cap": cap, "cover_months": cover}
            rows.append(result_row(point, values, status, cost, cap, short))
    return rows


def oat_rows() -> list[dict]:
    rows = []
    for point, ((cap, russia, cover), status, cost) in enumerate(OAT_POINTS):
        values = {"china_cap": cap, "russia_price": russia, "cover_months": cover}
        rows.append(result_row(point, values, status, cost, 0.6 * cap - 0.01 * cover))
    return rows


def lhs_rows() -> list[dict]:
    rng = np.random.default_rng(3)
    rows = []
    for point in range(24):
        cap, price, cover = rng.uniform(0.4, 0.8), rng.uniform(0.8, 1.5), rng.uniform(0, 6)
        status = {2: "infeasible", 7: "infeasible", 5: "error", 9: "limit"}.get(point, "optimal")
        cost = (250 + 500 * (0.8 - cap) + 60 * price + 25 * cover) * M
        cost = cost if status in ("optimal", "limit") else math.nan
        values = {"china_cap": round(cap, 6), "china_price": round(price, 6),
                  "cover_months": round(cover, 6)}  # fmt: skip
        share = min(cap + rng.uniform(0, 0.1), 1.0)
        rows.append(result_row(point, values, status, cost, share, 30 * M if cover > 5 else 0.0))
    return rows


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("sweeps")
    return {
        "grid": write_folder(root / "grid", "grid", [CAP, COVER], grid_rows()),
        "one-at-a-time": write_folder(
            root / "oat", "one-at-a-time", [CAP_FACTOR, RUSSIA, COVER], oat_rows()
        ),
        "latin-hypercube": write_folder(
            root / "lhs", "latin-hypercube", [CAP, PRICE, COVER], lhs_rows()
        ),
    }


@pytest.fixture(scope="module")
def written(folders) -> dict[str, dict[str, bytes]]:
    out = {}
    for design, folder in folders.items():
        assert write_sweep_report(folder) == folder / "report.html"
        out[design] = report_files(folder)
    return out


# ---------------------------------------------------------------------------------------------
# The page and its charts


@pytest.mark.slow
@pytest.mark.parametrize("design", CHARTS)
def test_the_page_is_valid_and_self_contained(written, design):
    text, page = page_of(written, design)
    assert text.startswith('<!DOCTYPE html>\n<html lang="en">')
    assert not page.problems, page.problems
    assert len(page.ids) == len(set(page.ids))
    for heading in ("Points by status", "Cost and concentration", "Points on the frontier",
                    "Each parameter", "Cheapest and dearest points", "Points without a plan",
                    "Parameters"):  # fmt: skip
        assert heading in page.headings, heading
    assert ("Tornado" in page.headings) == (design == "one-at-a-time")
    assert_self_contained(text, page)
    assert not re.search(r"https?://", text, re.I)


@pytest.mark.slow
@pytest.mark.parametrize("design", CHARTS)
def test_every_chart_is_a_real_png_embedded_in_the_page(written, design):
    _, page = page_of(written, design)
    charts = {path: data for path, data in written[design].items() if path.startswith("charts/")}
    assert {Path(p).stem for p in charts} == CHARTS[design]
    assert len(page.images) == len(charts)
    for path, data in charts.items():
        assert_embedded_png(page, path, data, heights=(300, 1500))


@pytest.mark.slow
def test_a_second_write_is_byte_identical_and_drops_stale_charts(folders, written, capsys):
    folder = folders["grid"]
    stale = folder / "charts" / "line-gone.png"
    stale.write_bytes(written["grid"]["charts/frontier.png"])
    kept = folder / "charts" / "notes.png"  # not a sweep chart's name: left alone
    kept.write_bytes(b"mine")
    assert main(["sweep-report", str(folder)]) == 0
    assert "report.html" in capsys.readouterr().out
    assert not stale.exists() and kept.read_bytes() == b"mine"
    kept.unlink()
    again = report_files(folder)
    assert again.keys() == written["grid"].keys()
    assert [path for path in again if again[path] != written["grid"][path]] == []


def test_sweep_report_rejects_a_folder_that_is_not_a_sweeps(tmp_path, capsys):
    assert main(["sweep-report", str(tmp_path)]) == 2
    assert "not a sweep results folder" in capsys.readouterr().err
    assert not (tmp_path / "report.html").exists()


@pytest.mark.slow
def test_the_page_tells_which_settings_have_no_plan(written):
    grid, _ = page_of(written, "grid")
    status = re.search(r'<section id="points-by-status">.*?</section>', grid, re.S).group(0)
    assert '>optimal</td><td class="num">10<' in status
    assert '>infeasible</td><td class="num">1<' in status and ">error<" in status
    assert "china_cap 40% with cover_months 6 (1 point)" in grid  # the error at 50% is not
    assert "china_cap 50% with cover_months 6" not in grid
    assert "RuntimeError: the solver crashed" in grid
    oat, _ = page_of(written, "one-at-a-time")
    assert "cover_months: no plan at 6 (infeasible)" in oat
    assert "no plan at ×1.3 (error)" in oat
    lhs, _ = page_of(written, "latin-hypercube")
    assert re.search(r"The \d+ points without a plan have china_cap", lhs)
    assert ">limit</td>" in lhs


@pytest.mark.slow
def test_the_frontier_table_lists_the_cheapest_plan_per_share(written):
    grid, _ = page_of(written, "grid")
    table = re.search(r"<h3>Points on the frontier</h3>(.*?)</table>", grid, re.S).group(1)
    points = re.findall(r'<tr><td class="num">(\d+)</td>', table)
    # each cap's cheapest (0 months of cover) point: 80% is the cheapest, 40% the least share
    assert points == ["0", "3", "6", "9"]
    assert "+160.0" in table and "460.0" in table  # a 40% cap: USD 460 million, 160 more


# ---------------------------------------------------------------------------------------------
# The figures behind the charts


def brute_force_front(points: pd.DataFrame) -> set:
    ok = points[np.isfinite(points["x"]) & np.isfinite(points["y"])]
    front = set()
    for i, a in ok.iterrows():
        dominated = any(
            b.x <= a.x and b.y <= a.y and (b.x < a.x or b.y < a.y) for _, b in ok.iterrows()
        )
        if not dominated:
            front.add(i)
    return front


def test_the_pareto_frontier_is_exactly_the_non_dominated_points():
    points = pd.DataFrame(
        {
            "x": [0.5, 0.6, 0.6, 0.7, 0.8, 0.8, 0.9, 0.4, 0.45, 0.3, 0.35, math.nan],
            "y": [10, 8, 9, 8, 5, 5, 6, 12, 12, math.nan, math.inf, 1],
        },
        index=list("ABCDEFGHIJKL"),
    )
    # C and D lose to B (as cheap, less concentrated); G to E; I to H; J, K, L lack a figure.
    # E and F tie exactly: neither dominates the other.
    front = pareto_frontier(points, x="x", y="y")
    assert list(front.index) == ["H", "A", "B", "E", "F"]
    rng = np.random.default_rng(11)
    for _ in range(30):
        random = pd.DataFrame(
            {"x": rng.integers(0, 8, 25) / 10, "y": rng.integers(0, 12, 25).astype(float)}
        )
        assert set(pareto_frontier(random, x="x", y="y").index) == brute_force_front(random)


def test_the_tornado_bars_span_the_cost_over_each_parameters_values():
    table = pd.DataFrame(oat_rows())
    bars = tornado_bars(table, [CAP_FACTOR, RUSSIA, COVER])
    assert [bar.parameter.name for bar in bars] == ["china_cap", "cover_months", "russia_price"]
    for bar in bars:
        low, high, low_value, high_value, missing = TORNADO[bar.parameter.name]
        # the bar's ends: the least and the most total cost over the parameter's own points and
        # the base point, read straight off the hand-made table
        own = table[
            [
                all(
                    row[q.name] == q.base for q in (CAP_FACTOR, RUSSIA, COVER) if q != bar.parameter
                )
                for _, row in table.iterrows()
            ]
        ]
        costs = own.loc[own["status"] == "optimal", "objective_usd"]
        assert (bar.low, bar.high) == (costs.min(), costs.max()) == (low, high)
        assert (bar.low_value, bar.high_value) == (low_value, high_value)
        assert bar.base_cost == 100 * M
        assert list(bar.missing) == missing
        assert bar.width == high - low


# ---------------------------------------------------------------------------------------------
# In a real browser


@pytest.mark.slow
@pytest.mark.browser
def test_chromium_renders_every_chart(browser, folders, written, tmp_path):
    _, page = page_of(written, "one-at-a-time")
    html = folders["one-at-a-time"] / "report.html"
    code, dom, log = chromium(browser, html, tmp_path / "profile")
    assert code == 0, log[-2000:]
    assert len(page.images) == len(CHARTS["one-at-a-time"])
    assert f'data-rendered="{len(page.images)}"' in dom, dom[-500:]
    assert script_errors(log) == []


# ---------------------------------------------------------------------------------------------
# Names read from sweep.json are text


def test_odd_parameter_names_are_text_and_never_paths(tmp_path):
    """A sweep.json edited by hand may name a parameter anything: mathtext that fails to
    parse, HTML, a path. The report is drawn, the names escaped, the charts' files plain."""
    odd = SweepParameter("$\\foo{$ <script>x</script> ../../up", CAP.path, "set", 0.6)
    rows = [
        result_row(point, {odd.name: cap}, "optimal", (300 + 100 * (0.8 - cap)) * M, cap)
        for point, cap in enumerate((0.6, 0.4, 0.8))
    ]
    folder = write_folder(tmp_path / "odd", "grid", [odd], rows)
    text = write_sweep_report(folder).read_text(encoding="utf-8")
    assert "$\\foo{$ &lt;script&gt;x&lt;/script&gt; ../../up" in text
    assert "<script>x" not in text and not Page(text).problems
    charts = sorted(p.name for p in (folder / "charts").iterdir())
    assert len(charts) == 3 and all(re.fullmatch(r"[a-z0-9_-]+\.png", c) for c in charts)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["odd"]


# ---------------------------------------------------------------------------------------------
# The frontier measure sweep.json names

FOREIGN = {
    "measure": "foreign-share",
    "country": None,
    "material": None,
    "home": "IN",
    "column": "concentration",
    "label": "the largest single foreign-country share (other than IN) of any material",
    "unit": "share",
}


def test_the_frontier_plots_the_measure_sweep_json_names(tmp_path):
    # The largest shares are all 100% (India's own supply); the foreign share is 0.9 x the cap.
    rows = grid_rows()
    for row in rows:
        has_plan = math.isfinite(row["objective_usd"])
        row["largest_country_share"] = 1.0 if has_plan else math.nan
        row["concentration"] = 0.9 * row["china_cap"] if has_plan else math.nan
        row["foreign_share_Dy2O3"] = row["concentration"]
        row["foreign_country_Dy2O3"] = "CN" if has_plan else None
    folder = write_folder(tmp_path / "grid", "grid", [CAP, COVER], rows, FOREIGN)
    results = SweepResults.from_folder(folder)
    assert results.measure.label == FOREIGN["label"] and results.measure.column == "concentration"
    assert list(frontier(results)["point"]) == [0, 3, 6, 9]  # each cap's cheapest
    with style.context("default"):
        figure = draw_frontier(results)
    ticks = [t.get_text() for t in figure.axes[0].get_xticklabels()]
    assert ticks and all(re.fullmatch(r"\d+(\.\d+)?%", t) for t in ticks), ticks
    assert all(0 <= float(t[:-1]) <= 100 for t in ticks)
    text = write_sweep_report(folder).read_text(encoding="utf-8")
    table = re.search(r"<h3>Points on the frontier</h3>(.*?)</table>", text, re.S).group(1)
    assert "The largest single foreign-country share (other than IN) of any material" in table
    assert ">Held by<" in table and ">CN (Dy2O3)<" in table and ">36.0%<" in table
    assert "100.0%" not in table  # the largest share, which does not vary, is not shown
