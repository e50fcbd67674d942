"""Progressive hedging (mpi-sppy) over the two-stage form of the disruption scenarios.

The two-stage form: the first stage is every yes/no decision (build an option, sign a contract)
and every decision taken before ``t0``, the first month in which any scenario's event is active
(orders placed before it, and the stock, runs, sales and shortfall of its months, so the stock
entering ``t0``); the second stage is everything else, per scenario. Scenarios that still share
their history after ``t0`` (``base`` and a ban that starts a year later) are no longer tied after
it: the form relaxes the multistage tree's non-anticipativity there, so its optimum is at most the
multistage one (``docs/formulation.md``, "Progressive hedging").

Each scenario is the Pyomo model of :mod:`models.pyomo_model` built from its own data
(``models.risk.scenario_data``) with the first stage attached as mpi-sppy's root node. With a
risk weight, the CVaR's ``eta`` is first stage too and each scenario carries its ``u_s``:
scenario objective ``cost_s + w (eta + u_s / (1 - alpha))``, ``u_s >= cost_s - eta``.

:func:`run_ph` spins mpi-sppy's wheel on every rank of ``MPI.COMM_WORLD``: a PH hub, with an
xhat-shuffle inner-bound spoke when the ranks allow (see :func:`cylinders`). Rank 0 gets the
first stages worth keeping (the spoke's best, PH's rounded consensus, scenarios' own iterates),
PH's weights and bounds; :mod:`models.risk_ph_eval` then builds every scenario's plan with the
first of them that serves every scenario, and a Lagrangian bound from the weights.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import io
import os
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from models.data import ModelData
from models.risk import Effects, RiskTree
from models.risk_ph_scenario import (
    Converged,
    cost_rho_setter,
    eta_rho,
    first_stage_masks,
    scenario_creator,
)

if TYPE_CHECKING:
    from optimizer.inputs.scenario import Scenario

SOLVER = "highs"  # Pyomo's HiGHS interface (pyomo.contrib.solver), as the Pyomo engine's default
OWN_CANDIDATES = 3  # scenarios' own first stages tried when the consensus has no plan


@dataclass(frozen=True)
class PHSettings:
    """Progressive-hedging settings (``sourcing solve --method ph``).

    ``rho`` scales the cost-proportional penalty: each first-stage variable's rho is ``rho``
    times the absolute value of its cost coefficient (at least ``rho_floor``), so a tonne of a
    USD 100,000 oxide and a USD 15 M plant are pulled to the consensus at comparable strength;
    the CVaR's eta (in USD) gets ``rho`` x risk weight / (10% of the cost of the plan made
    without events). PH has converged when both the scenarios' spread around their average
    first stage (mpi-sppy's metric: the mean |x_s - xbar|) and the last move of that average
    (the mean |xbar_k - xbar_k-1|) are at most ``tolerance``, in the variables' units (tonnes,
    0/1, USD for eta): agreement alone is not enough, the average can agree and still drift.
    It also stops when the relative gap between the xhat spoke's plan and the trivial bound
    falls below ``rel_gap``, after ``iterations``, or after ``time_limit_s``."""

    rho: float = 1.0
    iterations: int = 100
    tolerance: float = 1e-3
    rel_gap: float = 1e-3
    time_limit_s: float | None = None
    rho_floor: float = 1.0
    solver: str = SOLVER
    verbose: bool = False


@dataclass
class PHOutcome:
    """What rank 0 learns from the wheel (other ranks: no candidates)."""

    # First stages to try, best first, in nonant order (eta last with CVaR): the xhat spoke's
    # best, PH's rounded consensus, then scenarios' own last iterates (most probable first).
    candidates: list[np.ndarray]
    sources: list[str]
    inner_bound: float | None  # the xhat spoke's expected objective, if it found one
    outer_bound: float | None  # PH's trivial bound (each scenario alone, with foresight)
    iterations: int
    convergence: float | None  # the larger of the spread and the last move of the average
    converged: bool
    seconds: float
    ranks: int
    cylinders: list[str] = field(default_factory=list)
    weights: np.ndarray | None = None  # (S, nonants): PH's final W, for a Lagrangian bound


def cylinders(ranks: int) -> list[str]:
    """The cylinders for ``ranks`` MPI ranks (mpi-sppy gives each the same number of ranks):
    an even number: the PH hub and an xhat-shuffle spoke (inner bounds: scenarios' first
    stages tried in all scenarios); else the hub alone.

    No Lagrangian spoke: where a weight makes a scenario's subproblem unbounded (an offer
    without a capacity limit, priced below zero by W), mpi-sppy 0.14 keeps that scenario's
    previous bound and reports an outer bound above the optimum. The outer bound is
    computed after PH instead (``models.risk_ph_eval.lagrangian_bound``), where an unbounded
    subproblem gives no bound."""
    return ["ph hub", "xhat shuffle"] if ranks % 2 == 0 else ["ph hub"]


def run_ph(
    scenario: Scenario,
    base: ModelData,
    tree: RiskTree,
    effects: Effects,
    t0: int,
    settings: PHSettings,
) -> PHOutcome:
    """Spin mpi-sppy's wheel over the scenarios of ``tree`` on every rank of COMM_WORLD. Every
    rank must call it; rank 0's outcome carries the first stage to keep."""
    quiet = contextlib.nullcontext() if settings.verbose else _silenced()
    with quiet, warnings.catch_warnings():
        # mpi-sppy 0.14 calls logging's deprecated ``Logger.warn``
        warnings.filterwarnings("ignore", "The 'warn' method is deprecated", DeprecationWarning)
        return _run(scenario, base, tree, effects, t0, settings)


@contextlib.contextmanager
def _silenced():
    """mpi-sppy prints its progress on stdout, and HiGHS (through Pyomo) some notes straight to
    file descriptor 1: keep both off our summary."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as sink, contextlib.redirect_stdout(io.StringIO()):
            os.dup2(sink.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _import_mpisppy() -> None:
    """mpi-sppy's modules open their log files (hub.log, xhateval.log, ...) in the working
    folder as they are imported: import them from a temporary folder, which is then removed
    (the handlers keep their files open; at level CRITICAL nothing is written)."""
    if "mpisppy.cylinders.hub" in sys.modules:
        return
    here = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="sourcing-mpisppy-") as folder:
        os.chdir(folder)
        try:
            for module in MPISPPY_LOGGING_MODULES:
                importlib.import_module(module)
        finally:
            os.chdir(here)


MPISPPY_LOGGING_MODULES = (
    "mpisppy.cylinders.hub",
    "mpisppy.cylinders.xhatshufflelooper_bounder",
    "mpisppy.cylinders.xhatlooper_bounder",
    "mpisppy.cylinders.slam_heuristic",
    "mpisppy.utils.xhat_eval",
    "mpisppy.utils.cfg_vanilla",
    "mpisppy.spin_the_wheel",
)


def _run(scenario, base, tree, effects, t0, settings: PHSettings) -> PHOutcome:
    world()  # starts MPI, quietly
    _import_mpisppy()
    import mpisppy.utils.cfg_vanilla as vanilla
    from mpisppy import MPI
    from mpisppy.spin_the_wheel import WheelSpinner

    started = time.perf_counter()
    comm = MPI.COMM_WORLD
    names = list(tree.names)
    kwargs = {
        "base": base, "scenario": scenario, "tree": tree, "effects": effects,
        "index": {n: s for s, n in enumerate(names)}, "masks": first_stage_masks(base, t0),
        "risk_weight": scenario.settings.risk_weight, "alpha": scenario.settings.cvar_alpha,
    }  # fmt: skip
    cfg = _config(settings)
    beans = (cfg, scenario_creator, None, names)
    rho = {
        "scale": settings.rho,
        "floor": settings.rho_floor,
        "eta": eta_rho(base, settings.rho, scenario.settings.risk_weight),
    }
    hub = vanilla.ph_hub(
        *beans,
        scenario_creator_kwargs=kwargs,
        rho_setter=cost_rho_setter,
        ph_converger=functools.partial(Converged, tolerance=settings.tolerance),
    )
    hub["opt_kwargs"]["options"]["rho_setter_kwargs"] = rho
    kinds = cylinders(comm.Get_size())
    spokes = []
    if "xhat shuffle" in kinds:
        spoke = vanilla.xhatshuffle_spoke(*beans, scenario_creator_kwargs=kwargs)
        looper = spoke["opt_kwargs"]["options"]["xhat_looper_options"]
        looper.pop("dump_prefix", None)  # it would write CSV files into the working folder
        looper.pop("csvname", None)
        spokes.append(spoke)
    wheel = WheelSpinner(hub, spokes)
    wheel.spin()
    own, weights = {}, {}
    if wheel.strata_rank == 0:  # the hub's ranks: their scenarios' last iterates and weights
        ph = wheel.spcomm.opt
        mine = {n: (_root(m, rounded=True), _weights(m)) for n, m in ph.local_scenarios.items()}
        for part in ph.mpicomm.gather(mine, root=0) or []:  # to the hub's rank 0: global 0
            own.update({n: x for n, (x, _) in part.items()})
            weights.update({n: w for n, (_, w) in part.items()})
    kept: list[list[float]] = []
    wheel.write_first_stage_solution("", lambda _file, model, _b: kept.append(_root(model)))
    gathered = comm.gather(kept[0] if kept else None, root=0)
    if comm.Get_rank() != 0:
        return PHOutcome([], [], None, None, 0, None, False, time.perf_counter() - started,
                         comm.Get_size(), kinds)  # fmt: skip
    ph = wheel.spcomm.opt
    candidates, sources = [], []
    found = next((g for g in gathered if g is not None), None)
    if found is not None:
        candidates.append(np.asarray(found, dtype=float))
        sources.append("xhat spoke")
    candidates.append(np.asarray(_consensus(ph), dtype=float))
    sources.append("rounded consensus")
    for name in sorted(own, key=lambda n: -tree.probability[kwargs["index"][n]])[:OWN_CANDIDATES]:
        candidates.append(np.asarray(own[name], dtype=float))
        sources.append(f"scenario {name}'s own iterate")
    inner, outer = wheel.BestInnerBound, wheel.BestOuterBound
    return PHOutcome(
        candidates=candidates,
        sources=sources,
        inner_bound=float(inner) if np.isfinite(inner) else None,
        outer_bound=float(outer) if np.isfinite(outer) else None,
        iterations=int(getattr(ph, "_PHIter", 0)),
        convergence=ph.convobject.value if ph.convobject is not None else None,
        converged=bool(ph.convobject is not None and ph.convobject.converged),
        seconds=time.perf_counter() - started,
        ranks=comm.Get_size(),
        cylinders=kinds,
        weights=np.array([weights[n] for n in names]),
    )


def _config(settings: PHSettings):
    from mpisppy.utils import config

    cfg = config.Config()
    cfg.popular_args()
    cfg.ph_args()
    cfg.two_sided_args()
    cfg.xhatshuffle_args()
    cfg.solver_name = settings.solver
    cfg.default_rho = settings.rho
    cfg.max_iterations = settings.iterations
    cfg.intra_hub_conv_thresh = -1.0  # mpi-sppy's own test off: Converged decides
    cfg.rel_gap = settings.rel_gap
    cfg.abs_gap = 0.0
    cfg.time_limit = settings.time_limit_s
    cfg.verbose = settings.verbose
    cfg.display_progress = settings.verbose
    # The proximal terms are linearised (tangent cuts added as PH goes until each is within the
    # convergence tolerance of the square it stands for; exact for 0/1 variables): HiGHS solves
    # no MIQP, and its QP solver (active set) was seen to cycle for minutes on the quadratic
    # terms of a small generated LP (synthetic:2x3x12, 4 paths), even with a stronger
    # regularisation. An LP converges more slowly so, but surely.
    cfg.linearize_binary_proximal_terms = True
    cfg.linearize_proximal_terms = True
    cfg.proximal_linearization_tolerance = max(settings.tolerance, 1e-6) ** 2  # x within it
    cfg.xhatshuffle = True
    return cfg


def _root(model, rounded: bool = False) -> list[float]:
    """The values of the root node's variables (the first stage) of a scenario model."""
    node = model._mpisppy_node_list[0]
    values = [float(var.value or 0.0) for var in node.nonant_vardata_list]
    if rounded:
        values = [float(round(x)) if var.is_binary() else x
                  for x, var in zip(values, node.nonant_vardata_list, strict=True)]  # fmt: skip
    return values


def _weights(model) -> list[float]:
    """PH's weights W of the root node's variables, in nonant order."""
    w = model._mpisppy_model.W
    return [
        float(w["ROOT", i]._value)
        for i in range(len(model._mpisppy_node_list[0].nonant_vardata_list))
    ]


def _consensus(ph) -> list[float]:
    """PH's consensus xbar, 0/1 variables rounded."""
    model = next(iter(ph.local_scenarios.values()))
    node = model._mpisppy_node_list[0]
    values = []
    for i, var in enumerate(node.nonant_vardata_list):
        x = float(model._mpisppy_model.xbars["ROOT", i]._value)
        values.append(float(round(x)) if var.is_binary() else x)
    return values


def world() -> tuple[int, int]:
    """(rank, size) of MPI's COMM_WORLD (mpi4py starts MPI on import). UCX, which the MPICH
    wheel may use, warns at exit about buffers MPI leaves to the end: only its errors are
    shown (unless UCX_LOG_LEVEL says otherwise)."""
    os.environ.setdefault("UCX_LOG_LEVEL", "error")
    from mpi4py import MPI

    return MPI.COMM_WORLD.Get_rank(), MPI.COMM_WORLD.Get_size()


def abort_others(error: Exception) -> None:
    """Under mpiexec, a rank that fails says so and aborts every rank (else the others wait
    for it in MPI for ever); on one rank, nothing: the caller raises as usual."""
    rank, size = world()
    if size > 1:
        print(f"error: PH failed on rank {rank}: {type(error).__name__}: {error}",
              file=sys.__stderr__, flush=True)  # fmt: skip
        from mpi4py import MPI

        MPI.COMM_WORLD.Abort(1)
