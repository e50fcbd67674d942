"""The Pyomo engine: the model of ``docs/formulation.md`` written algebraically, one Pyomo
component per set, parameter, variable family and constraint family.

It is the independent second formulation of the fast engine (:mod:`models.highs_engine`):
both read the same :class:`~models.data.ModelData` and return the same
:class:`~models.solution.Solution`, so the tests can check that they agree. It is slower to
build, but reads like the maths and can hand the model to any solver Pyomo knows.

Indices are the scenario's own labels: material ``m``, supplier ``s``, country ``c``, month
``t`` (``"2026-01"``), cap window ``w`` (``"2026"``), processing unit ``u`` (an existing process
or an option's new capacity), option ``o``, exclusive group ``g``, contract ``k``, budget year
``y``. Duals are read off the constraints exactly as they are written below: every constraint
is written so that Pyomo's dual is already d(objective)/d(right-hand side) in the fast engine's
sign convention, and nothing is flipped.

With a processing chain the model has yes/no decisions (``build`` an option, ``sign`` a
contract): a MIP. Its duals are those of the LP with every decision fixed at its chosen value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyomo.environ as pyo
from pyomo.repn.standard_repn import generate_standard_repn

from models import families as fam
from models import pyomo_content as content
from models.data import ModelData
from models.solution import (
    ModelSize,
)

# The constraint components of ``build`` and the families they implement, from the registry.
# An arrival's index: by its order month, unique per supplier (or contract) and material.
SPOT_KEY = ("material", "supplier", "order_month")
CONTRACT_KEY = ("contract", "material", "order_month")
FAMILY_OF_CONSTRAINT = {family.component: family.name for family in fam.row_families()}


# The variables whose upper bounds are the bound families.
FAMILY_OF_UPPER_BOUND = {block: family for family, block in fam.BOUND_BLOCKS.items()}


RULES: dict[str, Callable] = {}  # family name -> the rule of its constraint component


def implements(name: str) -> Callable[[Callable], Callable]:
    """Register the rule of family ``name``; its docstring starts with the family's inequality
    from the registry."""

    def register(rule: Callable) -> Callable:
        rule.__doc__ = fam.doc_of(name) + ("\n\n" + rule.__doc__ if rule.__doc__ else "")
        RULES[name] = rule
        return rule

    return register


def build(data: ModelData) -> pyo.ConcreteModel:
    """The model as Pyomo components: sets, parameters, variables, constraints, objective."""
    model = pyo.ConcreteModel(name=data.name)
    declare_sets(model, data)
    declare_chain_sets(model, data)
    declare_parameters(model, data)
    declare_chain_parameters(model, data)
    declare_variables(model)
    content.declare_content(model, data)
    declare_constraints(model, data)
    model.cost = pyo.Objective(rule=total_cost_rule, sense=pyo.minimize)
    return model


def declare_sets(model: pyo.ConcreteModel, data: ModelData) -> None:
    """Materials, months and windows, and the sparse index sets of purchases, stock and caps."""
    model.MATERIALS = pyo.Set(initialize=data.materials, ordered=True)
    model.MONTHS = pyo.Set(initialize=data.months, ordered=True)
    model.WINDOWS = pyo.Set(initialize=data.windows, ordered=True)
    model.MONTHS_IN = pyo.Set(
        model.WINDOWS,
        initialize={
            w: [t for t, v in _window_of_month(data).items() if v == w] for w in data.windows
        },
    )
    spot, contracted = _spot(data), _contracted(data)
    # (m, s, o): supplier s can sell material m ordered in month o (one per spot purchase).
    # Arrivals are indexed by their order month: an event's delay may land two orders in one
    # month (models.risk); the month each lands in is data (SUPPLIERS_OF and the sets below).
    model.OFFERS = pyo.Set(dimen=3, initialize=label_keys(spot, *SPOT_KEY))
    # (k, m, o): contract k can bring material m ordered in month o (one per contracted arrival).
    model.CONTRACTED = pyo.Set(dimen=3, initialize=label_keys(contracted, *CONTRACT_KEY))
    # (m, t): months in which material m may fall short (materials with a penalty).
    model.SHORT_CELLS = pyo.Set(dimen=2, initialize=label_keys(data.shortfall, "material", "month"))
    # (m, t): months with a stockpile floor.
    model.FLOOR_CELLS = pyo.Set(dimen=2, initialize=label_keys(data.floors, "material", "month"))
    # (m, t): floors with a penalty, which the stock may miss by the tonnes under them.
    model.BELOW = pyo.Set(dimen=2, initialize=label_keys(data.below, "material", "month"))
    # m: materials whose closing stock is credited up to the last month's floor.
    model.CREDITED = pyo.Set(initialize=data.credits["material"].tolist(), ordered=True)
    # (m, w): capped windows of a material, each with a window-total variable.
    model.CAPPED_WINDOWS = pyo.Set(
        dimen=2, initialize=label_keys(data.totals, "material", "window")
    )
    # (m, c, w): a country's share cap on a material in a window.
    model.CAPS = pyo.Set(dimen=3, initialize=label_keys(data.caps, "material", "country", "window"))

    # Which arrivals each row sums: suppliers and contracts landing (m, t); spot and contracted
    # arrivals in a capped window, and those of one country in a window.
    window = _window_of_month(data)
    suppliers_of = _lists(model.MATERIALS * model.MONTHS)
    contracts_of = _lists(model.MATERIALS * model.MONTHS)
    bought_in, contracted_in = _lists(model.CAPPED_WINDOWS), _lists(model.CAPPED_WINDOWS)
    bought_from, contracted_from = _lists(model.CAPS), _lists(model.CAPS)
    columns = ["material", "supplier", "order_month", "month", "country"]
    for m, s, o, t, c in spot[columns].itertuples(index=False):
        suppliers_of[m, t].append((s, o))
        _append(bought_in, (m, window[t]), (s, o))
        _append(bought_from, (m, c, window[t]), (s, o))
    columns = ["contract", "material", "order_month", "month", "country"]
    for k, m, o, t, c in contracted[columns].itertuples(index=False):
        contracts_of[m, t].append((k, o))
        _append(contracted_in, (m, window[t]), (k, o))
        _append(contracted_from, (m, c, window[t]), (k, o))
    # (s, o) and (k, o): the spot and contracted orders landing material m in month t.
    model.SUPPLIERS_OF = pyo.Set(model.MATERIALS, model.MONTHS, dimen=2, initialize=suppliers_of)
    model.CONTRACTS_OF = pyo.Set(model.MATERIALS, model.MONTHS, dimen=2, initialize=contracts_of)
    model.BOUGHT_IN = pyo.Set(model.CAPPED_WINDOWS, dimen=2, initialize=bought_in)
    model.CONTRACTED_IN = pyo.Set(model.CAPPED_WINDOWS, dimen=2, initialize=contracted_in)
    model.BOUGHT_FROM = pyo.Set(model.CAPS, dimen=2, initialize=bought_from)
    model.CONTRACTED_FROM = pyo.Set(model.CAPS, dimen=2, initialize=contracted_from)


def declare_chain_sets(model: pyo.ConcreteModel, data: ModelData) -> None:
    """The chain's units, runs, options, contracts, outlets and budget years (all empty for a
    scenario without one), and which runs each row sums."""
    chain = data.chain
    units = chain.units["unit"].tolist()
    if len(set(units)) != len(units):
        raise ValueError("processing units need distinct names (a process and an option share one)")
    model.UNITS = pyo.Set(initialize=units, ordered=True)
    # Units that are an option's new capacity: bounded by expansion-capacity, not a bound.
    model.OPTION_UNITS = pyo.Set(within=model.UNITS, initialize=_option_units(data), ordered=True)
    # (u, m): the recipe lines; (u, t): unit u may run in month t (one per run variable).
    model.RECIPE = pyo.Set(dimen=2, initialize=label_keys(_recipe(data), "unit", "material"))
    model.RUNS = pyo.Set(dimen=2, initialize=label_keys(chain.runs, "unit", "month"))
    model.OPTIONS = pyo.Set(initialize=chain.options["option"].tolist(), ordered=True)
    # Exclusive groups of two or more options, and their members (the registry's index table).
    groups = data.rows[fam.EXCLUSIVE_OPTIONS]
    names = chain.options["option"].to_numpy(dtype=object)
    model.GROUPS = pyo.Set(initialize=groups["group"].tolist(), ordered=True)
    model.MEMBERS = pyo.Set(
        model.GROUPS,
        initialize={
            g: names[members].tolist()
            for g, members in zip(groups["group"], groups["members"], strict=True)
        },
    )
    model.CONTRACTS = pyo.Set(initialize=chain.contracts["contract"].tolist(), ordered=True)
    # (k, t): months contract k runs in, each with a paid variable.
    model.PAID_MONTHS = pyo.Set(dimen=2, initialize=label_keys(chain.paid, "contract", "month"))
    # (m, t): a material that can be sold, or disposed of, in month t.
    model.SALES = pyo.Set(dimen=2, initialize=label_keys(chain.sales, "material", "month"))
    model.DISPOSALS = pyo.Set(dimen=2, initialize=label_keys(chain.disposals, "material", "month"))
    model.YEARS = pyo.Set(initialize=chain.budget["year"].astype(str).tolist(), ordered=True)
    model.MONTHS_OF_YEAR = pyo.Set(
        model.YEARS, initialize={y: [t for t in data.months if t[:4] == y] for y in model.YEARS}
    )

    # Which runs each row sums: units with a recipe line on (m, t); runs making m in a capped
    # window, and those of units in one country; materials contract k lands in month t.
    window = _window_of_month(data)
    country = dict(zip(chain.units["unit"], chain.units["country"], strict=True))
    units_on = _lists(model.MATERIALS * model.MONTHS)
    made_in, made_from = _lists(model.CAPPED_WINDOWS), _lists(model.CAPS)
    lines = _recipe(data).merge(chain.runs[["unit", "month"]], on="unit")
    for u, m, t, coefficient in lines[["unit", "material", "month", "coefficient"]].itertuples(
        index=False
    ):
        units_on[m, t].append(u)
        if coefficient > 0:  # an output is supply of the unit's country
            _append(made_in, (m, window[t]), (u, t))
            _append(made_from, (m, country[u], window[t]), (u, t))
    model.UNITS_ON = pyo.Set(model.MATERIALS, model.MONTHS, initialize=units_on)
    model.MADE_IN = pyo.Set(model.CAPPED_WINDOWS, dimen=2, initialize=made_in)
    model.MADE_FROM = pyo.Set(model.CAPS, dimen=2, initialize=made_from)
    landing = _lists(model.PAID_MONTHS)  # (m, o): what lands under contract k in month t
    contracted = _contracted(data)
    for k, m, o, t in contracted[[*CONTRACT_KEY, "month"]].itertuples(index=False):
        landing[k, t].append((m, o))
    model.MATERIALS_LANDING = pyo.Set(model.PAID_MONTHS, dimen=2, initialize=landing)


def declare_parameters(model: pyo.ConcreteModel, data: ModelData) -> None:
    """Costs, demand, floors, shares and capacities (``inf``: unlimited)."""
    spot, contracted, stock = _spot(data), _contracted(data), data.stock
    offers = label_keys(spot, *SPOT_KEY)
    cells = label_keys(stock, "material", "month")
    model.landed_cost = pyo.Param(model.OFFERS, initialize=_by(offers, spot["landed_usd_per_t"]))
    model.offer_capacity = pyo.Param(
        model.OFFERS, initialize=_by(offers, spot["capacity_t_per_month"])
    )
    # A contracted tonne pays duty and freight on arrival; its price is paid on ``paid``.
    model.duty_and_freight = pyo.Param(
        model.CONTRACTED,
        initialize=_by(
            label_keys(contracted, *CONTRACT_KEY),
            contracted["arrive_cost_usd_per_t"],
        ),
    )
    model.initial_stock = pyo.Param(
        model.MATERIALS, initialize=_by(data.materials, data.initial_stock_t)
    )
    model.demand = pyo.Param(
        model.MATERIALS, model.MONTHS, initialize=_by(cells, stock["demand_t"])
    )
    model.holding_cost = pyo.Param(
        model.MATERIALS, model.MONTHS, initialize=_by(cells, stock["holding_cost_usd_per_t_month"])
    )
    model.storage_capacity = pyo.Param(
        model.MATERIALS, model.MONTHS, initialize=_by(cells, stock["storage_capacity_t"])
    )
    model.shortfall_penalty = pyo.Param(
        model.SHORT_CELLS,
        initialize=_by(
            label_keys(data.shortfall, "material", "month"),
            data.shortfall["shortfall_penalty_usd_per_t"],
        ),
    )
    model.floor = pyo.Param(
        model.FLOOR_CELLS,
        initialize=_by(label_keys(data.floors, "material", "month"), data.floors["floor_t"]),
    )
    below = data.below
    model.floor_penalty = pyo.Param(
        model.BELOW, initialize=_by(label_keys(below, "material", "month"), below["penalty"])
    )
    credits = data.credits
    model.closing_value = pyo.Param(
        model.CREDITED, initialize=_by(credits["material"], credits["value_usd_per_t"])
    )
    model.credit_limit = pyo.Param(
        model.CREDITED, initialize=_by(credits["material"], credits["limit_t"])
    )
    model.max_share = pyo.Param(
        model.CAPS,
        initialize=_by(
            label_keys(data.caps, "material", "country", "window"), data.caps["max_share"]
        ),
    )


def declare_chain_parameters(model: pyo.ConcreteModel, data: ModelData) -> None:
    """Recipes, capacities and costs of the units; options' capital and links; contract terms;
    sale prices, market limits and disposal costs; the budget."""
    chain = data.chain
    units, options, contracts = chain.units, chain.options, chain.contracts
    recipe = _recipe(data)
    model.coefficient = pyo.Param(  # + t out, - t in, per t of throughput
        model.RECIPE, initialize=_by(label_keys(recipe, "unit", "material"), recipe["coefficient"])
    )
    runs = chain.runs
    model.capacity = pyo.Param(  # of a month: the unit's capacity, ramp-up included
        model.RUNS, initialize=_by(label_keys(runs, "unit", "month"), runs["capacity_t"])
    )
    model.operating_cost = pyo.Param(
        model.UNITS, initialize=_by(units["unit"], units["operating_cost_usd_per_t"])
    )
    option_of_unit = units["unit"].to_numpy(dtype=object)[options["u"].to_numpy(dtype=int)]
    model.option_of = pyo.Param(
        model.OPTION_UNITS,
        within=pyo.Any,
        initialize=dict(zip(option_of_unit, options["option"], strict=True)),
    )
    model.capital_charge = pyo.Param(  # charged within the horizon
        model.OPTIONS, initialize=_by(options["option"], options["capital_in_horizon_usd"])
    )
    requiring = data.rows[fam.OPTION_REQUIRES]
    model.REQUIRING = pyo.Set(initialize=requiring["option"].tolist(), ordered=True)
    model.required = pyo.Param(  # the option each requiring option needs
        model.REQUIRING,
        within=pyo.Any,
        initialize=dict(zip(requiring["option"], requiring["required"], strict=True)),
    )
    names = contracts["contract"]
    model.contract_price = pyo.Param(
        model.CONTRACTS, initialize=_by(names, contracts["price_usd_per_t"])
    )
    model.min_volume = pyo.Param(
        model.CONTRACTS, initialize=_by(names, contracts["min_t_per_month"])
    )
    model.max_volume = pyo.Param(
        model.CONTRACTS, initialize=_by(names, contracts["max_t_per_month"])
    )
    model.fixed_cost = pyo.Param(
        model.CONTRACTS, initialize=_by(names, contracts["fixed_cost_usd"])
    )
    # The year a contract's fixed cost is spent in: its start month's.
    signing_month = np.asarray(data.months, dtype=object)[contracts["fixed_t"].to_numpy(dtype=int)]
    model.signing_year = pyo.Param(
        model.CONTRACTS,
        within=pyo.Any,
        initialize=dict(zip(names, (t[:4] for t in signing_month), strict=True)),
    )
    sales, disposals = chain.sales, chain.disposals
    model.sale_price = pyo.Param(
        model.SALES,
        initialize=_by(label_keys(sales, "material", "month"), sales["sale_price_usd_per_t"]),
    )
    model.sale_limit = pyo.Param(
        model.SALES,
        initialize=_by(label_keys(sales, "material", "month"), sales["sale_limit_t_per_month"]),
    )
    model.disposal_cost = pyo.Param(
        model.DISPOSALS,
        initialize=_by(
            label_keys(disposals, "material", "month"), disposals["disposal_cost_usd_per_t"]
        ),
    )
    model.budget = pyo.Param(
        model.YEARS, initialize=_by(chain.budget["year"].astype(str), chain.budget["limit_usd"])
    )
    # Capital charged to an option in each budget year.
    year_of_month = np.array([t[:4] for t in data.months])
    model.capital_in_year = pyo.Param(
        model.OPTIONS,
        model.YEARS,
        initialize={
            (o, y): float(chain.capital_by_month[i, year_of_month == y].sum())
            for i, o in enumerate(model.OPTIONS)
            for y in model.YEARS
        },
    )


def declare_variables(model: pyo.ConcreteModel) -> None:
    """0 <= arrive <= offer capacity, contracted >= 0 (bounded by contract-volume),
    0 <= stock <= storage capacity, 0 <= shortfall <= demand, 0 <= below <= floor,
    0 <= credit <= the last floor, total >= 0; 0 <= run <= capacity for an
    existing process (an option's run is bounded by expansion-capacity instead),
    0 <= sell <= market limit, dispose >= 0, paid >= 0; build and sign yes/no.
    Pyomo reads an infinite capacity as no upper bound."""
    model.arrive = pyo.Var(
        model.OFFERS, bounds=lambda mdl, m, s, t: (0, mdl.offer_capacity[m, s, t])
    )
    model.contracted = pyo.Var(model.CONTRACTED, within=pyo.NonNegativeReals)
    model.stock = pyo.Var(
        model.MATERIALS, model.MONTHS, bounds=lambda mdl, m, t: (0, mdl.storage_capacity[m, t])
    )
    model.shortfall = pyo.Var(model.SHORT_CELLS, bounds=lambda mdl, m, t: (0, mdl.demand[m, t]))
    model.below = pyo.Var(model.BELOW, bounds=lambda mdl, m, t: (0, mdl.floor[m, t]))
    model.credit = pyo.Var(model.CREDITED, bounds=lambda mdl, m: (0, mdl.credit_limit[m]))
    model.total = pyo.Var(model.CAPPED_WINDOWS, within=pyo.NonNegativeReals)
    model.run = pyo.Var(
        model.RUNS,
        bounds=lambda mdl, u, t: (0, None if u in mdl.OPTION_UNITS else mdl.capacity[u, t]),
    )
    model.sell = pyo.Var(model.SALES, bounds=lambda mdl, m, t: (0, mdl.sale_limit[m, t]))
    model.dispose = pyo.Var(model.DISPOSALS, within=pyo.NonNegativeReals)
    model.paid = pyo.Var(model.PAID_MONTHS, within=pyo.NonNegativeReals)
    model.build = pyo.Var(model.OPTIONS, within=pyo.Binary)
    model.sign = pyo.Var(model.CONTRACTS, within=pyo.Binary)


def declare_constraints(model: pyo.ConcreteModel, data: ModelData) -> None:
    """One component per row family of the registry, indexed by the labels of its index table
    (``ModelData.rows``), with the rule registered for it."""
    for family in fam.row_families():
        keys = row_keys(data, family)
        rows = pyo.Set(initialize=keys, dimen=len(family.labels), ordered=True)
        setattr(model, f"{family.component}_rows", rows)
        setattr(model, family.component, pyo.Constraint(rows, rule=RULES[family.name]))


def row_keys(data: ModelData, family: fam.Family) -> list:
    """The Pyomo index of each row of a family: its labels (a single label as itself)."""
    rows = data.rows[family.name]
    keys = label_keys(rows, *family.labels)
    return [key[0] for key in keys] if len(family.labels) == 1 else keys


@implements(fam.STOCK_BALANCE)
def stock_balance_rule(model, m, t):
    """Arrivals are spot (``arrive``) and contracted (``contracted``) tonnes; stock[m,-1] is
    initial_stock[m]; a recipe coefficient is + a unit's yield of m, - its use of m.

    Written with stock[m,t] on the left, Pyomo hands the solver the row
    stock[m,t] - stock[m,t-1] - arrivals - ... = -demand[m,t] (+ initial_stock[m] in the first
    month), the fast engine's row, so its dual is d(objective)/d(-demand): minus the marginal
    cost of a tonne of demand.
    """
    months = model.MONTHS
    before = model.initial_stock[m] if t == months.first() else model.stock[m, months.prev(t)]
    bought = sum(model.arrive[m, s, o] for s, o in model.SUPPLIERS_OF[m, t])
    contracted = sum(model.contracted[k, m, o] for k, o in model.CONTRACTS_OF[m, t])
    processed = sum(model.coefficient[u, m] * model.run[u, t] for u in model.UNITS_ON[m, t])
    sold = model.sell[m, t] if (m, t) in model.SALES else 0
    disposed = model.dispose[m, t] if (m, t) in model.DISPOSALS else 0
    unmet = model.shortfall[m, t] if (m, t) in model.SHORT_CELLS else 0
    return model.stock[m, t] == (
        before + bought + contracted + processed - sold - disposed + unmet - model.demand[m, t]
    )


@implements(fam.STOCKPILE_FLOOR)
def stockpile_floor_rule(model, m, t):
    """floor[m,t] is the larger of cover months x demand and the fixed floor."""
    under = model.below[m, t] if (m, t) in model.BELOW else 0
    return model.stock[m, t] + under >= model.floor[m, t]


@implements(fam.CLOSING_STOCK)
def closing_stock_rule(model, m):
    """The last month's stock."""
    return model.credit[m] <= model.stock[m, model.MONTHS.last()]


def _supply_in(model, m, w):
    """What counts as supply of m in window w: every arrival, and every unit's output."""
    bought = sum(model.arrive[m, s, o] for s, o in model.BOUGHT_IN[m, w])
    contracted = sum(model.contracted[k, m, o] for k, o in model.CONTRACTED_IN[m, w])
    made = sum(model.coefficient[u, m] * model.run[u, t] for u, t in model.MADE_IN[m, w])
    return bought + contracted + made


@implements(fam.WINDOW_TOTAL)
def window_total_rule(model, m, w):
    """Supply counts spot and contracted arrivals and every unit's output."""
    return model.total[m, w] == _supply_in(model, m, w)


@implements(fam.COUNTRY_SHARE_CAP)
def country_share_cap_rule(model, m, c, w):
    """A contract's tonnes count for its supplier's country, a unit's output for its own."""
    bought = sum(model.arrive[m, s, o] for s, o in model.BOUGHT_FROM[m, c, w])
    contracted = sum(model.contracted[k, m, o] for k, o in model.CONTRACTED_FROM[m, c, w])
    if pyo.value(model.tracks_content):  # share_basis origin: output counts by its content's origin
        made = content.made_from_origin(model, m, c, w)
    else:
        made = sum(model.coefficient[u, m] * model.run[u, t] for u, t in model.MADE_FROM[m, c, w])
    return bought + contracted + made <= model.max_share[m, c, w] * model.total[m, w]


implements(fam.CONTENT_BALANCE)(content.content_balance_rule)
implements(fam.CONTENT_FEED)(content.content_feed_rule)
implements(fam.CONTENT_USE)(content.content_use_rule)


@implements(fam.EXPANSION_CAPACITY)
def expansion_capacity_rule(model, u, t):
    """Nothing runs unless built."""
    return model.run[u, t] <= model.capacity[u, t] * model.build[model.option_of[u]]


@implements(fam.EXCLUSIVE_OPTIONS)
def exclusive_options_rule(model, g):
    """The members of a group are those of the registry's index table."""
    return sum(model.build[o] for o in model.MEMBERS[g]) <= 1


@implements(fam.OPTION_REQUIRES)
def option_requires_rule(model, o):
    """``required[o]`` is the option o requires."""
    return model.build[o] <= model.build[model.required[o]]


@implements(fam.CONTRACT_VOLUME)
def contract_volume_rule(model, k, t):
    """Nothing lands under a contract unless it is signed."""
    landed = sum(model.contracted[k, m, o] for m, o in model.MATERIALS_LANDING[k, t])
    return landed <= model.max_volume[k] * model.sign[k]


@implements(fam.CONTRACT_PAID)
def contract_paid_rule(model, k, t):
    """Written as paid - sum >= 0 (the fast engine's row) so that the dual is >= 0 as it is there;
    ``paid >= sum`` would reach the solver as sum - paid <= 0, its dual negated."""
    landed = sum(model.contracted[k, m, o] for m, o in model.MATERIALS_LANDING[k, t])
    return model.paid[k, t] - landed >= 0


@implements(fam.TAKE_OR_PAY)
def take_or_pay_rule(model, k, t):
    """Only where the minimum is positive; written as paid - min * sign >= 0, as above."""
    return model.paid[k, t] - model.min_volume[k] * model.sign[k] >= 0


@implements(fam.ANNUAL_BUDGET)
def annual_budget_rule(model, y):
    """Spending of the calendar year y: purchases (a contracted tonne's duty and freight on
    arrival, its price on ``paid``), processing, contracts' fixed costs in the year their
    contract starts, and the capital charged in the year."""
    months = model.MONTHS_OF_YEAR[y]
    bought = sum(
        model.landed_cost[m, s, o] * model.arrive[m, s, o]
        for m in model.MATERIALS
        for t in months
        for s, o in model.SUPPLIERS_OF[m, t]
    )
    contracted = sum(
        model.duty_and_freight[k, m, o] * model.contracted[k, m, o]
        for m in model.MATERIALS
        for t in months
        for k, o in model.CONTRACTS_OF[m, t]
    )
    processing = sum(
        model.operating_cost[u] * model.run[u, t] for u, t in model.RUNS if t in months
    )
    paid = sum(
        model.contract_price[k] * model.paid[k, t] for k, t in model.PAID_MONTHS if t in months
    )
    fixed = sum(
        model.fixed_cost[k] * model.sign[k] for k in model.CONTRACTS if model.signing_year[k] == y
    )
    capital = sum(model.capital_in_year[o, y] * model.build[o] for o in model.OPTIONS)
    spending = bought + contracted + processing + paid + fixed + capital
    if isinstance(spending, (int, float)):  # nothing can be spent in the year
        return pyo.Constraint.Feasible
    return spending <= model.budget[y]


def total_cost_rule(model):
    """landed cost x arrive + duty and freight x contracted + holding cost x stock
    + penalty x shortfall + operating cost x run - sale price x sell + disposal cost x dispose
    + contract price x paid + capital charge x build + fixed cost x sign + floor penalty x below
    - closing value x credit."""
    purchase = pyo.quicksum(model.landed_cost[i] * model.arrive[i] for i in model.OFFERS)
    contracted = pyo.quicksum(
        model.duty_and_freight[i] * model.contracted[i] for i in model.CONTRACTED
    )
    holding = pyo.quicksum(
        model.holding_cost[m, t] * model.stock[m, t] for m in model.MATERIALS for t in model.MONTHS
    )
    unmet = pyo.quicksum(model.shortfall_penalty[i] * model.shortfall[i] for i in model.SHORT_CELLS)
    processing = pyo.quicksum(model.operating_cost[u] * model.run[u, t] for u, t in model.RUNS)
    sales = pyo.quicksum(model.sale_price[i] * model.sell[i] for i in model.SALES)
    disposal = pyo.quicksum(model.disposal_cost[i] * model.dispose[i] for i in model.DISPOSALS)
    paid = pyo.quicksum(model.contract_price[k] * model.paid[k, t] for k, t in model.PAID_MONTHS)
    capital = pyo.quicksum(model.capital_charge[o] * model.build[o] for o in model.OPTIONS)
    fixed = pyo.quicksum(model.fixed_cost[k] * model.sign[k] for k in model.CONTRACTS)
    under = pyo.quicksum(model.floor_penalty[i] * model.below[i] for i in model.BELOW)
    credit = pyo.quicksum(model.closing_value[m] * model.credit[m] for m in model.CREDITED)
    return (
        purchase + contracted + holding + unmet + processing - sales + disposal + paid
        + capital + fixed + under - credit
    )  # fmt: skip


def model_size(model: pyo.ConcreteModel) -> ModelSize:
    """Variables, constraint rows and nonzero coefficients of the rows."""
    variables = sum(1 for _ in model.component_data_objects(pyo.Var, active=True))
    rows = list(model.component_data_objects(pyo.Constraint, active=True))
    nonzeros = sum(_row_nonzeros(row) for row in rows)
    return ModelSize(variables, len(rows), nonzeros)


def _row_nonzeros(row) -> int:
    repn = generate_standard_repn(row.body, compute_values=True, quadratic=False)
    return len(repn.linear_vars)


def _spot(data: ModelData) -> pd.DataFrame:
    """The arrive rows of spot purchases."""
    return data.arrive[data.arrive["contract_k"].to_numpy() < 0]


def _contracted(data: ModelData) -> pd.DataFrame:
    """The arrive rows of contracted tonnes, with their contract's name."""
    rows = data.arrive[data.arrive["contract_k"].to_numpy() >= 0]
    names = data.chain.contracts["contract"].to_numpy(dtype=object)
    return rows.assign(contract=names[rows["contract_k"].to_numpy(dtype=int)])


def _recipe(data: ModelData) -> pd.DataFrame:
    """The recipe lines with their unit's name."""
    chain = data.chain
    units = chain.units["unit"].to_numpy(dtype=object)
    return chain.recipe.assign(unit=units[chain.recipe["u"].to_numpy(dtype=int)])


def _option_units(data: ModelData) -> list[str]:
    units = data.chain.units
    return units["unit"][units["o"].to_numpy(dtype=int) >= 0].tolist()


def _window_of_month(data: ModelData) -> dict[str, str]:
    return dict(zip(data.months, (data.windows[w] for w in data.window_of_month), strict=True))


def _lists(index) -> dict[tuple, list]:
    """An empty member list for each key of ``index``."""
    return {key: [] for key in index}


def _append(lists: dict[tuple, list], key: tuple, member: tuple) -> None:
    """Add ``member`` to the list of ``key``, if ``key`` has one (a capped window or a cap)."""
    if key in lists:
        lists[key].append(member)


def label_keys(frame: pd.DataFrame, *columns: str) -> list[tuple]:
    """The rows of ``frame`` as index tuples of the given label columns, in row order."""
    return list(zip(*(frame[column].tolist() for column in columns), strict=True))


def _by(keys, values) -> dict[Any, float]:
    """``{key: value}`` for keys aligned with the values of a ModelData column."""
    return dict(zip(keys, np.asarray(values, dtype=float).tolist(), strict=True))
