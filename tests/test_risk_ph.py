"""Progressive hedging (mpi-sppy) over the two-stage form of the disruption scenarios, against
the extensive form of the same two-stage tree: in process (one MPI rank) and under
``mpiexec -n 2`` through the CLI.

PH's tolerance here is its default gap, 1e-3: the plan built with the first stage PH kept must
be within 1e-3 (relative) of a valid lower bound, and so of the extensive form's optimum. (On
these small LPs it lands closer: within 1e-4.)"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from test_risk import BAN, ban_case

from models.data import compile_scenario
from models.risk import BASE, explicit_tree
from models.risk_engine import solve_risk
from models.risk_ph_eval import solve_two_stage_extensive
from models.risk_ph_scenario import first_onset, two_stage_tree
from models.solution import SolveOptions
from optimizer import solve
from optimizer.cli.main import main

pytest.importorskip("mpisppy", reason="the ph extra (mpi-sppy, mpi4py, mpich) is not installed")

REL_TOL = 1e-3  # PH's default rel_gap: its objective against the extensive form's, relative
EARLY = {**BAN, "scenario": "feb", "probability": 0.2, "start_month": "2026-02", "months": 3}


def two_bans(**extra):
    """The hand case of test_risk: bans from February (p 0.2) or March (p 0.3), or none."""
    return ban_case(40.0, scenarios=(EARLY, {**BAN, "scenario": "march"}), **extra)


def two_stage_objective(sc) -> float:
    outcome = solve_two_stage_extensive(sc, compile_scenario(sc), SolveOptions(threads=1))
    assert outcome.status.value == "optimal"
    return float(outcome.objective)


def test_the_two_stage_tree_shares_one_node_until_the_first_onset():
    sc = two_bans()
    data = compile_scenario(sc)
    tree = explicit_tree(sc, data.months)
    two, t0 = two_stage_tree(tree)
    assert t0 == first_onset(tree) == 1  # February
    assert (two.history[:, : t0 + 1] == 0).all()
    assert len(set(two.history[:, t0 + 1])) == tree.size  # one node per scenario from February
    # It relaxes the multistage tree ("march" and "base" no longer share February): its optimum
    # is at most the multistage one.
    multistage = solve_risk(sc, data, SolveOptions(threads=1), values=False).objective
    assert two_stage_objective(sc) <= multistage + 1e-6


DELAY = {"event": "ban", "country": "CN", "extra_lead_months": 1, "price_factor": 1.1}


@pytest.mark.parametrize(
    ("weight", "rho", "effect"), [(0.0, 1.0, None), (0.5, 0.3, None), (0.0, 1.0, DELAY)]
)
def test_ph_in_process_agrees_with_the_two_stage_extensive_form(weight, rho, effect):
    # With the CVaR, eta (USD) and the tonnes converge together only with a gentler rho: at
    # 1.0 PH stops after 200 iterations 0.3% above the optimum (its status then says so).
    # With a delay instead of a ban, orders of March land in April with April's own.
    from models.risk_ph import PHSettings

    sc = two_bans(weight=weight, alpha=0.7, effect=effect)
    result = solve(sc, method="ph", ph_settings=PHSettings(iterations=200, rho=rho))
    expected = two_stage_objective(sc)
    assert result.status.value == "optimal" and result.violations == []
    gap = abs(result.objective_usd - expected) / abs(expected)
    assert gap <= REL_TOL, (result.objective_usd, expected)
    assert gap <= 1e-4  # what it reaches here (1e-5 for the CVaR, exactly for the other)
    ph = result.risk_summary["ph"]
    assert ph["ranks"] == 1 and ph["gap"] <= REL_TOL
    assert ph["outer_bound_usd"] <= expected * (1 + 1e-9)  # a valid lower bound
    risk = result.risk.set_index("scenario")
    # Every decision before February is shared: the rows of January are the same plan.
    plan = result.risk_plan
    january = plan[plan["order_month"] == "2026-01"].groupby("scenario")["tonnes"].sum()
    assert np.ptp(january.reindex(risk.index, fill_value=0.0).to_numpy()) < 1e-6
    assert set(risk["onset_month"].dropna()) == {"2026-02"}  # own rows from the first onset
    assert result.objective_usd == pytest.approx(
        float(risk["probability"] @ risk["cost_usd"]) + weight * result.risk_summary["cvar_usd"],
        rel=1e-6,
    )


def test_ph_needs_disruption_scenarios(tmp_path, capsys):
    folder = ban_case(scenarios=()).write(tmp_path / "plain")
    assert main(["solve", str(folder), "--method", "ph", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "error: --method ph needs disruption scenarios (events.csv with risk_scenarios.csv or "
        "[risk] samples); this scenario has none"
    ]
    assert not (tmp_path / "o").exists()


def mpiexec() -> str | None:
    """The MPI launcher of the environment's MPI wheel: beside the interpreter (a venv's
    bin/), else on the PATH."""
    here = Path(sys.executable).parent / "mpiexec"
    return str(here) if here.exists() else shutil.which("mpiexec")


@pytest.mark.slow
def test_mpiexec_two_ranks_through_the_cli(tmp_path):
    launcher = mpiexec()
    if launcher is None:
        pytest.skip("no mpiexec (pip install -e '.[ph]' brings MPICH's)")
    sc = two_bans()
    folder = sc.write(tmp_path / "risk")
    out = tmp_path / "out"
    sourcing = [sys.executable, "-m", "optimizer"]
    run = subprocess.run(
        [launcher, "-n", "2", *sourcing, "solve", str(folder), "--method", "ph",
         "--out", str(out)],
        capture_output=True, text=True, timeout=240, cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert run.stdout.count("Written:") == 1 and run.stdout.count("hand: optimal") == 1
    assert run.stderr.strip() == ""
    summary = json.loads((out / "summary.json").read_text())
    expected = two_stage_objective(sc)
    assert abs(summary["objective_usd"] - expected) / expected <= REL_TOL
    assert summary["risk"]["ph"]["ranks"] == 2
    assert summary["risk"]["ph"]["cylinders"] == ["ph hub", "xhat shuffle"]
    # written once, nothing else left beside it
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "risk"]
    risk = (out / "risk.csv").read_text()
    assert risk.count(f"\n{BASE},") == 1
