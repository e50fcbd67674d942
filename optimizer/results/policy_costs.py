"""The price of each policy, from the duals and HiGHS's cost ranging (``policy_costs.csv``).

Sign convention: ``marginal_cost_usd`` is what total cost would rise by if the policy were
tightened by one unit: a country's cap lowered by one percentage point, or one more month of
stockpile cover. It is zero for a policy that does not bind and never negative. For offers, the
price range is the interval of the offer's price (before duty and freight) over which the
plan's optimal basis stays optimal; an unused offer's ``cheaper_to_enter_usd_per_t`` is how far
its price must fall before it can enter the plan. See ``docs/formulation.md``.

These are the first-order figures, each labelled (``price_basis``, ``entry_basis``);
``optimizer.results.policy_probes`` then re-solves the ones that matter most to make them exact.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models import families as fam
from models.data import ModelData
from models.solution import Solution
from optimizer.results.tables import clean, domestic_output

CAP_UNIT = "USD per percentage point lower cap"
FLOOR_UNIT = "USD per month more cover"
FLOOR_T_UNIT = "USD per tonne more floor"  # a floor set by materials.csv floor_t alone
FLOOR_POLICY = fam.STOCKPILE_FLOOR
OFFER_POLICY = "offer-price"
# What a figure is until optimizer.results.policy_probes re-solves it (price_basis, entry_basis).
DUAL_BASIS = "dual, may be one-sided"
REDUCED_COST = "reduced cost"
COLUMNS = [
    "policy", "material", "country", "supplier", "window", "month", "setting",
    "marginal_cost_usd", "saving_if_loosened_usd", "price_basis", "marginal_unit", "tonnes",
    "price_usd_per_t", "price_low_usd_per_t", "price_high_usd_per_t",
    "cheaper_to_enter_usd_per_t", "entry_basis",
]  # fmt: skip


def policy_costs_table(data: ModelData, solution: Solution) -> pd.DataFrame:
    """One row per cap row, per material with a stockpile floor and per offer in effect."""
    parts = [_caps(data, solution), _floors(data, solution), _offers(data, solution)]
    parts = [part for part in parts if len(part)]
    if not parts:
        return pd.DataFrame(columns=COLUMNS)
    table = pd.concat(parts, ignore_index=True).reindex(columns=COLUMNS)
    priced = (table["policy"] != OFFER_POLICY).to_numpy()
    table["price_basis"] = np.where(priced, DUAL_BASIS, None)
    entering = table["cheaper_to_enter_usd_per_t"].notna().to_numpy()
    table["entry_basis"] = np.where(entering, REDUCED_COST, None)
    return table


def _caps(data: ModelData, solution: Solution) -> pd.DataFrame:
    """Row sum_c - share * total <= 0 with dual y <= 0: d cost / d share = y * total, so one
    percentage point less costs -y * total / 100."""
    caps = data.caps
    duals = solution.row_duals.get(fam.COUNTRY_SHARE_CAP)
    made = domestic_output(data, solution)  # the window's total counts domestic output too
    month_of = {month: t for t, month in enumerate(data.months)}
    m = np.concatenate(
        [data.arrive["m"].to_numpy(), pd.Index(data.materials).get_indexer(made["material"])]
    )
    t = np.concatenate([data.arrive["t"].to_numpy(), made["month"].map(month_of).to_numpy(int)])
    totals = np.bincount(
        m * len(data.windows) + data.window_of_month[t],
        weights=np.concatenate([solution.arrive, made["tonnes"].to_numpy(dtype=float)]),
        minlength=len(data.materials) * len(data.windows),
    )
    total = totals[caps["m"].to_numpy() * len(data.windows) + caps["w"].to_numpy()]
    marginal = -duals * total / 100 if duals is not None else np.full(len(caps), np.nan)
    return pd.DataFrame(
        {
            "policy": fam.COUNTRY_SHARE_CAP,
            "material": caps["material"],
            "country": caps["country"],
            "window": caps["window"],
            "setting": caps["max_share"],
            "marginal_cost_usd": np.round(marginal, 2) + 0.0,
            "marginal_unit": CAP_UNIT,
        }
    )


def _floors(data: ModelData, solution: Solution) -> pd.DataFrame:
    """Rows stock + below >= floor with duals y >= 0. One more month of cover raises each
    month's floor by that month's demand where the cover sets it (not a larger ``floor_t``);
    the floor also bounds the tonnes under it (``below-floor``) and the closing stock credited
    (``closing-credit``), whose bound duals z <= 0 move with it. It costs
    sum_t (y_t + z_below_t) * d floor_t + z_credit * d floor_T."""
    floors = data.floors
    duals = solution.row_duals.get(fam.STOCKPILE_FLOOR)
    if floors.empty:
        return pd.DataFrame()
    cell = data.cell(floors)
    demand = data.stock["demand_t"].to_numpy()[cell]
    cover = floors["cover_months"].to_numpy(dtype=float)
    by_cover = cover * demand
    fixed = floors["floor_t"].to_numpy(dtype=float) > by_cover + 1e-9  # floor_t sets the floor
    # A material whose cover sets none of its floors is priced per tonne of floor_t instead.
    tonnes = ~pd.Series(~fixed & (by_cover > 0)).groupby(floors["m"].to_numpy()).transform("any")
    tonnes = tonnes.to_numpy(dtype=bool)
    step = np.where(tonnes, fixed.astype(float), np.where(fixed, 0.0, demand))
    if duals is None:
        per_row = np.full(len(floors), np.nan)
    else:
        per_row = duals * step
        below = solution.bound_duals.get(fam.BELOW_FLOOR)
        if below is not None and len(below):
            np.add.at(per_row, data.below["floor_row"].to_numpy(dtype=int), below
                      * step[data.below["floor_row"].to_numpy(dtype=int)])  # fmt: skip
        credit = solution.bound_duals.get(fam.CLOSING_CREDIT)
        if credit is not None and len(credit):
            last = pd.Series(np.arange(len(floors)), index=floors["m"].to_numpy())
            last = last[floors["t"].to_numpy() == len(data.months) - 1]
            rows = last.reindex(data.credits["m"].to_numpy()).to_numpy()
            np.add.at(per_row, rows.astype(int), credit * step[rows.astype(int)])
    setting = np.where(tonnes, floors["floor_t"].to_numpy(dtype=float), cover)
    grouped = floors.assign(per_row=per_row, setting=setting, tonnes=tonnes).groupby(
        "material", sort=False
    )
    summary = grouped.agg(
        first=("month", "min"),
        last=("month", "max"),
        cover=("setting", "max"),
        tonnes=("tonnes", "first"),
        marginal=("per_row", lambda v: v.sum(min_count=1)),
    ).reset_index()
    return pd.DataFrame(
        {
            "policy": fam.STOCKPILE_FLOOR,
            "material": summary["material"],
            "window": summary["first"] + ".." + summary["last"],
            "setting": summary["cover"],
            "marginal_cost_usd": np.round(summary["marginal"].to_numpy(dtype=float), 2) + 0.0,
            "marginal_unit": np.where(summary["tonnes"].to_numpy(bool), FLOOR_T_UNIT, FLOOR_UNIT),
        }
    )


def _offers(data: ModelData, solution: Solution) -> pd.DataFrame:
    """Each offer in effect: its tonnes, the price range keeping the basis optimal, and for an
    unused offer the price cut it needs to enter. Ranges are converted from landed cost to the
    offer's price: price = (landed - freight) / (1 + tariff / 100). Contracted tonnes are not
    offers: their price is paid through the contract, outside their arrive column's cost."""
    spot = (data.arrive["contract_k"] < 0).to_numpy()
    arrive = data.arrive[spot].reset_index(drop=True)
    tonnes = clean(solution.arrive[spot])
    scale = 1 + arrive["tariff_pct"].to_numpy() / 100
    freight = arrive["freight_usd_per_t"].to_numpy()
    price = arrive["price_usd_per_t"].to_numpy()
    if solution.arrive_cost_low is None:
        low = high = enter = np.full(len(arrive), np.nan)
    else:
        low = np.maximum((solution.arrive_cost_low[spot] - freight) / scale, 0.0)
        high = (solution.arrive_cost_high[spot] - freight) / scale
        enter = np.where(tonnes > 0, np.nan, np.maximum(price - low, 0.0))
        low = np.where(tonnes > 0, low, np.nan)  # an unused offer's range is its entry price
        high = np.where(tonnes > 0, high, np.nan)
    return pd.DataFrame(
        {
            "policy": OFFER_POLICY,
            "material": arrive["material"],
            "country": arrive["country"],
            "supplier": arrive["supplier"],
            "month": arrive["month"],
            "tonnes": tonnes,
            "price_usd_per_t": price,
            "price_low_usd_per_t": np.round(low, 2) + 0.0,
            "price_high_usd_per_t": np.round(high, 2) + 0.0,
            "cheaper_to_enter_usd_per_t": np.round(enter, 2) + 0.0,
        }
    )
