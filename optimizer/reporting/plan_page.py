"""The plan report: ``report.html`` and ``charts/*.png`` for a result folder written by
``sourcing solve``, drawn from its ``summary.json`` and CSV tables.

It opens with the verdict (whether the plan meets every demand and holds every stockpile floor;
where not, where, how much and what stops it), then shows the import mix by country over time,
stock against the stockpile floor, the cost breakdown and what tightening each binding policy
would cost (the charts are drawn by :mod:`optimizer.reporting.plan_charts`), with the tables
behind them; for a plan with build or contract decisions, which were taken and how hard each
processing unit runs.
"""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
import pandas as pd

from optimizer.inputs.settings import CAP_WINDOW_WORDS
from optimizer.reporting.charts import countries_by_tonnes
from optimizer.reporting.kit import (
    COMPARISON_CHARTS,
    NO_DATA,
    PLAN_CHARTS,
    Chart,
    Section,
    cell_text,
    cost_label,
    facts,
    figure_html,
    html_table,
    is_missing,
    page,
    paragraph,
    share_text,
    usd,
    write_report,
)
from optimizer.reporting.plan_charts import CAP_POLICY, cost_values, render_plan_charts
from optimizer.reporting.risk_charts import render_risk_charts
from optimizer.results.compare import PlanView, content_differs, country_shares
from optimizer.results.metrics import hhi, on_basis
from optimizer.results.summary_text import TIED_BELOW
from optimizer.results.tables import COST_COMPONENTS
from optimizer.results.verdict import NO_PLAN, is_good, verdict_line

SHOWN_OFFERS = 8  # unused offers listed, those the smallest price cut would bring in first
OFFER_POLICY = "offer-price"


def write_plan_report(folder: Path) -> Path:
    """``folder/report.html`` and ``folder/charts/*.png`` for a result folder; the HTML path."""
    folder = Path(folder)
    plan = PlanView.from_folder(folder)
    charts, sections = _plan_sections(plan)
    document = page(
        title=f"Sourcing plan: {plan.name}",
        header=_plan_header(plan),
        sections=sections,
        footer="Drawn by `sourcing report` from this result folder's summary.json and CSV "
        "tables (plan, stock, mix, constraints, policy_costs), where every figure can be traced.",
    )
    return write_report(folder, charts, document, {*PLAN_CHARTS, *COMPARISON_CHARTS})


def _plan_header(plan: PlanView) -> str:
    summary = plan.summary
    costs = summary.get("costs_usd") or {}
    horizon = summary.get("horizon") or {}
    policy = summary.get("policy") or {}
    check = summary.get("check") or {}
    status = str(summary.get("status", "unknown"))
    if summary.get("has_plan"):
        status += "; re-check passed" if check.get("passed") else "; re-check FAILED"
    window = CAP_WINDOW_WORDS.get(policy.get("cap_window"), str(policy.get("cap_window", "")))
    cover = policy.get("stockpile_cover_months") or 0
    floor = f"{cover:g} months of demand from {policy.get('stockpile_from') or 'the start'}"
    shortfall = summary.get("shortfall_t") or {}
    size = summary.get("model_size") or {}
    items = [
        ("Status", status),
        ("Total cost", usd(costs.get("total_usd"))),
        (
            "Horizon",
            f"{horizon.get('start', '?')} to {horizon.get('end', '?')} "
            f"({horizon.get('months', '?')} months)",
        ),
        ("Country caps", f"checked {window}; {summary.get('binding_caps', 0)} binding"),
        ("Stockpile floor", floor if cover else "none"),
        (
            "Shortfall",
            "none" if not shortfall else ", ".join(f"{m} {t:,.2f} t" for m, t in shortfall.items()),
        ),
        (
            "Solver",
            f"{summary.get('solver', '')} ({summary.get('algorithm', '')}); "
            f"{size.get('variables', 0):,} variables, {size.get('constraints', 0):,} rows",
        ),
    ]
    scenario = str(summary.get("scenario", plan.name))
    named = plan.name if scenario == plan.name else f"{plan.name} (scenario {scenario})"
    return (
        f"<h1>Sourcing plan: {html.escape(named)}</h1>"
        + verdict_box(plan.verdict)
        + paragraph(summary.get("description", ""), "description")
        + facts(items)
    )


def verdict_box(verdict: dict) -> str:
    """The verdict at the top of the page, before any cost: its headline and, for a plan that
    falls short, a sentence per material and issue (the diagnosis is the page's own section)."""
    details = [d["text"] for d in verdict.get("details", []) if d.get("issue") != NO_PLAN]
    items = "".join(f"<li>{html.escape(text)}</li>" for text in details)
    return (
        f'<div class="verdict {"good" if is_good(verdict) else "bad"}" id="verdict">'
        + paragraph(verdict.get("headline", ""), "verdict-headline")
        + (f"<ul>{items}</ul>" if items else "")
        + "</div>"
    )


def verdicts_box(verdicts: dict[str, dict]) -> str:
    """One verdict line per plan, with each shortfall's sentence under it."""
    items = []
    for name, verdict in verdicts.items():
        line = verdict_line(verdict)
        details = [d["text"] for d in verdict.get("details", []) if d.get("issue") != NO_PLAN]
        inner = "".join(f"<li>{html.escape(text)}</li>" for text in details)
        items.append(
            f'<li class="{"good" if is_good(verdict) else "bad"}"><strong>{html.escape(name)}'
            f"</strong>: {html.escape(line[:1].lower() + line[1:])}"
            + (f"<ul>{inner}</ul>" if inner else "")
            + "</li>"
        )
    good = all(is_good(v) for v in verdicts.values())
    headline = (
        "Every plan meets all demand and holds its stockpile floors."
        if good
        else "Not every plan meets all demand and holds its stockpile floors."
    )
    return (
        f'<div class="verdict {"good" if good else "bad"}" id="verdict">'
        + paragraph(headline, "verdict-headline")
        + f"<ul>{''.join(items)}</ul></div>"
    )


def _plan_sections(plan: PlanView) -> tuple[list[Chart], list[Section]]:
    if not plan.summary.get("has_plan") or "plan" not in plan.tables:
        diagnosis = plan.summary.get("diagnosis") or []
        items = "".join(f"<li>{html.escape(line)}</li>" for line in diagnosis)
        body = paragraph(
            f"The solve ended with status {plan.summary.get('status')} "
            f"({plan.summary.get('termination', '')}) and wrote no plan."
        ) + (f"<ul>{items}</ul>" if items else "")
        return [], [Section("No plan", body)]
    charts = render_plan_charts(plan)
    sections = [
        Section(
            "Import mix by country",
            figure_html(
                charts.imports,
                "No chart: nothing arrives or is made, initial stock covers demand and floors.",
            )
            + "<h3>Country shares per material</h3>"
            + _shares_table(plan),
        ),
        Section(
            "Stock against the floor",
            figure_html(
                charts.stock,
                "No chart: no material holds stock, has a cover target or falls short in any "
                "month.",
            ),
        ),
        Section(
            "Cost breakdown",
            figure_html(charts.costs, "No chart: every cost component is zero.")
            + "<h3>Headline costs</h3>"
            + _costs_table(plan.summary),
        ),
        Section(
            "Policy costs",
            figure_html(charts.policy, "No cap or floor adds to the cost: none binds.")
            + "<h3>Binding caps</h3>"
            + _binding_caps_table(plan)
            + "<h3>Unused offers closest to entering</h3>"
            + _offers_table(plan),
        ),
    ]
    if "decisions" in plan.tables or "processing" in plan.tables:
        sections.append(Section("Decisions and processing", _decisions_html(plan)))
    drawn = charts.drawn
    if "risk" in plan.tables:
        risk_charts = render_risk_charts(plan)
        drawn = [*drawn, *risk_charts]
        figures = "".join(figure_html(chart, "") for chart in risk_charts)
        sections.append(Section("Disruption risk", _risk_html(plan) + figures))
    return drawn, sections


def _risk_html(plan: PlanView) -> str:
    """The scenarios, and what the stockpile is worth when it was computed."""
    risk = plan.summary.get("risk") or {}
    head = paragraph(
        f"Over {risk.get('scenarios', '?')} scenarios: expected cost USD "
        f"{risk.get('expected_cost_usd', float('nan')):,.0f}, CVaR at "
        f"{risk.get('cvar_alpha', 0):.0%} USD {risk.get('cvar_usd', float('nan')):,.0f}, "
        f"probability of any shortfall {risk.get('probability_of_shortfall', 0):.1%}. The "
        f"sections above describe the path '{risk.get('reference_path', '')}'."
    )
    table = plan.tables["risk"].sort_values("cost_usd", ascending=False, kind="stable")
    rows = [
        [r.scenario, f"{r.probability:.3g}", r.events if isinstance(r.events, str) else "",
         f"{r.cost_usd:,.0f}", "yes" if str(r.in_cvar_tail).lower() == "true" else ""]
        for r in table.itertuples()
    ]  # fmt: skip
    body = head + html_table(["Scenario", "Probability", "Events", "Cost (USD)", "CVaR tail"],
                             rows, "lrlrl", "Each scenario's cost, costliest first.")  # fmt: skip
    value = plan.tables.get("stockpile_value")
    if value is not None and len(value):
        rows = [
            [r.plan, r.floors, f"{r.objective_usd:,.0f}", f"{r.expected_cost_usd:,.0f}",
             f"{r.cvar_usd:,.0f}", f"{r.expected_shortfall_t:,.2f}"]
            for r in value.itertuples()
        ]  # fmt: skip
        body += "<h3>What the stockpile is worth</h3>" + html_table(
            ["Plan", "Floors", "Objective (USD)", "Expected (USD)", "CVaR (USD)",
             "Expected shortfall (t)"], rows, "llrrrr",
            "Each plan judged under the same scenarios.",
        )  # fmt: skip
    return body


def _decisions_html(plan: PlanView) -> str:
    """Which options are built and contracts signed, and how hard each unit runs."""
    parts = []
    mip = plan.summary.get("mip") or {}
    if mip.get("gap") is not None:
        parts.append(
            paragraph(
                f"Mixed-integer solve: gap {mip['gap']:.3%}. Shadow prices and policy costs are "
                "those of the LP with every yes/no decision fixed at its chosen value."
            )
        )
    decisions = plan.tables.get("decisions")
    if decisions is not None and len(decisions):
        rows = []
        for r in decisions.itertuples():
            chosen = str(r.chosen).lower() in ("true", "1")
            what = r.process if r.kind == "expansion" else r.supplier
            rows.append(
                [
                    r.kind,
                    r.name,
                    cell_text(what),
                    "yes" if chosen else "no",
                    cell_text(r.first_month),
                    usd(r.cost_in_horizon_usd),
                ]
            )
        parts.append(
            html_table(
                [
                    "kind",
                    "name",
                    "process / supplier",
                    "chosen",
                    "first month",
                    "cost within the horizon",
                ],
                rows,
                "lllllr",
            )
        )
    processing = plan.tables.get("processing")
    if processing is not None and len(processing):
        by_unit = processing.groupby("unit", sort=False).agg(
            process=("process", "first"),
            country=("country", "first"),
            tonnes=("throughput_t", "sum"),
            capacity=("capacity_t_per_month", "first"),
            months=("month", "nunique"),
            cost=("operating_cost_usd", "sum"),
        )
        rows = [
            [
                unit,
                r.process,
                r.country,
                f"{r.tonnes:,.1f}",
                f"{r.tonnes / (r.capacity * r.months):.0%}" if r.capacity else NO_DATA,
                usd(r.cost),
            ]
            for unit, r in by_unit.iterrows()
        ]
        parts.append(
            "<h3>Processing units</h3>"
            + html_table(
                [
                    "unit",
                    "process",
                    "country",
                    "throughput (t)",
                    "use of capacity in its months",
                    "operating cost",
                ],
                rows,
                "lllrrr",
            )
        )
    return "".join(parts)


def _shares_table(plan: PlanView) -> str:
    table = plan.tables["plan"]
    if table.empty and "processing" not in plan.tables:
        return paragraph("Nothing is bought.", "note")
    mix = plan.tables["mix"]
    caption = (
        "Share of each material's supply over the horizon by country: arrivals by their "
        "supplier's country, domestic output by where it was made; HHI is the sum of squared "
        "shares × 10,000 (10,000: a single source)."
    )
    parts = [_share_rows(mix, plan.materials, "processing", caption)]
    if "content_t" in mix:
        moved = [m for m in plan.materials if content_differs(mix, m)]
        if moved:
            caption = (
                "Share of content by origin: where the rare earths in each processed material "
                "came from, traced through processing and stock (initial: the stock held at "
                "the start). Only materials whose content differs from the table above."
            )
            parts.append(_share_rows(mix, moved, "origin", caption))
    parts.append(_concentration_table(plan.summary))
    return "".join(parts)


def _concentration_table(summary: dict) -> str:
    """summary.json's ``concentration`` (none in a folder written before it was recorded)."""
    record = summary.get("concentration")
    if not isinstance(record, dict) or not record.get("materials"):
        return ""
    watched, home = record.get("watched_country"), record.get("home_country")
    rows = []
    for material, row in record["materials"].items():
        foreign = row.get("foreign_share")
        largest = NO_DATA if foreign is None else f"{row['foreign_country']} {foreign:.1%}"
        rows.append([material, f"{row['watched_share']:.1%}", largest, f"{row['hhi']:,.0f}"])
    foreign_words = f"every country but {home}" if home else "every country"
    caption = (
        f"Concentration on the basis the caps count ({record.get('basis')}): {watched}'s share "
        f"of each material's supply (policy.watched_country), the largest share of a foreign "
        f"country ({foreign_words}; {NO_DATA} where only {home or 'the home country'} "
        "supplies) and the HHI."
    )
    return html_table(
        ["Material", f"{watched} share", "Largest foreign share", "HHI"], rows, "lrlr", caption
    )


def _share_rows(mix: pd.DataFrame, materials: list[str], basis: str, caption: str) -> str:
    frame = mix[mix["material"].isin(materials)]
    countries = countries_by_tonnes(on_basis(frame, basis))
    rows = []
    for material in materials:
        shares = country_shares(mix, material, basis)
        cells = [f"{shares[c]:.1%}" if shares.get(c, 0) > 0 else NO_DATA for c in countries]
        concentration = hhi(pd.DataFrame({"material": material, "share": shares.to_numpy()}))
        index = concentration.iloc[0] if len(concentration) else np.nan
        rows.append([material, *cells, NO_DATA if np.isnan(index) else f"{index:,.0f}"])
    return html_table(
        ["Material", *countries, "HHI"], rows, "l" + "r" * (len(countries) + 1), caption
    )


def _costs_table(summary: dict) -> str:
    costs = summary.get("costs_usd") or {}
    total = float(costs.get("total_usd") or 0.0)
    rows = []
    for key, value in zip(COST_COMPONENTS, cost_values(costs), strict=True):
        rows.append([cost_label(key), f"{value:,.0f}", share_text(value, total) if total else ""])
    rows.append((["total", f"{total:,.0f}", "100.0%" if total else ""], "total"))
    return html_table(["Component", "USD", "Share of total"], rows, "lrr")


def _binding_caps_table(plan: PlanView) -> str:
    constraints = plan.tables.get("constraints")
    if constraints is None or constraints.empty:
        return paragraph("No constraints table.", "note")
    binding = constraints[
        (constraints["family"] == CAP_POLICY) & constraints["binding"].astype(bool)
    ].copy()
    if binding.empty:
        return paragraph("No country cap binds.", "note")
    policy = plan.tables.get("policy_costs")
    costs = {}
    if policy is not None:
        for r in policy[policy["policy"] == CAP_POLICY].itertuples():
            costs[(r.material, r.country, cell_text(r.window))] = r.marginal_cost_usd
    rows = []
    for r in binding.itertuples():
        cost = costs.get((r.material, r.country, cell_text(r.window)))
        rows.append(
            [
                r.material,
                r.country,
                cell_text(r.window),
                f"{r.limit:.0%}",
                f"{r.value:.1%}",
                NO_DATA if is_missing(cost) else f"{cost:,.0f}",
            ]
        )
    return html_table(
        ["Material", "Country", "Window", "Cap", "Share reached", "USD per point lower cap"],
        rows,
        "lllrrr",
        "Caps the plan is pressed against; a zero cost means it binds without costing anything.",
    )


def _offers_table(plan: PlanView) -> str:
    """Unused offers that would enter after the smallest cut relative to their price."""
    table = plan.tables.get("policy_costs")
    if table is None or table.empty:
        return paragraph("No policy costs table.", "note")
    offers = table[(table["policy"] == OFFER_POLICY) & table["cheaper_to_enter_usd_per_t"].notna()]
    offers = offers.assign(cut=offers["cheaper_to_enter_usd_per_t"] / offers["price_usd_per_t"])
    offers = offers[offers["cut"] >= TIED_BELOW].sort_values("cut", kind="stable")
    offers = offers.drop_duplicates(["material", "supplier"]).head(SHOWN_OFFERS)
    if offers.empty:
        return paragraph("No unused offer has a price cut that would bring it in.", "note")
    rows = [
        [
            r.material,
            r.supplier,
            r.country,
            cell_text(r.month),
            f"{r.price_usd_per_t:,.0f}",
            f"{r.cheaper_to_enter_usd_per_t:,.0f}",
            f"{r.cut:.1%}",
        ]
        for r in offers.itertuples()
    ]
    return html_table(
        [
            "Material",
            "Supplier",
            "Country",
            "Arrival month",
            "Price USD/t",
            "Cut to enter USD/t",
            "Cut",
        ],
        rows,
        "llllrrr",
        "How far an unused offer's price must fall before it can enter the plan (offers within "
        f"{TIED_BELOW:.2%} of their price are tied with the plan's choice and left out).",
    )
