"""A branch and bound over a MIP's few integer columns on one HiGHS LP: each node changes the
bounds of those columns and re-solves by dual simplex from the last basis.

Why: the extensive form of the disruption scenarios has a handful of yes/no columns (the
investment and contract decisions, taken at the root) over a large LP. HiGHS's MIP solver
spends most of its time there in cut rounds on the whole LP; branching on the few columns
proves the same optimum in a few warm re-solves (``benchmarks/bench_risk.py``). The tolerances
are HiGHS's: a column is integral within ``mip_feasibility_tolerance``, and a node is pruned
when its bound is within ``max(mip_abs_gap, mip_rel_gap x |incumbent|)`` of the incumbent.
The search is deterministic: best bound first, ties in the order the nodes were made.
"""

from __future__ import annotations

import heapq
import time
from dataclasses import dataclass, replace

import highspy
import numpy as np

from models.highs_build import LinearProgram
from models.highs_engine import new_highs, pass_model, run, status_of
from models.solution import SolveOptions, Status

BRANCH_AT_MOST = 32  # integer columns; above, HiGHS's own MIP solver (its cuts pay there)
INTEGRAL = 1e-6  # HiGHS's mip_feasibility_tolerance
ABS_GAP, REL_GAP = 1e-6, 1e-4  # HiGHS's mip_abs_gap and default mip_rel_gap
DEVEX = 1  # HiGHS's simplex_dual_edge_weight_strategy for devex pricing


@dataclass
class Outcome:
    status: Status
    words: str
    objective: float | None = None
    bound: float | None = None  # the least bound of the nodes left open or pruned by the gap
    nodes: int = 0
    iterations: int = 0
    gap: float | None = None  # a MIP's relative gap between objective and bound


def branch_and_bound(
    highs: highspy.Highs,
    columns: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    options: SolveOptions,
    incumbent: tuple[float, np.ndarray] | None = None,
) -> Outcome:
    """Minimise the LP held by ``highs`` (its integrality cleared) with ``columns`` integer
    within [lower, upper]. On return ``highs`` holds the optimum with those columns fixed to
    their integer values (so a caller can change bounds and re-solve from its basis).
    ``incumbent``: the objective of a known plan and its values of ``columns`` (integers
    within [lower, upper], the objective that of the LP with them fixed): the search starts
    with it as its best plan, and nodes that cannot beat it by the gaps are pruned."""
    started = time.perf_counter()
    columns = np.asarray(columns, dtype=np.int32)
    rel_gap = rel_gap_of(options)
    best, best_box = np.inf, None
    if incumbent is not None:
        known = np.asarray(incumbent[1], dtype=float)
        best, best_box = float(incumbent[0]), (known, known, known)
    open_nodes = [(-np.inf, 0, lower, upper)]  # (parent's bound, order made, lower, upper)
    made = nodes = iterations = 0
    pruned = np.inf  # the least bound of the nodes pruned by the gap: still a bound
    status, words = Status.OPTIMAL, ""
    while open_nodes:
        bound, _, lo, hi = open_nodes[0]
        if bound >= _cutoff(best, rel_gap):
            break  # the least bound left cannot improve the incumbent: every node is pruned
        heapq.heappop(open_nodes)
        node, objective, values, words = _solve_node(highs, columns, lo, hi, options, started)
        nodes += 1
        iterations += highs.getInfo().simplex_iteration_count
        if node is Status.INFEASIBLE:
            continue
        if node is not Status.OPTIMAL:  # a limit, or unbounded: stop where we are
            status = node
            heapq.heappush(open_nodes, (bound, -1, lo, hi))
            break
        if objective >= _cutoff(best, rel_gap):
            pruned = min(pruned, objective)
            continue
        away = np.abs(values - np.round(values))
        j = int(np.argmax(away))
        if away[j] <= INTEGRAL:
            best, best_box = objective, (np.round(values), lo, hi)
            continue
        for child_lo, child_hi in _children(lo, hi, j, values[j]):
            made += 1
            heapq.heappush(open_nodes, (objective, made, child_lo, child_hi))
    if best_box is None:
        if status is Status.OPTIMAL:
            status, words = Status.INFEASIBLE, "Infeasible"
        return Outcome(status, words, nodes=nodes, iterations=iterations)
    left = min(min((n[0] for n in open_nodes), default=best), pruned)
    limit = options.time_limit_s  # the clean re-solves below are warm and short: no limit
    highs.setOptionValue("time_limit", float("inf"))
    integral, lo, hi = best_box
    final, objective, _, _ = _solve_node(highs, columns, integral, integral, options, None)
    iterations += highs.getInfo().simplex_iteration_count
    if final is not Status.OPTIMAL:  # rounding within the tolerance cut it off: keep the node
        _solve_node(highs, columns, lo, hi, options, None)
        objective = best
    highs.setOptionValue("time_limit", float("inf") if limit is None else float(limit))
    words = "Optimal" if status is Status.OPTIMAL else words
    bound = min(left, objective)
    gap = abs(objective - bound) / max(abs(objective), 1.0)
    return Outcome(status if status is Status.OPTIMAL else Status.LIMIT, words, objective,
                   bound, nodes, iterations, gap)  # fmt: skip


def _cutoff(best: float, rel_gap: float) -> float:
    """A node whose bound reaches this cannot improve the incumbent ``best`` by the gaps."""
    return best - allowed_gap(best, rel_gap) if np.isfinite(best) else np.inf


def allowed_gap(incumbent: float, rel_gap: float) -> float:
    """How far a valid bound may lie below ``incumbent`` for it to count as optimal: HiGHS's
    rule, ``max(mip_abs_gap, mip_rel_gap x |incumbent|)``."""
    return max(ABS_GAP, rel_gap * abs(incumbent))


def rel_gap_of(options: SolveOptions) -> float:
    """The relative MIP gap ``options`` asks for (HiGHS's default where unset)."""
    return REL_GAP if options.mip_rel_gap is None else float(options.mip_rel_gap)


def _solve_node(highs, columns, lo, hi, options, started):
    """(status, objective, values of ``columns``, HiGHS's words) of the LP with ``columns``
    in [lo, hi]; within the time left of ``options.time_limit_s`` from ``started``."""
    highs.changeColsBounds(len(columns), columns, lo.astype(float), hi.astype(float))
    if options.time_limit_s is not None and started is not None:
        left = float(options.time_limit_s) - (time.perf_counter() - started)
        if left <= 0:
            return Status.LIMIT, None, None, "Time limit reached"
        highs.setOptionValue("time_limit", left)
    run(highs)
    status, words = status_of(highs)
    if status is not Status.OPTIMAL:
        return status, None, None, words
    values = np.asarray(highs.getSolution().col_value)[columns]
    return status, float(highs.getInfo().objective_function_value), values, words


def _children(lo: np.ndarray, hi: np.ndarray, j: int, value: float):
    """The two nodes of a fractional column: at most its floor, at least its ceiling."""
    down_hi, up_lo = hi.copy(), lo.copy()
    down_hi[j], up_lo[j] = np.floor(value), np.ceil(value)
    return (lo, down_hi), (up_lo, hi)


def solve_program(
    lp: LinearProgram, options: SolveOptions, start: highspy.HighsBasis | None = None
) -> tuple[highspy.Highs, Outcome]:
    """Solve ``lp``: by :func:`branch_and_bound` when it has a few integer columns, else by
    HiGHS alone (an LP, or a MIP with many integer columns). ``start``: a basis the LP (or
    the branch and bound's first node) starts from; a MIP solved by HiGHS ignores it."""
    integer = np.flatnonzero(lp.integrality)
    if not 0 < len(integer) <= BRANCH_AT_MOST:
        highs = new_highs(options, "choose")
        pass_model(highs, lp)
        if start is not None and not lp.is_mip:
            _start_from(highs, start)
        run(highs)
        return highs, _highs_outcome(highs, lp)
    highs = new_highs(options, "simplex")  # simplex: each node starts from the last basis
    pass_model(highs, replace(lp, integrality=np.zeros_like(lp.integrality)))
    if start is not None:
        _start_from(highs, start)
    return highs, branch_and_bound(highs, integer, lp.col_lower[integer],
                                   lp.col_upper[integer], options)  # fmt: skip


def _start_from(highs: highspy.Highs, start: highspy.HighsBasis) -> None:
    """Start from ``start``, with devex pricing: from a given basis HiGHS would first compute
    exact steepest-edge weights, a solve per row; on 200 sampled paths devex halves the
    whole branch and bound (``benchmarks/bench_risk.py``)."""
    highs.setBasis(start)
    highs.setOptionValue("simplex_dual_edge_weight_strategy", DEVEX)


def resolve_fixed(
    highs: highspy.Highs,
    lp: LinearProgram,
    columns: np.ndarray,
    values: np.ndarray,
    options: SolveOptions,
) -> Outcome:
    """Re-solve ``highs`` (as :func:`solve_program` left it) with ``columns`` fixed to
    ``values``, from its last basis; the other integer columns free again."""
    columns = np.asarray(columns, dtype=np.int32)
    highs.changeColsBounds(len(columns), columns, values, values)
    integer = np.flatnonzero(lp.integrality)
    if not 0 < len(integer) <= BRANCH_AT_MOST:
        run(highs)
        return _highs_outcome(highs, lp)
    lower, upper = lp.col_lower[integer].copy(), lp.col_upper[integer].copy()
    fixed = np.full(len(lp.cost), np.nan)
    fixed[columns] = values
    held = ~np.isnan(fixed[integer])
    lower[held] = upper[held] = fixed[integer][held]
    return branch_and_bound(highs, integer, lower, upper, options)


def _highs_outcome(highs: highspy.Highs, lp: LinearProgram) -> Outcome:
    status, words = status_of(highs)
    info = highs.getInfo()
    if info.primal_solution_status != 2:  # no feasible solution to report
        return Outcome(status, words)
    objective = float(info.objective_function_value)
    bound = float(info.mip_dual_bound) if lp.is_mip else objective
    gap = float(info.mip_gap) if lp.is_mip and np.isfinite(info.mip_gap) else None
    return Outcome(status, words, objective, bound, max(int(info.mip_node_count), 0),
                   int(info.simplex_iteration_count), gap)  # fmt: skip


def resolve(highs: highspy.Highs, lp: LinearProgram, options: SolveOptions) -> Outcome:
    """Re-solve ``highs`` (as :func:`solve_program` left it) with the costs and bounds of
    ``lp``, an LP of the same matrix, from its last basis."""
    change_numbers(highs, lp)
    integer = np.flatnonzero(lp.integrality)
    if not 0 < len(integer) <= BRANCH_AT_MOST:
        run(highs)
        return _highs_outcome(highs, lp)
    return branch_and_bound(highs, integer, lp.col_lower[integer], lp.col_upper[integer],
                            options)  # fmt: skip


def change_numbers(highs: highspy.Highs, lp: LinearProgram) -> None:
    """Give the model ``highs`` holds the costs and bounds of ``lp`` (same matrix); HiGHS keeps
    its basis."""
    every = np.arange(len(lp.cost), dtype=np.int32)
    highs.changeColsCost(len(every), every, lp.cost)
    highs.changeColsBounds(len(every), every, lp.col_lower, lp.col_upper)
    rows = np.arange(len(lp.row_lower), dtype=np.int32)
    highs.changeRowsBounds(len(rows), rows, lp.row_lower, lp.row_upper)
