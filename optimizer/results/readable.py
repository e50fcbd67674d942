"""The rows of a result table worth a person's reading, when the table is too long for a sheet.

``plan.xlsx`` is for reading; the CSV files keep every row. A sheet holds at most
``SHEET_ROWS`` rows (openpyxl writes some 30k cells a second, and nobody scrolls 40,000 capacity
rows): past that, it shows the table's most telling rows, in the table's own order, and the
summary sheet says how many of how many.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SHEET_ROWS = 2_000


def _importance(stem: str, table: pd.DataFrame) -> np.ndarray:
    """A score per row: higher is more telling."""
    if stem == "plan":
        return table["cost_usd"].to_numpy(dtype=float)
    if stem == "constraints":
        policy = table["family"].isin(["country-share-cap", "stockpile-floor"]).to_numpy()
        shadow = np.abs(table["shadow_price_usd_per_t"].fillna(0.0).to_numpy(dtype=float))
        return np.where(policy, np.inf, shadow + table["binding"].to_numpy(dtype=float))
    if stem == "policy_costs":
        offer = (table["policy"] == "offer-price").to_numpy()
        used = table["tonnes"].fillna(0.0).to_numpy(dtype=float)
        cut = (table["cheaper_to_enter_usd_per_t"] / table["price_usd_per_t"]).to_numpy()
        offer_score = np.where(used > 0, 1e12 + used, -np.nan_to_num(cut, nan=np.inf))
        return np.where(offer, offer_score, np.inf)
    if stem == "stock":  # the months that say most: below target, short, or with a floor
        short = table["shortfall_t"].to_numpy(dtype=float)
        return short + table["floor_applies"].to_numpy(dtype=float)
    return np.zeros(len(table))


def readable_rows(stem: str, table: pd.DataFrame, limit: int = SHEET_ROWS) -> pd.DataFrame:
    """``table`` itself if short enough, else its ``limit`` most telling rows in order."""
    if len(table) <= limit:
        return table
    score = _importance(stem, table)
    keep = np.sort(np.argsort(-score, kind="stable")[:limit])
    return table.iloc[keep]


def readable_tables(tables: dict[str, pd.DataFrame]) -> tuple[dict[str, pd.DataFrame], dict]:
    """The sheets of ``plan.xlsx`` and a note for each one cut short."""
    sheets = {stem: readable_rows(stem, table) for stem, table in tables.items()}
    notes = {
        f"sheet_rows.{stem}": f"{len(sheets[stem]):,} of {len(table):,} rows: all in {stem}.csv"
        for stem, table in tables.items()
        if len(sheets[stem]) < len(table)
    }
    return sheets, notes
