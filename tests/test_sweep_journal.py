"""The sweep journal (``points.jsonl``) read back on resume: a line that is not a record of one
of the sweep's points is reported once, with its line number, and ignored (its point solved
again); the last good record of a point wins; error points are retried; the table always has
one row per point; and a point whose inputs break the input rules is an ``invalid`` row.

The sweeps run in this process on a one-thread Dask cluster, so they are quick and a
monkeypatch reaches the points."""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path

import pandas as pd
import pytest

from optimizer.cli.main import main
from optimizer.inputs.problems import Problem
from optimizer.reporting import write_sweep_report
from optimizer.sweep import load_sweep, run
from optimizer.sweep.run import JOURNAL, read_journal

ROOT = Path(__file__).resolve().parents[1]
LP = ROOT / "tests" / "fixtures" / "india-lp"
TINY = f"""name = "tiny"
scenario = "{LP}"
[[parameter]]
name = "china_cap"
path = "country_caps.max_share[country=CN]"
values = [0.6, 0.8]
[[parameter]]
name = "cover_months"
path = "policy.stockpile_cover_months"
values = [0, 1, 2]
"""  # 6 points: (0.6, 0) (0.6, 1) (0.6, 2) (0.8, 0) (0.8, 1) (0.8, 2)


@pytest.fixture(scope="module")
def scheduler():
    """The address of a Dask cluster of one thread in this process."""
    from dask.distributed import LocalCluster

    with LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=False,
        dashboard_address="127.0.0.1:0",  # a test's own cluster: any free port
        silence_logs=logging.ERROR,
    ) as cluster:
        yield cluster.scheduler_address


@pytest.fixture
def tiny(tmp_path) -> Path:
    path = tmp_path / "tiny.toml"
    path.write_text(TINY, encoding="utf-8")
    return path


def sweep(file: Path, out: Path, scheduler: str, capsys) -> tuple[int, str, str]:
    """``sourcing sweep`` in this process: the exit code, stdout and stderr."""
    code = main(["sweep", str(file), "--out", str(out), "--no-progress", "--scheduler", scheduler])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def lines(out: Path) -> list[bytes]:
    return (out / JOURNAL).read_bytes().splitlines(keepends=True)


def records(out: Path) -> list[dict]:
    return [json.loads(line) for line in lines(out)]


def table(out: Path) -> pd.DataFrame:
    return pd.read_parquet(out / "results.parquet")


def dumped(record: dict) -> bytes:
    return (json.dumps(record) + "\n").encode()


def test_every_bad_line_is_reported_once_and_its_point_solved_again(tiny, tmp_path, scheduler,
                                                                    capsys):  # fmt: skip
    out = tmp_path / "out"
    assert sweep(tiny, out, scheduler, capsys)[0] == 0
    good = {r["point"]: r for r in records(out)}
    not_utf8 = (
        b'{"point": 2, "status": "optimal", "china_cap": 0.6, "cover_months": 2.0, "x": "\xff"}\n'
    )
    foreign = good[0] | {"point": 999}
    mismatched = good[1] | {"china_cap": 0.7}  # point 1 of another sweep
    bad = [
        b"{}\n",  # line 3
        dumped(good[2] | {"point": "2"}),  # 4: a point that is no integer
        dumped(good[2] | {"point": 2.0}),  # 5
        not_utf8,  # 6
        dumped(foreign),  # 7
        dumped(mismatched),  # 8
        dumped(good[3] | {"status": "splendid"}),  # 9
        dumped(good[3] | {"objective_usd": "cheap"}),  # 10: would break the Parquet column
        dumped(good[3] | {"warm": 1}),  # 11
        b"[1, 2]\n",  # 12
        b"NaN\n",  # 13
        b'{"point": 3, "sta\n',  # 14: torn by an old run that went on after it
        b"\n",  # blank: skipped
    ]
    kept = [dumped(good[0]), dumped(good[4])]  # lines 1-2; points 1, 2, 3 and 5 left to solve
    torn = b'{"point": 5, "status": "opti'  # line 16: the last line, cut short by a kill
    (out / JOURNAL).write_bytes(b"".join([*kept, *bad, torn]))

    code, printed, err = sweep(tiny, out, scheduler, capsys)

    assert code == 0, err
    journal = str(out / JOURNAL)
    warned = err.splitlines()
    assert [line.split(": ", 2)[1] for line in warned] == [
        f"{journal}:{n}" for n in (*range(3, 15), 16)
    ]
    assert all(line.startswith("warning: ") for line in warned)
    assert f"{journal}:3: point is missing" not in err  # each line says what is wrong
    expected = [
        "no 'point'",
        'point "2" is no integer',
        "point 2.0 is no integer",
        f"not UTF-8 text (byte {not_utf8.index(0xFF) + 1})",
        "not a point of this sweep (point 999)",
        "not a point of this sweep (its point 1 has china_cap = 0.6, not 0.7)",
        'point 3: unknown status "splendid"',
        'point 3: objective_usd = "cheap" is not a number',
        "point 3: warm = 1 is not true or false",
        "not a JSON object but [1, 2]",
        "not a JSON object but NaN",
        "not JSON (column 18: Invalid control character)",
    ]
    for line, why in zip(warned, expected, strict=False):
        assert line.endswith(f": {why}; the line is ignored"), line
    assert warned[-1].endswith(
        ":16: an unfinished last line (the run writing it was stopped); it is removed"
    )
    assert "2 were already done, 4 solved now" in printed
    result = table(out)
    assert result["point"].tolist() == list(range(6))  # one row per point, none for 999
    assert (result["status"] == "optimal").all()
    assert result.loc[1, "china_cap"] == 0.6
    assert not lines(out)[-1].startswith(b'{"point": 5, "status": "opti"')
    assert all(line.endswith(b"\n") for line in lines(out))  # the torn tail was cut off

    code, printed, err = sweep(tiny, out, scheduler, capsys)  # bad lines stay in the file
    assert code == 0 and "6 were already done, 0 solved now" in printed
    assert len(err.splitlines()) == len(bad) - 1  # reported again, the torn line is gone


def test_a_bad_byte_spoils_its_line_only(tmp_path):
    points = pd.DataFrame({"point": [0, 1], "x": [1.0, 2.0]})
    path = tmp_path / JOURNAL
    one = dumped({"point": 0, "x": 1.0, "status": "optimal"})
    two = dumped({"point": 1, "x": 2.0, "status": "infeasible", "diagnosis": "caps \u00e9"})
    path.write_bytes(one + b"\xc3\x28garbage\n" + two)
    journal = read_journal(path, points, ["x"])
    assert sorted(journal.records) == [0, 1]
    assert journal.records[1]["diagnosis"] == "caps \u00e9"
    assert journal.rejected == [(2, "not UTF-8 text (byte 1); the line is ignored")]


def test_the_last_good_record_of_a_point_wins_and_errors_are_retried(tmp_path):
    points = pd.DataFrame({"point": [0, 1, 2], "x": [1.0, math.nan, 3.0]})  # NaN: a blank base
    path = tmp_path / JOURNAL
    path.write_bytes(
        b"".join(
            [
                dumped({"point": 0, "x": 1.0, "status": "optimal", "objective_usd": 1.0}),
                dumped({"point": 0, "x": 1.0, "status": "optimal", "objective_usd": 2.0}),
                dumped({"point": 0, "x": 1.0, "status": "optimal", "objective_usd": "x"}),
                b'{"point": 1, "x": NaN, "status": "optimal"}\n',
                dumped({"point": 1, "x": 5.0, "status": "error"}),  # foreign: ignored
                dumped({"point": 2, "x": 3.0, "status": "optimal"}),
                dumped({"point": 2, "x": 3, "status": "error", "diagnosis": "lost"}),
            ]
        )
    )
    journal = read_journal(path, points, ["x"])
    assert journal.records[0]["objective_usd"] == 2.0  # the last good one, not the first
    assert journal.records[2]["status"] == "error"
    assert journal.done == {0, 1}  # point 2's last record is an error: solved again
    assert [n for n, _ in journal.rejected] == [3, 5]


def test_error_points_are_solved_again(tiny, tmp_path, scheduler, capsys):
    out = tmp_path / "out"
    assert sweep(tiny, out, scheduler, capsys)[0] == 0
    good = records(out)
    failed = {**good[4], "status": "error", "diagnosis": "KilledWorker: gone"}
    with (out / JOURNAL).open("ab") as journal:
        journal.write(dumped(failed))
    assert table(out).loc[4, "status"] == "optimal"  # written before the error was journaled

    code, printed, err = sweep(tiny, out, scheduler, capsys)

    assert code == 0 and err == ""
    assert "5 were already done, 1 solved now" in printed
    assert table(out).loc[4, "status"] == "optimal"
    assert records(out)[-1]["point"] == 4 and records(out)[-1]["status"] == "optimal"


def test_a_lost_chunk_leaves_error_rows_that_the_next_run_solves(tiny, tmp_path, scheduler,
                                                                 capsys, monkeypatch):  # fmt: skip
    solve_point = run.solve_point

    def losing(sweep, model, record):  # fails point 2's chunk (a point a chunk here)
        if record["point"] == 2:
            raise RuntimeError("worker lost\nfor good")
        return solve_point(sweep, model, record)

    monkeypatch.setattr(run, "solve_point", losing)
    out = tmp_path / "out"
    code, printed, err = sweep(tiny, out, scheduler, capsys)
    assert code == 1
    assert err == (
        "error: 1 point could not be solved in this run (status error, the reason in the "
        "diagnosis column); run the same command again to retry them\n"
    )
    result = table(out)
    assert result["point"].tolist() == list(range(6))
    assert result.loc[2, "status"] == "error"
    assert result.loc[2, "diagnosis"] == "not solved: RuntimeError: worker lost for good"
    assert result.loc[2, ["china_cap", "cover_months"]].tolist() == [0.6, 2.0]
    assert (result.drop(index=2)["status"] == "optimal").all()

    monkeypatch.setattr(run, "solve_point", solve_point)
    code, printed, err = sweep(tiny, out, scheduler, capsys)
    assert code == 0 and "5 were already done, 1 solved now" in printed
    assert (table(out)["status"] == "optimal").all()


def test_a_point_without_any_record_still_has_its_row(tmp_path):
    points = pd.DataFrame({"point": [0, 1], "x": [1.0, 2.0]})
    records = {0: {"point": 0, "x": 1.0, "status": "optimal", "objective_usd": 3.0}}
    result = run.consolidate(tmp_path, points, records)
    assert result["point"].tolist() == [0, 1]
    assert result.loc[1, "status"] == "error" and result.loc[1, "x"] == 2.0
    assert result.loc[1, "diagnosis"].startswith("not solved")
    assert len(pd.read_parquet(tmp_path / "results.parquet")) == 2


@pytest.mark.slow
def test_a_point_that_breaks_the_input_rules_is_an_invalid_row(tiny, tmp_path, scheduler,
                                                               capsys, monkeypatch):  # fmt: skip
    def problems(scenario):  # stands for the rules: a cover of 2 months is refused
        if scenario.settings.stockpile_cover_months != 2:
            return []
        return [
            Problem("scenario.toml", None, "policy.stockpile_cover_months", "is too long"),
            Problem("offers.csv", 3, "capacity_t_per_month", "cannot\nbe read"),
        ]

    monkeypatch.setattr(run, "scenario_problems", problems)
    out = tmp_path / "out"
    code, printed, err = sweep(tiny, out, scheduler, capsys)
    assert code == 0, err
    assert "6 points (2 invalid, 4 optimal)" in printed
    result = table(out)
    invalid = result[result["status"] == "invalid"]
    assert invalid["point"].tolist() == [2, 5]
    assert (
        invalid["diagnosis"].tolist()
        == [
            "scenario.toml: policy.stockpile_cover_months: is too long; "
            "offers.csv:3: capacity_t_per_month: cannot\\nbe read"
        ]
        * 2
    )
    assert invalid["objective_usd"].isna().all()

    code, printed, err = sweep(tiny, out, scheduler, capsys)  # invalid points are done
    assert "6 were already done, 0 solved now" in printed
    page = write_sweep_report(out).read_text(encoding="utf-8")
    assert "2 invalid" in page and "break a rule of the input files" in page


@pytest.mark.slow
def test_a_contract_minimum_above_its_maximum_is_invalid(tmp_path, capsys):
    # The real rules (optimizer.inputs.scenario.scenario_problems) on the shipped default; a MIP
    # point, so on a real worker process.
    file = tmp_path / "contract.toml"
    file.write_text(
        f'name = "contract"\nscenario = "{ROOT / "inputs" / "india-2026"}"\n'
        "[[parameter]]\n"
        'name = "dy_min"\n'
        'path = "contracts.min_t_per_month[contract=lynas-hre-dy]"\n'
        "values = [0.3, 1.0]\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    code = main(["sweep", str(file), "--out", str(out), "--no-progress", "--workers", "1"])
    assert code == 0, capsys.readouterr().err
    result = table(out)
    assert result["status"].tolist() == ["optimal", "invalid"]
    assert result.loc[1, "diagnosis"] == (
        "contracts.csv:2: min_t_per_month: 1 is above max_t_per_month 0.6; the take-or-pay "
        "minimum cannot exceed the maximum"
    )


def test_a_whole_last_line_without_its_line_break_is_not_cut_off(tiny, tmp_path):
    sweep_ = load_sweep(tiny)
    names = [p.name for p in sweep_.parameters]
    path = tmp_path / JOURNAL
    record = {"point": 0, "china_cap": 0.6, "cover_months": 0.0, "status": "ok"}
    path.write_bytes(json.dumps(record).encode())
    journal = read_journal(path, sweep_.points(), names)
    assert journal.rejected == [(1, 'point 0: unknown status "ok"; the line is ignored')]
    assert journal.unterminated and journal.torn_at is None  # whole: it gets its line break
