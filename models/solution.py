"""What an engine returns: a status, the solver's own words, and arrays aligned with
:class:`~models.data.ModelData`."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np


class Status(StrEnum):
    """How a solve ended. Only ``OPTIMAL`` (and ``LIMIT`` with a plan) carry a plan."""

    OPTIMAL = "optimal"
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    LIMIT = "limit"
    ERROR = "error"

    @property
    def exit_code(self) -> int:
        return {Status.OPTIMAL: 0, Status.INFEASIBLE: 3, Status.LIMIT: 4}.get(self, 1)


@dataclass(frozen=True)
class SolveOptions:
    """Solver settings common to the engines (``None``: the solver's default)."""

    time_limit_s: float | None = None
    mip_rel_gap: float | None = None
    threads: int | None = None
    algorithm: str = "auto"  # auto | simplex | ipm
    verbose: bool = False


@dataclass(frozen=True)
class ModelSize:
    variables: int
    constraints: int
    nonzeros: int

    def as_dict(self) -> dict[str, int]:
        return {
            "variables": self.variables,
            "constraints": self.constraints,
            "nonzeros": self.nonzeros,
        }


@dataclass
class Solution:
    """Primal values per variable family and duals per constraint family.

    ``row_duals`` and ``bound_duals`` hold d(objective)/d(right-hand side) in USD per unit of
    the row's right-hand side, aligned with the rows of ``ModelData.floors``/``caps``/``stock``
    and the arrive/stock variables (for the capacity bounds).
    """

    status: Status
    termination: str
    objective: float | None = None
    arrive: np.ndarray | None = None
    stock: np.ndarray | None = None
    shortfall: np.ndarray | None = None
    run: np.ndarray | None = None  # the chain's: aligned with ModelData.chain frames
    sell: np.ndarray | None = None
    dispose: np.ndarray | None = None
    paid: np.ndarray | None = None
    build: np.ndarray | None = None  # 0/1 per option
    sign: np.ndarray | None = None  # 0/1 per contract
    below: np.ndarray | None = None  # tonnes under a floor with a penalty (ModelData.below)
    credit: np.ndarray | None = None  # closing stock credited (ModelData.credits)
    # share_basis origin: content by origin (ModelData.content: held and used, feed)
    held: np.ndarray | None = None
    used: np.ndarray | None = None
    feed: np.ndarray | None = None
    row_duals: dict[str, np.ndarray] = field(default_factory=dict)
    bound_duals: dict[str, np.ndarray] = field(default_factory=dict)
    # Cost ranging of the arrive variables (landed USD/t): the interval of each one's cost over
    # which the optimal basis stays optimal. Only engines that can range (HiGHS) fill it.
    arrive_cost_low: np.ndarray | None = None
    arrive_cost_high: np.ndarray | None = None
    size: ModelSize | None = None
    mip_gap: float | None = None  # relative gap reached (MIP only)
    best_bound: float | None = None  # the best bound on the objective (MIP only)
    duals_from_fixed_lp: bool = False  # MIP: duals of the LP with the decisions fixed
    build_seconds: float = 0.0
    solve_seconds: float = 0.0
    read_seconds: float = 0.0  # reading values and duals back from the solver
    ranging_seconds: float = 0.0  # the solver's cost ranging (HiGHS's own work, after solving)
    engine: str = ""
    algorithm: str = ""
    solver: str = ""
    # The solved HiGHS instance and its LP, kept on request (``highs_engine.solve(keep=True)``)
    # so the policy probes re-solve from its basis instead of building and solving again.
    instance: Any = field(default=None, repr=False, compare=False)

    @property
    def has_plan(self) -> bool:
        return self.arrive is not None


def relative_gap(incumbent: float | None, bound: float | None) -> float | None:
    """|objective - bound| / |objective|, HiGHS's measure (``None``: unknown or infinite)."""
    if incumbent is None or bound is None or not math.isfinite(incumbent - bound):
        return None
    if incumbent == bound:
        return 0.0
    return abs(incumbent - bound) / abs(incumbent) if incumbent != 0 else None


def upper_bound_duals(values: np.ndarray, upper: np.ndarray, reduced: np.ndarray) -> np.ndarray:
    """d(objective)/d(upper bound): the reduced cost of a variable resting at a finite upper
    bound when it is negative (raising the bound would lower the cost by that much); 0 else."""
    finite = np.isfinite(upper)
    bound = np.where(finite, upper, 0.0)
    at_upper = finite & (values >= bound - 1e-9 * np.maximum(1.0, np.abs(bound)))
    return np.where(at_upper & (reduced < 0), reduced, 0.0)
