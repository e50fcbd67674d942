"""Domain errors turned into one-line messages and exit codes, in one place."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable

from optimizer.common.output_paths import OutputRefused
from optimizer.inputs.problems import ScenarioError
from optimizer.inputs.schema import SETTINGS_FILE, TABLES

SCENARIO_FILES = {SETTINGS_FILE, *(spec.file for spec in TABLES.values())}

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_INVALID_INPUT = 2
EXIT_INFEASIBLE = 3
EXIT_LIMIT = 4
EXIT_INTERRUPTED = 130
SHOWN_PROBLEMS = 200


class UsageError(Exception):
    """A command line that cannot be acted on (exit code 2)."""


def report_problems(error: ScenarioError, where: str) -> None:
    problems = error.problems
    for problem in problems[:SHOWN_PROBLEMS]:
        inside = where and problem.file in SCENARIO_FILES  # else it names the folder itself
        print(f"{where}/{problem}" if inside else str(problem), file=sys.stderr)
    if len(problems) > SHOWN_PROBLEMS:
        print(f"... and {len(problems) - SHOWN_PROBLEMS} more problems", file=sys.stderr)
    noun = "problem" if len(problems) == 1 else "problems"
    print(f"error: {len(problems)} {noun} in the input; nothing was written", file=sys.stderr)


def handles_errors(command: Callable[..., int]) -> Callable[..., int]:
    """Run a subcommand; map invalid input to 2, interruption to 130, anything else to 1."""

    @functools.wraps(command)
    def run(args) -> int:
        try:
            return command(args)
        except ScenarioError as error:
            report_problems(error, getattr(args, "scenario_label", ""))
            return EXIT_INVALID_INPUT
        except (UsageError, OutputRefused) as error:
            print(f"error: {error}", file=sys.stderr)
            return EXIT_INVALID_INPUT
        except BrokenPipeError:  # the reader of our output went away (`| head`): stop quietly
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return EXIT_ERROR
        except KeyboardInterrupt:
            print("interrupted; nothing was written", file=sys.stderr)
            return EXIT_INTERRUPTED
        except Exception as error:  # a bug or an environment failure: one line, not a traceback
            if getattr(args, "debug", False):
                raise
            kind = type(error).__name__
            print(f"error: {kind}: {error} (run with --debug for the traceback)", file=sys.stderr)
            return EXIT_ERROR

    return run
