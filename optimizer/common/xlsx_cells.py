"""What an .xlsx cell may hold and how wide a column must be, for every workbook writer (openpyxl
for scenario workbooks, xlsxwriter for result workbooks); no spreadsheet library needed here."""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

import numpy as np
import pandas as pd

AUTHOR = "rare-earth-sourcing"


FIXED_TIME = dt.datetime(2000, 1, 1)  # document and zip entry times: equal inputs, equal bytes


TEXT = "@"


GENERAL = "General"


MAX_WIDTH = 60


MAX_TITLE = 31  # Excel's limit on a sheet name


# Python's rendering of each number format, to size columns.
SHOWN = {
    "#,##0.000": "{:,.3f}",
    "#,##0": "{:,.0f}",
    "#,##0.00": "{:,.2f}",
    "0.0%": "{:.1%}",
    "0.00": "{:.2f}",
    GENERAL: "{:.10g}",
}


# The control characters an .xlsx cannot hold (openpyxl's ILLEGAL_CHARACTERS_RE).
ILLEGAL = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")


def printable(text: str) -> str:
    """Text without the control characters an .xlsx cannot hold (each becomes U+FFFD)."""
    return ILLEGAL.sub("\ufffd", text)


def excel_values(values: pd.Series) -> list[Any]:
    """:func:`excel_value` of each value; a column of numbers, booleans or text at once."""
    dtype = values.dtype
    if pd.api.types.is_float_dtype(dtype) and isinstance(dtype, np.dtype):
        numbers = values.to_numpy()
        cells = numbers.tolist()
        for index in np.flatnonzero(~np.isfinite(numbers)).tolist():
            cells[index] = excel_value(cells[index])
        return cells
    if isinstance(dtype, np.dtype) and dtype.kind in "biu":
        return values.tolist()
    if pd.api.types.is_string_dtype(dtype) and not pd.api.types.is_object_dtype(dtype):
        cells = values.tolist()
        for index in np.flatnonzero(values.isna().to_numpy()).tolist():
            cells[index] = None
        return cells
    return [excel_value(value) for value in values.tolist()]


def excel_value(value: Any) -> Any:
    """A value Excel can hold: blank for NaN and None, text for an infinite number."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
    if not isinstance(value, str | int | float | dt.date | dt.time | dt.timedelta):
        return str(value)  # a path, a decimal, an enum: as it reads
    return value


def widest_texts(values: pd.Series, number_format: str) -> list[str]:
    """The widest texts the column shows: its extreme numbers, or its longest text."""
    if pd.api.types.is_bool_dtype(values):
        return ["FALSE"]
    if pd.api.types.is_numeric_dtype(values):
        finite = values[pd.notna(values) & ~values.isin([math.inf, -math.inf])]
        shown = SHOWN.get(number_format, SHOWN[GENERAL])
        return [shown.format(float(v)) for v in (finite.min(), finite.max())] if len(finite) else []
    texts = values.dropna().astype(str)
    return [texts.loc[texts.str.len().idxmax()]] if len(texts) else []


def column_width(texts: list[str], limit: int, filter_button: bool = False, least: int = 8) -> int:
    """The width of a column showing ``texts`` (its heading first, with room for a filter
    button), in characters, between ``least`` and ``limit``."""
    longest = max((len(text) for text in texts[1:]), default=0)
    heading = len(texts[0]) + (3 if filter_button else 0) if texts else 0
    return max(min(max(heading, longest) + 2, limit), least)


def check_titles(names: list[str]) -> None:
    """Raise ``ValueError`` unless every name can name a sheet, once."""
    for name in names:
        if not 0 < len(name) <= MAX_TITLE or any(c in name for c in "[]:*?/\\"):
            raise ValueError(f"{name!r} cannot name a sheet: 1 to 31 characters, none of []:*?/\\")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"sheet names appear twice: {', '.join(repeated)}")
