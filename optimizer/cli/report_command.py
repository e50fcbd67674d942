"""``sourcing report FOLDER``: a self-contained HTML report with charts (PNG files too)."""

from __future__ import annotations

from pathlib import Path

from ..compare import is_comparison_folder, is_result_folder
from .errors import EXIT_OK, UsageError, handles_errors


def register(commands):
    sub = commands.add_parser(
        "report",
        help="write an HTML report with charts for a result or comparison folder",
        description="Write report.html (self-contained: opens without a network) and the "
        "charts as PNG files under charts/, into a result folder written by `sourcing solve` "
        "or a comparison folder written by `sourcing compare`.",
    )
    sub.add_argument("folder", metavar="RESULT_DIR", help="a result or comparison folder")
    sub.set_defaults(run=run)
    return sub


@handles_errors
def run(args) -> int:
    from ..report import write_comparison_report, write_plan_report  # matplotlib: load late

    folder = Path(args.folder)
    if is_comparison_folder(folder):
        html = write_comparison_report(folder)
    elif is_result_folder(folder):
        html = write_plan_report(folder)
    else:
        raise UsageError(
            f"{folder}: not a result folder (no summary.json) or comparison folder "
            "(no compare.json); run `sourcing solve` or `sourcing compare` first"
        )
    print(f"Written: {html} (charts in {html.parent / 'charts'}/)")
    return EXIT_OK
