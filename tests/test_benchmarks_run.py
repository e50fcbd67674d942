"""The benchmark scripts still run, at toy sizes.

They are not tests of speed (no timing is asserted); this only catches a script that an API
change has broken, which would otherwise go unnoticed until someone needs the figures.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"

TOY_RUNS = {
    "bench_engines.py": ["--sizes", "2x2x12", "--repeats", "1"],
    "bench_mip.py": ["--sizes", "2x2x12x1", "--pyomo-max-vars", "0"],
    "bench_risk.py": ["--counts", "4", "--scenario", "synthetic:2x3x12"],
    "bench_risk_ph.py": ["--quick", "--ph-iterations", "5"],
    "bench_sweep.py": [
        "--points", "2", "--default-points", "2", "--pyomo-every", "0",
        "--cli-points", "1", "--no-workers",
    ],
}  # fmt: skip
# seconds even at toy sizes (bench_risk_ph.py: ten, mostly imports); bench_mip.py is quicker
SLOW = {"bench_engines.py", "bench_sweep.py", "bench_risk_ph.py"}


@pytest.mark.parametrize(
    "script",
    [pytest.param(s, marks=pytest.mark.slow) if s in SLOW else s for s in sorted(TOY_RUNS)],
)
def test_benchmark_script_runs_and_writes_its_figures(script, tmp_path):
    out = tmp_path / "figures.json"
    command = [sys.executable, str(BENCHMARKS / script), *TOY_RUNS[script], "--out", str(out)]
    run = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    assert f"Figures written to {out}" in run.stdout
    figures = json.loads(out.read_text())
    assert figures, "the figures file is empty"
    assert "Traceback" not in run.stderr
