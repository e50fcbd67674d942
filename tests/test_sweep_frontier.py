"""The frontier measure of a sweep (the ``[frontier]`` table, the ``concentration`` column): its
value on hand-solved plans, on the basis the share caps count; the default grid's measure spread
over its points; the report saying in words, never drawing, a measure that does not vary; and
journaled records of an earlier version solved again."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from builders import CAPPED, scenario
from test_content_origin import magnet_case

from models import highs_engine
from models.data import compile_scenario
from models.solution import SolveOptions
from optimizer import solve
from optimizer.reporting import SweepResults, frontier, write_sweep_report
from optimizer.results.compare import PlanView, compare
from optimizer.sweep import load_sweep
from optimizer.sweep.point_metrics import Frontier, point_figures
from optimizer.sweep.run import JOURNAL, read_journal, run_sweep

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_GRID = ROOT / "inputs" / "sweeps" / "china-cap-and-cover.toml"


def figures(hand, frontier: Frontier) -> dict:
    """A point's row for a scenario solved cold, as a sweep worker measures it."""
    data = compile_scenario(hand)
    return point_figures(data, highs_engine.solve(data, SolveOptions(threads=1)), frontier)


def sweep_file(folder: Path, base, body: str) -> Path:
    """``base`` written as a scenario folder beside a sweep file of it with ``body``."""
    base.write(folder / "base")
    file = folder / "s.toml"
    file.write_text(f'name = "s"\nscenario = "base"\n{body}', encoding="utf-8")
    return file


# ---------------------------------------------------------------------------------------------
# The measure of one point, derived by hand


def test_a_capped_countrys_share_is_its_cap():
    # Dy from China (100/t) or Australia (150/t), China capped at 60% of the year's supply
    # (the horizon is one year): the cheaper China takes all it may, 60%; Australia 40%.
    # HHI: (0.6² + 0.4²) x 10,000 = 5,200.
    row = figures(scenario(**CAPPED), Frontier(country="CN", home="AU"))
    assert row["concentration"] == pytest.approx(0.6)
    assert (row["share_Dy_CN"], row["share_Dy_AU"]) == pytest.approx((0.6, 0.4))
    assert row["foreign_country_Dy"] == "CN" and row["foreign_share_Dy"] == pytest.approx(0.6)
    assert row["hhi_Dy"] == pytest.approx(5200)
    expected = {
        Frontier("country-share", "AU"): 0.4,
        Frontier("foreign-share", None, home="AU"): 0.6,  # China, the largest but Australia
        Frontier("foreign-share", None, home="CN"): 0.4,  # leaving China out: Australia's
        Frontier("hhi", None): 5200.0,
        Frontier("largest-share", None, "Dy"): 0.6,
        Frontier("country-share", "JP"): 0.0,  # supplies none
    }
    for measure, value in expected.items():
        assert figures(scenario(**CAPPED), measure)["concentration"] == pytest.approx(value)


def test_the_measure_counts_on_the_caps_basis():
    # Magnets made in India from metal bought in China (100/t) or Japan (150/t), China capped
    # at 50% of the magnets (test_content_origin). Processing basis: the magnets are India's
    # own output (China's share 0; only the home country supplies them, so no foreign share)
    # and the metal is all Chinese (share 1). Origin basis: the cap holds China to half the
    # magnets' content, Japan the other half.
    material = Frontier(material="magnet", home="IN")
    row = figures(magnet_case("processing"), material)
    assert row["concentration"] == 0.0 and row["share_magnet_IN"] == pytest.approx(1.0)
    assert row["foreign_share_magnet"] is None and row["foreign_country_magnet"] is None
    assert figures(magnet_case("processing"), Frontier(home="IN"))["concentration"] == 1.0
    foreign = Frontier("foreign-share", None, "magnet", home="IN")
    assert figures(magnet_case("processing"), foreign)["concentration"] == 0.0
    row = figures(magnet_case("origin"), material)
    assert row["concentration"] == pytest.approx(0.5)
    assert (row["share_magnet_CN"], row["share_magnet_JP"]) == pytest.approx((0.5, 0.5))
    assert "share_magnet_IN" not in row  # by origin, no magnet content is India's
    assert figures(magnet_case("origin"), foreign)["concentration"] == pytest.approx(0.5)


def test_content_from_the_initial_stock_is_no_countrys():
    # 6 of the 30 t of magnet content come from metal held at the start (origin "initial"):
    # China 50%, Japan 30%, initial 20%. The initial stock is in the shares and the largest
    # share, but is no foreign country and no term of the HHI: (0.5² + 0.3²) x 10,000 = 3,400.
    # The initial stock is never the largest share either (it is no country): CN's 50% is.
    case = magnet_case("origin", initial_metal_t=6, stages=2)
    row = figures(case, Frontier(home="IN"))
    assert row["share_magnet_initial"] == pytest.approx(0.2)
    assert row["foreign_country_magnet"] == "CN"
    assert row["foreign_share_magnet"] == pytest.approx(0.5)
    assert row["hhi_magnet"] == pytest.approx(3400)
    assert (row["top_country_magnet"], row["top_share_magnet"]) == ("CN", pytest.approx(0.5))
    # The plan's summary and compare give the same figures by the same rule.
    result = solve(case.with_changes(settings=case.settings.with_changes(home_country="IN")))
    summary = result.summary()
    magnet = summary["concentration"]["materials"]["magnet"]
    assert (magnet["foreign_country"], magnet["hhi"]) == ("CN", pytest.approx(3400))
    assert summary["largest_country_share"]["magnet"] == {"country": "CN", "share": 0.5}
    headline = compare([result, PlanView.from_result(result, name="again")]).headline
    magnet_rows = headline[headline["material"] == "magnet"].set_index("metric")["hand"]
    assert magnet_rows["HHI"] == pytest.approx(3400)
    assert magnet_rows["largest country share"] == pytest.approx(0.5)
    assert magnet_rows["largest foreign share"] == pytest.approx(0.5)


# ---------------------------------------------------------------------------------------------
# The [frontier] table and sweep.json


def test_the_default_measure_is_the_watched_countrys_share(tmp_path):
    base = scenario(**CAPPED)
    base = base.with_changes(
        settings=base.settings.with_changes(watched_country="AU", home_country="IN")
    )
    body = '[[parameter]]\nname = "au_price"\npath = "offers.price_usd_per_t[supplier=B]"\n'
    sweep = load_sweep(sweep_file(tmp_path, base, body + "values = [150, 200]\n"))
    assert sweep.frontier == Frontier("country-share", "AU", None, home="IN")
    run_sweep(sweep, tmp_path / "out", progress=False, in_process=True)
    manifest = json.loads((tmp_path / "out" / "sweep.json").read_text(encoding="utf-8"))
    assert manifest["share_basis"] == "processing"
    assert manifest["frontier"] == {
        "measure": "country-share",
        "country": "AU",
        "material": None,
        "home": "IN",
        "column": "concentration",
        "label": "AU's share of the most AU-dependent material",
        "unit": "share",
    }
    table = pd.read_parquet(tmp_path / "out" / "results.parquet")
    assert table["concentration"].tolist() == pytest.approx([0.4, 0.4])
    assert list(table.columns[:4]) == ["point", "au_price", "status", "termination"]
    assert (
        table.columns.get_loc("concentration") == table.columns.get_loc("largest_country_share") + 1
    )
    written = tmp_path / "s.toml"
    written.write_text(
        written.read_text(encoding="utf-8")
        + '\n[frontier]\nmeasure = "hhi"   # the Herfindahl index\nmaterial = "Dy"\n',
        encoding="utf-8",
    )
    sweep = load_sweep(written)
    assert sweep.frontier == Frontier("hhi", None, "Dy", home="IN")
    assert sweep.frontier.label == "the HHI of Dy"


def test_a_record_journaled_before_the_measure_is_solved_again(tmp_path):
    points = pd.DataFrame({"point": [0, 1], "x": [1.0, 2.0]})
    path = tmp_path / JOURNAL
    old = {"point": 0, "x": 1.0, "status": "optimal", "largest_country_share": 1.0}
    new = {**old, "point": 1, "x": 2.0, "concentration": 0.6, "foreign_country_Dy": "CN"}
    path.write_text("".join(json.dumps(r) + "\n" for r in (old, new)), encoding="utf-8")
    journal = read_journal(path, points, ["x"])
    assert sorted(journal.records) == [1]
    assert journal.rejected == [
        (1, "point 0: no concentration (written by an earlier version of sourcing; its point "
            "is solved again); the line is ignored")
    ]  # fmt: skip
    text = {**new, "foreign_country_Dy": 3}  # a country is a string
    path.write_text(json.dumps(text) + "\n", encoding="utf-8")
    assert read_journal(path, points, ["x"]).rejected == [
        (1, "point 1: foreign_country_Dy = 3 is not a string; the line is ignored")
    ]


# ---------------------------------------------------------------------------------------------
# The report


def test_a_measure_that_does_not_vary_is_said_in_words(tmp_path):
    # However dear Australia, China's share stays at its cap, 60%: no frontier to draw, and
    # each parameter's chart has the cost alone.
    body = (
        '[[parameter]]\nname = "au_price"\npath = "offers.price_usd_per_t[supplier=B]"\n'
        "values = [150, 175, 200]\n"
    )
    sweep = load_sweep(sweep_file(tmp_path, scenario(**CAPPED), body))
    out = tmp_path / "out"
    run_sweep(sweep, out, progress=False, in_process=True)
    results = SweepResults.from_folder(out)
    assert results.solved["concentration"].tolist() == pytest.approx([0.6] * 3)
    assert len(frontier(results)) == 1  # the cheapest plan alone
    text = write_sweep_report(out).read_text(encoding="utf-8").replace("&#x27;", "'")
    assert sorted(p.name for p in (out / "charts").iterdir()) == ["line-au_price.png"]
    assert (
        "Every point with a plan has CN's share of the most CN-dependent material at 60.0% (on "
        "the caps' basis: a processed material is its processing country's): cost does not "
        "trade against concentration in this sweep; its 3 plans cost USD"
    ) in text
    assert "it does not move with any parameter, so it has no panel" in text
    assert "Total cost against au_price." in text


@pytest.fixture(scope="module")
def default_grid(tmp_path_factory) -> Path:
    """The shipped grid (210 points of the default, a MIP) run in this process."""
    out = tmp_path_factory.mktemp("grid") / "out"
    outcome = run_sweep(load_sweep(DEFAULT_GRID), out, progress=False, in_process=True)
    assert outcome.ran == outcome.total == 210
    return out


@pytest.mark.slow
def test_the_default_grids_measure_spans_the_caps(default_grid):
    table = pd.read_parquet(default_grid / "results.parquet")
    plans = table[table["status"] == "optimal"]
    assert len(plans) == 210
    assert (plans["largest_country_share"] == 1.0).all()  # India's own monazite and oxides
    measure = plans["concentration"]
    assert (measure.min(), measure.max()) == pytest.approx((0.5, 1.0))
    # China's share of any material over the horizon is at most its yearly cap, and the
    # measure is the largest of its shares (read back from the share columns)
    assert (measure <= plans["china_cap"] + 1e-9).all()
    china = plans[[c for c in plans.columns if re.fullmatch(r"share_.+_CN", c)]]
    np.testing.assert_allclose(measure, china.fillna(0.0).max(axis=1), atol=1e-9)
    results = SweepResults.from_folder(default_grid)
    assert results.measure.label == "CN's share of the most CN-dependent material"
    assert frontier(results)["concentration"].tolist() == pytest.approx(
        [0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
    )


@pytest.mark.slow
def test_the_default_grids_report_draws_the_frontier(default_grid):
    text = write_sweep_report(default_grid).read_text(encoding="utf-8").replace("&#x27;", "'")
    charts = sorted(p.stem for p in (default_grid / "charts").iterdir())
    assert charts == ["cap-china_cap", "frontier", "line-china_cap", "line-cover_months",
                      "line-russia_price"]  # fmt: skip
    assert "Total cost against CN's share of the most CN-dependent material" in text
    assert "cost does not trade against concentration" not in text
    assert "no panel" not in text
    assert "the least concentrated, at 50.0%, costs USD" in text
