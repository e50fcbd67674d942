"""Solving the extensive form of the disruption scenarios with HiGHS, and reading each
scenario's plan back as a :class:`~models.solution.Solution` of its own model data."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from models.branching import resolve, resolve_fixed, solve_program
from models.data import ModelData
from models.highs_build import build_model
from models.highs_engine import VALUE_BLOCKS
from models.risk import (
    Effects,
    RiskTree,
    explicit_tree,
    resolve_effects,
    sampled_tree,
    scenario_datas,
)
from models.risk_build import ExtensiveForm, build_extensive, decision_months
from models.risk_programs import ScenarioPrograms, scenario_programs
from models.risk_start import starting_basis
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
    nodes: int = 0  # branch-and-bound nodes of the extensive form
    iterations: int = 0  # its simplex iterations
    # Seconds per step: data_s (tree, effects, each scenario's data), merge_s (the LPs as
    # arrays, merged), start_s (the starting basis), solve_s, read_s, evpi_s, vss_s.
    seconds: dict[str, float] = field(default_factory=dict)

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
    seconds, clock = {}, [time.perf_counter()]

    def lap(name: str) -> None:
        clock.append(time.perf_counter())
        seconds[name] = clock[-1] - clock[-2]

    tree = risk_tree(scenario, base.months)
    effects: Effects = resolve_effects(scenario, base, tree.events)
    datas = scenario_datas(base, scenario, tree, effects)
    lap("data_s")
    settings = scenario.settings
    programs = scenario_programs(datas)
    form: ExtensiveForm = build_extensive(
        datas, tree, settings.risk_weight, settings.cvar_alpha, programs=programs
    )
    lap("merge_s")
    start = starting_basis(form, options)  # each scenario's own basis, merged
    lap("start_s")
    highs, outcome = solve_program(form.lp, options, start)  # few yes/no columns: B&B
    lap("solve_s")
    status, words = outcome.status, outcome.words
    result = RiskSolution(status, words, tree, datas, size=form.lp.size, seconds=seconds)
    result.build_seconds = clock[-2] - clock[0]
    result.solve_seconds = seconds["solve_s"]
    result.nodes, result.iterations = outcome.nodes, outcome.iterations
    if status not in (Status.OPTIMAL, Status.LIMIT) or outcome.objective is None:
        return result
    result.objective = outcome.objective
    if form.lp.is_mip and outcome.gap is not None:
        result.mip_gap = outcome.gap
    _read(result, form, highs)
    lap("read_s")
    if values and status == Status.OPTIMAL:
        _values(result, scenario, base, form, highs, options)
    return result


def _read(result: RiskSolution, form: ExtensiveForm, highs) -> None:
    """Each scenario's plan (its columns gathered from the merged solution) and cost."""
    x_all = np.asarray(highs.getSolution().col_value)
    layout, solver = form.layout, f"HiGHS {highs.version()}"
    costs = np.empty(result.tree.size)
    for s in range(result.tree.size):  # scenarios: each a vectorised gather of its columns
        x = x_all[form.column_of[s]]
        costs[s] = float(form.scenario_cost[s] @ x)
        result.solutions.append(
            scenario_solution(layout, x, costs[s], result.status, result.termination, solver)
        )
    result.scenario_cost = costs
    if form.tail is not None:
        result.var = float(x_all[form.tail.start])


def _objective(costs: np.ndarray, probability: np.ndarray, weight: float, alpha: float):
    """(expected cost + weight x CVaR, expected cost) of scenario costs."""
    expected = float(probability @ costs)
    return expected + weight * cvar(costs, probability, alpha), expected


def wait_and_see(programs: ScenarioPrograms, options: SolveOptions) -> np.ndarray | None:
    """Each scenario's optimum planned alone (None if one has none). Scenarios whose LPs are
    equal (events that change nothing the model reads) are solved once; the others of one
    structure in one HiGHS instance, each from the last one's basis."""
    first, copy_of = programs.alike()
    alone = np.empty(len(first))
    highs, held = None, None  # the instance and the coefficients it holds
    for k in np.argsort(programs.group_of[first], kind="stable"):  # a group after another
        s = int(first[k])
        lp = programs.program(s)
        holds = (programs.group_of[s], lp.matrix.data)
        if highs is not None and held[0] == holds[0] and np.array_equal(held[1], holds[1]):
            outcome = resolve(highs, lp, options)
        else:
            highs, outcome = solve_program(lp, options)
            held = holds
        if outcome.status != Status.OPTIMAL:
            return None
        alone[k] = outcome.objective
    return alone[copy_of]


def scenario_solution(
    layout, x: np.ndarray, cost: float, status: Status, termination: str, solver: str = ""
) -> Solution:
    """One scenario's plan as a :class:`Solution` of its own model data: ``x`` its columns in
    the scenario layout (``layout``, one scenario's LP), yes/no decisions rounded."""
    solution = Solution(status=status, termination=termination, size=layout.size,
                        engine="highs", solver=solver)  # fmt: skip
    solution.objective = cost
    for block in VALUE_BLOCKS:
        setattr(solution, block, x[layout.columns[block]])
    if layout.is_mip:
        solution.build = np.round(solution.build) + 0.0
        solution.sign = np.round(solution.sign) + 0.0
    return solution


def _values(
    result: RiskSolution,
    scenario: Scenario,
    base: ModelData,
    form: ExtensiveForm,
    highs,
    options: SolveOptions,
) -> None:
    """EVPI: the stochastic objective less that of the wait-and-see plans (each scenario
    planned alone, knowing its events); VSS: the objective with every decision of the tree
    taken before any event has begun (the undisrupted path's nodes, every yes/no decision
    among them) fixed to the plan made without events, the rest optimised in the tree, less
    the stochastic objective. Both on the objective, the expected-cost parts beside."""
    tree, settings = result.tree, scenario.settings
    weight, alpha = settings.risk_weight, settings.cvar_alpha
    rp, rp_expected = result.objective, float(tree.probability @ result.scenario_cost)
    programs = form.programs or scenario_programs(result.datas)
    started = time.perf_counter()
    alone = wait_and_see(programs, options)
    if alone is not None:
        ws, ws_expected = _objective(alone, tree.probability, weight, alpha)
        result.evpi, result.evpi_expected = rp - ws, rp_expected - ws_expected
    waited = time.perf_counter()
    result.seconds["evpi_s"] = waited - started
    plain, planned = solve_program(build_model(base), options)
    if planned.status != Status.OPTIMAL:
        return
    x = np.asarray(plain.getSolution().col_value)
    columns, j = base_path_columns(form, tree, result.datas[0])
    lp = form.lp
    fixed = np.clip(x[j], lp.col_lower[columns], lp.col_upper[columns])
    values = np.asarray(highs.getSolution().col_value)
    if _holds(values[columns], fixed):
        # The stochastic plan takes the fixed decisions already: it is optimal in the
        # restricted tree too (a restriction cannot do better), so VSS is 0 without a re-solve.
        _eev(result, form, values, result.scenario_cost)
        result.vss = result.vss_expected = 0.0
        result.seconds["vss_s"] = time.perf_counter() - waited
        return
    outcome = resolve_fixed(highs, lp, columns, fixed, options)  # from the optimal basis
    result.seconds["vss_s"] = time.perf_counter() - waited
    if outcome.status == Status.INFEASIBLE:
        result.vss = result.vss_expected = float("inf")
        return
    if outcome.status != Status.OPTIMAL:
        return
    values = np.asarray(highs.getSolution().col_value)
    costs = np.array([form.scenario_cost[s] @ values[form.column_of[s]] for s in range(tree.size)])
    _eev(result, form, values, costs)
    eev, eev_expected = _objective(costs, tree.probability, weight, alpha)
    result.vss, result.vss_expected = eev - rp, eev_expected - rp_expected


def base_path_columns(
    form: ExtensiveForm, tree: RiskTree, data: ModelData
) -> tuple[np.ndarray, np.ndarray]:
    """The merged columns decided before any event has begun (the nodes of the undisrupted
    path: every yes/no decision, and each scenario's decisions before its first event), and
    each one's column in one scenario's layout."""
    decided = form.decided  # (scenario columns,) -1: before the horizon
    if decided is None:
        decided = decision_months(data, form.layout)
    quiet = decided[None, :] < tree.onset[:, None]  # (S, scenario columns)
    merged = form.column_of[quiet]
    layout = np.broadcast_to(np.arange(form.column_of.shape[1]), quiet.shape)[quiet]
    columns, first = np.unique(merged, return_index=True)
    return columns.astype(np.int32), layout[first]


def _eev(result: RiskSolution, form: ExtensiveForm, values: np.ndarray, costs: np.ndarray):
    """Each scenario's cost and shortfall (tonnes) with the deterministic plan's decisions."""
    short = form.layout.columns["shortfall"]
    result.eev_cost = costs
    result.eev_shortfall = values[form.column_of[:, short]].sum(axis=1)


def _holds(values: np.ndarray, fixed: np.ndarray) -> bool:
    """Whether a solution's values are the fixed ones, within HiGHS's feasibility tolerance."""
    return bool(np.all(np.abs(values - fixed) <= 1e-7 * np.maximum(1.0, np.abs(fixed))))


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
