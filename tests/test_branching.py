"""The branch and bound over a few yes/no columns (``models.branching``) finds the optimum
HiGHS's own MIP solver finds, says when there is none, and leaves HiGHS holding the plan."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from models.branching import branch_and_bound, resolve_fixed, solve_program
from models.highs_build import LinearProgram
from models.highs_engine import new_highs, pass_model, run
from models.solution import SolveOptions, Status

OPTIONS = SolveOptions(threads=1, mip_rel_gap=0)


def facility_lp(seed: int, demand_scale: float = 1.0) -> LinearProgram:
    """Open yes/no facilities (fixed cost, capacity) and ship to customers at a unit cost:
    ship[f, c] <= capacity[f] x open[f] summed over c, every customer's demand met."""
    rng = np.random.default_rng(seed)
    n_f, n_c = 5, 7
    fixed, capacity = rng.uniform(50, 150, n_f), rng.uniform(20, 60, n_f)
    demand, unit = rng.uniform(5, 25, n_c) * demand_scale, rng.uniform(1, 10, (n_f, n_c))
    ship = np.arange(n_f * n_c).reshape(n_f, n_c)
    opened = n_f * n_c + np.arange(n_f)
    rows, cols, values = [], [], []
    for c in range(n_c):  # demand rows: sum_f ship[f, c] >= demand[c]
        rows += [c] * n_f
        cols += list(ship[:, c])
        values += [1.0] * n_f
    for f in range(n_f):  # capacity rows: sum_c ship[f, c] - capacity[f] open[f] <= 0
        rows += [n_c + f] * (n_c + 1)
        cols += [*ship[f], opened[f]]
        values += [1.0] * n_c + [-capacity[f]]
    matrix = sp.csc_matrix((values, (rows, cols)), shape=(n_c + n_f, n_f * n_c + n_f))
    return LinearProgram(
        cost=np.concatenate([unit.ravel(), fixed]),
        col_lower=np.zeros(n_f * n_c + n_f),
        col_upper=np.concatenate([np.full(n_f * n_c, np.inf), np.ones(n_f)]),
        row_lower=np.concatenate([demand, np.full(n_f, -np.inf)]),
        row_upper=np.concatenate([np.full(n_c, np.inf), np.zeros(n_f)]),
        matrix=matrix,
        columns={"ship": slice(0, n_f * n_c), "open": slice(n_f * n_c, n_f * n_c + n_f)},
        rows={"demand": slice(0, n_c), "capacity": slice(n_c, n_c + n_f)},
        integrality=np.concatenate([np.zeros(n_f * n_c, np.int32), np.ones(n_f, np.int32)]),
    )


def highs_mip(lp: LinearProgram) -> tuple[str, float | None]:
    highs = new_highs(OPTIONS, "choose")
    pass_model(highs, lp)
    run(highs)
    status = highs.modelStatusToString(highs.getModelStatus())
    value = highs.getInfo().objective_function_value if status == "Optimal" else None
    return status, value


@pytest.mark.parametrize("seed", range(8))
def test_the_optimum_is_the_one_highs_mip_solver_finds(seed):
    lp = facility_lp(seed)
    highs, outcome = solve_program(lp, OPTIONS)
    status, expected = highs_mip(lp)
    assert status == "Optimal" and outcome.status == Status.OPTIMAL
    assert outcome.objective == pytest.approx(expected, rel=1e-9)
    x = np.asarray(highs.getSolution().col_value)
    assert np.array_equal(x[lp.columns["open"]], np.round(x[lp.columns["open"]]))
    assert float(lp.cost @ x) == pytest.approx(expected, rel=1e-9)  # HiGHS holds the plan


def test_no_plan_when_demand_exceeds_every_capacity():
    lp = facility_lp(0, demand_scale=100.0)
    _, outcome = solve_program(lp, OPTIONS)
    assert outcome.status == Status.INFEASIBLE and outcome.objective is None


def test_a_fixed_facility_is_re_solved_from_the_basis_like_a_fresh_model():
    lp = facility_lp(3)
    highs, outcome = solve_program(lp, OPTIONS)
    opened = np.flatnonzero(np.round(np.asarray(highs.getSolution().col_value)[lp.columns["open"]]))
    first = lp.columns["open"].start + opened[:1]
    again = resolve_fixed(highs, lp, first, np.zeros(1), OPTIONS)  # close one it opened
    lower, upper = lp.col_lower.copy(), lp.col_upper.copy()
    lower[first] = upper[first] = 0.0
    status, expected = highs_mip(
        LinearProgram(**{**lp.__dict__, "col_lower": lower, "col_upper": upper})
    )
    assert status == "Optimal" and again.status == Status.OPTIMAL
    assert again.objective == pytest.approx(expected, rel=1e-9)
    assert again.objective >= outcome.objective - 1e-9


@pytest.mark.parametrize("seed", range(8))
def test_nodes_pruned_by_a_loose_gap_keep_their_bound(seed):
    # Every facility open: a plan 8-35% dearer than the optimum. Given as the incumbent at a
    # 50% gap, it prunes the root at once; the bound reported is the root's (at most the
    # optimum, HiGHS's exact one), not the incumbent's objective.
    lp = facility_lp(seed)
    columns = np.flatnonzero(lp.integrality)
    every = np.ones(len(columns))
    opened = np.where(lp.integrality, 1.0, lp.col_lower)
    highs, fixed = solve_program(LinearProgram(**{**lp.__dict__, "col_lower": opened}), OPTIONS)
    _, optimum = highs_mip(lp)
    assert fixed.objective > optimum * 1.05
    loose = SolveOptions(threads=1, mip_rel_gap=0.5)
    outcome = branch_and_bound(highs, columns, np.zeros(5), every, loose,
                               incumbent=(fixed.objective, every))  # fmt: skip
    assert outcome.status == Status.OPTIMAL and outcome.nodes == 1
    assert outcome.objective == pytest.approx(fixed.objective, rel=1e-9)
    assert outcome.bound <= optimum + 1e-9 * abs(optimum)


def test_a_given_incumbent_is_kept_when_no_node_beats_it():
    # The optimum's decisions given as the incumbent: the search returns that plan, HiGHS
    # holding it, and its bound proves it.
    lp = facility_lp(2)
    _, exact = solve_program(lp, OPTIONS)
    highs, first = solve_program(lp, OPTIONS)
    opened = np.round(np.asarray(highs.getSolution().col_value)[lp.columns["open"]])
    columns = np.flatnonzero(lp.integrality)
    outcome = branch_and_bound(highs, columns, np.zeros(5), np.ones(5), OPTIONS,
                               incumbent=(first.objective, opened))  # fmt: skip
    assert outcome.objective == pytest.approx(exact.objective, rel=1e-9)
    assert outcome.bound == pytest.approx(exact.objective, rel=1e-9)
    x = np.asarray(highs.getSolution().col_value)
    assert np.array_equal(np.round(x[lp.columns["open"]]), opened)
