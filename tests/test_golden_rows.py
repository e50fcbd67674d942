"""A golden listing per constraint family: the rows the fast engine builds for a small scenario,
written out term by term. A change to a family's rows shows up as a readable diff.

Regenerate after an intended change with ``UPDATE_GOLDEN=1 pytest tests/test_golden_rows.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from builders import scenario

from models import families as fam
from models.data import compile_scenario
from models.highs_build import build_model
from models.highs_engine import column_names, row_names

GOLDEN = Path(__file__).parent / "golden"
# Two materials, two suppliers in two countries (one with a lead time and a dated override),
# a cap per year over two calendar years, a floor from the second month (soft on one material,
# a fixed tonnage on another), a shortfall penalty, a storage limit, a ramping process and a
# closing credit: every family has rows or bounds.
SCENARIO = scenario(
    3,
    start="2026-11",
    materials=[
        {"material": "Dy", "initial_stock_t": 1, "holding_cost_usd_per_t_month": 2},
        {"material": "Nd", "shortfall_penalty_usd_per_t": 900, "storage_capacity_t": 50,
         "floor_penalty_usd_per_t_month": 400},
        {"material": "Ore", "floor_t": 2},
        {"material": "La", "sale_price_usd_per_t": 30, "sale_limit_t_per_month": 4,
         "disposal_cost_usd_per_t": 5},
    ],
    suppliers=[
        {"supplier": "CN-A", "country": "CN", "tariff_pct": 10, "freight_usd_per_t": 5},
        {"supplier": "AU-B", "country": "AU", "lead_time_months": 1},
    ],
    offers=[
        {"supplier": "CN-A", "material": "Dy", "price_usd_per_t": 100},
        {"supplier": "CN-A", "material": "Nd", "price_usd_per_t": 50, "capacity_t_per_month": 8},
        {"supplier": "AU-B", "material": "Dy", "price_usd_per_t": 150, "capacity_t_per_month": 4},
        {"supplier": "AU-B", "material": "Dy", "month": "2026-12", "price_usd_per_t": 160,
         "capacity_t_per_month": 2},
        {"supplier": "AU-B", "material": "Nd", "price_usd_per_t": 70},
        {"supplier": "AU-B", "material": "Ore", "price_usd_per_t": 9},
    ],
    demand={"Dy": [3, 3, 4], "Nd": [5, 6, 7]},
    caps=[{"country": "CN", "max_share": 0.6}, {"country": "CN", "material": "Nd",
                                                "max_share": 0.5}],
    processes=[{"process": "SEP", "country": "IN", "capacity_t_per_month": 6,
                "operating_cost_usd_per_t": 3, "first_month": "2026-12", "ramp_months": 2,
                "ramp_start_fraction": 0.5}],
    process_io=[
        {"process": "SEP", "material": "Ore", "direction": "input", "t_per_t": 1},
        {"process": "SEP", "material": "Nd", "direction": "output", "t_per_t": 0.25},
        {"process": "SEP", "material": "La", "direction": "output", "t_per_t": 0.5},
        {"process": "SEP2", "material": "Ore", "direction": "input", "t_per_t": 1},
        {"process": "SEP2", "material": "Nd", "direction": "output", "t_per_t": 0.3},
        {"process": "SEP2", "material": "La", "direction": "output", "t_per_t": 0.5},
    ],
    expansions=[
        {"option": "SEP+", "process": "SEP", "capacity_t_per_month": 4,
         "build_lead_time_months": 2, "capital_cost_usd": 1200, "lifetime_years": 10,
         "exclusive_group": "G"},
        {"option": "SEP2", "process": "SEP", "capacity_t_per_month": 5,
         "operating_cost_usd_per_t": 2, "build_lead_time_months": 2, "capital_cost_usd": 1500,
         "lifetime_years": 10, "exclusive_group": "G"},
        {"option": "SEP++", "process": "SEP", "capacity_t_per_month": 3,
         "build_lead_time_months": 1, "capital_cost_usd": 600, "lifetime_years": 10,
         "requires": "SEP+"},
    ],
    contracts=[{"contract": "K", "supplier": "AU-B", "material": "Dy", "start_month": "2026-12",
                "fixed_cost_usd": 40, "min_t_per_month": 1, "max_t_per_month": 3,
                "price_usd_per_t": 120}],
    stockpile_cover_months=1.5,
    stockpile_from="2026-12",
    budget_usd_per_year=5000,
    discount_rate_pct=0,
)  # fmt: skip
# The same with the caps counting content by origin: the content families' rows, and the caps'.
ORIGIN = SCENARIO.with_changes(settings=SCENARIO.settings.with_changes(share_basis="origin"))
CONTENT_FAMILIES = (fam.CONTENT_BALANCE, fam.CONTENT_FEED, fam.CONTENT_USE)


def _term(value: float, name: str) -> str:
    return f"{'+' if value >= 0 else '-'} {abs(value):g} {name}"


def _bound(lower: float, upper: float) -> str:
    if lower == upper:
        return f"= {lower:g}"
    if np.isinf(upper):
        return f">= {lower:g}"
    if np.isinf(lower):
        return f"<= {upper:g}"
    return f"in [{lower:g}, {upper:g}]"


def listing(family: str, scenario=None) -> str:
    """The family's rows (or, for a bound family, its finite bounds), one per line; the
    content families' from the scenario with share_basis origin."""
    if scenario is None:
        scenario = ORIGIN if family in CONTENT_FAMILIES else SCENARIO
    data = compile_scenario(scenario)
    lp = build_model(data)
    columns = column_names(data)
    if family in fam.BOUND_FAMILIES:
        block = lp.columns[fam.BOUND_BLOCKS[family]]
        return "".join(
            f"{columns[j]} <= {lp.col_upper[j]:g}\n"
            for j in range(block.start, block.stop)
            if np.isfinite(lp.col_upper[j])
        )
    rows = lp.rows[family]
    matrix = lp.matrix.tocsr()
    names = row_names(data)
    lines = []
    for i in range(rows.start, rows.stop):
        start, stop = matrix.indptr[i], matrix.indptr[i + 1]
        terms = " ".join(
            _term(v, columns[j])
            for j, v in zip(matrix.indices[start:stop], matrix.data[start:stop], strict=True)
        )
        lines.append(f"{names[i]}: {terms} {_bound(lp.row_lower[i], lp.row_upper[i])}\n")
    return "".join(lines)


def test_objective_listing():
    data = compile_scenario(SCENARIO)
    lp = build_model(data)
    text = "".join(
        f"{name}: {cost:g}\n" for name, cost in zip(column_names(data), lp.cost, strict=True)
    )
    _compare("objective", text)


@pytest.mark.parametrize("family", [*fam.ROW_FAMILIES, *fam.BOUND_FAMILIES])
def test_family_rows_match_their_golden_listing(family):
    text = listing(family)
    assert text, f"the scenario should exercise {family}"
    _compare(family, text)


def test_caps_on_content_by_origin_listing():
    _compare("country-share-cap-origin", listing(fam.COUNTRY_SHARE_CAP, ORIGIN))


def test_every_family_has_a_golden_listing():
    listed = (*fam.ROW_FAMILIES, *fam.BOUND_FAMILIES, "objective", "country-share-cap-origin")
    expected = {f"{f}.txt" for f in listed}
    assert {p.name for p in GOLDEN.glob("*.txt")} == expected


def _compare(name: str, text: str) -> None:
    path = GOLDEN / f"{name}.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text, f"{name} changed: see {path}"
