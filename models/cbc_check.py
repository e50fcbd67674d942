"""A second opinion: the written model re-solved with PuLP's bundled CBC."""

from __future__ import annotations

import tempfile
import time
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from models.data import ModelData
from models.highs_engine import write_model

if TYPE_CHECKING:
    import pulp  # imported where CBC runs: --verify only

RELATIVE_AGREEMENT = 1e-6


@dataclass(frozen=True)
class Verification:
    solver: str
    status: str  # PuLP's words: Optimal, Infeasible, ...
    objective_usd: float | None
    agrees: bool
    seconds: float

    def as_dict(self) -> dict:
        return asdict(self)


def cbc() -> pulp.LpSolver:
    """CBC as PuLP ships it: the ``cbcbox`` binary of ``pulp[cbc]`` (PuLP >= 3.3), else the
    binary bundled inside older PuLP releases."""
    import pulp

    solver = pulp.COIN_CMD(msg=False)
    if solver.available():
        return solver
    with warnings.catch_warnings():  # PuLP 3.3 deprecates its bundled binary for COIN_CMD
        warnings.simplefilter("ignore", DeprecationWarning)
        return pulp.PULP_CBC_CMD(msg=False)


def verify_with_cbc(data: ModelData, objective_usd: float | None) -> Verification:
    """Write the model as MPS, solve it with CBC and compare the optimum with ours.

    ``objective_usd`` is ``None`` when our engine found the model infeasible; CBC agrees when it
    finds the same.
    """
    import pulp  # slow to import: loaded only when asked to verify

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="sourcing-verify-") as folder:
        path = Path(folder) / "model.mps"
        write_model(data, path, names=False)
        _, problem = pulp.LpProblem.fromMPS(str(path))
        problem.solve(cbc())
    status = pulp.LpStatus[problem.status]
    objective = pulp.value(problem.objective) if status == "Optimal" else None
    if objective_usd is None:
        agrees = status == "Infeasible"
    else:
        agrees = objective is not None and abs(
            objective - objective_usd
        ) <= RELATIVE_AGREEMENT * max(1.0, abs(objective_usd))
    return Verification(
        solver=f"CBC (PuLP {pulp.__version__})",
        status=status,
        objective_usd=None if objective is None else float(objective),
        agrees=agrees,
        seconds=round(time.perf_counter() - started, 3),
    )
