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

from models.branching import change_numbers
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
    one after another in one HiGHS instance per structure (each from the last basis)."""
    n_s = len(programs.cost)
    columns = np.empty(programs.cost.shape, dtype=np.int8)
    rows = np.empty(programs.row_lower.shape, dtype=np.int8)
    highs, held = None, (-1, None)  # the instance, and the structure and coefficients it holds
    for s in np.argsort(programs.group_of, kind="stable"):  # scenarios: each a warm re-solve
        lp = programs.program(int(s))
        lp = replace(lp, integrality=np.zeros_like(lp.integrality))
        holds = (programs.group_of[s], lp.matrix.data)
        if held[0] == holds[0] and np.array_equal(held[1], holds[1]):
            change_numbers(highs, lp)
        else:
            highs, held = new_highs(options, "simplex"), holds
            pass_model(highs, lp)
        run(highs)
        if highs.getInfo().primal_solution_status != 2 or n_s == 0:
            return None
        basis = highs.getBasis()
        columns[s] = np.array(basis.col_status, dtype=np.int8)
        rows[s] = np.array(basis.row_status, dtype=np.int8)
    return columns, rows


def _code(name: str) -> int:
    return int(getattr(highspy.HighsBasisStatus, name))
