"""The formulation's one source: every variable block and every constraint family, as records.

A family record holds its name (the same string in the docs, the result tables and the
messages), a one-line summary, its inequality as the docs and docstrings show it, the sign of its
dual, the labels of its rows and its index table: one row per constraint row, computed once with
the model data (:attr:`models.data.ModelData.rows`), carrying the row's codes, its coefficients'
data and its bounds ``lower <= row <= upper``. The fast engine, the Pyomo engine, the warm
model, the names of a written model, the constraints table, the re-check and
``docs/formulation.md`` all iterate these records; each engine adds one function per family
(``models.highs_build.DEFINE``, ``models.pyomo_model.RULES``), and a test fails when one misses
a family.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # only for annotations: data.py imports this module
    from .data import ModelData

STOCK_BALANCE = "stock-balance"
STOCKPILE_FLOOR = "stockpile-floor"
WINDOW_TOTAL = "window-total"
COUNTRY_SHARE_CAP = "country-share-cap"
EXPANSION_CAPACITY = "expansion-capacity"
EXCLUSIVE_OPTIONS = "exclusive-options"
OPTION_REQUIRES = "option-requires"
CONTRACT_VOLUME = "contract-volume"
CONTRACT_PAID = "contract-paid"
TAKE_OR_PAY = "take-or-pay"
ANNUAL_BUDGET = "annual-budget"
OFFER_CAPACITY = "offer-capacity"
STORAGE_CAPACITY = "storage-capacity"
BELOW_FLOOR = "below-floor"
CLOSING_STOCK = "closing-stock"
CLOSING_CREDIT = "closing-credit"
CONTENT_BALANCE = "content-balance"
CONTENT_FEED = "content-feed"
CONTENT_USE = "content-use"
PROCESS_CAPACITY = "process-capacity"
SALES_LIMIT = "sales-limit"
LEAD_TIME = "lead-time"

ROW, BOUND, RULE = "row", "bound", "rule"
INF = np.inf


@dataclass(frozen=True)
class Variable:
    """A block of variables: one per row of its table, in that order."""

    name: str  # the block (``arrive``): Solution attribute, column-name prefix
    labels: tuple[str, ...]  # the table's columns that name one variable
    table: Callable[[ModelData], pd.DataFrame]
    cost: Callable[[ModelData], np.ndarray]  # objective coefficient, USD per unit
    upper: Callable[[ModelData], np.ndarray] | None = None  # None: unbounded above
    binary: bool = False
    meaning: str = ""
    reads: tuple[str, ...] = ("chain",)  # the ModelData fields its table and numbers come from

    def bounds(self, data: ModelData) -> np.ndarray:
        count = len(self.table(data))
        return np.full(count, INF) if self.upper is None else self.upper(data)


@dataclass(frozen=True)
class Family:
    """A constraint family: rows of the LP (``kind`` row), upper bounds of a variable block
    (``bound``), or a rule of which variables exist (``rule``)."""

    name: str
    kind: str
    summary: str  # what it says, in one line
    inequality: str  # the algebra, as the docs and the engines' docstrings show it
    dual: str  # the sign its dual (d total cost / d right-hand side) takes, and why
    labels: tuple[str, ...] = ()  # the index table's columns that name one row
    lp_name: str = ""  # prefix of its rows' names in a written model: ``balance(Dy2O3,2026_01)``
    index: Callable[[ModelData], pd.DataFrame] | None = None  # rows: codes, data, lower, upper
    block: str = ""  # a bound family: the variable block whose upper bounds it is
    shown_in: str = ""  # the result file that reports its rows and duals ("": none, a definition)
    reads: tuple[str, ...] = ("chain",)  # the ModelData fields its index table is built from

    @property
    def component(self) -> str:
        """Its name as a Python identifier (the Pyomo component): ``stock_balance``."""
        return self.name.replace("-", "_")


# --- variable blocks -------------------------------------------------------------------------


def _column(table: Callable[[ModelData], pd.DataFrame], column: str) -> Callable:
    return lambda data: table(data)[column].to_numpy(dtype=float)


def _zeros(table: Callable[[ModelData], pd.DataFrame]) -> Callable:
    return lambda data: np.zeros(len(table(data)))


def _arrive(data: ModelData) -> pd.DataFrame:
    return data.arrive


def _stock(data: ModelData) -> pd.DataFrame:
    return data.stock


def _runs(data: ModelData) -> pd.DataFrame:
    return data.chain.runs


def _sales(data: ModelData) -> pd.DataFrame:
    return data.chain.sales


def _paid(data: ModelData) -> pd.DataFrame:
    return data.chain.paid


VARIABLES: tuple[Variable, ...] = (
    Variable(
        "arrive", ("material", "via", "month"), _arrive, _column(_arrive, "arrive_cost_usd_per_t"),
        _column(_arrive, "capacity_t_per_month"), reads=("arrive",),
        meaning="tonnes landing: a spot offer's (landed cost) or a contract's (its duty and "
        "freight; the price is carried by paid)",
    ),
    Variable(
        "stock", ("material", "month"), _stock, _column(_stock, "holding_cost_usd_per_t_month"),
        _column(_stock, "storage_capacity_t"), reads=("stock",),
        meaning="tonnes held at the month's end",
    ),
    Variable(
        "shortfall", ("material", "month"), lambda d: d.shortfall,
        _column(lambda d: d.shortfall, "shortfall_penalty_usd_per_t"),
        _column(lambda d: d.shortfall, "demand_t"), reads=("shortfall",),
        meaning="tonnes of demand left unmet (materials with a penalty), at most the demand",
    ),
    Variable(
        "total", ("material", "window"), lambda d: d.totals, _zeros(lambda d: d.totals),
        reads=("totals",), meaning="a capped material's supply in a cap window",
    ),
    Variable(
        "run", ("unit", "month"), _runs, _column(_runs, "operating_cost_usd_per_t"),
        _column(_runs, "capacity_bound_t"),
        meaning="a unit's throughput (an option's is bounded by expansion-capacity instead)",
    ),
    Variable(
        "sell", ("material", "month"), _sales,
        lambda d: -d.chain.sales["sale_price_usd_per_t"].to_numpy(dtype=float),
        _column(_sales, "sale_limit_t_per_month"), meaning="tonnes of a by-product sold",
    ),
    Variable(
        "dispose", ("material", "month"), lambda d: d.chain.disposals,
        _column(lambda d: d.chain.disposals, "disposal_cost_usd_per_t"),
        meaning="tonnes of a by-product disposed of",
    ),
    Variable(
        "paid", ("contract", "month"), _paid, _column(_paid, "price_usd_per_t"),
        meaning="a contract's tonnes paid for in a month",
    ),
    Variable(
        "build", ("option",), lambda d: d.chain.options,
        _column(lambda d: d.chain.options, "capital_in_horizon_usd"), lambda d: np.ones(
            len(d.chain.options)
        ), binary=True, meaning="1 if the option is built",
    ),
    Variable(
        "below", ("material", "month"), lambda d: d.below,
        _column(lambda d: d.below, "penalty"), _column(lambda d: d.below, "floor_t"),
        reads=("below",),
        meaning="tonnes the stock is under a floor that has a penalty, at most the floor",
    ),
    Variable(
        "credit", ("material",), lambda d: d.credits,
        lambda d: -d.credits["value_usd_per_t"].to_numpy(dtype=float),
        _column(lambda d: d.credits, "limit_t"), reads=("credits",),
        meaning="tonnes of closing stock credited at the closing value, up to the last floor",
    ),
    Variable(
        "sign", ("contract",), lambda d: d.chain.contracts,
        _column(lambda d: d.chain.contracts, "fixed_cost_usd"),
        lambda d: np.ones(len(d.chain.contracts)), binary=True,
        meaning="1 if the contract is signed",
    ),
    Variable(
        "held", ("material", "origin", "month"), lambda d: d.content.held,
        _zeros(lambda d: d.content.held), reads=("content",),
        meaning="share_basis origin: tonnes of a traced material's stock with content of that "
        "origin",
    ),
    Variable(
        "used", ("material", "origin", "month"), lambda d: d.content.held,
        _zeros(lambda d: d.content.held), reads=("content",),
        meaning="share_basis origin: tonnes of a traced material leaving to demand, sales or "
        "disposal with content of that origin",
    ),
    Variable(
        "feed", ("unit", "material", "origin", "month"), lambda d: d.content.feed,
        _zeros(lambda d: d.content.feed), reads=("content",),
        meaning="share_basis origin: tonnes of an input a unit runs on with content of that "
        "origin",
    ),
)  # fmt: skip


# --- the index tables of the row families ------------------------------------------------------


def _bounds(rows: pd.DataFrame, lower, upper) -> pd.DataFrame:
    """``rows`` with the bounds of each row: ``lower <= row <= upper``."""
    count = len(rows)
    table = rows.copy(deep=False)  # the row data is shared, only the bounds are new
    table["lower"] = np.broadcast_to(np.asarray(lower, dtype=float), count).copy()
    table["upper"] = np.broadcast_to(np.asarray(upper, dtype=float), count).copy()
    return table


def stock_balance_rows(data: ModelData) -> pd.DataFrame:
    """One row per (material, month): the right-hand side is -demand, plus the initial stock in
    the first month (stock[m,-1] moved over)."""
    stock = data.stock
    t = stock["t"].to_numpy()
    rhs = -stock["demand_t"].to_numpy(dtype=float)
    rhs[t == 0] += data.initial_stock_t
    columns = {c: stock[c].to_numpy() for c in ("material", "month", "m")}
    return pd.DataFrame({**columns, "t": t, "lower": rhs, "upper": rhs.copy()}, copy=False)


def stockpile_floor_rows(data: ModelData) -> pd.DataFrame:
    floors = data.floors
    return _bounds(floors, floors["floor_t"].to_numpy(dtype=float), INF)


def window_total_rows(data: ModelData) -> pd.DataFrame:
    return _bounds(data.totals, 0.0, 0.0)


def country_share_cap_rows(data: ModelData) -> pd.DataFrame:
    return _bounds(data.caps, -INF, 0.0)


def expansion_capacity_rows(data: ModelData) -> pd.DataFrame:
    """Each month an option's unit may run: its run variable, the option and its capacity."""
    chain = data.chain
    runs = chain.runs.assign(run=np.arange(len(chain.runs)))
    o = chain.units["o"].to_numpy(dtype=int)[runs["u"].to_numpy(dtype=int)]
    rows = runs[o >= 0].assign(o=o[o >= 0]).reset_index(drop=True)
    rows["capacity_t_per_month"] = rows["capacity_t"]  # the month's, ramp-up included
    return _bounds(rows[["unit", "month", "u", "t", "run", "o", "capacity_t_per_month"]], -INF, 0)


def exclusive_options_rows(data: ModelData) -> pd.DataFrame:
    """Each exclusive group of two or more options, in order of first appearance, with the
    options it holds (``members``: their positions)."""
    groups = data.chain.options["exclusive_group"]
    codes, labels = pd.factorize(groups, use_na_sentinel=True)
    members = [np.flatnonzero(codes == g) for g in range(len(labels))]
    kept = [g for g in range(len(labels)) if len(members[g]) >= 2]
    rows = pd.DataFrame(
        {
            "group": pd.Series([labels[g] for g in kept], dtype=object),
            "members": pd.Series([members[g] for g in kept], dtype=object),
        }
    )
    return _bounds(rows, -INF, 1.0)


def option_requires_rows(data: ModelData) -> pd.DataFrame:
    """Each option o that requires option r: build[o] - build[r] <= 0."""
    options = data.chain.options
    requires = options["requires"].to_numpy(dtype=int)
    o = np.flatnonzero(requires >= 0)
    rows = pd.DataFrame(
        {
            "option": options["option"].to_numpy(dtype=object)[o],
            "o": o,
            "r": requires[o],
            "required": options["option"].to_numpy(dtype=object)[requires[o]],
        }
    )
    return _bounds(rows, -INF, 0.0)


def _paid_rows(data: ModelData) -> pd.DataFrame:
    """One per (contract, month) a contract runs: its paid variable and its terms."""
    paid, contracts = data.chain.paid, data.chain.contracts
    k = paid["k"].to_numpy(dtype=int)
    return pd.DataFrame(
        {
            "contract": paid["contract"].to_numpy(dtype=object),
            "month": paid["month"].to_numpy(dtype=object),
            "k": k,
            "t": paid["t"].to_numpy(dtype=int),
            "paid": np.arange(len(paid)),
            "min_t_per_month": contracts["min_t_per_month"].to_numpy(dtype=float)[k],
            "max_t_per_month": contracts["max_t_per_month"].to_numpy(dtype=float)[k],
        }
    )


def contract_volume_rows(data: ModelData) -> pd.DataFrame:
    return _bounds(_paid_rows(data), -INF, 0.0)


def contract_paid_rows(data: ModelData) -> pd.DataFrame:
    return _bounds(_paid_rows(data), 0.0, INF)


def take_or_pay_rows(data: ModelData) -> pd.DataFrame:
    """Only the months of contracts with a positive minimum."""
    rows = _paid_rows(data)
    rows = rows[rows["min_t_per_month"].to_numpy() > 0].reset_index(drop=True)
    return _bounds(rows, 0.0, INF)


def closing_stock_rows(data: ModelData) -> pd.DataFrame:
    """One row per credited material: its credit against its stock in the last month."""
    return _bounds(data.credits, -INF, 0.0)


def content_balance_rows(data: ModelData) -> pd.DataFrame:
    """One row per (traced material, origin, month): the right-hand side is the stock at the
    start, of origin ``initial``, in the first month."""
    held = data.content.held
    o, t, m = (held[c].to_numpy(dtype=int) for c in ("o", "t", "m"))
    start = (o == len(data.content.origins) - 1) & (t == 0)
    rhs = np.where(start, data.initial_stock_t[m] if len(m) else 0.0, 0.0)
    return _bounds(held, rhs, rhs)


def content_feed_rows(data: ModelData) -> pd.DataFrame:
    return _bounds(data.content.inputs, 0.0, 0.0)


def content_use_rows(data: ModelData) -> pd.DataFrame:
    """One row per (traced material, month) when content is traced: the right-hand side is
    the demand."""
    if not data.content.tracks:
        return _bounds(data.stock.iloc[:0][["material", "month", "m", "t"]], 0.0, 0.0)
    stock = data.stock
    rows = stock[np.isin(stock["m"].to_numpy(), data.content.traced)]
    rows = rows[["material", "month", "m", "t", "demand_t"]].reset_index(drop=True)
    demand = rows["demand_t"].to_numpy(dtype=float)
    return _bounds(rows, demand, demand)


def annual_budget_rows(data: ModelData) -> pd.DataFrame:
    budget = data.chain.budget
    return _bounds(budget, -INF, budget["limit_usd"].to_numpy(dtype=float))


def _variable_rows(block: str) -> Callable[[ModelData], pd.DataFrame]:
    """A bound family's rows: its block's variables, with their upper bounds."""
    variable = next(v for v in VARIABLES if v.name == block)
    return lambda data: _bounds(variable.table(data), -INF, variable.bounds(data))


# --- the families ----------------------------------------------------------------------------

FAMILIES: tuple[Family, ...] = (
    Family(
        STOCK_BALANCE, ROW,
        "stock carries over: what arrives, is made, sold, disposed of and consumed",
        "stock[m,t] = stock[m,t-1] + sum_s arrive[m,s,t] + sum_u yield[u,m] run[u,t] "
        "- sum_u input[u,m] run[u,t] - sell[m,t] - dispose[m,t] + shortfall[m,t] - demand[m,t]",
        "d(cost)/d(-demand): minus the marginal cost of a tonne of demand (stock.csv)",
        ("material", "month"), "balance", stock_balance_rows, shown_in="stock.csv",
        reads=("stock", "initial_stock_t"),
    ),
    Family(
        STOCKPILE_FLOOR, ROW,
        "the stockpile holds its target from stockpile_from on: cover months of demand, or "
        "the fixed floor_t, whichever is larger; with a floor penalty it may fall under",
        "stock[m,t] + below[m,t] >= max(cover_months[m] * demand[m,t], floor_t[m]) "
        "from stockpile_from on (below only where floor_penalty is set)",
        ">= 0: a higher floor costs more (at most the floor penalty)",
        ("material", "month"), "floor", stockpile_floor_rows, shown_in="constraints.csv",
        reads=("floors",),
    ),
    Family(
        WINDOW_TOTAL, ROW,
        "a capped material's supply in a cap window: arrivals and domestic output",
        "total[m,w] = sum_{s, t in w} arrive[m,s,t] + sum_{u, t in w} yield[u,m] run[u,t]",
        "either sign: the variable it defines is free of cost",
        ("material", "window"), "window_total", window_total_rows,
        reads=("totals",),
    ),
    Family(
        COUNTRY_SHARE_CAP, ROW,
        "no country supplies more than its share of a material in a cap window",
        "sum_{s in c, t in w} arrive[m,s,t] + sum_{u in c, t in w} yield[u,m] run[u,t] "
        "<= max_share[c,m] * total[m,w]; with share_basis origin, a unit's output counts by "
        "its content's origin: sum_{u, t in w} yield[u,m] / input[u] * sum_i feed[u,i,c,t]",
        "<= 0: the row is supply - max_share * total <= 0, and loosening it saves",
        ("material", "country", "window"), "share_cap", country_share_cap_rows,
        shown_in="constraints.csv",
        reads=("caps",),
    ),
    Family(
        EXPANSION_CAPACITY, ROW,
        "an option's unit runs only if it is built, up to its capacity",
        "run[u,t] <= capacity[u] * ramp[u,t] * build[o] for the unit u of option o",
        "<= 0: the row is run - capacity * build <= 0",
        ("unit", "month"), "expansion", expansion_capacity_rows, shown_in="constraints.csv",
    ),
    Family(
        EXCLUSIVE_OPTIONS, ROW,
        "at most one option of an exclusive group is built",
        "sum_{o in g} build[o] <= 1 for each exclusive group g of two or more options",
        "<= 0 (with the decisions fixed: none of interest)",
        ("group",), "exclusive", exclusive_options_rows, shown_in="constraints.csv",
    ),
    Family(
        OPTION_REQUIRES, ROW,
        "an option is built only with the option it requires",
        "build[o] <= build[r] for an option o that requires r",
        "<= 0: the row is build[o] - build[r] <= 0",
        ("option",), "requires", option_requires_rows, shown_in="constraints.csv",
    ),
    Family(
        CONTRACT_VOLUME, ROW,
        "contracted tonnes land only under a signed contract, up to its maximum",
        "sum_m arrive[k,m,t] <= max_t_per_month[k] * sign[k]",
        "<= 0: the row is sum - max * sign <= 0",
        ("contract", "month"), "contract_volume", contract_volume_rows,
        shown_in="constraints.csv",
    ),
    Family(
        CONTRACT_PAID, ROW,
        "every contracted tonne taken is paid for",
        "paid[k,t] >= sum_m arrive[k,m,t]",
        ">= 0: the row is paid - sum >= 0",
        ("contract", "month"), "contract_paid", contract_paid_rows,
        shown_in="constraints.csv",
    ),
    Family(
        TAKE_OR_PAY, ROW,
        "a signed contract's minimum is paid for, taken or not",
        "paid[k,t] >= min_t_per_month[k] * sign[k]",
        ">= 0: the row is paid - min * sign >= 0",
        ("contract", "month"), "take_or_pay", take_or_pay_rows, shown_in="constraints.csv",
    ),
    Family(
        CLOSING_STOCK, ROW,
        "the closing stock credited is stock still there at the horizon's end",
        "credit[m] <= stock[m,T]", "<= 0: a closing credit that binds is worth its value",
        ("material",), "closing", closing_stock_rows, shown_in="constraints.csv",
        reads=("credits",),
    ),
    Family(
        CONTENT_BALANCE, ROW,
        "share_basis origin: each origin's tonnes of a traced material carry over",
        "held[m,o,t] = held[m,o,t-1] + sum_{s in o} arrive[m,s,t] "
        "+ sum_u yield[u,m] / input[u] * sum_i feed[u,i,o,t] - sum_u feed[u,m,o,t] "
        "- used[m,o,t] (+ the initial stock, of origin initial, in the first month)",
        "either sign: it defines the content variables",
        ("material", "origin", "month"), "content", content_balance_rows,
        reads=("content", "initial_stock_t"),
    ),
    Family(
        CONTENT_FEED, ROW,
        "share_basis origin: a unit's input is fed from the origins its pool holds",
        "sum_o feed[u,i,o,t] = input[u,i] * run[u,t]",
        "either sign: it defines the content variables",
        ("unit", "material", "month"), "content_feed", content_feed_rows, reads=("content",),
    ),
    Family(
        CONTENT_USE, ROW,
        "share_basis origin: demand met, sales and disposal leave from the origins held",
        "sum_o used[m,o,t] = demand[m,t] - shortfall[m,t] + sell[m,t] + dispose[m,t]",
        "either sign: it defines the content variables",
        ("material", "month"), "content_use", content_use_rows, reads=("content", "stock"),
    ),
    Family(
        ANNUAL_BUDGET, ROW,
        "spending of each calendar year stays within the budget",
        "purchases + contracts + processing + capital in year y <= budget",
        "<= 0: a larger budget never costs more",
        ("year",), "budget", annual_budget_rows, shown_in="constraints.csv",
    ),
    Family(
        OFFER_CAPACITY, BOUND, "an offer delivers at most its capacity",
        "arrive[m,s,t] <= capacity_t_per_month[s,m,t]", "<= 0: more capacity never costs more",
        ("material", "supplier", "month"), index=_variable_rows("arrive"), block="arrive",
        shown_in="constraints.csv", reads=("arrive",),
    ),
    Family(
        STORAGE_CAPACITY, BOUND, "stock stays within the storage capacity",
        "stock[m,t] <= storage_capacity_t[m]", "<= 0: more storage never costs more",
        ("material", "month"), index=_variable_rows("stock"), block="stock", reads=("stock",),
        shown_in="constraints.csv",
    ),
    Family(
        BELOW_FLOOR, BOUND, "the stock is under its floor by at most the floor",
        "below[m,t] <= floor[m,t]", "<= 0: at most the floor penalty",
        ("material", "month"), index=_variable_rows("below"), block="below",
        shown_in="constraints.csv", reads=("below",),
    ),
    Family(
        CLOSING_CREDIT, BOUND, "at most the last month's floor is credited",
        "credit[m] <= floor[m,T]", "<= 0: crediting more would lower the cost",
        ("material",), index=_variable_rows("credit"), block="credit",
        shown_in="constraints.csv", reads=("credits",),
    ),
    Family(
        PROCESS_CAPACITY, BOUND, "an existing process runs at most at its capacity",
        "run[u,t] <= capacity_t_per_month[u] * ramp[u,t] for an existing process",
        "<= 0: more capacity never costs more", ("unit", "month"),
        index=_variable_rows("run"), block="run", shown_in="constraints.csv",
    ),
    Family(
        SALES_LIMIT, BOUND, "a market takes at most its limit of a by-product",
        "sell[m,t] <= sale_limit_t_per_month[m]", "<= 0: a larger market never costs more",
        ("material", "month"), index=_variable_rows("sell"), block="sell",
        shown_in="constraints.csv",
    ),
    Family(
        LEAD_TIME, RULE, "an order arrives only after its supplier's lead time",
        "arrive[m,s,t] exists only from start + lead_time_months[s] on",
        "none: a rule of which variables exist", shown_in="plan.csv",
    ),
)  # fmt: skip

# Derived names, for reading; code that builds or reads a model iterates FAMILIES itself.
ROW_FAMILIES = tuple(f.name for f in FAMILIES if f.kind == ROW)
BOUND_FAMILIES = tuple(f.name for f in FAMILIES if f.kind == BOUND)
DESCRIPTIONS = {family.name: family.inequality for family in FAMILIES}
VARIABLE_BY_NAME: dict[str, Variable] = {variable.name: variable for variable in VARIABLES}
BOUND_BLOCKS = {f.name: f.block for f in FAMILIES if f.kind == BOUND}


def family(name: str) -> Family:
    """The family of that name (``KeyError`` if the registry has none)."""
    for record in FAMILIES:
        if record.name == name:
            return record
    raise KeyError(name)


def row_families() -> tuple[Family, ...]:
    """The families that are rows of the LP, in the order the engines build them."""
    return tuple(f for f in FAMILIES if f.kind == ROW)


def index_tables(data: ModelData) -> dict[str, pd.DataFrame]:
    """Every row and bound family's index table for ``data`` (see ``ModelData.rows``)."""
    return {record.name: record.index(data) for record in FAMILIES if record.index is not None}


def doc_of(name: str) -> str:
    """The text an engine's function for family ``name`` starts its docstring with."""
    record = family(name)
    return f"{record.name}: {record.inequality}\n\n{record.summary}; dual {record.dual}."
