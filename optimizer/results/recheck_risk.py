"""The re-check of a risk solve: every scenario's whole plan against its own inputs, and the
tree's rule that scenarios with the same history decide alike.

Independent of the model: the events' effects are derived here again with pandas from
``event_effects.csv`` and the paths (which events are active in which months of each scenario),
by the rules of ``docs/formulation.md`` ("Disruption risk"): the events active in an order's
month change its offer's capacity and price (the usual arrival month's, before duty and
freight) and land it later by the longest extra lead; a floor is released while an active event
cuts some supply of its material and ``refill_months`` after.

Every scenario is re-checked at once: the scenarios' tables are one table each (a ``scenario``
column), what differs between scenarios is a column per (scenario, row) (each plan row's usual
month, factors and extra lead; each stock row's released floor), and the re-check of
:mod:`optimizer.results.recheck` sums and joins per scenario, so its cost grows with the rows,
not with one pass per scenario.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.common import months
from optimizer.inputs.scenario import Scenario
from optimizer.results import recheck as rc
from optimizer.results.findings import Finding, said, sentences
from optimizer.results.input_memo import per_scenario
from optimizer.results.recheck_keys import lookup
from optimizer.results.scenario_rows import SCENARIO, decided

RULE = "event-effects"  # the name messages about the events' effects carry
TREE = "non-anticipativity"


def _matching(effects: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """For each row (columns supplier, country, material, and ``row``) and event, the most
    specific matching effects row (supplier beats country, a material beats every material)."""
    pairs = rows.merge(effects, how="cross", suffixes=("", "_effect"))
    match = np.ones(len(pairs), dtype=bool)
    rank = np.zeros(len(pairs), dtype=int)
    for column, weight in (("supplier", 4), ("country", 2), ("material", 1)):
        given = pairs[f"{column}_effect"].notna().to_numpy()
        match &= ~given | (pairs[f"{column}_effect"] == pairs[column]).to_numpy()
        rank += weight * given
    pairs = pairs[match].assign(rank=rank[match])
    pairs = pairs.sort_values("rank", kind="stable")
    return pairs.groupby(["row", "event"], sort=False).tail(1)


@per_scenario
def pair_effects(scenario: Scenario) -> pd.DataFrame:
    """Per (supplier, material) an offer or a contract can carry, and per event: the factors
    and extra lead of the event's most specific matching row of ``event_effects.csv``."""
    named = scenario.contracts[["supplier", "material"]].dropna()
    pairs = pd.concat([scenario.offers[["supplier", "material"]], named]).drop_duplicates()
    rows = pairs.assign(
        row=np.arange(len(pairs)),
        country=pairs["supplier"].map(scenario.suppliers.set_index("supplier")["country"]),
    )
    best = _matching(scenario.event_effects, rows)
    columns = ["capacity_factor", "price_factor", "extra_lead_months"]
    return best[["supplier", "material", "event", *columns]].reset_index(drop=True)


def _labels(ordinals: np.ndarray) -> np.ndarray:
    """Month labels of ordinals (each distinct one formatted once)."""
    distinct, index = np.unique(ordinals, return_inverse=True)
    return np.array([months.label(int(o)) for o in distinct], dtype=object)[index.ravel()]


def event_terms(
    scenario: Scenario, plan: pd.DataFrame, active: np.ndarray, events: list[str], names: list[str]
) -> pd.DataFrame:
    """Per plan row (same index): ``usual_month`` (order month plus lead time), and the
    ``capacity_factor``, ``price_factor`` and ``extra_lead_months`` of the events active in its
    order month in its scenario. ``active``: (scenarios, events, months), scenarios as
    ``names``."""
    suppliers = scenario.suppliers.set_index("supplier")
    lead = lookup(plan["supplier"], suppliers["lead_time_months"]).to_numpy(dtype=float)
    order = months.ordinals(plan["order_month"])
    # a supplier without a lead time (not in suppliers.csv): the month it lands, said elsewhere
    usual = np.where(np.isnan(lead), months.ordinals(plan["month"]), order + np.nan_to_num(lead))
    terms = pd.DataFrame(
        {"usual_month": _labels(usual.astype(np.int64)),
         "capacity_factor": 1.0, "price_factor": 1.0, "extra_lead_months": 0},
        index=plan.index,
    )  # fmt: skip
    if plan.empty or scenario.event_effects.empty:
        return terms
    t = order - months.ordinal(scenario.horizon[0])
    s = pd.Index(names).get_indexer(plan[SCENARIO])
    rows = pd.DataFrame({"row": np.arange(len(plan)), "supplier": plan["supplier"].to_numpy(),
                         "material": plan["material"].to_numpy()})  # fmt: skip
    best = rows.merge(pair_effects(scenario), on=["supplier", "material"])
    e = pd.Index(events).get_indexer(best["event"])
    row = best["row"].to_numpy(dtype=int)
    inside = t[row] >= 0  # an order placed before the horizon is data: no event touches it
    on = np.zeros(len(best), dtype=bool)
    on[inside] = active[s[row][inside], e[inside], t[row][inside]]
    best = best[on]
    row = best["row"].to_numpy(dtype=int)
    capacity = np.ones(len(plan))
    price = np.ones(len(plan))
    extra = np.zeros(len(plan), dtype=int)
    np.multiply.at(capacity, row, best["capacity_factor"].to_numpy(dtype=float))
    np.multiply.at(price, row, best["price_factor"].to_numpy(dtype=float))
    np.maximum.at(extra, row, best["extra_lead_months"].to_numpy(dtype=int))
    return terms.assign(capacity_factor=capacity, price_factor=price, extra_lead_months=extra)


def released_floors(
    scenario: Scenario, stock: pd.DataFrame, active: np.ndarray, events: list[str], names: list[str]
) -> np.ndarray:
    """Per stock row: whether its floor is released (``risk.release_floor``): an active event
    of its scenario cuts some supply of the material (a capacity factor below 1 on one of its
    offers) in the month or in the ``refill_months`` before."""
    settings = scenario.settings
    released = np.zeros(len(stock), dtype=bool)
    if settings.release_floor != "true" or scenario.event_effects.empty or stock.empty:
        return released
    effects = pair_effects(scenario)
    cutting = effects[effects["capacity_factor"] < 1][["event", "material"]].drop_duplicates()
    t = pd.Index(scenario.horizon).get_indexer(stock["month"])
    s = pd.Index(names).get_indexer(stock[SCENARIO])
    refill = max(int(settings.refill_months), 0)
    # released in t when the event is active in some month of t - refill .. t: the months
    # active up to t less those up to t - refill - 1
    count = np.cumsum(active, axis=2)  # (S, E, T)
    lag, n_t = refill + 1, count.shape[2]
    earlier = np.zeros_like(count)
    earlier[:, :, lag:] = count[:, :, : max(n_t - lag, 0)]
    window = count > earlier
    for event, material in cutting.itertuples(index=False):  # pairs: a handful
        mine = (stock["material"] == material).to_numpy()
        released[mine] |= window[s[mine], events.index(event), t[mine]]
    return released


def check_landing(plan: pd.DataFrame, terms: pd.DataFrame) -> list[Finding]:
    """Each arrival lands at its order month plus lead time plus the events' extra lead."""
    expected = months.ordinals(terms["usual_month"]) + terms["extra_lead_months"].to_numpy()
    off = months.ordinals(plan["month"]) != expected
    return said(plan[off], (
        f"{RULE}: {r.material} from {r.supplier} ordered {r.order_month} lands {r.month}, "
        f"the lead time and the events give {months.label(int(x))}"
        for r, x in zip(plan[off].itertuples(), expected[off], strict=True)
    ))  # fmt: skip


def check_banned_contracts(plan: pd.DataFrame, terms: pd.DataFrame) -> list[Finding]:
    """A ban (capacity factor 0) stops contracted tonnes too."""
    contracted = plan["contract"].notna() if "contract" in plan else False
    banned = contracted & (terms["capacity_factor"] == 0) & (plan["tonnes"] > rc.ABS_TOL_T)
    return said(plan[banned], (
        f"{RULE}: {r.tonnes:g} t of {r.material} from {r.supplier} under contract {r.contract} "
        f"ordered {r.order_month}, when an event bans it"
        for r in plan[banned].itertuples()
    ))  # fmt: skip


def histories(active: np.ndarray) -> np.ndarray:
    """(S, T + 1) history classes: two scenarios share a class at month d (column d + 1) when
    their events agree in every month up to d; column 0 (before the horizon) is one class.
    ``active``: (S, E, T)."""
    n_s, _, n_t = active.shape
    node = np.zeros((n_s, n_t + 1), dtype=np.int64)
    for d in range(n_t):  # months: the class so far and the month's events, renumbered
        month = np.unique(active[:, :, d], axis=0, return_inverse=True)[1].ravel()
        pair = node[:, d] * (month.max() + 1) + month
        node[:, d + 1] = np.unique(pair, return_inverse=True)[1].ravel()
    return node


def _codes(values: pd.Series, known: list[str] | None = None) -> tuple[np.ndarray, pd.Index]:
    """Each value's code (in sorted order of the values, or its position in ``known``)."""
    codes, distinct = pd.factorize(values, sort=known is None)
    if known is None:
        return codes, pd.Index(distinct)
    return pd.Index(known).get_indexer(distinct)[codes], pd.Index(known)


def check_tree(full: pd.DataFrame, names: list[str], node: np.ndarray, key: list[str],
               value: str, horizon: list[str]) -> list[str]:  # fmt: skip
    """Scenarios whose events agree in every month up to d decide month d alike: ``value`` of
    each row (a missing row is 0) is the same across them. ``node``: :func:`histories`."""
    full = full[full[SCENARIO].isin(names)]
    if full.empty:
        return []
    n_s, n_node = len(names), node.max() + 1
    parts = [full[c].fillna("") for c in key] + [decided(full)]
    row, size = np.zeros(len(full), dtype=np.int64), 1  # each decision's code, in key order
    for part in parts:
        codes, distinct = _codes(part)
        if size * len(distinct) > 2**40:  # renumber before the codes could overflow
            distinct_rows, row = np.unique(row, return_inverse=True)
            row, size = row.ravel(), len(distinct_rows)
        row, size = row * len(distinct) + codes, size * len(distinct)
    month = pd.Index(horizon).get_indexer(distinct)[codes] + 1  # 0: before the horizon
    scenario = _codes(full[SCENARIO], names)[0]
    # value per (decision, scenario), summed over the rows of the table
    pair, at = np.unique(row * n_s + scenario, return_inverse=True)
    summed = np.bincount(at.ravel(), weights=full[value].to_numpy(dtype=float))
    decision, scenario = pair // n_s, pair % n_s
    month_of = np.zeros(size, dtype=np.int64)  # each decision's month
    month_of[row] = month
    when = month_of[decision]
    # min and max per (decision, node), and how many of the node's scenarios have the row
    group, at = np.unique(decision * n_node + node[scenario, when], return_inverse=True)
    at = at.ravel()
    low, high = np.full(len(group), np.inf), np.full(len(group), -np.inf)
    np.minimum.at(low, at, summed)
    np.maximum.at(high, at, summed)
    held = np.bincount(at, minlength=len(group))
    members = np.bincount((np.arange(node.shape[1]) * n_s + node).ravel(),
                          minlength=node.shape[1] * n_s)  # fmt: skip
    absent = held < members[month_of[group // n_node] * n_s + group % n_node]
    low = np.where(absent, np.minimum(low, 0.0), low)  # a scenario without the row has 0
    high = np.where(absent, np.maximum(high, 0.0), high)
    off = (high - low) > rc.ABS_TOL_T + rc.REL_TOL * np.abs(high)
    bad = np.unique(group[off] // n_node)
    if not len(bad):
        return []
    where = np.unique(row, return_index=True)  # a table row of each decision
    labels = [part.to_numpy()[where[1][np.searchsorted(where[0], bad)]] for part in parts]
    return [
        f"{TREE}: {', '.join(map(str, r[:-1]))} decided {r[-1]}: {value} differs between "
        "scenarios that cannot yet tell apart"
        for r in zip(*labels, strict=True)
    ]


def recheck_paths(
    scenario: Scenario,
    risk: pd.DataFrame,
    plans: pd.DataFrame,
    stocks: pd.DataFrame,
    processing: pd.DataFrame | None,
    decisions: pd.DataFrame | None,
    active: np.ndarray,
    events: list[str],
    limit: int = 20,
) -> list[Finding]:
    """Every scenario's whole tables re-checked at once with its events' effects (rows of
    scenarios ``risk`` does not list are left out): at most ``limit`` findings per check and
    scenario, each scenario's in the order a re-check of it alone gives."""
    names = risk[SCENARIO].tolist()
    plans, stocks = _of(plans, names), _of(stocks, names)
    if processing is not None:
        processing = _of(processing, names)
    terms = event_terms(scenario, plans, active, events, names)
    released = released_floors(scenario, stocks, active, events, names)
    found = check_landing(plans, terms) + check_banned_contracts(plans, terms)
    cost = pd.Series(risk["cost_usd"].to_numpy(dtype=float), index=names)
    return found + rc.findings(scenario, plans, stocks, cost, processing=processing,
                               decisions=decisions, limit=limit, events=terms,
                               released=released)  # fmt: skip


def _of(table: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    return table[table[SCENARIO].isin(names)]


def check_trees(
    scenario: Scenario,
    names: list[str],
    plans: pd.DataFrame,
    stocks: pd.DataFrame,
    processing: pd.DataFrame | None,
    active: np.ndarray,
    limit: int = 20,
) -> list[str]:
    """The tree's rule on the plan, the stock, the shortfall and the runs (at most ``limit``
    messages each)."""
    found: list[str] = []
    node = histories(active)
    for table, key, value in (
        (plans, ["material", "supplier", "contract"], "tonnes"),
        (stocks, ["material"], "stock_t"),
        (stocks, ["material"], "shortfall_t"),
        (processing, ["unit"], "throughput_t"),
    ):
        if table is not None:
            found += check_tree(table, names, node, key, value, scenario.horizon)[:limit]
    return found


def recheck_scenarios(
    scenario: Scenario,
    risk: pd.DataFrame,
    plans: pd.DataFrame,
    stocks: pd.DataFrame,
    processing: pd.DataFrame | None,
    decisions: pd.DataFrame | None,
    active: np.ndarray,
    events: list[str],
    limit: int = 20,
) -> list[str]:
    """Every scenario's whole tables re-checked with its events' effects, and the tree: what
    concerns one scenario scenario by scenario (in ``risk``'s order, naming it), what they
    all share (the yes/no decisions) first and once, the tree's findings last."""
    names = risk[SCENARIO].tolist()
    found = recheck_paths(scenario, risk, plans, stocks, processing, decisions, active, events,
                          limit)  # fmt: skip
    return sentences(found, names) + check_trees(scenario, names, plans, stocks, processing,
                                                 active, limit)  # fmt: skip
