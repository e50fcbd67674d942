"""Synthetic scenarios of any size, for tests and benchmarks. Deterministic for a given seed.

Every material has a backstop supplier in an uncapped country with unlimited capacity and no
lead time, so a generated scenario is feasible unless the caller makes it otherwise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import months as month_labels
from .scenario import Scenario


def synthetic_scenario(
    n_materials: int,
    n_suppliers: int,
    n_months: int,
    seed: int = 0,
    *,
    offer_density: float = 1.0,
    cap_window: str = "year",
    cover_months: float = 2.0,
    start: str = "2026-01",
) -> Scenario:
    """A random but plausible scenario: ``n_suppliers`` sources in about ``n_suppliers / 3``
    countries, two of them capped; growing demand; dated offer rows overriding some prices."""
    rng = np.random.default_rng(seed)
    months = month_labels.horizon(start, n_months)
    materials = [f"M{i:03d}" for i in range(n_materials)]
    suppliers = _suppliers(rng, n_suppliers)
    offers = _offers(rng, materials, suppliers, months, offer_density)
    settings = {
        "name": f"synthetic-{n_materials}x{n_suppliers}x{n_months}-s{seed}",
        "start": start,
        "months": n_months,
        "cap_window": cap_window,
        "stockpile_cover_months": cover_months,
        "stockpile_from": months[min(6, n_months - 1)],
    }
    demand = _demand(rng, materials, months)
    return Scenario.from_frames(
        settings,
        materials=_materials(rng, materials, demand, cover_months),
        suppliers=suppliers,
        offers=offers,
        demand=demand,
        country_caps=pd.DataFrame(
            {
                "country": ["C00", "C01", "C01"],
                "material": [None, None, materials[0]],
                "max_share": [0.6, 0.5, 0.4],
            }
        ),
    )


def _suppliers(rng: np.random.Generator, n_suppliers: int) -> pd.DataFrame:
    n_countries = max(2, n_suppliers // 3)
    return pd.DataFrame(
        {
            "supplier": [f"S{i:03d}" for i in range(n_suppliers)] + ["BACKSTOP"],
            "country": [f"C{i % n_countries:02d}" for i in range(n_suppliers)] + ["ZZ"],
            "lead_time_months": list(rng.integers(0, 4, n_suppliers)) + [0],
            "freight_usd_per_t": list(np.round(rng.uniform(50, 400, n_suppliers), 2)) + [500.0],
            "tariff_pct": list(np.round(rng.choice([0, 0, 2.5, 7.5], n_suppliers), 1)) + [0.0],
        }
    )


def _materials(
    rng: np.random.Generator, materials: list[str], demand: pd.DataFrame, cover: float
) -> pd.DataFrame:
    n = len(materials)
    penalty = np.where(rng.random(n) < 0.3, np.round(rng.uniform(2e5, 5e5, n), 0), np.nan)
    cover_months = np.where(rng.random(n) < 0.2, 3.0, np.nan)
    # Storage, where limited, holds twice the largest floor: it binds only when buying ahead.
    peak = demand.groupby("material", sort=False)["demand_t"].max().reindex(materials).to_numpy()
    room = np.ceil(2 * peak * np.fmax(np.nan_to_num(cover_months, nan=cover), 1.0))
    return pd.DataFrame(
        {
            "material": materials,
            "initial_stock_t": np.round(rng.uniform(0, 50, n), 1),
            "holding_cost_usd_per_t_month": np.round(rng.uniform(100, 900, n), 2),
            "shortfall_penalty_usd_per_t": penalty,
            "cover_months": cover_months,
            "storage_capacity_t": np.where(rng.random(n) < 0.2, room, np.inf),
        }
    )


def _offers(
    rng: np.random.Generator,
    materials: list[str],
    suppliers: pd.DataFrame,
    months: list[str],
    density: float,
) -> pd.DataFrame:
    regular = suppliers["supplier"].iloc[:-1].to_numpy()
    base_price = rng.uniform(2e4, 2e5, len(materials))
    pairs = pd.DataFrame(
        [(s, m, i) for i, m in enumerate(materials) for s in regular], columns=["s", "m", "i"]
    )
    pairs = pairs[rng.random(len(pairs)) < density]
    factor = rng.uniform(0.8, 1.4, len(pairs))
    every = pd.DataFrame(
        {
            "supplier": pairs["s"].to_numpy(),
            "material": pairs["m"].to_numpy(),
            "month": None,
            "price_usd_per_t": np.round(base_price[pairs["i"].to_numpy()] * factor, 2),
            "capacity_t_per_month": np.round(rng.uniform(5, 60, len(pairs)), 1),
        }
    )
    dated = every.sample(frac=0.2, random_state=rng.integers(1 << 31)).copy()
    dated["month"] = rng.choice(months, len(dated))
    dated["price_usd_per_t"] = np.round(dated["price_usd_per_t"] * 1.25, 2)
    backstop = pd.DataFrame(
        {
            "supplier": "BACKSTOP",
            "material": materials,
            "month": None,
            "price_usd_per_t": np.round(base_price * 2.5, 2),
            "capacity_t_per_month": np.inf,
        }
    )
    return pd.concat([every, dated, backstop], ignore_index=True)


def _demand(rng: np.random.Generator, materials: list[str], months: list[str]) -> pd.DataFrame:
    base = rng.uniform(5, 60, len(materials))
    growth = rng.uniform(0.0, 0.02, len(materials))
    t = np.arange(len(months))
    noise = rng.uniform(0.9, 1.1, (len(materials), len(months)))
    demand = base[:, None] * (1 + growth[:, None]) ** t[None, :] * noise
    return pd.DataFrame(
        {
            "material": np.repeat(materials, len(months)),
            "month": np.tile(months, len(materials)),
            "demand_t": np.round(demand.ravel(), 2),
        }
    )
