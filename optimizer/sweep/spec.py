"""Sweep files: a base scenario, the parameters to vary and a design, checked before anything runs.

A sweep file (``sweeps/*.toml``, anywhere) names a base scenario (a folder or an ``.xlsx``
workbook, relative to the sweep file) and ``[[parameter]]`` tables. Each parameter is a path into
the scenario's tables, ``<table>.<column>[<filter>, ...]`` (``offers.price_usd_per_t
[supplier=russia-solikamsk]``, ``country_caps.max_share[country=CN, material=]``), or a numeric
``policy.*`` key of ``scenario.toml``; ``mode = "set"`` assigns each value to every matched cell,
``mode = "factor"`` multiplies them. Values come from a list, a ``range`` (start, stop, step) or,
for Latin-hypercube designs, a ``distribution``. Designs: ``grid`` (every combination),
``one-at-a-time`` (the base point, then each parameter's values with the others at base) and
``latin-hypercube`` (``samples`` seeded points). :func:`load_sweep` reports every problem of the
file and of its base scenario at once, as a :class:`~optimizer.inputs.problems.ScenarioError`;
:func:`apply_point` builds one point's scenario cheaply.
"""

from __future__ import annotations

import difflib
import hashlib
import math
import os
import re
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import qmc

from optimizer.inputs.loading import load_scenario
from optimizer.inputs.problems import Problem, ScenarioError
from optimizer.inputs.reading import parse_toml, read_text
from optimizer.inputs.scenario import Scenario
from optimizer.inputs.schema import SETTINGS_FILE, TABLES, Field, table_fields
from optimizer.inputs.settings import NAME_PATTERN
from optimizer.results.tables import COST_COMPONENTS

DESIGNS = ("grid", "one-at-a-time", "latin-hypercube")
LHS = "latin-hypercube"
OAT = "one-at-a-time"
MODES = ("set", "factor")
MAX_POINTS = 100_000  # the most points a sweep may have, whatever its design
SETTINGS_TABLE = "settings"  # Parameter.table of a scenario.toml key
SWEEPABLE_SETTINGS = "policy"  # only numeric keys of [policy] change inputs, not the structure
NUMERIC_TYPES = ("number", "integer", "share")
FILTER_TYPES = ("id", "month")
# Columns of the results table besides the parameters: a parameter of one of these names would
# be overwritten in its row (and its journal records would never match the point again).
RESERVED_NAMES = (
    "point", "status", "termination", "objective_usd", "largest_country_share", "warm",
    "solve_s", "worker", "diagnosis", *COST_COMPONENTS,
)  # fmt: skip
RESERVED_PREFIXES = (
    "share_", "top_country_", "top_share_", "shortfall_t_", "cover_months_", "built_", "signed_",
)  # fmt: skip
PARAMETER_NAME = re.compile(r"[a-z0-9_]+")  # used with fullmatch
SIGNIFICANT_DIGITS = 10  # sampled values are rounded so CSV/Parquet round trips are exact
TOP_KEYS = ("name", "description", "scenario", "design", "samples", "seed", "parameter")
PARAMETER_KEYS = ("name", "path", "mode", "values", "range", "distribution")
SOURCES = ("values", "range", "distribution")
RANGE_KEYS = ("start", "stop", "step")
DISTRIBUTIONS = {
    "uniform": ("low", "high"),
    "triangular": ("low", "mode", "high"),
    "loguniform": ("low", "high"),
}
PATH = re.compile(r"\s*([A-Za-z_]\w*)\.([A-Za-z_]\w*)\s*(?:\[(.*)\])?\s*")  # used with fullmatch


@dataclass(frozen=True)
class Parameter:
    """One varied input.

    ``table`` is an input table (``offers``) or ``"settings"`` for a ``scenario.toml`` key, in
    which case ``column`` is the dotted key (``policy.stockpile_cover_months``) and ``filters``
    is empty. ``values`` holds the listed values or the range's (``None`` when only a
    ``distribution`` is given). ``base`` is the base point's value: 1.0 for a factor; for
    ``set``, the current value of the first matched cell in table order (if the matched cells
    differ, e.g. China's general cap 0.6 and its magnet cap 0.8, setting ``base`` does not give
    back the base scenario; one-at-a-time designs refuse such a parameter), NaN for a blank
    "not set" cell, ``inf`` for a blank "unlimited" one; or the settings value.
    """

    name: str
    path: str
    table: str
    column: str
    filters: tuple[tuple[str, str], ...]
    mode: str
    values: tuple[float, ...] | None
    distribution: dict | None = field(hash=False)
    base: float


@dataclass(frozen=True, eq=False)
class Sweep:
    """A checked sweep file and its loaded base scenario."""

    name: str
    file: Path
    scenario_path: Path
    scenario: Scenario
    design: str
    samples: int | None
    seed: int
    parameters: tuple[Parameter, ...]
    fingerprint: str  # sha256 of the sweep file and every input file of the base scenario
    description: str = ""

    def points(self) -> pd.DataFrame:
        """The points to run: ``point`` (0..n-1) then one float column per parameter, in
        parameter order. The same on every run and machine.

        ``grid``: the cartesian product, first parameter slowest. ``one-at-a-time``: point 0 has
        every parameter at its base, then each parameter's values in turn (the others at base),
        skipping a value equal to the base. ``latin-hypercube``: ``samples`` points of
        ``scipy.stats.qmc.LatinHypercube`` drawn with ``numpy.random.default_rng(seed)`` (one
        sample per stratum per dimension), mapped through each parameter's distribution
        (uniform between the least and greatest value for values or a range), rounded to 10
        significant digits (to whole numbers for integer columns set).
        """
        if self.design == "grid":
            columns = _grid(self.parameters)
        elif self.design == OAT:
            columns = _one_at_a_time(self.parameters)
        else:
            columns = _latin_hypercube(self.parameters, self.samples or 0, self.seed)
        count = len(columns[0]) if columns else 0
        frame = pd.DataFrame({"point": np.arange(count, dtype=np.int64)})
        for parameter, values in zip(self.parameters, columns, strict=True):
            frame[parameter.name] = np.asarray(values, dtype=np.float64)
        return frame


# --- loading -------------------------------------------------------------------------------


def load_sweep(path: str | Path) -> Sweep:
    """Read and check a sweep file and its base scenario; raise :class:`ScenarioError` listing
    every problem (the base scenario's own problems included) before anything runs."""
    file = Path(path)
    label = str(path)
    problems: list[Problem] = []
    text = read_text(file, label, problems)
    document = None if text is None else parse_toml(text, label, problems)
    if document is None or text is None:
        raise ScenarioError(problems)
    report = _Report(label, _Lines(text), problems)
    _check_keys(document, TOP_KEYS, report.top, "")
    name = _sweep_name(document, file, report)
    description = _description(document, report)
    design = _design(document, report)
    samples, seed = _samples_and_seed(document, design, report)
    scenario_path, scenario = _base_scenario(document, file, report)
    parameters = _parameters(document, design, scenario, report)
    if not problems:
        _check_count(design, samples, parameters, report)
    if problems or scenario is None or scenario_path is None:
        raise ScenarioError(problems)
    return Sweep(
        name=name,
        file=file,
        scenario_path=scenario_path,
        scenario=scenario,
        design=design,
        samples=samples,
        seed=seed,
        parameters=tuple(parameters),
        fingerprint=fingerprint(file, scenario_path),
        description=description,
    )


def fingerprint(file: Path, scenario_path: Path) -> str:
    """sha256 over the sweep file's bytes and each input file of the base scenario (its
    ``scenario.toml`` and table CSV files, or the workbook), each with its name."""
    digest = hashlib.sha256()
    parts = [("sweep", file)]
    if scenario_path.is_dir():
        names = [SETTINGS_FILE, *(spec.file for spec in TABLES.values())]
        parts += [(name, scenario_path / name) for name in names]
    else:
        parts.append((scenario_path.name, scenario_path))
    for name, part in parts:
        data = part.read_bytes() if part.is_file() else b""
        digest.update(f"{name}\0{len(data) if part.is_file() else -1}\0".encode())
        digest.update(data)
    return digest.hexdigest()


class _Lines:
    """Where keys are written in the sweep file (``tomllib`` gives no positions)."""

    HEADER = re.compile(r"\s*\[")
    PARAMETER = re.compile(r"\s*\[\[\s*parameter\s*\]\]")

    def __init__(self, text: str):
        self.lines = text.splitlines()
        numbered = list(enumerate(self.lines, start=1))
        self.headers = [n for n, line in numbered if self.HEADER.match(line)]
        self.blocks = [n for n, line in numbered if self.PARAMETER.match(line)]

    def top(self, key: str) -> int | None:
        """The line of a top-level ``key = ...``, or of the first ``[key]`` or ``[[key]]``."""
        end = self.headers[0] if self.headers else len(self.lines) + 1
        found = self._find(key, 1, end)
        if found is not None:
            return found
        header = re.compile(rf"\s*\[\[?\s*{re.escape(key)}\s*\]")
        return next((n for n in self.headers if header.match(self.lines[n - 1])), None)

    def parameter(self, index: int, key: str | None = None) -> int | None:
        """The line of ``key`` in the ``index``-th (0-based) ``[[parameter]]`` block, or of its
        header; for an inline array of tables, the ``parameter = [...]`` line."""
        if index >= len(self.blocks):
            return self.top("parameter")
        header = self.blocks[index]
        if key is None:
            return header
        after = [n for n in self.headers if n > header]
        own_end = after[0] if after else len(self.lines) + 1
        block_end = next((n for n in self.blocks if n > header), len(self.lines) + 1)
        sub_table = re.compile(rf"\s*\[\s*parameter\s*\.\s*{re.escape(key)}\s*\]")
        for number in range(own_end, block_end):
            if sub_table.match(self.lines[number - 1]):
                return number
        return self._find(key, header + 1, own_end) or header

    def _find(self, key: str, start: int, end: int) -> int | None:
        pattern = re.compile(rf"\s*(?:{re.escape(key)}|\"{re.escape(key)}\")\s*[=.]")
        for number in range(start, min(end, len(self.lines) + 1)):
            if pattern.match(self.lines[number - 1]):
                return number
        return None


@dataclass
class _Report:
    """Records problems located in the sweep file."""

    file: str
    lines: _Lines
    problems: list[Problem]

    def top(self, key: str, message: str, line_key: str | None = None) -> None:
        line = self.lines.top((line_key or key).split(".")[0])
        self.problems.append(Problem(self.file, line, key, message))

    def parameter(self, index: int, key: str | None, message: str) -> None:
        line = self.lines.parameter(index, key.split(".")[0] if key else None)
        column = f"parameter[{index + 1}]" + (f".{key}" if key else "")
        self.problems.append(Problem(self.file, line, column, message))

    def at(self, index: int) -> _At:
        return _At(self, index)


@dataclass
class _At:
    """Records problems of one parameter (``index`` is 0-based, shown 1-based)."""

    report: _Report
    index: int

    def __call__(self, key: str | None, message: str) -> None:
        self.report.parameter(self.index, key, message)

    @property
    def count(self) -> int:
        return len(self.report.problems)


def _check_keys(table: dict, known: Sequence[str], bad, prefix: str) -> None:
    for key in table:
        if key not in known:
            bad(f"{prefix}{key}", f"unknown key{_hint(key, known, listing=True)}")


def _sweep_name(document: dict, file: Path, report: _Report) -> str:
    name = document.get("name", file.stem)
    if not isinstance(name, str):
        report.top("name", f"must be a quoted string, not {name!r}")
        return file.stem
    if not NAME_PATTERN.fullmatch(name):
        where = "" if "name" in document else ' (the file\'s name: add name = "...")'
        report.top(
            "name",
            f"'{name}'{where} must be letters, digits, '.', '_' or '-' "
            "(it names the results folder results/sweeps/<name>/)",
        )
    return name


def _description(document: dict, report: _Report) -> str:
    description = document.get("description", "")
    if not isinstance(description, str):
        report.top("description", f"must be a quoted string, not {description!r}")
        return ""
    return description


def _design(document: dict, report: _Report) -> str:
    design = document.get("design", "grid")
    if design not in DESIGNS:
        shown = repr(design) if not isinstance(design, str) else f"'{design}'"
        report.top("design", f"{shown} is not a design{_hint(str(design), DESIGNS, listing=True)}")
        return ""
    return design


def _samples_and_seed(document: dict, design: str, report: _Report) -> tuple[int | None, int]:
    samples, seed = document.get("samples"), document.get("seed", 0)
    for key, value in (("samples", samples), ("seed", document.get("seed"))):
        if value is not None and design and design != LHS:
            report.top(key, f"is only used by design = '{LHS}', not '{design}'")
    if design == LHS and samples is None:
        report.top("samples", f"is missing: design = '{LHS}' needs a number of samples", "design")
    elif samples is not None and not _is_whole(samples, 1, MAX_POINTS):
        report.top("samples", f"must be a whole number from 1 to {MAX_POINTS:,}, not {samples!r}")
        samples = None
    if not _is_whole(seed, 0, None):
        report.top("seed", f"must be a whole number of at least 0, not {seed!r}")
        seed = 0
    return (samples if design == LHS else None), seed


def _is_whole(value: Any, low: int, high: int | None) -> bool:
    return (
        isinstance(value, int)
        and not isinstance(value, bool)
        and value >= low
        and (high is None or value <= high)
    )


def _base_scenario(
    document: dict, file: Path, report: _Report
) -> tuple[Path | None, Scenario | None]:
    given = document.get("scenario")
    if given is None:
        report.top("scenario", "is missing: name the base scenario folder or .xlsx workbook")
        return None, None
    if not isinstance(given, str) or not given.strip():
        report.top("scenario", f"must be a quoted path, not {given!r}")
        return None, None
    path = Path(os.path.normpath(file.parent / given))
    if not path.exists():
        where = "" if str(path) == given else f" (looked for {path})"
        report.top("scenario", f"base scenario '{given}' not found{where}")
        return None, None
    try:
        return path, load_scenario(path)
    except ScenarioError as error:
        report.top("scenario", f"the base scenario {path} has problems (listed with its files)")
        for problem in error.problems:
            report.problems.append(_in_scenario(problem, path))
        return path, None


def _in_scenario(problem: Problem, path: Path) -> Problem:
    """A problem of the base scenario, with a folder's file named by its path."""
    if not path.is_dir() or Path(problem.file).parent != Path("."):
        return problem
    return Problem(str(path / problem.file), problem.line, problem.column, problem.message)


def _check_count(
    design: str, samples: int | None, parameters: list[Parameter], report: _Report
) -> None:
    if design == "grid":
        count = math.prod(len(p.values or ()) for p in parameters)
        what = "grid"
        advice = "use fewer values, or design = 'latin-hypercube'"
    elif design == OAT:
        count = 1 + sum(len(p.values or ()) for p in parameters)
        what, advice = "one-at-a-time design", "use fewer values"
    else:
        return
    if count > MAX_POINTS:
        report.top("design", f"the {what} has {count:,} points; at most {MAX_POINTS:,}: {advice}")


# --- parameters ----------------------------------------------------------------------------


@dataclass
class _Target:
    """Where a parameter's path points."""

    table: str
    column: str
    filters: tuple[tuple[str, str], ...]
    field: Field


def _parameters(
    document: dict, design: str, scenario: Scenario | None, report: _Report
) -> list[Parameter]:
    raw = document.get("parameter")
    if raw is None:
        report.problems.append(
            Problem(report.file, None, "parameter", "no parameters: add a [[parameter]] table")
        )
        return []
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        report.top("parameter", "must be an array of tables: write [[parameter]], not [parameter]")
        return []
    if not raw:
        report.top("parameter", "is empty: add a [[parameter]] table")
    parameters: list[Parameter] = []
    seen: dict[str, int] = {}
    for index, table in enumerate(raw):
        name = table.get("name")
        if isinstance(name, str) and name in seen:
            report.parameter(
                index, "name", f"'{name}' is also the name of parameter[{seen[name] + 1}]"
            )
        elif isinstance(name, str):
            seen[name] = index
        parameter = _parameter(table, design, scenario, report.at(index))
        if parameter is not None:
            parameters.append(parameter)
    return parameters


def _parameter(table: dict, design: str, scenario: Scenario | None, bad: _At) -> Parameter | None:
    found = bad.count
    _check_keys(table, PARAMETER_KEYS, bad, "")
    name = _parameter_name(table, bad)
    mode = table.get("mode", "set")
    if mode not in MODES:
        bad("mode", f"{mode!r} is not a mode{_hint(str(mode), MODES, listing=True)}")
    target = _target(table, bad)
    varied = _sources(table, design, bad)
    if target is not None and mode == "factor" and target.field.type == "integer":
        bad("mode", f"'factor' does not apply to the integer column {_what(target)}: use 'set'")
        target = None
    cells = None if target is None or scenario is None else _matched_cells(scenario, target, bad)
    base = math.nan
    if target is not None and mode in MODES and varied is not None:
        _check_bounds(target, mode, varied, bad)
        if cells is not None:
            base = _base_value(cells, target, mode, varied, design, bad)
    if bad.count > found or target is None or varied is None:
        return None
    return Parameter(
        name=name,
        path=table["path"].strip(),
        table=target.table,
        column=target.column,
        filters=target.filters,
        mode=mode,
        values=varied.values,
        distribution=varied.distribution,
        base=base,
    )


def _parameter_name(table: dict, bad: _At) -> str:
    name = table.get("name")
    if name is None:
        bad(None, 'has no name: add name = "..." (a column of the results table)')
        return ""
    if not isinstance(name, str) or not PARAMETER_NAME.fullmatch(name):
        bad("name", f"{name!r} must be lower-case letters, digits and '_' (a results column)")
    elif name in RESERVED_NAMES or name.startswith(RESERVED_PREFIXES):
        bad("name", f"'{name}' is a column of the results table; name the parameter otherwise")
    return str(name)


def _target(table: dict, bad: _At) -> _Target | None:
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
    if table_name in TABLES:
        return _table_target(table_name, column, filters, bad)
    return _settings_target(table_name, column, filters, bad)


def _table_target(table: str, column: str, filters: str | None, bad: _At) -> _Target | None:
    spec = TABLES[table]
    fields = {f.column: f for f in table_fields(spec.file)}
    numeric = [f.column for f in fields.values() if f.type in NUMERIC_TYPES]
    if column not in fields:
        hint = _hint(column, [*fields]) or f"; numeric columns of {table}: {', '.join(numeric)}"
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
    return None if parsed is None else _Target(table, column, parsed, fields[column])


def _filter_columns(table: str) -> list[str]:
    columns = [f.column for f in table_fields(TABLES[table].file) if f.type in FILTER_TYPES]
    return [*columns, "country"] if table == "offers" else columns


def _filters(table: str, text: str | None, bad: _At) -> tuple[tuple[str, str], ...] | None:
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
            hint = _hint(column, allowed) or f"; {table} is filtered by {', '.join(allowed)}"
            bad("path", f"{table} cannot be filtered by '{column}'{hint}")
            return None
        if column in (c for c, _ in parsed):
            bad("path", f"filter '{column}' is given twice")
            return None
        parsed.append((column, value))
    return tuple(parsed)


def _settings_target(table: str, key: str, filters: str | None, bad: _At) -> _Target | None:
    column = f"{table}.{key}"
    known = {f.column: f for f in table_fields(SETTINGS_FILE)}
    sweepable = [c for c, f in known.items() if c.startswith("policy.") and f.type in NUMERIC_TYPES]
    tables = {c.partition(".")[0] for c in known if "." in c}
    if table not in tables:
        choices = [*TABLES, SWEEPABLE_SETTINGS]
        bad(
            "path",
            f"unknown table '{table}'{_hint(table, choices)} (tables: {', '.join(TABLES)}; "
            f"or a key of scenario.toml: {', '.join(sweepable)})",
        )
        return None
    if column not in known:
        bad("path", f"scenario.toml has no key '{column}'{_hint(column, sweepable, listing=True)}")
        return None
    if table != SWEEPABLE_SETTINGS:
        why = "it changes the model's structure" if table == "horizon" else "it is no input"
        bad("path", f"{column} cannot be swept ({why}); sweepable keys: {', '.join(sweepable)}")
        return None
    if column not in sweepable:
        bad("path", f"{column} is not a number; sweepable keys: {', '.join(sweepable)}")
        return None
    if filters is not None:
        bad("path", f'a scenario.toml key takes no [filters]: write path = "{column}"')
        return None
    return _Target(SETTINGS_TABLE, column, (), known[column])


@dataclass
class _Varied:
    """What a parameter takes: listed values (from values or a range) or a distribution."""

    key: str  # the key giving them: values | range | distribution
    values: tuple[float, ...] | None
    distribution: dict | None

    @property
    def support(self) -> list[float]:
        """The values that bound the others: every listed one, or the distribution's ends."""
        if self.values is not None:
            return list(self.values)
        assert self.distribution is not None
        return [self.distribution["low"], self.distribution["high"]]


def _sources(table: dict, design: str, bad: _At) -> _Varied | None:
    """The parameter's values (from a list or a range) or distribution, checked."""
    given = [key for key in SOURCES if key in table]
    if len(given) > 1:
        bad(given[1], f"give only one of values, range and distribution, not {', '.join(given)}")
        return None
    if not given:
        wanted = "values, a range or a distribution" if design == LHS else "values or a range"
        bad(None, f"has nothing to vary: give {wanted}")
        return None
    key = given[0]
    if key == "distribution":
        if design and design != LHS:
            bad(key, f"is only sampled by design = '{LHS}': give values or a range")
            return None
        distribution = _distribution(table[key], bad)
        return None if distribution is None else _Varied(key, None, distribution)
    values = _values(table[key], bad) if key == "values" else _range(table[key], bad)
    return None if values is None else _Varied(key, values, None)


def _values(raw: Any, bad: _At) -> tuple[float, ...] | None:
    if not isinstance(raw, list):
        bad("values", f"must be a list of numbers, e.g. values = [0.4, 0.5], not {raw!r}")
        return None
    if not raw:
        bad("values", "is empty: give at least one value")
        return None
    seen: set[float] = set()
    for position, value in enumerate(raw, start=1):
        if not _is_number(value):
            bad("values", f"value {position} must be a finite number, not {value!r}")
        elif value in seen:
            bad("values", f"value {value!r} appears twice")
        seen.add(value)
    numbers = all(_is_number(value) for value in raw)  # duplicates are still checked for bounds
    return tuple(float(value) for value in raw) if numbers else None


def _range(raw: Any, bad: _At) -> tuple[float, ...] | None:
    numbers = _numbers(
        raw, "range", RANGE_KEYS, "range = { start = 0.4, stop = 0.8, step = 0.1 }", bad
    )
    if numbers is None:
        return None
    start, stop, step = numbers["start"], numbers["stop"], numbers["step"]
    if step <= 0:
        bad("range.step", f"must be greater than 0, not {step:g}")
        return None
    if stop < start:
        bad("range.stop", f"{stop:g} is below start {start:g}")
        return None
    steps = math.floor((stop - start) / step + 1e-9)
    if steps + 1 > MAX_POINTS:
        bad("range", f"gives {steps + 1:,} values; at most {MAX_POINTS:,}: use a larger step")
        return None
    return tuple(_round(start + i * step) for i in range(steps + 1))


def _distribution(raw: Any, bad: _At) -> dict | None:
    example = 'distribution = { kind = "uniform", low = 0.4, high = 0.8 }'
    if not isinstance(raw, dict):
        bad("distribution", f"must be a table, e.g. {example}")
        return None
    kind = raw.get("kind")
    if kind not in DISTRIBUTIONS:
        message = "is missing" if kind is None else f"{kind!r} is not a distribution"
        bad("distribution.kind", f"{message}{_hint(str(kind), DISTRIBUTIONS, listing=True)}")
        return None
    keys = DISTRIBUTIONS[kind]
    numbers = _numbers(
        {k: v for k, v in raw.items() if k != "kind"}, "distribution", keys, example, bad
    )
    if numbers is None:
        return None
    low, high = numbers["low"], numbers["high"]
    if not low < high:
        bad("distribution.high", f"{high:g} must be greater than low {low:g}")
        return None
    if kind == "triangular" and not low <= numbers["mode"] <= high:
        bad(
            "distribution.mode", f"{numbers['mode']:g} is not between low {low:g} and high {high:g}"
        )
        return None
    if kind == "loguniform" and low <= 0:
        bad(
            "distribution.low", f"must be greater than 0 for a loguniform distribution, not {low:g}"
        )
        return None
    return {"kind": kind, **numbers}


def _numbers(
    raw: Any, key: str, keys: Sequence[str], example: str, bad: _At
) -> dict[str, float] | None:
    """A table of exactly ``keys``, each a finite number."""
    if not isinstance(raw, dict):
        bad(key, f"must be a table, e.g. {example}")
        return None
    found = bad.count
    _check_keys(raw, keys, bad, f"{key}.")
    numbers: dict[str, float] = {}
    for name in keys:
        value = raw.get(name)
        if value is None:
            bad(f"{key}.{name}", f"is missing, e.g. {example}")
        elif not _is_number(value):
            bad(f"{key}.{name}", f"must be a finite number, not {value!r}")
        else:
            numbers[name] = float(value)
    return None if bad.count > found else numbers


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _check_bounds(target: _Target, mode: str, varied: _Varied, bad: _At) -> None:
    """Set values within the column's schema bounds (whole for integers); factors at least 0."""
    support = varied.support
    if mode == "factor":
        below = [v for v in support if v < 0]
        if below:
            bad(varied.key, f"{_listed(below, 'factor')} below 0: a factor must be at least 0")
        return
    spec, what = target.field, _what(target)
    below = [v for v in support if spec.min is not None and v < spec.min]
    above = [v for v in support if spec.max is not None and v > spec.max]
    if below:
        bad(varied.key, f"{_listed(below)} below the minimum {spec.min:g} of {what}")
    if above:
        bad(varied.key, f"{_listed(above)} above the maximum {spec.max:g} of {what}")
    if spec.type == "integer" and varied.values is not None:
        broken = [v for v in varied.values if v != int(v)]
        if broken:
            bad(varied.key, f"{_listed(broken)} not whole: {what} is an integer column")


def _listed(values: list[float], noun: str = "value") -> str:
    shown = ", ".join(f"{v:g}" for v in values[:5]) + (", ..." if len(values) > 5 else "")
    return f"{noun} {shown} is" if len(values) == 1 else f"{noun}s {shown} are"


def _what(target: _Target) -> str:
    return target.column if target.table == SETTINGS_TABLE else f"{target.table}.{target.column}"


def _matched_cells(scenario: Scenario, target: _Target, bad: _At) -> np.ndarray | None:
    """The current values of the cells a parameter changes; ``None`` after recording filters
    that match no row."""
    if target.table == SETTINGS_TABLE:
        current = getattr(scenario.settings, target.column.rpartition(".")[2])
        return np.array([math.nan if current is None else float(current)])
    rows = _matched_rows(scenario, target, bad)
    if rows is None:
        return None
    return scenario.table(target.table)[target.column].to_numpy(dtype=np.float64)[rows]


def _base_value(
    cells: np.ndarray, target: _Target, mode: str, varied: _Varied, design: str, bad: _At
) -> float:
    """The base point's value, after checking factors keep the cells within the column's
    bounds and a one-at-a-time base is one value."""
    if mode == "factor":
        _check_factor_top(cells, target, varied, bad)
        return 1.0
    distinct = pd.unique(cells)
    if design == OAT and len(distinct) > 1:
        shown = ", ".join(f"{v:g}" for v in distinct[:5])
        bad(
            "path",
            f"matches cells with different values ({shown}): a one-at-a-time base must be one "
            'value; narrow the filters or use mode = "factor"',
        )
    return float(cells[0])


def _check_factor_top(cells: np.ndarray, target: _Target, varied: _Varied, bad: _At) -> None:
    finite = cells[np.isfinite(cells)]
    high = target.field.max
    if high is None or not finite.size:
        return
    top, largest = float(finite.max()), max(varied.support)
    if top * largest > high:
        bad(
            varied.key,
            f"factor {largest:g} takes {_what(target)} from {top:g} to {_round(top * largest):g}, "
            f"above its maximum {high:g}",
        )


def _matched_rows(scenario: Scenario, target: _Target, bad: _At) -> np.ndarray | None:
    """Row positions the filters match; ``None`` after recording a filter that matches none."""
    frame = scenario.table(target.table)
    file = TABLES[target.table].file
    mask = np.ones(len(frame), dtype=bool)
    for column, value in target.filters:
        cells = _filter_cells(scenario, target.table, column)
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


def _filter_cells(scenario: Scenario, table: str, column: str) -> pd.Series:
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
    hint = _hint(value, present)
    if not hint and present:
        hint = f"; present: {', '.join(present[:10])}" + (", ..." if len(present) > 10 else "")
    return where + hint


def _hint(word: str, candidates: Sequence[str], *, listing: bool = False) -> str:
    """``; did you mean 'x'?`` from close or containing candidates; else, with ``listing``,
    the candidates themselves."""
    candidates = list(candidates)
    lower = word.lower()
    close = [c for c in candidates if c.lower() == lower]
    close = close or [
        c
        for c in candidates
        if len(lower) >= 3 and (lower in c.lower() or lower.startswith(c.lower()))
    ]
    close = close or difflib.get_close_matches(word, candidates, n=1)
    if close:
        return "; did you mean " + " or ".join(f"'{c}'" for c in close[:3]) + "?"
    return f"; expected one of {', '.join(candidates)}" if listing else ""


def _round(value: float) -> float:
    return float(f"{value:.{SIGNIFICANT_DIGITS}g}")


# --- designs -------------------------------------------------------------------------------


def _grid(parameters: Sequence[Parameter]) -> list[np.ndarray]:
    axes = [np.asarray(p.values, dtype=np.float64) for p in parameters]
    return [axis.ravel() for axis in np.meshgrid(*axes, indexing="ij")]


def _one_at_a_time(parameters: Sequence[Parameter]) -> list[np.ndarray]:
    base = [p.base for p in parameters]
    rows = [base]
    for position, parameter in enumerate(parameters):
        for value in parameter.values or ():
            if _same(value, parameter.base):
                continue
            rows.append([*base[:position], value, *base[position + 1 :]])
    table = np.array(rows, dtype=np.float64)
    return [table[:, position] for position in range(len(parameters))]


def _same(a: float, b: float) -> bool:
    return a == b or math.isclose(a, b, rel_tol=1e-12, abs_tol=0.0)


def _latin_hypercube(parameters: Sequence[Parameter], samples: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    try:
        sampler = qmc.LatinHypercube(d=len(parameters), rng=rng)
    except TypeError:  # SciPy < 1.15 names it seed
        sampler = qmc.LatinHypercube(d=len(parameters), seed=rng)
    unit = sampler.random(samples)
    columns = []
    for position, parameter in enumerate(parameters):
        values = _inverse_cdf(parameter, unit[:, position])
        if _is_integer_set(parameter):
            values = np.round(values)
        columns.append(np.array([_round(v) for v in values.tolist()], dtype=np.float64))
    return columns


def _inverse_cdf(parameter: Parameter, u: np.ndarray) -> np.ndarray:
    spec = parameter.distribution
    if spec is None:
        values = parameter.values or (math.nan,)
        spec = {"kind": "uniform", "low": min(values), "high": max(values)}
    low, high = spec["low"], spec["high"]
    if spec["kind"] == "loguniform":
        return np.exp(math.log(low) + u * (math.log(high) - math.log(low)))
    if spec["kind"] == "triangular":
        mode, width = spec["mode"], high - low
        split = (mode - low) / width if width else 0.0
        rising = low + np.sqrt(u * width * (mode - low))
        falling = high - np.sqrt((1.0 - u) * width * (high - mode))
        return np.where(u < split, rising, falling)
    return low + u * (high - low)


def _is_integer_set(parameter: Parameter) -> bool:
    if parameter.mode != "set":
        return False
    file = SETTINGS_FILE if parameter.table == SETTINGS_TABLE else TABLES[parameter.table].file
    return any(f.column == parameter.column and f.type == "integer" for f in table_fields(file))


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
        mask &= _equal(_filter_cells(scenario, parameter.table, column), value)
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
    return scenario.with_changes(**changes) if changes else scenario
