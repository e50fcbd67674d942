"""The plan report's charts: the import mix by country over time, stock against the
stockpile floor, the cost breakdown and what tightening each binding policy would add to the
cost, each with the caption that says what it shows for this plan."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from optimizer.reporting.charts import (
    column_bars,
    countries_by_tonnes,
    country_colour,
    country_legend,
    headed_legend,
    month_axis,
    new_figure,
    panel_columns,
    panels,
    render_chart,
    tick_millions,
    tick_number,
    true_runs,
    usd_axis,
    value_labels,
)
from optimizer.reporting.kit import Chart, cell_text, cost_label, share_text
from optimizer.results.compare import PlanView, country_shares
from optimizer.results.tables import COST_COMPONENTS

SHOWN_CAPS = 15  # costliest binding caps drawn; the table lists them all
CAP_POLICY, FLOOR_POLICY = "country-share-cap", "stockpile-floor"
COST_COLOURS = {
    "purchase_usd": "#3b5b92",
    "tariff_usd": "#c9733a",
    "freight_usd": "#6a9f58",
    "holding_usd": "#8e6c8a",
    "shortfall_usd": "#c0392b",
    "processing_usd": "#2e86c1",
    "capital_usd": "#34495e",
    "contract_fixed_usd": "#b7950b",
    "take_or_pay_usd": "#d35400",
    "disposal_usd": "#7f8c8d",
    "sales_usd": "#27ae60",
    "below_floor_usd": "#e67e22",
    "closing_credit_usd": "#16a085",
}
STOCK_COLOUR, TARGET_COLOUR, FLOOR_SHADE, SHORT_COLOUR = "#1b4f72", "#444444", "#dfe9f3", "#c0392b"
FLOOR_BAR = "#5d6d7e"


@dataclass(frozen=True)
class PlanCharts:
    """The plan report's charts (None: nothing to draw)."""

    imports: Chart | None
    stock: Chart | None
    costs: Chart | None
    policy: Chart | None

    @property
    def drawn(self) -> list[Chart]:
        """The charts drawn, in the page's order."""
        charts = (self.imports, self.stock, self.costs, self.policy)
        return [chart for chart in charts if chart is not None]


def render_plan_charts(plan: PlanView) -> PlanCharts:
    """Draw the plan's charts (a plan there is: the caller checks)."""
    imports = render_chart(
        "imports",
        "Tonnes arriving per month by country, one panel per material",
        _imports_caption(plan),
        lambda: _draw_imports(plan),
    )
    stock = render_chart(
        "stock",
        "Stock against the cover target, one panel per material",
        _stock_caption(plan),
        lambda: _draw_stock(plan),
    )
    costs = render_chart(
        "costs",
        "Total cost by component",
        _costs_caption(plan.summary),
        lambda: _draw_costs(plan.summary),
    )
    policy = render_chart(
        "policy",
        "Added cost of tightening each binding policy by one unit",
        _policy_caption(plan),
        lambda: _draw_policy(plan),
    )
    return PlanCharts(imports, stock, costs, policy)


def cost_values(costs: dict) -> list[float]:
    """The cost components of ``summary.json``'s costs, in ``COST_COMPONENTS`` order (0: none)."""
    return [float(costs.get(key) or 0.0) for key in COST_COMPONENTS]


def _months(plan: PlanView) -> list[str]:
    return sorted(set(plan.tables["stock"]["month"]))


def _draw_imports(plan: PlanView) -> Figure | None:
    table = plan.tables["plan"]
    if table.empty:
        return None
    months, materials = _months(plan), plan.materials
    countries = countries_by_tonnes(table)
    ncols = panel_columns(len(materials))
    fig = new_figure(0.9 + 2.05 * math.ceil(len(materials) / ncols))
    x = np.arange(len(months))
    for ax, material in zip(panels(fig, len(materials), ncols), materials, strict=True):
        rows = table[table["material"] == material]
        tonnes = rows.pivot_table(
            index="month", columns="country", values="tonnes", aggfunc="sum", fill_value=0.0
        )
        tonnes = tonnes.reindex(index=months, columns=countries, fill_value=0.0)
        bottom = np.zeros(len(months))
        for country in countries:
            values = tonnes[country].to_numpy(dtype=float)
            if values.sum() > 0:
                column_bars(ax, x, values, bottom, country_colour(country))
                bottom += values
        ax.set_ylim(0, max(bottom.max(), 1e-9) * 1.05)
        ax.set_title(material)
        ax.set_ylabel("t per month")
        ax.yaxis.set_major_formatter(FuncFormatter(tick_number))
        month_axis(ax, months)
    country_legend(fig, countries, "Arrivals by country of origin, tonnes per month")
    return fig


def _imports_caption(plan: PlanView) -> str:
    table = plan.tables["plan"]
    lead = (
        "Each bar is one month's arrivals of a material, split by country of origin (each "
        "country has the same colour in every chart). Read how the mix shifts over time and "
        "which countries carry each material."
    )
    if table.empty:
        return lead
    parts = []
    for material in plan.materials:
        shares = country_shares(plan.tables["mix"], material)
        if len(shares):
            parts.append(f"{material} {shares.index[0]} {shares.iloc[0]:.0%}")
    return f"{lead} Largest supplier over the horizon: {', '.join(parts)}."


def _draw_stock(plan: PlanView) -> Figure | None:
    stock = plan.tables["stock"]
    months, materials = _months(plan), plan.materials
    ncols = panel_columns(len(materials))
    fig = new_figure(0.9 + 2.05 * math.ceil(len(materials) / ncols))
    x = np.arange(len(months))
    any_short = False
    for ax, material in zip(panels(fig, len(materials), ncols), materials, strict=True):
        rows = stock[stock["material"] == material].set_index("month").reindex(months)
        for first, last in true_runs(rows["floor_applies"].eq(True).to_numpy()):
            ax.axvspan(first - 0.5, last + 0.5, color=FLOOR_SHADE, lw=0, zorder=0)
        ax.plot(x, rows["floor_t"].to_numpy(dtype=float), ls="--", lw=1.4, color=TARGET_COLOUR)
        ax.plot(
            x, rows["stock_t"].to_numpy(dtype=float), lw=1.8, color=STOCK_COLOUR, marker="o", ms=2.5
        )
        short = rows["shortfall_t"].fillna(0.0).to_numpy(dtype=float)
        title = material
        if (short > 0).any():
            any_short = True
            ax.bar(x[short > 0], short[short > 0], width=0.7, color=SHORT_COLOUR, zorder=3)
            title += f" (shortfall {short.sum():,.2f} t)"
        ax.set_title(title, color=SHORT_COLOUR if (short > 0).any() else "black")
        ax.set_ylim(bottom=0)
        ax.set_ylabel("t")
        ax.yaxis.set_major_formatter(FuncFormatter(tick_number))
        month_axis(ax, months)
    handles = [
        Line2D([], [], color=STOCK_COLOUR, lw=1.8, marker="o", ms=2.5, label="stock, end of month"),
        Line2D([], [], color=TARGET_COLOUR, lw=1.4, ls="--", label="cover target (floor_t)"),
        Patch(color=FLOOR_SHADE, label="months where the floor applies"),
    ]
    if any_short:
        handles.append(Patch(color=SHORT_COLOUR, label="shortfall (demand left unmet)"))
    headed_legend(fig, handles, "Stock against the stockpile floor, tonnes")
    return fig


def _stock_caption(plan: PlanView) -> str:
    summary = plan.summary
    below = summary.get("months_below_cover") or {}
    shortfall = summary.get("shortfall_t") or {}
    text = (
        "The line is each material's stock at the end of the month, the dashed line its cover "
        "target (months of cover × that month's demand). In the shaded months the floor is "
        "enforced, so the line never dips below the target there; before them the stock is "
        "being built up."
    )
    if below:
        text += " Months below the target while building up: " + ", ".join(
            f"{m} {n}" for m, n in below.items()
        )
        text += "."
    if shortfall:
        text += " Red bars are demand left unmet (shortfall): " + ", ".join(
            f"{m} {t:,.2f} t" for m, t in shortfall.items()
        )
        text += "."
    else:
        text += " No demand is left unmet."
    return text


def _draw_costs(summary: dict) -> Figure | None:
    costs = summary.get("costs_usd") or {}
    if not costs:
        return None
    values = cost_values(costs)
    total = float(costs.get("total_usd") or sum(values))
    fig = new_figure(2.8)
    ax = fig.subplots()
    y = np.arange(len(values))
    bars = ax.barh(y, values, color=[COST_COLOURS[k] for k in COST_COMPONENTS], height=0.65)
    ax.set_yticks(y, [cost_label(k) for k in COST_COMPONENTS])
    ax.invert_yaxis()
    labels = [
        f"USD {v:,.0f} ({share_text(v, total)})" if total else f"USD {v:,.0f}" for v in values
    ]
    value_labels(ax, bars, labels, horizontal=True)
    ax.set_xlim(0, max(max(values), 1.0) * 1.3)
    ax.xaxis.set_major_formatter(FuncFormatter(tick_millions))
    ax.set_xlabel("USD million")
    ax.grid(False, axis="y")
    ax.set_title(f"Total cost USD {total:,.0f}, by component", loc="left")
    return fig


def _costs_caption(summary: dict) -> str:
    costs = summary.get("costs_usd") or {}
    total = float(costs.get("total_usd") or 0.0)
    values = dict(zip(COST_COMPONENTS, cost_values(costs), strict=True))
    top = max(values, key=values.get)
    text = (
        "What the plan's total cost is made of: the offers' prices, import duty on them, "
        "freight, the cost of holding stock, and the penalty on demand left unmet."
    )
    if total:
        text += f" {cost_label(top).capitalize()} is {values[top] / total:.1%} of the total"
        text += (
            f"; the shortfall penalty adds USD {values['shortfall_usd']:,.0f}."
            if values["shortfall_usd"] > 0
            else "; no shortfall penalty is paid."
        )
    return text


def _policy_rows(plan: PlanView) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Caps that add to the cost (costliest first) and every material's floor."""
    table = plan.tables.get("policy_costs")
    if table is None or table.empty:
        return pd.DataFrame(), pd.DataFrame()
    cost = pd.to_numeric(table["marginal_cost_usd"], errors="coerce")
    caps = table[(table["policy"] == CAP_POLICY) & (cost > 0)]
    caps = caps.sort_values("marginal_cost_usd", ascending=False, kind="stable")
    floors = table[(table["policy"] == FLOOR_POLICY) & cost.notna()]
    return caps, floors


def _cap_label(row) -> str:
    return f"{row.country} ≤ {row.setting:.0%} on {row.material}, {cell_text(row.window)}"


def _draw_policy(plan: PlanView) -> Figure | None:
    caps, floors = _policy_rows(plan)
    shown = caps.head(SHOWN_CAPS)
    panels = []
    if len(shown):
        more = f" (the {len(shown)} costliest of {len(caps)})" if len(caps) > len(shown) else ""
        panels.append(
            (
                shown,
                [_cap_label(r) for r in shown.itertuples()],
                [country_colour(c) for c in shown["country"]],
                f"Binding country caps{more}",
                "USD per percentage point lower cap",
            )
        )
    if len(floors):
        panels.append(
            (
                floors,
                [f"{r.material}, {r.setting:g} months" for r in floors.itertuples()],
                [FLOOR_BAR] * len(floors),
                "Stockpile floors",
                "USD per month more cover",
            )
        )
    if not panels:
        return None
    heights = [len(p[0]) + 2.2 for p in panels]
    fig = new_figure(0.5 + 0.25 * sum(heights))
    axes = fig.subplots(len(panels), 1, squeeze=False, height_ratios=heights)[:, 0]
    for ax, (rows, labels, colours, title, unit) in zip(axes, panels, strict=True):
        values = rows["marginal_cost_usd"].to_numpy(dtype=float)
        y = np.arange(len(values))
        bars = ax.barh(y, values, color=colours, height=0.65)
        ax.set_yticks(y, labels)
        ax.invert_yaxis()
        value_labels(ax, bars, [f"USD {v:,.0f}" for v in values], horizontal=True)
        ax.set_xlim(0, max(values.max(), 1.0) * 1.25)
        usd_axis(ax, values.max(), unit)
        ax.grid(False, axis="y")
        ax.set_title(title, loc="left")
    fig.suptitle("What tightening each policy by one unit would add to the total cost")
    return fig


def _policy_caption(plan: PlanView) -> str:
    caps, floors = _policy_rows(plan)
    text = (
        "Each bar is what the total cost would rise by if a policy were tightened by one unit: "
        "a binding country cap lowered by one percentage point, or a stockpile floor raised by "
        "one month of cover (from the solver's duals, valid for small changes). Caps that do "
        "not bind cost nothing and are left out."
    )
    if len(caps):
        top = caps.iloc[0]
        text += (
            f" The costliest cap is {top['country']} on {top['material']} in "
            f"{cell_text(top['window'])}: USD {top['marginal_cost_usd']:,.0f} per point."
        )
    if len(floors):
        top = floors.sort_values("marginal_cost_usd", ascending=False, kind="stable").iloc[0]
        text += (
            f" The costliest floor is {top['material']}'s: USD {top['marginal_cost_usd']:,.0f} "
            "per month more cover."
        )
    return text
