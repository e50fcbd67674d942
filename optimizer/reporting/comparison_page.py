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
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from optimizer.inputs.settings import CAP_WINDOW_WORDS
from optimizer.reporting.charts import (
    SHOWN_FROM_T,
    ZERO_USD,
    cost_axis,
    countries_by_tonnes,
    country_colour,
    country_legend,
    headed_legend,
    laid_out,
    new_figure,
    panel_columns,
    panels,
    render_chart,
    tick_number,
    tonnes_axis,
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
    not_shown,
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
        "Each bar is one plan's supply of the material over the whole horizon (arrivals by "
        "their supplier's country and domestic output by where it was made), split by country "
        "(the same colours as every other chart). Caps hold per window, so a horizon share can "
        "sit below a cap that binds in some windows."
        + not_shown(_unsupplied(comparison), "no supply in any plan"),
        lambda: _draw_compare_shares(comparison),
    )
    concentration = render_chart(
        "concentration",
        "Largest-country share and HHI per material per plan",
        "Left: the largest single country's share of each material's supply over the horizon "
        "(arrivals and domestic output, counted as the caps count them). Right: the "
        "Herfindahl-Hirschman index, the sum of squared country shares × 10,000 (10,000 is a "
        "single source; lower is more diversified)."
        + not_shown(_concentration_rows(comparison)[2], "no supply in any plan"),
        lambda: _draw_concentration(comparison),
    )
    cover = render_chart(
        "cover",
        "Months of cover and shortfall per material per plan",
        _cover_caption(comparison),
        lambda: _draw_cover(comparison),
    )
    sections = [
        Section("Plans", _plans_table(comparison, plans)),
        Section("Input differences", _inputs_table(comparison)),
        Section(
            "Cost components", figure_html(costs, "No chart: every cost is zero in every plan.")
        ),
        Section(
            "Country shares",
            figure_html(shares, "No chart: nothing arrives or is made in any plan."),
        ),
        Section(
            "Concentration",
            figure_html(concentration, "No chart: no material is supplied in any plan."),
        ),
        Section(
            "Cover and shortfall",
            figure_html(
                cover,
                "No chart: no plan has a material under a stockpile floor or demand left unmet.",
            ),
        ),
        Section("Headline figures", _headline_table(comparison)),
    ]
    charts = [c for c in (costs, shares, concentration, cover) if c is not None]
    return charts, sections


def _cost_values(comparison: Comparison) -> tuple[dict[str, pd.Series], list[str]]:
    """The cost components some plan has (not zero; sales and credits below zero), each plan's
    value by component metric, and the labels of the components zero in every plan."""
    values = {m: _cost_row(comparison, m) for m in COST_METRICS}
    shown = {m: v for m, v in values.items() if (v.abs() >= ZERO_USD).any()}
    return shown, [cost_label(COST_METRICS[m]) for m in COST_METRICS if m not in shown]


def comparison_figures(comparison: Comparison) -> dict[str, Figure | None]:
    """The comparison's figures by chart stem, drawn in the report's style but not rendered
    (None: nothing to draw): to check what the charts hold."""
    draws = {
        "costs": _draw_compare_costs,
        "shares": _draw_compare_shares,
        "concentration": _draw_concentration,
        "cover": _draw_cover,
    }
    return laid_out({stem: partial(draw, comparison) for stem, draw in draws.items()})


def _draw_compare_costs(comparison: Comparison) -> Figure | None:
    names = comparison.plans
    values, _ = _cost_values(comparison)
    if not values:
        return None
    totals = _cost_row(comparison, "total")
    per_group = 0.8 / len(names)
    fig = new_figure(1.1 + len(values) * (0.22 * len(names) + 0.22))
    ax = fig.subplots()
    y = np.arange(len(values))
    handles = []  # made here: the axes' own list leaves out a plan whose name starts with "_"
    for j, name in enumerate(names):
        heights = np.array([values[m][name] for m in values], dtype=float)
        colour = _plan_colour(comparison, name)
        bars = ax.barh(
            y - 0.4 + per_group * (j + 0.5),
            np.nan_to_num(heights),
            height=per_group * 0.92,
            color=colour,
        )
        value_labels(ax, bars, [usd(v).replace("-", "−") for v in heights], horizontal=True)
        label = f"{name} (total USD {totals[name] / 1e6:,.1f} million)"
        handles.append(Patch(color=colour, label=label))
    ax.set_yticks(y, [cost_label(COST_METRICS[m]) for m in values])
    ax.invert_yaxis()
    cost_axis(ax, np.concatenate([v.to_numpy(dtype=float) for v in values.values()]))
    headed_legend(fig, handles, "Cost by component, per plan", min(len(names), 3))
    return fig


def _compare_costs_caption(comparison: Comparison) -> str:
    values, zero = _cost_values(comparison)
    text = "Each group is one cost component; each bar one plan."
    negative = [cost_label(COST_METRICS[m]) for m, v in values.items() if (v < 0).any()]
    if negative:
        text += f" Bars left of zero lower the cost: {', '.join(negative)}."
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
    return text + not_shown(zero, "zero in every plan")


def _materials(comparison: Comparison) -> list[str]:
    """Every plan's materials, in the order compare.csv lists them."""
    headline = comparison.headline
    return list(dict.fromkeys(headline.loc[headline["section"] == "material", "material"]))


def _unsupplied(comparison: Comparison) -> list[str]:
    """The materials no plan supplies (no country shares, so no panel)."""
    detail = comparison.detail
    supplied = set() if detail.empty else set(detail["material"])
    return [m for m in _materials(comparison) if m not in supplied]


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
        ax.set_xlabel("share of supply over the horizon, %")
        ax.grid(False, axis="y")
        ax.set_title(material)
    country_legend(
        fig,
        countries,
        "Country shares of each material's supply (arrivals and domestic output), per plan",
    )
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


def _pair(comparison: Comparison, rows: int, count: int = 2) -> list:
    """``count`` (one or two) panels side by side, sharing the materials down the left."""
    fig = new_figure(1.3 + rows * (0.2 * len(comparison.plans) + 0.22))
    axes = list(np.atleast_1d(fig.subplots(1, count, sharey=True)))
    for ax in axes[1:]:
        ax.tick_params(axis="y", labelleft=False)
    return [fig, *axes]


def _concentration_rows(comparison: Comparison) -> tuple[pd.DataFrame, pd.DataFrame, list]:
    """The largest shares and HHIs of the materials some plan supplies, and the others."""
    largest, hhi = _metric(comparison, "largest country share"), _metric(comparison, "HHI")
    kept = largest.notna().any(axis=1) | hhi.reindex(largest.index).notna().any(axis=1)
    return largest[kept], hhi.reindex(largest.index)[kept], list(largest.index[~kept])


def _draw_concentration(comparison: Comparison) -> Figure | None:
    largest, hhi, _ = _concentration_rows(comparison)
    if largest.empty:
        return None
    fig, left, right = _pair(comparison, len(largest))
    _grouped(left, comparison, largest * 100, lambda v: f"{v:.1f}%")
    left.set_xlim(0, 118)
    left.set_xlabel("largest country's share of supply, %")
    left.set_title("Largest country's share")
    _grouped(right, comparison, hhi, lambda v: f"{v:,.0f}")
    right.set_xlim(0, 11_800)
    right.xaxis.set_major_formatter(FuncFormatter(tick_number))
    right.set_xlabel("HHI (0–10,000)")
    right.set_title("Herfindahl-Hirschman index")
    _plan_legend(fig, comparison, "Supply concentration per material, per plan")
    return fig


def _cover_rows(comparison: Comparison) -> tuple[pd.DataFrame, pd.DataFrame, list]:
    """Lowest cover and shortfall of the materials with either in some plan, and the others
    (no floor applies to them with demand, and no plan leaves their demand unmet)."""
    cover = _metric(comparison, "lowest cover under the floor")
    shortfall = _metric(comparison, "shortfall").reindex(cover.index)
    kept = cover.notna().any(axis=1) | (shortfall.fillna(0.0) > SHOWN_FROM_T).any(axis=1)
    return cover[kept], shortfall[kept], list(cover.index[~kept])


def _cover_caption(comparison: Comparison) -> str:
    cover, shortfall, left_out = _cover_rows(comparison)
    parts = []
    if cover.notna().any(axis=None):
        parts.append(
            "the lowest months of cover (stock ÷ that month's demand) while the stockpile floor "
            "applies, which is what each plan guarantees"
        )
    if _peak(shortfall) > SHOWN_FROM_T:
        parts.append(
            "demand left unmet over the horizon, in tonnes (paid for with the shortfall penalty)"
        )
    if len(parts) == 2:
        text = f"Left: {parts[0]}. Right: {parts[1]}."
    else:
        text = (parts[0][:1].upper() + parts[0][1:] + ".") if parts else ""
    if _peak(shortfall) <= SHOWN_FROM_T:
        text += " No plan leaves demand unmet."
    return text + not_shown(
        left_out, "no floor over months with demand, so no months of cover, and no shortfall"
    )


def _draw_cover(comparison: Comparison) -> Figure | None:
    cover, shortfall, _ = _cover_rows(comparison)
    drawn = [(cover, "cover")] if cover.notna().any(axis=None) else []
    drawn += [(shortfall, "shortfall")] if _peak(shortfall) > SHOWN_FROM_T else []
    if not drawn:
        return None
    fig, *axes = _pair(comparison, len(cover), len(drawn))
    for ax, (table, kind) in zip(axes, drawn, strict=True):
        if kind == "cover":
            _grouped(ax, comparison, table, lambda v: f"{v:.2f}")
            ax.set_xlim(0, max(_peak(table), 1.0) * 1.2)
            ax.xaxis.set_major_formatter(FuncFormatter(tick_number))
            ax.set_xlabel("months of demand in stock")
            ax.set_title("Months of cover (lowest while the floor applies)")
        else:
            _grouped(ax, comparison, table, lambda v: f"{v:,.2f} t" if v else "")
            ax.set_xlim(0, _peak(table) * 1.3)
            tonnes_axis(ax, _peak(table), axis="x")
            ax.set_xlabel("t left unmet over the horizon")
            ax.set_title("Shortfall (demand left unmet)")
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
