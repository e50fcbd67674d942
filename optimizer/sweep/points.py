"""Which cells of the base scenario a parameter changes, and a point applied to a copy of it.

A parameter's path (``offers.price_usd_per_t[supplier=irel]``, ``policy.stockpile_cover_months``)
is parsed and checked into a :class:`Target`; :func:`target_rows` finds the rows its filters
match while a sweep file is checked, :func:`matched_rows` (cached) while points are applied, and
:func:`apply_point` builds one point's scenario cheaply.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from optimizer.inputs.scenario import Scenario
from optimizer.inputs.schema import SETTINGS_FILE, TABLES, Field, table_fields
from optimizer.sweep.file_problems import ParameterProblems, did_you_mean

# The tables a path may name: every input table. The disruption inputs only with a base
# scenario that has them (its points are solved as extensive forms, models.risk_warm).
RISK_TABLES = ("events", "event_effects", "risk_scenarios")
SWEEP_TABLES = list(TABLES)

if TYPE_CHECKING:
    from optimizer.sweep.spec import Parameter

SETTINGS_TABLE = "settings"  # Parameter.table of a scenario.toml key
# Numeric keys of [policy] and [risk] change inputs, not the structure (the sampled paths of
# risk.samples and risk.seed change the tree: such points are solved cold).
SWEEPABLE_SETTINGS = ("policy", "risk")
NUMERIC_TYPES = ("number", "integer", "share")
FILTER_TYPES = ("id", "month")
PATH = re.compile(r"\s*([A-Za-z_]\w*)\.([A-Za-z_]\w*)\s*(?:\[(.*)\])?\s*")  # used with fullmatch


# --- a parameter's path --------------------------------------------------------------------


@dataclass
class Target:
    """Where a parameter's path points."""

    table: str
    column: str
    filters: tuple[tuple[str, str], ...]
    field: Field

    @property
    def label(self) -> str:
        """The target as messages name it: ``offers.price_usd_per_t``, ``policy.<key>``."""
        return self.column if self.table == SETTINGS_TABLE else f"{self.table}.{self.column}"


def parse_target(table: dict, bad: ParameterProblems) -> Target | None:
    """The table (or ``scenario.toml`` key), column and filters of a ``[[parameter]]``'s path,
    checked against the schema; ``None`` after recording what is wrong with it."""
    path = table.get("path")
    if path is None:
        bad(None, 'has no path: add path = "<table>.<column>[<filter>, ...]"')
        return None
    parts = PATH.fullmatch(path) if isinstance(path, str) else None
    if parts is None:
        bad(
            "path",
            f"{path!r} is not a path: expected <table>.<column>[<filter>, ...] "
            '(e.g. "offers.price_usd_per_t[supplier=irel]") or a policy.* key of scenario.toml',
        )
        return None
    table_name, column, filters = parts.groups()
    if table_name in SWEEP_TABLES:
        return _table_target(table_name, column, filters, bad)
    return _settings_target(table_name, column, filters, bad)


def _table_target(
    table: str, column: str, filters: str | None, bad: ParameterProblems
) -> Target | None:
    spec = TABLES[table]
    fields = {f.column: f for f in table_fields(spec.file)}
    numeric = [f.column for f in fields.values() if f.type in NUMERIC_TYPES]
    if column not in fields:
        hint = did_you_mean(column, [*fields])
        hint = hint or f"; numeric columns of {table}: {', '.join(numeric)}"
        bad("path", f"{table} has no column '{column}'{hint}")
        return None
    if fields[column].type not in NUMERIC_TYPES:
        bad(
            "path",
            f"{table}.{column} is not a numeric column (type {fields[column].type}); "
            f"numeric columns of {table}: {', '.join(numeric)}",
        )
        return None
    parsed = _filters(table, filters, bad)
    return None if parsed is None else Target(table, column, parsed, fields[column])


def _filter_columns(table: str) -> list[str]:
    columns = [f.column for f in table_fields(TABLES[table].file) if f.type in FILTER_TYPES]
    return [*columns, "country"] if table == "offers" else columns


def _filters(
    table: str, text: str | None, bad: ParameterProblems
) -> tuple[tuple[str, str], ...] | None:
    if text is None or not text.strip():
        return ()
    allowed = _filter_columns(table)
    parsed: list[tuple[str, str]] = []
    for part in text.split(","):
        column, equals, value = (s.strip() for s in part.partition("="))
        if not equals or not column:
            bad("path", f"filter '{part.strip()}' must be <column>=<value> (value may be blank)")
            return None
        if column not in allowed:
            hint = did_you_mean(column, allowed) or f"; {table} is filtered by {', '.join(allowed)}"
            bad("path", f"{table} cannot be filtered by '{column}'{hint}")
            return None
        if column in (c for c, _ in parsed):
            bad("path", f"filter '{column}' is given twice")
            return None
        parsed.append((column, value))
    return tuple(parsed)


def _settings_target(
    table: str, key: str, filters: str | None, bad: ParameterProblems
) -> Target | None:
    column = f"{table}.{key}"
    known = {f.column: f for f in table_fields(SETTINGS_FILE)}
    sweepable = [
        c for c, f in known.items()
        if c.partition(".")[0] in SWEEPABLE_SETTINGS and f.type in NUMERIC_TYPES
    ]  # fmt: skip
    tables = {c.partition(".")[0] for c in known if "." in c}
    if table not in tables:
        choices = [*SWEEP_TABLES, *SWEEPABLE_SETTINGS]
        bad(
            "path",
            f"unknown table '{table}'{did_you_mean(table, choices)} (tables: "
            f"{', '.join(SWEEP_TABLES)}; "
            f"or a key of scenario.toml: {', '.join(sweepable)})",
        )
        return None
    if column not in known:
        hint = did_you_mean(column, sweepable, listing=True)
        bad("path", f"scenario.toml has no key '{column}'{hint}")
        return None
    if table not in SWEEPABLE_SETTINGS:
        why = "it changes the model's structure" if table == "horizon" else "it is no input"
        bad("path", f"{column} cannot be swept ({why}); sweepable keys: {', '.join(sweepable)}")
        return None
    if column not in sweepable:
        bad("path", f"{column} is not a number; sweepable keys: {', '.join(sweepable)}")
        return None
    if filters is not None:
        bad("path", f'a scenario.toml key takes no [filters]: write path = "{column}"')
        return None
    return Target(SETTINGS_TABLE, column, (), known[column])


def target_rows(scenario: Scenario, target: Target, bad: ParameterProblems) -> np.ndarray | None:
    """Row positions the filters match; ``None`` after recording a filter that matches none."""
    frame = scenario.table(target.table)
    file = TABLES[target.table].file
    mask = np.ones(len(frame), dtype=bool)
    for column, value in target.filters:
        cells = filter_cells(scenario, target.table, column)
        matched = _equal(cells, value)
        if not matched.any():
            bad("path", _no_match(file, column, value, cells))
            return None
        mask &= matched
    if not mask.any():
        if not target.filters:
            bad("path", f"{file} has no rows")
        else:
            wanted = " and ".join(_having(c, v) for c, v in target.filters)
            bad("path", f"no row of {file} has {wanted}")
        return None
    return np.flatnonzero(mask)


def filter_cells(scenario: Scenario, table: str, column: str) -> pd.Series:
    """A filter column's cells; ``country`` on offers is each offer's supplier's country."""
    frame = scenario.table(table)
    if table == "offers" and column == "country":
        countries = scenario.suppliers.set_index("supplier")["country"]
        return frame["supplier"].map(countries)
    return frame[column]


def _equal(cells: pd.Series, value: str) -> np.ndarray:
    if value == "":
        return cells.isna().to_numpy() | (cells.astype(object) == "").to_numpy()
    return (cells == value).fillna(False).to_numpy(dtype=bool)


def _having(column: str, value: str) -> str:
    return f"a blank {column}" if value == "" else f"{column} '{value}'"


def _no_match(file: str, column: str, value: str, cells: pd.Series) -> str:
    present = sorted({str(c) for c in cells.dropna() if str(c)})
    if column == "country" and file == "offers.csv":
        country = "a blank country" if value == "" else f"country '{value}'"
        where = f"no offer in {file} is from a supplier of {country}"
    else:
        where = f"no row of {file} has {_having(column, value)}"
    if value == "":
        return where
    hint = did_you_mean(value, present)
    if not hint and present:
        hint = f"; present: {', '.join(present[:10])}" + (", ..." if len(present) > 10 else "")
    return where + hint


# --- applying a point ----------------------------------------------------------------------

# Row positions by (table frame, suppliers frame or None, filters); entries die with the frames.
_ROWS: dict[tuple, tuple[weakref.ref, weakref.ref | None, np.ndarray]] = {}


def matched_rows(scenario: Scenario, parameter: Parameter) -> np.ndarray:
    """Positions of the rows ``parameter`` changes in its table, cached per table object."""
    frame = scenario.table(parameter.table)
    by_country = parameter.table == "offers" and any(c == "country" for c, _ in parameter.filters)
    suppliers = scenario.suppliers if by_country else None
    key = (id(frame), id(suppliers), parameter.filters)
    hit = _ROWS.get(key)
    if hit is not None and hit[0]() is frame and (hit[1] is None or hit[1]() is suppliers):
        return hit[2]
    mask = np.ones(len(frame), dtype=bool)
    for column, value in parameter.filters:
        mask &= _equal(filter_cells(scenario, parameter.table, column), value)
    rows = np.flatnonzero(mask)
    rows.setflags(write=False)
    _ROWS[key] = (weakref.ref(frame), None if suppliers is None else weakref.ref(suppliers), rows)
    weakref.finalize(frame, _ROWS.pop, key, None)
    return rows


def apply_point(
    scenario: Scenario, parameters: Sequence[Parameter], values: Mapping[str, float]
) -> Scenario:
    """A copy of ``scenario`` with each parameter at ``values[parameter.name]`` (other keys of
    ``values`` are ignored; a missing one is a ``KeyError``), applied in parameter order.

    ``set`` assigns the value to every matched cell (a blank "unlimited" or "not set" cell
    included); ``factor`` multiplies the matched cells that hold a finite number (blank/NaN and
    infinite cells stay as they are). Nothing is re-validated and ``scenario`` is not changed;
    row matches are computed once per table object, so apply points to the same base scenario.
    """
    settings: dict[str, float] = {}
    columns: dict[str, dict[str, np.ndarray]] = {}
    for parameter in parameters:
        value = float(values[parameter.name])
        if parameter.table == SETTINGS_TABLE:
            attribute = parameter.column.rpartition(".")[2]
            current = settings.get(attribute, getattr(scenario.settings, attribute))
            settings[attribute] = value if parameter.mode == "set" else current * value
            continue
        table = columns.setdefault(parameter.table, {})
        if parameter.column not in table:
            frame = scenario.table(parameter.table)
            table[parameter.column] = frame[parameter.column].to_numpy(copy=True)
        cells, rows = table[parameter.column], matched_rows(scenario, parameter)
        if parameter.mode == "factor":
            rows = rows[np.isfinite(cells[rows])]
            cells[rows] = cells[rows] * value
        elif cells.dtype.kind in "iu":
            cells[rows] = round(value)
        else:
            cells[rows] = value
    changes: dict[str, Any] = {}
    for name, table in columns.items():
        frame = scenario.table(name).copy(deep=False)
        for column, cells in table.items():
            frame[column] = cells
        changes[name] = frame
    if settings:
        changes["settings"] = scenario.settings.with_changes(**settings)
    # checked by the caller (scenario_problems): a point's problems are its row, not an error
    return scenario.with_changes(check=False, **changes) if changes else scenario
