"""The registry of constraint families is the one source: every consumer covers every family,
and a new family is one record plus one function per engine (shown with a toy family)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pyomo.environ as pyo
import pytest
from builders import scenario
from test_golden_rows import SCENARIO as EVERY_FAMILY

from models import families as fam
from models import formulation_doc, highs_build, pyomo_model
from models.data import compile_scenario
from models.highs_engine import row_names
from models.highs_engine import solve as fast_solve
from models.highs_warm import WarmModel, numbers_for, point_data
from models.pyomo_engine import solve as pyomo_solve
from optimizer import solve
from optimizer.results import recheck, tables

ROOT = Path(__file__).resolve().parents[1]
RESULT_FILES = {"constraints.csv", "stock.csv", "plan.csv"}


def test_every_row_family_has_one_function_per_engine():
    rows = {family.name for family in fam.row_families()}
    assert set(highs_build.DEFINE) == rows
    assert set(pyomo_model.RULES) == rows


def test_engine_functions_state_their_family_from_the_registry():
    for family in fam.row_families():
        assert highs_build.DEFINE[family.name].__doc__.startswith(fam.doc_of(family.name))
        assert pyomo_model.RULES[family.name].__doc__.startswith(fam.doc_of(family.name))


def test_every_family_is_rechecked():
    assert set(recheck.CHECKS) == {family.name for family in fam.FAMILIES}


def test_every_family_says_where_it_is_reported_and_is_there():
    shown = {f.name for f in fam.FAMILIES if f.shown_in == tables.CONSTRAINTS_FILE}
    assert set(tables.CONSTRAINT_ROWS) == shown
    assert {f.shown_in for f in fam.FAMILIES} <= RESULT_FILES | {""}
    result = solve(EVERY_FAMILY)
    assert set(result.constraints["family"]) == shown  # the golden scenario has them all


def test_every_index_table_has_its_labels_and_bounds():
    data = compile_scenario(EVERY_FAMILY)
    for family in fam.FAMILIES:
        if family.index is None:
            continue
        rows = data.rows[family.name]
        assert {*family.labels, "lower", "upper"} <= set(rows.columns), family.name
        assert (rows["lower"] <= rows["upper"]).all(), family.name


def test_the_formulation_page_renders_the_registry():
    text = (ROOT / "docs" / "formulation.md").read_text(encoding="utf-8")
    assert formulation_doc.update(text) == text, "run: python -m models.formulation_doc"
    for family in fam.FAMILIES:
        assert family.inequality in text


# --- a toy family: one record, one function per engine ------------------------------------


TOY = "supplier-volume"
LIMIT_T = {"A": 5.0}  # supplier A may deliver at most 5 t over the horizon


def toy_rows(data) -> pd.DataFrame:
    suppliers = pd.DataFrame({"supplier": list(LIMIT_T), "limit": list(LIMIT_T.values())})
    return suppliers.assign(lower=-np.inf, upper=suppliers["limit"])


def fast_toy(b, data, rows, row) -> None:
    position = pd.Index(rows["supplier"]).get_indexer(data.arrive["supplier"])
    member = np.flatnonzero(position >= 0)
    b.add_entries(row[position[member]], b.column("arrive", member), 1.0)


def pyomo_toy(model, s):
    return sum(model.arrive[m, ss, t] for m, ss, t in model.OFFERS if ss == s) <= LIMIT_T[s]


@pytest.fixture
def toy_family(monkeypatch):
    record = fam.Family(
        TOY, fam.ROW, "a supplier delivers at most its volume over the horizon",
        "sum_{m,t} arrive[m,s,t] <= volume[s]", "<= 0: more volume never costs more",
        ("supplier",), "volume", toy_rows,
    )  # fmt: skip
    monkeypatch.setattr(fam, "FAMILIES", (*fam.FAMILIES, record))
    monkeypatch.setitem(highs_build.DEFINE, TOY, fast_toy)
    monkeypatch.setitem(pyomo_model.RULES, TOY, pyomo_toy)
    return record


TWO_SUPPLIERS = scenario(
    3,
    suppliers=[{"supplier": "A", "country": "XX"}, {"supplier": "B", "country": "YY"}],
    offers=[
        {"supplier": "A", "material": "Nd", "price_usd_per_t": 100},
        {"supplier": "B", "material": "Nd", "price_usd_per_t": 150},
    ],
    demand={"Nd": [4, 4, 4]},
)


@pytest.mark.parametrize("engine", ["highs", "pyomo"])
def test_a_new_family_reaches_both_engines_duals_and_names(toy_family, engine):
    """12 t to buy; A (100 USD/t) may deliver 5 t, B (150 USD/t) the other 7: 1,550 USD, and
    one tonne more of A's volume saves 50 USD."""
    data = compile_scenario(TWO_SUPPLIERS)
    solution = fast_solve(data) if engine == "highs" else pyomo_solve(data)
    assert solution.objective == pytest.approx(5 * 100 + 7 * 150)
    assert solution.row_duals[TOY] == pytest.approx([-50.0])
    assert "volume(A)" in row_names(data)


def test_a_new_family_is_kept_by_warm_re_solves(toy_family):
    model = WarmModel(TWO_SUPPLIERS)
    cheaper = TWO_SUPPLIERS.with_changes(
        offers=TWO_SUPPLIERS.offers.assign(price_usd_per_t=[100.0, 120.0])
    )
    solution, warm = model.solve(cheaper)
    assert warm and solution.objective == pytest.approx(5 * 100 + 7 * 120)


def test_the_pyomo_component_is_named_after_the_family(toy_family):
    model = pyomo_model.build(compile_scenario(TWO_SUPPLIERS))
    assert isinstance(model.supplier_volume, pyo.Constraint)
    assert dataclasses.replace(toy_family).component == "supplier_volume"


def test_warm_numbers_reread_every_family_a_point_changes():
    """A warm re-solve copies the numbers of blocks and rows whose ``reads`` a point does not
    touch: for a point that changes every number a point can, copying must give what reading
    everything again gives (a family whose ``reads`` missed a field would differ)."""
    base = EVERY_FAMILY
    materials = base.materials.assign(
        initial_stock_t=base.materials["initial_stock_t"] + 2,
        holding_cost_usd_per_t_month=base.materials["holding_cost_usd_per_t_month"] * 1.5,
        cover_months=3.0,
    )
    point = base.with_changes(
        materials=materials,
        offers=base.offers.assign(price_usd_per_t=base.offers["price_usd_per_t"] * 1.3),
        demand=base.demand.assign(demand_t=base.demand["demand_t"] * 0.9),
        country_caps=base.country_caps.assign(max_share=base.country_caps["max_share"] - 0.1),
    )
    model = WarmModel(base)
    data = point_data(point, base, model.data)
    assert data is not None  # same structure: a warm re-solve
    copied = numbers_for(data, model.lp, base=model.numbers)
    reread = numbers_for(data, model.lp)
    for field in ("cost", "col_upper", "row_lower", "row_upper", "cap_coefficient"):
        assert np.array_equal(getattr(copied, field), getattr(reread, field)), field
    assert not np.array_equal(copied.row_lower, model.numbers.row_lower)  # the point moved
