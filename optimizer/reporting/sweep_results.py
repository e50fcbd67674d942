"""A sweep's results folder read into typed frames: ``SweepResults.from_folder`` reads
``sweep.json`` (the design and the parameters) and ``results.parquet`` (one row per point), with
the parameters as ``SweepParameter`` records that know their unit and how their values read.

>>> results = SweepResults.from_folder("results/sweeps/china-cap-and-cover")  # doctest: +SKIP
>>> results.solved[["point", "china_cap", COST, SHARE]]  # doctest: +SKIP

The figures are the columns ``optimizer.sweep.run`` writes: ``objective_usd`` (``COST``, the
solver's objective: it includes the penalty on demand left unmet), ``largest_country_share``
(``SHARE``), ``shortfall_usd`` (``SHORTFALL``) and the frontier measure (``results.measure``: the
column and label ``sweep.json``'s ``frontier`` names, ``concentration``; a folder written before
the measure existed has none, and its measure is the largest share). The small formatters at
the end write them as the sweep report does.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from optimizer.reporting.kit import NO_DATA
from optimizer.sweep.run import MANIFEST, TABLE

COST, SHARE, SHORTFALL = "objective_usd", "largest_country_share", "shortfall_usd"
SHARE_TEXT = "the largest single-country share of any material"  # SHARE in words
OPTIMAL, INFEASIBLE = "optimal", "infeasible"
OAT, GRID, LHS = "one-at-a-time", "grid", "latin-hypercube"
CAP_PATH = "country_caps.max_share"


@dataclass(frozen=True)
class SweepParameter:
    """One varied input as ``sweep.json`` records it."""

    name: str
    path: str
    mode: str  # "set" or "factor"
    base: float

    @property
    def column(self) -> str:
        """The scenario column (or scenario.toml key) the path changes."""
        return self.path.split("[", 1)[0].strip().rsplit(".", 1)[-1]

    @property
    def is_cap(self) -> bool:
        return self.path.replace(" ", "").startswith(CAP_PATH)

    @property
    def is_share(self) -> bool:
        return self.mode == "set" and self.column.endswith("share")

    @property
    def scale(self) -> float:
        """Shares are drawn in percent."""
        return 100.0 if self.is_share else 1.0

    @property
    def unit(self) -> str:
        column = self.column
        if self.mode == "factor":
            return "× base value"
        if self.is_share:
            return "%"
        for ending, unit in (
            ("usd_per_t", "USD/t"),
            ("t_per_month", "t/month"),
            ("months", "months"),
            ("_t", "t"),
            ("_usd", "USD"),
        ):
            if column.endswith(ending):
                return unit
        return column

    @property
    def label(self) -> str:
        """An axis label: the name and its unit."""
        return f"{self.name} ({self.unit})"

    def text(self, value: float) -> str:
        """A value as read: ×0.75 for a factor, 60% for a share, blank and unlimited cells."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "blank"
        if math.isinf(value):
            return "unlimited"
        if self.mode == "factor":
            return f"×{value:.4g}"
        if self.is_share:
            return f"{value * 100:.4g}%"
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"

    def reading(self, value: float) -> str:
        """A value with its unit where the bare number would not say it (6 months, 2,000 t)."""
        text = self.text(value)
        plain = self.mode == "factor" or self.is_share or self.unit == self.column
        return text if plain or not math.isfinite(value) else f"{text} {self.unit}"

    def at_base(self, values: pd.Series) -> np.ndarray:
        """Which values equal the base (a blank base matches blanks)."""
        return matches(values, self.base)


@dataclass(frozen=True)
class Measure:
    """The figure the frontier plots total cost against: a column of the results table and
    what it is in words (``CN's share of Dy2O3``); a share (0 to 1, in percent) or an HHI."""

    column: str = SHARE
    label: str = SHARE_TEXT
    is_share: bool = True
    kind: str = "largest-share"  # country-share | foreign-share | hhi | largest-share
    country: str | None = None  # country-share: whose share
    material: str | None = None  # None: the most over the materials

    @classmethod
    def of(cls, manifest: dict, columns) -> Measure:
        """The measure ``sweep.json`` names (``frontier``), if the table has its column; else
        the largest share (a folder written before the measure existed)."""
        recorded = manifest.get("frontier")
        if not isinstance(recorded, dict):
            return cls()
        column, label = recorded.get("column"), recorded.get("label")
        if not isinstance(column, str) or column not in columns or not isinstance(label, str):
            return cls()
        kind, country, material = (recorded.get(key) for key in ("measure", "country", "material"))
        return cls(
            column,
            label,
            recorded.get("unit") != "hhi",
            kind if isinstance(kind, str) else "",
            country if isinstance(country, str) else None,
            material if isinstance(material, str) else None,
        )

    @property
    def scale(self) -> float:
        """Shares are drawn in percent."""
        return 100.0 if self.is_share else 1.0

    @property
    def axis_label(self) -> str:
        return f"{self.label}, %" if self.is_share else f"{self.label} (0 to 10,000)"

    @property
    def decimals(self) -> int:
        """Values equal to this many decimals are the same (shares to 9, an HHI to 6)."""
        return 9 if self.is_share else 6

    def text(self, value) -> str:
        """A value as read: 60.0% for a share, 5,200 for an HHI."""
        if not is_finite(value):
            return NO_DATA
        return percent(value) if self.is_share else f"{value:,.0f}"


@dataclass(frozen=True)
class SweepResults:
    """A sweep's manifest and results table."""

    folder: Path
    manifest: dict
    parameters: tuple[SweepParameter, ...]
    table: pd.DataFrame

    @classmethod
    def from_folder(cls, folder: Path) -> SweepResults:
        """Read ``sweep.json`` and ``results.parquet`` from a sweep's results folder."""
        folder = Path(folder)
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        table = pd.read_parquet(folder / TABLE)
        return cls.from_table(folder, manifest, table)

    @classmethod
    def from_table(cls, folder: Path, manifest: dict, table: pd.DataFrame) -> SweepResults:
        """A manifest and a results table as read: the parameters found in the table, every
        point with a status ("error" when missing), the figures and parameters as floats, and
        the rows in point order."""
        table = table.copy()
        parameters = tuple(
            SweepParameter(
                name=str(p["name"]),
                path=str(p.get("path", "")),
                mode=str(p.get("mode", "set")),
                base=_float(p.get("base")),
            )
            for p in manifest.get("parameters", [])
            if p.get("name") in table.columns
        )
        status = table["status"] if "status" in table.columns else pd.Series("error", table.index)
        table["status"] = status.fillna("error").astype(str)
        measure = Measure.of(manifest, table.columns)
        for column in (COST, SHARE, SHORTFALL, measure.column, *(p.name for p in parameters)):
            table[column] = (
                pd.to_numeric(table[column], errors="coerce").astype(float)
                if column in table.columns
                else np.nan
            )
        if "point" not in table.columns:
            table["point"] = np.arange(len(table))
        table = table.sort_values("point", kind="stable").reset_index(drop=True)
        return cls(Path(folder), manifest, parameters, table)

    @property
    def name(self) -> str:
        return str(self.manifest.get("name") or self.folder.name)

    @property
    def design(self) -> str:
        return str(self.manifest.get("design", ""))

    @property
    def measure(self) -> Measure:
        """What the frontier plots total cost against (``sweep.json``'s ``frontier``)."""
        return Measure.of(self.manifest, self.table.columns)

    @property
    def measured(self) -> pd.DataFrame:
        """The points with a plan that have a figure of the measure: what the frontier draws."""
        solved = self.solved
        return solved[np.isfinite(solved[self.measure.column].to_numpy(dtype=float))]

    @property
    def varied(self) -> list[SweepParameter]:
        """Parameters that take more than one value in the table."""
        return [p for p in self.parameters if self.table[p.name].nunique(dropna=False) > 1]

    @property
    def caps(self) -> list[SweepParameter]:
        return [p for p in self.varied if p.is_cap]

    @property
    def solved(self) -> pd.DataFrame:
        """Optimal points with a cost and a largest share: what the charts draw."""
        return rows_with_plan(self.table)

    @property
    def without_plan(self) -> pd.DataFrame:
        """Points with no cost: infeasible and failed ones."""
        return rows_without_plan(self.table)

    def others_at_base(self, parameter: SweepParameter | None) -> np.ndarray:
        """Rows where every parameter but ``parameter`` is at its base."""
        keep = np.ones(len(self.table), dtype=bool)
        for other in self.parameters:
            if other != parameter:
                keep &= other.at_base(self.table[other.name])
        return keep


def _float(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def rows_with_plan(rows: pd.DataFrame) -> pd.DataFrame:
    """Optimal rows with a cost and a largest share: the points with a plan the charts draw."""
    return rows[(rows["status"] == OPTIMAL) & np.isfinite(rows[COST]) & np.isfinite(rows[SHARE])]


def rows_without_plan(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows with no cost: infeasible and failed points."""
    return rows[~np.isfinite(rows[COST])]


def distinct_values(values: pd.Series) -> list[float]:
    """The distinct values of a parameter column, ascending (a blank last)."""
    return [float(v) for v in np.unique(values.to_numpy(dtype=float))]


def matches(values: pd.Series, value: float) -> np.ndarray:
    """Which values of a parameter column are ``value`` (to 1e-12 relative; a blank matches
    blanks)."""
    array = values.to_numpy(dtype=float)
    return np.isclose(array, value, rtol=1e-12, atol=0.0, equal_nan=True)


def same_value(a: float, b: float) -> bool:
    """Whether two values of a parameter are the same, as ``matches`` compares them."""
    return bool(np.isclose(a, b, rtol=1e-12, atol=0.0, equal_nan=True))


# ---------------------------------------------------------------------------------------------
# Figures as the sweep report writes them


def is_finite(value) -> bool:
    """A number that is neither missing nor infinite (numpy numbers included)."""
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def million(value) -> str:
    """USD as USD million in a table cell."""
    return f"{value / 1e6:,.1f}" if is_finite(value) else NO_DATA


def million_change(value) -> str:
    """A difference in USD million, signed, with a true minus sign."""
    if not is_finite(value):
        return NO_DATA
    text = f"{value / 1e6:+,.1f}"
    return "0.0" if text in ("+0.0", "-0.0") else text.replace("-", "−")


def percent(value) -> str:
    """A share as a percentage with one decimal."""
    return f"{value:.1%}" if is_finite(value) else NO_DATA


def setting(parameter: SweepParameter, value: float) -> str:
    """A parameter at a value, as read: ``china_cap 60%``."""
    return f"{parameter.name} {parameter.text(value)}"
