"""The whole ``sourcing solve`` command as a user runs it: a fresh Python process that imports
the package, reads the scenario folder, solves, checks and writes the result folder. Timed from
the parent (wall clock, start to exit), with the child's own peak memory (``os.wait4``).

``old_tree``: a checkout of an earlier version of the code (``git worktree add DIR REV``), run
the same way with ``PYTHONPATH=DIR`` so that its ``optimizer`` package is imported instead of
the installed one: old and new figures measured in one run, on one machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# The child says which package it imported, so a wrong --old-tree cannot pass unnoticed.
CHILD = (
    "import sys, optimizer; from optimizer.cli.main import main; "
    "print('package:', optimizer.__file__, file=sys.stderr); sys.exit(main())"
)


def run_command(
    scenario_folder: Path,
    out: Path,
    options: list[str],
    old_tree: Path | None = None,
    code: str = CHILD,
) -> dict:
    """Run ``sourcing solve SCENARIO --out OUT OPTIONS`` once in a fresh process."""
    env = dict(os.environ)
    if old_tree is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(old_tree), env.get("PYTHONPATH")]))
    command = [sys.executable, "-c", code, "solve", str(scenario_folder), "--out", str(out)]
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        started = time.perf_counter()
        child = subprocess.Popen(  # run from the output's folder: no package in the cwd
            [*command, *options], env=env, stdout=stdout, stderr=stderr, cwd=out.parent
        )
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        stderr.seek(0)
        errors = stderr.read().decode(errors="replace")
    package = next(
        (line.split(":", 1)[1].strip() for line in errors.splitlines()
         if line.startswith("package:")),
        "",
    )  # fmt: skip
    figures = {
        "seconds": seconds,
        "peak_mb": usage.ru_maxrss / 1024,  # Linux reports kilobytes
        "exit": child.returncode,
        "package": package,
        "errors": errors[-800:] if child.returncode else "",
    }
    pieces = next((line.split(":", 1)[1] for line in errors.splitlines()
                   if line.startswith("pieces:")), None)  # fmt: skip
    if pieces is not None:
        figures["pieces"] = json.loads(pieces)
    return figures


# The same command, each piece timed inside the child: the imports, loading, the solve (with the
# engine's own timings), the result tables, the CSV files, plan.xlsx; printed as JSON on stderr.
# The wrappers add a few microseconds a call; the whole is still timed from the parent.
PIECES = """
import json, sys, time
started = time.perf_counter()
import optimizer
from optimizer.cli.main import main
from optimizer.cli import solve_command
from optimizer.results import writing
from optimizer.results.result import Result
seconds = {"imports_s": time.perf_counter() - started}
kept = {}

def timed(owner, name, key):
    call = getattr(owner, name)
    def wrapper(*args, **kwargs):
        begun = time.perf_counter()
        try:
            value = call(*args, **kwargs)
        finally:
            seconds[key] = seconds.get(key, 0.0) + time.perf_counter() - begun
        if key == "solve_s":
            kept["timings"] = dict(value.timings)
        return value
    setattr(owner, name, wrapper)

timed(solve_command, "load_scenario", "load_s")
timed(solve_command, "solve", "solve_s")
timed(solve_command, "write_result", "write_s")
timed(Result, "tables", "tables_s")
timed(writing, "write_table", "files_s")
timed(writing, "readable_tables", "workbook_s")
timed(writing, "_write_workbook", "workbook_s")
print("package:", optimizer.__file__, file=sys.stderr)
code = main()
seconds["in_process_s"] = time.perf_counter() - started
print("pieces:" + json.dumps(seconds | {"engine": kept.get("timings", {})}), file=sys.stderr)
sys.exit(code)
"""


def run_command_pieces(scenario_folder: Path, out: Path, options: list[str]) -> dict:
    """:func:`run_command` with each piece of the command timed inside the child."""
    return run_command(scenario_folder, out, options, code=PIECES)
