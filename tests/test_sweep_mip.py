"""Sweep points of a MIP proved from what earlier points learnt (``models.mip_warm.MipWarm``):
a sequence of points equals independent solves (status, and objective within the MIP gap),
where the best decisions change, where earlier decisions no longer fit, at infeasible and
unbounded points, and where the relaxation's bound does not prove the plan; every point says
how it was proved, and the sweep's rows do not depend on how the points are split between
workers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from builders import scenario

from models.branching import allowed_gap, rel_gap_of
from models.data import compile_scenario
from models.highs_engine import solve as cold_solve
from models.highs_warm import WarmModel
from models.mip_warm import (
    BRANCH_AND_BOUND,
    BRANCH_AND_CUT,
    FIXED_WITHIN_BOUND,
    LP,
    PROOFS,
    RELAXATION_INFEASIBLE,
    RELAXATION_INTEGRAL,
    MipWarm,
    Proved,
)
from models.solution import SolveOptions, Status
from optimizer.inputs.synthetic import synthetic_scenario
from optimizer.sweep import load_sweep, run
from optimizer.sweep.point_metrics import COST_COLUMNS, point_figures
from optimizer.sweep.run import run_sweep
from optimizer.sweep.spec import Sweep

EXACT = SolveOptions(threads=1, mip_rel_gap=0)
TOLERANCE = 1e-7  # relative: two exact solves of one LP agree to about this


def plant(price=100.0, demand=5.0, *, budget=None, penalty=None, spot=None, sale=None):
    """Y, demanded in one month, bought at ``price`` (up to ``spot`` t) or made from F (10/t)
    on option B: 10 t a month, 10/t to run, 100 of capital up front. ``penalty``: a tonne of Y
    short; ``sale``: Y's sale price, without limit; ``budget``: the year's spending.

    At 100/t and 5 t: B built, 100 + 5 x 20 = 200; the relaxation builds half of B for its
    5 t, 50 + 100 = 150: the bound does not prove the plan at a gap below 25%."""
    y = {"material": "Y"}
    if penalty is not None:
        y["shortfall_penalty_usd_per_t"] = penalty
    if sale is not None:
        y["sale_price_usd_per_t"] = sale
    offer = {"supplier": "S", "material": "Y", "price_usd_per_t": price}
    if spot is not None:
        offer["capacity_t_per_month"] = spot
    return scenario(
        1,
        materials=[y, {"material": "F"}],
        suppliers=[{"supplier": "S", "country": "AU"}],
        offers=[{"supplier": "S", "material": "F", "price_usd_per_t": 10}, offer],
        demand={"Y": [demand]},
        processes=[{"process": "P", "country": "IN", "capacity_t_per_month": 0}],
        process_io=[{"process": "P", "material": "F", "direction": "input", "t_per_t": 1},
                    {"process": "P", "material": "Y", "direction": "output", "t_per_t": 1}],
        expansions=[{"option": "B", "process": "P", "capacity_t_per_month": 10,
                     "operating_cost_usd_per_t": 10, "capital_cost_usd": 100}],
        capital_charge="upfront",
        budget_usd_per_year=budget,
    )  # fmt: skip


def assert_as_independent(model: MipWarm, proved: Proved, point, options: SolveOptions) -> None:
    """The point's status is a fresh solve's; a plan is within the gap of its bound, and the
    bound and the fresh solve's agree within the gap (both optima lie between them); the
    point's figures (from the model's data, as a sweep row's) price the plan proved."""
    cold = cold_solve(compile_scenario(point), options)
    ours = proved.solution
    assert ours.status == cold.status
    if ours.status != Status.OPTIMAL:
        assert not ours.has_plan or ours.status == Status.LIMIT
        return
    slack = TOLERANCE * max(1.0, abs(cold.objective))
    if proved.proof != LP:
        assert ours.objective - proved.bound <= allowed_gap(ours.objective, rel_gap_of(options))
        assert proved.bound <= cold.objective + slack
        assert cold.best_bound <= ours.objective + slack
    if options.mip_rel_gap == 0 or proved.proof == LP:
        assert ours.objective == pytest.approx(cold.objective, rel=TOLERANCE)
    figures = point_figures(model.point, ours)
    assert sum(figures[c] for c in COST_COLUMNS) == pytest.approx(ours.objective, rel=1e-9)


def test_each_way_of_proving_a_point_on_a_hand_solved_plant():
    # The same plant at one point after another, one model: exact (gap 0).
    model = MipWarm(plant(), EXACT)
    expected = [
        (plant(), BRANCH_AND_BOUND, 200),  # relaxation 150: branching proves the build
        (plant(price=15), RELAXATION_INTEGRAL, 75),  # buying is cheaper: nothing built
        (plant(demand=20), RELAXATION_INTEGRAL, 1300),  # B full: 100 + 10 x 20 + 10 x 100
        (plant(price=90), BRANCH_AND_BOUND, 200),  # built again: the decisions switch back
        (plant(demand=50, spot=10), RELAXATION_INFEASIBLE, None),  # 20 t at most, no penalty
        (plant(demand=3, budget=90, spot=10), BRANCH_AND_BOUND, None),  # see below
    ]
    for point, proof, objective in expected:
        proved = model.solve(point)
        assert proved.proof == proof
        wanted = None if objective is None else pytest.approx(objective)
        assert proved.solution.objective == wanted
        assert_as_independent(model, proved, point, EXACT)
    # The last point: 3 t with 90 to spend. Buying costs 300 and B 100 of capital: no plan;
    # the relaxation builds 0.3 of B (30 + 3 x 20 = 90), so only branching shows it.
    assert proved.solution.status == Status.INFEASIBLE
    assert model.rebuilds == 1  # the budget is a setting: a new model, decisions remembered


def test_earlier_decisions_within_the_gap_prove_a_point_without_branching():
    # At a gap of 30% the plan of the last point's decisions (build: 200) is within the gap of
    # the relaxation's bound (150): no branching. At 20% it is not.
    loose = SolveOptions(threads=1, mip_rel_gap=0.3)
    model = MipWarm(plant(), loose)
    first = model.solve(plant())
    assert first.proof == BRANCH_AND_BOUND  # nothing remembered yet
    second = model.solve(plant(price=95))
    assert second.proof == FIXED_WITHIN_BOUND
    assert second.solution.objective == pytest.approx(200) and second.bound == pytest.approx(150)
    assert list(second.solution.build) == [1.0]
    assert_as_independent(model, second, plant(price=95), loose)
    tight = MipWarm(plant(), SolveOptions(threads=1, mip_rel_gap=0.2))
    tight.solve(plant())
    assert tight.solve(plant(price=95)).proof == BRANCH_AND_BOUND


def test_remembered_decisions_that_no_longer_fit_say_nothing_of_the_point():
    # With 10,000 to spend B is built (200). With 90 it cannot be (100 of capital): those
    # decisions fixed are infeasible, yet the point has a plan: 0.9 t bought, 4.1 t short at
    # 1,000 a tonne, 4,190 (the relaxation's bound: 3 t made on 0.3 of B, 2 short: 2,090).
    model = MipWarm(plant(budget=10_000, penalty=1000), EXACT)
    assert model.solve(plant(budget=10_000, penalty=1000)).solution.objective == pytest.approx(200)
    point = plant(budget=90, penalty=1000)
    remembered = model.remembered[0]
    fixed = WarmModel.of_data(point, compile_scenario(point), EXACT, decisions=remembered)
    assert list(remembered) == [1.0]
    assert fixed.solve_data(compile_scenario(point)).status == Status.INFEASIBLE
    proved = model.solve(point)
    assert proved.solution.status == Status.OPTIMAL and proved.proof == BRANCH_AND_BOUND
    assert proved.solution.objective == pytest.approx(4190)
    assert list(proved.solution.build) == [0.0]
    assert_as_independent(model, proved, point, EXACT)


def test_unbounded_points_and_many_decisions_go_to_highs_branch_and_cut():
    model = MipWarm(plant(), EXACT)
    model.solve(plant())
    unbounded = model.solve(plant(sale=200))  # Y bought at 100 and sold at 200, no limit
    assert (unbounded.solution.status, unbounded.proof) == (Status.UNBOUNDED, BRANCH_AND_CUT)
    again = model.solve(plant())  # the relaxation is held again afterwards
    assert again.proof == BRANCH_AND_BOUND and again.solution.objective == pytest.approx(200)
    base = synthetic_scenario(2, 3, 6, chains=9)  # 36 yes/no decisions: above BRANCH_AT_MOST
    many = MipWarm(base, EXACT)
    for factor in (1.0, 1.3):
        point = base.with_changes(
            offers=base.offers.assign(price_usd_per_t=base.offers["price_usd_per_t"] * factor)
        )
        proved = many.solve(point)
        assert proved.proof == BRANCH_AND_CUT and proved.bound is not None
        assert_as_independent(many, proved, point, EXACT)


def test_an_lp_point_is_the_lp_optimum():
    base = synthetic_scenario(3, 3, 6, seed=1)
    model = MipWarm(base, EXACT)
    proved = model.solve(base)
    assert proved.proof == LP and proved.bound is None and not len(model.integer)
    assert_as_independent(model, proved, base, EXACT)


def random_points(base, seed: int, count: int):
    """``count`` points of ``base``: prices, demand and the cover drawn at random."""
    rng = np.random.default_rng(seed)
    for _ in range(count):
        factors = rng.uniform(0.6, 1.6, len(base.offers))
        yield base.with_changes(
            offers=base.offers.assign(price_usd_per_t=base.offers["price_usd_per_t"] * factors),
            demand=base.demand.assign(demand_t=base.demand["demand_t"] * rng.uniform(0.5, 2.0)),
            settings=base.settings.with_changes(stockpile_cover_months=float(rng.integers(0, 4))),
        )


@pytest.mark.parametrize(("seed", "gap"), [(0, 0.0), (2, 0.0), (2, 0.01)])
def test_generated_mips_point_after_point_equal_independent_solves(seed, gap):
    # Generated chains (2 x 4 yes/no decisions): the decisions change from point to point,
    # some points have no plan (demand doubled, no shortfall allowed).
    base = synthetic_scenario(3, 4, 12, seed=seed, chains=2)
    options = SolveOptions(threads=1, mip_rel_gap=gap)
    model = MipWarm(base, options)
    proofs, decisions = [], set()
    for point in random_points(base, seed, 12):
        proved = model.solve(point)
        assert_as_independent(model, proved, point, options)
        proofs.append(proved.proof)
        if proved.solution.has_plan:
            decisions.add((*proved.solution.build, *proved.solution.sign))
    assert len(decisions) >= 2  # the best decisions change along the way
    assert BRANCH_AND_BOUND in proofs and RELAXATION_INTEGRAL in proofs
    if gap > 0:
        assert FIXED_WITHIN_BOUND in proofs
    if seed == 0:
        assert RELAXATION_INFEASIBLE in proofs


SWEEP = """\
name = "mip"
scenario = "{folder}"
design = "grid"

[[parameter]]
name = "price"
path = "offers.price_usd_per_t"
mode = "factor"
values = [0.7, 1.0, 1.3]

[[parameter]]
name = "demand"
path = "demand.demand_t"
mode = "factor"
values = [0.6, 1.0, 1.5, 2.2]
"""


def mip_sweep(tmp_path: Path) -> Sweep:
    """A 12-point grid over a generated MIP whose ``[solver] mip_rel_gap`` is 0."""
    base = synthetic_scenario(3, 4, 12, seed=2, chains=2)
    exact = base.with_changes(settings=base.settings.with_changes(mip_rel_gap=0.0))
    folder = exact.write(tmp_path / "base")
    file = tmp_path / "mip.toml"
    file.write_text(SWEEP.format(folder=folder), encoding="utf-8")
    return load_sweep(file)


def test_rows_do_not_depend_on_how_the_points_are_split_between_workers(tmp_path, monkeypatch):
    # One worker solving every point in order, and two workers each with its own model (what
    # it learns stays in it) taking the points in another order: the same statuses and
    # objectives (exact gap), and every row says how it was proved.
    sweep = mip_sweep(tmp_path)
    assert sweep.scenario.settings.mip_rel_gap == 0
    records = sweep.points().to_dict("records")
    monkeypatch.setattr(run, "_MODELS", {})
    one = pd.DataFrame(run.solve_chunk(sweep, records)).set_index("point")
    split = []
    for part in (records[1::2], records[::2][::-1]):
        monkeypatch.setattr(run, "_MODELS", {})  # another worker: a model of its own
        split += run.solve_chunk(sweep, part)
    two = pd.DataFrame(split).set_index("point").loc[one.index]
    assert one["status"].tolist() == two["status"].tolist()
    assert set(one["status"]) >= {"optimal", "infeasible"}
    solved = one["status"] == "optimal"
    np.testing.assert_allclose(
        two.loc[solved, "objective_usd"], one.loc[solved, "objective_usd"], rtol=TOLERANCE
    )
    assert set(one["proof"]) | set(two["proof"]) <= set(PROOFS)
    assert {BRANCH_AND_BOUND, RELAXATION_INFEASIBLE} <= set(one["proof"])
    gap = one.loc[solved, "objective_usd"] - one.loc[solved, "bound_usd"]
    assert (gap <= 1e-6).all()  # the base scenario's gap, 0: only HiGHS's absolute 1e-6
    costs = one.loc[solved, list(COST_COLUMNS)].sum(axis=1)
    np.testing.assert_allclose(costs, one.loc[solved, "objective_usd"], rtol=1e-9)


@pytest.mark.slow
def test_one_and_two_dask_workers_give_the_same_rows(tmp_path):
    sweep = mip_sweep(tmp_path)
    tables = []
    for workers in (1, 2):
        outcome = run_sweep(sweep, tmp_path / f"w{workers}", workers=workers, progress=False)
        assert outcome.ran == outcome.total == 12
        tables.append(pd.read_parquet(tmp_path / f"w{workers}" / "results.parquet"))
    one, two = tables
    assert one["status"].tolist() == two["status"].tolist()
    solved = one["status"] == "optimal"
    np.testing.assert_allclose(
        two.loc[solved, "objective_usd"], one.loc[solved, "objective_usd"], rtol=TOLERANCE
    )
    assert two["worker"].nunique() == 2
    for table in tables:  # the proof travels through the journal into the table
        assert set(table["proof"]) <= set(PROOFS) and table["proof"].notna().all()
        assert list(table.columns[-6:]) == ["proof", "bound_usd", "warm", "solve_s", "worker",
                                            "diagnosis"]  # fmt: skip
