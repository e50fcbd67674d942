"""Plain-words explanations of an infeasible scenario.

Two tools combine. An elastic relaxation (every stock balance may draw on a fictitious emergency
supply, every floor may be undershot, early months weighted more) says which material first runs
short, in which month and by how much. HiGHS's irreducible infeasible subset (IIS) says which
constraints conflict; it narrows the reasons listed to those in the conflict.
"""

from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np
import pandas as pd
import scipy.sparse as sp

from models import families as fam
from models.data import ModelData
from models.highs_build import LinearProgram, build_model
from models.highs_engine import new_highs, pass_model
from models.solution import SolveOptions
from optimizer.inputs.settings import CAP_WINDOW_WORDS

IIS_TIME_LIMIT_S = 20.0
TOL_T = 1e-6


@dataclass(frozen=True)
class Conflict:
    """The constraints of an IIS, by family: row or column positions within each family."""

    rows: dict[str, np.ndarray]
    bounds: dict[str, np.ndarray]


def diagnose(data: ModelData) -> list[str]:
    """One sentence per material that cannot be supplied, then the conflicting families."""
    lp = build_model(data)
    conflict = find_conflict(lp)
    shortage = elastic_shortage(data, lp)
    sentences = [
        _explain_material(data, m, shortage, conflict)
        for m in sorted(set(shortage.loc[shortage["short_t"] > TOL_T, "m"]))
    ]
    if conflict is not None:
        sentences.append(
            "One irreducible conflict (HiGHS IIS): " + _describe_conflict(data, conflict) + "."
        )
    if not sentences:
        sentences.append("HiGHS found the model infeasible but could not locate the conflict.")
    return sentences


def find_conflict(lp: LinearProgram) -> Conflict | None:
    """HiGHS's IIS, or ``None`` if it cannot find one within the time limit."""
    highs = new_highs(SolveOptions(time_limit_s=IIS_TIME_LIMIT_S), "simplex")
    highs.setOptionValue("iis_strategy", 2 | 4)  # elastic LP, then reduce to an irreducible set
    pass_model(highs, lp)
    highs.run()
    status, iis = highs.getIis()
    if status == highspy.HighsStatus.kError or not iis.valid_:
        return None
    rows = np.asarray(iis.row_index_, dtype=int)
    cols = np.asarray(iis.col_index_, dtype=int)
    col_bound = np.asarray(iis.col_bound_, dtype=int)
    upper_bounded = cols[np.isin(col_bound, (3, 4))]  # kIisBoundStatus Upper or Boxed
    return Conflict(
        rows={f: rows[(rows >= s.start) & (rows < s.stop)] - s.start for f, s in lp.rows.items()},
        bounds={
            family: _within(upper_bounded, lp.columns[block])
            for family, block in fam.BOUND_BLOCKS.items()
        },
    )


def _within(indices: np.ndarray, block: slice) -> np.ndarray:
    return indices[(indices >= block.start) & (indices < block.stop)] - block.start


def elastic_shortage(data: ModelData, lp: LinearProgram) -> pd.DataFrame:
    """Per (material, month): tonnes the plan cannot supply (``short_t``) and tonnes arriving
    or made at home (``arrivals_t``).

    The relaxation adds emergency supply to every stock balance and slack to every floor, weighted
    more heavily in early months so that shortages are pushed as late as they can go: the first
    month short is the first month that cannot be helped.
    """
    n_months = data.shape[1]
    balance, floor = lp.rows[fam.STOCK_BALANCE], lp.rows[fam.STOCKPILE_FLOOR]
    n_cells, n_floors = balance.stop - balance.start, floor.stop - floor.start
    weight = 1.0 + (n_months - data.stock["t"].to_numpy()) / n_months
    extra = sp.csc_matrix(
        (
            np.concatenate([-np.ones(n_cells), np.ones(n_floors)]),
            (
                np.concatenate(
                    [np.arange(balance.start, balance.stop), np.arange(floor.start, floor.stop)]
                ),
                np.arange(n_cells + n_floors),
            ),
        ),
        shape=(lp.matrix.shape[0], n_cells + n_floors),
    )
    floor_weight = weight[data.cell(data.floors)]
    relaxed = LinearProgram(
        cost=np.concatenate([np.zeros(len(lp.cost)), weight, floor_weight]),
        col_lower=np.concatenate([lp.col_lower, np.zeros(n_cells + n_floors)]),
        col_upper=np.concatenate([lp.col_upper, np.full(n_cells + n_floors, np.inf)]),
        row_lower=lp.row_lower,
        row_upper=lp.row_upper,
        matrix=sp.hstack([lp.matrix, extra], format="csc"),
        columns=lp.columns,
        rows=lp.rows,
        integrality=np.zeros(len(lp.cost) + n_cells + n_floors, dtype=np.int32),  # relaxed
    )
    highs = new_highs(SolveOptions(), "simplex")
    pass_model(highs, relaxed)
    highs.run()
    values = np.asarray(highs.getSolution().col_value)
    n = len(lp.cost)
    short = values[n : n + n_cells].copy()
    floor_cells = data.cell(data.floors)
    floor_short = np.zeros(n_cells)
    floor_short[floor_cells] = values[n + n_cells :]
    arrive_cell = data.cell(data.arrive)
    arrivals = np.bincount(arrive_cell, weights=values[lp.columns["arrive"]], minlength=n_cells)
    frame = data.stock[["material", "month", "m", "t", "demand_t"]].copy()
    frame["short_t"] = short + floor_short
    frame["floor_short_t"] = floor_short
    frame["arrivals_t"] = arrivals + _produced(data, values[lp.columns["run"]], n_cells)
    return frame


def _produced(data: ModelData, run: np.ndarray, n_cells: int) -> np.ndarray:
    """Tonnes the processing units make, per (material, month) cell."""
    chain = data.chain
    outputs = chain.recipe[chain.recipe["coefficient"] > 0]
    lines = chain.runs.assign(value=run).merge(outputs, on="u", how="inner")
    cell = data.cell(lines)
    made = lines["value"].to_numpy(dtype=float) * lines["coefficient"].to_numpy(dtype=float)
    return np.bincount(cell, weights=made, minlength=n_cells)


def _explain_material(
    data: ModelData, m: int, shortage: pd.DataFrame, conflict: Conflict | None
) -> str:
    rows = shortage[shortage["m"] == m]
    first = rows[rows["short_t"] > TOL_T].iloc[0]
    upto = rows[rows["t"] <= first["t"]]
    demand = upto["demand_t"].sum()
    floor = _floor_at(data, m, int(first["t"]))
    available = data.initial_stock_t[m] + upto["arrivals_t"].sum()
    material, month = data.materials[m], first["month"]
    storage = data.stock.loc[data.stock["m"] == m, "storage_capacity_t"].iloc[0]
    if first["floor_short_t"] > TOL_T and floor > storage + TOL_T:
        return (
            f"{material} {month}: the stockpile floor of {_t(floor)} t exceeds the storage "
            f"capacity of {_t(storage)} t."
        )
    since = f"{data.months[0]}..{month}" if first["t"] > 0 else month
    touches = conflict is not None and _touches(data, m, conflict)
    reasons = "; ".join(_reasons(data, m, int(first["t"]), conflict if touches else None))
    if floor > 0:
        need = (
            f"demand of {_t(demand)} t and the stockpile floor of {_t(floor)} t in {month} "
            f"need {_t(demand + floor)} t, but"
        )
    else:
        need = f"demand of {_t(demand)} t cannot be met:"
    return f"{material} {since}: {need} at most {_t(available)} t can be had by then ({reasons})."


def _touches(data: ModelData, m: int, conflict: Conflict) -> bool:
    """Whether the IIS involves material ``m`` (an IIS shows one conflict among possibly many)."""
    return bool(
        (data.stock["m"].to_numpy()[conflict.rows[fam.STOCK_BALANCE]] == m).any()
        or (data.caps["m"].to_numpy()[conflict.rows[fam.COUNTRY_SHARE_CAP]] == m).any()
        or (data.arrive["m"].to_numpy()[conflict.bounds[fam.OFFER_CAPACITY]] == m).any()
    )


def _floor_at(data: ModelData, m: int, t: int) -> float:
    floors = data.floors
    match = floors[(floors["m"] == m) & (floors["t"] == t)]
    return float(match["floor_t"].iloc[0]) if len(match) else 0.0


def _t(value: float) -> str:
    return f"{value:,.6g}"


def _reasons(data: ModelData, m: int, t: int, conflict: Conflict | None) -> list[str]:
    """What limits supply of material ``m`` up to month ``t``, restricted to the IIS if known."""
    reasons = [f"initial stock {_t(data.initial_stock_t[m])} t"]
    mine = data.arrive[data.arrive["m"] == m]
    offers = mine[mine["contract_k"] < 0]  # contracted tonnes are limited by their contract
    in_conflict = set(conflict.bounds[fam.OFFER_CAPACITY]) if conflict else None
    for supplier, rows in offers.groupby("supplier", sort=False):
        early = rows[rows["t"] <= t]
        if early.empty:
            first = rows.iloc[0]
            reasons.append(
                f"{supplier} arrives only from {first['month']} "
                f"(lead time {int(first['lead_time_months'])} months)"
            )
            continue
        if in_conflict is not None and not in_conflict.intersection(early.index):
            continue
        capacity = early["capacity_t_per_month"]
        if np.isfinite(capacity).all():
            level = _t(capacity.max()) if capacity.nunique() == 1 else f"up to {_t(capacity.max())}"
            reasons.append(f"{supplier} capacity {level} t/month")
    made = _unit_reasons(data, m, t)
    contracts = _contract_reasons(data, mine)
    if offers.empty and not made and not contracts:
        reasons.append("no supplier offers it")
    reasons += made + contracts
    reasons += _cap_reasons(data, m, conflict)
    storage = data.stock.loc[data.stock["m"] == m, "storage_capacity_t"].iloc[0]
    if np.isfinite(storage):
        reasons.append(f"storage capacity {_t(storage)} t")
    if conflict is not None and len(conflict.rows.get(fam.ANNUAL_BUDGET, [])):
        limit = data.chain.budget["limit_usd"].iloc[0]
        reasons.append(f"an annual budget of USD {limit:,.0f} for all purchases and costs")
    return reasons


def _contract_reasons(data: ModelData, arrivals: pd.DataFrame) -> list[str]:
    """Contracts that can deliver the material: at most their maximum a month, if signed."""
    k = sorted(set(arrivals.loc[arrivals["contract_k"] >= 0, "contract_k"]))
    contracts = data.chain.contracts.iloc[k]
    return [
        f"contract {c.contract} at most {_t(c.max_t_per_month)} t/month if signed"
        for c in contracts.itertuples()
    ]


def _unit_reasons(data: ModelData, m: int, t: int) -> list[str]:
    """Processing units that make material ``m``: at most yield x capacity a month, from their
    first month (an option only if built)."""
    chain = data.chain
    lines = chain.recipe[(chain.recipe["m"] == m) & (chain.recipe["coefficient"] > 0)]
    reasons = []
    for line in lines.itertuples():
        unit = chain.units.iloc[int(line.u)]
        most = line.coefficient * unit["capacity_t_per_month"]
        first = data.months[min(int(unit["first_t"]), len(data.months) - 1)]
        when = f" from {first}" if int(unit["first_t"]) > 0 else ""
        option = " if built" if int(unit["o"]) >= 0 else ""
        if int(unit["first_t"]) > t:
            reasons.append(f"{unit['unit']} makes it only from {first}{option}")
        else:
            reasons.append(f"{unit['unit']} makes at most {_t(most)} t/month{when}{option}")
    return reasons


def _cap_reasons(data: ModelData, m: int, conflict: Conflict | None) -> list[str]:
    caps = data.caps[data.caps["m"] == m]
    if conflict is not None:
        caps = caps[caps.index.isin(conflict.rows[fam.COUNTRY_SHARE_CAP])]
    per = CAP_WINDOW_WORDS[data.cap_window]
    caps = caps.drop_duplicates(["country", "max_share"])
    return [f"{r.country} capped at {r.max_share:.0%} of arrivals {per}" for r in caps.itertuples()]


def _describe_conflict(data: ModelData, conflict: Conflict) -> str:
    parts = []
    stock = data.stock
    for family, frame in (
        (fam.STOCK_BALANCE, stock),
        (fam.STOCKPILE_FLOOR, data.floors),
        (fam.COUNTRY_SHARE_CAP, data.caps),
    ):
        chosen = frame.iloc[conflict.rows.get(family, np.array([], dtype=int))]
        if chosen.empty:
            continue
        if family == fam.COUNTRY_SHARE_CAP:
            labels = [f"{r.country} on {r.material} {r.window}" for r in chosen.itertuples()]
        else:
            labels = [
                f"{material} {_span(list(group['month']))}"
                for material, group in chosen.groupby("material", sort=False)
            ]
        parts.append(f"{family} ({', '.join(labels)})")
    bounds = conflict.bounds[fam.OFFER_CAPACITY]
    if len(bounds):
        chosen = data.arrive.iloc[bounds]
        labels = [
            f"{s} on {m}" for (m, s), _ in chosen.groupby(["material", "supplier"], sort=False)
        ]
        parts.append(f"{fam.OFFER_CAPACITY} ({', '.join(labels)})")
    if len(conflict.bounds[fam.STORAGE_CAPACITY]):
        chosen = stock.iloc[conflict.bounds[fam.STORAGE_CAPACITY]]
        parts.append(f"{fam.STORAGE_CAPACITY} ({', '.join(sorted(set(chosen['material'])))})")
    parts += _chain_conflict(data, conflict)
    return "; ".join(parts) if parts else "none identified"


DESCRIBED_ROWS = (fam.STOCK_BALANCE, fam.STOCKPILE_FLOOR, fam.COUNTRY_SHARE_CAP)


def _chain_conflict(data: ModelData, conflict: Conflict) -> list[str]:
    """The other families in the conflict: budget years, processing units, contracts, ..."""
    chain = data.chain
    labelled = {
        fam.ANNUAL_BUDGET: lambda i: [f"USD {chain.budget['limit_usd'].iloc[0]:,.0f} in "
                                      + ", ".join(chain.budget["year"].iloc[i])],
        fam.PROCESS_CAPACITY: lambda i: sorted(set(chain.runs["unit"].iloc[i])),
    }  # fmt: skip
    parts = []
    for family, index in [*conflict.rows.items(), *conflict.bounds.items()]:
        if family in DESCRIBED_ROWS or family in (fam.OFFER_CAPACITY, fam.STORAGE_CAPACITY):
            continue
        if len(index) == 0:
            continue
        label = labelled.get(family)
        what = ", ".join(label(index)) if label else f"{len(index)} of its rows"
        parts.append(f"{family} ({what})")
    return parts


def _span(months: list[str]) -> str:
    months = sorted(months)
    return months[0] if len(months) == 1 else f"{months[0]}..{months[-1]}"
