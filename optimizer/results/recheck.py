"""An independent re-check of a plan: every constraint recomputed with pandas from the scenario's
own tables and the result tables, without the model data or the solver.

Each ``check_*`` returns messages naming the family, the rows and the size of the violation;
an empty list means the family holds within tolerance.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from models import families as fam
from optimizer.common import months
from optimizer.inputs.scenario import Scenario
from optimizer.results import recheck_chain as chain
from optimizer.results.recheck_content import check_content, content_made
from optimizer.results.recheck_stock import (
    check_closing_credit,
    check_floors,
    check_shortfall,
    stock_costs,
)

ABS_TOL_T = 1e-5  # tonnes
REL_TOL = 1e-6


def _tolerance(scale) -> np.ndarray:
    return ABS_TOL_T + REL_TOL * np.abs(np.asarray(scale, dtype=float))


@dataclass(frozen=True)
class Recheck:
    """What the re-check reads: the scenario, the result tables and what follows from them."""

    scenario: Scenario
    plan: pd.DataFrame
    stock: pd.DataFrame
    objective_usd: float
    processing: pd.DataFrame | None
    decisions: pd.DataFrame | None
    offers: pd.DataFrame  # each spot plan row joined to the offer in effect
    landed: pd.Series  # each plan row's landed cost, from the inputs
    made: pd.DataFrame  # domestic output and use, from the processing table
    costs: dict  # the chain's costs, from the inputs and the tables
    content: pd.DataFrame | None = None  # the origin of content (content.csv)
    content_feed: pd.DataFrame | None = None  # the units' inputs by origin
    released: np.ndarray | None = None  # per stock row: a floor an event released


def recheck(
    scenario: Scenario,
    plan: pd.DataFrame,
    stock: pd.DataFrame,
    objective_usd: float,
    processing: pd.DataFrame | None = None,
    decisions: pd.DataFrame | None = None,
    limit: int = 20,
    content: pd.DataFrame | None = None,
    content_feed: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
    released: np.ndarray | None = None,
) -> list[str]:
    """Every violation found (at most ``limit`` per check), as plain sentences: every family of
    the registry checked by its ``CHECKS`` entry, in the registry's order, then the costs.
    In a disruption scenario (``optimizer.results.recheck_risk``), ``events`` gives each plan
    row's usual arrival month and its events' capacity and price factors, and ``released``
    each stock row whose floor an event released."""
    if "contract" not in plan:
        plan = plan.assign(contract=None)
    offers = _offers_in_effect(scenario, plan[plan["contract"].isna()], events)
    landed = landed_costs(scenario, plan, offers)
    tables = Recheck(
        scenario, plan, stock, objective_usd, processing, decisions, offers, landed,
        chain.flows(scenario, processing), chain.chain_costs(scenario, plan, stock, processing,
                                                             decisions),
        content, content_feed, released,
    )  # fmt: skip
    checks = [*dict.fromkeys(CHECKS[family.name] for family in fam.FAMILIES), check_costs]
    found: list[str] = []
    for check in checks:
        messages = check(tables)
        found.extend(messages[:limit])
        if len(messages) > limit:
            found.append(f"... and {len(messages) - limit} more like the above")
    return found


def _offers_in_effect(
    scenario: Scenario, plan: pd.DataFrame, events: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Each plan row joined to the offer that applies to its month (dated row, else blank);
    with ``events``, the offer of its usual arrival month, its capacity and price changed by
    the events' factors."""
    if events is not None:
        joined = _offers_in_effect(scenario, plan.assign(month=events["usual_month"]))
        capacity = events.loc[plan.index, "capacity_factor"].to_numpy(dtype=float)
        offered = joined["offer_capacity"].to_numpy(dtype=float)
        return joined.assign(
            month=plan["month"],
            offer_capacity=np.where(
                capacity == 0, 0.0, offered * np.where(capacity == 0, 1.0, capacity)
            ),
            offer_price=joined["offer_price"] * events.loc[plan.index, "price_factor"],
        )
    offers = scenario.offers.rename(
        columns={"price_usd_per_t": "offer_price", "capacity_t_per_month": "offer_capacity"}
    )
    columns = ["offer_price", "offer_capacity"]
    dated = plan[["supplier", "material", "month"]].merge(
        offers[offers["month"].notna()], on=["supplier", "material", "month"], how="left"
    )
    every = plan[["supplier", "material"]].merge(
        offers[offers["month"].isna()].drop(columns="month"),
        on=["supplier", "material"],
        how="left",
    )
    joined = plan.copy()
    for column in columns:
        joined[column] = dated[column].fillna(every[column]).to_numpy(dtype=float)
    joined["has_offer"] = (dated["offer_price"].notna() | every["offer_price"].notna()).to_numpy()
    suppliers = scenario.suppliers.set_index("supplier")
    for column in ("country", "lead_time_months", "freight_usd_per_t", "tariff_pct"):
        joined["supplier_" + column] = joined["supplier"].map(suppliers[column])
    for column in ("lead_time_months", "freight_usd_per_t", "tariff_pct"):  # typed if empty
        joined["supplier_" + column] = joined["supplier_" + column].astype(float)
    return joined


def check_offers(offers: pd.DataFrame) -> list[str]:
    """Tonnes are non-negative, come from an existing offer and stay within its capacity."""
    found = [
        f"{fam.OFFER_CAPACITY}: {r.material} from {r.supplier} in {r.month} has no offer"
        for r in offers[~offers["has_offer"]].itertuples()
    ]
    negative = offers["tonnes"] < -ABS_TOL_T
    found += [
        f"plan: {r.material} from {r.supplier} in {r.month}: negative tonnes {r.tonnes:g}"
        for r in offers[negative].itertuples()
    ]
    capacity = offers["offer_capacity"].fillna(np.inf)
    over = offers["tonnes"] > capacity + _tolerance(capacity.where(np.isfinite(capacity), 0))
    found += [
        f"{fam.OFFER_CAPACITY}: {r.material} from {r.supplier} in {r.month}: "
        f"{r.tonnes:g} t exceeds capacity {r.offer_capacity:g} t"
        for r in offers[over].itertuples()
    ]
    wrong_country = offers["country"] != offers["supplier_country"]
    found += [
        f"plan: {r.supplier} is in {r.supplier_country}, not {r.country}"
        for r in offers[wrong_country].itertuples()
    ]
    return found


def check_lead_times(scenario: Scenario, plan: pd.DataFrame) -> list[str]:
    """Nothing arrives before the horizon start plus the supplier's lead time."""
    lead = plan["supplier"].map(scenario.suppliers.set_index("supplier")["lead_time_months"])
    first = months.ordinal(scenario.settings.start) + lead.to_numpy()
    early = months.ordinals(plan["month"]) < first
    return [
        f"{fam.LEAD_TIME}: {r.material} from {r.supplier} arrives {r.month}, before "
        f"{months.label(f)} (lead time {int(lt)} months)"
        for r, f, lt in zip(
            plan[early].itertuples(), first[early], lead[early].to_numpy(), strict=True
        )
    ]


def _demand(scenario: Scenario, index: pd.MultiIndex) -> pd.Series:
    """demand.csv summed by (material, month), zero where it has no row."""
    demand = scenario.demand.groupby(["material", "month"])["demand_t"].sum()
    return demand.reindex(index, fill_value=0.0)


def check_stock_balance(
    scenario: Scenario, plan: pd.DataFrame, stock: pd.DataFrame, made: pd.DataFrame
) -> list[str]:
    """stock[t] - stock[t-1] = arrivals + produced - consumed - sold - disposed + shortfall
    - demand, month by month from the initial stock; production recomputed from the recipes.
    Each month is held to a tolerance of its own flows, so that a small error in one month of
    a long horizon is not lost in the cumulative totals."""
    grid = pd.MultiIndex.from_product(
        [scenario.materials["material"], scenario.horizon], names=["material", "month"]
    )
    table = stock.set_index(["material", "month"]).reindex(grid)
    missing = table["stock_t"].isna()
    found = [f"{fam.STOCK_BALANCE}: no stock row for {m} {t}" for m, t in grid[missing]]
    arrivals = plan.groupby(["material", "month"])["tonnes"].sum().reindex(grid, fill_value=0.0)
    demand = _demand(scenario, grid)
    initial = scenario.materials.set_index("material")["initial_stock_t"]
    produced = made.groupby(["material", "month"])["tonnes"].sum().reindex(grid, fill_value=0.0)
    produced = produced.astype(float)  # an empty chain gives an untyped column
    outlets = sum(table[c].fillna(0.0) for c in ("sold_t", "disposed_t") if c in table)
    shortfall = table["shortfall_t"].fillna(0.0)
    flow = arrivals + produced - outlets + shortfall - demand
    stock_t = table["stock_t"]
    before = stock_t.groupby(level="material", sort=False).shift(1)
    first = grid.get_level_values("month") == scenario.horizon[0]
    before[first] = initial.reindex(grid.get_level_values("material")[first]).to_numpy()
    expected = before + flow
    scale = arrivals + produced + outlets + shortfall + demand + stock_t.abs() + before.abs()
    off = ~missing & before.notna() & ((stock_t - expected).abs() > _tolerance(scale))
    found += [
        f"{fam.STOCK_BALANCE}: {m} {t}: stock {table.loc[(m, t), 'stock_t']:g} t, but the "
        f"month before, arrivals, processing, sales, shortfall and demand give "
        f"{expected[(m, t)]:g} t"
        for m, t in grid[off]
    ]
    wrong = ~missing & ((table["demand_t"] - demand).abs() > _tolerance(demand))
    found += [
        f"{fam.STOCK_BALANCE}: {m} {t}: demand {table.loc[(m, t), 'demand_t']:g} t in the "
        f"table, {demand[(m, t)]:g} t in demand.csv"
        for m, t in grid[wrong]
    ]
    return found


def check_stock_bounds(scenario: Scenario, stock: pd.DataFrame) -> list[str]:
    """0 <= stock <= storage capacity."""
    capacity = stock["material"].map(scenario.materials.set_index("material")["storage_capacity_t"])
    negative = stock["stock_t"] < -ABS_TOL_T
    over = stock["stock_t"] > capacity + _tolerance(capacity.where(np.isfinite(capacity), 0))
    return [
        f"{fam.STORAGE_CAPACITY}: {r.material} {r.month}: stock {r.stock_t:g} t is negative"
        for r in stock[negative].itertuples()
    ] + [
        f"{fam.STORAGE_CAPACITY}: {r.material} {r.month}: stock {r.stock_t:g} t exceeds "
        f"storage capacity {c:g} t"
        for r, c in zip(stock[over].itertuples(), capacity[over], strict=True)
    ]


def _window(labels: pd.Series, scenario: Scenario) -> pd.Series:
    window = scenario.settings.cap_window
    if window == "month":
        return labels
    if window == "year":
        codes, distinct = pd.factorize(labels)
        return pd.Series(
            np.asarray([d[:4] for d in distinct], dtype=object)[codes], index=labels.index
        )
    return pd.Series("horizon", index=labels.index)


def check_caps(
    scenario: Scenario, plan: pd.DataFrame, made: pd.DataFrame, content: pd.DataFrame | None
) -> list[str]:
    """Each capped country's tonnes in a window <= max_share x all tonnes of the material:
    arrivals by the supplier's country plus domestic output by the unit's country (with
    share_basis origin, by the origin of its content, from ``content.csv``)."""
    caps = scenario.country_caps
    if scenario.settings.share_basis == "origin" and content is not None:
        made = content_made(content)
    output = made[made["tonnes"] > 0]
    if caps.empty or (plan.empty and output.empty):
        return []
    bought = plan.assign(
        country=plan["supplier"].map(scenario.suppliers.set_index("supplier")["country"])
    )[["material", "month", "country", "tonnes"]]
    rows = pd.concat([bought, output[["material", "month", "country", "tonnes"]]])
    rows = rows.assign(window=_window(rows["month"].reset_index(drop=True), scenario).to_numpy())
    by_country = rows.groupby(["material", "window", "country"], as_index=False)["tonnes"].sum()
    by_country["total"] = by_country.groupby(["material", "window"])["tonnes"].transform("sum")
    specific = caps[caps["material"].notna()].set_index(["country", "material"])["max_share"]
    general = caps[caps["material"].isna()].set_index("country")["max_share"]
    pair = pd.MultiIndex.from_frame(by_country[["country", "material"]])
    share_cap = pd.Series(specific.reindex(pair).to_numpy(), index=by_country.index)
    share_cap = share_cap.fillna(by_country["country"].map(general))
    over = by_country["tonnes"] > share_cap * by_country["total"] + _tolerance(by_country["total"])
    return [
        f"{fam.COUNTRY_SHARE_CAP}: {r.country} supplies {r.tonnes:g} of {r.total:g} t of "
        f"{r.material} in {r.window} ({r.tonnes / r.total:.1%}), above its cap of {c:.1%}"
        for r, c in zip(by_country[over].itertuples(), share_cap[over], strict=True)
    ]


def landed_costs(scenario: Scenario, plan: pd.DataFrame, offers: pd.DataFrame) -> pd.Series:
    """Each plan row's landed cost per tonne from the inputs alone: the offer in effect (or the
    contract's price, for contracted tonnes) with the supplier's duty, plus freight."""
    price = pd.Series(np.nan, index=plan.index)
    price[offers.index] = offers["offer_price"]
    contracted = plan["contract"].notna()
    contract_price = scenario.contracts.set_index("contract")["price_usd_per_t"]
    price[contracted] = plan.loc[contracted, "contract"].map(contract_price)
    suppliers = scenario.suppliers.set_index("supplier")
    duty = 1 + plan["supplier"].map(suppliers["tariff_pct"]).astype(float) / 100
    return price * duty + plan["supplier"].map(suppliers["freight_usd_per_t"]).astype(float)


def check_plan_costs(plan: pd.DataFrame, landed: pd.Series) -> list[str]:
    """Each row's landed cost is its offer's (or contract's), and its cost is tonnes x that."""
    wrong_landed = _differs(plan["landed_usd_per_t"], landed, absolute=1e-6)
    expected = plan["tonnes"] * landed
    wrong_cost = _differs(plan["cost_usd"], expected, absolute=1e-3) & ~wrong_landed
    return [
        f"plan: landed cost of {r.material} from {r.supplier} in {r.month} is "
        f"{r.landed_usd_per_t:g}, the inputs give {x:g}"
        for r, x in zip(plan[wrong_landed].itertuples(), landed[wrong_landed], strict=True)
    ] + [
        f"plan: cost of {r.material} from {r.supplier} in {r.month} is USD {r.cost_usd:,.2f}, "
        f"{r.tonnes:g} t at its landed cost give USD {x:,.2f}"
        for r, x in zip(plan[wrong_cost].itertuples(), expected[wrong_cost], strict=True)
    ]


def _differs(value: pd.Series, expected: pd.Series, absolute: float) -> pd.Series:
    return (value - expected).abs() > 1e-6 * expected.abs() + absolute  # NaN: no offer


def check_objective(
    scenario: Scenario,
    plan: pd.DataFrame,
    landed: pd.Series,
    stock: pd.DataFrame,
    costs: pd.DataFrame,
    objective_usd: float,
) -> list[str]:
    """The solver's objective equals the cost recomputed from prices, duties, freight,
    holding costs, penalties, the chain's costs (processing, capital, contracts, take-or-pay,
    disposal, less sales), floor penalties and the closing stock's credit."""
    purchases = float((plan["tonnes"] * landed).sum())
    per_material = scenario.materials.set_index("material")
    holding = float(
        (
            stock["stock_t"] * stock["material"].map(per_material["holding_cost_usd_per_t_month"])
        ).sum()
    )
    penalty = stock["material"].map(per_material["shortfall_penalty_usd_per_t"]).fillna(0.0)
    shortfall = float((stock["shortfall_t"] * penalty).sum())
    recomputed = (
        purchases + holding + shortfall + float(costs["usd"].sum()) + stock_costs(scenario, stock)
    )
    if abs(recomputed - objective_usd) > 1e-6 * max(1.0, abs(objective_usd)) + 1e-3:
        return [
            f"objective: the solver reports USD {objective_usd:,.2f}, the tables give "
            f"USD {recomputed:,.2f}"
        ]
    return []


def check_costs(r: Recheck) -> list[str]:
    """Each plan row's cost, then the objective, recomputed from the inputs."""
    return check_plan_costs(r.plan, r.landed) + check_objective(
        r.scenario, r.plan, r.landed, r.stock, r.costs, r.objective_usd
    )


# The check of each family of the registry (a test fails when one is missing). Some checks
# cover several families; each runs once.
CHECKS: dict[str, Callable[[Recheck], list[str]]] = {
    fam.STOCK_BALANCE: lambda r: (
        check_stock_balance(r.scenario, r.plan, r.stock, r.made)
        + check_shortfall(r.scenario, r.stock)
    ),
    fam.STOCKPILE_FLOOR: lambda r: check_floors(r.scenario, r.stock, r.released),
    fam.CLOSING_STOCK: lambda r: check_closing_credit(r.scenario, r.stock),
    fam.WINDOW_TOTAL: lambda r: [],  # a definition: the cap check sums each window itself
    fam.COUNTRY_SHARE_CAP: lambda r: check_caps(r.scenario, r.plan, r.made, r.content),
    fam.CONTENT_BALANCE: lambda r: check_content(
        r.scenario, r.plan, r.stock, r.processing, r.content, r.content_feed
    ),
    fam.EXPANSION_CAPACITY: lambda r: chain.check_processing(r.scenario, r.processing,
                                                              r.decisions),
    fam.EXCLUSIVE_OPTIONS: lambda r: chain.check_decisions(r.scenario, r.decisions),
    fam.CONTRACT_VOLUME: lambda r: chain.check_contracts(r.scenario, r.plan, r.decisions),
    fam.ANNUAL_BUDGET: lambda r: chain.check_budget(r.scenario, r.plan, r.landed, r.costs),
    fam.OFFER_CAPACITY: lambda r: check_offers(r.offers),
    fam.STORAGE_CAPACITY: lambda r: check_stock_bounds(r.scenario, r.stock),
    fam.SALES_LIMIT: lambda r: chain.check_outlets(r.scenario, r.stock),
    fam.LEAD_TIME: lambda r: check_lead_times(r.scenario, r.plan),
}  # fmt: skip
CHECKS[fam.PROCESS_CAPACITY] = CHECKS[fam.EXPANSION_CAPACITY]  # one check of each unit's runs
CHECKS[fam.BELOW_FLOOR] = CHECKS[fam.STOCKPILE_FLOOR]  # the floor check reads the tonnes under
CHECKS[fam.CLOSING_CREDIT] = CHECKS[fam.CLOSING_STOCK]  # one check of the credited tonnes
CHECKS[fam.CONTENT_FEED] = CHECKS[fam.CONTENT_USE] = CHECKS[fam.CONTENT_BALANCE]  # one check
CHECKS[fam.OPTION_REQUIRES] = CHECKS[fam.EXCLUSIVE_OPTIONS]  # one check of the decisions
CHECKS[fam.CONTRACT_PAID] = CHECKS[fam.TAKE_OR_PAY] = CHECKS[fam.CONTRACT_VOLUME]  # contracts
