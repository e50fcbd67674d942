"""The Pyomo engine against the fast engine: same objective, same duals, same statuses."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyomo.environ as pyo
import pytest

import optimizer
from models import families as fam
from models import highs_engine, pyomo_engine
from models.data import ModelData, compile_scenario
from models.solution import Solution, SolveOptions, Status
from optimizer.synthetic import synthetic_scenario

MONTHS = ["2026-01", "2026-02", "2026-03", "2026-04"]


def hand_made_scenario() -> optimizer.Scenario:
    """Two materials, four months, China capped at 50% of each month's arrivals.

    NdPr must be met in full, with a one-month floor from February and 25 t of storage;
    Dy may fall short at 5000 USD/t, and China's Dy offer is capped at 1.2 t a month.
    """
    settings = {
        "name": "hand-made", "start": MONTHS[0], "months": len(MONTHS), "cap_window": "month",
        "stockpile_cover_months": 1.0, "stockpile_from": MONTHS[1],
    }  # fmt: skip
    materials = pd.DataFrame(
        {
            "material": ["NdPr", "Dy"],
            "initial_stock_t": [5.0, 0.0],
            "holding_cost_usd_per_t_month": [10.0, 20.0],
            "shortfall_penalty_usd_per_t": [None, 5000.0],
            "cover_months": [None, 0.0],
            "storage_capacity_t": [25.0, None],
        }
    )
    suppliers = pd.DataFrame(
        {
            "supplier": ["CN1", "AU1", "US1"],
            "country": ["CN", "AU", "US"],
            "lead_time_months": [0, 1, 0],
            "freight_usd_per_t": [0.0, 50.0, 100.0],
            "tariff_pct": [0.0, 5.0, 0.0],
        }
    )
    offers = pd.DataFrame(
        {
            "supplier": ["CN1", "AU1", "US1", "CN1", "US1", "CN1"],
            "material": ["NdPr", "NdPr", "NdPr", "Dy", "Dy", "NdPr"],
            "month": [None, None, None, None, None, MONTHS[2]],
            "price_usd_per_t": [1000.0, 1200.0, 1500.0, 3000.0, 6500.0, 1100.0],
            "capacity_t_per_month": [30.0, 20.0, None, 1.2, None, 8.0],
        }
    )
    demand = pd.DataFrame(
        {
            "material": ["NdPr"] * 4 + ["Dy"] * 4,
            "month": MONTHS * 2,
            "demand_t": [10.0, 12.0, 15.0, 20.0, 2.0, 2.0, 3.0, 3.0],
        }
    )
    caps = pd.DataFrame({"country": ["CN"], "material": [None], "max_share": [0.5]})
    return optimizer.Scenario.from_frames(
        settings, materials=materials, suppliers=suppliers, offers=offers, demand=demand,
        country_caps=caps,
    )  # fmt: skip


@pytest.fixture(scope="module")
def hand() -> tuple[ModelData, Solution, Solution]:
    data = compile_scenario(hand_made_scenario())
    return data, highs_engine.solve(data), pyomo_engine.solve(data)


def plan_cost(data: ModelData, solution: Solution) -> float:
    """The objective recomputed from the plan and the data."""
    return float(
        data.arrive["landed_usd_per_t"].to_numpy() @ solution.arrive
        + data.stock["holding_cost_usd_per_t_month"].to_numpy() @ solution.stock
        + data.shortfall["shortfall_penalty_usd_per_t"].to_numpy() @ solution.shortfall
    )


def violations(data: ModelData, solution: Solution) -> dict[str, float]:
    """The largest violation of each constraint family by the plan, computed from the data."""
    n_materials, n_months = data.shape
    arrive, short = data.arrive, data.shortfall
    inflow = np.zeros(n_materials * n_months)
    np.add.at(inflow, arrive["m"] * n_months + arrive["t"], solution.arrive)
    np.add.at(inflow, short["m"] * n_months + short["t"], solution.shortfall)
    stock = solution.stock.reshape(n_materials, n_months)
    before = np.column_stack([data.initial_stock_t, stock[:, :-1]]).ravel()
    demand = data.stock["demand_t"].to_numpy()
    keyed = arrive.assign(w=data.window_of_month[arrive["t"]], amount=solution.arrive)
    by_country = keyed.groupby(["m", "w", "country"])["amount"].sum()
    by_window = keyed.groupby(["m", "w"])["amount"].sum()
    caps = data.caps
    capped = by_country.reindex(pd.MultiIndex.from_frame(caps[["m", "w", "country"]])).to_numpy()
    totals = by_window.reindex(pd.MultiIndex.from_frame(caps[["m", "w"]])).to_numpy()
    floor_cells = data.floors["m"] * n_months + data.floors["t"]
    return {
        fam.STOCK_BALANCE: np.abs(solution.stock - before - inflow + demand).max(),
        fam.STOCKPILE_FLOOR: max(0.0, *(data.floors["floor_t"] - solution.stock[floor_cells])),
        fam.COUNTRY_SHARE_CAP: max(0.0, *(capped - caps["max_share"].to_numpy() * totals)),
        fam.OFFER_CAPACITY: max(0.0, *(solution.arrive - arrive["capacity_t_per_month"])),
        fam.STORAGE_CAPACITY: max(0.0, *(solution.stock - data.stock["storage_capacity_t"])),
        "non-negativity": max(0.0, *-solution.arrive, *-solution.stock, *-solution.shortfall),
    }


def assert_same_duals(fast: Solution, pyomo: Solution) -> None:
    assert set(pyomo.row_duals) == set(fast.row_duals)
    assert set(pyomo.bound_duals) == set(fast.bound_duals)
    for family, duals in fast.row_duals.items():
        np.testing.assert_allclose(pyomo.row_duals[family], duals, rtol=1e-7, atol=1e-6)
    for family, duals in fast.bound_duals.items():
        np.testing.assert_allclose(pyomo.bound_duals[family], duals, rtol=1e-7, atol=1e-6)


# --- the hand-made scenario ------------------------------------------------------------------


def test_hand_made_objective_and_plan(hand):
    data, fast, pyomo = hand
    assert fast.status == pyomo.status == Status.OPTIMAL
    assert pyomo.has_plan and pyomo.engine == "pyomo" and pyomo.solver.startswith("highs ")
    assert pyomo.objective == pytest.approx(fast.objective, rel=1e-7)
    assert pyomo.objective == pytest.approx(132843.0, rel=1e-9)
    assert plan_cost(data, pyomo) == pytest.approx(pyomo.objective, rel=1e-9)
    np.testing.assert_allclose(pyomo.arrive, fast.arrive, atol=1e-7)
    np.testing.assert_allclose(pyomo.stock, fast.stock, atol=1e-7)
    np.testing.assert_allclose(pyomo.shortfall, fast.shortfall, atol=1e-7)
    assert pyomo.size == fast.size


def test_hand_made_duals_match_the_fast_engine(hand):
    _, fast, pyomo = hand
    assert_same_duals(fast, pyomo)


def test_hand_made_duals_by_hand(hand):
    """NdPr's marginal tonne comes half from China and half from the dearer non-China source
    the cap forces: 0.5 x 1000 + 0.5 x 1600 in January (US), 0.5 x 1000 + 0.5 x 1310 later (AU),
    0.5 x 1100 + 0.5 x 1310 in March (China's dated offer)."""
    data, _, pyomo = hand
    ndpr = (data.stock["material"] == "NdPr").to_numpy()
    balance = pyomo.row_duals[fam.STOCK_BALANCE][ndpr]
    # d(objective)/d(-demand): minus the marginal cost of a tonne of demand.
    np.testing.assert_allclose(balance, [-1300, -1155, -1205, -1155], atol=1e-6)
    # Floors from February: slack in February; in March a tonne bought at 1205 and held (10)
    # saves one at 1155 in April; in April a tonne costs 1155 + 10 holding.
    np.testing.assert_allclose(pyomo.row_duals[fam.STOCKPILE_FLOOR], [0, 60, 1165], atol=1e-6)
    caps = pyomo.row_duals[fam.COUNTRY_SHARE_CAP][(data.caps["material"] == "NdPr").to_numpy()]
    # One more tonne of China's share replaces a tonne of US (1600) or AU (1310) supply.
    np.testing.assert_allclose(caps, [-600, -310, -210, -310], atol=1e-6)
    # Storage is full in February: one more tonne stored then saves 1205 - 1155 - 10 in March.
    storage = pyomo.bound_duals[fam.STORAGE_CAPACITY][ndpr]
    np.testing.assert_allclose(storage, [0, -40, 0, 0], atol=1e-6)
    # China's Dy offer is exhausted every month.
    dy_china = ((data.arrive["material"] == "Dy") & (data.arrive["supplier"] == "CN1")).to_numpy()
    assert (pyomo.bound_duals[fam.OFFER_CAPACITY][dy_china] < -1).all()
    assert (pyomo.bound_duals[fam.OFFER_CAPACITY][~dy_china] == 0).all()


def test_dual_signs(hand):
    _, _, pyomo = hand
    assert (pyomo.row_duals[fam.STOCKPILE_FLOOR] >= -1e-9).all()
    assert (pyomo.row_duals[fam.COUNTRY_SHARE_CAP] <= 1e-9).all()
    for duals in pyomo.bound_duals.values():
        assert (duals <= 0).all()


def test_same_duals_through_a_legacy_solver_interface(hand):
    """``appsi_highs`` goes through ``pyo.SolverFactory``, which reports no reduced costs:
    the capacity duals are then derived from the row duals."""
    if not pyo.SolverFactory("appsi_highs").available(exception_flag=False):
        pytest.skip("appsi_highs is not available")
    data, fast, _ = hand
    legacy = pyomo_engine.solve(data, solver="appsi_highs")
    assert legacy.status == Status.OPTIMAL
    assert legacy.objective == pytest.approx(fast.objective, rel=1e-7)
    assert_same_duals(fast, legacy)


def test_interior_point_gives_the_same_duals(hand):
    data, fast, _ = hand
    ipm = pyomo_engine.solve(data, SolveOptions(algorithm="ipm"))
    assert ipm.objective == pytest.approx(fast.objective, rel=1e-7)
    assert_same_duals(fast, ipm)


def test_build_has_one_component_per_family(hand):
    data = hand[0]
    model = pyomo_engine.build(data)
    rows = {
        fam.STOCK_BALANCE: len(data.stock),
        fam.STOCKPILE_FLOOR: len(data.floors),
        fam.WINDOW_TOTAL: len(data.totals),
        fam.COUNTRY_SHARE_CAP: len(data.caps),
    }
    assert set(pyomo_engine.FAMILY_OF_CONSTRAINT.values()) == set(rows)
    for name, family in pyomo_engine.FAMILY_OF_CONSTRAINT.items():
        component = getattr(model, name)
        assert isinstance(component, pyo.Constraint)
        assert len(component) == rows[family]
    assert set(pyomo_engine.FAMILY_OF_UPPER_BOUND.values()) == set(fam.BOUND_FAMILIES)
    assert len(model.arrive) == len(data.arrive)
    assert model.arrive["Dy", "CN1", "2026-02"].ub == pytest.approx(1.2)
    assert model.arrive["NdPr", "US1", "2026-02"].ub is None  # unlimited
    assert model.stock["NdPr", "2026-01"].ub == 25.0


def test_quiet_unless_verbose(hand, capfd):
    pyomo_engine.solve(hand[0])
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    pyomo_engine.solve(hand[0], SolveOptions(verbose=True))
    assert "HiGHS" in capfd.readouterr().out


# --- generated scenarios ---------------------------------------------------------------------

GENERATED = [
    # materials, suppliers, months, seed, cap window
    (2, 3, 6, 0, "month"),
    (2, 4, 12, 1, "year"),
    (2, 5, 18, 2, "horizon"),
    (2, 6, 30, 3, "year"),
    (3, 3, 24, 4, "month"),
    (3, 4, 30, 5, "year"),
    (3, 5, 7, 6, "month"),
    (3, 6, 9, 7, "horizon"),
    (4, 3, 15, 8, "year"),
    (4, 5, 30, 9, "month"),
    (4, 6, 20, 10, "horizon"),
    (5, 3, 12, 11, "horizon"),
    (5, 4, 26, 12, "month"),
    (5, 5, 24, 13, "horizon"),
    (5, 6, 30, 14, "year"),
]


@pytest.mark.parametrize(("materials", "suppliers", "months", "seed", "window"), GENERATED)
def test_generated_scenarios_reach_the_same_optimum(materials, suppliers, months, seed, window):
    scenario = synthetic_scenario(materials, suppliers, months, seed, cap_window=window)
    data = compile_scenario(scenario)
    fast = highs_engine.solve(data)
    pyomo = pyomo_engine.solve(data)
    assert fast.status == pyomo.status == Status.OPTIMAL
    assert pyomo.objective == pytest.approx(fast.objective, rel=1e-7)
    assert plan_cost(data, pyomo) == pytest.approx(fast.objective, rel=1e-7)
    scale = max(1.0, float(data.stock["demand_t"].max()))
    for family, violation in violations(data, pyomo).items():
        assert violation <= 1e-6 * scale, family
    assert pyomo.size == fast.size
    for family, duals in fast.row_duals.items():
        assert pyomo.row_duals[family].shape == duals.shape
    for family, duals in fast.bound_duals.items():
        assert pyomo.bound_duals[family].shape == duals.shape


# --- statuses --------------------------------------------------------------------------------


def infeasible_scenario() -> optimizer.Scenario:
    """Material B is demanded in February but nobody offers it and no shortfall is allowed."""
    return optimizer.Scenario.from_frames(
        {"name": "no-supply", "start": "2026-01", "months": 3},
        materials=pd.DataFrame({"material": ["A", "B"]}),
        suppliers=pd.DataFrame({"supplier": ["S"], "country": ["XX"]}),
        offers=pd.DataFrame({"supplier": ["S"], "material": ["A"], "price_usd_per_t": [10.0]}),
        demand=pd.DataFrame({"material": ["B"], "month": ["2026-02"], "demand_t": [5.0]}),
    )


def test_infeasible_is_a_status_not_an_exception():
    data = compile_scenario(infeasible_scenario())
    solution = pyomo_engine.solve(data)
    assert solution.status == Status.INFEASIBLE
    assert highs_engine.solve(data).status == Status.INFEASIBLE
    assert not solution.has_plan
    assert solution.objective is None
    assert solution.row_duals == {} and solution.bound_duals == {}
    assert solution.size is not None and solution.size.constraints == len(data.stock)


def test_unknown_solver_raises():
    data = compile_scenario(infeasible_scenario())
    with pytest.raises(RuntimeError, match="not available"):
        pyomo_engine.solve(data, solver="no-such-solver")
