"""``sourcing solve [SCENARIO_DIR]``: solve, print a summary, write the result folder."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

from models.solution import Status
from optimizer.cli.common import described, scenario_folder
from optimizer.cli.errors import EXIT_ERROR, UsageError, handles_errors
from optimizer.common.output_paths import RESULT, check_model_file, claimed
from optimizer.common.table_files import TABLE_FORMATS
from optimizer.inputs.loading import load_scenario
from optimizer.inputs.schema import SETTINGS_FILE, TABLES
from optimizer.results.policy_probes import PROBE_LIMIT, PROBE_MAX_VARIABLES, PROBE_SECONDS
from optimizer.results.solving import ALGORITHMS, ENGINES, METHODS, solve
from optimizer.results.summary_text import format_summary
from optimizer.results.writing import write_result

MODEL_FORMATS = (".mps", ".lp")


def register(commands):
    sub = commands.add_parser(
        "solve",
        help="solve a scenario and write its plan",
        **described(
            "Solve a scenario (a folder or an .xlsx workbook), print a summary and write its "
            "result folder (docs/results.md describes each file). Exit codes: 0 optimal, "
            "2 invalid input, 3 infeasible, 4 stopped by a limit, 1 anything else.",
            reads=[
                "SCENARIO_DIR: a scenario folder holding "
                + ", ".join([SETTINGS_FILE, *(t.file for t in TABLES.values() if t.required)])
                + " and optionally "
                + ", ".join(t.file for t in TABLES.values() if not t.required)
                + " (docs/inputs.md), or one .xlsx workbook with a sheet per file (`sourcing "
                "template`); default inputs/india-2026",
            ],
            writes=[
                "into --out (default results/<name>/), replacing only an earlier result:",
                "summary.json: the run, its verdict, costs, policy in force, shares, checks",
                "plan.xlsx: a summary sheet to print, then a sheet per table",
                "plan.csv, stock.csv, mix.csv, constraints.csv, policy_costs.csv: every plan",
                "processing.csv, decisions.csv, content.csv, content_feed.csv: with "
                "processing units, expansion options or contracts",
                "risk.csv: with disruption scenarios (events.csv); stockpile_value.csv, "
                "risk_cover.csv: with --stockpile-value",
                "each table as <table>.parquet instead with --format parquet",
                "--write-model FILE.mps|FILE.lp: the model",
            ],
        ),
    )
    sub.add_argument(
        "scenario",
        nargs="?",
        metavar="SCENARIO_DIR",
        help="scenario folder or .xlsx workbook (default: inputs/india-2026)",
    )
    sub.add_argument("--out", metavar="DIR", help="result folder (default: results/<name>/)")
    sub.add_argument(
        "--format",
        choices=TABLE_FORMATS,
        default=TABLE_FORMATS[0],
        dest="table_format",
        help="how the result tables are written: csv, <table>.csv (default); parquet, "
        "<table>.parquet, typed and compact (summary.json and plan.xlsx either way)",
    )
    sub.add_argument(
        "--engine",
        choices=ENGINES,
        default="highs",
        help="highs: sparse arrays straight to HiGHS (default); pyomo: the "
        "algebraic formulation through Pyomo",
    )
    sub.add_argument(
        "--pyomo-solver",
        default="highs",
        metavar="NAME",
        help="solver Pyomo uses with --engine pyomo (default: highs)",
    )
    sub.add_argument(
        "--algorithm",
        choices=ALGORITHMS,
        help="HiGHS algorithm (default: the scenario's, else auto)",
    )
    sub.add_argument("--time-limit", type=float, metavar="S", help="stop after S seconds")
    sub.add_argument("--threads", type=int, metavar="N", help="threads HiGHS may use")
    sub.add_argument(
        "--verify",
        action="store_true",
        help="re-solve the model with CBC (via PuLP) and compare optima",
    )
    sub.add_argument(
        "--write-model", metavar="FILE.mps|FILE.lp", help="also write the LP to this file"
    )
    sub.add_argument(
        "--probe-limit",
        type=int,
        default=None,
        metavar="N",
        help="re-solve the prices of the N policies with the largest duals and of the N unused "
        f"offers closest to entering, to make them exact (default: {PROBE_LIMIT}, none above "
        f"{PROBE_MAX_VARIABLES:,} variables; 0: none, "
        "every price is then the dual's)",
    )
    sub.add_argument(
        "--probe-seconds",
        type=float,
        default=PROBE_SECONDS,
        metavar="S",
        help="stop re-solving prices after S seconds; the rest keep their dual-based figures, "
        f"labelled so (default: {PROBE_SECONDS:g})",
    )
    sub.add_argument(
        "--stockpile-value",
        action="store_true",
        help="with disruption scenarios: also solve without floors and judge the plan made "
        "without events, to show what the stockpile is worth (stockpile_value.csv) and the "
        "cover a risk-aware plan holds by itself (risk_cover.csv)",
    )
    sub.add_argument(
        "--method",
        choices=METHODS,
        default="ef",
        help="with disruption scenarios: ef, the extensive form (default); ph, progressive "
        "hedging (mpi-sppy) over the two-stage form, on every rank of `mpiexec -n K sourcing "
        "solve ... --method ph` (rank 0 prints and writes)",
    )
    sub.add_argument("--ph-rho", type=float, default=1.0, metavar="R",
                     help="with --method ph: rho of each first-stage variable, as a multiple of "
                     "its cost coefficient (default: 1)")  # fmt: skip
    sub.add_argument("--ph-iterations", type=int, default=100, metavar="N",
                     help="with --method ph: stop after N iterations (default: 100)")  # fmt: skip
    sub.add_argument("--ph-tolerance", type=float, default=1e-3, metavar="T",
                     help="with --method ph: converged when the scenarios' first stages are on "
                     "average within T of their average, and that average moved by at most T, "
                     "in tonnes, 0/1 or USD (default: 0.001)")  # fmt: skip
    sub.add_argument("--ph-gap", type=float, default=1e-3, metavar="G",
                     help="with --method ph: stop when the plan is within G (relative) of the "
                     "lower bound, and call it optimal only then (default: 0.001)")  # fmt: skip
    sub.add_argument("--verbose", action="store_true", help="show the solver's log")
    sub.set_defaults(run=run)
    return sub


def run(args) -> int:
    """Under ``mpiexec`` with ``--method ph`` every rank runs the command; only rank 0
    prints and writes, the others take part in PH quietly and exit 0."""
    if getattr(args, "method", "ef") == "ph":
        from models.risk_ph import world

        args.ph_worker = world()[0] != 0
        if args.ph_worker:
            with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink), \
                    contextlib.redirect_stderr(sink):  # fmt: skip
                _run(args)
            return 0
    return _run(args)


@handles_errors
def _run(args) -> int:
    if args.write_model and Path(args.write_model).suffix.lower() not in MODEL_FORMATS:
        raise UsageError(f"--write-model must end in .mps or .lp, not '{args.write_model}'")
    if args.probe_limit is not None and args.probe_limit < 0:
        raise UsageError("--probe-limit must be 0 or more")
    if not args.probe_seconds >= 0 or args.probe_seconds == float("inf"):
        raise UsageError("--probe-seconds must be a finite number of seconds, 0 or more")
    if args.time_limit is not None and args.time_limit <= 0:
        raise UsageError("--time-limit must be a positive number of seconds")
    folder = scenario_folder(args.scenario)
    args.scenario_label = str(folder)
    scenario = load_scenario(folder)
    if scenario.has_risk and (args.engine != "highs" or args.verify or args.write_model):
        raise UsageError(
            "with disruption scenarios (events.csv) only the HiGHS extensive form runs so far: "
            "leave out --engine pyomo, --verify and --write-model"
        )
    if args.method == "ph":
        _check_ph(scenario, args)
        if getattr(args, "ph_worker", False):  # a PH rank other than 0: solve, write nothing
            _solve(scenario, args)
            return 0
    out = Path(args.out) if args.out else Path("results") / scenario.name
    model_file = Path(args.write_model) if args.write_model else None
    with claimed(out, RESULT, "--out" if args.out else ""):
        if model_file is not None:
            check_model_file(model_file)
        return _solve_and_write(scenario, out, args)


def _check_ph(scenario, args) -> None:
    if not scenario.has_risk:
        raise UsageError(
            "--method ph needs disruption scenarios (events.csv with risk_scenarios.csv or "
            "[risk] samples); this scenario has none"
        )
    if args.ph_rho <= 0 or args.ph_iterations < 1 or args.ph_tolerance < 0 or args.ph_gap < 0:
        raise UsageError("--ph-rho must be positive, --ph-iterations 1 or more, "
                         "--ph-tolerance and --ph-gap 0 or more")  # fmt: skip


def _solve(scenario, args):
    ph = None
    if args.method == "ph":
        from models.risk_ph import PHSettings

        ph = PHSettings(rho=args.ph_rho, iterations=args.ph_iterations,
                        tolerance=args.ph_tolerance, rel_gap=args.ph_gap,
                        time_limit_s=args.time_limit,
                        verbose=args.verbose)  # fmt: skip
    return solve(
        scenario,
        engine=args.engine,
        time_limit_s=args.time_limit,
        algorithm=args.algorithm,
        threads=args.threads,
        verify=args.verify,
        write_model_to=args.write_model,
        pyomo_solver=args.pyomo_solver,
        verbose=args.verbose,
        probe_limit=args.probe_limit,
        probe_seconds=args.probe_seconds,
        value_stockpile=args.stockpile_value,
        method=args.method,
        ph_settings=ph,
    )


def _solve_and_write(scenario, out: Path, args) -> int:
    result = _solve(scenario, args)
    written = None
    if result.status != Status.ERROR:
        written = write_result(result, out, table_format=args.table_format)
    print(format_summary(result, written, table_format=args.table_format))
    if result.violations:
        print("error: the plan failed its re-check (see above)", file=sys.stderr)
    if result.verification is not None and not result.verification.agrees:
        print("error: the second solver disagrees (see above)", file=sys.stderr)
    if result.status == Status.ERROR:
        print(f"error: the solver failed: {result.termination}", file=sys.stderr)
        return EXIT_ERROR
    return result.exit_code
