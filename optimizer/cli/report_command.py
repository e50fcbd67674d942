"""``sourcing report FOLDER``: a self-contained HTML report with charts (PNG files too)."""

from __future__ import annotations

from pathlib import Path

from optimizer.cli.common import described, say
from optimizer.cli.errors import EXIT_OK, UsageError, handles_errors
from optimizer.common.output_paths import COMPARISON, RESULT, kind_of, locked


def register(commands):
    sub = commands.add_parser(
        "report",
        help="write an HTML report with charts for a result or comparison folder",
        **described(
            "Write an HTML report with charts into a result folder written by `sourcing "
            "solve` or a comparison folder written by `sourcing compare`.",
            reads=[
                "RESULT_DIR: a result folder (summary.json and its tables, .csv or .parquet) "
                "or a comparison folder (compare.json, compare_inputs.csv and plans/)",
            ],
            writes=[
                "into RESULT_DIR:",
                "report.html: self-contained, it opens without a network",
                "charts/imports.png, charts/stock.png, charts/costs.png, charts/policy.png: "
                "for a result (and charts/risk-stock.png, charts/risk-costs.png for a plan "
                "made against disruption scenarios)",
                "charts/costs.png, charts/shares.png, charts/concentration.png, "
                "charts/cover.png: for a comparison",
            ],
        ),
    )
    sub.add_argument("folder", metavar="RESULT_DIR", help="a result or comparison folder")
    sub.set_defaults(run=run)
    return sub


@handles_errors
def run(args) -> int:
    from optimizer.reporting import (  # matplotlib: load late
        write_comparison_report,
        write_plan_report,
    )

    folder = Path(args.folder)
    kind = kind_of(folder) if folder.is_dir() and not folder.is_symlink() else None
    if kind not in (RESULT, COMPARISON):
        raise UsageError(
            f"{folder}: not a result folder written by `sourcing solve` or a comparison folder "
            "written by `sourcing compare`; the report is written only into one of those"
        )
    with locked(folder):  # not while a solve or compare replaces the folder
        if kind == RESULT:
            html = write_plan_report(folder)
        else:
            try:
                html = write_comparison_report(folder)
            except ValueError as error:  # a compare.json edited by hand: what is wrong in it
                raise UsageError(str(error)) from None
    say(f"Written: {html} (charts in {html.parent / 'charts'}/)")
    return EXIT_OK
