"""One out-of-sample path of a risk plan: what the result folder fixes, and the path re-solved.

A risk solve's folder records its yes/no decisions (``decisions.csv``) and its undisrupted
``base`` path: arrivals (``plan.csv``, by material, supplier or contract and arrival month),
throughput (``processing.csv``) and sales, disposal and shortfall (``stock.csv``). In a path
whose first event is active from month f, every yes/no decision and every one of those base-path
decisions taken before f (an arrival by its order month, the others by their month) is fixed;
the rest is re-optimised with the whole path known. A path without an event follows the base
plan throughout. Stock, contract payments, window totals, closing credit and content
variables stay free: they follow from the fixed flows.

The tables are written rounded (:data:`optimizer.results.tables.DECIMALS` decimals, values
under :data:`optimizer.results.tables.ZERO_T` cleared), so a written value may differ from the
solver's by up to ``ZERO_T``. A fixed flow is therefore held within ``TOLERANCE_T`` of its
written value (twice that), never fixed exactly: the plan as solved lies inside the band,
so rounding cannot make a path infeasible; the re-solve can move each fixed flow by at most
``TOLERANCE_T`` tonnes, which bounds what it can gain from the band (``band_effect_usd``).
Yes/no decisions are fixed exactly.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from models.data import ModelData, compile_scenario
from models.diagnose import diagnose
from models.highs_build import LinearProgram, build_model
from models.highs_engine import column_names, new_highs, pass_model, read_solution, run
from models.highs_engine import solve as solve_alone
from models.risk import BASE, Effects, RiskTree, resolve_effects, scenario_data
from models.risk_build import decision_months
from models.solution import SolveOptions, Status
from optimizer.common.strings import python_strings
from optimizer.common.table_files import find_table, read_table
from optimizer.inputs.scenario import Scenario
from optimizer.results.tables import ZERO_T, cost_breakdown

TOLERANCE_T = 2 * ZERO_T  # the band a fixed flow is held in around its written value
TIMED_BLOCKS = ("arrive", "run", "sell", "dispose", "shortfall")  # fixed before the onset
YES_NO_BLOCKS = ("build", "sign")  # fixed in every path
SCENARIO_COLUMN = "scenario"


class EvaluationRefused(Exception):
    """A result or an input that cannot be evaluated; the message says why in one line."""


@dataclass(frozen=True)
class RecordedPlan:
    """What a risk result folder fixes: its yes/no decisions and its base path."""

    decisions: pd.DataFrame  # kind, name, chosen
    arrivals: pd.DataFrame  # material, via (supplier, or contract), month, tonnes
    runs: pd.DataFrame  # unit, month, throughput_t
    flows: pd.DataFrame  # material, month, sold_t, disposed_t, shortfall_t


def read_recorded_plan(folder: Path, summary: dict) -> RecordedPlan:
    """The base path of the result in ``folder``: the rows whose ``scenario`` is ``base`` where
    the tables have that column, else the tables themselves when they describe ``base``."""
    plan = _read(folder, "plan", required=True)
    if SCENARIO_COLUMN not in plan:
        reference = (summary.get("risk") or {}).get("reference_path")
        if reference != BASE:
            raise EvaluationRefused(
                f"{folder}: its tables describe the path {reference!r}, not the undisrupted "
                f"'{BASE}' path the evaluation follows (every scenario of the solve had an event)"
            )
    scenarios = _read(folder, "risk")
    if "scenario" in scenarios and BASE not in set(scenarios["scenario"]):
        raise EvaluationRefused(
            f"{folder}: its solve has no undisrupted '{BASE}' path (every scenario of risk.csv "
            "has an event), so the plan after the last onset it planned for is not known"
        )
    plan = _base_rows(plan, _file(folder, "plan"))
    stock = _base_rows(_read(folder, "stock", required=True), _file(folder, "stock"))
    processing = _base_rows(_read(folder, "processing"), _file(folder, "processing"))
    decisions = _read(folder, "decisions")
    contract = plan["contract"].where(plan["contract"] != "", plan["supplier"])
    return RecordedPlan(
        decisions=pd.DataFrame({
            "kind": decisions.get("kind", pd.Series(dtype=object)),
            "name": decisions.get("name", pd.Series(dtype=object)),
            "chosen": decisions.get("chosen", pd.Series(dtype=object)).isin(["True", "true"]),
        }),
        arrivals=pd.DataFrame({
            "material": plan["material"], "via": contract, "month": plan["month"],
            "tonnes": _numbers(plan, "tonnes", _file(folder, "plan")),
        }),
        runs=pd.DataFrame({
            "unit": processing.get("unit", pd.Series(dtype=object)),
            "month": processing.get("month", pd.Series(dtype=object)),
            "throughput_t": _numbers(processing, "throughput_t", _file(folder, "processing")),
        }),
        flows=pd.DataFrame({
            "material": stock["material"], "month": stock["month"],
            **{c: _numbers(stock, c, _file(folder, "stock"))
               for c in ("sold_t", "disposed_t", "shortfall_t")},
        }),
    )  # fmt: skip


def _read(folder: Path, stem: str, required: bool = False) -> pd.DataFrame:
    """Table ``stem`` of the folder (``.csv`` or ``.parquet``) as text: names stay text ("NA" is
    a name here); numbers are converted column by column."""
    table = read_table(folder, stem, as_text=True)
    if table is None:
        if required:
            raise EvaluationRefused(f"{folder}: has no {stem}.csv; it is not a result with a plan")
        return pd.DataFrame()
    return table


def _file(folder: Path, stem: str) -> Path:
    """The file a table was read from, to name in a message."""
    return find_table(folder, stem) or folder / f"{stem}.csv"


def _base_rows(table: pd.DataFrame, path: Path) -> pd.DataFrame:
    if SCENARIO_COLUMN not in table:
        return table
    base = table[table[SCENARIO_COLUMN] == BASE]
    if base.empty and len(table):
        raise EvaluationRefused(
            f"{path}: has no rows of the undisrupted '{BASE}' path, which the evaluation follows"
        )
    return base.reset_index(drop=True)


def _numbers(table: pd.DataFrame, column: str, path: Path) -> np.ndarray:
    if table.empty:
        return np.zeros(0)
    if column not in table:
        raise EvaluationRefused(f"{path}: has no column {column}")
    values = pd.to_numeric(table[column].replace("", "0"), errors="coerce").to_numpy(float)
    if not np.isfinite(values).all():
        raise EvaluationRefused(f"{path}: {column} holds a value that is not a number")
    return values


# --- the plan on the model's columns --------------------------------------------------------


@dataclass
class Prepared:
    """The base model data and LP, with the recorded plan on its columns."""

    base: ModelData
    lp: LinearProgram
    effects: Effects
    values: np.ndarray  # (columns,) the recorded value of every fixable column
    month: np.ndarray  # (columns,) the month a column is decided in (-1: before the horizon)
    timed: np.ndarray  # (columns,) bool: fixed when decided before the path's onset
    always: np.ndarray  # (columns,) bool: the yes/no decisions, fixed in every path
    names: list[str] | None = None  # column names, made when a clash is to be named


def prepare(scenario: Scenario, plan: RecordedPlan, events: list[str]) -> Prepared:
    """Compile the scenario and place the plan's values on the LP's columns; refused when the
    plan names an arrival, a unit-month or a decision the scenario does not have."""
    base = compile_scenario(scenario)
    lp = build_model(base)
    values = np.full(len(lp.cost), np.nan)
    timed = np.zeros(len(lp.cost), dtype=bool)
    always = np.zeros(len(lp.cost), dtype=bool)
    chain = base.chain
    flows = plan.flows
    placed = {
        "arrive": _on(base.arrive, ["material", "via", "month"], plan.arrivals, "tonnes",
                      "plan.csv", "arrival"),
        "run": _on(chain.runs, ["unit", "month"], plan.runs, "throughput_t", "processing.csv",
                   "unit-month"),
        "sell": _on(chain.sales, ["material", "month"], flows, "sold_t", "stock.csv", "sale"),
        "dispose": _on(chain.disposals, ["material", "month"], flows, "disposed_t", "stock.csv",
                       "disposal"),
        "shortfall": _on(base.shortfall, ["material", "month"], flows, "shortfall_t",
                         "stock.csv", "shortfall"),
    }  # fmt: skip
    for block, block_values in placed.items():
        values[lp.columns[block]] = block_values
        timed[lp.columns[block]] = True
    for block, table, kind, label in (
        ("build", chain.options, "expansion", "option"),
        ("sign", chain.contracts, "contract", "contract"),
    ):
        recorded = plan.decisions[plan.decisions["kind"] == kind].set_index("name")["chosen"]
        names = table[label].tolist()
        missing = [n for n in names if n not in recorded.index]
        if missing:
            raise EvaluationRefused(
                f"decisions.csv: has no {kind} {missing[0]!r}, which the scenario has; the "
                "inputs are not those of the plan"
            )
        values[lp.columns[block]] = recorded.reindex(names).to_numpy(dtype=float)
        always[lp.columns[block]] = True
    effects = resolve_effects(scenario, base, events)
    return Prepared(base, lp, effects, values, decision_months(base, lp), timed, always)


def _on(
    rows: pd.DataFrame, keys: list[str], recorded: pd.DataFrame, column: str, file: str, noun: str
) -> np.ndarray:
    """The recorded ``column`` on each row of a variable table (0 where nothing is recorded);
    refused when a recorded non-zero value has no variable."""
    values = np.zeros(len(rows))
    if recorded.empty:
        return values
    index = pd.MultiIndex.from_frame(rows[keys].astype(str))
    at = index.get_indexer(pd.MultiIndex.from_frame(recorded[keys].astype(str)))
    amounts = recorded[column].to_numpy(dtype=float)
    lost = (at < 0) & (amounts != 0)
    if lost.any():
        first = recorded[keys].to_numpy()[np.flatnonzero(lost)[0]]
        raise EvaluationRefused(
            f"{file}: {lost.sum()} recorded {noun} values have no counterpart in the scenario "
            f"(the first: {', '.join(map(str, first))}); the inputs are not those of the plan"
        )
    np.add.at(values, at[at >= 0], amounts[at >= 0])
    return values


def band_effect_usd(prepared: Prepared) -> float:
    """The most the tolerance band can move a path's cost: every continuous fixed column moved
    by ``TOLERANCE_T`` in its cheaper direction (the path without events fixes the most)."""
    return float(TOLERANCE_T * np.abs(prepared.lp.cost[prepared.timed]).sum())


# --- one path ---------------------------------------------------------------------------------


def onset(tree: RiskTree, s: int) -> int:
    """The first month any event is active in path ``s`` (the horizon's length if none)."""
    active = np.flatnonzero(tree.active[s].any(axis=0))
    return int(active[0]) if len(active) else tree.active.shape[2]


def solve_path(
    prepared: Prepared,
    scenario: Scenario,
    tree: RiskTree,
    s: int,
    options: SolveOptions,
) -> dict:
    """Path ``s`` of ``tree`` with the plan's decisions before its onset fixed: its status, cost
    and cost components (USD) and shortfall per material (t)."""
    data = scenario_data(prepared.base, scenario, tree, prepared.effects, s)
    lp = build_model(data)
    fixed = prepared.always | (prepared.timed & (prepared.month < onset(tree, s)))
    value = prepared.values[fixed]
    band = np.where(prepared.always[fixed], 0.0, TOLERANCE_T)
    lower, upper = lp.col_lower.copy(), lp.col_upper.copy()
    low = np.maximum(lower[fixed], value - band)
    high = np.minimum(upper[fixed], value + band)
    clash = np.flatnonzero(low > high)
    if len(clash):  # the path's bounds exclude what the plan did: it cannot be followed
        why = _clash(prepared, data, lp, fixed, clash, value)
        return {"status": Status.INFEASIBLE.value, "termination": "fixed beyond a bound",
                **_unservable(data, options, why)}  # fmt: skip
    lower[fixed], upper[fixed] = low, high
    fixed_lp = replace(lp, col_lower=lower, col_upper=upper,
                       integrality=np.zeros_like(lp.integrality))  # fmt: skip
    highs = new_highs(options, "choose")
    pass_model(highs, fixed_lp)
    run(highs)
    solution = read_solution(highs, fixed_lp, ranging=False)
    row: dict = {"status": solution.status.value, "termination": solution.termination}
    if solution.status != Status.OPTIMAL or not solution.has_plan:
        if solution.status == Status.INFEASIBLE:
            row |= _unservable(data, options, "the plan's decisions before the first event "
                               "leave no feasible continuation in this path")  # fmt: skip
        return row
    costs = cost_breakdown(data, solution)
    row["cost_usd"] = round(float(solution.objective), 2)
    row |= {key: value for key, value in costs.items() if key != "total_usd"}
    short = np.bincount(data.shortfall["m"].to_numpy(dtype=int), weights=solution.shortfall,
                        minlength=len(data.materials))  # fmt: skip
    for m, material in enumerate(data.materials):
        row[f"shortfall_t_{material}"] = round(float(short[m]), 9) + 0.0
    return row


def _unservable(data: ModelData, options: SolveOptions, why: str) -> dict:
    """Why a path is infeasible: the plan (``why``), or the path itself when no plan, even one
    made knowing the path from the start, serves it (``servable`` 0, the conflict in words)."""
    alone = solve_alone(data, options)
    if alone.status == Status.INFEASIBLE:
        reasons = diagnose(data)
        words = f": {reasons[0]}" if reasons else ""
        return {"servable": 0, "diagnosis": f"no plan serves this path, even one made knowing "
                f"it from the start{words}"}  # fmt: skip
    if alone.status == Status.OPTIMAL:
        why += f" (a plan made knowing the path serves it at USD {alone.objective:,.0f})"
    return {"servable": 1, "diagnosis": why}


def _clash(prepared, data, lp, fixed, clash, value) -> str:
    if prepared.names is None:
        prepared.names = column_names(prepared.base)
    column = np.flatnonzero(fixed)[clash[0]]
    return (
        f"the plan's {prepared.names[column]} = {value[clash[0]]:g} lies outside its bounds in "
        f"this path [{lp.col_lower[column]:g}, {lp.col_upper[column]:g}]"
        + (f" and {len(clash) - 1} more" if len(clash) > 1 else "")
    )


# --- in the worker --------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class PathJob:
    """What every worker needs: the scenario, the recorded plan and the sampled paths."""

    key: str  # the evaluation's fingerprint: one prepared model per worker and evaluation
    scenario: Scenario
    plan: RecordedPlan
    tree: RiskTree
    options: SolveOptions


_PREPARED: dict[str, Prepared] = {}


def keep_prepared(key: str, prepared: Prepared) -> None:
    """Use ``prepared`` for the evaluation ``key`` in this process (made once, by the caller)."""
    _PREPARED.clear()
    _PREPARED[key] = prepared


def prepared_for(job: PathJob) -> Prepared:
    if job.key not in _PREPARED:
        _PREPARED.clear()  # one evaluation at a time per worker
        _PREPARED[job.key] = prepare(job.scenario, job.plan, job.tree.events)
    return _PREPARED[job.key]


@python_strings()
def evaluate_chunk(job: PathJob, records: list[dict]) -> list[dict]:
    """Journal rows of a run of paths (``point``: the path's position in the tree)."""
    prepared = prepared_for(job)
    rows = []
    for record in records:
        started = time.perf_counter()
        point = int(record["point"])
        row = {"point": point, "count": record["count"]}
        try:
            row |= solve_path(prepared, job.scenario, job.tree, point, job.options)
        except Exception as error:  # one bad path must not stop the others: it is a row too
            words = " ".join(f"{type(error).__name__}: {error}".split())
            row |= {"status": Status.ERROR.value, "diagnosis": words}
        row["solve_s"] = round(time.perf_counter() - started, 6)
        row["worker"] = os.getpid()
        rows.append(row)
    return rows
