"""Extensive form against progressive hedging at growing numbers of sampled disruption paths.

Three methods per configuration, each in a fresh process (so peak memory is the run's own):
``ef``, the multistage extensive form ``sourcing solve`` runs by default (``solve_risk``,
without VSS and EVPI); ``ef2``, the extensive form of the two-stage tree PH solves
(``solve_two_stage_extensive``: the like-for-like reference); ``ph``, mpi-sppy's PH over the
two-stage form on ``--ranks`` MPI ranks (``mpiexec -n K``; 1: one plain process), then every
scenario's plan with the first stage it kept and the Lagrangian bound (``solve_ph``). Tables
and re-checks are left out of all three.

Configurations, made by bench_risk.py's ``scenario_for``: the default risk data
(``inputs/india-2026-risk`` with its events.csv and event_effects.csv, without
risk_scenarios.csv, ``[risk] samples = N``) at ``--counts``; and ``synthetic:20x15x120`` with
bench_risk.py's three sampled events at ``--synthetic-counts``. A run past ``--time-limit``
seconds is stopped (PH is also told the limit, so it stops iterating and still builds its
plans) and marked so.

Peak memory: each run is started by a small measuring process that waits for it and reads
``getrusage(RUSAGE_CHILDREN).ru_maxrss``: the largest single process among the run's (for
``mpiexec``: the largest rank); ``sum MB`` adds every rank's own peak, an upper bound on what
the ranks held at once. Timings are wall-clock; on a shared machine they move with its load.

    python benchmarks/bench_risk_ph.py [--counts 10,100,1000] [--synthetic-counts 10,50]
        [--ranks 2] [--time-limit 600] [--ph-iterations 100] [--quick] [--out FILE]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out" / "risk_ph.json"
DEFAULT = "default-sampled"  # bench_risk.py's name for the default risk data, sampled
SYNTHETIC = "synthetic:20x15x120"
METHODS = ("ef", "ef2", "ph")


def sampled(source: str, samples: int, into: Path):
    """The scenario of a configuration, as bench_risk.py makes it: the default risk data
    (``default-sampled``: a copy of inputs/india-2026-risk without risk_scenarios.csv and with
    ``[risk] samples``) or a generated scenario with bench_risk.py's three events."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_risk import scenario_for

    from optimizer.inputs.loading import load_scenario

    made = scenario_for(source, samples, into)
    return load_scenario(made) if isinstance(made, Path) else made


def run_method(method: str, source: str, samples: int, iterations: int, limit: float) -> dict:
    """One configuration in this process (every rank of mpiexec runs it); rank 0's figures."""
    from models.data import compile_scenario
    from models.solution import SolveOptions

    with tempfile.TemporaryDirectory(prefix="bench-risk-ph-data-") as into:
        scenario = sampled(source, samples, Path(into))
    data = compile_scenario(scenario)
    options = SolveOptions(threads=1, time_limit_s=limit)
    started = time.perf_counter()
    record: dict = {"method": method, "source": source, "samples": samples}
    if method == "ph":
        from models.risk_ph import PHSettings, world
        from models.risk_ph_eval import solve_ph

        settings = PHSettings(iterations=iterations, time_limit_s=limit)
        run = solve_ph(scenario, data, SolveOptions(threads=1), settings)
        from mpi4py import MPI

        peaks = MPI.COMM_WORLD.gather(_own_peak_mb(), root=0)
        if world()[0] != 0:
            return {}
        plans, outcome = run.plans, run.outcome
        record.update(
            scenarios=run.tree.size,
            status=run.status(settings.rel_gap)[0].value,
            objective_usd=plans.objective if plans else None,
            gap=run.gap,
            outer_bound_usd=run.outer_bound,
            iterations=outcome.iterations,
            convergence=outcome.convergence,
            converged=outcome.converged,
            ph_s=outcome.seconds,
            plans_s=run.evaluate_seconds,
            ranks=outcome.ranks,
            cylinders=outcome.cylinders,
            sum_mb=sum(peaks),
        )
    else:
        if method == "ef":
            from models.risk_engine import solve_risk

            outcome = solve_risk(scenario, data, options, values=False)
        else:
            from models.risk_ph_eval import solve_two_stage_extensive

            outcome = solve_two_stage_extensive(scenario, data, options)
        record.update(
            scenarios=outcome.tree.size,
            status=outcome.status.value,
            objective_usd=outcome.objective,
            gap=outcome.mip_gap,
            variables=outcome.size.variables if outcome.size else None,
            build_s=outcome.build_seconds,
            highs_s=outcome.solve_seconds,
            sum_mb=_own_peak_mb(),
        )
    record["engine_s"] = time.perf_counter() - started
    return record


def _own_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(command: list[str], figures: Path, limit: float) -> dict:
    """Run ``command`` in a fresh process group and wait: its wall time, whether the time
    limit stopped it, and the peak memory of its largest process (this process is new, so
    RUSAGE_CHILDREN holds that run's alone)."""
    started = time.perf_counter()
    child = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:  # PH is told the limit and stops itself; the grace covers its plans and imports
        _, err = child.communicate(timeout=limit * 1.5 + 60)
        stopped = False
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        _, err = child.communicate()
        stopped = True
    record = json.loads(figures.read_text()) if figures.exists() else {}
    record.update(
        wall_s=time.perf_counter() - started,
        stopped=stopped,
        returncode=child.returncode,
        peak_mb=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    )
    if child.returncode and not stopped:
        record["error"] = err.strip().splitlines()[-1:] if err else []
    return record


def mpiexec() -> str:
    here = Path(sys.executable).parent / "mpiexec"
    found = str(here) if here.exists() else shutil.which("mpiexec")
    if found is None:
        sys.exit("no mpiexec: pip install -e '.[ph]' (MPICH's wheel brings one), or --ranks 1")
    return found


def configuration(method: str, source: str, samples: int, args, folder: Path) -> dict:
    figures = folder / f"{method}-{source.replace('/', '_').replace(':', '_')}-{samples}.json"
    inner = [sys.executable, __file__, "--run", method, source, str(samples),
             "--ph-iterations", str(args.ph_iterations), "--time-limit", str(args.time_limit),
             "--figures", str(figures)]  # fmt: skip
    if method == "ph" and args.ranks > 1:
        inner = [mpiexec(), "-n", str(args.ranks), *inner]
    measuring = [sys.executable, __file__, "--measure", str(figures), str(args.time_limit), "--",
                 *inner]  # fmt: skip
    done = subprocess.run(measuring, capture_output=True, text=True, check=False)
    if done.returncode:
        return {"method": method, "source": source, "samples": samples,
                "error": done.stderr.strip().splitlines()[-1:]}  # fmt: skip
    return json.loads(done.stdout)


def table(records: list[dict]) -> str:
    headers = ["scenario", "samples", "method", "scenarios", "status", "time s", "peak MB",
               "sum MB", "objective USD", "gap", "PH it", "PH/EF2 t", "PH/EF2 mem",
               "PH/EF2 obj"]  # fmt: skip
    lines = ["  ".join(f"{h:>13}" for h in headers)]
    by_key = {(r.get("source"), r.get("samples"), r.get("method")): r for r in records}
    for r in records:
        ref = by_key.get((r.get("source"), r.get("samples"), "ef2"), {})
        ratio_t = ratio_m = ratio_o = ""
        if r.get("method") == "ph" and ref.get("wall_s") and not ref.get("stopped"):
            ratio_t = f"{r['wall_s'] / ref['wall_s']:.2f}"
            ratio_m = f"{r.get('sum_mb', 0) / max(ref.get('sum_mb', 0), 1):.2f}"
            if r.get("objective_usd") and ref.get("objective_usd"):
                ratio_o = f"{r['objective_usd'] / ref['objective_usd'] - 1:+.4%}"
        status = "TIME LIMIT" if r.get("stopped") else r.get("status", "error")
        gap = r.get("gap")
        cells = [_short(r.get("source", "")), r.get("samples"), r.get("method"),
                 r.get("scenarios", "-"), status, f"{r.get('wall_s', float('nan')):.1f}",
                 f"{r.get('peak_mb', float('nan')):.0f}", f"{r.get('sum_mb', float('nan')):.0f}",
                 "-" if r.get("objective_usd") is None else f"{r['objective_usd']:,.0f}",
                 "-" if gap is None else f"{gap:.3%}", r.get("iterations", ""), ratio_t,
                 ratio_m, ratio_o]  # fmt: skip
        lines.append("  ".join(f"{c!s:>13}" for c in cells))
    return "\n".join(lines)


def _short(source: str) -> str:
    return "default" if source == DEFAULT else source.replace("synthetic:", "")


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--measure":  # measuring process: FIGURES LIMIT -- COMMAND...
        figures, limit, command = Path(argv[1]), float(argv[2]), argv[4:]
        print(json.dumps(measure(command, figures, limit)))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--counts", default="10,100,1000", help="sampled paths, default data")
    parser.add_argument("--synthetic-counts", default="10,50", help=f"sampled paths, {SYNTHETIC}")
    parser.add_argument("--synthetic", default=SYNTHETIC, help="the generated scenario")
    parser.add_argument("--ranks", type=int, default=2, help="MPI ranks for PH (1: no mpiexec)")
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--time-limit", type=float, default=600.0, metavar="S",
                        help="per run (default 600)")  # fmt: skip
    parser.add_argument("--ph-iterations", type=int, default=100)
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 4 paths of synthetic:2x3x12, PH on one rank")  # fmt: skip
    parser.add_argument("--run", nargs=3, metavar=("METHOD", "SOURCE", "SAMPLES"),
                        help=argparse.SUPPRESS)  # fmt: skip
    parser.add_argument("--figures", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    if args.run:  # one configuration, in this fresh process (each rank under mpiexec)
        method, source, samples = args.run
        record = run_method(method, source, int(samples), args.ph_iterations, args.time_limit)
        if record:
            args.figures.write_text(json.dumps(record, default=float))
        return
    plan = [(DEFAULT, int(c)) for c in args.counts.split(",") if c]
    plan += [(args.synthetic, int(c)) for c in args.synthetic_counts.split(",") if c]
    if args.quick:
        plan, args.ranks, args.time_limit = [("synthetic:2x3x12", 4)], 1, min(args.time_limit, 120)
    methods = [m for m in args.methods.split(",") if m]
    records = []
    with tempfile.TemporaryDirectory(prefix="bench-risk-ph-") as folder:
        for source, samples in plan:
            for method in methods:
                print(f"{_short(source)} {samples} paths: {method} ...", file=sys.stderr,
                      flush=True)  # fmt: skip
                records.append(configuration(method, source, samples, args, Path(folder)))
    print(f"bench_risk_ph  {datetime.date.today()}  PH on {args.ranks} rank(s), time limit "
          f"{args.time_limit:g} s per run, {os.cpu_count()} cores (shared: timings move with "
          "the load)")  # fmt: skip
    print(table(records))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"ranks": args.ranks, "runs": records}, indent=2,
                                   default=float) + "\n")  # fmt: skip
    print(f"\nFigures written to {args.out}")


if __name__ == "__main__":
    main()
