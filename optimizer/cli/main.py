"""``sourcing``: registers the subcommands; each lives in its own module."""

from __future__ import annotations

import argparse
import sys
from importlib import metadata

from optimizer.cli import (
    compare_command,
    diff_command,
    evaluate_command,
    export_command,
    report_command,
    solve_command,
    sweep_command,
    sweep_report_command,
    template_command,
    validate_command,
)

DISTRIBUTION = "rare-earth-sourcing"

SUBCOMMANDS = (
    solve_command,
    validate_command,
    diff_command,
    compare_command,
    report_command,
    template_command,
    export_command,
    sweep_command,
    sweep_report_command,
    evaluate_command,
)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="sourcing",
        description="Least-cost rare-earth import plans under country share caps and "
        "stockpile floors.",
    )
    top.add_argument("--version", action="version", version=f"sourcing {version()}")
    commands = top.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in SUBCOMMANDS:
        sub = module.register(commands)
        sub.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    return top


def version() -> str:
    """The installed distribution's version (a source tree that is not installed has none)."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return f"unknown ({DISTRIBUTION} is not installed)"


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(sys.argv[1:] if argv is None else argv)
    return args.run(args)
