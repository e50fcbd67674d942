"""The figures behind the sweep report, as pandas DataFrames to use from Python without
drawing anything. Each takes a ``SweepResults`` (see :mod:`optimizer.reporting.sweep_results`):

>>> from optimizer.reporting.sweep_results import SweepResults
>>> results = SweepResults.from_folder("results/sweeps/china-cap-and-cover")  # doctest: +SKIP
>>> status_counts(results)  # doctest: +SKIP
>>> frontier(results)  # doctest: +SKIP
>>> parameter_summary(results, results.varied[0])  # doctest: +SKIP

- ``status_counts``: points per status, their share and what the status means;
- ``pareto_frontier`` and ``frontier``: the points no other point beats on both total cost and
  the frontier measure (``results.measure``: by default China's share of its most dependent
  material); the frontier's rows, least concentrated first, are the steps of the chart's
  frontier line (the least cost at a measure or below is the cost of the last row at or left
  of it);
- ``constant_value``: the value of a figure that does not vary over the points with a plan
  (the report says such a figure in words instead of drawing a flat line);
- ``cheapest_and_dearest``: the extreme points with a plan;
- ``tornado_bars`` and ``tornado_table`` (one-at-a-time designs): the range of total cost over
  each parameter's values, the others at their base;
- ``line_kind``, ``parameter_lines``, ``parameter_summary`` and ``rank_correlations``: what
  each parameter's chart draws against it;
- ``settings_without_plan``: values (and pairs of values) at which no point has a plan.

Rows of the results table keep every column ``optimizer.sweep.run`` writes, so a frame can be
joined back to it on ``point``.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from optimizer.reporting.sweep_results import (
    COST,
    INFEASIBLE,
    LHS,
    OAT,
    OPTIMAL,
    SHARE,
    SweepParameter,
    SweepResults,
    distinct_values,
    matches,
    setting,
)

STATUS_MEANING = {
    "optimal": "a least-cost plan was found",
    "limit": "the solver stopped at a time or iteration limit (left out of the charts)",
    "infeasible": "no plan meets every cap, floor and capacity: the settings cannot all hold",
    "error": "the point failed to solve (the message is in the table below)",
    "invalid": "the point's inputs break a rule of the input files (a contract's minimum above "
    "its maximum, say), so it was not solved; the problems are in the table below",
}

EXTREMES = 5  # the cheapest and the dearest points listed in the report
MAX_COMBINATIONS = 2_000  # value pairs searched for settings without any plan
COST_DECIMALS = 2  # total costs equal to the cent are the same
# A parameter with at most this many values is drawn a line (and a legend entry) per value;
# with more, as a band or on a colour bar.
DISCRETE = 10


# ---------------------------------------------------------------------------------------------
# Statuses


def status_counts(results: SweepResults) -> pd.DataFrame:
    """Points per status: ``status``, ``points``, ``share`` (of every point) and ``meaning``;
    the statuses a sweep writes first, in ``STATUS_MEANING``'s order, then any other found."""
    table = results.table
    counts = table["status"].value_counts()
    present = list(dict.fromkeys(table["status"]))
    known = [s for s in STATUS_MEANING if s in present]
    statuses = known + sorted(s for s in present if s not in STATUS_MEANING)
    return pd.DataFrame(
        {
            "status": statuses,
            "points": [counts[s] for s in statuses],
            "share": [counts[s] / len(table) for s in statuses],
            "meaning": [STATUS_MEANING.get(s, "") for s in statuses],
        },
        columns=["status", "points", "share", "meaning"],
    )


# ---------------------------------------------------------------------------------------------
# Cost against concentration


def pareto_frontier(points: pd.DataFrame, x: str = SHARE, y: str = COST) -> pd.DataFrame:
    """The rows of ``points`` no other row dominates when both ``x`` and ``y`` are to be
    minimised (no other row is as low on both and lower on one), sorted by ``x`` then ``y``.
    Rows that tie exactly are all kept; rows missing either figure are left out."""
    xs_all = points[x].to_numpy(dtype=float)
    ys_all = points[y].to_numpy(dtype=float)
    data = points[np.isfinite(xs_all) & np.isfinite(ys_all)]
    data = data.sort_values([x, y], kind="stable")
    xs, ys = data[x].to_numpy(dtype=float), data[y].to_numpy(dtype=float)
    keep = np.zeros(len(data), dtype=bool)
    best, start = math.inf, 0
    while start < len(xs):
        end = start
        while end < len(xs) and xs[end] == xs[start]:
            end += 1
        lowest = ys[start]  # the least y at this x: the others at this x are dominated by it
        if lowest < best:  # else a row at a lower x is as cheap: this x is dominated
            keep[start:end] = ys[start:end] == lowest
            best = lowest
        start = end
    return data[keep]


def frontier(results: SweepResults) -> pd.DataFrame:
    """The Pareto-optimal points with a plan on total cost and the frontier measure
    (``pareto_frontier`` of ``results.solved`` on ``results.measure``), least concentrated
    first; the last is the cheapest plan with a figure of the measure."""
    return pareto_frontier(results.solved, x=results.measure.column)


def constant_value(values: pd.Series, decimals: int) -> float | None:
    """The value of a figure that is the same (to ``decimals`` decimals) in every row that has
    one; None when it varies or no row has one."""
    array = values.to_numpy(dtype=float)
    rounded = np.round(array[np.isfinite(array)], decimals)
    if not len(rounded) or (rounded != rounded[0]).any():
        return None
    return float(rounded[0])


def constant_measure(results: SweepResults) -> float | None:
    """The frontier measure's value if every point with a plan has the same (to 9 decimals
    for a share); None when it varies (or no point has it)."""
    measure = results.measure
    return constant_value(results.solved[measure.column], measure.decimals)


def constant_cost(results: SweepResults) -> float | None:
    """The total cost if every point with a plan costs the same (to the cent); else None."""
    return constant_value(results.solved[COST], COST_DECIMALS)


def cheapest_and_dearest(results: SweepResults, count: int = EXTREMES) -> pd.DataFrame:
    """The ``count`` cheapest points with a plan and the ``count`` dearest, dearest first
    (with fewer than ``2 * count`` points, the cheaper half and the rest, each point once):
    their rows, under an index level ``group``, "cheapest" or "dearest"."""
    ordered = results.solved.sort_values([COST, "point"], kind="stable")
    cheap = min(count, math.ceil(len(ordered) / 2))
    dear = min(count, len(ordered) - cheap)
    groups = {"cheapest": ordered.head(cheap)}
    if dear:
        groups["dearest"] = ordered.tail(dear).iloc[::-1]
    return pd.concat(groups, names=["group"])  # slices of one table: the same columns and types


# ---------------------------------------------------------------------------------------------
# The tornado (one-at-a-time designs)


@dataclass(frozen=True)
class TornadoBar:
    """One parameter of a one-at-a-time sweep: total cost over its values (its base among
    them, as the base point), the others at their base."""

    parameter: SweepParameter
    base_cost: float
    costs: tuple[tuple[float, float], ...]  # (value, total cost) of each value with a plan
    missing: tuple[tuple[float, str], ...]  # (value, status) of each value without one

    @property
    def low(self) -> float:
        """The total cost at the cheapest value (NaN: no value has a plan)."""
        return min((c for _, c in self.costs), default=math.nan)

    @property
    def high(self) -> float:
        """The total cost at the dearest value."""
        return max((c for _, c in self.costs), default=math.nan)

    @property
    def low_value(self) -> float:
        """The cheapest value."""
        return min(self.costs, key=lambda vc: vc[1])[0] if self.costs else math.nan

    @property
    def high_value(self) -> float:
        """The dearest value."""
        return max(self.costs, key=lambda vc: vc[1])[0] if self.costs else math.nan

    @property
    def width(self) -> float:
        """The range of total cost: the bar's length (0 when no value has a plan)."""
        return self.high - self.low if self.costs else 0.0


def tornado_bars(table: pd.DataFrame, parameters: Sequence[SweepParameter]) -> list[TornadoBar]:
    """Per parameter, the total cost at each of its values with every other parameter at its
    base (the base point, point 0, gives the base value's cost); widest range first."""
    manifest = {"design": OAT, "parameters": [dataclasses.asdict(p) for p in parameters]}
    results = SweepResults.from_table(Path("."), manifest, table)
    table = results.table
    base_rows = table[table["point"] == 0]
    if base_rows.empty:
        base_rows = table[results.others_at_base(None)]
    base_cost = _cost_of(base_rows.iloc[0]) if len(base_rows) else math.nan
    bars = []
    for parameter in results.parameters:
        rows = table[results.others_at_base(parameter)].sort_values(parameter.name, kind="stable")
        costs, missing = [], []
        for value, status, cost in zip(
            rows[parameter.name], rows["status"], rows[COST], strict=True
        ):
            if status == OPTIMAL and np.isfinite(cost):
                costs.append((float(value), float(cost)))
            else:
                missing.append((float(value), str(status)))
        bars.append(TornadoBar(parameter, base_cost, tuple(costs), tuple(missing)))
    return sorted(bars, key=lambda bar: -bar.width)


def tornado_table(bars: Sequence[TornadoBar]) -> pd.DataFrame:
    """The bars as a table, widest first: ``parameter``, ``base_usd`` (the base plan's total
    cost), the cheapest value and its cost (``low_value``, ``low_usd``), the dearest
    (``high_value``, ``high_usd``), ``range_usd``, and ``no_plan_at``: (value, status) of each
    value without a plan."""
    return pd.DataFrame(
        [
            {
                "parameter": bar.parameter.name,
                "base_usd": bar.base_cost,
                "low_value": bar.low_value,
                "low_usd": bar.low,
                "high_value": bar.high_value,
                "high_usd": bar.high,
                "range_usd": bar.width,
                "no_plan_at": list(bar.missing),
            }
            for bar in bars
        ],
        columns=[
            "parameter",
            "base_usd",
            "low_value",
            "low_usd",
            "high_value",
            "high_usd",
            "range_usd",
            "no_plan_at",
        ],
    )


def _cost_of(row: pd.Series) -> float:
    return float(row[COST]) if row["status"] == OPTIMAL and np.isfinite(row[COST]) else math.nan


# ---------------------------------------------------------------------------------------------
# Points without a plan


def settings_without_plan(
    results: SweepResults,
) -> list[tuple[list[tuple[SweepParameter, float]], int]]:
    """Settings under which no point has a plan (every point with them is infeasible): single
    parameter values first, then pairs of values not already covered; with their counts. Not
    for Latin-hypercube designs, where every point has values of its own."""
    table = results.table
    infeasible = (table["status"] == INFEASIBLE).to_numpy()
    if not infeasible.any() or results.design == LHS:
        return []
    choices = {p.name: [(p, v) for v in distinct_values(table[p.name])] for p in results.varied}
    masks = {(p.name, v): matches(table[p.name], v) for pairs in choices.values() for p, v in pairs}
    groups, covered = [], np.zeros(len(table), dtype=bool)
    for size in (1, 2):
        found = []
        for chosen in itertools.combinations(results.varied, size):
            options = [choices[p.name] for p in chosen]
            if math.prod(len(o) for o in options) > MAX_COMBINATIONS:
                continue
            for combination in itertools.product(*options):
                mask = np.logical_and.reduce([masks[(p.name, v)] for p, v in combination])
                if mask.any() and infeasible[mask].all() and not covered[mask].all():
                    found.append((list(combination), mask))
        for combination, mask in found:
            groups.append((combination, int(mask.sum())))
            covered |= mask
        if covered[infeasible].all():
            break
    return groups


# ---------------------------------------------------------------------------------------------
# Each parameter


def line_kind(
    results: SweepResults, parameter: SweepParameter
) -> tuple[str, SweepParameter | None]:
    """How the points lie along a parameter: "base" (one-at-a-time: the others at their base),
    "sample" (Latin hypercube: a dot per point), "single" (no other parameter varies), "lines"
    (a line per value of the one other varied parameter, which takes few values) or "band"
    (the median and range over several others); and that other parameter."""
    if results.design == OAT:
        return "base", None
    if results.design == LHS:
        return "sample", None
    others = [p for p in results.varied if p != parameter]
    if not others:
        return "single", None
    if len(others) == 1 and len(distinct_values(results.table[others[0].name])) <= DISCRETE:
        return "lines", others[0]
    return "band", None


def parameter_lines(results: SweepResults, parameter: SweepParameter) -> pd.DataFrame:
    """The points along ``parameter``, as its chart joins them (see ``line_kind``): rows of the
    results table under an index level ``line`` naming the line each is on, sorted by the
    parameter within a line. "lines": a line per value of the other parameter (named by that
    setting, ``cover_months 3``); "base": the points with every other parameter at its base;
    else every point on one line. Points without a plan are kept (their cost is NaN)."""
    kind, other = line_kind(results, parameter)
    table = results.table
    if kind == "lines":
        pieces = [
            (setting(other, value), table[matches(table[other.name], value)])
            for value in distinct_values(table[other.name])
        ]
    elif kind == "base":
        pieces = [("the other parameters at their base", table[results.others_at_base(parameter)])]
    else:
        pieces = [("every point", table)]
    frames = [rows.sort_values(parameter.name, kind="stable") for _, rows in pieces]
    labels = [label for label, _ in pieces]
    return pd.concat(frames, keys=labels, names=["line"])  # slices of one table: same types


def parameter_summary(results: SweepResults, parameter: SweepParameter) -> pd.DataFrame:
    """Per value of ``parameter`` (the index, ascending): ``points``, ``with_plan`` and
    ``without_plan`` (no cost: infeasible or failed), and over the points with a plan the
    least, median and greatest total cost, largest share and frontier measure
    (``objective_usd_min``, ..., ``largest_country_share_max``, ``concentration_min``, ...;
    NaN at a value where no point has a plan). The least cost is the cheapest plan at each
    value; the band charts draw the median and the range."""
    table = results.table
    counts = (
        (~np.isfinite(table[COST])).groupby(table[parameter.name], sort=True).agg(["sum", "size"])
    )
    counts.columns = ["without_plan", "points"]
    solved = results.solved
    figures = list(dict.fromkeys([COST, SHARE, results.measure.column]))
    stats = solved.groupby(parameter.name, sort=True)[figures].agg(["min", "median", "max"])
    stats.columns = [f"{column}_{stat}" for column, stat in stats.columns]
    with_plan = solved.groupby(parameter.name, sort=True).size()
    summary = counts[["points"]].assign(
        with_plan=with_plan.reindex(counts.index, fill_value=0),
        without_plan=counts["without_plan"],
    )
    return summary.join(stats)


def rank_correlations(results: SweepResults, parameter: SweepParameter) -> pd.Series:
    """Spearman's rank correlation of ``parameter`` with the total cost, with the largest
    share and with the frontier measure over the points with a plan (NaN where either is
    constant)."""
    plans = results.solved
    values = {}
    for column in dict.fromkeys([COST, SHARE, results.measure.column]):
        pairs = plans[[parameter.name, column]].dropna()
        constant = pairs[parameter.name].nunique() < 2 or pairs[column].nunique() < 2
        values[column] = (
            math.nan if constant else pairs[parameter.name].corr(pairs[column], method="spearman")
        )
    return pd.Series(values, name=parameter.name)
