"""Small scenarios written in a few lines, for tests whose optimum is derived by hand."""

from __future__ import annotations

from typing import Any

import pandas as pd

from optimizer import Scenario
from optimizer.common.months import horizon


def scenario(
    months: int = 3,
    *,
    materials: list[dict] | None = None,
    suppliers: list[dict],
    offers: list[dict],
    demand: dict[str, list[float]] | None = None,
    caps: list[dict] | None = None,
    processes: list[dict] | None = None,
    process_io: list[dict] | None = None,
    expansions: list[dict] | None = None,
    contracts: list[dict] | None = None,
    start: str = "2026-01",
    **settings: Any,
) -> Scenario:
    """A validated scenario. ``demand`` maps a material to its demand per month from ``start``;
    materials default to one row per demanded material with all blanks."""
    demand = demand or {}
    labels = horizon(start, months)
    rows = [
        {"material": m, "month": labels[i], "demand_t": d}
        for m, series in demand.items()
        for i, d in enumerate(series)
    ]
    materials = materials or [{"material": m} for m in demand]
    return Scenario.from_frames(
        {"name": "hand", "start": start, "months": months, **settings},
        materials=pd.DataFrame(materials),
        suppliers=pd.DataFrame(suppliers),
        offers=pd.DataFrame(offers),
        demand=pd.DataFrame(rows, columns=["material", "month", "demand_t"]),
        country_caps=pd.DataFrame(caps or [], columns=["country", "material", "max_share"]),
        **{
            name: pd.DataFrame(rows)
            for name, rows in (
                ("processes", processes),
                ("process_io", process_io),
                ("expansions", expansions),
                ("contracts", contracts),
            )
            if rows
        },
    )
