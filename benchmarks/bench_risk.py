"""Disruption-risk benchmark: the whole ``sourcing solve`` of a risk scenario at growing numbers
of sampled paths, with where the time goes; it is not a test.

``--scenario default-sampled`` (the default): a copy of inputs/india-2026-risk with its own
events.csv, ``[risk] samples = N`` and no risk_scenarios.csv, solved as the CLI solves a folder
(``optimizer.results.solving.solve`` then ``write_result``, VSS and EVPI included);
``sampled:DIR`` the same with another risk folder. A folder or ``synthetic:MxSxT``: that
scenario with three generated events (a licence stall, dearer Chinese prices, a country cut
off; see ``with_events``), solved in memory.

Per count it prints the distinct scenarios, the merged model's size, branch-and-bound nodes and
simplex iterations, then seconds: data (tree and each scenario's data), build (the LPs as
arrays, merged), start (the starting basis), HiGHS (the extensive form's solve), read, EVPI,
VSS, tables, check (the re-check), write, whole; the share of the whole outside the extensive
form's solve; the process's peak memory so far. Up to ``--baseline-max`` paths it also runs
the engine as it was before it was made fast (``old_engine``: one ``build_model`` per scenario,
HiGHS's MIP solver, EVPI by a fresh build and MIP per scenario, VSS by a MIP re-solve) in the
same process, and prints its seconds and the ratio old / new.

    python benchmarks/bench_risk.py [--counts 50,200] [--baseline-max 50] [--out FILE]
        [--scenario default-sampled|sampled:DIR|DIR|synthetic:MxSxT]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import re
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from models.data import compile_scenario
from models.highs_build import build_model
from models.highs_engine import new_highs, pass_model, run, status_of
from models.risk import resolve_effects, scenario_data
from models.risk_build import build_extensive
from models.risk_engine import risk_tree
from models.solution import SolveOptions, Status
from optimizer.inputs.loading import load_scenario
from optimizer.inputs.scenario import Scenario
from optimizer.inputs.synthetic import synthetic_scenario
from optimizer.results import risk_results
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


@contextlib.contextmanager
def recording():
    """Keep the engine's outcome and seconds of the solve (the tables are the rest of
    ``risk_result``): ``risk_results`` calls ``solve_risk`` through this wrapper."""
    original, kept = risk_results.solve_risk, {}

    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        kept["outcome"] = original(*args, **kwargs)
        kept["engine_s"] = time.perf_counter() - started
        return kept["outcome"]

    risk_results.solve_risk = wrapper
    try:
        yield kept
    finally:
        risk_results.solve_risk = original


def measure(source: Scenario | Path, samples: int, into: Path) -> dict:
    """The whole command: solve (VSS and EVPI included) and write the result folder."""
    with recording() as kept:
        started = time.perf_counter()
        result = solve(source)
        solved = time.perf_counter()
        write_result(result, into / f"result-{samples}")
        written = time.perf_counter()
    outcome, timings = kept["outcome"], result.timings
    seconds = outcome.seconds
    whole = written - started
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
        "outside_share": 1 - seconds.get("solve_s", 0.0) / whole if whole else float("nan"),
        "objective_usd": outcome.objective,
        "vss_usd": outcome.vss,
        "evpi_usd": outcome.evpi,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


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
               ("variables", "vars", "{:,}"), ("rows", "rows", "{:,}"), ("nodes", "nodes", "{}"),
               ("iterations", "iters", "{:,}"), ("data_s", "data", "{:.2f}"),
               ("build_s", "build", "{:.2f}"), ("start_s", "start", "{:.2f}"),
               ("highs_s", "HiGHS", "{:.2f}"), ("read_s", "read", "{:.2f}"),
               ("evpi_s", "EVPI", "{:.2f}"), ("vss_s", "VSS", "{:.2f}"),
               ("tables_s", "tables", "{:.2f}"), ("check_s", "check", "{:.2f}"),
               ("write_s", "write", "{:.2f}"), ("whole_s", "whole", "{:.2f}"),
               ("outside_share", "outside", "{:.0%}"),
               ("peak_rss_mb", "peak MB", "{:.0f}")]  # fmt: skip
    lines = ["  ".join(f"{label:>9}" for _, label, _ in columns)]
    for r in records:
        lines.append("  ".join(f"{form.format(r[key]):>9}" for key, _, form in columns))
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--counts", default="50,200", help="sampled paths, comma-separated")
    parser.add_argument("--scenario", default=DEFAULT,
                        help=f"{DEFAULT}, sampled:DIR, DIR or synthetic:MxSxT")  # fmt: skip
    parser.add_argument("--baseline-max", type=int, default=50,
                        help="run the old engine too up to this many paths (0: never)")  # fmt: skip
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    records = []
    with tempfile.TemporaryDirectory() as folder:
        for count in (int(c) for c in args.counts.split(",")):
            print(f"measuring {count} samples ...", file=sys.stderr, flush=True)
            source = scenario_for(args.scenario, count, Path(folder))
            record = measure(source, count, Path(folder))
            if count <= args.baseline_max:
                print(f"  and the old engine at {count} ...", file=sys.stderr, flush=True)
                scenario = source if isinstance(source, Scenario) else load_scenario(source)
                record |= old_engine(scenario, options_of(scenario))
            records.append(record)
    print(f"bench_risk  {datetime.date.today()}  scenario {args.scenario}")
    print(table(records))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"scenario": args.scenario, "runs": records}, indent=2) + "\n")
    print(f"\nFigures written to {args.out}")


if __name__ == "__main__":
    main()
