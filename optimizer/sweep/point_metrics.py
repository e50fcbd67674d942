"""One sweep point's figures: a flat row of the results table, computed with numpy from the
solver's arrays (no result tables are built per point)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.data import ModelData
from models.solution import Solution
from optimizer.results.tables import COST_COMPONENTS, cost_breakdown

COST_COLUMNS = COST_COMPONENTS


def point_figures(data: ModelData, solution: Solution) -> dict[str, float | str]:
    """Cost components, country shares per material over the horizon, the largest share,
    shortfall and the lowest months of cover while the floor applies, per material."""
    if not solution.has_plan:
        return {}
    costs = cost_breakdown(data, solution)
    row: dict[str, float | str] = {key: costs[key] for key in COST_COLUMNS}
    shares = _shares(data, solution)
    largest = 0.0
    for m, material in enumerate(data.materials):
        for country, share in shares[m].items():
            row[f"share_{material}_{country}"] = share
        top = max(shares[m].items(), key=lambda item: item[1], default=("", 0.0))
        row[f"top_country_{material}"] = top[0]
        row[f"top_share_{material}"] = top[1]
        largest = max(largest, top[1])
    row["largest_country_share"] = largest
    row.update(_stock_figures(data, solution))
    chain = data.chain  # the yes/no decisions, so a sweep shows where a choice switches
    for name, value in zip(chain.options["option"], solution.build, strict=True):
        row[f"built_{name}"] = int(value > 0.5)
    for name, value in zip(chain.contracts["contract"], solution.sign, strict=True):
        row[f"signed_{name}"] = int(value > 0.5)
    return row


def _shares(data: ModelData, solution: Solution) -> list[dict[str, float]]:
    """Per material: {country: share of supply (arrivals and domestic output) over the
    horizon}, for every country able to supply it (0 where it supplies nothing), so every point
    has the same columns."""
    arrive, chain = data.arrive, data.chain
    outputs = chain.recipe[chain.recipe["coefficient"] > 0]
    made = chain.runs.assign(value=solution.run).merge(outputs, on="u", how="inner")
    made_country = chain.units["country"].to_numpy(dtype=object)[made["u"].to_numpy(dtype=int)]
    code, countries = pd.factorize(
        np.concatenate([arrive["country"].to_numpy(dtype=object), made_country]), sort=True
    )
    n_countries = len(countries)
    m = np.concatenate([arrive["m"].to_numpy(), made["m"].to_numpy(dtype=int)])
    weights = np.concatenate(
        [solution.arrive, made["value"].to_numpy(float) * made["coefficient"].to_numpy(float)]
    )
    tonnes = np.bincount(
        m * n_countries + code, weights=weights, minlength=len(data.materials) * n_countries
    )
    offered = np.bincount(m * n_countries + code, minlength=len(tonnes)) > 0
    tonnes = tonnes.reshape(len(data.materials), n_countries)
    offered = offered.reshape(tonnes.shape)
    totals = tonnes.sum(axis=1)
    result = []
    for i in range(len(data.materials)):
        share = tonnes[i] / totals[i] if totals[i] > 0 else np.zeros(n_countries)
        result.append(
            {str(countries[j]): round(float(share[j]), 9) for j in np.flatnonzero(offered[i])}
        )
    return result


def _stock_figures(data: ModelData, solution: Solution) -> dict[str, float]:
    n_months = data.shape[1]
    short = np.bincount(
        data.shortfall["m"].to_numpy() * n_months + data.shortfall["t"].to_numpy(),
        weights=solution.shortfall,
        minlength=len(data.stock),
    ).reshape(len(data.materials), n_months)
    demand = data.stock["demand_t"].to_numpy().reshape(short.shape)
    stock = solution.stock.reshape(short.shape)
    applies = np.zeros(short.shape, dtype=bool)
    applies[data.floors["m"].to_numpy(), data.floors["t"].to_numpy()] = True
    with np.errstate(divide="ignore", invalid="ignore"):
        cover = np.where(applies & (demand > 0), stock / demand, np.inf)
    row: dict[str, float] = {}
    for m, material in enumerate(data.materials):
        row[f"shortfall_t_{material}"] = round(float(short[m].sum()), 9)
        lowest = cover[m].min()
        row[f"cover_months_{material}"] = round(float(lowest), 6) if np.isfinite(lowest) else None
    return row
