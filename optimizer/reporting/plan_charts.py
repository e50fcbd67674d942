"""The plan report's charts: the supply by country over time (arrivals and domestic output, as
the country shares count them), stock against the stockpile floor, the cost breakdown and what
tightening each binding policy would add to the cost, each with the caption that says what it
shows for this plan and what it leaves out.

A chart draws no empty panel: a material with nothing to show (under ``SHOWN_FROM_T`` tonnes in
every month) is left out and its caption names it; with nothing left, no chart is drawn."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from optimizer.reporting.charts import (
    SHOWN_FROM_T,
    ZERO_USD,
    column_bars,
    cost_axis,
    countries_by_tonnes,
    country_colour,
    headed_legend,
    laid_out,
    month_axis,
    new_figure,
    panel_columns,
    panels,
    render_chart,
    tonnes_axis,
    true_runs,
    usd_axis,
    value_labels,
)
from optimizer.reporting.kit import Chart, cell_text, cost_label, not_shown, share_text
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
ARRIVALS, DOMESTIC = "arrivals", "domestic output"  # monthly_supply's sources
DOMESTIC_HATCH, KEY_COLOUR = "////", "#8a939b"  # domestic output: hatched; the legend's key


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
        "Tonnes supplied per month by country (arrivals and domestic output), one panel per "
        "material",
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


def plan_figures(plan: PlanView) -> dict[str, Figure | None]:
    """The plan's figures by chart stem, drawn in the report's style but not rendered (None:
    nothing to draw): to check what the charts hold."""
    return laid_out(
        {
            "imports": lambda: _draw_imports(plan),
            "stock": lambda: _draw_stock(plan),
            "policy": lambda: _draw_policy(plan),
            "costs": lambda: _draw_costs(plan.summary),
        }
    )


def cost_values(costs: dict) -> list[float]:
    """The cost components of ``summary.json``'s costs, in ``COST_COMPONENTS`` order (0: none)."""
    return [float(costs.get(key) or 0.0) for key in COST_COMPONENTS]


def _months(plan: PlanView) -> list[str]:
    return sorted(set(plan.tables["stock"]["month"]))


def monthly_supply(plan: PlanView) -> pd.DataFrame:
    """Per material, month, country and source (``arrivals`` or ``domestic output``): the
    tonnes supplied, as the country shares and the caps count them on the processing basis.
    Arrivals count by their supplier's country (``plan.csv``). Domestic output is each month's
    output (``stock.csv``'s ``produced_t``), by the country of the units that made it: in the
    month's cap window, ``mix.csv``'s supply less the arrivals. Where units in several
    countries made a material in one window, its monthly output is split in proportion to their
    output in that window (exact where one country makes it, as in every shipped scenario), so
    the totals over each window are ``mix.csv``'s either way."""
    bought = plan.tables["plan"]
    arrivals = bought.groupby(["material", "month", "country"], sort=False, as_index=False)
    parts = [arrivals["tonnes"].sum().assign(source=ARRIVALS), _domestic_output(plan)]
    parts = [part for part in parts if len(part)]
    if not parts:
        return pd.DataFrame(columns=["material", "month", "country", "source", "tonnes"])
    supply = pd.concat(parts, ignore_index=True)
    return supply.loc[supply["tonnes"] > 0, ["material", "month", "country", "source", "tonnes"]]


def _domestic_output(plan: PlanView) -> pd.DataFrame:
    """Domestic output per material, month and country (see :func:`monthly_supply`)."""
    stock, mix, bought = plan.tables["stock"], plan.tables.get("mix"), plan.tables["plan"]
    if mix is None or mix.empty or "produced_t" not in stock:
        return pd.DataFrame()
    made = stock.loc[stock["produced_t"].to_numpy(dtype=float) > 0]
    if made.empty:
        return pd.DataFrame()
    labels = {cell_text(w) for w in mix["window"]}
    keys = ["material", "window", "country"]
    supplied = mix.assign(window=mix["window"].map(cell_text)).groupby(keys)["tonnes"].sum()
    arrived = bought.assign(window=_windows(bought["month"], labels)).groupby(keys)["tonnes"].sum()
    by_country = supplied.sub(arrived, fill_value=0.0)
    by_country = by_country[by_country > SHOWN_FROM_T]
    share = by_country / by_country.groupby(level=["material", "window"]).transform("sum")
    made = made[["material", "month", "produced_t"]].assign(window=_windows(made["month"], labels))
    rows = made.merge(share.rename("share").reset_index(), on=["material", "window"])
    return pd.DataFrame(
        {
            "material": rows["material"],
            "month": rows["month"],
            "country": rows["country"],
            "tonnes": rows["produced_t"].to_numpy(dtype=float) * rows["share"].to_numpy(float),
            "source": DOMESTIC,
        }
    )


def _windows(months: pd.Series, labels: set[str]) -> list[str]:
    """The cap window of each month, as ``mix.csv`` labels them: the month itself, its year,
    or the horizon's first and last month (``2026-01..2028-12``)."""
    spans = [tuple(label.split("..", 1)) for label in labels if ".." in label]
    return [
        next((w for w in (m, m[:4]) if w in labels), None)
        or next((f"{a}..{b}" for a, b in spans if a <= m <= b), "")
        for m in months
    ]


def _supplied(plan: PlanView) -> tuple[pd.DataFrame, list[str], list[str]]:
    """:func:`monthly_supply`, the materials it has something of (in the plan's order) and
    those it has nothing of."""
    supply = monthly_supply(plan)
    totals = supply.groupby("material")["tonnes"].sum()
    shown = [m for m in plan.materials if totals.get(m, 0.0) > SHOWN_FROM_T]
    return supply, shown, [m for m in plan.materials if m not in shown]


def _draw_imports(plan: PlanView) -> Figure | None:
    supply, materials, _ = _supplied(plan)
    if not materials:
        return None
    months = _months(plan)
    countries = countries_by_tonnes(supply)
    ncols = panel_columns(len(materials))
    fig = new_figure(0.9 + 2.05 * math.ceil(len(materials) / ncols))
    x = np.arange(len(months))
    for ax, material in zip(panels(fig, len(materials), ncols), materials, strict=True):
        tonnes = supply[supply["material"] == material].pivot_table(
            index="month",
            columns=["country", "source"],
            values="tonnes",
            aggfunc="sum",
            fill_value=0.0,
        )
        bottom = np.zeros(len(months))
        for country in countries:  # each country's arrivals, then its domestic output on top
            for source, hatch in ((ARRIVALS, ""), (DOMESTIC, DOMESTIC_HATCH)):
                if (country, source) not in tonnes:
                    continue
                values = tonnes[(country, source)].reindex(months, fill_value=0.0)
                values = values.to_numpy(dtype=float)
                column_bars(ax, x, values, bottom, country_colour(country), hatch)
                bottom += values
        ax.set_ylim(0, bottom.max() * 1.05)
        ax.set_title(material)
        ax.set_ylabel("t per month")
        tonnes_axis(ax, bottom.max())
        month_axis(ax, months)
    handles = [Patch(color=country_colour(c), label=c) for c in countries]
    if (supply["source"] == DOMESTIC).any():
        handles += [
            Patch(facecolor=KEY_COLOUR, label=ARRIVALS),
            Patch(facecolor=KEY_COLOUR, hatch=DOMESTIC_HATCH, edgecolor="white", lw=0,
                  label="domestic output (hatched)"),
        ]  # fmt: skip
        title = "Supply by country: arrivals and domestic output, tonnes per month"
    else:
        title = "Arrivals by country of origin, tonnes per month"
    headed_legend(fig, handles, title)
    return fig


def _imports_caption(plan: PlanView) -> str:
    supply, shown, left_out = _supplied(plan)
    domestic = (supply["source"] == DOMESTIC).any()
    if domestic:
        lead = (
            "Each bar is one month's supply of a material by country, as the country shares "
            "below count it: arrivals by their supplier's country (solid) and domestic output "
            "by the country of the processing unit that made it (hatched, the same colour). "
            "Each country has the same colour in every chart; read how the mix shifts over "
            "time and which countries carry each material."
        )
    else:
        lead = (
            "Each bar is one month's arrivals of a material, split by country of origin (each "
            "country has the same colour in every chart). Read how the mix shifts over time "
            "and which countries carry each material."
        )
    why = "no arrivals or domestic output" if domestic else "no arrivals"
    if not shown:
        return lead + not_shown(left_out, why)
    parts = []
    for material in shown:
        shares = country_shares(plan.tables["mix"], material)
        if len(shares):
            parts.append(f"{material} {shares.index[0]} {shares.iloc[0]:.0%}")
    largest = f" Largest supplier over the horizon: {', '.join(parts)}." if parts else ""
    return lead + largest + not_shown(left_out, why)


def _stocked(plan: PlanView) -> tuple[list[str], list[str]]:
    """The materials with stock, a cover target or a shortfall in some month, and the others
    (their panels would be empty)."""
    stock = plan.tables["stock"]
    figures = stock[["stock_t", "floor_t", "shortfall_t"]].apply(pd.to_numeric, errors="coerce")
    peak = figures.fillna(0.0).abs().max(axis=1).groupby(stock["material"]).max()
    shown = [m for m in plan.materials if peak.get(m, 0.0) > SHOWN_FROM_T]
    return shown, [m for m in plan.materials if m not in shown]


def _draw_stock(plan: PlanView) -> Figure | None:
    stock = plan.tables["stock"]
    months, (materials, _) = _months(plan), _stocked(plan)
    if not materials:
        return None
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
        tonnes_axis(ax, ax.get_ylim()[1])
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
    _, left_out = _stocked(plan)
    return text + not_shown(left_out, "no stock, cover target or shortfall in any month")


def _nonzero_costs(summary: dict) -> tuple[dict[str, float], list[str]]:
    """The cost components that are not zero (by key, in ``COST_COMPONENTS`` order; sales
    and credits below zero), and the labels of those that are."""
    values = dict(zip(COST_COMPONENTS, cost_values(summary.get("costs_usd") or {}), strict=True))
    shown = {k: v for k, v in values.items() if abs(v) >= ZERO_USD}
    return shown, [cost_label(k) for k in COST_COMPONENTS if k not in shown]


def _draw_costs(summary: dict) -> Figure | None:
    costs = summary.get("costs_usd") or {}
    shown, _ = _nonzero_costs(summary)
    if not shown:
        return None
    keys, values = list(shown), np.array(list(shown.values()))
    total = float(costs.get("total_usd") or sum(cost_values(costs)))
    fig = new_figure(0.9 + 0.3 * len(keys))
    ax = fig.subplots()
    y = np.arange(len(values))
    bars = ax.barh(y, values, color=[COST_COLOURS[k] for k in keys], height=0.65)
    ax.set_yticks(y, [cost_label(k) for k in keys])
    ax.invert_yaxis()
    labels = [
        f"USD {v:,.0f} ({share_text(v, total)})" if total else f"USD {v:,.0f}" for v in values
    ]
    value_labels(ax, bars, [label.replace("-", "−") for label in labels], horizontal=True)
    cost_axis(ax, values)
    ax.set_title(f"Total cost USD {total:,.0f}, by component", loc="left")
    return fig


def _costs_caption(summary: dict) -> str:
    costs = summary.get("costs_usd") or {}
    total = float(costs.get("total_usd") or 0.0)
    values = dict(zip(COST_COMPONENTS, cost_values(costs), strict=True))
    top = max(values, key=values.get)
    text = (
        "What the plan's total cost is made of: the offers' prices, import duty on them, "
        "freight, the cost of holding stock, processing and building, contracts, and the "
        "penalty on demand left unmet."
    )
    negative = [cost_label(k) for k, v in values.items() if v <= -ZERO_USD]
    if negative:
        text += f" Bars left of zero lower the cost: {', '.join(negative)}."
    if total:
        text += f" {cost_label(top).capitalize()} is {values[top] / total:.1%} of the total"
        text += (
            f"; the shortfall penalty adds USD {values['shortfall_usd']:,.0f}."
            if values["shortfall_usd"] > 0
            else "; no shortfall penalty is paid."
        )
    _, zero = _nonzero_costs(summary)
    return text + not_shown(zero, "zero in this plan")


def _policy_rows(plan: PlanView) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Caps and floors that add to the cost (caps costliest first)."""
    table = plan.tables.get("policy_costs")
    if table is None or table.empty:
        return pd.DataFrame(), pd.DataFrame()
    cost = pd.to_numeric(table["marginal_cost_usd"], errors="coerce")
    caps = table[(table["policy"] == CAP_POLICY) & (cost > 0)]
    caps = caps.sort_values("marginal_cost_usd", ascending=False, kind="stable")
    floors = table[(table["policy"] == FLOOR_POLICY) & (cost > 0)]
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
        "one month of cover (from the solver's duals, valid for small changes). Caps and "
        "floors that do not bind cost nothing and are left out."
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
