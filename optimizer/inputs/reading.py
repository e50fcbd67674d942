"""Reading scenario files as text, with every read failure turned into a located ``Problem``."""

from __future__ import annotations

import csv
import io
import math
import os
import re
import stat
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd

from optimizer.inputs.problems import Problem
from optimizer.inputs.schema import MAX_FILE_BYTES

LINE = "_line"  # column holding each row's line number in its file
OUTSIDE = "is a link to a file outside the scenario folder; copy the file in instead"
SHOWN_LENGTH = 60  # of a value quoted in a message


def shown(value: str) -> str:
    """A value as a message may quote it: control characters escaped (a terminal would obey
    them), cut short when long."""
    if len(value) > SHOWN_LENGTH:
        value = value[: SHOWN_LENGTH - 3] + "..."
    if value.isprintable():
        return value
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in value)


def file_refusal(path: Path, folder: Path | None = None) -> str | None:
    """Why ``path`` is not read, judged before it is opened (opening a named pipe would block):
    missing, a link out of ``folder``, not a regular file, or too large."""
    try:
        linked = folder is not None and stat.S_ISLNK(os.lstat(path).st_mode)
        if linked and not path.resolve().is_relative_to(folder.resolve()):
            return OUTSIDE
        return _not_regular(os.stat(path))
    except FileNotFoundError:
        return "file not found"
    except RuntimeError:  # Path.resolve before Python 3.13
        return "is a link that leads back to itself"
    except OSError as exc:
        return f"cannot be read: {exc.strerror}"


def _not_regular(status: os.stat_result) -> str | None:
    mode = status.st_mode
    if stat.S_ISREG(mode):
        if status.st_size > MAX_FILE_BYTES:
            return (
                f"is {math.ceil(status.st_size / 1e6):,} MB; a scenario file may be at most "
                f"{MAX_FILE_BYTES / 1e6:,.0f} MB"
            )
        return None
    if stat.S_ISDIR(mode):
        kind = "a folder"
    elif stat.S_ISFIFO(mode):
        kind = "a named pipe"
    elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        kind = "a device"
    else:
        kind = "a socket" if stat.S_ISSOCK(mode) else "a special file"
    return f"is {kind}, not a regular file"


def read_bytes(
    path: Path, label: str, problems: list[Problem], folder: Path | None = None
) -> bytes | None:
    """The file's bytes, or ``None`` after recording why it is not read (see
    :func:`file_refusal`). Opened without blocking and checked again once open, so a file
    swapped for a pipe in between is refused too."""
    reason = file_refusal(path, folder)
    if reason is None:
        try:
            handle = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
            with os.fdopen(handle, "rb") as file:
                reason = _not_regular(os.fstat(file.fileno()))
                data = file.read(MAX_FILE_BYTES + 1) if reason is None else b""
            if len(data) > MAX_FILE_BYTES:  # it grew since
                reason = f"is over {MAX_FILE_BYTES / 1e6:,.0f} MB, the most a file may be"
        except FileNotFoundError:
            reason = "file not found"
        except OSError as exc:
            reason = f"cannot be read: {exc.strerror}"
    if reason is not None:
        problems.append(Problem(label, None, None, reason))
        return None
    return data


def read_text(
    path: Path, label: str, problems: list[Problem], folder: Path | None = None
) -> str | None:
    """The file's text, or ``None`` after recording why it cannot be read as UTF-8 text.
    With ``folder``, a link to a file outside that folder is refused unread."""
    data = read_bytes(path, label, problems, folder)
    if data is None:
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
    field count differs from the header's (every such row is named).
    """
    rows = _csv_rows(text, label, problems)
    if rows is None:
        return None
    cells, lines = rows
    header = [name.strip() for name in cells[0]] if cells else []
    if not any(header):
        problems.append(Problem(label, 1, None, "is empty: expected a header row of column names"))
        return None
    if not _header_is_sound(header, label, problems):
        return None
    body, body_lines = cells[1:], lines[1:]
    width = np.fromiter(map(len, body), dtype=int, count=len(body))
    blank = np.fromiter((not "".join(row).strip() for row in body), dtype=bool, count=len(body))
    ragged = ~blank & (width != len(header))  # pandas would pad a short row with "" silently
    for index in np.flatnonzero(ragged):
        message = _ragged_message(body[index], len(header))
        problems.append(Problem(label, int(body_lines[index]), None, message))
    if ragged.any():
        return None
    kept = np.flatnonzero(~blank)
    frame = pd.DataFrame([body[index] for index in kept], columns=header, dtype=str)
    for column in header:
        frame[column] = frame[column].str.strip()
    frame[LINE] = body_lines[kept]
    return frame


def _csv_rows(
    text: str, label: str, problems: list[Problem]
) -> tuple[list[list[str]], np.ndarray] | None:
    """Every row's cells and the line it starts on, or ``None`` after recording a CSV error."""
    reader = csv.reader(io.StringIO(text, newline=None))
    try:
        cells = list(reader)
        if reader.line_num == len(cells):  # one line per row, the common case
            return cells, np.arange(1, len(cells) + 1)
    except csv.Error:
        pass
    reader = csv.reader(io.StringIO(text, newline=None))  # a quoted cell spans lines: go slowly
    cells, starts, start = [], [], 1
    try:
        for row in reader:
            cells.append(row)
            starts.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        problems.append(Problem(label, start, None, f"is not well-formed CSV: {exc}"))
        return None
    return cells, np.array(starts, dtype=int)


def _ragged_message(row: list[str], width: int) -> str:
    message = f"has {len(row)} fields; the header has {width}"
    if any("\n" in cell for cell in row):
        message += " (a quoted cell runs over several lines: is a closing quote missing?)"
    return message


def _header_is_sound(header: list[str], label: str, problems: list[Problem]) -> bool:
    sound = True
    seen: set[str] = set()
    for position, name in enumerate(header, start=1):
        if not name:
            problems.append(Problem(label, 1, None, f"column {position} has no name"))
            sound = False
        elif name in seen:
            problems.append(Problem(label, 1, shown(name), "column appears twice in the header"))
            sound = False
        seen.add(name)
    return sound
