"""Every disruption scenario's plan in one table, without repeating what the scenarios share.

A scenario follows the undisrupted path (no event active) until its onset, the first month an
event of it is active, and the tree makes every decision taken before then the same in all
scenarios still on that path. So ``plan.csv``, ``stock.csv`` and ``processing.csv`` of a risk
solve hold the undisrupted path's rows under ``base`` (in full when the undisrupted scenario
has a probability; else up to the last onset, taken from the scenario that stays on the path
longest), and each other scenario only the rows it decides from its onset on. A row is decided
in its ``order_month`` (an arrival) or its ``month`` (stock, shortfall, sales, processing).
``risk.csv`` gives each scenario's ``onset_month``; :func:`path_rows` puts a scenario's whole
table back together.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

BASE = "base"  # as models.risk.BASE: the undisrupted path's rows
SCENARIO = "scenario"


def decided(table: pd.DataFrame) -> pd.Series:
    """The month each row is decided in: an arrival's order month, else its month."""
    return table["order_month"] if "order_month" in table else table["month"]


def compact(full: pd.DataFrame, onsets: dict[str, str | None]) -> pd.DataFrame:
    """``full`` (every scenario's rows, a ``scenario`` column) as written: the undisrupted
    path's rows under ``base`` and each scenario's from its onset (``None``: never disrupted)."""
    if full.empty:
        return full
    # Scenarios and months by their codes (few distinct of each among many rows); a row is
    # decided from its scenario's onset on when its month sorts at or after the onset.
    scenario, names = pd.factorize(full[SCENARIO])
    month, months = pd.factorize(decided(full), sort=True)
    onset = pd.Series(onsets).reindex(names).to_numpy(dtype=object)
    undisrupted = pd.isna(onset)
    first = pd.Index(months).searchsorted(np.where(undisrupted, "", onset).astype(str))
    later = month >= np.where(undisrupted, len(months), first)[scenario]
    # The base rows come from the scenario on the undisrupted path longest (ties: the first).
    longest = max(onsets, key=lambda s: "9999-99" if onsets[s] is None else onsets[s])
    named = pd.Index(names)
    base = full[(scenario == named.get_indexer([longest])[0]) & ~later]
    own = full[later & (scenario != named.get_indexer([BASE])[0])]
    return pd.concat([base.assign(**{SCENARIO: BASE}), own], ignore_index=True)


def path_rows(table: pd.DataFrame, scenario: str, onset: str | None) -> pd.DataFrame:
    """The scenario's whole table from a compact one: the base rows decided before its onset
    and its own rows (without the ``scenario`` column)."""
    if SCENARIO not in table:
        return table
    names = table[SCENARIO]
    keep = (names == scenario) if scenario != BASE else names == BASE
    if scenario != BASE:
        shared = names == BASE
        if onset is not None and not pd.isna(onset):
            shared &= decided(table) < onset
        keep |= shared
    return table[keep].drop(columns=SCENARIO).reset_index(drop=True)


def expand(table: pd.DataFrame, onsets: dict[str, str | None]) -> pd.DataFrame:
    """Every scenario's whole table, each with its ``scenario`` column."""
    return pd.concat(
        [path_rows(table, s, o).assign(**{SCENARIO: s}) for s, o in onsets.items()],
        ignore_index=True,
    )


def onsets_of(risk: pd.DataFrame) -> dict[str, str | None]:
    """Each scenario's onset month from ``risk.csv`` (blank: never disrupted)."""
    if "onset_month" not in risk:
        return dict.fromkeys(risk[SCENARIO].astype(str))
    values = [v if isinstance(v, str) and v else None for v in risk["onset_month"]]
    return dict(zip(risk[SCENARIO].astype(str), values, strict=True))


STEMS = ("plan", "stock", "processing")


def by_path(tables: dict[str, pd.DataFrame], reference: str) -> dict[str, pd.DataFrame]:
    """A risk result's tables as a single plan reads them: ``plan``, ``stock`` and
    ``processing`` the reference path's, and ``scenario_plan``, ``scenario_stock`` and
    ``scenario_processing`` every scenario's whole table. Other results pass unchanged."""
    risk = tables.get("risk")
    if risk is None or SCENARIO not in tables.get("plan", pd.DataFrame()):
        return tables
    onsets = onsets_of(risk)
    tables = dict(tables)
    for stem in STEMS:
        if stem in tables and SCENARIO in tables[stem]:
            compacted = tables[stem]
            tables[f"scenario_{stem}"] = expand(compacted, onsets)
            tables[stem] = path_rows(compacted, reference, onsets.get(reference))
    return tables
