"""Reading scenario files as text, with every read failure turned into a located ``Problem``."""

from __future__ import annotations

import csv
import io
import re
import tomllib
from pathlib import Path

import pandas as pd

from .problems import Problem

LINE = "_line"  # column holding each row's line number in its file


def read_text(path: Path, label: str, problems: list[Problem]) -> str | None:
    """The file's text, or ``None`` after recording why it cannot be read as UTF-8 text."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        problems.append(Problem(label, None, None, "file not found"))
        return None
    except OSError as exc:
        problems.append(Problem(label, None, None, f"cannot be read: {exc.strerror}"))
        return None
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        problems.append(Problem(label, line, None, "is a binary file (NUL byte), not UTF-8 text"))
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problems.append(
            Problem(label, line, None, f"is not UTF-8 text (byte 0x{data[exc.start]:02x})")
        )
        return None


def parse_toml(text: str, label: str, problems: list[Problem]) -> dict | None:
    """The parsed TOML document, or ``None`` after recording the syntax error's position."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        line = int(found.group(1)) if found else None
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        where = f" (column {found.group(2)})" if found else ""
        problems.append(Problem(label, line, None, f"malformed TOML: {message}{where}"))
        return None


def parse_csv(text: str, label: str, problems: list[Problem]) -> pd.DataFrame | None:
    """The table as strings, whitespace stripped, blank rows dropped, with a ``_line`` column.

    Returns ``None`` after recording problems when the file has no usable header or rows whose
    field count differs from the header's.
    """
    header_line = next(csv.reader(io.StringIO(text)), None)
    header = [name.strip() for name in header_line or []]
    if not any(header):
        problems.append(Problem(label, 1, None, "is empty: expected a header row of column names"))
        return None
    if not _header_is_sound(header, label, problems):
        return None
    try:
        frame = pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, skip_blank_lines=False
        )
    except (pd.errors.ParserError, csv.Error, ValueError):
        _report_ragged_rows(text, len(header), label, problems)
        return None
    frame.columns = header
    frame[LINE] = frame.index.to_numpy() + 2
    missing = frame[header].isna()  # missing fields read as NaN, empty cells as ""
    frame = frame[~missing.all(axis=1)]  # blank lines
    short = missing.any(axis=1) & ~missing.all(axis=1)
    if short.any():
        for line in frame.loc[short, LINE]:
            problems.append(Problem(label, int(line), None, "has fewer fields than the header"))
        return None
    frame[header] = frame[header].apply(lambda column: column.str.strip())
    return frame[(frame[header] != "").any(axis=1)].reset_index(drop=True)


def _header_is_sound(header: list[str], label: str, problems: list[Problem]) -> bool:
    sound = True
    seen: set[str] = set()
    for position, name in enumerate(header, start=1):
        if not name:
            problems.append(Problem(label, 1, None, f"column {position} has no name"))
            sound = False
        elif name in seen:
            problems.append(Problem(label, 1, name, "column appears twice in the header"))
            sound = False
        seen.add(name)
    return sound


def _report_ragged_rows(text: str, width: int, label: str, problems: list[Problem]) -> None:
    """Name every row whose field count differs from the header's (pandas names only the first)."""
    reader = csv.reader(io.StringIO(text))
    next(reader, None)
    found = False
    try:
        for row in reader:
            if any(cell.strip() for cell in row) and len(row) != width:
                message = f"has {len(row)} fields; the header has {width}"
                problems.append(Problem(label, reader.line_num, None, message))
                found = True
    except csv.Error as exc:
        problems.append(Problem(label, reader.line_num, None, f"is not well-formed CSV: {exc}"))
        found = True
    if not found:
        problems.append(Problem(label, None, None, "is not a well-formed CSV file"))
