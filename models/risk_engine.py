"""Solving the extensive form of the disruption scenarios with HiGHS, and reading each
scenario's plan back as a :class:`~models.solution.Solution` of its own model data."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from models.data import ModelData
from models.highs_build import build_model
from models.highs_engine import VALUE_BLOCKS, new_highs, pass_model, run, status_of
from models.risk import Effects, RiskTree, explicit_tree, resolve_effects, sampled_tree
from models.risk import scenario_data as data_of
from models.risk_build import ExtensiveForm, build_extensive
from models.solution import ModelSize, Solution, SolveOptions, Status

if TYPE_CHECKING:
    from optimizer.inputs.scenario import Scenario


@dataclass
class RiskSolution:
    """The extensive form's outcome: the tree, each scenario's data and plan, and its cost."""

    status: Status
    termination: str
    tree: RiskTree
    datas: list[ModelData]
    solutions: list[Solution] = field(default_factory=list)
    objective: float | None = None  # expected cost + risk_weight x CVaR
    scenario_cost: np.ndarray | None = None  # (S,) each scenario's cost
    var: float | None = None  # eta at the optimum: the value at risk
    size: ModelSize | None = None
    build_seconds: float = 0.0
    solve_seconds: float = 0.0
    mip_gap: float | None = None
    # The value of the stochastic solution and of perfect information, on the objective, with
    # the expected-cost parts beside (``values``); inf for VSS when the deterministic plan's
    # early decisions leave some scenario without a plan.
    vss: float | None = None
    vss_expected: float | None = None
    evpi: float | None = None
    evpi_expected: float | None = None
    # The plan made without events, its early decisions fixed in the tree: each scenario's
    # cost and shortfall (tonnes, every material).
    eev_cost: np.ndarray | None = None
    eev_shortfall: np.ndarray | None = None

    def shortfall(self) -> np.ndarray:
        """Each scenario's shortfall in tonnes, every material and month."""
        return np.array([float(s.shortfall.sum()) for s in self.solutions])

    @property
    def has_plan(self) -> bool:
        return bool(self.solutions)


def risk_tree(scenario: Scenario, months: list[str]) -> RiskTree:
    if len(scenario.risk_scenarios):
        return explicit_tree(scenario, months)
    return sampled_tree(scenario, months)


def solve_risk(
    scenario: Scenario, base: ModelData, options: SolveOptions, values: bool = True
) -> RiskSolution:
    started = time.perf_counter()
    tree = risk_tree(scenario, base.months)
    effects: Effects = resolve_effects(scenario, base, tree.events)
    datas = [data_of(base, scenario, tree, effects, s) for s in range(tree.size)]
    settings = scenario.settings
    form: ExtensiveForm = build_extensive(datas, tree, settings.risk_weight, settings.cvar_alpha)
    lp = form.lp
    highs = new_highs(options, "choose")
    if options.mip_rel_gap is not None:
        highs.setOptionValue("mip_rel_gap", float(options.mip_rel_gap))
    pass_model(highs, lp)
    built = time.perf_counter()
    run(highs)
    solved = time.perf_counter()
    status, words = status_of(highs)
    result = RiskSolution(status, words, tree, datas, size=lp.size)
    result.build_seconds, result.solve_seconds = built - started, solved - built
    info = highs.getInfo()
    if status not in (Status.OPTIMAL, Status.LIMIT) or info.primal_solution_status != 2:
        return result
    x_all = np.asarray(highs.getSolution().col_value)
    result.objective = float(info.objective_function_value)
    if lp.is_mip and np.isfinite(info.mip_gap):
        result.mip_gap = float(info.mip_gap)
    layout = form.layout
    costs = np.empty(tree.size)
    for s in range(tree.size):  # scenarios: each a vectorised gather of its columns
        x = x_all[form.column_of[s]]
        costs[s] = float(form.scenario_cost[s] @ x)
        solution = Solution(status=status, termination=words, size=layout.size, engine="highs",
                            solver=f"HiGHS {highs.version()}")  # fmt: skip
        solution.objective = costs[s]
        for block in VALUE_BLOCKS:
            setattr(solution, block, x[layout.columns[block]])
        if layout.is_mip:
            solution.build = np.round(solution.build) + 0.0
            solution.sign = np.round(solution.sign) + 0.0
        result.solutions.append(solution)
    result.scenario_cost = costs
    if form.tail is not None:
        result.var = float(x_all[form.tail.start])
    if values and status == Status.OPTIMAL:
        _values(result, scenario, base, form, highs, options)
    return result


def _objective(costs: np.ndarray, probability: np.ndarray, weight: float, alpha: float):
    """(expected cost + weight x CVaR, expected cost) of scenario costs."""
    expected = float(probability @ costs)
    return expected + weight * cvar(costs, probability, alpha), expected


def _solve_lp(lp, options: SolveOptions) -> float | None:
    highs = new_highs(options, "choose")
    pass_model(highs, lp)
    run(highs)
    status, _ = status_of(highs)
    return float(highs.getInfo().objective_function_value) if status == Status.OPTIMAL else None


def _values(
    result: RiskSolution,
    scenario: Scenario,
    base: ModelData,
    form: ExtensiveForm,
    highs,
    options: SolveOptions,
) -> None:
    """EVPI: the stochastic objective less that of the wait-and-see plans (each scenario
    planned alone, knowing its events); VSS: the objective with every decision the tree takes
    before any event has begun (and every yes/no decision) fixed to the plan made without
    events, less the stochastic objective. Both on the objective, the expected-cost parts
    beside."""
    tree, settings = result.tree, scenario.settings
    weight, alpha = settings.risk_weight, settings.cvar_alpha
    rp, rp_expected = result.objective, float(tree.probability @ result.scenario_cost)
    alone = [_solve_lp(build_model(d), options) for d in result.datas]  # one per scenario
    if all(a is not None for a in alone):
        ws, ws_expected = _objective(np.array(alone), tree.probability, weight, alpha)
        result.evpi, result.evpi_expected = rp - ws, rp_expected - ws_expected
    plain = build_model(base)
    h = new_highs(options, "choose")
    pass_model(h, plain)
    run(h)
    if status_of(h)[0] != Status.OPTIMAL:
        return
    x = np.asarray(h.getSolution().col_value)
    shared = (form.column_of == form.column_of[0]).all(axis=0)
    columns = form.column_of[0, shared].astype(np.int32)
    lp = form.lp
    fixed = np.clip(x[shared], lp.col_lower[columns], lp.col_upper[columns])
    highs.changeColsBounds(len(columns), columns, fixed, fixed)
    run(highs)
    status, _ = status_of(highs)
    if status == Status.INFEASIBLE:
        result.vss = result.vss_expected = float("inf")
        return
    if status != Status.OPTIMAL:
        return
    values = np.asarray(highs.getSolution().col_value)
    costs = np.array([form.scenario_cost[s] @ values[form.column_of[s]] for s in range(tree.size)])
    short = form.layout.columns["shortfall"]
    result.eev_cost = costs
    result.eev_shortfall = np.array(
        [values[form.column_of[s]][short].sum() for s in range(tree.size)]
    )
    eev, eev_expected = _objective(costs, tree.probability, weight, alpha)
    result.vss, result.vss_expected = eev - rp, eev_expected - rp_expected


def tail_weights(costs: np.ndarray, probability: np.ndarray, alpha: float) -> np.ndarray:
    """The probability each scenario puts in the costliest 1 - alpha (ties split in order):
    the scenarios CVaR averages over are those with a positive weight."""
    order = np.argsort(-costs, kind="stable")
    taken = np.concatenate([[0.0], np.cumsum(probability[order])[:-1]])
    weights = np.zeros(len(costs))
    weights[order] = np.clip(np.minimum(probability[order], (1.0 - alpha) - taken), 0.0, None)
    return weights


def cvar(costs: np.ndarray, probability: np.ndarray, alpha: float) -> float:
    """The expected cost in the costliest 1 - alpha of probability (exact, ties split)."""
    tail = 1.0 - alpha
    if tail <= 0:
        return float(costs.max())
    return float(tail_weights(costs, probability, alpha) @ costs) / tail
