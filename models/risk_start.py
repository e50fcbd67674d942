"""A starting basis for the extensive form: each scenario's optimal basis of its own LP
relaxation (a few warm re-solves of a small LP), merged by node as the columns and rows are.

Why: from it HiGHS's dual simplex needs a fraction of the iterations of a cold start (for 200
sampled paths of inputs/india-2026-risk about 34,000 instead of 132,000, 9 s instead of 22 s,
``benchmarks/README.md``). The merged basis has not exactly one basic variable per row
(scenarios sharing a node disagree); HiGHS takes it as an "alien" basis and completes it, so
the optimum reached is the same.
"""

from __future__ import annotations

from dataclasses import replace

import highspy
import numpy as np

from models.highs_engine import new_highs, pass_model, run
from models.risk_build import ExtensiveForm
from models.solution import SolveOptions

STATUS = np.array(sorted(highspy.HighsBasisStatus.__members__.values(), key=int), dtype=object)


def starting_basis(form: ExtensiveForm, options: SolveOptions) -> highspy.HighsBasis | None:
    """The scenarios' own optimal bases merged into one for ``form.lp`` (None when one
    scenario's relaxation has no optimum: then HiGHS starts cold)."""
    programs = form.programs
    if programs is None or form.row_of is None:
        return None
    bases = _relaxed_bases(programs, options)
    if bases is None:
        return None
    columns, rows = bases
    col_status = np.full(len(form.lp.cost), _code("kLower"), dtype=np.int8)
    col_status[form.column_of.ravel()] = columns.ravel()  # a shared column: the last scenario's
    if form.tail is not None:  # CVaR's eta and u_s: basic, HiGHS completes the rest
        col_status[form.tail] = _code("kBasic")
    row_status = np.full(len(form.lp.row_lower), _code("kBasic"), dtype=np.int8)
    row_status[form.row_of[form.row_writer]] = rows[form.row_writer]
    basis = highspy.HighsBasis()
    basis.col_status = STATUS[col_status].tolist()
    basis.row_status = STATUS[row_status].tolist()
    basis.valid, basis.alien = True, True
    return basis


def _relaxed_bases(programs, options: SolveOptions) -> tuple[np.ndarray, np.ndarray] | None:
    """(S, columns) and (S, rows) basis status codes of each scenario's LP relaxation, solved
    one after another in one HiGHS instance per structure (each from the last basis). Between
    scenarios of one structure only the costs, bounds and entries that differ are pushed."""
    n_s = len(programs.cost)
    columns = np.empty(programs.cost.shape, dtype=np.int8)
    rows = np.empty(programs.row_lower.shape, dtype=np.int8)
    highs, held, last = None, (-1, None), None  # the instance, what it holds, its scenario
    for s in np.argsort(programs.group_of, kind="stable"):  # scenarios: each a warm re-solve
        group = programs.groups[programs.group_of[s]]
        values = group.values[int(np.searchsorted(group.members, s))]
        if held[0] == programs.group_of[s] and np.array_equal(held[1], values):
            _change_numbers(highs, programs, last, s)
        else:
            lp = programs.program(int(s))
            lp = replace(lp, integrality=np.zeros_like(lp.integrality))
            highs, held = new_highs(options, "simplex"), (programs.group_of[s], values)
            pass_model(highs, lp)
        last = s
        run(highs)
        if highs.getInfo().primal_solution_status != 2 or n_s == 0:
            return None
        basis = highs.getBasis()
        columns[s] = _codes(basis.col_status)
        rows[s] = _codes(basis.row_status)
    return columns, rows


def _change_numbers(highs: highspy.Highs, programs, was: int, s: int) -> None:
    """Give ``highs``, holding scenario ``was``'s LP, scenario ``s``'s costs and bounds (the
    same matrix): only those that differ."""
    cost = programs.cost[s]
    changed = np.flatnonzero(cost != programs.cost[was]).astype(np.int32)
    if len(changed):
        highs.changeColsCost(len(changed), changed, cost[changed])
    lower, upper = programs.col_lower[s], programs.col_upper[s]
    changed = np.flatnonzero((lower != programs.col_lower[was])
                             | (upper != programs.col_upper[was])).astype(np.int32)  # fmt: skip
    if len(changed):
        highs.changeColsBounds(len(changed), changed, lower[changed], upper[changed])
    lower, upper = programs.row_lower[s], programs.row_upper[s]
    changed = np.flatnonzero((lower != programs.row_lower[was])
                             | (upper != programs.row_upper[was])).astype(np.int32)  # fmt: skip
    if len(changed):
        highs.changeRowsBounds(len(changed), changed, lower[changed], upper[changed])


def _codes(statuses: list) -> np.ndarray:
    """HiGHS's basis statuses (a list of enum members) as int8 codes."""
    return np.fromiter(map(int, statuses), dtype=np.int8, count=len(statuses))


def _code(name: str) -> int:
    return int(getattr(highspy.HighsBasisStatus, name))
