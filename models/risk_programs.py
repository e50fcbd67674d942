"""Every disruption scenario's LP as arrays over (scenario, column) and (scenario, row), built
without one ``build_model`` per scenario.

A scenario's data differ from the others' only in the numbers of its arrivals (capacity, price,
cost), its floors (released ones are 0) and their below-floor bounds, and in the landing month
of delayed orders. Scenarios whose orders land in the same months share the LP's structure:
one LP is built per such group, and each scenario's costs, bounds and row bounds are read from
the registry (``models.families``) for the blocks and rows that read the changed fields. The
only coefficients that are numbers of the data are the annual-budget entries of arrivals (an
arrival's cost is also its budget coefficient): they are set from each scenario's costs.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields

import numpy as np

from models import families as fam
from models.data import ModelData
from models.highs_build import LinearProgram, build_model

CHANGED = frozenset({"arrive", "floors", "below"})  # the fields models.risk.scenario_data sets


@dataclass
class Group:
    """Scenarios of one structure: their LP's entries (row, column) and each one's values."""

    members: np.ndarray  # (G,) scenario indices
    lp: LinearProgram  # the first member's LP
    rows: np.ndarray  # (nnz,)
    cols: np.ndarray  # (nnz,)
    values: np.ndarray  # (G, nnz)


@dataclass
class ScenarioPrograms:
    """Each scenario's LP: the numbers per scenario, the entries per group of one structure."""

    layout: LinearProgram  # the first scenario's LP: block slices, integrality
    cost: np.ndarray  # (S, columns)
    col_lower: np.ndarray  # (S, columns)
    col_upper: np.ndarray  # (S, columns)
    row_lower: np.ndarray  # (S, rows)
    row_upper: np.ndarray  # (S, rows)
    groups: list[Group]
    group_of: np.ndarray  # (S,) each scenario's group

    def program(self, s: int) -> LinearProgram:
        """Scenario ``s``'s LP (as ``build_model`` of its data builds it)."""
        group = self.groups[self.group_of[s]]
        k = int(np.searchsorted(group.members, s))
        matrix = group.lp.matrix.copy()
        matrix.data = group.values[k].copy()  # tocoo() of a sorted CSC keeps its order
        return LinearProgram(
            cost=self.cost[s],
            col_lower=self.col_lower[s],
            col_upper=self.col_upper[s],
            row_lower=self.row_lower[s],
            row_upper=self.row_upper[s],
            matrix=matrix,
            columns=self.layout.columns,
            rows=self.layout.rows,
            integrality=self.layout.integrality,
        )

    def alike(self) -> tuple[np.ndarray, np.ndarray]:
        """Scenarios whose LPs are equal (events that change nothing the model reads): the
        first scenario of each kind of LP, in scenario order, and each scenario's kind. Each
        scenario's numbers are hashed, and the equal hashes compared, one scenario at a time
        (no (scenarios x numbers) key in memory)."""
        first: list[int] = []
        kinds: dict[bytes, list[int]] = {}  # a hash: the kinds that have it
        kind_of = np.empty(len(self.cost), dtype=np.int64)
        for s in range(len(self.cost)):  # scenarios: each a hash of its numbers
            numbers = self._numbers_of(s)
            digest = hashlib.blake2b(digest_size=16)
            for array in numbers:
                digest.update(np.ascontiguousarray(array).tobytes())
            same = kinds.setdefault(digest.digest(), [])
            kind = next((k for k in same if _equal(numbers, self._numbers_of(first[k]))), None)
            if kind is None:
                kind = len(first)
                first.append(s)
                same.append(kind)
            kind_of[s] = kind
        return np.asarray(first, dtype=np.int64), kind_of

    def _numbers_of(self, s: int) -> tuple[np.ndarray, ...]:
        """What makes scenario ``s``'s LP: its structure, costs, bounds and entries."""
        group = self.groups[self.group_of[s]]
        k = int(np.searchsorted(group.members, s))
        return (np.asarray([self.group_of[s]]), self.cost[s], self.col_upper[s],
                self.row_lower[s], self.row_upper[s], group.values[k])  # fmt: skip


def _equal(a: tuple[np.ndarray, ...], b: tuple[np.ndarray, ...]) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def scenario_programs(datas: list[ModelData]) -> ScenarioPrograms:
    """The scenarios' LPs; ``datas`` are one ModelData per scenario from the same base."""
    _check_shared(datas)
    landing = np.stack([d.arrive["t"].to_numpy(dtype=np.int64) for d in datas])
    first, group_of = _structures(landing)
    lps = [build_model(datas[s]) for s in first]  # one build per structure: usually one
    layout = lps[group_of[0]]
    numbers = [_numbers(d, lps[g], datas[first[g]]) for d, g in zip(datas, group_of, strict=True)]
    cost, upper, row_lower, row_upper = (np.stack(n) for n in zip(*numbers, strict=True))
    lower = np.broadcast_to(layout.col_lower, cost.shape)
    groups = [_group(lp, np.flatnonzero(group_of == g), cost) for g, lp in enumerate(lps)]
    return ScenarioPrograms(layout, cost, lower, upper, row_lower, row_upper, groups, group_of)


def _structures(landing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The first scenario of each distinct row of ``landing`` (S, arrivals) and each
    scenario's row, numbered as ``np.unique(landing, axis=0)`` numbers them (rows in
    lexicographic order); the rows are told apart by their bytes, which is many times faster
    than np.unique's sort of whole rows (0.7 s for 50 rows of 85,000)."""
    seen: dict[bytes, int] = {}
    kind = np.array([seen.setdefault(row.tobytes(), len(seen)) for row in landing], dtype=np.int64)
    firsts = np.unique(kind, return_index=True)[1]  # kinds are numbered in order of appearance
    order = np.lexsort(landing[firsts].T[::-1])  # first arrival's month the primary key
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return firsts[order], rank[kind]


def _check_shared(datas: list[ModelData]) -> None:
    """Refuse data that differ in a field this module does not re-read (scenario_data would
    have grown a new effect: it must be added to CHANGED, or to how the numbers are read)."""
    for name in (f.name for f in fields(ModelData) if f.name not in CHANGED):
        if any(getattr(d, name) is not getattr(datas[0], name) for d in datas[1:]):
            raise ValueError(f"the scenarios' data differ in '{name}', which is not re-read")


def _numbers(data: ModelData, lp: LinearProgram, built: ModelData) -> tuple[np.ndarray, ...]:
    """Costs, upper bounds and row bounds of ``data`` laid out as ``lp`` (built from ``built``,
    of the same structure): the blocks and rows that read a field ``data`` does not share
    with ``built`` are read from ``data``."""
    changed = {f for f in CHANGED if getattr(data, f) is not getattr(built, f)}
    cost, upper = lp.cost.copy(), lp.col_upper.copy()
    lower, row_upper = lp.row_lower.copy(), lp.row_upper.copy()
    for variable in fam.VARIABLES:
        if changed & set(variable.reads):
            columns = lp.columns[variable.name]
            cost[columns], upper[columns] = variable.cost(data), variable.bounds(data)
    for family in fam.row_families():
        if changed & set(family.reads):
            table, span = data.rows[family.name], lp.rows[family.name]
            lower[span] = table["lower"].to_numpy(dtype=float)
            row_upper[span] = table["upper"].to_numpy(dtype=float)
    return cost, upper, lower, row_upper


def _group(lp: LinearProgram, members: np.ndarray, cost: np.ndarray) -> Group:
    """The group's entries in coordinate form, the budget entries of arrivals at each member's
    cost (``define_annual_budget`` writes an arrival's objective cost there)."""
    coo = lp.matrix.tocoo()
    rows, cols = coo.row.astype(np.int64), coo.col.astype(np.int64)
    values = np.repeat(coo.data[None, :], len(members), axis=0)
    budget, arrive = lp.rows[fam.ANNUAL_BUDGET], lp.columns["arrive"]
    spent = (rows >= budget.start) & (rows < budget.stop)
    spent &= (cols >= arrive.start) & (cols < arrive.stop)
    # An entry build_model dropped as zero stays absent: a cost differs between scenarios only
    # by a price factor on a spot offer, so a zero cost is zero in every scenario.
    values[:, spent] = cost[np.ix_(members, cols[spent])]
    return Group(members, lp, rows, cols, values)
