"""Input problems, reported all at once as ``file:line: column: message``."""

from __future__ import annotations

from dataclasses import dataclass

ONE_LINE = str.maketrans({"\n": "\\n", "\r": "\\r"})


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the input, located as precisely as we can."""

    file: str
    line: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        text = (
            f"{where}: {self.column}: {self.message}" if self.column else f"{where}: {self.message}"
        )
        return text.translate(ONE_LINE)  # a value may hold a line break; keep one problem a line


class ScenarioError(Exception):
    """The scenario cannot be used as given; ``problems`` lists every reason."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(set(problems), key=_sort_key)
        super().__init__("\n".join(str(p) for p in self.problems))


def _sort_key(p: Problem) -> tuple:
    return (p.file, p.line or 0, p.column or "", p.message)
