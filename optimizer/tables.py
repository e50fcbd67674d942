"""Result tables built from the model data and an engine's solution, all vectorised.

Every table carries its units in its column names. Values within ``ZERO_T`` tonnes of zero are
solver noise and are cleared (``ZERO_T`` is far below any quantity a planner reads).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models import families as fam
from models.data import ModelData
from models.solution import Solution

ZERO_T = 1e-7
DECIMALS = 9  # rounding of written values: removes float noise, keeps far more than needed


def clean(values: np.ndarray) -> np.ndarray:
    values = np.round(np.asarray(values, dtype=float), DECIMALS)
    values[np.abs(values) < ZERO_T] = 0.0
    return values + 0.0  # no negative zeros


def plan_table(data: ModelData, solution: Solution) -> pd.DataFrame:
    """One row per (material, supplier, month) with tonnes arriving, and what they cost."""
    arrive = data.arrive
    tonnes = clean(solution.arrive)
    used = tonnes > 0
    plan = arrive.loc[used, ["material", "supplier", "country", "order_month", "month"]].copy()
    plan["tonnes"] = tonnes[used]
    plan["price_usd_per_t"] = arrive.loc[used, "price_usd_per_t"].to_numpy()
    plan["landed_usd_per_t"] = clean(arrive.loc[used, "landed_usd_per_t"].to_numpy())
    plan["cost_usd"] = clean(plan["tonnes"] * plan["landed_usd_per_t"])
    plan = plan.sort_values(["material", "month", "supplier"], kind="stable")
    return plan.reset_index(drop=True)


def stock_table(data: ModelData, solution: Solution) -> pd.DataFrame:
    """One row per (material, month): demand, arrivals, shortfall, stock, floor and cover."""
    stock = data.stock[["material", "month", "demand_t"]].copy()
    n_cells = len(stock)
    cell = data.arrive["m"].to_numpy() * data.shape[1] + data.arrive["t"].to_numpy()
    stock["arrivals_t"] = clean(np.bincount(cell, weights=solution.arrive, minlength=n_cells))
    short_cell = data.shortfall["m"].to_numpy() * data.shape[1] + data.shortfall["t"].to_numpy()
    stock["shortfall_t"] = clean(
        np.bincount(short_cell, weights=solution.shortfall, minlength=n_cells)
    )
    stock["stock_t"] = clean(solution.stock)
    applies = np.zeros(n_cells, dtype=bool)
    applies[data.floors["m"].to_numpy() * data.shape[1] + data.floors["t"].to_numpy()] = True
    # The cover target in every month; a hard floor only where floor_applies.
    stock["floor_t"] = clean(data.stock["cover_target_t"].to_numpy())
    stock["floor_applies"] = applies
    demand = stock["demand_t"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        cover = np.where(demand > 0, stock["stock_t"].to_numpy() / demand, np.nan)
    stock["months_of_cover"] = np.round(cover, 6)
    duals = solution.row_duals.get(fam.STOCK_BALANCE)
    # The balance's right-hand side is -demand, so one more tonne of demand costs -dual.
    stock["marginal_cost_usd_per_t"] = clean(-duals) if duals is not None else np.nan
    return stock


def mix_table(data: ModelData, plan: pd.DataFrame) -> pd.DataFrame:
    """Tonnes and share of arrivals by (material, window, country), with the cap if any."""
    window_of = dict(zip(data.months, (data.windows[w] for w in data.window_of_month), strict=True))
    rows = plan.assign(window=plan["month"].map(window_of))
    mix = rows.groupby(["material", "window", "country"], as_index=False, sort=False)[
        "tonnes"
    ].sum()
    totals = mix.groupby(["material", "window"])["tonnes"].transform("sum")
    mix["share"] = np.round(np.where(totals > 0, mix["tonnes"] / totals, 0.0), 9)
    mix["tonnes"] = clean(mix["tonnes"])
    caps = data.caps[["material", "window", "country", "max_share"]]
    mix = mix.merge(caps, on=["material", "window", "country"], how="left")
    order = {m: i for i, m in enumerate(data.materials)}
    mix = mix.sort_values(
        ["material", "window", "country"], key=lambda c: c.map(order) if c.name == "material" else c
    )
    return mix[["material", "window", "country", "tonnes", "share", "max_share"]].reset_index(
        drop=True
    )


CONSTRAINT_COLUMNS = [
    "family",
    "material",
    "country",
    "supplier",
    "window",
    "month",
    "limit",
    "value",
    "unit",
    "slack_t",
    "shadow_price_usd_per_t",
    "binding",
]


def constraints_table(data: ModelData, solution: Solution) -> pd.DataFrame:
    """Every cap, floor and finite capacity: its limit, value, slack in tonnes, shadow price
    (d total cost / d right-hand side, USD per tonne) and whether it binds."""
    parts = [
        _cap_rows(data, solution),
        _floor_rows(data, solution),
        _bound_rows(data, solution, fam.OFFER_CAPACITY),
        _bound_rows(data, solution, fam.STORAGE_CAPACITY),
    ]
    parts = [part for part in parts if len(part)]
    if not parts:
        return pd.DataFrame(columns=CONSTRAINT_COLUMNS)
    return pd.concat(parts, ignore_index=True).reindex(columns=CONSTRAINT_COLUMNS)


def _tight(slack: np.ndarray, limit: np.ndarray) -> np.ndarray:
    return slack <= 1e-6 * np.maximum(1.0, np.abs(limit))


def _cap_rows(data: ModelData, solution: Solution) -> pd.DataFrame:
    caps = data.caps
    arrive = data.arrive
    key = pd.DataFrame(
        {
            "m": arrive["m"],
            "w": data.window_of_month[arrive["t"].to_numpy()],
            "country": arrive["country"],
            "tonnes": solution.arrive,
        }
    )
    by_country = key.groupby(["m", "w", "country"])["tonnes"].sum()
    by_window = key.groupby(["m", "w"])["tonnes"].sum()
    index = pd.MultiIndex.from_frame(caps[["m", "w", "country"]])
    country_t = by_country.reindex(index, fill_value=0.0).to_numpy()
    total_t = by_window.reindex(pd.MultiIndex.from_frame(caps[["m", "w"]]), fill_value=0.0)
    total_t = total_t.to_numpy()
    limit = caps["max_share"].to_numpy()
    slack = clean(limit * total_t - country_t)
    dual = _duals(solution.row_duals, fam.COUNTRY_SHARE_CAP, len(caps))
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(total_t > 0, country_t / total_t, 0.0)
    return pd.DataFrame(
        {
            "family": fam.COUNTRY_SHARE_CAP,
            "material": caps["material"],
            "country": caps["country"],
            "window": caps["window"],
            "limit": limit,
            "value": np.round(share, 9),
            "unit": "share",
            "slack_t": slack,
            "shadow_price_usd_per_t": dual,
            "binding": _tight(slack, total_t) & ((total_t > 0) | (dual != 0)),
        }
    )


def _floor_rows(data: ModelData, solution: Solution) -> pd.DataFrame:
    floors = data.floors
    cell = floors["m"].to_numpy() * data.shape[1] + floors["t"].to_numpy()
    limit = floors["floor_t"].to_numpy()
    value = clean(solution.stock[cell])
    slack = clean(value - limit)
    return pd.DataFrame(
        {
            "family": fam.STOCKPILE_FLOOR,
            "material": floors["material"],
            "month": floors["month"],
            "limit": limit,
            "value": value,
            "unit": "t",
            "slack_t": slack,
            "shadow_price_usd_per_t": _duals(solution.row_duals, fam.STOCKPILE_FLOOR, len(floors)),
            "binding": _tight(slack, limit),
        }
    )


def _bound_rows(data: ModelData, solution: Solution, family: str) -> pd.DataFrame:
    if family == fam.OFFER_CAPACITY:
        frame, values, limit_column = data.arrive, solution.arrive, "capacity_t_per_month"
    else:
        frame, values, limit_column = data.stock, solution.stock, "storage_capacity_t"
    limit = frame[limit_column].to_numpy()
    finite = np.isfinite(limit)
    value = clean(values[finite])
    slack = clean(limit[finite] - value)
    rows = pd.DataFrame(
        {
            "family": family,
            "material": frame.loc[finite, "material"].to_numpy(),
            "month": frame.loc[finite, "month"].to_numpy(),
            "limit": limit[finite],
            "value": value,
            "unit": "t",
            "slack_t": slack,
            "shadow_price_usd_per_t": _duals(solution.bound_duals, family, len(frame))[finite],
            "binding": _tight(slack, limit[finite]),
        }
    )
    if family == fam.OFFER_CAPACITY:
        rows.insert(2, "supplier", frame.loc[finite, "supplier"].to_numpy())
        rows.insert(2, "country", frame.loc[finite, "country"].to_numpy())
    return rows


def _duals(duals: dict[str, np.ndarray], family: str, count: int) -> np.ndarray:
    """Duals of a family, cleaned; NaN when the engine gave none (a limit stop, say)."""
    values = duals.get(family)
    return clean(values) if values is not None else np.full(count, np.nan)


COST_COMPONENTS = ("purchase_usd", "tariff_usd", "freight_usd", "holding_usd", "shortfall_usd")


def cost_breakdown(data: ModelData, solution: Solution) -> dict[str, float]:
    """Total cost by component; the components sum to the objective."""
    arrive = data.arrive
    tonnes = solution.arrive
    price = arrive["price_usd_per_t"].to_numpy()
    costs = {
        "purchase_usd": float(tonnes @ price),
        "tariff_usd": float(tonnes @ (price * arrive["tariff_pct"].to_numpy() / 100)),
        "freight_usd": float(tonnes @ arrive["freight_usd_per_t"].to_numpy()),
        "holding_usd": float(
            solution.stock @ data.stock["holding_cost_usd_per_t_month"].to_numpy()
        ),
        "shortfall_usd": float(
            solution.shortfall @ data.shortfall["shortfall_penalty_usd_per_t"].to_numpy()
        ),
    }
    costs = {key: round(value, 2) + 0.0 for key, value in costs.items()}
    costs["total_usd"] = round(sum(costs.values()), 2)
    return costs
