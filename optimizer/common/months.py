"""Months as ``YYYY-MM`` labels and as integer ordinals (``year * 12 + month - 1``)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

# Use with fullmatch: "$" alone would accept a trailing newline; [0-9], as \d also matches
# digits of other scripts.
MONTH_PATTERN = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")


def is_month(text: str) -> bool:
    return bool(MONTH_PATTERN.fullmatch(text))


def ordinal(label: str) -> int:
    """``"2026-03"`` -> ``2026 * 12 + 2``; the label must be valid."""
    return int(label[:4]) * 12 + int(label[5:7]) - 1


def label(ordinal_: int) -> str:
    year, month = divmod(int(ordinal_), 12)
    return f"{year:04d}-{month + 1:02d}"


def horizon(start: str, months: int) -> list[str]:
    """The ``months`` consecutive labels from ``start`` on."""
    first = ordinal(start)
    return [label(first + i) for i in range(months)]


def ordinals(labels: pd.Series) -> np.ndarray:
    """Vectorised :func:`ordinal` for a Series of valid labels (parsed once per distinct one)."""
    codes, distinct = pd.factorize(labels)
    return np.array([ordinal(label) for label in distinct], dtype=np.int64)[codes]
