"""Where the content of each processed material came from (``content.csv``,
``content_feed.csv``), and shares by origin for ``mix.csv``.

With ``policy.share_basis = "origin"`` the model traces content itself (mass balance, the
allocation the caps were held with) and the tables are read from its variables. With the
default ``"processing"`` basis nothing in the model depends on origin, so content is traced
after the solve with the proportional rule, one allocation mass balance allows: each stock is a
well-mixed pool, and whatever leaves it in a month (to a unit, to demand, sales or disposal, or
on into the next month) carries the pool's mix of that month. A unit's outputs carry the mix of
its inputs weighted by their tonnes (``models.content``). Within a month pools feed each other
through the units, so each month's mixes solve one small linear system.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.content import input_per_tonne
from models.data import ModelData
from models.solution import Solution
from optimizer.results.tables import clean

CONTENT_COLUMNS = ["material", "origin", "month", "arrived_t", "made_t", "fed_t", "used_t",
                   "held_t"]  # fmt: skip
FEED_COLUMNS = ["unit", "material", "origin", "month", "fed_t"]


def content_tables(data: ModelData, solution: Solution) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(content by traced material, origin and month; feed by unit, input, origin and month),
    without rows where nothing happens."""
    if data.content.traced.size == 0 or data.chain.runs.empty:
        return pd.DataFrame(columns=CONTENT_COLUMNS), pd.DataFrame(columns=FEED_COLUMNS)
    trace = _from_model if data.content.tracks else _proportional
    return _frames(data, *trace(data, solution))


def _arrived(data: ModelData, solution: Solution) -> np.ndarray:
    """Arrivals by (material, origin, month): an arrival's origin is its supplier's country."""
    shape = (len(data.materials), len(data.content.origins), len(data.months))
    arrived = np.zeros(shape)
    arrive = data.arrive
    np.add.at(
        arrived,
        (arrive["m"].to_numpy(int), arrive["c"].to_numpy(int), arrive["t"].to_numpy(int)),
        solution.arrive,
    )
    return arrived


def _from_model(data: ModelData, solution: Solution):
    content = data.content
    shape = (len(data.materials), len(content.origins), len(data.months))
    held, used = np.zeros(shape), np.zeros(shape)
    cells = tuple(content.held[c].to_numpy(int) for c in ("m", "o", "t"))
    held[cells], used[cells] = solution.held, solution.used
    feed = content.feed
    fed = pd.DataFrame(
        {
            "u": feed["u"].to_numpy(int),
            "m": feed["m"].to_numpy(int),
            "o": feed["o"].to_numpy(int),
            "t": feed["t"].to_numpy(int),
            "fed_t": solution.feed,
        }
    )
    return _arrived(data, solution), held, used, fed


def _proportional(data: ModelData, solution: Solution):
    """Each month: the content x available in every pool solves x = base + F x, where base is
    the stock carried in plus the month's arrivals by origin and F[m, i] the tonnes of m a
    tonne of i available makes through the units that run on i."""
    chain, content = data.chain, data.content
    n_m, n_o, n_t = len(data.materials), len(content.origins), len(data.months)
    arrived = _arrived(data, solution)
    stock = solution.stock.reshape(n_m, n_t)  # material-major (ModelData.stock)
    recipe = chain.recipe
    total = input_per_tonne(recipe, len(chain.units))
    runs = chain.runs[["u", "t"]].assign(run=np.arange(len(chain.runs)), level=solution.run)
    lines = runs.merge(recipe[["u", "m", "coefficient"]], on="u", how="inner")
    is_input = lines["coefficient"].to_numpy() < 0
    ins, outs = lines[is_input], lines[~is_input]
    pairs = outs[["run", "m", "coefficient"]].merge(
        ins[["run", "m", "coefficient", "t", "u", "level"]], on="run", suffixes=("_out", "_in")
    )
    # tonnes of input i per run and tonnes of output per run, by month
    in_t = -ins["coefficient"].to_numpy() * ins["level"].to_numpy()
    made_total = np.zeros((n_m, n_t))
    out_t = outs["coefficient"].to_numpy() * runs["level"].to_numpy()[outs["run"].to_numpy(int)]
    np.add.at(made_total, (outs["m"].to_numpy(int), outs["t"].to_numpy(int)), out_t)
    # F entries: tonnes of output m per tonne of i available = b_um * a_ui * run / (A_u * avail_i)
    flow = (
        pairs["coefficient_out"].to_numpy()
        * -pairs["coefficient_in"].to_numpy()
        * pairs["level"].to_numpy()
        / total[pairs["u"].to_numpy(int)]
    )
    pm, pi, pt = (pairs[c].to_numpy(int) for c in ("m_out", "m_in", "t"))
    held, used = np.zeros((n_m, n_o, n_t)), np.zeros((n_m, n_o, n_t))
    fraction = np.zeros((n_m, n_o, n_t))
    carry = np.zeros((n_m, n_o))
    carry[:, n_o - 1] = data.initial_stock_t  # the stock at the start: origin ``initial``
    identity = np.eye(n_m)
    for t in range(n_t):
        base = carry + arrived[:, :, t]
        available = base.sum(axis=1) + made_total[:, t]
        flows = np.zeros((n_m, n_m))
        now = pt == t
        np.add.at(flows, (pm[now], pi[now]), flow[now])
        safe = np.where(available > 1e-12, available, np.inf)
        x = np.linalg.solve(identity - flows / safe[None, :], base)
        share = np.where(available[:, None] > 1e-12, x / safe[:, None], 0.0)
        fraction[:, :, t] = share
        held[:, :, t] = stock[:, t, None] * share
        consumed = np.zeros(n_m)
        np.add.at(consumed, ins["m"].to_numpy(int)[ins["t"].to_numpy() == t],
                  in_t[ins["t"].to_numpy() == t])  # fmt: skip
        used[:, :, t] = np.maximum(available - consumed - stock[:, t], 0.0)[:, None] * share
        carry = held[:, :, t]
    m_in, t_in = ins["m"].to_numpy(int), ins["t"].to_numpy(int)
    per_origin = in_t[:, None] * fraction[m_in, :, t_in]  # (input lines, origins)
    line, o = np.nonzero(per_origin > 0)
    fed = pd.DataFrame(
        {
            "u": ins["u"].to_numpy(int)[line],
            "m": m_in[line],
            "o": o,
            "t": t_in[line],
            "fed_t": per_origin[line, o],
        }
    )
    return arrived, held, used, fed


def _frames(data: ModelData, arrived, held, used, fed: pd.DataFrame):
    """The two tables from the arrays; made content follows from the feed by the recipe."""
    chain, content = data.chain, data.content
    shape = held.shape
    fed_by = np.zeros(shape)
    np.add.at(fed_by, (fed["m"].to_numpy(int), fed["o"].to_numpy(int), fed["t"].to_numpy(int)),
              fed["fed_t"].to_numpy(float))  # fmt: skip
    total = input_per_tonne(chain.recipe, len(chain.units))
    into_unit = fed.groupby(["u", "o", "t"], as_index=False)["fed_t"].sum()
    outputs = chain.recipe[chain.recipe["coefficient"].to_numpy() > 0]
    made_lines = into_unit.merge(outputs[["u", "m", "coefficient"]], on="u")
    made = np.zeros(shape)
    np.add.at(
        made,
        tuple(made_lines[c].to_numpy(int) for c in ("m", "o", "t")),
        made_lines["fed_t"].to_numpy()
        * made_lines["coefficient"].to_numpy()
        / total[made_lines["u"].to_numpy(int)],
    )
    m, o, t = np.meshgrid(content.traced, np.arange(shape[1]), np.arange(shape[2]), indexing="ij")
    m, o, t = m.ravel(), o.ravel(), t.ravel()
    values = {
        "arrived_t": arrived[m, o, t],
        "made_t": made[m, o, t],
        "fed_t": fed_by[m, o, t],
        "used_t": used[m, o, t],
        "held_t": held[m, o, t],
    }
    keep = np.logical_or.reduce([np.abs(v) > 1e-9 for v in values.values()])
    materials = np.asarray(data.materials, dtype=object)
    origins = np.asarray(content.origins, dtype=object)
    months = np.asarray(data.months, dtype=object)
    table = pd.DataFrame(
        {
            "material": materials[m[keep]],
            "origin": origins[o[keep]],
            "month": months[t[keep]],
            **{name: clean(v[keep]) for name, v in values.items()},
        }
    )
    fed = fed[fed["fed_t"].to_numpy() > 1e-9]
    feed = pd.DataFrame(
        {
            "unit": chain.units["unit"].to_numpy(dtype=object)[fed["u"].to_numpy(int)],
            "material": materials[fed["m"].to_numpy(int)],
            "origin": origins[fed["o"].to_numpy(int)],
            "month": months[fed["t"].to_numpy(int)],
            "fed_t": clean(fed["fed_t"].to_numpy(float)),
        }
    ).sort_values(["unit", "month", "material", "origin"], kind="stable")
    return table.reset_index(drop=True), feed.reset_index(drop=True)


def content_supply(data: ModelData, plan: pd.DataFrame, content: pd.DataFrame) -> pd.DataFrame:
    """Supply of each material by the origin of its content (material, month, country,
    tonnes): every arrival by its supplier's country, and what units made by its content's
    origin (``initial`` for content from the stock at the start)."""
    made = content[content["made_t"] > 0]
    return pd.concat(
        [
            plan[["material", "month", "country", "tonnes"]],
            pd.DataFrame(
                {
                    "material": made["material"].to_numpy(dtype=object),
                    "month": made["month"].to_numpy(dtype=object),
                    "country": made["origin"].to_numpy(dtype=object),
                    "tonnes": made["made_t"].to_numpy(dtype=float),
                }
            ),
        ],
        ignore_index=True,
    )
