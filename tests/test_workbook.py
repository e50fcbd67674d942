"""Excel workbooks: a scenario read from one .xlsx (validated like a folder, problems located as
``book.xlsx[sheet]:row: column: message``), the template, and result tables written for reading.

Most tests write ``tests/fixtures/valid-small`` as ``book.xlsx`` (the ``book`` fixture), break one
thing with openpyxl and check the exact problem. Its rows are the fixture's CSV lines (see
``test_validation.py``: offers row 4 is my-lynas/NdPr at 70000, demand rows 2..7 are NdPr-oxide
2026-01..06); the ``scenario`` sheet has a header row, then one row per key in schema order:
2 name, 3 description, 4 currency, 5 horizon.start, 6 horizon.months, 7 policy.cap_window,
8 policy.stockpile_cover_months, 9 policy.stockpile_from, 10 policy.budget_usd_per_year,
11 investment.capital_charge, 12 investment.discount_rate_pct, 13.. solver keys.

``tests/fixtures/chain-small`` (processes, expansions, contracts; lines listed in
``test_validation.py``) is written as ``chain.xlsx`` by the ``chain_book`` fixture.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import shutil
import tomllib
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from helpers import only_problem, problems

from optimizer import load_scenario, solve
from optimizer.inputs.schema import SETTINGS_FILE, TABLES, table_fields
from optimizer.inputs.template import write_scenario_workbook, write_template
from optimizer.inputs.workbook import README_SHEET, SETTINGS_SHEET, cell_text
from optimizer.results.columns import result_columns
from optimizer.results.summary_sheet import summary_rows
from optimizer.results.workbook import NUMBER_FORMATS, write_tables_workbook

FIXTURE = Path(__file__).parent / "fixtures" / "valid-small"
CHAIN = Path(__file__).parent / "fixtures" / "chain-small"
OPTIONAL_SHEETS = [name for name, spec in TABLES.items() if not spec.required]
DEFAULT = Path(__file__).parents[1] / "inputs" / "india-2026"
SCENARIO_ROW = {field.column: row for row, field in enumerate(table_fields(SETTINGS_FILE), 2)}


# --- helpers ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def written_books(tmp_path_factory) -> dict[str, Path]:
    """``valid-small`` and ``chain-small`` written as workbooks by the tool, once a module."""
    folder = tmp_path_factory.mktemp("books")
    return {
        name: write_scenario_workbook(load_scenario(source), folder / name)
        for name, source in (("book.xlsx", FIXTURE), ("chain.xlsx", CHAIN))
    }


@pytest.fixture
def book(tmp_path: Path, written_books) -> Path:
    """``valid-small`` written as ``book.xlsx``, free to break (a fresh copy)."""
    return Path(shutil.copyfile(written_books["book.xlsx"], tmp_path / "book.xlsx"))


@pytest.fixture
def chain_book(tmp_path: Path, written_books) -> Path:
    """``chain-small`` written as ``chain.xlsx``, free to break (a fresh copy)."""
    return Path(shutil.copyfile(written_books["chain.xlsx"], tmp_path / "chain.xlsx"))


def edit(path: Path, change: Callable[[openpyxl.Workbook], object]) -> Path:
    workbook = openpyxl.load_workbook(path)
    change(workbook)
    workbook.save(path)
    return path


def column_of(sheet, name: str) -> int:
    headers = [cell.value for cell in sheet[1]]
    return headers.index(name) + 1


def set_cell(path: Path, sheet: str, row: int, column: str, value) -> Path:
    """Set one cell of a table sheet, addressed by its row and column name."""

    def change(workbook):
        ws = workbook[sheet]
        ws.cell(row, column_of(ws, column)).value = value

    return edit(path, change)


def set_setting(path: Path, key: str, value) -> Path:
    def change(workbook):
        workbook[SETTINGS_SHEET].cell(SCENARIO_ROW[key], 2).value = value

    return edit(path, change)


def assert_same_scenario(loaded, expected) -> None:
    assert loaded.settings == expected.settings
    for name in TABLES:
        pd.testing.assert_frame_equal(loaded.table(name), expected.table(name))


def patch_sheet_xml(path: Path, sheet_number: int, change: Callable[[str], str]) -> None:
    """Rewrite one worksheet's XML inside the archive (for what openpyxl cannot write)."""
    with zipfile.ZipFile(path) as archive:
        entries = {item.filename: archive.read(item) for item in archive.infolist()}
    name = f"xl/worksheets/sheet{sheet_number}.xml"
    entries[name] = change(entries[name].decode("utf-8")).encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for entry, data in entries.items():
            archive.writestr(entry, data)


# --- round trips -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "folder",
    [FIXTURE, pytest.param(DEFAULT, marks=pytest.mark.slow)],
    ids=["valid-small", "india-2026"],
)
def test_a_workbook_loads_to_the_folder_scenario_and_solves_alike(tmp_path, folder):
    expected = load_scenario(folder)
    path = write_scenario_workbook(expected, tmp_path / "scenario.xlsx")
    loaded = load_scenario(path)
    assert loaded.source == path
    assert_same_scenario(loaded, expected)
    assert solve(loaded).objective_usd == pytest.approx(solve(expected).objective_usd, abs=1e-6)


def test_written_workbook_has_a_sheet_per_table_and_the_settings(book):
    workbook = openpyxl.load_workbook(book)
    assert workbook.sheetnames == [README_SHEET, SETTINGS_SHEET, *TABLES]
    offers = workbook["offers"]
    assert [c.value for c in offers[1]] == [f.column for f in table_fields("offers.csv")]
    assert offers.freeze_panes == "A2"
    assert offers["A1"].font.bold
    settings = workbook[SETTINGS_SHEET]
    assert [c.value for c in settings[1]] == ["key", "value", "description"]
    assert settings.cell(SCENARIO_ROW["horizon.start"], 2).value == "2026-01"
    assert settings.cell(SCENARIO_ROW["solver.time_limit_s"], 2).value is None


def test_writing_a_scenario_workbook_twice_gives_the_same_bytes(tmp_path):
    scenario = load_scenario(FIXTURE)
    first = write_scenario_workbook(scenario, tmp_path / "a.xlsx").read_bytes()
    assert write_scenario_workbook(scenario, tmp_path / "b.xlsx").read_bytes() == first


# --- cells -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (5, "5"),
        (5.0, "5"),
        (0.547, "0.547"),
        (1e20, "1e+20"),
        ("  cn-oxides ", "cn-oxides"),
        (True, "TRUE"),
        (dt.datetime(2026, 3, 1), "2026-03"),
        (dt.date(2026, 3, 1), "2026-03"),
        (dt.datetime(2026, 3, 15), "2026-03-15"),
        (dt.datetime(2026, 3, 1, 12, 30), "2026-03-01 12:30:00"),
    ],
)
def test_cells_read_as_the_text_a_csv_would_hold(value, text):
    assert cell_text(value) == (text, None)


def test_a_wrong_number_in_a_cell(book):
    set_cell(book, "offers", 4, "price_usd_per_t", "abc")
    assert only_problem(book) == "book.xlsx[offers]:4: price_usd_per_t: 'abc' is not a number"


def test_a_bad_month(book):
    set_cell(book, "demand", 3, "month", "2026-13")
    assert only_problem(book) == "book.xlsx[demand]:3: month: '2026-13' is not a month (YYYY-MM)"


def test_a_boolean_is_not_a_number(book):
    set_cell(book, "offers", 4, "price_usd_per_t", True)
    assert only_problem(book) == "book.xlsx[offers]:4: price_usd_per_t: 'TRUE' is not a number"


def test_months_excel_turned_into_dates_are_accepted(book):
    def dates(workbook):
        demand = workbook["demand"]
        for row in range(2, demand.max_row + 1):
            label = demand.cell(row, 2).value
            demand.cell(row, 2, dt.datetime(int(label[:4]), int(label[5:]), 1))
        workbook["offers"].cell(7, 3, dt.datetime(2026, 3, 1))
        workbook[SETTINGS_SHEET].cell(SCENARIO_ROW["horizon.start"], 2, dt.datetime(2026, 1, 1))

    assert_same_scenario(load_scenario(edit(book, dates)), load_scenario(FIXTURE))


def test_a_date_that_is_not_a_first_of_month_is_not_a_month(book):
    set_cell(book, "demand", 3, "month", dt.datetime(2026, 2, 15))
    assert only_problem(book) == "book.xlsx[demand]:3: month: '2026-02-15' is not a month (YYYY-MM)"


def test_a_formula_without_a_saved_result_is_one_problem(book):
    set_cell(book, "offers", 4, "price_usd_per_t", "=D2*2")
    assert only_problem(book) == (
        "book.xlsx[offers]:4: price_usd_per_t: formula =D2*2 has no saved result; "
        "recalculate and save the workbook"
    )


def test_a_formula_is_read_as_its_saved_result(book):
    set_cell(book, "offers", 4, "price_usd_per_t", "=D2*2")
    offers_sheet = 2 + [*TABLES].index("offers") + 1  # after README and scenario
    patch_sheet_xml(
        book,
        offers_sheet,
        lambda xml: re.sub(
            r'(<c r="D4"[^>]*>)<f>D2\*2</f><v ?/>', r"\1<f>D2*2</f><v>120000</v>", xml
        ),
    )
    offers = load_scenario(book).offers
    assert offers.loc[2, "price_usd_per_t"] == 120000.0


def test_an_excel_error_value_is_one_problem(book):
    set_cell(book, "offers", 4, "price_usd_per_t", "#DIV/0!")
    assert (
        only_problem(book) == "book.xlsx[offers]:4: price_usd_per_t: holds the Excel error #DIV/0!"
    )


def test_blank_rows_are_skipped_and_rows_keep_their_excel_numbers(book):
    def insert_blank_rows(workbook):
        workbook["offers"].insert_rows(3, amount=2)

    edit(book, insert_blank_rows)
    set_cell(book, "offers", 6, "price_usd_per_t", "abc")  # row 4 moved down by two
    assert only_problem(book) == "book.xlsx[offers]:6: price_usd_per_t: 'abc' is not a number"


# --- columns and sheets ----------------------------------------------------------------------


def test_a_missing_required_column(book):
    def drop_price(workbook):
        offers = workbook["offers"]
        offers.delete_cols(column_of(offers, "price_usd_per_t"))

    assert only_problem(edit(book, drop_price)) == (
        "book.xlsx[offers]:1: price_usd_per_t: required column is missing"
    )


def test_an_unknown_column_has_a_hint(book):
    set_cell(book, "offers", 1, "price_usd_per_t", "price_usd")
    assert problems(book) == [
        "book.xlsx[offers]:1: price_usd: unknown column; did you mean 'price_usd_per_t'?",
        "book.xlsx[offers]:1: price_usd_per_t: required column is missing",
    ]


def test_a_column_with_values_but_no_name(book):
    edit(book, lambda wb: wb["offers"].cell(3, 7, 12))
    assert only_problem(book) == "book.xlsx[offers]:1: column G has values but no name"


def test_an_empty_unnamed_column_is_ignored(book):
    edit(book, lambda wb: wb["offers"].insert_cols(2))
    assert_same_scenario(load_scenario(book), load_scenario(FIXTURE))


def test_references_and_duplicates_speak_of_sheets_and_rows(book):
    def break_rows(workbook):
        workbook["offers"].cell(2, 2, "NdPr-oxid")
        workbook["demand"].cell(3, 2, "2026-01")

    assert problems(edit(book, break_rows)) == [
        "book.xlsx[demand]:3: duplicate of row 2 (same material, month)",
        "book.xlsx[offers]:2: material: unknown material 'NdPr-oxid': not in sheet materials; "
        "did you mean 'NdPr-oxide'?",
    ]


def test_a_missing_sheet(book):
    edit(book, lambda wb: wb.remove(wb["demand"]))
    assert only_problem(book) == "book.xlsx[demand]: sheet not found"


def test_the_country_caps_sheet_is_optional(book):
    edit(book, lambda wb: wb.remove(wb["country_caps"]))
    assert load_scenario(book).country_caps.empty


def test_a_workbook_without_the_optional_sheets_loads(book):
    assert OPTIONAL_SHEETS == [
        "country_caps", "processes", "process_io", "expansions", "contracts",
        "events", "event_effects", "risk_scenarios",
    ]  # fmt: skip

    def remove_optional(workbook):
        for name in OPTIONAL_SHEETS:
            workbook.remove(workbook[name])

    scenario = load_scenario(edit(book, remove_optional))
    assert all(scenario.table(name).empty for name in OPTIONAL_SHEETS)
    assert not scenario.is_mip


def test_a_chain_workbook_loads_to_the_folder_scenario(chain_book):
    loaded = load_scenario(chain_book)
    assert loaded.is_mip
    assert_same_scenario(loaded, load_scenario(CHAIN))


def test_rules_across_the_new_sheets_speak_of_sheets_and_rows(chain_book):
    def break_rows(workbook):
        workbook["process_io"].cell(9, 1, "sep-partnr")
        workbook["process_io"].append(["sep-plant", "Ce-oxide", "input", 0.1])
        workbook["country_caps"].cell(3, 1, "JP")
        workbook["expansions"].cell(4, column_of(workbook["expansions"], "country")).value = None

    assert problems(edit(chain_book, break_rows)) == [
        "chain.xlsx[country_caps]:3: country: unknown country 'JP': not in sheet suppliers, "
        "sheet processes or sheet expansions",
        "chain.xlsx[expansions]:4: country: is blank; a new process needs one ('metal-b' is not "
        "in sheet processes)",
        "chain.xlsx[process_io]:9: process: unknown process 'sep-partnr': not a process of sheet "
        "processes or an option of sheet expansions; did you mean 'sep-partner'?",
        "chain.xlsx[process_io]:12: material: 'Ce-oxide' is already an output of 'sep-plant' on "
        "row 4; a material cannot be both an input and an output of one recipe",
    ]


def test_a_bad_direction_in_the_process_io_sheet(chain_book):
    set_cell(chain_book, "process_io", 3, "direction", "out")
    assert only_problem(chain_book) == (
        "chain.xlsx[process_io]:3: direction: 'out' is not one of input, output"
    )


def test_a_value_naming_a_file_is_not_rewritten(book):
    set_cell(book, "offers", 4, "material", "offers.csv")
    assert only_problem(book) == (
        "book.xlsx[offers]:4: material: unknown material 'offers.csv': not in sheet materials"
    )


def test_an_unknown_sheet_has_a_hint(book):
    def rename(workbook):
        workbook["offers"].title = "offer"
        workbook.create_sheet("notes")

    assert problems(edit(book, rename)) == [
        "book.xlsx[notes]: unknown sheet; expected scenario, materials, suppliers, offers, "
        "demand, country_caps, processes, process_io, expansions, contracts, events, "
        "event_effects, risk_scenarios",
        "book.xlsx[offer]: unknown sheet; did you mean 'offers'?",
        "book.xlsx[offers]: sheet not found",
    ]


def test_a_readme_sheet_in_any_case_is_ignored(book):
    def rename(workbook):
        workbook.remove(workbook[README_SHEET])
        workbook.create_sheet("ReadMe").append(["notes", "for", "people"])

    assert_same_scenario(load_scenario(edit(book, rename)), load_scenario(FIXTURE))


def test_an_empty_sheet_has_no_header(book):
    def empty(workbook):
        workbook.remove(workbook["suppliers"])
        workbook.create_sheet("suppliers")

    assert only_problem(edit(book, empty)) == (
        "book.xlsx[suppliers]:1: has no header: expected column names in row 1"
    )


# --- the scenario sheet ----------------------------------------------------------------------


def test_a_bad_scenario_value_names_its_row(book):
    set_setting(book, "policy.cap_window", "weekly")
    assert only_problem(book) == (
        "book.xlsx[scenario]:7: policy.cap_window: 'weekly' is not one of month, year, horizon"
    )


def test_scenario_numbers_may_be_text_but_must_be_numbers(book):
    set_setting(book, "horizon.months", "6")
    load_scenario(book)
    set_setting(book, "horizon.months", "six")
    assert (
        only_problem(book) == "book.xlsx[scenario]:6: horizon.months: must be a number, not 'six'"
    )


def test_a_scenario_formula_without_a_saved_result_is_one_problem(book):
    set_setting(book, "horizon.months", "=3*2")
    assert only_problem(book) == (
        "book.xlsx[scenario]:6: horizon.months: formula =3*2 has no saved result; "
        "recalculate and save the workbook"
    )


def test_a_blank_required_setting_is_missing(book):
    set_setting(book, "name", None)
    assert only_problem(book) == "book.xlsx[scenario]:2: name: is missing; a value is required"


def test_a_required_setting_without_a_row(book):
    edit(book, lambda wb: wb[SETTINGS_SHEET].delete_rows(SCENARIO_ROW["horizon.start"]))
    assert (
        only_problem(book) == "book.xlsx[scenario]: horizon.start: is missing; a value is required"
    )


def test_unknown_and_repeated_scenario_keys(book):
    def keys(workbook):
        sheet = workbook[SETTINGS_SHEET]
        sheet.append(["policy.cap_windw", "year"])
        sheet.append(["horizon.months", 7])

    last = len(SCENARIO_ROW) + 1
    assert problems(edit(book, keys)) == [
        f"book.xlsx[scenario]:{last + 1}: policy.cap_windw: unknown key; "
        "did you mean 'policy.cap_window'?",
        f"book.xlsx[scenario]:{last + 2}: horizon.months: key appears twice (first on row 6)",
    ]


def test_the_floor_start_outside_the_horizon_names_its_row(book):
    set_setting(book, "policy.stockpile_from", "2027-01")
    assert only_problem(book) == (
        "book.xlsx[scenario]:9: policy.stockpile_from: 2027-01 is outside the horizon "
        "2026-01..2026-06"
    )


def test_a_sheet_without_a_header_row_is_read_from_row_one(book):
    edit(book, lambda wb: wb[SETTINGS_SHEET].delete_rows(1))
    assert load_scenario(book).settings == load_scenario(FIXTURE).settings


# --- everything at once, and files that are no workbook --------------------------------------


def test_problems_in_three_sheets_are_reported_in_one_pass(book):
    def break_three(workbook):
        workbook["offers"].cell(4, 4, "abc")
        workbook["demand"].cell(3, 2, "March")
        workbook[SETTINGS_SHEET].cell(SCENARIO_ROW["policy.cap_window"], 2, "weekly")

    assert problems(edit(book, break_three)) == [
        "book.xlsx[demand]:3: month: 'March' is not a month (YYYY-MM)",
        "book.xlsx[offers]:4: price_usd_per_t: 'abc' is not a number",
        "book.xlsx[scenario]:7: policy.cap_window: 'weekly' is not one of month, year, horizon",
    ]


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("book.xlsx", bytes(range(256)) * 4, "it is not a zip archive"),
        ("book.xlsx", (FIXTURE / "offers.csv").read_bytes(), "it is a text file, perhaps CSV"),
        (
            "book.xls",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504),
            "it is an old .xls workbook or another OLE file; save it as .xlsx",
        ),
        ("book.xlsx", b"", "the file is empty"),
    ],
    ids=["random-bytes", "csv-renamed", "old-xls", "empty"],
)
def test_a_file_that_is_no_workbook_is_one_problem(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    assert only_problem(path) == f"{name}: is not an Excel .xlsx workbook ({reason})"


def test_a_zip_that_is_no_workbook(tmp_path):
    path = tmp_path / "book.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "hello")
    assert only_problem(path).startswith(
        "book.xlsx: is not an Excel .xlsx workbook (a zip archive openpyxl cannot read"
    )


def test_a_missing_workbook(tmp_path):
    assert only_problem(tmp_path / "nowhere.xlsx") == f"{tmp_path / 'nowhere.xlsx'}: does not exist"


# --- the template ----------------------------------------------------------------------------


@pytest.fixture
def template(tmp_path: Path) -> Path:
    return write_template(tmp_path / "template.xlsx")


def test_the_template_documents_every_sheet_and_column(template):
    workbook = openpyxl.load_workbook(template)
    assert workbook.sheetnames == [README_SHEET, SETTINGS_SHEET, *TABLES]
    readme = {
        (row[0], row[1])
        for row in workbook[README_SHEET].iter_rows(values_only=True)
        if row[0] and row[1]
    }
    for spec in TABLES.values():
        sheet = workbook[spec.file.removesuffix(".csv")]
        fields = table_fields(spec.file)
        assert [c.value for c in sheet[1]] == [f.column for f in fields]
        assert sheet.freeze_panes == "A2" and sheet["A1"].font.bold
        for cell, field in zip(sheet[1], fields, strict=True):
            assert field.description in cell.comment.text
            assert not field.unit or f"Unit: {field.unit}" in cell.comment.text
            assert (spec.file.removesuffix(".csv"), field.column) in readme
    settings = workbook[SETTINGS_SHEET]
    keys = [row[0] for row in settings.iter_rows(min_row=2, values_only=True)]
    assert keys == [field.column for field in table_fields(SETTINGS_FILE)]
    assert all(("scenario", key) in readme for key in keys)
    defaults = {row[0]: row[1] for row in settings.iter_rows(min_row=2, values_only=True)}
    assert defaults["policy.cap_window"] == "year" and defaults["name"] is None


def test_the_empty_template_asks_for_the_required_settings(template):
    assert problems(template) == [
        "template.xlsx[scenario]:2: name: is missing; a value is required",
        "template.xlsx[scenario]:5: horizon.start: is missing; a value is required",
        "template.xlsx[scenario]:6: horizon.months: is missing; a value is required",
    ]


def _typed(text: str):
    try:
        return float(text)
    except ValueError:
        return text or None


@pytest.mark.parametrize("folder", [FIXTURE, CHAIN], ids=["valid-small", "chain-small"])
def test_the_template_filled_in_loads(template, folder):
    settings = tomllib.loads((folder / "scenario.toml").read_text(encoding="utf-8"))
    flat = {
        f"{k}.{leaf}": v
        for k, t in settings.items()
        if isinstance(t, dict)
        for leaf, v in t.items()
    }
    flat.update({k: v for k, v in settings.items() if not isinstance(v, dict)})

    def fill(workbook):
        sheet = workbook[SETTINGS_SHEET]
        for row in sheet.iter_rows(min_row=2):
            if row[0].value in flat:
                row[1].value = flat[row[0].value]
        for name, spec in TABLES.items():
            if not (folder / spec.file).exists():  # an optional file: its sheet stays empty
                continue
            table = pd.read_csv(folder / spec.file, dtype=str, keep_default_na=False)
            sheet = workbook[name]
            for record in table.to_dict("records"):
                sheet.append([_typed(record.get(c.value, "")) for c in sheet[1]])

    assert_same_scenario(load_scenario(edit(template, fill)), load_scenario(folder))


# --- result tables ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def result():
    return solve(load_scenario(FIXTURE))


def test_result_sheets_read_well(tmp_path, result):
    path = write_tables_workbook(tmp_path / "plan.xlsx", result.tables(), summary=result.summary())
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["summary", *result.tables()]
    for name, frame in result.tables().items():
        sheet = workbook[name]
        assert sheet.freeze_panes == "A2"
        assert (
            sheet.auto_filter.ref
            == f"A1:{sheet.cell(1, frame.shape[1]).column_letter}{len(frame) + 1}"
        )
        for cell, column in zip(sheet[1], frame.columns, strict=True):
            spec = result_columns()[name, column]
            assert cell.value == spec.heading and cell.font.bold
            assert cell.comment.text.startswith(column)
            assert sheet.column_dimensions[cell.column_letter].width >= 8
    plan = workbook["plan"]
    headings = [c.value for c in plan[1]]
    assert "Landed cost (USD/t)" in headings and "Quantity (t)" in headings
    row = {heading: cell for heading, cell in zip(headings, plan[2], strict=True)}
    assert row["Quantity (t)"].number_format == "#,##0.000"
    assert row["Cost (USD)"].number_format == "#,##0"
    assert row["Landed cost (USD/t)"].number_format == "#,##0.00"
    assert row["Arrival month"].number_format == "@" and isinstance(row["Arrival month"].value, str)
    mix = workbook["mix"]
    share = [c.value for c in mix[1]].index("Share of supply")
    assert mix.cell(2, share + 1).number_format == "0.0%"
    stock = workbook["stock"]
    applies = [c.value for c in stock[1]].index("Floor applies") + 1
    assert {stock.cell(r, applies).value for r in range(2, stock.max_row + 1)} == {True, False}


def test_the_summary_sheet_is_a_table_of_sections_items_values_and_units(tmp_path, result):
    path = write_tables_workbook(tmp_path / "plan.xlsx", {}, summary=result.summary())
    sheet = openpyxl.load_workbook(path)["summary"]
    assert [c.value for c in sheet[1]] == ["Section", "Item", "Value", "Unit"]
    rows = {(r[0].value, r[1].value): r for r in sheet.iter_rows(min_row=2)}
    purchase = rows["Costs", "purchase"]
    assert purchase[2].value == result.costs["purchase_usd"]
    assert purchase[2].number_format == "#,##0" and purchase[3].value == "USD"
    assert rows["Plan", "first month"][2].value == "2026-01"
    assert rows["Checks", "re-check from the tables"][2].value == "passed"


def test_a_summary_key_the_sheet_does_not_know_still_gets_readable_rows():
    rows = summary_rows(
        {"scenario": "s", "new_figures": {"cost_usd": 5.0, "by": {"X": [1, 2]}, "none": {}},
         "flag": True, "items": [{"a_t": 1.5}]}
    )  # fmt: skip
    read = [(r.section, r.item, r.value, r.unit, r.number_format) for r in rows]
    assert read == [
        ("Plan", "scenario", "s", "", "@"),
        ("new figures", "cost", 5.0, "USD", "#,##0"),
        ("new figures", "by / X", "1, 2", "", "@"),
        ("new figures", "none", "none", "", "@"),
        ("Other", "flag", True, "", "@"),  # written as yes
        ("items", "1 / a", 1.5, "t", "#,##0.0##"),
    ]


def test_result_workbooks_are_byte_identical_across_writes(tmp_path, result):
    first = write_tables_workbook(tmp_path / "a.xlsx", result.tables(), summary=result.summary())
    second = write_tables_workbook(tmp_path / "b.xlsx", result.tables(), summary=result.summary())
    assert first.read_bytes() == second.read_bytes()
    properties = openpyxl.load_workbook(first).properties
    assert properties.created == properties.modified == dt.datetime(2000, 1, 1)


def test_columns_outside_the_result_schema_are_formatted_by_unit_or_type(tmp_path):
    compare = pd.DataFrame(
        {
            "material": ["NdPr-oxide", "Dy2O3"],
            "baseline": [1234.5, math.nan],
            "Δ strict": [np.inf, -2.0],
            "total_usd": [1.0e6, 2.0e6],
            "rows": [3, 4],
            "tight": [True, False],
        }
    )
    path = write_tables_workbook(tmp_path / "compare.xlsx", {"headline": compare})
    sheet = openpyxl.load_workbook(path)["headline"]
    assert [c.value for c in sheet[1]] == [
        "Material",
        "baseline",
        "Δ strict",
        "total_usd",
        "rows",
        "tight",
    ]
    assert [c.number_format for c in sheet[2]] == [
        "@",
        "#,##0.00",
        "#,##0.00",
        "#,##0",
        "#,##0",
        "General",
    ]
    assert [c.value for c in sheet[2]] == ["NdPr-oxide", 1234.5, "inf", 1.0e6, 3, True]
    assert sheet.cell(3, 2).value is None  # NaN is a blank cell


def test_every_result_format_is_known():
    assert {spec.format for spec in result_columns().values()} <= set(NUMBER_FORMATS)


@pytest.mark.parametrize("name", ["a/b", "x" * 32, ""])
def test_a_name_excel_cannot_take_is_refused(tmp_path, name):
    with pytest.raises(ValueError, match="cannot name a sheet"):
        write_tables_workbook(tmp_path / "bad.xlsx", {name: pd.DataFrame()})
