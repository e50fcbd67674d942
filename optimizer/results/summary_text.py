"""The short human summary printed after a solve."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from models.content import INITIAL
from models.solution import Status
from optimizer.common.text_width import TEXT_WIDTH, clip, wrap_prose
from optimizer.inputs.settings import CAP_WINDOW_WORDS
from optimizer.results import metrics
from optimizer.results import verdict as verdicts
from optimizer.results.policy_costs import FLOOR_T_UNIT
from optimizer.results.policy_probes import (
    CAP_STEP,
    COVER_STEP,
    INFEASIBLE,
    RESOLVED_BASES,
    TIED_BELOW,
)
from optimizer.results.result import Result
from optimizer.results.risk_ph_results import ph_lines
from optimizer.results.tables import COST_LABELS

CHAIN_COSTS = (  # shown only where a scenario has a chain
    "processing_usd",
    "capital_usd",
    "contract_fixed_usd",
    "take_or_pay_usd",
    "disposal_usd",
    "sales_usd",
)
NAME_WIDTH = 30  # a longer material name is cut in its middle in the summary's tables
IF_NONZERO = ("below_floor_usd", "closing_credit_usd")  # only with a floor penalty or a credit


def format_summary(
    result: Result, written_to: Path | None = None, table_format: str = "csv"
) -> str:
    """The terminal's summary of a solve; the files written to ``written_to``, if given (the
    tables as ``.csv`` or as ``.parquet`` by ``table_format``)."""
    lines = [_headline(result)]
    scenario = result.scenario
    if len(scenario.events) and not scenario.has_risk:  # said, so it is not mistaken for used
        lines.append(
            f"Note: events.csv lists {len(scenario.events)} events, but no scenario uses them "
            "(add risk_scenarios.csv or [risk] samples): the plan ignores disruptions."
        )
    if result.status == Status.INFEASIBLE:
        lines.append("No plan meets every demand, cap and floor:")
        lines += [f"  {sentence}" for sentence in result.diagnosis]
    elif result.diagnosis:  # e.g. why the model is unbounded
        lines += [f"  {sentence}" for sentence in result.diagnosis]
    if result.has_plan:
        verdict = result.verdict()
        lines += _verdict(verdict)
        lines += ["", *_costs(result), "", *_shares(result), *_concentration(result)]
        lines += ["", *_policy(result, verdict)]
        lines += _decisions(result)
        lines += ["", *(_policy_costs(result) if result.policy is not None else _risk(result)), ""]
        lines.append(_recheck(result))
    if result.verification is not None:
        lines.append(_verification(result))
    if written_to is not None:
        tables = result.tables()
        files = ["summary.json", *(f"{stem}.{table_format}" for stem in tables)]
        files += ["plan.xlsx"] if tables else []
        lines.append(f"Written: {written_to}/ ({', '.join(files)})")
    return "\n".join(wrap_prose(lines))


def _headline(result: Result) -> str:
    size = result.model_size
    algorithm = {"simplex": "dual simplex", "ipm": "interior point", "mip": "branch and cut"}.get(
        result.algorithm, result.algorithm
    )
    how = ", ".join(part for part in (result.solver, algorithm) if part)
    head = (
        f"{result.scenario.name}: {result.status.value} ({how}; {size.variables:,} variables, "
        f"{size.constraints:,} rows; solved in {result.timings.get('solve_s', 0):.2f} s)"
    )
    if result.status == Status.LIMIT:
        found = (
            "a feasible plan was found but not proven optimal"
            if result.has_plan
            else "no feasible plan was found"
        )
        head += f"\nStopped by a limit ({result.termination}): {found}."
    elif result.status not in (Status.OPTIMAL, Status.INFEASIBLE):
        head += f"\nThe solver ended with: {result.termination}."
    if result.mip_gap is not None:
        bound = "" if result.best_bound is None else f", best bound USD {result.best_bound:,.0f}"
        head += f"\nMixed-integer solve: gap {result.mip_gap:.3%}{bound}"
    return head


def _verdict(verdict: dict) -> list[str]:
    """The verdict before any cost: one line for a plan that meets everything; otherwise a
    sentence per material and issue saying where, how much and what stops it."""
    headline = verdict["headline"]
    lines = [f"Verdict: {headline[0].lower()}{headline[1:]}"]
    return lines + [f"  {detail['text']}" for detail in verdict["details"]]


SHOWN_RISK = 8  # scenarios listed in the summary, costliest first


def _risk(result: Result) -> list[str]:
    """Against disruption scenarios: the risk figures, the scenarios and the reference path."""
    risk = result.risk_summary or {}
    if not risk:
        return []
    lines = [
        f"Disruption risk over {risk['scenarios']} scenarios (risk weight "
        f"{risk['risk_weight']:g}, CVaR at {risk['cvar_alpha']:.0%}):",
        f"  expected cost USD {risk['expected_cost_usd']:,.0f}; CVaR USD {risk['cvar_usd']:,.0f}; "
        f"worst case USD {risk['worst_case_usd']:,.0f} ({risk['worst_case_scenario']})",
        f"  probability of any shortfall {risk['probability_of_shortfall']:.1%}"
        + (
            "; expected shortfall "
            + ", ".join(f"{m} {t:,.2f} t" for m, t in risk["expected_shortfall_t"].items())
            if risk["expected_shortfall_t"]
            else ""
        ),
    ]
    lines += _values(risk) + ph_lines(risk)
    shown = result.risk.sort_values("cost_usd", ascending=False, kind="stable").head(SHOWN_RISK)
    for r in shown.itertuples():
        lines.append(
            f"  {r.scenario} (p = {r.probability:.3g}{'; tail' if r.in_cvar_tail else ''}): "
            f"USD {r.cost_usd:,.0f}" + (f", events {r.events}" if r.events else "")
        )
    lines += _stockpile_value(result)
    if len(result.risk) > SHOWN_RISK:
        lines.append(f"  ... and {len(result.risk) - SHOWN_RISK} more scenarios in risk.csv")
    lines.append(
        f"The tables above describe the path '{risk['reference_path']}'. plan.csv, stock.csv "
        "and processing.csv hold every scenario's rows: those decided before any event under "
        "'base', each scenario's from its onset (risk.csv) under its name."
    )
    return lines


def _stockpile_value(result: Result) -> list[str]:
    table = result.stockpile_value
    if table is None or table.empty:
        return []
    lines = ["  what the stockpile is worth (each plan judged under the scenarios):"]
    for r in table.itertuples():
        lines.append(
            f"    {r.plan}, {r.floors}: objective USD {r.objective_usd:,.0f}, expected "
            f"USD {r.expected_cost_usd:,.0f}, CVaR USD {r.cvar_usd:,.0f}, expected shortfall "
            f"{r.expected_shortfall_t:,.2f} t"
        )
    cover = result.risk_cover
    if cover is not None and not cover.empty:
        held = cover.groupby("material", sort=False)["cover_months"].agg(["min", "max"]).dropna()
        held = held[held["max"] > 0]
        if len(held):
            listed = ", ".join(
                f"{m} {r['min']:.1f}-{r['max']:.1f} months" if r["min"] != r["max"]
                else f"{m} {r['min']:.1f} months" for m, r in held.iterrows()
            )  # fmt: skip
            lines.append(f"  cover the plan without floors holds before a possible onset: {listed}")
    return lines


def _values(risk: dict) -> list[str]:
    """VSS and EVPI, on the objective with the expected-cost part beside."""
    lines = []
    for key, what in (("vss", "value of the stochastic solution (VSS)"),
                      ("evpi", "value of perfect information (EVPI)")):  # fmt: skip
        value, part = risk.get(f"{key}_usd"), risk.get(f"{key}_expected_cost_usd")
        if value is None:
            continue
        if value == "infinite":
            lines.append(f"  {what}: infinite (the plan made without events cannot serve every "
                         "scenario)")  # fmt: skip
            continue
        lines.append(f"  {what}: USD {value:,.0f} (expected cost USD {part:,.0f})")
    return lines


def _usd(value: float) -> str:
    return f"USD {value:>16,.0f}"


def _costs(result: Result) -> list[str]:
    total = result.costs.get("total_usd", 0.0)
    title = "Expected cost" if result.risk_summary else "Total cost"  # over the scenarios
    lines = [f"{title:<23}{_usd(total)}"]
    chain = result.processing is not None or result.decisions is not None
    for key, label in COST_LABELS.items():
        value = result.costs.get(key, 0.0)
        if (key in CHAIN_COSTS and not chain) or (key in IF_NONZERO and not value):
            continue
        share = f"{value / total:6.1%}" if total else ""
        lines.append(f"  {label:<21}{_usd(value)}  {share}")
    return lines


def _decisions(result: Result) -> list[str]:
    """What was built and signed, and how hard the processing units run."""
    lines = []
    decisions = result.decisions
    if decisions is not None and len(decisions):
        lines.append("")
        for kind, title in (("expansion", "Expansions"), ("contract", "Contracts")):
            rows = decisions[decisions["kind"] == kind]
            if rows.empty:
                continue
            chosen = rows[rows["chosen"]]["name"].tolist()
            passed = rows[~rows["chosen"]]["name"].tolist()
            verb = "built" if kind == "expansion" else "signed"
            lines.append(
                f"{title}: {verb} {', '.join(chosen) or 'none'}; "
                f"not {verb}: {', '.join(passed) or 'none'}"
            )
        signed = decisions[(decisions["kind"] == "contract") & decisions["chosen"]]
        for r in signed.itertuples():
            lines.append(
                f"  {r.name}: {r.taken_t:,.1f} t taken, {r.paid_not_taken_t:,.1f} t "
                "paid for but not taken (take-or-pay)"
            )
    if result.processing is not None and len(result.processing):
        # capacity of each month the unit could run, ramp-up included
        by_unit = result.processing.groupby("unit", sort=False).agg(
            t=("throughput_t", "sum"), capacity=("capacity_t_per_month", "sum")
        )
        listed = ", ".join(
            f"{unit} {r.t:,.0f} t ({r.t / r.capacity:.0%} of capacity)"
            for unit, r in by_unit.iterrows()
        )
        lines.append(f"Processing over the horizon: {listed}")
    return lines


def _shares(result: Result) -> list[str]:
    """Country shares of each material's supply over the whole horizon, on both bases: by
    where the last stage was done (arrivals and domestic output), and, for materials made from
    others, by the origin of their content; the caps count the one policy.share_basis names."""
    mix = result.mix
    if mix.empty:
        return ["Nothing is bought or made: initial stock covers demand and floors."]
    basis = result.scenario.settings.share_basis
    order = list(result.scenario.materials["material"])
    domestic = result.processing is not None and len(result.processing) > 0
    what = "supply (arrivals and domestic output)" if domestic else "arrivals"
    capped = " (the caps count this)" if domestic and basis == "processing" else ""
    processed = mix[mix["tonnes"] > 0]
    lines = _share_table(f"Share of {what} by country over the horizon{capped}:", processed, order)
    if "content_t" not in mix or not domestic:
        return lines
    content = mix[mix["content_t"] > 0].assign(tonnes=lambda f: f["content_t"])
    by_stage = metrics.country_shares(processed).set_index(["material", "country"])["share"]
    by_origin = metrics.country_shares(content).set_index(["material", "country"])["share"]
    both = pd.concat([by_stage, by_origin], axis=1).fillna(0.0)
    differs = both[(both.iloc[:, 0] - both.iloc[:, 1]).abs() > 1e-9]
    moved = set(differs.index.get_level_values("material"))
    if not moved:
        return lines
    capped = " (the caps count this)" if basis == "origin" else ""
    title = f"Share of content by origin (where its rare earths came from){capped}:"
    lines += ["", *_share_table(title, content, [m for m in order if m in moved])]
    if (content["country"] == INITIAL).any():
        lines.append("  (initial: made from the stock held at the start, of unknown origin)")
    return lines


def _concentration(result: Result) -> list[str]:
    """Per material on the caps' basis: the watched country's share, the largest foreign share
    and the HHI (summary.json's ``concentration``); nothing without supply."""
    record = result.concentration()
    if not record:
        return []
    watched, home = record["watched_country"], record["home_country"]
    foreign = f"every country but {home}" if home else "every country (no policy.home_country)"
    rows = {clip(material, NAME_WIDTH): row for material, row in record["materials"].items()}
    width = max(len("material"), *(len(m) for m in rows)) + 2
    head = f"{watched + ' share':>10}   {'largest foreign':<20}{'HHI':>8}"
    lines = [
        "",
        f"Concentration ({record['basis']} basis, as the caps count; foreign = {foreign}):",
        "  " + "material".ljust(width) + head,
    ]
    for material, row in rows.items():
        if row["foreign_country"] is None:
            largest = f"none (only {home})"
        else:
            largest = f"{row['foreign_country']} {row['foreign_share']:.1%}"
        lines.append(
            "  "
            + material.ljust(width)
            + f"{row['watched_share']:>10.1%}   {largest:<20}{row['hhi']:>8,.0f}"
        )
    return lines


def _share_table(title: str, supply: pd.DataFrame, materials: list[str]) -> list[str]:
    by_country = metrics.country_shares(supply[supply["material"].isin(materials)])
    shares = by_country.pivot(index="material", columns="country", values="share").fillna(0.0)
    order = [m for m in materials if m in shares.index]
    tonnes = by_country.groupby("country")["tonnes"].sum()  # countries by name, then by tonnes
    countries = list(tonnes.sort_values(ascending=False, kind="stable").index)
    width = max(len("material"), *(len(clip(m, NAME_WIDTH)) for m in order)) + 2
    room = max((TEXT_WIDTH - 2 - width) // 8, 1)  # countries per block of 100 columns
    lines = [title]
    for first in range(0, len(countries), room):
        block = countries[first : first + room]
        lines += ["  " + "material".ljust(width) + "".join(f"{c[:7]:>8}" for c in block)]
        for material in order:
            cells = "".join(
                f"{shares.at[material, c]:>8.1%}" if shares.at[material, c] > 0 else f"{'-':>8}"
                for c in block
            )
            lines.append("  " + clip(material, NAME_WIDTH).ljust(width) + cells)
    return lines


def _policy(result: Result, verdict: dict) -> list[str]:
    settings = result.scenario.settings
    caps = result.binding_caps()
    if caps.empty:
        lines = ["Binding caps: none"]
    else:
        grouped = caps.groupby(["country", "material"], sort=False)["window"].apply(list)
        described = [f"{c} on {m} ({', '.join(w)})" for (c, m), w in grouped.items()]
        lines = [f"Binding caps ({CAP_WINDOW_WORDS[settings.cap_window]}): " + "; ".join(described)]
    lines.append(_floor_line(result, verdict))
    below = result.months_below_cover()
    if below:
        listed = ", ".join(f"{m} {n}" for m, n in below.items())
        lines.append(f"Months below the cover target before the floor applies: {listed}")
    shortfall = result.shortfall_t()
    lines.append(
        "Shortfall: none"
        if not shortfall
        else "Shortfall: " + ", ".join(f"{m} {t:,.2f} t" for m, t in shortfall.items())
    )
    return lines


def _floor_line(result: Result, verdict: dict) -> str:
    """Whether the floors hold, never "held" where a stock is under its floor, and saying when
    they hold only by leaving demand unmet."""
    settings = result.scenario.settings
    if not result.stock["floor_applies"].any():
        return "Stockpile floor: none applies"
    cover = f"(default cover {settings.stockpile_cover_months:g} months of demand)"
    details = verdict["details"]
    under = [d["short"] for d in details if d["issue"] == verdicts.FLOOR_ISSUE]
    starved = [d["material"] for d in details if d.get("for_floor")]
    starving = f"leaving demand unmet ({', '.join(starved)}) to fill the floor" if starved else ""
    if under:
        return (f"Stockpile floor: NOT reached: {'; '.join(under)} {cover}"
                + (f"; elsewhere held by {starving}" if starving else ""))  # fmt: skip
    line = f"Stockpile floor: held in every month from {settings.floor_from} {cover}"
    return line + (f", by leaving demand unmet ({', '.join(starved)})" if starved else "")


SHOWN_CAPS = 8
SHOWN_OFFERS = 3
POINT_LOWER = "per percentage point lower"


def _policy_costs(result: Result) -> list[str]:
    """The price of each policy: what tightening it by one unit would add to the total cost,
    and what loosening it would save, each saying how it was found (policy_probes)."""
    table = result.policy
    free = " with the yes/no decisions free" if result.decisions is not None else ""
    resolved = table["price_basis"].isin(RESOLVED_BASES) | table["entry_basis"].isin(RESOLVED_BASES)
    lines = ["Price of each policy (added cost of tightening it by one unit):"]
    if resolved.any():
        lines[0] = lines[0][:-2] + f"; re-solved{free}):"
    elif result.duals_from_fixed_lp:
        lines[0] = lines[0][:-2] + "; duals of the LP with the yes/no decisions fixed):"
    if result.probe_note and not resolved.any():
        lines[0] = lines[0][:-2] + f"; duals, {result.probe_note}):"
    caps = table[
        (table["policy"] == "country-share-cap")
        & ((table["marginal_cost_usd"] > 0) | (table["saving_if_loosened_usd"] > 0))
    ]
    caps = caps.sort_values("marginal_cost_usd", ascending=False, kind="stable")
    for r in caps.head(SHOWN_CAPS).itertuples():
        higher = "per point higher" if r.setting + CAP_STEP <= 1 else "at 100%"
        lines.append(
            f"  {r.country} cap {r.setting:.0%} on {r.material} in {r.window}: "
            + _price(r, POINT_LOWER, "one percentage point lower", higher)
        )
    if len(caps) > SHOWN_CAPS:
        lines.append(f"  ... and {len(caps) - SHOWN_CAPS} more binding caps in policy_costs.csv")
    floors = table[table["policy"] == "stockpile-floor"]
    for r in floors.itertuples():
        if r.marginal_unit == FLOOR_T_UNIT:  # a fixed floor in tonnes (materials.csv floor_t)
            lower = "per tonne less" if r.setting >= COVER_STEP else "with no floor"
            lines.append(
                f"  {r.material} stockpile of {r.setting:g} t ({r.window}): "
                + _price(r, "per tonne more floor", "a tonne more floor", lower)
            )
            continue
        lower = "per month less" if r.setting >= COVER_STEP else "with no cover"
        lines.append(
            f"  {r.material} stockpile of {r.setting:g} months ({r.window}): "
            + _price(r, "per month more cover", "a month more cover", lower)
        )
    lines += _closest_offers(table, free)
    return lines


def _price(r, unit: str, tighter: str, looser: str) -> str:
    """A policy's price as found: re-solved both ways (one figure where they agree), infeasible
    one unit tighter, or the dual, which may hold on one side only."""
    cost, saving = r.marginal_cost_usd, r.saving_if_loosened_usd
    if r.price_basis == INFEASIBLE:
        text = f"no plan with {tighter}"
    elif r.price_basis not in RESOLVED_BASES:
        return f"USD {cost:,.0f} {unit} (the dual: may hold one way only)"
    else:
        text = f"USD {cost:,.0f} {unit}"
    if pd.isna(saving):
        return text
    if np.isfinite(cost) and abs(saving - cost) <= max(0.5, 1e-6 * abs(cost)):
        return text + f"; saves the same {looser}"
    return text + f"; saves {saving:,.0f} {looser}"


def _closest_offers(table, free: str) -> list[str]:
    """Unused offers that would enter the plan after the smallest relative price cut, only
    those whose entry price was re-solved."""
    offers = table[(table["policy"] == "offer-price") & table["entry_basis"].isin(RESOLVED_BASES)]
    if offers.empty:
        return []
    offers = offers.assign(cut=offers["cheaper_to_enter_usd_per_t"] / offers["price_usd_per_t"])
    offers = offers[offers["cut"] >= TIED_BELOW]
    # The rows of one offers.csv row share their entry price: name its month if it has one.
    keys = ["material", "supplier", "price_usd_per_t", "cheaper_to_enter_usd_per_t"]
    grouped = offers.groupby(keys, sort=False).agg(
        cut=("cut", "first"), first=("month", "min"), months=("month", "nunique")
    )
    grouped = grouped.reset_index().sort_values("cut", kind="stable")
    grouped = grouped.drop_duplicates(["material", "supplier"]).head(SHOWN_OFFERS)
    how = "re-solved" + free.replace("yes/no", "build/sign")
    return [
        f"  {r.supplier} would enter {r.material}"
        + (f" in {r.first}" if r.months == 1 else "")
        + f" at USD {r.price_usd_per_t - r.cheaper_to_enter_usd_per_t:,.0f}/t, {r.cut:.1%} "
        f"below its price of USD {r.price_usd_per_t:,.0f}/t ({how})"
        for r in grouped.itertuples()
    ]


def _recheck(result: Result) -> str:
    if not result.violations:
        scope = ""
        if result.risk is not None:
            scope = (f" in each of the {len(result.risk)} scenarios, with its events' effects; "
                     "decisions alike where the scenarios cannot yet tell apart")  # fmt: skip
        return (
            "Re-check from the tables (balances, capacities, lead times, caps, floors, cost"
            f"{scope}): passed"
        )
    listed = "\n".join(f"  {v}" for v in result.violations)
    return f"Re-check from the tables FAILED:\n{listed}"


def _verification(result: Result) -> str:
    v = result.verification
    found = "infeasible" if v.objective_usd is None else f"USD {v.objective_usd:,.2f}"
    verdict = "agrees" if v.agrees else "DISAGREES"
    return f"Verification: {v.solver} {verdict} ({v.status}, {found}; {v.seconds:.2f} s)"
