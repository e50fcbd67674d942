"""How much re-solving ``sourcing solve`` does by default: the probes start from the engine's
solved instance (no second build and cold solve of the model), and above
``PROBE_MAX_VARIABLES`` variables the default re-solves nothing and says so."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from builders import scenario
from test_policy_probes import DEGENERATE

from models import highs_warm
from optimizer import solve
from optimizer.cli.main import main
from optimizer.results import policy_probes
from optimizer.results.policy_probes import RESOLVED, RESOLVED_BASES
from optimizer.results.summary_text import format_summary


def resolved(result) -> pd.Series:
    table = result.policy
    return table["price_basis"].isin(RESOLVED_BASES) | table["entry_basis"].isin(RESOLVED_BASES)


def test_an_lp_is_probed_from_the_engines_instance_without_building_it_again(monkeypatch):
    built = []
    original = highs_warm.WarmModel.of_data.__func__

    def counted(cls, *args, **kwargs):
        built.append(1)
        return original(cls, *args, **kwargs)

    monkeypatch.setattr(highs_warm.WarmModel, "of_data", classmethod(counted))
    result = solve(scenario(12, **DEGENERATE))
    assert built == []
    assert set(
        result.policy.loc[result.policy["policy"] == "country-share-cap", "price_basis"]
    ) == {RESOLVED}
    # The same prices as probes that build and solve their own model (hand-derived: 200, 100).
    monkeypatch.undo()
    fresh = policy_probes.probe_policies(
        result.scenario, *_solved_without_instance(result.scenario), limit=20
    )
    pd.testing.assert_frame_equal(result.policy, fresh, check_dtype=False, check_column_type=False)


def _solved_without_instance(sc):
    from models.data import compile_scenario
    from models.highs_engine import solve as engine_solve
    from optimizer.results.policy_costs import policy_costs_table

    data = compile_scenario(sc)
    solution = engine_solve(data)
    assert solution.instance is None
    return data, solution, policy_costs_table(data, solution)


def test_above_the_size_limit_the_default_re_solves_nothing_and_says_why(monkeypatch, tmp_path):
    sc = scenario(12, **DEGENERATE)  # 12 months: a few dozen variables
    monkeypatch.setattr(policy_probes, "PROBE_MAX_VARIABLES", 10)
    result = solve(sc)
    assert not resolved(result).any()
    variables = result.model_size.variables
    assert result.probe_note == policy_probes.probes_skipped_note(variables)
    assert f"this model has {variables:,}" in result.probe_note
    assert "ask with --probe-limit N" in format_summary(result)
    assert result.summary()["prices"] == result.probe_note
    # Asked for, they run at any size; and below the limit the default runs them.
    assert resolved(solve(sc, probe_limit=20)).any()
    assert solve(sc, probe_limit=20).probe_note is None
    monkeypatch.setattr(policy_probes, "PROBE_MAX_VARIABLES", 10**9)
    below = solve(sc)
    assert resolved(below).any() and below.probe_note is None


def test_the_cli_default_follows_the_size_limit(monkeypatch, tmp_path, capsys):
    folder = scenario(12, **DEGENERATE).write(tmp_path / "in")
    monkeypatch.setattr(policy_probes, "PROBE_MAX_VARIABLES", 10)
    assert main(["solve", str(folder), "--out", str(tmp_path / "a")]) == 0
    summary = json.loads((tmp_path / "a" / "summary.json").read_text())
    assert "none re-solved by default above 10 variables" in summary["prices"]
    assert main(["solve", str(folder), "--out", str(tmp_path / "b"), "--probe-limit", "5"]) == 0
    assert "prices" not in json.loads((tmp_path / "b" / "summary.json").read_text())
    policy = pd.read_csv(tmp_path / "b" / "policy_costs.csv")
    assert (policy["price_basis"] == RESOLVED).any()
    capsys.readouterr()


@pytest.mark.parametrize("suffix", [".mps", ".lp"])
def test_the_model_file_is_written_from_the_solved_build_with_every_name(tmp_path, suffix):
    from models.data import compile_scenario
    from models.highs_engine import column_names, row_names

    sc = scenario(12, **DEGENERATE)
    path = tmp_path / f"model{suffix}"
    result = solve(sc, write_model_to=path, probe_limit=0)
    import highspy

    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.readModel(str(path))
    highs.run()
    assert highs.getInfo().objective_function_value == pytest.approx(result.objective_usd)
    data = compile_scenario(sc)
    names = [highs.getColName(i)[1] for i in range(highs.getNumCol())]
    assert names == column_names(data)
    assert [highs.getRowName(i)[1] for i in range(highs.getNumRow())] == row_names(data)
