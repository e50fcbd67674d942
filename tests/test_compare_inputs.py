"""``sourcing compare`` opens with why plans differ: each plan's input differences from the
baseline, or why they are unknown. Two copies of the default scenario, the second with a lower
China cap and a longer stockpile cover; four solves in all."""

from __future__ import annotations

import contextlib
import io
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from helpers import unwrapped

from optimizer import load_scenario, solve, write_result
from optimizer.cli.main import main
from optimizer.results.compare import PlanView, load_comparison
from optimizer.results.compare_inputs import INPUT_COLUMNS, input_differences
from optimizer.results.compare_text import format_comparison

DEFAULT = Path(__file__).resolve().parents[1] / "inputs" / "india-2026"
CAP = ("CN,,0.6", "CN,,0.5")
COVER = ("stockpile_cover_months = 2.0", "stockpile_cover_months = 3.0")
EXPECTED = [  # the rows of compare_inputs.csv comparing "a" with "b"
    ["b", "scenario.toml", "policy.stockpile_cover_months", "policy.stockpile_cover_months",
     "2", "3", "changed"],
    ["b", "country_caps.csv", "country=CN, material=(every)", "max_share", "0.6", "0.5",
     "changed"],
]  # fmt: skip


def edited(folder: Path, file: str, old: str, new: str) -> None:
    path = folder / file
    text = path.read_text(encoding="utf-8")
    assert old in text  # the edit must change something
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def copied(root: Path, name: str) -> Path:
    return Path(shutil.copytree(DEFAULT, root / name))


def cli(*args: object) -> tuple[int, str]:
    """``sourcing *args`` in this process (a module fixture cannot take capsys)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main([str(a) for a in args])
    return code, out.getvalue()


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("scenarios")
    a, b = copied(root, "a"), copied(root, "b")
    edited(b, "country_caps.csv", *CAP)
    edited(b, "scenario.toml", *COVER)
    return a, b


@pytest.fixture(scope="module")
def compared(scenarios, tmp_path_factory) -> tuple[Path, str]:
    """``sourcing compare a b``: the output folder and what it printed (two solves)."""
    out = tmp_path_factory.mktemp("compared") / "cmp"
    code, printed = cli("compare", *scenarios, "--out", out)
    assert code == 0
    return out, printed


@pytest.fixture(scope="module")
def result_folders(scenarios, tmp_path_factory) -> dict[str, Path]:
    """Result folders: ``a`` solved and written twice, and ``c`` (a copy of ``a``) solved and
    written before its scenario folder was edited (two solves)."""
    root = tmp_path_factory.mktemp("results")
    solved_a = solve(scenarios[0])
    c = copied(root, "c")
    folders = {
        "a": write_result(solved_a, root / "ra"),
        "a2": write_result(solved_a, root / "ra2"),
        "c": write_result(solve(c), root / "rc"),
    }
    edited(c, "country_caps.csv", *CAP)
    return folders


def test_the_text_opens_with_both_differences_under_the_second_plan(compared):
    printed = compared[1]
    lines = unwrapped(printed)
    start = lines.index("Input differences from a:")
    assert lines[start : start + 6] == [
        "Input differences from a:",
        "  b:",
        "    scenario.toml (1 difference)",
        "      policy.stockpile_cover_months: 2 -> 3",
        "    country_caps.csv (1 difference)",
        "      country=CN, material=(every)  max_share: 0.6 -> 0.5",
    ]
    # the verdicts first (a plan missing demand says so first), then why the plans differ
    assert lines.index("Verdicts:") < start < lines.index("Plans compared (differences against a):")
    written = (
        "compare.csv, compare_detail.csv, compare_inputs.csv, compare.xlsx, compare.json, plans/"
    )
    start = next(n for n, line in enumerate(lines) if line.startswith("Written: "))
    assert " ".join(line.strip() for line in lines[start:]).endswith(f"/ ({written})")
    assert all(len(line) <= 100 for line in printed.splitlines())  # wrapped to fit 100 columns


def test_compare_inputs_csv_holds_exactly_those_rows(compared):
    out = compared[0]
    table = pd.read_csv(out / "compare_inputs.csv", dtype=str, keep_default_na=False)
    assert list(table.columns) == INPUT_COLUMNS
    assert table.to_numpy().tolist() == EXPECTED
    names = sorted(p.name for p in out.iterdir())
    assert names == ["compare.csv", "compare.json", "compare.xlsx", "compare_detail.csv",
                     "compare_inputs.csv", "plans"]  # fmt: skip


def test_the_workbook_has_an_inputs_sheet_beside_the_others(compared):
    workbook = openpyxl.load_workbook(compared[0] / "compare.xlsx", read_only=True)
    assert workbook.sheetnames == ["headline", "detail", "inputs"]
    rows = list(workbook["inputs"].iter_rows(values_only=True))
    assert len(rows) == 1 + len(EXPECTED)
    assert rows[0][1:] == tuple(INPUT_COLUMNS[1:])
    assert [[str(v) for v in row] for row in rows[1:]] == EXPECTED
    workbook.close()


def test_the_folder_reads_its_input_differences_back(compared, tmp_path):
    comparison, _ = load_comparison(compared[0])
    assert comparison.inputs.to_numpy().tolist() == EXPECTED
    printed = compared[1].split("\n\nWritten:")[0]  # the text without the files line
    assert format_comparison(comparison).strip() == printed.strip()
    older = Path(shutil.copytree(compared[0], tmp_path / "older"))
    (older / "compare_inputs.csv").unlink()  # written before input differences were
    comparison, _ = load_comparison(older)
    lines = unwrapped(format_comparison(comparison))
    assert lines[lines.index("Input differences from a:") + 1] == (
        "  b: input differences unknown: this comparison folder was written without its input "
        "differences"
    )


def test_a_result_folder_whose_inputs_changed_says_unknown(result_folders, tmp_path):
    code, printed = cli("compare", result_folders["a"], result_folders["c"], "--out", tmp_path)
    assert code == 0
    scenario = (result_folders["c"].parent / "c").resolve()  # as summary.json records it
    lines = unwrapped(printed)
    start = lines.index("Input differences from ra:")
    assert lines[start + 1] == (
        f"  rc: input differences unknown: its inputs {scenario} changed since the plan was solved"
    )
    assert "max_share" not in printed  # no stale differences
    table = pd.read_csv(tmp_path / "compare_inputs.csv", dtype=str, keep_default_na=False)
    assert table[["plan", "change"]].to_numpy().tolist() == [["rc", "unknown"]]


def test_a_result_folder_whose_inputs_are_gone_says_so(result_folders, tmp_path):
    moved = tmp_path / "moved-away"
    scenario = (result_folders["c"].parent / "c").resolve()
    scenario.rename(moved)
    try:
        code, printed = cli("compare", result_folders["a"], result_folders["c"], "--out",
                            tmp_path / "cmp")  # fmt: skip
    finally:
        moved.rename(scenario)
    assert code == 0
    lines = unwrapped(printed)
    assert lines[lines.index("Input differences from ra:") + 1] == (
        f"  rc: input differences unknown: its inputs {scenario} are no longer there"
    )


def test_identical_inputs_say_so_in_either_format(result_folders, tmp_path):
    code, printed = cli("compare", result_folders["a"], result_folders["a2"], "--out", tmp_path,
                        "--format", "parquet")  # fmt: skip
    assert code == 0
    lines = unwrapped(printed)
    assert lines[lines.index("Input differences from ra:") + 1] == "  ra2: no input differences"
    assert pd.read_parquet(tmp_path / "compare_inputs.parquet").empty
    comparison, _ = load_comparison(tmp_path)
    assert comparison.inputs.empty and list(comparison.inputs.columns) == INPUT_COLUMNS


def test_differences_run_from_the_baseline_and_an_unknown_baseline_is_named(scenarios):
    a, b = (load_scenario(path) for path in scenarios)
    plans = [PlanView("a", {}, {}, a), PlanView("b", {}, {}, b)]
    reversed_rows = input_differences(plans, baseline="b")
    assert reversed_rows[["plan", "old", "new"]].to_numpy().tolist() == [
        ["a", "3", "2"],
        ["a", "0.5", "0.6"],
    ]
    unknown = PlanView("a", {}, {}, None, "its inputs x are no longer there")
    rows = input_differences([unknown, plans[1]], baseline="a")
    assert rows[["plan", "new", "change"]].to_numpy().tolist() == [
        ["b", "the baseline's inputs are unknown: its inputs x are no longer there", "unknown"]
    ]


def test_the_comparison_report_shows_why_the_plans_differ(compared, tmp_path):
    from optimizer.reporting import write_comparison_report

    folder = Path(shutil.copytree(compared[0], tmp_path / "cmp"))
    page = write_comparison_report(folder).read_text(encoding="utf-8")
    section = page[page.index('id="input-differences"') : page.index('id="cost-components"')]
    assert "b: 2 input differences" in section
    assert "policy.stockpile_cover_months" in section and "country=CN, material=(every)" in section
    assert '<td class="txt">0.6</td><td class="txt">0.5</td>' in section
    (folder / "compare_inputs.csv").unlink()  # an older folder: said, not guessed
    page = write_comparison_report(folder).read_text(encoding="utf-8")
    assert "b: input differences unknown: this comparison folder was written without" in page
