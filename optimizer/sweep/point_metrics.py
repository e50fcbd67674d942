"""One sweep point's figures: a flat row of the results table. The supply and stock frames are
built straight from the model data and the solver's arrays (no result tables are built per
point) and measured by :mod:`optimizer.results.metrics`, as a plan's tables are.

Shares count supply on the basis the share caps count (``policy.share_basis``): with
``processing`` a unit's output is its country's; with ``origin`` it is split by the origin of
its content, read from the model's content variables (the allocation the caps were held with),
and content from the stock held at the start is of origin ``initial``.

The **frontier measure** (column ``concentration``) is the figure the sweep report plots total
cost against, as the sweep file's ``[frontier]`` table names it (:class:`Frontier`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from models.content import INITIAL
from models.data import ModelData
from models.solution import Solution
from optimizer.results import metrics
from optimizer.results.tables import COST_COMPONENTS, cost_breakdown

COST_COLUMNS = COST_COMPONENTS
SHARE_DECIMALS = 9
HHI_DECIMALS = 6
CONCENTRATION = "concentration"  # the frontier measure's column
COUNTRY_SHARE, FOREIGN_SHARE, HHI, LARGEST_SHARE = (
    "country-share", "foreign-share", "hhi", "largest-share",
)  # fmt: skip
MEASURES = (COUNTRY_SHARE, FOREIGN_SHARE, HHI, LARGEST_SHARE)


@dataclass(frozen=True)
class Frontier:
    """The measure of concentration the sweep report plots total cost against, per point:

    - ``country-share``: ``country``'s share of ``material`` (0 where it supplies none);
    - ``foreign-share``: the largest share of a country other than ``home`` (0 where only
      ``home`` supplies the material);
    - ``hhi``: the material's HHI (0 to 10,000);
    - ``largest-share``: the largest share of any single country.

    With ``material`` None, the most of it over the materials supplied (the most dependent
    material); None where no material has the figure."""

    measure: str = COUNTRY_SHARE
    country: str | None = "CN"  # country-share only: whose share
    material: str | None = None  # None: the most over the materials
    home: str | None = None  # the importer's own country (foreign-share leaves it out)

    @property
    def label(self) -> str:
        """What the measure is, in words: ``CN's share of Dy2O3``."""
        which = self.material
        if self.measure == COUNTRY_SHARE:
            of = which or f"the most {self.country}-dependent material"
            return f"{self.country}'s share of {of}"
        of = which or "any material"
        if self.measure == FOREIGN_SHARE:
            leaving = f" (other than {self.home})" if self.home else ""
            return f"the largest single foreign-country share{leaving} of {of}"
        if self.measure == HHI:
            return f"the HHI of {which}" if which else "the highest HHI of any material"
        return f"the largest single-country share of {of}"

    @property
    def is_share(self) -> bool:
        """A share (0 to 1, shown in percent); else the HHI (0 to 10,000)."""
        return self.measure != HHI

    def record(self) -> dict:
        """As ``sweep.json`` records it (``frontier``), for the sweep report."""
        return {
            "measure": self.measure,
            "country": self.country if self.measure == COUNTRY_SHARE else None,
            "material": self.material,
            "home": self.home,
            "column": CONCENTRATION,
            "label": self.label,
            "unit": "share" if self.is_share else "hhi",
        }


def point_figures(
    data: ModelData, solution: Solution, frontier: Frontier | None = None
) -> dict[str, float | str | None]:
    """Cost components; per material, every country's share of supply over the horizon (0 for a
    country able to supply it that does not), the largest share and its country (None without
    supply), the largest foreign share and its country, the HHI, the tonnes short and the
    lowest months of cover while the floor applies (None where it never applies); the largest
    of the materials' largest shares; the frontier measure (``frontier``; by default China's
    share of its most dependent material); the yes/no decisions."""
    if not solution.has_plan:
        return {}
    costs = cost_breakdown(data, solution)
    row: dict[str, float | str | None] = {key: costs[key] for key in COST_COLUMNS}
    row.update(share_figures(data, solution, frontier or Frontier()))
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
    supplies none): the tonnes of its arrival variables plus what the processing units that can
    run make (the output per tonne x the unit's throughput over the horizon), on the caps'
    basis: by the unit's country, or with ``share_basis`` origin by the origin of its content
    (:func:`made_by_origin`). Materials and countries are integer labels, so that no text is
    handled per point: a material's position in ``data.materials`` and a country's in the
    names, which are sorted (so the labels sort as the names do)."""
    arrive = data.arrive
    if data.share_basis == "origin" and data.content.tracks:
        material, source, made, sources = made_by_origin(data, solution)
    else:
        material, source, made, sources = made_by_unit(data, solution)
    # Country codes by supplier (reading one row of each), then the sources' (units, origins).
    supplier = arrive["s"].to_numpy(dtype=int)
    first_row = np.zeros(supplier.max() + 1 if len(supplier) else 0, dtype=int)
    first_row[supplier[::-1]] = np.arange(len(supplier))[::-1]  # the first write wins
    countries = np.concatenate(
        [arrive["country"].array.take(first_row).to_numpy(dtype=object), sources]
    )
    country, names = pd.factorize(countries, sort=True)
    code = np.concatenate([country[supplier], country[len(first_row) :][source]])
    m = np.concatenate([arrive["m"].to_numpy(dtype=int), material])
    cell = m * len(names) + code
    size = len(data.materials) * len(names)
    tonnes = np.bincount(cell, weights=np.concatenate([solution.arrive, made]), minlength=size)
    cells = np.flatnonzero(np.bincount(cell, minlength=size))
    frame = pd.DataFrame(
        {"material": cells // len(names), "country": cells % len(names), "tonnes": tonnes[cells]},
        copy=False,
    )
    return frame, names.tolist()


def made_by_unit(
    data: ModelData, solution: Solution
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """What the units that can run make over the horizon, per output line: (material, unit,
    tonnes) and the units' countries (the processing basis: where the stage was done)."""
    chain = data.chain
    runs = chain.runs["u"].to_numpy(dtype=int)
    throughput = np.bincount(runs, weights=solution.run, minlength=len(chain.units))
    can_run = np.bincount(runs, minlength=len(chain.units)) > 0
    recipe = chain.recipe
    unit, material = recipe["u"].to_numpy(dtype=int), recipe["m"].to_numpy(dtype=int)
    coefficient = recipe["coefficient"].to_numpy(dtype=float)
    output = (coefficient > 0) & can_run[unit]
    unit, material, coefficient = unit[output], material[output], coefficient[output]
    made = coefficient * throughput[unit]
    return material, unit, made, chain.units["country"].to_numpy(dtype=object)


def made_by_origin(
    data: ModelData, solution: Solution
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """What the units make over the horizon by the origin of its content, read from the
    content variables the caps were held with (``models.content``): per (run, output line,
    origin), its yield over the unit's total input per tonne x the run's feed of that origin;
    (material, origin, tonnes) and the origins (the countries, then ``initial``)."""
    content = data.content
    feed, made = content.feed, content.made
    origins = len(content.origins)
    fed = np.bincount(
        feed["run"].to_numpy(dtype=int) * origins + feed["o"].to_numpy(dtype=int),
        weights=solution.feed,
        minlength=len(data.chain.runs) * origins,
    )
    origin = made["o"].to_numpy(dtype=int)
    line = made["run"].to_numpy(dtype=int) * origins + origin  # the run's feed of that origin
    tonnes = made["share"].to_numpy(dtype=float) * fed[line]
    return (
        made["m"].to_numpy(dtype=int),
        origin,
        tonnes,
        np.asarray(content.origins, dtype=object),
    )


def share_figures(
    data: ModelData, solution: Solution, frontier: Frontier | None = None
) -> dict[str, float | str | None]:
    """``share_<material>_<country>``, ``top_country_<material>``, ``top_share_<material>``
    and ``largest_country_share``, rounded to 9 decimals; then :func:`concentration_figures`."""
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
    initial = countries.index(INITIAL) if INITIAL in countries else -1  # no country's
    top = metrics.largest_shares(shares, unattributed=initial)
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
    largest = np.full(len(materials), np.nan)
    largest[top.index.to_numpy(dtype=int)] = top["share"].to_numpy(dtype=float)
    row.update(concentration_figures(shares, countries, materials, frontier or Frontier(), largest))
    return row


def concentration_figures(
    shares: pd.DataFrame,
    countries: list[str],
    materials: list[str],
    frontier: Frontier,
    largest: np.ndarray,
) -> dict[str, float | str | None]:
    """Per material, ``foreign_country_<material>`` and ``foreign_share_<material>`` (the
    largest share of a country other than the home country; None where only it supplies) and
    ``hhi_<material>``, by :func:`optimizer.results.metrics.concentration`; and the frontier
    measure, ``concentration``. ``shares`` has integer labels (:func:`supply`) and ``largest``
    each material's largest share. Content of origin ``initial`` (the stock at the start) is no
    country's: it is never the largest foreign share and adds nothing to the HHI."""
    code = {name: position for position, name in enumerate(countries)}
    home = code.get(frontier.home) if frontier.home is not None else None
    figures = metrics.concentration(
        shares, code.get(frontier.country, -1), home, unattributed=code.get(INITIAL, -1)
    )
    at = figures.index.to_numpy(dtype=int)  # the materials' positions
    per_material = {}
    for column in ("watched_share", "foreign_share", "hhi"):
        values = np.full(len(materials), np.nan)
        values[at] = figures[column].to_numpy(dtype=float)
        per_material[column] = values
    foreign = np.full(len(materials), -1)
    held = figures["foreign_country"].notna().to_numpy()
    foreign[at[held]] = figures["foreign_country"].to_numpy()[held].astype(int)
    row: dict[str, float | str | None] = {}
    for material, share, country, hhi in zip(
        materials,
        per_material["foreign_share"].tolist(),
        foreign.tolist(),
        per_material["hhi"].tolist(),
        strict=True,
    ):
        row[f"foreign_country_{material}"] = countries[country] if share > 0 else None
        row[f"foreign_share_{material}"] = round(share, SHARE_DECIMALS) if share > 0 else None
        row[f"hhi_{material}"] = round(hhi, HHI_DECIMALS) if hhi == hhi else None
    supplied = ~np.isnan(per_material["watched_share"])
    values = {
        COUNTRY_SHARE: per_material["watched_share"],
        # 0 where only the home country supplies a material: nothing of it is foreign
        FOREIGN_SHARE: np.where(supplied, np.nan_to_num(per_material["foreign_share"]), np.nan),
        HHI: per_material["hhi"],
        LARGEST_SHARE: largest,
    }[frontier.measure]
    if frontier.material is not None:
        values = values[np.asarray(materials, dtype=object) == frontier.material]
    measure = float(np.nanmax(values)) if np.isfinite(values).any() else None
    decimals = SHARE_DECIMALS if frontier.is_share else HHI_DECIMALS
    row[CONCENTRATION] = None if measure is None else round(measure, decimals)
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
