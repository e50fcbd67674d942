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

import io
import logging
import math
import time
from contextlib import suppress
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import pyomo.environ as pyo
from pyomo.common.collections import ComponentMap
from pyomo.common.log import LoggingIntercept
from pyomo.contrib.solver.common.factory import SolverFactory as SolverFactoryV2
from pyomo.contrib.solver.common.results import SolutionStatus as SolutionStatusV2
from pyomo.contrib.solver.common.results import TerminationCondition as TerminationV2
from pyomo.contrib.solver.common.util import NoDualsError, NoReducedCostsError
from pyomo.opt import SolutionStatus as LegacySolutionStatus
from pyomo.opt import TerminationCondition as LegacyTermination
from pyomo.repn.standard_repn import generate_standard_repn
from pyomo.version import version as pyomo_version

from models import families as fam
from models.data import ModelData
from models.solution import ModelSize, Solution, SolveOptions, Status, relative_gap

# The constraint components of ``build`` and the families they implement.
FAMILY_OF_CONSTRAINT = {
    "stock_balance": fam.STOCK_BALANCE,
    "stockpile_floor": fam.STOCKPILE_FLOOR,
    "window_total": fam.WINDOW_TOTAL,
    "country_share_cap": fam.COUNTRY_SHARE_CAP,
    "expansion_capacity": fam.EXPANSION_CAPACITY,
    "exclusive_options": fam.EXCLUSIVE_OPTIONS,
    "option_requires": fam.OPTION_REQUIRES,
    "contract_volume": fam.CONTRACT_VOLUME,
    "contract_paid": fam.CONTRACT_PAID,
    "take_or_pay": fam.TAKE_OR_PAY,
    "annual_budget": fam.ANNUAL_BUDGET,
}
# The variables whose upper bounds are the bound families.
FAMILY_OF_UPPER_BOUND = {
    "arrive": fam.OFFER_CAPACITY,
    "stock": fam.STORAGE_CAPACITY,
    "run": fam.PROCESS_CAPACITY,
    "sell": fam.SALES_LIMIT,
}


# --------------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------------


def build(data: ModelData) -> pyo.ConcreteModel:
    """The model as Pyomo components: sets, parameters, variables, constraints, objective."""
    model = pyo.ConcreteModel(name=data.name)
    declare_sets(model, data)
    declare_chain_sets(model, data)
    declare_parameters(model, data)
    declare_chain_parameters(model, data)
    declare_variables(model)
    declare_constraints(model)
    model.cost = pyo.Objective(rule=total_cost_rule, sense=pyo.minimize)
    return model


def declare_sets(model: pyo.ConcreteModel, data: ModelData) -> None:
    """Materials, months and windows, and the sparse index sets of purchases, stock and caps."""
    model.MATERIALS = pyo.Set(initialize=data.materials, ordered=True)
    model.MONTHS = pyo.Set(initialize=data.months, ordered=True)
    model.WINDOWS = pyo.Set(initialize=data.windows, ordered=True)
    spot, contracted = _spot(data), _contracted(data)
    # (m, s, t): supplier s can sell material m landing in month t (one per spot purchase).
    model.OFFERS = pyo.Set(dimen=3, initialize=_keys(spot, "material", "supplier", "month"))
    # (k, m, t): contract k can land material m in month t (one per contracted arrival).
    model.CONTRACTED = pyo.Set(
        dimen=3, initialize=_keys(contracted, "contract", "material", "month")
    )
    # (m, t): months in which material m may fall short (materials with a penalty).
    model.SHORT_CELLS = pyo.Set(dimen=2, initialize=_keys(data.shortfall, "material", "month"))
    # (m, t): months with a stockpile floor.
    model.FLOOR_CELLS = pyo.Set(dimen=2, initialize=_keys(data.floors, "material", "month"))
    # (m, w): capped windows of a material, each with a window-total variable.
    model.CAPPED_WINDOWS = pyo.Set(dimen=2, initialize=_keys(data.totals, "material", "window"))
    # (m, c, w): a country's share cap on a material in a window.
    model.CAPS = pyo.Set(dimen=3, initialize=_keys(data.caps, "material", "country", "window"))

    # Which arrivals each row sums: suppliers and contracts landing (m, t); spot and contracted
    # arrivals in a capped window, and those of one country in a window.
    window = _window_of_month(data)
    suppliers_of = _lists(model.MATERIALS * model.MONTHS)
    contracts_of = _lists(model.MATERIALS * model.MONTHS)
    bought_in, contracted_in = _lists(model.CAPPED_WINDOWS), _lists(model.CAPPED_WINDOWS)
    bought_from, contracted_from = _lists(model.CAPS), _lists(model.CAPS)
    for m, s, t, c in spot[["material", "supplier", "month", "country"]].itertuples(index=False):
        suppliers_of[m, t].append(s)
        _append(bought_in, (m, window[t]), (s, t))
        _append(bought_from, (m, c, window[t]), (s, t))
    columns = ["contract", "material", "month", "country"]
    for k, m, t, c in contracted[columns].itertuples(index=False):
        contracts_of[m, t].append(k)
        _append(contracted_in, (m, window[t]), (k, t))
        _append(contracted_from, (m, c, window[t]), (k, t))
    model.SUPPLIERS_OF = pyo.Set(model.MATERIALS, model.MONTHS, initialize=suppliers_of)
    model.CONTRACTS_OF = pyo.Set(model.MATERIALS, model.MONTHS, initialize=contracts_of)
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
    model.RECIPE = pyo.Set(dimen=2, initialize=_keys(_recipe(data), "unit", "material"))
    model.RUNS = pyo.Set(dimen=2, initialize=_keys(chain.runs, "unit", "month"))
    model.OPTION_RUNS = pyo.Set(
        within=model.RUNS, initialize=[(u, t) for u, t in model.RUNS if u in model.OPTION_UNITS]
    )
    model.OPTIONS = pyo.Set(initialize=chain.options["option"].tolist(), ordered=True)
    members = _exclusive_groups(data)
    model.GROUPS = pyo.Set(initialize=list(members), ordered=True)
    model.MEMBERS = pyo.Set(model.GROUPS, initialize=members)
    requires = chain.options["requires"].to_numpy(dtype=int)
    model.REQUIRING = pyo.Set(
        within=model.OPTIONS, initialize=chain.options["option"][requires >= 0].tolist()
    )
    model.CONTRACTS = pyo.Set(initialize=chain.contracts["contract"].tolist(), ordered=True)
    # (k, t): months contract k runs in, each with a paid variable.
    model.PAID_MONTHS = pyo.Set(dimen=2, initialize=_keys(chain.paid, "contract", "month"))
    minimum = chain.contracts["min_t_per_month"].to_numpy(dtype=float)
    model.TAKE_OR_PAY_MONTHS = pyo.Set(
        within=model.PAID_MONTHS,
        initialize=_keys(chain.paid[minimum[chain.paid["k"]] > 0], "contract", "month"),
    )
    # (m, t): a material that can be sold, or disposed of, in month t.
    model.SALES = pyo.Set(dimen=2, initialize=_keys(chain.sales, "material", "month"))
    model.DISPOSALS = pyo.Set(dimen=2, initialize=_keys(chain.disposals, "material", "month"))
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
    landing = _lists(model.PAID_MONTHS)
    for k, m, t in model.CONTRACTED:
        landing[k, t].append(m)
    model.MATERIALS_LANDING = pyo.Set(model.PAID_MONTHS, initialize=landing)


def declare_parameters(model: pyo.ConcreteModel, data: ModelData) -> None:
    """Costs, demand, floors, shares and capacities (``inf``: unlimited)."""
    spot, contracted, stock = _spot(data), _contracted(data), data.stock
    offers = _keys(spot, "material", "supplier", "month")
    cells = _keys(stock, "material", "month")
    model.landed_cost = pyo.Param(model.OFFERS, initialize=_by(offers, spot["landed_usd_per_t"]))
    model.offer_capacity = pyo.Param(
        model.OFFERS, initialize=_by(offers, spot["capacity_t_per_month"])
    )
    # A contracted tonne pays duty and freight on arrival; its price is paid on ``paid``.
    model.duty_and_freight = pyo.Param(
        model.CONTRACTED,
        initialize=_by(
            _keys(contracted, "contract", "material", "month"),
            contracted["landed_usd_per_t"] - contracted["price_usd_per_t"],
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
            _keys(data.shortfall, "material", "month"),
            data.shortfall["shortfall_penalty_usd_per_t"],
        ),
    )
    model.floor = pyo.Param(
        model.FLOOR_CELLS,
        initialize=_by(_keys(data.floors, "material", "month"), data.floors["floor_t"]),
    )
    model.max_share = pyo.Param(
        model.CAPS,
        initialize=_by(_keys(data.caps, "material", "country", "window"), data.caps["max_share"]),
    )


def declare_chain_parameters(model: pyo.ConcreteModel, data: ModelData) -> None:
    """Recipes, capacities and costs of the units; options' capital and links; contract terms;
    sale prices, market limits and disposal costs; the budget."""
    chain = data.chain
    units, options, contracts = chain.units, chain.options, chain.contracts
    recipe = _recipe(data)
    model.coefficient = pyo.Param(  # + t out, - t in, per t of throughput
        model.RECIPE, initialize=_by(_keys(recipe, "unit", "material"), recipe["coefficient"])
    )
    model.capacity = pyo.Param(
        model.UNITS, initialize=_by(units["unit"], units["capacity_t_per_month"])
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
    requires = options["requires"].to_numpy(dtype=int)
    model.required = pyo.Param(
        model.REQUIRING,
        within=pyo.Any,
        initialize=dict(
            zip(
                options["option"][requires >= 0],
                options["option"].to_numpy(dtype=object)[requires[requires >= 0]],
                strict=True,
            )
        ),
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
        initialize=_by(_keys(sales, "material", "month"), sales["sale_price_usd_per_t"]),
    )
    model.sale_limit = pyo.Param(
        model.SALES,
        initialize=_by(_keys(sales, "material", "month"), sales["sale_limit_t_per_month"]),
    )
    model.disposal_cost = pyo.Param(
        model.DISPOSALS,
        initialize=_by(_keys(disposals, "material", "month"), disposals["disposal_cost_usd_per_t"]),
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
    0 <= stock <= storage capacity, shortfall >= 0, total >= 0; 0 <= run <= capacity for an
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
    model.shortfall = pyo.Var(model.SHORT_CELLS, within=pyo.NonNegativeReals)
    model.total = pyo.Var(model.CAPPED_WINDOWS, within=pyo.NonNegativeReals)
    model.run = pyo.Var(
        model.RUNS,
        bounds=lambda mdl, u, t: (0, None if u in mdl.OPTION_UNITS else mdl.capacity[u]),
    )
    model.sell = pyo.Var(model.SALES, bounds=lambda mdl, m, t: (0, mdl.sale_limit[m, t]))
    model.dispose = pyo.Var(model.DISPOSALS, within=pyo.NonNegativeReals)
    model.paid = pyo.Var(model.PAID_MONTHS, within=pyo.NonNegativeReals)
    model.build = pyo.Var(model.OPTIONS, within=pyo.Binary)
    model.sign = pyo.Var(model.CONTRACTS, within=pyo.Binary)


def declare_constraints(model: pyo.ConcreteModel) -> None:
    """One component per constraint family (see ``FAMILY_OF_CONSTRAINT``)."""
    model.stock_balance = pyo.Constraint(model.MATERIALS, model.MONTHS, rule=stock_balance_rule)
    model.stockpile_floor = pyo.Constraint(model.FLOOR_CELLS, rule=stockpile_floor_rule)
    model.window_total = pyo.Constraint(model.CAPPED_WINDOWS, rule=window_total_rule)
    model.country_share_cap = pyo.Constraint(model.CAPS, rule=country_share_cap_rule)
    model.expansion_capacity = pyo.Constraint(model.OPTION_RUNS, rule=expansion_capacity_rule)
    model.exclusive_options = pyo.Constraint(model.GROUPS, rule=exclusive_options_rule)
    model.option_requires = pyo.Constraint(model.REQUIRING, rule=option_requires_rule)
    model.contract_volume = pyo.Constraint(model.PAID_MONTHS, rule=contract_volume_rule)
    model.contract_paid = pyo.Constraint(model.PAID_MONTHS, rule=contract_paid_rule)
    model.take_or_pay = pyo.Constraint(model.TAKE_OR_PAY_MONTHS, rule=take_or_pay_rule)
    model.annual_budget = pyo.Constraint(model.YEARS, rule=annual_budget_rule)


def stock_balance_rule(model, m, t):
    """stock[m,t] = stock[m,t-1] + sum_s arrive[m,s,t] + sum_k contracted[k,m,t]
    + sum_u coefficient[u,m] run[u,t] - sell[m,t] - dispose[m,t] + shortfall[m,t] - demand[m,t],
    with stock[m,-1] = initial_stock[m]; a recipe coefficient is + a unit's yield of m, - its
    use of m, per tonne of throughput.

    Written with stock[m,t] on the left, Pyomo hands the solver the row
    stock[m,t] - stock[m,t-1] - arrivals - ... = -demand[m,t] (+ initial_stock[m] in the first
    month), the fast engine's row, so its dual is d(objective)/d(-demand): minus the marginal
    cost of a tonne of demand.
    """
    months = model.MONTHS
    before = model.initial_stock[m] if t == months.first() else model.stock[m, months.prev(t)]
    bought = sum(model.arrive[m, s, t] for s in model.SUPPLIERS_OF[m, t])
    contracted = sum(model.contracted[k, m, t] for k in model.CONTRACTS_OF[m, t])
    processed = sum(model.coefficient[u, m] * model.run[u, t] for u in model.UNITS_ON[m, t])
    sold = model.sell[m, t] if (m, t) in model.SALES else 0
    disposed = model.dispose[m, t] if (m, t) in model.DISPOSALS else 0
    unmet = model.shortfall[m, t] if (m, t) in model.SHORT_CELLS else 0
    return model.stock[m, t] == (
        before + bought + contracted + processed - sold - disposed + unmet - model.demand[m, t]
    )


def stockpile_floor_rule(model, m, t):
    """stock[m,t] >= floor[m,t] (cover months x demand). A binding floor has a dual >= 0."""
    return model.stock[m, t] >= model.floor[m, t]


def _supply_in(model, m, w):
    """What counts as supply of m in window w: every arrival, and every unit's output."""
    bought = sum(model.arrive[m, s, t] for s, t in model.BOUGHT_IN[m, w])
    contracted = sum(model.contracted[k, m, t] for k, t in model.CONTRACTED_IN[m, w])
    made = sum(model.coefficient[u, m] * model.run[u, t] for u, t in model.MADE_IN[m, w])
    return bought + contracted + made


def window_total_rule(model, m, w):
    """total[m,w] = sum_{s, t in w} arrive[m,s,t] + sum_{k, t in w} contracted[k,m,t]
    + sum_{u, t in w} yield[u,m] run[u,t]."""
    return model.total[m, w] == _supply_in(model, m, w)


def country_share_cap_rule(model, m, c, w):
    """sum_{s in c, t in w} arrive[m,s,t] + sum_{k with s in c, t in w} contracted[k,m,t]
    + sum_{u in c, t in w} yield[u,m] run[u,t] <= max_share[m,c,w] * total[m,w].

    The row is supply - max_share * total <= 0: a binding cap has a dual <= 0."""
    bought = sum(model.arrive[m, s, t] for s, t in model.BOUGHT_FROM[m, c, w])
    contracted = sum(model.contracted[k, m, t] for k, t in model.CONTRACTED_FROM[m, c, w])
    made = sum(model.coefficient[u, m] * model.run[u, t] for u, t in model.MADE_FROM[m, c, w])
    return bought + contracted + made <= model.max_share[m, c, w] * model.total[m, w]


def expansion_capacity_rule(model, u, t):
    """run[u,t] <= capacity[u] * build[o] for the unit u of option o: nothing runs unless built.

    The row is run - capacity * build <= 0: a binding one has a dual <= 0."""
    return model.run[u, t] <= model.capacity[u] * model.build[model.option_of[u]]


def exclusive_options_rule(model, g):
    """sum_{o in g} build[o] <= 1 for each exclusive group g of two or more options."""
    return sum(model.build[o] for o in model.MEMBERS[g]) <= 1


def option_requires_rule(model, o):
    """build[o] <= build[r] for an option o that requires option r.

    The row is build[o] - build[r] <= 0: a binding one has a dual <= 0."""
    return model.build[o] <= model.build[model.required[o]]


def contract_volume_rule(model, k, t):
    """sum_m contracted[k,m,t] <= max_t_per_month[k] * sign[k]: nothing lands unless signed.

    The row is sum - max * sign <= 0: a binding one has a dual <= 0."""
    landed = sum(model.contracted[k, m, t] for m in model.MATERIALS_LANDING[k, t])
    return landed <= model.max_volume[k] * model.sign[k]


def contract_paid_rule(model, k, t):
    """paid[k,t] >= sum_m contracted[k,m,t]: every contracted tonne taken is paid for.

    Written as paid - sum >= 0 (the fast engine's row) so that the dual is >= 0 as it is there;
    ``paid >= sum`` would reach the solver as sum - paid <= 0, its dual negated."""
    landed = sum(model.contracted[k, m, t] for m in model.MATERIALS_LANDING[k, t])
    return model.paid[k, t] - landed >= 0


def take_or_pay_rule(model, k, t):
    """paid[k,t] >= min_t_per_month[k] * sign[k]: a signed contract's minimum is paid, taken or
    not (only where the minimum is positive). Written as paid - min * sign >= 0, as above."""
    return model.paid[k, t] - model.min_volume[k] * model.sign[k] >= 0


def annual_budget_rule(model, y):
    """sum_{t in y} (landed x arrive + duty and freight x contracted + operating cost x run
    + contract price x paid) + sum_{k signed in y} fixed_cost[k] sign[k]
    + sum_o capital_in_year[o,y] build[o] <= budget[y].

    Spending of the calendar year y: purchases (a contracted tonne's duty and freight on
    arrival, its price on ``paid``), processing, contracts' fixed costs in the year their
    contract starts, and the capital charged in the year."""
    months = model.MONTHS_OF_YEAR[y]
    bought = sum(
        model.landed_cost[m, s, t] * model.arrive[m, s, t]
        for m in model.MATERIALS
        for t in months
        for s in model.SUPPLIERS_OF[m, t]
    )
    contracted = sum(
        model.duty_and_freight[k, m, t] * model.contracted[k, m, t]
        for m in model.MATERIALS
        for t in months
        for k in model.CONTRACTS_OF[m, t]
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
    + contract price x paid + capital charge x build + fixed cost x sign."""
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
    return (
        purchase + contracted + holding + unmet + processing - sales + disposal + paid
        + capital + fixed
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


def _exclusive_groups(data: ModelData) -> dict[str, list[str]]:
    """Exclusive groups of two or more options, in order of first appearance, and members."""
    options = data.chain.options
    members: dict[str, list[str]] = {}
    for option, group in zip(options["option"], options["exclusive_group"], strict=True):
        if pd.notna(group):
            members.setdefault(group, []).append(option)
    return {group: names for group, names in members.items() if len(names) >= 2}


def _window_of_month(data: ModelData) -> dict[str, str]:
    return dict(zip(data.months, (data.windows[w] for w in data.window_of_month), strict=True))


def _lists(index) -> dict[tuple, list]:
    """An empty member list for each key of ``index``."""
    return {key: [] for key in index}


def _append(lists: dict[tuple, list], key: tuple, member: tuple) -> None:
    """Add ``member`` to the list of ``key``, if ``key`` has one (a capped window or a cap)."""
    if key in lists:
        lists[key].append(member)


def _keys(frame: pd.DataFrame, *columns: str) -> list[tuple]:
    """The rows of ``frame`` as index tuples of the given label columns, in row order."""
    return list(zip(*(frame[column].tolist() for column in columns), strict=True))


def _by(keys, values) -> dict[Any, float]:
    """``{key: value}`` for keys aligned with the values of a ModelData column."""
    return dict(zip(keys, np.asarray(values, dtype=float).tolist(), strict=True))


# --------------------------------------------------------------------------------------------
# Solving
# --------------------------------------------------------------------------------------------

_V2_STATUS = {
    TerminationV2.convergenceCriteriaSatisfied: Status.OPTIMAL,
    TerminationV2.provenInfeasible: Status.INFEASIBLE,
    TerminationV2.locallyInfeasible: Status.INFEASIBLE,
    # HiGHS is first run again without presolve, which tells which (as in the fast engine);
    # for other solvers, or if it still cannot tell, read as infeasible.
    TerminationV2.infeasibleOrUnbounded: Status.INFEASIBLE,
    TerminationV2.unbounded: Status.UNBOUNDED,
    TerminationV2.maxTimeLimit: Status.LIMIT,
    TerminationV2.iterationLimit: Status.LIMIT,
    TerminationV2.objectiveLimit: Status.LIMIT,
    TerminationV2.minStepLength: Status.LIMIT,
    TerminationV2.interrupted: Status.LIMIT,
}
_LEGACY_STATUS = {
    LegacyTermination.optimal: Status.OPTIMAL,
    LegacyTermination.globallyOptimal: Status.OPTIMAL,
    LegacyTermination.locallyOptimal: Status.OPTIMAL,
    LegacyTermination.infeasible: Status.INFEASIBLE,
    LegacyTermination.infeasibleOrUnbounded: Status.INFEASIBLE,  # as above
    LegacyTermination.unbounded: Status.UNBOUNDED,
    LegacyTermination.maxTimeLimit: Status.LIMIT,
    LegacyTermination.maxIterations: Status.LIMIT,
    LegacyTermination.maxEvaluations: Status.LIMIT,
    LegacyTermination.minFunctionValue: Status.LIMIT,
    LegacyTermination.minStepLength: Status.LIMIT,
    LegacyTermination.userInterrupt: Status.LIMIT,
    LegacyTermination.resourceInterrupt: Status.LIMIT,
    LegacyTermination.feasible: Status.LIMIT,  # stopped with a feasible, unproven point
}
_LEGACY_FEASIBLE = {
    LegacySolutionStatus.optimal,
    LegacySolutionStatus.globallyOptimal,
    LegacySolutionStatus.locallyOptimal,
    LegacySolutionStatus.feasible,
    LegacySolutionStatus.bestSoFar,
}
# Thread-count and relative MIP gap option names of legacy solver plugins that have one.
_THREADS_OPTION = {
    "appsi_highs": "threads",
    "cbc": "threads",
    "cplex": "threads",
    "cplex_direct": "threads",
    "gurobi": "Threads",
    "gurobi_direct": "Threads",
    "gurobi_persistent": "Threads",
    "xpress": "threads",
}
_GAP_OPTION = {
    "appsi_highs": "mip_rel_gap",
    "cbc": "ratioGap",
    "glpk": "mipgap",
    "cplex": "mip_tolerances_mipgap",
    "gurobi": "MIPGap",
    "gurobi_direct": "MIPGap",
    "gurobi_persistent": "MIPGap",
}
_HIGHS_NAMES = {"highs", "appsi_highs"}


class _Run(NamedTuple):
    """How one solver run ended: our status, the solver's words, whether a plan was loaded into
    the model, the solver's version, and its best plan's objective and bound (when it says)."""

    status: Status
    words: str
    loaded: bool
    version: str
    incumbent: float | None = None
    bound: float | None = None


def solve(data: ModelData, options: SolveOptions | None = None, solver: str = "highs") -> Solution:
    """Build the model, solve it with a Pyomo solver and return a solution aligned with ``data``.

    Names registered with Pyomo's newer solver interface (``highs``, ``gurobi_direct``, ...)
    are driven through that interface (``pyomo.contrib.solver``): the legacy wrapper that
    ``pyo.SolverFactory`` returns for them drops the reduced costs when solutions are not loaded
    on the spot (Pyomo 6.10, ``LegacySolverWrapper._solution_handler``). Every other name
    (``appsi_highs``, ``glpk``, ``cbc``, ``gurobi``, ...) goes through ``pyo.SolverFactory``;
    when such a solver reports duals but no reduced costs they are derived from the duals.

    A model with yes/no decisions (``build``, ``sign``) is solved as a MIP, with the time limit
    and relative gap of ``options``; the gap and best bound are reported when the solver gives
    them. With a plan, the decisions are then fixed at their values and the LP that remains is
    solved again for the duals (``duals_from_fixed_lp``); the plan and objective are then that
    LP's too, as in the fast engine: the best plan for the chosen decisions, which the duals
    describe. The gap is measured from that objective.

    Infeasible or failed runs return a status, not an exception; a plan is loaded only when the
    solver has a feasible point, and duals only at an optimum (left out when the solver reports
    none). Raises ``RuntimeError`` if Pyomo cannot run ``solver``.
    """
    options = options or SolveOptions()
    started = time.perf_counter()
    model = build(data)
    model.dual = pyo.Suffix(direction=pyo.Suffix.IMPORT)
    model.rc = pyo.Suffix(direction=pyo.Suffix.IMPORT)
    decisions = yes_no_decisions(model)
    mip = bool(decisions)
    built = time.perf_counter()
    run = _run(model, solver, options, mip)
    if run.words == "infeasibleOrUnbounded" and solver in _HIGHS_NAMES:
        run = _run(model, solver, options, mip, presolve=False)
    solved = time.perf_counter()
    solution = Solution(
        status=run.status,
        termination=run.words,
        size=model_size(model),
        engine="pyomo",
        solver=f"{solver} {run.version} (Pyomo {pyomo_version})".replace("  ", " "),
        build_seconds=built - started,
        solve_seconds=solved - built,
        algorithm=("mip" if mip else options.algorithm) if solver in _HIGHS_NAMES else "",
    )
    if mip:
        solution.best_bound = run.bound
        solution.mip_gap = relative_gap(run.incumbent, run.bound)
    if run.loaded:
        read_values(model, data, solution)
        if not mip:
            read_duals(model, data, solution)
        elif resolve_with_decisions_fixed(model, decisions, solver, options):
            read_values(model, data, solution)  # the fixed LP's plan, which the duals describe
            read_duals(model, data, solution)
            solution.duals_from_fixed_lp = True
            solution.mip_gap = relative_gap(solution.objective, run.bound)
    solution.read_seconds = time.perf_counter() - solved
    return solution


def yes_no_decisions(model: pyo.ConcreteModel) -> list:
    """The binary variables of the model: the options to build and the contracts to sign."""
    return [var for var in model.component_data_objects(pyo.Var) if var.is_binary()]


def resolve_with_decisions_fixed(
    model, decisions: list, solver: str, options: SolveOptions
) -> bool:
    """Fix every yes/no decision at the plan's value (``var.fix``), solve the LP that remains
    (simplex, no time limit, as the fast engine does) and load its values, duals and reduced
    costs; False when it has no optimum. Solvers keep a fixed binary an integer column (HiGHS
    would then solve a MIP, without duals), so the decisions are also made continuous in [0, 1]
    for the solve, as the fast engine does; they are free binaries again afterwards."""
    for var in decisions:
        var.fix(round(var.value or 0.0))
        var.domain = pyo.UnitInterval
    lp_options = SolveOptions(threads=options.threads, algorithm="simplex", verbose=options.verbose)
    try:
        run = _run(model, solver, lp_options, mip=False)
    finally:
        for var in decisions:
            var.domain = pyo.Binary
            var.unfix()
    return run.loaded and run.status == Status.OPTIMAL and len(model.dual) > 0


def _run(model, solver: str, options: SolveOptions, mip: bool, presolve: bool = True) -> _Run:
    if solver in SolverFactoryV2:
        return _run_v2(model, solver, options, mip, presolve)
    return _run_legacy(model, solver, options, mip, presolve)


def _highs_options(
    solver: str, options: SolveOptions, mip: bool, presolve: bool = True
) -> dict[str, Any]:
    """HiGHS's own options for our settings (other solvers get none); a MIP lets HiGHS choose."""
    if solver not in _HIGHS_NAMES:
        return {}
    settings: dict[str, Any] = {"random_seed": 0}
    if not presolve:
        settings["presolve"] = "off"
    if options.algorithm in ("simplex", "ipm") and not mip:
        settings["solver"] = options.algorithm
    if options.algorithm == "ipm" and not mip:
        settings["run_crossover"] = "on"
    return settings


def _run_v2(model, solver: str, options: SolveOptions, mip: bool, presolve: bool) -> _Run:
    """Solve with Pyomo's newer solver interface; load values, and for an LP at its optimum
    duals and reduced costs."""
    opt = SolverFactoryV2(solver)
    if not opt.available():
        raise RuntimeError(f"Pyomo solver {solver!r} is not available")
    extra = {} if options.mip_rel_gap is None or not mip else {"rel_gap": options.mip_rel_gap}
    results = opt.solve(
        model,
        tee=options.verbose,
        load_solutions=False,
        raise_exception_on_nonoptimal_result=False,
        time_limit=options.time_limit_s,
        threads=options.threads,
        solver_options=_highs_options(solver, options, mip, presolve),
        **extra,
    )
    condition = results.termination_condition
    status = _V2_STATUS.get(condition, Status.ERROR)
    feasible = results.solution_status in (SolutionStatusV2.feasible, SolutionStatusV2.optimal)
    loaded = feasible and status in (Status.OPTIMAL, Status.LIMIT)
    model.dual.clear()
    model.rc.clear()
    if loaded:
        results.solution_loader.load_vars()
    if loaded and status == Status.OPTIMAL and not mip:
        with suppress(NoDualsError, NotImplementedError):
            model.dual.update(results.solution_loader.get_duals())
        with suppress(NoReducedCostsError, NotImplementedError):
            model.rc.update(results.solution_loader.get_reduced_costs())
    return _Run(
        status,
        condition.name,
        loaded,
        _version(opt),
        _finite(results.incumbent_objective),
        _finite(results.objective_bound),
    )


def _run_legacy(model, solver: str, options: SolveOptions, mip: bool, presolve: bool) -> _Run:
    """Solve with a solver of ``pyo.SolverFactory``; load values, and for an LP whatever
    suffixes come (a MIP is solved without asking for duals)."""
    # Pyomo logs a traceback for names it cannot run: keep it for the error message instead.
    with LoggingIntercept(io.StringIO(), "pyomo", logging.WARNING) as log:
        opt = pyo.SolverFactory(solver)
        available = opt is not None and opt.available(exception_flag=False)
    if not available:
        reason = " ".join(log.getvalue().split("Traceback")[0].split())
        raise RuntimeError(f"Pyomo solver {solver!r} is not available. {reason}".strip())
    for key, value in _highs_options(solver, options, mip, presolve).items():
        opt.options[key] = value
    if options.threads is not None and solver in _THREADS_OPTION:
        opt.options[_THREADS_OPTION[solver]] = int(options.threads)
    if mip and options.mip_rel_gap is not None and solver in _GAP_OPTION:
        opt.options[_GAP_OPTION[solver]] = float(options.mip_rel_gap)
    extra = {} if options.time_limit_s is None else {"timelimit": float(options.time_limit_s)}
    model.dual.clear()
    model.rc.clear()
    # A MIP has no duals to import: asking for them makes some plugins fail.
    direction = pyo.Suffix.LOCAL if mip else pyo.Suffix.IMPORT
    model.dual.direction = model.rc.direction = direction
    try:
        results = opt.solve(model, tee=options.verbose, load_solutions=False, **extra)
    finally:
        model.dual.direction = model.rc.direction = pyo.Suffix.IMPORT
    condition = results.solver.termination_condition
    status = _LEGACY_STATUS.get(condition, Status.ERROR)
    feasible = len(results.solution) > 0 and results.solution(0).status in _LEGACY_FEASIBLE
    loaded = feasible and status in (Status.OPTIMAL, Status.LIMIT)
    if loaded:
        model.solutions.load_from(results)
        loaded = any(var.value is not None for var in model.component_data_objects(pyo.Var))
    if loaded and status == Status.OPTIMAL and len(model.dual) and not len(model.rc):
        model.rc.update(reduced_costs_from_duals(model))
    if mip or not (loaded and status == Status.OPTIMAL):
        model.dual.clear()
        model.rc.clear()
    incumbent = bound = None
    with suppress(AttributeError, IndexError, TypeError, ValueError):
        low, high = results.problem[0].lower_bound, results.problem[0].upper_bound
        incumbent, bound = _finite(high), _finite(low)
    return _Run(status, str(condition.value), loaded, _version(opt), incumbent, bound)


def _finite(value) -> float | None:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _version(opt) -> str:
    try:
        version = opt.version()
    except Exception:  # some plugins need the executable to tell
        return ""
    return ".".join(str(part) for part in version) if version else ""


def reduced_costs_from_duals(model: pyo.ConcreteModel) -> ComponentMap:
    """cost[j] - sum_i a[i,j] * dual[i], for solvers that report duals but no reduced costs
    (and for Pyomo's legacy wrappers, which drop them)."""
    reduced = ComponentMap()
    objective = generate_standard_repn(model.cost.expr, quadratic=False)
    for var, coef in zip(objective.linear_vars, objective.linear_coefs, strict=True):
        reduced[var] = reduced.get(var, 0.0) + coef
    for row, dual in model.dual.items():
        repn = generate_standard_repn(row.body, quadratic=False)
        for var, coef in zip(repn.linear_vars, repn.linear_coefs, strict=True):
            reduced[var] = reduced.get(var, 0.0) - coef * dual
    return reduced


# --------------------------------------------------------------------------------------------
# Reading the solution
# --------------------------------------------------------------------------------------------

# The Solution arrays of variable values, in ModelData order (as ``highs_engine.VALUE_BLOCKS``).
VALUE_BLOCKS = ("arrive", "stock", "shortfall", "run", "sell", "dispose", "paid", "build", "sign")


def read_values(model: pyo.ConcreteModel, data: ModelData, solution: Solution) -> None:
    """The objective and every block of ``VALUE_BLOCKS``; yes/no decisions rounded to 0 or 1.

    A variable in no row and without cost is not passed to the solver and has no value: it rests
    at its lower bound, 0."""
    for var in model.component_data_objects(pyo.Var):
        if var.value is None:
            var.set_value(0.0, skip_validation=True)
    solution.objective = float(pyo.value(model.cost))
    for block, variables in columns(model, data).items():
        setattr(solution, block, _values(variables))
    solution.build = np.round(solution.build) + 0.0
    solution.sign = np.round(solution.sign) + 0.0


def read_duals(model: pyo.ConcreteModel, data: ModelData, solution: Solution) -> None:
    """Row duals of every family and the duals of the capacity bounds, when the solver gave
    them (d objective / d right-hand side, as written in the rules above)."""
    if len(model.dual):
        for family, rows in constraint_rows(model, data).items():
            solution.row_duals[family] = np.array(
                [0.0 if row is None else model.dual.get(row, 0.0) for row in rows], dtype=float
            )
    if len(model.rc):
        variables = columns(model, data)
        for block, family in FAMILY_OF_UPPER_BOUND.items():
            solution.bound_duals[family] = _upper_bound_duals(
                model, variables[block], upper_bounds(data)[block]
            )


def columns(model: pyo.ConcreteModel, data: ModelData) -> dict[str, list]:
    """The variables of each block of ``VALUE_BLOCKS``, one per row of its ModelData frame.

    ``arrive`` holds the spot purchases and the contracted tonnes (``contracted``) in the order
    of ``ModelData.arrive``."""
    chain = data.chain
    contract = chain.contracts["contract"].to_numpy(dtype=object)
    arrive = [
        model.arrive[m, s, t] if k < 0 else model.contracted[contract[k], m, t]
        for m, s, t, k in data.arrive[["material", "supplier", "month", "contract_k"]].itertuples(
            index=False
        )
    ]
    return {
        "arrive": arrive,
        "stock": _at(model.stock, data.stock, "material", "month"),
        "shortfall": _at(model.shortfall, data.shortfall, "material", "month"),
        "run": _at(model.run, chain.runs, "unit", "month"),
        "sell": _at(model.sell, chain.sales, "material", "month"),
        "dispose": _at(model.dispose, chain.disposals, "material", "month"),
        "paid": _at(model.paid, chain.paid, "contract", "month"),
        "build": [model.build[o] for o in chain.options["option"]],
        "sign": [model.sign[k] for k in chain.contracts["contract"]],
    }


def upper_bounds(data: ModelData) -> dict[str, np.ndarray]:
    """The upper bounds behind the bound families, aligned with ``columns``."""
    chain = data.chain
    units = chain.units
    u = chain.runs["u"].to_numpy(dtype=int)
    capacity = units["capacity_t_per_month"].to_numpy(dtype=float)[u]
    return {
        "arrive": data.arrive["capacity_t_per_month"].to_numpy(dtype=float),
        "stock": data.stock["storage_capacity_t"].to_numpy(dtype=float),
        "run": np.where(units["o"].to_numpy(dtype=int)[u] < 0, capacity, np.inf),
        "sell": chain.sales["sale_limit_t_per_month"].to_numpy(dtype=float),
    }


def constraint_rows(model: pyo.ConcreteModel, data: ModelData) -> dict[str, list]:
    """The rows of each family of ``fam.ROW_FAMILIES`` in the fast engine's order (``None``
    for a row that has nothing to constrain and was left out)."""
    chain = data.chain
    option_runs = chain.runs[chain.units["o"].to_numpy(dtype=int)[chain.runs["u"]] >= 0]
    rows = {
        fam.STOCK_BALANCE: _rows(model.stock_balance, _keys(data.stock, "material", "month")),
        fam.STOCKPILE_FLOOR: _rows(model.stockpile_floor, _keys(data.floors, "material", "month")),
        fam.WINDOW_TOTAL: _rows(model.window_total, _keys(data.totals, "material", "window")),
        fam.COUNTRY_SHARE_CAP: _rows(
            model.country_share_cap, _keys(data.caps, "material", "country", "window")
        ),
        fam.EXPANSION_CAPACITY: _rows(
            model.expansion_capacity, _keys(option_runs, "unit", "month")
        ),
        fam.EXCLUSIVE_OPTIONS: _rows(model.exclusive_options, list(model.GROUPS)),
        fam.OPTION_REQUIRES: _rows(model.option_requires, list(model.REQUIRING)),
        fam.CONTRACT_VOLUME: _rows(model.contract_volume, list(model.PAID_MONTHS)),
        fam.CONTRACT_PAID: _rows(model.contract_paid, list(model.PAID_MONTHS)),
        fam.TAKE_OR_PAY: _rows(model.take_or_pay, list(model.TAKE_OR_PAY_MONTHS)),
        fam.ANNUAL_BUDGET: _rows(model.annual_budget, list(model.YEARS)),
    }
    assert set(rows) == set(fam.ROW_FAMILIES)
    return rows


def _at(var: pyo.Var, frame: pd.DataFrame, *columns: str) -> list:
    return [var[key] for key in _keys(frame, *columns)]


def _rows(constraint: pyo.Constraint, keys: list) -> list:
    """The rows of ``keys`` (``None`` where the rule left the row out)."""
    rows = dict(constraint.items())
    return [rows.get(key) for key in keys]


def _values(variables: list) -> np.ndarray:
    return np.array([var.value for var in variables], dtype=float)


def _upper_bound_duals(model, variables: list, upper: np.ndarray) -> np.ndarray:
    """d(objective)/d(upper bound): a variable resting at a finite upper bound with a negative
    reduced cost (raising the bound would lower the cost by that much); zero otherwise."""
    values = _values(variables)
    reduced = np.array([model.rc.get(var, 0.0) for var in variables], dtype=float)
    finite = np.isfinite(upper)
    bound = np.where(finite, upper, 0.0)
    at_upper = finite & (values >= bound - 1e-9 * np.maximum(1.0, bound))
    return np.where(at_upper & (reduced < 0), reduced, 0.0)


__all__ = [
    "FAMILY_OF_CONSTRAINT",
    "FAMILY_OF_UPPER_BOUND",
    "VALUE_BLOCKS",
    "build",
    "model_size",
    "reduced_costs_from_duals",
    "solve",
]
