"""Disruption-risk benchmark: the extensive form at growing numbers of sampled scenarios, on
the default scenario with three events (a Chinese licence stall, the return of the October-2025
measures, sanctions on Russian payments; see inputs/india-2026-risk-like data below) or on a
generated one. Prints, per count: distinct scenarios after merging, the merged model's size,
the time to build it (every scenario's LP and the merge), HiGHS's solve, the tables, the whole
solve, the share outside HiGHS and the peak memory; it is not a test.

    python benchmarks/bench_risk.py [--counts 10,50,100] [--scenario DIR|synthetic:MxSxT]
        [--values] [--out FILE]
"""

from __future__ import annotations

import argparse
import datetime
import json
import resource
import sys
import time
from pathlib import Path

import pandas as pd

from models.data import compile_scenario
from models.risk_engine import solve_risk
from models.solution import SolveOptions
from optimizer.inputs.loading import load_scenario
from optimizer.inputs.scenario import Scenario
from optimizer.inputs.synthetic import synthetic_scenario
from optimizer.results.solving import solve

ROOT = Path(__file__).resolve().parents[1]
OUT = Path(__file__).resolve().parent / "out" / "risk.json"


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


def base_scenario(text: str) -> Scenario:
    if text.startswith("synthetic:"):
        m, s, t = (int(x) for x in text.split(":", 1)[1].split("x"))
        return synthetic_scenario(m, s, t, seed=0)
    return load_scenario(text)


def measure(base: Scenario, samples: int, values: bool) -> dict:
    scenario = with_events(base, samples)
    data = compile_scenario(scenario)
    started = time.perf_counter()
    outcome = solve_risk(scenario, data, SolveOptions(threads=1), values=values)
    engine_s = time.perf_counter() - started
    started = time.perf_counter()
    result = solve(scenario, threads=1)
    total_s = time.perf_counter() - started
    return {
        "samples": samples,
        "scenarios": outcome.tree.size,
        "status": outcome.status.value,
        "variables": outcome.size.variables,
        "rows": outcome.size.constraints,
        "nonzeros": outcome.size.nonzeros,
        "build_s": outcome.build_seconds,
        "highs_s": outcome.solve_seconds,
        "engine_s": engine_s,
        "solve_command_s": total_s,
        "outside_share": 1 - outcome.solve_seconds / engine_s if engine_s else float("nan"),
        "expected_cost_usd": (result.risk_summary or {}).get("expected_cost_usd"),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def table(records: list[dict]) -> str:
    headers = ["samples", "scenarios", "variables", "rows", "build s", "HiGHS s", "engine s",
               "solve() s", "outside HiGHS", "peak RSS MB"]  # fmt: skip
    lines = ["  ".join(f"{h:>12}" for h in headers)]
    for r in records:
        cells = [r["samples"], r["scenarios"], f"{r['variables']:,}", f"{r['rows']:,}",
                 f"{r['build_s']:.2f}", f"{r['highs_s']:.2f}", f"{r['engine_s']:.2f}",
                 f"{r['solve_command_s']:.2f}", f"{r['outside_share']:.0%}",
                 f"{r['peak_rss_mb']:.0f}"]  # fmt: skip
        lines.append("  ".join(f"{c:>12}" for c in cells))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--counts", default="10,50", help="sampled paths per run, comma-separated")
    parser.add_argument("--scenario", default=str(ROOT / "inputs" / "india-2026"))
    parser.add_argument("--values", action="store_true", help="time VSS and EVPI too")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    base = base_scenario(args.scenario)
    records = []
    for count in (int(c) for c in args.counts.split(",")):
        print(f"measuring {count} samples ...", file=sys.stderr, flush=True)
        records.append(measure(base, count, args.values))
    print(f"bench_risk  {datetime.date.today()}  scenario {args.scenario}")
    print(table(records))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"scenario": args.scenario, "runs": records}, indent=2) + "\n")
    print(f"\nFigures written to {args.out}")


if __name__ == "__main__":
    main()
