"""Workbooks streamed to disk row by row with xlsxwriter (``constant_memory``): result tables
as formatted sheets, several times faster than openpyxl cell by cell, in memory that does not
grow with the rows.

Every sheet has a bold, frozen header row with a comment on each heading that has a note, an
autofilter over its rows, a number format per column (or per cell) and fitted widths. Text is
always text: no cell becomes a formula, a link or a number (``=1+1``, ``#N/A``, ``http://...``,
``007``), and control characters an .xlsx cannot hold become U+FFFD. Equal sheets give equal
bytes: the document's times are fixed, and xlsxwriter fixes its zip entries' times itself.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import numbers
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import Any

import numpy as np

from optimizer.common.output_paths import write_file_atomic
from optimizer.common.xlsx_cells import (
    AUTHOR,
    FIXED_TIME,
    GENERAL,
    ILLEGAL,
    check_titles,
    printable,
)

OPTIONS = {
    "constant_memory": True,  # rows go to a temporary file as they are written, in order
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "nan_inf_to_errors": False,  # NaN and inf never reach a cell (see excel_value)
}
COMMENT = {"author": AUTHOR, "width": 320, "height": 160}


@dataclass(frozen=True)
class SheetColumn:
    """One column of a sheet: its heading, its cells' values (``None``: blank) and how they are
    shown: one number format for the column, or one per cell."""

    heading: str
    values: list[Any]
    number_format: str | list[str] = GENERAL
    note: str | None = None  # the heading's comment
    width: float = 8


@dataclass(frozen=True)
class Sheet:
    name: str
    columns: list[SheetColumn]
    autofilter: bool = True
    # A sheet to print: long text wraps within its column (rows grow as Excel opens them) and
    # every cell sits at the top of its row; printed one page wide, the header on every page.
    for_print: bool = False


def write_workbook(path: str | Path, sheets: list[Sheet]) -> Path:
    """Write ``sheets`` in order as one .xlsx at ``path`` (replaced in one step)."""
    import xlsxwriter  # loaded only when writing

    path = Path(path)
    check_titles([sheet.name for sheet in sheets])
    written = io.BytesIO()
    book = xlsxwriter.Workbook(written, OPTIONS)
    book.set_properties({"author": AUTHOR, "created": FIXED_TIME})  # created = modified
    formats = _Formats(book)
    for sheet in sheets:
        _write_sheet(book.add_worksheet(sheet.name), sheet, formats)
    book.close()
    write_file_atomic(path, written.getvalue())
    return path


class _Formats:
    """One format object per number format (xlsxwriter's formats belong to the workbook)."""

    def __init__(self, book) -> None:
        self.book = book
        self.bold = book.add_format({"bold": True})
        self.found: dict[tuple[str, bool], Any] = {(GENERAL, False): None}

    def __call__(self, number_format: str, wrap: bool = False):
        if (number_format, wrap) not in self.found:
            look = {"num_format": number_format}
            look |= {"text_wrap": True, "valign": "top"} if wrap else {}
            self.found[number_format, wrap] = self.book.add_format(look)
        return self.found[number_format, wrap]


def _write_sheet(sheet, spec: Sheet, formats: _Formats) -> None:
    rows = max((len(column.values) for column in spec.columns), default=0)
    for index, column in enumerate(spec.columns):
        sheet.write_string(0, index, printable(column.heading), formats.bold)
        if column.note:
            sheet.write_comment(0, index, printable(column.note), COMMENT)
        sheet.set_column(index, index, column.width)
    sheet.freeze_panes(1, 0)
    if spec.autofilter and spec.columns:
        sheet.autofilter(0, 0, rows, len(spec.columns) - 1)
    if spec.for_print:
        sheet.repeat_rows(0)
        sheet.fit_to_pages(1, 0)
    looks = [_cell_formats(column, formats, spec.for_print) for column in spec.columns]
    by_row = zip(*(_printable(column.values) for column in spec.columns), strict=True)
    cells = zip(by_row, zip(*looks, strict=False), strict=False)  # a column's look may repeat
    write_string, write_number = sheet.write_string, sheet.write_number
    for row, (values, shown) in enumerate(cells, start=1):  # in order, as constant_memory needs
        for index, value in enumerate(values):
            kind = type(value)
            if value is None:
                continue
            if kind is str:
                write_string(row, index, value, shown[index])
            elif kind is float or kind is int:
                write_number(row, index, value, shown[index])
            else:
                _write_other(sheet, row, index, value, shown[index])


def _printable(values: list[Any]) -> list[Any]:
    """``values`` with :func:`printable` text, looked at once for the column."""
    if not ILLEGAL.search("".join(value for value in values if type(value) is str)):
        return values
    return [printable(value) if type(value) is str else value for value in values]


def _cell_formats(column: SheetColumn, formats: _Formats, wrap: bool) -> Iterable[Any]:
    if isinstance(column.number_format, str):
        return repeat(formats(column.number_format, wrap))
    return [formats(number_format, wrap) for number_format in column.number_format]


def _write_other(sheet, row: int, index: int, value: Any, shown) -> None:
    """A value of another type: a bool as a bool (shown as Excel shows it, whatever the
    column's format), another number type (numpy's, say) as a number, anything else as the
    text it reads as."""
    if isinstance(value, bool | np.bool_):
        sheet.write_boolean(row, index, bool(value))
    elif isinstance(value, numbers.Real) and math.isfinite(value):
        sheet.write_number(row, index, float(value), shown)
    elif isinstance(value, dt.date | dt.time):
        sheet.write_string(row, index, value.isoformat(), shown)
    else:
        sheet.write_string(row, index, printable(str(value)), shown)
