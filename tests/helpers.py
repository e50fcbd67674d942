"""Helpers shared by the test modules: the engines, a solve that must reach a checked optimum, the
CLI run in this process, the problems a scenario is refused with, and a table of cases sampled
for the quick loop."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest

from optimizer import Result, Scenario, ScenarioError, Status, load_scenario, solve
from optimizer.cli.main import main

ENGINES = ["highs", "pyomo"]  # the engines every hand-solved instance is checked with


def quick_sample(cases: Iterable[tuple], every: int) -> list:
    """A table of test cases (one tuple of values each) as parameters: every ``every``-th case,
    the first included, runs in the quick loop (``pytest -m "not slow"``) and the others are
    marked slow. Each case loads a scenario, a table of dozens adds seconds; the full suite runs
    them all."""
    return [
        case if i % every == 0 else pytest.param(*case, marks=pytest.mark.slow)
        for i, case in enumerate(cases)
    ]


def solved(scenario: Scenario, engine: str = "highs") -> Result:
    """``scenario`` solved by ``engine``: optimal, and its plan passes the independent re-check."""
    result = solve(scenario, engine=engine)
    assert result.status == Status.OPTIMAL, result.termination
    assert result.violations == []
    return result


def run(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    """``sourcing *args`` in this process: the exit code, stdout and stderr."""
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def problems(source: Path) -> list[str]:
    """The problems a scenario folder or workbook is refused with, as the user reads them."""
    with pytest.raises(ScenarioError) as caught:
        load_scenario(source)
    return [str(problem) for problem in caught.value.problems]


def only_problem(source: Path) -> str:
    """The one problem ``source`` is refused with (fails if there are more or none)."""
    found = problems(source)
    assert len(found) == 1, found
    return found[0]


def unwrapped(text: str) -> list[str]:
    """The lines of a command's text before :func:`optimizer.common.text_width.wrap_prose`
    wrapped them: a line indented four more than the one before, whose first word would not
    have fitted on it, continues it."""
    lines: list[str] = []
    for line in text.splitlines():
        body = line.lstrip(" ")
        if lines and body:
            before = lines[-1]
            indent = len(before) - len(before.lstrip(" "))
            first_word = body.split(" ", 1)[0]
            wrapped_here = len(line) - len(body) == indent + 4
            if wrapped_here and len(before) + 1 + len(first_word) > 100:
                lines[-1] = f"{before} {body}"
                continue
        lines.append(line)
    return lines
