"""Sweep files: a base scenario, the parameters to vary and a design, checked before anything runs.

A sweep file (``sweeps/*.toml``, anywhere) names a base scenario (a folder or an ``.xlsx``
workbook, relative to the sweep file) and ``[[parameter]]`` tables. Each parameter is a path into
the scenario's tables, ``<table>.<column>[<filter>, ...]`` (``offers.price_usd_per_t
[supplier=russia-solikamsk]``, ``country_caps.max_share[country=CN, material=]``), or a numeric
``policy.*`` or ``risk.*`` key of ``scenario.toml`` (the disruption inputs only with a base
scenario that has them: its points are then solved as extensive forms, warm where the tree
stays); ``mode = "set"`` assigns each value to every matched cell, ``mode = "factor"``
multiplies them. Values come from a list, a ``range`` (start, stop, step) or,
for Latin-hypercube designs, a ``distribution``. Designs: ``grid`` (every combination),
``one-at-a-time`` (the base point, then each parameter's values with the others at base) and
``latin-hypercube`` (``samples`` seeded points). An optional ``[frontier]`` table names the
measure of concentration the sweep report plots total cost against (``measure``, ``country``,
``material``; by default the base scenario's ``policy.watched_country``'s share of its most
dependent material), a :class:`~optimizer.sweep.point_metrics.Frontier`. :func:`load_sweep`
reports every problem of the file and of its base scenario at once, as a
:class:`~optimizer.inputs.problems.ScenarioError`.

The values a parameter takes and the points table are in :mod:`optimizer.sweep.designs`; a
parameter's path and applying a point to the base scenario (``apply_point``) in
:mod:`optimizer.sweep.points`; where a problem is written in the file in
:mod:`optimizer.sweep.file_problems`.
"""

from __future__ import annotations

import hashlib
import importlib
import math
import os
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from optimizer.inputs.digest import update_digest
from optimizer.inputs.loading import load_scenario
from optimizer.inputs.problems import Problem, ScenarioError
from optimizer.inputs.reading import parse_toml, read_text
from optimizer.inputs.scenario import Scenario
from optimizer.inputs.schema import SETTINGS_FILE, TABLES, table_fields
from optimizer.inputs.settings import NAME_PATTERN
from optimizer.inputs.validation import COUNTRY_TABLES
from optimizer.results.tables import COST_COMPONENTS
from optimizer.sweep.designs import (
    DESIGNS,
    GRID,
    LHS,
    MAX_POINTS,
    OAT,
    Varied,
    parameter_values,
    point_count,
    points_table,
    round_significant,
)
from optimizer.sweep.file_problems import (
    KeyLines,
    ParameterProblems,
    SweepProblems,
    check_keys,
    did_you_mean,
)
from optimizer.sweep.point_metrics import CONCENTRATION, COUNTRY_SHARE, MEASURES, Frontier
from optimizer.sweep.points import (
    RISK_TABLES,
    SETTINGS_TABLE,
    Target,
    parse_target,
    target_rows,
)
from optimizer.sweep.risk_points import RISK_COLUMNS

MODES = ("set", "factor")
# Columns of the results table besides the parameters: a parameter of one of these names would
# be overwritten in its row (and its journal records would never match the point again).
RESERVED_NAMES = (
    "point", "status", "termination", "objective_usd", "largest_country_share", CONCENTRATION,
    "warm", "proof", "bound_usd", "solve_s", "worker", "diagnosis", *COST_COMPONENTS,
    *RISK_COLUMNS,
)  # fmt: skip
RESERVED_PREFIXES = (
    "share_", "top_country_", "top_share_", "foreign_country_", "foreign_share_", "hhi_",
    "shortfall_t_", "cover_months_", "built_", "signed_",
)  # fmt: skip
PARAMETER_NAME = re.compile(r"[a-z0-9_]+")  # used with fullmatch
TOP_KEYS = ("name", "description", "scenario", "design", "samples", "seed", "parameter",
            "frontier")  # fmt: skip
PARAMETER_KEYS = ("name", "path", "mode", "values", "range", "distribution")
FRONTIER = "frontier"
FRONTIER_KEYS = ("measure", "country", "material")


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

    @property
    def sets_integers(self) -> bool:
        """Whether the parameter sets an integer column (its sampled values are whole)."""
        if self.mode != "set":
            return False
        file = SETTINGS_FILE if self.table == SETTINGS_TABLE else TABLES[self.table].file
        return any(f.column == self.column and f.type == "integer" for f in table_fields(file))


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
    frontier: Frontier = field(default_factory=Frontier)  # the report's frontier's measure

    def points(self) -> pd.DataFrame:
        """The points to run: ``point`` (0..n-1) then one float column per parameter, in
        parameter order; the same on every run and machine (see
        :func:`optimizer.sweep.designs.points_table`)."""
        return points_table(self.design, self.parameters, self.samples, self.seed)


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
    report = SweepProblems(label, KeyLines(text), problems)
    check_keys(document, TOP_KEYS, report.top, "")
    name = _sweep_name(document, file, report)
    description = _description(document, report)
    design = _design(document, report)
    samples, seed = _samples_and_seed(document, design, report)
    scenario_path, scenario = _base_scenario(document, file, report)
    parameters = _parameters(document, design, scenario, report)
    frontier = _frontier(document, scenario, report)
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
        frontier=frontier,
    )


def fingerprint(file: Path, scenario_path: Path) -> str:
    """sha256 over the sweep file's bytes and each input file of the base scenario (its
    ``scenario.toml`` and table CSV files, or the workbook), each with its name."""
    digest = hashlib.sha256()
    data = file.read_bytes() if file.is_file() else b""
    digest.update(f"sweep\0{len(data) if file.is_file() else -1}\0".encode())
    digest.update(data)
    update_digest(digest, scenario_path)  # the same bytes as before it was shared
    return digest.hexdigest()


def _sweep_name(document: dict, file: Path, report: SweepProblems) -> str:
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


def _description(document: dict, report: SweepProblems) -> str:
    description = document.get("description", "")
    if not isinstance(description, str):
        report.top("description", f"must be a quoted string, not {description!r}")
        return ""
    return description


def _design(document: dict, report: SweepProblems) -> str:
    design = document.get("design", "grid")
    if design not in DESIGNS:
        shown = repr(design) if not isinstance(design, str) else f"'{design}'"
        hint = did_you_mean(str(design), DESIGNS, listing=True)
        report.top("design", f"{shown} is not a design{hint}")
        return ""
    return design


def _samples_and_seed(document: dict, design: str, report: SweepProblems) -> tuple[int | None, int]:
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
    document: dict, file: Path, report: SweepProblems
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
        scenario = load_scenario(path)
    except ScenarioError as error:
        report.top("scenario", f"the base scenario {path} has problems (listed with its files)")
        for problem in error.problems:
            report.problems.append(_in_scenario(problem, path))
        return path, None
    return path, scenario


def _in_scenario(problem: Problem, path: Path) -> Problem:
    """A problem of the base scenario, with a folder's file named by its path."""
    if not path.is_dir() or Path(problem.file).parent != Path("."):
        return problem
    return Problem(str(path / problem.file), problem.line, problem.column, problem.message)


def _frontier(document: dict, scenario: Scenario | None, report: SweepProblems) -> Frontier:
    """The ``[frontier]`` table: the measure, its country (``country-share`` only; by default
    the base scenario's ``policy.watched_country``) and its material (blank: the most over the
    materials). The home country is the base scenario's ``policy.home_country``."""
    settings = scenario.settings if scenario is not None else None
    watched = settings.watched_country if settings is not None else Frontier.country
    home = settings.home_country if settings is not None else None
    raw = document.get(FRONTIER, {})
    if not isinstance(raw, dict):
        message = f'must be a table: write [frontier] with measure = "..." under it, not {raw!r}'
        report.top(FRONTIER, message)
        return Frontier(country=watched, home=home)

    def bad(key: str | None, message: str) -> None:
        report.table(FRONTIER, key, message)

    check_keys(raw, FRONTIER_KEYS, bad, "")
    measure = raw.get("measure", COUNTRY_SHARE)
    if not isinstance(measure, str):
        bad("measure", f"must be a quoted string, not {measure!r}")
        measure = COUNTRY_SHARE
    elif measure not in MEASURES:
        bad(
            "measure",
            f"'{measure}' is not a measure{did_you_mean(measure, MEASURES, listing=True)}",
        )
        measure = COUNTRY_SHARE
    country = _frontier_country(raw, measure, scenario, bad)
    material = _frontier_material(raw, scenario, bad)
    return Frontier(
        measure=measure,
        country=(country or watched) if measure == COUNTRY_SHARE else None,
        material=material,
        home=home,
    )


def _frontier_country(
    raw: dict, measure: str, scenario: Scenario | None, bad: Callable[[str, str], None]
) -> str | None:
    """The country the measure names, if given and known (a supplier's, a process's or an
    expansion option's country of the base scenario)."""
    if "country" not in raw:
        return None
    country = raw["country"]
    if measure != COUNTRY_SHARE:
        bad("country", f"is only used by measure = '{COUNTRY_SHARE}', not '{measure}'")
        return None
    if not isinstance(country, str) or not country.strip():
        bad("country", f'must be a quoted country code such as "CN", not {country!r}')
        return None
    if scenario is None:
        return country
    known = sorted(
        set().union(*(set(scenario.table(name)["country"].dropna()) for name in COUNTRY_TABLES))
    )
    if country not in known:
        bad(
            "country",
            f"'{country}' is not a country of the base scenario (of its suppliers, processes or "
            f"expansion options){did_you_mean(country, known, listing=True)}",
        )
        return None
    return country


def _frontier_material(
    raw: dict, scenario: Scenario | None, bad: Callable[[str, str], None]
) -> str | None:
    """The material the measure is of; None (blank, the default): the most over materials."""
    material = raw.get("material", "")
    if not isinstance(material, str):
        blank = 'or "" for the most dependent one'
        bad("material", f"must be a quoted material name, {blank}, not {material!r}")
        return None
    if not material.strip():
        return None
    if scenario is None:
        return material
    known = scenario.materials["material"].tolist()
    if material not in known:
        bad(
            "material",
            f"'{material}' is not a material of the base scenario (materials.csv)"
            f"{did_you_mean(material, known, listing=True)}",
        )
        return None
    return material


def _check_count(
    design: str, samples: int | None, parameters: list[Parameter], report: SweepProblems
) -> None:
    count = point_count(design, parameters, samples)
    if count <= MAX_POINTS or design == LHS:  # samples are checked against it when read
        return
    what, advice = {
        GRID: ("grid", "use fewer values, or design = 'latin-hypercube'"),
        OAT: ("one-at-a-time design", "use fewer values"),
    }[design]
    report.top("design", f"the {what} has {count:,} points; at most {MAX_POINTS:,}: {advice}")


# --- parameters ----------------------------------------------------------------------------


def _parameters(
    document: dict, design: str, scenario: Scenario | None, report: SweepProblems
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


def _parameter(
    table: dict, design: str, scenario: Scenario | None, bad: ParameterProblems
) -> Parameter | None:
    found = bad.count
    check_keys(table, PARAMETER_KEYS, bad, "")
    name = _parameter_name(table, bad)
    mode = table.get("mode", "set")
    if mode not in MODES:
        bad("mode", f"{mode!r} is not a mode{did_you_mean(str(mode), MODES, listing=True)}")
    target = parse_target(table, bad)
    varied = parameter_values(table, design, bad)
    if target is not None and mode == "factor" and target.field.type == "integer":
        bad("mode", f"'factor' does not apply to the integer column {target.label}: use 'set'")
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


def _parameter_name(table: dict, bad: ParameterProblems) -> str:
    name = table.get("name")
    if name is None:
        bad(None, 'has no name: add name = "..." (a column of the results table)')
        return ""
    if not isinstance(name, str) or not PARAMETER_NAME.fullmatch(name):
        bad("name", f"{name!r} must be lower-case letters, digits and '_' (a results column)")
    elif name in RESERVED_NAMES or name.startswith(RESERVED_PREFIXES):
        bad("name", f"'{name}' is a column of the results table; name the parameter otherwise")
    return str(name)


def _check_bounds(target: Target, mode: str, varied: Varied, bad: ParameterProblems) -> None:
    """Set values within the column's schema bounds (whole for integers); factors at least 0."""
    support = varied.support
    if mode == "factor":
        below = [v for v in support if v < 0]
        if below:
            bad(varied.key, f"{_listed(below, 'factor')} below 0: a factor must be at least 0")
        return
    spec, what = target.field, target.label
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


def _is_risk(target: Target) -> bool:
    if target.table == SETTINGS_TABLE:
        return target.column.startswith("risk.")
    return target.table in RISK_TABLES


def _matched_cells(scenario: Scenario, target: Target, bad: ParameterProblems) -> np.ndarray | None:
    """The current values of the cells a parameter changes; ``None`` after recording filters
    that match no row."""
    if _is_risk(target) and not scenario.has_risk:
        bad(
            "path",
            f"{target.label} is a disruption-risk input, and the base scenario has no "
            "disruption scenarios (events.csv with risk_scenarios.csv or [risk] samples)",
        )
        return None
    if target.table == SETTINGS_TABLE:
        current = getattr(scenario.settings, target.column.rpartition(".")[2])
        return np.array([math.nan if current is None else float(current)])
    rows = target_rows(scenario, target, bad)
    if rows is None:
        return None
    return scenario.table(target.table)[target.column].to_numpy(dtype=np.float64)[rows]


def _base_value(
    cells: np.ndarray,
    target: Target,
    mode: str,
    varied: Varied,
    design: str,
    bad: ParameterProblems,
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


def _check_factor_top(
    cells: np.ndarray, target: Target, varied: Varied, bad: ParameterProblems
) -> None:
    finite = cells[np.isfinite(cells)]
    high = target.field.max
    if high is None or not finite.size:
        return
    top, largest = float(finite.max()), max(varied.support)
    if top * largest > high:
        bad(
            varied.key,
            f"factor {largest:g} takes {target.label} from {top:g} to "
            f"{round_significant(top * largest):g}, above its maximum {high:g}",
        )


MOVED = {  # public names that moved when the module was split
    **dict.fromkeys(("SIGNIFICANT_DIGITS", "SOURCES", "RANGE_KEYS", "DISTRIBUTIONS"), "designs"),
    **dict.fromkeys(("apply_point", "matched_rows", "SWEEPABLE_SETTINGS"), "points"),
    **dict.fromkeys(("NUMERIC_TYPES", "FILTER_TYPES", "PATH"), "points"),
}


def __getattr__(name: str) -> Any:
    """Names that moved to :mod:`optimizer.sweep.designs` or :mod:`optimizer.sweep.points`:
    still here, with a warning, for one release."""
    if name not in MOVED:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = f"optimizer.sweep.{MOVED[name]}"
    warnings.warn(
        f"{__name__}.{name} has moved to {module}; the old name goes in the next release",
        DeprecationWarning,
        stacklevel=2,
    )
    return getattr(importlib.import_module(module), name)
