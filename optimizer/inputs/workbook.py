"""Excel workbooks: a scenario read from (or written as) one ``.xlsx`` file, an empty documented
template, and result tables written for reading.

A scenario workbook holds one sheet per input table, named like its file without ``.csv``, with
the header in row 1, and a ``scenario`` sheet of ``key | value`` rows for ``scenario.toml``. Its
cells become the text a CSV file would hold and are checked by the folder's own validation, so
every problem is located as ``book.xlsx[sheet]:row: column: message``.
"""

from __future__ import annotations

import datetime as dt
import difflib
import io
import math
import posixpath
import re
import struct
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pandas as pd

from optimizer.common.strings import python_strings
from optimizer.inputs.problems import Problem, ScenarioError
from optimizer.inputs.reading import LINE, file_refusal
from optimizer.inputs.scenario import Scenario, empty_text, scenario_from_tables
from optimizer.inputs.schema import (
    MAX_WORKBOOK_CELLS,
    MAX_WORKBOOK_ENTRIES,
    MAX_WORKBOOK_LISTING_BYTES,
    MAX_WORKBOOK_UNPACKED_BYTES,
    SETTINGS_FILE,
    TABLES,
    Field,
    number_text,
    table_fields,
)
from optimizer.inputs.settings import Settings, settings_from_keys
from optimizer.inputs.validation import check_tables

SETTINGS_SHEET = "scenario"
README_SHEET = "README"  # ignored when a workbook is read, in any case


NOT_A_WORKBOOK = "is not an Excel .xlsx workbook"


# In validation's messages, what names a file or a line of one (not inside a quoted value).
FILE_NAMES = re.compile(
    r"(?<![\w.'-])(?:" + "|".join(re.escape(spec.file) for spec in TABLES.values()) + r")(?![\w'])"
)
LINE_WORDS = re.compile(r"\b(duplicate of|on) line\b")


# --- reading a scenario workbook -------------------------------------------------------------


# sheet -> Excel row number -> cells of the row (value, openpyxl type); rows without a value left
# out, and each row cut after its last cell that holds something
RawCells = dict[str, dict[int, list[tuple[Any, str]]]]
TAIL = 22 + 0xFFFF  # the zip's end record and its longest comment
SCAN_CHUNK = 1 << 20  # bytes of a part unpacked at a time when counting its cells
TAG_ROOM = 256  # a tag cut by a chunk's end is carried over if it starts this close to the end
# Start tags of cells (worksheets) and shared strings, with any namespace prefix. Counted, not
# parsed: over-counting a stray match errs on the safe side.
COUNTED_TAGS = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(c|si)[\s/>]")
MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
RELATION_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
RELATIONSHIP = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
SHEET_LIST_PARTS = ("xl/workbook.xml", "xl/_rels/workbook.xml.rels")
SHEET_LIST_BYTES = 1_000_000  # read whole only to name a sheet in a message
TOO_MANY_CELLS = (
    f"the sheets up to this one hold more than {MAX_WORKBOOK_CELLS:,} cells (each row counted "
    f"up to its last cell); a workbook may hold at most {MAX_WORKBOOK_CELLS:,}"
)


class WorkbookTooLarge(Exception):
    """A workbook over one of the limits; ``sheet`` is where the limit was passed, if known."""

    def __init__(self, message: str, sheet: str | None = None):
        super().__init__(message)
        self.message, self.sheet = message, sheet


@dataclass
class Sheet:
    """A worksheet as text: its non-blank rows by Excel row number, and the cells that hold no
    usable value (an Excel error, a formula without a saved result), blank in ``rows``."""

    name: str
    rows: list[tuple[int, list[str]]]
    faults: dict[tuple[int, int], str]  # (row, column index from 0) -> what is wrong


@python_strings()
def read_scenario_workbook(path: str | Path) -> Scenario:
    """Read and validate a scenario workbook; raise :class:`ScenarioError` listing every problem
    of every sheet, located as ``book.xlsx[sheet]:row: column``."""
    path = Path(path)
    book = path.name
    problems: list[Problem] = []
    faults: list[Problem] = []  # cells without a usable value: one problem per cell
    sheets = read_sheets(path, book, problems)
    if sheets is None:
        raise ScenarioError(problems)
    check_sheet_names(sheets, book, problems)
    settings = settings_from_sheet(sheets.get(SETTINGS_SHEET), book, problems, faults)
    texts = {name: table_text(sheets.get(name), book, name, problems, faults) for name in TABLES}
    checked: list[Problem] = []
    tables = check_tables(texts, settings, checked)
    problems += in_sheets(checked, book)
    if problems or faults or settings is None:
        raise ScenarioError(one_problem_per_faulty_cell(problems, faults))
    return scenario_from_tables(settings, tables, source=path)


def sheet_label(book: str, sheet: str) -> str:
    """Where a problem is: ``plan.xlsx[offers]``."""
    return f"{book}[{sheet}]"


def read_sheets(path: Path, book: str, problems: list[Problem]) -> dict[str, Sheet] | None:
    """Every worksheet as text, or ``None`` after recording why the file is no workbook or is
    over a limit (judged before openpyxl parses anything, then again as it reads)."""
    reason = file_refusal(path)  # missing, a pipe (opening it would block), too large
    if reason is not None:
        problems.append(Problem(book, None, None, reason))
        return None
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError as exc:
        problems.append(Problem(book, None, None, f"cannot be read: {exc.strerror}"))
        return None
    reason = not_a_zip_reason(head)
    cells = None
    if reason is None:
        try:
            check_archive(path)
            cells = _read_cells(path)
        except WorkbookTooLarge as exc:
            where = book if exc.sheet is None else sheet_label(book, exc.sheet)
            problems.append(Problem(where, None, None, exc.message))
            return None
        except Exception as exc:  # a damaged archive fails in many ways inside openpyxl
            reason = f"a zip archive openpyxl cannot read as a workbook: {type(exc).__name__}"
    if cells is None:
        problems.append(Problem(book, None, None, f"{NOT_A_WORKBOOK} ({reason})"))
        return None
    return {name: _sheet(name, rows) for name, rows in cells.items()}


def not_a_zip_reason(head: bytes) -> str | None:
    """Why a file starting with ``head`` cannot be an .xlsx (a zip archive), if it cannot."""
    if head.startswith(b"PK\x03\x04"):
        return None
    if not head:
        return "the file is empty"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "it is an old .xls workbook or another OLE file; save it as .xlsx"
    text = head.decode("utf-8", errors="replace")
    if "\x00" not in text and text.count("\ufffd") <= 1:
        return "it is a text file, perhaps CSV"
    return "it is not a zip archive"


def check_archive(path: Path) -> None:
    """Raise :class:`WorkbookTooLarge` if the archive has too many files, unpacks to too much
    (as its central directory declares: zipfile never unpacks past a declared size) or holds
    too many cells or shared strings (tags counted while unpacking a chunk at a time, stopping
    at the limit, so a sheet that lies about its size is still bounded)."""
    entries, listing = _declared_directory(path)
    if listing > MAX_WORKBOOK_LISTING_BYTES:  # zipfile would parse every record of it
        raise WorkbookTooLarge(
            f"lists its files in {math.ceil(listing / 1e6):,} MB; a workbook's list of files "
            f"may take at most {MAX_WORKBOOK_LISTING_BYTES / 1e6:,.0f} MB"
        )
    with zipfile.ZipFile(path) as archive:
        items = archive.infolist()
        entries = max(entries, len(items))
        if entries > MAX_WORKBOOK_ENTRIES:
            raise WorkbookTooLarge(
                f"holds {entries:,} files; a workbook may hold at most {MAX_WORKBOOK_ENTRIES:,}"
            )
        unpacked = sum(item.file_size for item in items)
        if unpacked > MAX_WORKBOOK_UNPACKED_BYTES:
            raise WorkbookTooLarge(
                f"unpacks to {math.ceil(unpacked / 1e6):,} MB; a workbook may unpack to at most "
                f"{MAX_WORKBOOK_UNPACKED_BYTES / 1e6:,.0f} MB"
            )
        cells = strings = 0
        for item in items:
            room = (MAX_WORKBOOK_CELLS - cells, MAX_WORKBOOK_CELLS - strings)
            more_cells, more_strings = _count_tags(archive, item, *room)
            cells, strings = cells + more_cells, strings + more_strings
            if cells > MAX_WORKBOOK_CELLS:
                raise WorkbookTooLarge(TOO_MANY_CELLS, _sheet_titles(archive).get(item.filename))
            if strings > MAX_WORKBOOK_CELLS:  # more strings than the cells could show
                raise WorkbookTooLarge(
                    f"holds more than {MAX_WORKBOOK_CELLS:,} shared strings; a workbook may "
                    f"hold at most {MAX_WORKBOOK_CELLS:,}"
                )


def _declared_directory(path: Path) -> tuple[int, int]:
    """How many files the zip's end record says it holds and the bytes of its central directory,
    read from the file's tail before zipfile parses that directory; ``(0, 0)`` without an end
    record (zipfile then says the archive is damaged)."""
    with path.open("rb") as handle:
        size = handle.seek(0, io.SEEK_END)
        handle.seek(max(0, size - TAIL))
        tail = handle.read()
    end = tail.rfind(b"PK\x05\x06")
    if end < 0 or len(tail) - end < 22:
        return 0, 0
    entries, listing = struct.unpack_from("<HI", tail, end + 10)
    zip64 = end - 20 - 56  # zip64 end record, then its locator, then the end record
    if zip64 >= 0 and tail[zip64 : zip64 + 4] == b"PK\x06\x06":
        entries, listing = struct.unpack_from("<QQ", tail, zip64 + 32)
    return entries, listing


def _count_tags(
    archive: zipfile.ZipFile, item: zipfile.ZipInfo, cell_room: int, string_room: int
) -> tuple[int, int]:
    """Cell and shared-string start tags in one part, counted a chunk at a time; stops once
    a count passes its room."""
    cells = strings = 0
    carried = b""
    with archive.open(item) as stream:
        while cells <= cell_room and strings <= string_room and (chunk := stream.read(SCAN_CHUNK)):
            data = carried + chunk
            cut = data.rfind(b"<")
            if cut < 0 or len(data) - cut > TAG_ROOM:
                cut = len(data)
            tags = COUNTED_TAGS.findall(data, 0, cut)
            found = tags.count(b"si")
            strings, cells = strings + found, cells + len(tags) - found
            carried = data[cut:]
    return cells, strings


def _sheet_titles(archive: zipfile.ZipFile) -> dict[str, str]:
    """Worksheet part -> sheet name, from the workbook's list of sheets, to name a sheet in a
    message; empty if the list is missing, odd or large."""
    try:
        if any(archive.getinfo(part).file_size > SHEET_LIST_BYTES for part in SHEET_LIST_PARTS):
            return {}
        listed, relations = (ElementTree.fromstring(archive.read(p)) for p in SHEET_LIST_PARTS)
    except (KeyError, ElementTree.ParseError, zipfile.BadZipFile, OSError):
        return {}
    targets = {rel.get("Id"): rel.get("Target", "") for rel in relations.iter(RELATIONSHIP)}
    titles = {}
    for sheet in listed.iter(f"{MAIN_NS}sheet"):
        target = targets.get(sheet.get(RELATION_ID), "")
        part = target[1:] if target.startswith("/") else posixpath.normpath(f"xl/{target}")
        titles[part] = sheet.get("name", part)
    return titles


def _read_cells(path: Path) -> RawCells:
    """The worksheets' cells; formulas read as their saved results (a second pass, only when
    some cell holds a formula)."""
    with path.open("rb") as handle, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns of features it drops; we only read
        cells = _raw_cells(handle, data_only=False)
        formulas = {
            (name, row, column)
            for name, rows in cells.items()
            for row, values in rows.items()
            for column, (_, kind) in enumerate(values)
            if kind == "f"
        }
        if formulas:
            handle.seek(0)
            saved = _raw_cells(handle, data_only=True)
            for name, row, column in formulas:
                values = saved.get(name, {}).get(row, [])
                value, kind = values[column] if column < len(values) else (None, "n")
                if value is not None:
                    cells[name][row][column] = (value, kind)
    return cells


def _raw_cells(handle, data_only: bool) -> RawCells:
    """Each worksheet's rows that hold something, by row number, of ``(value, openpyxl data
    type)``; :class:`WorkbookTooLarge` once the rows openpyxl makes pass the cell limit (it makes
    every row up to its last cell and every row number up to the last, whatever their number)."""
    import openpyxl  # slow to import (and PIL with it): loaded only for a workbook

    book = openpyxl.load_workbook(handle, read_only=True, data_only=data_only)
    try:
        cells: RawCells = {}
        room = MAX_WORKBOOK_CELLS
        for sheet in book.worksheets:
            sheet.reset_dimensions()  # trust the cells, not the size the file declares
            rows = cells[sheet.title] = {}
            for number, row in enumerate(sheet.iter_rows(), start=1):
                room -= len(row) or 1
                if room < 0:
                    raise WorkbookTooLarge(TOO_MANY_CELLS, sheet.title)
                values = [(c.value, c.data_type) for c in row]
                while values and values[-1] == (None, "n"):
                    values.pop()
                if values:
                    rows[number] = values
        return cells
    finally:
        book.close()


def _sheet(name: str, raw: dict[int, list[tuple[Any, str]]]) -> Sheet:
    rows: list[tuple[int, list[str]]] = []
    faults: dict[tuple[int, int], str] = {}
    for number, values in raw.items():
        texts = []
        for column, (value, kind) in enumerate(values):
            text, fault = cell_text(value, kind)
            texts.append(text)
            if fault:
                faults[number, column] = fault
        if any(texts):
            rows.append((number, texts))
    return Sheet(name, rows, faults)


def cell_text(value: Any, kind: str = "n") -> tuple[str, str | None]:
    """A cell as the text a CSV file would hold, and what is wrong with it, if anything.

    Numbers read as written (whole numbers without ``.0``), dates as their month ``YYYY-MM``
    when they are a month's first day (Excel makes dates of typed months), booleans as
    ``TRUE``/``FALSE`` (which validation rejects where a number is expected).
    """
    if kind == "f":
        formula = getattr(value, "text", value)
        return "", f"formula {formula} has no saved result; recalculate and save the workbook"
    if kind == "e":
        return "", f"holds the Excel error {value}"
    if value is None:
        return "", None
    if isinstance(value, bool):
        return ("TRUE" if value else "FALSE"), None
    if isinstance(value, float):
        return number_text(value), None
    if isinstance(value, dt.date):
        return _date_text(value), None
    return str(value).strip(), None


def _date_text(value: dt.date) -> str:
    if isinstance(value, dt.datetime):
        if value.time() != dt.time(0):
            return value.isoformat(sep=" ")
        value = value.date()
    return f"{value.year:04d}-{value.month:02d}" if value.day == 1 else value.isoformat()


def check_sheet_names(sheets: dict[str, Sheet], book: str, problems: list[Problem]) -> None:
    """Every sheet is a table, the settings or a README (a misspelt sheet would be ignored)."""
    expected = [SETTINGS_SHEET, *TABLES]
    for name in sheets:
        if name in expected or name.lower() == README_SHEET.lower():
            continue
        close = difflib.get_close_matches(name, expected, n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"expected {', '.join(expected)}"
        problems.append(Problem(sheet_label(book, name), None, None, f"unknown sheet; {hint}"))


def settings_from_sheet(
    sheet: Sheet | None, book: str, problems: list[Problem], faults: list[Problem]
) -> Settings | None:
    """The settings from ``key | value`` rows (a first row ``key | value`` is a header), checked
    as ``scenario.toml`` is; problems name the row of the key."""
    label = sheet_label(book, SETTINGS_SHEET)
    if sheet is None:
        problems.append(Problem(label, None, None, "sheet not found"))
        return None
    known = {field.column: field for field in table_fields(SETTINGS_FILE)}
    values: dict[str, Any] = {}
    rows: dict[str, int] = {}
    for number, cells in sheet.rows:
        key, value = (cells + ["", ""])[:2]
        for column in (0, 1):
            if (number, column) in sheet.faults:
                where = key or _column_letter(column + 1)
                faults.append(Problem(label, number, where, sheet.faults[number, column]))
        if number == 1 and key.lower() == "key":
            continue
        if not key:
            if value:
                problems.append(Problem(label, number, None, "a value without a key in column A"))
        elif key in rows:
            message = f"key appears twice (first on row {rows[key]})"
            problems.append(Problem(label, number, key, message))
        else:
            rows[key] = number
            values[key] = _setting_value(known.get(key), value)
    return settings_from_keys(values, problems, file=label, line_of=rows.get)


def _setting_value(field: Field | None, text: str) -> Any:
    """A setting's text as the value TOML would give: blank is unset, a number a number."""
    if not text:
        return None
    if field is not None and field.type in ("number", "integer"):
        try:
            return float(text)
        except ValueError:
            return text  # reported as "must be a number, not '...'"
    return text


def table_text(
    sheet: Sheet | None, book: str, name: str, problems: list[Problem], faults: list[Problem]
) -> pd.DataFrame | None:
    """A table sheet as the text frame validation expects (``_line`` = Excel row), or ``None``
    after recording why it cannot be read."""
    spec = TABLES[name]
    label = sheet_label(book, name)
    if sheet is None:
        if spec.required:
            problems.append(Problem(label, None, None, "sheet not found"))
            return None
        return empty_text(spec.file)
    width = max((len(cells) for _, cells in sheet.rows), default=0)
    grid = [(number, cells + [""] * (width - len(cells))) for number, cells in sheet.rows]
    header = grid[0][1] if grid and grid[0][0] == 1 else [""] * width
    used = _used_columns(grid, header, sheet.faults)
    for (row, column), message in sheet.faults.items():
        faults.append(Problem(label, row, header[column] or _column_letter(column + 1), message))
    if not any(header):
        problems.append(Problem(label, 1, None, "has no header: expected column names in row 1"))
        return None
    if not _header_is_sound(header, used, label, problems):
        return None
    body = [(number, cells) for number, cells in grid if number > 1]
    frame = pd.DataFrame(
        [[cells[c] for c in used] for _, cells in body],
        columns=[header[c] for c in used],
        dtype=object,
    )
    frame[LINE] = [number for number, _ in body]
    return frame


def _used_columns(
    grid: list[tuple[int, list[str]]], header: list[str], faults: dict[tuple[int, int], str]
) -> list[int]:
    """Columns with a name or some value (an empty unnamed column, e.g. a spacer, is dropped)."""
    filled = {column for (_, column) in faults}
    for _, cells in grid:
        filled.update(column for column, text in enumerate(cells) if text)
    return [column for column in range(len(header)) if header[column] or column in filled]


def _header_is_sound(
    header: list[str], used: list[int], label: str, problems: list[Problem]
) -> bool:
    sound = True
    seen: set[str] = set()
    for column in used:
        name = header[column]
        if not name:
            letter = _column_letter(column + 1)
            problems.append(Problem(label, 1, None, f"column {letter} has values but no name"))
            sound = False
        elif name in seen:
            problems.append(Problem(label, 1, name, "column appears twice in the header"))
            sound = False
        seen.add(name)
    return sound


def in_sheets(problems: list[Problem], book: str) -> list[Problem]:
    """Validation's problems, located by file name, moved to their sheets (and rows)."""
    sheet_of = {spec.file: name for name, spec in TABLES.items()}
    moved = []
    for problem in problems:
        name = sheet_of.get(problem.file)
        if name is None:
            moved.append(problem)
            continue
        message = LINE_WORDS.sub(r"\1 row", problem.message)
        message = FILE_NAMES.sub(lambda found: f"sheet {sheet_of[found.group(0)]}", message)
        moved.append(Problem(sheet_label(book, name), problem.line, problem.column, message))
    return moved


def one_problem_per_faulty_cell(problems: list[Problem], faults: list[Problem]) -> list[Problem]:
    """Faulty cells read as blank; drop what validation then says of them ("is blank")."""
    located = {(fault.file, fault.line, fault.column) for fault in faults}
    return faults + [p for p in problems if (p.file, p.line, p.column) not in located]


# --- writing a scenario workbook and the template --------------------------------------------


# --- writing result tables -------------------------------------------------------------------


# --- shared cell writing ---------------------------------------------------------------------


def _column_letter(number: int) -> str:
    """Excel's name of the 1-based column ``number``: 1 -> A, 27 -> AA."""
    letters = ""
    while number > 0:
        number, remainder = divmod(number - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters
