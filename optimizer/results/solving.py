"""Solve a scenario: compile it, run an engine, build and re-check the tables, explain failures.

This is the API the CLI is a thin layer over::

    >>> from optimizer import load_scenario, solve
    >>> result = solve(load_scenario("inputs/india-2026"))  # doctest: +SKIP
    >>> result.status, result.objective_usd  # doctest: +SKIP
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from models.cbc_check import verify_with_cbc
from models.data import ModelData, compile_scenario
from models.diagnose import diagnose
from models.highs_engine import write_model
from models.solution import Solution, SolveOptions, Status
from optimizer.common.output_paths import check_model_file, write_marked_file
from optimizer.common.strings import python_strings
from optimizer.inputs.loading import load_scenario
from optimizer.inputs.scenario import Scenario
from optimizer.results import tables
from optimizer.results.content import content_supply, content_tables
from optimizer.results.policy_costs import policy_costs_table
from optimizer.results.policy_probes import (
    PROBE_SECONDS,
    default_probe_limit,
    probe_policies,
    probes_skipped_note,
)
from optimizer.results.recheck import recheck
from optimizer.results.recheck_risk import recheck_scenarios
from optimizer.results.result import Result
from optimizer.results.risk_results import risk_result
from optimizer.results.stockpile_value import stockpile_value

ENGINES = ("highs", "pyomo")
METHODS = ("ef", "ph")  # with disruption scenarios: the extensive form, or progressive hedging
ALGORITHMS = ("auto", "simplex", "ipm")


@python_strings()
def solve(
    scenario: Scenario | str | Path,
    *,
    engine: str = "highs",
    time_limit_s: float | None = None,
    algorithm: str | None = None,
    threads: int | None = None,
    verify: bool = False,
    write_model_to: str | Path | None = None,
    pyomo_solver: str = "highs",
    verbose: bool = False,
    probe_limit: int | None = None,
    probe_seconds: float = PROBE_SECONDS,
    value_stockpile: bool = False,
    method: str = "ef",
    ph_settings=None,
) -> Result:
    """Solve ``scenario`` (a :class:`Scenario` or a folder) and return a checked :class:`Result`.

    Arguments left ``None`` take the scenario's ``[solver]`` settings. ``probe_limit``: how many
    policies, and how many unused offers, have their prices re-solved exactly
    (``optimizer.results.policy_probes``; 0: none, every price is then dual-based; ``None``:
    20, or none above ``PROBE_MAX_VARIABLES`` variables), within ``probe_seconds`` of
    re-solving. ``method="ph"``: disruption scenarios by progressive
    hedging (``optimizer.results.risk_ph_results``; ``ph_settings``: ``models.risk_ph.PHSettings``).
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    if engine not in ENGINES:
        raise ValueError(f"unknown engine '{engine}': choose one of {', '.join(ENGINES)}")
    if method not in METHODS or (method == "ph" and not scenario.has_risk):
        raise ValueError(f"method '{method}': choose one of {METHODS}; 'ph' needs disruption risk")
    settings = scenario.settings
    options = SolveOptions(
        time_limit_s=time_limit_s if time_limit_s is not None else settings.time_limit_s,
        mip_rel_gap=settings.mip_rel_gap,
        threads=threads if threads is not None else settings.threads,
        algorithm=algorithm or settings.algorithm,
        verbose=verbose,
    )
    started = time.perf_counter()
    data = compile_scenario(scenario)
    compiled = time.perf_counter()
    if write_model_to is not None and not scenario.has_risk:
        check_model_file(Path(write_model_to))  # refused before any solving
    if scenario.has_risk:  # disruption scenarios: the extensive form
        if engine != "highs" or verify or write_model_to is not None:
            raise ValueError("with disruption scenarios only the HiGHS extensive form runs so "
                             "far: engine='highs', no verify, no write_model_to")  # fmt: skip
        result = _solve_risk(scenario, data, options, started, compiled, method, ph_settings)
        if value_stockpile and result.has_plan:
            checked = time.perf_counter()
            result.stockpile_value, result.risk_cover = stockpile_value(scenario, options)
            result.timings["stockpile_value_s"] = time.perf_counter() - checked
        return result
    model_file = Path(write_model_to) if write_model_to is not None else None
    keep = engine == "highs" and probe_limit != 0 and probe_seconds > 0
    solution = _run_engine(engine, data, options, pyomo_solver, model_file, keep)
    result = _result(scenario, data, solution)
    result.timings = {
        "compile_s": compiled - started,
        "build_s": solution.build_seconds,
        "solve_s": solution.solve_seconds,
        "ranging_s": solution.ranging_seconds,
        "read_s": solution.read_seconds,
    }
    _report(result, data, solution)
    _probe(result, data, solution, options, probe_limit, probe_seconds)
    if verify:
        checked = time.perf_counter()
        result.verification = verify_with_cbc(data, result.objective_usd)
        result.timings["verify_s"] = time.perf_counter() - checked
    result.timings["total_s"] = time.perf_counter() - started
    return result


def _solve_risk(
    scenario: Scenario,
    data: ModelData,
    options: SolveOptions,
    started: float,
    compiled: float,
    method: str = "ef",
    ph_settings=None,
) -> Result:
    """Disruption scenarios (``optimizer.results.risk_results``); every scenario's plan is
    re-checked against its own inputs, and the tree's decisions (``recheck_risk``)."""
    if method == "ph":  # mpi-sppy and mpi4py (which starts MPI) are imported only when asked
        from optimizer.results.risk_ph_results import ph_result

        result = ph_result(scenario, data, options, ph_settings)
    else:
        result = risk_result(scenario, data, options)
    result.timings["compile_s"] = compiled - started
    if result.has_plan:
        checked = time.perf_counter()
        tree = result.risk_tree
        result.violations = recheck_scenarios(
            scenario, result.risk, result.risk_plan, result.risk_stock, result.risk_processing,
            result.decisions, tree.active, tree.events,
        )  # fmt: skip
        result.timings["check_s"] = time.perf_counter() - checked
    result.timings["total_s"] = time.perf_counter() - started
    return result


def _run_engine(
    engine: str,
    data: ModelData,
    options: SolveOptions,
    solver: str,
    model_file: Path | None = None,
    keep: bool = False,
) -> Solution:
    """The engine's solution; ``model_file`` is written from the LP the engine solves (built
    once), ``keep`` leaves HiGHS's solved instance on the solution for the probes."""
    if engine == "pyomo":
        from models import pyomo_engine  # Pyomo is slow to import; load it only when asked

        if model_file is not None:
            write_model_file(data, model_file)
        return pyomo_engine.solve(data, options, solver=solver)
    from models import highs_engine

    def write(lp):
        write_model_file(data, model_file, lp)

    return highs_engine.solve(
        data, options, keep=keep, on_built=write if model_file is not None else None
    )


def _result(scenario: Scenario, data: ModelData, solution: Solution) -> Result:
    return Result(
        scenario=scenario,
        status=solution.status,
        termination=solution.termination,
        engine=solution.engine,
        solver=solution.solver,
        algorithm=solution.algorithm,
        model_size=solution.size,
        objective_usd=solution.objective,
        mip_gap=solution.mip_gap,
        best_bound=solution.best_bound,
        duals_from_fixed_lp=solution.duals_from_fixed_lp,
    )


def _probe(
    result: Result,
    data: ModelData,
    solution: Solution,
    options: SolveOptions,
    limit: int | None,
    seconds: float,
) -> None:
    """Re-solve the prices of the policies and offers that matter most (``probe_s``)."""
    if limit is None and solution.size is not None:
        limit = default_probe_limit(solution.size.variables)
        if limit == 0 and result.policy is not None:
            result.probe_note = probes_skipped_note(solution.size.variables)
    if result.policy is None or not limit or seconds <= 0:
        return
    started = time.perf_counter()
    instance, solution.instance = solution.instance, None  # the probes own it from here
    result.policy = probe_policies(
        result.scenario, data, solution, result.policy, limit, options, seconds, instance
    )
    result.timings["probe_s"] = time.perf_counter() - started


def _report(result: Result, data: ModelData, solution: Solution) -> None:
    """Tables and the independent re-check when there is a plan; a diagnosis when infeasible."""
    if solution.has_plan:
        started = time.perf_counter()
        result.plan = tables.plan_table(data, solution)
        result.stock = tables.stock_table(data, solution)
        if len(data.chain.units):
            result.content, result.content_feed = content_tables(data, solution)
            by_content = content_supply(data, result.plan, result.content)
        else:
            by_content = None
        result.mix = tables.mix_table(data, result.plan, solution, by_content)
        result.constraints = tables.constraints_table(data, solution)
        result.policy = policy_costs_table(data, solution)
        if len(data.chain.units):
            result.processing = tables.processing_table(data, solution)
        if data.is_mip:
            result.decisions = tables.decisions_table(data, solution)
        result.costs = tables.cost_breakdown(data, solution)
        extracted = time.perf_counter()
        result.violations = recheck(
            result.scenario,
            result.plan,
            result.stock,
            float(solution.objective),
            processing=result.processing,
            decisions=result.decisions,
            content=result.content,
            content_feed=result.content_feed,
        )
        result.timings["extract_s"] = extracted - started
        result.timings["check_s"] = time.perf_counter() - extracted
    elif solution.status == Status.UNBOUNDED:
        result.diagnosis = [_unbounded_reason(result.scenario)]
    elif solution.status == Status.INFEASIBLE:
        started = time.perf_counter()
        result.diagnosis = diagnose(data)
        result.timings["diagnose_s"] = time.perf_counter() - started


def _unbounded_reason(scenario: Scenario) -> str:
    """The only way our costs go unbounded: selling without limit above what a tonne costs."""
    materials = scenario.materials
    open_market = materials[
        materials["sale_price_usd_per_t"].notna() & np.isinf(materials["sale_limit_t_per_month"])
    ]["material"].tolist()
    return (
        "The plan could earn without limit: a by-product sells for more than it costs to buy "
        "or make, in a market without a monthly limit"
        + (f" ({', '.join(open_market)}): set sale_limit_t_per_month" if open_market else "")
        + "."
    )


def write_model_file(data: ModelData, path: Path, lp=None) -> None:
    """The LP (``lp`` when already built) as an MPS or LP file (by extension) with readable
    names; an existing file is replaced only if we wrote it (:func:`check_model_file`)."""
    check_model_file(path)
    write_marked_file(path, lambda temporary: write_model(data, temporary, lp=lp))
