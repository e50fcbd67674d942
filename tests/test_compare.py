"""Comparing plans: figures by hand on tiny plans, the API and the CLI."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from builders import CAPPED, scenario

from optimizer import solve, write_result
from optimizer.cli.main import main
from optimizer.results.compare import (
    FORMULA_START,
    PlanView,
    compare,
    load_comparison,
    load_plan,
    plan_name,
)

ROOT = Path(__file__).resolve().parents[1]
DEFAULT, STRICT = ROOT / "inputs" / "india-2026", ROOT / "inputs" / "india-2026-strict"


def capped(share: float, name: str):
    sc = scenario(**{**CAPPED, "caps": [{"country": "CN", "max_share": share}]})
    return sc.with_changes(settings=sc.settings.with_changes(name=name))


@pytest.fixture(scope="module")
def pair():
    # 60% cap: A (CN) 21 t, B (AU) 14 t, cost 4,200. 50% cap: 17.5 t each, cost 4,375.
    # Both less the closing credit: the last floor's 10 t at A's 100 USD/t, 1,000.
    return solve(capped(0.6, "sixty")), solve(capped(0.5, "fifty"))


def figure(comparison, metric, plan, material=""):
    headline = comparison.headline
    row = headline[(headline["metric"] == metric) & (headline["material"] == material)]
    return row[plan].iloc[0]


def test_headline_figures_by_hand(pair):
    c = compare(list(pair))
    assert c.plans == ["sixty", "fifty"] and c.baseline == "sixty"
    assert figure(c, "total", "sixty") == pytest.approx(3200)
    assert figure(c, "total", "fifty") == pytest.approx(3375)
    assert figure(c, "total", "Δ fifty") == pytest.approx(175)
    assert figure(c, "share CN", "fifty", "Dy") == pytest.approx(0.5)
    assert figure(c, "largest country share", "sixty", "Dy") == pytest.approx(0.6)
    # HHI: 0.6^2 + 0.4^2 = 0.52 -> 5,200; 0.5^2 + 0.5^2 -> 5,000.
    assert figure(c, "HHI", "sixty", "Dy") == pytest.approx(5200)
    assert figure(c, "HHI", "Δ fifty", "Dy") == pytest.approx(-200)
    assert figure(c, "binding caps", "sixty") == 1
    # One month of cover held from the first month: cover 1.0, target met in month 1.
    assert figure(c, "lowest cover under the floor", "fifty", "Dy") == 1
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


@pytest.mark.slow
def test_cli_compares_scenarios_and_writes_every_file(tmp_path, capsys):
    out = tmp_path / "cmp"
    code = main(["compare", str(DEFAULT), str(STRICT), "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0
    assert "Plans compared (differences against india-2026):" in printed
    assert "Δ india-2026-strict" in printed and "Detail by material and country" in printed
    names = sorted(p.name for p in out.iterdir())
    assert names == ["compare.csv", "compare.json", "compare.xlsx", "compare_detail.csv",
                     "compare_inputs.csv", "plans"]  # fmt: skip
    assert sorted(p.name for p in (out / "plans").iterdir()) == ["india-2026", "india-2026-strict"]
    manifest = json.loads((out / "compare.json").read_text())
    assert manifest == {
        "format": "rare-earth-sourcing comparison",
        "plans": ["india-2026", "india-2026-strict"],
        "baseline": "india-2026",
    }
    comparison, plans = load_comparison(out)
    assert [p.name for p in plans] == manifest["plans"]
    assert comparison.headline.shape[0] > 40


@pytest.mark.slow
def test_cli_baseline_shows_differences_only(tmp_path, capsys):
    code = main(["compare", str(DEFAULT), str(STRICT), "--baseline", "india-2026-strict",
                 "--out", str(tmp_path / "cmp")])  # fmt: skip
    printed = capsys.readouterr().out
    assert code == 0
    lines = printed.splitlines()
    header = lines[lines.index("Plans compared (differences against india-2026-strict):") + 1]
    header = header.split()
    assert header == ["india-2026-strict", "Δ", "india-2026"]


@pytest.mark.slow
def test_cli_compare_errors(tmp_path, capsys):
    assert main(["compare", str(DEFAULT)]) == 2
    assert "at least two plans" in capsys.readouterr().err
    assert main(["compare", str(DEFAULT), str(tmp_path / "missing")]) == 2
    assert "no such result folder or scenario" in capsys.readouterr().err
    code = main(["compare", str(DEFAULT), str(STRICT), "--baseline", "x", "--out",
                 str(tmp_path / "c")])  # fmt: skip
    assert code == 2 and "no plan named 'x'" in capsys.readouterr().err
    assert not (tmp_path / "c").exists()


# ---------------------------------------------------------------------------------------------
# Plan names come from folder names, never from a file's content


def retitled(folder: Path, scenario_name: str) -> Path:
    """A result folder whose summary.json names its scenario ``scenario_name``."""
    summary = json.loads((folder / "summary.json").read_text())
    summary["scenario"] = scenario_name
    (folder / "summary.json").write_text(json.dumps(summary))
    return folder


def every_file(root: Path) -> set[Path]:
    return {p for p in root.rglob("*")}


def test_plans_are_named_by_their_folders_not_their_summaries(pair, tmp_path, capsys):
    """A summary naming its scenario ../../x, an absolute path or a formula once made compare
    write outside --out or a live formula; the folders' names are used instead."""
    runs = tmp_path / "runs"
    escaped = tmp_path / "escaped"
    first = retitled(write_result(pair[0], runs / "run-1"), "../../x")
    second = retitled(write_result(pair[1], runs / "run-2"), str(escaped))
    third = retitled(write_result(pair[1], runs / "run-3"), '=HYPERLINK("http://x")')
    before = every_file(tmp_path)
    out = tmp_path / "out" / "cmp"
    assert main(["compare", str(first), str(second), str(third), "--out", str(out)]) == 0
    capsys.readouterr()
    assert not escaped.exists() and not (tmp_path / "x").exists()
    outside = {p for p in every_file(tmp_path) - before if not p.is_relative_to(out)}
    assert outside == {tmp_path / "out"}
    assert sorted(p.name for p in (out / "plans").iterdir()) == ["run-1", "run-2", "run-3"]
    manifest = json.loads((out / "compare.json").read_text())
    assert manifest["plans"] == ["run-1", "run-2", "run-3"]
    headline = pd.read_csv(out / "compare.csv")
    assert list(headline.columns[4:]) == ["run-1", "run-2", "run-3", "Δ run-2", "Δ run-3"]


@pytest.mark.slow
def test_a_scenario_is_named_by_its_folder_or_workbook(small_scenario, tmp_path):
    from optimizer import load_scenario
    from optimizer.inputs.template import write_scenario_workbook

    folder = Path(shutil.copytree(small_scenario, tmp_path / "alpha"))
    book = write_scenario_workbook(load_scenario(small_scenario), tmp_path / "beta.xlsx")
    assert load_plan(folder).name == "alpha"  # scenario.toml says valid-small
    assert load_plan(book).name == "beta"
    assert compare([folder, book]).plans == ["alpha", "beta"]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("india-2026", "india-2026"),
        ("../../x", ".._.._x"),
        ("/tmp/abs", "_tmp_abs"),
        ("a\\b", "a_b"),
        ("nul\x00and\nnewline", "nul_and_newline"),
        ("", "plan"),
        (".", "plan"),
        ("..", "plan"),
        ("=1+1", "'=1+1"),
        ("+SUM(A1)", "'+SUM(A1)"),
        ("-old", "'-old"),
        ("@cmd", "'@cmd"),
        ("\tx", "_x"),
        ("-5", "-5"),  # a number is no formula
    ],
)
def test_plan_names_are_one_safe_path_component_and_no_formula(given, expected):
    assert plan_name(given) == expected
    assert plan_name(expected) == expected  # a safe name stays as it is


def test_folder_names_are_made_safe_too(pair, tmp_path):
    folder = write_result(pair[0], tmp_path / "-old")
    assert PlanView.from_folder(folder).name == "'-old"
    assert PlanView.from_folder(tmp_path / "-old" / ".." / "-old").name == "'-old"


def test_names_never_take_a_key_column_or_anothers_difference(pair):
    plans = [PlanView.from_result(pair[0], name=name) for name in ("material", "Δ b", "b", "b")]
    c = compare(plans)
    assert c.plans == ["material#2", "Δ b", "b#2", "b#3"]
    assert len(set(c.headline.columns)) == len(c.headline.columns)


def test_csv_outputs_hold_no_formula(pair, tmp_path, capsys):
    """Folder names and a hand-edited folder's text cells reach compare.csv, compare_detail.csv
    and the plans' CSV files; none of their cells starts like a formula."""
    first = write_result(pair[0], tmp_path / "=cmd")
    second = write_result(pair[1], tmp_path / "@two")
    for path in second.glob("*.csv"):  # a material renamed by hand to a formula
        path.write_text(path.read_text().replace("Dy", "=1+2"))
    out = tmp_path / "cmp"
    assert main(["compare", str(first), str(second), "--out", str(out)]) == 0
    capsys.readouterr()
    for path in out.rglob("*.csv"):
        for row in csv.reader(path.read_text(encoding="utf-8").splitlines()):
            for cell in row:
                assert not cell.startswith(FORMULA_START) or _number(cell), (path, cell)
    headline = pd.read_csv(out / "compare.csv")
    assert "'=cmd" in headline.columns and "Δ '@two" in headline.columns
    assert "'=1+2" in set(headline["material"])


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@pytest.fixture(scope="module")
def written_comparison(pair, tmp_path_factory) -> Path:
    """The comparison folder of the pair, as ``sourcing compare`` writes it (once a module)."""
    root = tmp_path_factory.mktemp("comparison")
    folders = [write_result(r, root / r.scenario.name) for r in pair]
    out = root / "cmp"
    assert main(["compare", *map(str, folders), "--out", str(out)]) == 0
    return out


@pytest.fixture
def comparison_folder(written_comparison, tmp_path) -> Path:
    """A fresh copy of that comparison folder, free to break."""
    return Path(shutil.copytree(written_comparison, tmp_path / "cmp"))


@pytest.mark.parametrize(
    "names",
    [
        ["../sixty", "fifty"],
        ["/etc", "fifty"],
        ["sixty", "plans/../../sixty"],
        ["sixty", "."],
        ["sixty", "=fifty"],
        ["sixty", "sixty"],
        ["sixty", "ninety"],  # no such folder
        ["sixty", 5],
        ["sixty"],
        "sixty",
    ],
)
def test_a_manifest_names_only_folders_under_plans(comparison_folder, names, capsys):
    manifest = comparison_folder / "compare.json"
    manifest.write_text(json.dumps(json.loads(manifest.read_text()) | {"plans": names}))
    with pytest.raises(ValueError, match=r"compare\.json: "):
        load_comparison(comparison_folder)
    assert main(["report", str(comparison_folder)]) != 0
    assert "compare.json" in capsys.readouterr().err
    assert not (comparison_folder / "report.html").exists()


def test_a_sound_manifest_still_loads(comparison_folder):
    comparison, plans = load_comparison(comparison_folder)
    assert comparison.plans == [p.name for p in plans] == ["sixty", "fifty"]


def test_compare_names_costs_as_solve_does_and_shows_unchanged_as_equal(pair):
    from optimizer.results.compare_text import format_comparison
    from optimizer.results.summary_text import format_summary
    from optimizer.results.tables import COST_COMPONENTS, COST_LABELS

    c = compare([pair[0], PlanView.from_result(pair[0], name="again")])
    costs = c.headline[c.headline["section"] == "cost"]["metric"].tolist()
    assert costs == [COST_LABELS[key] for key in COST_COMPONENTS] + ["total"]
    assert {"import duty", "stock holding", "closing stock credit"} <= set(costs)
    assert "import duty" in format_summary(pair[0])  # the same words in solve's summary
    # The same plan twice: every difference is "=" (or "-" where there is no figure), never
    # a "-0" or "-0.0 pp" of rounding noise.
    lines = format_comparison(c).splitlines()
    start = lines.index("Plans compared (differences against sixty):") + 2
    end = next(i for i, line in enumerate(lines) if line.startswith("Detail by material"))
    # the figures' rows (a heading such as "Cost by component" or "Dy" has no figures)
    cells = [line.split()[-1] for line in lines[start:end] if len(line.split()) >= 4]
    assert len(cells) > 20
    assert cells and set(cells) <= {"=", "-"}, set(cells)
