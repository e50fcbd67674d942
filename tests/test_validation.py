"""Input validation: every fault is reported as ``file:line: column: message``, all in one pass.

Each test copies ``tests/fixtures/valid-small`` (the ``small_scenario`` fixture), breaks one
thing and checks the exact location and the gist of the message. Line numbers of the fixture:

* materials.csv: 2 NdPr-oxide, 3 Dy2O3
* suppliers.csv: 2 cn-oxides (CN), 3 my-lynas (MY), 4 us-mp (US)
* offers.csv: 2 cn-oxides/NdPr, 3 cn-oxides/Dy, 4 my-lynas/NdPr (70000, 5), 5 my-lynas/Dy,
  6 us-mp/NdPr (every month), 7 us-mp/NdPr 2026-03, 8 us-mp/NdPr 2026-04
* demand.csv: 2..7 NdPr-oxide 2026-01..2026-06, 8..13 Dy2O3 2026-01..2026-06
* country_caps.csv: 2 CN (every material), 3 CN/Dy2O3
* scenario.toml: 3 name, 4 description, 5 currency, 7 [horizon], 8 start, 9 months, 11 [policy],
  12 cap_window, 13 stockpile_cover_months, 14 stockpile_from
"""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import only_problem, problems, quick_sample

from optimizer import Scenario
from optimizer.cli.main import main
from optimizer.inputs.loading import load_scenario
from optimizer.inputs.problems import Problem, ScenarioError

REQUIRED_FILES = ["scenario.toml", "materials.csv", "suppliers.csv", "offers.csv", "demand.csv"]
SETTINGS = {
    "name": "valid-small",
    "start": "2026-01",
    "months": 6,
    "cap_window": "year",
    "stockpile_cover_months": 1.0,
    "stockpile_from": "2026-03",
}


# --- helpers ---------------------------------------------------------------------------------


def lines_of(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").rstrip("\n").split("\n")


def write_lines(path: Path, lines: list[str]) -> None:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def set_cell(folder: Path, file: str, line: int, column: str, value: str) -> None:
    """Set one cell, addressed by its line in the file (the fixture has no quoted cells)."""
    lines = lines_of(folder / file)
    header = lines[0].split(",")
    cells = lines[line - 1].split(",")
    cells[header.index(column)] = value
    lines[line - 1] = ",".join(cells)
    write_lines(folder / file, lines)


def replace_line(folder: Path, file: str, line: int, text: str) -> None:
    lines = lines_of(folder / file)
    lines[line - 1] = text
    write_lines(folder / file, lines)


def insert_lines(folder: Path, file: str, line: int, *texts: str) -> None:
    """Insert ``texts`` so that the first of them becomes line ``line``."""
    lines = lines_of(folder / file)
    lines[line - 1 : line - 1] = texts
    write_lines(folder / file, lines)


def append_lines(folder: Path, file: str, *texts: str) -> None:
    write_lines(folder / file, [*lines_of(folder / file), *texts])


def drop_column(folder: Path, file: str, column: str) -> None:
    lines = [line.split(",") for line in lines_of(folder / file)]
    position = lines[0].index(column)
    write_lines(folder / file, [",".join(c[:position] + c[position + 1 :]) for c in lines])


def edit_toml(folder: Path, old: str, new: str) -> None:
    path = folder / "scenario.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# --- the fixture itself ----------------------------------------------------------------------


def test_fixture_is_valid(small_scenario):
    scenario = load_scenario(small_scenario)
    assert scenario.horizon == [f"2026-0{m}" for m in range(1, 7)]
    assert len(scenario.materials) == 2
    assert scenario.suppliers["country"].nunique() == 3
    assert scenario.offers["month"].notna().sum() == 2
    assert math.isinf(scenario.offers["capacity_t_per_month"].iloc[0])  # blank = unlimited
    assert len(scenario.country_caps) == 2


def test_problem_prints_as_file_line_column_message():
    assert (
        str(Problem("offers.csv", 4, "price_usd_per_t", "x")) == "offers.csv:4: price_usd_per_t: x"
    )
    assert str(Problem("offers.csv", 7, None, "dup")) == "offers.csv:7: dup"
    assert str(Problem("offers.csv", None, None, "file not found")) == "offers.csv: file not found"


def test_a_line_break_in_a_value_stays_on_one_line():
    problem = Problem("offers.csv", 4, "material", "unknown material 'a\nb'")
    assert str(problem) == "offers.csv:4: material: unknown material 'a\\nb'"


# --- files and columns -----------------------------------------------------------------------


@pytest.mark.parametrize("file", REQUIRED_FILES)
def test_missing_required_file(small_scenario, file):
    (small_scenario / file).unlink()
    assert only_problem(small_scenario) == f"{file}: file not found"


def test_country_caps_file_is_optional(small_scenario):
    (small_scenario / "country_caps.csv").unlink()
    assert load_scenario(small_scenario).country_caps.empty


def test_not_a_folder(tmp_path):
    with pytest.raises(ScenarioError) as caught:
        load_scenario(tmp_path / "nowhere")
    assert str(caught.value) == f"{tmp_path / 'nowhere'}: does not exist"


@pytest.mark.parametrize(
    ("file", "column"),
    [
        ("materials.csv", "material"),
        ("suppliers.csv", "supplier"),
        ("suppliers.csv", "country"),
        ("offers.csv", "supplier"),
        ("offers.csv", "price_usd_per_t"),
        ("demand.csv", "month"),
        ("demand.csv", "demand_t"),
        ("country_caps.csv", "max_share"),
    ],
)
def test_missing_required_column(small_scenario, file, column):
    drop_column(small_scenario, file, column)
    assert only_problem(small_scenario) == f"{file}:1: {column}: required column is missing"


def test_missing_optional_column_takes_its_default(small_scenario):
    drop_column(small_scenario, "materials.csv", "storage_capacity_t")
    drop_column(small_scenario, "offers.csv", "month")
    drop_column(small_scenario, "offers.csv", "capacity_t_per_month")
    # without the month column the two dated overrides collide with the every-month row
    assert problems(small_scenario) == [
        "offers.csv:7: duplicate of line 6 (same supplier, material, month)",
        "offers.csv:8: duplicate of line 6 (same supplier, material, month)",
    ]
    replace_line(small_scenario, "offers.csv", 8, "")
    replace_line(small_scenario, "offers.csv", 7, "")
    scenario = load_scenario(small_scenario)
    assert np.isinf(scenario.materials["storage_capacity_t"]).all()
    assert np.isinf(scenario.offers["capacity_t_per_month"]).all()


def test_misspelt_required_column_gets_a_hint(small_scenario):
    replace_line(
        small_scenario,
        "offers.csv",
        1,
        "supplier,material,month,price_usd_per_ton,capacity_t_per_month",
    )
    assert problems(small_scenario) == [
        "offers.csv:1: price_usd_per_t: required column is missing",
        "offers.csv:1: price_usd_per_ton: unknown column; did you mean 'price_usd_per_t'?",
    ]


def test_misspelt_optional_column_gets_a_hint(small_scenario):
    header = lines_of(small_scenario / "materials.csv")[0]
    replace_line(small_scenario, "materials.csv", 1, header.replace("cover_months", "cover_month"))
    assert only_problem(small_scenario) == (
        "materials.csv:1: cover_month: unknown column; did you mean 'cover_months'?"
    )


def test_column_named_twice(small_scenario):
    replace_line(small_scenario, "demand.csv", 1, "material,month,material")
    assert only_problem(small_scenario) == (
        "demand.csv:1: material: column appears twice in the header"
    )


# --- references ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file", "line", "column", "value", "message"),
    [
        (
            "offers.csv", 5, "supplier", "my-lynsa",
            "unknown supplier 'my-lynsa': not in suppliers.csv; did you mean 'my-lynas'?",
        ),
        (
            "offers.csv", 5, "material", "Dy2O4",
            "unknown material 'Dy2O4': not in materials.csv; did you mean 'Dy2O3'?",
        ),
        (
            "demand.csv", 10, "material", "Dy203",
            "unknown material 'Dy203': not in materials.csv; did you mean 'Dy2O3'?",
        ),
        (
            "country_caps.csv", 3, "country", "JP",
            "unknown country 'JP': not in suppliers.csv, processes.csv or expansions.csv",
        ),
        (
            "country_caps.csv", 3, "material", "Tb4O7",
            "unknown material 'Tb4O7': not in materials.csv",
        ),
    ],
)  # fmt: skip
def test_unknown_reference(small_scenario, file, line, column, value, message):
    set_cell(small_scenario, file, line, column, value)
    assert only_problem(small_scenario) == f"{file}:{line}: {column}: {message}"


def test_a_broken_defining_table_does_not_flood_references(small_scenario):
    set_cell(small_scenario, "materials.csv", 3, "holding_cost_usd_per_t_month", "x")
    assert only_problem(small_scenario) == (
        "materials.csv:3: holding_cost_usd_per_t_month: 'x' is not a number"
    )
    drop_column(small_scenario, "materials.csv", "material")  # the table cannot be checked
    assert only_problem(small_scenario) == "materials.csv:1: material: required column is missing"


# --- months ----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["2026-13", "2026-1", "Jan 2026", "2026-03-01", "２026-03"])
def test_malformed_month(small_scenario, value):
    set_cell(small_scenario, "demand.csv", 4, "month", value)
    assert (
        only_problem(small_scenario) == f"demand.csv:4: month: '{value}' is not a month (YYYY-MM)"
    )


def test_malformed_offer_month(small_scenario):
    set_cell(small_scenario, "offers.csv", 7, "month", "2026-00")
    assert only_problem(small_scenario) == "offers.csv:7: month: '2026-00' is not a month (YYYY-MM)"


@pytest.mark.parametrize(
    ("file", "line", "value"),
    [("demand.csv", 13, "2026-07"), ("demand.csv", 2, "2025-12"), ("offers.csv", 8, "2027-04")],
)
def test_month_outside_the_horizon(small_scenario, file, line, value):
    set_cell(small_scenario, file, line, "month", value)
    assert only_problem(small_scenario) == (
        f"{file}:{line}: month: {value} is outside the horizon 2026-01..2026-06"
    )


# --- duplicate keys --------------------------------------------------------------------------


def test_two_every_month_offers_collide(small_scenario):
    insert_lines(small_scenario, "offers.csv", 7, "us-mp,NdPr-oxide,,76000,3")
    assert only_problem(small_scenario) == (
        "offers.csv:7: duplicate of line 6 (same supplier, material, month)"
    )


@pytest.mark.parametrize(
    ("file", "row", "message"),
    [
        ("offers.csv", "us-mp,NdPr-oxide,2026-04,71000,2",
         "offers.csv:9: duplicate of line 8 (same supplier, material, month)"),
        ("materials.csv", "Dy2O3,1,1,,,", "materials.csv:4: duplicate of line 3 (same material)"),
        ("suppliers.csv", "us-mp,US,3,1,1", "suppliers.csv:5: duplicate of line 4 (same supplier)"),
        ("demand.csv", "Dy2O3,2026-06,0.3",
         "demand.csv:14: duplicate of line 13 (same material, month)"),
        ("country_caps.csv", "CN,,0.5",
         "country_caps.csv:4: duplicate of line 2 (same country, material)"),
        ("country_caps.csv", "CN,Dy2O3,0.5",
         "country_caps.csv:4: duplicate of line 3 (same country, material)"),
    ],
)  # fmt: skip
def test_duplicate_key(small_scenario, file, row, message):
    append_lines(small_scenario, file, row)
    assert only_problem(small_scenario) == message


def test_malformed_months_are_not_duplicates_of_each_other(small_scenario):
    set_cell(small_scenario, "demand.csv", 4, "month", "2026-13")
    set_cell(small_scenario, "demand.csv", 5, "month", "2026-14")
    set_cell(small_scenario, "offers.csv", 8, "month", "April")  # vs the blank month of line 6
    assert problems(small_scenario) == [
        "demand.csv:4: month: '2026-13' is not a month (YYYY-MM)",
        "demand.csv:5: month: '2026-14' is not a month (YYYY-MM)",
        "offers.csv:8: month: 'April' is not a month (YYYY-MM)",
    ]


# --- numbers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file", "line", "column", "value", "message"),
    quick_sample([
        ("offers.csv", 4, "price_usd_per_t", "70k", "'70k' is not a number"),
        ("offers.csv", 4, "price_usd_per_t", '"70,000"', "'70,000' is not a number"),
        ("country_caps.csv", 2, "max_share", "60%", "'60%' is not a number"),
        ("offers.csv", 4, "price_usd_per_t", "NaN",
         "NaN is not a value; leave the cell blank instead"),
        ("offers.csv", 4, "capacity_t_per_month", "nan",
         "NaN is not a value; leave the cell blank instead"),
        ("offers.csv", 4, "price_usd_per_t", "inf", "'inf' is not a finite number"),
        ("offers.csv", 4, "price_usd_per_t", "1e400", "'1e400' is not a finite number"),
        ("offers.csv", 4, "capacity_t_per_month", "-inf", "'-inf' is not a finite number"),
        ("materials.csv", 3, "holding_cost_usd_per_t_month", "inf",
         "'inf' is not a finite number"),
        ("country_caps.csv", 2, "max_share", "inf", "'inf' is not a finite number"),
        ("offers.csv", 4, "price_usd_per_t", "-70000",
         "-70000 is below 0; values must be at least 0"),
        ("offers.csv", 4, "capacity_t_per_month", "-5", "-5 is below 0; values must be at least 0"),
        ("demand.csv", 13, "demand_t", "-0.2", "-0.2 is below 0; values must be at least 0"),
        ("materials.csv", 2, "initial_stock_t", "-1", "-1 is below 0; values must be at least 0"),
        ("suppliers.csv", 3, "freight_usd_per_t", "-60",
         "-60 is below 0; values must be at least 0"),
        ("country_caps.csv", 2, "max_share", "1.5", "1.5 is above 1; shares must be at most 1"),
        ("country_caps.csv", 2, "max_share", "-0.1", "-0.1 is below 0; shares must be at least 0"),
        ("suppliers.csv", 3, "lead_time_months", "-1", "-1 is below 0; values must be at least 0"),
        ("suppliers.csv", 3, "lead_time_months", "1.5", "'1.5' must be a whole number"),
        ("suppliers.csv", 3, "lead_time_months", "1201",
         "1201 is above 1200; values must be at most 1200"),
        # beyond 1e20 HiGHS reads infinity: the offer would silently drop out of the plan
        ("offers.csv", 4, "price_usd_per_t", "1e25",
         "1e25 is above 1e9; values must be at most 1e9"),
        ("offers.csv", 4, "capacity_t_per_month", "2e9",
         "2e9 is above 1e9; values must be at most 1e9"),
        ("demand.csv", 13, "demand_t", "1e308", "1e308 is above 1e9; values must be at most 1e9"),
        ("materials.csv", 3, "shortfall_penalty_usd_per_t", "1e10",
         "1e10 is above 1e9; values must be at most 1e9"),
        ("materials.csv", 3, "cover_months", "1200.5",
         "1200.5 is above 1200; values must be at most 1200"),
        ("suppliers.csv", 3, "tariff_pct", "1001",
         "1001 is above 1000; values must be at most 1000"),
        ("offers.csv", 4, "price_usd_per_t", "", "is blank; a value is required"),
        ("offers.csv", 4, "supplier", "", "is blank; a value is required"),
        ("demand.csv", 4, "month", "", "is blank; a value is required"),
        ("country_caps.csv", 3, "max_share", "", "is blank; a value is required"),
    ], every=3),
)  # fmt: skip
def test_bad_value(small_scenario, file, line, column, value, message):
    set_cell(small_scenario, file, line, column, value)
    assert only_problem(small_scenario) == f"{file}:{line}: {column}: {message}"


def test_blank_or_inf_means_unlimited_where_the_schema_says_so(small_scenario):
    set_cell(small_scenario, "offers.csv", 3, "capacity_t_per_month", "")
    set_cell(small_scenario, "offers.csv", 4, "capacity_t_per_month", "inf")
    set_cell(small_scenario, "offers.csv", 5, "capacity_t_per_month", "Infinity")
    set_cell(small_scenario, "materials.csv", 2, "storage_capacity_t", "inf")
    scenario = load_scenario(small_scenario)
    assert np.isinf(scenario.offers["capacity_t_per_month"].iloc[:4]).all()
    assert np.isinf(scenario.materials["storage_capacity_t"].iloc[0])


def test_number_spellings_that_are_accepted(small_scenario):
    set_cell(small_scenario, "suppliers.csv", 3, "lead_time_months", "2.0")
    set_cell(small_scenario, "offers.csv", 4, "price_usd_per_t", "7e4")
    set_cell(small_scenario, "offers.csv", 5, "price_usd_per_t", "+850000")
    set_cell(small_scenario, "suppliers.csv", 2, "lead_time_months", "")  # blank = 0
    scenario = load_scenario(small_scenario)
    assert scenario.suppliers["lead_time_months"].tolist() == [0, 2, 2]
    assert scenario.offers["price_usd_per_t"].iloc[2:4].tolist() == [70000.0, 850000.0]


# --- scenario.toml ---------------------------------------------------------------------------


T = "scenario.toml"
HORIZON = "is outside the horizon 2026-01..2026-06"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    quick_sample([
        ('cap_window = "year"', 'cap_window = "yearly"',
         f"{T}:12: policy.cap_window: 'yearly' is not one of month, year, horizon"),
        ("months = 6", 'months = "12"', f"{T}:9: horizon.months: must be a number, not '12'"),
        ('start = "2026-01"', "start = 202601",
         f"{T}:8: horizon.start: must be a quoted string, not 202601"),
        ("months = 6", "months = 6.5", f"{T}:9: horizon.months: must be a whole number"),
        ("months = 6", "months = true", f"{T}:9: horizon.months: must be a number, not True"),
        ("months = 6", "months = 0", f"{T}:9: horizon.months: must be at least 1, not 0"),
        ("stockpile_cover_months = 1.0", "stockpile_cover_months = 1e300",
         f"{T}:13: policy.stockpile_cover_months: must be at most 1200, not 1e+300"),
        ("months = 6", "months = nan", f"{T}:9: horizon.months: must be a finite number"),
        ('start = "2026-01"', 'start = "2026-13"',
         f"{T}:8: horizon.start: '2026-13' is not a month (YYYY-MM)"),
        ('start = "2026-01"', 'start = "2026-01\\n"',
         f"{T}:8: horizon.start: '2026-01\\n' is not a month (YYYY-MM)"),
        ('stockpile_from = "2026-03"', 'stockpile_from = "2026-09"',
         f"{T}:14: policy.stockpile_from: 2026-09 {HORIZON}"),
        ('stockpile_from = "2026-03"', 'stockpile_from = "2025-12"',
         f"{T}:14: policy.stockpile_from: 2025-12 {HORIZON}"),
        ('name = "valid-small"', 'name = "results/valid-small"',
         f"{T}:3: name: 'results/valid-small' must be letters, digits, '.', '_' or '-'"),
        ('name = "valid-small"', 'name = ".."', f"{T}:3: name: '..' must be letters"),
        ('name = "valid-small"', 'name = "valid-small\\n"',
         f"{T}:3: name: 'valid-small\\n' must be letters"),
        ('name = "valid-small"\n', "", f"{T}: name: is missing; a value is required"),
        ('currency = "USD"', 'currency = "EUR"', f"{T}:5: currency: 'EUR' is not one of USD"),
        ("months = 6", "month = 6\nmonths = 6",
         f"{T}:9: horizon.month: unknown key; did you mean 'horizon.months'?"),
        ('currency = "USD"', 'currency = "USD"\ndesciption = ""',
         f"{T}:6: desciption: unknown key; did you mean 'description'?"),
        ("[policy]", "[polcy]", f"{T}:11: polcy: unknown key; did you mean 'policy'?"),
        ("[policy]", "[solver]\nthread = 2\n\n[policy]",
         f"{T}:12: solver.thread: unknown key; did you mean 'solver.threads'?"),
    ], every=3),
)  # fmt: skip
def test_bad_settings(small_scenario, old, new, expected):
    edit_toml(small_scenario, old, new)
    found = only_problem(small_scenario)
    assert found.startswith(expected), found


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        ("months = 6", "months = ", "scenario.toml:9: malformed TOML: "),
        ('start = "2026-01"', 'start = "2026-01', "scenario.toml:8: malformed TOML: "),
        ("months = 6", "months = 6\nmonths = 7", "scenario.toml:10: malformed TOML: "),
    ],
)
def test_toml_syntax_error_has_its_line(small_scenario, old, new, where):
    edit_toml(small_scenario, old, new)
    assert only_problem(small_scenario).startswith(where)


def test_horizon_as_dotted_keys_is_located(small_scenario):
    edit_toml(small_scenario, '[horizon]\nstart = "2026-01"\nmonths = 6\n', "")
    edit_toml(small_scenario, 'currency = "USD"', 'horizon.start = "2026-01"\nhorizon.months = "6"')
    assert only_problem(small_scenario) == (
        "scenario.toml:6: horizon.months: must be a number, not '6'"
    )


# --- reading files ---------------------------------------------------------------------------


def test_binary_file(small_scenario):
    path = small_scenario / "offers.csv"
    path.write_bytes(path.read_bytes().replace(b"cn-oxides,Dy2O3", b"cn-oxides,Dy\x00O3"))
    assert (
        only_problem(small_scenario) == "offers.csv:3: is a binary file (NUL byte), not UTF-8 text"
    )


def test_binary_settings_file(small_scenario):
    (small_scenario / "scenario.toml").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert only_problem(small_scenario).startswith("scenario.toml:3: is a binary file")


def test_non_utf8_file_names_the_line_of_the_bad_byte(small_scenario):
    path = small_scenario / "materials.csv"
    path.write_bytes(path.read_bytes().replace(b"Dy2O3", "Dy2O3 é".encode("latin-1")))
    assert only_problem(small_scenario) == "materials.csv:3: is not UTF-8 text (byte 0xe9)"


def test_non_utf8_settings_file(small_scenario):
    path = small_scenario / "scenario.toml"
    path.write_bytes(path.read_bytes().replace(b"Jan-Jun", "Jan–Jun".encode("cp1252")))
    assert only_problem(small_scenario) == "scenario.toml:4: is not UTF-8 text (byte 0x96)"


@pytest.mark.parametrize("text", ["", "\n", "\n  \n"])
def test_empty_csv(small_scenario, text):
    (small_scenario / "demand.csv").write_text(text, encoding="utf-8")
    assert only_problem(small_scenario) == (
        "demand.csv:1: is empty: expected a header row of column names"
    )


def test_header_only_cap_file_means_no_caps(small_scenario):
    write_lines(small_scenario / "country_caps.csv", ["country,material,max_share"])
    assert load_scenario(small_scenario).country_caps.empty


def test_every_ragged_row_is_reported(small_scenario):
    replace_line(small_scenario, "offers.csv", 3, "cn-oxides,Dy2O3,,240000,2,,")
    replace_line(small_scenario, "offers.csv", 4, "my-lynas,NdPr-oxide,,70000")
    replace_line(small_scenario, "offers.csv", 6, "us-mp,NdPr-oxide,,75000,4,extra")
    replace_line(small_scenario, "offers.csv", 8, "us-mp")
    assert problems(small_scenario) == [
        "offers.csv:3: has 7 fields; the header has 5",
        "offers.csv:4: has 4 fields; the header has 5",
        "offers.csv:6: has 6 fields; the header has 5",
        "offers.csv:8: has 1 fields; the header has 5",
    ]


def test_one_short_row_is_reported(small_scenario):
    replace_line(small_scenario, "offers.csv", 4, "my-lynas,NdPr-oxide,,70000")
    assert only_problem(small_scenario) == "offers.csv:4: has 4 fields; the header has 5"


def test_header_short_of_a_column_names_every_row(small_scenario):
    replace_line(small_scenario, "demand.csv", 1, "material,demand_t")
    found = problems(small_scenario)
    assert found == [f"demand.csv:{line}: has 3 fields; the header has 2" for line in range(2, 14)]


def test_unclosed_quote_is_located_where_the_row_starts(small_scenario):
    replace_line(small_scenario, "offers.csv", 4, 'my-lynas,"NdPr-oxide,,70000,5')
    found = only_problem(small_scenario)
    assert found.startswith("offers.csv:4: has 2 fields; the header has 5"), found
    assert "closing quote" in found


def test_blank_lines_do_not_shift_line_numbers(small_scenario):
    insert_lines(small_scenario, "offers.csv", 3, "", "   ", ",,,,")  # old line 4 is now 7
    set_cell(small_scenario, "offers.csv", 7, "price_usd_per_t", "70k")
    append_lines(small_scenario, "offers.csv", "", "")
    assert only_problem(small_scenario) == "offers.csv:7: price_usd_per_t: '70k' is not a number"


def test_a_quoted_cell_over_two_lines_does_not_shift_later_line_numbers(small_scenario):
    replace_line(small_scenario, "offers.csv", 3, 'cn-oxides,Dy2O3,,240000,"2\n"')  # lines 3-4
    set_cell(small_scenario, "offers.csv", 5, "price_usd_per_t", "70k")
    assert only_problem(small_scenario) == "offers.csv:5: price_usd_per_t: '70k' is not a number"


def test_crlf_line_endings(small_scenario):
    path = small_scenario / "offers.csv"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    assert len(load_scenario(small_scenario).offers) == 7
    set_cell(small_scenario, "offers.csv", 4, "price_usd_per_t", "70k")
    assert only_problem(small_scenario) == "offers.csv:4: price_usd_per_t: '70k' is not a number"


def test_utf8_bom_is_accepted(small_scenario):
    for file in ("offers.csv", "scenario.toml"):
        path = small_scenario / file
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    scenario = load_scenario(small_scenario)
    assert scenario.offers["supplier"].iloc[0] == "cn-oxides"  # the first column is recognised
    assert scenario.name == "valid-small"


def test_surrounding_whitespace_is_tolerated(small_scenario):
    replace_line(small_scenario, "offers.csv", 1, " supplier , material,month , price_usd_per_t,"
                 "capacity_t_per_month ")  # fmt: skip
    replace_line(small_scenario, "offers.csv", 4, "  my-lynas , NdPr-oxide ,   ,\t70000 , 5 ")
    replace_line(small_scenario, "demand.csv", 4, "NdPr-oxide , 2026-03 ,3")
    scenario = load_scenario(small_scenario)
    row = scenario.offers.iloc[2]
    assert row[["supplier", "material", "price_usd_per_t"]].tolist() == [
        "my-lynas",
        "NdPr-oxide",
        7e4,
    ]
    assert pd.isna(row["month"])
    assert scenario.demand["month"].iloc[2] == "2026-03"


# --- all problems at once --------------------------------------------------------------------


def test_problems_from_several_files_come_in_one_pass(small_scenario):
    set_cell(small_scenario, "offers.csv", 4, "price_usd_per_t", "70k")
    set_cell(small_scenario, "demand.csv", 4, "month", "2026-13")
    set_cell(small_scenario, "suppliers.csv", 3, "lead_time_months", "-1")
    edit_toml(small_scenario, 'cap_window = "year"', 'cap_window = "yearly"')
    found = problems(small_scenario)
    assert found == [
        "demand.csv:4: month: '2026-13' is not a month (YYYY-MM)",
        "offers.csv:4: price_usd_per_t: '70k' is not a number",
        "scenario.toml:12: policy.cap_window: 'yearly' is not one of month, year, horizon",
        "suppliers.csv:3: lead_time_months: -1 is below 0; values must be at least 0",
    ]


def test_problems_are_sorted_by_file_and_line(small_scenario):
    set_cell(small_scenario, "offers.csv", 8, "price_usd_per_t", "x")
    set_cell(small_scenario, "offers.csv", 2, "capacity_t_per_month", "-1")
    set_cell(small_scenario, "demand.csv", 12, "demand_t", "y")
    set_cell(small_scenario, "demand.csv", 3, "material", "NdPr")
    (small_scenario / "suppliers.csv").write_bytes(b"supplier,country\n\xff,CN\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(small_scenario)
    located = [(p.file, p.line) for p in caught.value.problems]
    assert located == [
        ("demand.csv", 3),
        ("demand.csv", 12),
        ("offers.csv", 2),
        ("offers.csv", 8),
        ("suppliers.csv", 2),
    ]


# --- the command line ------------------------------------------------------------------------


def break_three_files(folder: Path) -> list[str]:
    set_cell(folder, "offers.csv", 4, "price_usd_per_t", "70k")
    set_cell(folder, "demand.csv", 4, "month", "2026-13")
    set_cell(folder, "country_caps.csv", 2, "max_share", "1.5")
    return [
        f"{folder}/country_caps.csv:2: max_share: 1.5 is above 1; shares must be at most 1",
        f"{folder}/demand.csv:4: month: '2026-13' is not a month (YYYY-MM)",
        f"{folder}/offers.csv:4: price_usd_per_t: '70k' is not a number",
    ]


def test_cli_validate_reports_every_problem(small_scenario, capsys):
    expected = break_three_files(small_scenario)
    assert main(["validate", str(small_scenario)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [*expected, "error: 3 problems in the input; nothing was written"]


def test_cli_solve_reports_every_problem_and_writes_nothing(small_scenario, tmp_path, capsys):
    expected = break_three_files(small_scenario)
    before = set(tmp_path.iterdir())
    out_folder = tmp_path / "out"
    assert main(["solve", str(small_scenario), "--out", str(out_folder)]) == 2
    err = capsys.readouterr().err
    assert err.splitlines()[:-1] == expected
    assert "Traceback" not in err
    assert not out_folder.exists()
    assert set(tmp_path.iterdir()) == before  # no hidden staging folder left behind


def test_cli_validate_accepts_the_fixture(small_scenario, capsys):
    assert main(["validate", str(small_scenario)]) == 0
    out, err = capsys.readouterr()
    assert "valid: 2 materials, 3 suppliers, 7 offer rows" in " ".join(out.split())  # wrapped
    assert max(map(len, out.splitlines())) <= 100 or len(out.split()[0]) > 60  # a long path
    assert err == ""


def test_cli_on_a_missing_folder(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "nowhere")]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"{tmp_path / 'nowhere'}: does not exist",
        "error: 1 problem in the input; nothing was written",
    ]


@pytest.mark.slow
def test_entry_point_in_a_subprocess(small_scenario, tmp_path):
    expected = break_three_files(small_scenario)
    out_folder = tmp_path / "out"
    command = [sys.executable, "-m", "optimizer", "solve", str(small_scenario)]
    run = subprocess.run(
        [*command, "--out", str(out_folder)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert run.returncode == 2, run.stderr
    assert run.stdout == ""
    assert run.stderr.splitlines()[:-1] == expected
    assert "Traceback" not in run.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scenario"]


# --- in-memory tables ------------------------------------------------------------------------


@pytest.fixture
def frames(small_scenario) -> dict[str, pd.DataFrame]:
    names = ["materials", "suppliers", "offers", "demand", "country_caps"]
    tables = {name: pd.read_csv(small_scenario / f"{name}.csv") for name in names}
    tables["offers"] = tables["offers"].astype({"price_usd_per_t": float})
    return tables


def test_from_frames_accepts_the_fixture(frames):
    scenario = Scenario.from_frames(SETTINGS, **frames)
    assert len(scenario.offers) == 7
    assert np.isinf(scenario.offers["capacity_t_per_month"].iloc[0])


def test_from_frames_counts_lines_from_2(frames):
    frames["offers"].loc[2, "price_usd_per_t"] = -5.0
    frames["offers"].loc[3, "capacity_t_per_month"] = np.inf  # unlimited: fine
    frames["offers"].index += 100  # the index plays no part
    frames["demand"].loc[11, "demand_t"] = np.nan  # blank where a value is required
    frames["suppliers"]["lead_time_months"] = [1.0, 1.5, 2.0]
    frames["materials"]["storage_capacity_t"] = pd.array([pd.NA, 10.0], dtype="Float64")
    with pytest.raises(ScenarioError) as caught:
        Scenario.from_frames(SETTINGS, **frames)
    assert [str(p) for p in caught.value.problems] == [
        "demand.csv:13: demand_t: is blank; a value is required",
        "offers.csv:4: price_usd_per_t: -5.0 is below 0; values must be at least 0",
        "suppliers.csv:3: lead_time_months: '1.5' must be a whole number",
    ]


def test_from_frames_checks_columns_and_settings(frames):
    frames["offers"] = frames["offers"].rename(columns={"price_usd_per_t": "price_usd"})
    with pytest.raises(ScenarioError) as caught:
        Scenario.from_frames({**SETTINGS, "months": "6"}, **frames)
    assert [str(p) for p in caught.value.problems] == [
        "offers.csv:1: price_usd: unknown column; did you mean 'price_usd_per_t'?",
        "offers.csv:1: price_usd_per_t: required column is missing",
        "scenario.toml: horizon.months: must be a number, not '6'",
    ]


def test_from_frames_rejects_an_unknown_table_name(frames):
    frames["offer"] = frames.pop("offers")
    with pytest.raises(TypeError, match="unknown tables \\['offer'\\]"):
        Scenario.from_frames(SETTINGS, **frames)


# --- processing chains, expansions and contracts ---------------------------------------------
#
# These tests copy ``tests/fixtures/chain-small`` (the ``chain_scenario`` fixture). Its lines:
#
# * materials.csv: 2 carbonate (bought, no demand), 3 NdPr-oxide (intermediate), 4 NdPr-metal,
#   5 Ce-oxide (a by-product: sale price 3000, market limit 20, disposal cost 200)
# * suppliers.csv: 2 au-lynas (AU), 3 cn-oxides (CN), 4 vn-metal (VN)
# * offers.csv: 2 au-lynas/carbonate, 3 cn-oxides/NdPr-oxide, 4 vn-metal/NdPr-metal
# * demand.csv: 2..7 NdPr-metal 2026-01..2026-06
# * country_caps.csv: 2 CN (every material), 3 IN/NdPr-metal (IN has processes, no supplier)
# * processes.csv: 2 sep-plant (IN), 3 metal-line (IN, from 2026-02)
# * process_io.csv: 2..4 sep-plant (carbonate in; NdPr-oxide, Ce-oxide out), 5..6 metal-line
#   (NdPr-oxide in, NdPr-metal out), 7..9 sep-partner (its own recipe), 10..11 metal-line-b
# * expansions.csv: 2 sep-expand and 3 sep-partner (both expand sep-plant, exclusive group
#   sep-upgrade), 4 metal-line-b (creates the new process metal-b in IN; requires sep-expand)
# * contracts.csv: 2 lynas-offtake (au-lynas carbonate 2026-02..2026-06, take-or-pay 10 of at
#   most 30 t/month), 3 cn-frame (cn-oxides, every material, the whole horizon)
# * scenario.toml: 14 policy.budget_usd_per_year, 17 investment.capital_charge,
#   18 investment.discount_rate_pct

CHAIN_FILES = ["processes", "process_io", "expansions", "contracts"]
NEEDS_BOTH = "a recipe needs at least one input and one output"
CHAIN_SETTINGS = {"name": "chain-small", "start": "2026-01", "months": 6}


def test_chain_fixture_is_valid(chain_scenario):
    scenario = load_scenario(chain_scenario)
    assert scenario.is_mip
    assert scenario.settings.budget_usd_per_year == 4e7
    assert scenario.settings.capital_charge == "annualised"
    assert scenario.settings.discount_rate_pct == 8.0
    assert len(scenario.processes) == 2 and len(scenario.process_io) == 10
    assert scenario.processes["site"].tolist() == ["Visakhapatnam", "Vizag"]
    assert scenario.process_io["direction"].tolist()[:3] == ["input", "output", "output"]
    by_option = scenario.expansions.set_index("option")
    expand = by_option.loc["sep-expand"]
    assert expand[["country", "operating_cost_usd_per_t"]].isna().all()  # the process's
    assert expand["lifetime_years"] == 20.0  # the schema's default
    assert pd.isna(expand["available_from"]) and pd.isna(expand["requires"])
    assert scenario.expansions["build_lead_time_months"].tolist() == [2, 2, 3]
    assert by_option.loc["metal-line-b", "requires"] == "sep-expand"
    frame = scenario.contracts.set_index("contract").loc["cn-frame"]
    assert frame[["material", "start_month", "end_month"]].isna().all()  # every, the horizon
    ce = scenario.materials.set_index("material").loc["Ce-oxide"]
    assert ce[["sale_price_usd_per_t", "sale_limit_t_per_month"]].tolist() == [3000.0, 20.0]
    assert math.isinf(scenario.materials["sale_limit_t_per_month"].iloc[0])  # blank = unlimited


def test_the_small_fixture_has_no_chain(small_scenario):
    scenario = load_scenario(small_scenario)
    assert all(scenario.table(name).empty for name in CHAIN_FILES)
    assert not scenario.is_mip


def test_chain_fixture_round_trips_through_a_folder(chain_scenario, tmp_path):
    scenario = load_scenario(chain_scenario)
    again = load_scenario(scenario.write(tmp_path / "again"))
    for name in ["materials", "country_caps", *CHAIN_FILES]:
        pd.testing.assert_frame_equal(again.table(name), scenario.table(name))
    assert again.settings == scenario.settings


def test_chain_from_frames(chain_scenario):
    names = ["materials", "suppliers", "offers", "demand", "country_caps", *CHAIN_FILES]
    tables = {name: pd.read_csv(chain_scenario / f"{name}.csv") for name in names}
    scenario = Scenario.from_frames(CHAIN_SETTINGS, **tables)
    expected = load_scenario(chain_scenario)
    for name in names:
        pd.testing.assert_frame_equal(scenario.table(name), expected.table(name))
    tables["process_io"].loc[2, "direction"] = "outptu"
    with pytest.raises(ScenarioError) as caught:
        Scenario.from_frames(CHAIN_SETTINGS, **tables)
    assert [str(p) for p in caught.value.problems] == [
        "process_io.csv:4: direction: 'outptu' is not one of input, output"
    ]


# generic checks on the new files


@pytest.mark.parametrize(
    ("file", "line", "column", "value", "message"),
    quick_sample([
        ("process_io.csv", 3, "direction", "out", "'out' is not one of input, output"),
        ("process_io.csv", 3, "direction", "Output", "'Output' is not one of input, output"),
        ("process_io.csv", 3, "direction", "", "is blank; a value is required"),
        ("process_io.csv", 4, "t_per_t", "-0.45", "-0.45 is below 0; values must be at least 0"),
        ("process_io.csv", 4, "t_per_t", "45%", "'45%' is not a number"),
        ("process_io.csv", 5, "material", "NdPr-oxid",
         "unknown material 'NdPr-oxid': not in materials.csv; did you mean 'NdPr-oxide'?"),
        ("processes.csv", 3, "capacity_t_per_month", "", "is blank; a value is required"),
        ("processes.csv", 3, "first_month", "2025-12",
         "2025-12 is outside the horizon 2026-01..2026-06"),
        ("processes.csv", 3, "first_month", "Feb 2026", "'Feb 2026' is not a month (YYYY-MM)"),
        ("expansions.csv", 2, "build_lead_time_months", "1.5", "'1.5' must be a whole number"),
        ("expansions.csv", 3, "available_from", "2026-07",
         "2026-07 is outside the horizon 2026-01..2026-06"),
        ("expansions.csv", 3, "lifetime_years", "201",
         "201 is above 200; values must be at most 200"),
        ("expansions.csv", 3, "lifetime_years", "0",  # no life to spread the capital over
         "0 is below 1; values must be at least 1"),
        ("expansions.csv", 3, "capital_cost_usd", "", "is blank; a value is required"),
        ("expansions.csv", 3, "capital_cost_usd", "2e12",
         "2e12 is above 1e12; values must be at most 1e12"),
        ("process_io.csv", 4, "t_per_t", "1001", "1001 is above 1000; values must be at most 1000"),
        ("contracts.csv", 2, "max_t_per_month", "1e20",
         "1e20 is above 1e9; values must be at most 1e9"),
        ("expansions.csv", 4, "process", "", "is blank; a value is required"),
        ("contracts.csv", 3, "supplier", "cn-oxide",
         "unknown supplier 'cn-oxide': not in suppliers.csv; did you mean 'cn-oxides'?"),
        ("contracts.csv", 2, "material", "Carbonate",
         "unknown material 'Carbonate': not in materials.csv; did you mean 'carbonate'?"),
        ("contracts.csv", 2, "end_month", "2026-13", "'2026-13' is not a month (YYYY-MM)"),
        ("contracts.csv", 2, "start_month", "2025-11",
         "2025-11 is outside the horizon 2026-01..2026-06"),
        ("contracts.csv", 2, "max_t_per_month", "", "is blank; a value is required"),
        ("materials.csv", 5, "sale_price_usd_per_t", "-3000",
         "-3000 is below 0; values must be at least 0"),
    ], every=3),
)  # fmt: skip
def test_bad_value_in_a_new_file(chain_scenario, file, line, column, value, message):
    set_cell(chain_scenario, file, line, column, value)
    assert only_problem(chain_scenario) == f"{file}:{line}: {column}: {message}"


@pytest.mark.parametrize(
    ("file", "row", "message"),
    [
        ("expansions.csv", "sep-expand,sep-plant,,5,,,1,2000000,,,",
         "expansions.csv:5: duplicate of line 2 (same option)"),
        ("processes.csv", "metal-line,Pune,IN,1,1,",
         "processes.csv:4: duplicate of line 3 (same process)"),
        ("process_io.csv", "sep-plant,Ce-oxide,output,0.4",
         "process_io.csv:12: duplicate of line 4 (same process, material, direction)"),
        ("contracts.csv", "cn-frame,cn-oxides,NdPr-oxide,,,0,0,1,1",
         "contracts.csv:4: duplicate of line 3 (same contract)"),
    ],
)  # fmt: skip
def test_duplicate_key_in_a_new_file(chain_scenario, file, row, message):
    append_lines(chain_scenario, file, row)
    assert only_problem(chain_scenario) == message


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('capital_charge = "annualised"', 'capital_charge = "monthly"',
         f"{T}:17: investment.capital_charge: 'monthly' is not one of annualised, upfront"),
        ("budget_usd_per_year = 40000000", "budget_usd_per_year = -1",
         f"{T}:14: policy.budget_usd_per_year: must be at least 0, not -1"),
        ("budget_usd_per_year = 40000000", 'budget_usd_per_year = "40M"',
         f"{T}:14: policy.budget_usd_per_year: must be a number, not '40M'"),
        ("discount_rate_pct = 8", "discount_rate_pct = 101",
         f"{T}:18: investment.discount_rate_pct: must be at most 100, not 101"),
        ("budget_usd_per_year = 40000000", "budget_usd_per_year = 2e12",
         f"{T}:14: policy.budget_usd_per_year: must be at most 1e12, not 2000000000000.0"),
        ("discount_rate_pct = 8", "discount_rate = 8",
         f"{T}:18: investment.discount_rate: unknown key; did you mean "
         "'investment.discount_rate_pct'?"),
    ],
)  # fmt: skip
def test_bad_investment_and_budget_settings(chain_scenario, old, new, expected):
    edit_toml(chain_scenario, old, new)
    assert only_problem(chain_scenario) == expected


def test_settings_of_the_chain_take_their_defaults(chain_scenario):
    edit_toml(chain_scenario, "budget_usd_per_year = 40000000\n", "")
    edit_toml(
        chain_scenario, '[investment]\ncapital_charge = "annualised"\ndiscount_rate_pct = 8\n', ""
    )
    settings = load_scenario(chain_scenario).settings
    assert settings.budget_usd_per_year is None
    assert (settings.capital_charge, settings.discount_rate_pct) == ("annualised", 8.0)


# materials: selling and disposing of surplus


def test_a_market_limit_needs_a_sale_price(chain_scenario):
    set_cell(chain_scenario, "materials.csv", 5, "sale_price_usd_per_t", "")
    assert only_problem(chain_scenario) == (
        "materials.csv:5: sale_limit_t_per_month: a market limit needs a sale price; "
        "sale_price_usd_per_t is blank"
    )


def test_a_bad_sale_price_is_reported_once(chain_scenario):
    set_cell(chain_scenario, "materials.csv", 5, "sale_price_usd_per_t", "3k")
    assert only_problem(chain_scenario) == (
        "materials.csv:5: sale_price_usd_per_t: '3k' is not a number"
    )


def test_a_price_without_a_limit_and_a_disposal_cost_alone_are_fine(chain_scenario):
    set_cell(chain_scenario, "materials.csv", 5, "sale_limit_t_per_month", "")
    set_cell(chain_scenario, "materials.csv", 2, "disposal_cost_usd_per_t", "50")
    set_cell(chain_scenario, "materials.csv", 3, "sale_limit_t_per_month", "inf")  # = blank
    materials = load_scenario(chain_scenario).materials
    assert np.isinf(materials["sale_limit_t_per_month"]).all()


# country caps: a supplier's, a process's or an option's country


def test_a_cap_may_name_the_country_of_a_process_or_of_an_option(chain_scenario):
    set_cell(chain_scenario, "expansions.csv", 4, "country", "EE")  # metal-b built in Estonia
    set_cell(chain_scenario, "country_caps.csv", 3, "country", "EE")
    assert load_scenario(chain_scenario).country_caps["country"].tolist() == ["CN", "EE"]


def test_an_unknown_cap_country_names_every_table_it_may_come_from(chain_scenario):
    set_cell(chain_scenario, "country_caps.csv", 3, "country", "IND")
    assert only_problem(chain_scenario) == (
        "country_caps.csv:3: country: unknown country 'IND': not in suppliers.csv, processes.csv "
        "or expansions.csv; did you mean 'IN'?"
    )


def test_a_cap_country_is_not_judged_while_a_process_file_is_broken(chain_scenario):
    drop_column(chain_scenario, "processes.csv", "country")
    assert only_problem(chain_scenario) == "processes.csv:1: country: required column is missing"


# recipes


def test_a_recipe_line_names_a_process_or_an_option(chain_scenario):
    set_cell(chain_scenario, "process_io.csv", 9, "process", "sep-partnr")
    assert only_problem(chain_scenario) == (
        "process_io.csv:9: process: unknown process 'sep-partnr': not a process of processes.csv "
        "or an option of expansions.csv; did you mean 'sep-partner'?"
    )


@pytest.mark.parametrize(
    ("blanked", "expected"),
    [
        ([5], f"processes.csv:3: process: process 'metal-line' has no input in process_io.csv; "
              f"{NEEDS_BOTH}"),
        ([3, 4], f"processes.csv:2: process: process 'sep-plant' has no output in process_io.csv; "
                 f"{NEEDS_BOTH}"),
        ([5, 6], "processes.csv:3: process: process 'metal-line' has no recipe lines in "
                 f"process_io.csv; {NEEDS_BOTH}"),
        ([7], f"expansions.csv:3: option: option 'sep-partner' has no input in process_io.csv; "
              f"{NEEDS_BOTH}"),
        ([11], "expansions.csv:4: option: option 'metal-line-b' (the new process 'metal-b') has "
               f"no output in process_io.csv; {NEEDS_BOTH}"),
        ([10, 11], "expansions.csv:4: option: option 'metal-line-b' (the new process 'metal-b') "
                   f"has no recipe lines in process_io.csv; {NEEDS_BOTH}"),
    ],
)  # fmt: skip
def test_a_recipe_has_an_input_and_an_output(chain_scenario, blanked, expected):
    for line in blanked:
        replace_line(chain_scenario, "process_io.csv", line, "")  # later lines keep their numbers
    assert only_problem(chain_scenario) == expected


def test_an_option_on_an_existing_process_may_go_without_a_recipe(chain_scenario):
    for line in (7, 8, 9):
        replace_line(chain_scenario, "process_io.csv", line, "")  # sep-partner: sep-plant's recipe
    assert len(load_scenario(chain_scenario).process_io) == 7


def test_without_a_recipe_file_every_process_lacks_its_recipe(chain_scenario):
    (chain_scenario / "process_io.csv").unlink()
    assert problems(chain_scenario) == [
        "expansions.csv:4: option: option 'metal-line-b' (the new process 'metal-b') has no "
        f"recipe lines in process_io.csv; {NEEDS_BOTH}",
        f"processes.csv:2: process: process 'sep-plant' has no recipe lines in process_io.csv; "
        f"{NEEDS_BOTH}",
        f"processes.csv:3: process: process 'metal-line' has no recipe lines in process_io.csv; "
        f"{NEEDS_BOTH}",
    ]


def test_an_unreadable_direction_does_not_also_empty_the_recipe(chain_scenario):
    set_cell(chain_scenario, "process_io.csv", 5, "direction", "in")
    assert only_problem(chain_scenario) == (
        "process_io.csv:5: direction: 'in' is not one of input, output"
    )


def test_a_material_is_not_both_input_and_output_of_one_recipe(chain_scenario):
    append_lines(chain_scenario, "process_io.csv", "sep-plant,Ce-oxide,input,0.1")
    assert only_problem(chain_scenario) == (
        "process_io.csv:12: material: 'Ce-oxide' is already an output of 'sep-plant' on line 4; "
        "a material cannot be both an input and an output of one recipe"
    )


def test_the_same_material_in_two_recipes_is_fine(chain_scenario):
    # NdPr-oxide is an output of sep-plant and an input of metal-line: a chain, not a loop
    scenario = load_scenario(chain_scenario)
    assert set(scenario.process_io.query("material == 'NdPr-oxide'")["direction"]) == {
        "input",
        "output",
    }


# expansion options


@pytest.mark.parametrize("column", ["country", "operating_cost_usd_per_t"])
def test_a_new_process_needs_its_country_and_operating_cost(chain_scenario, column):
    set_cell(chain_scenario, "expansions.csv", 4, column, "")
    assert only_problem(chain_scenario) == (
        f"expansions.csv:4: {column}: is blank; a new process needs one "
        "('metal-b' is not in processes.csv)"
    )


def test_an_option_is_not_named_like_a_process(chain_scenario):
    append_lines(chain_scenario, "expansions.csv", "sep-plant,sep-plant,,5,,,1,2000000,,,")
    assert only_problem(chain_scenario) == (
        "expansions.csv:5: option: 'sep-plant' is also a process of processes.csv; recipe lines "
        "naming it would be ambiguous"
    )


@pytest.mark.parametrize(
    ("line", "value", "message"),
    [
        (4, "sep-expnd",
         "unknown option 'sep-expnd': not in expansions.csv; did you mean 'sep-expand'?"),
        (4, "sep-plant",  # a process, not an option
         "unknown option 'sep-plant': not in expansions.csv; did you mean 'sep-expand'?"),
        (4, "metal-line-b", "option 'metal-line-b' cannot require itself"),
        (3, "sep-expand",
         "'sep-expand' is in the same exclusive group 'sep-upgrade': at most one of them is "
         "built, so option 'sep-partner' never could be"),
        (2, "metal-line-b", "requirements form a loop: sep-expand -> metal-line-b -> sep-expand"),
    ],
)  # fmt: skip
def test_bad_requirement(chain_scenario, line, value, message):
    set_cell(chain_scenario, "expansions.csv", line, "requires", value)
    assert only_problem(chain_scenario) == f"expansions.csv:{line}: requires: {message}"


def test_a_requirement_loop_is_reported_once_from_its_first_line(chain_scenario):
    append_lines(
        chain_scenario,
        "expansions.csv",
        "opt-d,sep-plant,,1,,,0,1,,,opt-b",  # leads into the loop, is not part of it
        "opt-a,sep-plant,,1,,,0,1,,,opt-b",
        "opt-c,sep-plant,,1,,,0,1,,,opt-a",
        "opt-b,sep-plant,,1,,,0,1,,,opt-c",
    )
    assert only_problem(chain_scenario) == (
        "expansions.csv:6: requires: requirements form a loop: opt-a -> opt-b -> opt-c -> opt-a"
    )


def test_a_requirement_chain_without_a_loop_is_fine(chain_scenario):
    append_lines(
        chain_scenario,
        "expansions.csv",
        "opt-a,sep-plant,,1,,,0,1,,,metal-line-b",
        "opt-b,sep-plant,,1,,,0,1,,,opt-a",
    )
    assert load_scenario(chain_scenario).expansions["requires"].tolist()[2:] == [
        "sep-expand",
        "metal-line-b",
        "opt-a",
    ]


# contracts


def test_a_contract_ends_after_it_starts(chain_scenario):
    set_cell(chain_scenario, "contracts.csv", 2, "start_month", "2026-05")
    set_cell(chain_scenario, "contracts.csv", 2, "end_month", "2026-03")
    assert only_problem(chain_scenario) == (
        "contracts.csv:2: end_month: 2026-03 is before start_month 2026-05; "
        "a contract cannot end before it starts"
    )


def test_a_one_month_contract_and_blank_months_are_fine(chain_scenario):
    set_cell(chain_scenario, "contracts.csv", 2, "start_month", "2026-04")
    set_cell(chain_scenario, "contracts.csv", 2, "end_month", "2026-04")
    set_cell(chain_scenario, "contracts.csv", 3, "end_month", "2026-01")  # blank start: 2026-01
    assert load_scenario(chain_scenario).contracts["end_month"].tolist() == ["2026-04", "2026-01"]


def test_a_take_or_pay_minimum_fits_under_the_maximum(chain_scenario):
    set_cell(chain_scenario, "contracts.csv", 2, "min_t_per_month", "40")
    assert only_problem(chain_scenario) == (
        "contracts.csv:2: min_t_per_month: 40 is above max_t_per_month 30; "
        "the take-or-pay minimum cannot exceed the maximum"
    )


def test_a_contract_may_be_the_only_source_of_its_material(chain_scenario):
    set_cell(chain_scenario, "contracts.csv", 2, "supplier", "vn-metal")  # offers no carbonate
    assert load_scenario(chain_scenario).contracts["supplier"].iloc[0] == "vn-metal"


# all problems at once


def test_problems_across_the_new_files_come_in_one_pass(chain_scenario):
    set_cell(chain_scenario, "materials.csv", 5, "sale_price_usd_per_t", "")
    set_cell(chain_scenario, "country_caps.csv", 3, "country", "JP")
    set_cell(chain_scenario, "processes.csv", 3, "first_month", "July")
    set_cell(chain_scenario, "process_io.csv", 3, "direction", "out")
    set_cell(chain_scenario, "process_io.csv", 9, "process", "sep-partnr")
    replace_line(chain_scenario, "process_io.csv", 5, "")
    append_lines(chain_scenario, "process_io.csv", "metal-line-b,NdPr-metal,input,0.1")
    set_cell(chain_scenario, "expansions.csv", 2, "requires", "metal-line-b")
    set_cell(chain_scenario, "expansions.csv", 3, "build_lead_time_months", "2.5")
    set_cell(chain_scenario, "expansions.csv", 4, "country", "")
    set_cell(chain_scenario, "contracts.csv", 2, "min_t_per_month", "31")
    set_cell(chain_scenario, "contracts.csv", 3, "supplier", "cn")
    edit_toml(chain_scenario, 'capital_charge = "annualised"', 'capital_charge = "monthly"')
    assert problems(chain_scenario) == [
        "contracts.csv:2: min_t_per_month: 31 is above max_t_per_month 30; "
        "the take-or-pay minimum cannot exceed the maximum",
        "contracts.csv:3: supplier: unknown supplier 'cn': not in suppliers.csv",
        "country_caps.csv:3: country: unknown country 'JP': not in suppliers.csv, processes.csv "
        "or expansions.csv",
        "expansions.csv:2: requires: requirements form a loop: sep-expand -> metal-line-b -> "
        "sep-expand",
        "expansions.csv:3: build_lead_time_months: '2.5' must be a whole number",
        "expansions.csv:4: country: is blank; a new process needs one "
        "('metal-b' is not in processes.csv)",
        "materials.csv:5: sale_limit_t_per_month: a market limit needs a sale price; "
        "sale_price_usd_per_t is blank",
        "process_io.csv:3: direction: 'out' is not one of input, output",
        "process_io.csv:9: process: unknown process 'sep-partnr': not a process of processes.csv "
        "or an option of expansions.csv; did you mean 'sep-partner'?",
        "process_io.csv:12: material: 'NdPr-metal' is already an output of 'metal-line-b' on "
        "line 11; a material cannot be both an input and an output of one recipe",
        "processes.csv:3: first_month: 'July' is not a month (YYYY-MM)",
        f"processes.csv:3: process: process 'metal-line' has no input in process_io.csv; "
        f"{NEEDS_BOTH}",
        "scenario.toml:17: investment.capital_charge: 'monthly' is not one of annualised, upfront",
    ]
