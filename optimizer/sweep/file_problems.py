"""Problems of a sweep file, located: where each key is written (``tomllib`` gives no
positions) and the recorders the checks of :mod:`optimizer.sweep.spec` report through, as
``file:line: parameter[N].key: message`` (``frontier.key`` in the ``[frontier]`` table)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from optimizer.inputs.problems import Problem


class KeyLines:
    """Where keys are written in the sweep file (``tomllib`` gives no positions)."""

    HEADER = re.compile(r"\s*\[")
    PARAMETER = re.compile(r"\s*\[\[\s*parameter\s*\]\]")

    def __init__(self, text: str):
        self.lines = text.splitlines()
        numbered = list(enumerate(self.lines, start=1))
        self.headers = [n for n, line in numbered if self.HEADER.match(line)]
        self.blocks = [n for n, line in numbered if self.PARAMETER.match(line)]

    def top(self, key: str) -> int | None:
        """The line of a top-level ``key = ...``, or of the first ``[key]`` or ``[[key]]``."""
        end = self.headers[0] if self.headers else len(self.lines) + 1
        found = self._find(key, 1, end)
        if found is not None:
            return found
        header = re.compile(rf"\s*\[\[?\s*{re.escape(key)}\s*\]")
        return next((n for n in self.headers if header.match(self.lines[n - 1])), None)

    def parameter(self, index: int, key: str | None = None) -> int | None:
        """The line of ``key`` in the ``index``-th (0-based) ``[[parameter]]`` block, or of its
        header; for an inline array of tables, the ``parameter = [...]`` line."""
        if index >= len(self.blocks):
            return self.top("parameter")
        header = self.blocks[index]
        if key is None:
            return header
        after = [n for n in self.headers if n > header]
        own_end = after[0] if after else len(self.lines) + 1
        block_end = next((n for n in self.blocks if n > header), len(self.lines) + 1)
        sub_table = re.compile(rf"\s*\[\s*parameter\s*\.\s*{re.escape(key)}\s*\]")
        for number in range(own_end, block_end):
            if sub_table.match(self.lines[number - 1]):
                return number
        return self._find(key, header + 1, own_end) or header

    def in_table(self, table: str, key: str | None = None) -> int | None:
        """The line of ``key`` in the ``[table]`` table (of its header without ``key`` or when
        ``key`` is not written there); for an inline table, the ``table = {...}`` line."""
        header = re.compile(rf"\s*\[\s*{re.escape(table)}\s*\]")
        start = next((n for n in self.headers if header.match(self.lines[n - 1])), None)
        if start is None:
            return self.top(table)
        if key is None:
            return start
        after = [n for n in self.headers if n > start]
        return self._find(key, start + 1, after[0] if after else len(self.lines) + 1) or start

    def _find(self, key: str, start: int, end: int) -> int | None:
        pattern = re.compile(rf"\s*(?:{re.escape(key)}|\"{re.escape(key)}\")\s*[=.]")
        for number in range(start, min(end, len(self.lines) + 1)):
            if pattern.match(self.lines[number - 1]):
                return number
        return None


@dataclass
class SweepProblems:
    """Records problems located in the sweep file."""

    file: str
    lines: KeyLines
    problems: list[Problem]

    def top(self, key: str, message: str, line_key: str | None = None) -> None:
        line = self.lines.top((line_key or key).split(".")[0])
        self.problems.append(Problem(self.file, line, key, message))

    def table(self, table: str, key: str | None, message: str) -> None:
        """A problem of ``key`` in a single table such as ``[frontier]`` (of the table itself
        when ``key`` is None)."""
        line = self.lines.in_table(table, key)
        self.problems.append(Problem(self.file, line, f"{table}.{key}" if key else table, message))

    def parameter(self, index: int, key: str | None, message: str) -> None:
        line = self.lines.parameter(index, key.split(".")[0] if key else None)
        column = f"parameter[{index + 1}]" + (f".{key}" if key else "")
        self.problems.append(Problem(self.file, line, column, message))

    def at(self, index: int) -> ParameterProblems:
        return ParameterProblems(self, index)


@dataclass
class ParameterProblems:
    """Records problems of one parameter (``index`` is 0-based, shown 1-based)."""

    report: SweepProblems
    index: int

    def __call__(self, key: str | None, message: str) -> None:
        self.report.parameter(self.index, key, message)

    @property
    def count(self) -> int:
        return len(self.report.problems)


def check_keys(
    table: dict, known: Sequence[str], bad: Callable[[str, str], None], prefix: str
) -> None:
    """Record each key of ``table`` that is not one of ``known`` (``bad(key, message)``)."""
    for key in table:
        if key not in known:
            bad(f"{prefix}{key}", f"unknown key{did_you_mean(key, known, listing=True)}")


def did_you_mean(word: str, candidates: Sequence[str], *, listing: bool = False) -> str:
    """``; did you mean 'x'?`` from close or containing candidates; else, with ``listing``,
    the candidates themselves."""
    candidates = list(candidates)
    lower = word.lower()
    close = [c for c in candidates if c.lower() == lower]
    close = close or [
        c
        for c in candidates
        if len(lower) >= 3 and (lower in c.lower() or lower.startswith(c.lower()))
    ]
    close = close or difflib.get_close_matches(word, candidates, n=1)
    if close:
        return "; did you mean " + " or ".join(f"'{c}'" for c in close[:3]) + "?"
    return f"; expected one of {', '.join(candidates)}" if listing else ""
