"""Arguments shared by subcommands."""

from __future__ import annotations

import argparse
import textwrap
from collections.abc import Sequence
from pathlib import Path

from optimizer.cli.errors import UsageError
from optimizer.inputs.loading import path_problem
from optimizer.inputs.problems import ScenarioError

DEFAULT_SCENARIO = Path("inputs") / "india-2026"
# Where the default scenario sits in a source checkout (an editable install runs from it).
CHECKOUT_ROOT = Path(__file__).resolve().parents[2]


def scenario_folder(given: str | None) -> Path:
    """The folder (or workbook) named, or the default scenario: ``inputs/india-2026`` here or in
    the checkout. A path that cannot be a scenario is one problem, located at the path as given
    (raised here, before the command labels problems with the folder)."""
    if given is not None:
        problem = path_problem(Path(given))
        if problem is not None:
            raise ScenarioError([problem])
        return Path(given)
    for candidate in (DEFAULT_SCENARIO, CHECKOUT_ROOT / DEFAULT_SCENARIO):
        if candidate.is_dir():
            return candidate
    raise UsageError(
        f"no scenario folder given and the default {DEFAULT_SCENARIO} was not found; "
        "name a scenario folder, e.g. `sourcing solve path/to/scenario`"
    )


def add_worker_arguments(sub, items: str, out_default: str) -> None:
    """--workers, --scheduler, --out, --restart and --no-progress of a journaled run of
    ``items`` (points of a sweep, paths of an evaluation) on the sweep executor."""
    sub.add_argument(
        "--workers", type=int, metavar="N", help="local worker processes (default: one per core)"
    )
    sub.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help=f"send the {items} to this Dask scheduler instead, e.g. tcp://host:8786",
    )
    sub.add_argument("--out", metavar="DIR", help=f"output folder (default: {out_default})")
    sub.add_argument(
        "--restart", action="store_true", help=f"discard the {items} already in the output folder"
    )
    sub.add_argument("--no-progress", action="store_true", help="no progress bar")


HELP_WIDTH = 79  # --help lines, which argparse is told not to wrap again


def described(text: str, reads: Sequence[str], writes: Sequence[str]) -> dict:
    """``add_parser`` keywords for a subcommand's ``--help``: ``text`` as its description, then
    a ``Reads:`` and a ``Writes:`` list, one entry a line (``"name: what it holds"``), so every
    file a command takes or makes is listed by name. The text is wrapped here; argparse keeps
    the lines."""
    indent = "  "

    def listed(title: str, entries: Sequence[str]) -> list[str]:
        lines = [title]
        for entry in entries:
            lines += textwrap.wrap(
                entry,
                HELP_WIDTH,
                initial_indent=indent,
                subsequent_indent=indent * 3,
                break_on_hyphens=False,
                break_long_words=False,
            )
        return lines

    epilog = [*listed("Reads:", reads), "", *listed("Writes:", writes or ["nothing"])]
    return {
        "description": textwrap.fill(text, HELP_WIDTH, break_on_hyphens=False),
        "epilog": "\n".join(epilog),
        "formatter_class": argparse.RawDescriptionHelpFormatter,
    }


def say(text: str) -> None:
    """Print ``text`` to the terminal, its lines of prose wrapped to 100 columns
    (:func:`optimizer.common.text_width.wrap_prose`)."""
    from optimizer.common.text_width import wrap_prose

    print("\n".join(wrap_prose([text])))
