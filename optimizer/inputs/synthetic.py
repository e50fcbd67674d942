"""Synthetic scenarios of any size, for tests and benchmarks. Deterministic for a given seed.

Every material has a backstop supplier in an uncapped country with unlimited capacity and no
lead time, so a generated scenario is feasible unless the caller makes it otherwise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.common import months as month_labels
from optimizer.common.strings import python_strings
from optimizer.inputs.scenario import Scenario


@python_strings()
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
    chains: int = 0,
    budget_usd_per_year: float | None = None,
) -> Scenario:
    """A random but plausible scenario: ``n_suppliers`` sources in about ``n_suppliers / 3``
    countries, two of them capped; growing demand; dated offer rows overriding some prices.

    ``chains`` adds that many domestic processing chains (a feed material turned into one of
    the demanded materials and a saleable by-product), each with two exclusive expansion
    options, one option requiring another, and a take-or-pay contract: a MIP."""
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
    tables = {
        "materials": _materials(rng, materials, demand, cover_months),
        "suppliers": suppliers,
        "offers": offers,
        "demand": demand,
        "country_caps": pd.DataFrame(
            {
                "country": ["C00", "C01", "C01"],
                "material": [None, None, materials[0]],
                "max_share": [0.6, 0.5, 0.4],
            }
        ),
    }
    if chains:
        # A generator of its own: adding chains leaves the rest of the scenario unchanged.
        _add_chains(np.random.default_rng([seed, 7]), tables, chains, months)
        settings["budget_usd_per_year"] = budget_usd_per_year
    return Scenario.from_frames(settings, **tables)


def _add_chains(
    rng: np.random.Generator, tables: dict[str, pd.DataFrame], chains: int, months: list[str]
) -> None:
    """Chains i = 0..chains-1: feed F{i} -> material M{i % n} (yield 0.3) + by-product B{i}."""
    demanded = tables["materials"]["material"].tolist()
    feeds = [f"F{i:02d}" for i in range(chains)]
    byproducts = [f"B{i:02d}" for i in range(chains)]
    made = [demanded[i % len(demanded)] for i in range(chains)]
    base_price = tables["offers"].groupby("material")["price_usd_per_t"].median()
    new_materials = pd.DataFrame(
        {
            "material": feeds + byproducts,
            "holding_cost_usd_per_t_month": 50.0,
            "sale_price_usd_per_t": [None] * chains
            + list(np.round(rng.uniform(500, 3000, chains), 0)),
            "sale_limit_t_per_month": [None] * chains
            + list(np.round(rng.uniform(2, 10, chains), 1)),
            "disposal_cost_usd_per_t": [None] * chains + [150.0] * chains,
        }
    )
    tables["materials"] = pd.concat([tables["materials"], new_materials], ignore_index=True)
    feed_price = np.round(base_price.loc[made].to_numpy() * rng.uniform(0.12, 0.2, chains), 0)
    # Feed from a capped country and, dearer, from the uncapped backstop (a feed from one capped
    # country alone could never be bought: the cap counts every arrival of the material).
    feed_offers = pd.DataFrame(
        {
            "supplier": ["S000"] * chains + ["BACKSTOP"] * chains,
            "material": feeds * 2,
            "month": None,
            "price_usd_per_t": np.concatenate([feed_price, np.round(feed_price * 1.5, 0)]),
            "capacity_t_per_month": 60.0,
        }
    )
    tables["offers"] = pd.concat([tables["offers"], feed_offers], ignore_index=True)
    processes = [f"P{i:02d}" for i in range(chains)]
    tables["processes"] = pd.DataFrame(
        {
            "process": processes,
            "country": "DOM",
            "capacity_t_per_month": np.round(rng.uniform(3, 8, chains), 1),
            "operating_cost_usd_per_t": np.round(rng.uniform(500, 2000, chains), 0),
            "first_month": months[min(2, len(months) - 1)],
        }
    )
    io = []
    for p, f, m, b in zip(processes, feeds, made, byproducts, strict=True):
        io += [(p, f, "input", 1.0), (p, m, "output", 0.3), (p, b, "output", 0.5)]
        io += [
            (f"{p}-partner", f, "input", 1.0),
            (f"{p}-partner", m, "output", 0.34),
            (f"{p}-partner", b, "output", 0.5),
        ]
    tables["process_io"] = pd.DataFrame(io, columns=["process", "material", "direction", "t_per_t"])
    options = []
    for i, p in enumerate(processes):
        options += [
            (f"{p}-expand", p, 20.0, None, 2, 4e6, f"G{i}", None),
            (f"{p}-partner", p, 25.0, 700.0, 3, 6e6, f"G{i}", None),
            (f"{p}-second", p, 10.0, None, 4, 2e6, None, f"{p}-expand"),
        ]
    tables["expansions"] = pd.DataFrame(
        options,
        columns=[
            "option",
            "process",
            "capacity_t_per_month",
            "operating_cost_usd_per_t",
            "build_lead_time_months",
            "capital_cost_usd",
            "exclusive_group",
            "requires",
        ],
    )
    tables["contracts"] = pd.DataFrame(
        {
            "contract": [f"K{i:02d}" for i in range(chains)],
            "supplier": "S001",
            "material": made,
            "fixed_cost_usd": 2e5,
            "min_t_per_month": 2.0,
            "max_t_per_month": 15.0,
            "price_usd_per_t": np.round(base_price.loc[made].to_numpy() * 0.85, 0),
        }
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
