"""A plan's supply and stock figures, each defined once: country shares, the largest share, HHI
and months of cover.

Every function takes a tidy frame and returns a DataFrame or a Series, so one plan (its result
tables), a comparison of plans and a sweep point (a frame built from the model data and the
solver's arrays) all get the same numbers.

**Supply** of a material is, over the whole horizon, what arrives from each country's suppliers
plus what each country's processing units make (domestic output), as the share caps count it. A
supply frame has the columns ``material``, ``country`` and ``tonnes``; rows of the same material
and country (per window, per month, per unit) are added up, and a country listed with 0 t is a
country that could supply the material but does not. Materials and countries are names, or any
labels that sort as the names do (a sweep point uses integer positions, to handle no text).

- **country share**: the country's tonnes / the material's supply. Every share is 0 when
  nothing of the material is supplied.
- **largest share**: per material, the largest country share and its country (of two shares
  equal to 9 decimals, the country first by name). None (NaN) for a material with no supply.
- **concentration**: per material, the watched country's share (China's, by default), the
  largest share of a foreign country (any country but the importer's own) and its country, and
  the HHI. The watched country's share is 0 where it supplies none of a supplied material.
- **HHI** (Herfindahl-Hirschman index): per material, the sum of squared country shares x
  10,000; 10,000 is a single source, 2,500 four equal ones. None for a material with no supply.

**Stock**: a stock frame has one row per material and month, with ``stock_t`` (end of month),
``demand_t``, ``floor_t`` (the cover target, set in every month) and ``floor_applies`` (the months
the target is a hard floor), as ``stock.csv``.

- **months of cover**: stock / demand in a month; none where demand is 0.
- **lowest cover**: per material, the lowest months of cover in the months its floor applies:
  the cover the plan guarantees. None for a material whose floor never applies.
- **months below the cover target**: per material, the months whose stock is below the target
  (while it is being built up, before the floor applies).
- **first month at the cover target**: per material, the first month (1 = the horizon's first)
  whose stock reaches a target above 0.

>>> supply = pd.DataFrame({"material": ["Dy", "Dy", "Dy"], "country": ["CN", "IN", "CN"],
...                        "tonnes": [30.0, 40.0, 30.0]})
>>> country_shares(supply)
  material country  tonnes  share
0       Dy      CN    60.0    0.6
1       Dy      IN    40.0    0.4
>>> round(float(hhi(country_shares(supply))["Dy"]), 6)
5200.0
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.content import INITIAL
from optimizer.common.months import ordinals

TOLERANCE_T = 1e-6  # a stock this close to its target is at the target
COVER_DECIMALS = 6  # months of cover as stock.csv gives them
HHI_SCALE = 10_000
TIE_DECIMALS = 9  # shares equal to this many decimals are a tie (sums of the same tonnes)


# --- supply --------------------------------------------------------------------------------


def on_basis(mix: pd.DataFrame, basis: str = "processing") -> pd.DataFrame:
    """``mix.csv``'s rows with supply on one basis, as (material, window, country, tonnes):
    ``processing`` (where each stage was done) or ``origin`` (where the content came from;
    a mix without content columns has the processing basis only)."""
    if basis == "origin" and "content_t" in mix:
        mix = mix.assign(tonnes=mix["content_t"])
    return mix[mix["tonnes"].to_numpy(dtype=float) > 0]


def country_shares(supply: pd.DataFrame) -> pd.DataFrame:
    """Per material and country of ``supply``: the tonnes over the horizon and the country's
    share of the material's supply. Columns ``material``, ``country``, ``tonnes``, ``share``;
    materials in the order first met, countries by name within each."""
    material, materials = _codes(supply["material"])
    country, countries = _codes(supply["country"], by_name=True)
    cell = material * len(countries) + country  # in order: materials as met, countries by name
    tonnes = supply["tonnes"].to_numpy(dtype=float)
    cells = np.unique(cell)
    if len(cells) < len(cell):  # rows to add up: with pandas' compensated (Kahan) sum
        tonnes = pd.Series(tonnes).groupby(cell, sort=True).sum().to_numpy()
    else:  # one row per pair already (a sweep point's frame)
        tonnes = tonnes[np.argsort(cell)]
    material, country = cells // max(len(countries), 1), cells % max(len(countries), 1)
    totals = np.bincount(material, weights=tonnes, minlength=len(materials))[material]
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(totals > 0, tonnes / totals, 0.0)
    return pd.DataFrame(
        {
            "material": materials[material],
            "country": countries[country],
            "tonnes": tonnes,
            "share": share,
        }
    )


def largest_shares(shares: pd.DataFrame, unattributed: object = INITIAL) -> pd.DataFrame:
    """Per material of ``shares`` (from :func:`country_shares`), in its order: the largest
    ``share`` of a country and that ``country`` (shares equal to 9 decimals are equal: the
    country listed first of them); both missing (NaN) for a material no country supplies.
    ``unattributed`` labels content of unknown origin (the stock held at the start, on the
    origin basis): part of the total, but no country, so never the largest."""
    material, materials = _codes(shares["material"])
    countries = shares["country"].to_numpy(dtype=object)
    share = np.where(countries == unattributed, 0.0, shares["share"].to_numpy(dtype=float))
    top = np.full(len(materials), -np.inf)
    np.maximum.at(top, material, share)
    # Per material, largest first; equal shares keep their order (lexsort is stable).
    order = np.lexsort((-np.round(share, TIE_DECIMALS), material))
    first = order[np.r_[True, material[order][1:] != material[order][:-1]]] if len(order) else order
    supplied = top > 0
    country = np.where(supplied, countries[first], None)
    return pd.DataFrame(
        {"country": country, "share": np.where(supplied, top, np.nan)},
        index=pd.Index(materials, name="material"),
    )


def hhi(shares: pd.DataFrame) -> pd.Series:
    """Per material of ``shares`` (from :func:`country_shares`), in its order: the sum of
    squared shares x 10,000; NaN for a material with no supply (all its shares 0)."""
    material, materials = _codes(shares["material"])
    squares = np.bincount(
        material, weights=shares["share"].to_numpy(dtype=float) ** 2, minlength=len(materials)
    )
    return pd.Series(
        np.where(squares > 0, squares * HHI_SCALE, np.nan),
        index=pd.Index(materials, name="material"),
        name="hhi",
    )


def concentration(
    shares: pd.DataFrame,
    watched: object,
    home: object = None,
    unattributed: object = INITIAL,
) -> pd.DataFrame:
    """Per material of ``shares`` (from :func:`country_shares`), in its order: ``watched_share``
    (the ``watched`` country's share; 0 where it supplies none, NaN for a material with no
    supply), ``foreign_country`` and ``foreign_share`` (the largest share of a country other
    than ``home``, ties as in :func:`largest_shares`; None/NaN where only ``home`` supplies)
    and ``hhi``, the sum of the countries' squared shares x 10,000. Content of unknown origin
    (``unattributed``) counts in every share's total but is no country: it is never the
    largest foreign share and adds nothing to the HHI. Arrays only: a sweep measures every
    point with it."""
    material, materials = _codes(shares["material"])
    size = len(materials)
    share = shares["share"].to_numpy(dtype=float)
    country = shares["country"].to_numpy(dtype=object)
    supplied = np.bincount(material, weights=share, minlength=size) > 0
    share = np.where(country == unattributed, 0.0, share)
    squares = np.bincount(material, weights=share**2, minlength=size)
    watched_share = np.bincount(
        material, weights=np.where(country == watched, share, 0.0), minlength=size
    )
    foreign = share if home is None else np.where(country != home, share, 0.0)
    # Per material, largest first; equal shares keep their order (lexsort is stable).
    order = np.lexsort((-np.round(foreign, TIE_DECIMALS), material))
    first = order[np.r_[True, material[order][1:] != material[order][:-1]]] if len(order) else order
    top = np.zeros(size)
    top_country = np.full(size, None, dtype=object)
    top[material[first]] = foreign[first]
    top_country[material[first]] = country[first]
    held = top > 0
    return pd.DataFrame(
        {
            "watched_share": np.where(supplied, watched_share, np.nan),
            "foreign_country": np.where(held, top_country, None),
            "foreign_share": np.where(held, top, np.nan),
            "hhi": np.where(supplied, squares * HHI_SCALE, np.nan),
        },
        index=pd.Index(materials, name="material"),
    )


# --- stock ---------------------------------------------------------------------------------


def months_of_cover(stock: pd.DataFrame) -> pd.Series:
    """Per row of ``stock``: stock / demand, in months of that month's demand; NaN where the
    demand is 0."""
    return pd.Series(_cover(stock), index=stock.index, name="months_of_cover")


def lowest_cover(stock: pd.DataFrame) -> pd.Series:
    """Per material of ``stock``, in its order: the lowest months of cover while the floor
    applies, rounded to 6 decimals; NaN where the floor applies to no month with demand."""
    material, materials = _codes(stock["material"])
    cover = _cover(stock)
    held = stock["floor_applies"].to_numpy(dtype=bool) & ~np.isnan(cover)
    lowest = _lowest(material[held], cover[held], len(materials))
    rounded = [round(value, COVER_DECIMALS) for value in lowest.tolist()]  # NaN stays NaN
    return _per_material(np.array(rounded, dtype=float), materials, "lowest_cover_months")


def months_below_target(stock: pd.DataFrame) -> pd.Series:
    """Per material of ``stock``, in its order: how many months end with the stock below the
    cover target (``floor_t``)."""
    material, materials = _codes(stock["material"])
    below = stock["stock_t"].to_numpy(dtype=float) < stock["floor_t"].to_numpy(float) - TOLERANCE_T
    counts = np.bincount(material[below], minlength=len(materials))
    return _per_material(counts, materials, "months_below_target")


def first_month_at_target(stock: pd.DataFrame) -> pd.Series:
    """Per material of ``stock``, in its order: the first month (1 = the frame's first) whose
    stock reaches a cover target above 0; NaN where it never does."""
    material, materials = _codes(stock["material"])
    month = ordinals(stock["month"])
    target = stock["floor_t"].to_numpy(dtype=float)
    reached = (target > 0) & (stock["stock_t"].to_numpy(dtype=float) >= target - TOLERANCE_T)
    number = (month - month.min() + 1).astype(float) if len(month) else month.astype(float)
    first = _lowest(material[reached], number[reached], len(materials))
    return _per_material(first, materials, "first_month_at_target")


# --- helpers -------------------------------------------------------------------------------


def _codes(column: pd.Series, by_name: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of ``column``'s values and the values, in the order first met (or sorted
    by name). Text is factorised as an object array (faster than pandas' string dtype)."""
    values = column.to_numpy(dtype=object if column.dtype.kind in "OSUT" else None)
    return pd.factorize(values, sort=by_name, use_na_sentinel=False)


def _cover(stock: pd.DataFrame) -> np.ndarray:
    demand = stock["demand_t"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(demand > 0, stock["stock_t"].to_numpy(dtype=float) / demand, np.nan)


def _lowest(codes: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """Per code 0..size-1: the lowest of its ``values``; NaN for a code without values."""
    lowest = np.full(size, np.inf)
    np.minimum.at(lowest, codes, values)
    return np.where(np.isinf(lowest), np.nan, lowest)


def _per_material(values: np.ndarray, materials: np.ndarray, name: str) -> pd.Series:
    return pd.Series(values, index=pd.Index(materials, name="material"), name=name)
