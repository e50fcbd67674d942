"""Writing .xlsx cells and files with openpyxl: text always as text, headers, column widths,
and files with fixed times so equal workbooks are equal files."""

from __future__ import annotations

import datetime as dt
import io
import math
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.comments import Comment
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from optimizer.common.output_paths import write_file_atomic

AUTHOR = "rare-earth-sourcing"


FIXED_TIME = dt.datetime(2000, 1, 1)  # document and zip entry times: equal inputs, equal bytes


BOLD = Font(bold=True)


TEXT = "@"


GENERAL = "General"


MAX_WIDTH = 60


MAX_TITLE = 31  # Excel's limit on a sheet name


# Python's rendering of each number format, to size columns.
SHOWN = {
    "#,##0.000": "{:,.3f}",
    "#,##0": "{:,.0f}",
    "#,##0.00": "{:,.2f}",
    "0.0%": "{:.1%}",
    "0.00": "{:.2f}",
    GENERAL: "{:.10g}",
}


def write_header(sheet: Worksheet, headings: list[str], notes: list[str | None]) -> None:
    """A bold, frozen header row; a comment on each heading that has a note."""
    for index, (heading, note) in enumerate(zip(headings, notes, strict=True), start=1):
        cell = set_cell(sheet.cell(1, index), heading)  # a heading may be a plan's name: "=..."
        cell.font = BOLD
        if note:  # a comment is always text (no formulas in comments)
            cell.comment = Comment(printable(note), AUTHOR, height=160, width=320)
    sheet.freeze_panes = "A2"


def write_column(sheet: Worksheet, column: int, values: list[Any], number_format: str) -> None:
    for row, value in enumerate(values, start=2):
        if value is not None:
            cell = set_cell(sheet.cell(row, column), value)
            if number_format != GENERAL and not isinstance(value, bool):
                cell.number_format = number_format


def set_cell(cell, value: Any):
    """Put a value in a cell; text stays text. openpyxl makes a formula of text starting with
    '=' and an error cell of '#N/A' and the like; typed 's', it is written as an inline string.
    Every writer puts its cells through here."""
    if isinstance(value, str):
        value = printable(value)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def printable(text: str) -> str:
    """Text without the control characters an .xlsx cannot hold (openpyxl refuses them)."""
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", text)


def excel_values(values: pd.Series) -> list[Any]:
    return [excel_value(value) for value in values.tolist()]


def excel_value(value: Any) -> Any:
    """A value Excel can hold: blank for NaN and None, text for an infinite number."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
    if not isinstance(value, str | int | float | dt.date | dt.time | dt.timedelta):
        return str(value)  # a path, a decimal, an enum: as it reads
    return value


def widest_texts(values: pd.Series, number_format: str) -> list[str]:
    """The widest texts the column shows: its extreme numbers, or its longest text."""
    if pd.api.types.is_bool_dtype(values):
        return ["FALSE"]
    if pd.api.types.is_numeric_dtype(values):
        finite = values[pd.notna(values) & ~values.isin([math.inf, -math.inf])]
        shown = SHOWN.get(number_format, SHOWN[GENERAL])
        return [shown.format(float(v)) for v in (finite.min(), finite.max())] if len(finite) else []
    texts = values.dropna().astype(str)
    return [texts.loc[texts.str.len().idxmax()]] if len(texts) else []


def fit_widths(
    sheet: Worksheet,
    shown: list[list[str]],
    limits: list[int],
    filter_button: bool = False,
    least: int = 8,
) -> None:
    """Widen each column to its longest text (its heading with room for a filter button)."""
    for index, (texts, limit) in enumerate(zip(shown, limits, strict=True), start=1):
        longest = max((len(text) for text in texts[1:]), default=0)
        heading = len(texts[0]) + (3 if filter_button else 0) if texts else 0
        width = min(max(heading, longest) + 2, limit)
        sheet.column_dimensions[get_column_letter(index)].width = max(width, least)


def save_workbook(book: Workbook, path: str | Path) -> Path:
    """Write the workbook with fixed document and zip entry times, so equal workbooks are
    equal files (openpyxl stamps the time of saving)."""
    path = Path(path)
    book.properties.creator = AUTHOR
    book.properties.created = FIXED_TIME
    book.properties.modified = FIXED_TIME
    written = io.BytesIO()
    ExcelWriter(book, zipfile.ZipFile(written, "w", zipfile.ZIP_DEFLATED)).save()
    write_file_atomic(path, _with_fixed_times(written.getvalue()))
    return path


def _with_fixed_times(archive: bytes) -> bytes:
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(archive)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            entry = zipfile.ZipInfo(item.filename, date_time=FIXED_TIME.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = item.external_attr
            target.writestr(entry, source.read(item))
    return out.getvalue()
