"""The report's charts of a plan made against disruption scenarios: per material, a fan of the
stock across the scenarios with the floor as written; and the distribution of the scenarios'
costs with the expected cost and the CVaR."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from optimizer.reporting.charts import (
    SHOWN_FROM_T,
    MillionsFormatter,
    headed_legend,
    month_axis,
    new_figure,
    panel_columns,
    panels,
    render_chart,
    tonnes_axis,
)
from optimizer.reporting.kit import Chart, not_shown
from optimizer.results.compare import PlanView

FAN_OUTER, FAN_INNER, MEDIAN, FLOOR, TAIL = "#d6e4f0", "#8fb3d9", "#1b4f72", "#444444", "#c0392b"


def render_risk_charts(plan: PlanView) -> list[Chart]:
    charts = [
        render_chart(
            "risk-stock",
            "Stock across the disruption scenarios, one panel per material",
            "Per material, the stock at each month's end across the scenarios: the band spans "
            "the lowest to the highest, the darker band the middle 80% of probability, the line "
            "the median; dashed, the floor as written (released while a cut lasts)."
            + not_shown(_stocked(plan)[1], "no stock in any scenario"),
            lambda: _draw_fan(plan),
        ),
        render_chart(
            "risk-costs",
            "The scenarios' costs and the CVaR",
            "Each scenario's cost over the horizon, cheapest first, its width its probability; "
            "the tail that the CVaR averages in red, the expected cost and the CVaR as lines.",
            lambda: _draw_costs(plan),
        ),
    ]
    return [chart for chart in charts if chart is not None]


def _weighted_quantiles(values: np.ndarray, weights: np.ndarray, qs) -> list[float]:
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order]) / weights.sum()
    return [float(values[order][min(np.searchsorted(cumulative, q - 1e-12), len(order) - 1)])
            for q in qs]  # fmt: skip


def _stocked(plan: PlanView) -> tuple[list[str], list[str]]:
    """The materials with stock in some scenario and month, and the others (no panel)."""
    stock = plan.tables.get("scenario_stock")
    if stock is None:
        return [], []
    peak = stock.groupby("material")["stock_t"].max()
    shown = [m for m in plan.materials if peak.get(m, 0.0) > SHOWN_FROM_T]
    return shown, [m for m in plan.materials if m not in shown]


def _draw_fan(plan: PlanView) -> Figure | None:
    stock, risk = plan.tables.get("scenario_stock"), plan.tables.get("risk")
    if stock is None or risk is None or stock.empty:
        return None
    probability = risk.set_index("scenario")["probability"]
    months = sorted(set(stock["month"]))
    materials, _ = _stocked(plan)
    if not materials:
        return None
    ncols = panel_columns(len(materials))
    fig = new_figure(0.9 + 2.05 * math.ceil(len(materials) / ncols))
    x = np.arange(len(months))
    for ax, material in zip(panels(fig, len(materials), ncols), materials, strict=True):
        rows = stock[stock["material"] == material]
        wide = rows.pivot(index="month", columns="scenario", values="stock_t").reindex(months)
        weights = probability.reindex(wide.columns).to_numpy(dtype=float)
        bands = np.array([
            _weighted_quantiles(wide.loc[m].to_numpy(dtype=float), weights, (0, 0.1, 0.5, 0.9, 1))
            for m in months
        ])  # fmt: skip
        ax.fill_between(x, bands[:, 0], bands[:, 4], color=FAN_OUTER, lw=0)
        ax.fill_between(x, bands[:, 1], bands[:, 3], color=FAN_INNER, lw=0)
        ax.plot(x, bands[:, 2], color=MEDIAN, lw=1.8)
        floor = rows.groupby("month")["floor_t"].max().reindex(months).to_numpy(dtype=float)
        ax.plot(x, floor, ls="--", lw=1.2, color=FLOOR)
        ax.set_title(material)
        ax.set_ylim(bottom=0)
        ax.set_ylabel("t")
        tonnes_axis(ax, ax.get_ylim()[1])
        month_axis(ax, months)
    handles = [
        Patch(color=FAN_OUTER, label="lowest to highest"),
        Patch(color=FAN_INNER, label="middle 80% of probability"),
        Line2D([], [], color=MEDIAN, lw=1.8, label="median"),
        Line2D([], [], color=FLOOR, lw=1.2, ls="--", label="floor as written (cover target)"),
    ]
    headed_legend(fig, handles, "Stock at month end across the scenarios, tonnes")
    return fig


def _draw_costs(plan: PlanView) -> Figure | None:
    risk = plan.tables.get("risk")
    summary = plan.summary.get("risk") or {}
    if risk is None or risk.empty:
        return None
    table = risk.sort_values("cost_usd", kind="stable")
    widths = table["probability"].to_numpy(dtype=float)
    left = np.concatenate([[0.0], np.cumsum(widths)[:-1]])
    tail = table["in_cvar_tail"].astype(str).str.lower().eq("true").to_numpy()
    fig = new_figure(3.2)
    ax = fig.add_subplot(1, 1, 1)
    ax.bar(left, table["cost_usd"].to_numpy(dtype=float), width=widths, align="edge",
           color=np.where(tail, TAIL, FAN_INNER), edgecolor="white", lw=0.5)  # fmt: skip
    handles = [Patch(color=FAN_INNER, label="scenario"), Patch(color=TAIL, label="CVaR tail")]
    for key, style, label in (("expected_cost_usd", "-", "expected cost"),
                              ("cvar_usd", "--", "CVaR")):  # fmt: skip
        value = summary.get(key)
        if isinstance(value, (int, float)):
            ax.axhline(value, color=MEDIAN, ls=style, lw=1.2)
            handles.append(Line2D([], [], color=MEDIAN, ls=style, lw=1.2, label=label))
    low = float(table["cost_usd"].min())
    ax.set_ylim(bottom=max(0.0, low - 0.1 * (float(table["cost_usd"].max()) - low + 1)))
    ax.set_xlim(0, 1)
    ax.set_xlabel("cumulative probability (scenarios cheapest first)")
    ax.set_ylabel("USD million")
    ax.yaxis.set_major_formatter(MillionsFormatter())
    headed_legend(fig, handles, "The scenarios' costs over the horizon")
    return fig
