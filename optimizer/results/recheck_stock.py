"""The re-check of the stockpile: floors (cover months or a fixed tonnage, missed only where a
penalty allows it), shortfall within demand, and the closing stock credited up to the last
floor at the closing value. Recomputed from the scenario's tables and ``stock.csv`` alone."""

from __future__ import annotations

import numpy as np
import pandas as pd

from models import families as fam
from optimizer.common import months
from optimizer.inputs.scenario import Scenario
from optimizer.results.findings import Finding, said
from optimizer.results.input_memo import per_scenario
from optimizer.results.recheck_keys import lookup

ABS_TOL_T = 1e-5  # tonnes
REL_TOL = 1e-6


def _tolerance(scale) -> np.ndarray:
    return ABS_TOL_T + REL_TOL * np.abs(np.asarray(scale, dtype=float))


def _per_material(scenario: Scenario, stock: pd.DataFrame, column: str) -> np.ndarray:
    values = scenario.materials.set_index("material")[column]
    return lookup(stock["material"], values).to_numpy(dtype=float)


def floor_targets(scenario: Scenario, stock: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Each stock row's floor (the larger of cover months x demand and the fixed floor_t) and
    whether it applies (from stockpile_from on, where positive)."""
    settings = scenario.settings
    cover = _per_material(scenario, stock, "cover_months")
    cover = np.where(np.isnan(cover), settings.stockpile_cover_months, cover)
    cells = stock[["material", "month"]].merge(
        demand_cells(scenario), on=["material", "month"], how="left"
    )
    demand = cells["demand_t"].fillna(0.0).to_numpy(dtype=float)
    fixed = np.nan_to_num(_per_material(scenario, stock, "floor_t"), nan=0.0)
    floor = np.maximum(cover * demand, fixed)
    applies = (stock["month"] >= settings.floor_from).to_numpy() & (floor > 0)
    return floor, applies


@per_scenario
def demand_cells(scenario: Scenario) -> pd.DataFrame:
    """demand.csv summed by (material, month)."""
    return scenario.demand.groupby(["material", "month"], as_index=False)["demand_t"].sum()


def check_floors(
    scenario: Scenario, stock: pd.DataFrame, released: np.ndarray | None = None
) -> list[Finding]:
    """stock + tonnes under the floor >= the floor where it applies (not where a disruption
    released it); tonnes under a floor only where a floor penalty allows them, and never more
    than the floor."""
    floor, applies = floor_targets(scenario, stock)
    if released is not None:
        applies = applies & ~released
    under = stock["below_floor_t"].to_numpy(dtype=float) if "below_floor_t" in stock else 0.0
    short = applies & (stock["stock_t"].to_numpy() + under < floor - _tolerance(floor))
    found = said(stock[short], (
        f"{fam.STOCKPILE_FLOOR}: {r.material} {r.month}: stock {r.stock_t:g} t is below the "
        f"floor {f:g} t"
        for r, f in zip(stock[short].itertuples(), floor[short], strict=True)
    ))  # fmt: skip
    if "below_floor_t" not in stock:
        return found
    soft = ~np.isnan(_per_material(scenario, stock, "floor_penalty_usd_per_t_month"))
    wrong = (np.abs(under) > ABS_TOL_T) & ~(soft & applies)
    over = under > np.where(applies, floor, 0.0) + _tolerance(floor)
    found += said(stock[wrong], (
        f"{fam.BELOW_FLOOR}: {r.material} {r.month}: {r.below_floor_t:g} t under a floor that "
        + ("has no penalty" if not is_soft else "does not apply")
        for r, is_soft in zip(stock[wrong].itertuples(), soft[wrong], strict=True)
    ))  # fmt: skip
    return found + said(stock[over & ~wrong], (
        f"{fam.BELOW_FLOOR}: {r.material} {r.month}: {r.below_floor_t:g} t under a floor of "
        f"only {f:g} t"
        for r, f in zip(stock[over & ~wrong].itertuples(), floor[over & ~wrong], strict=True)
    ))  # fmt: skip


def check_shortfall(scenario: Scenario, stock: pd.DataFrame) -> list[Finding]:
    """Shortfall is non-negative, at most the month's demand, and zero where no penalty makes
    it allowed."""
    penalty = _per_material(scenario, stock, "shortfall_penalty_usd_per_t")
    shortfall = stock["shortfall_t"].to_numpy(dtype=float)
    forbidden = np.isnan(penalty) & (np.abs(shortfall) > ABS_TOL_T)
    negative = shortfall < -ABS_TOL_T
    demand = stock["demand_t"].to_numpy(dtype=float)
    beyond = shortfall > demand + _tolerance(demand)
    return (
        said(stock[forbidden], (
            f"stock: {r.material} {r.month}: shortfall {r.shortfall_t:g} t where demand must be met"
            for r in stock[forbidden].itertuples()
        ))
        + said(stock[negative], (
            f"stock: {r.material} {r.month}: negative shortfall {r.shortfall_t:g} t"
            for r in stock[negative].itertuples()
        ))
        + said(stock[beyond & ~forbidden], (
            f"stock: {r.material} {r.month}: shortfall {r.shortfall_t:g} t exceeds the demand "
            f"{r.demand_t:g} t"
            for r in stock[beyond & ~forbidden].itertuples()
        ))
    )  # fmt: skip


@per_scenario
def closing_values(scenario: Scenario) -> pd.Series:
    """Each material's closing value: closing_value_usd_per_t, else the lowest landed price of
    an offer in effect in some month of the horizon (a month's own row, else the blank-month
    row; capacity above zero; after the supplier's lead time), else 0."""
    horizon = pd.DataFrame({"month": scenario.horizon})
    offers = scenario.offers
    every = offers[offers["month"].isna()].drop(columns="month").merge(horizon, how="cross")
    dated = offers[offers["month"].notna()]
    key = ["supplier", "material", "month"]
    in_effect = pd.concat([dated, every], ignore_index=True).drop_duplicates(key, keep="first")
    suppliers = scenario.suppliers.set_index("supplier")
    lead = in_effect["supplier"].map(suppliers["lead_time_months"]).to_numpy(dtype=int)
    first = months.ordinal(scenario.settings.start)
    reachable = months.ordinals(in_effect["month"]) >= first + lead
    usable = reachable & (in_effect["capacity_t_per_month"].to_numpy(dtype=float) > 0)
    tariff = in_effect["supplier"].map(suppliers["tariff_pct"]).to_numpy(dtype=float)
    freight = in_effect["supplier"].map(suppliers["freight_usd_per_t"]).to_numpy(dtype=float)
    landed = in_effect["price_usd_per_t"].to_numpy(dtype=float) * (1 + tariff / 100) + freight
    lowest = pd.Series(landed[usable]).groupby(in_effect["material"].to_numpy()[usable]).min()
    materials = scenario.materials.set_index("material")
    value = materials["closing_value_usd_per_t"].astype(float)
    return value.fillna(lowest.reindex(value.index)).fillna(0.0)


def check_closing_credit(scenario: Scenario, stock: pd.DataFrame) -> list[Finding]:
    """Tonnes credited only in the last month, only with closing_stock_credit = "floor", at most
    the closing stock and at most the last month's floor."""
    if "credited_t" not in stock:
        return []
    credited = stock["credited_t"].to_numpy(dtype=float)
    floor, applies = floor_targets(scenario, stock)
    last = (stock["month"] == scenario.horizon[-1]).to_numpy()
    allowed = last & applies & (scenario.settings.closing_stock_credit == "floor")
    limit = np.where(allowed, np.minimum(floor, stock["stock_t"].to_numpy(dtype=float)), 0.0)
    wrong = (credited < -ABS_TOL_T) | (credited > limit + _tolerance(limit))
    return said(stock[wrong], (
        f"{fam.CLOSING_STOCK}: {r.material} {r.month}: {r.credited_t:g} t credited, but at most "
        f"{lim:g} t can be (the closing stock, up to the last month's floor)"
        for r, lim in zip(stock[wrong].itertuples(), limit[wrong], strict=True)
    ))  # fmt: skip


def stock_costs(scenario: Scenario, stock: pd.DataFrame) -> np.ndarray:
    """Each stock row's floor penalty for its tonnes under the floor, less its closing stock's
    credit."""
    penalty = np.nan_to_num(_per_material(scenario, stock, "floor_penalty_usd_per_t_month"))
    under = stock["below_floor_t"].to_numpy(dtype=float) if "below_floor_t" in stock else 0.0
    value = lookup(stock["material"], closing_values(scenario)).to_numpy(dtype=float)
    credited = stock["credited_t"].to_numpy(dtype=float) if "credited_t" in stock else 0.0
    return under * penalty - credited * value
