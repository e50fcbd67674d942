"""Checks of the input tables against the schema: every problem found in one pass.

Each ``check_*`` function looks at one kind of fault and records a ``Problem`` per offending row
(file, line, column, what is wrong). Parsing and checking are vectorised; only offending rows are
visited one by one.
"""

from __future__ import annotations

import difflib

import numpy as np
import pandas as pd

from . import months
from .problems import Problem
from .reading import LINE
from .schema import TABLES, Field, Table, table_fields
from .settings import Settings

BLANK_MEANS_INFINITY = "inf"
BLANK_MEANS_ZERO = "0"
BLANK_IS_ERROR = "error"
NAN_WORDS = {"nan", "+nan", "-nan"}


def check_tables(
    frames: dict[str, pd.DataFrame | None], settings: Settings | None, problems: list[Problem]
) -> dict[str, pd.DataFrame]:
    """Typed tables from text tables; problems recorded for every fault found.

    ``frames`` maps a table name of :data:`TABLES` to its text frame (with a ``_line`` column),
    or ``None`` when the file could not be read. Tables that could not be checked are absent
    from the result.
    """
    typed: dict[str, pd.DataFrame] = {}
    for name, frame in frames.items():
        if frame is not None:
            table = check_table(TABLES[name], frame, settings, problems)
            if table is not None:
                typed[name] = table
    check_references(typed, problems)
    return typed


def check_table(
    spec: Table, frame: pd.DataFrame, settings: Settings | None, problems: list[Problem]
) -> pd.DataFrame | None:
    """One table typed column by column, or ``None`` if its columns are wrong."""
    schema = table_fields(spec.file)
    if not check_columns(spec.file, frame, schema, problems):
        return None
    lines = frame[LINE].to_numpy()
    typed = pd.DataFrame({LINE: lines})
    for field in schema:
        text = frame[field.column] if field.column in frame else pd.Series([""] * len(frame))
        typed[field.column] = parse_column(spec.file, field, text.to_numpy(), lines, problems)
    check_horizon(spec.file, typed, schema, settings, problems)
    check_duplicates(spec, frame, problems)
    return typed


def check_columns(
    file: str, frame: pd.DataFrame, schema: tuple[Field, ...], problems: list[Problem]
) -> bool:
    """Required columns are present and no column is unknown (a misspelt one, most likely)."""
    expected = [field.column for field in schema]
    present = [column for column in frame.columns if column != LINE]
    sound = True
    for field in schema:
        if field.required and field.column not in present:
            problems.append(Problem(file, 1, field.column, "required column is missing"))
            sound = False
    for column in present:
        if column not in expected:
            close = difflib.get_close_matches(column, expected, n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"expected {', '.join(expected)}"
            problems.append(Problem(file, 1, column, f"unknown column; {hint}"))
            sound = False
    return sound


def parse_column(
    file: str, field: Field, text: np.ndarray, lines: np.ndarray, problems: list[Problem]
) -> np.ndarray:
    """The column's typed values; blanks take the schema's meaning (NaN where 'not set')."""
    text = text.astype(str)
    blank = text == ""

    def report(mask: np.ndarray, message) -> None:
        for line, value in zip(lines[mask], text[mask], strict=True):
            problems.append(Problem(file, int(line), field.column, message(value)))

    if field.blank == BLANK_IS_ERROR:
        report(blank, lambda _: "is blank; a value is required")
    if field.type == "id":
        return np.where(blank, None, text).astype(object)
    if field.type == "month":
        malformed = ~blank & ~pd.Series(text).str.fullmatch(months.MONTH_PATTERN).to_numpy()
        report(malformed, lambda value: f"'{value}' is not a month (YYYY-MM)")
        return np.where(blank | malformed, None, text).astype(object)
    return parse_numbers(field, text, blank, report)


def parse_numbers(field: Field, text: np.ndarray, blank: np.ndarray, report) -> np.ndarray:
    """Numbers with their bounds checked; blanks become 0, infinity or NaN as the schema says."""
    values = pd.to_numeric(pd.Series(text), errors="coerce").to_numpy(dtype=float, copy=True)
    nan_word = np.isin(np.char.lower(text), list(NAN_WORDS))
    report(nan_word, lambda _: "NaN is not a value; leave the cell blank instead")
    report(~blank & np.isnan(values) & ~nan_word, lambda v: f"'{v}' is not a number")
    unlimited_allowed = field.blank == BLANK_MEANS_INFINITY
    infinite = np.isinf(values) & ~(unlimited_allowed & (values > 0))
    report(infinite, lambda v: f"'{v}' is not a finite number")
    finite = np.isfinite(values)
    if field.type == "integer":
        report(finite & (values != np.round(values)), lambda v: f"'{v}' must be a whole number")
    noun = "shares" if field.type == "share" else "values"
    if field.min is not None:
        below = finite & (values < field.min)
        report(
            below, lambda v: f"{v} is below {field.min:g}; {noun} must be at least {field.min:g}"
        )
    if field.max is not None:
        above = finite & (values > field.max)
        report(above, lambda v: f"{v} is above {field.max:g}; {noun} must be at most {field.max:g}")
    if field.blank == BLANK_MEANS_ZERO:
        values[blank] = 0.0
    elif unlimited_allowed:
        values[blank] = np.inf
    return values


def check_horizon(
    file: str,
    typed: pd.DataFrame,
    schema: tuple[Field, ...],
    settings: Settings | None,
    problems: list[Problem],
) -> None:
    """Every month named lies inside the planning horizon (when the horizon itself is valid)."""
    if settings is None:
        return
    first, last = settings.horizon[0], settings.horizon[-1]
    for field in schema:
        if field.type != "month":
            continue
        column = typed[field.column]
        named = column.notna().to_numpy()
        labels = np.where(named, column.to_numpy(dtype=object), "").astype(str)
        outside = named & ((labels < first) | (labels > last))
        for line, value in zip(typed[LINE].to_numpy()[outside], labels[outside], strict=True):
            message = f"{value} is outside the horizon {first}..{last}"
            problems.append(Problem(file, int(line), field.column, message))


def check_duplicates(spec: Table, frame: pd.DataFrame, problems: list[Problem]) -> None:
    """No two rows share a key, compared as written: blank counts as a value (two blank-month
    offers collide), and a malformed month collides only with the same text, not with a blank."""
    key = list(spec.key)
    keys = frame.reindex(columns=[*key, LINE], fill_value="")  # an absent key column is blank
    repeated = keys.duplicated(key, keep="first").to_numpy()
    if not repeated.any():
        return
    first_line = keys.groupby(key, dropna=False, sort=False)[LINE].transform("min").to_numpy()
    described = ", ".join(key)
    for line, first in zip(keys[LINE].to_numpy()[repeated], first_line[repeated], strict=True):
        message = f"duplicate of line {first} (same {described})"
        problems.append(Problem(spec.file, int(line), None, message))


def check_references(typed: dict[str, pd.DataFrame], problems: list[Problem]) -> None:
    """Every supplier, material and country named exists in the table that defines it."""
    by_file = {spec.file: name for name, spec in TABLES.items()}
    for name, frame in typed.items():
        spec = TABLES[name]
        for column, (target_file, target_column) in spec.references.items():
            target = typed.get(by_file[target_file])
            if target is None:
                continue  # the defining table is broken; its own problems are reported
            known = set(target[target_column].dropna())
            values = frame[column]
            unknown = values.notna() & ~values.isin(known)
            for line, value in zip(frame.loc[unknown, LINE], values[unknown], strict=True):
                close = difflib.get_close_matches(str(value), sorted(known), n=1)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                message = f"unknown {target_column} '{value}': not in {target_file}{hint}"
                problems.append(Problem(spec.file, int(line), column, message))
