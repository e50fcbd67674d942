"""Designs: the values each parameter takes (a list, a range or, for a Latin hypercube, a
distribution), checked, and the points table drawn from them: ``grid``, ``one-at-a-time`` or a
seeded ``latin-hypercube``."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy.stats import qmc

from optimizer.sweep.file_problems import ParameterProblems, check_keys, did_you_mean

if TYPE_CHECKING:
    from optimizer.sweep.spec import Parameter

GRID = "grid"
OAT = "one-at-a-time"
LHS = "latin-hypercube"
DESIGNS = (GRID, OAT, LHS)
MAX_POINTS = 100_000  # the most points a sweep may have, whatever its design
SIGNIFICANT_DIGITS = 10  # sampled values are rounded so CSV/Parquet round trips are exact
SOURCES = ("values", "range", "distribution")
RANGE_KEYS = ("start", "stop", "step")
DISTRIBUTIONS = {
    "uniform": ("low", "high"),
    "triangular": ("low", "mode", "high"),
    "loguniform": ("low", "high"),
}


# --- the values a parameter takes ----------------------------------------------------------


@dataclass
class Varied:
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


def parameter_values(table: dict, design: str, bad: ParameterProblems) -> Varied | None:
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
        return None if distribution is None else Varied(key, None, distribution)
    values = _values(table[key], bad) if key == "values" else _range(table[key], bad)
    return None if values is None else Varied(key, values, None)


def _values(raw: Any, bad: ParameterProblems) -> tuple[float, ...] | None:
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


def _range(raw: Any, bad: ParameterProblems) -> tuple[float, ...] | None:
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
    return tuple(round_significant(start + i * step) for i in range(steps + 1))


def _distribution(raw: Any, bad: ParameterProblems) -> dict | None:
    example = 'distribution = { kind = "uniform", low = 0.4, high = 0.8 }'
    if not isinstance(raw, dict):
        bad("distribution", f"must be a table, e.g. {example}")
        return None
    kind = raw.get("kind")
    if kind not in DISTRIBUTIONS:
        message = "is missing" if kind is None else f"{kind!r} is not a distribution"
        bad("distribution.kind", f"{message}{did_you_mean(str(kind), DISTRIBUTIONS, listing=True)}")
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
    raw: Any, key: str, keys: Sequence[str], example: str, bad: ParameterProblems
) -> dict[str, float] | None:
    """A table of exactly ``keys``, each a finite number."""
    if not isinstance(raw, dict):
        bad(key, f"must be a table, e.g. {example}")
        return None
    found = bad.count
    check_keys(raw, keys, bad, f"{key}.")
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


def round_significant(value: float) -> float:
    """``value`` to 10 significant digits, so that CSV and Parquet give it back exactly."""
    return float(f"{value:.{SIGNIFICANT_DIGITS}g}")


# --- the points table ----------------------------------------------------------------------


def points_table(
    design: str, parameters: Sequence[Parameter], samples: int | None, seed: int
) -> pd.DataFrame:
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
    if design == GRID:
        columns = _grid(parameters)
    elif design == OAT:
        columns = _one_at_a_time(parameters)
    else:
        columns = _latin_hypercube(parameters, samples or 0, seed)
    count = len(columns[0]) if columns else 0
    frame = pd.DataFrame({"point": np.arange(count, dtype=np.int64)})
    for parameter, values in zip(parameters, columns, strict=True):
        frame[parameter.name] = np.asarray(values, dtype=np.float64)
    return frame


def point_count(design: str, parameters: Sequence[Parameter], samples: int | None) -> int:
    """How many points the design has (before any are drawn)."""
    if design == GRID:
        return math.prod(len(p.values or ()) for p in parameters)
    if design == OAT:
        return 1 + sum(len(p.values or ()) for p in parameters)
    return samples or 0


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
        if parameter.sets_integers:
            values = np.round(values)
        columns.append(np.array([round_significant(v) for v in values.tolist()], dtype=np.float64))
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
