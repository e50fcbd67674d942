"""Small scenarios written in a few lines, for tests whose optimum is derived by hand."""

from __future__ import annotations

from typing import Any

import pandas as pd

from optimizer import Scenario
from optimizer.common.months import horizon

# Dy bought from China (A, 100/t) or, a month later, from Australia (B, 150/t, 20 t a month),
# with China capped at 60% and a month of cover: the cap forces the dearer supplier in
# (optimum 4,200, derived in test_hand_solved). Other tests reuse it as a small capped plan.
CAPPED = dict(
    materials=[{"material": "Dy", "initial_stock_t": 5}],
    suppliers=[
        {"supplier": "A", "country": "CN"},
        {"supplier": "B", "country": "AU", "lead_time_months": 1},
    ],
    offers=[
        {"supplier": "A", "material": "Dy", "price_usd_per_t": 100},
        {"supplier": "B", "material": "Dy", "price_usd_per_t": 150, "capacity_t_per_month": 20},
    ],
    demand={"Dy": [10, 10, 10]},
    caps=[{"country": "CN", "max_share": 0.6}],
    stockpile_cover_months=1.0,
)
# Sm at 100/t, held at 5/t a month, 10 t a month demanded and two months of cover from month 2:
# floors of 20 t in months 2 and 3 with shadow prices 5 and 105, optimum 5,200 (derived in
# test_hand_solved). The policy-cost tests price the floor on it.
FLOORED = dict(
    materials=[{"material": "Sm", "holding_cost_usd_per_t_month": 5}],
    suppliers=[{"supplier": "A", "country": "CN"}],
    offers=[{"supplier": "A", "material": "Sm", "price_usd_per_t": 100}],
    demand={"Sm": [10, 10, 10]},
    stockpile_cover_months=2.0,
    stockpile_from="2026-02",
)


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
    events: list[dict] | None = None,
    event_effects: list[dict] | None = None,
    risk_scenarios: list[dict] | None = None,
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
                ("events", events),
                ("event_effects", event_effects),
                ("risk_scenarios", risk_scenarios),
            )
            if rows
        },
    )
