"""Disruption-risk benchmark: the whole ``sourcing solve`` of a risk scenario at growing numbers
of scenarios, with where the time goes and how it grows; it is not a test.

``--scenario default-sampled`` (the default): a copy of inputs/india-2026-risk with its own
events.csv, ``[risk] samples = N`` and no risk_scenarios.csv, solved and written as the CLI does
(``optimizer.results.solving.solve`` then ``write_result``, VSS and EVPI included);
``sampled:DIR`` the same with another risk folder. A folder or ``synthetic:MxSxT``: that
scenario with three generated events (a licence stall, dearer Chinese prices, a country cut
off; see ``with_events``), solved in memory and written.

``--count-by distinct`` (the default): each count is a number of distinct scenarios (paths of
the tree); the sample count is the smallest that draws at least that many distinct paths with
the scenario's seed (the default's events are rare: 1,000 samples draw 391 paths, some 3,500
draw 1,000). ``--count-by samples``: each count is ``[risk] samples``. Both are printed.

Each size runs in a fresh process (``getrusage`` peak memory is monotone within a process: each
size's peak is its own). Per size it prints the sample count, the distinct scenarios, the merged
model's size, then seconds: data (compiling the inputs, the tree and each scenario's data),
build (the LPs as arrays, merged), start (the starting basis), HiGHS (the extensive form's
solve), read, EVPI, VSS, tables (every scenario's tables and the risk figures), check (the
re-check of every scenario), write (the result folder: plan.xlsx, CSVs, summary), whole (the
command a user runs: ``solve`` and ``write_result``, writing included; not the imports, nor the
CLI's printing); then:

- ``in run``: the seconds inside HiGHS's ``run()`` calls, every one of the command: the
  extensive form's, the starting basis's scenario relaxations, EVPI's and VSS's re-solves;
- ``outside``: the extensive form's outside-HiGHS share, (whole - in run) / whole: every second
  the command spends not inside a HiGHS ``run()`` (building, copying into and out of HiGHS,
  tables, the re-check and writing included), as a share of the whole;
- ``EF out``: the same share for the extensive form alone: the outside-``run()`` seconds of
  its data, build, starting basis, solve and read, as a share of those phases' seconds (the
  engine's share before EVPI, VSS, the tables, the re-check and the writing);
- ``s/scen`` and ``out/scen``: whole and outside-HiGHS seconds per distinct scenario (linear
  growth keeps them flat);
- ``peak MB``: the process's peak resident memory.

A second table splits each phase into its HiGHS ``run()`` seconds and the rest. A third times,
on the same tables, the re-check as it ran before (``recheck_one_by_one``: the whole pandas
re-check once per scenario, then the tree's rule once) against the re-check of every scenario
at once, and their ratio. Up to ``--baseline-max`` (a count) it also runs the engine as it was
before it was made fast (``old_engine``: one ``build_model`` per scenario, HiGHS's MIP solver,
EVPI by a fresh build and MIP per scenario, VSS by a MIP re-solve) and prints its seconds and
the ratio old / new.

    python benchmarks/bench_risk.py [--counts 10,100,1000] [--count-by distinct|samples]
        [--scenario default-sampled|sampled:DIR|DIR|synthetic:MxSxT] [--baseline-max 50]
        [--no-recheck-baseline] [--out FILE]

Defaults: ``--counts 10,100,1000`` on a sampled folder, ``10,50`` on ``synthetic:``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import highspy
import numpy as np
import pandas as pd

from models.data import compile_scenario
from models.highs_build import build_model
from models.highs_engine import new_highs, pass_model, run, status_of
from models.risk import resolve_effects, sampled_tree, scenario_data
from models.risk_build import build_extensive
from models.risk_engine import risk_tree
from models.solution import SolveOptions, Status
from optimizer.inputs.loading import load_scenario
from optimizer.inputs.scenario import Scenario
from optimizer.inputs.synthetic import synthetic_scenario
from optimizer.results import risk_results
from optimizer.results.recheck_risk import check_trees, recheck_paths, recheck_scenarios
from optimizer.results.solving import solve
from optimizer.results.writing import write_result

ROOT = Path(__file__).resolve().parents[1]
OUT = Path(__file__).resolve().parent / "out" / "risk.json"
DEFAULT = "default-sampled"
RISK_FOLDER = ROOT / "inputs" / "india-2026-risk"


def with_events(base: Scenario, samples: int) -> Scenario:
    """``base`` with three sampled events: every licensed or Chinese channel stalls
    (capacity 0), China's prices rise 20% from November 2026, one other country is cut off."""
    countries = base.suppliers["country"].drop_duplicates().tolist()
    other = next((c for c in countries if c == "RU"), countries[-1])
    events = pd.DataFrame(
        {
            "event": ["cn-stall", "cn-prices", "cut-off"],
            "description": ["", "", ""],
            "monthly_probability": [0.04, 0.15, 0.02],
            "mean_months": [6.5, 12.0, 12.0],
            "months": [float("nan")] * 3,
            "earliest_month": [None, base.horizon[min(10, len(base.horizon) - 1)], None],
        }
    )
    china = "CN" if "CN" in countries else countries[0]
    effects = pd.DataFrame(
        {
            "event": ["cn-stall", "cn-prices", "cut-off"],
            "country": [china, china, other],
            "supplier": [None, None, None],
            "material": [None, None, None],
            "capacity_factor": [0.0, 1.0, 0.0],
            "price_factor": [1.0, 1.2, 1.0],
            "extra_lead_months": [0, 0, 0],
        }
    )
    settings = base.settings.with_changes(samples=samples, seed=2026)
    return base.with_changes(events=events, event_effects=effects, settings=settings)


def sampled_copy(folder: Path, samples: int, into: Path) -> Path:
    """A copy of ``folder`` without risk_scenarios.csv and with ``[risk] samples``."""
    copy = into / f"{folder.name}-{samples}"
    shutil.copytree(folder, copy)
    (copy / "risk_scenarios.csv").unlink(missing_ok=True)
    toml = copy / "scenario.toml"
    text = re.sub(r"(?m)^samples\s*=.*\n", "", toml.read_text(encoding="utf-8"))
    if "[risk]" not in text:
        text += "\n[risk]\n"
    toml.write_text(text.replace("[risk]\n", f"[risk]\nsamples = {samples}\n", 1), "utf-8")
    return copy


def scenario_for(text: str, samples: int, into: Path) -> Scenario | Path:
    if text == DEFAULT:
        return sampled_copy(RISK_FOLDER, samples, into)
    if text.startswith("sampled:"):  # another risk folder, with its own events
        return sampled_copy(Path(text.split(":", 1)[1]), samples, into)
    if text.startswith("synthetic:"):
        m, s, t = (int(x) for x in text.split(":", 1)[1].split("x"))
        return with_events(synthetic_scenario(m, s, t, seed=0), samples)
    return with_events(load_scenario(text), samples)


def samples_for(text: str, count: int, into: Path) -> int:
    """The fewest samples that draw at least ``count`` distinct paths with the scenario's seed
    (bisection: the paths drawn grow with the samples, if not strictly)."""

    drawn: dict[int, int] = {}

    def distinct(samples: int) -> int:
        if samples not in drawn:
            probe = into / f"probe-{samples}"
            probe.mkdir()
            scenario = _loaded(scenario_for(text, samples, probe))
            drawn[samples] = sampled_tree(scenario, scenario.horizon).size
        return drawn[samples]

    low, high = count, count
    while distinct(high) < count:
        low, high = high, high * 2
        if high > 1000 * count:
            raise SystemExit(f"{text}: no sample count draws {count} distinct paths")
    while low < high:
        middle = (low + high) // 2
        low, high = (middle + 1, high) if distinct(middle) < count else (low, middle)
    return high


def _loaded(source: Scenario | Path) -> Scenario:
    return source if isinstance(source, Scenario) else load_scenario(source)


@contextlib.contextmanager
def recording():
    """Keep the engine's outcome, the seconds of the solve (the tables are the rest of
    ``risk_result``) and every HiGHS ``run()`` call's start and end (``highspy.Highs.run``
    wrapped, so every caller's calls count)."""
    original, kept = risk_results.solve_risk, {"runs": []}
    highs_run = highspy.Highs.run

    def wrapper(*args, **kwargs):
        kept["engine_start"] = time.perf_counter()
        kept["outcome"] = original(*args, **kwargs)
        kept["engine_s"] = time.perf_counter() - kept["engine_start"]
        return kept["outcome"]

    def timed_run(self, *args, **kwargs):
        started = time.perf_counter()
        try:
            return highs_run(self, *args, **kwargs)
        finally:
            kept["runs"].append((started, time.perf_counter()))

    risk_results.solve_risk = wrapper
    highspy.Highs.run = timed_run
    try:
        yield kept
    finally:
        risk_results.solve_risk = original
        highspy.Highs.run = highs_run


ENGINE_PHASES = ("data_s", "merge_s", "start_s", "solve_s", "read_s", "evpi_s", "vss_s")


def _in_run(runs: list[tuple[float, float]], start: float, end: float) -> float:
    """Seconds of the ``run()`` calls that began within [start, end)."""
    return sum(e - s for s, e in runs if start <= s < end)


def measure(source: Scenario | Path, samples: int, into: Path) -> dict:
    """The whole command: solve (VSS and EVPI included) and write the result folder; each
    phase's seconds inside and outside HiGHS's ``run()``."""
    with recording() as kept:
        started = time.perf_counter()
        result = solve(source)
        solved = time.perf_counter()
        write_result(result, into / f"result-{samples}")
        written = time.perf_counter()
    outcome, timings, runs = kept["outcome"], result.timings, kept["runs"]
    seconds = outcome.seconds
    whole = written - started
    in_run = sum(e - s for s, e in runs)
    # the engine's phases follow one another from its start (models.risk_engine.solve_risk)
    phase_run, clock = {}, kept["engine_start"]
    for phase in ENGINE_PHASES:
        phase_run[phase] = _in_run(runs, clock, clock + seconds.get(phase, 0.0))
        clock += seconds.get(phase, 0.0)
    # the extensive form alone: its data, build, starting basis, solve and read
    form = ("data_s", "merge_s", "start_s", "solve_s", "read_s")
    form_s = sum(seconds.get(phase, 0.0) for phase in form)
    form_outside = form_s - sum(phase_run[phase] for phase in form)
    return {
        "samples": samples,
        "scenarios": outcome.tree.size,
        "status": outcome.status.value,
        "variables": outcome.size.variables,
        "rows": outcome.size.constraints,
        "nonzeros": outcome.size.nonzeros,
        "nodes": outcome.nodes,
        "iterations": outcome.iterations,
        "data_s": seconds.get("data_s", 0.0) + timings.get("compile_s", 0.0),
        "build_s": seconds.get("merge_s", 0.0),
        "start_s": seconds.get("start_s", 0.0),
        "highs_s": seconds.get("solve_s", 0.0),
        "read_s": seconds.get("read_s", 0.0),
        "evpi_s": seconds.get("evpi_s", 0.0),
        "vss_s": seconds.get("vss_s", 0.0),
        "engine_s": kept["engine_s"],
        "tables_s": timings.get("total_s", 0.0)
        - kept["engine_s"]
        - timings.get("check_s", 0.0)
        - timings.get("compile_s", 0.0),
        "check_s": timings.get("check_s", 0.0),
        "solve_s": solved - started,
        "write_s": written - solved,
        "whole_s": whole,
        "in_run_s": in_run,
        "run_calls": len(runs),
        "phase_run_s": phase_run,
        "form_s": form_s,
        "form_outside_share": form_outside / form_s if form_s else float("nan"),
        "outside_s": whole - in_run,
        "outside_share": (whole - in_run) / whole if whole else float("nan"),
        "whole_per_scenario_s": whole / outcome.tree.size,
        "outside_per_scenario_s": (whole - in_run) / outcome.tree.size,
        "objective_usd": outcome.objective,
        "vss_usd": outcome.vss,
        "evpi_usd": outcome.evpi,
        "violations": len(result.violations),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "_result": result,
    }


def recheck_one_by_one(scenario: Scenario, risk: pd.DataFrame, plans: pd.DataFrame,
                       stocks: pd.DataFrame, processing: pd.DataFrame | None,
                       decisions: pd.DataFrame | None, active: np.ndarray,
                       events: list[str]) -> list[str]:  # fmt: skip
    """The re-check as it ran before it was made one pass: the whole pandas re-check of one
    scenario's tables after another (each selected from the long tables, as before), then the
    tree's rule once over them all."""
    found = []
    names = risk["scenario"].tolist()
    for s, name in enumerate(names):  # scenarios: each a whole re-check
        mine = risk.iloc[[s]]
        runs = None if processing is None else processing[processing["scenario"] == name]
        paths = recheck_paths(scenario, mine, plans[plans["scenario"] == name],
                              stocks[stocks["scenario"] == name], runs, decisions,
                              active[[s]], events)  # fmt: skip
        found += [f"scenario {f.scenario}: {f.text}" for f in paths]
    return found + check_trees(scenario, names, plans, stocks, processing, active)


def recheck_baseline(result) -> dict:
    """The re-check before (one scenario after another) and now (every scenario at once), on
    the same tables, timed one after the other."""
    tree = result.risk_tree
    args = (result.scenario, result.risk, result.risk_plan, result.risk_stock,
            result.risk_processing, result.decisions, tree.active, tree.events)  # fmt: skip
    started = time.perf_counter()
    now = recheck_scenarios(*args)
    middle = time.perf_counter()
    before = recheck_one_by_one(*args)
    done = time.perf_counter()
    return {"recheck_now_s": middle - started, "recheck_before_s": done - middle,
            "recheck_same": sorted(now) == sorted(before)}  # fmt: skip


def old_engine(scenario: Scenario, options: SolveOptions) -> dict:
    """The engine before it was made fast, timed: one ``build_model`` per scenario (merged as
    now: the merged LP is the same), HiGHS's MIP solver on the extensive form, EVPI by a fresh
    build and solve per scenario, VSS by re-solving the extensive form with HiGHS."""
    started = time.perf_counter()
    data = compile_scenario(scenario)
    tree = risk_tree(scenario, data.months)
    effects = resolve_effects(scenario, data, tree.events)
    datas = [scenario_data(data, scenario, tree, effects, s) for s in range(tree.size)]
    for d in datas:  # the per-scenario builds the merge used to start from
        build_model(d)
    settings = scenario.settings
    form = build_extensive(datas, tree, settings.risk_weight, settings.cvar_alpha)
    built = time.perf_counter()
    highs = _highs(form.lp, options)
    solved = time.perf_counter()
    objective = float(highs.getInfo().objective_function_value)
    for d in datas:  # EVPI: each scenario alone
        _highs(build_model(d), options)
    waited = time.perf_counter()
    plain = _highs(build_model(data), options)
    x = np.asarray(plain.getSolution().col_value)
    shared = (form.column_of == form.column_of[0]).all(axis=0)
    columns = form.column_of[0, shared].astype(np.int32)
    fixed = np.clip(x[shared], form.lp.col_lower[columns], form.lp.col_upper[columns])
    highs.changeColsBounds(len(columns), columns, fixed, fixed)
    run(highs)
    done = time.perf_counter()
    return {
        "old_build_s": built - started,
        "old_highs_s": solved - built,
        "old_evpi_s": waited - solved,
        "old_vss_s": done - waited,
        "old_engine_s": done - started,
        "old_objective_usd": objective,
        "old_status": status_of(highs)[0].value,
    }


def options_of(scenario: Scenario) -> SolveOptions:
    """The options ``solve`` gives the engine from the scenario's ``[solver]`` settings."""
    settings = scenario.settings
    return SolveOptions(time_limit_s=settings.time_limit_s, mip_rel_gap=settings.mip_rel_gap,
                        threads=settings.threads, algorithm=settings.algorithm)  # fmt: skip


def _highs(lp, options: SolveOptions):
    highs = new_highs(options, "choose")
    pass_model(highs, lp)
    run(highs)
    if status_of(highs)[0] != Status.OPTIMAL:
        raise RuntimeError("the baseline engine found no optimum")
    return highs


def table(records: list[dict]) -> str:
    columns = [("samples", "samples", "{}"), ("scenarios", "scen", "{}"),
               ("variables", "vars", "{:,}"), ("rows", "rows", "{:,}"),
               ("iterations", "iters", "{:,}"),
               ("data_s", "data", "{:.2f}"), ("build_s", "build", "{:.2f}"),
               ("start_s", "start", "{:.2f}"), ("highs_s", "HiGHS", "{:.2f}"),
               ("read_s", "read", "{:.2f}"), ("evpi_s", "EVPI", "{:.2f}"),
               ("vss_s", "VSS", "{:.2f}"), ("tables_s", "tables", "{:.2f}"),
               ("check_s", "check", "{:.2f}"), ("write_s", "write", "{:.2f}"),
               ("whole_s", "whole", "{:.2f}"), ("in_run_s", "in run", "{:.2f}"),
               ("outside_share", "outside", "{:.0%}"),
               ("form_outside_share", "EF out", "{:.0%}"),
               ("whole_per_scenario_s", "s/scen", "{:.3f}"),
               ("outside_per_scenario_s", "out/scen", "{:.3f}"),
               ("peak_rss_mb", "peak MB", "{:.0f}")]  # fmt: skip
    lines = ["  ".join(f"{label:>8}" for _, label, _ in columns)]
    for r in records:
        lines.append("  ".join(f"{form.format(r[key]):>8}" for key, _, form in columns))
    lines += ["", "each phase: seconds inside HiGHS's run() / outside it:"]
    # (label, the engine's phase, the record's seconds)
    phases = [("data", "data_s", "data_s"), ("build", "merge_s", "build_s"),
              ("start", "start_s", "start_s"), ("HiGHS", "solve_s", "highs_s"),
              ("read", "read_s", "read_s"), ("EVPI", "evpi_s", "evpi_s"),
              ("VSS", "vss_s", "vss_s")]  # fmt: skip
    heads = ["scen", *(label for label, _, _ in phases), "tables", "check", "write", "outside"]
    lines.append("  ".join(f"{h:>11}" for h in heads))
    for r in records:
        cells = [str(r["scenarios"])]
        for _, phase, key in phases:
            inside = r["phase_run_s"].get(phase, 0.0)
            cells.append(f"{inside:.2f}/{r[key] - inside:.2f}")
        cells += [f"-/{r['tables_s']:.2f}", f"-/{r['check_s']:.2f}", f"-/{r['write_s']:.2f}",
                  f"{r['outside_s']:.2f}"]  # fmt: skip
        lines.append("  ".join(f"{c:>11}" for c in cells))
    checked = [r for r in records if "recheck_before_s" in r]
    if checked:
        lines += ["", "re-check before (one scenario after another) and now (all at once):"]
        heads = ["scen", "before", "now", "before/now", "same"]
        lines.append("  ".join(f"{h:>10}" for h in heads))
        for r in checked:
            cells = [r["scenarios"], f"{r['recheck_before_s']:.2f}", f"{r['recheck_now_s']:.2f}",
                     f"{r['recheck_before_s'] / r['recheck_now_s']:.1f}x",
                     "yes" if r["recheck_same"] else "NO"]  # fmt: skip
            lines.append("  ".join(f"{c:>10}" for c in cells))
    old = [r for r in records if "old_engine_s" in r]
    if old:
        lines += ["", "engine before (old_engine) and now, same process:"]
        heads = ["samples", "old build", "old HiGHS", "old EVPI", "old VSS", "old engine",
                 "new engine", "old/new", "same opt."]  # fmt: skip
        lines.append("  ".join(f"{h:>10}" for h in heads))
        for r in old:
            cells = [r["samples"], f"{r['old_build_s']:.2f}", f"{r['old_highs_s']:.2f}",
                     f"{r['old_evpi_s']:.2f}", f"{r['old_vss_s']:.2f}",
                     f"{r['old_engine_s']:.2f}", f"{r['engine_s']:.2f}",
                     f"{r['old_engine_s'] / r['engine_s']:.1f}x",
                     "yes" if np.isclose(r["old_objective_usd"], r["objective_usd"], rtol=1e-9,
                                         atol=1e-6) else "NO"]  # fmt: skip
            lines.append("  ".join(f"{c:>10}" for c in cells))
    return "\n".join(lines)


def one_size(args: argparse.Namespace, count: int) -> dict:
    """One size in this process: the samples for it, the whole command, the baselines."""
    with tempfile.TemporaryDirectory() as folder:
        into = Path(folder)
        by_distinct = args.count_by == "distinct"
        samples = samples_for(args.scenario, count, into) if by_distinct else count
        source = scenario_for(args.scenario, samples, into)
        record = measure(source, samples, into)
        result = record.pop("_result")
        record["count"], record["count_by"] = count, args.count_by
        if args.recheck_baseline:
            record |= recheck_baseline(result)
        if count <= args.baseline_max:
            scenario = _loaded(source)
            record |= old_engine(scenario, options_of(scenario))
    return record


def in_fresh_process(args: argparse.Namespace, count: int) -> dict:
    """``one_size`` in a child process (its own peak memory), its record read from stdout."""
    command = [sys.executable, __file__, "--one", str(count), "--scenario", args.scenario,
               "--count-by", args.count_by, "--baseline-max", str(args.baseline_max)]  # fmt: skip
    if not args.recheck_baseline:
        command.append("--no-recheck-baseline")
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"the run at {count} failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--counts", help="comma-separated (default: 10,100,1000; synthetic 10,50)")
    parser.add_argument("--count-by", choices=("distinct", "samples"), default="distinct",
                        help="counts are distinct scenarios (default) or samples")  # fmt: skip
    parser.add_argument("--scenario", default=DEFAULT,
                        help=f"{DEFAULT}, sampled:DIR, DIR or synthetic:MxSxT")  # fmt: skip
    parser.add_argument("--baseline-max", type=int, default=50,
                        help="run the old engine too up to this count (0: never)")  # fmt: skip
    parser.add_argument("--no-recheck-baseline", dest="recheck_baseline", action="store_false",
                        help="do not time the re-check one scenario after another")  # fmt: skip
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # a child process's size
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    if args.one is not None:
        print(json.dumps(one_size(args, args.one)))
        return
    default = "10,50" if args.scenario.startswith("synthetic:") else "10,100,1000"
    records = []
    for count in (int(c) for c in (args.counts or default).split(",")):
        print(f"measuring {count} ({args.count_by}) ...", file=sys.stderr, flush=True)
        records.append(in_fresh_process(args, count))
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"bench_risk  {datetime.date.today()}  scenario {args.scenario}  counts by "
          f"{args.count_by}  load average {load} on {os.cpu_count()} cores")  # fmt: skip
    print(table(records))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    figures = {"scenario": args.scenario, "count_by": args.count_by, "load_average": load,
               "runs": records}  # fmt: skip
    args.out.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"\nFigures written to {args.out}")


if __name__ == "__main__":
    main()
