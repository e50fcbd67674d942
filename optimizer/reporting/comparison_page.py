"""The comparison report: ``report.html`` and ``charts/*.png`` for a comparison folder written
by ``sourcing compare``, drawn from its ``compare.json`` and the plans' tables under ``plans/``.

It opens with each plan's verdict (whether it meets every demand and holds every floor) and
each plan's input differences from the baseline (why they differ), then puts the plans side by
side: their cost components, the country shares of each material,
supply concentration (the largest country's share and the HHI), months of cover and shortfall,
and every headline figure with its difference from the baseline plan.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from optimizer.inputs.settings import CAP_WINDOW_WORDS
from optimizer.reporting.charts import (
    countries_by_tonnes,
    country_colour,
    country_legend,
    headed_legend,
    new_figure,
    panel_columns,
    panels,
    render_chart,
    tick_millions,
    tick_number,
    value_labels,
)
from optimizer.reporting.kit import (
    COMPARISON_CHARTS,
    NO_DATA,
    PLAN_CHARTS,
    Chart,
    Section,
    cost_label,
    figure_html,
    html_table,
    is_missing,
    page,
    paragraph,
    signed,
    usd,
    write_report,
)
from optimizer.reporting.plan_page import verdicts_box
from optimizer.results.compare import Comparison, PlanView, load_comparison
from optimizer.results.compare_inputs import UNKNOWN
from optimizer.results.compare_text import format_figure
from optimizer.results.tables import COST_COMPONENTS, COST_LABELS

PLAN_COLOURS = ("#1b4f72", "#d4a017", "#5b8c5a", "#8e44ad", "#a0522d", "#2e86c1", "#7f8c8d")
UNIT_NAMES = {"share": "%", "0-10000": "0–10,000"}
COST_METRICS = {COST_LABELS[key]: key for key in COST_COMPONENTS}  # compare.csv metric: key


def write_comparison_report(folder: Path) -> Path:
    """``folder/report.html`` and ``folder/charts/*.png`` for a comparison folder."""
    folder = Path(folder)
    comparison, plans = load_comparison(folder)
    charts, sections = _comparison_sections(comparison, plans)
    document = page(
        title="Plan comparison: " + " vs ".join(comparison.plans),
        header=_comparison_header(comparison),
        sections=sections,
        footer="Drawn by `sourcing report` from this comparison folder: compare.json and the "
        "plans' tables under plans/ (the same figures as compare.csv and compare_detail.csv).",
    )
    return write_report(folder, charts, document, {*PLAN_CHARTS, *COMPARISON_CHARTS})


def _plan_colour(comparison: Comparison, plan: str) -> str:
    return PLAN_COLOURS[comparison.plans.index(plan) % len(PLAN_COLOURS)]


def _metric(comparison: Comparison, metric: str) -> pd.DataFrame:
    """A per-material figure: one row per material, one column per plan."""
    headline = comparison.headline
    rows = headline[(headline["section"] == "material") & (headline["metric"] == metric)]
    return rows.set_index("material")[comparison.plans]


def _cost_row(comparison: Comparison, metric: str) -> pd.Series:
    headline = comparison.headline
    rows = headline[(headline["section"] == "cost") & (headline["metric"] == metric)]
    return rows.iloc[0][comparison.plans].astype(float)


def _comparison_header(comparison: Comparison) -> str:
    others = [p for p in comparison.plans if p != comparison.baseline]
    return (
        f"<h1>Plan comparison: {html.escape(' vs '.join(comparison.plans))}</h1>"
        + verdicts_box({name: comparison.verdicts.get(name, {}) for name in comparison.plans})
        + paragraph(
            f"{len(comparison.plans)} plans side by side; differences (Δ) are "
            f"{', '.join(others)} minus the baseline {comparison.baseline}.",
            "description",
        )
    )


def _plans_table(comparison: Comparison, plans: list[PlanView]) -> str:
    totals = _cost_row(comparison, "total")
    rows = []
    for plan in plans:
        summary = plan.summary
        horizon = summary.get("horizon") or {}
        policy = summary.get("policy") or {}
        window = CAP_WINDOW_WORDS.get(policy.get("cap_window"), str(policy.get("cap_window")))
        cover = policy.get("stockpile_cover_months") or 0
        floor = f"{cover:g} months from {policy.get('stockpile_from')}" if cover else "none"
        delta = totals[plan.name] - totals[comparison.baseline]
        rows.append(
            [
                plan.name + (" (baseline)" if plan.name == comparison.baseline else ""),
                str(summary.get("status", "")),
                plan.verdict.get("kind", ""),
                f"{totals[plan.name]:,.0f}",
                NO_DATA if plan.name == comparison.baseline else signed(f"{delta:+,.0f}"),
                f"{horizon.get('start')} to {horizon.get('end')}",
                f"caps {window}; floor {floor}",
            ]
        )
    table = html_table(
        ["Plan", "Status", "Verdict", "Total cost USD", "Δ total USD", "Horizon", "Policy"],
        rows,
        "lllrrll",
    )
    descriptions = "".join(
        f"<div><dt>{html.escape(p.name)}</dt><dd>{html.escape(p.summary.get('description', ''))}"
        "</dd></div>"
        for p in plans
        if p.summary.get("description")
    )
    return table + (f'<dl class="descriptions">{descriptions}</dl>' if descriptions else "")


def _inputs_table(comparison: Comparison) -> str:
    """Why the plans differ: each plan's input differences from the baseline (a group per
    plan), that there are none, or why they are unknown (compare_inputs.csv)."""
    inputs, rows = comparison.inputs, []
    for name in comparison.plans:
        if name == comparison.baseline:
            continue
        mine = inputs[inputs["plan"] == name]
        if mine.empty:
            rows.append([f"{name}: no input differences"])
        elif (mine["change"] == UNKNOWN).any():
            rows.append([f"{name}: input differences unknown: {mine['new'].iloc[0]}"])
        else:
            rows.append([f"{name}: {len(mine)} input difference{'s' * (len(mine) > 1)}"])
            rows += [[r.table, r.key, r.column or r.change, r.old, r.new]
                     for r in mine.itertuples(index=False)]  # fmt: skip
    caption = (f"Every setting and input row that differs from the baseline "
               f"{comparison.baseline}, as `sourcing diff` lists them.")  # fmt: skip
    columns = ["File", "Row", "Column", f"In {comparison.baseline}", "In the plan"]
    return html_table(columns, [(r, "group") if len(r) == 1 else r for r in rows], "lllll",
                      caption)  # fmt: skip


def _comparison_sections(
    comparison: Comparison, plans: list[PlanView]
) -> tuple[list[Chart], list[Section]]:
    costs = render_chart(
        "costs",
        "Cost components per plan",
        _compare_costs_caption(comparison),
        lambda: _draw_compare_costs(comparison),
    )
    shares = render_chart(
        "shares",
        "Country shares per material per plan",
        "Each bar is one plan's arrivals of the material over the whole horizon, split by "
        "country of origin (the same colours as every other chart). Caps hold per window, so a "
        "horizon share can sit below a cap that binds in some windows.",
        lambda: _draw_compare_shares(comparison),
    )
    concentration = render_chart(
        "concentration",
        "Largest-country share and HHI per material per plan",
        "Left: the largest single country's share of each material's arrivals over the horizon. "
        "Right: the Herfindahl-Hirschman index, the sum of squared country shares × 10,000 "
        "(10,000 is a single source; lower is more diversified).",
        lambda: _draw_concentration(comparison),
    )
    cover = render_chart(
        "cover",
        "Months of cover and shortfall per material per plan",
        "Left: the lowest months of cover (stock ÷ that month's demand) while the stockpile "
        "floor applies, which is what each plan guarantees. Right: demand left unmet over the "
        "horizon, in tonnes (paid for with the shortfall penalty).",
        lambda: _draw_cover(comparison),
    )
    sections = [
        Section("Plans", _plans_table(comparison, plans)),
        Section("Input differences", _inputs_table(comparison)),
        Section("Cost components", figure_html(costs, "No costs.")),
        Section("Country shares", figure_html(shares, "Nothing is bought in any plan.")),
        Section("Concentration", figure_html(concentration, "No materials.")),
        Section("Cover and shortfall", figure_html(cover, "No materials.")),
        Section("Headline figures", _headline_table(comparison)),
    ]
    charts = [c for c in (costs, shares, concentration, cover) if c is not None]
    return charts, sections


def _draw_compare_costs(comparison: Comparison) -> Figure:
    names = comparison.plans
    values = {m: _cost_row(comparison, m) for m in COST_METRICS}
    totals = _cost_row(comparison, "total")
    per_group = 0.8 / len(names)
    fig = new_figure(1.1 + len(COST_METRICS) * (0.22 * len(names) + 0.22))
    ax = fig.subplots()
    y = np.arange(len(COST_METRICS))
    handles = []  # made here: the axes' own list leaves out a plan whose name starts with "_"
    for j, name in enumerate(names):
        heights = np.array([values[m][name] for m in COST_METRICS], dtype=float)
        colour = _plan_colour(comparison, name)
        bars = ax.barh(
            y - 0.4 + per_group * (j + 0.5),
            np.nan_to_num(heights),
            height=per_group * 0.92,
            color=colour,
        )
        value_labels(ax, bars, [usd(v) for v in heights], horizontal=True)
        label = f"{name} (total USD {totals[name] / 1e6:,.1f} million)"
        handles.append(Patch(color=colour, label=label))
    ax.set_yticks(y, [cost_label(COST_METRICS[m]) for m in COST_METRICS])
    ax.invert_yaxis()
    top = np.nanmax([values[m].max() for m in COST_METRICS])
    ax.set_xlim(0, max(top, 1.0) * 1.3)
    ax.xaxis.set_major_formatter(FuncFormatter(tick_millions))
    ax.set_xlabel("USD million")
    ax.grid(False, axis="y")
    headed_legend(fig, handles, "Cost by component, per plan", min(len(names), 3))
    return fig


def _compare_costs_caption(comparison: Comparison) -> str:
    text = "Each group is one cost component; each bar one plan."
    base = comparison.baseline
    totals = _cost_row(comparison, "total")
    for name in comparison.plans:
        if name == base:
            continue
        delta = totals[name] - totals[base]
        changes = {
            m: _cost_row(comparison, m)[name] - _cost_row(comparison, m)[base] for m in COST_METRICS
        }
        biggest = max(changes, key=lambda m: abs(changes[m]))
        relative = f" ({delta / totals[base]:+.1%})" if totals[base] else ""
        text += (
            f" {name} costs USD {abs(delta):,.0f} {'more' if delta >= 0 else 'less'} than "
            f"{base}{relative}; the largest change is in "
            f"{cost_label(COST_METRICS[biggest])} (USD {signed(f'{changes[biggest]:+,.0f}')})."
        )
    return text


def _draw_compare_shares(comparison: Comparison) -> Figure | None:
    detail = comparison.detail
    if detail.empty:
        return None
    names = comparison.plans
    materials = list(dict.fromkeys(detail["material"]))
    tonnes = detail.assign(tonnes=detail[[f"tonnes {p}" for p in names]].sum(axis=1))
    countries = countries_by_tonnes(tonnes)
    ncols = panel_columns(len(materials))
    fig = new_figure(0.9 + (0.95 + 0.3 * len(names)) * math.ceil(len(materials) / ncols))
    y = np.arange(len(names))
    for ax, material in zip(panels(fig, len(materials), ncols), materials, strict=True):
        rows = detail[detail["material"] == material].set_index("country")
        left = np.zeros(len(names))
        for country in countries:
            if country not in rows.index:
                continue
            shares = np.array([rows.at[country, f"share {p}"] for p in names], dtype=float) * 100
            bars = ax.barh(y, shares, left=left, height=0.62, color=country_colour(country))
            for bar, share in zip(bars, shares, strict=True):
                if share >= 9:
                    ax.text(
                        bar.get_x() + bar.get_width() / 2,
                        bar.get_y() + bar.get_height() / 2,
                        f"{share:.0f}%",
                        ha="center",
                        va="center",
                        fontsize=7.5,
                        color="white",
                        fontweight="bold",
                    )
            left += shares
        ax.set_yticks(y, names)
        ax.invert_yaxis()
        ax.set_xlim(0, 100)
        ax.set_xlabel("share of arrivals over the horizon, %")
        ax.grid(False, axis="y")
        ax.set_title(material)
    country_legend(fig, countries, "Country shares of each material's arrivals, per plan")
    return fig


def _peak(table: pd.DataFrame) -> float:
    """The largest value of a table, 0 when it has none (NaN is no value)."""
    values = np.nan_to_num(table.to_numpy(dtype=float), nan=0.0)
    return float(values.max()) if values.size else 0.0


def _grouped(ax, comparison: Comparison, table: pd.DataFrame, label: Callable[[float], str]):
    """Horizontal bars: one group per material (top to bottom), one bar per plan, each
    labelled with its value ("–": the plan has no such figure)."""
    names = comparison.plans
    height = 0.8 / len(names)
    y = np.arange(len(table.index))
    for j, name in enumerate(names):
        values = table[name].to_numpy(dtype=float)
        bars = ax.barh(
            y - 0.4 + height * (j + 0.5),
            np.nan_to_num(values),
            height=height * 0.92,
            color=_plan_colour(comparison, name),
            label=name,
        )
        value_labels(ax, bars, [NO_DATA if np.isnan(v) else label(v) for v in values], True)
    ax.set_yticks(y, list(table.index))
    if not ax.yaxis_inverted():  # panels share their y axis: invert it once
        ax.invert_yaxis()
    ax.grid(False, axis="y")


def _plan_legend(fig: Figure, comparison: Comparison, title: str) -> None:
    handles = [Patch(color=_plan_colour(comparison, p), label=p) for p in comparison.plans]
    headed_legend(fig, handles, title, min(len(handles), 6))


def _pair(comparison: Comparison, rows: int) -> tuple:
    """Two panels side by side, sharing the materials down the left."""
    fig = new_figure(1.3 + rows * (0.2 * len(comparison.plans) + 0.22))
    left, right = fig.subplots(1, 2, sharey=True)
    right.tick_params(axis="y", labelleft=False)
    return fig, left, right


def _draw_concentration(comparison: Comparison) -> Figure | None:
    largest = _metric(comparison, "largest country share")
    if largest.empty:
        return None
    hhi = _metric(comparison, "HHI")
    fig, left, right = _pair(comparison, len(largest))
    _grouped(left, comparison, largest * 100, lambda v: f"{v:.1f}%")
    left.set_xlim(0, 118)
    left.set_xlabel("largest country's share of arrivals, %")
    left.set_title("Largest country's share")
    _grouped(right, comparison, hhi, lambda v: f"{v:,.0f}")
    right.set_xlim(0, 11_800)
    right.xaxis.set_major_formatter(FuncFormatter(tick_number))
    right.set_xlabel("HHI (0–10,000)")
    right.set_title("Herfindahl-Hirschman index")
    _plan_legend(fig, comparison, "Supply concentration per material, per plan")
    return fig


def _draw_cover(comparison: Comparison) -> Figure | None:
    cover = _metric(comparison, "months of cover (lowest under the floor)")
    if cover.empty:
        return None
    shortfall = _metric(comparison, "shortfall")
    fig, left, right = _pair(comparison, len(cover))
    _grouped(left, comparison, cover, lambda v: f"{v:.2f}")
    left.set_xlim(0, max(_peak(cover), 1.0) * 1.2)
    left.set_xlabel("months of demand in stock")
    left.set_title("Months of cover (lowest while the floor applies)")
    _grouped(right, comparison, shortfall, lambda v: f"{v:,.2f} t" if v else "")
    peak = _peak(shortfall)
    right.set_xlim(0, peak * 1.3 if peak > 0 else 1.0)
    if peak <= 0:
        right.text(
            0.5,
            0.5,
            "no shortfall in any plan",
            transform=right.transAxes,
            ha="center",
            va="center",
            color="#52606d",
        )
    right.xaxis.set_major_formatter(FuncFormatter(tick_number))
    right.set_xlabel("t left unmet over the horizon")
    right.set_title("Shortfall (demand left unmet)")
    _plan_legend(fig, comparison, "Stockpile cover and shortfall per material, per plan")
    return fig


def _figure_value(value, unit: str, difference: bool = False) -> str:
    """A headline figure (or a difference) as the terminal shows it, with true minus signs."""
    if is_missing(value):
        return NO_DATA
    text = format_figure(value, unit, difference)
    return signed(text) if difference else text


def _metric_label(row) -> str:
    metric = row["metric"]
    if row["section"] == "cost":
        return "total cost" if metric == "total" else cost_label(COST_METRICS.get(metric, metric))
    if metric.startswith("share "):
        return f"share from {metric.removeprefix('share ')}"
    return metric


def _headline_table(comparison: Comparison) -> str:
    headline = comparison.headline
    names, deltas = comparison.plans, comparison.differences
    rows, group = [], None
    for _, row in headline.iterrows():
        heading = {"cost": "Costs", "policy": "Policy"}.get(row["section"], row["material"])
        if heading != group:
            rows.append(([heading], "group"))
            group = heading
        unit = row["unit"]
        cells = [_metric_label(row), UNIT_NAMES.get(unit, unit)]
        cells += [_figure_value(row[n], unit) for n in names]
        cells += [_figure_value(row[d], unit, difference=True) for d in deltas]
        rows.append((cells, "total" if row["metric"] == "total" else ""))
    return html_table(
        ["Figure", "Unit", *names, *deltas],
        rows,
        "ll" + "r" * (len(names) + len(deltas)),
        f"Every headline figure of compare.csv; Δ is a plan minus the baseline "
        f"{comparison.baseline} (shares in percentage points).",
    )
