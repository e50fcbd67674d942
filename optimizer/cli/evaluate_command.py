"""``sourcing evaluate RESULT``: an out-of-sample check of a plan made against disruption
scenarios, on freshly sampled event paths, in parallel, resumably."""

from __future__ import annotations

import sys

from optimizer.cli.common import add_worker_arguments, described, say
from optimizer.cli.errors import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK, UsageError, handles_errors


def register(commands):
    sub = commands.add_parser(
        "evaluate",
        help="check a risk plan on freshly sampled event paths (out of sample)",
        **described(
            "Sample N event paths from the scenario's events.csv; in each, fix the plan's "
            "yes/no decisions and its undisrupted path's decisions before the path's first "
            "event, re-optimise the rest knowing the path, and report the expected cost, "
            "CVaR, objective, worst case and shortfall with 95% confidence intervals beside "
            "the solve's in-sample figures. Paths run on local worker processes (one per "
            "core by default; --workers 1: in this process) or an existing Dask cluster; "
            "finished paths are saved as they finish, so the same command resumes an "
            "interrupted run.",
            reads=[
                "RESULT: a result folder of a risk solve (summary.json; decisions, plan, "
                "stock and processing tables, .csv or .parquet)",
                "the scenario folder its summary.json records (or --scenario DIR), with "
                "events.csv; refused if changed since the solve unless "
                "--allow-changed-inputs",
                "on a resumed run, the output folder's evaluation.json and paths.jsonl",
            ],
            writes=[
                "into --out (default <RESULT>-evaluation/): an absent or empty folder, or "
                "one of this evaluation's, resumed (--restart: begun afresh):",
                "evaluation.json: what is evaluated and, once complete, the figures",
                "paths.jsonl: the journal, a line per finished path, as each finishes",
                "paths.csv: one row per distinct path, at the end",
            ],
        ),
    )
    sub.add_argument("result", metavar="RESULT", help="a result folder of a risk solve")
    sub.add_argument(
        "--samples",
        type=int,
        required=True,
        metavar="N",
        help="event paths to sample (identical ones are solved once)",
    )
    sub.add_argument(
        "--seed", type=int, metavar="S", help="seed of the paths (default: the solve's seed + 1)"
    )
    sub.add_argument(
        "--scenario",
        metavar="DIR",
        help="the inputs to evaluate against (default: those the result records)",
    )
    sub.add_argument(
        "--allow-changed-inputs",
        action="store_true",
        help="evaluate even when the input files changed since the solve",
    )
    add_worker_arguments(sub, "paths", "<RESULT>-evaluation")
    sub.set_defaults(run=run)
    return sub


@handles_errors
def run(args) -> int:
    from optimizer.sweep.evaluate import (
        EvaluationMismatch,
        default_folder,
        load_evaluation,
        run_evaluation,
        summary_lines,
    )
    from optimizer.sweep.evaluate_plan import EvaluationRefused

    if args.workers is not None and args.workers < 1:
        raise UsageError("--workers must be at least 1")
    if args.workers is not None and args.scheduler:
        raise UsageError("--workers and --scheduler exclude each other")
    args.scenario_label = args.scenario or ""
    folder = args.out or default_folder(args.result)
    try:
        evaluation = load_evaluation(
            args.result,
            args.samples,
            seed=args.seed,
            scenario=args.scenario,
            allow_changed_inputs=args.allow_changed_inputs,
        )
        outcome = run_evaluation(
            evaluation,
            args.out,
            workers=args.workers,
            scheduler=args.scheduler,
            restart=args.restart,
            progress=not args.no_progress,
        )
    except (EvaluationRefused, EvaluationMismatch) as error:
        raise UsageError(str(error)) from None
    except KeyboardInterrupt:
        print(
            f"interrupted: finished paths are kept in {folder}; run the same command again to "
            "solve the rest",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    if evaluation.inputs_changed:
        _warn(f"{evaluation.scenario_path} changed since the solve; evaluated against the "
              "changed inputs (--allow-changed-inputs)")  # fmt: skip
    elif evaluation.inputs_changed is None:
        _warn(f"{args.result} records no digest of its inputs; {evaluation.scenario_path} is "
              "taken as they were")  # fmt: skip
    for line in summary_lines(outcome.document):
        say(line)
    rate = outcome.ran / outcome.seconds if outcome.seconds > 0 else 0.0
    say(
        f"{outcome.paths:,} distinct paths: {outcome.already_done:,} were already done, "
        f"{outcome.ran:,} solved now in {outcome.seconds:.1f} s ({rate:.1f} paths/s)"
    )
    say(f"Written: {outcome.folder}/ (evaluation.json, paths.csv, paths.jsonl)")
    if outcome.failed:
        noun = "path" if outcome.failed == 1 else "paths"
        print(
            f"error: {outcome.failed} {noun} could not be solved in this run (status error, the "
            "reason in paths.csv); run the same command again to retry them",
            file=sys.stderr,
        )
        return EXIT_ERROR
    return EXIT_OK


def _warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)
