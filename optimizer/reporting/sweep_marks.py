"""How the sweep charts mark their points, and what the marks mean in a legend or a caption:
colours by a parameter (``Palette``: a legend for a few values, a colour bar for many), dots,
orange rings around plans that leave demand unmet, crosses at the foot of the axes for points
without a plan, and axes in USD million or in a parameter's values as read.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.cm import ScalarMappable
from matplotlib.colors import ListedColormap, Normalize, to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, PercentFormatter
from matplotlib.transforms import blended_transform_factory

from optimizer.reporting.sweep_analysis import DISCRETE, settings_without_plan
from optimizer.reporting.sweep_results import (
    SHORTFALL,
    Measure,
    SweepParameter,
    SweepResults,
    distinct_values,
    same_value,
    setting,
)

LINE_COLOUR, BASE_COLOUR, FRONTIER_COLOUR = "#1b4f72", "#111111", "#111111"
NO_PLAN_COLOUR, SHORT_RING = "#c0392b", "#e67e22"
COST_LABEL = "total cost, USD million"
_CMAP = colormaps["viridis"].resampled(256)


def colour_parameter(
    results: SweepResults, exclude: SweepParameter | None = None
) -> SweepParameter | None:
    """The parameter points are coloured by: a cap if one is swept, else the first varied."""
    candidates = [p for p in (*results.caps, *results.varied) if p != exclude]
    return candidates[0] if candidates else None


@dataclass(frozen=True)
class Palette:
    """Colours for the values of one parameter: a legend entry each when there are few, a
    colour bar when there are many; one colour when there is no parameter."""

    parameter: SweepParameter | None
    values: tuple[float, ...]  # the distinct values when discrete, else ()
    low: float = 0.0
    high: float = 1.0

    @classmethod
    def of(cls, parameter: SweepParameter | None, table: pd.DataFrame) -> Palette:
        """The palette of ``parameter``'s values in ``table`` (None: one colour)."""
        if parameter is None:
            return cls(None, ())
        distinct = distinct_values(table[parameter.name])
        if len(distinct) <= DISCRETE:
            return cls(parameter, tuple(distinct))
        finite = [v for v in distinct if math.isfinite(v)]
        return cls(parameter, (), min(finite), max(finite))

    def fraction(self, value: float) -> float:
        """Where ``value`` falls on the colour map, 0 to 1."""
        if self.values:
            index = next((i for i, v in enumerate(self.values) if same_value(v, value)), 0)
            return index / (len(self.values) - 1) if len(self.values) > 1 else 0.0
        span = self.high - self.low
        return float(np.clip((value - self.low) / span, 0, 1)) if span > 0 else 0.5

    def colour(self, value: float) -> tuple:
        """The colour of a value (grey: a blank on a colour bar)."""
        if self.parameter is None:
            return tuple(rgba(LINE_COLOUR))
        if not math.isfinite(value) and not self.values:
            return (0.5, 0.5, 0.5, 1.0)
        return tuple(_CMAP(0.85 * self.fraction(value)))

    def colours(self, values: pd.Series) -> list[tuple]:
        """The colour of each value."""
        return [self.colour(float(v)) for v in values]

    def legend(self, fig: Figure) -> None:
        """The colours' key on the right: a legend for a few values, else a colour bar."""
        parameter = self.parameter
        if parameter is None:
            return
        if not self.values:
            _colour_bar(fig, self)
            return
        handles = [
            Line2D([], [], ls="", marker="o", ms=6, color=self.colour(v), label=parameter.text(v))
            for v in self.values
        ]
        fig.legend(handles=handles, loc="outside right center", title=parameter.label)


def rgba(colour: str) -> tuple:
    """A colour as (red, green, blue, alpha), to compare colours given either way."""
    return to_rgba(colour)


def _colour_bar(fig: Figure, palette: Palette) -> None:
    """A colour bar for a palette with many values, right of the figure's axes."""
    parameter = palette.parameter
    if parameter is None:
        return
    cmap = ListedColormap(_CMAP(np.linspace(0, 0.85, 256)))
    mappable = ScalarMappable(Normalize(palette.low, palette.high), cmap)
    bar = fig.colorbar(mappable, ax=fig.axes, pad=0.01, fraction=0.04, aspect=30)
    bar.set_label(parameter.label)
    bar.ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: parameter.text(v)))


# ---------------------------------------------------------------------------------------------
# Dots, rings and crosses


def dots(ax, palette: Palette, rows: pd.DataFrame, x: pd.Series, y: pd.Series, size=22):
    """One dot per row, coloured by the palette's parameter."""
    colours = (
        palette.colours(rows[palette.parameter.name])
        if palette.parameter is not None
        else [palette.colour(math.nan)] * len(rows)
    )
    ax.scatter(x, y, s=size, c=colours, edgecolors="white", linewidths=0.4, zorder=3)


def no_plan_marks(ax, x: Sequence[float], colours: Sequence) -> None:
    """Crosses on the foot of the axes at the x of each point without a plan."""
    transform = blended_transform_factory(ax.transData, ax.transAxes)
    colours = [rgba(c) for c in colours]
    for colour in dict.fromkeys(colours):
        xs = [v for v, c in zip(x, colours, strict=True) if c == colour]
        ax.plot(
            xs,
            [0.03] * len(xs),
            ls="",
            marker="x",
            ms=7,
            mew=1.8,
            color=colour,
            transform=transform,
            clip_on=False,
            zorder=6,
        )


def least_span(ax, relative: float, absolute: float = 0.1) -> None:
    """Widen a y axis whose range is tiny (a flat line) to ``relative`` of its level or
    ``absolute``, whichever is more, so that ticks stay distinct and small moves look small."""
    low, high = ax.get_ylim()
    span = max(relative * abs(low + high) / 2, absolute)
    if high - low < span:
        middle = (low + high) / 2
        ax.set_ylim(middle - span / 2, middle + span / 2)


def foot_room(axes) -> None:
    """Lower each axis's floor so the crosses at its foot do not sit on the points."""
    for ax in axes:
        low, high = ax.get_ylim()
        ax.set_ylim(low - 0.1 * (high - low), high)


def shortfall_rings(ax, rows: pd.DataFrame, x: pd.Series, y: pd.Series) -> bool:
    """An orange ring around each plan that leaves demand unmet; whether there was one."""
    short = (rows[SHORTFALL].fillna(0.0) > 0).to_numpy()
    if short.any():
        ax.plot(
            x[short],
            y[short],
            ls="",
            marker="o",
            ms=9,
            mfc="none",
            mec=SHORT_RING,
            mew=1.3,
            zorder=4,
        )
    return bool(short.any())


def ring_handle() -> Line2D:
    """The legend entry of the rings."""
    label = "demand left unmet (penalty in the cost)"
    return Line2D([], [], ls="", marker="o", ms=9, mfc="none", mec=SHORT_RING, mew=1.3, label=label)


def cross_handle(label: str = "no plan (infeasible or failed)") -> Line2D:
    """The legend entry of the crosses."""
    return Line2D([], [], ls="", marker="x", ms=7, mew=1.8, color=NO_PLAN_COLOUR, label=label)


# ---------------------------------------------------------------------------------------------
# Axes


def million_axis(ax, axis: str = "y") -> None:
    """Axis numbers as USD million are written: 1,234.5."""
    formatter = FuncFormatter(lambda v, _: f"{v:,.6g}")
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(formatter)


def measure_axis(ax, measure: Measure, axis: str = "y") -> None:
    """Axis numbers as the measure reads: a share in percent, with the decimals the ticks'
    spacing needs and no tick outside 0 to 100%; an HHI as 5,200. Call it once the limits are
    set."""
    target = ax.yaxis if axis == "y" else ax.xaxis
    if not measure.is_share:
        target.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        return
    ticks = [t for t in target.get_majorticklocs() if -1e-9 <= t <= 100 + 1e-9]
    limits = ax.get_ylim() if axis == "y" else ax.get_xlim()
    target.set_ticks(ticks)
    (ax.set_ylim if axis == "y" else ax.set_xlim)(limits)
    step = min(np.diff(ticks), default=1.0)  # as many decimals as the spacing needs: 55%, 2.5%
    decimals = 0 if step >= 1 else math.ceil(-math.log10(step) - 1e-9)
    target.set_major_formatter(PercentFormatter(100, decimals=decimals))


def value_ticks(ax, parameter: SweepParameter, values: Sequence[float]) -> None:
    """Ticks at a parameter's values when there are few, labelled as read (×0.75, 60%)."""
    finite = [v for v in values if math.isfinite(v)]
    if 1 < len(finite) <= 12:
        ax.set_xticks([v * parameter.scale for v in finite], [parameter.text(v) for v in finite])
        if len(finite) > 7:
            ax.tick_params(axis="x", labelrotation=45)
    ax.set_xlabel(parameter.label)


# ---------------------------------------------------------------------------------------------
# What the marks say in a caption


def ring_sentence(rows: pd.DataFrame) -> str:
    """The caption's word on the rings: how many of ``rows``' plans leave demand unmet."""
    short = int((rows[SHORTFALL].fillna(0.0) > 0).sum())
    if not short:
        return ""
    return (
        f" Orange rings: {short} of these plans leave demand unmet, and their cost includes the "
        "shortfall penalty."
    )


def no_plan_settings_sentence(results: SweepResults) -> str:
    """The settings at which no point has a plan, as a sentence (empty: none found)."""
    groups = settings_without_plan(results)
    if not groups:
        return ""
    parts = [
        " with ".join(setting(p, v) for p, v in combination)
        + f" ({count} point{'s' if count != 1 else ''})"
        for combination, count in groups
    ]
    return " No plan meets every cap, floor and capacity at " + "; ".join(parts) + "."
