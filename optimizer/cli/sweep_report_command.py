"""``sourcing sweep-report RESULTS``: charts of a sweep's results, as PNG files and HTML."""

from __future__ import annotations

from pathlib import Path

from optimizer.cli.common import described, say
from optimizer.cli.errors import EXIT_OK, UsageError, handles_errors
from optimizer.common.output_paths import SWEEP, kind_of, locked


def register(commands):
    sub = commands.add_parser(
        "sweep-report",
        help="draw a sweep's cost/concentration frontier, tornado and line charts",
        **described(
            "Draw a sweep's results: the cost/concentration frontier, a tornado chart for "
            "one-at-a-time designs and a line chart for each varied parameter.",
            reads=[
                "RESULTS: a sweep results folder written by `sourcing sweep` (sweep.json, "
                "results.parquet)"
            ],
            writes=[
                "into RESULTS:",
                "report.html: self-contained, it opens without a network",
                "charts/frontier.png: cost against the measure the sweep file names in "
                "[frontier] (default: the watched country's share of its most dependent "
                "material); none where the measure does not vary",
                "charts/tornado.png: with a one-at-a-time design",
                "charts/cap-<parameter>.png: cost against each cap (other designs)",
                "charts/line-<parameter>.png: the figures along each varied parameter",
            ],
        ),
    )
    sub.add_argument("folder", metavar="RESULTS", help="a sweep results folder")
    sub.set_defaults(run=run)
    return sub


@handles_errors
def run(args) -> int:
    from optimizer.reporting import write_sweep_report  # matplotlib: loaded only here
    from optimizer.sweep.run import MANIFEST, TABLE

    folder = Path(args.folder)
    ours = folder.is_dir() and not folder.is_symlink() and kind_of(folder) == SWEEP
    if not ours or not (folder / TABLE).is_file():
        raise UsageError(
            f"{folder}: not a sweep results folder written by `sourcing sweep` (with its "
            f"{MANIFEST} and {TABLE}); run `sourcing sweep FILE` first"
        )
    with locked(folder):  # not while a sweep writes there
        html = write_sweep_report(folder)
    say(f"Written: {html} (charts in {html.parent / 'charts'}/)")
    return EXIT_OK
