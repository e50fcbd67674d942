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

from optimizer import Scenario
from optimizer.cli.main import main
from optimizer.problems import Problem, ScenarioError
from optimizer.scenario import load_scenario

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


def problems(folder: Path) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(folder)
    return [str(problem) for problem in caught.value.problems]


def only_problem(folder: Path) -> str:
    found = problems(folder)
    assert len(found) == 1, found
    return found[0]


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
    assert "is not a scenario folder" in str(caught.value)


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
        ("country_caps.csv", 3, "country", "JP", "unknown country 'JP': not in suppliers.csv"),
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
    [
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
        ("offers.csv", 4, "price_usd_per_t", "", "is blank; a value is required"),
        ("offers.csv", 4, "supplier", "", "is blank; a value is required"),
        ("demand.csv", 4, "month", "", "is blank; a value is required"),
        ("country_caps.csv", 3, "max_share", "", "is blank; a value is required"),
    ],
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
    [
        ('cap_window = "year"', 'cap_window = "yearly"',
         f"{T}:12: policy.cap_window: 'yearly' is not one of month, year, horizon"),
        ("months = 6", 'months = "12"', f"{T}:9: horizon.months: must be a number, not '12'"),
        ('start = "2026-01"', "start = 202601",
         f"{T}:8: horizon.start: must be a quoted string, not 202601"),
        ("months = 6", "months = 6.5", f"{T}:9: horizon.months: must be a whole number"),
        ("months = 6", "months = true", f"{T}:9: horizon.months: must be a number, not True"),
        ("months = 6", "months = 0", f"{T}:9: horizon.months: must be at least 1, not 0"),
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
    ],
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
    assert "valid: 2 materials, 3 suppliers, 7 offer rows" in out
    assert err == ""


def test_cli_on_a_missing_folder(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "nowhere")]) == 2
    assert "is not a scenario folder" in capsys.readouterr().err


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
