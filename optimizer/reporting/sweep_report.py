"""The sweep report: ``report.html`` and ``charts/*.png`` for a sweep's results folder
(``sourcing sweep-report RESULTS``), drawn from its ``sweep.json`` and ``results.parquet``.

It shows the cost/concentration frontier (total cost against the largest single-country share
of any material, with the Pareto frontier, and total cost against each swept country cap), a
tornado chart for one-at-a-time designs, one chart per varied parameter (total cost and the
largest share against it), and tables: points by status, the cheapest and dearest points, the
frontier's points and the points without a plan ("these caps cannot be met" is an answer too).

The page and charts are built from the parts of :mod:`optimizer.reporting.report`, so they are
just as self-contained (data-URI images, inline CSS, a Content-Security-Policy that loads nothing else)
and deterministic (the same results give byte-identical files). "Total cost" is the solver's
objective: it includes the penalty on demand left unmet, so a plan with a shortfall is dear
for that reason; the charts ring such plans.
"""

from __future__ import annotations

import dataclasses
import html
import itertools
import json
import math
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter
from matplotlib.transforms import blended_transform_factory

from optimizer.reporting.report import (
    CHARTS_FOLDER,
    NO_DATA,
    Chart,
    Section,
    facts,
    figure_html,
    headed_legend,
    html_table,
    new_figure,
    page,
    paragraph,
    render_chart,
    write_report,
)
from optimizer.sweep.run import MANIFEST, TABLE

COST, SHARE, SHORTFALL = "objective_usd", "largest_country_share", "shortfall_usd"
OPTIMAL, INFEASIBLE = "optimal", "infeasible"
OAT, GRID, LHS = "one-at-a-time", "grid", "latin-hypercube"
CAP_PATH = "country_caps.max_share"
STATUS_MEANING = {
    "optimal": "a least-cost plan was found",
    "limit": "the solver stopped at a time or iteration limit (left out of the charts)",
    "infeasible": "no plan meets every cap, floor and capacity: the settings cannot all hold",
    "error": "the point failed to solve (the message is in the table below)",
    "invalid": "the point's inputs break a rule of the input files (a contract's minimum above "
    "its maximum, say), so it was not solved; the problems are in the table below",
}
SHOWN_ROWS = 25  # rows of the frontier and no-plan tables; results.csv holds every row
SETTING_COLUMNS = 3  # more varied parameters than this are named in one "Settings" column
EXTREMES = 5  # the cheapest and the dearest points listed
MAX_COMBINATIONS = 2_000  # value pairs searched for settings without any plan
DISCRETE = 10  # a colour parameter with at most this many values gets a legend, else a colourbar
LINE_COLOUR, BASE_COLOUR, FRONTIER_COLOUR = "#1b4f72", "#111111", "#111111"
NO_PLAN_COLOUR, SHORT_RING = "#c0392b", "#e67e22"
BELOW_COLOUR, ABOVE_COLOUR = "#4e79a7", "#f28e2b"
SINGLE_STEMS = ("frontier", "tornado")
STEM_PREFIXES = ("cap-", "line-")
PLAIN_NAME = re.compile(r"[a-z0-9_]+")  # a sweep file's parameter names (sweep.json may differ)


# ---------------------------------------------------------------------------------------------
# Entry point


def write_sweep_report(folder: Path) -> Path:
    """``folder/report.html`` and ``folder/charts/*.png`` for a sweep results folder; the HTML
    path."""
    folder = Path(folder)
    results = SweepResults.from_folder(folder)
    charts, sections = _sections(results)
    document = page(
        title=f"Sweep: {results.name}",
        header=_header(results),
        sections=sections,
        footer="Drawn by `sourcing sweep-report` from this folder's sweep.json and "
        "results.parquet (the same rows as results.csv), where every figure can be traced.",
    )
    return write_report(folder, charts, document, _earlier_stems(folder))


def _earlier_stems(folder: Path) -> list[str]:
    """Charts a sweep report may have written here before (removed unless drawn again)."""
    chart_folder = folder / CHARTS_FOLDER
    if not chart_folder.is_dir():
        return []
    return [
        path.stem
        for path in chart_folder.glob("*.png")
        if path.stem in SINGLE_STEMS or path.stem.startswith(STEM_PREFIXES)
    ]


# ---------------------------------------------------------------------------------------------
# Reading a results folder


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
        array = values.to_numpy(dtype=float)
        return np.isclose(array, self.base, rtol=1e-12, atol=0.0, equal_nan=True)


@dataclass(frozen=True)
class SweepResults:
    """A sweep's manifest and results table."""

    folder: Path
    manifest: dict
    parameters: tuple[SweepParameter, ...]
    table: pd.DataFrame

    @classmethod
    def from_folder(cls, folder: Path) -> SweepResults:
        folder = Path(folder)
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        table = pd.read_parquet(folder / TABLE)
        return cls.from_table(folder, manifest, table)

    @classmethod
    def from_table(cls, folder: Path, manifest: dict, table: pd.DataFrame) -> SweepResults:
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
        for column in (COST, SHARE, SHORTFALL, *(p.name for p in parameters)):
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
    def varied(self) -> list[SweepParameter]:
        """Parameters that take more than one value in the table."""
        return [p for p in self.parameters if self.table[p.name].nunique(dropna=False) > 1]

    @property
    def caps(self) -> list[SweepParameter]:
        return [p for p in self.varied if p.is_cap]

    @property
    def solved(self) -> pd.DataFrame:
        """Optimal points with a cost and a largest share: what the charts draw."""
        table = self.table
        keep = (table["status"] == OPTIMAL) & np.isfinite(table[COST]) & np.isfinite(table[SHARE])
        return table[keep]

    @property
    def without_plan(self) -> pd.DataFrame:
        """Points with no cost: infeasible and failed ones."""
        return self.table[~np.isfinite(self.table[COST])]

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


# ---------------------------------------------------------------------------------------------
# The figures behind the charts


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
        return min((c for _, c in self.costs), default=math.nan)

    @property
    def high(self) -> float:
        return max((c for _, c in self.costs), default=math.nan)

    @property
    def low_value(self) -> float:
        return min(self.costs, key=lambda vc: vc[1])[0] if self.costs else math.nan

    @property
    def high_value(self) -> float:
        return max(self.costs, key=lambda vc: vc[1])[0] if self.costs else math.nan

    @property
    def width(self) -> float:
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


def _cost_of(row: pd.Series) -> float:
    return float(row[COST]) if row["status"] == OPTIMAL and np.isfinite(row[COST]) else math.nan


def _no_plan_groups(results: SweepResults) -> list[tuple[list[tuple[SweepParameter, float]], int]]:
    """Settings under which no point has a plan (every point with them is infeasible): single
    parameter values first, then pairs of values not already covered; with their counts. Not
    for Latin-hypercube designs, where every point has values of its own."""
    table = results.table
    infeasible = (table["status"] == INFEASIBLE).to_numpy()
    if not infeasible.any() or results.design == LHS:
        return []
    choices = {p.name: [(p, v) for v in _distinct(table[p.name])] for p in results.varied}
    masks = {(p.name, v): _equals(table[p.name], v) for pairs in choices.values() for p, v in pairs}
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


def _distinct(values: pd.Series) -> list[float]:
    """The distinct values of a parameter column, ascending (a blank last)."""
    return [float(v) for v in np.unique(values.to_numpy(dtype=float))]


def _equals(values: pd.Series, value: float) -> np.ndarray:
    array = values.to_numpy(dtype=float)
    return np.isclose(array, value, rtol=1e-12, atol=0.0, equal_nan=True)


# ---------------------------------------------------------------------------------------------
# Formatting


def _finite(value) -> bool:
    """A number that is neither missing nor infinite (numpy numbers included)."""
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def _million(value) -> str:
    """USD as USD million in a table cell."""
    return f"{value / 1e6:,.1f}" if _finite(value) else NO_DATA


def _more(value) -> str:
    """A difference in USD million, signed, with a true minus sign."""
    if not _finite(value):
        return NO_DATA
    text = f"{value / 1e6:+,.1f}"
    return "0.0" if text in ("+0.0", "-0.0") else text.replace("-", "−")


def _percent(value) -> str:
    return f"{value:.1%}" if _finite(value) else NO_DATA


def _setting(parameter: SweepParameter, value: float) -> str:
    return f"{parameter.name} {parameter.text(value)}"


def _held_by(row, materials: list[str]) -> str:
    """Which country holds the largest share, and of which materials."""
    shares = {m: row.get(f"top_share_{m}") for m in materials}
    shares = {m: float(s) for m, s in shares.items() if _finite(s)}
    if not shares:
        return NO_DATA
    largest = max(shares.values())
    top = [m for m, s in shares.items() if s >= largest - 1e-9]
    by_country: dict[str, list[str]] = {}
    for material in top:
        by_country.setdefault(str(row.get(f"top_country_{material}", "?")), []).append(material)
    parts = []
    for country, held in by_country.items():
        shown = ", ".join(held) if len(held) <= 2 else f"{len(held)} materials"
        parts.append(f"{country} ({shown})")
    return "; ".join(parts)


def _materials(table: pd.DataFrame) -> list[str]:
    return [c.removeprefix("top_share_") for c in table.columns if c.startswith("top_share_")]


def _million_axis(ax, axis: str = "y") -> None:
    formatter = FuncFormatter(lambda v, _: f"{v:,.6g}")
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(formatter)


def _value_ticks(ax, parameter: SweepParameter, values: Sequence[float]) -> None:
    """Ticks at a parameter's values when there are few, labelled as read (×0.75, 60%)."""
    finite = [v for v in values if math.isfinite(v)]
    if 1 < len(finite) <= 12:
        ax.set_xticks([v * parameter.scale for v in finite], [parameter.text(v) for v in finite])
        if len(finite) > 7:
            ax.tick_params(axis="x", labelrotation=45)
    ax.set_xlabel(parameter.label)


# ---------------------------------------------------------------------------------------------
# Colours, dots, crosses and rings


_CMAP = colormaps["viridis"].resampled(256)


@dataclass(frozen=True)
class _Palette:
    """Colours for the values of one parameter: a legend entry each when there are few, a
    colour bar when there are many; one colour when there is no parameter."""

    parameter: SweepParameter | None
    values: tuple[float, ...]  # the distinct values when discrete, else ()
    low: float = 0.0
    high: float = 1.0

    @classmethod
    def of(cls, parameter: SweepParameter | None, table: pd.DataFrame) -> _Palette:
        if parameter is None:
            return cls(None, ())
        distinct = _distinct(table[parameter.name])
        if len(distinct) <= DISCRETE:
            return cls(parameter, tuple(distinct))
        finite = [v for v in distinct if math.isfinite(v)]
        return cls(parameter, (), min(finite), max(finite))

    def fraction(self, value: float) -> float:
        if self.values:
            index = next((i for i, v in enumerate(self.values) if _same(v, value)), 0)
            return index / (len(self.values) - 1) if len(self.values) > 1 else 0.0
        span = self.high - self.low
        return float(np.clip((value - self.low) / span, 0, 1)) if span > 0 else 0.5

    def colour(self, value: float) -> tuple:
        if self.parameter is None:
            return tuple(_rgba(LINE_COLOUR))
        if not math.isfinite(value) and not self.values:
            return (0.5, 0.5, 0.5, 1.0)
        return tuple(_CMAP(0.85 * self.fraction(value)))

    def colours(self, values: pd.Series) -> list[tuple]:
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


def _rgba(colour: str) -> tuple:
    from matplotlib.colors import to_rgba

    return to_rgba(colour)


def _same(a: float, b: float) -> bool:
    return bool(np.isclose(a, b, rtol=1e-12, atol=0.0, equal_nan=True))


def _dots(ax, palette: _Palette, rows: pd.DataFrame, x: pd.Series, y: pd.Series, size=22):
    """One dot per row, coloured by the palette's parameter."""
    colours = (
        palette.colours(rows[palette.parameter.name])
        if palette.parameter is not None
        else [palette.colour(math.nan)] * len(rows)
    )
    ax.scatter(x, y, s=size, c=colours, edgecolors="white", linewidths=0.4, zorder=3)


def _colour_bar(fig: Figure, palette: _Palette) -> None:
    """A colour bar for a palette with many values, right of the figure's axes."""
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import ListedColormap, Normalize

    parameter = palette.parameter
    if parameter is None:
        return
    cmap = ListedColormap(_CMAP(np.linspace(0, 0.85, 256)))
    mappable = ScalarMappable(Normalize(palette.low, palette.high), cmap)
    bar = fig.colorbar(mappable, ax=fig.axes, pad=0.01, fraction=0.04, aspect=30)
    bar.set_label(parameter.label)
    bar.ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: parameter.text(v)))


def _no_plan_marks(ax, x: Sequence[float], colours: Sequence) -> None:
    """Crosses on the foot of the axes at the x of each point without a plan."""
    transform = blended_transform_factory(ax.transData, ax.transAxes)
    colours = [_rgba(c) for c in colours]
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


def _least_span(ax, relative: float, absolute: float = 0.1) -> None:
    """Widen a y axis whose range is tiny (a flat line) to ``relative`` of its level or
    ``absolute``, whichever is more, so that ticks stay distinct and small moves look small."""
    low, high = ax.get_ylim()
    span = max(relative * abs(low + high) / 2, absolute)
    if high - low < span:
        middle = (low + high) / 2
        ax.set_ylim(middle - span / 2, middle + span / 2)


def _foot_room(axes) -> None:
    """Lower each axis's floor so the crosses at its foot do not sit on the points."""
    for ax in axes:
        low, high = ax.get_ylim()
        ax.set_ylim(low - 0.1 * (high - low), high)


def _rings(ax, rows: pd.DataFrame, x: pd.Series, y: pd.Series) -> bool:
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


def _ring_handle() -> Line2D:
    label = "demand left unmet (penalty in the cost)"
    return Line2D([], [], ls="", marker="o", ms=9, mfc="none", mec=SHORT_RING, mew=1.3, label=label)


def _cross_handle(label: str = "no plan (infeasible or failed)") -> Line2D:
    return Line2D([], [], ls="", marker="x", ms=7, mew=1.8, color=NO_PLAN_COLOUR, label=label)


# ---------------------------------------------------------------------------------------------
# The frontier and the caps


COST_LABEL = "total cost, USD million"
SHARE_LABEL = "largest single-country share of any material, %"


def _colour_parameter(results: SweepResults, exclude: SweepParameter | None = None):
    """The parameter points are coloured by: a cap if one is swept, else the first varied."""
    candidates = [p for p in (*results.caps, *results.varied) if p != exclude]
    return candidates[0] if candidates else None


def _draw_frontier(results: SweepResults) -> Figure | None:
    solved = results.solved
    if solved.empty:
        return None
    front = pareto_frontier(solved)
    palette = _Palette.of(_colour_parameter(results), results.table)
    fig = new_figure(4.6)
    ax = fig.subplots()
    x, y = solved[SHARE] * 100, solved[COST] / 1e6
    _dots(ax, palette, solved, x, y, size=26)
    short = _rings(ax, solved, x, y)
    low, high = float(x.min()), float(x.max())
    pad = max((high - low) * 0.05, 1.0)
    fx, fy = front[SHARE].to_numpy() * 100, front[COST].to_numpy() / 1e6
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
    ax.set_xlabel(SHARE_LABEL)
    ax.set_ylabel(COST_LABEL)
    _million_axis(ax)
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
            label="Pareto frontier (the cheapest for its share)",
        ),
    ]
    if short:
        handles.append(_ring_handle())
    missing = len(results.without_plan)
    if missing:
        points = "point" if missing == 1 else "points"
        handles.append(_cross_handle(f"{missing} {points} without a plan (listed below)"))
    palette.legend(fig)
    headed_legend(fig, handles, "Total cost against supply concentration, every point with a plan")
    return fig


def _frontier_caption(results: SweepResults) -> str:
    solved = results.solved
    front = pareto_frontier(solved)
    cheapest = front.iloc[-1]
    text = (
        f"Each dot is one of the {len(solved)} points with a plan: its total cost against the "
        "largest share any single country holds of any material's arrivals over the horizon. "
        f"The black steps join the {len(front)} Pareto-optimal points (ringed in black): no "
        "other plan is both cheaper and less concentrated, and the step's height at a share is "
        "the least any plan with that largest share or less costs."
    )
    text += (
        f" The cheapest plan costs USD {_million(cheapest[COST])} million with "
        f"{_percent(cheapest[SHARE])} from one country."
    )
    if len(front) == 2:
        least = front.iloc[0]
        text += (
            f" Every plan left of {_percent(cheapest[SHARE])} (the least concentrated has "
            f"{_percent(least[SHARE])}) costs at least USD {_million(least[COST] - cheapest[COST])}"
            " million more."
        )
    elif len(front) > 2:
        step, least = front.iloc[-2], front.iloc[0]
        text += (
            f" Every plan left of {_percent(cheapest[SHARE])} costs at least USD "
            f"{_million(step[COST] - cheapest[COST])} million more; the least concentrated, "
            f"{_percent(least[SHARE])}, costs USD {_million(least[COST] - cheapest[COST])} "
            f"million more (USD {_million(least[COST])} million)."
        )
    colour = _colour_parameter(results)
    if colour is not None:
        text += f" Colour: {colour.name}."
    return text + _ring_sentence(solved) + _missing_sentence(results)


def _ring_sentence(rows: pd.DataFrame) -> str:
    short = int((rows[SHORTFALL].fillna(0.0) > 0).sum())
    if not short:
        return ""
    return (
        f" Orange rings: {short} of these plans leave demand unmet, and their cost includes the "
        "shortfall penalty."
    )


def _missing_sentence(results: SweepResults) -> str:
    missing = results.without_plan
    if missing.empty:
        return ""
    counts = missing["status"].value_counts()
    parts = ", ".join(f"{n} {status}" for status, n in counts.items())
    have = "point has" if len(missing) == 1 else "points have"
    return f" {len(missing)} {have} no plan ({parts}): see Points without a plan."


def _draw_cap(results: SweepResults, cap: SweepParameter) -> Figure | None:
    solved, missing = results.solved, results.without_plan
    if solved.empty:
        return None
    palette = _Palette.of(_colour_parameter(results, exclude=cap), results.table)
    fig = new_figure(4.0)
    ax = fig.subplots()
    x, y = solved[cap.name] * cap.scale, solved[COST] / 1e6
    _dots(ax, palette, solved, x, y)
    short = _rings(ax, solved, x, y)
    handles = []
    if results.design != LHS and len(solved):
        cheapest = solved.groupby(cap.name, sort=True)[COST].min()
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
        handles.append(_ring_handle())
    if len(missing):
        colours = (
            palette.colours(missing[palette.parameter.name])
            if palette.parameter is not None
            else [_rgba(NO_PLAN_COLOUR)] * len(missing)
        )
        _no_plan_marks(ax, list(missing[cap.name] * cap.scale), colours)
        _foot_room([ax])
        handles.append(_cross_handle("no plan (coloured as its point)"))
    _value_ticks(ax, cap, _distinct(results.table[cap.name]))
    ax.set_ylabel(COST_LABEL)
    _million_axis(ax)
    palette.legend(fig)
    headed_legend(fig, handles, f"Total cost against the cap {cap.name}")
    return fig


def _cap_caption(results: SweepResults, cap: SweepParameter) -> str:
    solved = results.solved
    colour = _colour_parameter(results, exclude=cap)
    text = f"Each dot is a point with a plan at its value of {cap.name} ({cap.path})"
    text += f", coloured by {colour.name}." if colour is not None else "."
    if results.design == LHS:
        text += (
            " The other inputs vary too: the lower edge of the cloud is the least a cap has "
            "cost in this sample."
        )
    elif len(solved):
        cheapest = solved.groupby(cap.name, sort=True)[COST].min()
        text += " The black line is the cheapest plan at each value."
        if len(cheapest) > 1:
            tight, loose = cheapest.index[0], cheapest.index[-1]
            text += (
                f" At {cap.text(tight)} the cheapest plan costs USD {_million(cheapest[tight])} "
                f"million, USD {_million(cheapest[tight] - cheapest[loose])} million more than "
                f"at {cap.text(loose)}."
            )
    missing = results.without_plan
    if len(missing):
        text += (
            f" Crosses at the foot: {len(missing)} points without a plan, at their value of "
            f"{cap.name}."
        ) + _groups_sentence(results)
    return text + _ring_sentence(solved)


def _groups_sentence(results: SweepResults) -> str:
    groups = _no_plan_groups(results)
    if not groups:
        return ""
    parts = [
        " with ".join(_setting(p, v) for p, v in combination)
        + f" ({count} point{'s' if count != 1 else ''})"
        for combination, count in groups
    ]
    return " No plan meets every cap, floor and capacity at " + "; ".join(parts) + "."


# ---------------------------------------------------------------------------------------------
# The tornado (one-at-a-time designs)


def _end_label(bar: TornadoBar, value: float, cost: float) -> str:
    parameter = bar.parameter
    text = parameter.reading(value) + (" (base)" if _same(value, parameter.base) else "")
    if math.isfinite(bar.base_cost):
        text += f": {_more(cost - bar.base_cost)}"
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


def _draw_tornado(bars: list[TornadoBar]) -> Figure | None:
    if not bars or not any(bar.costs for bar in bars):
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
    _million_axis(ax, "x")
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
                label=f"base plan, USD {_million(base_cost)} million",
            )
        )
    headed_legend(fig, handles, "Total cost as each parameter moves alone, widest range first")
    return fig


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
    same = _more(bar.high - bar.base_cost) == _more(bar.low - bar.base_cost)
    if same:  # no visible range: one label for the values other than the base
        values = [v for v, _ in bar.costs if not _same(v, bar.parameter.base)] or [bar.high_value]
        high = ", ".join(bar.parameter.reading(v) for v in values)
        if math.isfinite(bar.base_cost):
            high += f": {_more(bar.high - bar.base_cost)}"
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


def _tornado_caption(bars: list[TornadoBar]) -> str:
    base_cost = bars[0].base_cost
    text = (
        "Each bar spans the total cost over one parameter's values with every other parameter "
        "at its base"
    )
    text += (
        f" (dashed line: the base plan, USD {_million(base_cost)} million)"
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
            f" {top.parameter.name} moves the cost from USD {_million(top.low)} million "
            f"({top.parameter.text(top.low_value)}) to USD {_million(top.high)} million "
            f"({top.parameter.text(top.high_value)})."
        )
    notes = [f"{bar.parameter.name}: {_missing_note(bar)}" for bar in bars if bar.missing]
    if notes:
        text += " Red: values with no plan (" + "; ".join(notes) + ")."
    return text


# ---------------------------------------------------------------------------------------------
# One chart per varied parameter

METRICS = ((COST, 1e-6), (SHARE, 100.0))  # (column, scale): USD million, percent


def _plans(rows: pd.DataFrame) -> pd.DataFrame:
    return rows[(rows["status"] == OPTIMAL) & np.isfinite(rows[COST]) & np.isfinite(rows[SHARE])]


def _no_plans(rows: pd.DataFrame) -> pd.DataFrame:
    return rows[~np.isfinite(rows[COST])]


@dataclass
class _Drawn:
    """What a parameter chart drew, for its legend and caption."""

    kind: str  # "base", "single", "lines", "band" or "sample"
    handles: list
    rings: bool = False
    crosses: bool = False
    other: SweepParameter | None = None
    cross_label: str = "no plan (infeasible or failed)"


def _series(
    axes, parameter: SweepParameter, rows: pd.DataFrame, colour, *, line=True, cross_colour=None
) -> tuple[bool, bool]:
    """Rows on both panels (a line through the plans, or dots); crosses for rows without a
    plan. Whether rings and crosses were drawn."""
    rows = rows.sort_values(parameter.name, kind="stable")
    plans, missing = _plans(rows), _no_plans(rows)
    x = plans[parameter.name] * parameter.scale
    for ax, (column, scale) in zip(axes, METRICS, strict=True):
        ax.plot(
            x,
            plans[column] * scale,
            ls="-" if line else "",
            lw=1.6,
            marker="o",
            ms=4 if line else 4.5,
            color=colour,
            zorder=3,
        )
        if len(missing):
            where = list(missing[parameter.name] * parameter.scale)
            _no_plan_marks(ax, where, [cross_colour or colour] * len(missing))
    rings = _rings(axes[0], plans, x, plans[COST] / 1e6)
    return rings, bool(len(missing))


def _draw_base(results: SweepResults, parameter: SweepParameter, axes) -> _Drawn:
    rows = results.table[results.others_at_base(parameter)]
    rings, crosses = _series(axes, parameter, rows, LINE_COLOUR, cross_colour=NO_PLAN_COLOUR)
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
    base = _plans(rows[rows["point"] == 0])
    if len(base):
        x = base[parameter.name] * parameter.scale
        for ax, (column, scale) in zip(axes, METRICS, strict=True):
            ax.plot(x, base[column] * scale, ls="", marker="D", ms=7, color=BASE_COLOUR, zorder=4)
        handles.append(
            Line2D([], [], ls="", marker="D", ms=7, color=BASE_COLOUR, label="the base point")
        )
    return _Drawn("base", handles, rings, crosses)


def _draw_lines(results: SweepResults, parameter: SweepParameter, other, axes) -> _Drawn:
    """One line per value of the other varied parameter (or a single line: no other)."""
    table = results.table
    if other is None:
        rings, crosses = _series(axes, parameter, table, LINE_COLOUR, cross_colour=NO_PLAN_COLOUR)
        handles = [
            Line2D(
                [],
                [],
                color=LINE_COLOUR,
                lw=1.6,
                marker="o",
                ms=4,
                label=f"total cost and largest share against {parameter.name}",
            )
        ]
        return _Drawn("single", handles, rings, crosses)
    palette = _Palette.of(other, table)
    rings = crosses = False
    handles = []
    for value in palette.values:
        colour = palette.colour(value)
        drew = _series(axes, parameter, table[_equals(table[other.name], value)], colour)
        rings, crosses = rings or drew[0], crosses or drew[1]
        handles.append(
            Line2D([], [], color=colour, lw=1.6, marker="o", ms=4, label=_setting(other, value))
        )
    return _Drawn("lines", handles, rings, crosses, other, "no plan (in its line's colour)")


def _draw_band(results: SweepResults, parameter: SweepParameter, axes) -> _Drawn:
    """The median and the range over the other parameters at each value."""
    table, plans = results.table, results.solved
    stats = plans.groupby(parameter.name, sort=True)[[COST, SHARE]].agg(["min", "median", "max"])
    x = stats.index.to_numpy(dtype=float) * parameter.scale
    for ax, (column, scale) in zip(axes, METRICS, strict=True):
        ax.fill_between(
            x,
            stats[(column, "min")] * scale,
            stats[(column, "max")] * scale,
            color=LINE_COLOUR,
            alpha=0.18,
            lw=0,
        )
        ax.plot(
            x,
            stats[(column, "median")] * scale,
            lw=1.6,
            marker="o",
            ms=4,
            color=LINE_COLOUR,
            zorder=3,
        )
    missing = (
        (~np.isfinite(table[COST])).groupby(table[parameter.name], sort=True).agg(["sum", "size"])
    )
    missing = missing[missing["sum"] > 0]
    for ax in axes:
        where = list(missing.index.to_numpy(dtype=float) * parameter.scale)
        _no_plan_marks(ax, where, [NO_PLAN_COLOUR] * len(where))
        transform = blended_transform_factory(ax.transData, ax.transAxes)
        for spot, (count, size) in zip(where, missing.to_numpy(), strict=True):
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


def _draw_sample(results: SweepResults, parameter: SweepParameter, axes) -> _Drawn:
    rings, crosses = _series(
        axes, parameter, results.table, LINE_COLOUR, line=False, cross_colour=NO_PLAN_COLOUR
    )
    handles = [
        Line2D([], [], ls="", marker="o", ms=4.5, color=LINE_COLOUR, label="one sampled point")
    ]
    return _Drawn("sample", handles, rings, crosses)


def _kind(results: SweepResults, parameter: SweepParameter) -> tuple[str, SweepParameter | None]:
    """How a parameter's chart is drawn: "base" (one-at-a-time: the others at their base),
    "sample" (Latin hypercube: a dot per point), "single" (no other parameter varies), "lines"
    (a line per value of the one other varied parameter) or "band" (the median and range over
    several others); and that other parameter."""
    if results.design == OAT:
        return "base", None
    if results.design == LHS:
        return "sample", None
    others = [p for p in results.varied if p != parameter]
    if not others:
        return "single", None
    if len(others) == 1 and _Palette.of(others[0], results.table).values:
        return "lines", others[0]
    return "band", None


def _draw_parameter(results: SweepResults, parameter: SweepParameter) -> Figure | None:
    if results.solved.empty:
        return None
    fig = new_figure(3.4)
    axes = fig.subplots(1, 2)
    kind, other = _kind(results, parameter)
    if kind == "base":
        drawn = _draw_base(results, parameter, axes)
    elif kind == "sample":
        drawn = _draw_sample(results, parameter, axes)
    elif kind == "band":
        drawn = _draw_band(results, parameter, axes)
    else:
        drawn = _draw_lines(results, parameter, other, axes)
    titles = (("Total cost", COST_LABEL), ("Largest single-country share", "largest share, %"))
    for ax, (title, label) in zip(axes, titles, strict=True):
        ax.set_title(title, loc="left")
        ax.set_ylabel(label)
        _value_ticks(ax, parameter, _distinct(results.table[parameter.name]))
    _million_axis(axes[0])
    _least_span(axes[0], 0.01)
    _least_span(axes[1], 0.0, 2.0)
    handles = drawn.handles
    if drawn.crosses:
        _foot_room(axes)
    if drawn.rings:
        handles.append(_ring_handle())
    if drawn.crosses:
        handles.append(_cross_handle(drawn.cross_label))
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


def _parameter_caption(results: SweepResults, parameter: SweepParameter) -> str:
    kind, other = _kind(results, parameter)
    table = results.table
    what = f"{parameter.name} sets {parameter.path}" + (
        " (a factor on the base scenario's values)" if parameter.mode == "factor" else ""
    )
    text = (
        f"Total cost (left) and the largest single-country share of any material (right) "
        f"against {parameter.name}. {what}."
    )
    rows = table[results.others_at_base(parameter)] if kind == "base" else table
    if kind == "base":
        text += " Every other parameter is at its base; the diamond is the base point."
        text += _span_sentence(parameter, _plans(rows))
    elif kind == "single":
        text += _span_sentence(parameter, _plans(table))
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
        text += _ring_sentence(_plans(rows))
    return text + _crosses_sentence(results, parameter, kind)


def _span_sentence(parameter: SweepParameter, plans: pd.DataFrame) -> str:
    if len(plans) < 2:
        return ""
    plans = plans.sort_values(parameter.name, kind="stable")
    first, last = plans.iloc[0], plans.iloc[-1]
    shares = (
        f"the largest share stays at {_percent(first[SHARE])}"
        if _percent(first[SHARE]) == _percent(last[SHARE])
        else f"the largest share from {_percent(first[SHARE])} to {_percent(last[SHARE])}"
    )
    return (
        f" From {parameter.text(first[parameter.name])} to {parameter.text(last[parameter.name])} "
        f"the cost goes from USD {_million(first[COST])} to {_million(last[COST])} million and "
        f"{shares}."
    )


def _lines_sentence(results: SweepResults, parameter: SweepParameter, other) -> str:
    """How much the cost changes from the lowest to the highest value, across the lines."""
    table = results.table
    values = _distinct(table[parameter.name])
    low, high = values[0], values[-1]
    changes = []
    for value in _distinct(table[other.name]):
        line = _plans(table[_equals(table[other.name], value)])
        start = line[_equals(line[parameter.name], low)]
        end = line[_equals(line[parameter.name], high)]
        if len(start) and len(end):
            changes.append(float(end[COST].iloc[0] - start[COST].iloc[0]))
    if not changes:
        return ""
    if len(changes) == 1:
        span = f"USD {_more(changes[0])} million"
    else:
        span = f"between USD {_more(min(changes))} and {_more(max(changes))} million"
    return (
        f" From {parameter.text(low)} to {parameter.text(high)} the cost changes by {span}, "
        f"depending on {other.name}."
    )


def _median_sentence(results: SweepResults, parameter: SweepParameter) -> str:
    medians = results.solved.groupby(parameter.name, sort=True)[COST].median()
    if len(medians) < 2:
        return ""
    return (
        f" The median cost goes from USD {_million(medians.iloc[0])} million at "
        f"{parameter.text(medians.index[0])} to USD {_million(medians.iloc[-1])} million at "
        f"{parameter.text(medians.index[-1])}."
    )


def _correlation_sentence(results: SweepResults, parameter: SweepParameter) -> str:
    plans = results.solved
    if len(plans) < 3:
        return ""
    parts = []
    for column, what in ((COST, "the total cost"), (SHARE, "the largest share")):
        rho = plans[parameter.name].corr(plans[column], method="spearman")
        if _finite(rho):
            parts.append(f"{rho:+.2f} with {what}".replace("-", "−"))
    return f" Rank correlation (Spearman): {' and '.join(parts)}." if parts else ""


def _crosses_sentence(results: SweepResults, parameter: SweepParameter, kind: str) -> str:
    table = results.table
    rows = table[results.others_at_base(parameter)] if kind == "base" else table
    missing = _no_plans(rows)
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


# ---------------------------------------------------------------------------------------------
# The page


def _sections(results: SweepResults) -> tuple[list[Chart], list[Section]]:
    charts: list[Chart | None] = []
    solved = results.solved
    frontier = render_chart(
        "frontier",
        "Total cost against the largest single-country share, with the Pareto frontier",
        _frontier_caption(results) if len(solved) else "",
        lambda: _draw_frontier(results),
    )
    body = figure_html(frontier, "No point has a plan: there is no cost to draw.")
    charts.append(frontier)
    if results.design != OAT:  # in a one-at-a-time design the cap's own chart shows this
        for cap in results.caps:
            chart = render_chart(
                f"cap-{_stem(cap.name)}",
                f"Total cost against the cap {cap.name}",
                _cap_caption(results, cap),
                lambda cap=cap: _draw_cap(results, cap),
            )
            charts.append(chart)
            body += figure_html(chart, f"No point has a plan: no cost to draw against {cap.name}.")
    body += "<h3>Points on the frontier</h3>" + _frontier_table(results)
    sections = [
        Section("Points by status", _status_table(results)),
        Section("Cost and concentration", body),
    ]
    if results.design == OAT:
        bars = tornado_bars(results.table, results.parameters)
        tornado = render_chart(
            "tornado",
            "Tornado chart: the range of total cost over each parameter's values",
            _tornado_caption(bars) if bars else "",
            lambda: _draw_tornado(bars),
        )
        charts.append(tornado)
        sections.append(
            Section(
                "Tornado",
                figure_html(tornado, "The base point has no plan and no other point has one.")
                + _tornado_table(bars),
            )
        )
    sections.append(Section("Each parameter", _parameter_body(results, charts)))
    sections += [
        Section("Cheapest and dearest points", _extremes_table(results)),
        Section("Points without a plan", _no_plan_body(results)),
        Section("Parameters", _parameters_table(results)),
    ]
    return [chart for chart in charts if chart is not None], sections


def _stem(name: str) -> str:
    """A parameter's name as part of a chart's file name: as it is when it is a name a sweep
    file allows, else its letters and digits and a checksum (sweep.json is read as found, and
    a name such as ../x must not become a path)."""
    if PLAIN_NAME.fullmatch(name):
        return name
    plain = re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_")[:40]
    return f"{plain}_{zlib.crc32(name.encode('utf-8')):08x}"


def _parameter_body(results: SweepResults, charts: list) -> str:
    varied = results.varied
    if not varied:
        return paragraph("No parameter takes more than one value.", "note")
    body = ""
    for parameter in varied:
        chart = render_chart(
            f"line-{_stem(parameter.name)}",
            f"Total cost and largest single-country share against {parameter.name}",
            _parameter_caption(results, parameter),
            lambda parameter=parameter: _draw_parameter(results, parameter),
        )
        charts.append(chart)
        body += f"<h3>{html.escape(parameter.name)}</h3>" + figure_html(
            chart, f"No point has a plan: no cost to draw against {parameter.name}."
        )
    return body


def _header(results: SweepResults) -> str:
    manifest, table = results.manifest, results.table
    counts = table["status"].value_counts()
    statuses = ", ".join(f"{counts[s]} {s}" for s in _statuses(table))
    expected = manifest.get("points")
    points = f"{len(table):,}"
    if isinstance(expected, int) and expected != len(table):
        points += f" of {expected:,} (the others are not solved yet)"
    solved = results.solved
    items = [
        ("Design", _design_text(results)),
        ("Points", f"{points}: {statuses}" if statuses else points),
        ("Base scenario", str(manifest.get("scenario", NO_DATA))),
        ("Sweep file", str(manifest.get("sweep_file", NO_DATA))),
    ]
    if len(solved):
        cheapest = solved.loc[solved[COST].idxmin()]
        least = pareto_frontier(solved).iloc[0]
        items += [
            (
                "Cheapest plan",
                f"USD {_million(cheapest[COST])} million (point {int(cheapest['point'])})",
            ),
            (
                "Least concentrated plan",
                f"{_percent(least[SHARE])} from one country, USD {_million(least[COST])} million",
            ),
        ]
    items.append(("Fingerprint", str(manifest.get("fingerprint", ""))[:12] or NO_DATA))
    description = str(manifest.get("description") or "")
    return (
        f"<h1>Sweep: {html.escape(results.name)}</h1>"
        + paragraph(
            description
            or f"A {results.design or 'parameter'} sweep of the base scenario: how the plan's "
            "total cost and its supply concentration move as the parameters below vary.",
            "description",
        )
        + facts(items)
    )


def _design_text(results: SweepResults) -> str:
    varied = results.varied
    if results.design == GRID and varied:
        sizes = " × ".join(str(results.table[p.name].nunique(dropna=False)) for p in varied)
        return f"grid, {sizes} values of {', '.join(p.name for p in varied)}"
    if results.design == OAT:
        return f"one-at-a-time: the base point, then {len(results.table) - 1} variations"
    if results.design == LHS:
        return f"Latin hypercube: {len(results.table)} samples of {len(varied)} parameters"
    return results.design or NO_DATA


def _statuses(table: pd.DataFrame) -> list[str]:
    present = list(dict.fromkeys(table["status"]))
    known = [s for s in STATUS_MEANING if s in present]
    return known + sorted(s for s in present if s not in STATUS_MEANING)


def _status_table(results: SweepResults) -> str:
    table = results.table
    if table.empty:
        return paragraph("The results table has no points yet.", "note")
    counts = table["status"].value_counts()
    rows = [
        [
            status,
            f"{counts[status]:,}",
            f"{counts[status] / len(table):.1%}",
            STATUS_MEANING.get(status, ""),
        ]
        for status in _statuses(table)
    ]
    rows.append((["all", f"{len(table):,}", "100.0%", ""], "total"))
    text = html_table(["Status", "Points", "Share", "What it means"], rows, "lrrl")
    groups = _groups_sentence(results).strip()
    return text + (paragraph(groups) if groups else "")


def _setting_columns(results: SweepResults) -> list[str]:
    """The columns naming a point: one per varied parameter when there are few, else one
    "Settings" column (in one-at-a-time designs, only the parameters off their base)."""
    varied = results.varied
    if results.design == OAT or len(varied) > SETTING_COLUMNS:
        return ["Settings"]
    return [p.name for p in varied]


def _parameter_cells(results: SweepResults, row) -> list[str]:
    varied = results.varied
    if results.design == OAT:
        moved = [p for p in varied if not p.at_base(pd.Series([row[p.name]]))[0]]
        return [", ".join(_setting(p, row[p.name]) for p in moved) or "the base point"]
    if len(varied) > SETTING_COLUMNS:
        return [", ".join(_setting(p, row[p.name]) for p in varied)]
    return [p.text(row[p.name]) for p in varied]


def _setting_align(results: SweepResults) -> str:
    columns = _setting_columns(results)
    return "l" if columns == ["Settings"] else "r" * len(columns)


def _extremes_table(results: SweepResults) -> str:
    solved = results.solved
    if solved.empty:
        return paragraph("No point has a plan.", "note")
    ordered = solved.sort_values([COST, "point"], kind="stable")
    cheap = min(EXTREMES, math.ceil(len(ordered) / 2))
    dear = min(EXTREMES, len(ordered) - cheap)
    cheapest = ordered.iloc[0][COST]
    groups = [("Cheapest", ordered.head(cheap))]
    if dear:
        groups.append(("Dearest", ordered.tail(dear).iloc[::-1]))
    materials = _materials(results.table)
    rows: list = []
    for heading, part in groups:
        rows.append(([heading], "group"))
        for _, row in part.iterrows():
            rows.append(
                [
                    str(int(row["point"])),
                    *_parameter_cells(results, row),
                    _million(row[COST]),
                    _more(row[COST] - cheapest),
                    _percent(row[SHARE]),
                    _held_by(row, materials),
                    _million(row.get(SHORTFALL)),
                ]
            )
    names = _setting_columns(results)
    return html_table(
        [
            "Point",
            *names,
            "Total cost",
            "Above the cheapest",
            "Largest share",
            "Held by",
            "Shortfall penalty",
        ],
        rows,
        "r" + _setting_align(results) + "rrrlr",
        f"The {cheap} cheapest and {dear} dearest of the {len(solved)} points with a plan; "
        "costs in USD million. "
        "Largest share: the most any single country supplies of any material over the horizon "
        "(held by that country, of those materials).",
    )


def _frontier_table(results: SweepResults) -> str:
    solved = results.solved
    if solved.empty:
        return paragraph("No point has a plan.", "note")
    front = pareto_frontier(solved)
    cheapest = float(solved[COST].min())
    materials = _materials(results.table)
    shown = front.head(SHOWN_ROWS)
    rows = [
        [
            str(int(row["point"])),
            *_parameter_cells(results, row),
            _percent(row[SHARE]),
            _held_by(row, materials),
            _million(row[COST]),
            _more(row[COST] - cheapest),
        ]
        for _, row in shown.iterrows()
    ]
    names = _setting_columns(results)
    more = f" The first {len(shown)} of {len(front)} are listed." if len(front) > len(shown) else ""
    return html_table(
        [
            "Point",
            *names,
            "Largest share",
            "Held by",
            "Total cost",
            "Above the cheapest",
        ],
        rows,
        "r" + _setting_align(results) + "rlrr",
        "The Pareto-optimal points, least concentrated first: each is the cheapest plan whose "
        f"largest single-country share is no higher; costs in USD million.{more}",
    )


def _no_plan_body(results: SweepResults) -> str:
    missing = results.without_plan
    if missing.empty:
        return paragraph("Every point has a plan.", "note")
    text = _groups_sentence(results).strip() or _ranges_sentence(results)
    shown = missing.head(SHOWN_ROWS)
    diagnosis = shown["diagnosis"] if "diagnosis" in shown.columns else pd.Series("", shown.index)
    rows = [
        [str(int(row["point"])), *_parameter_cells(results, row), row["status"], _short(why)]
        for (_, row), why in zip(shown.iterrows(), diagnosis, strict=True)
    ]
    names = _setting_columns(results)
    more = (
        f" The first {len(shown)} of {len(missing)} are listed; results.csv holds them all."
        if len(missing) > len(shown)
        else ""
    )
    return paragraph(text) + html_table(
        ["Point", *names, "Status", "Why (the diagnosis, shortened)"],
        rows,
        "r" + _setting_align(results) + "ll",
        "Infeasible points are an answer: no plan meets every cap, floor and capacity with "
        f"these settings.{more}",
    )


def _short(text, limit: int = 240) -> str:
    if not isinstance(text, str) or not text:
        return NO_DATA
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _ranges_sentence(results: SweepResults) -> str:
    """For sampled designs: the range of each parameter over the points without a plan,
    against its range over every point."""
    missing, table = results.without_plan, results.table
    parts = []
    for p in results.varied:
        low, high = missing[p.name].min(), missing[p.name].max()
        all_low, all_high = table[p.name].min(), table[p.name].max()
        parts.append(
            f"{p.name} {p.text(low)} to {p.text(high)} (of {p.text(all_low)} to {p.text(all_high)})"
        )
    if not parts:
        return ""
    return f"The {len(missing)} points without a plan have " + "; ".join(parts) + "."


def _parameters_table(results: SweepResults) -> str:
    table = results.table
    rows = []
    for p in results.parameters:
        values = _distinct(table[p.name])
        shown = (
            ", ".join(p.text(v) for v in values)
            if len(values) <= 8
            else f"{len(values):,} values, {p.text(values[0])} to {p.text(values[-1])}"
        )
        rows.append([p.name, p.path, p.mode, p.text(p.base), shown])
    if not rows:
        return paragraph("sweep.json lists no parameters found in the results table.", "note")
    return html_table(
        ["Name", "Path", "Mode", "Base", "Values in the results"],
        rows,
        "lllrl",
        "set: each value replaces the matched cells; factor: multiplies them (×1 is the base).",
    )


def _tornado_table(bars: list[TornadoBar]) -> str:
    rows = []
    for bar in bars:
        p = bar.parameter
        rows.append(
            [
                p.name,
                p.text(bar.low_value) if bar.costs else NO_DATA,
                _million(bar.low),
                p.text(bar.high_value) if bar.costs else NO_DATA,
                _million(bar.high),
                _million(bar.width) if bar.costs else NO_DATA,
                ", ".join(f"{p.text(v)} ({s})" for v, s in bar.missing) or NO_DATA,
            ]
        )
    return html_table(
        [
            "Parameter",
            "Cheapest at",
            "USD million",
            "Dearest at",
            "USD million",
            "Range USD million",
            "No plan at",
        ],
        rows,
        "lrrrrrl",
        "The bars' ends: the cheapest and dearest of each parameter's values, the others at "
        "their base.",
    )
