"""The HTML reports: self-contained, every chart a real PNG embedded in the page, identical on a
second write, and every chart rendered by a real headless Chromium without a console error."""

from __future__ import annotations

import base64
import dataclasses
import io
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from builders import CAPPED, scenario
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_hex
from matplotlib.patches import Rectangle
from pages import (
    WINDOW_WIDTH,
    Page,
    assert_embedded_png,
    assert_self_contained,
    chart_boxes,
    chromium,
    ink,
    page_of,
    panel_boxes,
    report_files,
    script_errors,
)
from PIL import Image

from optimizer import solve, write_result
from optimizer.cli.main import main
from optimizer.reporting import kit
from optimizer.reporting.charts import COUNTRY_COLOURS, country_colour
from optimizer.reporting.comparison_page import comparison_figures
from optimizer.reporting.plan_charts import plan_figures, render_plan_charts
from optimizer.results.compare import PlanView, compare, load_comparison
from optimizer.results.writing import write_comparison

ROOT = Path(__file__).resolve().parents[1]
DEFAULT, STRICT = ROOT / "inputs" / "india-2026", ROOT / "inputs" / "india-2026-strict"

PLAN_HEADINGS = [
    "Import mix by country",
    "Country shares per material",
    "Stock against the floor",
    "Cost breakdown",
    "Headline costs",
    "Policy costs",
    "Binding caps",
    "Unused offers closest to entering",
]
COMPARISON_HEADINGS = [
    "Plans",
    "Cost components",
    "Country shares",
    "Concentration",
    "Cover and shortfall",
    "Headline figures",
]
KINDS = {  # report kind: (folder key, charts, headings, names it must show)
    "plan": ("default", {"imports", "stock", "costs", "policy"}, PLAN_HEADINGS, ["india-2026"]),
    "strict plan": (
        "strict",
        {"imports", "stock", "costs", "policy"},
        PLAN_HEADINGS,
        ["india-2026-strict", "shortfall"],
    ),
    "comparison": (
        "comparison",
        {"costs", "shares", "concentration", "cover"},
        COMPARISON_HEADINGS,
        ["india-2026", "india-2026-strict", "baseline"],
    ),
}


@pytest.fixture(scope="module")
def folders(tmp_path_factory, shipped_result) -> dict[str, Path]:
    """A result folder per scenario and a comparison folder of both, as the CLI writes them."""
    root = tmp_path_factory.mktemp("reports")
    default = write_result(shipped_result(DEFAULT.name), root / "india-2026")
    strict = write_result(shipped_result(STRICT.name), root / "india-2026-strict")
    plans = [PlanView.from_folder(default), PlanView.from_folder(strict)]
    comparison = write_comparison(compare(plans), plans, root / "compare")
    return {"default": default, "strict": strict, "comparison": comparison}


@pytest.fixture(scope="module")
def written(folders) -> dict[str, dict[str, bytes]]:
    """Every report written once through the API: what each folder then holds."""
    from optimizer.reporting import write_comparison_report, write_plan_report

    out = {}
    for kind, (key, *_) in KINDS.items():
        write = write_comparison_report if kind == "comparison" else write_plan_report
        path = write(folders[key])
        assert path == folders[key] / "report.html"
        out[kind] = report_files(folders[key])
    return out


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
def test_report_is_a_valid_self_contained_page(written, kind):
    text, page = page_of(written, kind)
    _, _, headings, names = KINDS[kind]
    assert text.startswith('<!DOCTYPE html>\n<html lang="en">')
    assert '<meta charset="utf-8">' in text[:1024]
    assert not page.problems, page.problems
    assert len(page.ids) == len(set(page.ids))
    assert [h for h in headings if h not in page.headings] == []
    for name in names:
        assert name in text
    assert_self_contained(text, page)


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
def test_every_chart_is_a_real_png_embedded_in_the_page(written, kind):
    _, page = page_of(written, kind)
    charts = {path: data for path, data in written[kind].items() if path.startswith("charts/")}
    assert {Path(p).stem for p in charts} == KINDS[kind][1]
    assert len(page.images) == len(charts)
    for path, data in charts.items():
        assert_embedded_png(page, path, data, heights=(250, 2000))


@pytest.mark.slow
def test_the_comparison_table_formats_money_shares_and_differences(written, folders):
    text, _ = page_of(written, "comparison")
    headline = pd.read_csv(folders["comparison"] / "compare.csv")
    delta = float(headline.loc[headline["metric"] == "total", "Δ india-2026-strict"].iloc[0])
    expected = f"{delta:+,.0f}".replace("-", "\u2212")
    assert expected in text  # the strict plan's total cost, less the default's
    share = headline[(headline["metric"] == "share CN") & (headline["material"] == "Dy2O3")]
    base, change = share["india-2026"].iloc[0], share["Δ india-2026-strict"].iloc[0]
    assert f"{base:.1%}" in text  # China's share of Dy2O3, and its change in points
    assert f"{100 * change:+.1f} pp".replace("-", "\u2212") in text


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["plan", "comparison"])
def test_a_second_write_through_the_cli_is_byte_identical(folders, written, kind, capsys):
    folder = folders[KINDS[kind][0]]
    assert main(["report", str(folder)]) == 0
    assert "report.html" in capsys.readouterr().out
    again = report_files(folder)
    assert again.keys() == written[kind].keys()
    assert [path for path in again if again[path] != written[kind][path]] == []


def test_report_rejects_a_folder_that_is_neither(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert "not a result folder" in capsys.readouterr().err
    assert not (tmp_path / "report.html").exists()


def test_every_country_has_its_own_colour():
    known = list(COUNTRY_COLOURS)
    assert len({country_colour(c) for c in known}) == len(known)
    assert country_colour("ZZ") == country_colour("ZZ")


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("kind", ["plan", "comparison"])
def test_chromium_renders_every_chart(browser, folders, written, kind, tmp_path):
    _, page = page_of(written, kind)
    html = folders[KINDS[kind][0]] / "report.html"
    code, dom, log = chromium(browser, html, tmp_path / "profile")
    assert code == 0, log[-2000:]
    assert f'data-rendered="{len(page.images)}"' in dom, dom[-500:]
    assert len(page.images) == len(KINDS[kind][1])
    assert script_errors(log) == []


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("kind", ["plan", "comparison"])
def test_chromium_draws_every_chart_and_every_panel_in_ink(
    browser, folders, written, kind, tmp_path
):
    """The page in a real browser, as a screenshot: each chart drawn at its own shape and most
    of the column's width, and in the screenshot, ink (bars, lines) in every chart and in every
    panel of it (where the figure put its axes), not a blank or an empty frame."""
    key = KINDS[kind][0]
    html = folders[key] / "report.html"
    code, dom, log = chromium(browser, html, tmp_path / "profile")
    assert code == 0, log[-2000:]
    boxes = chart_boxes(dom)
    assert set(boxes) == KINDS[kind][1]
    for stem, (_, _, width, height) in boxes.items():
        png = Image.open(io.BytesIO(written[kind][f"charts/{stem}.png"]))
        assert 900 <= width <= WINDOW_WIDTH and height >= 150, (stem, width, height)
        assert height / width == pytest.approx(png.height / png.width, abs=0.01), stem
    bottom = max(top + height for _, top, _, height in boxes.values()) + 40
    shot = tmp_path / "page.png"
    code, _, log = chromium(browser, html, tmp_path / "profile", screenshot=shot, height=bottom)
    assert code == 0 and shot.exists(), log[-2000:]
    page = Image.open(shot)
    assert page.size == (WINDOW_WIDTH, bottom)
    figures = figures_of(folders, key)
    for stem, box in boxes.items():
        left, top, width, height = box
        assert ink(page.crop((left, top, left + width, top + height))) > 0.03, stem
        panels = panel_boxes(figures[stem], box)
        assert panels, stem
        for panel in panels:
            assert ink(page.crop(panel)) > 0.002, (stem, panel)


@pytest.mark.slow
@pytest.mark.browser
def test_chromium_check_catches_a_broken_chart(browser, tmp_path, written):
    """The check above is not vacuous: an undecodable image is not counted, and an image from
    the network is blocked by the page's policy and logged."""
    good = written["plan"]["charts/costs.png"]
    images = (
        f'<img src="data:image/png;base64,{base64.b64encode(good).decode()}" alt="good">'
        '<img src="data:image/png;base64,bm90IGEgcG5n" alt="broken">'
        '<img src="https://example.invalid/chart.png" alt="remote">'
    )
    html = tmp_path / "broken.html"
    html.write_text(kit.page("broken", images, [], "footer"), encoding="utf-8")
    code, dom, log = chromium(browser, html, tmp_path / "profile")
    assert code == 0
    assert 'data-rendered="1"' in dom
    assert any("example.invalid" in line for line in script_errors(log))


# ---------------------------------------------------------------------------------------------
# Charts that show something: no empty panel, no 1e-09 tick, and the supply chart counts what
# the country shares count (arrivals and domestic output)

E_NOTATION = re.compile(r"\d[eE][-+]?\d")  # 1e-09, 2.5e+06 (not the e- of "La-Ce-oxide")
TOLERANCE_T = 1e-6


def figures_of(folders: dict[str, Path], key: str) -> dict:
    """The matplotlib figures behind a report's charts, by stem (before they become PNGs)."""
    if key == "comparison":
        return comparison_figures(load_comparison(folders[key])[0])
    return plan_figures(PlanView.from_folder(folders[key]))


def panels_of(fig) -> dict[str, object]:
    """A figure's visible axes by title."""
    return {ax.get_title(): ax for ax in fig.axes if ax.get_visible()}


def column_tonnes(ax) -> pd.DataFrame:
    """The supply chart's bars in one panel: colour, whether hatched, tonnes (bar heights)."""
    rows = [
        (to_hex(bars.get_facecolor()[0]), bool(bars.get_hatch()), np.ptp(path.vertices[:, 1]))
        for bars in ax.collections
        if isinstance(bars, PolyCollection)
        for path in bars.get_paths()
    ]
    return pd.DataFrame(rows, columns=["colour", "hatched", "tonnes"])


def drawn_size(ax) -> float:
    """How much an axes draws: its largest bar (either way), filled area's height or line."""
    sizes = [0.0]
    sizes += [abs(p.get_width() * p.get_height()) for p in ax.patches if isinstance(p, Rectangle)]
    sizes += [
        float(np.ptp(path.vertices[:, 1])) * float(np.ptp(path.vertices[:, 0]))
        for collection in ax.collections
        for path in collection.get_paths()
        if len(path.vertices)
    ]
    sizes += [np.nanmax(np.abs(line.get_ydata())) for line in ax.lines if len(line.get_ydata())]
    return max(sizes)


@pytest.mark.slow
def test_the_supply_chart_counts_arrivals_and_domestic_output_as_the_shares_do(folders):
    folder = folders["default"]
    plan = PlanView.from_folder(folder)
    mix, bought = pd.read_csv(folder / "mix.csv"), pd.read_csv(folder / "plan.csv")
    stock = pd.read_csv(folder / "stock.csv")
    supply = mix.groupby(["material", "country"])["tonnes"].sum()  # the shares' tonnes
    supply = supply[supply > TOLERANCE_T]
    made = stock.groupby("material")["produced_t"].sum()
    arrived = bought.groupby(["material", "country"])["tonnes"].sum()
    fig = plan_figures(plan)["imports"]
    panels = panels_of(fig)
    supplied = [m for m in plan.materials if m in supply.index.get_level_values("material")]
    assert list(panels) == supplied  # every material with supply, in order, and no other
    for material, ax in panels.items():
        bars = column_tonnes(ax)
        expected = {country_colour(c): t for c, t in supply[material].items()}
        drawn = bars.groupby("colour")["tonnes"].sum()
        assert drawn.to_dict() == pytest.approx(expected, rel=1e-6, abs=1e-6), material
        hatched = bars.loc[bars["hatched"], "tonnes"].sum()
        assert hatched == pytest.approx(made.get(material, 0.0), rel=1e-6, abs=1e-6), material
        solid = bars[~bars["hatched"]].groupby("colour")["tonnes"].sum()
        expected = {country_colour(c): t for c, t in arrived.get(material, pd.Series()).items()}
        assert solid.to_dict() == pytest.approx(expected, rel=1e-6, abs=1e-6), material
    # Made only at home (no arrivals at all): shown, with its domestic output.
    home_only = [m for m in supplied if m not in set(bought["material"])]
    assert {"NdPr-oxide", "La-Ce-oxide"} <= set(home_only)
    assert column_tonnes(panels["NdPr-oxide"])["hatched"].all()
    # Neither arriving nor made: left out, and the caption says so and why.
    nothing = [m for m in plan.materials if m not in supplied]
    assert nothing == ["RE-carbonate"]
    caption = render_plan_charts(plan).imports.caption
    assert "Not shown: RE-carbonate (no arrivals or domestic output)." in caption
    assert "domestic output" in fig.legends[0].get_title().get_text()


@pytest.mark.slow
def test_domestic_output_made_in_two_countries_is_split_as_mix_csv_counts_it(folders):
    """Units in two countries make one material in a window: each month's output is split in
    proportion to their output in the window, so each country's total is mix.csv's."""
    plan = PlanView.from_folder(folders["default"])
    mix = plan.tables["mix"]
    oxide = mix.index[(mix["material"] == "NdPr-oxide") & (mix["tonnes"] > 0)]
    abroad = mix.loc[oxide].assign(country="JP", tonnes=mix.loc[oxide, "tonnes"] * 0.25)
    mix = mix.assign(tonnes=mix["tonnes"].where(~mix.index.isin(oxide), mix["tonnes"] * 0.75))
    mix = pd.concat([mix, abroad], ignore_index=True)
    split = dataclasses.replace(plan, tables={**plan.tables, "mix": mix})
    bars = column_tonnes(panels_of(plan_figures(split)["imports"])["NdPr-oxide"])
    assert bars["hatched"].all()
    made = mix[mix["material"] == "NdPr-oxide"].groupby("country")["tonnes"].sum()
    expected = {country_colour(c): t for c, t in made.items()}
    drawn = bars.groupby("colour")["tonnes"].sum().to_dict()
    assert drawn == pytest.approx(expected, rel=1e-6)


@pytest.mark.slow
def test_a_chart_with_nothing_to_show_is_not_drawn_and_the_page_says_why(folders, tmp_path):
    folder = Path(shutil.copytree(folders["default"], tmp_path / "nothing-bought"))
    bought = pd.read_csv(folder / "plan.csv")
    bought.iloc[:0].to_csv(folder / "plan.csv", index=False)
    stock = pd.read_csv(folder / "stock.csv")
    stock.assign(produced_t=0.0).to_csv(folder / "stock.csv", index=False)
    plan = PlanView.from_folder(folder)
    assert plan_figures(plan)["imports"] is None
    from optimizer.reporting import write_plan_report

    text = write_plan_report(folder).read_text(encoding="utf-8")
    assert "No chart: nothing arrives or is made" in text
    assert not (folder / "charts" / "imports.png").exists()
    assert 'id="chart-stock"' in text  # the others are still drawn


@pytest.mark.slow
@pytest.mark.parametrize("key", ["default", "strict", "comparison"])
def test_no_chart_has_an_empty_panel_or_a_tick_in_e_notation(folders, key):
    figures = figures_of(folders, key)
    assert all(fig is not None for fig in figures.values()), figures
    for stem, fig in figures.items():
        for ax in fig.axes:
            if not ax.get_visible():
                continue
            where = (key, stem, ax.get_title())
            assert drawn_size(ax) > 0, where  # something with a positive height or length
            for axis in (ax.xaxis, ax.yaxis):
                labels = [t.get_text() for t in axis.get_ticklabels()]
                assert [t for t in labels if E_NOTATION.search(t)] == [], where
                assert axis.get_offset_text().get_text() == "", where


def test_the_panel_checks_catch_an_empty_panel_and_a_1e_09_tick():
    """The checks above are not vacuous: a panel drawn as the supply chart once drew a material
    with nothing (its y axis up to 1e-9, matplotlib's own ticks) fails each of them."""
    from optimizer.reporting.charts import chart_style, column_bars, new_figure

    with chart_style():
        fig = new_figure(2.5)
        full, empty = fig.subplots(1, 2)
        column_bars(full, np.arange(3), np.array([1.0, 2.0, 3.0]), np.zeros(3), "#e15759")
        full.set_xlim(-0.6, 2.6)
        full.set_ylim(0, 3.2)
        empty.set_ylim(0, 1e-9)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
    assert drawn_size(full) > 0 and drawn_size(empty) == 0
    labels = [t.get_text() for t in empty.yaxis.get_ticklabels()]
    offset = empty.yaxis.get_offset_text().get_text()
    assert offset or any(E_NOTATION.search(t) for t in labels), (labels, offset)
    image = Image.open(buffer)
    box = (0, 0, *image.size)
    inks = [ink(image.crop(panel)) for panel in panel_boxes(fig, box)]
    assert inks[0] > 0.1 and inks[1] < 0.002, inks


# ---------------------------------------------------------------------------------------------
# Names are text: escaped in the HTML, never mathtext in a chart

ODD_COUNTRY, ODD_MATERIAL = "$\\foo{$", "<script>alert(1)</script>"


def renamed(result, folder: Path) -> Path:
    """A result folder whose tables name a country $\\foo{$ (mathtext that fails to parse)
    and a material <script>...: names the input files may carry into a report."""
    write_result(result, folder)
    for path in folder.glob("*.csv"):
        table = pd.read_csv(path)
        if "country" in table.columns:
            table["country"] = table["country"].replace("CN", ODD_COUNTRY)
        if "material" in table.columns:
            table["material"] = table["material"].replace("Dy", ODD_MATERIAL)
        table.to_csv(path, index=False)
    return folder


def assert_escaped(text: str) -> None:
    assert "<script>alert" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert ODD_COUNTRY in text


def test_odd_names_are_drawn_as_text_and_escaped_in_the_page(tmp_path):
    from optimizer.reporting import write_comparison_report, write_plan_report

    result = solve(scenario(**CAPPED))
    first = renamed(result, tmp_path / "<b>first")
    second = renamed(result, tmp_path / "_second $x$")
    text = write_plan_report(first).read_text(encoding="utf-8")
    assert_escaped(text)
    assert "Sourcing plan: &lt;b&gt;first (scenario hand)" in text and "<b>" not in text
    assert not Page(text).problems
    plans = [PlanView.from_folder(first), PlanView.from_folder(second)]
    comparison = write_comparison(compare(plans), plans, tmp_path / "compare")
    text = write_comparison_report(comparison).read_text(encoding="utf-8")
    assert_escaped(text)
    assert "&lt;b&gt;first vs _second $x$" in text and "<b>" not in text
    assert not Page(text).problems
    charts = {p.stem for p in (comparison / "charts").iterdir()}
    assert charts == KINDS["comparison"][1]


# ---------------------------------------------------------------------------------------------
# Without a browser, the browser tests skip (or fail where one is required)


def test_browser_tests_skip_without_chromium_unless_required(tmp_path, monkeypatch, request):
    import conftest

    monkeypatch.setenv("PATH", str(tmp_path))  # nothing on PATH
    monkeypatch.setattr(conftest, "DEBIAN_CHROMIUM", str(tmp_path / "missing"))
    monkeypatch.delenv(conftest.REQUIRE_BROWSER, raising=False)
    assert conftest.find_browser() is None
    with pytest.raises(pytest.skip.Exception, match="no Chromium found") as skipped:
        request.getfixturevalue("browser")  # what the browser tests ask for
    assert "\n" not in str(skipped.value)
    monkeypatch.setenv(conftest.REQUIRE_BROWSER, "1")
    with pytest.raises(pytest.fail.Exception, match="SOURCING_REQUIRE_BROWSER=1"):
        conftest.browser_or_skip()
    fake = tmp_path / "chromium-browser"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    assert conftest.browser_or_skip() == fake  # found on PATH


@pytest.mark.parametrize("window", ["month", "year", "horizon"])
def test_domestic_output_is_shown_under_every_cap_window(window):
    from test_content_origin import magnet_case

    from optimizer.reporting.plan_charts import monthly_supply

    # magnet_case: 30 t of metal from CN made into 30 t of magnet in IN (a tonne a tonne).
    case = magnet_case("processing")
    case = case.with_changes(settings=case.settings.with_changes(cap_window=window))
    supply = monthly_supply(PlanView.from_result(solve(case)))
    totals = supply.groupby(["material", "country", "source"])["tonnes"].sum()
    assert totals.to_dict() == pytest.approx(
        {("magnet", "IN", "domestic output"): 30.0, ("metal", "CN", "arrivals"): 30.0}
    )
