"""The fast engine: the LP assembled as sparse arrays with numpy/scipy and passed to HiGHS in one
call.

Columns, in order: ``arrive`` (one per row of ``ModelData.arrive``: spot offers, then contracted
tonnes), ``stock`` (material-major, ``m * T + t``), ``shortfall`` (one per row of
``ModelData.shortfall``), ``total`` (one per window-total), then the chain's: ``run`` (a unit's
throughput in a month), ``sell``, ``dispose``, ``paid`` (a contract's tonnes paid for in a
month), and the yes/no decisions ``build`` (an option) and ``sign`` (a contract). Rows follow
the constraint families in the order of ``build_model``.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import highspy
import numpy as np
import pandas as pd
import scipy.sparse as sp

from models import families as fam
from models.data import ModelData
from models.solution import ModelSize, Solution, SolveOptions, Status, relative_gap

# Above this many nonzeros a cold solve uses interior point (+ crossover); below, dual simplex.
# Measured in benchmarks/bench_engines.py; see docs/formulation.md.
IPM_ABOVE_NONZEROS = 2_000_000


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
    """The LP of ``docs/formulation.md``: variables, then each constraint family in order."""
    builder = _Builder()
    define_variables(builder, data)
    define_stock_balance(builder, data)
    define_stockpile_floor(builder, data)
    define_window_total(builder, data)
    define_country_share_cap(builder, data)
    define_expansion_capacity(builder, data)
    define_exclusive_options(builder, data)
    define_option_requires(builder, data)
    define_contract_volume(builder, data)
    define_contract_paid(builder, data)
    define_take_or_pay(builder, data)
    define_annual_budget(builder, data)
    return builder.finish()


def define_variables(b: _Builder, data: ModelData) -> None:
    """arrive in [0, capacity]; stock in [0, storage capacity]; shortfall >= 0; total >= 0;
    run in [0, capacity] (an option's run is bounded by its expansion-capacity row instead);
    sell in [0, market limit]; dispose >= 0; paid >= 0; build and sign in {0, 1}.

    The objective: landed cost x arrive (a contracted tonne's price is carried by ``paid``,
    duty and freight stay on its arrival) + holding x stock + penalty x shortfall + operating
    cost x run - sale price x sell + disposal cost x dispose + contract price x paid + capital
    charge x build + fixed cost x sign.
    """
    arrive, stock, chain = data.arrive, data.stock, data.chain
    contracted = arrive["contract_k"].to_numpy() >= 0
    arrive_cost = arrive["landed_usd_per_t"].to_numpy() - np.where(
        contracted, arrive["price_usd_per_t"].to_numpy(), 0.0
    )
    b.add_columns("arrive", arrive_cost, 0.0, arrive["capacity_t_per_month"])
    b.add_columns("stock", stock["holding_cost_usd_per_t_month"], 0.0, stock["storage_capacity_t"])
    b.add_columns("shortfall", data.shortfall["shortfall_penalty_usd_per_t"], 0.0, np.inf)
    b.add_columns("total", np.zeros(len(data.totals)), 0.0, np.inf)
    units, runs = chain.units, chain.runs
    u = runs["u"].to_numpy(dtype=int)
    existing = units["o"].to_numpy(dtype=int)[u] < 0
    run_upper = np.where(existing, units["capacity_t_per_month"].to_numpy(dtype=float)[u], np.inf)
    b.add_columns("run", units["operating_cost_usd_per_t"].to_numpy(dtype=float)[u], 0.0, run_upper)
    sales = chain.sales
    b.add_columns(
        "sell",
        -sales["sale_price_usd_per_t"].to_numpy(dtype=float),
        0.0,
        sales["sale_limit_t_per_month"].to_numpy(dtype=float),
    )
    b.add_columns("dispose", chain.disposals["disposal_cost_usd_per_t"], 0.0, np.inf)
    k = chain.paid["k"].to_numpy(dtype=int)
    b.add_columns("paid", chain.contracts["price_usd_per_t"].to_numpy(dtype=float)[k], 0.0, np.inf)
    b.add_columns("build", chain.options["capital_in_horizon_usd"], 0.0, 1.0, binary=True)
    b.add_columns("sign", chain.contracts["fixed_cost_usd"], 0.0, 1.0, binary=True)


def define_stock_balance(b: _Builder, data: ModelData) -> None:
    """stock[m,t] - stock[m,t-1] - sum_s arrive[m,s,t] - shortfall[m,t] = -demand[m,t],
    with stock[m,-1] = initial_stock[m] moved to the right-hand side."""
    n_materials, n_months = data.shape
    rhs = -data.stock["demand_t"].to_numpy(dtype=float)
    rhs[::n_months] += data.initial_stock_t
    first = b.add_rows(fam.STOCK_BALANCE, rhs, rhs)
    stock_col = b.columns["stock"].start
    cells = np.arange(n_materials * n_months)
    b.add_entries(first + cells, stock_col + cells, 1.0)
    carried = cells[cells % n_months != 0]
    b.add_entries(first + carried, stock_col + carried - 1, -1.0)
    arrive = data.arrive
    arrive_row = arrive["m"].to_numpy() * n_months + arrive["t"].to_numpy()
    b.add_entries(first + arrive_row, b.columns["arrive"].start + np.arange(len(arrive)), -1.0)
    short = data.shortfall
    short_row = short["m"].to_numpy() * n_months + short["t"].to_numpy()
    b.add_entries(first + short_row, b.columns["shortfall"].start + np.arange(len(short)), -1.0)
    lines = _run_lines(data)  # a unit's outputs add to stock, its inputs take from it
    b.add_entries(
        first + lines["m"] * n_months + lines["t"],
        b.columns["run"].start + lines["run"],
        -lines["coefficient"],
    )
    for block, outlet in (("sell", data.chain.sales), ("dispose", data.chain.disposals)):
        cell = outlet["m"].to_numpy(dtype=int) * n_months + outlet["t"].to_numpy(dtype=int)
        b.add_entries(first + cell, b.columns[block].start + np.arange(len(outlet)), 1.0)


def _run_lines(data: ModelData, outputs_only: bool = False) -> dict[str, np.ndarray]:
    """One entry per (run variable, recipe line): run column, material, month, coefficient."""
    chain = data.chain
    recipe = chain.recipe[chain.recipe["coefficient"] > 0] if outputs_only else chain.recipe
    runs = chain.runs.assign(run=np.arange(len(chain.runs)))
    lines = runs.merge(recipe[["u", "m", "coefficient"]], on="u", how="inner")
    return {
        "run": lines["run"].to_numpy(dtype=np.int64),
        "u": lines["u"].to_numpy(dtype=np.int64),
        "m": lines["m"].to_numpy(dtype=np.int64),
        "t": lines["t"].to_numpy(dtype=np.int64),
        "coefficient": lines["coefficient"].to_numpy(dtype=float),
    }


def define_stockpile_floor(b: _Builder, data: ModelData) -> None:
    """stock[m,t] >= cover_months[m] * demand[m,t] for t from stockpile_from on."""
    floors = data.floors
    first = b.add_rows(fam.STOCKPILE_FLOOR, floors["floor_t"], np.inf)
    cell = floors["m"].to_numpy() * data.shape[1] + floors["t"].to_numpy()
    b.add_entries(first + np.arange(len(floors)), b.columns["stock"].start + cell, 1.0)


def define_window_total(b: _Builder, data: ModelData) -> None:
    """total[m,w] - sum_{s, t in w} arrive[m,s,t] = 0, for each capped (material, window)."""
    totals = data.totals
    first = b.add_rows(fam.WINDOW_TOTAL, np.zeros(len(totals)), 0.0)
    b.add_entries(first + np.arange(len(totals)), b.columns["total"].start + totals.index, 1.0)
    n_windows = len(data.windows)
    lookup = np.full(len(data.materials) * n_windows, -1)
    lookup[totals["m"].to_numpy() * n_windows + totals["w"].to_numpy()] = totals.index
    arrive_window = data.window_of_month[data.arrive["t"].to_numpy()]
    total_of_arrive = lookup[data.arrive["m"].to_numpy() * n_windows + arrive_window]
    counted = np.flatnonzero(total_of_arrive >= 0)
    b.add_entries(first + total_of_arrive[counted], b.columns["arrive"].start + counted, -1.0)
    made = _run_lines(data, outputs_only=True)  # domestic output is supply too
    total_of_line = lookup[made["m"] * n_windows + data.window_of_month[made["t"]]]
    counted = np.flatnonzero(total_of_line >= 0)
    b.add_entries(
        first + total_of_line[counted],
        b.columns["run"].start + made["run"][counted],
        -made["coefficient"][counted],
    )


def define_country_share_cap(b: _Builder, data: ModelData) -> None:
    """sum_{s in c, t in w} arrive[m,s,t] - max_share * total[m,w] <= 0."""
    caps = data.caps
    first = b.add_rows(fam.COUNTRY_SHARE_CAP, np.full(len(caps), -np.inf), 0.0)
    cap_rows = first + np.arange(len(caps))
    b.add_entries(cap_rows, b.columns["total"].start + caps["total"].to_numpy(), -caps["max_share"])
    # Each arrival joins the cap row of its (material, window, country), if there is one.
    arrive = data.arrive
    countries = pd.Index(caps["country"].unique())
    n_windows, n_countries = len(data.windows), max(len(countries), 1)
    lookup = np.full(len(data.materials) * n_windows * n_countries, -1)
    cap_key = (caps["m"] * n_windows + caps["w"]) * n_countries + countries.get_indexer(
        caps["country"]
    )
    lookup[cap_key.to_numpy()] = np.arange(len(caps))
    country = countries.get_indexer(arrive["country"])
    window = data.window_of_month[arrive["t"].to_numpy()]
    arrive_key = (arrive["m"].to_numpy() * n_windows + window) * n_countries + country
    row = np.where(country >= 0, lookup[np.where(country >= 0, arrive_key, 0)], -1)
    member = np.flatnonzero(row >= 0)
    b.add_entries(first + row[member], b.columns["arrive"].start + member, 1.0)
    made = _run_lines(data, outputs_only=True)  # a unit's output counts for its country
    country = countries.get_indexer(data.chain.units["country"].to_numpy()[made["u"]])
    key = (made["m"] * n_windows + data.window_of_month[made["t"]]) * n_countries + country
    row = np.where(country >= 0, lookup[np.where(country >= 0, key, 0)], -1)
    member = np.flatnonzero(row >= 0)
    b.add_entries(
        first + row[member],
        b.columns["run"].start + made["run"][member],
        made["coefficient"][member],
    )


def define_expansion_capacity(b: _Builder, data: ModelData) -> None:
    """run[u,t] - capacity[u] * build[o] <= 0 for each month an option's unit may run."""
    chain = data.chain
    u = chain.runs["u"].to_numpy(dtype=int)
    option = chain.units["o"].to_numpy(dtype=int)[u]
    runs = np.flatnonzero(option >= 0)
    first = b.add_rows(fam.EXPANSION_CAPACITY, np.full(len(runs), -np.inf), 0.0)
    rows = first + np.arange(len(runs))
    b.add_entries(rows, b.columns["run"].start + runs, 1.0)
    capacity = chain.units["capacity_t_per_month"].to_numpy(dtype=float)[u[runs]]
    b.add_entries(rows, b.columns["build"].start + option[runs], -capacity)


def define_exclusive_options(b: _Builder, data: ModelData) -> None:
    """sum_{o in g} build[o] <= 1 for each exclusive group g of two or more options."""
    groups = data.chain.options["exclusive_group"]
    codes, labels = pd.factorize(groups, use_na_sentinel=True)
    counts = np.bincount(codes[codes >= 0], minlength=len(labels))
    kept = np.flatnonzero(counts >= 2)
    if len(labels) == 0:
        b.add_rows(fam.EXCLUSIVE_OPTIONS, np.zeros(0), 1.0)
        return
    first = b.add_rows(fam.EXCLUSIVE_OPTIONS, np.full(len(kept), -np.inf), 1.0)
    row_of_group = np.full(len(labels), -1)
    row_of_group[kept] = np.arange(len(kept))
    member = np.flatnonzero((codes >= 0) & (row_of_group[np.maximum(codes, 0)] >= 0))
    b.add_entries(first + row_of_group[codes[member]], b.columns["build"].start + member, 1.0)


def define_option_requires(b: _Builder, data: ModelData) -> None:
    """build[o] - build[r] <= 0 for each option o that requires option r."""
    requires = data.chain.options["requires"].to_numpy(dtype=int)
    options = np.flatnonzero(requires >= 0)
    first = b.add_rows(fam.OPTION_REQUIRES, np.full(len(options), -np.inf), 0.0)
    rows = first + np.arange(len(options))
    b.add_entries(rows, b.columns["build"].start + options, 1.0)
    b.add_entries(rows, b.columns["build"].start + requires[options], -1.0)


def _contract_arrivals(data: ModelData) -> tuple[np.ndarray, np.ndarray]:
    """Arrive columns of contracted tonnes and the paid row (contract, month) each belongs to."""
    arrive = data.arrive
    columns = np.flatnonzero(arrive["contract_k"].to_numpy() >= 0)
    paid = data.chain.paid
    position = pd.Series(np.arange(len(paid)), index=pd.MultiIndex.from_frame(paid[["k", "t"]]))
    keys = pd.MultiIndex.from_arrays(
        [arrive["contract_k"].to_numpy()[columns], arrive["t"].to_numpy()[columns]]
    )
    return columns, position.reindex(keys).to_numpy(dtype=int) if len(columns) else columns


def define_contract_volume(b: _Builder, data: ModelData) -> None:
    """sum_m arrive[k,m,t] - max_t_per_month[k] * sign[k] <= 0 for each month of a contract."""
    paid, contracts = data.chain.paid, data.chain.contracts
    first = b.add_rows(fam.CONTRACT_VOLUME, np.full(len(paid), -np.inf), 0.0)
    columns, row = _contract_arrivals(data)
    b.add_entries(first + row, b.columns["arrive"].start + columns, 1.0)
    k = paid["k"].to_numpy(dtype=int)
    volume = contracts["max_t_per_month"].to_numpy(dtype=float)[k]
    b.add_entries(first + np.arange(len(paid)), b.columns["sign"].start + k, -volume)


def define_contract_paid(b: _Builder, data: ModelData) -> None:
    """paid[k,t] - sum_m arrive[k,m,t] >= 0: every contracted tonne taken is paid for."""
    paid = data.chain.paid
    first = b.add_rows(fam.CONTRACT_PAID, np.zeros(len(paid)), np.inf)
    b.add_entries(first + np.arange(len(paid)), b.columns["paid"].start + np.arange(len(paid)), 1.0)
    columns, row = _contract_arrivals(data)
    b.add_entries(first + row, b.columns["arrive"].start + columns, -1.0)


def define_take_or_pay(b: _Builder, data: ModelData) -> None:
    """paid[k,t] - min_t_per_month[k] * sign[k] >= 0: a signed contract's minimum is paid."""
    paid, contracts = data.chain.paid, data.chain.contracts
    k = paid["k"].to_numpy(dtype=int)
    minimum = contracts["min_t_per_month"].to_numpy(dtype=float)[k]
    kept = np.flatnonzero(minimum > 0)
    first = b.add_rows(fam.TAKE_OR_PAY, np.zeros(len(kept)), np.inf)
    rows = first + np.arange(len(kept))
    b.add_entries(rows, b.columns["paid"].start + kept, 1.0)
    b.add_entries(rows, b.columns["sign"].start + k[kept], -minimum[kept])


def define_annual_budget(b: _Builder, data: ModelData) -> None:
    """For each calendar year: spot purchases + contract payments, duty and freight + operating
    costs + contracts' fixed costs + capital charged in the year <= the budget."""
    budget, chain = data.chain.budget, data.chain
    if budget.empty:
        b.add_rows(fam.ANNUAL_BUDGET, np.zeros(0), np.inf)
        return
    year_of_month = budget_year_of_month(data)
    first = b.add_rows(fam.ANNUAL_BUDGET, np.full(len(budget), -np.inf), budget["limit_usd"])
    spend = {
        "arrive": (data.arrive["t"].to_numpy(dtype=int), b.cost_of("arrive")),
        "run": (chain.runs["t"].to_numpy(dtype=int), b.cost_of("run")),
        "paid": (chain.paid["t"].to_numpy(dtype=int), b.cost_of("paid")),
    }
    for block, (t, cost) in spend.items():
        b.add_entries(first + year_of_month[t], b.columns[block].start + np.arange(len(t)), cost)
    fixed_t = chain.contracts["fixed_t"].to_numpy(dtype=int)
    b.add_entries(
        first + year_of_month[fixed_t],
        b.columns["sign"].start + np.arange(len(fixed_t)),
        chain.contracts["fixed_cost_usd"],
    )
    capital = chain.capital_by_month  # (options, months) -> (options, years)
    by_year = np.zeros((len(capital), len(budget)))
    for t, y in enumerate(year_of_month):
        by_year[:, y] += capital[:, t] if len(capital) else 0.0
    o, y = np.nonzero(by_year)
    b.add_entries(first + y, b.columns["build"].start + o, by_year[o, y])


def budget_year_of_month(data: ModelData) -> np.ndarray:
    """Each month's position among the budget's calendar years (its row, from the first)."""
    year_index = {year: i for i, year in enumerate(data.chain.budget["year"])}
    return np.array([year_index[month[:4]] for month in data.months], dtype=int)


def choose_algorithm(algorithm: str, nonzeros: int) -> str:
    """Dual simplex for small models, interior point with crossover for large cold solves."""
    if algorithm != "auto":
        return algorithm
    return "ipm" if nonzeros > IPM_ABOVE_NONZEROS else "simplex"


@contextmanager
def _quiet_stdout():
    """Silence HiGHS's banner, which its constructor prints from C++ straight to fd 1."""
    try:
        saved = os.dup(1)
    except OSError:
        yield
        return
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def new_highs(options: SolveOptions, algorithm: str) -> highspy.Highs:
    """A HiGHS instance with our options; deterministic for the same model and options."""
    with _quiet_stdout():
        highs = highspy.Highs()
    highs.setOptionValue("output_flag", options.verbose)
    highs.setOptionValue("solver", algorithm)
    highs.setOptionValue("random_seed", 0)
    if algorithm == "ipm":
        highs.setOptionValue("run_crossover", "on")
    if options.time_limit_s is not None:
        highs.setOptionValue("time_limit", float(options.time_limit_s))
    if options.mip_rel_gap is not None:
        highs.setOptionValue("mip_rel_gap", float(options.mip_rel_gap))
    if options.threads is not None:
        # HiGHS keeps one thread pool per process, sized by the first solve; a different size
        # needs a fresh pool (safe here: solves in one process run one after another).
        highs.resetGlobalScheduler(True)
        highs.setOptionValue("threads", int(options.threads))
    return highs


def pass_model(highs: highspy.Highs, lp: LinearProgram) -> None:
    matrix = lp.matrix
    status = highs.passModel(
        len(lp.cost),
        len(lp.row_lower),
        int(matrix.nnz),
        int(highspy.MatrixFormat.kColwise),
        int(highspy.ObjSense.kMinimize),
        0.0,
        lp.cost,
        np.ascontiguousarray(lp.col_lower),
        np.ascontiguousarray(lp.col_upper),
        lp.row_lower,
        np.ascontiguousarray(lp.row_upper),
        matrix.indptr.astype(np.int32),
        matrix.indices.astype(np.int32),
        matrix.data.astype(float),
        np.ascontiguousarray(lp.integrality, dtype=np.int32),  # 1: yes/no decisions
    )
    if status == highspy.HighsStatus.kError:
        raise RuntimeError("HiGHS rejected the model")


def run(highs: highspy.Highs) -> None:
    """``highs.run()``; when presolve finds the model infeasible *or* unbounded, once more
    without presolve, which tells which. (By-product sales have negative costs, so an unlimited
    market can make the model unbounded.)"""
    highs.run()
    if highs.getModelStatus() == highspy.HighsModelStatus.kUnboundedOrInfeasible:
        highs.setOptionValue("presolve", "off")
        highs.run()
        highs.setOptionValue("presolve", "choose")  # HiGHS's default, which new_highs keeps


def solve(data: ModelData, options: SolveOptions | None = None) -> Solution:
    """Build the model, solve it with HiGHS and return the solution aligned with ``data``.

    A model with yes/no decisions is solved as a MIP (branch and cut); its duals and cost
    ranging are then those of the LP with every decision fixed at its chosen value.
    """
    options = options or SolveOptions()
    started = time.perf_counter()
    lp = build_model(data)
    algorithm = "mip" if lp.is_mip else choose_algorithm(options.algorithm, lp.size.nonzeros)
    highs = new_highs(options, "choose" if lp.is_mip else algorithm)
    pass_model(highs, lp)
    built = time.perf_counter()
    run(highs)
    solved = time.perf_counter()
    solution = read_solution(highs, lp)
    if lp.is_mip:
        _read_mip(highs, lp, solution)
    solution.build_seconds = built - started
    solution.solve_seconds = solved - built
    solution.read_seconds = time.perf_counter() - solved - solution.ranging_seconds
    solution.algorithm = algorithm
    return solution


def _read_mip(highs: highspy.Highs, lp: LinearProgram, solution: Solution) -> None:
    """The gap and best bound reached; with a plan, duals and ranging from the fixed LP."""
    info = highs.getInfo()
    solution.mip_gap = float(info.mip_gap) if np.isfinite(info.mip_gap) else None
    solution.best_bound = float(info.mip_dual_bound) if np.isfinite(info.mip_dual_bound) else None
    if not solution.has_plan:
        return
    values = np.asarray(highs.getSolution().col_value)
    decisions = np.flatnonzero(lp.integrality)
    chosen = np.round(values[decisions])
    highs.changeColsIntegrality(
        len(decisions), decisions.astype(np.int32), np.zeros(len(decisions), dtype=np.uint8)
    )
    highs.changeColsBounds(len(decisions), decisions.astype(np.int32), chosen, chosen)
    highs.setOptionValue("solver", "simplex")
    highs.setOptionValue("time_limit", highspy.kHighsInf)
    highs.run()
    fixed = read_solution(highs, lp, mip=False)
    if fixed.status != Status.OPTIMAL:
        return  # keep the MIP's plan without duals
    # The plan too is the fixed LP's: the best plan for the chosen decisions, which the duals
    # describe (a MIP stopped at a gap may have carried a slightly dearer one).
    for block in VALUE_BLOCKS:
        if block not in ("build", "sign"):
            setattr(solution, block, getattr(fixed, block))
    solution.objective = fixed.objective
    solution.mip_gap = relative_gap(fixed.objective, solution.best_bound)
    solution.row_duals, solution.bound_duals = fixed.row_duals, fixed.bound_duals
    solution.arrive_cost_low = fixed.arrive_cost_low
    solution.arrive_cost_high = fixed.arrive_cost_high
    solution.ranging_seconds = fixed.ranging_seconds
    solution.duals_from_fixed_lp = True


_LIMITS = {
    highspy.HighsModelStatus.kTimeLimit,
    highspy.HighsModelStatus.kIterationLimit,
    highspy.HighsModelStatus.kSolutionLimit,
    highspy.HighsModelStatus.kInterrupt,
    highspy.HighsModelStatus.kObjectiveBound,
    highspy.HighsModelStatus.kObjectiveTarget,
}


def status_of(highs: highspy.Highs) -> tuple[Status, str]:
    """Our status and HiGHS's own words for how the run ended."""
    model_status = highs.getModelStatus()
    words = highs.modelStatusToString(model_status)
    if model_status == highspy.HighsModelStatus.kOptimal:
        return Status.OPTIMAL, words
    if model_status == highspy.HighsModelStatus.kInfeasible:
        return Status.INFEASIBLE, words
    if model_status == highspy.HighsModelStatus.kUnbounded:
        return Status.UNBOUNDED, words
    if model_status in _LIMITS:
        return Status.LIMIT, words
    return Status.ERROR, words


def read_solution(
    highs: highspy.Highs, lp: LinearProgram, ranging: bool = True, mip: bool | None = None
) -> Solution:
    """Values and duals by family (and cost ranging unless ``ranging`` is false); no plan
    unless the solution is primal feasible. A MIP (``mip``, by default ``lp.is_mip``) has no
    duals of its own."""
    mip = lp.is_mip if mip is None else mip
    status, words = status_of(highs)
    info = highs.getInfo()
    feasible = info.primal_solution_status == 2  # kSolutionStatusFeasible
    solution = Solution(
        status=status,
        termination=words,
        size=lp.size,
        engine="highs",
        solver=f"HiGHS {highs.version()}",
    )
    if status not in (Status.OPTIMAL, Status.LIMIT) or not feasible:
        return solution
    result = highs.getSolution()
    values = np.asarray(result.col_value)
    solution.objective = float(highs.getInfo().objective_function_value)
    for block in VALUE_BLOCKS:
        setattr(solution, block, values[lp.columns[block]])
    if lp.is_mip:
        solution.build = np.round(solution.build) + 0.0
        solution.sign = np.round(solution.sign) + 0.0
    if status == Status.OPTIMAL and result.dual_valid and not mip:
        row_dual = np.asarray(result.row_dual)
        col_dual = np.asarray(result.col_dual)
        for family in fam.ROW_FAMILIES:
            solution.row_duals[family] = row_dual[lp.rows[family]]
        for family, block in BOUND_BLOCKS.items():
            cols = lp.columns[block]
            solution.bound_duals[family] = _upper_bound_dual(
                values[cols], lp.col_upper[cols], col_dual[cols]
            )
        if ranging:
            _read_cost_ranging(highs, lp, solution)
    return solution


VALUE_BLOCKS = ("arrive", "stock", "shortfall", "run", "sell", "dispose", "paid", "build", "sign")
BOUND_BLOCKS = {
    fam.OFFER_CAPACITY: "arrive",
    fam.STORAGE_CAPACITY: "stock",
    fam.PROCESS_CAPACITY: "run",
    fam.SALES_LIMIT: "sell",
}


def _read_cost_ranging(highs: highspy.Highs, lp: LinearProgram, solution: Solution) -> None:
    """Cost ranging of the arrive columns, when HiGHS has a basis to range from."""
    started = time.perf_counter()
    status, ranging = highs.getRanging()
    solution.ranging_seconds = time.perf_counter() - started
    if status != highspy.HighsStatus.kOk or not ranging.valid:
        return
    arrive = lp.columns["arrive"]
    solution.arrive_cost_low = np.asarray(ranging.col_cost_dn.value_)[arrive]
    solution.arrive_cost_high = np.asarray(ranging.col_cost_up.value_)[arrive]


def _upper_bound_dual(values: np.ndarray, upper: np.ndarray, reduced: np.ndarray) -> np.ndarray:
    """d(objective)/d(upper bound): the reduced cost of variables resting at their upper bound."""
    finite = np.isfinite(upper)
    bound = np.where(finite, upper, 0.0)
    at_upper = finite & (values >= bound - 1e-9 * np.maximum(1.0, np.abs(bound)))
    return np.where(at_upper & (reduced < 0), reduced, 0.0)


def write_model(data: ModelData, path: str | Path, names: bool = True) -> None:
    """Write the LP as an MPS or LP file (by extension), with readable names unless ``names``
    is false (HiGHS then writes c0, c1, ... and r0, r1, ...)."""
    lp = build_model(data)
    highs = new_highs(SolveOptions(), "simplex")
    pass_model(highs, lp)
    if names:
        for index, name in enumerate(column_names(data)):
            highs.passColName(index, name)
        for index, name in enumerate(row_names(data)):
            highs.passRowName(index, name)
    if highs.writeModel(str(path)) == highspy.HighsStatus.kError:
        raise OSError(f"HiGHS could not write the model to {path}")


def _names(prefix: str, *parts: pd.Series) -> list[str]:
    if len(parts[0]) == 0:
        return []
    joined = pd.Series(parts[0]).astype(str).reset_index(drop=True)
    parts = tuple(pd.Series(part).reset_index(drop=True) for part in parts)
    for part in parts[1:]:
        joined = joined + "," + part.astype(str)
    cleaned = joined.str.replace(r"[^A-Za-z0-9_.,()]", "_", regex=True)  # what LP files accept
    return (prefix + "(" + cleaned + ")").tolist()


def column_names(data: ModelData) -> list[str]:
    chain, arrive = data.chain, data.arrive
    k = arrive["contract_k"].to_numpy(dtype=int)
    contracts = chain.contracts["contract"].to_numpy(dtype=object)
    via = arrive["supplier"].to_numpy(dtype=object).copy()  # a contract's tonnes: its name
    via[k >= 0] = contracts[k[k >= 0]]
    names = (
        _names("arrive", arrive["material"], pd.Series(via), arrive["month"])
        + _names("stock", data.stock["material"], data.stock["month"])
        + _names("shortfall", data.shortfall["material"], data.shortfall["month"])
        + _names("total", data.totals["material"], data.totals["window"])
        + _names("run", chain.runs["unit"], chain.runs["month"])
        + _names("sell", chain.sales["material"], chain.sales["month"])
        + _names("dispose", chain.disposals["material"], chain.disposals["month"])
        + _names("paid", chain.paid["contract"], chain.paid["month"])
        + _names("build", chain.options["option"])
        + _names("sign", chain.contracts["contract"])
    )
    return _unique(names)


def row_names(data: ModelData) -> list[str]:
    chain = data.chain
    option_runs = chain.runs[chain.units["o"].to_numpy(dtype=int)[chain.runs["u"]] >= 0]
    groups = chain.options["exclusive_group"].dropna()
    groups = groups[groups.duplicated(keep=False)].drop_duplicates()
    requiring = chain.options[chain.options["requires"] >= 0]
    with_minimum = chain.paid[
        chain.contracts["min_t_per_month"].to_numpy(dtype=float)[chain.paid["k"]] > 0
    ]
    names = (
        _names("balance", data.stock["material"], data.stock["month"])
        + _names("floor", data.floors["material"], data.floors["month"])
        + _names("window_total", data.totals["material"], data.totals["window"])
        + _names("share_cap", data.caps["material"], data.caps["country"], data.caps["window"])
        + _names("expansion", option_runs["unit"], option_runs["month"])
        + _names("exclusive", groups)
        + _names("requires", requiring["option"])
        + _names("contract_volume", chain.paid["contract"], chain.paid["month"])
        + _names("contract_paid", chain.paid["contract"], chain.paid["month"])
        + _names("take_or_pay", with_minimum["contract"], with_minimum["month"])
        + _names("budget", chain.budget["year"])
    )
    return _unique(names)


def _unique(names: list[str]) -> list[str]:
    """Sanitised names can collide (``a-b`` and ``a_b``): then suffix every name's position."""
    if len(set(names)) == len(names):
        return names
    return [f"{name}_{i}" for i, name in enumerate(names)]
