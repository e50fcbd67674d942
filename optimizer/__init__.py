"""Rare-earth sourcing optimizer: least-cost import plans under country share caps and stockpile
floors, solved with HiGHS.

>>> from optimizer import load_scenario, solve  # doctest: +SKIP
>>> result = solve(load_scenario("inputs/india-2026"))  # doctest: +SKIP

The names below are loaded when first used, so that importing one layer (``optimizer.inputs``,
say) does not import the layers above it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from optimizer import moved

if TYPE_CHECKING:
    from models.solution import Status
    from optimizer.inputs.loading import load_scenario
    from optimizer.inputs.problems import Problem, ScenarioError
    from optimizer.inputs.scenario import Scenario
    from optimizer.inputs.settings import Settings
    from optimizer.results.result import Result
    from optimizer.results.solving import solve
    from optimizer.results.writing import write_result

_EXPORTS = {
    "Problem": "optimizer.inputs.problems",
    "Result": "optimizer.results.result",
    "Scenario": "optimizer.inputs.scenario",
    "ScenarioError": "optimizer.inputs.problems",
    "Settings": "optimizer.inputs.settings",
    "Status": "models.solution",
    "load_scenario": "optimizer.inputs.loading",
    "solve": "optimizer.results.solving",
    "write_result": "optimizer.results.writing",
}
__all__ = [
    "Problem",
    "Result",
    "Scenario",
    "ScenarioError",
    "Settings",
    "Status",
    "load_scenario",
    "solve",
    "write_result",
]

moved.install()  # old module names (before the layers) import, with a warning, for one release


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'optimizer' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value  # found directly next time
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
