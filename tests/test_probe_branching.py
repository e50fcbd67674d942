"""A MIP's policy probes proved as sweep points are (``models.mip_warm.MipWarm.solve_data``):
the warm relaxation and the exact branch and bound over the yes/no decisions, the base's plan
as incumbent; HiGHS's branch and cut, at gap 0, only above ``BRANCH_AT_MOST`` decisions. Both
give the prices of independent cold solves."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_policy_probes import _check_against_cold_solves

from models import mip_warm
from models.mip_warm import BRANCH_AND_BOUND, BRANCH_AND_CUT, ENOUGH
from optimizer import solve
from optimizer.inputs.synthetic import synthetic_scenario
from optimizer.results import policy_probes
from optimizer.results.policy_costs import policy_costs_table


@pytest.fixture
def proofs(monkeypatch):
    """Each probe's (proof, decisions of its plan, the instance's mip_rel_gap)."""
    seen = []
    original = mip_warm.MipWarm.solve_data

    def recorded(self, *args, **kwargs):
        proved = original(self, *args, **kwargs)
        plan = proved.solution
        chosen = tuple(np.concatenate([plan.build, plan.sign])) if plan.has_plan else None
        _, gap = self.model.highs.getOptionValue("mip_rel_gap")
        seen.append((proved.proof, chosen, gap))
        return proved

    monkeypatch.setattr(mip_warm.MipWarm, "solve_data", recorded)
    return seen


def plants():
    """Two materials, four suppliers, six months, one generated chain: four yes/no decisions;
    the solver's default gap (the probes' is 0 whatever the scenario's)."""
    return synthetic_scenario(2, 4, 6, seed=1, cap_window="horizon", chains=1)


def test_a_mips_probes_branch_on_the_decisions_and_equal_cold_solves(proofs):
    result = solve(plants(), probe_limit=5)
    base = proofs[0][1]  # the first solve: the base, exact
    kinds = {proof for proof, _, _ in proofs}
    assert BRANCH_AND_BOUND in kinds and ENOUGH in kinds and BRANCH_AND_CUT not in kinds
    # Some probes' optima build other plants than the base's: only branching shows it.
    assert any(p == BRANCH_AND_BOUND and c not in (None, base) for p, c, _ in proofs)
    policies, entries = _check_against_cold_solves(result)
    assert policies >= 3 and entries >= 1
    # Without the engine's instance the probes build their own relaxation: the same prices.
    from models.data import compile_scenario
    from models.highs_engine import solve as engine_solve

    data = compile_scenario(result.scenario)
    solution = engine_solve(data)
    table = policy_costs_table(data, solution)
    fresh = policy_probes.probe_policies(result.scenario, data, solution, table, limit=5)
    pd.testing.assert_frame_equal(result.policy, fresh, check_dtype=False, check_column_type=False)


def test_above_branch_at_most_decisions_the_probes_fall_back_to_exact_branch_and_cut(
    proofs, monkeypatch
):
    branched = solve(plants(), probe_limit=5)
    proofs.clear()
    monkeypatch.setattr(mip_warm, "BRANCH_AT_MOST", 3)  # four decisions: one too many
    cut = solve(plants(), probe_limit=5)
    kinds = {proof for proof, _, _ in proofs}
    assert BRANCH_AND_CUT in kinds and BRANCH_AND_BOUND not in kinds
    # HiGHS's branch and cut runs on the engine's instance, at the probes' gap of 0 (the
    # engine solved at HiGHS's default of 1e-4).
    assert plants().settings.mip_rel_gap is None
    assert {gap for proof, _, gap in proofs if proof == BRANCH_AND_CUT} == {0.0}
    pd.testing.assert_frame_equal(cut.policy, branched.policy)
