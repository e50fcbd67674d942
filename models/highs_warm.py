"""Re-solving one model many times: a sweep's points differ from the base scenario only in
numbers, so one HiGHS instance is kept and, for each point, only the costs, bounds, right-hand
sides and cap coefficients that differ are changed; HiGHS then starts from the previous
optimal basis (a warm start). A point that changes the model's structure (a variable or row
that must appear, a lead time, ...) rebuilds it.

The numbers are recomputed from the point's input tables through index maps taken from the
base :class:`ModelData` — the same resolution as ``compile_scenario`` (offers in effect, cap
overrides, cover x demand), done with numpy gathers instead of a fresh compile.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import highspy
import numpy as np
import pandas as pd

from models import families as fam
from models.costs import arrive_cost, landed_cost
from models.data import (
    ModelData,
    below_floor,
    closing_credits,
    compile_scenario,
    cover_months,
    cover_target,
)
from models.highs_build import LinearProgram, budget_year_of_month, build_model
from models.highs_engine import new_highs, pass_model, read_solution, run
from models.solution import Solution, SolveOptions

if TYPE_CHECKING:
    from optimizer.inputs.scenario import Scenario


@dataclass(frozen=True)
class Numbers:
    """Every number of the LP that a sweep may change."""

    cost: np.ndarray
    col_upper: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    cap_coefficient: np.ndarray  # -max_share of each cap row, on its total column


class WarmModel:
    """A HiGHS model kept across solves of scenarios that share the base's structure."""

    def __init__(self, scenario: Scenario, options: SolveOptions | None = None):
        self.options = options or SolveOptions()
        self.rebuilds = 0
        self._build(scenario)

    def _build(self, scenario: Scenario) -> None:
        self.scenario = scenario  # the scenario whose structure the model has
        self.data = self.point = compile_scenario(scenario)
        self.lp = build_model(self.data)
        self.highs = new_highs(self.options, "simplex")  # simplex: it can start from a basis
        pass_model(self.highs, self.lp)
        self.numbers = numbers_for(self.data, self.lp)
        self._cap_entries = _cap_entries(self.lp, self.data)
        self._budget_rows = _budget_rows(self.lp, self.data)

    def solve(self, scenario: Scenario) -> tuple[Solution, bool]:
        """Solve ``scenario``; the flag says whether it was a warm re-solve (else a rebuild).
        Afterwards ``point`` is the model data with this scenario's numbers (for its figures)."""
        started = time.perf_counter()
        warm = self.load(scenario)
        changed = time.perf_counter()
        run(self.highs)
        solved = time.perf_counter()
        solution = read_solution(self.highs, self.lp, ranging=False)
        solution.build_seconds = changed - started
        solution.solve_seconds = solved - changed
        solution.read_seconds = time.perf_counter() - solved
        solution.algorithm = "simplex"
        return solution, warm

    def load(self, scenario: Scenario) -> bool:
        """Give the model ``scenario``'s numbers without solving: changed in place (true; HiGHS
        keeps its basis) or, where the structure differs, rebuilt (false). Afterwards ``point``
        is the model data with this scenario's numbers."""
        point = point_data(scenario, self.scenario, self.data)
        if point is None:
            self.rebuilds += 1
            self._build(scenario)
            return False
        self._change(numbers_for(point, self.lp, base=self.numbers))
        self.point = point
        return True

    def _change(self, new: Numbers) -> None:
        """Push only what differs; HiGHS keeps its basis across these changes."""
        old, highs = self.numbers, self.highs
        cost = np.flatnonzero(new.cost != old.cost).astype(np.int32)
        if len(cost):
            highs.changeColsCost(len(cost), cost, new.cost[cost])
        upper = np.flatnonzero(new.col_upper != old.col_upper).astype(np.int32)
        if len(upper):
            highs.changeColsBounds(
                len(upper), upper, self.lp.col_lower[upper], new.col_upper[upper]
            )
        rows = np.flatnonzero((new.row_lower != old.row_lower) | (new.row_upper != old.row_upper))
        if len(rows):
            rows = rows.astype(np.int32)
            highs.changeRowsBounds(len(rows), rows, new.row_lower[rows], new.row_upper[rows])
        for k in np.flatnonzero(new.cap_coefficient != old.cap_coefficient):
            row, col = self._cap_entries[k]
            highs.changeCoeff(int(row), int(col), float(new.cap_coefficient[k]))
        if self._budget_rows is not None:  # an arrival's cost is also its budget coefficient
            for col in cost[cost < len(self._budget_rows)]:
                highs.changeCoeff(int(self._budget_rows[col]), int(col), float(new.cost[col]))
        self.numbers = new
        # The LP as HiGHS now holds it: read_solution finds the bound duals from its bounds.
        self.lp = replace(
            self.lp,
            cost=new.cost,
            col_upper=new.col_upper,
            row_lower=new.row_lower,
            row_upper=new.row_upper,
        )

    # Re-solving model data already compiled (optimizer.results.policy_probes).

    @classmethod
    def of_data(
        cls,
        scenario: Scenario,
        data: ModelData,
        options: SolveOptions | None = None,
        decisions: np.ndarray | None = None,
        relaxed: bool = False,
    ) -> WarmModel:
        """A warm model of ``data``, compiled from ``scenario`` (not compiled again). A MIP's
        yes/no decisions stay free (each solve is a branch and cut) unless ``decisions`` gives
        their values: then they are fixed and each solve is an LP, warm from the last basis.
        ``relaxed``: their integrality cleared, each solve the LP relaxation, warm (the bounds
        of the decisions are the caller's to set: ``models.mip_warm``)."""
        model = cls.__new__(cls)
        model.options = options or SolveOptions()
        model.rebuilds = 0
        model.scenario = scenario
        model.data = model.point = data
        model.lp = build_model(data)
        model.free = model.lp.is_mip and decisions is None and not relaxed
        model.highs = new_highs(model.options, "choose" if model.free else "simplex")
        pass_model(model.highs, model.lp)
        if model.lp.is_mip and not model.free:
            columns = np.flatnonzero(model.lp.integrality).astype(np.int32)
            continuous = np.zeros(len(columns), dtype=np.uint8)
            model.highs.changeColsIntegrality(len(columns), columns, continuous)
        if model.lp.is_mip and decisions is not None:
            values = np.asarray(decisions, dtype=float)
            model.highs.changeColsBounds(len(columns), columns, values, values)
        model.numbers = numbers_for(data, model.lp)
        model._cap_entries = _cap_entries(model.lp, data)
        model._budget_rows = _budget_rows(model.lp, data)
        return model

    @classmethod
    def adopt(
        cls,
        scenario: Scenario,
        data: ModelData,
        options: SolveOptions,
        highs: highspy.Highs,
        lp: LinearProgram,
    ) -> WarmModel:
        """A warm model of ``data`` around HiGHS's instance that has just solved ``lp``
        (``highs_engine.solve(keep=True)``): re-solves start from its basis. A MIP's instance
        there is the LP with the decisions fixed (:meth:`fixed_decisions` gives them)."""
        model = cls.__new__(cls)
        model.options, model.rebuilds, model.free = options, 0, False
        model.scenario, model.data, model.point = scenario, data, data
        model.lp, model.highs = lp, highs
        highs.setOptionValue("solver", "simplex")  # from the basis, whichever algorithm solved
        limit = options.time_limit_s
        highs.setOptionValue("time_limit", float(limit) if limit is not None else highspy.kHighsInf)
        if options.mip_rel_gap is not None:  # a branch and cut here is the caller's, at its gap
            highs.setOptionValue("mip_rel_gap", float(options.mip_rel_gap))
        values = np.asarray(highs.getSolution().col_value)
        model._decisions = np.round(values[np.flatnonzero(lp.integrality)])
        model.numbers = numbers_for(data, lp)
        model._cap_entries = _cap_entries(lp, data)
        model._budget_rows = _budget_rows(lp, data)
        return model

    def fixed_decisions(self) -> np.ndarray | None:
        """The yes/no values an adopted MIP instance holds fixed; None for other models."""
        return getattr(self, "_decisions", None)

    def solve_data(
        self, point: ModelData, start: np.ndarray | None = None, changed: set[str] | None = None
    ) -> Solution:
        """Solve with ``point``'s numbers: model data of the base's structure (from
        :func:`point_data` or ``ModelData.with_numbers``). ``start``: column values a MIP
        tries first (HiGHS ignores them where they are infeasible). ``changed``: the only
        fields in which ``point`` differs from the model's data, if known (fewer to re-read)."""
        self.load_data(point, changed)
        free = getattr(self, "free", False)  # a model built by __init__ solves by simplex
        if start is not None and free:
            columns = np.arange(len(start), dtype=np.int32)
            self.highs.setSolution(len(start), columns, np.asarray(start, dtype=float))
        run(self.highs)
        return read_solution(self.highs, self.lp, ranging=False, mip=free)

    def load_data(self, point: ModelData, changed: set[str] | None = None) -> None:
        """Give the model ``point``'s numbers without solving (as :meth:`solve_data`); HiGHS
        keeps its basis."""
        if changed is None:
            numbers = numbers_for(point, self.lp, base=self.numbers)
        else:
            numbers = self._numbers_changed(point, changed)
        self._change(numbers)
        self.point = point

    def _numbers_changed(self, point: ModelData, changed: set[str]) -> Numbers:
        """:func:`numbers_for` ``point`` where it differs from the model's data only in the
        fields ``changed``: the blocks and rows that read none of them keep the data's."""
        data, known = getattr(self, "_data_numbers", (None, None))
        if data is not self.data:
            known = numbers_for(self.data, self.lp)
            self._data_numbers = (self.data, known)
        cost, upper = known.cost.copy(), known.col_upper.copy()
        lower, row_upper = known.row_lower.copy(), known.row_upper.copy()
        for variable in fam.VARIABLES:
            if changed & set(variable.reads):
                columns = self.lp.columns[variable.name]
                cost[columns], upper[columns] = variable.cost(point), variable.bounds(point)
        for family in fam.row_families():
            if changed & set(family.reads):
                table, span = point.rows[family.name], self.lp.rows[family.name]
                lower[span] = table["lower"].to_numpy(dtype=float)
                row_upper[span] = table["upper"].to_numpy(dtype=float)
        share = point.rows[fam.COUNTRY_SHARE_CAP]["max_share"].to_numpy(dtype=float)
        return Numbers(cost, upper, lower, row_upper, -share)


def _cap_entries(lp: LinearProgram, data: ModelData) -> np.ndarray:
    """(row, column) of each cap row's entry on its window-total variable."""
    caps = data.rows[fam.COUNTRY_SHARE_CAP]
    rows = lp.rows[fam.COUNTRY_SHARE_CAP].start + np.arange(len(caps))
    cols = lp.columns["total"].start + caps["total"].to_numpy()
    return np.column_stack([rows, cols])


def _budget_rows(lp: LinearProgram, data: ModelData) -> np.ndarray | None:
    """The annual-budget row of each arrive column (arrive columns come first), if any."""
    if data.chain.budget.empty:
        return None
    assert lp.columns["arrive"].start == 0
    first = lp.rows[fam.ANNUAL_BUDGET].start
    return first + budget_year_of_month(data)[data.arrive["t"].to_numpy(dtype=int)]


def point_data(scenario: Scenario, base: Scenario, data: ModelData) -> ModelData | None:
    """``data`` with ``scenario``'s numbers (prices, capacities, demand, covers, shares, ...),
    or ``None`` when the scenario needs another structure (then the model must be rebuilt)."""
    demand = _demand_cells(scenario, data)
    if _structure_changes(scenario, base, data, demand):
        return None
    offers, suppliers, materials = scenario.offers, scenario.suppliers, scenario.materials
    offer_row, s = data.arrive["offer_row"].to_numpy(), data.arrive["s"].to_numpy()
    spot = offer_row >= 0  # contracted tonnes keep their contract's price (no offer row)
    row = np.maximum(offer_row, 0)
    price = np.where(
        spot,
        offers["price_usd_per_t"].to_numpy(dtype=float)[row],
        data.arrive["price_usd_per_t"].to_numpy(dtype=float),
    )
    capacity = np.where(
        spot,
        offers["capacity_t_per_month"].to_numpy(dtype=float)[row],
        data.arrive["capacity_t_per_month"].to_numpy(dtype=float),
    )
    tariff = suppliers["tariff_pct"].to_numpy(dtype=float)[s]
    freight = suppliers["freight_usd_per_t"].to_numpy(dtype=float)[s]
    arrive = data.arrive.assign(
        price_usd_per_t=price,
        tariff_pct=tariff,
        freight_usd_per_t=freight,
        landed_usd_per_t=landed_cost(price, tariff, freight),
        capacity_t_per_month=capacity,
    )
    arrive["arrive_cost_usd_per_t"] = arrive_cost(arrive)
    m = data.stock["m"].to_numpy()
    cover = cover_months(scenario)
    target = _targets(scenario, data, demand)
    stock = data.stock.assign(
        demand_t=demand,
        holding_cost_usd_per_t_month=materials["holding_cost_usd_per_t_month"].to_numpy(float)[m],
        storage_capacity_t=materials["storage_capacity_t"].to_numpy(dtype=float)[m],
        cover_months=cover[m],
        cover_target_t=target,
    )
    f = data.floors["m"].to_numpy()
    floors = data.floors.assign(
        cover_months=cover[f],
        floor_t=target[data.cell(data.floors)],
        floor_penalty_usd_per_t_month=materials["floor_penalty_usd_per_t_month"].to_numpy(float)[f],
    )
    penalty = materials["shortfall_penalty_usd_per_t"].to_numpy(dtype=float)
    share = scenario.country_caps["max_share"].to_numpy(dtype=float)[data.caps["share_row"]]
    return data.with_numbers(
        initial_stock_t=materials["initial_stock_t"].to_numpy(dtype=float),
        arrive=arrive,
        stock=stock,
        shortfall=data.shortfall.assign(
            shortfall_penalty_usd_per_t=penalty[data.shortfall["m"].to_numpy()],
            demand_t=demand[data.cell(data.shortfall)],
        ),
        floors=floors,
        caps=data.caps.assign(max_share=share),
        below=below_floor(floors),
        credits=closing_credits(scenario, arrive, floors, data.materials, len(data.months)),
    )


def _targets(scenario: Scenario, data: ModelData, demand: np.ndarray) -> np.ndarray:
    """Each (material, month) cell's stockpile target for the scenario's numbers."""
    m = data.stock["m"].to_numpy()
    fixed = scenario.materials["floor_t"].to_numpy(dtype=float)[m]
    return cover_target(cover_months(scenario)[m], demand, fixed)


# The model data a point changes (``point_data``); the rest keeps the base's numbers.
POINT_FIELDS = frozenset(
    {"initial_stock_t", "arrive", "stock", "shortfall", "floors", "caps", "below", "credits"}
)


def numbers_for(data: ModelData, lp: LinearProgram, base: Numbers | None = None) -> Numbers:
    """The LP's numbers from ``data`` (laid out as ``lp``), read from the registry as
    ``build_model`` reads them: every block's costs and upper bounds, every row's bounds, and
    the cap rows' coefficient on their window total. With ``base`` (the numbers of a point of
    the same structure), the blocks and rows that read nothing a point changes are copied."""
    size, rows = len(lp.cost), len(lp.row_lower)
    cost = base.cost.copy() if base else np.empty(size)
    upper = base.col_upper.copy() if base else np.empty(size)
    lower = base.row_lower.copy() if base else np.empty(rows)
    row_upper = base.row_upper.copy() if base else np.empty(rows)
    for variable in fam.VARIABLES:
        if base is None or POINT_FIELDS & set(variable.reads):
            columns = lp.columns[variable.name]
            cost[columns], upper[columns] = variable.cost(data), variable.bounds(data)
    for family in fam.row_families():
        if base is None or POINT_FIELDS & set(family.reads):
            table, span = data.rows[family.name], lp.rows[family.name]
            lower[span] = table["lower"].to_numpy(dtype=float)
            row_upper[span] = table["upper"].to_numpy(dtype=float)
    share = data.rows[fam.COUNTRY_SHARE_CAP]["max_share"].to_numpy(dtype=float)
    return Numbers(cost, upper, lower, row_upper, -share)


def _demand_cells(scenario: Scenario, data: ModelData) -> np.ndarray:
    """Demand per (material, month) cell, material-major, zero where demand.csv has no row."""
    demand = scenario.demand
    cells = data.cells.position(
        material=pd.Index(data.materials).get_indexer(demand["material"]),
        month=pd.Index(data.months).get_indexer(demand["month"]),
    )
    return np.bincount(cells, weights=demand["demand_t"].to_numpy(dtype=float),
                       minlength=len(data.stock))  # fmt: skip


def _structure_changes(
    scenario: Scenario, base: Scenario, data: ModelData, demand: np.ndarray
) -> bool:
    """Whether ``scenario`` needs variables or rows that ``data`` lacks, or drops some."""
    if _settings_differ(scenario, base) or _tables_reshaped(scenario, base):
        return True
    if _chain_differs(scenario, base):
        return True
    if not scenario.suppliers["lead_time_months"].equals(base.suppliers["lead_time_months"]):
        return True
    for penalty in ("shortfall_penalty_usd_per_t", "floor_penalty_usd_per_t_month"):
        if not scenario.materials[penalty].isna().equals(base.materials[penalty].isna()):
            return True  # a penalty set or cleared adds or drops variables
    return (
        _offer_appears(scenario, base)
        or _floor_appears(scenario, data, demand)
        or _cap_appears(scenario, base, data)
    )


CHAIN_TABLES = ("processes", "process_io", "expansions", "contracts")
OUTLET_COLUMNS = ("sale_price_usd_per_t", "sale_limit_t_per_month", "disposal_cost_usd_per_t")


def _chain_differs(scenario: Scenario, base: Scenario) -> bool:
    """Processing, options, contracts and outlets enter many coefficients (yields, capacities,
    capital charges): any change to them rebuilds the model (a sweep over them runs cold)."""
    if any(not scenario.table(name).equals(base.table(name)) for name in CHAIN_TABLES):
        return True
    columns = list(OUTLET_COLUMNS)
    return not scenario.materials[columns].equals(base.materials[columns])


def _settings_differ(scenario: Scenario, base: Scenario) -> bool:
    """Any setting but the default cover changes the structure."""
    return (
        scenario.settings.with_changes(stockpile_cover_months=base.settings.stockpile_cover_months)
        != base.settings
    )


def _tables_reshaped(scenario: Scenario, base: Scenario) -> bool:
    names = ("materials", "suppliers", "offers", "demand", "country_caps")
    return any(len(scenario.table(n)) != len(base.table(n)) for n in names)


def _offer_appears(scenario: Scenario, base: Scenario) -> bool:
    """An offer row whose zero capacity (no variables) becomes positive."""
    before = base.offers["capacity_t_per_month"].to_numpy(dtype=float)
    after = scenario.offers["capacity_t_per_month"].to_numpy(dtype=float)
    return bool(((before <= 0) & (after > 0)).any())


def _floor_appears(scenario: Scenario, data: ModelData, demand: np.ndarray) -> bool:
    """A month from stockpile_from on whose floor becomes positive without a floor row."""
    floor = _targets(scenario, data, demand)
    applies = (data.stock["month"] >= scenario.settings.floor_from).to_numpy()
    has_row = np.zeros(len(demand), dtype=bool)
    has_row[data.cell(data.floors)] = True
    return bool((applies & (floor > 0) & ~has_row).any())


def _cap_appears(scenario: Scenario, base: Scenario, data: ModelData) -> bool:
    """A cap that was 100% or more (no rows) and now is below: it needs rows."""
    before = base.country_caps["max_share"].to_numpy(dtype=float)
    after = scenario.country_caps["max_share"].to_numpy(dtype=float)
    newly = (before >= 1) & (after < 1)
    if not newly.any():
        return False
    has_rows = np.zeros(len(before), dtype=bool)
    has_rows[data.caps["share_row"].to_numpy()] = True
    return bool((newly & ~has_rows).any())
