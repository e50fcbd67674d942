"""``plan.xlsx`` and ``compare.xlsx``: result tables as formatted sheets (units in the
headings, number formats, frozen headers) and a summary sheet."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl.utils import get_column_letter
from openpyxl.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from optimizer.common.xlsx import (
    GENERAL,
    MAX_TITLE,
    MAX_WIDTH,
    TEXT,
    excel_value,
    excel_values,
    fit_widths,
    save_workbook,
    set_cell,
    widest_texts,
    write_column,
    write_header,
)
from optimizer.results.columns import ResultColumn, result_columns

SUMMARY_SHEET = "summary"


# How values of a result column are shown, by the ``format`` of ``result_schema.csv``.
NUMBER_FORMATS = {
    "text": TEXT,
    "month": TEXT,
    "tonnes": "#,##0.000",
    "usd": "#,##0",
    "usd_per_t": "#,##0.00",
    "share": "0.0%",
    "months": "0.00",
    "number": GENERAL,
    "boolean": GENERAL,
    "integer": "#,##0",
    "decimal": "#,##0.00",
}


# A column (or summary key) not in the result schema is shown by its unit suffix, if any.
SUFFIX_FORMATS = (
    ("_usd_per_t", "usd_per_t"),
    ("_usd", "usd"),
    ("_t", "tonnes"),
    ("share", "share"),
)


@dataclass(frozen=True)
class ColumnLook:
    """How one column of a result sheet is shown."""

    heading: str
    note: str | None  # header comment
    number_format: str


def write_tables_workbook(
    path: str | Path, sheets: dict[str, pd.DataFrame], summary: dict | None = None
) -> Path:
    """One formatted sheet per table (headings with units from ``result_schema.csv``, raw
    column names in header comments, frozen header, autofilter, number formats), after a
    ``summary`` sheet of the flattened ``summary`` when given. Equal inputs give equal bytes."""
    names = [*([SUMMARY_SHEET] if summary is not None else []), *sheets]
    _check_titles(names)
    book = Workbook()
    book.remove(book.active)
    if summary is not None:
        _summary_sheet(book.create_sheet(SUMMARY_SHEET), summary)
    for name, frame in sheets.items():
        _result_sheet(book.create_sheet(name), name, frame)
    return save_workbook(book, path)


def _check_titles(names: list[str]) -> None:
    for name in names:
        if not 0 < len(name) <= MAX_TITLE or any(c in name for c in "[]:*?/\\"):
            raise ValueError(f"{name!r} cannot name a sheet: 1 to 31 characters, none of []:*?/\\")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"sheet names appear twice: {', '.join(repeated)}")


def _result_sheet(sheet: Worksheet, table: str, frame: pd.DataFrame) -> None:
    frame = frame.reset_index(drop=True)
    looks = [column_look(table, str(column), frame[column]) for column in frame.columns]
    write_header(sheet, [look.heading for look in looks], [look.note for look in looks])
    for index, (column, look) in enumerate(zip(frame.columns, looks, strict=True), start=1):
        write_column(sheet, index, excel_values(frame[column]), look.number_format)
    if looks:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(looks))}{len(frame) + 1}"
    shown = [
        [look.heading, *widest_texts(frame[column], look.number_format)]
        for column, look in zip(frame.columns, looks, strict=True)
    ]
    fit_widths(sheet, shown, [MAX_WIDTH] * len(looks), filter_button=True)


def column_look(table: str, column: str, values: pd.Series) -> ColumnLook:
    """Heading, comment and number format of a column: from the result schema when it
    describes the column, else from its unit suffix or its type."""
    spec = result_column(table, column)
    if spec is not None:
        note = f"{column}\n{spec.description}" if spec.description else column
        return ColumnLook(spec.heading, note, NUMBER_FORMATS[spec.format])
    return ColumnLook(column, None, NUMBER_FORMATS[_format_of(column, values)])


def result_column(table: str, column: str) -> ResultColumn | None:
    """The schema's description of a column; a column of a table outside the schema takes the
    description shared by every table that has it (``material`` in a comparison, say)."""
    columns = result_columns()
    if (table, column) in columns:
        return columns[table, column]
    alike = [spec for (_, name), spec in columns.items() if name == column]
    looks = {(spec.label, spec.unit, spec.format) for spec in alike}
    if len(looks) != 1:
        return None
    label, unit, format_ = looks.pop()
    return ResultColumn(table, column, label, unit, format_, "")


def _format_of(name: str, values: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(values):
        return "boolean"
    if not pd.api.types.is_numeric_dtype(values):
        return "text"
    for suffix, kind in SUFFIX_FORMATS:
        if name.endswith(suffix):
            return kind
    return "integer" if pd.api.types.is_integer_dtype(values) else "decimal"


def _summary_sheet(sheet: Worksheet, summary: dict) -> None:
    items = flatten(summary)
    write_header(sheet, ["Key", "Value"], [None, None])
    for row, (key, value) in enumerate(items, start=2):
        set_cell(sheet.cell(row, 1), key)
        if value is not None:
            cell = set_cell(sheet.cell(row, 2), excel_value(value))
            cell.number_format = _summary_format(key, value)
    keys = [key for key, _ in items]
    values = [str(value) for _, value in items if value is not None]
    fit_widths(sheet, [["Key", *keys], ["Value", *values]], [MAX_WIDTH, 100])


def flatten(summary: dict, prefix: str = "") -> list[tuple[str, Any]]:
    """Nested keys joined by dots (``costs_usd.purchase_usd``); list items numbered from 1."""
    items: list[tuple[str, Any]] = []
    for key, value in summary.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            items += flatten(value, f"{name}.") if value else [(name, None)]
        elif isinstance(value, list | tuple):
            numbered = {str(i): item for i, item in enumerate(value, start=1)}
            items += flatten(numbered, f"{name}.") if value else [(name, None)]
        else:
            items.append((name, value))
    return items


def _summary_format(key: str, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return GENERAL
    for part in reversed(key.split(".")):
        for suffix, kind in SUFFIX_FORMATS:
            if part.endswith(suffix):
                return NUMBER_FORMATS[kind]
    return NUMBER_FORMATS["integer"] if isinstance(value, int) else GENERAL
