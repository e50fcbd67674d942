"""`sourcing evaluate`: the out-of-sample check of a risk plan. A one-material ban case whose
every path's cost follows by hand from the base plan fixed before the ban; a path the plan
cannot follow told apart from one no plan can serve; the intervals; the same figures on one or
two workers; resuming after an interrupted run; and the results and inputs it refuses."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from builders import CAPPED, scenario

from models.risk import explicit_tree
from models.solution import SolveOptions
from optimizer.cli.main import main
from optimizer.sweep.evaluate import JOURNAL, MANIFEST, TABLE, load_evaluation
from optimizer.sweep.evaluate_plan import prepare, read_recorded_plan, solve_path
from optimizer.sweep.evaluate_stats import (
    beyond_worst,
    bootstrap_tail,
    mean_interval,
    wilson_interval,
)

BAN = {"scenario": "ban", "probability": 0.3, "event": "ban", "start_month": "2026-03",
       "months": 2}  # fmt: skip


def ban_case(capacity: float | None = None, holding: float = 40.0):
    """X: 10 t a month for 4 months; China (C) at 100, Australia (A) at 300, no lead time. A
    two-month ban on China starts in any month with probability 0.3 (planned against a ban in
    March, p = 0.3). ``capacity``: Australia's tonnes a month (default unlimited)."""
    australia = {"supplier": "A", "material": "X", "price_usd_per_t": 300}
    if capacity is not None:
        australia["capacity_t_per_month"] = capacity
    return scenario(
        4,
        materials=[{"material": "X", "holding_cost_usd_per_t_month": holding}],
        suppliers=[{"supplier": "C", "country": "CN"}, {"supplier": "A", "country": "AU"}],
        offers=[{"supplier": "C", "material": "X", "price_usd_per_t": 100}, australia],
        demand={"X": [10, 10, 10, 10]},
        events=[{"event": "ban", "monthly_probability": 0.3, "months": 2}],
        event_effects=[{"event": "ban", "country": "CN", "capacity_factor": 0}],
        risk_scenarios=[BAN],
        closing_stock_credit="none",
    )  # fmt: skip


@pytest.fixture(scope="module")
def solved(tmp_path_factory):
    """The ban case's folder and its risk result (solved once for the module)."""
    root = tmp_path_factory.mktemp("evaluate")
    folder = ban_case().write(root / "ban")
    assert main(["solve", str(folder), "--out", str(root / "result")]) == 0
    return folder, root / "result"


def evaluate(result, *extra: str) -> int:
    return main(["evaluate", str(result), "--workers", "1", "--no-progress", *extra])


# The base plan (the stochastic plan's undisrupted path): January 10 t and February 20 t from
# China (10 t held a month, 400), nothing in March, 10 t in April: 4,400. In a path, the months
# before its first ban follow it; from then on China supplies every month it is not banned
# (buying ahead costs 100 + 40 a month held, below Australia's 300) and Australia the rest.
BY_HAND = {
    "": 4_400,  # the base plan throughout
    "ban 2026-01..2026-02": 8_000,  # Jan-Feb from A (6,000), Mar-Apr from C
    "ban 2026-01..2026-04": 12_000,  # a ban, then another at once: all from A
    "ban 2026-01..2026-02; ban 2026-04..2026-04": 8_400,  # Apr's 10 t bought in Mar, held
    "ban 2026-02..2026-03": 8_000,  # Jan fixed (C); Feb-Mar from A; Apr from C
    "ban 2026-02..2026-03; ban 2026-04..2026-04": 10_000,  # Jan fixed; Feb-Apr from A
    "ban 2026-03..2026-04": 6_400,  # Jan-Feb fixed: 10 t held for Mar; Apr from A
    "ban 2026-04..2026-04": 6_400,  # Jan-Mar fixed; Apr from A
}


def test_each_path_costs_what_the_base_plan_fixed_before_its_ban_leaves(solved, capsys):
    _, result = solved
    assert json.loads((result / "summary.json").read_text())["inputs"]["digest"]
    assert evaluate(result, "--samples", "60", "--seed", "3") == 0
    printed = capsys.readouterr()
    folder = result.parent / f"{result.name}-evaluation"
    table = pd.read_csv(folder / TABLE, keep_default_na=False)
    assert (table["status"] == "optimal").all()
    assert table["count"].sum() == 60 and len(table) >= 5
    assert table["active"].isin(list(BY_HAND)).all(), table["active"].tolist()
    expected_costs = table["active"].map(BY_HAND).to_numpy(dtype=float)
    # Fixed flows may move by the tolerance band (2e-7 t): cents at most here.
    assert table["cost_usd"].to_numpy(dtype=float) == pytest.approx(expected_costs, abs=0.01)
    no_event = table[table["active"] == ""]
    assert no_event["path"].tolist() == ["base"] and no_event["first_month"].tolist() == [""]
    document = json.loads((folder / MANIFEST).read_text())
    counts = table["count"].to_numpy()
    mean = counts @ expected_costs / 60
    outside = document["out_of_sample"]
    assert outside["expected_cost_usd"]["value"] == pytest.approx(mean, abs=0.01)
    assert outside["objective_usd"] == outside["expected_cost_usd"]  # risk weight 0
    sd = math.sqrt(counts @ (expected_costs - mean) ** 2 / 59)
    assert outside["expected_cost_usd"]["high"] == pytest.approx(mean + 1.96 * sd / math.sqrt(60),
                                                                 rel=1e-4)  # fmt: skip
    assert outside["worst_case_usd"]["value"] == pytest.approx(expected_costs.max(), abs=0.01)
    assert document["in_sample"]["expected_cost_usd"] == pytest.approx(5_000)
    assert document["seed"] == 3 and document["samples"] == 60 and document["complete"]
    assert "in-sample" in printed.out and "expected cost" in printed.out
    assert "60 distinct" not in printed.out  # identical paths merge
    assert printed.err == ""


def test_a_path_the_plan_cannot_follow_is_told_from_one_no_plan_can_serve(tmp_path):
    # Australia sells only 5 t a month. Against a ban in March the plan holds 20 t at the end
    # of February. A ban from January: no plan serves January (5 t of 10). A ban from
    # February: January is fixed to the base plan's 10 t, so February gets 5 t of 10, though a
    # plan that knew would have bought ahead in January. A ban from March: the 20 t held cover
    # March and April, at the base plan's own cost.
    case = ban_case(capacity=5, holding=10)
    folder = case.write(tmp_path / "ban")
    assert main(["solve", str(folder), "--out", str(tmp_path / "r")]) == 0
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    plan = read_recorded_plan(tmp_path / "r", summary)
    paths = case.with_changes(risk_scenarios=pd.DataFrame([
        {**BAN, "scenario": f"from-{start}", "start_month": start, "probability": 0.25}
        for start in ("2026-01", "2026-02", "2026-03")
    ]))  # fmt: skip
    tree = explicit_tree(paths, case.horizon)
    prepared = prepare(case, plan, tree.events)
    rows = {name: solve_path(prepared, case, tree, s, SolveOptions(threads=1))
            for s, name in enumerate(tree.names)}  # fmt: skip
    assert rows["from-2026-01"]["status"] == "infeasible" and rows["from-2026-01"]["servable"] == 0
    assert "no plan serves this path" in rows["from-2026-01"]["diagnosis"]
    assert rows["from-2026-02"]["status"] == "infeasible" and rows["from-2026-02"]["servable"] == 1
    assert "the plan's decisions before the first event" in rows["from-2026-02"]["diagnosis"]
    risk = pd.read_csv(tmp_path / "r" / "risk.csv").set_index("scenario")
    base_cost = risk.at["base", "cost_usd"]
    assert rows["from-2026-03"]["cost_usd"] == pytest.approx(base_cost, abs=0.01)
    assert rows["base"]["cost_usd"] == pytest.approx(base_cost, abs=0.01)


def test_the_figures_say_how_many_draws_the_plan_cannot_follow(tmp_path, capsys):
    folder = ban_case(capacity=5, holding=10).write(tmp_path / "ban")
    assert main(["solve", str(folder), "--out", str(tmp_path / "r")]) == 0
    assert evaluate(tmp_path / "r", "--samples", "40", "--out", str(tmp_path / "e")) == 0
    printed = capsys.readouterr().out
    table = pd.read_csv(tmp_path / "e" / TABLE, keep_default_na=False)
    infeasible = table[table["status"] == "infeasible"]
    assert len(infeasible) and set(infeasible["infeasible_cause"]) <= {"plan", "path"}
    document = json.loads((tmp_path / "e" / MANIFEST).read_text())
    share = infeasible["count"].sum() / 40
    assert document["out_of_sample"]["probability_plan_cannot_be_followed"]["value"] == (
        pytest.approx(share)
    )
    assert document["out_of_sample"]["samples_with_plan"] == 40 - infeasible["count"].sum()
    assert "Paths the plan cannot follow" in printed and "over the" in printed


def test_resuming_solves_only_the_paths_missing_from_the_journal(solved, tmp_path, capsys):
    _, result = solved
    out = tmp_path / "e"
    assert evaluate(result, "--samples", "50", "--out", str(out)) == 0
    first = (out / TABLE).read_bytes(), (out / MANIFEST).read_bytes()
    lines = (out / JOURNAL).read_text().splitlines()
    assert len(lines) >= 4
    (out / JOURNAL).write_text("\n".join(lines[:3]) + '\n{"point": 5, "sta')  # a killed run
    (out / TABLE).unlink()
    capsys.readouterr()
    assert evaluate(result, "--samples", "50", "--out", str(out)) == 0
    printed = capsys.readouterr()
    assert f"3 were already done, {len(lines) - 3} solved now" in printed.out
    assert "an unfinished last line" in printed.err
    assert ((out / TABLE).read_bytes(), (out / MANIFEST).read_bytes()) == first


def test_another_seed_or_sample_size_does_not_resume_without_restart(solved, tmp_path, capsys):
    _, result = solved
    out = str(tmp_path / "e")
    assert evaluate(result, "--samples", "20", "--out", out) == 0
    capsys.readouterr()
    assert evaluate(result, "--samples", "20", "--seed", "9", "--out", out) == 2
    printed = capsys.readouterr()
    assert printed.out == "" and printed.err.count("\n") == 1
    assert "holds an evaluation of" in printed.err and "--restart" in printed.err
    assert evaluate(result, "--samples", "20", "--seed", "9", "--out", out, "--restart") == 0
    assert json.loads((tmp_path / "e" / MANIFEST).read_text())["seed"] == 9


def test_what_cannot_be_evaluated_is_refused_in_one_line(solved, tmp_path, capsys):
    folder, result = solved
    plain = scenario(**CAPPED).write(tmp_path / "plain")
    assert main(["solve", str(plain), "--out", str(tmp_path / "plain-result")]) == 0
    changed = tmp_path / "changed"
    changed.mkdir()
    for path in folder.iterdir():
        (changed / path.name).write_bytes(path.read_bytes())
    assert main(["solve", str(changed), "--out", str(tmp_path / "changed-result")]) == 0
    with (changed / "scenario.toml").open("a") as settings:
        settings.write("# edited after the solve\n")
    capsys.readouterr()
    cases = [
        (["evaluate", str(tmp_path / "plain-result"), "--samples", "5"], "risk block"),
        (["evaluate", str(tmp_path / "changed-result"), "--samples", "5"], "changed since"),
        (["evaluate", str(result), "--samples", "0"], "--samples must be between"),
        (["evaluate", str(folder), "--samples", "5"], "not a result folder"),
        (["evaluate", str(result), "--samples", "5", "--workers", "0"], "--workers"),
    ]
    for argv, words in cases:
        assert main(argv) == 2, argv
        printed = capsys.readouterr()
        assert printed.out == "" and printed.err.count("\n") == 1, printed
        assert printed.err.startswith("error: ") and words in printed.err, printed.err
    allowed = tmp_path / "changed-result"
    assert evaluate(allowed, "--samples", "5", "--allow-changed-inputs") == 0
    assert "changed since the solve" in capsys.readouterr().err
    assert not (tmp_path / "plain-result-evaluation").exists()


def test_the_scenario_named_overrides_the_one_recorded(solved, tmp_path, capsys):
    folder, result = solved
    summary_path = result.parent / "copy"
    summary_path.mkdir()
    for path in result.iterdir():
        (summary_path / path.name).write_bytes(path.read_bytes())
    summary = json.loads((summary_path / "summary.json").read_text())
    summary.pop("inputs")  # a result written before the inputs were recorded
    (summary_path / "summary.json").write_text(json.dumps(summary))
    capsys.readouterr()
    assert evaluate(summary_path, "--samples", "5") == 2
    assert "--scenario" in capsys.readouterr().err
    assert evaluate(summary_path, "--samples", "5", "--scenario", str(folder)) == 0
    assert "records no digest" in capsys.readouterr().err


def test_the_default_seed_differs_from_the_solves(solved):
    _, result = solved
    evaluation = load_evaluation(result, 10)
    assert evaluation.seed == 1 and "seed 0 + 1" in evaluation.seed_note
    assert evaluation.counts.sum() == 10


def test_intervals_by_hand():
    mean = mean_interval(np.array([1.0, 3.0]), np.array([2, 2]))  # draws 1, 1, 3, 3
    half = 1.959963984540054 * math.sqrt((4 * 1.0) / 3 / 4)
    assert mean["value"] == 2.0 and mean["low"] == pytest.approx(2 - half)
    none = wilson_interval(0, 100)  # no draw falls short: still an interval above 0
    assert none["value"] == 0.0 and none["low"] == 0.0 and 0.03 < none["high"] < 0.04
    assert beyond_worst(100) == pytest.approx(1 - 0.05 ** (1 / 100))
    costs, counts = np.array([10.0, 20.0, 100.0]), np.array([50, 45, 5])
    cvar, objective = bootstrap_tail(costs, counts, 0.95, 0.5, seed=1)
    assert cvar["value"] == pytest.approx(100.0)  # the costliest 5% is the 100 path
    assert objective["value"] == pytest.approx(0.5 * 10 + 0.45 * 20 + 0.05 * 100 + 0.5 * 100)
    assert cvar["low"] < 100.0 <= cvar["high"]
    assert bootstrap_tail(costs, counts, 0.95, 0.5, seed=1) == (cvar, objective)  # seeded


@pytest.mark.slow
def test_the_same_figures_on_one_worker_and_on_two(solved, tmp_path):
    _, result = solved
    for workers in ("1", "2"):
        argv = ["evaluate", str(result), "--samples", "80", "--workers", workers,
                "--no-progress", "--out", str(tmp_path / workers)]  # fmt: skip
        assert main(argv) == 0
    for name in (TABLE, MANIFEST):
        assert (tmp_path / "1" / name).read_bytes() == (tmp_path / "2" / name).read_bytes()
