"""A scenario: settings plus typed input tables, loaded from a folder or built from DataFrames."""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from optimizer.common.strings import python_strings
from optimizer.inputs.problems import Problem, ScenarioError
from optimizer.inputs.reading import LINE
from optimizer.inputs.schema import SETTINGS_FILE, TABLES, Field, number_text, table_fields
from optimizer.inputs.settings import (
    Settings,
    settings_from_dict,
    settings_number_problems,
)
from optimizer.inputs.validation import (
    check_tables,
    check_typed_numbers,
    check_values_across_tables,
)

NUMBER_TYPES = ("number", "integer", "share")


@dataclass(frozen=True)
class Scenario:
    """Validated inputs. Tables hold the schema's columns; blanks are filled as the schema says
    (0 or infinity), or NaN/None where a blank means "not set" (no shortfall allowed, the policy
    cover, every month, every material)."""

    settings: Settings
    materials: pd.DataFrame
    suppliers: pd.DataFrame
    offers: pd.DataFrame
    demand: pd.DataFrame
    country_caps: pd.DataFrame
    processes: pd.DataFrame = dataclasses.field(default_factory=lambda: empty_table("processes"))
    process_io: pd.DataFrame = dataclasses.field(default_factory=lambda: empty_table("process_io"))
    expansions: pd.DataFrame = dataclasses.field(default_factory=lambda: empty_table("expansions"))
    contracts: pd.DataFrame = dataclasses.field(default_factory=lambda: empty_table("contracts"))
    events: pd.DataFrame = dataclasses.field(default_factory=lambda: empty_table("events"))
    event_effects: pd.DataFrame = dataclasses.field(
        default_factory=lambda: empty_table("event_effects")
    )
    risk_scenarios: pd.DataFrame = dataclasses.field(
        default_factory=lambda: empty_table("risk_scenarios")
    )
    source: Path | None = None

    @property
    def is_mip(self) -> bool:
        """Whether the scenario has yes/no decisions (expansions or contracts)."""
        return len(self.expansions) > 0 or len(self.contracts) > 0

    @property
    def has_risk(self) -> bool:
        """Whether the scenario plans against disruption scenarios (explicit or sampled)."""
        return len(self.events) > 0 and (len(self.risk_scenarios) > 0 or self.settings.samples > 0)

    @property
    def name(self) -> str:
        return self.settings.name

    @property
    def horizon(self) -> list[str]:
        return self.settings.horizon

    def table(self, name: str) -> pd.DataFrame:
        return getattr(self, name)

    def with_changes(self, *, check: bool = True, **changes: Any) -> Scenario:
        """A copy with some tables or the settings replaced, checked as a sweep point is
        (:func:`scenario_problems`: every number within its bounds, the rules across tables):
        :class:`ScenarioError` lists every problem, so a cap of 1.7 never reaches a solve.
        ``check=False`` for callers that check the copy themselves (a sweep reports a point's
        problems as its row) or change only what cannot break a rule."""
        changed = replace(self, **changes)
        if check:
            problems = scenario_problems(changed)
            if problems:
                raise ScenarioError(problems)
        return changed

    @classmethod
    @python_strings()
    def from_frames(cls, settings: Settings | dict[str, Any], **frames: pd.DataFrame) -> Scenario:
        """Validate in-memory tables exactly as files would be; line numbers count from 2."""
        unknown = sorted(set(frames) - set(TABLES))
        if unknown:
            raise TypeError(f"from_frames() got unknown tables {unknown}; expected {[*TABLES]}")
        problems: list[Problem] = []
        if isinstance(settings, dict):
            settings = settings_from_dict(settings, problems)
        texts = {name: _as_text(frames.get(name), TABLES[name].file) for name in TABLES}
        return assemble(settings, texts, problems, source=None)

    def write(self, folder: str | Path) -> Path:
        """Write the scenario as a folder of files that :func:`load_scenario` reads back to
        equal tables and settings: ``scenario.toml`` with every setting that is set, and every
        table of the schema with its columns in schema order, numbers as a person writes them
        (``1500``, not ``1500.0``; see :func:`number_text`), blank where a value means unlimited
        or not set. Equal scenarios give equal files. Comments in ``scenario.toml`` are not
        kept, nor which cells were left blank for their default (written as the value)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / SETTINGS_FILE).write_text(self.settings.to_toml(), encoding="utf-8")
        for name, spec in TABLES.items():
            columns = [field.column for field in table_fields(spec.file)]
            table = blank_cells(self.table(name)[columns], spec.file)
            _written_numbers(table).to_csv(folder / spec.file, index=False, lineterminator="\n")
        return folder

    def write_workbook(self, path: str | Path) -> Path:
        """Deprecated: :func:`optimizer.inputs.template.write_scenario_workbook` (the method made
        this module import the workbook writer, which imports this module)."""
        warnings.warn(
            "Scenario.write_workbook is deprecated and goes in the next release; use "
            "optimizer.inputs.template.write_scenario_workbook(scenario, path)",
            DeprecationWarning,
            stacklevel=2,
        )
        from optimizer.inputs.template import write_scenario_workbook  # a deprecated alias only

        return write_scenario_workbook(self, path)


def assemble(
    settings: Settings | None,
    texts: dict[str, pd.DataFrame | None],
    problems: list[Problem],
    source: Path | None,
) -> Scenario:
    tables = check_tables(texts, settings, problems)
    if problems or settings is None:
        raise ScenarioError(problems)
    return scenario_from_tables(settings, tables, source)


def scenario_from_tables(
    settings: Settings, tables: dict[str, pd.DataFrame], source: Path | None
) -> Scenario:
    """The scenario of checked tables: integer columns as integers, line numbers dropped."""
    for name, table in tables.items():
        for field in table_fields(TABLES[name].file):
            if field.type == "integer":
                table[field.column] = table[field.column].astype(np.int64)
    return Scenario(
        settings=settings,
        source=source,
        **{name: table.drop(columns=LINE) for name, table in tables.items()},
    )


def empty_table(name: str) -> pd.DataFrame:
    """A typed table with no rows (an optional file that is absent)."""
    dtypes = {"number": float, "share": float, "integer": np.int64}
    return pd.DataFrame(
        {
            f.column: pd.Series([], dtype=dtypes.get(f.type, object))
            for f in table_fields(TABLES[name].file)
        }
    )


def empty_text(file: str) -> pd.DataFrame:
    columns = [field.column for field in table_fields(file)]
    return pd.DataFrame({**{column: pd.Series([], dtype=object) for column in columns}, LINE: []})


def _as_text(frame: pd.DataFrame | None, file: str) -> pd.DataFrame:
    """An in-memory table as the strings a CSV file would hold (blank where NaN/None/inf)."""
    if frame is None:
        return empty_text(file)
    text = blank_cells(frame.reset_index(drop=True), file).astype(object)
    text = text.apply(lambda column: column.map(_cell_text))
    text[LINE] = np.arange(len(text)) + 2
    return text


def blank_cells(frame: pd.DataFrame, file: str) -> pd.DataFrame:
    """Blank cells where a value means "not set" or "unlimited", as users write them."""
    out = frame.copy()
    for field in table_fields(file):
        if field.column in out and field.blank == "inf":
            values = pd.to_numeric(out[field.column], errors="coerce")
            out[field.column] = out[field.column].where(~np.isposinf(values), None)
    return out


def _written_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with each float column as the text :func:`number_text` gives (blank for NaN),
    where pandas would write ``1500.0``."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_float_dtype(out[column].dtype):
            values = out[column].tolist()
            out[column] = [None if np.isnan(v) else number_text(v) for v in values]
    return out


def _cell_text(value: Any) -> str:
    if (
        value is None
        or value is pd.NA
        or value is pd.NaT
        or (isinstance(value, float) and np.isnan(value))
    ):
        return ""
    if isinstance(value, float | np.floating):
        return repr(float(value))
    return str(value).strip()


def scenario_problems(scenario: Scenario) -> list[Problem]:
    """The problems a folder with these tables would have: every column's bounds and the rules
    across tables, for a scenario changed in memory (a sweep point). Lines count from 2, as in a
    file with a header row. Sweeps change numbers, so names, months, keys and the rules that
    read only them are not checked again (the scenario loaded passed them)."""
    problems = settings_number_problems(scenario.settings)
    typed: dict[str, pd.DataFrame] = {}
    for name, spec in TABLES.items():
        table = scenario.table(name)
        lines = np.arange(2, len(table) + 2)
        for field in _number_fields(spec.file):
            values = table[field.column].to_numpy(dtype=float)
            check_typed_numbers(spec.file, field, values, lines, problems)
        typed[name] = table.assign(**{LINE: lines})
    check_values_across_tables(typed, problems)
    return problems


@cache
def _number_fields(file: str) -> tuple[Field, ...]:
    return tuple(field for field in table_fields(file) if field.type in NUMBER_TYPES)
