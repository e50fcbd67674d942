"""Drawing the reports' charts: ``render_chart`` draws a figure to PNG in a fixed style,
``new_figure`` starts one, and small helpers lay out panels, axes, bars, labels and legends.

Charts are drawn on matplotlib's Agg canvas directly (no pyplot, so never a GUI backend and no
figure left registered anywhere), in matplotlib's default style whatever the user's
matplotlibrc says, and without timestamps: drawing the same figures twice gives byte-identical
files. Every country has one colour (``country_colour``) in every chart of every report.
"""

from __future__ import annotations

import io
import math
import struct
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib import style
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import Formatter, FuncFormatter, MaxNLocator

from optimizer.reporting.kit import Chart

SHOWN_FROM_T = 1e-6  # a material with less than this in every month has nothing to draw
ZERO_USD = 0.5  # a cost component under this (either way) is zero: left out of a cost chart
DPI = 150  # 8.6 inches wide: 1290 px, sharp on high-density screens at the report's ~1000 px
WIDTH_IN = 8.6

# One colour per country, everywhere. Countries not named here get one of OTHER_COLOURS from a
# hash of their code (zlib.crc32: the same in every process, unlike hash()).
COUNTRY_COLOURS = {
    "CN": "#e15759",
    "IN": "#f28e2b",
    "US": "#4e79a7",
    "JP": "#b07aa1",
    "MY": "#76b7b2",
    "RU": "#9c755f",
    "EE": "#edc948",
    "AU": "#59a14f",
    "VN": "#ff9da7",
    "MM": "#bab0ac",
    "BR": "#2ca02c",
    "CA": "#17becf",
    "KZ": "#8c564b",
    "LA": "#bcbd22",
    "TH": "#e377c2",
    "KR": "#393b79",
    "GB": "#7f7f7f",
    "FR": "#1f77b4",
    "DE": "#843c39",
    "ZA": "#637939",
}
OTHER_COLOURS = (
    "#1f77b4",
    "#2ca02c",
    "#9467bd",
    "#17becf",
    "#bcbd22",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#393b79",
    "#637939",
    "#8c6d31",
    "#843c39",
    "#7b4173",
    "#e6550d",
    "#31a354",
    "#de9ed6",
)
RC = {
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8.5,
    "legend.frameon": False,
    "figure.titlesize": 12,
    "figure.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": "#e5e5e5",
    "grid.linewidth": 0.8,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    # Names come from the input files: "$...$" in one is text, never mathtext (which failed the
    # whole report on a name such as $\foo{$).
    "text.parse_math": False,
    # Hatching (domestic output in the supply chart) in white over the bar's own colour.
    "hatch.color": "white",
    "hatch.linewidth": 1.0,
}


def country_colour(country: str) -> str:
    """The colour of a country in every chart."""
    known = COUNTRY_COLOURS.get(country)
    return known or OTHER_COLOURS[zlib.crc32(country.encode("utf-8")) % len(OTHER_COLOURS)]


def render_chart(
    stem: str, alt: str, caption: str, draw: Callable[[], Figure | None]
) -> Chart | None:
    """Draw a figure in a fixed style and render it to PNG bytes (None: nothing to draw)."""
    with chart_style():
        fig = draw()
        if fig is None:
            return None
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
        fig.clear()  # the figure is not registered with pyplot: nothing else holds it
    png = buffer.getvalue()
    width, height = struct.unpack(">II", png[16:24])  # the IHDR chunk: the size as drawn
    return Chart(stem, alt, caption, png, width, height)


@contextmanager
def chart_style() -> Iterator[None]:
    """The reports' style (matplotlib's default, then ``RC``), whatever matplotlibrc says: a
    figure drawn in it looks as it does in the report."""
    with style.context("default"), mpl.rc_context(RC):
        yield


def new_figure(height_in: float, width_in: float = WIDTH_IN) -> Figure:
    """A figure on its own Agg canvas, laid out by matplotlib's constrained layout."""
    fig = Figure(figsize=(width_in, height_in), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


# ---------------------------------------------------------------------------------------------
# Panels and axes


def panels(fig: Figure, count: int, ncols: int) -> list:
    """``count`` axes in a grid; the grid's unused cells are hidden."""
    nrows = math.ceil(count / ncols)
    axes = list(fig.subplots(nrows, ncols, squeeze=False).flat)
    for ax in axes[count:]:
        ax.set_visible(False)
    return axes[:count]


def panel_columns(count: int) -> int:
    """Columns of a grid of ``count`` panels: one for up to two, else two."""
    return 1 if count <= 2 else 2


def tick_number(value: float, _position=None) -> str:
    """Axis numbers: thousands separated, small values without trailing zeros, never in
    scientific notation (a tick of 1e-09 t reads as 0)."""
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    text = np.format_float_positional(value, precision=6, unique=False, trim="-")
    return "0" if text in ("-0", "0") else text


def tonnes_axis(ax, largest: float, axis: str = "y") -> None:
    """A tonnes axis (``axis``: "y" or "x") from 0: round ticks (whole tonnes from ``largest``
    5 t up), thousands separated, no offset and no scientific notation."""
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_locator(
        MaxNLocator(nbins="auto", steps=[1, 2, 2.5, 5, 10], integer=largest >= 5)
    )
    target.set_major_formatter(FuncFormatter(tick_number))


def tick_millions(value: float, _position=None) -> str:
    """An axis in USD as USD million."""
    return f"{value / 1e6:,.0f}" if abs(value) >= 1e7 else f"{value / 1e6:,.3g}"


class MillionsFormatter(Formatter):
    """An axis in USD as USD million with as many decimals as the ticks' spacing needs: ticks
    close together (an axis not from zero) never read alike, and never as an offset."""

    def __init__(self) -> None:
        self.ticks = np.zeros(0)

    def set_locs(self, locs) -> None:  # kept here: Formatter.locs is deprecated (3.11)
        self.ticks = np.sort(np.asarray(locs, dtype=float))

    def __call__(self, value: float, pos=None) -> str:
        locs = self.ticks
        step = float(np.diff(locs).min()) / 1e6 if len(locs) > 1 else 0.0
        decimals = len(f"{step:.6f}".rstrip("0").split(".")[1]) if step > 0 else 0
        return f"{value / 1e6:,.{decimals}f}"


def cost_axis(ax, values: np.ndarray) -> None:
    """The x axis of horizontal cost bars in USD million, from 0 or from the most negative
    value (sales and credits lower the cost), room on the right for the value labels, and a
    zero line where bars go both ways."""
    values = np.nan_to_num(np.asarray(values, dtype=float))
    low, high = min(values.min(), 0.0), max(values.max(), 1.0)
    ax.set_xlim(low * 1.1, high * 1.3)
    if low < 0:
        ax.axvline(0, color="black", lw=0.8)
    ax.xaxis.set_major_formatter(FuncFormatter(tick_millions))
    ax.set_xlabel("USD million")
    ax.grid(False, axis="y")


def laid_out(draws: dict[str, Callable[[], Figure | None]]) -> dict[str, Figure | None]:
    """Each figure of ``draws`` (by chart stem) drawn in the report's style and laid out, its
    tick labels set, but not rendered (None: nothing to draw): to check what a chart holds."""
    with chart_style():
        figures = {stem: draw() for stem, draw in draws.items()}
        for fig in figures.values():
            if fig is not None:
                fig.canvas.draw()
    return figures


def usd_axis(ax, largest: float, unit: str) -> None:
    """An x axis in USD, thousand USD or million USD, whichever reads best."""
    scale, word = (1e6, " million") if largest >= 5e6 else (1e3, " thousand")
    if largest < 5e4:
        scale, word = 1.0, ""
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: tick_number(v / scale)))
    ax.set_xlabel(unit.replace("USD", "USD" + word, 1))


def month_axis(ax, months: list[str]) -> None:
    """Months as positions 0..n-1, a labelled tick every 1, 2, 3, 6, 12 ... months."""
    count = len(months)
    step = next((s for s in (1, 2, 3, 6, 12, 24) if count / s <= 7), 60)
    ticks = list(range(0, count, step))
    ax.set_xticks(ticks, [months[i] for i in ticks])
    ax.set_xlim(-0.6, count - 0.4)
    ax.grid(False, axis="x")


# ---------------------------------------------------------------------------------------------
# Bars and labels


def column_bars(
    ax, x: np.ndarray, heights: np.ndarray, bottom: np.ndarray, colour: str, hatch: str = ""
):
    """Vertical bars as one collection (hundreds of separate rectangles draw slowly), hatched
    in white with ``hatch`` (a matplotlib hatch pattern such as "////") if given."""
    shown = heights > 0
    left, low, high = x[shown] - 0.4, bottom[shown], bottom[shown] + heights[shown]
    corners = np.stack(
        [
            np.column_stack(p)
            for p in ((left, low), (left + 0.8, low), (left + 0.8, high), (left, high))
        ],
        axis=1,
    )
    bars = PolyCollection(corners, facecolors=colour, edgecolors="none", hatch=hatch or None)
    ax.add_collection(bars)


def true_runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) index of each run of True."""
    runs, start = [], None
    for i, flag in enumerate([*flags, False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            runs.append((start, i - 1))
            start = None
    return runs


def value_labels(ax, bars, texts: Sequence[str], horizontal: bool, **style_) -> None:
    """A label just past the end of each bar (of a negative bar: just past zero, beside it)."""
    for bar, text in zip(bars, texts, strict=True):
        if horizontal:
            x, y = bar.get_x() + max(bar.get_width(), 0.0), bar.get_y() + bar.get_height() / 2
            ax.annotate(
                text,
                (x, y),
                xytext=(4, 0),
                textcoords="offset points",
                va="center",
                ha="left",
                fontsize=7.5,
                **style_,
            )
        else:
            x, y = bar.get_x() + bar.get_width() / 2, bar.get_y() + max(bar.get_height(), 0.0)
            ax.annotate(
                text,
                (x, y),
                xytext=(0, 2),
                textcoords="offset points",
                va="bottom",
                ha="center",
                fontsize=7,
                **style_,
            )


# ---------------------------------------------------------------------------------------------
# Legends


def headed_legend(fig: Figure, handles: list, title: str, ncols: int | None = None) -> None:
    """The figure's title with its legend below it, above the panels (a suptitle and an
    outside legend would share, and overlap in, the same top margin)."""
    fig.legend(
        handles=handles,
        loc="outside upper center",
        ncols=_legend_columns(handles, ncols or 10),
        title=title,
        title_fontproperties={"weight": "bold", "size": 12},
    )


def _legend_columns(handles: list, most: int) -> int:
    """As many entries a row as fit the figure's width (about 100 characters of legend)."""
    widest = max(len(h.get_label()) for h in handles) + 6  # the key and the spacing
    return max(1, min(len(handles), most, 100 // widest))


def countries_by_tonnes(tonnes: pd.DataFrame) -> list[str]:
    """Countries by tonnes bought, largest first (the order of every legend and stack)."""
    totals = tonnes.groupby("country", sort=False)["tonnes"].sum()
    return list(totals.sort_values(ascending=False, kind="stable").index)


def country_legend(fig: Figure, countries: list[str], title: str) -> None:
    """A headed legend of the countries' colours."""
    handles = [Patch(color=country_colour(c), label=c) for c in countries]
    headed_legend(fig, handles, title)
