"""The rows of a result table worth a person's reading, when the table is too long for a sheet.

``plan.xlsx`` and ``compare.xlsx`` are for reading; the CSV (or Parquet) files keep every row.
A sheet holds at most ``SHEET_ROWS`` rows: nobody scrolls 40,000 capacity rows, the workbook
stays small and quick to write, and no table can pass Excel's limit of 1,048,576 rows (a risk
result's tables have a row per scenario). Past that, a sheet shows the table's most telling
rows, in the table's own order, and says so in the comment on its first heading and, in
``plan.xlsx``, on the summary sheet (section "Sheets cut short"): how many of how many, and
the file that holds them all.

The most telling rows: ``plan``, the costliest arrivals; ``constraints``, caps and floors
first, then the largest shadow prices (binding before slack at equal price); ``policy_costs``,
caps and floors first, then the offers used (most tonnes first), then the unused offers
closest to entering; ``stock``, the months short or where a floor applies (the largest
shortfalls first). Any other table (``mix``, ``processing``, a comparison's): its first rows.
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


def readable_tables(
    tables: dict[str, pd.DataFrame], files: dict[str, str] | None = None
) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """The sheets of a workbook, and a note for each one cut short, saying which file holds
    every row (``files`` by table; default ``<table>.csv``)."""
    files = files or {}
    sheets = {stem: readable_rows(stem, table) for stem, table in tables.items()}
    notes = {
        stem: f"{len(sheets[stem]):,} of {len(table):,} rows: all in "
        + files.get(stem, f"{stem}.csv")
        for stem, table in tables.items()
        if len(sheets[stem]) < len(table)
    }
    return sheets, notes
