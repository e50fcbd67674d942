"""Engine benchmarks: the fast HiGHS engine against HiGHS reading the same LP from an MPS file,
against the Pyomo engine, and HiGHS's dual simplex against interior point. Prints figures and
writes them to ``benchmarks/out/engines.json``; it is not a test.

    python benchmarks/bench_engines.py [--sizes 5x5x24,20x15x120,50x30x240]
        [--pyomo-max-vars N] [--time-limit S] [--repeats N] [--old-tree DIR]

What each column means, and the targets: ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import highspy
from command_timing import run_command, run_command_pieces  # beside this script

from models import highs_build
from models import highs_engine as he
from models.data import ModelData, compile_scenario
from optimizer.common.strings import python_strings
from optimizer.inputs.loading import load_scenario
from optimizer.inputs.scenario import Scenario
from optimizer.inputs.synthetic import synthetic_scenario
from optimizer.results import tables
from optimizer.results.policy_probes import PROBE_LIMIT, PROBE_MAX_VARIABLES
from optimizer.results.recheck import recheck
from optimizer.results.solving import solve

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SIZES = "5x5x24,20x15x120,50x30x240"
SINGLE_RUN_ABOVE_VARS = 200_000  # larger models are measured once, smaller ones --repeats times
OBJECTIVE_RTOL = 1e-6
TARGET_RATIO = 1.2  # fast-engine total / baseline, at the largest size
TARGET_OUTSIDE_S = 1.0  # seconds outside HiGHS's run, at the largest size
TARGET_COMMAND = 1.5  # the whole `sourcing solve` / HiGHS's run() of the same model (issue 12)
ALGORITHMS = ("simplex", "ipm")
OUT = Path(__file__).resolve().parent / "out" / "engines.json"


def log(message: str) -> None:
    """Progress goes to stderr, so stdout holds only the tables."""
    print(message, file=sys.stderr, flush=True)


def timed(call: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    value = call()
    return time.perf_counter() - started, value


def fastest(repeats: int, run: Callable[[], dict], key: str = "total_s") -> dict:
    """The run with the smallest ``key`` out of ``repeats`` (its other figures come with it)."""
    return min((run() for _ in range(repeats)), key=lambda figures: figures[key])


# --------------------------------------------------------------------------------------------
# Measurements
# --------------------------------------------------------------------------------------------


def measure_pipeline(scenario: Scenario, engine: str, algorithm: str, limit: float | None) -> dict:
    """``optimizer.solve``: compile, build, HiGHS, result tables, re-check, as users run it,
    without the re-solved policy prices (they solve the model again, up to ``--probe-seconds``:
    not the engine's work, so they would blur the ratio to HiGHS alone)."""
    result = solve(scenario, engine=engine, algorithm=algorithm, time_limit_s=limit, probe_limit=0)
    parts = ("compile_s", "build_s", "solve_s", "ranging_s", "read_s", "extract_s", "check_s")
    figures = dict.fromkeys(parts, 0.0) | result.timings  # no tables without a plan
    figures["other_s"] = figures["total_s"] - sum(figures.get(part, 0.0) for part in parts)
    # HiGHS's own work: solving, and its cost ranging (for the policy costs) after the solve.
    figures["outside_s"] = figures["total_s"] - figures["solve_s"] - figures["ranging_s"]
    figures["outside_share"] = figures["outside_s"] / figures["total_s"]
    figures.update(
        algorithm=result.algorithm,
        status=str(result.status),
        objective=result.objective_usd,
        violations=len(result.violations),
    )
    return figures


def measure_baseline(mps: Path, algorithm: str, limit: float | None) -> dict:
    """HiGHS alone: a fresh instance reads the MPS file and solves it."""
    highs = he.new_highs(he.SolveOptions(time_limit_s=limit), algorithm)
    read_s, status = timed(lambda: highs.readModel(str(mps)))
    if status == highspy.HighsStatus.kError:
        raise OSError(f"HiGHS could not read {mps}")
    solve_s, _ = timed(highs.run)
    return {
        "algorithm": algorithm,
        "read_s": read_s,
        "solve_s": solve_s,
        "total_s": read_s + solve_s,
        "status": highs.modelStatusToString(highs.getModelStatus()),
        "objective": highs.getInfo().objective_function_value,
    }


def engine_steps(data: ModelData, algorithm: str, limit: float | None) -> dict:
    """The fast engine step by step: arrays, passModel, a cold HiGHS run, reading the solution."""
    build_s, lp = timed(lambda: highs_build.build_model(data))
    highs = he.new_highs(he.SolveOptions(time_limit_s=limit), algorithm)
    pass_s, _ = timed(lambda: he.pass_model(highs, lp))
    solve_s, _ = timed(highs.run)
    read_s, solution = timed(lambda: he.read_solution(highs, lp))
    return {
        "build_model_s": build_s,
        "pass_model_s": pass_s,
        "solve_s": solve_s,
        "read_solution_s": read_s - solution.ranging_seconds,  # ranging is HiGHS's work
        "status": str(solution.status),
        "objective": solution.objective,
        "solution": solution,
    }


@python_strings()  # as optimizer.solve runs them
def measure_outside(scenario: Scenario, data: ModelData, steps: dict, repeats: int) -> dict:
    """Each piece of work outside HiGHS's run, timed on its own (min of ``repeats``)."""
    solution = steps["solution"]
    plan = tables.plan_table(data, solution)
    stock = tables.stock_table(data, solution)
    pieces = {
        "compile_s": lambda: compile_scenario(scenario),
        "plan_table_s": lambda: tables.plan_table(data, solution),
        "stock_table_s": lambda: tables.stock_table(data, solution),
        "mix_table_s": lambda: tables.mix_table(data, plan, solution),
        "constraints_table_s": lambda: tables.constraints_table(data, solution),
        "cost_breakdown_s": lambda: tables.cost_breakdown(data, solution),
        "recheck_s": lambda: recheck(scenario, plan, stock, float(solution.objective)),
    }
    figures = {name: min(timed(call)[0] for _ in range(repeats)) for name, call in pieces.items()}
    for step in ("build_model_s", "pass_model_s", "read_solution_s"):
        figures[step] = steps[step]
    return figures


def measure_algorithms(data: ModelData, limit: float | None, repeats: int) -> dict:
    """A cold solve with each algorithm, min of ``repeats``; the steps of each kept."""
    return {
        algorithm: fastest(repeats, lambda a=algorithm: engine_steps(data, a, limit), "solve_s")
        for algorithm in ALGORITHMS
    }


def measure_command(scenario: Scenario, variables: int, label: str, args) -> dict:
    """The whole ``sourcing solve`` as a subprocess (``command_timing``): by default, and where
    the default re-solves no prices (above ``PROBE_MAX_VARIABLES``) also with them asked for;
    with ``--format parquet`` and with ``--write-model``; with ``--old-tree``, the old code's
    default command and ``--write-model`` in the same run."""
    variants = {"default": [], "--format parquet": ["--format", "parquet"]}
    if variables > PROBE_MAX_VARIABLES:
        variants[f"--probe-limit {PROBE_LIMIT}"] = ["--probe-limit", str(PROBE_LIMIT)]
    figures = {}
    with tempfile.TemporaryDirectory() as folder:
        inputs = scenario.write(Path(folder) / "scenario")
        runs = [(name, options, None) for name, options in variants.items()]
        runs.append(("--write-model", ["--write-model", "model-new.mps"], None))
        if args.old_tree is not None:
            runs.append(("old default", [], args.old_tree))
            runs.append(("old --write-model", ["--write-model", "model-old.mps"], args.old_tree))
        for name, options, tree in runs:
            log(f"{label}: the whole command, {name}")
            out = Path(folder) / f"result-{len(figures)}"
            if tree is None:  # each piece timed inside the child, the whole from outside
                figures[name] = run_command_pieces(inputs, out, options)
            else:
                figures[name] = run_command(inputs, out, options, tree)
            if figures[name]["exit"] != 0:
                log(f"{label}: {name} exited {figures[name]['exit']}: {figures[name]['errors']}")
    return figures


def load_pyomo_engine() -> str | None:
    """Import the Pyomo engine and warm it up once; the reason when it cannot run."""
    try:
        importlib.import_module("models.pyomo_engine")
        solve(synthetic_scenario(2, 2, 12), engine="pyomo")
    except Exception as error:  # a missing or half-written engine: skip the column
        return f"Pyomo engine unavailable ({type(error).__name__}: {error})"
    return None


def measure_size(shape, args, pyomo_unavailable: str | None) -> dict:
    """Every measurement at one size, as one JSON-ready record."""
    scenario = synthetic_scenario(*shape)
    data = compile_scenario(scenario)
    size = highs_build.build_model(data).size
    repeats = args.repeats if size.variables <= SINGLE_RUN_ABOVE_VARS else 1
    label = "x".join(map(str, shape))
    record = {"size": label, **size.as_dict(), "repeats": repeats}
    limit = args.time_limit

    log(f"{label}: fast engine ({repeats} run(s))")
    fast = fastest(repeats, lambda: measure_pipeline(scenario, "highs", "auto", limit))
    record["fast"] = fast
    algorithm = fast["algorithm"]

    log(f"{label}: baseline, HiGHS reading MPS ({algorithm})")
    with tempfile.TemporaryDirectory() as folder:
        mps = Path(folder) / "model.mps"
        he.write_model(data, mps, names=False)
        record["baseline"] = fastest(repeats, lambda: measure_baseline(mps, algorithm, limit))
    record["baseline"]["ratio"] = fast["total_s"] / record["baseline"]["total_s"]

    log(f"{label}: dual simplex vs interior point")
    solves = measure_algorithms(data, limit, repeats)
    steps = solves[algorithm]
    has_plan = steps["solution"].has_plan
    record["outside"] = measure_outside(scenario, data, steps, repeats) if has_plan else {}
    record["algorithms"] = {
        name: {key: run[key] for key in ("solve_s", "status", "objective")}
        for name, run in solves.items()
    }
    record["algorithms"]["faster"] = min(ALGORITHMS, key=lambda a: solves[a]["solve_s"])
    record["algorithms"]["auto"] = he.choose_algorithm("auto", size.nonzeros)

    record["command"] = measure_command(scenario, size.variables, label, args)
    record["pyomo"] = pyomo_figures(scenario, record, algorithm, args, pyomo_unavailable)
    record["warnings"] = disagreements(record)
    return record


def pyomo_figures(scenario, record: dict, algorithm: str, args, unavailable) -> dict:
    """The Pyomo pipeline with the fast engine's algorithm, unless unavailable or too large."""
    variables = record["variables"]
    if unavailable:
        return {"skipped": unavailable}
    if variables > args.pyomo_max_vars:
        return {"skipped": f"{variables:,} variables > --pyomo-max-vars {args.pyomo_max_vars:,}"}
    log(f"{record['size']}: Pyomo engine ({record['repeats']} run(s))")

    def run() -> dict:
        return measure_pipeline(scenario, "pyomo", algorithm, args.time_limit)

    try:
        return fastest(record["repeats"], run)
    except Exception as error:
        return {"skipped": f"Pyomo engine failed ({type(error).__name__}: {error})"}


def disagreements(record: dict) -> list[str]:
    """Warnings: a run that did not end optimal, or an objective off the fast engine's."""
    runs = {
        "fast engine": record["fast"],
        "baseline": record["baseline"],
        "pyomo": record["pyomo"],
        **{name: record["algorithms"][name] for name in ALGORITHMS},
    }
    reference = record["fast"]["objective"]
    warnings = []
    for name, run in runs.items():
        if "skipped" in run:
            continue
        objective = run["objective"]
        if str(run["status"]).lower() != "optimal":
            warnings.append(f"{record['size']}: {name} ended '{run['status']}', not optimal")
        elif reference is None or objective is None:
            warnings.append(f"{record['size']}: {name} has no objective to compare")
        elif abs(objective - reference) > OBJECTIVE_RTOL * max(1.0, abs(reference)):
            warnings.append(
                f"{record['size']}: {name} objective {objective:.10g} differs from the fast "
                f"engine's {reference:.10g} by more than {OBJECTIVE_RTOL:g} relative"
            )
    if record["fast"]["violations"]:
        count = record["fast"]["violations"]
        warnings.append(f"{record['size']}: the re-check found {count} violation line(s)")
    return warnings


# --------------------------------------------------------------------------------------------
# Printing
# --------------------------------------------------------------------------------------------


def table(title: str, headers: list[str], rows: list[list[str]]) -> str:
    """A plain-text table: first column left-aligned, the others right-aligned."""
    widths = [max(map(len, column)) for column in zip(headers, *rows, strict=True)]

    def line(cells: list[str]) -> str:
        padded = [cell.rjust(width) for cell, width in zip(cells, widths, strict=True)]
        padded[0] = cells[0].ljust(widths[0])
        return "  ".join(padded).rstrip()

    rule = "-" * len(line(headers))
    return "\n".join([title, line(headers), rule, *(line(row) for row in rows), ""])


def s(seconds: float) -> str:
    return f"{seconds:.3f}"


def fast_table(records: list[dict]) -> str:
    headers = ["size", "vars", "rows", "nonzeros", "alg", "compile", "build", "solve", "ranging"]
    headers += ["read", "extract", "check", "other", "total", "outside", "outside%"]
    times = (
        "compile_s", "build_s", "solve_s", "ranging_s", "read_s", "extract_s", "check_s",
        "other_s", "total_s",
    )  # fmt: skip
    rows = [
        [r["size"], f"{r['variables']:,}", f"{r['constraints']:,}", f"{r['nonzeros']:,}"]
        + [r["fast"]["algorithm"], *(s(r["fast"][key]) for key in times)]
        + [s(r["fast"]["outside_s"]), f"{100 * r['fast']['outside_share']:.1f}"]
        for r in records
    ]
    title = "Fast engine, whole pipeline (seconds; min of the repeats, one run above 200k vars)"
    return table(title, headers, rows)


def baseline_table(records: list[dict]) -> str:
    headers = ["size", "alg", "read", "solve", "baseline", "fast-total", "fast/baseline"]
    rows = [
        [r["size"], r["baseline"]["algorithm"]]
        + [s(r["baseline"][key]) for key in ("read_s", "solve_s", "total_s")]
        + [s(r["fast"]["total_s"]), f"{r['baseline']['ratio']:.2f}"]
        for r in records
    ]
    title = "Baseline: a fresh HiGHS reads the MPS file and solves it with the same algorithm"
    return table(title, headers, rows)


def command_table(records: list[dict]) -> str:
    """Each command's wall seconds beside HiGHS's own run() of the same model (the baseline's
    ``solve``), with their ratio; the old code's, measured in the same run, beside them."""
    rows = []
    for r in records:
        run_s = r["baseline"]["solve_s"]
        for name, c in r["command"].items():
            new = r["command"].get(name.removeprefix("old "), {}).get("seconds")
            old = f"{c['seconds'] / new:.2f}" if name.startswith("old ") and new else ""
            rows.append([
                r["size"], name, s(run_s), s(c["seconds"]), f"{c['seconds'] / run_s:.2f}",
                old, f"{c['peak_mb']:,.0f}", str(c["exit"]),
            ])  # fmt: skip
    headers = ["size", "command", "HiGHS run()", "whole", "whole/run()", "old/new", "peak MB",
               "exit"]  # fmt: skip
    title = "The whole `sourcing solve` as a subprocess: start to written result folder (seconds)"
    return table(title, headers, rows)


ENGINE_PIECES = ("compile_s", "build_s", "solve_s", "ranging_s", "read_s", "extract_s", "check_s",
                 "probe_s")  # fmt: skip
# The pieces of the whole command (``command_timing.PIECES``), in the order they run: label,
# seconds from the child's figures.
COMMAND_PIECES = (
    ("imports", lambda p: p["imports_s"]),
    ("load the scenario folder", lambda p: p["load_s"]),
    ("compile and build the model", lambda p: p["engine"]["compile_s"] + p["engine"]["build_s"]),
    ("HiGHS run()", lambda p: p["engine"]["solve_s"]),
    ("HiGHS ranging (the prices' ranges)", lambda p: p["engine"]["ranging_s"]),
    ("read the solution, result tables", lambda p: p["engine"]["read_s"]
     + p["engine"]["extract_s"]),
    ("re-check every constraint", lambda p: p["engine"]["check_s"]),
    ("policy probes (re-solves)", lambda p: p["engine"].get("probe_s", 0.0)),
    ("the rest of solve (verdict, figures)", lambda p: p["solve_s"] - sum(
        p["engine"].get(key, 0.0) for key in ENGINE_PIECES)),
    ("write: table files and plan.xlsx", lambda p: p["write_s"]),
    ("summary printed, process start and exit", lambda p: p["whole_s"] - p["imports_s"]
     - p["load_s"] - p["solve_s"] - p["write_s"]),
)  # fmt: skip


def pieces_table(record: dict) -> str:
    """The default command at one size, piece by piece, with what the command would take
    without some of them, as multiples of HiGHS's run(); the writing with ``--format
    parquet`` beside it."""
    command = record["command"]["default"]
    pieces = command["pieces"] | {"whole_s": command["seconds"]}
    whole, run_s = command["seconds"], pieces["engine"]["solve_s"]
    rows = [[label, s(get(pieces)), f"{100 * get(pieces) / whole:.0f}"]
            for label, get in COMMAND_PIECES]  # fmt: skip
    rows.append(["whole", s(whole), "100"])
    written, checked = pieces["write_s"], pieces["engine"]["check_s"]
    rows.append(["whole / run()", f"{whole / run_s:.2f}", ""])
    rows.append(["without writing / run()", f"{(whole - written) / run_s:.2f}", ""])
    rows.append(["without writing or re-check / run()",
                 f"{(whole - written - checked) / run_s:.2f}", ""])  # fmt: skip
    parquet = record["command"].get("--format parquet", {}).get("pieces")
    if parquet:
        rows.append(["--format parquet: write", s(parquet["write_s"]), ""])
    title = (f"The whole `sourcing solve` at {record['size']}, piece by piece, timed inside "
             "the command (seconds, % of the whole)")  # fmt: skip
    return table(title, ["piece", "seconds", "%"], rows)


def pyomo_table(records: list[dict]) -> str:
    headers = ["size", "build", "solve", "total", "pyomo/fast", "note"]
    rows = []
    for r in records:
        p = r["pyomo"]
        if "skipped" in p:
            rows.append([r["size"], "-", "-", "-", "-", "skipped: " + p["skipped"]])
        else:
            ratio = f"{p['total_s'] / r['fast']['total_s']:.1f}"
            rows.append([r["size"], s(p["build_s"]), s(p["solve_s"]), s(p["total_s"]), ratio, ""])
    return table("Pyomo engine, whole pipeline (seconds)", headers, rows)


def algorithms_table(records: list[dict]) -> str:
    headers = ["size", "nonzeros", "simplex", "ipm+crossover", "faster", "by"]
    headers += ["auto-picks", "auto-right"]
    rows = []
    for r in records:
        a = r["algorithms"]
        slower, faster = sorted((a[name]["solve_s"] for name in ALGORITHMS), reverse=True)
        rows.append(
            [r["size"], f"{r['nonzeros']:,}", s(a["simplex"]["solve_s"]), s(a["ipm"]["solve_s"])]
            + [a["faster"], f"{slower / faster:.1f}x", a["auto"]]
            + ["yes" if a["auto"] == a["faster"] else "NO"]
        )
    title = (
        "HiGHS algorithms, cold solve (seconds; highs.run only; "
        f"auto: ipm above IPM_ABOVE_NONZEROS = {he.IPM_ABOVE_NONZEROS:,})"
    )
    return table(title, headers, rows)


def outside_table(record: dict) -> str:
    pieces = sorted(record["outside"].items(), key=lambda item: item[1], reverse=True)
    total = sum(seconds for _, seconds in pieces)
    rows = [[name.removesuffix("_s"), s(sec), f"{100 * sec / total:.0f}"] for name, sec in pieces]
    rows.append(["sum", s(total), "100"])
    title = f"Outside HiGHS at {record['size']}, piece by piece (seconds; slowest first)"
    return table(title, ["piece", "seconds", "%"], rows)


def verdict(records: list[dict]) -> list[str]:
    largest = max(records, key=lambda r: r["variables"])
    ratio, outside = largest["baseline"]["ratio"], largest["fast"]["outside_s"]
    note = "" if largest["size"] == DEFAULT_SIZES.split(",")[-1] else "; they are set for 50x30x240"
    lines = [
        f"Targets at the largest size ({largest['size']}{note}):",
        f"  fast-total / baseline = {ratio:.2f} (target <= {TARGET_RATIO}): "
        + ("met" if ratio <= TARGET_RATIO else "NOT MET"),
        f"  outside HiGHS = {outside:.3f} s (target < {TARGET_OUTSIDE_S:g} s): "
        + ("met" if outside < TARGET_OUTSIDE_S else "NOT MET"),
    ]
    whole = largest["command"]["default"]["seconds"] / largest["baseline"]["solve_s"]
    lines.append(
        f"  whole `sourcing solve` / HiGHS run() = {whole:.2f} (target <= {TARGET_COMMAND}): "
        + ("met" if whole <= TARGET_COMMAND else "NOT MET")
    )
    for r in records:
        a = r["algorithms"]
        if a["auto"] != a["faster"]:
            lines.append(
                f"NOTE: at {r['size']} ({r['nonzeros']:,} nonzeros) auto picks {a['auto']}, "
                f"but {a['faster']} solves faster"
            )
    warnings = [warning for r in records for warning in r["warnings"]]
    lines += [f"WARNING: {warning}" for warning in warnings]
    if not warnings:
        lines.append(f"All runs agree on the objective (relative {OBJECTIVE_RTOL:g}).")
    return lines


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def machine() -> dict:
    cpuinfo = Path("/proc/cpuinfo")
    lines = cpuinfo.read_text().splitlines() if cpuinfo.exists() else []
    names = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
    return {
        "cpus": os.cpu_count(),
        "cpu": names[0] if names else platform.processor(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "highs": he.new_highs(he.SolveOptions(), "simplex").version(),
        "load_average_1min": round(os.getloadavg()[0], 2),  # other work on the machine
    }


def parse_sizes(text: str) -> list[tuple[int, int, int]]:
    return [tuple(int(part) for part in size.split("x")) for size in text.split(",")]


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=parse_sizes, default=parse_sizes(DEFAULT_SIZES))
    parser.add_argument("--pyomo-max-vars", type=int, default=100_000)
    parser.add_argument("--time-limit", type=float, default=None, help="seconds per solve")
    parser.add_argument("--repeats", type=int, default=3, help="runs per figure, small sizes")
    parser.add_argument("--out", type=Path, default=OUT, help=f"figures as JSON (default {OUT})")
    parser.add_argument(
        "--old-tree", type=Path, default=None, help="older code's checkout: its command beside"
    )
    return parser.parse_args(argv)


BASIS_CASES = {  # scenarios with processing: where the share basis changes the model
    "india-2026 (default)": lambda: load_scenario(ROOT / "inputs" / "india-2026"),
    "synthetic 20x15x120, 3 chains": lambda: synthetic_scenario(20, 15, 120, chains=3),
}


def measure_share_basis(repeats: int) -> list[dict]:
    """What share_basis origin costs: the model's size and the whole solve (tables and
    re-check included), against the processing basis of the same scenario in the same run."""
    records = []
    for name, make in BASIS_CASES.items():
        base = make()
        record = {"case": name}
        for basis in ("processing", "origin"):
            scenario = base.with_changes(settings=base.settings.with_changes(share_basis=basis))
            log(f"share basis: {name}, {basis}")
            result = fastest(repeats, lambda sc=scenario: _solve_figures(sc))
            record[basis] = result
        records.append(record)
    return records


def _solve_figures(scenario: Scenario) -> dict:
    seconds, result = timed(lambda: solve(scenario, probe_limit=0))
    return {
        "total_s": seconds,
        "solve_s": result.timings.get("solve_s", float("nan")),
        "variables": result.model_size.variables,
        "rows": result.model_size.constraints,
        "objective_usd": result.objective_usd,
        "status": result.status.value,
        "violations": len(result.violations),
    }


def basis_table(records: list[dict]) -> str:
    rows = []
    for record in records:
        base, origin = record["processing"], record["origin"]
        rows.append([
            record["case"], f"{base['variables']:,}", f"{origin['variables']:,}",
            s(base["total_s"]), s(origin["total_s"]), f"{origin['total_s'] / base['total_s']:.2f}",
            f"{origin['objective_usd'] - base['objective_usd']:+,.0f}",
            f"{base['violations'] + origin['violations']}",
        ])  # fmt: skip
    headers = ["scenario", "vars processing", "vars origin", "solve() processing",
               "solve() origin", "origin/processing", "objective origin - processing (USD)",
               "re-check violations"]  # fmt: skip
    return table("Share basis: caps on content by origin (policy.share_basis)", headers, rows)


def main(argv: list[str] | None = None) -> None:
    args = arguments(argv)
    info = machine()
    log("warming up (imports, first HiGHS instance)")
    solve(synthetic_scenario(2, 2, 12))
    pyomo_unavailable = load_pyomo_engine()
    records = [measure_size(shape, args, pyomo_unavailable) for shape in args.sizes]
    largest = max(records, key=lambda r: r["variables"])
    print(f"bench_engines  {datetime.date.today()}  {info['cpus']} cores  {info['cpu']}")
    print(f"Python {info['python']}, HiGHS {info['highs']}, {info['platform']}")
    print(f"load average (1 min) before the run: {info['load_average_1min']}\n")
    for make in (fast_table, baseline_table, command_table, pyomo_table, algorithms_table):
        print(make(records))
    if largest["outside"]:
        print(outside_table(largest))
    print(pieces_table(largest))
    print("\n".join(verdict(records)))
    basis = measure_share_basis(args.repeats)
    print(basis_table(basis))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    summary = {"date": str(datetime.date.today()), "machine": info, "sizes": records,
               "share_basis": basis}  # fmt: skip
    args.out.write_text(json.dumps(summary, indent=2, default=str) + "\n")
    print(f"\nFigures written to {args.out}")


if __name__ == "__main__":
    main()
