"""What the re-check finds: sentences, each about one disruption scenario's tables or about the
plan as a whole.

The re-check reads one plan's tables, or every disruption scenario's at once (each row with a
``scenario`` column, :mod:`optimizer.results.recheck_risk`). Then each finding keeps the
scenario of the rows it is about (:func:`said`), at most ``limit`` findings of a check are
kept per scenario (:func:`limited`), and :func:`sentences` lists them scenario by scenario, as
a re-check of one scenario after another would, each naming its scenario.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import pandas as pd

from optimizer.results.scenario_rows import SCENARIO


class Finding(NamedTuple):
    scenario: str | None  # None: the plan's only path, or what every scenario shares
    text: str


def said(rows: pd.DataFrame, texts: Iterable[str]) -> list[Finding]:
    """A finding per row of ``rows`` (``texts`` in the same order), about the row's scenario."""
    texts = list(texts)
    scenarios = rows[SCENARIO].tolist() if SCENARIO in rows else [None] * len(texts)
    return [Finding(s, t) for s, t in zip(scenarios, texts, strict=True)]


def about_all(texts: Iterable[str]) -> list[Finding]:
    """Findings about what every scenario shares (the yes/no decisions), or the only plan."""
    return [Finding(None, t) for t in texts]


def limited(findings: list[Finding], limit: int) -> list[Finding]:
    """The first ``limit`` findings of each scenario, then, for each scenario with more, one
    saying how many more."""
    counts: dict[str | None, int] = {}
    kept = []
    for finding in findings:
        counts[finding.scenario] = counts.get(finding.scenario, 0) + 1
        if counts[finding.scenario] <= limit:
            kept.append(finding)
    more = [(s, n - limit) for s, n in counts.items() if n > limit]
    return kept + [Finding(s, f"... and {n} more like the above") for s, n in more]


def sentences(findings: list[Finding], names: list[str] | None = None) -> list[str]:
    """The findings in order, those about every scenario first, then scenario by scenario in
    the order of ``names``, each about one scenario naming it."""
    if names is None:
        return [f.text for f in findings]
    position = {name: k for k, name in enumerate(names)}
    ordered = sorted(findings, key=lambda f: -1 if f.scenario is None else position[f.scenario])
    return [f.text if f.scenario is None else f"scenario {f.scenario}: {f.text}" for f in ordered]
