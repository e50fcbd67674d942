"""Writing .xlsx cells and files with openpyxl (the scenario workbooks: template and scenario
as one workbook): text always as text, headers, column widths, and files with fixed times so
equal workbooks are equal files. Result workbooks stream through :mod:`.xlsx_stream`."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

from openpyxl.comments import Comment
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from optimizer.common.output_paths import write_file_atomic
from optimizer.common.xlsx_cells import (  # noqa: F401 - imported from here by the template
    AUTHOR,
    FIXED_TIME,
    GENERAL,
    MAX_WIDTH,
    TEXT,
    column_width,
    excel_values,
    printable,
)

BOLD = Font(bold=True)


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


def fit_widths(
    sheet: Worksheet,
    shown: list[list[str]],
    limits: list[int],
    filter_button: bool = False,
    least: int = 8,
) -> None:
    """Widen each column to its longest text (its heading with room for a filter button)."""
    for index, (texts, limit) in enumerate(zip(shown, limits, strict=True), start=1):
        width = column_width(texts, limit, filter_button, least)
        sheet.column_dimensions[get_column_letter(index)].width = width


def save_workbook(book: Workbook, path: str | Path, replace: bool = True) -> Path:
    """Write the workbook with fixed document and zip entry times, so equal workbooks are
    equal files (openpyxl stamps the time of saving); with ``replace`` False, never over a
    file (:func:`optimizer.common.output_paths.write_file_atomic`)."""
    path = Path(path)
    book.properties.creator = AUTHOR
    book.properties.created = FIXED_TIME
    book.properties.modified = FIXED_TIME
    written = io.BytesIO()
    ExcelWriter(book, zipfile.ZipFile(written, "w", zipfile.ZIP_DEFLATED)).save()
    write_file_atomic(path, _with_fixed_times(written.getvalue()), replace=replace)
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
