"""An independent re-check of a plan: every constraint recomputed with pandas from the scenario's
own tables and the result tables, without the model data or the solver.

Each ``check_*`` returns findings (:mod:`optimizer.results.findings`) naming the family, the
rows and the size of the violation; an empty list means the family holds within tolerance.
Tables with a ``scenario`` column hold many paths of one plan (a risk solve, re-checked by
:mod:`optimizer.results.recheck_risk`): every sum, join and balance is then taken per scenario,
in one pass over all the rows.
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
from optimizer.results.findings import Finding, about_all, limited, said, sentences
from optimizer.results.recheck_content import check_content, content_made
from optimizer.results.recheck_keys import keyed, lookup
from optimizer.results.recheck_stock import (
    check_closing_credit,
    check_floors,
    check_shortfall,
    stock_costs,
)
from optimizer.results.scenario_rows import SCENARIO

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
    objective_usd: float | pd.Series  # per scenario (its index) when the tables have several
    processing: pd.DataFrame | None
    decisions: pd.DataFrame | None
    offers: pd.DataFrame  # each spot plan row joined to the offer in effect
    landed: pd.Series  # each plan row's landed cost, from the inputs
    made: pd.DataFrame  # domestic output and use, from the processing table
    costs: pd.DataFrame  # the chain's costs, from the inputs and the tables
    content: pd.DataFrame | None = None  # the origin of content (content.csv)
    content_feed: pd.DataFrame | None = None  # the units' inputs by origin
    released: np.ndarray | None = None  # per stock row: a floor an event released

    @property
    def names(self) -> list[str] | None:
        """The scenarios the tables hold (None: one plan, without a scenario column)."""
        return _names(self.objective_usd)


def _names(objective_usd: float | pd.Series) -> list[str] | None:
    return objective_usd.index.tolist() if isinstance(objective_usd, pd.Series) else None


def recheck(
    scenario: Scenario,
    plan: pd.DataFrame,
    stock: pd.DataFrame,
    objective_usd: float | pd.Series,
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
    Disruption scenarios (``optimizer.results.recheck_risk``): the tables have a ``scenario``
    column and ``objective_usd`` is each scenario's cost (indexed by scenario); ``events``
    gives each plan row's usual arrival month and its events' capacity and price factors, and
    ``released`` each stock row whose floor an event released. Then each sentence names its
    scenario, listed scenario by scenario, at most ``limit`` per check and scenario."""
    found = findings(scenario, plan, stock, objective_usd, processing, decisions, limit,
                     content, content_feed, events, released)  # fmt: skip
    return sentences(found, _names(objective_usd))


def findings(
    scenario: Scenario,
    plan: pd.DataFrame,
    stock: pd.DataFrame,
    objective_usd: float | pd.Series,
    processing: pd.DataFrame | None = None,
    decisions: pd.DataFrame | None = None,
    limit: int = 20,
    content: pd.DataFrame | None = None,
    content_feed: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
    released: np.ndarray | None = None,
) -> list[Finding]:
    """:func:`recheck`'s findings, each with its scenario, check after check."""
    if "contract" not in plan:
        plan = plan.assign(contract=None)
    names = _names(objective_usd)
    offers = _offers_in_effect(scenario, plan[plan["contract"].isna()], events)
    landed = landed_costs(scenario, plan, offers)
    tables = Recheck(
        scenario, plan, stock, objective_usd, processing, decisions, offers, landed,
        chain.flows(scenario, processing), chain.chain_costs(scenario, plan, stock, processing,
                                                             decisions, names),
        content, content_feed, released,
    )  # fmt: skip
    checks = [*dict.fromkeys(CHECKS[family.name] for family in fam.FAMILIES), check_costs]
    found: list[Finding] = []
    for check in checks:
        found.extend(limited(check(tables), limit))
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
        joined["supplier_" + column] = lookup(joined["supplier"], suppliers[column])
    for column in ("lead_time_months", "freight_usd_per_t", "tariff_pct"):  # typed if empty
        joined["supplier_" + column] = joined["supplier_" + column].astype(float)
    return joined


def check_offers(offers: pd.DataFrame) -> list[Finding]:
    """Tonnes are non-negative, come from an existing offer and stay within its capacity."""
    missing = offers[~offers["has_offer"]]
    found = said(missing, (
        f"{fam.OFFER_CAPACITY}: {r.material} from {r.supplier} in {r.month} has no offer"
        for r in missing.itertuples()
    ))  # fmt: skip
    negative = offers[offers["tonnes"] < -ABS_TOL_T]
    found += said(negative, (
        f"plan: {r.material} from {r.supplier} in {r.month}: negative tonnes {r.tonnes:g}"
        for r in negative.itertuples()
    ))  # fmt: skip
    capacity = offers["offer_capacity"].fillna(np.inf)
    over = offers[
        offers["tonnes"] > capacity + _tolerance(capacity.where(np.isfinite(capacity), 0))
    ]
    found += said(over, (
        f"{fam.OFFER_CAPACITY}: {r.material} from {r.supplier} in {r.month}: "
        f"{r.tonnes:g} t exceeds capacity {r.offer_capacity:g} t"
        for r in over.itertuples()
    ))  # fmt: skip
    wrong_country = offers[offers["country"] != offers["supplier_country"]]
    return found + said(wrong_country, (
        f"plan: {r.supplier} is in {r.supplier_country}, not {r.country}"
        for r in wrong_country.itertuples()
    ))  # fmt: skip


def check_lead_times(scenario: Scenario, plan: pd.DataFrame) -> list[Finding]:
    """Nothing arrives before the horizon start plus the supplier's lead time."""
    lead = lookup(plan["supplier"], scenario.suppliers.set_index("supplier")["lead_time_months"])
    first = months.ordinal(scenario.settings.start) + lead.to_numpy()
    early = months.ordinals(plan["month"]) < first
    return said(plan[early], (
        f"{fam.LEAD_TIME}: {r.material} from {r.supplier} arrives {r.month}, before "
        f"{months.label(f)} (lead time {int(lt)} months)"
        for r, f, lt in zip(
            plan[early].itertuples(), first[early], lead[early].to_numpy(), strict=True
        )
    ))  # fmt: skip


def _grid(scenario: Scenario, names: list[str] | None) -> pd.MultiIndex:
    """Every (material, month) of the horizon; with ``names``, every (scenario, material,
    month)."""
    levels, keys = [scenario.materials["material"], scenario.horizon], ["material", "month"]
    if names is None:
        return pd.MultiIndex.from_product(levels, names=keys)
    return pd.MultiIndex.from_product([names, *levels], names=[SCENARIO, *keys])


def _on_grid(table: pd.DataFrame, value: str, grid: pd.MultiIndex) -> pd.Series:
    """``value`` summed by the grid's keys, zero where ``table`` has no row."""
    if table.empty:
        return pd.Series(0.0, index=grid)
    summed = table.groupby(list(grid.names))[value].sum()
    return summed.reindex(grid, fill_value=0.0).astype(float)  # an empty chain: untyped


def _per_cell(scenario: Scenario, grid: pd.MultiIndex, values: pd.Series) -> np.ndarray:
    """``values`` by (material, month) laid on the grid: zero where it has no row."""
    cells = pd.MultiIndex.from_arrays(
        [grid.get_level_values("material"), grid.get_level_values("month")]
    )
    return values.reindex(cells, fill_value=0.0).to_numpy(dtype=float)


def check_stock_balance(
    scenario: Scenario,
    plan: pd.DataFrame,
    stock: pd.DataFrame,
    made: pd.DataFrame,
    names: list[str] | None = None,
) -> list[Finding]:
    """stock[t] - stock[t-1] = arrivals + produced - consumed - sold - disposed + shortfall
    - demand, month by month from the initial stock; production recomputed from the recipes.
    Each month is held to a tolerance of its own flows, so that a small error in one month of
    a long horizon is not lost in the cumulative totals."""
    grid = _grid(scenario, names)
    table = stock.set_index(list(grid.names)).reindex(grid)
    missing = table["stock_t"].isna()
    cells = grid[missing.to_numpy()].to_frame(index=False)
    found = said(cells, (
        f"{fam.STOCK_BALANCE}: no stock row for {r.material} {r.month}"
        for r in cells.itertuples()
    ))  # fmt: skip
    arrivals = _on_grid(plan, "tonnes", grid)
    demand = pd.Series(
        _per_cell(scenario, grid, scenario.demand.groupby(["material", "month"])["demand_t"].sum()),
        index=grid,
    )
    initial = scenario.materials.set_index("material")["initial_stock_t"]
    produced = _on_grid(made, "tonnes", grid)
    outlets = sum(table[c].fillna(0.0) for c in ("sold_t", "disposed_t") if c in table)
    shortfall = table["shortfall_t"].fillna(0.0)
    flow = arrivals + produced - outlets + shortfall - demand
    stock_t = table["stock_t"]
    before = stock_t.groupby(level=list(grid.names[:-1]), sort=False).shift(1)
    first = grid.get_level_values("month") == scenario.horizon[0]
    before[first] = initial.reindex(grid.get_level_values("material")[first]).to_numpy()
    expected = before + flow
    scale = arrivals + produced + outlets + shortfall + demand + stock_t.abs() + before.abs()
    off = (~missing & before.notna() & ((stock_t - expected).abs() > _tolerance(scale))).to_numpy()
    rows = table[off].reset_index()
    found += said(rows, (
        f"{fam.STOCK_BALANCE}: {r.material} {r.month}: stock {r.stock_t:g} t, but the "
        f"month before, arrivals, processing, sales, shortfall and demand give {e:g} t"
        for r, e in zip(rows.itertuples(), expected[off], strict=True)
    ))  # fmt: skip
    wrong = (~missing & ((table["demand_t"] - demand).abs() > _tolerance(demand))).to_numpy()
    rows = table[wrong].reset_index()
    return found + said(rows, (
        f"{fam.STOCK_BALANCE}: {r.material} {r.month}: demand {r.demand_t:g} t in the "
        f"table, {d:g} t in demand.csv"
        for r, d in zip(rows.itertuples(), demand[wrong], strict=True)
    ))  # fmt: skip


def check_stock_bounds(scenario: Scenario, stock: pd.DataFrame) -> list[Finding]:
    """0 <= stock <= storage capacity."""
    capacity = lookup(
        stock["material"], scenario.materials.set_index("material")["storage_capacity_t"]
    )
    negative = stock[stock["stock_t"] < -ABS_TOL_T]
    over = stock["stock_t"] > capacity + _tolerance(capacity.where(np.isfinite(capacity), 0))
    return said(negative, (
        f"{fam.STORAGE_CAPACITY}: {r.material} {r.month}: stock {r.stock_t:g} t is negative"
        for r in negative.itertuples()
    )) + said(stock[over], (
        f"{fam.STORAGE_CAPACITY}: {r.material} {r.month}: stock {r.stock_t:g} t exceeds "
        f"storage capacity {c:g} t"
        for r, c in zip(stock[over].itertuples(), capacity[over], strict=True)
    ))  # fmt: skip


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
) -> list[Finding]:
    """Each capped country's tonnes in a window <= max_share x all tonnes of the material:
    arrivals by the supplier's country plus domestic output by the unit's country (with
    share_basis origin, by the origin of its content, from ``content.csv``)."""
    caps = scenario.country_caps
    if scenario.settings.share_basis == "origin" and content is not None:
        made = content_made(content)
    output = made[made["tonnes"] > 0]
    if caps.empty or (plan.empty and output.empty):
        return []
    columns = keyed(plan, "material", "month", "country", "tonnes")
    bought = plan.assign(
        country=lookup(plan["supplier"], scenario.suppliers.set_index("supplier")["country"])
    )[columns]
    rows = pd.concat([bought, output[columns]]) if len(output) else bought
    rows = rows.assign(window=_window(rows["month"].reset_index(drop=True), scenario).to_numpy())
    window = keyed(rows, "material", "window")
    by_country = rows.groupby([*window, "country"], as_index=False)["tonnes"].sum()
    by_country["total"] = by_country.groupby(window)["tonnes"].transform("sum")
    specific = caps[caps["material"].notna()].set_index(["country", "material"])["max_share"]
    general = caps[caps["material"].isna()].set_index("country")["max_share"]
    pair = pd.MultiIndex.from_frame(by_country[["country", "material"]])
    share_cap = pd.Series(specific.reindex(pair).to_numpy(), index=by_country.index)
    share_cap = share_cap.fillna(by_country["country"].map(general))
    over = by_country["tonnes"] > share_cap * by_country["total"] + _tolerance(by_country["total"])
    return said(by_country[over], (
        f"{fam.COUNTRY_SHARE_CAP}: {r.country} supplies {r.tonnes:g} of {r.total:g} t of "
        f"{r.material} in {r.window} ({r.tonnes / r.total:.1%}), above its cap of {c:.1%}"
        for r, c in zip(by_country[over].itertuples(), share_cap[over], strict=True)
    ))  # fmt: skip


def landed_costs(scenario: Scenario, plan: pd.DataFrame, offers: pd.DataFrame) -> pd.Series:
    """Each plan row's landed cost per tonne from the inputs alone: the offer in effect (or the
    contract's price, for contracted tonnes) with the supplier's duty, plus freight."""
    price = pd.Series(np.nan, index=plan.index)
    price[offers.index] = offers["offer_price"]
    contracted = plan["contract"].notna()
    contract_price = scenario.contracts.set_index("contract")["price_usd_per_t"]
    price[contracted] = lookup(plan.loc[contracted, "contract"], contract_price)
    suppliers = scenario.suppliers.set_index("supplier")
    duty = 1 + lookup(plan["supplier"], suppliers["tariff_pct"]).astype(float) / 100
    return price * duty + lookup(plan["supplier"], suppliers["freight_usd_per_t"]).astype(float)


def check_plan_costs(plan: pd.DataFrame, landed: pd.Series) -> list[Finding]:
    """Each row's landed cost is its offer's (or contract's), and its cost is tonnes x that."""
    wrong_landed = _differs(plan["landed_usd_per_t"], landed, absolute=1e-6)
    expected = plan["tonnes"] * landed
    wrong_cost = _differs(plan["cost_usd"], expected, absolute=1e-3) & ~wrong_landed
    return said(plan[wrong_landed], (
        f"plan: landed cost of {r.material} from {r.supplier} in {r.month} is "
        f"{r.landed_usd_per_t:g}, the inputs give {x:g}"
        for r, x in zip(plan[wrong_landed].itertuples(), landed[wrong_landed], strict=True)
    )) + said(plan[wrong_cost], (
        f"plan: cost of {r.material} from {r.supplier} in {r.month} is USD {r.cost_usd:,.2f}, "
        f"{r.tonnes:g} t at its landed cost give USD {x:,.2f}"
        for r, x in zip(plan[wrong_cost].itertuples(), expected[wrong_cost], strict=True)
    ))  # fmt: skip


def _differs(value: pd.Series, expected: pd.Series, absolute: float) -> pd.Series:
    return (value - expected).abs() > 1e-6 * expected.abs() + absolute  # NaN: no offer


def _total(table: pd.DataFrame, values, names: list[str] | None) -> float | pd.Series:
    """``values`` (one per row of ``table``) summed; with ``names``, per scenario (rows
    without a scenario count in every scenario)."""
    values = pd.Series(np.asarray(values, dtype=float))
    if names is None:
        return float(values.sum())
    if SCENARIO not in table:
        return pd.Series(float(values.sum()), index=names)
    scenario = table[SCENARIO].to_numpy(dtype=object)
    shared = pd.isna(scenario)
    own = values[~shared].groupby(scenario[~shared]).sum()
    return own.reindex(names, fill_value=0.0) + float(values[shared].sum())


def check_objective(
    scenario: Scenario,
    plan: pd.DataFrame,
    landed: pd.Series,
    stock: pd.DataFrame,
    costs: pd.DataFrame,
    objective_usd: float | pd.Series,
) -> list[Finding]:
    """The solver's objective (each scenario's cost) equals the cost recomputed from prices,
    duties, freight, holding costs, penalties, the chain's costs (processing, capital,
    contracts, take-or-pay, disposal, less sales), floor penalties and the closing stock's
    credit."""
    names = _names(objective_usd)
    per_material = scenario.materials.set_index("material")
    holding = stock["stock_t"] * lookup(
        stock["material"], per_material["holding_cost_usd_per_t_month"]
    )
    penalty = lookup(stock["material"], per_material["shortfall_penalty_usd_per_t"]).fillna(0.0)
    recomputed = (
        _total(plan, plan["tonnes"] * landed, names)
        + _total(stock, holding, names)
        + _total(stock, stock["shortfall_t"] * penalty, names)
        + _total(costs, costs["usd"], names)
        + _total(stock, stock_costs(scenario, stock), names)
    )
    if names is None:  # one plan: one figure, about no scenario
        recomputed = pd.Series([recomputed], index=[None])
        objective_usd = pd.Series([objective_usd], index=[None])
    reported, again = objective_usd.to_numpy(dtype=float), recomputed.to_numpy(dtype=float)
    off = np.abs(again - reported) > 1e-6 * np.maximum(1.0, np.abs(reported)) + 1e-3
    return [
        Finding(s, f"objective: the solver reports USD {o:,.2f}, the tables give USD {x:,.2f}")
        for s, o, x in zip(objective_usd.index[off], reported[off], again[off], strict=True)
    ]


def check_costs(r: Recheck) -> list[Finding]:
    """Each plan row's cost, then the objective, recomputed from the inputs."""
    return check_plan_costs(r.plan, r.landed) + check_objective(
        r.scenario, r.plan, r.landed, r.stock, r.costs, r.objective_usd
    )


# The check of each family of the registry (a test fails when one is missing). Some checks
# cover several families; each runs once.
CHECKS: dict[str, Callable[[Recheck], list[Finding]]] = {
    fam.STOCK_BALANCE: lambda r: (
        check_stock_balance(r.scenario, r.plan, r.stock, r.made, r.names)
        + check_shortfall(r.scenario, r.stock)
    ),
    fam.STOCKPILE_FLOOR: lambda r: check_floors(r.scenario, r.stock, r.released),
    fam.CLOSING_STOCK: lambda r: check_closing_credit(r.scenario, r.stock),
    fam.WINDOW_TOTAL: lambda r: [],  # a definition: the cap check sums each window itself
    fam.COUNTRY_SHARE_CAP: lambda r: check_caps(r.scenario, r.plan, r.made, r.content),
    fam.CONTENT_BALANCE: lambda r: about_all(check_content(
        r.scenario, r.plan, r.stock, r.processing, r.content, r.content_feed
    )),  # one plan's content: a risk solve has no content tables
    fam.EXPANSION_CAPACITY: lambda r: chain.check_processing(r.scenario, r.processing,
                                                              r.decisions),
    fam.EXCLUSIVE_OPTIONS: lambda r: chain.check_decisions(r.scenario, r.decisions),
    fam.CONTRACT_VOLUME: lambda r: chain.check_contracts(r.scenario, r.plan, r.decisions,
                                                          r.names),
    fam.ANNUAL_BUDGET: lambda r: chain.check_budget(r.scenario, r.plan, r.landed, r.costs,
                                                     r.names),
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
