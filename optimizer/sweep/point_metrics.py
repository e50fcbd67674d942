"""One sweep point's figures: a flat row of the results table. The supply and stock frames are
built straight from the model data and the solver's arrays (no result tables are built per
point) and measured by :mod:`optimizer.results.metrics`, as a plan's tables are."""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.data import ModelData
from models.solution import Solution
from optimizer.results import metrics
from optimizer.results.tables import COST_COMPONENTS, cost_breakdown

COST_COLUMNS = COST_COMPONENTS
SHARE_DECIMALS = 9


def point_figures(data: ModelData, solution: Solution) -> dict[str, float | str | None]:
    """Cost components; per material, every country's share of supply over the horizon (0 for a
    country able to supply it that does not), the largest share and its country (None without
    supply), the tonnes short and the lowest months of cover while the floor applies (None where
    it never applies); the largest of the materials' largest shares; the yes/no decisions."""
    if not solution.has_plan:
        return {}
    costs = cost_breakdown(data, solution)
    row: dict[str, float | str | None] = {key: costs[key] for key in COST_COLUMNS}
    row.update(share_figures(data, solution))
    row.update(stock_figures(data, solution))
    chain = data.chain  # the yes/no decisions, so a sweep shows where a choice switches
    for name, value in zip(chain.options["option"], solution.build, strict=True):
        row[f"built_{name}"] = int(value > 0.5)
    for name, value in zip(chain.contracts["contract"], solution.sign, strict=True):
        row[f"signed_{name}"] = int(value > 0.5)
    return row


def supply(data: ModelData, solution: Solution) -> tuple[pd.DataFrame, list[str]]:
    """Supply over the horizon as :func:`optimizer.results.metrics.country_shares` takes it,
    and the country names. One row per material and country able to supply it (0 t where it
    supplies none): the tonnes of its arrival variables plus the output of its processing units
    that can run (the output per tonne x the unit's throughput over the horizon). Materials and
    countries are integer labels, so that no text is handled per point: a material's position
    in ``data.materials`` and a country's in the names, which are sorted (so the labels sort as
    the names do)."""
    arrive, chain = data.arrive, data.chain
    runs = chain.runs["u"].to_numpy(dtype=int)
    throughput = np.bincount(runs, weights=solution.run, minlength=len(chain.units))
    can_run = np.bincount(runs, minlength=len(chain.units)) > 0
    recipe = chain.recipe
    unit, material = recipe["u"].to_numpy(dtype=int), recipe["m"].to_numpy(dtype=int)
    coefficient = recipe["coefficient"].to_numpy(dtype=float)
    output = (coefficient > 0) & can_run[unit]
    unit, material, coefficient = unit[output], material[output], coefficient[output]
    # Country codes by supplier (reading one row of each), then the units' countries.
    supplier = arrive["s"].to_numpy(dtype=int)
    first_row = np.zeros(supplier.max() + 1 if len(supplier) else 0, dtype=int)
    first_row[supplier[::-1]] = np.arange(len(supplier))[::-1]  # the first write wins
    countries = np.concatenate(
        [
            arrive["country"].array.take(first_row).to_numpy(dtype=object),
            chain.units["country"].to_numpy(dtype=object),
        ]
    )
    country, names = pd.factorize(countries, sort=True)
    code = np.concatenate([country[supplier], country[len(first_row) :][unit]])
    m = np.concatenate([arrive["m"].to_numpy(dtype=int), material])
    cell = m * len(names) + code
    size = len(data.materials) * len(names)
    tonnes = np.bincount(
        cell,
        weights=np.concatenate([solution.arrive, coefficient * throughput[unit]]),
        minlength=size,
    )
    cells = np.flatnonzero(np.bincount(cell, minlength=size))
    frame = pd.DataFrame(
        {"material": cells // len(names), "country": cells % len(names), "tonnes": tonnes[cells]},
        copy=False,
    )
    return frame, names.tolist()


def share_figures(data: ModelData, solution: Solution) -> dict[str, float | str | None]:
    """``share_<material>_<country>``, ``top_country_<material>``, ``top_share_<material>``
    and ``largest_country_share``, rounded to 9 decimals."""
    frame, countries = supply(data, solution)
    shares = metrics.country_shares(frame)
    materials = data.materials
    row: dict[str, float | str | None] = {
        f"share_{materials[m]}_{countries[c]}": round(share, SHARE_DECIMALS)
        for m, c, share in zip(
            shares["material"].tolist(),
            shares["country"].tolist(),
            shares["share"].tolist(),
            strict=True,
        )
    }
    top = metrics.largest_shares(shares)
    held = {  # a material with no supply has no largest share (NaN)
        materials[m]: (countries[c], round(share, SHARE_DECIMALS))
        for m, c, share in zip(
            top.index.tolist(), top["country"].tolist(), top["share"].tolist(), strict=True
        )
        if share == share
    }
    for material in materials:
        country, share = held.get(material, (None, None))
        row[f"top_country_{material}"] = country
        row[f"top_share_{material}"] = share
    shares_held = [share for _, share in held.values()]
    row["largest_country_share"] = max(shares_held) if shares_held else None
    return row


def stock_figures(data: ModelData, solution: Solution) -> dict[str, float | None]:
    """``shortfall_t_<material>`` and ``cover_months_<material>`` (the lowest months of cover
    while the floor applies; None where it never applies). The stock frame has the months the
    floor applies (the only ones the lowest cover reads), materials by position."""
    n_months = data.shape[1]
    short = np.bincount(
        data.shortfall["m"].to_numpy() * n_months + data.shortfall["t"].to_numpy(),
        weights=solution.shortfall,
        minlength=len(data.stock),
    ).reshape(len(data.materials), n_months)
    m = data.floors["m"].to_numpy()
    cell = m * n_months + data.floors["t"].to_numpy()
    held = pd.DataFrame(
        {
            "material": m,
            "stock_t": solution.stock[cell],
            "demand_t": data.stock["demand_t"].to_numpy()[cell],
            "floor_applies": np.ones(len(cell), dtype=bool),
        },
        copy=False,
    )
    lowest = metrics.lowest_cover(held)
    cover = dict(zip(lowest.index.tolist(), lowest.tolist(), strict=True))
    row: dict[str, float | None] = {}
    for position, (material, tonnes) in enumerate(zip(data.materials, short, strict=True)):
        row[f"shortfall_t_{material}"] = round(float(tonnes.sum()), 9)
        months = cover.get(position, np.nan)
        row[f"cover_months_{material}"] = None if np.isnan(months) else months
    return row
