"""Rare-earth sourcing optimizer: least-cost import plans under country share caps and stockpile
floors, solved with HiGHS.

>>> from optimizer import load_scenario, solve  # doctest: +SKIP
>>> result = solve(load_scenario("inputs/india-2026"))  # doctest: +SKIP
"""

from models.solution import Status

from .output import write_result
from .problems import Problem, ScenarioError
from .result import Result
from .scenario import Scenario, load_scenario
from .settings import Settings
from .solving import solve

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
