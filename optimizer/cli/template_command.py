"""``sourcing template OUT.xlsx``: an empty scenario workbook, documented from the schema."""

from __future__ import annotations

from pathlib import Path

from optimizer.cli.common import described, say
from optimizer.cli.errors import EXIT_OK, UsageError, handles_errors


def register(commands):
    sub = commands.add_parser(
        "template",
        help="write an empty, documented scenario workbook",
        **described(
            "Write an empty scenario workbook. Fill it in, then `sourcing solve OUT.xlsx`.",
            reads=["nothing: the workbook is made from the input schema"],
            writes=[
                "OUT.xlsx: a README sheet, a scenario sheet of settings and one sheet per "
                "input table with its columns (descriptions and units in the header "
                "comments); an existing file only with --force",
            ],
        ),
    )
    sub.add_argument("out", metavar="OUT.xlsx", help="the workbook to write")
    sub.add_argument("--force", action="store_true", help="overwrite an existing file")
    sub.set_defaults(run=run)
    return sub


@handles_errors
def run(args) -> int:
    from optimizer.inputs.template import write_template  # openpyxl: loaded only when writing

    out = Path(args.out)
    if out.suffix.lower() != ".xlsx":
        raise UsageError(f"the template must be an .xlsx file, not '{out}'")
    if out.is_symlink() or (out.exists() and not out.is_file()):
        raise UsageError(f"{out}: is not a plain file; name a new .xlsx file")
    if out.exists() and not args.force:
        raise UsageError(f"{out} exists; use --force to overwrite it")
    out.parent.mkdir(parents=True, exist_ok=True)
    write_template(out, replace=args.force)  # without --force never over a file
    say(f"Written: {out} (fill it in, then: sourcing solve {out})")
    return EXIT_OK
