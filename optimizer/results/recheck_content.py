"""The independent re-check of the origin of content (``content.csv``, ``content_feed.csv``),
from the scenario's tables and the other result tables (see :mod:`optimizer.results.recheck`).

It checks the rule of ``models.content`` without the model: each origin's tonnes of a traced
material carry over month to month; summed over origins they are the stock table's arrivals,
output, use by units, other use and stock; arrivals come from their supplier's country; a
unit's output of each origin is its yield over its total input per tonne times what it was fed
of that origin; a unit's feed of an input sums to its throughput times the input per tonne.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models import families as fam
from models.content import INITIAL
from optimizer.inputs.scenario import Scenario
from optimizer.results.recheck_chain import recipes

ABS_TOL = 1e-5
REL_TOL = 1e-6


def _off(a, b) -> np.ndarray:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return np.abs(a - b) > ABS_TOL + REL_TOL * np.maximum(np.abs(a), np.abs(b))


def _mismatched(expected: pd.Series, got: pd.Series) -> pd.DataFrame:
    """Rows (of either index) where two figures differ, a missing one read as 0: columns
    ``expected`` and ``got``."""
    both = pd.concat([expected.rename("expected"), got.rename("got")], axis=1).fillna(0.0)
    return both[_off(both["expected"], both["got"])]


def check_content(
    scenario: Scenario,
    plan: pd.DataFrame,
    stock: pd.DataFrame,
    processing: pd.DataFrame | None,
    content: pd.DataFrame | None,
    feed: pd.DataFrame | None,
) -> list[str]:
    if content is None or processing is None:
        return []
    found = _negative(content, feed)
    found += _carry_over(scenario, content)
    found += _totals(plan, stock, content)
    found += _arrivals_by_country(scenario, plan, content)
    found += _made_from_feed(scenario, content, feed)
    found += _feed_of_runs(scenario, processing, feed)
    return found


def _negative(content: pd.DataFrame, feed: pd.DataFrame) -> list[str]:
    columns = ["arrived_t", "made_t", "fed_t", "used_t", "held_t"]
    low = (content[columns] < -ABS_TOL).any(axis=1)
    found = [
        f"{fam.CONTENT_BALANCE}: {r.material} of {r.origin} {r.month}: negative tonnes"
        for r in content[low].itertuples()
    ]
    return found + [
        f"{fam.CONTENT_FEED}: {r.unit} {r.material} of {r.origin} {r.month}: negative tonnes"
        for r in feed[feed["fed_t"] < -ABS_TOL].itertuples()
    ]


def _grid(scenario: Scenario, content: pd.DataFrame) -> pd.DataFrame:
    """Every (material, origin) of the table over every month, zeros where it has no row."""
    pairs = content[["material", "origin"]].drop_duplicates()
    months = pd.DataFrame({"month": scenario.horizon})
    full = pairs.merge(months, how="cross")
    full = full.merge(content, on=["material", "origin", "month"], how="left").fillna(0.0)
    return full.sort_values(["material", "origin", "month"], kind="stable").reset_index(drop=True)


def _carry_over(scenario: Scenario, content: pd.DataFrame) -> list[str]:
    """held = held before + arrived + made - fed - used; before the first month, the stock at
    the start is of origin ``initial``."""
    full = _grid(scenario, content)
    before = full.groupby(["material", "origin"], sort=False)["held_t"].shift(1)
    initial = full["material"].map(scenario.materials.set_index("material")["initial_stock_t"])
    start = np.where(full["origin"] == INITIAL, initial.fillna(0.0), 0.0)
    before = before.fillna(pd.Series(start, index=full.index))
    expected = before + full["arrived_t"] + full["made_t"] - full["fed_t"] - full["used_t"]
    off = _off(full["held_t"], expected)
    return [
        f"{fam.CONTENT_BALANCE}: {r.material} of {r.origin} {r.month}: {r.held_t:g} t held, "
        f"the flows give {e:g} t"
        for r, e in zip(full[off].itertuples(), expected[off], strict=True)
    ]


def _totals(plan: pd.DataFrame, stock: pd.DataFrame, content: pd.DataFrame) -> list[str]:
    """Summed over origins, a traced material's content is the stock table's."""
    summed = content.groupby(["material", "month"], as_index=False)[
        ["arrived_t", "made_t", "fed_t", "used_t", "held_t"]
    ].sum()
    traced = stock[stock["material"].isin(set(content["material"]))]
    table = traced.merge(summed, on=["material", "month"], how="left").fillna(0.0)
    expected = {
        "arrived_t": table["arrivals_t"],
        "made_t": table["produced_t"],
        "fed_t": table["consumed_t"],
        "used_t": table["demand_t"] - table["shortfall_t"] + table["sold_t"] + table["disposed_t"],
        "held_t": table["stock_t"],
    }
    found = []
    for column, want in expected.items():
        off = _off(table[column], want)
        found += [
            f"{fam.CONTENT_BALANCE}: {r.material} {r.month}: {column} over origins is "
            f"{getattr(r, column):g} t, the stock table gives {w:g} t"
            for r, w in zip(table[off].itertuples(), want[off], strict=True)
        ]
    return found


def _arrivals_by_country(scenario: Scenario, plan: pd.DataFrame, content: pd.DataFrame):
    country = plan["supplier"].map(scenario.suppliers.set_index("supplier")["country"])
    bought = plan.assign(origin=country).groupby(["material", "origin", "month"])["tonnes"].sum()
    table = content.set_index(["material", "origin", "month"])["arrived_t"]
    traced = bought[bought.index.get_level_values("material").isin(set(content["material"]))]
    return [
        f"{fam.CONTENT_BALANCE}: {m} of {o} {t}: {r.got:g} t arrived by origin, the plan "
        f"lands {r.expected:g} t from {o}'s suppliers"
        for (m, o, t), r in _mismatched(traced, table).iterrows()
    ]


def _made_from_feed(scenario: Scenario, content: pd.DataFrame, feed: pd.DataFrame):
    """made[m, o, t] = sum over units u making m of yield[u, m] / input[u] x fed[u, o, t]."""
    lines = recipes(scenario)
    per_unit = lines[lines["coefficient"] < 0].groupby("unit")["coefficient"].sum().abs()
    outputs = lines[lines["coefficient"] > 0]
    into = feed.groupby(["unit", "origin", "month"], as_index=False)["fed_t"].sum()
    made = into.merge(outputs[["unit", "material", "coefficient"]], on="unit")
    made["made_t"] = made["fed_t"] * made["coefficient"] / made["unit"].map(per_unit)
    expected = made.groupby(["material", "origin", "month"])["made_t"].sum()
    table = content.set_index(["material", "origin", "month"])["made_t"]
    return [
        f"{fam.CONTENT_BALANCE}: {m} of {o} {t}: {r.got:g} t made by origin, the units' "
        f"feed of that origin makes {r.expected:g} t"
        for (m, o, t), r in _mismatched(expected, table).iterrows()
    ]


def _feed_of_runs(scenario: Scenario, processing: pd.DataFrame, feed: pd.DataFrame):
    """Each unit's feed of an input, over origins, is its throughput x the input per tonne."""
    lines = recipes(scenario)
    inputs = lines[lines["coefficient"] < 0]
    runs = processing[processing["throughput_t"] > 0][["unit", "month", "throughput_t"]]
    need = runs.merge(inputs[["unit", "material", "coefficient"]], on="unit")
    need["need_t"] = -need["coefficient"] * need["throughput_t"]
    need = need.set_index(["unit", "material", "month"])["need_t"]
    fed = feed.groupby(["unit", "material", "month"])["fed_t"].sum()
    return [
        f"{fam.CONTENT_FEED}: {u} {m} {t}: fed {r.got:g} t over origins, its throughput "
        f"needs {r.expected:g} t"
        for (u, m, t), r in _mismatched(need, fed).iterrows()
    ]


def content_made(content: pd.DataFrame | None) -> pd.DataFrame:
    """Units' output by the origin of its content, as the cap check counts it with
    share_basis origin (material, month, country, tonnes)."""
    columns = ["material", "month", "country", "tonnes"]
    if content is None:
        return pd.DataFrame(columns=columns)
    made = content[content["made_t"] > 0]
    return made.rename(columns={"origin": "country", "made_t": "tonnes"})[columns]
