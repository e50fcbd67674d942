"""``scenario.toml``: the scenario's name, horizon, policy and solver settings."""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from functools import partial
from typing import Any

from optimizer.common import months
from optimizer.inputs.problems import Problem
from optimizer.inputs.schema import (
    SETTINGS_FILE,
    Field,
    limit_text,
    number_text,
    table_fields,
)

# How each policy.cap_window reads in a sentence ("CN capped at 60% of arrivals per ...").
CAP_WINDOW_WORDS = {
    "month": "per month",
    "year": "per calendar year",
    "horizon": "over the horizon",
}
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")  # used with fullmatch
COUNTRY_KEYS = ("policy.watched_country", "policy.home_country")
LineOf = Callable[[str], int | None]  # the line (or row) where a key is written, if known


@dataclass(frozen=True)
class Settings:
    """Scenario-wide settings; field names follow ``scenario.toml`` without the table prefix."""

    name: str
    start: str
    months: int
    description: str = ""
    currency: str = "USD"
    cap_window: str = "year"
    stockpile_cover_months: float = 0.0
    stockpile_from: str | None = None  # None: from the first month
    closing_stock_credit: str = "floor"  # floor | none
    share_basis: str = "processing"  # processing | origin
    watched_country: str = "CN"  # whose share the reports single out
    home_country: str | None = None  # None: every country is foreign
    budget_usd_per_year: float | None = None  # None: no budget
    capital_charge: str = "annualised"  # annualised | upfront
    discount_rate_pct: float = 8.0
    risk_weight: float = 0.0
    cvar_alpha: float = 0.95
    release_floor: str = "true"  # true | false
    refill_months: int = 6
    samples: int = 0
    seed: int = 0
    time_limit_s: float | None = None
    mip_rel_gap: float | None = None
    threads: int | None = None
    algorithm: str = "auto"

    @property
    def horizon(self) -> list[str]:
        return months.horizon(self.start, self.months)

    @property
    def floor_from(self) -> str:
        return self.stockpile_from or self.start

    def with_changes(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    def by_key(self) -> dict[str, Any]:
        """Every value by its ``scenario.toml`` key (``horizon.start``); ``None`` where unset."""
        return {
            field.column: getattr(self, _attribute(field)) for field in table_fields(SETTINGS_FILE)
        }

    def to_toml(self) -> str:
        """The settings as ``scenario.toml`` text (unset optional keys left out)."""
        lines: list[str] = []
        current_table = ""
        for field in table_fields(SETTINGS_FILE):
            table, _, key = field.column.rpartition(".")
            value = getattr(self, _attribute(field))
            if value is None:
                continue
            if table != current_table:
                lines.append(f"\n[{table}]")
                current_table = table
            lines.append(f"{key} = {_toml_value(value)}")
        return "\n".join(lines).lstrip("\n") + "\n"


def _attribute(field: Field) -> str:
    """The ``Settings`` attribute of a key: its last part (``horizon.start`` -> ``start``)."""
    return field.column.rpartition(".")[2]


def _toml_value(value: Any) -> str:
    if isinstance(value, str):  # a basic string: quotes, backslashes, control characters escaped
        return '"' + "".join(_TOML_ESCAPES.get(c, c) for c in value) + '"'
    if isinstance(value, float):
        return number_text(value)  # 10, not 10.0: the key reads back as the same float
    return str(value)


_TOML_ESCAPES = {
    **{chr(code): f"\\u{code:04x}" for code in [*range(0x20), 0x7F]},
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
    '"': '\\"',
    "\\": "\\\\",
}


def settings_from_toml(
    document: dict,
    text: str,
    problems: list[Problem],
    *,
    file: str = SETTINGS_FILE,
    line_of: LineOf | None = None,
) -> Settings | None:
    """Check a parsed ``scenario.toml``; record every problem; ``None`` if any was found.

    Problems name ``file`` and the line ``line_of(key)`` gives (by default the key's line in
    the TOML ``text``), so settings read from elsewhere (a workbook sheet) are located there.
    """
    locate = line_of or partial(_line_of, text)
    found = len(problems)
    values: dict[str, Any] = {}
    known = _known_keys()
    _report_unknown_keys(document, known, file, locate, problems)
    for column, field in known.items():
        raw = _lookup(document, column)
        value = _check_value(field, raw, file, locate(column), problems)
        if value is not None:
            values[_attribute(field)] = value
    if len(problems) > found:
        return None
    settings = Settings(**values)
    _check_floor_start(settings, file, locate, problems)
    return settings if len(problems) == found else None


def settings_from_keys(
    values: dict[str, Any], problems: list[Problem], *, file: str, line_of: LineOf
) -> Settings | None:
    """Check settings given by their dotted keys (``{"horizon.start": "2026-01"}``), e.g. the
    rows of a workbook sheet; unknown keys are problems. ``None`` if any problem was found."""
    found = len(problems)
    known = _known_keys()
    document: dict[str, Any] = {}
    for column, value in values.items():
        if column not in known:
            _unknown(column, [*known], file, line_of, problems)
            continue
        table, _, leaf = column.rpartition(".")
        (document.setdefault(table, {}) if table else document)[leaf] = value
    settings = settings_from_toml(document, "", problems, file=file, line_of=line_of)
    return settings if len(problems) == found else None


def _known_keys() -> dict[str, Field]:
    return {field.column: field for field in table_fields(SETTINGS_FILE)}


def settings_from_dict(values: dict[str, Any], problems: list[Problem]) -> Settings | None:
    """Build settings from keyword values (``Settings`` field names), checked like the file."""
    names = {f.name for f in fields(Settings)}
    document: dict[str, Any] = {}
    for key, value in values.items():
        column = _column_for(key) if key in names else key
        table, _, leaf = column.rpartition(".")
        (document.setdefault(table, {}) if table else document)[leaf] = value
    return settings_from_toml(document, "", problems)


def _column_for(attribute: str) -> str:
    for field in table_fields(SETTINGS_FILE):
        if _attribute(field) == attribute:
            return field.column
    return attribute


def _lookup(document: dict, column: str) -> Any:
    node: Any = document
    for part in column.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _report_unknown_keys(
    document: dict, known: dict[str, Field], file: str, locate: LineOf, problems: list[Problem]
) -> None:
    tables = {column.rpartition(".")[0] for column in known} - {""}
    for key, value in document.items():
        if key in tables and not isinstance(value, dict):
            problems.append(Problem(file, locate(key), key, f"must be a table: [{key}]"))
        elif key in tables:
            for leaf in value:
                if f"{key}.{leaf}" not in known:
                    _unknown(f"{key}.{leaf}", [*known], file, locate, problems)
        elif key not in known:
            _unknown(key, [*known, *tables], file, locate, problems)


def _unknown(
    column: str, candidates: list[str], file: str, locate: LineOf, problems: list[Problem]
) -> None:
    close = difflib.get_close_matches(column, candidates, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    problems.append(Problem(file, locate(column), column, f"unknown key{hint}"))


def _check_value(
    field: Field, raw: Any, file: str, line: int | None, problems: list[Problem]
) -> Any:
    def bad(message: str) -> None:
        problems.append(Problem(file, line, field.column, message))

    if raw is None:
        if field.blank == "error":
            bad("is missing; a value is required")
        return None
    if field.type == "choice" and isinstance(raw, bool) and field.choices == ("true", "false"):
        raw = "true" if raw else "false"  # a yes/no setting may be written as a TOML boolean
    if field.type in ("text", "choice", "month"):
        if not isinstance(raw, str):
            bad(f"must be a quoted string, not {raw!r}")
            return None
        if field.type == "month" and not months.is_month(raw):
            bad(f"'{raw}' is not a month (YYYY-MM)")
            return None
        if field.choices and raw not in field.choices:
            bad(f"'{raw}' is not one of {', '.join(field.choices)}")
            return None
        if field.column == "name" and not NAME_PATTERN.fullmatch(raw):
            bad(f"'{raw}' must be letters, digits, '.', '_' or '-' (it names the output folder)")
            return None
        if field.column in COUNTRY_KEYS and not NAME_PATTERN.fullmatch(raw):
            bad(f"'{raw}' is not a country code (letters, digits, '.', '_' or '-')")
            return None
        return raw
    return _check_number(field, raw, bad)


def _check_number(field: Field, raw: Any, bad) -> Any:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        bad(f"must be a number, not {raw!r}")
        return None
    if not math.isfinite(raw):
        bad(f"must be a finite number, not {raw}")
        return None
    if field.type == "integer" and raw != int(raw):
        bad(f"must be a whole number, not {raw}")
        return None
    if field.min is not None and raw < field.min:
        bad(f"must be at least {limit_text(field.min)}, not {raw}")
        return None
    if field.max is not None and raw > field.max:
        bad(f"must be at most {limit_text(field.max)}, not {raw}")
        return None
    return int(raw) if field.type == "integer" else float(raw)


def settings_number_problems(settings: Settings, file: str = SETTINGS_FILE) -> list[Problem]:
    """The checks of every number of ``scenario.toml`` on settings changed in memory (a sweep
    point); the line is not known."""
    problems: list[Problem] = []
    for field in table_fields(SETTINGS_FILE):
        value = getattr(settings, _attribute(field))
        if field.type in ("number", "integer") and value is not None:
            _check_number(field, value, partial(_record, problems, file, field.column))
    return problems


def _record(problems: list[Problem], file: str, column: str, message: str) -> None:
    problems.append(Problem(file, None, column, message))


def _check_floor_start(
    settings: Settings, file: str, locate: LineOf, problems: list[Problem]
) -> None:
    if settings.stockpile_from is None:
        return
    horizon = settings.horizon
    if not horizon[0] <= settings.stockpile_from <= horizon[-1]:
        problems.append(
            Problem(
                file,
                locate("policy.stockpile_from"),
                "policy.stockpile_from",
                f"{settings.stockpile_from} is outside the horizon {horizon[0]}..{horizon[-1]}",
            )
        )


def _line_of(text: str, column: str) -> int | None:
    """Line of ``key = ...`` inside its ``[table]`` in the TOML text, if it can be found."""
    table, _, key = column.rpartition(".")
    in_table = table == ""
    for number, line in enumerate(text.splitlines(), start=1):
        header = re.match(r"^\s*\[\s*([^\]]+?)\s*\]", line)
        if header:
            in_table = header.group(1) == table
            if in_table and not key:
                return number
            continue
        if in_table and re.match(rf"^\s*{re.escape(key)}\s*=", line):
            return number
    for number, line in enumerate(text.splitlines(), start=1):  # [table] or a dotted key
        if re.match(rf"^\s*(\[\s*{re.escape(column)}\s*\]|{re.escape(column)}\s*=)", line):
            return number
    return None
