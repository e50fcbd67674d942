"""Rare-earth sourcing optimizer: least-cost import plans under country share caps and stockpile
floors, solved with HiGHS.

>>> from optimizer import load_scenario, solve  # doctest: +SKIP
>>> result = solve(load_scenario("inputs/india-2026"))  # doctest: +SKIP
"""

from models.solution import Status
from optimizer import moved
from optimizer.inputs.loading import load_scenario
from optimizer.inputs.problems import Problem, ScenarioError
from optimizer.inputs.scenario import Scenario
from optimizer.inputs.settings import Settings
from optimizer.results.result import Result
from optimizer.results.solving import solve
from optimizer.results.writing import write_result

moved.install()  # old module names (before the layers) import, with a warning, for one release

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
