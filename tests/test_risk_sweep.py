"""Sweeps over disruption-risk inputs: each point is the extensive form, solved warm where only
numbers of the merged LP change, and equal to solving the point's scenario alone."""

from __future__ import annotations

import pytest
from builders import scenario
from test_risk import BAN, ban_case

from optimizer import solve
from optimizer.inputs.problems import ScenarioError
from optimizer.sweep import run
from optimizer.sweep.point_metrics import COST_COLUMNS
from optimizer.sweep.spec import load_sweep


def capped_case(factor=0.0, probability=0.3):
    """As ban_case, China selling at most 30 t a month: an event may cut it to a factor."""
    return scenario(
        4,
        materials=[{"material": "X", "holding_cost_usd_per_t_month": 40.0}],
        suppliers=[{"supplier": "C", "country": "CN"}, {"supplier": "A", "country": "AU"}],
        offers=[{"supplier": "C", "material": "X", "price_usd_per_t": 100,
                 "capacity_t_per_month": 30},
                {"supplier": "A", "material": "X", "price_usd_per_t": 300}],
        demand={"X": [10, 10, 10, 10]},
        events=[{"event": "ban"}],
        event_effects=[{"event": "ban", "country": "CN", "capacity_factor": factor}],
        risk_scenarios=[{**BAN, "probability": probability}],
        closing_stock_credit="none",
    )  # fmt: skip


def swept(tmp_path, base, path, values):
    folder = base.write(tmp_path / "base")
    file = tmp_path / "risk.toml"
    file.write_text(
        f'name = "risk"\nscenario = "{folder}"\n[[parameter]]\nname = "p"\npath = "{path}"\n'
        f"values = {values}\n",
        encoding="utf-8",
    )
    sweep = load_sweep(file)
    records = sweep.points().to_dict("records")
    return run.solve_chunk(sweep, records)


def test_a_risk_weight_sweep_equals_each_solve_and_is_warm_once_the_tail_exists(tmp_path):
    rows = swept(tmp_path, ban_case(), "risk.risk_weight", [0, 0.5, 1])
    assert [r["warm"] for r in rows] == [False, False, True]  # 0 -> 0.5 adds the CVaR columns
    for row, weight in zip(rows, (0, 0.5, 1), strict=True):
        alone = solve(ban_case(weight=weight), probe_limit=0)
        assert row["objective_usd"] == pytest.approx(alone.objective_usd)
        assert row["expected_cost_usd"] == pytest.approx(alone.risk_summary["expected_cost_usd"])
        assert row["cvar_usd"] == pytest.approx(alone.risk_summary["cvar_usd"])
        assert row["worst_case_usd"] == pytest.approx(alone.risk_summary["worst_case_usd"])
        for key in COST_COLUMNS:  # the expected cost components
            assert row[key] == pytest.approx(alone.costs[key], abs=0.01), key


def test_a_probability_sweep_keeps_the_tree_and_is_warm(tmp_path):
    # p = 0.3: 5,000 by hand (tests/test_risk.py). A tonne stocked for March costs 40 a
    # month and saves 200 with probability p: with p = 0.1 nothing is stocked, and the ban
    # path buys March and April from Australia: 0.9 x 4,000 + 0.1 x (2,000 + 6,000).
    rows = swept(tmp_path, ban_case(), "risk_scenarios.probability[scenario=ban]",
                 [0.1, 0.3, 0.5])  # fmt: skip
    assert [r["warm"] for r in rows] == [False, True, True]
    for row, p in zip(rows, (0.1, 0.3, 0.5), strict=True):
        alone = solve(ban_case(scenarios=({**BAN, "probability": p},)), probe_limit=0)
        assert row["objective_usd"] == pytest.approx(alone.objective_usd)
    assert rows[1]["objective_usd"] == pytest.approx(5000)
    assert rows[0]["objective_usd"] == pytest.approx(0.9 * 4000 + 0.1 * 8000)


def test_a_capacity_factor_sweep_is_warm_and_exact(tmp_path):
    rows = swept(tmp_path, capped_case(), "event_effects.capacity_factor[event=ban]",
                 [0, 0.5, 1 / 3])  # fmt: skip
    assert [r["status"] for r in rows] == ["optimal"] * 3
    assert [r["warm"] for r in rows] == [False, True, True]
    for row, factor in zip(rows, (0, 0.5, 1 / 3), strict=True):
        alone = solve(capped_case(factor), probe_limit=0)
        assert row["objective_usd"] == pytest.approx(alone.objective_usd)
    # At half of 30 t, China still serves the ban's 10 t a month: as without a ban, 4,000.
    assert rows[1]["objective_usd"] == pytest.approx(4000)


def test_a_partial_cut_of_unlimited_supply_is_an_invalid_point_not_a_guess(tmp_path):
    rows = swept(tmp_path, ban_case(), "event_effects.capacity_factor[event=ban]", [0, 0.5])
    assert rows[0]["status"] == "optimal"
    assert rows[1]["status"] == "invalid"
    assert "capacity_factor" in rows[1]["diagnosis"]


def test_risk_parameters_need_a_base_with_disruption_scenarios(tmp_path):
    plain = scenario(
        2, suppliers=[{"supplier": "C", "country": "CN"}],
        offers=[{"supplier": "C", "material": "X", "price_usd_per_t": 100}],
        demand={"X": [1, 1]},
    )  # fmt: skip
    for path in ("risk.risk_weight", "risk.cvar_alpha"):
        with pytest.raises(ScenarioError) as caught:
            swept(tmp_path / path, plain, path, [0.5, 0.9])
        assert f"{path} is a disruption-risk input, and the base scenario has no" in str(
            caught.value
        )


def test_an_event_probability_sweep_draws_new_paths_and_solves_them_cold(tmp_path):
    sc = ban_case(scenarios=(), samples=200, seed=7)
    sc = sc.with_changes(events=sc.events.assign(monthly_probability=0.2, months=2.0))
    rows = swept(tmp_path, sc, "events.monthly_probability[event=ban]", [0.05, 0.2])
    assert [r["warm"] for r in rows] == [False, False]  # other paths: another tree
    for row, p in zip(rows, (0.05, 0.2), strict=True):
        alone = solve(sc.with_changes(events=sc.events.assign(monthly_probability=p)),
                      probe_limit=0)  # fmt: skip
        assert row["objective_usd"] == pytest.approx(alone.objective_usd)
        assert row["scenarios"] == len(alone.risk)
    assert rows[0]["expected_cost_usd"] < rows[1]["expected_cost_usd"]  # bans likelier
