"""The fast engine: the LP of :mod:`models.highs_build` passed to HiGHS in one call, solved,
and read back into a :class:`~models.solution.Solution` aligned with the model data; also the LP
written as an MPS or LP file with readable names.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import highspy
import numpy as np
import pandas as pd

from models import families as fam
from models.data import ModelData
from models.highs_build import LinearProgram, build_model
from models.solution import Solution, SolveOptions, Status, relative_gap, upper_bound_duals

# Above this many nonzeros a cold solve uses interior point (+ crossover); below, dual simplex.
# Measured in benchmarks/bench_engines.py; see docs/formulation.md.
IPM_ABOVE_NONZEROS = 2_000_000


def choose_algorithm(algorithm: str, nonzeros: int) -> str:
    """Dual simplex for small models, interior point with crossover for large cold solves."""
    if algorithm != "auto":
        return algorithm
    return "ipm" if nonzeros > IPM_ABOVE_NONZEROS else "simplex"


@contextmanager
def _quiet_stdout():
    """Silence HiGHS's banner, which its constructor prints from C++ straight to fd 1."""
    try:
        saved = os.dup(1)
    except OSError:
        yield
        return
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def new_highs(options: SolveOptions, algorithm: str) -> highspy.Highs:
    """A HiGHS instance with our options; deterministic for the same model and options."""
    with _quiet_stdout():
        highs = highspy.Highs()
    highs.setOptionValue("output_flag", options.verbose)
    highs.setOptionValue("solver", algorithm)
    highs.setOptionValue("random_seed", 0)
    if algorithm == "ipm":
        highs.setOptionValue("run_crossover", "on")
    if options.time_limit_s is not None:
        highs.setOptionValue("time_limit", float(options.time_limit_s))
    if options.mip_rel_gap is not None:
        highs.setOptionValue("mip_rel_gap", float(options.mip_rel_gap))
    if options.threads is not None:
        # HiGHS keeps one thread pool per process, sized by the first solve; a different size
        # needs a fresh pool (safe here: solves in one process run one after another).
        highs.resetGlobalScheduler(True)
        highs.setOptionValue("threads", int(options.threads))
    return highs


def pass_model(
    highs: highspy.Highs, lp: LinearProgram, names: tuple[list[str], list[str]] | None = None
) -> None:
    """Hand the LP to HiGHS in one call; ``names`` (columns, rows) go with it in the same call."""
    if names is not None:
        _pass_named(highs, lp, *names)
        return
    matrix = lp.matrix
    status = highs.passModel(
        len(lp.cost),
        len(lp.row_lower),
        int(matrix.nnz),
        int(highspy.MatrixFormat.kColwise),
        int(highspy.ObjSense.kMinimize),
        0.0,
        lp.cost,
        np.ascontiguousarray(lp.col_lower),
        np.ascontiguousarray(lp.col_upper),
        lp.row_lower,
        np.ascontiguousarray(lp.row_upper),
        matrix.indptr.astype(np.int32),
        matrix.indices.astype(np.int32),
        matrix.data.astype(float),
        np.ascontiguousarray(lp.integrality, dtype=np.int32),  # 1: yes/no decisions
    )
    if status == highspy.HighsStatus.kError:
        raise RuntimeError("HiGHS rejected the model")


def _pass_named(
    highs: highspy.Highs, lp: LinearProgram, columns: list[str], rows: list[str]
) -> None:
    """The LP with its column and row names as one ``HighsLp`` (the names cross into HiGHS
    as two lists, not one call per name)."""
    model = highspy.HighsLp()
    model.num_col_, model.num_row_ = len(lp.cost), len(lp.row_lower)
    model.col_cost_, model.col_lower_, model.col_upper_ = lp.cost, lp.col_lower, lp.col_upper
    model.row_lower_, model.row_upper_ = lp.row_lower, lp.row_upper
    matrix = model.a_matrix_
    matrix.format_ = highspy.MatrixFormat.kColwise
    matrix.num_col_, matrix.num_row_ = model.num_col_, model.num_row_
    matrix.start_ = lp.matrix.indptr.astype(np.int32)
    matrix.index_ = lp.matrix.indices.astype(np.int32)
    matrix.value_ = lp.matrix.data.astype(float)
    model.a_matrix_ = matrix
    model.col_names_, model.row_names_ = columns, rows
    if highs.passModel(model) == highspy.HighsStatus.kError:
        raise RuntimeError("HiGHS rejected the model")
    if lp.is_mip:
        every = np.arange(len(lp.cost), dtype=np.int32)
        highs.changeColsIntegrality(len(every), every, lp.integrality.astype(np.uint8))


def run(highs: highspy.Highs) -> None:
    """``highs.run()``; when presolve finds the model infeasible *or* unbounded, once more
    without presolve, which tells which. (By-product sales have negative costs, so an unlimited
    market can make the model unbounded.)"""
    highs.run()
    if highs.getModelStatus() == highspy.HighsModelStatus.kUnboundedOrInfeasible:
        highs.setOptionValue("presolve", "off")
        highs.run()
        highs.setOptionValue("presolve", "choose")  # HiGHS's default, which new_highs keeps


def solve(
    data: ModelData,
    options: SolveOptions | None = None,
    *,
    keep: bool = False,
    on_built: Callable[[LinearProgram], None] | None = None,
) -> Solution:
    """Build the model, solve it with HiGHS and return the solution aligned with ``data``.

    A model with yes/no decisions is solved as a MIP (branch and cut); its duals and cost
    ranging are then those of the LP with every decision fixed at its chosen value.
    ``keep``: the solved instance and its LP stay on ``solution.instance`` (a MIP's is then the
    LP with the decisions fixed). ``on_built(lp)`` runs before the solve (to write the model
    file from the same build).
    """
    options = options or SolveOptions()
    started = time.perf_counter()
    lp = build_model(data)
    if on_built is not None:
        on_built(lp)
        started = time.perf_counter()  # writing the model file is not building it
    algorithm = "mip" if lp.is_mip else choose_algorithm(options.algorithm, lp.size.nonzeros)
    highs = new_highs(options, "choose" if lp.is_mip else algorithm)
    pass_model(highs, lp)
    built = time.perf_counter()
    run(highs)
    solved = time.perf_counter()
    solution = read_solution(highs, lp)
    if lp.is_mip:
        _read_mip(highs, lp, solution)
    solution.build_seconds = built - started
    solution.solve_seconds = solved - built
    solution.read_seconds = time.perf_counter() - solved - solution.ranging_seconds
    solution.algorithm = algorithm
    if keep:
        solution.instance = (highs, lp)
    return solution


def _read_mip(highs: highspy.Highs, lp: LinearProgram, solution: Solution) -> None:
    """The gap and best bound reached; with a plan, duals and ranging from the fixed LP."""
    info = highs.getInfo()
    solution.mip_gap = float(info.mip_gap) if np.isfinite(info.mip_gap) else None
    solution.best_bound = float(info.mip_dual_bound) if np.isfinite(info.mip_dual_bound) else None
    if not solution.has_plan:
        return
    values = np.asarray(highs.getSolution().col_value)
    decisions = np.flatnonzero(lp.integrality)
    chosen = np.round(values[decisions])
    highs.changeColsIntegrality(
        len(decisions), decisions.astype(np.int32), np.zeros(len(decisions), dtype=np.uint8)
    )
    highs.changeColsBounds(len(decisions), decisions.astype(np.int32), chosen, chosen)
    highs.setOptionValue("solver", "simplex")
    highs.setOptionValue("time_limit", highspy.kHighsInf)
    highs.run()
    fixed = read_solution(highs, lp, mip=False)
    if fixed.status != Status.OPTIMAL:
        return  # keep the MIP's plan without duals
    # The plan too is the fixed LP's: the best plan for the chosen decisions, which the duals
    # describe (a MIP stopped at a gap may have carried a slightly dearer one).
    for block in VALUE_BLOCKS:
        if block not in ("build", "sign"):
            setattr(solution, block, getattr(fixed, block))
    solution.objective = fixed.objective
    solution.mip_gap = relative_gap(fixed.objective, solution.best_bound)
    solution.row_duals, solution.bound_duals = fixed.row_duals, fixed.bound_duals
    solution.arrive_cost_low = fixed.arrive_cost_low
    solution.arrive_cost_high = fixed.arrive_cost_high
    solution.ranging_seconds = fixed.ranging_seconds
    solution.duals_from_fixed_lp = True


_LIMITS = {
    highspy.HighsModelStatus.kTimeLimit,
    highspy.HighsModelStatus.kIterationLimit,
    highspy.HighsModelStatus.kSolutionLimit,
    highspy.HighsModelStatus.kInterrupt,
    highspy.HighsModelStatus.kObjectiveBound,
    highspy.HighsModelStatus.kObjectiveTarget,
}


def status_of(highs: highspy.Highs) -> tuple[Status, str]:
    """Our status and HiGHS's own words for how the run ended."""
    model_status = highs.getModelStatus()
    words = highs.modelStatusToString(model_status)
    if model_status == highspy.HighsModelStatus.kOptimal:
        return Status.OPTIMAL, words
    if model_status == highspy.HighsModelStatus.kInfeasible:
        return Status.INFEASIBLE, words
    if model_status == highspy.HighsModelStatus.kUnbounded:
        return Status.UNBOUNDED, words
    if model_status in _LIMITS:
        return Status.LIMIT, words
    return Status.ERROR, words


def read_solution(
    highs: highspy.Highs, lp: LinearProgram, ranging: bool = True, mip: bool | None = None
) -> Solution:
    """Values and duals by family (and cost ranging unless ``ranging`` is false); no plan
    unless the solution is primal feasible. A MIP (``mip``, by default ``lp.is_mip``) has no
    duals of its own."""
    mip = lp.is_mip if mip is None else mip
    status, words = status_of(highs)
    info = highs.getInfo()
    feasible = info.primal_solution_status == 2  # kSolutionStatusFeasible
    solution = Solution(
        status=status,
        termination=words,
        size=lp.size,
        engine="highs",
        solver=f"HiGHS {highs.version()}",
    )
    if status not in (Status.OPTIMAL, Status.LIMIT) or not feasible:
        return solution
    result = highs.getSolution()
    values = np.asarray(result.col_value)
    solution.objective = float(highs.getInfo().objective_function_value)
    for block in VALUE_BLOCKS:
        setattr(solution, block, values[lp.columns[block]])
    if lp.is_mip:
        solution.build = np.round(solution.build) + 0.0
        solution.sign = np.round(solution.sign) + 0.0
    if status == Status.OPTIMAL and result.dual_valid and not mip:
        row_dual = np.asarray(result.row_dual)
        col_dual = np.asarray(result.col_dual)
        for family in fam.row_families():
            solution.row_duals[family.name] = row_dual[lp.rows[family.name]]
        for family, block in fam.BOUND_BLOCKS.items():
            cols = lp.columns[block]
            solution.bound_duals[family] = upper_bound_duals(
                values[cols], lp.col_upper[cols], col_dual[cols]
            )
        if ranging:
            _read_cost_ranging(highs, lp, solution)
    return solution


VALUE_BLOCKS = tuple(variable.name for variable in fam.VARIABLES if variable.name != "total")


def _read_cost_ranging(highs: highspy.Highs, lp: LinearProgram, solution: Solution) -> None:
    """Cost ranging of the arrive columns, when HiGHS has a basis to range from."""
    started = time.perf_counter()
    status, ranging = highs.getRanging()
    solution.ranging_seconds = time.perf_counter() - started
    if status != highspy.HighsStatus.kOk or not ranging.valid:
        return
    arrive = lp.columns["arrive"]
    solution.arrive_cost_low = np.asarray(ranging.col_cost_dn.value_)[arrive]
    solution.arrive_cost_high = np.asarray(ranging.col_cost_up.value_)[arrive]


def write_model(
    data: ModelData, path: str | Path, names: bool = True, lp: LinearProgram | None = None
) -> None:
    """Write the LP (``lp``, else built from ``data``) as an MPS or LP file (by extension), with
    readable names unless ``names`` is false (HiGHS then writes c0, c1, ... and r0, r1, ...)."""
    lp = lp if lp is not None else build_model(data)
    highs = new_highs(SolveOptions(), "simplex")
    pass_model(highs, lp, (column_names(data), row_names(data)) if names else None)
    if highs.writeModel(str(path)) == highspy.HighsStatus.kError:
        raise OSError(f"HiGHS could not write the model to {path}")


def _names(prefix: str, *parts: pd.Series) -> list[str]:
    if len(parts[0]) == 0:
        return []
    joined = pd.Series(parts[0]).astype(str).reset_index(drop=True)
    parts = tuple(pd.Series(part).reset_index(drop=True) for part in parts)
    for part in parts[1:]:
        joined = joined + "," + part.astype(str)
    cleaned = joined.str.replace(r"[^A-Za-z0-9_.,()]", "_", regex=True)  # what LP files accept
    return (prefix + "(" + cleaned + ")").tolist()


def column_names(data: ModelData) -> list[str]:
    """Every column's name, block by block: ``arrive(Dy2O3,lynas,2026_03)``."""
    names = []
    for variable in fam.VARIABLES:
        table = variable.table(data)
        names += _names(variable.name, *(table[label] for label in variable.labels))
    return _unique(names)


def row_names(data: ModelData) -> list[str]:
    """Every row's name, family by family: ``share_cap(Dy2O3,CN,2026)``."""
    names = []
    for family in fam.row_families():
        rows = data.rows[family.name]
        names += _names(family.lp_name, *(rows[label] for label in family.labels))
    return _unique(names)


def _unique(names: list[str]) -> list[str]:
    """Sanitised names can collide (``a-b`` and ``a_b``): then suffix every name's position."""
    if len(set(names)) == len(names):
        return names
    return [f"{name}_{i}" for i, name in enumerate(names)]
