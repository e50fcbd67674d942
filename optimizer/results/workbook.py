"""``plan.xlsx`` and ``compare.xlsx``: result tables as formatted sheets (units in the
headings, number formats, frozen headers) and a summary sheet, streamed row by row
(:mod:`optimizer.common.xlsx_stream`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from optimizer.common.xlsx_cells import (
    GENERAL,
    MAX_WIDTH,
    TEXT,
    column_width,
    excel_values,
    widest_texts,
)
from optimizer.common.xlsx_stream import Sheet, SheetColumn, write_workbook
from optimizer.results.columns import ResultColumn, result_columns
from optimizer.results.summary_sheet import summary_sheet

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
    path: str | Path,
    sheets: dict[str, pd.DataFrame],
    summary: dict | None = None,
    notes: dict[str, str] | None = None,
) -> Path:
    """One formatted sheet per table (headings with units from ``result_schema.csv``, raw
    column names in header comments, frozen header, autofilter, number formats), after a
    ``summary`` sheet of ``summary`` when given, as a table to print
    (:mod:`optimizer.results.summary_sheet`). ``notes`` by sheet: a line added to the comment
    on the sheet's first heading (a sheet cut short says so). Equal inputs give equal bytes."""
    notes = notes or {}
    written = [summary_sheet(summary)] if summary is not None else []
    written += [_result_sheet(name, frame, notes.get(name)) for name, frame in sheets.items()]
    return write_workbook(path, written)


def _result_sheet(table: str, frame: pd.DataFrame, note: str | None = None) -> Sheet:
    columns = []
    for index in range(frame.shape[1]):
        name, values = str(frame.columns[index]), frame.iloc[:, index]
        look = column_look(table, name, values)
        comment = look.note
        if note and index == 0:
            comment = f"{comment}\n\n{note}" if comment else note
        shown = [look.heading, *widest_texts(values, look.number_format)]
        width = column_width(shown, MAX_WIDTH, filter_button=True)
        columns.append(
            SheetColumn(look.heading, excel_values(values), look.number_format, comment, width)
        )
    return Sheet(table, columns)


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
