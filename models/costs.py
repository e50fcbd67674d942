"""Cost coefficients, each computed in one place and stored with the model data: the landed
cost of a tonne, an arrival's objective cost, and the annuity of a capital cost."""

from __future__ import annotations

import numpy as np
import pandas as pd


def landed_cost(price, tariff_pct, freight):
    """Price plus import duty (a percentage of the price) plus freight, per tonne."""
    return price * (1 + tariff_pct / 100) + freight


def arrive_cost(arrive: pd.DataFrame) -> np.ndarray:
    """The objective coefficient of each arrival: its landed cost; a contracted tonne's price is
    paid on the contract's ``paid`` variable, so it carries only its duty and freight."""
    return arrival_costs(
        arrive["landed_usd_per_t"].to_numpy(dtype=float),
        arrive["price_usd_per_t"].to_numpy(dtype=float),
        arrive["contract_k"].to_numpy() >= 0,
    )


def arrival_costs(landed: np.ndarray, price: np.ndarray, contracted: np.ndarray) -> np.ndarray:
    """:func:`arrive_cost` of arrays: landed costs, prices and whether under a contract."""
    return landed - np.where(contracted, price, 0.0)


def capital_recovery_factor(rate_pct: float, years: float) -> float:
    """The annuity that repays one unit of capital over ``years`` at ``rate_pct`` a year."""
    rate = rate_pct / 100
    if rate == 0:
        return 1 / years
    return rate / (1 - (1 + rate) ** -years)
