"""The CLI driven end to end: exit codes, files written or not written, what is printed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import highspy
import pytest
from builders import scenario
from helpers import run

import optimizer.results.solving
import optimizer.results.writing
from optimizer.inputs.synthetic import synthetic_scenario
from optimizer.inputs.template import write_scenario_workbook

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "inputs" / "india-2026"
RESULT_FILES = [
    "constraints.csv", "content.csv", "content_feed.csv", "decisions.csv", "mix.csv", "plan.csv",
    "plan.xlsx", "policy_costs.csv", "processing.csv", "stock.csv", "summary.json",
]  # fmt: skip


def leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(".")]


@pytest.mark.slow
def test_solve_without_a_folder_solves_the_default_into_results(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no inputs/ here: the default is found in the checkout
    code, out, err = run(capsys, "solve")
    assert code == 0, err
    folder = tmp_path / "results" / "india-2026"
    assert sorted(p.name for p in folder.iterdir()) == RESULT_FILES
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["scenario"] == "india-2026" and summary["status"] == "optimal"
    assert summary["objective_usd"] == pytest.approx(summary["costs_usd"]["total_usd"])
    assert {"variables", "constraints", "nonzeros"} <= summary["model_size"].keys()
    assert summary["solve_seconds"] >= 0 and summary["check"]["passed"]
    for line in (
        "india-2026: optimal",
        "Total cost",
        "Share of supply (arrivals and domestic output) by country",
        "Binding caps",
        "Stockpile floor: held",
        "Shortfall: none",
        "passed",
    ):
        assert line in out  # fmt: skip


@pytest.mark.slow
def test_result_tables_have_their_documented_columns(tmp_path, capsys):
    code, _, _ = run(capsys, "solve", DEFAULT, "--out", tmp_path / "r")
    assert code == 0
    tables = [name for name in RESULT_FILES if name.endswith(".csv")]
    header = {name: (tmp_path / "r" / name).read_text().splitlines()[0] for name in tables}
    assert header["plan.csv"].startswith("material,supplier,country,contract,order_month,month,")
    assert "landed_usd_per_t,cost_usd" in header["plan.csv"]
    assert header["stock.csv"].startswith(
        "material,month,demand_t,arrivals_t,shortfall_t,produced_t,consumed_t,sold_t,disposed_t,"
        "stock_t"
    )
    assert "months_of_cover" in header["stock.csv"]
    assert header["mix.csv"] == (
        "material,window,country,tonnes,share,content_t,content_share,max_share"
    )
    assert header["content.csv"] == ("material,origin,month,arrived_t,made_t,fed_t,used_t,held_t")
    assert header["content_feed.csv"] == "unit,material,origin,month,fed_t"
    assert header["constraints.csv"].startswith("family,material,country,supplier,window,month")
    assert "shadow_price_usd_per_t,binding" in header["constraints.csv"]
    assert header["policy_costs.csv"].startswith("policy,material,country,supplier,window,month")
    assert "marginal_cost_usd" in header["policy_costs.csv"]
    assert header["policy_costs.csv"].startswith("policy,material,country,supplier,window,month")
    assert "marginal_cost_usd" in header["policy_costs.csv"]


@pytest.mark.slow
def test_a_second_run_replaces_the_folder_atomically(tmp_path, capsys):
    out = tmp_path / "out"
    assert run(capsys, "solve", DEFAULT, "--out", out)[0] == 0
    assert run(capsys, "report", out)[0] == 0  # the report belongs to the earlier plan
    assert (out / "report.html").exists()
    assert run(capsys, "solve", DEFAULT, "--out", out)[0] == 0
    assert sorted(p.name for p in out.iterdir()) == RESULT_FILES
    assert leftovers(tmp_path) == []


@pytest.mark.slow
def test_a_run_that_fails_while_writing_leaves_the_old_folder_and_no_debris(
    tmp_path, capsys, monkeypatch
):
    out = tmp_path / "out"
    assert run(capsys, "solve", DEFAULT, "--out", out)[0] == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def broken(self, *args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(optimizer.results.writing.Path, "write_text", broken)
    code, _, err = run(capsys, "solve", DEFAULT, "--out", out)
    assert code == 1 and "disk full" in err and "Traceback" not in err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert leftovers(tmp_path) == []


@pytest.mark.slow
def test_a_failed_first_run_leaves_no_folder(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(optimizer.results.writing.Path, "write_text", lambda *a, **k: 1 / 0)
    code, _, _ = run(capsys, "solve", DEFAULT, "--out", tmp_path / "out")
    assert code == 1
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_write_model_writes_a_file_highs_solves_to_the_same_optimum(tmp_path, capsys):
    for name in ("model.mps", "model.lp"):
        code, _, err = run(
            capsys, "solve", DEFAULT, "--out", tmp_path / "r", "--write-model", tmp_path / name
        )
        assert code == 0, err
        highs = highspy.Highs()
        highs.setOptionValue("output_flag", False)
        highs.readModel(str(tmp_path / name))
        highs.run()
        summary = json.loads((tmp_path / "r" / "summary.json").read_text())
        objective = highs.getInfo().objective_function_value
        assert objective == pytest.approx(summary["objective_usd"], rel=1e-9)
    text = (tmp_path / "model.lp").read_text()
    assert "arrive(Dy2O3,china_licensed_oxides,2026_08)" in text  # 7-month licences
    assert "share_cap(Dy2O3,CN,2026)" in text and "build(magnet_line_own)" in text


def test_write_model_needs_a_known_extension(tmp_path, capsys):
    code, _, err = run(capsys, "solve", DEFAULT, "--write-model", tmp_path / "model.txt")
    assert code == 2 and "must end in .mps or .lp" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_verify_reports_that_cbc_agrees(tmp_path, capsys):
    code, out, _ = run(capsys, "solve", DEFAULT, "--out", tmp_path / "r", "--verify")
    assert code == 0
    assert "Verification: CBC" in out and "agrees" in out
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    assert summary["verification"]["agrees"] is True


@pytest.mark.slow
def test_pyomo_engine_gives_the_same_plan_cost(tmp_path, capsys):
    run(capsys, "solve", DEFAULT, "--out", tmp_path / "fast")
    code, _, _ = run(capsys, "solve", DEFAULT, "--out", tmp_path / "pyomo", "--engine", "pyomo")
    assert code == 0
    costs = [json.loads((tmp_path / f / "summary.json").read_text())["objective_usd"]
             for f in ("fast", "pyomo")]  # fmt: skip
    assert costs[0] == pytest.approx(costs[1], rel=1e-9)


def test_a_time_limit_stops_with_exit_code_4(tmp_path, capsys):
    folder = synthetic_scenario(20, 15, 120).write(tmp_path / "big")
    code, out, _ = run(capsys, "solve", folder, "--out", tmp_path / "r", "--time-limit", "0.001")
    assert code == 4
    assert "Stopped by a limit" in out
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    assert summary["status"] == "limit"
    assert ("no feasible plan was found" in out) == (not summary["has_plan"])


def test_an_unknown_scenario_folder_is_an_input_error(tmp_path, capsys):
    code, _, err = run(capsys, "solve", tmp_path / "nowhere")
    assert code == 2 and "nowhere: does not exist" in err


@pytest.mark.slow
def test_a_plan_failing_its_recheck_exits_1(tmp_path, capsys, monkeypatch):
    real = optimizer.results.solving.tables.plan_table

    def corrupted(data, solution):
        plan = real(data, solution)
        plan.loc[0, "tonnes"] += 1.0
        return plan

    monkeypatch.setattr(optimizer.results.solving.tables, "plan_table", corrupted)
    code, out, err = run(capsys, "solve", DEFAULT, "--out", tmp_path / "r")
    assert code == 1
    assert "Re-check from the tables FAILED" in out and "stock-balance" in out
    assert "failed its re-check" in err


def test_solve_of_a_hand_made_folder(tmp_path, capsys):
    folder = scenario(
        suppliers=[{"supplier": "A", "country": "AU"}],
        offers=[{"supplier": "A", "material": "Nd", "price_usd_per_t": 10}],
        demand={"Nd": [1, 2, 3]},
    ).write(tmp_path / "hand")
    code, out, _ = run(capsys, "solve", folder, "--out", tmp_path / "r")
    assert code == 0 and "USD               60" in out


def test_validate_the_default(capsys):
    code, out, _ = run(capsys, "validate", DEFAULT)
    assert code == 0 and "valid: 9 materials, 12 suppliers" in out
    assert "4 processes, 6 expansion options, 2 contracts" in out


@pytest.mark.slow
def test_the_installed_console_script(tmp_path):
    assert shutil.which("sourcing"), "install the project as the README says"
    env = {**os.environ, "PYTHONWARNINGS": "error"}
    done = subprocess.run(
        ["sourcing", "solve", str(DEFAULT), "--out", str(tmp_path / "r")],
        capture_output=True, text=True, env=env, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "india-2026: optimal" in done.stdout and "Running HiGHS" not in done.stdout
    module = subprocess.run(
        [sys.executable, "-m", "optimizer", "--help"], capture_output=True, text=True, check=False
    )
    assert module.returncode == 0 and "solve" in module.stdout


@pytest.mark.slow
def test_changing_the_thread_count_between_solves(tmp_path, capsys):
    for threads in ("1", "2", "1"):
        code, _, err = run(capsys, "solve", DEFAULT, "--out", tmp_path / "r", "--threads", threads)
        assert code == 0, err


@pytest.mark.slow
def test_template_then_solve_the_filled_workbook(tmp_path, capsys):
    from optimizer import load_scenario

    out = tmp_path / "template.xlsx"
    assert run(capsys, "template", out)[0] == 0
    assert run(capsys, "template", out)[0] == 2  # no overwrite without --force
    assert run(capsys, "template", out, "--force")[0] == 0
    code, _, err = run(capsys, "validate", out)
    assert code == 2 and "template.xlsx[scenario]" in err and "required" in err
    book = tmp_path / "india.xlsx"
    write_scenario_workbook(load_scenario(DEFAULT), book)
    code, out_text, _ = run(capsys, "solve", book, "--out", tmp_path / "r")
    assert code == 0 and "india-2026: optimal" in out_text
    assert run(capsys, "template", tmp_path / "t.csv")[0] == 2


def subcommand_helps() -> dict[str, str]:
    """Every registered subcommand's ``--help`` text, by name."""
    import argparse

    from optimizer.cli.main import parser

    (commands,) = [a for a in parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return {name: sub.format_help() for name, sub in commands.choices.items()}


def files_each_command_writes() -> dict[str, set[str]]:
    """What each subcommand reads and writes, named from the constants the code writes by (a
    file added there and not to the command's --help fails the test)."""
    from optimizer.inputs.schema import SETTINGS_FILE, TABLES
    from optimizer.reporting.kit import CHARTS_FOLDER, COMPARISON_CHARTS, PLAN_CHARTS, REPORT_FILE
    from optimizer.reporting.sweep_page import SINGLE_STEMS, STEM_PREFIXES
    from optimizer.results.columns import result_columns
    from optimizer.sweep import evaluate
    from optimizer.sweep import run as sweep_run

    result_tables = {table for table, _ in result_columns()}
    assert {"plan", "stock", "mix", "constraints", "policy_costs", "risk_cover"} <= result_tables
    return {
        "solve": {"summary.json", "plan.xlsx", ".xlsx workbook", SETTINGS_FILE, "<table>.parquet",
                  "--write-model", *(f"{t}.csv" for t in result_tables),
                  *(spec.file for spec in TABLES.values())},
        "validate": {".xlsx workbook", "Writes:\n  nothing"},
        "diff": {".xlsx workbook", "--csv FILE"},
        "compare": {*optimizer.results.writing.comparison_files("csv"), "plans/<name>/",
                    "summary.json", ".parquet"},
        "report": {REPORT_FILE, "summary.json", "compare.json",
                   *(f"{CHARTS_FOLDER}/{stem}.png" for stem in {*PLAN_CHARTS, *COMPARISON_CHARTS})},
        "template": {"OUT.xlsx"},
        "sweep": {".toml", sweep_run.MANIFEST, sweep_run.JOURNAL, sweep_run.TABLE, sweep_run.CSV},
        "sweep-report": {sweep_run.MANIFEST, sweep_run.TABLE, REPORT_FILE,
                         *(f"{CHARTS_FOLDER}/{stem}.png" for stem in SINGLE_STEMS),
                         *(f"{CHARTS_FOLDER}/{prefix}" for prefix in STEM_PREFIXES)},
        "evaluate": {"summary.json", "events.csv", evaluate.MANIFEST, evaluate.JOURNAL,
                     evaluate.TABLE},
    }  # fmt: skip


def test_every_command_help_says_what_it_reads_and_writes():
    helps = subcommand_helps()
    for name, text in helps.items():
        assert "\nReads:\n" in text and "\nWrites:\n" in text, (
            f"sourcing {name} --help lists no Reads:/Writes: (optimizer.cli.common.described)"
        )
    expected = files_each_command_writes()
    assert {"solve", "compare", "sweep", "report", "evaluate"} <= set(expected) <= set(helps)
    for name, files in expected.items():
        missing = sorted(f for f in files if f not in helps[name])
        assert missing == [], f"sourcing {name} --help does not name {missing}"


def test_help_lines_are_kept_as_written(capsys):
    # The lists are wrapped by the command, not run together by argparse; % is not doubled.
    with pytest.raises(SystemExit) as done:
        run(capsys, "evaluate", "--help")
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "\n  paths.csv: one row per distinct path" in out and "95% confidence" in out
    assert max(len(line) for line in out.split("Reads:")[1].splitlines()) <= 79
