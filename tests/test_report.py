"""The HTML reports: self-contained, every chart a real PNG embedded in the page, identical on a
second write, and every chart rendered by a real headless Chromium without a console error."""

from __future__ import annotations

import base64
from pathlib import Path

import pandas as pd
import pytest
from builders import CAPPED, scenario
from pages import (
    Page,
    assert_embedded_png,
    assert_self_contained,
    chromium,
    page_of,
    report_files,
    script_errors,
)

from optimizer import solve, write_result
from optimizer.cli.main import main
from optimizer.reporting import kit
from optimizer.reporting.charts import COUNTRY_COLOURS, country_colour
from optimizer.results.compare import PlanView, compare
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
