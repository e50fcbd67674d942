"""``sourcing export SCENARIO OUT``: a scenario folder as a workbook, or a workbook as a folder.

OUT's name says what is written: a path ending in ``.xlsx`` is a workbook, anything else a
folder. Both ways are allowed from either kind of scenario (folder to folder, workbook to
workbook: a normalised copy). What may be replaced:

- a workbook: a new file, or an existing plain file with ``--force`` (as ``sourcing template``);
- a folder: only where there is none or an empty one, ``--force`` or not. A scenario folder is
  edited by hand after it is written, so one that holds anything is never replaced, even one
  this command wrote: remove it yourself.

The scenario is read and checked in full before anything is written; the workbook is written to
a temporary file beside OUT and the folder to a staging folder beside it, each renamed into place
once complete (``optimizer.common.output_paths``).
"""

from __future__ import annotations

from pathlib import Path

from optimizer.cli.common import described, say, scenario_folder
from optimizer.cli.errors import EXIT_OK, UsageError, handles_errors
from optimizer.common.output_paths import check_new_folder, creating, locked
from optimizer.inputs.loading import WORKBOOK_SUFFIXES, load_scenario
from optimizer.inputs.schema import SETTINGS_FILE, TABLES

WORKBOOK_SUFFIX = ".xlsx"
WRITTEN_BY = "sourcing export"


def register(commands):
    sub = commands.add_parser(
        "export",
        help="write a scenario folder as a workbook, or a workbook as a folder",
        **described(
            "Check a scenario as `sourcing validate` does and write it again: a folder as a "
            "workbook to fill in and share, a workbook as a folder of files to keep under "
            "version control. Read back, OUT gives the same tables and settings, so a round "
            "trip changes nothing. Written in schema order (every table, column and setting), "
            "numbers as typed (1500, not 1500.0), a cell left blank for its default as that "
            "value. Not kept: comments in scenario.toml, the folder's other files (SOURCES.md). "
            "Nothing is written when the scenario has a problem (exit code 2).",
            reads=["SCENARIO: a scenario folder or an .xlsx workbook"],
            writes=[
                "OUT.xlsx (OUT ending in .xlsx): a README sheet, the scenario sheet of settings "
                "and one sheet per input table; solve it with `sourcing solve OUT.xlsx`; an "
                "existing file only with --force",
                "OUT/ (any other name): scenario.toml and one CSV file per input table; only a "
                "new or empty folder, never one that holds anything (--force or not)",
            ],
        ),
    )
    sub.add_argument(
        "scenario", metavar="SCENARIO", help="the scenario to read: a folder or an .xlsx workbook"
    )
    sub.add_argument(
        "out",
        metavar="OUT",
        help="the workbook (a name ending in .xlsx) or the new scenario folder to write",
    )
    sub.add_argument(
        "--force", action="store_true", help="replace an existing workbook (never a folder)"
    )
    sub.set_defaults(run=run)
    return sub


@handles_errors
def run(args) -> int:
    out = Path(args.out)
    to_workbook = out.suffix.lower() == WORKBOOK_SUFFIX
    if out.suffix.lower() in WORKBOOK_SUFFIXES and not to_workbook:
        raise UsageError(f"{out}: a workbook is written as .xlsx; name OUT.xlsx or a folder")
    if to_workbook:
        _check_workbook(out, args.force)  # refused before any work
    else:
        check_new_folder(out, WRITTEN_BY)
    folder = scenario_folder(args.scenario)
    args.scenario_label = str(folder)
    scenario = load_scenario(folder)  # every problem reported, nothing written
    if to_workbook:
        from optimizer.inputs.template import write_scenario_workbook  # openpyxl: when writing

        with locked(out):
            _check_workbook(out, args.force)  # it may have appeared meanwhile
            # a temporary file renamed over OUT; without --force never over a file
            write_scenario_workbook(scenario, out, replace=args.force)
        sheets = f"{len(TABLES)} table sheets and the settings"
        written = f"Written: {out} ({sheets}; solve it with: sourcing solve {out})"
        say(written)
    else:
        with creating(out, WRITTEN_BY) as staging:
            scenario.write(staging)
        files = [SETTINGS_FILE, *(spec.file for spec in TABLES.values())]
        say(f"Written: {out}/ ({', '.join(files)})")
    return EXIT_OK


def _check_workbook(out: Path, force: bool) -> None:
    """A new file, or with ``force`` an existing plain file; never a link or a folder."""
    if out.is_symlink() or (out.exists() and not out.is_file()):
        raise UsageError(f"{out}: is not a plain file; name a new .xlsx file")
    if out.exists() and not force:
        raise UsageError(f"{out} exists; use --force to replace it")
    for parent in out.absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                raise UsageError(f"{out}: {parent} is a file, so no workbook can be written there")
            break
