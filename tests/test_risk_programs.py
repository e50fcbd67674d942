"""Every scenario's LP derived as arrays (``models.risk_programs``) is the LP ``build_model``
builds from that scenario's data: the same costs, bounds, row bounds and coefficients, with
delayed orders (another structure), price factors, a budget and released floors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.data import compile_scenario
from models.highs_build import build_model
from models.risk import resolve_effects, scenario_data
from models.risk_build import build_extensive
from models.risk_engine import risk_tree
from models.risk_programs import scenario_programs
from optimizer.inputs.synthetic import synthetic_scenario


def disrupted(samples: int = 0):
    """A generated MIP (chains, contracts, a budget) whose first country may be cut off,
    delayed by two months with dearer prices, or both."""
    base = synthetic_scenario(3, 4, 12, seed=3, chains=1, budget_usd_per_year=1e9)
    country = base.suppliers["country"].iloc[0]
    events = pd.DataFrame(
        {
            "event": ["cut", "slow"],
            "description": ["", ""],
            "monthly_probability": [0.1, 0.15],
            "mean_months": [3.0, 2.0],
            "months": [np.nan, np.nan],
            "earliest_month": [None, None],
        }
    )
    effects = pd.DataFrame({"event": ["cut", "slow"], "country": [country, country],
                            "supplier": [None, None], "material": [None, None],
                            "capacity_factor": [0.0, 0.5], "price_factor": [1.0, 1.3],
                            "extra_lead_months": [0, 2]})  # fmt: skip
    paths = pd.DataFrame([
        {"scenario": "cut", "probability": 0.2, "event": "cut",
         "start_month": base.horizon[7], "months": 3},
        {"scenario": "slow", "probability": 0.2, "event": "slow",
         "start_month": base.horizon[4], "months": 4},
        {"scenario": "both", "probability": 0.1, "event": "cut",
         "start_month": base.horizon[8], "months": 2},
        {"scenario": "both", "probability": 0.1, "event": "slow",
         "start_month": base.horizon[4], "months": 4}])  # fmt: skip
    settings = base.settings.with_changes(samples=samples, seed=5, refill_months=1)
    return base.with_changes(events=events, event_effects=effects, settings=settings,
                             risk_scenarios=paths if not samples else paths.iloc[:0])  # fmt: skip


@pytest.mark.parametrize("samples", [0, 40])
def test_each_scenario_lp_is_the_one_its_data_builds(samples):
    sc = disrupted(samples)
    base = compile_scenario(sc)
    tree = risk_tree(sc, base.months)
    effects = resolve_effects(sc, base, tree.events)
    datas = [scenario_data(base, sc, tree, effects, s) for s in range(tree.size)]
    programs = scenario_programs(datas)
    assert len(programs.groups) > 1  # delayed orders land elsewhere: another structure
    assert any((d.floors["floor_t"] == 0).any() for d in datas)  # some floor is released
    budget = programs.layout.rows["annual-budget"]
    assert budget.stop > budget.start  # an arrival's cost is also its budget coefficient
    assert len(np.unique(programs.cost, axis=0)) > 1  # dearer prices in some scenarios
    for s, data in enumerate(datas):
        derived, built = programs.program(s), build_model(data)
        for name in ("cost", "col_lower", "col_upper", "row_lower", "row_upper", "integrality"):
            assert np.array_equal(getattr(derived, name), getattr(built, name)), (s, name)
        assert (derived.matrix != built.matrix).nnz == 0, s
    form = build_extensive(datas, tree, 0.5, 0.8, programs=programs)
    assert np.array_equal(form.scenario_cost, programs.cost)
    assert form.lp.size.variables == form.column_of.max() + 1 + tree.size + 1


def test_scenarios_are_grouped_by_structure_as_np_unique_groups_them():
    # The groups are numbered as np.unique(axis=0) numbers them: rows in lexicographic order,
    # each group's first scenario the first with its row.
    from models.risk_programs import _structures

    rng = np.random.default_rng(1)
    for _ in range(200):
        n_s, n_arrivals = int(rng.integers(1, 30)), int(rng.integers(1, 6))
        kinds = rng.integers(0, 4, (int(rng.integers(1, 5)), n_arrivals))
        landing = kinds[rng.integers(0, len(kinds), n_s)].astype(np.int64)
        _, first, group_of = np.unique(landing, axis=0, return_index=True, return_inverse=True)
        mine = _structures(landing)
        np.testing.assert_array_equal(mine[0], first)
        np.testing.assert_array_equal(mine[1], group_of.ravel())
