"""``sourcing diff A B``: the input differences between two scenarios, without solving."""

from __future__ import annotations

from pathlib import Path

from optimizer.cli.common import described, scenario_folder
from optimizer.cli.errors import EXIT_OK, handles_errors
from optimizer.common.output_paths import check_own_file, locked, write_file_atomic
from optimizer.inputs.loading import load_scenario
from optimizer.inputs.scenario_diff import COLUMNS, format_differences, scenario_differences

# The header row marks a differences table as ours: only such a file is replaced.
CSV_HEADER = (",".join(COLUMNS) + "\n").encode("utf-8")


def register(commands):
    sub = commands.add_parser(
        "diff",
        help="show the input differences between two scenarios",
        **described(
            "List every setting and every input row that differs from scenario A to scenario "
            "B, without solving: each changed value, each row added or removed, named by its "
            "file and key.",
            reads=["A, B: two scenarios, each a scenario folder or an .xlsx workbook"],
            writes=[
                "nothing, unless --csv FILE: the differences as a table (columns "
                + ", ".join(COLUMNS)
                + "), replacing only a file sourcing diff wrote",
            ],
        ),
    )
    sub.add_argument("old", metavar="A", help="the scenario compared from")
    sub.add_argument("new", metavar="B", help="the scenario compared to")
    sub.add_argument(
        "--csv",
        metavar="FILE",
        help="also write the differences as a table (replaces only a file sourcing diff wrote)",
    )
    sub.set_defaults(run=run)
    return sub


@handles_errors
def run(args) -> int:
    out = Path(args.csv) if args.csv else None
    if out is not None:
        check_own_file(out, CSV_HEADER, "--csv", "sourcing diff")  # refused before any work
    scenarios = []
    for given in (args.old, args.new):
        args.scenario_label = ""  # a path that is no scenario names itself
        folder = scenario_folder(given)
        args.scenario_label = str(folder)
        scenarios.append(load_scenario(folder))
    differences = scenario_differences(*scenarios)
    print(format_differences(differences))
    if out is not None:
        text = differences.to_csv(index=False, lineterminator="\n")
        with locked(out):
            check_own_file(out, CSV_HEADER, "--csv", "sourcing diff")  # it may have appeared
            write_file_atomic(out, text.encode("utf-8"))
        print(f"Written: {out}")
    return EXIT_OK
