"""The Pyomo engine against the fast engine: same objective, same duals, same statuses; with a
processing chain (a MIP), the same decisions and the duals of the LP with them fixed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyomo.environ as pyo
import pytest
from pyomo.repn.standard_repn import generate_standard_repn

import optimizer
from models import families as fam
from models import highs_build, highs_engine, pyomo_engine
from models.data import ModelData, compile_scenario
from models.solution import ModelSize, Solution, SolveOptions, Status
from optimizer.inputs.synthetic import synthetic_scenario

MONTHS = ["2026-01", "2026-02", "2026-03", "2026-04"]
FIXTURES = Path(__file__).parent / "fixtures"


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
    """The objective recomputed from the plan and the data: purchases (a contracted tonne's
    duty and freight; its price is on ``paid``), holding, shortfall, processing, sales,
    disposal, contract payments, capital and fixed costs, tonnes under a floor at their
    penalty, less the closing stock credit."""
    chain, arrive = data.chain, data.arrive
    contracted = arrive["contract_k"].to_numpy() >= 0
    arrive_cost = arrive["landed_usd_per_t"].to_numpy() - np.where(
        contracted, arrive["price_usd_per_t"].to_numpy(), 0.0
    )
    run_cost = _floats(chain.units["operating_cost_usd_per_t"])[_ints(chain.runs["u"])]
    paid_price = _floats(chain.contracts["price_usd_per_t"])[_ints(chain.paid["k"])]
    return float(
        arrive_cost @ solution.arrive
        + data.stock["holding_cost_usd_per_t_month"].to_numpy() @ solution.stock
        + data.shortfall["shortfall_penalty_usd_per_t"].to_numpy() @ solution.shortfall
        + run_cost @ solution.run
        - _floats(chain.sales["sale_price_usd_per_t"]) @ solution.sell
        + _floats(chain.disposals["disposal_cost_usd_per_t"]) @ solution.dispose
        + paid_price @ solution.paid
        + _floats(chain.options["capital_in_horizon_usd"]) @ solution.build
        + _floats(chain.contracts["fixed_cost_usd"]) @ solution.sign
        + _floats(data.below["penalty"]) @ solution.below
        - _floats(data.credits["value_usd_per_t"]) @ solution.credit
    )


def _floats(column: pd.Series) -> np.ndarray:
    return column.to_numpy(dtype=float)


def _ints(column: pd.Series) -> np.ndarray:
    return column.to_numpy(dtype=int)


def _worst(excess) -> float:
    """The largest positive entry (0 for none)."""
    return float(np.append(0.0, np.asarray(excess, dtype=float).ravel()).max())


def violations(data: ModelData, solution: Solution) -> dict[str, float]:
    """The largest violation of each constraint family by the plan, computed from the data
    (the annual budget's as a fraction of the budget)."""
    chain = data.chain
    n_materials, n_months = data.shape
    arrive, short = data.arrive, data.shortfall
    lines = chain.runs.assign(run=np.arange(len(chain.runs))).merge(chain.recipe, on="u")
    made = lines.assign(amount=lines["coefficient"] * solution.run[_ints(lines["run"])])
    inflow = np.zeros(n_materials * n_months)
    np.add.at(inflow, arrive["m"] * n_months + arrive["t"], solution.arrive)
    np.add.at(inflow, short["m"] * n_months + short["t"], solution.shortfall)
    np.add.at(inflow, _ints(made["m"]) * n_months + _ints(made["t"]), made["amount"].to_numpy())
    for outlet, amount in ((chain.sales, solution.sell), (chain.disposals, solution.dispose)):
        np.add.at(inflow, _ints(outlet["m"]) * n_months + _ints(outlet["t"]), -amount)
    stock = solution.stock.reshape(n_materials, n_months)
    before = np.column_stack([data.initial_stock_t, stock[:, :-1]]).ravel()
    demand = data.stock["demand_t"].to_numpy()
    # Supply for the share caps: every arrival, and each unit's output for its country.
    outputs = made[made["coefficient"] > 0]
    supply = pd.concat(
        [
            pd.DataFrame({"m": arrive["m"], "t": arrive["t"], "country": arrive["country"],
                          "amount": solution.arrive}),
            pd.DataFrame({"m": outputs["m"], "t": outputs["t"],
                          "country": chain.units["country"].to_numpy()[_ints(outputs["u"])],
                          "amount": outputs["amount"]}),
        ],
        ignore_index=True,
    )  # fmt: skip
    supply["w"] = data.window_of_month[_ints(supply["t"])]
    by_country = supply.groupby(["m", "w", "country"])["amount"].sum()
    by_window = supply.groupby(["m", "w"])["amount"].sum()
    caps = data.caps
    capped = by_country.reindex(pd.MultiIndex.from_frame(caps[["m", "w", "country"]])).to_numpy()
    totals = by_window.reindex(pd.MultiIndex.from_frame(caps[["m", "w"]])).to_numpy()
    floor_cells = data.floors["m"] * n_months + data.floors["t"]
    under = np.zeros(len(data.floors))
    under[_ints(data.below["floor_row"])] = solution.below
    last = _ints(data.credits["m"]) * n_months + _ints(data.credits["t"])
    # Processing: an existing unit's capacity is a bound, an option's needs the option built.
    units = chain.units
    u = _ints(chain.runs["u"])
    option = _ints(units["o"])[u]
    capacity = _floats(chain.runs["capacity_t"])  # ramped up from each unit's first month
    built = np.where(option >= 0, solution.build[np.maximum(option, 0)], 1.0)
    options = chain.options
    groups = options["exclusive_group"]
    per_group = pd.Series(solution.build).groupby(groups.to_numpy()).sum()
    requires = _ints(options["requires"])
    requiring = np.flatnonzero(requires >= 0)
    # Contracts: tonnes landed per paid month.
    contracts, paid = chain.contracts, chain.paid
    taken = arrive.assign(amount=solution.arrive)[arrive["contract_k"] >= 0]
    taken = taken.groupby(["contract_k", "t"])["amount"].sum()
    landed = taken.reindex(pd.MultiIndex.from_frame(paid[["k", "t"]]), fill_value=0.0).to_numpy()
    k = _ints(paid["k"])
    signed = solution.sign[k]
    budget = _floats(chain.budget["limit_usd"])
    return {
        fam.STOCK_BALANCE: np.abs(solution.stock - before - inflow + demand).max(),
        fam.STOCKPILE_FLOOR: _worst(
            data.floors["floor_t"] - solution.stock[floor_cells] - under
        ),
        fam.CLOSING_STOCK: _worst(solution.credit - solution.stock[last]),
        "closing-credit": _worst(solution.credit - _floats(data.credits["limit_t"])),
        "shortfall-limit": _worst(
            solution.shortfall - _floats(data.shortfall["demand_t"])
        ),
        fam.COUNTRY_SHARE_CAP: _worst(capped - caps["max_share"].to_numpy() * totals),
        fam.OFFER_CAPACITY: _worst(solution.arrive - arrive["capacity_t_per_month"]),
        fam.STORAGE_CAPACITY: _worst(solution.stock - data.stock["storage_capacity_t"]),
        fam.PROCESS_CAPACITY: _worst((solution.run - capacity)[option < 0]),
        fam.EXPANSION_CAPACITY: _worst(solution.run - capacity * built),
        fam.EXCLUSIVE_OPTIONS: _worst(per_group - 1),
        fam.OPTION_REQUIRES: _worst(
            solution.build[requiring] - solution.build[requires[requiring]]
        ),
        fam.SALES_LIMIT: _worst(solution.sell - _floats(chain.sales["sale_limit_t_per_month"])),
        fam.CONTRACT_VOLUME: _worst(
            landed - _floats(contracts["max_t_per_month"])[k] * signed
        ),
        fam.CONTRACT_PAID: _worst(landed - solution.paid),
        fam.TAKE_OR_PAY: _worst(_floats(contracts["min_t_per_month"])[k] * signed - solution.paid),
        fam.ANNUAL_BUDGET: _worst(annual_spending(data, solution) / budget - 1),
        "yes/no": _worst(np.abs(np.concatenate([solution.build, solution.sign]) % 1)),
        "non-negativity": _worst(np.concatenate([-getattr(solution, block)
                                                  for block in pyomo_engine.VALUE_BLOCKS])),
    }  # fmt: skip


def annual_spending(data: ModelData, solution: Solution) -> np.ndarray:
    """What the plan spends in each budget year: purchases (a contracted tonne's duty and
    freight), processing, contract payments, fixed costs in the contract's first year, capital."""
    chain = data.chain
    years = chain.budget["year"].astype(str).tolist()
    year_of_month = np.array([years.index(month[:4]) if month[:4] in years else -1
                              for month in data.months])  # fmt: skip
    spent = np.zeros(len(years))
    if not years:
        return spent
    arrive = data.arrive
    contracted = arrive["contract_k"].to_numpy() >= 0
    arrive_cost = arrive["landed_usd_per_t"].to_numpy() - np.where(
        contracted, arrive["price_usd_per_t"].to_numpy(), 0.0
    )
    np.add.at(spent, year_of_month[_ints(arrive["t"])], arrive_cost * solution.arrive)
    run_cost = _floats(chain.units["operating_cost_usd_per_t"])[_ints(chain.runs["u"])]
    np.add.at(spent, year_of_month[_ints(chain.runs["t"])], run_cost * solution.run)
    price = _floats(chain.contracts["price_usd_per_t"])[_ints(chain.paid["k"])]
    np.add.at(spent, year_of_month[_ints(chain.paid["t"])], price * solution.paid)
    fixed = _floats(chain.contracts["fixed_cost_usd"]) * solution.sign
    np.add.at(spent, year_of_month[_ints(chain.contracts["fixed_t"])], fixed)
    capital = chain.capital_by_month * solution.build[:, None]
    np.add.at(spent, year_of_month, capital.sum(axis=0) if len(capital) else 0.0)
    return spent


def stored_size(data: ModelData) -> ModelSize:
    """The fast engine's model size, counting only the coefficients that are not zero: its
    matrix keeps explicit zeros (a contract without a fixed cost in the budget row, say), which
    Pyomo leaves out of its rows."""
    lp = highs_build.build_model(data)
    return ModelSize(lp.size.variables, lp.size.constraints, int(np.count_nonzero(lp.matrix.data)))


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
    # 132,843 USD of costs, less the closing credit: NdPr's last floor (one month of April's
    # 20 t) at its lowest landed price in the horizon (CN1, 1,000 USD/t): 20,000.
    assert pyomo.objective == pytest.approx(132843.0 - 20000.0, rel=1e-9)
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
    assert set(pyomo_engine.FAMILY_OF_CONSTRAINT.values()) == set(fam.ROW_FAMILIES)
    assert_one_row_per_fast_row(data, model)
    assert set(pyomo_engine.FAMILY_OF_UPPER_BOUND.values()) == set(fam.BOUND_FAMILIES)
    assert len(model.arrive) == len(data.arrive)
    assert model.arrive["Dy", "CN1", "2026-02"].ub == pytest.approx(1.2)
    assert model.arrive["NdPr", "US1", "2026-02"].ub is None  # unlimited
    assert model.stock["NdPr", "2026-01"].ub == 25.0
    assert len(model.run) == len(model.build) == len(model.contracted) == 0  # no chain: an LP


def assert_one_row_per_fast_row(data: ModelData, model: pyo.ConcreteModel) -> None:
    """Each family's component has as many rows as the fast engine's block of that family."""
    rows = highs_build.build_model(data).rows
    for name, family in pyomo_engine.FAMILY_OF_CONSTRAINT.items():
        component = getattr(model, name)
        assert isinstance(component, pyo.Constraint)
        assert len(component) == rows[family].stop - rows[family].start, family


def test_quiet_unless_verbose(hand, capfd):
    pyomo_engine.solve(hand[0])
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    pyomo_engine.solve(hand[0], SolveOptions(verbose=True))
    assert "HiGHS" in capfd.readouterr().out


# --- generated scenarios ---------------------------------------------------------------------

GENERATED = [
    # materials, suppliers, months, seed, cap window; slow: the dearer ones as measured (the quick
    # loop keeps a few small ones, every cap window among them)
    (2, 3, 6, 0, "month"),
    pytest.param(2, 4, 12, 1, "year", marks=pytest.mark.slow),
    (2, 5, 18, 2, "horizon"),
    pytest.param(2, 6, 30, 3, "year", marks=pytest.mark.slow),
    pytest.param(3, 3, 24, 4, "month", marks=pytest.mark.slow),
    (3, 4, 30, 5, "year"),
    pytest.param(3, 5, 7, 6, "month", marks=pytest.mark.slow),
    (3, 6, 9, 7, "horizon"),
    pytest.param(4, 3, 15, 8, "year", marks=pytest.mark.slow),
    pytest.param(4, 5, 30, 9, "month", marks=pytest.mark.slow),
    pytest.param(4, 6, 20, 10, "horizon", marks=pytest.mark.slow),
    pytest.param(5, 3, 12, 11, "horizon", marks=pytest.mark.slow),
    pytest.param(5, 4, 26, 12, "month", marks=pytest.mark.slow),
    (5, 5, 24, 13, "horizon"),
    pytest.param(5, 6, 30, 14, "year", marks=pytest.mark.slow),
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
    assert_feasible(data, pyomo)
    assert pyomo.size == stored_size(data)
    assert_aligned(fast, pyomo)


def assert_feasible(data: ModelData, solution: Solution) -> None:
    scale = max(1.0, float(data.stock["demand_t"].max()))
    for family, violation in violations(data, solution).items():
        tolerance = 1e-9 if family == fam.ANNUAL_BUDGET else 1e-6 * scale
        assert violation <= tolerance, family


def assert_aligned(fast: Solution, pyomo: Solution) -> None:
    """Every value block, row dual and bound dual of the fast engine, with the same shape."""
    for block in pyomo_engine.VALUE_BLOCKS:
        assert getattr(pyomo, block).shape == getattr(fast, block).shape, block
    assert set(pyomo.row_duals) == set(fast.row_duals) == set(fam.ROW_FAMILIES)
    assert set(pyomo.bound_duals) == set(fast.bound_duals) == set(fam.BOUND_FAMILIES)
    for family, duals in fast.row_duals.items():
        assert pyomo.row_duals[family].shape == duals.shape, family
    for family, duals in fast.bound_duals.items():
        assert pyomo.bound_duals[family].shape == duals.shape, family


# --- a processing chain: a MIP ---------------------------------------------------------------


def chain_small() -> optimizer.Scenario:
    return optimizer.load_scenario(FIXTURES / "chain-small")


@pytest.fixture(scope="module")
def chain() -> tuple[ModelData, Solution, Solution]:
    data = compile_scenario(chain_small())
    return data, highs_engine.solve(data), pyomo_engine.solve(data)


def assert_same_mip_optimum(fast: Solution, pyomo: Solution) -> None:
    """The same objective (to 1e-6, or to the gap either engine stopped at) and the gap and
    bound reported."""
    assert fast.status == pyomo.status == Status.OPTIMAL
    assert pyomo.mip_gap is not None and pyomo.best_bound is not None
    gap = max(1e-6, fast.mip_gap or 0.0, pyomo.mip_gap)
    assert pyomo.objective == pytest.approx(fast.objective, rel=gap)
    assert pyomo.best_bound <= pyomo.objective * (1 + 1e-9)
    assert pyomo.mip_gap == pytest.approx(
        abs(pyomo.objective - pyomo.best_bound) / abs(pyomo.objective), abs=1e-12
    )


def test_chain_reaches_the_same_optimum(chain):
    data, fast, pyomo = chain
    assert_same_mip_optimum(fast, pyomo)
    assert pyomo.objective == pytest.approx(1194200.0, rel=1e-9)
    # Buying NdPr oxide on the frame contract beats building; the Lynas off-take is not signed.
    np.testing.assert_array_equal(pyomo.build, fast.build)
    np.testing.assert_array_equal(pyomo.sign, fast.sign)
    np.testing.assert_array_equal(pyomo.sign, [0, 1])
    assert plan_cost(data, pyomo) == pytest.approx(pyomo.objective, rel=1e-9)
    assert_feasible(data, pyomo)
    assert_aligned(fast, pyomo)
    assert pyomo.size == stored_size(data)
    assert pyomo.algorithm == "mip" and pyomo.duals_from_fixed_lp


def test_build_of_the_chain(chain):
    data = chain[0]
    model = pyomo_engine.build(data)
    assert_one_row_per_fast_row(data, model)
    assert model.run["sep-plant", "2026-01"].ub == 20.0  # process-capacity: a bound
    assert model.run["sep-expand", "2026-03"].ub is None  # an option's: expansion-capacity
    assert ("sep-expand", "2026-02") not in model.run  # two months to build
    assert model.sell["Ce-oxide", "2026-01"].ub == 20.0  # sales-limit
    assert model.dispose["Ce-oxide", "2026-01"].ub is None
    assert model.build["sep-expand"].is_binary() and model.sign["cn-frame"].is_binary()
    # The frame contract covers everything its supplier offers, from its first arrival on
    # (2026-02, a month's lead): arrivals are indexed by their order month.
    assert ("cn-frame", "NdPr-oxide", "2026-01") in model.contracted
    assert ("cn-frame", "NdPr-oxide", "2025-12") not in model.contracted
    assert [tuple(k) for k in model.CONTRACTS_OF["NdPr-oxide", "2026-02"]] == [
        ("cn-frame", "2026-01")
    ]
    assert list(model.GROUPS) == ["sep-upgrade"]
    assert model.required["metal-line-b"] == "sep-expand"
    # Rows reach the solver as the fast engine writes them (so the duals have its signs).
    assert row_of(model.option_requires["metal-line-b"]) == (
        {"build[metal-line-b]": 1.0, "build[sep-expand]": -1.0},
        None,
        0.0,
    )
    assert row_of(model.contract_paid["lynas-offtake", "2026-03"]) == (
        # paid in the landing month, for the tonnes ordered a month before
        {"paid[lynas-offtake,2026-03]": 1.0, "contracted[lynas-offtake,carbonate,2026-02]": -1.0},
        0.0,
        None,
    )
    assert row_of(model.take_or_pay["lynas-offtake", "2026-03"]) == (
        {"paid[lynas-offtake,2026-03]": 1.0, "sign[lynas-offtake]": -10.0},
        0.0,
        None,
    )
    assert row_of(model.expansion_capacity["metal-line-b", "2026-04"]) == (
        {"run[metal-line-b,2026-04]": 1.0, "build[metal-line-b]": -2.0},
        None,
        0.0,
    )
    coefficients, lower, upper = row_of(model.annual_budget["2026"])
    assert lower is None and upper == 40e6
    assert coefficients["sign[lynas-offtake]"] == 250000.0
    assert "sign[cn-frame]" not in coefficients  # no fixed cost
    assert coefficients["contracted[cn-frame,NdPr-oxide,2026-02]"] == pytest.approx(63060 - 60000)
    assert coefficients["paid[cn-frame,2026-02]"] == 60000.0
    capital = data.chain.capital_by_month.sum(axis=1)
    assert coefficients["build[sep-partner]"] == pytest.approx(capital[1])


def row_of(row) -> tuple[dict[str, float], float | None, float | None]:
    """A row as the solver gets it: coefficients by variable name, lower and upper bound."""
    repn = generate_standard_repn(row.body, compute_values=True, quadratic=False)
    coefficients = {var.name: float(coef) for var, coef in zip(
        repn.linear_vars, repn.linear_coefs, strict=True)}  # fmt: skip
    lower = None if row.lower is None else pyo.value(row.lower) - repn.constant
    upper = None if row.upper is None else pyo.value(row.upper) - repn.constant
    return coefficients, lower, upper


def test_chain_duals_of_the_fixed_lp(chain):
    """The fixed LP is degenerate where a decision is fixed at 0: the rows of the unsigned
    Lynas off-take and Ce oxide before anything runs have more than one optimal dual, and the
    engines' HiGHS runs (columns in another order) pick different ones. Every other row dual
    is the same, and both engines' duals are optimal for the fixed LP."""
    data, fast, pyomo = chain
    assert fast.duals_from_fixed_lp and pyomo.duals_from_fixed_lp
    assert_aligned(fast, pyomo)
    unsigned = (data.chain.paid["contract"] == "lynas-offtake").to_numpy()
    minimum = data.chain.contracts["min_t_per_month"].to_numpy()[data.chain.paid["k"]] > 0
    degenerate = {
        fam.STOCK_BALANCE: ((data.stock["material"] == "Ce-oxide") & (data.stock["t"] == 0)),
        fam.CONTRACT_VOLUME: unsigned,
        fam.CONTRACT_PAID: unsigned,
        fam.TAKE_OR_PAY: unsigned[minimum],
    }
    for family, duals in fast.row_duals.items():
        same = ~np.asarray(degenerate.get(family, np.zeros(len(duals), bool)))
        np.testing.assert_allclose(pyomo.row_duals[family][same], duals[same], atol=1e-6)
    for family, duals in fast.bound_duals.items():
        np.testing.assert_allclose(pyomo.bound_duals[family], duals, atol=1e-6)
    # Some of them bind: the frame contract's paid rows, a share cap, unbuilt capacity.
    assert (pyomo.row_duals[fam.CONTRACT_PAID][~unsigned] > 1000).all()
    assert pyomo.row_duals[fam.COUNTRY_SHARE_CAP].min() < -1000
    assert pyomo.row_duals[fam.EXPANSION_CAPACITY].min() < -1000
    for solution in (fast, pyomo):
        assert fixed_lp_dual_objective(data, solution) == pytest.approx(
            solution.objective, rel=1e-9
        )


def fixed_lp_dual_objective(data: ModelData, solution: Solution) -> float:
    """The dual objective of the fast engine's LP with the decisions fixed at the solution's,
    for the solution's row duals: the objective itself only if the duals are optimal. Checks
    dual feasibility on the way (each dual and reduced cost has the sign its bounds allow)."""
    lp = highs_build.build_model(data)
    lower, upper = lp.col_lower.copy(), lp.col_upper.copy()
    for block in ("build", "sign"):
        lower[lp.columns[block]] = upper[lp.columns[block]] = getattr(solution, block)
    duals = np.zeros(len(lp.row_lower))
    for family, rows in lp.rows.items():
        duals[rows] = solution.row_duals[family]
    reduced = lp.cost - lp.matrix.T @ duals
    tolerance = 1e-7 * np.abs(lp.cost).max()
    total = 0.0
    for multiplier, low, high in ((duals, lp.row_lower, lp.row_upper), (reduced, lower, upper)):
        raising, lowering = multiplier > tolerance, multiplier < -tolerance
        assert np.isfinite(low[raising]).all() and np.isfinite(high[lowering]).all()
        total += multiplier[raising] @ low[raising] + multiplier[lowering] @ high[lowering]
    return float(total)


MIP_GENERATED = [
    # materials, suppliers, months, seed, chains, cap window, budget (USD a year; binding); slow:
    # the dearer ones as measured (the quick loop keeps the smallest and a binding budget)
    (3, 4, 12, 0, 1, "year", None),
    pytest.param(3, 5, 18, 1, 2, "month", None, marks=pytest.mark.slow),
    pytest.param(4, 4, 24, 2, 3, "year", 94.4e6, marks=pytest.mark.slow),
    pytest.param(4, 6, 36, 3, 1, "horizon", None, marks=pytest.mark.slow),
    pytest.param(5, 4, 30, 4, 2, "year", None, marks=pytest.mark.slow),
    (3, 6, 24, 6, 2, "year", 186.7e6),
    pytest.param(4, 5, 30, 7, 3, "month", None, marks=pytest.mark.slow),
    pytest.param(5, 6, 36, 8, 1, "year", None, marks=pytest.mark.slow),
]


@pytest.mark.parametrize(
    ("materials", "suppliers", "months", "seed", "chains", "window", "budget"), MIP_GENERATED
)
def test_generated_mips_reach_the_same_optimum(
    materials, suppliers, months, seed, chains, window, budget
):
    """Solved to a zero gap, both engines make the same decisions: each optimum is unique
    (excluding its decisions with a no-good cut makes the best plan at least 0.08% dearer)."""
    scenario = synthetic_scenario(materials, suppliers, months, seed, cap_window=window,
                                  chains=chains, budget_usd_per_year=budget)  # fmt: skip
    data = compile_scenario(scenario)
    exact = SolveOptions(mip_rel_gap=0.0)
    fast, pyomo = highs_engine.solve(data, exact), pyomo_engine.solve(data, exact)
    assert_same_mip_optimum(fast, pyomo)
    assert pyomo.objective == pytest.approx(fast.objective, rel=1e-6)
    np.testing.assert_array_equal(pyomo.build, fast.build)
    np.testing.assert_array_equal(pyomo.sign, fast.sign)
    assert plan_cost(data, pyomo) == pytest.approx(pyomo.objective, rel=1e-7)
    assert_feasible(data, pyomo)
    assert pyomo.size == stored_size(data)
    assert_aligned(fast, pyomo)
    assert pyomo.duals_from_fixed_lp
    if budget is not None:  # set tight enough to bind in some year
        assert (annual_spending(data, pyomo) > budget * (1 - 1e-6)).any()
        assert pyomo.row_duals[fam.ANNUAL_BUDGET].min() < -1e-3
        assert fast.row_duals[fam.ANNUAL_BUDGET].min() < -1e-3


@pytest.mark.slow
def test_a_loose_mip_gap_is_passed_and_reported():
    data = compile_scenario(synthetic_scenario(4, 5, 30, 7, cap_window="month", chains=3))
    optimum = highs_engine.solve(data, SolveOptions(mip_rel_gap=0.0)).objective
    loose = pyomo_engine.solve(data, SolveOptions(mip_rel_gap=0.2))
    assert loose.status == Status.OPTIMAL and loose.mip_gap <= 0.2
    assert loose.best_bound <= optimum * (1 + 1e-9) <= loose.objective * (1 + 1e-9)
    assert loose.objective <= optimum / (1 - 0.2)


def test_chain_through_a_legacy_solver_interface(chain):
    if not pyo.SolverFactory("appsi_highs").available(exception_flag=False):
        pytest.skip("appsi_highs is not available")
    data, fast, _ = chain
    legacy = pyomo_engine.solve(data, solver="appsi_highs")
    assert_same_mip_optimum(fast, legacy)
    np.testing.assert_array_equal(legacy.build, fast.build)
    np.testing.assert_array_equal(legacy.sign, fast.sign)
    assert legacy.duals_from_fixed_lp
    assert fixed_lp_dual_objective(data, legacy) == pytest.approx(legacy.objective, rel=1e-9)


def test_infeasible_mip():
    """NdPr metal may no longer fall short, but nothing can land or be made in January."""
    scenario = chain_small()
    materials = scenario.materials.copy()
    materials.loc[materials["material"] == "NdPr-metal", "shortfall_penalty_usd_per_t"] = np.nan
    data = compile_scenario(scenario.with_changes(materials=materials))
    assert data.is_mip
    assert highs_engine.solve(data).status == Status.INFEASIBLE
    solution = pyomo_engine.solve(data)
    assert solution.status == Status.INFEASIBLE
    assert not solution.has_plan and solution.objective is None
    assert solution.build is None and solution.sign is None
    assert solution.row_duals == {} and solution.bound_duals == {}
    assert not solution.duals_from_fixed_lp


@pytest.mark.slow
def test_mip_time_limit():
    """Stopped at once: a limit (or an optimum, if it finished), with or without a plan."""
    data = compile_scenario(synthetic_scenario(5, 6, 36, 3, chains=3))
    solution = pyomo_engine.solve(data, SolveOptions(time_limit_s=1e-6))
    assert solution.status in (Status.LIMIT, Status.OPTIMAL)
    assert solution.has_plan == (solution.objective is not None)
    if solution.status == Status.OPTIMAL:
        assert solution.has_plan
    if solution.has_plan:
        assert solution.build.shape == (len(data.chain.options),)
        assert plan_cost(data, solution) == pytest.approx(solution.objective, rel=1e-7)
    else:
        assert solution.row_duals == {} and not solution.duals_from_fixed_lp
        assert solution.mip_gap is None


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
