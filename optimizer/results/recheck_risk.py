"""The re-check of a risk solve: every scenario's whole plan against its own inputs, and the
tree's rule that scenarios with the same history decide alike.

Independent of the model: the events' effects are derived here again with pandas from
``event_effects.csv`` and the paths (which events are active in which months of each scenario),
by the rules of ``docs/formulation.md`` ("Disruption risk"): the events active in an order's
month change its offer's capacity and price (the usual arrival month's, before duty and
freight) and land it later by the longest extra lead; a floor is released while an active event
cuts some supply of its material and ``refill_months`` after.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.common import months
from optimizer.inputs.scenario import Scenario
from optimizer.results import recheck as rc
from optimizer.results.input_memo import per_scenario
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


def event_terms(
    scenario: Scenario, plan: pd.DataFrame, active: np.ndarray, events: list[str]
) -> pd.DataFrame:
    """Per plan row (same index): ``usual_month`` (order month plus lead time), and the
    ``capacity_factor``, ``price_factor`` and ``extra_lead_months`` of the events active in its
    order month. ``active``: (events, months) of one scenario."""
    suppliers = scenario.suppliers.set_index("supplier")
    lead = plan["supplier"].map(suppliers["lead_time_months"]).to_numpy(dtype=float)
    order = months.ordinals(plan["order_month"])
    usual = [months.label(int(o + lt)) for o, lt in zip(order, lead, strict=True)]
    terms = pd.DataFrame(
        {"usual_month": usual, "capacity_factor": 1.0, "price_factor": 1.0,
         "extra_lead_months": 0},
        index=plan.index,
    )  # fmt: skip
    if plan.empty or scenario.event_effects.empty:
        return terms
    t = order - months.ordinal(scenario.horizon[0])
    rows = pd.DataFrame({"row": np.arange(len(plan)), "supplier": plan["supplier"].to_numpy(),
                         "material": plan["material"].to_numpy()})  # fmt: skip
    best = rows.merge(pair_effects(scenario), on=["supplier", "material"])
    e = pd.Index(events).get_indexer(best["event"])
    row = best["row"].to_numpy(dtype=int)
    inside = t[row] >= 0  # an order placed before the horizon is data: no event touches it
    on = np.zeros(len(best), dtype=bool)
    on[inside] = active[e[inside], t[row][inside]]
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
    scenario: Scenario, stock: pd.DataFrame, active: np.ndarray, events: list[str]
) -> np.ndarray:
    """Per stock row: whether its floor is released (``risk.release_floor``): an active event
    cuts some supply of the material (a capacity factor below 1 on one of its offers) in the
    month or in the ``refill_months`` before."""
    settings = scenario.settings
    released = np.zeros(len(stock), dtype=bool)
    if settings.release_floor != "true" or scenario.event_effects.empty or stock.empty:
        return released
    effects = pair_effects(scenario)
    cutting = effects[effects["capacity_factor"] < 1][["event", "material"]].drop_duplicates()
    horizon = pd.Index(scenario.horizon)
    t = horizon.get_indexer(stock["month"])
    refill = max(int(settings.refill_months), 0)
    for event, material in cutting.itertuples(index=False):  # pairs: a handful
        on = active[events.index(event)]
        # released in t when the event is active in some month of t - refill .. t
        window = np.convolve(on.astype(int), np.ones(refill + 1, dtype=int))[: len(on)] > 0
        mine = (stock["material"] == material).to_numpy()
        released[mine] |= window[t[mine]]
    return released


def check_landing(plan: pd.DataFrame, terms: pd.DataFrame) -> list[str]:
    """Each arrival lands at its order month plus lead time plus the events' extra lead."""
    expected = months.ordinals(terms["usual_month"]) + terms["extra_lead_months"].to_numpy()
    off = months.ordinals(plan["month"]) != expected
    return [
        f"{RULE}: {r.material} from {r.supplier} ordered {r.order_month} lands {r.month}, "
        f"the lead time and the events give {months.label(int(x))}"
        for r, x in zip(plan[off].itertuples(), expected[off], strict=True)
    ]


def check_banned_contracts(plan: pd.DataFrame, terms: pd.DataFrame) -> list[str]:
    """A ban (capacity factor 0) stops contracted tonnes too."""
    contracted = plan["contract"].notna() if "contract" in plan else False
    banned = contracted & (terms["capacity_factor"] == 0) & (plan["tonnes"] > rc.ABS_TOL_T)
    return [
        f"{RULE}: {r.tonnes:g} t of {r.material} from {r.supplier} under contract {r.contract} "
        f"ordered {r.order_month}, when an event bans it"
        for r in plan[banned].itertuples()
    ]


def check_tree(full: pd.DataFrame, names: list[str], active: np.ndarray, key: list[str],
               value: str, horizon: list[str]) -> list[str]:  # fmt: skip
    """Scenarios whose events agree in every month up to d decide month d alike: ``value`` of
    each row (a missing row is 0) is the same across them. ``active``: (S, E, T)."""
    if full.empty:
        return []
    n_s, n_t = len(names), active.shape[2]
    node = np.zeros((n_s, n_t + 1), dtype=np.int64)  # history classes, 0 before the horizon
    flat = active.transpose(0, 2, 1)  # (S, T, E)
    for d in range(n_t):  # months: one np.unique of the histories so far each
        node[:, d + 1] = np.unique(flat[:, : d + 1].reshape(n_s, -1), axis=0,
                                   return_inverse=True)[1].ravel()  # fmt: skip
    table = full.assign(_month=decided(full).to_numpy()).fillna({c: "" for c in key})
    wide = table.pivot_table(index=[*key, "_month"], columns=SCENARIO, values=value,
                             aggfunc="sum", fill_value=0.0)  # fmt: skip
    wide = wide.reindex(columns=names, fill_value=0.0)
    d = pd.Index(horizon).get_indexer(wide.index.get_level_values("_month"))
    nodes = node[:, np.maximum(d, -1) + 1].T  # (rows, S)
    values = wide.to_numpy(dtype=float)
    rows = np.repeat(np.arange(len(values)), n_s)
    groups = pd.DataFrame({"row": rows, "node": nodes.ravel(), "value": values.ravel()})
    spread = groups.groupby(["row", "node"])["value"].agg(["min", "max"])
    scale = rc.ABS_TOL_T + rc.REL_TOL * spread["max"].abs()
    off = spread[(spread["max"] - spread["min"]) > scale]
    bad = sorted({int(r) for r, _ in off.index})
    return [
        f"{TREE}: {', '.join(map(str, wide.index[r][:-1]))} decided {wide.index[r][-1]}: "
        f"{value} differs between scenarios that cannot yet tell apart"
        for r in bad
    ]


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
    """Every scenario's whole tables re-checked with its events' effects, and the tree."""
    found: list[str] = []
    names = risk[SCENARIO].tolist()
    for s, row in enumerate(risk.itertuples()):  # scenarios: each a vectorised re-check
        plan = plans[plans[SCENARIO] == row.scenario].drop(columns=SCENARIO)
        stock = stocks[stocks[SCENARIO] == row.scenario].drop(columns=SCENARIO)
        runs = None
        if processing is not None:
            runs = processing[processing[SCENARIO] == row.scenario].drop(columns=SCENARIO)
        terms = event_terms(scenario, plan, active[s], events)
        released = released_floors(scenario, stock, active[s], events)
        messages = check_landing(plan, terms) + check_banned_contracts(plan, terms)
        messages += rc.recheck(scenario, plan, stock, float(row.cost_usd), processing=runs,
                               decisions=decisions, limit=limit, events=terms,
                               released=released)  # fmt: skip
        found += [f"scenario {row.scenario}: {m}" for m in messages]
    for table, key, value in (
        (plans, ["material", "supplier", "contract"], "tonnes"),
        (stocks, ["material"], "stock_t"),
        (stocks, ["material"], "shortfall_t"),
        (processing, ["unit"], "throughput_t"),
    ):
        if table is not None:
            found += check_tree(table, names, active, key, value, scenario.horizon)[:limit]
    return found
