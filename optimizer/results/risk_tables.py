"""Every disruption scenario's plan, stock and processing tables at once, as
:mod:`optimizer.results.tables` builds one scenario's, stacked in scenario order (a ``scenario``
column first).

The scenarios' model data (``models.risk.scenario_data``) share every frame but the arrivals'
numbers and landing months, the floors and the tonnes under them (``models.risk_programs``
refuses others): so each table is the shared frame's columns taken at the rows each scenario
uses, and what differs (tonnes, prices, landing months, released floors) arrays over
(scenario, row). The values are the per-scenario tables' to the last bit: the same sums in the
same order, the same sort.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models import families as fam
from models.data import ModelData
from models.solution import Solution
from optimizer.results import metrics
from optimizer.results.scenario_rows import SCENARIO
from optimizer.results.tables import clean, run_rows

SHARED = ("stock", "chain", "credits", "shortfall", "months")  # the frames read from datas[0]


def _stacked(solutions: list[Solution], block: str) -> np.ndarray:
    """(S, columns) values of a block of every scenario's solution."""
    return np.stack([np.asarray(getattr(s, block), dtype=float) for s in solutions])


def _numbers(datas: list[ModelData], frame: str, column: str) -> np.ndarray:
    """(S, rows) a column of a frame each scenario's data has its own numbers in."""
    return np.stack([getattr(d, frame)[column].to_numpy() for d in datas])


def _named(names: list[str], s: np.ndarray, table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with the scenario of each row (codes ``s`` into ``names``) first."""
    scenario = pd.Series(names, dtype="str").take(s).reset_index(drop=True)
    return pd.concat([scenario.rename(SCENARIO), table.reset_index(drop=True)], axis=1)


def plan_tables(datas: list[ModelData], solutions: list[Solution], names: list[str]):
    """Each scenario's ``tables.plan_table``, stacked."""
    data = datas[0]
    arrive = data.arrive
    tonnes = clean(_stacked(solutions, "arrive"))
    s, row = np.nonzero(tonnes > 0)
    contracts = data.chain.contracts["contract"].to_numpy(dtype=object)
    k = arrive["contract_k"].to_numpy(dtype=int)[row]
    contract = (
        np.where(k >= 0, contracts[np.maximum(k, 0)], None)
        if len(contracts)
        else np.full(len(row), None, dtype=object)
    )
    landed = clean(_numbers(datas, "arrive", "landed_usd_per_t")[s, row])
    plan = pd.DataFrame(
        {
            "_s": s,
            "material": arrive["material"].take(row).to_numpy(),
            "supplier": arrive["supplier"].take(row).to_numpy(),
            "country": arrive["country"].take(row).to_numpy(),
            "contract": contract,
            "order_month": arrive["order_month"].take(row).to_numpy(),
            "month": np.asarray(data.months, dtype=object)[_numbers(datas, "arrive", "t")[s, row]],
            "tonnes": tonnes[s, row],
            "price_usd_per_t": _numbers(datas, "arrive", "price_usd_per_t")[s, row],
            "landed_usd_per_t": landed,
            "cost_usd": clean(tonnes[s, row] * landed),
        }
    )
    plan = plan.sort_values(["_s", "material", "month", "supplier", "contract"], kind="stable")
    return _named(names, plan["_s"].to_numpy(), plan.drop(columns="_s"))


def stock_tables(datas: list[ModelData], solutions: list[Solution], names: list[str]):
    """Each scenario's ``tables.stock_table``, stacked, with ``floor_applies`` false where its
    events released the floor (the scenario's floor row is 0)."""
    _check_shared(datas)
    data = datas[0]
    chain, n_s, n_cells = data.chain, len(datas), len(data.stock)

    def per_cell(cells: np.ndarray, values: np.ndarray) -> np.ndarray:
        """(S x cells,) ``values`` (S, rows) summed into each scenario's cells."""
        flat = (np.arange(n_s)[:, None] * n_cells + cells).ravel()
        return np.bincount(flat, weights=values.ravel(), minlength=n_s * n_cells)

    def placed(frame: pd.DataFrame, values: np.ndarray) -> np.ndarray:
        """(S x cells,) ``values`` (S, rows of ``frame``) at their cells, 0 elsewhere."""
        table = np.zeros((n_s, n_cells))
        table[:, data.cell(frame)] = values
        return table.ravel()

    arrive_cells = data.cells.position(
        material=np.broadcast_to(data.arrive["m"].to_numpy(), (n_s, len(data.arrive))),
        month=_numbers(datas, "arrive", "t"),
    )
    stock = data.stock[["material", "month", "demand_t"]]
    stock = stock.iloc[np.tile(np.arange(n_cells), n_s)].reset_index(drop=True)
    stock["arrivals_t"] = clean(per_cell(arrive_cells, _stacked(solutions, "arrive")))
    stock["shortfall_t"] = clean(
        per_cell(data.cell(data.shortfall), _stacked(solutions, "shortfall"))
    )
    lines = chain.runs[["u", "t"]].assign(run=np.arange(len(chain.runs)))
    lines = lines.merge(chain.recipe[["u", "m", "coefficient"]], on="u", how="inner")
    flow = _stacked(solutions, "run")[:, lines["run"].to_numpy(dtype=int)]
    flow = flow * lines["coefficient"].to_numpy(dtype=float)
    stock["produced_t"] = clean(per_cell(data.cell(lines), np.maximum(flow, 0.0)))
    stock["consumed_t"] = clean(per_cell(data.cell(lines), np.maximum(-flow, 0.0)))
    for column, frame, block in (("sold_t", chain.sales, "sell"),
                                 ("disposed_t", chain.disposals, "dispose")):  # fmt: skip
        stock[column] = clean(per_cell(data.cell(frame), _stacked(solutions, block)))
    stock["stock_t"] = clean(_stacked(solutions, "stock").ravel())
    stock["floor_t"] = np.tile(clean(data.stock["cover_target_t"].to_numpy()), n_s)
    applies = np.zeros((n_s, n_cells), dtype=bool)
    applies[:, data.cell(data.floors)] = True
    released = _numbers(datas, "floors", "floor_t") == 0  # (S, floors)
    s, f = np.nonzero(released)
    applies[s, data.cell(data.floors)[f]] = False
    stock["floor_applies"] = applies.ravel()
    stock["below_floor_t"] = clean(placed(data.below, _stacked(solutions, "below")))
    stock["credited_t"] = clean(placed(data.credits, _stacked(solutions, "credit")))
    stock["months_of_cover"] = np.round(metrics.months_of_cover(stock).to_numpy(), 6)
    stock["marginal_cost_usd_per_t"] = _marginal_costs(solutions, n_cells)
    return _named(names, np.repeat(np.arange(n_s), n_cells), stock)


def _marginal_costs(solutions: list[Solution], n_cells: int) -> np.ndarray:
    """(S x cells,) each scenario's stock-balance duals, negated (NaN where it has none)."""
    rows = []
    for solution in solutions:
        duals = solution.row_duals.get(fam.STOCK_BALANCE)
        rows.append(clean(-duals) if duals is not None else np.full(n_cells, np.nan))
    return np.concatenate(rows) if rows else np.zeros(0)


def processing_tables(datas: list[ModelData], solutions: list[Solution], names: list[str]):
    """Each scenario's ``tables.processing_table``, stacked."""
    throughput = clean(_stacked(solutions, "run"))
    s, run = np.nonzero(throughput > 0)
    return _named(names, s, run_rows(datas[0].chain, run, throughput[s, run]))


def _check_shared(datas: list[ModelData]) -> None:
    for name in SHARED:
        if any(getattr(d, name) is not getattr(datas[0], name) for d in datas[1:]):
            raise ValueError(f"the scenarios' data differ in '{name}', read from the first")
