"""Disruption scenarios: which events are active in which months of each scenario, the
scenario tree they make (which scenarios share their history up to each month), and what the
active events do to each scenario's model data.

Rules (``docs/formulation.md``, "Disruption risk"): an event is known from the start of its
first active month. Its effects apply to orders placed while it is active (an order's month is
its arrival month minus the lead time): the offer's capacity times ``capacity_factor``, its
price times ``price_factor``, landing ``extra_lead_months`` later with the price and capacity of
its usual month; an order that would land after the horizon cannot be placed. Within one event
the most specific matching row of ``event_effects.csv`` applies; several active events multiply
their factors and the longest extra lead applies. With ``risk.release_floor`` a material's floor
does not apply in a month an active event cuts some of its supply (a capacity factor below 1),
nor for ``refill_months`` after the event ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from models.costs import arrival_costs, landed_cost
from models.data import ModelData

if TYPE_CHECKING:
    from optimizer.inputs.scenario import Scenario

BASE = "base"  # the undisrupted scenario: the probability the others leave over


@dataclass(frozen=True)
class RiskTree:
    """Scenarios (S), events (E) and months (T): ``active[s, e, t]``; ``history[s, d + 1]`` is
    the node of scenario s at month d (d = -1: before the horizon, one node for all): two
    scenarios share a node at d when the same events were active in every month up to d."""

    names: list[str]
    probability: np.ndarray  # (S,)
    events: list[str]
    active: np.ndarray  # (S, E, T) bool
    history: np.ndarray  # (S, T + 1) node codes, 0 before the horizon

    @property
    def size(self) -> int:
        return len(self.names)

    @property
    def onset(self) -> np.ndarray:
        """(S,) each scenario's first month with an event active; the number of months for a
        scenario never disrupted."""
        any_active = self.active.any(axis=1)  # (S, T)
        return np.where(any_active.any(axis=1), any_active.argmax(axis=1), any_active.shape[1])


def explicit_tree(scenario: Scenario, months: list[str]) -> RiskTree:
    """The scenarios of ``risk_scenarios.csv``, and ``base`` with the probability left over."""
    events = scenario.events["event"].tolist()
    rows = scenario.risk_scenarios
    names = list(dict.fromkeys(rows["scenario"]))
    probability = rows.groupby("scenario", sort=False)["probability"].first().reindex(names)
    active = np.zeros((len(names), len(events), len(months)), dtype=bool)
    month_of = {m: t for t, m in enumerate(months)}
    s = pd.Index(names).get_indexer(rows["scenario"])
    e = pd.Index(events).get_indexer(rows["event"])
    start = rows["start_month"].map(month_of).to_numpy(dtype=int)
    length = rows["months"].to_numpy(dtype=int)
    for row in range(len(rows)):  # rows of the file (a handful), each a slice of months
        active[s[row], e[row], start[row] : start[row] + length[row]] = True
    probability = probability.to_numpy(dtype=float)
    left = 1.0 - probability.sum()
    if left > 1e-9:
        names.append(BASE)
        probability = np.append(probability, left)
        active = np.concatenate([active, np.zeros((1, *active.shape[1:]), dtype=bool)])
    return RiskTree(names, probability, events, active, _history(active))


def sampled_tree(scenario: Scenario, months: list[str]) -> RiskTree:
    """``risk.samples`` paths drawn from ``events.csv`` with ``risk.seed``: each month an event
    not active starts with its monthly probability (from its earliest month), and lasts its
    fixed months or a geometric number with its mean. Identical paths merge."""
    settings, table = scenario.settings, scenario.events
    rng = np.random.default_rng(settings.seed)
    n, n_t = settings.samples, len(months)
    active = np.zeros((n, len(table), n_t), dtype=bool)
    month_of = {m: t for t, m in enumerate(months)}
    for e, event in enumerate(table.itertuples()):  # events: a handful; samples vectorised
        earliest = (
            month_of.get(event.earliest_month, 0) if isinstance(event.earliest_month, str) else 0
        )
        left = np.zeros(n, dtype=int)  # months the event still runs
        for t in range(n_t):
            starts = (left == 0) & (t >= earliest) & (rng.random(n) < event.monthly_probability)
            if not pd.isna(event.months):
                duration = np.full(n, int(event.months))
            else:
                mean = float(event.mean_months) if not pd.isna(event.mean_months) else 1.0
                duration = rng.geometric(1.0 / max(mean, 1.0), size=n)
            left = np.where(starts, duration, left)
            active[:, e, t] = left > 0
            left = np.maximum(left - 1, 0)
    paths, counts = np.unique(active.reshape(n, -1), axis=0, return_counts=True)
    quiet = ~paths.any(axis=1)
    names = [BASE if q else f"path-{i + 1:04d}" for i, q in enumerate(quiet)]
    merged = paths.reshape(len(paths), len(table), n_t)
    return RiskTree(names, counts / n, table["event"].tolist(), merged, _history(merged))


def _history(active: np.ndarray) -> np.ndarray:
    """Node codes: scenarios share a node at month t when their active events agree in every
    month up to t (a code per month, built month by month from the previous one)."""
    n_s, n_e, n_t = active.shape
    history = np.zeros((n_s, n_t + 1), dtype=np.int64)
    weights = 1 << np.arange(n_e, dtype=np.int64) if n_e < 62 else None
    for t in range(n_t):
        if weights is not None:
            code = active[:, :, t].astype(np.int64) @ weights
        else:
            code = np.unique(active[:, :, t], axis=0, return_inverse=True)[1].ravel()
        key = history[:, t] * (code.max() + 1) + code
        history[:, t + 1] = np.unique(key, return_inverse=True)[1].ravel()
    return history


@dataclass(frozen=True)
class Effects:
    """What each event does to each arrive row of the base data, when active at its order."""

    capacity: np.ndarray  # (E, rows)
    price: np.ndarray  # (E, rows)
    lead: np.ndarray  # (E, rows) extra months
    cuts: np.ndarray  # (E, materials) bool: the event cuts some supply of the material


def resolve_effects(scenario: Scenario, data: ModelData, events: list[str]) -> Effects:
    """Per event, the most specific matching row of ``event_effects.csv`` for every arrive row
    (supplier beats country, a material beats every material)."""
    arrive, table = data.arrive, scenario.event_effects
    n = len(arrive)
    capacity, price = np.ones((len(events), n)), np.ones((len(events), n))
    lead = np.zeros((len(events), n), dtype=int)
    cuts = np.zeros((len(events), len(data.materials)), dtype=bool)
    specificity = np.full((len(events), n), -1)
    supplier = arrive["supplier"].to_numpy(dtype=object)
    country = arrive["country"].to_numpy(dtype=object)
    material = arrive["material"].to_numpy(dtype=object)
    for row in table.itertuples():  # rows of the file, each matched against every arrival
        e = events.index(row.event)
        match = np.ones(n, dtype=bool)
        rank = 0
        if isinstance(row.supplier, str):
            match &= supplier == row.supplier
            rank += 4
        if isinstance(row.country, str):
            match &= country == row.country
            rank += 2
        if isinstance(row.material, str):
            match &= material == row.material
            rank += 1
        better = match & (rank > specificity[e])
        specificity[e, better] = rank
        capacity[e, better] = row.capacity_factor
        price[e, better] = row.price_factor
        lead[e, better] = int(row.extra_lead_months)
    m = arrive["m"].to_numpy(dtype=int)
    for e in range(len(events)):
        cut = capacity[e] < 1
        cuts[e, np.unique(m[cut])] = True
    return Effects(capacity, price, lead, cuts)


@dataclass(frozen=True)
class _Base:
    """The columns of the base data that each scenario's data changes, read once."""

    t: np.ndarray  # each arrival's landing month
    order_t: np.ndarray  # and its order month
    capacity: np.ndarray
    price: np.ndarray
    tariff: np.ndarray
    freight: np.ndarray
    spot: np.ndarray  # not under a contract
    floor_m: np.ndarray
    floor_t: np.ndarray  # each floor row's month
    floor: np.ndarray  # and its tonnes
    below_row: np.ndarray  # each below-floor variable's floor row

    @classmethod
    def of(cls, base: ModelData) -> _Base:
        arrive, floors = base.arrive, base.floors
        t = arrive["t"].to_numpy(dtype=int)
        return cls(
            t=t,
            order_t=t - arrive["lead_time_months"].to_numpy(dtype=int),
            capacity=arrive["capacity_t_per_month"].to_numpy(dtype=float),
            price=arrive["price_usd_per_t"].to_numpy(dtype=float),
            tariff=arrive["tariff_pct"].to_numpy(float),
            freight=arrive["freight_usd_per_t"].to_numpy(float),
            spot=arrive["contract_k"].to_numpy() < 0,
            floor_m=floors["m"].to_numpy(dtype=int),
            floor_t=floors["t"].to_numpy(dtype=int),
            floor=floors["floor_t"].to_numpy(float),
            below_row=base.below["floor_row"].to_numpy(dtype=int) if len(base.below) else None,
        )


def scenario_data(
    base: ModelData, scenario: Scenario, tree: RiskTree, effects: Effects, s: int
) -> ModelData:
    """The base data with scenario ``s``'s events: offers' capacity, price and landing month
    by the events active at each order's month, and released floors."""
    return _scenario_data(base, _Base.of(base), scenario, tree, effects, s)


def scenario_datas(
    base: ModelData, scenario: Scenario, tree: RiskTree, effects: Effects
) -> list[ModelData]:
    """Every scenario's :func:`scenario_data`, the base's columns read once."""
    read = _Base.of(base)
    return [_scenario_data(base, read, scenario, tree, effects, s) for s in range(tree.size)]


def _scenario_data(
    base: ModelData, read: _Base, scenario: Scenario, tree: RiskTree, effects: Effects, s: int
) -> ModelData:
    n_t, order_t = len(base.months), read.order_t
    on = np.zeros((tree.active.shape[1], len(order_t)), dtype=bool)
    inside = order_t >= 0
    on[:, inside] = tree.active[s][:, order_t[inside]]
    capacity = np.where(on, effects.capacity, 1.0).prod(axis=0)
    price = np.where(on, effects.price, 1.0).prod(axis=0)
    extra = np.where(on, effects.lead, 0).max(axis=0) if len(on) else np.zeros(len(order_t), int)
    land = read.t + extra
    late = land >= n_t
    cap = np.where(capacity == 0, 0.0, read.capacity * np.where(capacity == 0, 1.0, capacity))
    cap = np.where(late, 0.0, cap)
    new_price = np.where(read.spot, read.price * price, read.price)
    land = np.where(late, read.t, land)
    moved = {}  # the landing month only where a delay moves some order (strings are slow)
    if (land != read.t).any():
        moved = {"t": land, "month": np.asarray(base.months, dtype=object)[land]}
    landed = landed_cost(new_price, read.tariff, read.freight)
    cap = np.where(~read.spot & (capacity == 0), 0.0, cap)  # a ban stops contracted tonnes too
    cost = arrival_costs(landed, new_price, ~read.spot)
    changed = base.arrive.assign(**moved, price_usd_per_t=new_price, capacity_t_per_month=cap,
                                 landed_usd_per_t=landed, arrive_cost_usd_per_t=cost)  # fmt: skip
    floors, below = base.floors, base.below
    if scenario.settings.release_floor == "true" and len(floors):
        released = released_months(tree, effects, s, scenario.settings.refill_months)
        off = released[read.floor_m, read.floor_t]
        if off.any():  # the base's frames where nothing is released: no copies to compare
            floor_t = np.where(off, 0.0, read.floor)
            floors = floors.assign(floor_t=floor_t)
            if len(below):  # below_floor(floors): the same rows, each its floor row's floor
                below = below.assign(floor_t=floor_t[read.below_row])
    # The closing credit keeps the floor as written and the undisrupted prices (base.credits).
    return base.with_numbers(arrive=changed, floors=floors, below=below)


def released_months(tree: RiskTree, effects: Effects, s: int, refill: int) -> np.ndarray:
    """(materials, months): where a material's floor is released in scenario ``s``."""
    n_m, n_t = effects.cuts.shape[1], tree.active.shape[2]
    cut = np.zeros((n_m, n_t), dtype=bool)
    for e in range(len(tree.events)):  # events: a handful
        cut[effects.cuts[e]] |= tree.active[s, e]
    if refill <= 0:
        return cut
    released = cut.copy()
    ended = cut & ~np.concatenate([cut[:, 1:], np.zeros((n_m, 1), dtype=bool)], axis=1)
    for k in range(1, refill + 1):
        released[:, k:] |= ended[:, :-k] if k < n_t else False
    return released
