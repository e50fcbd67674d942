"""The fast engine: the LP assembled as sparse arrays with numpy/scipy and passed to HiGHS in one
call.

Columns, in order: ``arrive`` (one per row of ``ModelData.arrive``), ``stock`` (material-major,
``m * T + t``), ``shortfall`` (one per row of ``ModelData.shortfall``) and ``total`` (one per
window-total). Rows follow the constraint families in the order of ``build_model``.
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

from . import families as fam
from .data import ModelData
from .solution import ModelSize, Solution, SolveOptions, Status

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

    @property
    def size(self) -> ModelSize:
        return ModelSize(len(self.cost), len(self.row_lower), int(self.matrix.nnz))


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
    n_cols: int = 0
    n_rows: int = 0

    def add_columns(self, name: str, cost, lower, upper) -> int:
        first = self.n_cols
        self.cost.append(np.asarray(cost, dtype=float))
        self.lower.append(np.broadcast_to(np.asarray(lower, dtype=float), len(self.cost[-1])))
        self.upper.append(np.broadcast_to(np.asarray(upper, dtype=float), len(self.cost[-1])))
        self.n_cols += len(self.cost[-1])
        self.columns[name] = slice(first, self.n_cols)
        return first

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
            (rows, np.asarray(cols, dtype=np.int64), np.broadcast_to(values, len(rows)))
        )

    def finish(self) -> LinearProgram:
        rows, cols, values = (np.concatenate(parts) for parts in zip(*self.entries, strict=True))
        matrix = sp.csc_matrix((values, (rows, cols)), shape=(self.n_rows, self.n_cols))
        matrix.sum_duplicates()
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
        )


def build_model(data: ModelData) -> LinearProgram:
    """The LP of ``docs/formulation.md``: variables, then each constraint family in order."""
    builder = _Builder()
    define_variables(builder, data)
    define_stock_balance(builder, data)
    define_stockpile_floor(builder, data)
    define_window_total(builder, data)
    define_country_share_cap(builder, data)
    return builder.finish()


def define_variables(b: _Builder, data: ModelData) -> None:
    """arrive in [0, capacity]; stock in [0, storage capacity]; shortfall >= 0; total >= 0.

    The objective: landed cost x arrive + holding cost x stock + penalty x shortfall.
    """
    arrive, stock = data.arrive, data.stock
    b.add_columns("arrive", arrive["landed_usd_per_t"], 0.0, arrive["capacity_t_per_month"])
    b.add_columns("stock", stock["holding_cost_usd_per_t_month"], 0.0, stock["storage_capacity_t"])
    b.add_columns("shortfall", data.shortfall["shortfall_penalty_usd_per_t"], 0.0, np.inf)
    b.add_columns("total", np.zeros(len(data.totals)), 0.0, np.inf)


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
        np.zeros(len(lp.cost), dtype=np.int32),  # every column continuous
    )
    if status == highspy.HighsStatus.kError:
        raise RuntimeError("HiGHS rejected the model")


def solve(data: ModelData, options: SolveOptions | None = None) -> Solution:
    """Build the LP, solve it with HiGHS and return the solution aligned with ``data``."""
    options = options or SolveOptions()
    started = time.perf_counter()
    lp = build_model(data)
    algorithm = choose_algorithm(options.algorithm, lp.size.nonzeros)
    highs = new_highs(options, algorithm)
    pass_model(highs, lp)
    built = time.perf_counter()
    highs.run()
    solved = time.perf_counter()
    solution = read_solution(highs, lp)
    solution.build_seconds = built - started
    solution.solve_seconds = solved - built
    solution.read_seconds = time.perf_counter() - solved - solution.ranging_seconds
    solution.algorithm = algorithm
    return solution


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
    if model_status in (
        highspy.HighsModelStatus.kInfeasible,
        # Costs and variables are non-negative, so the LP cannot be unbounded: it is infeasible.
        highspy.HighsModelStatus.kUnboundedOrInfeasible,
    ):
        return Status.INFEASIBLE, words
    if model_status == highspy.HighsModelStatus.kUnbounded:
        return Status.UNBOUNDED, words
    if model_status in _LIMITS:
        return Status.LIMIT, words
    return Status.ERROR, words


def read_solution(highs: highspy.Highs, lp: LinearProgram, ranging: bool = True) -> Solution:
    """Values and duals by family (and cost ranging unless ``ranging`` is false); no plan
    unless the solution is primal feasible."""
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
    solution.arrive = values[lp.columns["arrive"]]
    solution.stock = values[lp.columns["stock"]]
    solution.shortfall = values[lp.columns["shortfall"]]
    if status == Status.OPTIMAL and result.dual_valid:
        row_dual = np.asarray(result.row_dual)
        col_dual = np.asarray(result.col_dual)
        for family in (fam.STOCK_BALANCE, fam.STOCKPILE_FLOOR, fam.COUNTRY_SHARE_CAP):
            solution.row_duals[family] = row_dual[lp.rows[family]]
        for family, block in ((fam.OFFER_CAPACITY, "arrive"), (fam.STORAGE_CAPACITY, "stock")):
            cols = lp.columns[block]
            solution.bound_duals[family] = _upper_bound_dual(
                values[cols], lp.col_upper[cols], col_dual[cols]
            )
        if ranging:
            _read_cost_ranging(highs, lp, solution)
    return solution


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
    joined = parts[0].astype(str)
    for part in parts[1:]:
        joined = joined + "," + part.astype(str)
    cleaned = joined.str.replace(r"[^A-Za-z0-9_.,()]", "_", regex=True)  # what LP files accept
    return (prefix + "(" + cleaned + ")").tolist()


def column_names(data: ModelData) -> list[str]:
    names = (
        _names("arrive", data.arrive["material"], data.arrive["supplier"], data.arrive["month"])
        + _names("stock", data.stock["material"], data.stock["month"])
        + _names("shortfall", data.shortfall["material"], data.shortfall["month"])
        + _names("total", data.totals["material"], data.totals["window"])
    )
    return _unique(names)


def row_names(data: ModelData) -> list[str]:
    names = (
        _names("balance", data.stock["material"], data.stock["month"])
        + _names("floor", data.floors["material"], data.floors["month"])
        + _names("window_total", data.totals["material"], data.totals["window"])
        + _names("share_cap", data.caps["material"], data.caps["country"], data.caps["window"])
    )
    return _unique(names)


def _unique(names: list[str]) -> list[str]:
    """Sanitised names can collide (``a-b`` and ``a_b``): then suffix every name's position."""
    if len(set(names)) == len(names):
        return names
    return [f"{name}_{i}" for i, name in enumerate(names)]
