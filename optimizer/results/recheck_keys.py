"""The keys of the re-check's tables: every groupby, merge and join leads with ``scenario``
when the tables hold many disruption scenarios (:func:`keyed`), and each row's figures from
the inputs are looked up by its key (:func:`lookup`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.results.scenario_rows import SCENARIO


def keyed(table: pd.DataFrame, *columns: str) -> list[str]:
    """``columns``, after ``scenario`` when ``table`` has one."""
    return [SCENARIO, *columns] if SCENARIO in table else list(columns)


def lookup(keys: pd.Series, values: pd.Series) -> pd.Series:
    """``keys.map(values)`` (``values`` indexed by unique keys; NaN where a key has none): one
    hash lookup per row in the small index of ``values``, not pandas' pointwise map, which
    costs ten times more on the long tables of many scenarios."""
    at = values.index.get_indexer(keys)
    found = values.to_numpy()
    picked = found[np.maximum(at, 0)] if len(found) else np.zeros(len(at))
    missing = at < 0
    if missing.any():
        picked = picked.astype(float if found.dtype.kind in "biuf" else object)
        picked[missing] = np.nan
    return pd.Series(picked, index=keys.index, name=keys.name)
