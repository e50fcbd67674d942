"""The extensive form of the disruption scenarios: one variable per node of the scenario tree.

Each scenario's LP is built from its own model data (``models.risk.scenario_data``) by the
registry's builder, so every family holds in every scenario. Variables are then merged by node:
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
from models.highs_build import LinearProgram, build_model
from models.risk import RiskTree


@dataclass
class ExtensiveForm:
    lp: LinearProgram  # the merged LP; its ``columns`` slices are of the first scenario's layout
    column_of: np.ndarray  # (S, scenario columns): the merged column of each scenario column
    scenario_cost: np.ndarray  # (S, scenario columns): each scenario's objective coefficients
    tail: slice | None  # columns eta, u_1..u_S with a risk weight; None without
    layout: LinearProgram  # the first scenario's LP: block slices for reading values


def decision_months(data: ModelData, lp: LinearProgram) -> np.ndarray:
    """The month each column is decided in (-1: before the horizon)."""
    months = np.full(len(lp.cost), -1, dtype=np.int64)
    for variable in fam.VARIABLES:
        table = variable.table(data)
        columns = lp.columns[variable.name]
        if variable.name == "arrive":  # an order: its arrival month less the lead time
            t = table["t"].to_numpy(dtype=int) - table["lead_time_months"].to_numpy(dtype=int)
            months[columns] = np.maximum(t, -1)
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
    datas: list[ModelData], tree: RiskTree, risk_weight: float, alpha: float
) -> ExtensiveForm:
    """The merged LP of the scenarios' data (one ModelData per scenario, same structure)."""
    lps = [build_model(d) for d in datas]  # one vectorised build per scenario
    first = lps[0]
    n_cols, n_rows, n_s = len(first.cost), len(first.row_lower), tree.size
    col_month = decision_months(datas[0], first)
    row_month = row_months(datas[0], first)
    node = tree.history  # (S, T + 1)
    col_keys = np.arange(n_cols)[None, :] * (node.max() + 1) + node[:, col_month + 1]
    uniq, column_of = np.unique(col_keys, return_inverse=True)
    column_of = column_of.reshape(n_s, n_cols)
    row_keys = np.arange(n_rows)[None, :] * (node.max() + 1) + node[:, row_month + 1]
    row_uniq, row_index = np.unique(row_keys.ravel(), return_index=True)
    row_of = np.searchsorted(row_uniq, row_keys)
    keep = np.zeros((n_s, n_rows), dtype=bool)
    keep.ravel()[row_index] = True  # the first scenario holding each merged row writes it
    n_ext_cols, n_ext_rows = len(uniq), len(row_uniq)
    cost = np.zeros(n_ext_cols)
    lower = np.zeros(n_ext_cols)
    upper = np.zeros(n_ext_cols)
    integrality = np.zeros(n_ext_cols, dtype=np.int32)
    row_lower = np.zeros(n_ext_rows)
    row_upper = np.zeros(n_ext_rows)
    rows, cols, values = [], [], []
    scenario_cost = np.zeros((n_s, n_cols))
    for s, lp in enumerate(lps):  # scenarios: each a whole vectorised LP
        p = tree.probability[s]
        scenario_cost[s] = lp.cost
        np.add.at(cost, column_of[s], p * lp.cost)
        lower[column_of[s]], upper[column_of[s]] = lp.col_lower, lp.col_upper
        integrality[column_of[s]] = lp.integrality
        mine = keep[s]
        row_lower[row_of[s, mine]] = lp.row_lower[mine]
        row_upper[row_of[s, mine]] = lp.row_upper[mine]
        coo = lp.matrix.tocoo()
        written = mine[coo.row]
        rows.append(row_of[s, coo.row[written]])
        cols.append(column_of[s, coo.col[written]])
        values.append(coo.data[written])
    tail = None
    if risk_weight > 0:
        # eta (free) and u_s >= 0, with the rows cost_s . x - eta - u_s <= 0
        eta = n_ext_cols
        u = eta + 1 + np.arange(n_s)
        cost = np.concatenate([cost, [risk_weight], risk_weight * tree.probability / (1 - alpha)])
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
    return ExtensiveForm(lp, column_of, scenario_cost, tail, first)
