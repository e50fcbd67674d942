"""``sourcing sweep FILE``: solve every point of a sweep, in parallel, resumably."""

from __future__ import annotations

import sys

from optimizer.cli.common import add_worker_arguments, described, say
from optimizer.cli.errors import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK, UsageError, handles_errors


def register(commands):
    sub = commands.add_parser(
        "sweep",
        help="run a sensitivity sweep described in a TOML file",
        **described(
            "Solve every point of a sweep file on local worker processes (one per core by "
            "default) or an existing Dask cluster. Finished points are saved as they finish: "
            "run the same command again after an interruption and only the missing points "
            "(and those that ended in an error) are solved.",
            reads=[
                "FILE: a sweep file (.toml; docs/sweeps.md), and the base scenario it names "
                "(a folder or an .xlsx workbook)",
                "on a resumed run, the output folder's sweep.json and points.jsonl",
            ],
            writes=[
                "into --out (default results/sweeps/<name>/): an absent or empty folder, or "
                "one of this sweep's, resumed (--restart: begun afresh):",
                "sweep.json: the sweep's fingerprint, design and parameters",
                "points.jsonl: the journal, a line per finished point, as each finishes",
                "results.parquet, results.csv: one row per point, at the end",
            ],
        ),
    )
    sub.add_argument("file", metavar="FILE", help="the sweep file (.toml)")
    add_worker_arguments(sub, "points", "results/sweeps/<name>")
    sub.set_defaults(run=run)
    return sub


@handles_errors
def run(args) -> int:
    from optimizer.sweep.run import SweepMismatch, results_folder, run_sweep
    from optimizer.sweep.spec import load_sweep

    if args.workers is not None and args.workers < 1:
        raise UsageError("--workers must be at least 1")
    sweep = load_sweep(args.file)
    folder = results_folder(sweep, args.out)
    try:
        outcome = run_sweep(
            sweep,
            folder,
            workers=args.workers,
            scheduler=args.scheduler,
            restart=args.restart,
            progress=not args.no_progress,
        )
    except SweepMismatch as error:
        raise UsageError(str(error)) from None
    except KeyboardInterrupt:
        print(
            f"interrupted: finished points are kept in {folder}; run the same command "
            "again to solve the rest",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    statuses = ", ".join(f"{n} {status}" for status, n in sorted(outcome.statuses.items()))
    rate = outcome.ran / outcome.seconds if outcome.seconds > 0 else 0.0
    say(
        f"{sweep.name}: {outcome.total} points ({statuses}); {outcome.already_done} were "
        f"already done, {outcome.ran} solved now in {outcome.seconds:.1f} s "
        f"({rate:.1f} points/s)"
    )
    say(f"Written: {folder}/ (results.parquet, results.csv, points.jsonl)")
    if outcome.failed:
        noun = "point" if outcome.failed == 1 else "points"
        print(
            f"error: {outcome.failed} {noun} could not be solved in this run (status error, "
            "the reason in the diagnosis column); run the same command again to retry them",
            file=sys.stderr,
        )
        return EXIT_ERROR
    return EXIT_OK
