"""The fast engine's LP, assembled as sparse arrays with numpy/scipy from the registry of
:mod:`models.families`.

Columns: one block per variable of ``families.VARIABLES``, in that order, each with its cost and
bounds from the registry. Rows: one block per row family of ``families.FAMILIES``, in that order;
each block's rows and bounds are the family's index table (``ModelData.rows``), and its
coefficients come from the one function registered for the family here (``DEFINE``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from models import families as fam
from models.data import ModelData
from models.indexing import Grid
from models.solution import ModelSize

Define = Callable[["_Builder", ModelData, pd.DataFrame, int], None]
DEFINE: dict[str, Define] = {}  # family name -> the function adding its coefficients


@dataclass
class LinearProgram:
    """The LP in HiGHS's array form, with the slices of each variable and row family."""

    cost: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    matrix: sp.csc_matrix
    columns: dict[str, slice]
    rows: dict[str, slice]
    integrality: np.ndarray  # 1 for a yes/no column, 0 for a continuous one

    @property
    def size(self) -> ModelSize:
        return ModelSize(len(self.cost), len(self.row_lower), int(self.matrix.nnz))

    @property
    def is_mip(self) -> bool:
        return bool(self.integrality.any())


@dataclass
class _Builder:
    """Accumulates column blocks and row blocks as coordinate triplets."""

    cost: list[np.ndarray] = field(default_factory=list)
    lower: list[np.ndarray] = field(default_factory=list)
    upper: list[np.ndarray] = field(default_factory=list)
    columns: dict[str, slice] = field(default_factory=dict)
    row_lower: list[np.ndarray] = field(default_factory=list)
    row_upper: list[np.ndarray] = field(default_factory=list)
    rows: dict[str, slice] = field(default_factory=dict)
    entries: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)
    integrality: list[np.ndarray] = field(default_factory=list)
    n_cols: int = 0
    n_rows: int = 0

    def add_columns(self, name: str, cost, lower, upper, binary: bool = False) -> int:
        first = self.n_cols
        self.cost.append(np.asarray(cost, dtype=float))
        count = len(self.cost[-1])
        self.lower.append(np.broadcast_to(np.asarray(lower, dtype=float), count))
        self.upper.append(np.broadcast_to(np.asarray(upper, dtype=float), count))
        self.integrality.append(np.full(count, int(binary), dtype=np.int32))
        self.n_cols += count
        self.columns[name] = slice(first, self.n_cols)
        return first

    def column(self, block: str, positions) -> np.ndarray:
        """The columns of the block's variables at ``positions`` (rows of its table)."""
        return self.columns[block].start + np.asarray(positions, dtype=np.int64)

    def cost_of(self, name: str) -> np.ndarray:
        """The objective coefficients given to a column block."""
        return self.cost[list(self.columns).index(name)]

    def add_rows(self, family: str, lower, upper) -> int:
        first = self.n_rows
        count = len(lower)
        self.row_lower.append(np.asarray(lower, dtype=float))
        self.row_upper.append(np.broadcast_to(np.asarray(upper, dtype=float), count))
        self.n_rows += count
        self.rows[family] = slice(first, self.n_rows)
        return first

    def add_entries(self, rows, cols, values) -> None:
        rows = np.asarray(rows, dtype=np.int64)
        self.entries.append(
            (
                rows,
                np.asarray(cols, dtype=np.int64),
                np.broadcast_to(np.asarray(values, dtype=float), len(rows)),
            )
        )

    def finish(self) -> LinearProgram:
        rows, cols, values = (np.concatenate(parts) for parts in zip(*self.entries, strict=True))
        matrix = sp.csc_matrix((values, (rows, cols)), shape=(self.n_rows, self.n_cols))
        matrix.sum_duplicates()
        matrix.eliminate_zeros()  # e.g. a contract without a fixed cost in a budget row
        matrix.sort_indices()
        return LinearProgram(
            cost=np.concatenate(self.cost),
            col_lower=np.concatenate(self.lower),
            col_upper=np.concatenate(self.upper),
            row_lower=np.concatenate(self.row_lower),
            row_upper=np.concatenate(self.row_upper),
            matrix=matrix,
            columns=self.columns,
            rows=self.rows,
            integrality=np.concatenate(self.integrality),
        )


def build_model(data: ModelData) -> LinearProgram:
    """The LP of ``docs/formulation.md``: every variable block, then every row family."""
    b = _Builder()
    b.entries.append((np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)))
    for variable in fam.VARIABLES:
        cost, upper = variable.cost(data), variable.bounds(data)
        b.add_columns(variable.name, cost, 0.0, upper, binary=variable.binary)
    for family in fam.row_families():
        rows = data.rows[family.name]
        first = b.add_rows(family.name, rows["lower"].to_numpy(), rows["upper"].to_numpy())
        DEFINE[family.name](b, data, rows, first + np.arange(len(rows)))
    return b.finish()


def implements(name: str) -> Callable[[Define], Define]:
    """Register the function that adds family ``name``'s coefficients; its docstring starts
    with the family's inequality from the registry."""

    def register(function: Define) -> Define:
        function.__doc__ = fam.doc_of(name) + (
            "\n\n" + function.__doc__ if function.__doc__ else ""
        )
        DEFINE[name] = function
        return function

    return register


# --- shared lookups ----------------------------------------------------------------------------


def stock_cells(data: ModelData):
    """The stock variables (one per material and month) by (material, month)."""
    return Grid(material=len(data.materials), month=len(data.months)).index(
        material=data.stock["m"], month=data.stock["t"]
    )


def run_lines(data: ModelData, outputs_only: bool = False) -> dict[str, np.ndarray]:
    """One entry per (run variable, recipe line): run column, unit, material, month and the
    coefficient (+ a yield, - an input, per tonne of throughput)."""
    chain = data.chain
    recipe = chain.recipe[chain.recipe["coefficient"] > 0] if outputs_only else chain.recipe
    runs = chain.runs[["u", "t"]].assign(run=np.arange(len(chain.runs)))
    lines = runs.merge(recipe[["u", "m", "coefficient"]], on="u", how="inner")
    return {
        "run": lines["run"].to_numpy(dtype=np.int64),
        "u": lines["u"].to_numpy(dtype=np.int64),
        "m": lines["m"].to_numpy(dtype=np.int64),
        "t": lines["t"].to_numpy(dtype=np.int64),
        "coefficient": lines["coefficient"].to_numpy(dtype=float),
    }


def contracted_arrivals(data: ModelData) -> tuple[np.ndarray, np.ndarray]:
    """Arrive variables of contracted tonnes and the (contract, month) row each belongs to."""
    arrive, paid = data.arrive, data.chain.paid
    arrivals = np.flatnonzero(arrive["contract_k"].to_numpy() >= 0)
    months = Grid(contract=len(data.chain.contracts), month=len(data.months))
    row = months.index(contract=paid["k"], month=paid["t"]).find(
        contract=arrive["contract_k"].to_numpy()[arrivals], month=arrive["t"].to_numpy()[arrivals]
    )
    return arrivals, row


def budget_year_of_month(data: ModelData) -> np.ndarray:
    """Each month's position among the budget's calendar years (its row, from the first)."""
    year_index = {year: i for i, year in enumerate(data.chain.budget["year"])}
    return np.array([year_index[month[:4]] for month in data.months], dtype=int)


# --- the families ------------------------------------------------------------------------------


@implements(fam.STOCK_BALANCE)
def define_stock_balance(b: _Builder, data: ModelData, rows: pd.DataFrame, row: np.ndarray):
    """As a row: stock[m,t] - stock[m,t-1] - arrivals - yields x runs + inputs x runs + sell
    + dispose - shortfall = -demand[m,t] (+ the initial stock in the first month)."""
    cells = Grid(material=len(data.materials), month=len(data.months))
    at = cells.index(material=rows["m"], month=rows["t"])
    stock = stock_cells(data)
    m, t = rows["m"].to_numpy(), rows["t"].to_numpy()
    b.add_entries(row, b.column("stock", stock.find(material=m, month=t)), 1.0)
    carried = t > 0
    before = stock.find(material=m[carried], month=t[carried] - 1)
    b.add_entries(row[carried], b.column("stock", before), -1.0)
    arrive, short = data.arrive, data.shortfall
    found = at.find(material=arrive["m"], month=arrive["t"])
    b.add_entries(row[found], b.column("arrive", np.arange(len(arrive))), -1.0)
    found = at.find(material=short["m"], month=short["t"])
    b.add_entries(row[found], b.column("shortfall", np.arange(len(short))), -1.0)
    lines = run_lines(data)  # a unit's outputs add to stock, its inputs take from it
    found = at.find(material=lines["m"], month=lines["t"])
    b.add_entries(row[found], b.column("run", lines["run"]), -lines["coefficient"])
    for block, outlet in (("sell", data.chain.sales), ("dispose", data.chain.disposals)):
        found = at.find(material=outlet["m"], month=outlet["t"])
        b.add_entries(row[found], b.column(block, np.arange(len(outlet))), 1.0)


@implements(fam.STOCKPILE_FLOOR)
def define_stockpile_floor(b: _Builder, data: ModelData, rows: pd.DataFrame, row: np.ndarray):
    stock = stock_cells(data).find(material=rows["m"], month=rows["t"])
    b.add_entries(row, b.column("stock", stock), 1.0)
    below = data.below  # a floor with a penalty may be missed by the tonnes under it
    b.add_entries(row[below["floor_row"].to_numpy(int)], b.column("below", np.arange(len(below))),
                  1.0)  # fmt: skip


def _rows_at(row: np.ndarray, found: np.ndarray) -> np.ndarray:
    """The LP row of each position ``found`` in a family's table; -1 stays -1."""
    rows = np.full(len(found), -1, dtype=np.int64)
    rows[found >= 0] = row[found[found >= 0]]
    return rows


def _supply_entries(
    b: _Builder, data: ModelData, row_of: Callable, sign: float, by_origin: bool = False
) -> None:
    """Arrivals (by their supplier's country) and domestic output, on the rows
    ``row_of(m, t, c)`` finds (-1: none): output counts for its unit's country, or with
    ``by_origin`` (share_basis origin) for the origin of what the unit was fed (``initial`` is no
    country: on no cap row)."""
    arrive = data.arrive
    found = row_of(arrive["m"].to_numpy(), arrive["t"].to_numpy(), arrive["c"].to_numpy())
    member = np.flatnonzero(found >= 0)
    b.add_entries(found[member], b.column("arrive", member), sign)
    if by_origin:
        made = _made_feed(data)
        country = made["o"] < len(data.countries)
        found = np.full(len(country), -1, dtype=np.int64)
        found[country] = row_of(made["m"][country], made["t"][country], made["o"][country])
        member = np.flatnonzero(found >= 0)
        b.add_entries(found[member], b.column("feed", made["feed"][member]),
                      sign * made["share"][member])  # fmt: skip
        return
    made = run_lines(data, outputs_only=True)  # a unit's output counts for its country
    found = row_of(made["m"], made["t"], data.chain.units["c"].to_numpy()[made["u"]])
    member = np.flatnonzero(found >= 0)
    b.add_entries(found[member], b.column("run", made["run"][member]),
                  sign * made["coefficient"][member])  # fmt: skip


@implements(fam.WINDOW_TOTAL)
def define_window_total(b: _Builder, data: ModelData, rows: pd.DataFrame, row: np.ndarray):
    """As a row: total[m,w] - supply of m in w = 0."""
    b.add_entries(row, b.column("total", np.arange(len(rows))), 1.0)
    windows = Grid(material=len(data.materials), window=len(data.windows))
    at = windows.index(material=rows["m"], window=rows["w"])

    def row_of(m, t, c):
        return _rows_at(row, at.find(material=m, window=data.window_of_month[t]))

    _supply_entries(b, data, row_of, -1.0)


@implements(fam.COUNTRY_SHARE_CAP)
def define_country_share_cap(b: _Builder, data: ModelData, rows: pd.DataFrame, row: np.ndarray):
    """As a row: supply from country c - max_share * total[m,w] <= 0."""
    b.add_entries(row, b.column("total", rows["total"]), -rows["max_share"].to_numpy())
    caps = Grid(material=len(data.materials), window=len(data.windows), country=len(data.countries))
    at = caps.index(material=rows["m"], window=rows["w"], country=rows["c"])

    def row_of(m, t, c):
        return _rows_at(row, at.find(material=m, window=data.window_of_month[t], country=c))

    _supply_entries(b, data, row_of, 1.0, by_origin=data.content.tracks)


def _made_feed(data: ModelData) -> dict[str, np.ndarray]:
    """Each (output line of a run, origin, feed variable of that run and origin): the output's
    content of that origin is ``share`` x the sum of the run's feed of it."""
    content = data.content
    feed = content.feed[["run", "o"]].assign(feed=np.arange(len(content.feed)))
    lines = content.made[["m", "t", "o", "run", "share"]].merge(feed, on=["run", "o"])
    return {c: lines[c].to_numpy() for c in ("m", "t", "o", "feed", "share")}


@implements(fam.CONTENT_BALANCE)
def define_content_balance(b: _Builder, data: ModelData, rows: pd.DataFrame, row: np.ndarray):
    """As a row: held[m,o,t] - held[m,o,t-1] - arrivals of origin o - made of origin o
    + fed of origin o + used[m,o,t] = the initial stock (origin initial, first month)."""
    if len(rows) == 0:
        return
    content = data.content
    cells = Grid(material=len(data.materials), origin=len(content.origins), month=len(data.months))
    at = cells.index(material=rows["m"], origin=rows["o"], month=rows["t"])
    b.add_entries(row, b.column("held", np.arange(len(rows))), 1.0)
    m, o, t = (rows[c].to_numpy() for c in ("m", "o", "t"))
    carried = np.flatnonzero(t > 0)
    before = at.find(material=m[carried], origin=o[carried], month=t[carried] - 1)
    b.add_entries(row[carried], b.column("held", before), -1.0)
    b.add_entries(row, b.column("used", np.arange(len(rows))), 1.0)
    arrive = data.arrive
    found = at.find(material=arrive["m"], origin=arrive["c"], month=arrive["t"])
    member = np.flatnonzero(found >= 0)
    b.add_entries(row[found[member]], b.column("arrive", member), -1.0)
    feed = content.feed
    found = at.find(material=feed["m"], origin=feed["o"], month=feed["t"])
    b.add_entries(row[found], b.column("feed", np.arange(len(feed))), 1.0)
    made = _made_feed(data)
    found = at.find(material=made["m"], origin=made["o"], month=made["t"])
    b.add_entries(row[found], b.column("feed", made["feed"]), -made["share"])


@implements(fam.CONTENT_FEED)
def define_content_feed(b: _Builder, data: ModelData, rows: pd.DataFrame, row: np.ndarray):
    """As a row: sum_o feed[u,i,o,t] - input[u,i] * run[u,t] = 0."""
    b.add_entries(row, b.column("run", rows["run"]), -rows["a"].to_numpy(dtype=float))
    feed = data.content.feed
    line = Grid(run=len(data.chain.runs), material=len(data.materials))
    at = line.index(run=rows["run"], material=rows["m"])
    found = at.find(run=feed["run"], material=feed["m"])
    b.add_entries(row[found], b.column("feed", np.arange(len(feed))), 1.0)


@implements(fam.CONTENT_USE)
def define_content_use(b: _Builder, data: ModelData, rows: pd.DataFrame, row: np.ndarray):
    """As a row: sum_o used[m,o,t] + shortfall[m,t] - sell[m,t] - dispose[m,t] = demand."""
    if len(rows) == 0:
        return
    cells = Grid(material=len(data.materials), month=len(data.months))
    at = cells.index(material=rows["m"], month=rows["t"])
    held = data.content.held
    found = at.find(material=held["m"], month=held["t"])
    b.add_entries(row[found], b.column("used", np.arange(len(held))), 1.0)
    blocks = (("shortfall", data.shortfall, 1.0), ("sell", data.chain.sales, -1.0),
              ("dispose", data.chain.disposals, -1.0))  # fmt: skip
    for block, table, sign in blocks:
        found = at.find(material=table["m"], month=table["t"])
        member = np.flatnonzero(found >= 0)
        b.add_entries(row[found[member]], b.column(block, member), sign)


@implements(fam.EXPANSION_CAPACITY)
def define_expansion_capacity(b: _Builder, data: ModelData, rows: pd.DataFrame, row: np.ndarray):
    b.add_entries(row, b.column("run", rows["run"]), 1.0)
    b.add_entries(row, b.column("build", rows["o"]), -rows["capacity_t_per_month"].to_numpy())


@implements(fam.EXCLUSIVE_OPTIONS)
def define_exclusive_options(b: _Builder, data: ModelData, rows: pd.DataFrame, row: np.ndarray):
    members = [np.asarray(m, dtype=np.int64) for m in rows["members"]]
    counts = np.array([len(m) for m in members], dtype=np.int64)
    options = np.concatenate(members) if members else np.zeros(0, np.int64)
    b.add_entries(np.repeat(row, counts), b.column("build", options), 1.0)


@implements(fam.OPTION_REQUIRES)
def define_option_requires(b: _Builder, data: ModelData, rows: pd.DataFrame, row: np.ndarray):
    b.add_entries(row, b.column("build", rows["o"]), 1.0)
    b.add_entries(row, b.column("build", rows["r"]), -1.0)


@implements(fam.CONTRACT_VOLUME)
def define_contract_volume(b: _Builder, data: ModelData, rows: pd.DataFrame, row: np.ndarray):
    arrivals, paid_row = contracted_arrivals(data)
    b.add_entries(row[paid_row], b.column("arrive", arrivals), 1.0)
    b.add_entries(row, b.column("sign", rows["k"]), -rows["max_t_per_month"].to_numpy())


@implements(fam.CONTRACT_PAID)
def define_contract_paid(b: _Builder, data: ModelData, rows: pd.DataFrame, row: np.ndarray):
    b.add_entries(row, b.column("paid", rows["paid"]), 1.0)
    arrivals, paid_row = contracted_arrivals(data)
    b.add_entries(row[paid_row], b.column("arrive", arrivals), -1.0)


@implements(fam.TAKE_OR_PAY)
def define_take_or_pay(b: _Builder, data: ModelData, rows: pd.DataFrame, row: np.ndarray):
    b.add_entries(row, b.column("paid", rows["paid"]), 1.0)
    b.add_entries(row, b.column("sign", rows["k"]), -rows["min_t_per_month"].to_numpy())


@implements(fam.CLOSING_STOCK)
def define_closing_stock(b: _Builder, data: ModelData, rows: pd.DataFrame, row: np.ndarray):
    b.add_entries(row, b.column("credit", np.arange(len(rows))), 1.0)
    stock = stock_cells(data).find(material=rows["m"], month=rows["t"])
    b.add_entries(row, b.column("stock", stock), -1.0)


@implements(fam.ANNUAL_BUDGET)
def define_annual_budget(b: _Builder, data: ModelData, rows: pd.DataFrame, row: np.ndarray):
    """Spending of a year: arrivals, processing and contract payments at their objective
    costs, contracts' fixed costs in the year they start, capital charged in the year."""
    if len(rows) == 0:
        return
    chain = data.chain
    year = row[budget_year_of_month(data)]  # each month's budget row
    spend = {
        "arrive": data.arrive["t"].to_numpy(dtype=int),
        "run": chain.runs["t"].to_numpy(dtype=int),
        "paid": chain.paid["t"].to_numpy(dtype=int),
    }
    for block, t in spend.items():
        b.add_entries(year[t], b.column(block, np.arange(len(t))), b.cost_of(block))
    fixed_t = chain.contracts["fixed_t"].to_numpy(dtype=int)
    b.add_entries(year[fixed_t], b.column("sign", np.arange(len(fixed_t))),
                  chain.contracts["fixed_cost_usd"].to_numpy(dtype=float))  # fmt: skip
    capital = chain.capital_by_month  # (options, months) -> (options, years)
    by_year = np.zeros((len(capital), len(rows)))
    if len(capital):
        np.add.at(by_year.T, budget_year_of_month(data), capital.T)
    o, y = np.nonzero(by_year)
    b.add_entries(row[y], b.column("build", o), by_year[o, y])
