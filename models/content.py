"""Where the content of a processed material came from: the origins a material can carry and,
with ``policy.share_basis = "origin"``, the index tables of the variables that trace content
through processing and stock by mass balance.

The rule (``docs/formulation.md``, "Origin of content"): an arrival's content comes from its
supplier's country; the stock at the start is its own origin, ``initial``; a unit's outputs carry
the origin mix of all its inputs, weighted by their tonnes; a stock is a pool whose tonnes of each
origin are kept apart (mass balance: what leaves a pool, to a unit or to demand, sales and
disposal, may be of any origin the pool holds). Only materials a unit uses or makes are traced;
the others' content is their supply's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

INITIAL = "initial"  # the origin of the stock at the start


def _empty(*columns: str) -> pd.DataFrame:
    return pd.DataFrame({column: [] for column in columns})


@dataclass(frozen=True)
class ContentData:
    """Origins and, for the origin basis, one row per variable of each content block."""

    origins: list[str] = field(default_factory=list)  # the countries by code, then ``initial``
    traced: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))  # material codes
    # (material, origin): whether content of that origin can be in the material (M x O).
    reach: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=bool))
    # Tonnes of a traced material held at a month's end, and leaving to demand, sales or
    # disposal, by origin: one variable of each per row (``held``, ``used``).
    held: pd.DataFrame = field(
        default_factory=lambda: _empty("material", "origin", "month", "m", "o", "t")
    )
    # Tonnes of an input fed to a unit's run, by origin: one ``feed`` variable per row.
    feed: pd.DataFrame = field(
        default_factory=lambda: _empty(
            "unit", "material", "origin", "month", "u", "m", "o", "t", "run", "input_t_per_t"
        )
    )
    # One row per (run, input line): the run's tonnes of that input, split by origin.
    inputs: pd.DataFrame = field(
        default_factory=lambda: _empty("unit", "material", "month", "u", "m", "t", "run", "a")
    )
    # One row per (run, output line, origin): the output's content of that origin is
    # ``share`` (its yield over the unit's total input per tonne) x the run's feed of it.
    made: pd.DataFrame = field(
        default_factory=lambda: _empty(
            "unit", "material", "origin", "month", "u", "m", "o", "t", "run", "share"
        )
    )

    @property
    def tracks(self) -> bool:
        """Whether the model has content variables (the origin basis with a chain)."""
        return len(self.held) > 0


def origins_of(countries: list[str]) -> list[str]:
    return [*countries, INITIAL]


def input_per_tonne(recipe: pd.DataFrame, units: int) -> np.ndarray:
    """Each unit's tonnes of input (all its inputs) per tonne of throughput."""
    inputs = recipe[recipe["coefficient"].to_numpy() < 0]
    total = np.zeros(units)
    np.add.at(total, inputs["u"].to_numpy(dtype=int), -inputs["coefficient"].to_numpy(float))
    return total


def reach(
    arrive: pd.DataFrame, recipe: pd.DataFrame, materials: int, countries: int
) -> tuple[np.ndarray, np.ndarray]:
    """The traced materials (used or made by a unit) and which origins each material can carry:
    its arrivals' countries, ``initial`` for a traced one, and whatever its units' inputs carry
    (propagated along the recipes to a fixed point)."""
    traced = np.unique(recipe["m"].to_numpy(dtype=int))
    can = np.zeros((materials, countries + 1), dtype=bool)
    can[arrive["m"].to_numpy(dtype=int), arrive["c"].to_numpy(dtype=int)] = True
    can[traced, countries] = True
    u, m = recipe["u"].to_numpy(dtype=int), recipe["m"].to_numpy(dtype=int)
    output = recipe["coefficient"].to_numpy(dtype=float) > 0
    units = int(u.max()) + 1 if len(u) else 0
    for _ in range(materials + 1):  # each pass reaches at least one stage further
        fed = np.zeros((units, countries + 1), dtype=bool)
        np.logical_or.at(fed, u[~output], can[m[~output]])
        after = can.copy()
        np.logical_or.at(after, m[output], fed[u[output]])
        if (after == can).all():
            break
        can = after
    return traced, can


def compile_content(
    share_basis: str,
    arrive: pd.DataFrame,
    chain,
    materials: list[str],
    countries: list[str],
    months: list[str],
) -> ContentData:
    """The origins and reach always; the content variables' tables only for the origin basis."""
    recipe = chain.recipe
    traced, can = reach(arrive, recipe, len(materials), len(countries))
    origins = origins_of(countries)
    if share_basis != "origin" or len(traced) == 0 or chain.runs.empty:
        return ContentData(origins=origins, traced=traced, reach=can)
    # held/used: every (traced material, origin it can carry, month).
    m, o = np.nonzero(can[traced])
    m = traced[m]
    t = np.tile(np.arange(len(months)), len(m))
    held = pd.DataFrame(
        {
            "material": np.asarray(materials, dtype=object)[np.repeat(m, len(months))],
            "origin": np.asarray(origins, dtype=object)[np.repeat(o, len(months))],
            "month": np.asarray(months, dtype=object)[t],
            "m": np.repeat(m, len(months)),
            "o": np.repeat(o, len(months)),
            "t": t,
        }
    )
    runs = chain.runs[["u", "t", "unit", "month"]].assign(run=np.arange(len(chain.runs)))
    lines = runs.merge(recipe[["u", "m", "coefficient"]], on="u", how="inner")
    inputs = lines[lines["coefficient"].to_numpy() < 0].reset_index(drop=True)
    inputs = inputs.assign(a=-inputs.pop("coefficient"))
    inputs.insert(1, "material", np.asarray(materials, dtype=object)[inputs["m"].to_numpy(int)])
    # feed: each input line of a run, by each origin the input can carry.
    line, o = np.nonzero(can[inputs["m"].to_numpy(dtype=int)])
    feed = inputs.iloc[line].reset_index(drop=True)
    feed = feed.assign(o=o, origin=np.asarray(origins, dtype=object)[o])
    feed["input_t_per_t"] = feed.pop("a")
    total = input_per_tonne(recipe, len(chain.units))
    outputs = lines[lines["coefficient"].to_numpy() > 0].reset_index(drop=True)
    outputs["share"] = outputs["coefficient"] / total[outputs["u"].to_numpy(dtype=int)]
    fed = feed[["run", "o"]].drop_duplicates()  # origins each run is fed
    made = outputs.merge(fed, on="run", how="inner")
    made.insert(1, "material", np.asarray(materials, dtype=object)[made["m"].to_numpy(int)])
    made["origin"] = np.asarray(origins, dtype=object)[made["o"].to_numpy(dtype=int)]
    return ContentData(
        origins=origins,
        traced=traced,
        reach=can,
        held=held,
        feed=feed[["unit", "material", "origin", "month", "u", "m", "o", "t", "run",
                   "input_t_per_t"]],
        inputs=inputs[["unit", "material", "month", "u", "m", "t", "run", "a"]],
        made=made[["unit", "material", "origin", "month", "u", "m", "o", "t", "run", "share"]],
    )  # fmt: skip
