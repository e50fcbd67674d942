"""``sourcing compare PLAN PLAN [...]``: plans side by side, with differences."""

from __future__ import annotations

from pathlib import Path

from optimizer.cli.common import described, say
from optimizer.cli.errors import EXIT_OK, UsageError, handles_errors
from optimizer.common.output_paths import COMPARISON, claimed
from optimizer.common.table_files import TABLE_FORMATS
from optimizer.results.compare import compare, load_plan
from optimizer.results.compare_text import format_comparison
from optimizer.results.writing import comparison_files, write_comparison


def register(commands):
    sub = commands.add_parser(
        "compare",
        help="compare two or more plans side by side",
        **described(
            "Compare plans side by side: each plan's verdict, its input differences from the "
            "baseline, headline figures with their differences, then per-material detail.",
            reads=[
                "PLAN: a result folder written by `sourcing solve` (its summary.json and "
                "tables, .csv or .parquet, and for the input differences the scenario its "
                "summary.json records, while unchanged), or a scenario folder or .xlsx "
                "workbook, solved first",
            ],
            writes=[
                "into --out (default results/compare/), replacing only an earlier comparison:",
                "compare.csv: the headline figures, a column per plan and a difference column",
                "compare_detail.csv: the per-material figures",
                "compare_inputs.csv: each plan's input differences from the baseline",
                "compare.xlsx: those three tables, a sheet each (headline, detail, inputs)",
                "compare.json: the plans compared and the baseline",
                "plans/<name>/: each plan's summary.json and tables (for `sourcing report`)",
                "the tables as .parquet instead with --format parquet",
            ],
        ),
    )
    sub.add_argument(
        "plans",
        nargs="+",
        metavar="PLAN",
        help="a result folder, or a scenario folder or .xlsx to solve",
    )
    sub.add_argument(
        "--baseline",
        metavar="NAME",
        help="show every plan as a difference from this plan (named by its folder or workbook)",
    )
    sub.add_argument(
        "--out",
        metavar="DIR",
        default=str(Path("results") / "compare"),
        help="output folder (default: results/compare)",
    )
    sub.add_argument(
        "--format",
        choices=TABLE_FORMATS,
        default=TABLE_FORMATS[0],
        dest="table_format",
        help="how the tables are written: csv (default) or parquet (compare.parquet, "
        "compare_detail.parquet, compare_inputs.parquet and the plans' tables; compare.xlsx "
        "either way)",
    )
    sub.set_defaults(run=run)
    return sub


@handles_errors
def run(args) -> int:
    if len(args.plans) < 2:
        raise UsageError("compare needs at least two plans")
    for source in args.plans:
        if not Path(source).exists():
            raise UsageError(f"{source}: no such result folder or scenario")
    with claimed(Path(args.out), COMPARISON):
        plans = []
        for source in args.plans:
            args.scenario_label = source
            plans.append(load_plan(source))
        try:
            comparison = compare(plans, baseline=args.baseline)
        except ValueError as error:
            raise UsageError(str(error)) from None
        folder = write_comparison(comparison, plans, Path(args.out), args.table_format)
    print(format_comparison(comparison, only_differences=args.baseline is not None))
    written = f"Written: {folder}/ ({', '.join(comparison_files(args.table_format))})"
    say("\n" + written)
    return EXIT_OK
