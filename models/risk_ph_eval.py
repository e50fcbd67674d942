"""The two-stage form of the disruption scenarios solved whole, and the plans that follow from a
first stage progressive hedging kept (:mod:`models.risk_ph`); :func:`solve_ph` runs both.

:func:`solve_two_stage_extensive` is the extensive form of the same two-stage tree
(``models.risk_ph.two_stage_tree``: one node until the first onset month, then one node per
scenario), built by ``models.risk_build.build_extensive``: what PH approximates, so the two are
compared like with like. :func:`evaluate_first_stage` fixes the first stage (orders, stock and
yes/no decisions before the first onset) and plans each scenario alone with HiGHS: every
scenario's plan, its cost, and the objective of that first stage (expected cost plus
``risk_weight`` x the CVaR of the scenario costs, with eta at its best for them).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from models.data import ModelData
from models.highs_build import LinearProgram, build_model
from models.highs_engine import VALUE_BLOCKS, new_highs, pass_model, read_solution, run, status_of
from models.risk import RiskTree, resolve_effects, scenario_data
from models.risk_build import build_extensive
from models.risk_engine import RiskSolution, cvar, risk_tree, tail_weights
from models.risk_ph import PHOutcome, PHSettings, run_ph
from models.risk_ph_scenario import first_stage_masks, two_stage_tree
from models.solution import Solution, SolveOptions, Status

if TYPE_CHECKING:
    from optimizer.inputs.scenario import Scenario


def two_stage_inputs(scenario: Scenario, base: ModelData):
    """(two-stage tree, t0, effects, every scenario's data)."""
    tree, t0 = two_stage_tree(risk_tree(scenario, base.months))
    effects = resolve_effects(scenario, base, tree.events)
    datas = [scenario_data(base, scenario, tree, effects, s) for s in range(tree.size)]
    return tree, t0, effects, datas


def first_stage_columns(base: ModelData, lp: LinearProgram, t0: int) -> np.ndarray:
    """The columns of a scenario's LP that are first stage, in the nonant order of
    ``models.risk_ph.scenario_creator`` (value blocks in order, rows in data order)."""
    masks = first_stage_masks(base, t0)
    picked = [np.arange(lp.columns[b].start, lp.columns[b].stop)[masks[b]] for b in VALUE_BLOCKS]
    return np.concatenate(picked).astype(np.int64)


def solve_two_stage_extensive(
    scenario: Scenario, base: ModelData, options: SolveOptions
) -> RiskSolution:
    """The extensive form of the two-stage tree, solved with HiGHS (as ``solve_risk``)."""
    started = time.perf_counter()
    tree, _, _, datas = two_stage_inputs(scenario, base)
    settings = scenario.settings
    form = build_extensive(datas, tree, settings.risk_weight, settings.cvar_alpha)
    highs = new_highs(options, "choose")
    pass_model(highs, form.lp)
    built = time.perf_counter()
    run(highs)
    status, words = status_of(highs)
    result = RiskSolution(status, words, tree, datas, size=form.lp.size)
    result.build_seconds, result.solve_seconds = built - started, time.perf_counter() - built
    info = highs.getInfo()
    if status not in (Status.OPTIMAL, Status.LIMIT) or info.primal_solution_status != 2:
        return result
    x_all = np.asarray(highs.getSolution().col_value)
    result.objective = float(info.objective_function_value)
    if form.lp.is_mip and np.isfinite(info.mip_gap):
        result.mip_gap = float(info.mip_gap)
    result.scenario_cost = np.array(
        [float(form.scenario_cost[s] @ x_all[form.column_of[s]]) for s in range(tree.size)]
    )
    if form.tail is not None:
        result.var = float(x_all[form.tail.start])
    return result


def evaluate_first_stage(
    base: ModelData,
    datas: list[ModelData],
    tree: RiskTree,
    t0: int,
    first_stage: np.ndarray,
    risk_weight: float,
    alpha: float,
    options: SolveOptions,
) -> RiskSolution:
    """Every scenario planned alone with the first stage fixed at ``first_stage`` (nonant
    order; a trailing eta with a risk weight is not needed: given the first stage, each
    scenario's best plan is its cheapest, and eta is then best at the VaR of their costs)."""
    started = time.perf_counter()
    costs = np.full(tree.size, np.nan)
    solutions: list[Solution] = []
    status, words, size = Status.OPTIMAL, "Optimal", None
    for s, data in enumerate(datas):  # scenarios: each one vectorised LP
        lp = build_model(data)
        columns = first_stage_columns(base, lp, t0)
        fixed = np.clip(first_stage[: len(columns)], lp.col_lower[columns], lp.col_upper[columns])
        lower, upper = lp.col_lower.copy(), lp.col_upper.copy()
        lower[columns] = upper[columns] = fixed
        lp = replace(lp, col_lower=lower, col_upper=upper,
                     integrality=np.zeros_like(lp.integrality))  # fmt: skip
        size = size or lp.size
        highs = new_highs(options, "choose")
        pass_model(highs, lp)
        run(highs)
        solution = read_solution(highs, lp, ranging=False, mip=False)
        if not solution.has_plan:
            status, words = solution.status, f"scenario {tree.names[s]}: {solution.termination}"
            break
        solution.build = np.round(solution.build) + 0.0
        solution.sign = np.round(solution.sign) + 0.0
        costs[s] = solution.objective
        solutions.append(solution)
    result = RiskSolution(status, words, tree, datas, size=size)
    result.solve_seconds = time.perf_counter() - started
    if status != Status.OPTIMAL:
        return result
    result.solutions, result.scenario_cost = solutions, costs
    result.objective = float(tree.probability @ costs)
    if risk_weight > 0:
        result.objective += risk_weight * cvar(costs, tree.probability, alpha)
    return result


def lagrangian_bound(
    base: ModelData,
    datas: list[ModelData],
    tree: RiskTree,
    t0: int,
    weights: np.ndarray,
    risk_weight: float,
    alpha: float,
    options: SolveOptions,
    costs: np.ndarray | None = None,
) -> float | None:
    """A lower bound on the two-stage optimum from PH's weights W (S, nonants; eta's last with
    a risk weight): sum_s p_s min (objective_s + W_s . first stage_s), each scenario alone,
    with W first made to average 0 under the probabilities (the relaxation is then valid for
    any W). None when a subproblem is unbounded or not solved to optimality.

    With a risk weight, eta's weights are not PH's (with them a subproblem is unbounded in eta
    as soon as its weight leaves [-w, w alpha / (1 - alpha)]) but the CVaR's own multipliers
    at the scenario ``costs`` of a plan: W_s = w q_s / ((1 - alpha) p_s) - w, q_s the
    probability scenario s puts in the tail; they average 0, and keep each subproblem bounded
    in eta."""
    weights = np.array(weights, dtype=float)
    if risk_weight > 0 and costs is not None:
        q = tail_weights(costs, tree.probability, alpha)
        weights[:, -1] = risk_weight * q / ((1 - alpha) * tree.probability) - risk_weight
    w = weights - tree.probability @ weights  # sum_s p_s W_s = 0, whatever PH's rounding
    total = 0.0
    for s, data in enumerate(datas):  # scenarios: each one vectorised LP or MIP
        lp = build_model(data)
        columns = first_stage_columns(base, lp, t0)
        cost = lp.cost.copy()
        cost[columns] += w[s, : len(columns)]
        highs = new_highs(options, "choose")
        pass_model(highs, replace(lp, cost=cost))
        if risk_weight > 0:  # eta (with its weight) and u_s >= cost_s . x - eta
            n = len(cost)
            highs.addCol(risk_weight + w[s, -1], -np.inf, np.inf, 0, np.array([], np.int32),
                         np.array([]))  # fmt: skip
            highs.addCol(risk_weight / (1 - alpha), 0.0, np.inf, 0, np.array([], np.int32),
                         np.array([]))  # fmt: skip
            nz = np.flatnonzero(lp.cost)
            index = np.concatenate([nz, [n, n + 1]]).astype(np.int32)
            values = np.concatenate([lp.cost[nz], [-1.0, -1.0]])
            highs.addRow(-np.inf, 0.0, len(index), index, values)
        run(highs)
        status, _ = status_of(highs)
        if status != Status.OPTIMAL:
            return None
        info = highs.getInfo()
        bound = info.mip_dual_bound if lp.is_mip else info.objective_function_value
        total += tree.probability[s] * float(bound)
    return total


@dataclass
class PHRun:
    """PH's run over the two-stage form and what rank 0 made of it (worker ranks: no plans)."""

    tree: RiskTree
    t0: int
    outcome: PHOutcome
    plans: RiskSolution | None = None  # every scenario's plan with the kept first stage
    source: str | None = None  # where that first stage came from
    lagrangian: float | None = None
    evaluate_seconds: float = 0.0

    @property
    def outer_bound(self) -> float | None:
        bounds = [b for b in (self.outcome.outer_bound, self.lagrangian) if b is not None]
        return max(bounds) if bounds else None

    @property
    def gap(self) -> float | None:
        """(objective - best lower bound) / |objective|; tiny negatives (rounding) are 0."""
        if self.plans is None or self.plans.objective is None or self.outer_bound is None:
            return None
        gap = (self.plans.objective - self.outer_bound) / max(abs(self.plans.objective), 1e-9)
        return 0.0 if -1e-7 < gap < 0 else float(gap)

    def status(self, rel_gap: float) -> tuple[Status, str]:
        """Optimal only when the plans are within ``rel_gap`` of the lower bound; a plan
        further from it is ``LIMIT`` (a plan, not shown optimal), with the reason."""
        if self.plans is None:
            return Status.ERROR, "no plans on this rank"
        status, words = self.plans.status, self.plans.termination
        gap, outcome = self.gap, self.outcome
        if status != Status.OPTIMAL or (gap is not None and gap <= rel_gap):
            return status, words
        why = (
            "converged"
            if outcome.converged
            else f"stopped after {outcome.iterations} iterations without converging"
        )
        bound = "no lower bound" if gap is None else f"gap {gap:.3%} to the lower bound"
        return Status.LIMIT, f"PH {why}; {bound}, above {rel_gap:g}"


def solve_ph(
    scenario: Scenario, base: ModelData, options: SolveOptions, settings: PHSettings
) -> PHRun:
    """PH on every MPI rank; on rank 0, the plans of the first candidate first stage that
    serves every scenario (``PHOutcome.candidates``, best first), and the Lagrangian bound."""
    tree, t0, effects, datas = two_stage_inputs(scenario, base)
    outcome = run_ph(scenario, base, tree, effects, t0, settings)
    run_ = PHRun(tree, t0, outcome)
    if not outcome.candidates:  # a worker rank
        return run_
    started = time.perf_counter()
    weight, alpha = scenario.settings.risk_weight, scenario.settings.cvar_alpha
    for candidate, source in zip(outcome.candidates, outcome.sources, strict=True):
        run_.plans = evaluate_first_stage(base, datas, tree, t0, candidate, weight, alpha,
                                          options)  # fmt: skip
        run_.source = source
        if run_.plans.has_plan:  # else (a rounded consensus may leave a scenario without a
            break  # plan) the next candidate
    if run_.plans.has_plan:
        run_.lagrangian = lagrangian_bound(base, datas, tree, t0, outcome.weights, weight, alpha,
                                           options, run_.plans.scenario_cost)  # fmt: skip
    run_.evaluate_seconds = time.perf_counter() - started
    return run_
