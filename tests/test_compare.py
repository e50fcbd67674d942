"""Comparing plans: figures by hand on tiny plans, the API and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from builders import scenario
from test_hand_solved import CAPPED

from optimizer import solve, write_result
from optimizer.cli.main import main
from optimizer.compare import compare, load_comparison

ROOT = Path(__file__).resolve().parents[1]
DEFAULT, STRICT = ROOT / "inputs" / "india-2026", ROOT / "inputs" / "india-2026-strict"


def capped(share: float, name: str):
    sc = scenario(**{**CAPPED, "caps": [{"country": "CN", "max_share": share}]})
    return sc.with_changes(settings=sc.settings.with_changes(name=name))


@pytest.fixture(scope="module")
def pair():
    # 60% cap: A (CN) 21 t, B (AU) 14 t, cost 4,200. 50% cap: 17.5 t each, cost 4,375.
    return solve(capped(0.6, "sixty")), solve(capped(0.5, "fifty"))


def figure(comparison, metric, plan, material=""):
    headline = comparison.headline
    row = headline[(headline["metric"] == metric) & (headline["material"] == material)]
    return row[plan].iloc[0]


def test_headline_figures_by_hand(pair):
    c = compare(list(pair))
    assert c.plans == ["sixty", "fifty"] and c.baseline == "sixty"
    assert figure(c, "total", "sixty") == pytest.approx(4200)
    assert figure(c, "total", "fifty") == pytest.approx(4375)
    assert figure(c, "total", "Δ fifty") == pytest.approx(175)
    assert figure(c, "share CN", "fifty", "Dy") == pytest.approx(0.5)
    assert figure(c, "largest country share", "sixty", "Dy") == pytest.approx(0.6)
    # HHI: 0.6^2 + 0.4^2 = 0.52 -> 5,200; 0.5^2 + 0.5^2 -> 5,000.
    assert figure(c, "HHI", "sixty", "Dy") == pytest.approx(5200)
    assert figure(c, "HHI", "Δ fifty", "Dy") == pytest.approx(-200)
    assert figure(c, "binding caps", "sixty") == 1
    # One month of cover held from the first month: cover 1.0, target met in month 1.
    assert figure(c, "months of cover (lowest under the floor)", "fifty", "Dy") == 1
    assert figure(c, "first month at the cover target", "fifty", "Dy") == 1
    assert figure(c, "shortfall", "fifty", "Dy") == 0


def test_detail_has_tonnes_and_shares_per_country(pair):
    detail = compare(list(pair)).detail.set_index(["material", "country"])
    assert detail.loc[("Dy", "CN"), "tonnes sixty"] == pytest.approx(21)
    assert detail.loc[("Dy", "AU"), "tonnes fifty"] == pytest.approx(17.5)
    assert detail.loc[("Dy", "AU"), "share sixty"] == pytest.approx(0.4)
    assert detail.loc[("Dy", "AU"), "landed_usd_per_t fifty"] == pytest.approx(150)


def test_a_named_baseline_and_result_folders(pair, tmp_path):
    folders = [write_result(r, tmp_path / r.scenario.name) for r in pair]
    from_folders = compare(folders, baseline="fifty")
    assert from_folders.baseline == "fifty"
    assert figure(from_folders, "total", "Δ sixty") == pytest.approx(-175)
    from_results = compare(list(pair), baseline="fifty")
    assert from_folders.headline.equals(from_results.headline)
    with pytest.raises(ValueError, match="no plan named 'ninety'"):
        compare(folders, baseline="ninety")


def test_the_same_scenario_twice_gets_distinct_names(pair):
    c = compare([pair[0], pair[0]])
    assert c.plans == ["sixty", "sixty#2"]
    assert figure(c, "total", "Δ sixty#2") == 0


def test_cli_compares_scenarios_and_writes_every_file(tmp_path, capsys):
    out = tmp_path / "cmp"
    code = main(["compare", str(DEFAULT), str(STRICT), "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0
    assert "Plans compared (differences against india-2026):" in printed
    assert "Δ india-2026-strict" in printed and "Detail by material and country" in printed
    names = sorted(p.name for p in out.iterdir())
    assert names == ["compare.csv", "compare.json", "compare.xlsx", "compare_detail.csv", "plans"]
    assert sorted(p.name for p in (out / "plans").iterdir()) == ["india-2026", "india-2026-strict"]
    manifest = json.loads((out / "compare.json").read_text())
    assert manifest == {"plans": ["india-2026", "india-2026-strict"], "baseline": "india-2026"}
    comparison, plans = load_comparison(out)
    assert [p.name for p in plans] == manifest["plans"]
    assert comparison.headline.shape[0] > 40


def test_cli_baseline_shows_differences_only(tmp_path, capsys):
    code = main(["compare", str(DEFAULT), str(STRICT), "--baseline", "india-2026-strict",
                 "--out", str(tmp_path / "cmp")])  # fmt: skip
    printed = capsys.readouterr().out
    assert code == 0
    header = printed.splitlines()[1].split()
    assert header == ["india-2026-strict", "Δ", "india-2026"]


def test_cli_compare_errors(tmp_path, capsys):
    assert main(["compare", str(DEFAULT)]) == 2
    assert "at least two plans" in capsys.readouterr().err
    assert main(["compare", str(DEFAULT), str(tmp_path / "missing")]) == 2
    assert "no such result folder or scenario" in capsys.readouterr().err
    code = main(["compare", str(DEFAULT), str(STRICT), "--baseline", "x", "--out",
                 str(tmp_path / "c")])  # fmt: skip
    assert code == 2 and "no plan named 'x'" in capsys.readouterr().err
    assert not (tmp_path / "c").exists()
