"""The sweep report's chart of each varied parameter, with its caption: total cost (left) and
the frontier measure (right; ``results.measure``, by default China's share of its most
dependent material) against the parameter. A figure that is the same at every point with a
plan gets no panel: the caption says its value in words (with neither, there is no chart). How
the points are drawn depends on the design (``sweep_analysis.line_kind``): the others at their
base (one-at-a-time), a dot per point (Latin hypercube), one line, a line per value of the one
other varied parameter, or the median and range over several others. The points come from
``sweep_analysis.parameter_lines`` and ``sweep_analysis.parameter_summary``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.transforms import blended_transform_factory

from optimizer.reporting.charts import headed_legend, new_figure
from optimizer.reporting.sweep_analysis import (
    constant_cost,
    constant_measure,
    line_kind,
    parameter_lines,
    parameter_summary,
    rank_correlations,
)
from optimizer.reporting.sweep_marks import (
    BASE_COLOUR,
    COST_LABEL,
    LINE_COLOUR,
    NO_PLAN_COLOUR,
    Palette,
    cross_handle,
    foot_room,
    least_span,
    measure_axis,
    million_axis,
    no_plan_marks,
    ring_handle,
    ring_sentence,
    shortfall_rings,
    value_ticks,
)
from optimizer.reporting.sweep_results import (
    COST,
    SweepParameter,
    SweepResults,
    distinct_values,
    is_finite,
    matches,
    million,
    million_change,
    rows_with_plan,
    rows_without_plan,
    setting,
)


@dataclass(frozen=True)
class Panel:
    """One panel of a parameter's chart: a figure's column, its scale (USD million, percent)
    and its title and axis label."""

    column: str
    scale: float
    title: str
    label: str


def panels(results: SweepResults) -> list[Panel]:
    """The panels of each parameter's chart: total cost and the frontier measure, each unless
    it is the same at every point with a plan (``constant_cost``, ``constant_measure``)."""
    measure = results.measure
    drawn = []
    if constant_cost(results) is None:
        drawn.append(Panel(COST, 1e-6, "Total cost", COST_LABEL))
    if constant_measure(results) is None and not results.measured.empty:
        title = measure.label[:1].upper() + measure.label[1:]
        unit = "%" if measure.is_share else "HHI (0 to 10,000)"
        drawn.append(Panel(measure.column, measure.scale, title, unit))
    return drawn


@dataclass
class _Drawn:
    """What a parameter chart drew, for its legend and caption."""

    kind: str  # "base", "single", "lines", "band" or "sample"
    handles: list
    rings: bool = False
    crosses: bool = False
    other: SweepParameter | None = None
    cross_label: str = "no plan (infeasible or failed)"


def draw_parameter(results: SweepResults, parameter: SweepParameter) -> Figure | None:
    """Total cost and the frontier measure against ``parameter``, a panel each unless it is
    the same at every point with a plan (None: no point has a plan, or neither varies)."""
    shown = panels(results)
    if results.solved.empty or not shown:
        return None
    fig = new_figure(3.4)
    axes = list(fig.subplots(1, len(shown), squeeze=False).flat)
    kind, other = line_kind(results, parameter)
    if kind == "band":
        drawn = _draw_band(parameter_summary(results, parameter), parameter, axes, shown)
    else:
        lines = parameter_lines(results, parameter)
        if kind == "base":
            drawn = _draw_base(lines, parameter, axes, shown)
        elif kind == "sample":
            drawn = _draw_sample(lines, parameter, axes, shown)
        elif kind == "single":
            drawn = _draw_single(lines, parameter, axes, shown)
        else:
            drawn = _draw_lines(lines, parameter, other, axes, shown)
    for ax, panel in zip(axes, shown, strict=True):
        ax.set_title(panel.title, loc="left", wrap=True)
        ax.set_ylabel(panel.label)
        value_ticks(ax, parameter, distinct_values(results.table[parameter.name]))
        if panel.column == COST:
            million_axis(ax)
            least_span(ax, 0.01)
        else:
            measure = results.measure
            least_span(ax, 0.0, 2.0 if measure.is_share else 200.0)
            measure_axis(ax, measure)
    handles = drawn.handles
    if drawn.crosses:
        foot_room(axes)
    if drawn.rings:
        handles.append(ring_handle())
    if drawn.crosses:
        handles.append(cross_handle(drawn.cross_label))
    headed_legend(fig, handles, _parameter_title(parameter, drawn), ncols=2)
    return fig


def _parameter_title(parameter: SweepParameter, drawn: _Drawn) -> str:
    return {
        "base": f"{parameter.name}, every other parameter at its base",
        "single": f"Total cost and concentration against {parameter.name}",
        "lines": f"{parameter.name}, one line per value of {getattr(drawn.other, 'name', '')}",
        "band": f"{parameter.name}: median and range over the other parameters",
        "sample": f"{parameter.name}: every sampled point (the other inputs vary too)",
    }[drawn.kind]


def _series(
    axes,
    shown: list[Panel],
    parameter: SweepParameter,
    rows: pd.DataFrame,
    colour,
    *,
    line=True,
    cross_colour=None,
) -> tuple[bool, bool]:
    """Rows on both panels (a line through the plans, or dots); crosses for rows without a
    plan. Whether rings and crosses were drawn."""
    rows = rows.sort_values(parameter.name, kind="stable")
    plans, missing = rows_with_plan(rows), rows_without_plan(rows)
    x = plans[parameter.name] * parameter.scale
    for ax, panel in zip(axes, shown, strict=True):
        ax.plot(
            x,
            plans[panel.column] * panel.scale,
            ls="-" if line else "",
            lw=1.6,
            marker="o",
            ms=4 if line else 4.5,
            color=colour,
            zorder=3,
        )
        if len(missing):
            where = list(missing[parameter.name] * parameter.scale)
            no_plan_marks(ax, where, [cross_colour or colour] * len(missing))
    costs = [ax for ax, panel in zip(axes, shown, strict=True) if panel.column == COST]
    ringed = bool(costs) and shortfall_rings(costs[0], plans, x, plans[COST] / 1e6)
    return ringed, bool(len(missing))


def _draw_base(rows: pd.DataFrame, parameter: SweepParameter, axes, shown) -> _Drawn:
    """The points with every other parameter at its base; the base point as a diamond."""
    ringed, crosses = _series(
        axes, shown, parameter, rows, LINE_COLOUR, cross_colour=NO_PLAN_COLOUR
    )
    handles = [
        Line2D(
            [],
            [],
            color=LINE_COLOUR,
            lw=1.6,
            marker="o",
            ms=4,
            label="the other parameters at their base",
        )
    ]
    base = rows_with_plan(rows[rows["point"] == 0])
    if len(base):
        x = base[parameter.name] * parameter.scale
        for ax, panel in zip(axes, shown, strict=True):
            y = base[panel.column] * panel.scale
            ax.plot(x, y, ls="", marker="D", ms=7, color=BASE_COLOUR, zorder=4)
        handles.append(
            Line2D([], [], ls="", marker="D", ms=7, color=BASE_COLOUR, label="the base point")
        )
    return _Drawn("base", handles, ringed, crosses)


def _draw_single(rows: pd.DataFrame, parameter: SweepParameter, axes, shown) -> _Drawn:
    """One line through every point (no other parameter varies)."""
    ringed, crosses = _series(
        axes, shown, parameter, rows, LINE_COLOUR, cross_colour=NO_PLAN_COLOUR
    )
    handles = [
        Line2D(
            [],
            [],
            color=LINE_COLOUR,
            lw=1.6,
            marker="o",
            ms=4,
            label=f"every point, against {parameter.name}",
        )
    ]
    return _Drawn("single", handles, ringed, crosses)


def _draw_lines(
    lines: pd.DataFrame, parameter: SweepParameter, other: SweepParameter, axes, shown
) -> _Drawn:
    """One line per value of the other varied parameter, in the palette's colours."""
    palette = Palette.of(other, lines)
    ringed = crosses = False
    handles = []
    for value in palette.values:
        colour = palette.colour(value)
        drew = _series(axes, shown, parameter, lines[matches(lines[other.name], value)], colour)
        ringed, crosses = ringed or drew[0], crosses or drew[1]
        handles.append(
            Line2D([], [], color=colour, lw=1.6, marker="o", ms=4, label=setting(other, value))
        )
    return _Drawn("lines", handles, ringed, crosses, other, "no plan (in its line's colour)")


def _draw_band(summary: pd.DataFrame, parameter: SweepParameter, axes, shown) -> _Drawn:
    """The median and the range over the other parameters at each value; at the foot, how
    many of a value's points have no plan."""
    drawn = summary[summary["with_plan"] > 0]
    x = drawn.index.to_numpy(dtype=float) * parameter.scale
    for ax, panel in zip(axes, shown, strict=True):
        column, scale = panel.column, panel.scale
        ax.fill_between(
            x,
            drawn[f"{column}_min"] * scale,
            drawn[f"{column}_max"] * scale,
            color=LINE_COLOUR,
            alpha=0.18,
            lw=0,
        )
        ax.plot(
            x,
            drawn[f"{column}_median"] * scale,
            lw=1.6,
            marker="o",
            ms=4,
            color=LINE_COLOUR,
            zorder=3,
        )
    missing = summary[summary["without_plan"] > 0]
    for ax in axes:
        where = list(missing.index.to_numpy(dtype=float) * parameter.scale)
        no_plan_marks(ax, where, [NO_PLAN_COLOUR] * len(where))
        transform = blended_transform_factory(ax.transData, ax.transAxes)
        for spot, (count, size) in zip(
            where, missing[["without_plan", "points"]].to_numpy(), strict=True
        ):
            ax.annotate(
                f"{count} of {size}",
                (spot, 0.03),
                xycoords=transform,
                xytext=(6, 0),
                textcoords="offset points",
                ha="left",
                va="center",
                fontsize=7,
                color=NO_PLAN_COLOUR,
            )
    handles = [
        Line2D(
            [],
            [],
            color=LINE_COLOUR,
            lw=1.6,
            marker="o",
            ms=4,
            label="median over the other parameters",
        ),
        Patch(color=LINE_COLOUR, alpha=0.18, label="lowest to highest"),
    ]
    return _Drawn("band", handles, False, bool(len(missing)))


def _draw_sample(rows: pd.DataFrame, parameter: SweepParameter, axes, shown) -> _Drawn:
    """A dot per point (the other inputs vary too)."""
    ringed, crosses = _series(
        axes, shown, parameter, rows, LINE_COLOUR, line=False, cross_colour=NO_PLAN_COLOUR
    )
    handles = [
        Line2D([], [], ls="", marker="o", ms=4.5, color=LINE_COLOUR, label="one sampled point")
    ]
    return _Drawn("sample", handles, ringed, crosses)


# ---------------------------------------------------------------------------------------------
# The caption


def parameter_caption(results: SweepResults, parameter: SweepParameter) -> str:
    """What the chart of ``parameter`` shows for this sweep."""
    kind, other = line_kind(results, parameter)
    table = results.table
    what = f"{parameter.name} sets {parameter.path}" + (
        " (a factor on the base scenario's values)" if parameter.mode == "factor" else ""
    )
    shown = panels(results)
    drawn = [p.title if p.column != COST else "Total cost" for p in shown]
    if len(drawn) == 2:
        drawn = [f"{drawn[0]} (left)", f"{results.measure.label} (right)"]
    text = f"{' and '.join(drawn)} against {parameter.name}. {what}." + flat_sentence(results)
    rows = table[results.others_at_base(parameter)] if kind == "base" else table
    if kind == "base":
        text += " Every other parameter is at its base; the diamond is the base point."
        text += _span_sentence(results, parameter, rows_with_plan(rows))
    elif kind == "single":
        text += _span_sentence(results, parameter, rows_with_plan(table))
    elif kind == "lines":
        text += f" One line per value of {other.name}." + _lines_sentence(results, parameter, other)
    elif kind == "band":
        names = ", ".join(p.name for p in results.varied if p != parameter)
        text += (
            f" At each value the line is the median over the points with a plan (the other "
            f"parameters, {names}, at every combination) and the band their range, lowest to "
            "highest."
        ) + _median_sentence(results, parameter)
    else:
        text += (
            " Each dot is one sampled point; the other inputs vary too, so read the trend "
            "rather than single dots." + _correlation_sentence(results, parameter)
        )
    if kind != "band":
        text += ring_sentence(rows_with_plan(rows))
    return text + _crosses_sentence(results, parameter, kind)


def flat_sentence(results: SweepResults) -> str:
    """The figures the parameters' charts leave out because they do not vary over the points
    with a plan, in words (empty: both vary, or no point has a plan)."""
    if results.solved.empty:
        return ""
    measure, text = results.measure, ""
    cost, value = constant_cost(results), constant_measure(results)
    if cost is not None:
        text += (
            f" Every point with a plan costs USD {million(cost)} million: the cost does not "
            "move with any parameter, so it has no panel."
        )
    if value is not None:
        text += (
            f" Every point with a plan has {measure.label} at {measure.text(value)}: it does "
            "not move with any parameter, so it has no panel."
        )
    elif results.measured.empty:
        text += f" No point with a plan has a figure of {measure.label}."
    return text


def _span_sentence(results: SweepResults, parameter: SweepParameter, plans: pd.DataFrame) -> str:
    if len(plans) < 2:
        return ""
    measure = results.measure
    plans = plans.sort_values(parameter.name, kind="stable")
    first, last = plans.iloc[0], plans.iloc[-1]
    start, end = measure.text(first[measure.column]), measure.text(last[measure.column])
    moved = f"from {start} to {end}" if start != end else f"stays at {start}"
    figure = f"{measure.label} {moved}"
    return (
        f" From {parameter.text(first[parameter.name])} to {parameter.text(last[parameter.name])} "
        f"the cost goes from USD {million(first[COST])} to {million(last[COST])} million and "
        f"{figure}."
    )


def _lines_sentence(results: SweepResults, parameter: SweepParameter, other) -> str:
    """How much the cost changes from the lowest to the highest value, across the lines."""
    table = results.table
    values = distinct_values(table[parameter.name])
    low, high = values[0], values[-1]
    changes = []
    for value in distinct_values(table[other.name]):
        line = rows_with_plan(table[matches(table[other.name], value)])
        start = line[matches(line[parameter.name], low)]
        end = line[matches(line[parameter.name], high)]
        if len(start) and len(end):
            changes.append(float(end[COST].iloc[0] - start[COST].iloc[0]))
    if not changes:
        return ""
    if len(changes) == 1:
        span = f"USD {million_change(changes[0])} million, on the one line with a plan at both"
    elif million_change(min(changes)) == million_change(max(changes)):
        span = f"USD {million_change(changes[0])} million, whatever {other.name}"
    else:
        low_change, high_change = million_change(min(changes)), million_change(max(changes))
        span = f"between USD {low_change} and {high_change} million, depending on {other.name}"
    return f" From {parameter.text(low)} to {parameter.text(high)} the cost changes by {span}."


def _median_sentence(results: SweepResults, parameter: SweepParameter) -> str:
    summary = parameter_summary(results, parameter)
    medians = summary.loc[summary["with_plan"] > 0, f"{COST}_median"]
    if len(medians) < 2:
        return ""
    return (
        f" The median cost goes from USD {million(medians.iloc[0])} million at "
        f"{parameter.text(medians.index[0])} to USD {million(medians.iloc[-1])} million at "
        f"{parameter.text(medians.index[-1])}."
    )


def _correlation_sentence(results: SweepResults, parameter: SweepParameter) -> str:
    plans = results.solved
    if len(plans) < 3:
        return ""
    rhos = rank_correlations(results, parameter)
    parts = []
    figures = ((COST, "the total cost"), (results.measure.column, results.measure.label))
    for column, what in figures:
        rho = rhos[column]
        if is_finite(rho):
            parts.append(f"{rho:+.2f} with {what}".replace("-", "−"))
    return f" Rank correlation (Spearman): {' and '.join(parts)}." if parts else ""


def _crosses_sentence(results: SweepResults, parameter: SweepParameter, kind: str) -> str:
    table = results.table
    rows = table[results.others_at_base(parameter)] if kind == "base" else table
    missing = rows_without_plan(rows)
    if missing.empty:
        return ""
    if kind == "band":
        return (
            f" Crosses at the foot: values where some points have no plan ('k of n': how many of "
            f"the points at that value); {len(missing)} in all."
        )
    if kind == "base":
        values = ", ".join(
            f"{parameter.text(v)} ({s})"
            for v, s in zip(missing[parameter.name], missing["status"], strict=True)
        )
        return f" Crosses at the foot: no plan at {values}."
    return f" Crosses at the foot: {len(missing)} points without a plan, at their value."
