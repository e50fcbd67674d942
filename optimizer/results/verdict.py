"""The verdict: whether a plan meets every demand and holds every stockpile floor, said in words
before any cost. Where it does not: which material, which months, how many tonnes at most, and
what stops it — the caps, capacities and lead times that bind.

What stops it is read from the result tables: the binding rows of ``constraints.csv`` on the
material (its caps, its offers, the units that make it, its contracts and storage, the budget)
up to the last month concerned, ranked by their shadow price (what one more tonne of the limit
would save: the limits that hold supply back cost about as much as a tonne left unmet), and,
with the scenario at hand, the suppliers and units that cannot deliver by the first month
concerned (lead times, build times). The verdict is a JSON-ready dict::

    {"kind": "leaves demand unmet", "headline": "...", "text": "...", "details": [...]}
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from optimizer.common.months import is_month, label, ordinal

if TYPE_CHECKING:
    from models.data import ModelData

MEETS = "meets demand"
UNMET = "leaves demand unmet"
UNDER_FLOOR = "floor not reached"
NO_PLAN = "no plan"
DEMAND_ISSUE, FLOOR_ISSUE = "demand unmet", "floor not reached"

TOL_T = 1e-6
SHOWN_LIMITS = 3
RELEVANT = 0.05  # a limit whose shadow price is under 5% of the largest does not hold supply back
MAX_SPANS = 3  # month ranges listed before "N months between A and B"
# Families that limit a material's supply, in the order they are named when prices tie.
LIMIT_FAMILIES = (
    "country-share-cap",
    "offer-capacity",
    "process-capacity",
    "expansion-capacity",
    "contract-volume",
    "storage-capacity",
    "annual-budget",
)
NO_PLAN_WORDS = {
    "infeasible": "No plan meets every demand, cap and floor.",
    "unbounded": "No plan: the costs are unbounded.",
    "limit": "No plan: stopped by a limit before a feasible plan was found.",
}


def tonnes(value: float) -> str:
    """Tonnes as a planner reads them: 3.12, 222.9, 1,250 (3 significant digits under 1 t)."""
    if abs(value) < 1:
        return f"{value:.3g}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def without_plan(status: str, diagnosis: list[str] | tuple[str, ...] = ()) -> dict:
    """The verdict of a solve that wrote no plan: why, with the diagnosis as its details."""
    headline = NO_PLAN_WORDS.get(status, f"No plan: the solver ended with status {status}.")
    details = [{"issue": NO_PLAN, "text": sentence} for sentence in diagnosis]
    return _verdict(NO_PLAN, headline, details)


def judge(
    stock: pd.DataFrame,
    constraints: pd.DataFrame | None,
    *,
    decisions: pd.DataFrame | None = None,
    data: ModelData | None = None,
) -> dict:
    """The verdict of a plan from its stock and constraints tables (``decisions`` tells built
    options; ``data``, the compiled scenario, adds lead times and which units make what)."""
    stock = stock.reset_index(drop=True)
    under = _under_floor(stock)
    short = stock["shortfall_t"].to_numpy(dtype=float) > TOL_T
    # The binding limits that explain an issue are read only when there is one (at size, the
    # constraints table has hundreds of thousands of rows).
    issues = short.any() or (under > TOL_T).any()
    context = _Context(stock, constraints if issues else None, decisions, data)
    details = [
        _unmet_issue(context, material, rows)
        for material, rows in stock[short].groupby("material", sort=False)
    ]
    said = {d["material"]: d["limits"] for d in details}
    details += [
        _floor_issue(context, material, rows, under[rows.index], said.get(material))
        for material, rows in stock[under > TOL_T].groupby("material", sort=False)
    ]
    unmet = [d["material"] for d in details if d["issue"] == DEMAND_ISSUE]
    below = [d["material"] for d in details if d["issue"] == FLOOR_ISSUE]
    if unmet and below:
        kind = UNMET
        headline = (
            f"Leaves demand unmet ({', '.join(unmet)}) and a stockpile floor unreached "
            f"({', '.join(below)})."
        )
    elif unmet:
        kind, headline = UNMET, f"Leaves demand unmet ({', '.join(unmet)})."
    elif below:
        kind = UNDER_FLOOR
        headline = f"Meets all demand but leaves a stockpile floor unreached ({', '.join(below)})."
    elif stock["floor_applies"].astype(bool).any():
        kind, headline = MEETS, "Meets all demand and holds every stockpile floor."
    else:
        kind, headline = MEETS, "Meets all demand; no stockpile floor applies."
    return _verdict(kind, headline, details)


def falls_short(stock: pd.DataFrame) -> bool:
    """Whether a plan leaves demand unmet or an applying floor unreached anywhere."""
    return bool((stock["shortfall_t"] > TOL_T).any() or _under_floor(stock).any())


def _verdict(kind: str, headline: str, details: list[dict]) -> dict:
    text = " ".join([headline, *(d["text"] for d in details if d["issue"] != NO_PLAN)])
    return {"kind": kind, "headline": headline, "text": text, "details": details}


def verdict_line(verdict: dict) -> str:
    """One line: the kind and, per issue, material, tonnes and months (compare, reports)."""
    shorts = [d["short"] for d in verdict.get("details", []) if d.get("short")]
    if not shorts:
        return verdict.get("headline", "")
    return f"{verdict['kind']}: " + "; ".join(shorts)


def is_good(verdict: dict) -> bool:
    return verdict.get("kind") == MEETS


def _under_floor(stock: pd.DataFrame) -> np.ndarray:
    """Tonnes under an applying floor per row: ``below_floor_t`` where the model has it, and
    never less than the table shows (a floor is never called held when the stock is under it)."""
    applies = stock["floor_applies"].astype(bool).to_numpy()
    gap = np.where(applies, stock["floor_t"].to_numpy(float) - stock["stock_t"].to_numpy(float), 0)
    if "below_floor_t" in stock:
        gap = np.maximum(gap, stock["below_floor_t"].fillna(0.0).to_numpy(dtype=float))
    return np.where(gap > TOL_T * np.maximum(1.0, stock["floor_t"].to_numpy(float)), gap, 0.0)


class _Context:
    """The tables a material's issues are explained from."""

    def __init__(self, stock, constraints, decisions, data):
        self.stock, self.data = stock, data
        self.months = list(dict.fromkeys(stock["month"]))
        self.position = {month: i for i, month in enumerate(self.months)}
        self.binding = _binding_limits(constraints)
        self.built = set()
        self.contract_material = {}
        if decisions is not None and len(decisions):
            chosen = decisions["chosen"].astype(str).str.lower().isin(["true", "1"])
            self.built = set(decisions.loc[chosen & (decisions["kind"] == "expansion"), "name"])
            contracts = decisions[decisions["kind"] == "contract"]
            self.contract_material = contracts.set_index("name")["material"].to_dict()


def _binding_limits(constraints: pd.DataFrame | None) -> pd.DataFrame:
    """Binding rows of the families that limit supply, with the first month each row covers
    and the absolute shadow price as its score."""
    if constraints is None or constraints.empty:
        return pd.DataFrame(columns=["family", "first_month", "score"])
    rows = constraints[
        constraints["family"].isin(LIMIT_FAMILIES) & constraints["binding"].astype(bool)
    ].copy()
    window = rows["window"].map(_label).astype(str)
    month = rows["month"].map(_label).astype(str)
    # A cap or budget window's first month: "2026" -> "2026-01", "2026-01..2028-12" -> "2026-01".
    first = window.str.split("..").str[0]
    first = first.where(first.str.len() != 4, first + "-01")
    rows["first_month"] = month.where(month != "", first)
    rows["score"] = rows["shadow_price_usd_per_t"].astype(float).abs().fillna(0.0)
    return rows


def _windows(labels: pd.Series) -> str:
    """Cap or budget windows in words: "2026, 2027 and 2028"; months as runs, "2026-01..2026-06"."""
    items = list(dict.fromkeys(labels))
    if all(is_month(item) for item in items):
        at = sorted(ordinal(item) for item in items)
        runs = np.split(np.array(at), np.flatnonzero(np.diff(at) != 1) + 1)
        items = [label(r[0]) if len(r) == 1 else f"{label(r[0])}..{label(r[-1])}" for r in runs]
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _label(value) -> str:
    """A window or month cell as text (a year read back from CSV may be 2026.0)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _unmet_issue(context: _Context, material: str, rows: pd.DataFrame) -> dict:
    months = rows["month"].tolist()
    short = rows["shortfall_t"].to_numpy(dtype=float)
    worst = rows.iloc[int(np.argmax(short))]
    total = float(short.sum())
    where = _spans(context, months)
    of = f"of {tonnes(worst['demand_t'])} t"
    text = f"{material}: {tonnes(total)} t of demand unmet in {where} "
    if len(months) == 1:
        text += f"({of})"
    else:
        most = tonnes(worst["shortfall_t"])
        text += f"({len(months)} months; at most {most} t, in {worst['month']}, {of})"
    held, for_floor = _held_back(context, rows)
    text += held
    limits, more = _limits(context, material, months)
    text += _reason(limits, f"buying more would cost more than {_penalty(context, material)}")
    return {
        "material": material,
        "issue": DEMAND_ISSUE,
        "months": months,
        "tonnes": round(total, 6),
        "most_t": round(float(worst["shortfall_t"]), 6),
        "most_month": worst["month"],
        "demand_t": round(float(worst["demand_t"]), 6),
        "for_floor": for_floor,
        "limits": limits,
        "more_limits": more,
        "text": text,
        "short": f"{material} {tonnes(total)} t unmet in {where}",
    }


def _held_back(context: _Context, rows: pd.DataFrame) -> tuple[str, bool]:
    """Why stock stays while demand goes unmet: a floor takes it, that month's or a later one
    (and whether a floor does)."""
    held = rows[rows["stock_t"].to_numpy(dtype=float) > TOL_T]
    if held.empty:
        return "", False
    first = held.iloc[0]
    if bool(first["floor_applies"]) and first["stock_t"] <= first["floor_t"] + TOL_T:
        floor = tonnes(first["floor_t"])
        return f", to fill the stockpile floor ({floor} t in {first['month']})", True
    stock = context.stock
    later = stock[
        (stock["material"] == first["material"])
        & stock["floor_applies"].astype(bool)
        & (stock["month"] >= first["month"])
    ]["month"]
    if later.empty:  # stock kept at no cost (no holding cost): nothing to explain
        return "", False
    kept = f", while {tonnes(first['stock_t'])} t stay in stock in {first['month']}"
    return f"{kept} for the stockpile floor from {later.iloc[0]}", True


def _floor_issue(
    context: _Context,
    material: str,
    rows: pd.DataFrame,
    under: np.ndarray,
    said: list[str] | None = None,
) -> dict:
    """``said``: the limits already named for the material's unmet demand."""
    months = rows["month"].tolist()
    worst = rows.iloc[int(np.argmax(under))]
    most = float(under.max())
    applying = context.stock[
        (context.stock["material"] == material) & context.stock["floor_applies"].astype(bool)
    ]["month"].tolist()
    where = _spans(context, months)
    run = applying[: len(months)] == months  # under from the floor's first month, without a break
    if run and len(months) == len(applying):
        when, short = f"in any month from {months[0]}", f"{material} never at its floor"
    elif run:
        reached = applying[len(months)]
        when, short = f"until {reached}", f"{material} under its floor until {reached}"
    else:
        when, short = f"in {where}", f"{material} under its floor in {where}"
    text = (
        f"{material}: floor not reached {when}; at most {tonnes(most)} t under it "
        f"({worst['month']}, floor {tonnes(worst['floor_t'])} t)"
    )
    limits, more = _limits(context, material, months)
    if limits and limits == said:
        text += "; limited by the same."
    else:
        text += _reason(limits, "buying more would cost more than the penalty for staying under it")
    return {
        "material": material,
        "issue": FLOOR_ISSUE,
        "months": months,
        "most_t": round(most, 6),
        "most_month": worst["month"],
        "floor_t": round(float(worst["floor_t"]), 6),
        "limits": limits,
        "more_limits": more,
        "text": text,
        "short": f"{short} (at most {tonnes(most)} t under it)",
    }


def _penalty(context: _Context, material: str) -> str:
    """The material's shortfall penalty, in words (its amount needs the compiled scenario)."""
    if context.data is None:
        return "its shortfall penalty"
    cells = context.data.shortfall
    price = cells.loc[cells["material"] == material, "shortfall_penalty_usd_per_t"].max()
    return f"its shortfall penalty (USD {price:,.0f}/t)"


def _reason(limits: list[str], otherwise: str) -> str:
    """The end of an issue's sentence: what limits it, or why nothing needs to."""
    return f"; limited by {', '.join(limits)}." if limits else f"; {otherwise}."


def _spans(context: _Context, months: list[str]) -> str:
    """Months as ranges: 2026-07, 2027-01..2027-03; many ranges as "N months between A and B"."""
    at = np.array([context.position[m] for m in months])
    breaks = np.flatnonzero(np.diff(at) != 1) + 1
    runs = np.split(at, breaks)
    if len(runs) > MAX_SPANS:
        return f"{len(months)} months between {months[0]} and {months[-1]}"
    names = context.months
    return ", ".join(names[r[0]] if len(r) == 1 else f"{names[r[0]]}..{names[r[-1]]}" for r in runs)


def _limits(context: _Context, material: str, months: list[str]) -> tuple[list[str], int]:
    """What holds supply of ``material`` back up to the last of ``months``: the most relevant
    binding limits, then suppliers and units that cannot deliver by the first; and how many
    other relevant ones were left out."""
    phrases = _binding_phrases(context, material, months[-1])
    phrases += _late_phrases(context, material, months[0])
    return phrases[:SHOWN_LIMITS], max(0, len(phrases) - SHOWN_LIMITS)


def _binding_phrases(context: _Context, material: str, last: str) -> list[str]:
    """The binding limits on ``material`` up to ``last``, one phrase per limit (a cap over its
    windows, a capacity over its months), most relevant first."""
    rows = context.binding
    if rows.empty:
        return []
    makers = set(_makers(context.data, material)["unit"]) if context.data is not None else set()
    units = rows["family"].isin(("process-capacity", "expansion-capacity"))
    contract = rows["family"] == "contract-volume"
    mine = (
        (rows["material"] == material)
        | (units & rows["name"].isin(makers))
        | (contract & (rows["name"].map(context.contract_material) == material))
        | (rows["family"] == "annual-budget")
    )
    rows = rows[mine & (rows["first_month"] <= last)]
    if rows.empty:
        return []
    if rows["score"].max() > 0:  # otherwise no prices (a limit stop): every binding row counts
        rows = rows[rows["score"] >= RELEVANT * rows["score"].max()]
    order = {family: i for i, family in enumerate(LIMIT_FAMILIES)}
    rows = rows.assign(
        who=rows["country"]
        .where(rows["family"] == "country-share-cap", rows["supplier"])
        .fillna(rows["name"])
        .fillna(""),
        rank=rows["family"].map(order),
        window=rows["window"].map(_label),
    )
    limits = rows.groupby(["rank", "family", "who"], sort=False).agg(
        score=("score", "max"),
        top=("limit", "max"),
        levels=("limit", "nunique"),
        windows=("window", _windows),
    )
    limits = limits.reset_index().assign(rounded=limits["score"].round(-1).to_numpy())
    limits = limits.sort_values(["rounded", "rank"], ascending=[False, True], kind="stable")
    return [_phrase(r, material, context) for r in limits.itertuples()]


def _phrase(limit, material: str, context: _Context) -> str:
    """A binding limit in words; a capacity that varies by month is named by its largest."""
    level = tonnes(limit.top) if limit.levels == 1 else f"up to {tonnes(limit.top)}"
    if limit.family == "country-share-cap":
        return f"{limit.who} capped at {limit.top:.0%} of supply in {limit.windows}"
    if limit.family == "offer-capacity":
        return f"{limit.who} at capacity {level} t/month{_since(context, material, limit.who)}"
    if limit.family in ("process-capacity", "expansion-capacity"):
        built = limit.top > TOL_T  # an option not built has a capacity of 0
        return f"{limit.who} at capacity {level} t/month" if built else f"{limit.who} not built"
    if limit.family == "contract-volume":
        return f"contract {limit.who} at its maximum of {level} t/month"
    if limit.family == "storage-capacity":
        return f"storage full at {level} t"
    return f"the annual budget of USD {limit.top:,.0f} spent in {limit.windows}"


def _since(context: _Context, material: str, supplier: str) -> str:
    """ ", arriving from 2026-03 (lead time 2 months)" for a supplier that cannot deliver in the
    horizon's first month."""
    if context.data is None:
        return ""
    offers = context.data.arrive
    mine = offers[(offers["material"] == material) & (offers["supplier"] == supplier)]
    if mine.empty or int(mine["t"].min()) == 0:
        return ""
    first = mine.loc[mine["t"].idxmin()]
    lead = int(first["lead_time_months"])
    why = f" (lead time {lead} months)" if lead else ""
    return f", arriving from {first['month']}{why}"


def _makers(data: ModelData, material: str) -> pd.DataFrame:
    """The processing units that make ``material``, with their first month and option."""
    chain = data.chain
    recipe = chain.recipe
    u = recipe.loc[(recipe["material"] == material) & (recipe["coefficient"] > 0), "u"]
    units = chain.units.iloc[np.unique(u.to_numpy(dtype=int))]
    option = chain.options.set_index("u")["option"]
    return units.assign(option=units.index.map(option))


def _late_phrases(context: _Context, material: str, first: str) -> list[str]:
    """Suppliers and units of ``material`` that cannot deliver by ``first``: lead times, dated
    offers, plants not yet running."""
    data = context.data
    if data is None:
        return []
    t = context.position[first]
    offers = data.arrive[data.arrive["material"] == material]
    starts = offers.loc[offers.groupby("supplier", sort=False)["t"].idxmin()]
    phrases = [
        f"{r.supplier} arriving only from {r.month}"
        + (f" (lead time {int(r.lead_time_months)} months)" if r.lead_time_months else "")
        for r in starts[starts["t"] > t].sort_values("t", kind="stable").itertuples()
    ]
    makers = _makers(data, material)
    late = makers[(makers["first_t"] > t) & (makers["first_t"] < len(context.months))]
    for r in late.sort_values("first_t", kind="stable").itertuples():
        built = not isinstance(r.option, str) or r.option in context.built
        when = context.months[int(r.first_t)]
        phrases.append(f"{r.unit} making it only from {when}" + ("" if built else " if built"))
    if offers.empty and makers.empty:
        phrases.append("no supplier offering it")
    return phrases
