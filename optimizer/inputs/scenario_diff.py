"""The input differences between two scenarios: every setting and every table row that differs,
one row per difference, found without solving.

A table's rows are matched by the table's key (``TABLES[name].key`` in ``schema.py``: the id and
month columns that no two rows may share, a blank key cell counting as a value, as validation
checks it). A table whose key repeats on either side (possible for tables changed in memory,
which are not re-validated) is matched by row order instead, each row named ``row N`` (counted
from 1, the header not counted) and every column compared.

Values are compared as the readable text they are shown as, so float noise below what is shown
(0.6000000000000001) is no difference.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from optimizer.common.text_width import wrap_prose
from optimizer.inputs.problems import ONE_LINE
from optimizer.inputs.scenario import Scenario
from optimizer.inputs.schema import SETTINGS_FILE, TABLES, Field, table_fields
from optimizer.inputs.settings import Settings

COLUMNS = ["table", "key", "column", "old", "new", "change"]
CHANGED, ADDED, REMOVED = "changed", "added", "removed"
ABSENT = "(none)"  # the row is not in that scenario
NOT_SET = "(not set)"  # a blank meaning "not set": the default, the policy's value, no limit
SAME_DESCRIPTION = "(the description is the same: check that it still says what is changed)"
EVERY = "(every)"  # a blank key cell: the row applies to every month, material, ...
SIGNIFICANT_DIGITS = 12  # float noise sits past the 15th digit; inputs never need more than 12
DECIMALS = 9  # a billionth of a tonne, a dollar or a share is no input anyone writes


def scenario_differences(old: Scenario, new: Scenario) -> pd.DataFrame:
    """One row per difference from ``old`` to ``new``: the ``table`` (input file), the ``key``
    of its row (``country=CN, material=Dy2O3``; a setting's name for ``scenario.toml``), the
    ``column`` changed (empty for a row added or removed), the ``old`` and ``new`` values as
    text (``(none)`` on the side without the row; an added or removed row's values as
    ``column=value, ...``) and the ``change``: changed, added or removed. Settings first in
    schema order, then the tables in the scenario's order, rows in key order."""
    rows = _setting_differences(old.settings, new.settings)
    for name, spec in TABLES.items():
        fields = table_fields(spec.file)
        rows += _table_differences(spec.file, spec.key, fields, old.table(name), new.table(name))
    return pd.DataFrame(rows, columns=COLUMNS, dtype=object)


def format_differences(frame: pd.DataFrame, indent: str = "") -> str:
    """The differences as text: a heading per input file, a line per difference (a line break
    in a value shown as ``\\n``), each line after ``indent``, wrapped to fit 100 columns."""
    if frame.empty:
        return indent + "No input differences."
    lines: list[str] = []
    for table, group in frame.groupby("table", sort=False):
        noun = "difference" if len(group) == 1 else "differences"
        lines.append(f"{table} ({len(group)} {noun})")
        lines += [_line(row).translate(ONE_LINE) for row in group.itertuples(index=False)]
    if not (frame["key"] == "description").any():  # a copied folder keeps its text
        lines.append(SAME_DESCRIPTION)
    return "\n".join(wrap_prose([indent + line for line in lines]))


def _line(row: Any) -> str:
    if row.change == ADDED:
        return f"  {row.key}  added: {_short(row.new)}"
    if row.change == REMOVED:
        return f"  {row.key}  removed: {_short(row.old)}"
    where = row.key if row.key == row.column else f"{row.key}  {row.column}"
    return f"  {where}: {_short(row.old)} -> {_short(row.new)}"


TEXT_WIDTH = 60  # a value longer than this is cut in the text (a description); the table has it


def _short(text: str) -> str:
    return text if len(text) <= TEXT_WIDTH else text[: TEXT_WIDTH - 4].rstrip() + " ..."


def value_text(value: Any, field: Field | None = None) -> str:
    """A value as people read it: ``0.6``, ``285000``, ``unlimited`` for infinity, and a blank
    as what it means (``(every)`` or ``(not set)``). Shares stay as stored (0.6, not 60%)."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return EVERY if field is not None and field.blank == "every" else NOT_SET
    if isinstance(value, bool | np.bool_):
        return str(bool(value)).lower()
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        return _number_text(float(value))
    return str(value)


def _number_text(value: float) -> str:
    if math.isinf(value):
        return "unlimited" if value > 0 else "-unlimited"
    rounded = round(float(f"{value:.{SIGNIFICANT_DIGITS}g}"), DECIMALS) + 0.0  # no -0
    return np.format_float_positional(rounded, trim="-")


def _setting_differences(old: Settings, new: Settings) -> list[tuple[str, ...]]:
    fields = {field.column: field for field in table_fields(SETTINGS_FILE)}
    new_values = new.by_key()
    rows = []
    for name, value in old.by_key().items():
        before, after = value_text(value, fields[name]), value_text(new_values[name], fields[name])
        if before != after:
            rows.append((SETTINGS_FILE, name, name, before, after, CHANGED))
    return rows


def _table_differences(
    file: str,
    key: tuple[str, ...],
    fields: tuple[Field, ...],
    old: pd.DataFrame,
    new: pd.DataFrame,
) -> list[tuple[str, ...]]:
    old_text, new_text = _texts(old, fields), _texts(new, fields)
    keyed = not (_repeats(old_text, key) or _repeats(new_text, key))
    if keyed:
        old_text, new_text = old_text.set_index(list(key)), new_text.set_index(list(key))
    else:  # by row order: row N on one side against row N on the other
        old_text.index = pd.RangeIndex(1, len(old_text) + 1)
        new_text.index = pd.RangeIndex(1, len(new_text) + 1)
    rows = old_text.index.union(new_text.index).sort_values()
    in_old, in_new = rows.isin(old_text.index), rows.isin(new_text.index)
    before = old_text.reindex(rows).to_numpy(dtype=object)
    after = new_text.reindex(rows).to_numpy(dtype=object)
    differs = (before != after) & (in_old & in_new)[:, None]
    columns = list(old_text.columns)
    found = []
    for i in np.flatnonzero(differs.any(axis=1) | (in_old != in_new)):
        label = _key_label(key, rows[i]) if keyed else f"row {rows[i]}"
        if not in_new[i]:
            found.append((file, label, "", _row_text(columns, before[i]), ABSENT, REMOVED))
        elif not in_old[i]:
            found.append((file, label, "", ABSENT, _row_text(columns, after[i]), ADDED))
        else:
            found += [
                (file, label, columns[j], before[i, j], after[i, j], CHANGED)
                for j in np.flatnonzero(differs[i])
            ]
    return found


def _texts(table: pd.DataFrame, fields: tuple[Field, ...]) -> pd.DataFrame:
    """The schema's columns of ``table`` as readable text, in schema order."""
    return pd.DataFrame(
        {
            field.column: [value_text(value, field) for value in table[field.column].tolist()]
            for field in fields
        },
        dtype=object,
    )


def _repeats(text: pd.DataFrame, key: tuple[str, ...]) -> bool:
    return bool(text.duplicated(list(key)).any())


def _key_label(key: tuple[str, ...], values: Any) -> str:
    values = values if isinstance(values, tuple) else (values,)
    return ", ".join(f"{column}={value}" for column, value in zip(key, values, strict=True))


def _row_text(columns: list[str], values: np.ndarray) -> str:
    return ", ".join(f"{column}={value}" for column, value in zip(columns, values, strict=True))
