"""MIP solve times at growing size: generated scenarios with processing chains, exclusive and
prerequisite expansion options and take-or-pay contracts (``synthetic_scenario(..., chains=N)``).

Prints, per size: model size and yes/no decisions, compile, build, HiGHS's branch and cut, the
LP re-solved with the decisions fixed (for duals), the gap reached and the total; then the Pyomo
engine on the sizes up to ``--pyomo-max-vars``. Run: ``python benchmarks/bench_mip.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
from datetime import date
from importlib.metadata import version
from pathlib import Path

from models.data import compile_scenario
from optimizer import solve
from optimizer.inputs.synthetic import synthetic_scenario

SIZES = "5x6x24x2,10x10x60x4,20x15x120x10,30x20x180x15,40x25x240x20"
OUT = Path(__file__).parent / "out" / "mip.json"


def parse_sizes(text: str) -> list[tuple[int, int, int, int]]:
    return [tuple(int(x) for x in size.split("x")) for size in text.split(",")]


def measure(size: tuple[int, int, int, int], engine: str, limit: float | None) -> dict:
    materials, suppliers, months, chains = size
    scenario = synthetic_scenario(materials, suppliers, months, seed=1, chains=chains)
    data = compile_scenario(scenario)
    result = solve(
        scenario, engine=engine, time_limit_s=limit, probe_limit=0
    )  # no re-solved prices
    timings = result.timings
    return {
        "size": "x".join(map(str, size)),
        "engine": engine,
        "variables": result.model_size.variables,
        "constraints": result.model_size.constraints,
        "nonzeros": result.model_size.nonzeros,
        "decisions": int(len(data.chain.options) + len(data.chain.contracts)),
        "status": result.status.value,
        "gap": result.mip_gap,
        "objective_usd": result.objective_usd,
        "built": int(result.decisions["chosen"].sum()) if result.decisions is not None else 0,
        "compile_s": timings.get("compile_s", 0.0),
        "build_s": timings.get("build_s", 0.0),
        "solve_s": timings.get("solve_s", 0.0),
        "fixed_lp_and_read_s": timings.get("read_s", 0.0) + timings.get("ranging_s", 0.0),
        "total_s": timings.get("total_s", 0.0),
        "violations": len(result.violations),
    }


def table(records: list[dict]) -> str:
    headers = [
        "size",
        "engine",
        "vars",
        "rows",
        "nonzeros",
        "yes/no",
        "chosen",
        "status",
        "gap",
        "compile",
        "build",
        "MIP",
        "fixed LP",
        "total",
    ]
    rows = [
        [
            r["size"],
            r["engine"],
            f"{r['variables']:,}",
            f"{r['constraints']:,}",
            f"{r['nonzeros']:,}",
            str(r["decisions"]),
            str(r["built"]),
            r["status"],
            "-" if r["gap"] is None else f"{r['gap']:.2e}",
            f"{r['compile_s']:.2f}",
            f"{r['build_s']:.2f}",
            f"{r['solve_s']:.2f}",
            f"{r['fixed_lp_and_read_s']:.2f}",
            f"{r['total_s']:.2f}",
        ]
        for r in records
    ]
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        padded = zip(cells, widths, strict=True)
        return "  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(padded))

    return "\n".join([line(headers), "-" * len(line(headers)), *(line(r) for r in rows)])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=SIZES, help="materials x suppliers x months x chains")
    parser.add_argument("--pyomo-max-vars", type=int, default=60_000)
    parser.add_argument("--time-limit", type=float, default=300.0)
    parser.add_argument("--out", type=Path, default=OUT, help=f"figures as JSON (default {OUT})")
    args = parser.parse_args(argv)
    print(f"bench_mip  {date.today()}  {os.cpu_count()} cores  {platform.processor() or ''}")
    print(
        f"Python {platform.python_version()}, highspy {version('highspy')}, "
        f"load average (1 min) {os.getloadavg()[0]:.2f}; time limit {args.time_limit:g} s"
    )
    solve(synthetic_scenario(3, 4, 12, chains=1))  # warm up imports, untimed
    records = []
    for size in parse_sizes(args.sizes):
        record = measure(size, "highs", args.time_limit)
        records.append(record)
        if record["variables"] <= args.pyomo_max_vars:
            records.append(measure(size, "pyomo", args.time_limit))
        print(f"  {record['size']}: {record['status']} in {record['total_s']:.1f} s", flush=True)
    print("\nSeconds; 'MIP' is HiGHS's branch and cut, 'fixed LP' the LP re-solved with the")
    print("decisions fixed (duals, ranging) plus reading the solution; gap = relative MIP gap.\n")
    print(table(records))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(records, indent=2) + "\n", encoding="utf-8")
    print(f"\nFigures written to {args.out}")


if __name__ == "__main__":
    main()
