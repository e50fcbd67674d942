"""Concentration figures that say something: the watched country's share, the largest foreign
share and the HHI, by hand on tiny plans; and compare's text that fits 100 columns."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from builders import CAPPED, scenario
from helpers import only_problem

from optimizer import solve
from optimizer.results import metrics
from optimizer.results.compare import PlanView, compare
from optimizer.results.compare_text import format_comparison, format_figure
from optimizer.results.summary_text import format_summary


def test_concentration_by_hand():
    supply = pd.DataFrame(
        {
            "material": ["Dy", "Dy", "Dy", "Nd", "Nd", "Sm"],
            "country": ["CN", "IN", "MY", "IN", "IN", "CN"],
            "tonnes": [30.0, 40.0, 30.0, 5.0, 5.0, 0.0],
        }
    )
    shares = metrics.country_shares(supply)
    table = metrics.concentration(shares, "CN", "IN")
    # Dy: CN 30%, IN 40% (home, left out), MY 30%: the largest foreign share is the tie of CN
    # and MY at 30%, CN first by name; HHI 0.3^2 + 0.4^2 + 0.3^2 = 0.34 -> 3,400.
    assert table.loc["Dy"].tolist() == pytest.approx([0.3, "CN", 0.3, 3400.0])
    # Nd: only the home country: CN's share is 0, no foreign share; a single source.
    assert table.at["Nd", "watched_share"] == 0.0 and np.isnan(table.at["Nd", "foreign_share"])
    assert table.at["Nd", "hhi"] == 10_000
    # Sm: nothing supplied, so no figure at all.
    assert table.loc["Sm", ["watched_share", "foreign_share", "hhi"]].isna().all()
    # Without a home country every country is foreign: IN's 40% is the largest.
    anywhere = metrics.concentration(shares, "CN", None)
    assert (anywhere.at["Dy", "foreign_country"], anywhere.at["Dy", "foreign_share"]) == ("IN", 0.4)


def capped_plan(**settings):
    sc = scenario(**CAPPED)
    return solve(sc.with_changes(settings=sc.settings.with_changes(**settings)))


def test_a_capped_plan_records_and_prints_its_concentration():
    # CAPPED: China capped at 60% of Dy, Australia supplies the rest (derived in
    # test_hand_solved): CN 60%, AU 40%, HHI 5,200.
    result = capped_plan(home_country="AU")
    record = json.loads(json.dumps(result.summary()))["concentration"]
    assert (record["basis"], record["watched_country"], record["home_country"]) == (
        "processing",
        "CN",
        "AU",
    )
    dy = record["materials"]["Dy"]
    assert dy == {
        "watched_share": 0.6,
        "foreign_country": "CN",
        "foreign_share": 0.6,
        "hhi": 5200.0,
    }
    lines = format_summary(result).splitlines()
    start = lines.index(
        "Concentration (processing basis, as the caps count; foreign = every country but AU):"
    )
    assert lines[start + 2].split() == ["Dy", "60.0%", "CN", "60.0%", "5,200"]


def test_the_watched_country_is_a_setting():
    # Watching Australia, with China as home: AU's share 40% is also the largest foreign one.
    result = capped_plan(watched_country="AU", home_country="CN")
    dy = result.summary()["concentration"]["materials"]["Dy"]
    assert (dy["watched_share"], dy["foreign_country"], dy["foreign_share"]) == (
        pytest.approx(0.4),
        "AU",
        pytest.approx(0.4),
    )
    assert "AU share" in format_summary(result)


def test_a_country_setting_must_be_a_code(small_scenario):
    toml = small_scenario / "scenario.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace("[policy]\n", '[policy]\nhome_country = "In dia"\n'), "utf-8")
    found = only_problem(small_scenario)
    # the file, the line the key is on, the key and what is wrong
    assert found.startswith("scenario.toml:12: policy.home_country:"), found
    assert "'In dia' is not a country code" in found


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (0.00004, "share", "+0.004 pp"),  # too small for 1 decimal: 2 significant digits
        (-0.0000123, "share", "-0.0012 pp"),
        (-0.3, "USD", "-0.3"),
        (1e-12, "USD", "="),
        (-0.1, "share", "-10.0 pp"),
        (-290.0, "0-10000", "-290"),
    ],
)
def test_a_difference_never_reads_minus_zero(value, unit, expected):
    assert format_figure(value, unit, difference=True) == expected


@pytest.fixture(scope="module")
def three_plans(shipped_result):
    names = ("india-2026", "india-2026-strict", "india-2026-partner")
    return compare([PlanView.from_result(shipped_result(name)) for name in names])


def test_three_shipped_plans_fit_100_columns(three_plans):
    text = format_comparison(three_plans)
    lines = text.splitlines()
    assert max(map(len, lines)) <= 100, max(lines, key=len)
    # Too wide for one table: a block per plan against the baseline, each titled.
    assert "india-2026-strict against india-2026:" in lines
    assert "india-2026-partner against india-2026:" in lines
    # A material nothing is bought, made, held or short of is one line, not a block of dashes.
    assert (
        "RE-carbonate: no figure but 0 in any plan (nothing bought or made, no shortfall)" in lines
    )
    assert not [line for line in lines if line.startswith("  ") and set(line.split()[-3:]) == {"-"}]
    # wrapped once, where the text stands (not wrapped, then indented and wrapped again)
    assert "          rare-earth magnet supply 2026-2028 under a stric ..." in lines
    cells = {cell for line in lines for cell in line.split()}
    assert not {"-0", "+0", "-0.0", "+0.0"} & cells


def test_compare_gives_the_foreign_share_on_the_caps_basis(three_plans, shipped_result):
    headline = three_plans.headline.set_index(["metric", "material"])
    default = shipped_result("india-2026").summary()["concentration"]["materials"]
    # India is home: its own oxide has no foreign share; Dy2O3's largest foreign source is CN.
    assert np.isnan(headline.at[("largest foreign share", "NdPr-oxide"), "india-2026"])
    assert default["Dy2O3"]["foreign_country"] == "CN"
    assert headline.at[("largest foreign share", "Dy2O3"), "india-2026"] == pytest.approx(
        default["Dy2O3"]["foreign_share"], abs=1e-6
    )
    strict = headline.at[("largest foreign share", "Dy2O3"), "india-2026-strict"]
    assert strict == pytest.approx(0.5, abs=1e-6)  # the strict scenario's 50% cap binds


@pytest.mark.parametrize(
    "name", ["india-2026", "india-2026-strict", "india-2026-partner", "india-2026-risk"]
)
def test_every_shipped_summary_fits_100_columns(shipped_result, name):
    # (a path longer than a line stays whole: it cannot be cut)
    text = format_summary(shipped_result(name), written_to=Path("results") / name)
    lines = text.splitlines()
    assert max(map(len, lines)) <= 100, max(lines, key=len)
    assert any(line.startswith("Concentration (") for line in lines)


def test_the_plan_report_shows_the_concentration(tmp_path):
    from optimizer import write_result
    from optimizer.reporting.plan_page import write_plan_report

    folder = write_result(capped_plan(home_country="AU"), tmp_path / "plan")
    text = write_plan_report(folder).read_text(encoding="utf-8")
    start = text.index("<caption>Concentration on the basis the caps count (processing)")
    table = text[start : text.index("</table>", start)]
    cells = [cell.split(">")[-1] for cell in table.split("</td>")[:-1]]
    assert cells == ["Dy", "60.0%", "CN 60.0%", "5,200"]


def test_a_share_table_of_many_countries_comes_in_blocks():
    from optimizer.results.summary_text import _share_table

    # 15 countries supply each material: more columns than 100 columns hold.
    countries = [f"C{i:02d}" for i in range(15)]
    supply = pd.DataFrame(
        {
            "material": ["Dy"] * 15 + ["NdFeB-magnet"] * 15,
            "country": countries * 2,
            "tonnes": [float(i) for i in range(1, 16)] * 2,
        }
    )
    lines = _share_table("Share:", supply, ["Dy", "NdFeB-magnet"])
    assert max(map(len, lines)) <= 100, max(lines, key=len)
    headers = [line for line in lines if line.startswith("  material ")]
    assert len(headers) == 2  # 10 countries, then 5
    shown = [name for header in headers for name in header.split()[1:]]
    assert sorted(shown) == countries  # every country once, largest supplier first
    assert shown[0] == "C14" and lines[2].split()[1] == f"{15 / 120:.1%}"


def test_a_quiet_material_named_like_a_heading_hides_nothing():
    # A material named "Cost by component", neither demanded nor supplied: one line of its
    # own, while the cost rows under the heading of the same name stay.
    materials = [{"material": "Dy", "initial_stock_t": 5}, {"material": "Cost by component"}]
    result = solve(scenario(**{**CAPPED, "materials": materials}))
    text = format_comparison(compare([result, PlanView.from_result(result, name="again")]))
    lines = text.splitlines()
    assert "Cost by component: no figure but 0 in any plan (nothing bought or made, no " in text
    assert any(line.startswith("  purchase (USD)") for line in lines)
    assert any(line.startswith("total (USD)") for line in lines)


def test_long_plan_and_material_names_still_fit_100_columns():
    long = "m" * 60  # a material id may be up to 64 characters
    materials = [{"material": "Dy", "initial_stock_t": 5}, {"material": long}]
    result = solve(scenario(**{**CAPPED, "materials": materials}))
    summary = format_summary(result).splitlines()
    assert max(map(len, summary)) <= 100, max(summary, key=len)
    plans = [PlanView.from_result(result, name=f"{'p' * 80}-{end}") for end in ("one", "two")]
    lines = format_comparison(
        compare(plans + [PlanView.from_result(result, name="x")])
    ).splitlines()
    assert max(map(len, lines)) <= 100, max(lines, key=len)
    headers = [line.split() for line in lines if line.startswith(" " * 20) and "…" in line]
    clipped = [[word for word in words if "…" in word] for words in headers]
    assert clipped and all(len(set(names)) == len(names) for names in clipped)  # told apart
    assert f"  {'p' * 80}-one:" in lines  # a long name has its verdict on the lines below
