"""The result tables' columns, read from ``result_schema.csv``: headings, units and formats for
readable output (``plan.xlsx``, reports)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class ResultColumn:
    """One column of a result table (``plan.csv``, ``stock.csv``, ...), for readable output."""

    table: str  # file stem: plan, stock, mix, constraints, policy_costs
    column: str
    label: str  # what a reader sees as the heading, without the unit
    unit: str
    format: str  # how values are shown: text | month | tonnes | usd | usd_per_t | share | ...
    description: str

    @property
    def heading(self) -> str:
        """The label with its unit: ``Landed cost (USD/t)``."""
        return f"{self.label} ({self.unit})" if self.unit else self.label


@cache
def result_columns() -> dict[tuple[str, str], ResultColumn]:
    """Every column of every result table by ``(table, column)``, from ``result_schema.csv``."""
    text = (
        resources.files("optimizer.results")
        .joinpath("result_schema.csv")
        .read_text(encoding="utf-8")
    )
    rows = (ResultColumn(**row) for row in csv.DictReader(text.splitlines()))
    return {(row.table, row.column): row for row in rows}
