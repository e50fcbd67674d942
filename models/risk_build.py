"""The extensive form of the disruption scenarios: one variable per node of the scenario tree.

Each scenario's LP comes from its own model data (``models.risk.scenario_data``) through the
registry's builder, so every family holds in every scenario: one build per structure, each
scenario's numbers as arrays (``models.risk_programs``). Variables are then merged by node:
a variable decided in month d (an order in its order month; stock, runs, sales and shortfall in
their month; a window's total at its last month; yes/no decisions before the horizon) is one
column for all scenarios that share their history up to d (non-anticipativity without equality
rows). Rows are merged the same way, by the month of their last variable. The objective is the
expected cost, plus ``risk_weight`` x CVaR at ``cvar_alpha`` in the Rockafellar-Uryasev form:
eta + sum_s p_s u_s / (1 - alpha), u_s >= cost_s - eta, u_s >= 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from models import families as fam
from models.data import ModelData
from models.highs_build import LinearProgram
from models.risk import RiskTree
from models.risk_programs import ScenarioPrograms, scenario_programs
from optimizer.common.months import ordinal, ordinals


@dataclass
class ExtensiveForm:
    lp: LinearProgram  # the merged LP; its ``columns`` slices are of the first scenario's layout
    column_of: np.ndarray  # (S, scenario columns): the merged column of each scenario column
    scenario_cost: np.ndarray  # (S, scenario columns): each scenario's objective coefficients
    tail: slice | None  # columns eta, u_1..u_S with a risk weight; None without
    layout: LinearProgram  # the first scenario's LP: block slices for reading values
    programs: ScenarioPrograms | None = None  # every scenario's LP as arrays
    row_of: np.ndarray | None = None  # (S, scenario rows): the merged row of each scenario row
    row_writer: np.ndarray | None = None  # (S, scenario rows): the scenario that writes it
    decided: np.ndarray | None = None  # (scenario columns,) each column's decision month


def decision_months(data: ModelData, lp: LinearProgram) -> np.ndarray:
    """The month each column is decided in (-1: before the horizon)."""
    months = np.full(len(lp.cost), -1, dtype=np.int64)
    for variable in fam.VARIABLES:
        table = variable.table(data)
        columns = lp.columns[variable.name]
        if variable.name == "arrive":  # an order: its order month (a delay moves only ``t``)
            order = ordinals(table["order_month"]) - ordinal(data.months[0])
            months[columns] = np.maximum(order, -1)
        else:
            months[columns] = months_of(data, table)
    return months


def row_months(data: ModelData, lp: LinearProgram) -> np.ndarray:
    months = np.full(len(lp.row_lower), -1, dtype=np.int64)
    for family in fam.row_families():
        months[lp.rows[family.name]] = months_of(data, data.rows[family.name])
    return months


def months_of(data: ModelData, table: pd.DataFrame) -> np.ndarray:
    """A row's or variable's month: its ``t``; a window's last month; a budget year's last
    month; else before the horizon."""
    n = len(table)
    if "t" in table:
        return table["t"].to_numpy(dtype=np.int64)
    if "w" in table:
        last = np.zeros(len(data.windows), dtype=np.int64)
        np.maximum.at(last, data.window_of_month, np.arange(len(data.months)))
        return last[table["w"].to_numpy(dtype=int)]
    if "year" in table:
        years = np.array([m[:4] for m in data.months])
        return np.array(
            [np.flatnonzero(years == str(y)).max() for y in table["year"]], dtype=np.int64
        )
    return np.full(n, -1, dtype=np.int64)


def build_extensive(
    datas: list[ModelData],
    tree: RiskTree,
    risk_weight: float,
    alpha: float,
    *,
    programs: ScenarioPrograms | None = None,
) -> ExtensiveForm:
    """The merged LP of the scenarios' data (one ModelData per scenario, same structure), from
    their LPs as arrays (``programs``, derived from ``datas`` when not given)."""
    programs = programs or scenario_programs(datas)
    layout = programs.layout
    n_s = len(programs.cost)
    decided, row_month = decision_months(datas[0], layout), row_months(datas[0], layout)
    history = _dense(tree.history)
    column_of, n_ext_cols = _merge(history, decided)
    row_of, n_ext_rows = _merge(history, row_month)
    # the first scenario holding a merged row writes it: the first one at the row's node
    first = np.full(history.shape, len(history), dtype=np.int64)  # (node code, month column)
    np.minimum.at(first, (history, np.arange(history.shape[1])), np.arange(len(history))[:, None])
    keep = first[history[:, row_month + 1], row_month + 1] == np.arange(n_s)[:, None]
    p = tree.probability
    # bincount adds scenario by scenario, in the order of the per-scenario loop it replaces
    cost = np.bincount(column_of.ravel(), (p[:, None] * programs.cost).ravel(), n_ext_cols)
    lower, upper = np.zeros(n_ext_cols), np.zeros(n_ext_cols)
    lower[column_of.ravel()] = np.broadcast_to(programs.col_lower, column_of.shape).ravel()
    upper[column_of.ravel()] = programs.col_upper.ravel()
    integrality = np.zeros(n_ext_cols, dtype=np.int32)
    integrality[column_of.ravel()] = np.broadcast_to(layout.integrality, column_of.shape).ravel()
    row_lower, row_upper = np.zeros(n_ext_rows), np.zeros(n_ext_rows)
    row_lower[row_of[keep]], row_upper[row_of[keep]] = (programs.row_lower[keep],
                                                         programs.row_upper[keep])  # fmt: skip
    rows, cols, values = [], [], []
    for group in programs.groups:  # structures: usually one (delays make more)
        k, entry = np.nonzero(keep[group.members][:, group.rows])  # the entries written
        member = group.members[k]
        rows.append(row_of[member, group.rows[entry]])
        cols.append(column_of[member, group.cols[entry]])
        values.append(group.values[k, entry])
    scenario_cost = programs.cost
    tail = None
    if risk_weight > 0:
        # eta (free) and u_s >= 0, with the rows cost_s . x - eta - u_s <= 0
        eta = n_ext_cols
        u = eta + 1 + np.arange(n_s)
        cost = np.concatenate([cost, [risk_weight], risk_weight * p / (1 - alpha)])
        lower = np.concatenate([lower, [-np.inf], np.zeros(n_s)])
        upper = np.concatenate([upper, [np.inf], np.full(n_s, np.inf)])
        integrality = np.concatenate([integrality, np.zeros(n_s + 1, dtype=np.int32)])
        cvar_rows = n_ext_rows + np.arange(n_s)
        s_index, j_index = np.nonzero(scenario_cost)
        rows += [cvar_rows[s_index], cvar_rows, cvar_rows]
        cols += [column_of[s_index, j_index], np.full(n_s, eta), u]
        values += [scenario_cost[s_index, j_index], -np.ones(n_s), -np.ones(n_s)]
        row_lower = np.concatenate([row_lower, np.full(n_s, -np.inf)])
        row_upper = np.concatenate([row_upper, np.zeros(n_s)])
        tail = slice(eta, eta + 1 + n_s)
        n_ext_cols += n_s + 1
        n_ext_rows += n_s
    matrix = sp.csc_matrix(
        (np.concatenate(values), (np.concatenate(rows), np.concatenate(cols))),
        shape=(n_ext_rows, n_ext_cols),
    )
    matrix.sum_duplicates()
    matrix.sort_indices()
    lp = LinearProgram(
        cost=cost,
        col_lower=lower,
        col_upper=upper,
        row_lower=row_lower,
        row_upper=row_upper,
        matrix=matrix,
        columns={"all": slice(0, n_ext_cols)},
        rows={"all": slice(0, n_ext_rows)},
        integrality=integrality,
    )
    return ExtensiveForm(lp, column_of, scenario_cost, tail, layout, programs, row_of, keep,
                         decided)  # fmt: skip


def _dense(history: np.ndarray) -> np.ndarray:
    """The node codes of each month renumbered 0, 1, ... in their order."""
    return np.column_stack(
        [np.unique(column, return_inverse=True)[1].ravel() for column in history.T]
    )


def _merge(history: np.ndarray, month: np.ndarray) -> tuple[np.ndarray, int]:
    """(S, items): the merged index of each scenario's column or row decided in ``month``
    (one per item and node of that month, in the order of item then node), and how many
    there are. ``history``: dense node codes (:func:`_dense`), so an item's merged indices
    are its offset plus the node's code."""
    nodes = history.max(axis=0) + 1  # per month column: its nodes
    per_item = nodes[month + 1]
    offset = np.cumsum(per_item) - per_item
    return offset[None, :] + history[:, month + 1], int(per_item.sum())
