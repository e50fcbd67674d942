"""Sweep points of a MIP proved with what earlier points learnt, instead of a branch and cut from
the root at every point.

A scenario with a few yes/no decisions (plants to build, contracts to sign) is kept in one
HiGHS instance as its LP relaxation (the decisions' integrality cleared; :class:`WarmModel`
changes the numbers from point to point, so every LP below starts from the last basis). For
each point, in turn, until one of them settles it:

1. the relaxation, warm: infeasible, the point is (``relaxation infeasible``); decisions that
   are all yes or no, it is the point's optimum (``relaxation integral``); its objective is a
   bound on the point's optimum in every other case;
2. the decisions of the last points this model solved (a few, the latest first), each fixed
   (an LP, warm): a plan whose objective is within the gap of that bound is proved
   (``fixed decisions within bound``);
3. the exact branch and bound of :mod:`models.branching` over the decisions, warm, starting
   from the best of those plans as its incumbent (``branch and bound``);
4. HiGHS's own branch and cut for what the branch and bound does not take: more than
   ``BRANCH_AT_MOST`` decisions, or a relaxation neither optimal nor infeasible (unbounded, a
   limit), so the status is HiGHS's (``branch and cut``).

A plan is proved when ``objective - bound <= max(mip_abs_gap, mip_rel_gap x |objective|)``
(:func:`models.branching.allowed_gap`, HiGHS's rule), the gap being the solve's
``mip_rel_gap``. The bound is an LP objective that dual simplex reached optimal, so it is a
bound up to HiGHS's feasibility tolerances, as in HiGHS's own branch and cut. The plan of every
point is the LP with its decisions fixed, so its figures are those of the plan proved. A model
without yes/no decisions is an LP: its optimum (``lp``).

What a point learns (its decisions) stays in this model: on a Dask worker, in that worker.
Which plan is returned can then depend on the order of the points (at ties), the objective
only within the gap.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from models.branching import (
    BRANCH_AT_MOST,
    INTEGRAL,
    allowed_gap,
    branch_and_bound,
    rel_gap_of,
)
from models.highs_engine import read_solution, run, status_of
from models.highs_warm import WarmModel
from models.solution import Solution, SolveOptions, Status, relative_gap

if TYPE_CHECKING:
    from collections.abc import Callable

    from models.data import ModelData
    from optimizer.inputs.scenario import Scenario

# How each point's answer was proved (the ``proof`` column of a sweep's results).
LP = "lp"
RELAXATION_INFEASIBLE = "relaxation infeasible"
RELAXATION_INTEGRAL = "relaxation integral"
FIXED_WITHIN_BOUND = "fixed decisions within bound"
BRANCH_AND_BOUND = "branch and bound"
BRANCH_AND_CUT = "branch and cut"
ENOUGH = "enough for the caller"  # solve_data's first decisions: a plan, not proved optimal
PROOFS = (LP, RELAXATION_INFEASIBLE, RELAXATION_INTEGRAL, FIXED_WITHIN_BOUND, BRANCH_AND_BOUND,
          BRANCH_AND_CUT, ENOUGH)  # fmt: skip
REMEMBERED = 3  # distinct decisions of the latest points, tried (the latest first) at a point


@dataclass
class Proved:
    """A point's solution, whether its model was re-solved warm (else rebuilt), how the answer
    was proved, the bound proved (a MIP's, where known) and the LPs solved for it."""

    solution: Solution
    proof: str
    bound: float | None = None
    lps: int = 0
    warm: bool = True


class MipWarm:
    """``solve(scenario)`` for points of one base scenario, MIP or LP (see the module's text)."""

    def __init__(self, scenario: Scenario, options: SolveOptions | None = None):
        self._hold(WarmModel(scenario, options))

    @classmethod
    def of_data(
        cls,
        scenario: Scenario,
        data: ModelData,
        options: SolveOptions | None = None,
        model: WarmModel | None = None,
    ) -> MipWarm:
        """For points given as model data of ``data``'s structure (:meth:`solve_data`),
        ``data`` compiled from ``scenario``. ``model``: a warm model of ``data`` to hold
        (``WarmModel.adopt``: the engine's solved instance, re-solved from its basis), else
        one is built."""
        mip = cls.__new__(cls)
        mip._hold(model or WarmModel.of_data(scenario, data, options, relaxed=True))
        return mip

    def _hold(self, model: WarmModel) -> None:
        self.model = model
        self.options = model.options
        self.rel_gap = rel_gap_of(self.options)
        self.remembered: list[np.ndarray] = []  # the latest points' decisions, latest first
        self._relax()

    @property
    def point(self) -> ModelData:
        """The model data with the last point's numbers (for its figures)."""
        return self.model.point

    @property
    def rebuilds(self) -> int:
        return self.model.rebuilds

    def solve(self, scenario: Scenario) -> Proved:
        started = time.perf_counter()
        warm = self.model.load(scenario)
        if not warm:
            self._relax()
        changed = time.perf_counter()
        proved = self._prove()
        proved.warm = warm
        return self._finish(proved, started, changed)

    def solve_data(
        self,
        point: ModelData,
        changed: set[str] | None = None,
        first: np.ndarray | None = None,
        enough: Callable[[Solution], bool] | None = None,
    ) -> Proved:
        """As :meth:`solve` for ``point``, model data of the held data's structure (from
        ``point_data`` or ``ModelData.with_numbers``; ``changed``: the only fields in which it
        differs from that data, if known). ``first``, ``enough``: decisions whose plan is
        solved before anything else and returned as it is (``ENOUGH``, no bound) where
        ``enough(plan)`` says it answers the caller's question (a bound of the caller's own
        proves it, say)."""
        started = time.perf_counter()
        self.model.load_data(point, changed)
        loaded = time.perf_counter()
        proved, tried = None, 0
        if first is not None and enough is not None and self.integer.size:
            proved, tried = self._enough(first, enough)
        if proved is None:
            proved = self._prove()
            proved.lps += tried
        return self._finish(proved, started, loaded)

    def limit_time(self, seconds: float | None) -> None:
        """The time limit of the next solves: of each LP and of a branch and bound in all."""
        self.options = replace(self.options, time_limit_s=seconds)
        self.model.highs.setOptionValue("time_limit", float("inf") if seconds is None
                                        else float(seconds))  # fmt: skip

    def _finish(self, proved: Proved, started: float, changed: float) -> Proved:
        """Remember a plan's decisions; its bound, gap and timings on the solution."""
        solution = proved.solution
        if solution.has_plan and self.integer.size:
            self._remember(np.round(self._values()[self.integer]))
            solution.best_bound = proved.bound
            solution.mip_gap = relative_gap(solution.objective, proved.bound)
        solution.build_seconds = changed - started
        solution.solve_seconds = time.perf_counter() - changed
        solution.algorithm = "mip" if proved.proof == BRANCH_AND_CUT else "simplex"
        return proved

    # --- the instance ------------------------------------------------------------------------

    def _relax(self) -> None:
        """Clear the integrality of a (re)built model's decisions: it is held as its relaxation."""
        lp = self.model.lp
        self.integer = np.flatnonzero(lp.integrality).astype(np.int32)
        count = len(self.integer)
        if count:
            self.model.highs.changeColsIntegrality(count, self.integer, np.zeros(count, np.uint8))
        if self.remembered and len(self.remembered[0]) != count:
            self.remembered = []  # decisions of another model

    def _solve_lp(self, lower: np.ndarray, upper: np.ndarray) -> tuple[Status, float | None]:
        """The LP with the decisions within [lower, upper], from the last basis."""
        highs = self.model.highs
        highs.changeColsBounds(len(self.integer), self.integer, lower, upper)
        run(highs)
        status, _ = status_of(highs)
        if status is not Status.OPTIMAL:
            return status, None
        return status, float(highs.getInfo().objective_function_value)

    def _values(self) -> np.ndarray:
        return np.asarray(self.model.highs.getSolution().col_value)

    def _read(self) -> Solution:
        """The plan HiGHS holds (the LP last solved)."""
        return read_solution(self.model.highs, self.model.lp, ranging=False)

    def _remember(self, decisions: np.ndarray) -> None:
        kept = [d for d in self.remembered if not np.array_equal(d, decisions)]
        self.remembered = [decisions, *kept][:REMEMBERED]

    # --- the proof -----------------------------------------------------------------------------

    def _prove(self) -> Proved:
        if not len(self.integer):
            run(self.model.highs)
            return Proved(self._read(), LP, lps=1)
        if len(self.integer) > BRANCH_AT_MOST:
            return self._branch_and_cut()
        lp = self.model.lp
        lower, upper = lp.col_lower[self.integer], lp.col_upper[self.integer]
        status, bound = self._solve_lp(lower, upper)
        if status is Status.INFEASIBLE:
            return Proved(self._read(), RELAXATION_INFEASIBLE, lps=1)
        if status is not Status.OPTIMAL:  # unbounded, a limit: HiGHS's MIP solver says which
            return self._branch_and_cut()
        relaxed = self._values()[self.integer]
        if np.abs(relaxed - np.round(relaxed)).max() <= INTEGRAL:
            chosen = np.round(relaxed)  # the plan for exactly these decisions, warm
            status, objective = self._solve_lp(chosen, chosen)
            if status is Status.OPTIMAL and self._proves(objective, bound):
                return Proved(self._read(), RELAXATION_INTEGRAL, bound, lps=2)
        incumbent, proved, tried = self._incumbent(lower, upper, bound)
        if proved:  # HiGHS holds the plan of those decisions
            return Proved(self._read(), FIXED_WITHIN_BOUND, bound, lps=1 + tried)
        return self._branch_and_bound(lower, upper, incumbent, 1 + tried)

    def _incumbent(
        self, lower: np.ndarray, upper: np.ndarray, bound: float
    ) -> tuple[tuple[float, np.ndarray] | None, bool, int]:
        """The best plan (objective, decisions) among the remembered decisions within the
        point's bounds, each fixed in turn (the latest first); whether it is proved by
        ``bound`` (the search stops there, HiGHS holding its LP); the LPs solved."""
        best, tried = None, 0
        for decisions in self.remembered:
            if (decisions < lower).any() or (decisions > upper).any():
                continue
            status, objective = self._solve_lp(decisions, decisions)
            tried += 1
            if status is not Status.OPTIMAL:
                continue  # these decisions do not fit the point: that says nothing of the point
            if self._proves(objective, bound):
                return (objective, decisions), True, tried
            if best is None or objective < best[0]:
                best = (objective, decisions)
        return best, False, tried

    def _enough(
        self, first: np.ndarray, enough: Callable[[Solution], bool]
    ) -> tuple[Proved | None, int]:
        """The plan of the decisions ``first``, if ``enough`` of it; the LPs solved."""
        lp = self.model.lp
        lower, upper = lp.col_lower[self.integer], lp.col_upper[self.integer]
        if (first < lower).any() or (first > upper).any():
            return None, 0
        status, _ = self._solve_lp(first, first)
        if status is not Status.OPTIMAL:
            return None, 1
        plan = self._read()
        return (Proved(plan, ENOUGH, lps=1) if enough(plan) else None), 1

    def _proves(self, objective: float, bound: float) -> bool:
        return objective - bound <= allowed_gap(objective, self.rel_gap)

    def _branch_and_bound(self, lower, upper, incumbent, lps: int) -> Proved:
        outcome = branch_and_bound(
            self.model.highs, self.integer, lower, upper, self.options, incumbent
        )
        lps += outcome.nodes + 1  # and its last LP, the plan's
        if outcome.objective is None:
            return Proved(self._no_plan(outcome.status, outcome.words), BRANCH_AND_BOUND, lps=lps)
        solution = self._read()  # HiGHS holds the plan's LP, its decisions fixed
        solution.status, solution.termination = outcome.status, outcome.words
        return Proved(solution, BRANCH_AND_BOUND, outcome.bound, lps)

    def _branch_and_cut(self) -> Proved:
        """HiGHS's MIP solver on the point, the latest decisions offered as a start; then the
        instance holds the relaxation again."""
        highs, count = self.model.highs, len(self.integer)
        lp = self.model.lp
        highs.changeColsBounds(count, self.integer, lp.col_lower[self.integer],
                               lp.col_upper[self.integer])  # fmt: skip
        highs.changeColsIntegrality(count, self.integer, np.ones(count, np.uint8))
        if self.remembered:
            highs.setSolution(count, self.integer, self.remembered[0])
        try:
            run(highs)
            solution = read_solution(highs, lp, ranging=False, mip=True)
            info = highs.getInfo()
            bound = float(info.mip_dual_bound) if np.isfinite(info.mip_dual_bound) else None
        finally:
            highs.changeColsIntegrality(count, self.integer, np.zeros(count, np.uint8))
        return Proved(solution, BRANCH_AND_CUT, bound if solution.has_plan else None, lps=1)

    def _no_plan(self, status: Status, words: str) -> Solution:
        return Solution(status=status, termination=words, size=self.model.lp.size,
                        engine="highs", solver=f"HiGHS {self.model.highs.version()}")  # fmt: skip
