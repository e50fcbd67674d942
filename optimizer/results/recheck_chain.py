"""The independent re-check of the supply chain's part of a plan: processing, options,
contracts, by-product outlets and the annual budget, recomputed from the scenario's tables and
the result tables with pandas (see :mod:`optimizer.results.recheck`). Tables with a
``scenario`` column hold many paths of one plan: sums, joins and costs are then per scenario,
the yes/no decisions shared by all."""

from __future__ import annotations

import numpy as np
import pandas as pd

from models import families as fam
from optimizer.common import months
from optimizer.inputs.scenario import Scenario
from optimizer.results.findings import Finding, about_all, said
from optimizer.results.input_memo import per_scenario
from optimizer.results.recheck_keys import keyed, lookup
from optimizer.results.scenario_rows import SCENARIO

ABS_TOL = 1e-5
REL_TOL = 1e-6


def _over(value, limit) -> np.ndarray:
    value, limit = np.asarray(value, dtype=float), np.asarray(limit, dtype=float)
    finite = np.where(np.isfinite(limit), limit, 0.0)
    return np.isfinite(limit) & (value > finite + ABS_TOL + REL_TOL * np.abs(finite))


@per_scenario
def units(scenario: Scenario) -> pd.DataFrame:
    """Every processing unit (a process, or an option's capacity) with its country, capacity,
    operating cost, first month it may run and whether it is an option."""
    return _units(scenario)


def _units(scenario: Scenario) -> pd.DataFrame:
    horizon = scenario.horizon
    processes = scenario.processes.assign(
        unit=scenario.processes["process"],
        first_month=scenario.processes["first_month"].fillna(horizon[0]),
        option=False,
    )
    options = scenario.expansions.merge(
        scenario.processes[["process", "country", "operating_cost_usd_per_t"]],
        on="process",
        how="left",
        suffixes=("", "_process"),
    )
    lead_month = [
        months.label(months.ordinal(horizon[0]) + int(lead))
        for lead in options["build_lead_time_months"]
    ]
    earliest = options["available_from"].fillna(horizon[0])
    options = options.assign(
        unit=options["option"],
        country=options["country"].fillna(options["country_process"]),
        operating_cost_usd_per_t=options["operating_cost_usd_per_t"].fillna(
            options["operating_cost_usd_per_t_process"]
        ),
        first_month=np.maximum(earliest.to_numpy(dtype=object), np.asarray(lead_month, object))
        if len(options)
        else earliest,
        option=True,
    )
    columns = [
        "unit",
        "process",
        "country",
        "capacity_t_per_month",
        "operating_cost_usd_per_t",
        "first_month",
        "option",
        "ramp_months",
        "ramp_start_fraction",
    ]
    return pd.concat([processes[columns], options[columns]], ignore_index=True)


def capacity_in(table: pd.DataFrame) -> np.ndarray:
    """Each row's capacity in its month (a unit's ``month`` and its ``first_month``): with a
    ramp-up, ``ramp_start_fraction`` of it in the first month, rising linearly to all of it
    ``ramp_months`` later."""
    age = months.ordinals(table["month"]) - months.ordinals(table["first_month"])
    ramp = table["ramp_months"].to_numpy(dtype=float)
    start = table["ramp_start_fraction"].to_numpy(dtype=float)
    share = np.where(ramp > 0, start + (1 - start) * np.clip(age / np.maximum(ramp, 1), 0, 1), 1)
    return table["capacity_t_per_month_unit"].to_numpy(dtype=float) * share


def recipes(scenario: Scenario) -> pd.DataFrame:
    """Each unit's recipe: its own lines if it has any (an option), else its process's."""
    table = units(scenario)
    own = set(scenario.process_io["process"])
    table["recipe_of"] = np.where(table["unit"].isin(own), table["unit"], table["process"])
    io = scenario.process_io.rename(columns={"process": "recipe_of"})
    lines = table[["unit", "recipe_of", "country"]].merge(io, on="recipe_of", how="inner")
    lines["coefficient"] = np.where(lines["direction"] == "output", 1.0, -1.0) * lines["t_per_t"]
    return lines[["unit", "country", "material", "coefficient"]]


def flows(scenario: Scenario, processing: pd.DataFrame | None) -> pd.DataFrame:
    """Tonnes of each material produced (+) and consumed (-) per unit and month."""
    columns = ["unit", "country", "material", "month", "tonnes"]
    if processing is None or processing.empty:
        return pd.DataFrame(columns=columns)
    runs = processing[keyed(processing, "unit", "month", "throughput_t")]
    lines = runs.merge(recipes(scenario), on="unit")
    lines["tonnes"] = lines["throughput_t"] * lines["coefficient"]
    return lines[keyed(lines, *columns)]


def check_processing(
    scenario: Scenario, processing: pd.DataFrame | None, decisions: pd.DataFrame | None
) -> list[Finding]:
    """A unit runs within its capacity, from its first month, and (an option) only if built."""
    if processing is None or processing.empty:
        return []
    table = processing.merge(units(scenario), on="unit", how="left", suffixes=("", "_unit"))
    capacity = capacity_in(table)
    over = _over(table["throughput_t"], capacity)
    found = said(table[over], (
        f"{fam.PROCESS_CAPACITY}: {r.unit} {r.month}: {r.throughput_t:g} t exceeds its capacity "
        f"{c:g} t that month"
        for r, c in zip(table[over].itertuples(), capacity[over], strict=True)
    ))  # fmt: skip
    early = table[table["month"] < table["first_month"]]
    found += said(early, (
        f"processing: {r.unit} runs in {r.month}, before {r.first_month}"
        for r in early.itertuples()
    ))  # fmt: skip
    built = (
        set()
        if decisions is None
        else set(decisions.loc[(decisions["kind"] == "expansion") & decisions["chosen"], "name"])
    )
    unbuilt = table[table["option"].astype(bool) & ~table["unit"].isin(built)]
    return found + said(unbuilt, (
        f"{fam.EXPANSION_CAPACITY}: {r.unit} runs in {r.month} but was not built"
        for r in unbuilt.itertuples()
    ))  # fmt: skip


def check_decisions(scenario: Scenario, decisions: pd.DataFrame | None) -> list[Finding]:
    """At most one option per exclusive group; an option only with the one it requires (the
    decisions every scenario shares: said once)."""
    expansions = scenario.expansions
    if decisions is None or expansions.empty:
        return []
    built = set(decisions.loc[(decisions["kind"] == "expansion") & decisions["chosen"], "name"])
    chosen = expansions[expansions["option"].isin(built)]
    crowded = chosen.groupby("exclusive_group")["option"].agg(list)
    found = [
        f"{fam.EXCLUSIVE_OPTIONS}: {group}: {', '.join(options)} are all built"
        for group, options in crowded.items()
        if len(options) > 1
    ]
    missing = chosen[chosen["requires"].notna() & ~chosen["requires"].isin(built)]
    found += [
        f"{fam.OPTION_REQUIRES}: {r.option} is built without {r.requires}"
        for r in missing.itertuples()
    ]
    return about_all(found)


@per_scenario
def contract_months(scenario: Scenario) -> pd.DataFrame:
    """Each contract's months: from its start (or the supplier's first arrival) to its end."""
    horizon = scenario.horizon
    suppliers = scenario.suppliers.set_index("supplier")
    rows = []
    for c in scenario.contracts.itertuples(index=False):
        lead = int(suppliers.loc[c.supplier, "lead_time_months"])
        first = max(
            c.start_month if isinstance(c.start_month, str) else horizon[0],
            horizon[min(lead, len(horizon) - 1)],
        )
        last = c.end_month if isinstance(c.end_month, str) else horizon[-1]
        if lead >= len(horizon):
            continue
        rows += [(c.contract, month) for month in horizon if first <= month <= last]
    return pd.DataFrame(rows, columns=["contract", "month"])


def _signed(decisions: pd.DataFrame | None) -> set[str]:
    if decisions is None:
        return set()
    return set(decisions.loc[(decisions["kind"] == "contract") & decisions["chosen"], "name"])


def paid_not_taken(
    scenario: Scenario,
    plan: pd.DataFrame,
    decisions: pd.DataFrame | None,
    names: list[str] | None = None,
) -> pd.DataFrame:
    """Per signed contract and month (with ``names``, per scenario too): tonnes paid for under
    take-or-pay but not taken."""
    months_ = contract_months(scenario)
    months_ = months_[months_["contract"].isin(_signed(decisions))]
    if names is not None:
        months_ = pd.DataFrame({SCENARIO: names}).merge(months_, how="cross")
    key = keyed(months_, "contract", "month")
    taken = plan[plan["contract"].notna()].groupby(key)["tonnes"].sum()
    months_ = months_.merge(taken.rename("taken").reset_index(), how="left", on=key).fillna(
        {"taken": 0.0}
    )
    minimum = lookup(
        months_["contract"], scenario.contracts.set_index("contract")["min_t_per_month"]
    )
    months_["untaken"] = np.maximum(minimum - months_["taken"], 0.0)
    return months_


def check_contracts(
    scenario: Scenario,
    plan: pd.DataFrame,
    decisions: pd.DataFrame | None,
    names: list[str] | None = None,
) -> list[Finding]:
    """Contracted tonnes come from signed contracts, in their months, within their maximum;
    tonnes paid for but not taken match the take-or-pay minimum (with ``names``, in every
    scenario)."""
    rows = plan[plan["contract"].notna()] if "contract" in plan else plan.iloc[0:0]
    contracts = scenario.contracts.set_index("contract")
    unsigned = rows[~rows["contract"].isin(_signed(decisions))]
    found = said(unsigned, (
        f"{fam.CONTRACT_VOLUME}: {r.material} from {r.supplier} in {r.month} under "
        f"{r.contract}, which was not signed"
        for r in unsigned.itertuples()
    ))  # fmt: skip
    found += _contract_parties(scenario, rows)
    months_ = rows[["contract", "month"]].merge(
        contract_months(scenario), how="left", indicator=True
    )
    allowed = months_["_merge"].eq("both").to_numpy()
    outside = rows[~allowed]
    found += said(outside, (
        f"{fam.CONTRACT_VOLUME}: {r.contract} delivers in {r.month}, outside its months"
        for r in outside.itertuples()
    ))  # fmt: skip
    per_month = rows.groupby(keyed(rows, "contract", "month"), as_index=False)["tonnes"].sum()
    limit = lookup(per_month["contract"], contracts["max_t_per_month"])
    over = _over(per_month["tonnes"], limit)
    found += said(per_month[over], (
        f"{fam.CONTRACT_VOLUME}: {r.contract} {r.month}: {r.tonnes:g} t above the "
        f"contract's {m:g} t a month"
        for r, m in zip(per_month[over].itertuples(), limit[over], strict=True)
    ))  # fmt: skip
    if decisions is not None and len(decisions):
        found += _take_or_pay(scenario, plan, decisions, names)
    return found


def _take_or_pay(
    scenario: Scenario, plan: pd.DataFrame, decisions: pd.DataFrame, names: list[str] | None
) -> list[Finding]:
    """Each contract's tonnes paid for but not taken (the decisions table's) match the
    take-or-pay minimum less what the plan takes (in every scenario, with ``names``)."""
    untaken = paid_not_taken(scenario, plan, decisions, names)
    untaken = untaken.groupby(keyed(untaken, "contract"))["untaken"].sum()
    table = decisions.loc[decisions["kind"] == "contract", ["name", "paid_not_taken_t"]]
    if names is not None:
        table = pd.DataFrame({SCENARIO: names}).merge(table, how="cross")
    key = table[keyed(table, "name")]
    at = pd.MultiIndex.from_frame(key) if names is not None else pd.Index(key["name"])
    expected = untaken.reindex(at, fill_value=0.0).to_numpy(dtype=float)
    value = table["paid_not_taken_t"].to_numpy(dtype=float)
    off = np.abs(value - expected) > ABS_TOL + REL_TOL * np.abs(expected)
    return said(table[off], (
        f"{fam.TAKE_OR_PAY}: {r.name}: {r.paid_not_taken_t:g} t paid but not taken, the "
        f"minimum gives {e:g} t"
        for r, e in zip(table[off].itertuples(), expected[off], strict=True)
    ))  # fmt: skip


def _contract_parties(scenario: Scenario, rows: pd.DataFrame) -> list[Finding]:
    """Contracted tonnes come from the contract's supplier and, where it names one, its
    material; a contract for any material covers those the supplier offers."""
    contracts = scenario.contracts.set_index("contract")
    supplier = lookup(rows["contract"], contracts["supplier"])
    material = lookup(rows["contract"], contracts["material"])
    offered = (
        rows[["supplier", "material"]]
        .merge(
            scenario.offers[["supplier", "material"]].drop_duplicates(), how="left", indicator=True
        )["_merge"]
        .eq("both")
        .to_numpy()
    )
    wrong = (rows["supplier"] != supplier) | np.where(
        material.notna(), rows["material"] != material, ~offered
    )
    return said(rows[wrong], (
        f"{fam.CONTRACT_VOLUME}: {r.material} from {r.supplier} in {r.month} under "
        f"{r.contract}, a contract for {m if isinstance(m, str) else 'any material'} from {s}"
        for r, s, m in zip(rows[wrong].itertuples(), supplier[wrong], material[wrong], strict=True)
    ))  # fmt: skip


def check_outlets(scenario: Scenario, stock: pd.DataFrame) -> list[Finding]:
    """Sales only where a price is set and within the market limit; disposal only where a
    cost is set."""
    per_material = scenario.materials.set_index("material")
    price = lookup(stock["material"], per_material["sale_price_usd_per_t"])
    limit = lookup(stock["material"], per_material["sale_limit_t_per_month"])
    cost = lookup(stock["material"], per_material["disposal_cost_usd_per_t"])
    sold, disposed = stock.get("sold_t", 0.0 * price), stock.get("disposed_t", 0.0 * price)
    unpriced = stock[price.isna() & (sold > ABS_TOL)]
    found = said(unpriced, (
        f"{fam.SALES_LIMIT}: {r.material} {r.month}: {r.sold_t:g} t sold, no sale price"
        for r in unpriced.itertuples()
    ))  # fmt: skip
    over = _over(sold, limit)
    found += said(stock[over], (
        f"{fam.SALES_LIMIT}: {r.material} {r.month}: {r.sold_t:g} t sold, above the "
        f"market's {m:g} t"
        for r, m in zip(stock[over].itertuples(), limit[over], strict=True)
    ))  # fmt: skip
    uncosted = stock[cost.isna() & (disposed > ABS_TOL)]
    return found + said(uncosted, (
        f"stock: {r.material} {r.month}: {r.disposed_t:g} t disposed of, no disposal cost"
        for r in uncosted.itertuples()
    ))  # fmt: skip


def _capital_recovery(rate_pct: float, years: float) -> float:
    rate = rate_pct / 100
    return 1 / years if rate == 0 else rate * (1 + rate) ** years / ((1 + rate) ** years - 1)


def capital_schedule(scenario: Scenario, decisions: pd.DataFrame | None) -> pd.DataFrame:
    """Capital charged per built option and month: an annuity from the month its capacity first
    runs, or everything when construction starts (``investment.capital_charge``)."""
    horizon = scenario.horizon
    settings = scenario.settings
    built = (
        set()
        if decisions is None
        else set(decisions.loc[(decisions["kind"] == "expansion") & decisions["chosen"], "name"])
    )
    firsts = units(scenario).set_index("unit")["first_month"]
    rows = []
    for x in scenario.expansions[scenario.expansions["option"].isin(built)].itertuples():
        first = firsts[x.option]
        if settings.capital_charge == "upfront":
            start = months.label(months.ordinal(first) - int(x.build_lead_time_months))
            rows.append((x.option, max(start, horizon[0]), x.capital_cost_usd))
        else:
            monthly = (
                x.capital_cost_usd
                * _capital_recovery(settings.discount_rate_pct, x.lifetime_years)
                / 12
            )
            rows += [(x.option, month, monthly) for month in horizon if month >= first]
    return pd.DataFrame(rows, columns=["option", "month", "capital_usd"])


def _spent(table: pd.DataFrame, month, kind: str, usd) -> pd.DataFrame:
    """Costs of one kind, a row per row of ``table`` (with its scenario when it has one)."""
    spent = pd.DataFrame({"month": month, "kind": kind, "usd": usd})
    if SCENARIO in table:
        spent.insert(0, SCENARIO, table[SCENARIO].to_numpy())
    return spent


def chain_costs(
    scenario: Scenario,
    plan: pd.DataFrame,
    stock: pd.DataFrame,
    processing: pd.DataFrame | None,
    decisions: pd.DataFrame | None,
    names: list[str] | None = None,
) -> pd.DataFrame:
    """The chain's costs per month: processing, capital, contracts' fixed costs, take-or-pay,
    disposal and (negative) sales — with the month each is spent in. With ``names``, the
    scenario each is spent in (none for capital and contracts' fixed costs, which follow the
    decisions every scenario shares)."""
    parts = []
    if processing is not None and len(processing):
        cost = lookup(
            processing["unit"], units(scenario).set_index("unit")["operating_cost_usd_per_t"]
        )
        parts.append(_spent(processing, processing["month"].to_numpy(), "processing_usd",
                            (processing["throughput_t"] * cost).to_numpy()))  # fmt: skip
    capital = capital_schedule(scenario, decisions)
    parts.append(
        pd.DataFrame(
            {"month": capital["month"], "kind": "capital_usd", "usd": capital["capital_usd"]}
        )
    )
    contracts = scenario.contracts.set_index("contract")
    signed = sorted(_signed(decisions))
    start = [
        contracts.loc[c, "start_month"]
        if isinstance(contracts.loc[c, "start_month"], str)
        else scenario.horizon[0]
        for c in signed
    ]
    parts.append(
        pd.DataFrame(
            {
                "month": start,
                "kind": "contract_fixed_usd",
                "usd": [contracts.loc[c, "fixed_cost_usd"] for c in signed],
            }
        )
    )
    untaken = paid_not_taken(scenario, plan, decisions, names)
    price = lookup(untaken["contract"], contracts["price_usd_per_t"])
    parts.append(_spent(untaken, untaken["month"].to_numpy(), "take_or_pay_usd",
                        (untaken["untaken"] * price).to_numpy()))  # fmt: skip
    per_material = scenario.materials.set_index("material")
    for column, kind, rate, sign in (
        ("disposed_t", "disposal_usd", "disposal_cost_usd_per_t", 1.0),
        ("sold_t", "sales_usd", "sale_price_usd_per_t", -1.0),
    ):
        if column in stock:
            value = stock[column] * lookup(stock["material"], per_material[rate]).fillna(0.0) * sign
            parts.append(_spent(stock, stock["month"].to_numpy(), kind, value.to_numpy()))
    return (
        pd.concat([p for p in parts if len(p)], ignore_index=True)
        if any(len(p) for p in parts)
        else pd.DataFrame(columns=["month", "kind", "usd"])
    )


def check_budget(
    scenario: Scenario,
    plan: pd.DataFrame,
    landed: pd.Series,
    costs: pd.DataFrame,
    names: list[str] | None = None,
) -> list[Finding]:
    """Purchases, contract payments, processing and capital in each year stay within budget;
    purchases priced from the inputs (``landed``), not from the plan's own cost column. With
    ``names``, in every scenario (the costs of the decisions all share counted in each)."""
    limit = scenario.settings.budget_usd_per_year
    if limit is None:
        return []
    kinds = ["processing_usd", "capital_usd", "contract_fixed_usd", "take_or_pay_usd"]
    spending = pd.concat(
        [
            _spent(plan, plan["month"].to_numpy(), "", (plan["tonnes"] * landed).to_numpy()),
            costs[costs["kind"].isin(kinds)],
        ],
        ignore_index=True,
    )
    year = spending["month"].str[:4]
    if names is None:
        by_year = spending.groupby(year)["usd"].sum()
        return about_all(
            f"{fam.ANNUAL_BUDGET}: {y}: USD {usd:,.0f} spent, above the budget of USD {limit:,.0f}"
            for y, usd in by_year.items()
            if usd > limit * (1 + REL_TOL) + 1.0
        )
    own = spending[SCENARIO].notna().to_numpy()  # the plan's rows have their scenario
    years = sorted(set(year))
    grid = pd.MultiIndex.from_product([names, years], names=[SCENARIO, "year"])
    mine = spending[own].groupby([spending.loc[own, SCENARIO], year[own]])["usd"].sum()
    shared = spending[~own].groupby(year[~own])["usd"].sum().reindex(years, fill_value=0.0)
    by_year = mine.reindex(grid, fill_value=0.0) + np.tile(shared.to_numpy(), len(names))
    over = by_year[by_year > limit * (1 + REL_TOL) + 1.0]
    return [
        Finding(s, f"{fam.ANNUAL_BUDGET}: {y}: USD {usd:,.0f} spent, above the budget of "
                   f"USD {limit:,.0f}")
        for (s, y), usd in over.items()
    ]  # fmt: skip
