"""The Pyomo engine's origin-of-content part (``policy.share_basis = "origin"``), written
algebraically: sets, variables and the rules of content-balance, content-feed and content-use
(:mod:`models.content` has the rule in words). ``models.pyomo_model`` registers the rules.

Origins are labels: a country code, or ``initial`` for the stock at the start.
"""

from __future__ import annotations

import pyomo.environ as pyo

from models.content import INITIAL
from models.data import ModelData


def _keys(frame, *columns: str) -> list[tuple]:
    return list(zip(*(frame[column].tolist() for column in columns), strict=True))


def declare_content(model: pyo.ConcreteModel, data: ModelData) -> None:
    """Sets, parameters and variables of content tracing (all empty without it)."""
    content = data.content
    # (m, o, t): a traced material's tonnes of origin o, held and leaving to demand.
    model.HELD = pyo.Set(dimen=3, initialize=_keys(content.held, "material", "origin", "month"))
    # (u, i, o, t): a unit's input i of origin o; (u, i, t): a run's input line.
    model.FEED = pyo.Set(
        dimen=4, initialize=_keys(content.feed, "unit", "material", "origin", "month")
    )
    model.INPUT_LINES = pyo.Set(
        dimen=3, initialize=_keys(content.inputs, "unit", "material", "month")
    )
    model.held = pyo.Var(model.HELD, within=pyo.NonNegativeReals)
    model.used = pyo.Var(model.HELD, within=pyo.NonNegativeReals)
    model.feed = pyo.Var(model.FEED, within=pyo.NonNegativeReals)
    feed_of: dict[tuple, list] = {}  # (u, i, t) -> origins fed
    for u, i, o, t in model.FEED:
        feed_of.setdefault((u, i, t), []).append(o)
    model.FEED_ORIGINS = pyo.Set(model.INPUT_LINES, initialize=feed_of)
    # Per (m, o, t): the runs' feed lines that make m with content o, with their share
    # (yield of m over the unit's input per tonne), and the feed lines that use m.
    inputs_of: dict[tuple, list] = {}  # (u, t) -> inputs
    for u, i, t in model.INPUT_LINES:
        inputs_of.setdefault((u, t), []).append(i)
    made_into: dict[tuple, list] = {key: [] for key in model.HELD}
    share = {}
    for u, m, o, t, s in content.made[["unit", "material", "origin", "month", "share"]].itertuples(
        index=False
    ):
        share[u, m] = float(s)
        for i in inputs_of.get((u, t), []):
            if o in feed_of[u, i, t]:
                made_into[m, o, t].append((u, i))
    used_from: dict[tuple, list] = {key: [] for key in model.HELD}
    for u, i, o, t in model.FEED:
        used_from[i, o, t].append(u)
    model.MADE_INTO = pyo.Set(model.HELD, dimen=2, initialize=made_into)
    model.FED_FROM = pyo.Set(model.HELD, initialize=used_from)
    model.MADE_LINES = pyo.Set(dimen=2, initialize=list(share))
    model.content_share = pyo.Param(model.MADE_LINES, initialize=share)
    model.input_rate = pyo.Param(
        model.INPUT_LINES,
        initialize=dict(zip(model.INPUT_LINES, content.inputs["a"].astype(float), strict=True)),
    )
    model.tracks_content = pyo.Param(initialize=content.tracks, within=pyo.Boolean)
    # Arrivals by origin: spot purchases (m, o, t) -> suppliers, contracted -> contracts.
    bought: dict[tuple, list] = {key: [] for key in model.HELD}
    contracted: dict[tuple, list] = {key: [] for key in model.HELD}
    names = data.chain.contracts["contract"].to_numpy(dtype=object)
    columns = ["material", "country", "month", "supplier", "contract_k", "order_month"]
    for m, c, t, s, k, o in data.arrive[columns].itertuples(index=False):
        if (m, c, t) in bought:  # (supplier or contract, order month): the arrival's index
            (bought if k < 0 else contracted)[m, c, t].append((s if k < 0 else names[k], o))
    model.BOUGHT_OF_ORIGIN = pyo.Set(model.HELD, dimen=2, initialize=bought)
    model.CONTRACTED_OF_ORIGIN = pyo.Set(model.HELD, dimen=2, initialize=contracted)
    origins: dict[str, list] = {}
    for m, o, t in model.HELD:
        if t == data.months[0]:
            origins.setdefault(m, []).append(o)
    model.TRACED = pyo.Set(initialize=list(origins), ordered=True)
    model.content_origins = pyo.Set(model.TRACED, initialize=origins)


def made_of_origin(model, m, o, t):
    """Tonnes of m made in month t with content of origin o."""
    return sum(
        model.content_share[u, m] * model.feed[u, i, o, t] for u, i in model.MADE_INTO[m, o, t]
    )


def content_balance_rule(model, m, o, t):
    """Arrivals count for their supplier's country (spot and contracted); held[m,o,-1] is the
    initial stock for origin ``initial`` and 0 for the others."""
    months = model.MONTHS
    if t == months.first():
        before = model.initial_stock[m] if o == INITIAL else 0
    else:
        before = model.held[m, o, months.prev(t)]
    bought = sum(model.arrive[m, s, d] for s, d in model.BOUGHT_OF_ORIGIN[m, o, t])
    contracted = sum(model.contracted[k, m, d] for k, d in model.CONTRACTED_OF_ORIGIN[m, o, t])
    fed = sum(model.feed[u, m, o, t] for u in model.FED_FROM[m, o, t])
    made = made_of_origin(model, m, o, t)
    return model.held[m, o, t] == before + bought + contracted + made - fed - model.used[m, o, t]


def content_feed_rule(model, u, i, t):
    """The run's use of input i, split over the origins its pool holds."""
    fed = sum(model.feed[u, i, o, t] for o in model.FEED_ORIGINS[u, i, t])
    return fed == model.input_rate[u, i, t] * model.run[u, t]


def made_from_origin(model, m, c, w):
    """With share_basis origin: tonnes of m made in window w with content from country c."""
    return sum(
        made_of_origin(model, m, c, t) for t in model.MONTHS_IN[w] if (m, c, t) in model.HELD
    )


def content_use_rule(model, m, t):
    """What leaves a traced material's pool other than to units."""
    used = sum(model.used[m, o, t] for o in model.content_origins[m])
    unmet = model.shortfall[m, t] if (m, t) in model.SHORT_CELLS else 0
    sold = model.sell[m, t] if (m, t) in model.SALES else 0
    disposed = model.dispose[m, t] if (m, t) in model.DISPOSALS else 0
    return used == model.demand[m, t] - unmet + sold + disposed
