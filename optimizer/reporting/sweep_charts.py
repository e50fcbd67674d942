"""The sweep report's charts of the whole sweep, each with its caption: the frontier (total
cost against the frontier measure, ``results.measure``, every point with a plan and the Pareto
frontier; in words instead when the measure or the cost is the same at every point), total cost
against each swept country cap, and the tornado chart of a one-at-a-time design. They are
drawn from the frames of :mod:`optimizer.reporting.sweep_analysis`; the chart of each parameter
is in :mod:`optimizer.reporting.sweep_parameter_charts`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from optimizer.reporting.charts import headed_legend, new_figure
from optimizer.reporting.sweep_analysis import (
    COST_DECIMALS,
    TornadoBar,
    constant_cost,
    constant_measure,
    frontier,
    parameter_summary,
)
from optimizer.reporting.sweep_marks import (
    BASE_COLOUR,
    COST_LABEL,
    FRONTIER_COLOUR,
    NO_PLAN_COLOUR,
    Palette,
    colour_parameter,
    cross_handle,
    dots,
    foot_room,
    measure_axis,
    million_axis,
    no_plan_marks,
    no_plan_settings_sentence,
    rgba,
    ring_handle,
    ring_sentence,
    shortfall_rings,
    value_ticks,
)
from optimizer.reporting.sweep_results import (
    COST,
    LHS,
    SweepParameter,
    SweepResults,
    distinct_values,
    million,
    million_change,
    same_value,
)

BELOW_COLOUR, ABOVE_COLOUR = "#4e79a7", "#f28e2b"


# ---------------------------------------------------------------------------------------------
# The frontier


def draw_frontier(results: SweepResults) -> Figure | None:
    """Every point with a plan and a figure of the measure, its total cost against that
    figure, and the frontier's steps (None: no such point, or the measure or the cost is the
    same at every one of them: a flat axis says nothing, the page says it in words)."""
    measured, measure = results.measured, results.measure
    if (
        measured.empty
        or constant_measure(results) is not None
        or constant_cost(results) is not None
    ):
        return None
    front = frontier(results)
    palette = Palette.of(colour_parameter(results), results.table)
    fig = new_figure(4.6)
    ax = fig.subplots()
    x, y = measured[measure.column] * measure.scale, measured[COST] / 1e6
    dots(ax, palette, measured, x, y, size=26)
    short = shortfall_rings(ax, measured, x, y)
    low, high = float(x.min()), float(x.max())
    pad = (high - low) * 0.05
    fx, fy = front[measure.column].to_numpy() * measure.scale, front[COST].to_numpy() / 1e6
    ax.step(
        np.append(fx, high + pad),
        np.append(fy, fy[-1]),
        where="post",
        color=FRONTIER_COLOUR,
        lw=1.5,
        zorder=5,
    )
    ax.plot(fx, fy, ls="", marker="o", ms=8, mfc="none", mec=FRONTIER_COLOUR, mew=1.3, zorder=5)
    if len(front) <= 8:
        for share, cost in zip(fx, fy, strict=True):
            ax.annotate(
                f"{cost:,.1f}",
                (share, cost),
                xytext=(4, -9),
                textcoords="offset points",
                fontsize=7.5,
                color=FRONTIER_COLOUR,
                zorder=6,
            )
    ax.set_xlim(low - pad, high + pad)
    measure_axis(ax, measure, "x")
    ax.set_xlabel(measure.axis_label)
    ax.set_ylabel(COST_LABEL)
    million_axis(ax)
    handles = [
        Line2D(
            [],
            [],
            color=FRONTIER_COLOUR,
            lw=1.5,
            marker="o",
            ms=8,
            mfc="none",
            mew=1.3,
            label="Pareto frontier (the cheapest at its figure or below)",
        ),
    ]
    if short:
        handles.append(ring_handle())
    missing = len(results.without_plan)
    if missing:
        points = "point" if missing == 1 else "points"
        handles.append(cross_handle(f"{missing} {points} without a plan (listed below)"))
    palette.legend(fig)
    headed_legend(fig, handles, f"Total cost against {measure.label}, every point with a plan")
    return fig


def frontier_caption(results: SweepResults) -> str:
    """What the frontier shows for this sweep (it is drawn)."""
    measured, measure = results.measured, results.measure
    front = frontier(results)
    cheapest = front.iloc[-1]
    text = (
        f"Each dot is one of the {len(measured)} points with a plan: its total cost against "
        f"{measure.label} over the horizon{_basis(results)}. The black steps join the "
        f"{len(front)} Pareto-optimal points (ringed in black): no other plan is both cheaper "
        "and less concentrated, and the step's height at a figure is the least any plan with "
        "that figure or less costs."
    )
    text += (
        f" The cheapest plan costs USD {million(cheapest[COST])} million at "
        f"{measure.text(cheapest[measure.column])}."
    )
    at = measure.text(cheapest[measure.column])
    if len(front) == 2:
        least = front.iloc[0]
        text += (
            f" Every plan left of {at} (the least concentrated is at "
            f"{measure.text(least[measure.column])}) costs at least USD "
            f"{million(least[COST] - cheapest[COST])} million more."
        )
    elif len(front) > 2:
        step, least = front.iloc[-2], front.iloc[0]
        text += (
            f" Every plan left of {at} costs at least USD "
            f"{million(step[COST] - cheapest[COST])} million more; the least concentrated, at "
            f"{measure.text(least[measure.column])}, costs USD "
            f"{million(least[COST] - cheapest[COST])} million more (USD {million(least[COST])} "
            "million)."
        )
    unmeasured = len(results.solved) - len(measured)
    if unmeasured:
        text += (
            f" {unmeasured} points with a plan have no figure of {measure.label} (nothing of the "
            "material is supplied) and are not drawn."
        )
    colour = colour_parameter(results)
    if colour is not None:
        text += f" Colour: {colour.name}."
    return text + ring_sentence(measured) + _missing_sentence(results)


def frontier_sentence(results: SweepResults) -> str:
    """Why the frontier is not drawn, in words (empty when it is)."""
    solved, measure = results.solved, results.measure
    if solved.empty:
        return "No point has a plan: there is no cost to draw."
    if results.measured.empty:
        return (
            f"No point with a plan has a figure of {measure.label} (nothing of the material is "
            "supplied): there is no frontier to draw."
        )
    value, cost = constant_measure(results), constant_cost(results)
    cheapest = solved.loc[solved[COST].idxmin()]
    costs = (
        f"its {len(solved)} plans cost USD {million(solved[COST].min())} to "
        f"{million(solved[COST].max())} million (the cheapest: point {int(cheapest['point'])})"
    )
    if value is not None:
        return (
            f"Every point with a plan has {measure.label} at {measure.text(value)}"
            f"{_basis(results)}: cost does not trade against concentration in this sweep; "
            f"{costs if cost is None else _same_cost(solved, cost)}. A [frontier] table in the "
            "sweep file names another measure (docs/sweeps.md)." + _missing_sentence(results)
        )
    if cost is not None:
        low, high = solved[measure.column].min(), solved[measure.column].max()
        return (
            f"All {len(solved)} plans cost USD {million(cost)} million, with {measure.label} "
            f"from {measure.text(low)} to {measure.text(high)}: concentration costs nothing in "
            "this sweep." + _missing_sentence(results)
        )
    return ""


def _same_cost(solved: pd.DataFrame, cost: float) -> str:
    return f"each of its {len(solved)} plans costs USD {million(cost)} million"


def _basis(results: SweepResults) -> str:
    """How the shares count processed materials, when the sweep's scenario says."""
    basis = results.manifest.get("share_basis")
    if basis == "origin":
        return " (on the caps' basis: by the origin of the content)"
    if basis == "processing":
        return " (on the caps' basis: a processed material is its processing country's)"
    return ""


def _missing_sentence(results: SweepResults) -> str:
    missing = results.without_plan
    if missing.empty:
        return ""
    counts = missing["status"].value_counts()
    parts = ", ".join(f"{n} {status}" for status, n in counts.items())
    have = "point has" if len(missing) == 1 else "points have"
    return f" {len(missing)} {have} no plan ({parts}): see Points without a plan."


# ---------------------------------------------------------------------------------------------
# Each swept cap


def draw_cap(results: SweepResults, cap: SweepParameter) -> Figure | None:
    """Total cost against a swept cap, the cheapest plan at each value joined, crosses for the
    points without a plan (None: no point has a plan, or every plan costs the same)."""
    solved, missing = results.solved, results.without_plan
    if solved.empty or constant_cost(results) is not None:
        return None
    palette = Palette.of(colour_parameter(results, exclude=cap), results.table)
    fig = new_figure(4.0)
    ax = fig.subplots()
    x, y = solved[cap.name] * cap.scale, solved[COST] / 1e6
    dots(ax, palette, solved, x, y)
    short = shortfall_rings(ax, solved, x, y)
    handles = []
    if results.design != LHS and len(solved):
        cheapest = _cheapest_per_value(results, cap)
        ax.plot(
            cheapest.index.to_numpy() * cap.scale,
            cheapest.to_numpy() / 1e6,
            color=FRONTIER_COLOUR,
            lw=1.4,
            zorder=5,
        )
        handles.append(
            Line2D([], [], color=FRONTIER_COLOUR, lw=1.4, label="the cheapest plan at each cap")
        )
    if short:
        handles.append(ring_handle())
    if len(missing):
        colours = (
            palette.colours(missing[palette.parameter.name])
            if palette.parameter is not None
            else [rgba(NO_PLAN_COLOUR)] * len(missing)
        )
        no_plan_marks(ax, list(missing[cap.name] * cap.scale), colours)
        foot_room([ax])
        handles.append(cross_handle("no plan (coloured as its point)"))
    value_ticks(ax, cap, distinct_values(results.table[cap.name]))
    ax.set_ylabel(COST_LABEL)
    million_axis(ax)
    palette.legend(fig)
    headed_legend(fig, handles, f"Total cost against the cap {cap.name}")
    return fig


def cap_caption(results: SweepResults, cap: SweepParameter) -> str:
    """What the chart of a cap shows for this sweep."""
    solved = results.solved
    colour = colour_parameter(results, exclude=cap)
    text = f"Each dot is a point with a plan at its value of {cap.name} ({cap.path})"
    text += f", coloured by {colour.name}." if colour is not None else "."
    if results.design == LHS:
        text += (
            " The other inputs vary too: the lower edge of the cloud is the least a cap has "
            "cost in this sample."
        )
    elif len(solved):
        cheapest = _cheapest_per_value(results, cap)
        text += " The black line is the cheapest plan at each value."
        if len(cheapest) > 1:
            tight, loose = cheapest.index[0], cheapest.index[-1]
            text += (
                f" At {cap.text(tight)} the cheapest plan costs USD {million(cheapest[tight])} "
                f"million, USD {million(cheapest[tight] - cheapest[loose])} million more than "
                f"at {cap.text(loose)}."
            )
    missing = results.without_plan
    if len(missing):
        text += (
            f" Crosses at the foot: {len(missing)} points without a plan, at their value of "
            f"{cap.name}."
        ) + no_plan_settings_sentence(results)
    return text + ring_sentence(solved)


def _cheapest_per_value(results: SweepResults, parameter: SweepParameter) -> pd.Series:
    """The cheapest plan's total cost at each value with a plan."""
    summary = parameter_summary(results, parameter)
    return summary.loc[summary["with_plan"] > 0, f"{COST}_min"]


# ---------------------------------------------------------------------------------------------
# The tornado (one-at-a-time designs)


def draw_tornado(bars: list[TornadoBar]) -> Figure | None:
    """A bar per parameter from the cheapest to the dearest of its values, the others at
    their base, widest first (None: no value has a plan, or every bar has no width)."""
    if not bars or not any(bar.costs for bar in bars):
        return None
    if all(round(bar.width, COST_DECIMALS) == 0 for bar in bars):
        return None
    fig = new_figure(1.6 + 0.48 * len(bars))
    ax = fig.subplots()
    base_cost = bars[0].base_cost
    for row, bar in enumerate(bars):
        for low, high, colour in _segments(bar):
            ax.barh(row, (high - low) / 1e6, left=low / 1e6, height=0.62, color=colour, zorder=2)
        costs = np.array([c for _, c in bar.costs]) / 1e6
        ax.plot(
            costs,
            [row] * len(costs),
            ls="",
            marker="o",
            ms=3.5,
            color=BASE_COLOUR,
            mec="white",
            mew=0.5,
            zorder=3,
        )
        _tornado_labels(ax, row, bar)
    ends = [c for bar in bars for _, c in bar.costs] + (
        [base_cost] if math.isfinite(base_cost) else []
    )
    low, high = min(ends) / 1e6, max(ends) / 1e6
    span = (high - low) or max(abs(high) * 0.05, 1.0)
    ax.set_xlim(low - 0.4 * span, high + 0.65 * span)
    ax.set_yticks(range(len(bars)), [bar.parameter.name for bar in bars])
    ax.set_ylim(len(bars) - 0.4, -0.6)
    ax.grid(False, axis="y")
    ax.set_xlabel(COST_LABEL)
    million_axis(ax, "x")
    handles = [
        Patch(color=BELOW_COLOUR, label="values below the base"),
        Patch(color=ABOVE_COLOUR, label="values above the base"),
        Line2D(
            [],
            [],
            ls="",
            marker="o",
            ms=3.5,
            color=BASE_COLOUR,
            mec="white",
            mew=0.5,
            label="each value's cost",
        ),
    ]
    if math.isfinite(base_cost):
        ax.axvline(base_cost / 1e6, color=BASE_COLOUR, ls="--", lw=1.1, zorder=4)
        handles.append(
            Line2D(
                [],
                [],
                color=BASE_COLOUR,
                ls="--",
                lw=1.1,
                label=f"base plan, USD {million(base_cost)} million",
            )
        )
    headed_legend(fig, handles, "Total cost as each parameter moves alone, widest range first")
    return fig


def tornado_caption(bars: list[TornadoBar]) -> str:
    """What the tornado shows for this sweep (some bar there is)."""
    base_cost = bars[0].base_cost
    text = (
        "Each bar spans the total cost over one parameter's values with every other parameter "
        "at its base"
    )
    text += (
        f" (dashed line: the base plan, USD {million(base_cost)} million)"
        if math.isfinite(base_cost)
        else " (the base point has no plan, so there is no base line)"
    )
    text += (
        ": blue for values below the base, orange for values above it, a dot per value. The "
        "labels give the value at each end and its change from the base in USD million. The "
        "widest bar, the input the cost depends on most, is at the top."
    )
    top = bars[0]
    if top.costs:
        text += (
            f" {top.parameter.name} moves the cost from USD {million(top.low)} million "
            f"({top.parameter.text(top.low_value)}) to USD {million(top.high)} million "
            f"({top.parameter.text(top.high_value)})."
        )
    notes = [f"{bar.parameter.name}: {_missing_note(bar)}" for bar in bars if bar.missing]
    if notes:
        text += " Red: values with no plan (" + "; ".join(notes) + ")."
    return text


def _end_label(bar: TornadoBar, value: float, cost: float) -> str:
    parameter = bar.parameter
    text = parameter.reading(value) + (" (base)" if same_value(value, parameter.base) else "")
    if math.isfinite(bar.base_cost):
        text += f": {million_change(cost - bar.base_cost)}"
    return text


def _missing_note(bar: TornadoBar) -> str:
    if not bar.missing:
        return ""
    parts = [f"{bar.parameter.text(v)} ({status})" for v, status in bar.missing]
    return "no plan at " + ", ".join(parts)


def _segments(bar: TornadoBar) -> list[tuple[float, float, str]]:
    """(low, high, colour): from the base cost to the costs of the values below the base, and
    to those above it; the longer first, so the shorter is drawn over it."""
    base_value, base_cost = bar.parameter.base, bar.base_cost
    segments = []
    for side, colour in ((-1, BELOW_COLOUR), (1, ABOVE_COLOUR)):
        costs = [c for v, c in bar.costs if np.sign(v - base_value) == side]
        if not costs:
            continue
        ends = [*costs, base_cost] if math.isfinite(base_cost) else costs
        segments.append((min(ends), max(ends), colour))
    return sorted(segments, key=lambda s: s[0] - s[1])


def _tornado_labels(ax, row: int, bar: TornadoBar) -> None:
    """The values at the bar's ends (with the change from the base), and the values with no
    plan, in red after them."""
    note = _missing_note(bar)
    if not bar.costs:
        ax.annotate(
            note,
            (0.5, row),
            xycoords=("axes fraction", "data"),
            ha="center",
            va="center",
            fontsize=7.5,
            color=NO_PLAN_COLOUR,
        )
        return
    style = {"textcoords": "offset points", "va": "center", "fontsize": 7.5}
    high, low = _end_label(bar, bar.high_value, bar.high), _end_label(bar, bar.low_value, bar.low)
    same = million_change(bar.high - bar.base_cost) == million_change(bar.low - bar.base_cost)
    if same:  # no visible range: one label for the values other than the base
        values = [v for v, _ in bar.costs if not same_value(v, bar.parameter.base)] or [
            bar.high_value
        ]
        high = ", ".join(bar.parameter.reading(v) for v in values)
        if math.isfinite(bar.base_cost):
            high += f": {million_change(bar.high - bar.base_cost)}"
    right = ax.annotate(high, (bar.high / 1e6, row), xytext=(5, 0), ha="left", **style)
    if not same:
        ax.annotate(
            low,
            (bar.low / 1e6, row),
            xytext=(-5, 0),
            ha="right",
            **style,
        )
    if note:
        ax.annotate(
            note, (1, 0.5), xycoords=right, xytext=(6, 0), ha="left", color=NO_PLAN_COLOUR, **style
        )
