"""Scenario workbooks written out: the empty, documented template (``sourcing template``) and
a scenario as one workbook that :func:`optimizer.inputs.loading.load_scenario` reads back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from optimizer.common.xlsx import (
    BOLD,
    GENERAL,
    MAX_WIDTH,
    TEXT,
    excel_values,
    fit_widths,
    save_workbook,
    set_cell,
    write_column,
    write_header,
)
from optimizer.inputs.scenario import Scenario, blank_cells
from optimizer.inputs.schema import (
    SETTINGS_FILE,
    TABLES,
    Field,
    limit_text,
    table_fields,
)
from optimizer.inputs.schema_doc import BLANK_WORDS
from optimizer.inputs.workbook import README_SHEET, SETTINGS_SHEET

NO_DEFAULT_VALUE = {"error", "empty", "unset", "inf", "every"}  # blank meanings that are no value


def write_template(path: str | Path, replace: bool = True) -> Path:
    """An empty, documented scenario workbook: a README sheet describing every sheet and column,
    the ``scenario`` sheet with every key and its default, and each table's header. With
    ``replace`` False, never over an existing file."""
    defaults = {field.column: _default(field) for field in table_fields(SETTINGS_FILE)}
    return save_workbook(_scenario_book(defaults, {}), path, replace=replace)


def write_scenario_workbook(scenario: Scenario, path: str | Path, replace: bool = True) -> Path:
    """The scenario as a workbook that :func:`optimizer.load_scenario` reads back; with
    ``replace`` False, never over an existing file."""
    tables = {name: scenario.table(name) for name in TABLES}
    book = _scenario_book(scenario.settings.by_key(), tables)
    return save_workbook(book, path, replace=replace)


def _default(field: Field) -> Any:
    """What the template shows for a setting: its default when that is a value, else blank."""
    keys = {other.column for other in table_fields(SETTINGS_FILE)}
    if field.blank in NO_DEFAULT_VALUE or field.blank in keys:
        return None
    return float(field.blank) if field.type in ("number", "integer") else field.blank


def _scenario_book(settings: dict[str, Any], tables: dict[str, pd.DataFrame]) -> Workbook:
    book = Workbook()
    book.remove(book.active)
    _readme_sheet(book.create_sheet(README_SHEET))
    _settings_sheet(book.create_sheet(SETTINGS_SHEET), settings)
    for name, spec in TABLES.items():
        _input_sheet(book.create_sheet(name), spec.file, tables.get(name))
    return book


def _settings_sheet(sheet: Worksheet, values: dict[str, Any]) -> None:
    write_header(sheet, ["key", "value", "description"], [None, None, None])
    fields = table_fields(SETTINGS_FILE)
    write_column(sheet, 1, [field.column for field in fields], TEXT)
    for row, field in enumerate(fields, start=2):
        value = values.get(field.column)
        cell = sheet.cell(row, 2)
        cell.number_format = GENERAL if field.type in ("number", "integer") else TEXT
        if value not in (None, ""):
            set_cell(cell, value)
    write_column(sheet, 3, [_setting_note(field) for field in fields], TEXT)
    for letter, width in zip("ABC", (30, 18, 100), strict=True):
        sheet.column_dimensions[letter].width = width


def _setting_note(field: Field) -> str:
    details = [field.type + (f" in {field.unit}" if field.unit else "")]
    details.append("required" if field.blank == "error" else f"blank = {_blank_words(field)}")
    if _allowed(field):
        details.append(f"allowed {_allowed(field)}")
    return f"{field.description} ({'; '.join(details)})"


def _input_sheet(sheet: Worksheet, file: str, frame: pd.DataFrame | None) -> None:
    fields = table_fields(file)
    write_header(
        sheet, [field.column for field in fields], [_column_note(field) for field in fields]
    )
    if frame is not None:
        frame = blank_cells(frame[[field.column for field in fields]], file)
    for index, field in enumerate(fields, start=1):
        number_format = GENERAL if field.type in ("number", "integer", "share") else TEXT
        sheet.column_dimensions[get_column_letter(index)].number_format = number_format
        if frame is not None:
            write_column(sheet, index, excel_values(frame[field.column]), number_format)
    columns = [[field.column] for field in fields]
    if frame is not None:
        columns = [[field.column, *map(str, frame[field.column].dropna())] for field in fields]
    fit_widths(sheet, columns, [MAX_WIDTH] * len(fields), least=14)  # room to type a name


def _column_note(field: Field) -> str:
    lines = [field.description, f"Type: {field.type}"]
    if field.unit:
        lines.append(f"Unit: {field.unit}")
    lines.append("Required column" if field.required else "Optional column")
    lines.append(f"Blank means: {_blank_words(field)}")
    if _allowed(field):
        lines.append(f"Allowed: {_allowed(field)}")
    return "\n".join(lines)


def _blank_words(field: Field) -> str:
    return {**BLANK_WORDS, "error": "an error (a value is required)", "every": "every"}.get(
        field.blank, field.blank
    )


def _allowed(field: Field) -> str:
    if field.choices:
        return " | ".join(field.choices)
    low = "" if field.min is None else f">= {limit_text(field.min)}"
    high = "" if field.max is None else f"<= {limit_text(field.max)}"
    return ", ".join(part for part in (low, high) if part)


def _readme_sheet(sheet: Worksheet) -> None:
    intro = [
        "Rare-earth sourcing scenario workbook",
        "One sheet per input table (header in row 1, one row per record) and a 'scenario' sheet "
        "of key | value settings. Months are text YYYY-MM; a date Excel makes of a typed month "
        "is read as that month. Blank cells mean what 'blank means' says below. This README "
        "sheet is ignored when the workbook is read.",
        "",
    ]
    for row, text in enumerate(intro, start=1):
        set_cell(sheet.cell(row, 1), text)
    sheet.cell(1, 1).font = Font(bold=True, size=14)
    sheets = [["sheet", "required", "one row per", "notes"]]
    sheets.append(
        ["scenario", "yes", "setting", "key | value rows; a description column is ignored"]
    )
    for name, spec in TABLES.items():
        refs = "; ".join(
            f"{column} must name a {target} of sheet {file.removesuffix('.csv')}"
            for column, (file, target) in spec.references.items()
        )
        sheets.append([name, "yes" if spec.required else "no", ", ".join(spec.key), refs])
    columns = [
        ["sheet", "column", "type", "unit", "required", "blank means", "allowed", "description"]
    ]
    settings_rows = [("scenario", field) for field in table_fields(SETTINGS_FILE)]
    table_rows = [(name, f) for name, spec in TABLES.items() for f in table_fields(spec.file)]
    for name, field in settings_rows + table_rows:
        required = "yes" if field.required else "no"
        columns.append(
            [name, field.column, field.type, field.unit, required, _blank_words(field)]
            + [_allowed(field), field.description]
        )
    first = len(intro) + 1
    for block_start, block in ((first, sheets), (first + len(sheets) + 1, columns)):
        for offset, values in enumerate(block):
            for column, value in enumerate(values, start=1):
                cell = set_cell(sheet.cell(block_start + offset, column), value or None)
                if offset == 0:
                    cell.font = BOLD
    widths = [14, 30, 12, 12, 10, 34, 18, 100]
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
