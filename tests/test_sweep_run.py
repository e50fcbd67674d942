"""Running sweeps: warm re-solves agree with cold solves, results hold one row per point, and an
interrupted sweep (Ctrl-C, a killed process, a killed worker) resumes with the missing points
only — on local workers and on a Dask cluster started on loopback. The local cluster starts no
HTTP server (port 8787 held by another program changes nothing), and Ctrl-C prints one line."""

from __future__ import annotations

import errno
import json
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
import pytest

from models.highs_warm import WarmModel
from models.solution import SolveOptions
from optimizer import Status, solve
from optimizer.cli.main import main
from optimizer.inputs.synthetic import synthetic_scenario
from optimizer.sweep import apply_point, load_sweep, run
from optimizer.sweep.cluster import local_cluster
from optimizer.sweep.point_metrics import COST_COLUMNS, point_figures
from optimizer.sweep.run import JOURNAL, read_journal, run_sweep

ROOT = Path(__file__).resolve().parents[1]
# The runner's mechanics on 210 quick points: the example grid over the LP version of the
# India scenario (the shipped default is a MIP, slower per point).
GRID = ROOT / "tests" / "fixtures" / "grid-lp.toml"
TORNADO = ROOT / "inputs" / "sweeps" / "tornado.toml"
DASHBOARD_PORT = 8787  # where Dask puts its HTTP server unless told otherwise


@pytest.fixture(scope="module")
def scheduler():
    """The address of one local cluster (two worker processes) for the runs whose subject is not
    the local workers (resuming, refusing to resume): starting a cluster per run costs seconds."""
    with local_cluster(2) as cluster:
        yield cluster.scheduler_address


@pytest.mark.slow
def test_warm_re_solves_match_cold_solves():
    # Random changes to prices, caps, cover, demand, capacities and holding costs: the warm
    # model's optimum equals a fresh solve's, and a zero capacity made positive forces a rebuild.
    base = synthetic_scenario(4, 5, 24, seed=5)
    model = WarmModel(base, SolveOptions(threads=1))
    rng = np.random.default_rng(0)
    for _ in range(8):
        offers = base.offers.assign(
            price_usd_per_t=base.offers["price_usd_per_t"]
            * rng.uniform(0.7, 1.3, len(base.offers)),
            capacity_t_per_month=base.offers["capacity_t_per_month"] * rng.uniform(0.5, 1.5),
        )
        materials = base.materials.copy()
        materials["holding_cost_usd_per_t_month"] *= 2
        point = base.with_changes(
            offers=offers,
            materials=materials,
            country_caps=base.country_caps.assign(
                max_share=base.country_caps["max_share"] * rng.uniform(0.7, 1.0)
            ),
            demand=base.demand.assign(demand_t=base.demand["demand_t"] * rng.uniform(0.8, 1.2)),
            settings=base.settings.with_changes(stockpile_cover_months=float(rng.integers(0, 4))),
        )
        solution, warm = model.solve(point)
        cold = solve(point)
        assert warm and solution.status == cold.status
        assert solution.objective == pytest.approx(cold.objective_usd, rel=1e-9)
        figures = point_figures(model.point, solution)  # priced with the point's numbers
        costs = sum(figures[c] for c in COST_COLUMNS)
        assert costs == pytest.approx(solution.objective, rel=1e-9)
        for column in COST_COLUMNS:
            assert figures[column] == pytest.approx(cold.costs[column], rel=1e-6, abs=0.01)
    offers = base.offers.copy()
    offers.loc[0, "capacity_t_per_month"] = 0.0
    closed = base.with_changes(offers=offers)
    model = WarmModel(closed, SolveOptions(threads=1))
    solution, warm = model.solve(base)  # the closed offer reopens: new variables
    assert not warm and model.rebuilds == 1
    assert solution.objective == pytest.approx(solve(base).objective_usd, rel=1e-9)


@pytest.mark.slow
def test_tornado_sweep_in_process(tmp_path, shipped_result):
    sweep = load_sweep(TORNADO)
    outcome = run_sweep(sweep, tmp_path / "t", workers=2, progress=False)
    table = pd.read_parquet(tmp_path / "t" / "results.parquet")
    assert outcome.total == len(sweep.points()) == len(table) == outcome.ran
    assert table["point"].tolist() == list(range(len(table)))
    base = shipped_result(sweep.scenario_path.name)
    assert table.loc[0, "objective_usd"] == pytest.approx(base.objective_usd, rel=1e-9)
    for _, row in table.iloc[[1, 5, 10]].iterrows():  # a cold solve of the same point agrees
        values = {p.name: row[p.name] for p in sweep.parameters}
        cold = solve(apply_point(sweep.scenario, sweep.parameters, values))
        assert row["status"] == cold.status.value
        if cold.status == Status.OPTIMAL:
            assert row["objective_usd"] == pytest.approx(cold.objective_usd, rel=1e-9)
    assert (table["status"] == "optimal").all()  # no tornado point of the default is infeasible
    assert "diagnosis" not in table.columns  # the column comes only with a diagnosed point
    csv = pd.read_csv(tmp_path / "t" / "results.csv")
    assert len(csv) == len(table) and list(csv.columns) == list(table.columns)
    optimal = table[table["status"] == "optimal"]
    costs = optimal[list(COST_COLUMNS)].sum(axis=1)
    assert np.allclose(costs, optimal["objective_usd"], rtol=1e-9)
    shares = table.loc[0, [c for c in table.columns if c.startswith("share_Dy2O3_")]]
    assert shares.sum() == pytest.approx(1.0)


def _sweep_command(out: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "optimizer",
        "sweep",
        str(GRID),
        "--out",
        str(out),
        "--no-progress",
        *extra,
    ]


def _wait_for_points(out: Path, count: int, process: subprocess.Popen, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        journal = out / JOURNAL
        if journal.exists() and len(journal.read_text().splitlines()) >= count:
            return
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)
    raise AssertionError("the sweep made no progress")


def _finish_and_check(out: Path, scheduler: str, capsys) -> tuple[str, str]:
    """Run the grid to its end in this process: what it printed on stdout and on stderr."""
    code = main(["sweep", str(GRID), "--out", str(out), "--no-progress", "--scheduler", scheduler])
    printed = capsys.readouterr()
    assert code == 0, printed
    table = pd.read_parquet(out / "results.parquet")
    assert len(table) == 210 and table["point"].is_unique
    assert sorted(table["point"]) == list(range(210))
    return printed.out, printed.err


def _done(out: Path) -> set[int]:
    sweep = load_sweep(GRID)
    names = [p.name for p in sweep.parameters]
    return read_journal(out / JOURNAL, sweep.points(), names).done


@pytest.mark.slow
def test_a_killed_sweep_resumes_with_the_missing_points_only(tmp_path, scheduler, capsys):
    out = tmp_path / "grid"
    process = subprocess.Popen(
        _sweep_command(out, "--workers", "1"),
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _wait_for_points(out, 20, process)
    os.killpg(process.pid, signal.SIGKILL)  # the coordinator and its workers, mid-run
    process.wait()
    with (out / JOURNAL).open("a") as journal:
        journal.write('{"point": 3, "sta')  # a line torn by the kill
    lines = len((out / JOURNAL).read_bytes().splitlines())
    done = len(_done(out))
    assert 20 <= done < 210
    printed, warned = _finish_and_check(out, scheduler, capsys)
    assert f"{done} were already done, {210 - done} solved now" in printed
    assert warned == (
        f"warning: {out / JOURNAL}:{lines}: an unfinished last line (the run writing it was "
        "stopped); it is removed\n"
    )


@pytest.mark.slow
def test_ctrl_c_prints_one_line_and_the_sweep_resumes(tmp_path, scheduler, capsys):
    out = tmp_path / "grid"
    process = subprocess.Popen(
        _sweep_command(out, "--workers", "2"),
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _wait_for_points(out, 1, process)
    os.killpg(process.pid, signal.SIGINT)  # a terminal's Ctrl-C: to every process, workers too
    printed, err = process.communicate(timeout=60)  # until every holder of the pipes is gone
    assert process.returncode == 130, err
    assert printed == ""
    assert err == (  # no worker traceback, no "leaked semaphore objects"
        f"interrupted: finished points are kept in {out}; run the same command again to "
        "solve the rest\n"
    )
    _wait_until_gone(process.pid)
    done = len(_done(out))
    printed, warned = _finish_and_check(out, scheduler, capsys)
    assert f"{done} were already done, {210 - done} solved now" in printed
    assert warned == ""  # Ctrl-C leaves no torn line


def _wait_until_gone(group: int, timeout: float = 30) -> None:
    """Wait for every process of the sweep's process group to end (a worker left is a leak)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    raise AssertionError("processes of the sweep outlived it")


@pytest.mark.slow
def test_a_changed_sweep_refuses_to_resume(tmp_path, scheduler, capsys):
    out = tmp_path / "t"
    on_cluster = ["--out", str(out), "--no-progress", "--scheduler", scheduler]
    assert main(["sweep", str(TORNADO), *on_cluster]) == 0
    changed = tmp_path / "tornado.toml"
    text = TORNADO.read_text().replace(
        'scenario = "../india-2026"', f'scenario = "{ROOT / "inputs" / "india-2026"}"'
    )
    changed.write_text(text.replace("values = [0.5, 1.5]", "values = [0.6, 1.5]", 1))
    capsys.readouterr()
    assert main(["sweep", str(changed), *on_cluster]) == 2
    assert "different sweep or scenario" in capsys.readouterr().err
    assert main(["sweep", str(changed), *on_cluster, "--restart"]) == 0
    manifest = json.loads((out / "sweep.json").read_text())
    assert manifest["fingerprint"] == load_sweep(changed).fingerprint


def test_a_bad_sweep_file_is_an_input_error(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        f'scenario = "{ROOT / "inputs" / "india-2026"}"\n[[parameter]]\n'
        'name = "x"\npath = "offers.prize_usd_per_t"\nvalues = [1]\n'
    )
    assert main(["sweep", str(bad), "--out", str(tmp_path / "o")]) == 2
    assert "bad.toml:4: parameter[1].path" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
def test_dask_cluster_with_a_killed_worker(tmp_path, capsys):
    from dask.distributed import Client

    out = tmp_path / "grid"
    with local_cluster(2) as cluster:  # on loopback, no HTTP server (LocalCluster's is on 8787)
        process = subprocess.Popen(
            _sweep_command(out, "--scheduler", cluster.scheduler_address),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        _wait_for_points(out, 10, process)
        with Client(cluster) as client:
            victim = next(iter(client.run(os.getpid).values()))
        os.kill(victim, signal.SIGKILL)  # the nanny restarts it; its points are rescheduled
        stdout, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr
    assert "210 points" in stdout
    table = pd.read_parquet(out / "results.parquet")
    assert len(table) == 210 and table["point"].is_unique


@pytest.mark.slow
def test_the_local_cluster_starts_no_http_server_and_minds_no_one_on_8787(tmp_path,
                                                                         monkeypatch):  # fmt: skip
    # Two sweeps at once, or any program on 8787 (Dask's dashboard port), used to make Dask warn
    # "Port 8787 is already in use" (an error here, where warnings are errors).
    file = tmp_path / "two.toml"
    file.write_text(
        f'name = "two"\nscenario = "{ROOT / "tests" / "fixtures" / "india-lp"}"\n'
        '[[parameter]]\nname = "cover_months"\npath = "policy.stockpile_cover_months"\n'
        "values = [1, 2]\n",
        encoding="utf-8",
    )
    seen: list[tuple[set[int], set[int]]] = []
    append = run._append

    def watching(journal, rows):  # called in this process while the cluster is up
        seen.append((_listening_ports(), _dask_ports()))
        append(journal, rows)

    monkeypatch.setattr(run, "_append", watching)
    with ExitStack() as held:
        _hold(held, DASHBOARD_PORT)
        before = _listening_ports()
        outcome = run_sweep(load_sweep(file), tmp_path / "out", workers=1, progress=False)
    assert outcome.statuses == {"optimal": 2}
    assert seen
    for listening, dask in seen:  # only the scheduler's, the nanny's and the worker's comms
        assert listening - before == dask
        assert DASHBOARD_PORT not in dask


def _hold(stack: ExitStack, port: int) -> None:
    """Listen on ``port`` as another program would; if another program already does, that is
    the same situation."""
    for host in ("0.0.0.0", "127.0.0.1"):
        sock = stack.enter_context(socket.socket())
        try:
            sock.bind((host, port))
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                raise
            continue
        sock.listen()


def _listening_ports() -> set[int]:
    """TCP ports this process and its children listen on."""
    me = psutil.Process()
    return {
        connection.laddr.port
        for process in (me, *me.children(recursive=True))
        for connection in process.net_connections(kind="tcp")
        if connection.status == psutil.CONN_LISTEN
    }


def _dask_ports() -> set[int]:
    """The ports of the comms of the running sweep's scheduler, nannies and workers."""
    from distributed import default_client

    info = default_client().scheduler_info()
    addresses = [info["address"], *info["workers"]]
    addresses += [worker["nanny"] for worker in info["workers"].values()]
    return {int(address.rsplit(":", 1)[1]) for address in addresses}
