"""Result tables written fast and read back whichever way: the CSV writer (the values pandas
writes, spelled as pandas spells them), Parquet (typed), the workbooks streamed row by row (text
stays text, long tables cut to a documented number of rows, equal inputs equal bytes), and
`sourcing solve --format parquet` read by `compare`, `report` and `evaluate`."""

from __future__ import annotations

import json
import math

import numpy as np
import openpyxl
import pandas as pd
import pytest
from builders import CAPPED, scenario
from helpers import run

from optimizer import solve
from optimizer.common.table_files import (
    read_table,
    write_table,
    write_table_csv,
    write_table_parquet,
)
from optimizer.results.readable import SHEET_ROWS, readable_tables
from optimizer.results.workbook import write_tables_workbook
from optimizer.results.writing import write_result
from optimizer.sweep.evaluate_plan import read_recorded_plan

FLOATS = [0.1 + 0.2, 1e-7, 2.5e-5, 1e16, 1e300, 5e-324, -0.0, 100.0, 1e10, -123456.789, 2 / 3]
TEXTS = ["a,b", 'say "hi"', "two\nlines", "=1+1", "é€😀", "007", "", "  padded ", "@x"]


def hostile() -> pd.DataFrame:
    """Every kind of cell a result table can hold, and the texts that trip up CSV writers."""
    rows = len(FLOATS)
    texts = (TEXTS * 2)[:rows]
    return pd.DataFrame(
        {
            "number": FLOATS,
            "missing": [math.nan, math.inf, -math.inf, *([1.5] * (rows - 3))],
            "whole": [float(i) for i in range(rows)],
            "count": np.arange(rows, dtype=np.int64) - 3,
            "flag": [True, False] * (rows // 2) + [True] * (rows % 2),
            "text": texts,
            "blank": pd.Series([None, "x", *[None] * (rows - 2)], dtype=object),
            "mixed": pd.Series([1, "one", 2.5, True, None, *["t"] * (rows - 5)], dtype=object),
            "Δ plan, two": ["=SUM(A1)"] * rows,
        }
    )


def test_the_csv_writer_writes_what_pandas_writes(tmp_path):
    frame = hostile()
    path = write_table_csv(frame, tmp_path / "t.csv")
    assert path.read_bytes() == frame.to_csv(index=False, lineterminator="\n").encode()
    back = pd.read_csv(path)
    assert back["number"].tolist() == FLOATS  # every float to its last bit
    assert math.copysign(1.0, back["number"].iloc[6]) == -1.0  # -0.0 stays negative
    assert back["missing"].iloc[1:3].tolist() == [math.inf, -math.inf]
    assert math.isnan(back["missing"].iloc[0])
    assert back["whole"].dtype == float and back["count"].tolist() == frame["count"].tolist()
    assert back["flag"].dtype == bool and back["flag"].tolist() == frame["flag"].tolist()
    text = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert text["text"].tolist() == frame["text"].tolist()  # commas, quotes, newlines, "007"
    assert text["blank"].tolist()[:2] == ["", "x"]
    assert text["mixed"].tolist()[:5] == ["1", "one", "2.5", "True", ""]
    assert list(text.columns) == list(frame.columns)


def test_a_carriage_return_is_quoted_so_the_row_reads_back_whole(tmp_path):
    frame = pd.DataFrame({"text": ["a\rb", "c"], "n": [1, 2]})
    back = pd.read_csv(write_table_csv(frame, tmp_path / "t.csv"), dtype=str)
    assert back["text"].tolist() == ["a\rb", "c"]  # pandas' own to_csv leaves it bare


@pytest.mark.parametrize(
    "frame",
    [
        pd.DataFrame({"a": pd.Series([], dtype=float), "b": pd.Series([], dtype=object)}),
        pd.DataFrame({"only": [None, "x", ""]}, dtype=object),  # a blank row is not a blank line
        pd.DataFrame({"a": [1.0, 2.0]}).iloc[1:],  # a slice: offsets into the arrays
        pd.DataFrame(index=range(2)),  # rows without columns
    ],
)
def test_edge_tables_match_pandas_byte_for_byte(tmp_path, frame):
    path = write_table_csv(frame, tmp_path / "t.csv")
    assert path.read_bytes() == frame.to_csv(index=False, lineterminator="\n").encode()


def test_parquet_keeps_types_and_text(tmp_path):
    frame = hostile()
    path = write_table_parquet(frame, tmp_path / "t.parquet")
    back = read_table(tmp_path, "t")
    assert list(back.columns) == list(frame.columns)
    for column in ("number", "whole", "missing"):
        assert back[column].dtype == float
        np.testing.assert_array_equal(back[column].to_numpy(), frame[column].to_numpy())
    assert back["count"].dtype == np.int64 and back["flag"].dtype == bool
    assert back["text"].tolist() == frame["text"].tolist()  # "007" and "" stay text
    assert back["blank"].isna().tolist() == frame["blank"].isna().tolist()
    assert back["mixed"].tolist()[:4] == ["1", "one", "2.5", "True"]  # as its CSV reads
    write_table_parquet(frame, tmp_path / "again.parquet")
    assert path.read_bytes() == (tmp_path / "again.parquet").read_bytes()


def test_a_table_reads_as_the_same_text_from_either_format(tmp_path):
    frame = hostile().drop(columns="mixed")
    for table_format in ("csv", "parquet"):
        (tmp_path / table_format).mkdir()
        write_table(frame, tmp_path / table_format, "t", table_format)
    from_csv = read_table(tmp_path / "csv", "t", as_text=True)
    from_parquet = read_table(tmp_path / "parquet", "t", as_text=True)
    assert from_parquet.to_dict("list") == from_csv.to_dict("list")
    assert read_table(tmp_path / "csv", "absent") is None


def sheet_rows(path, name: str) -> list[tuple]:
    return list(openpyxl.load_workbook(path)[name].iter_rows(values_only=True))


def test_a_table_longer_than_a_sheet_is_cut_with_a_note_and_its_file_kept_whole(tmp_path):
    rows = SHEET_ROWS + 7
    long = pd.DataFrame({"material": [f"m{i}" for i in range(rows)], "tonnes": range(rows)})
    sheets, notes = readable_tables({"mix": long}, {"mix": "mix.parquet"})
    assert notes == {"mix": f"{SHEET_ROWS:,} of {rows:,} rows: all in mix.parquet"}
    path = write_tables_workbook(tmp_path / "plan.xlsx", sheets, summary={}, notes=notes)
    sheet = openpyxl.load_workbook(path)["mix"]
    assert sheet.max_row == SHEET_ROWS + 1  # the header and the first rows, in order
    assert sheet.cell(SHEET_ROWS + 1, 1).value == f"m{SHEET_ROWS - 1}"
    assert sheet.auto_filter.ref == f"A1:B{SHEET_ROWS + 1}"
    assert sheet.cell(1, 1).comment.text.endswith(notes["mix"])
    write_table_csv(long, tmp_path / "mix.csv")
    assert len(pd.read_csv(tmp_path / "mix.csv")) == rows


def test_text_that_looks_like_a_formula_stays_text(tmp_path):
    risky = ["=1+1", "=HYPERLINK(\"http://x\")", "+1", "-1x", "@SUM(A1)", "#N/A", "007",
             "http://example.com", "bell\x07"]  # fmt: skip
    frame = pd.DataFrame({"=heading": risky, "value": range(len(risky))})
    path = write_tables_workbook(tmp_path / "t.xlsx", {"t": frame}, summary={"=key": "=cmd"})
    book = openpyxl.load_workbook(path)
    cells = [row[0] for row in book["t"].iter_rows(min_row=1)]
    assert [cell.data_type for cell in cells] == ["s"] * (len(risky) + 1)
    assert [cell.value for cell in cells] == ["=heading", *risky[:-1], "bell\ufffd"]
    assert [c.value for c in book["summary"][2]] == ["Other", "=key", "=cmd", None]
    assert [c.data_type for c in book["summary"][2]][:3] == ["s", "s", "s"]


def test_equal_tables_give_equal_workbooks(tmp_path):
    tables = {"plan": hostile(), "stock": hostile().iloc[::-1]}
    first = write_tables_workbook(tmp_path / "a.xlsx", tables, summary={"x": {"y": 1.5}})
    second = write_tables_workbook(tmp_path / "b.xlsx", tables, summary={"x": {"y": 1.5}})
    assert first.read_bytes() == second.read_bytes()
    assert openpyxl.load_workbook(first).properties.created.year == 2000


@pytest.fixture(scope="module")
def capped():
    return solve(scenario(**CAPPED))


@pytest.mark.parametrize("table_format", ["csv", "parquet"])
def test_a_result_written_twice_is_the_same_files(tmp_path, capped, table_format):
    first = write_result(capped, tmp_path / "a", table_format=table_format)
    second = write_result(capped, tmp_path / "b", table_format=table_format)
    names = sorted(p.name for p in first.iterdir())
    assert f"plan.{table_format}" in names and "plan.xlsx" in names
    assert not any(name.endswith(".csv") for name in names) or table_format == "csv"
    for name in names:
        if name != "summary.json":  # it has the run's timings
            assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_solve_with_parquet_then_compare_and_report_read_it(tmp_path, capsys):
    source = scenario(**CAPPED).write(tmp_path / "capped")
    parquet, csv = tmp_path / "parquet", tmp_path / "csv"
    code, out, _ = run(capsys, "solve", source, "--out", parquet, "--format", "parquet")
    assert code == 0 and "plan.parquet" in out and "plan.csv" not in out
    assert {"plan.parquet", "stock.parquet", "plan.xlsx"} <= {p.name for p in parquet.iterdir()}
    assert not list(parquet.glob("*.csv"))
    assert run(capsys, "solve", source, "--out", csv)[0] == 0
    code, out, _ = run(capsys, "compare", parquet, csv, "--out", tmp_path / "cmp")
    assert code == 0
    headline = pd.read_csv(tmp_path / "cmp" / "compare.csv")
    total = headline[headline["metric"] == "total"]
    assert total["parquet"].item() == pytest.approx(total["csv"].item())
    assert (headline["Δ csv"].fillna(0).abs() < 1e-6).all()  # the same plan, read either way
    assert run(capsys, "report", parquet)[0] == 0 and (parquet / "report.html").is_file()
    code, _, _ = run(
        capsys, "compare", parquet, csv, "--out", tmp_path / "cmp2", "--format", "parquet"
    )
    assert code == 0 and (tmp_path / "cmp2" / "plans" / "csv" / "plan.parquet").is_file()
    assert (tmp_path / "cmp2" / "compare.parquet").is_file()
    assert run(capsys, "report", tmp_path / "cmp2")[0] == 0  # its plans read back from Parquet
    assert run(capsys, "solve", source, "--out", parquet)[0] == 0  # a result replaces a result
    assert sorted(p.suffix for p in parquet.iterdir() if p.stem == "plan") == [".csv", ".xlsx"]


def test_evaluate_reads_the_same_plan_from_parquet(tmp_path):
    ban = scenario(
        3,
        materials=[{"material": "X", "holding_cost_usd_per_t_month": 40}],
        suppliers=[{"supplier": "C", "country": "CN"}, {"supplier": "A", "country": "AU"}],
        offers=[{"supplier": "C", "material": "X", "price_usd_per_t": 100},
                {"supplier": "A", "material": "X", "price_usd_per_t": 300}],
        demand={"X": [10, 10, 10]},
        events=[{"event": "ban", "monthly_probability": 0.3, "months": 1}],
        event_effects=[{"event": "ban", "country": "CN", "capacity_factor": 0}],
        risk_scenarios=[{"scenario": "ban", "probability": 0.3, "event": "ban",
                         "start_month": "2026-02", "months": 1}],
        closing_stock_credit="none",
    )  # fmt: skip
    result = solve(ban)
    folders = {f: write_result(result, tmp_path / f, table_format=f) for f in ("csv", "parquet")}
    summary = json.loads((folders["csv"] / "summary.json").read_text())
    plans = {f: read_recorded_plan(folder, summary) for f, folder in folders.items()}
    for part in ("decisions", "arrivals", "runs", "flows"):
        expected = getattr(plans["csv"], part).to_dict("list")
        assert getattr(plans["parquet"], part).to_dict("list") == expected, part
    assert plans["parquet"].arrivals["tonnes"].sum() == pytest.approx(30)


def test_a_table_file_that_fails_leaves_nothing_written(tmp_path, capped, monkeypatch):
    # The table files are written on threads beside the workbook: one failing file fails the
    # whole result, raised as it was, and the result folder is not made.
    from optimizer.results import writing

    real = writing.write_table

    def failing(table, folder, stem, table_format):
        if stem == "stock":
            raise OSError("disk full")
        return real(table, folder, stem, table_format)

    monkeypatch.setattr(writing, "write_table", failing)
    with pytest.raises(OSError, match="disk full"):
        write_result(capped, tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_summary_json_records_the_caps_and_floors_the_plan_was_solved_with(tmp_path):
    # What the plan was solved with, not what its description says: the cap and cover given.
    tighter = {**CAPPED, "caps": [{"country": "CN", "max_share": 0.5}],
               "stockpile_cover_months": 1.5}  # fmt: skip
    folder = write_result(solve(scenario(**tighter)), tmp_path / "out")
    policy = json.loads((folder / "summary.json").read_text())["policy"]
    assert policy["country_caps"] == {"CN": {"every material": 0.5}}
    assert policy["stockpile_cover_months"] == 1.5 and policy["cover_months"] == {"Dy": 1.5}
    assert policy["floor_t"] == {} and policy["budget_usd_per_year"] is None
    assert policy["closing_stock_credit"] == "floor" and policy["risk"] is None
    assert policy["floor_penalty_usd_per_t_month"] == {} and policy["closing_value_usd_per_t"] == {}


def test_summary_json_records_the_whole_policy_in_force(tmp_path):
    # Beside the caps and floors: the cap window, the floors' start and penalties, the closing
    # stock credit and its values as given, and the risk settings with the scenarios counted.
    materials = [{"material": "X", "holding_cost_usd_per_t_month": 40, "floor_t": 5,
                  "floor_penalty_usd_per_t_month": 1000, "closing_value_usd_per_t": 90},
                 {"material": "Y"}]  # fmt: skip
    ban = scenario(
        3,
        materials=materials,
        suppliers=[{"supplier": "C", "country": "CN"}, {"supplier": "A", "country": "AU"}],
        offers=[{"supplier": "C", "material": m, "price_usd_per_t": 100} for m in "XY"]
        + [{"supplier": "A", "material": "X", "price_usd_per_t": 300}],
        demand={"X": [10, 10, 10], "Y": [1, 1, 1]},
        events=[{"event": "ban", "monthly_probability": 0.3, "months": 1}],
        event_effects=[{"event": "ban", "country": "CN", "capacity_factor": 0}],
        risk_scenarios=[{"scenario": "ban", "probability": 0.3, "event": "ban",
                         "start_month": "2026-02", "months": 1}],
        cap_window="month",
        stockpile_from="2026-02",
        risk_weight=0.5,
        cvar_alpha=0.9,
        release_floor="false",
        refill_months=2,
        seed=7,
    )  # fmt: skip
    folder = write_result(solve(ban), tmp_path / "out")
    policy = json.loads((folder / "summary.json").read_text())["policy"]
    assert policy["cap_window"] == "month" and policy["stockpile_from"] == "2026-02"
    assert policy["floor_t"] == {"X": 5.0}
    assert policy["floor_penalty_usd_per_t_month"] == {"X": 1000.0}
    assert policy["closing_stock_credit"] == "floor"
    assert policy["closing_value_usd_per_t"] == {"X": 90.0}  # Y: the lowest landed price
    assert policy["risk"] == {
        "risk_weight": 0.5,
        "cvar_alpha": 0.9,
        "release_floor": False,
        "refill_months": 2,
        "samples": 0,
        "seed": 7,
        "scenarios": 2,  # ban and what it leaves over, base
    }
