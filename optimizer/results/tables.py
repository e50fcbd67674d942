"""Result tables built from the model data and an engine's solution, all vectorised.

Every table carries its units in its column names. Values within ``ZERO_T`` tonnes of zero are
solver noise and are cleared (``ZERO_T`` is far below any quantity a planner reads).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from models import families as fam
from models.data import ModelData
from models.solution import Solution
from optimizer.results import metrics

ZERO_T = 1e-7
DECIMALS = 9  # rounding of written values: removes float noise, keeps far more than needed


def clean(values: np.ndarray) -> np.ndarray:
    values = np.round(np.asarray(values, dtype=float), DECIMALS)
    values[np.abs(values) < ZERO_T] = 0.0
    return values + 0.0  # no negative zeros


def plan_table(data: ModelData, solution: Solution) -> pd.DataFrame:
    """One row per (material, supplier, month) with tonnes arriving, and what they cost."""
    arrive = data.arrive
    tonnes = clean(solution.arrive)
    used = tonnes > 0
    plan = arrive.loc[used, ["material", "supplier", "country", "order_month", "month"]].copy()
    contracts = data.chain.contracts["contract"].to_numpy(dtype=object)
    k = arrive.loc[used, "contract_k"].to_numpy(dtype=int)
    plan.insert(3, "contract", _names_at(contracts, k))
    plan["tonnes"] = tonnes[used]
    plan["price_usd_per_t"] = arrive.loc[used, "price_usd_per_t"].to_numpy()
    plan["landed_usd_per_t"] = clean(arrive.loc[used, "landed_usd_per_t"].to_numpy())
    plan["cost_usd"] = clean(plan["tonnes"] * plan["landed_usd_per_t"])
    plan = plan.sort_values(["material", "month", "supplier", "contract"], kind="stable")
    return plan.reset_index(drop=True)


def stock_table(data: ModelData, solution: Solution) -> pd.DataFrame:
    """One row per (material, month): demand, arrivals, shortfall, stock, floor and cover."""
    stock = data.stock[["material", "month", "demand_t"]].copy()
    n_cells = len(stock)
    cell = data.cell(data.arrive)
    stock["arrivals_t"] = clean(np.bincount(cell, weights=solution.arrive, minlength=n_cells))
    short_cell = data.cell(data.shortfall)
    stock["shortfall_t"] = clean(
        np.bincount(short_cell, weights=solution.shortfall, minlength=n_cells)
    )
    produced, consumed = _chain_flows(data, solution)
    stock["produced_t"] = clean(produced)
    stock["consumed_t"] = clean(consumed)
    for column, frame, values in (
        ("sold_t", data.chain.sales, solution.sell),
        ("disposed_t", data.chain.disposals, solution.dispose),
    ):
        cell = data.cell(frame)
        stock[column] = clean(np.bincount(cell, weights=values, minlength=n_cells))
    stock["stock_t"] = clean(solution.stock)
    applies = np.zeros(n_cells, dtype=bool)
    applies[data.cell(data.floors)] = True
    # The cover target in every month; a hard floor only where floor_applies.
    stock["floor_t"] = clean(data.stock["cover_target_t"].to_numpy())
    stock["floor_applies"] = applies
    below = np.zeros(n_cells)
    below[data.cell(data.below)] = solution.below  # only where a floor has a penalty
    stock["below_floor_t"] = clean(below)
    credited = np.zeros(n_cells)
    credited[data.cell(data.credits)] = solution.credit  # the last month's, up to its floor
    stock["credited_t"] = clean(credited)
    stock["months_of_cover"] = np.round(metrics.months_of_cover(stock).to_numpy(), 6)
    duals = solution.row_duals.get(fam.STOCK_BALANCE)
    # The balance's right-hand side is -demand, so one more tonne of demand costs -dual.
    stock["marginal_cost_usd_per_t"] = clean(-duals) if duals is not None else np.nan
    return stock


def _chain_flows(data: ModelData, solution: Solution) -> tuple[np.ndarray, np.ndarray]:
    """Tonnes produced and consumed by the processing units, per (material, month) cell."""
    chain = data.chain
    runs = chain.runs.assign(value=solution.run)
    lines = runs.merge(chain.recipe[["u", "m", "coefficient"]], on="u", how="inner")
    cell = data.cell(lines)
    flow = lines["value"].to_numpy(dtype=float) * lines["coefficient"].to_numpy(dtype=float)
    n_cells = len(data.stock)
    produced = np.bincount(cell, weights=np.maximum(flow, 0.0), minlength=n_cells)
    consumed = np.bincount(cell, weights=np.maximum(-flow, 0.0), minlength=n_cells)
    return produced, consumed


def processing_table(data: ModelData, solution: Solution) -> pd.DataFrame:
    """One row per unit and month it runs: throughput and operating cost."""
    throughput = clean(solution.run)
    used = np.flatnonzero(throughput > 0)
    return run_rows(data.chain, used, throughput[used])


def run_rows(chain, run: np.ndarray, throughput: np.ndarray) -> pd.DataFrame:
    """The processing rows of the runs ``run`` (indices into ``chain.runs``) at ``throughput``
    (one scenario's, or stacked scenarios': ``risk_tables.processing_tables``)."""
    units = chain.units
    u = chain.runs["u"].to_numpy(dtype=int)[run]
    table = pd.DataFrame(
        {
            "unit": chain.runs["unit"].to_numpy(dtype=object)[run],
            "process": units["process"].to_numpy(dtype=object)[u],
            "country": units["country"].to_numpy(dtype=object)[u],
            "month": chain.runs["month"].to_numpy(dtype=object)[run],
            "throughput_t": throughput,
            "capacity_t_per_month": chain.runs["capacity_t"].to_numpy(dtype=float)[run],
        }
    )
    table["operating_cost_usd"] = clean(
        table["throughput_t"] * units["operating_cost_usd_per_t"].to_numpy(dtype=float)[u]
    )
    return table


DECISION_COLUMNS = [
    "kind",
    "name",
    "process",
    "supplier",
    "material",
    "country",
    "chosen",
    "first_month",
    "capacity_t_per_month",
    "capital_cost_usd",
    "cost_in_horizon_usd",
    "exclusive_group",
    "requires",
    "min_t_per_month",
    "max_t_per_month",
    "price_usd_per_t",
    "taken_t",
    "paid_not_taken_t",
]


def decisions_table(data: ModelData, solution: Solution) -> pd.DataFrame:
    """One row per yes/no decision: every option and contract, whether it was chosen, what it
    costs within the horizon and, for contracts, tonnes taken and paid for but not taken."""
    chain = data.chain
    options, units, contracts = chain.options, chain.units, chain.contracts
    u = options["u"].to_numpy(dtype=int)
    names = options["option"].to_numpy(dtype=object)
    requires = options["requires"].to_numpy(dtype=int)
    built = pd.DataFrame(
        {
            "kind": "expansion",
            "name": names,
            "process": units["process"].to_numpy(dtype=object)[u],
            "country": units["country"].to_numpy(dtype=object)[u],
            "chosen": solution.build > 0.5,
            "first_month": _month_or_none(data.months, units["first_t"].to_numpy(dtype=int)[u]),
            "capacity_t_per_month": units["capacity_t_per_month"].to_numpy(dtype=float)[u],
            "capital_cost_usd": options["capital_cost_usd"].to_numpy(dtype=float),
            "cost_in_horizon_usd": np.round(options["capital_in_horizon_usd"].to_numpy(float), 2),
            "exclusive_group": options["exclusive_group"].to_numpy(dtype=object),
            "requires": _names_at(names, requires),
        }
    )
    taken, paid = _contract_tonnes(data, solution)
    signed = pd.DataFrame(
        {
            "kind": "contract",
            "name": contracts["contract"].to_numpy(dtype=object),
            "supplier": contracts["supplier"].to_numpy(dtype=object),
            "material": contracts["material"].to_numpy(dtype=object),
            "country": contracts["country"].to_numpy(dtype=object),
            "chosen": solution.sign > 0.5,
            "first_month": _month_or_none(data.months, contracts["first_t"].to_numpy(dtype=int)),
            "cost_in_horizon_usd": contracts["fixed_cost_usd"].to_numpy(dtype=float),
            "min_t_per_month": contracts["min_t_per_month"].to_numpy(dtype=float),
            "max_t_per_month": contracts["max_t_per_month"].to_numpy(dtype=float),
            "price_usd_per_t": contracts["price_usd_per_t"].to_numpy(dtype=float),
            "taken_t": clean(taken),
            "paid_not_taken_t": clean(paid - taken),
        }
    )
    parts = [part for part in (built, signed) if len(part)]
    if not parts:
        return pd.DataFrame(columns=DECISION_COLUMNS)
    return pd.concat(parts, ignore_index=True).reindex(columns=DECISION_COLUMNS)


def _month_or_none(months: list[str], t: np.ndarray) -> np.ndarray:
    """The month of each position; None for one past the horizon (it can never start)."""
    inside = t < len(months)
    return np.where(inside, np.asarray(months, dtype=object)[np.where(inside, t, 0)], None)


def _names_at(names: np.ndarray, index: np.ndarray) -> np.ndarray:
    """``names[index]`` where ``index >= 0``, None where it is -1."""
    if len(names) == 0:
        return np.full(len(index), None, dtype=object)
    return np.where(index >= 0, names[np.maximum(index, 0)], None)


def _contract_tonnes(data: ModelData, solution: Solution) -> tuple[np.ndarray, np.ndarray]:
    """Per contract: tonnes taken and tonnes paid for over the horizon."""
    n = len(data.chain.contracts)
    k = data.arrive["contract_k"].to_numpy(dtype=int)
    contracted = k >= 0
    taken = np.bincount(k[contracted], weights=solution.arrive[contracted], minlength=n)
    paid = np.bincount(data.chain.paid["k"].to_numpy(dtype=int), weights=solution.paid, minlength=n)
    return taken, paid


def domestic_output(data: ModelData, solution: Solution) -> pd.DataFrame:
    """Tonnes each processing unit yields per material and month, by the unit's country."""
    chain = data.chain
    outputs = chain.recipe[chain.recipe["coefficient"] > 0]
    lines = chain.runs.assign(value=solution.run).merge(outputs, on="u", how="inner")
    return pd.DataFrame(
        {
            "material": np.asarray(data.materials, dtype=object)[lines["m"].to_numpy(dtype=int)],
            "month": lines["month"].to_numpy(dtype=object),
            "country": chain.units["country"].to_numpy(dtype=object)[lines["u"].to_numpy(int)],
            "tonnes": lines["value"].to_numpy(dtype=float) * lines["coefficient"].to_numpy(float),
        }
    )


def mix_table(
    data: ModelData,
    plan: pd.DataFrame,
    solution: Solution,
    by_content: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Tonnes and share of supply by (material, window, country), with the cap if any, on both
    bases: ``tonnes`` and ``share`` count arrivals by their supplier's country and each unit's
    output by the unit's country (where the stage was done); ``content_t`` and
    ``content_share`` count each unit's output by the origin of its content instead
    (``by_content``: supply by origin, see ``optimizer.results.content``; without it, the
    same as the first pair). The caps apply to the pair ``policy.share_basis`` names."""
    window_of = dict(zip(data.months, (data.windows[w] for w in data.window_of_month), strict=True))
    supply = pd.concat(
        [plan[["material", "month", "country", "tonnes"]], domestic_output(data, solution)],
        ignore_index=True,
    )
    keys = ["material", "window", "country"]
    mix = _shares(supply, window_of)
    content = _shares(supply if by_content is None else by_content, window_of)
    content = content.rename(columns={"tonnes": "content_t", "share": "content_share"})
    mix = mix.merge(content, on=keys, how="outer").fillna(
        {"tonnes": 0.0, "share": 0.0, "content_t": 0.0, "content_share": 0.0}
    )
    caps = data.caps[["material", "window", "country", "max_share"]]
    mix = mix.merge(caps, on=keys, how="left")
    order = {m: i for i, m in enumerate(data.materials)}
    mix = mix.sort_values(keys, key=lambda c: c.map(order) if c.name == "material" else c)
    columns = [*keys, "tonnes", "share", "content_t", "content_share", "max_share"]
    return mix[columns].reset_index(drop=True)


def _shares(supply: pd.DataFrame, window_of: dict) -> pd.DataFrame:
    """Tonnes and share by (material, window, country) of positive supply rows."""
    supply = supply[supply["tonnes"] > 0]
    rows = supply.assign(window=supply["month"].map(window_of))
    keys = ["material", "window", "country"]
    mix = rows.groupby(keys, as_index=False, sort=False)["tonnes"].sum()
    totals = mix.groupby(["material", "window"])["tonnes"].transform("sum")
    mix["share"] = np.round(np.where(totals > 0, mix["tonnes"] / totals, 0.0), 9)
    mix["tonnes"] = clean(mix["tonnes"])
    return mix


CONSTRAINT_COLUMNS = [
    "family",
    "material",
    "country",
    "supplier",
    "window",
    "month",
    "name",
    "limit",
    "value",
    "unit",
    "slack_t",
    "shadow_price_usd_per_t",
    "binding",
]
CONSTRAINTS_FILE = "constraints.csv"


def constraints_table(data: ModelData, solution: Solution) -> pd.DataFrame:
    """The rows of every family the registry shows in ``constraints.csv``, family by family in
    the registry's order: its limit, the plan's value, the slack (tonnes; USD for a budget), the
    shadow price (d total cost / d right-hand side) and whether it binds. Capacities that are
    unlimited have no row."""
    parts = [
        CONSTRAINT_ROWS[family.name](data, solution)
        for family in fam.FAMILIES
        if family.shown_in == CONSTRAINTS_FILE
    ]
    parts = [part for part in parts if len(part)]
    if not parts:
        return pd.DataFrame(columns=CONSTRAINT_COLUMNS)
    return pd.concat(parts, ignore_index=True).reindex(columns=CONSTRAINT_COLUMNS)


def _tight(slack: np.ndarray, limit: np.ndarray) -> np.ndarray:
    return slack <= 1e-6 * np.maximum(1.0, np.abs(limit))


def _family_rows(
    family: str,
    labels: dict[str, np.ndarray],
    limit: np.ndarray,
    value: np.ndarray,
    unit: str,
    dual: np.ndarray,
    at_least: bool = False,
) -> pd.DataFrame:
    """Rows of a ``value <= limit`` family (``value >= limit`` when ``at_least``)."""
    limit, value = np.asarray(limit, dtype=float), clean(value)
    slack = clean(value - limit if at_least else limit - value)
    return pd.DataFrame(
        {
            "family": family,
            **labels,
            "limit": limit,
            "value": value,
            "unit": unit,
            "slack_t": slack,
            "shadow_price_usd_per_t": dual,
            "binding": _tight(slack, limit),
        }
    )


def _cap_rows(data: ModelData, solution: Solution) -> pd.DataFrame:
    caps = data.caps
    arrive = data.arrive
    made = domestic_output(data, solution)  # domestic output counts for its unit's country
    month_index = {month: t for t, month in enumerate(data.months)}
    key = pd.DataFrame(
        {
            "m": np.concatenate(
                [arrive["m"].to_numpy(), pd.Index(data.materials).get_indexer(made["material"])]
            ),
            "w": data.window_of_month[
                np.concatenate(
                    [arrive["t"].to_numpy(), made["month"].map(month_index).to_numpy(int)]
                )
            ],
            "country": np.concatenate(
                [arrive["country"].to_numpy(dtype=object), made["country"].to_numpy(dtype=object)]
            ),
            "tonnes": np.concatenate([solution.arrive, made["tonnes"].to_numpy(dtype=float)]),
        }
    )
    by_country = key.groupby(["m", "w", "country"])["tonnes"].sum()
    by_window = key.groupby(["m", "w"])["tonnes"].sum()
    index = pd.MultiIndex.from_frame(caps[["m", "w", "country"]])
    country_t = by_country.reindex(index, fill_value=0.0).to_numpy()
    total_t = by_window.reindex(pd.MultiIndex.from_frame(caps[["m", "w"]]), fill_value=0.0)
    total_t = total_t.to_numpy()
    limit = caps["max_share"].to_numpy()
    slack = clean(limit * total_t - country_t)
    dual = _duals(solution.row_duals, fam.COUNTRY_SHARE_CAP, len(caps))
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(total_t > 0, country_t / total_t, 0.0)
    return pd.DataFrame(
        {
            "family": fam.COUNTRY_SHARE_CAP,
            "material": caps["material"],
            "country": caps["country"],
            "window": caps["window"],
            "limit": limit,
            "value": np.round(share, 9),
            "unit": "share",
            "slack_t": slack,
            "shadow_price_usd_per_t": dual,
            "binding": _tight(slack, total_t) & ((total_t > 0) | (dual != 0)),
        }
    )


def _floor_rows(data: ModelData, solution: Solution) -> pd.DataFrame:
    floors = data.floors
    cell = data.cell(floors)
    labels = {"material": floors["material"].to_numpy(), "month": floors["month"].to_numpy()}
    dual = _duals(solution.row_duals, fam.STOCKPILE_FLOOR, len(floors))
    limit = floors["floor_t"].to_numpy()
    return _family_rows(
        fam.STOCKPILE_FLOOR, labels, limit, solution.stock[cell], "t", dual, at_least=True
    )


def _bound_rows(family: str) -> Callable[[ModelData, Solution], pd.DataFrame]:
    """The finite upper bounds of a bound family's variables: limit, value and dual."""
    block = fam.BOUND_BLOCKS[family]
    variable = fam.VARIABLE_BY_NAME[block]

    def rows(data: ModelData, solution: Solution) -> pd.DataFrame:
        table, limit = variable.table(data), variable.bounds(data)
        finite = np.isfinite(limit)
        labels = {
            column: table.loc[finite, label].to_numpy()
            for column, label in (("material", "material"), ("country", "country"),
                                  ("supplier", "supplier"), ("month", "month"), ("name", "unit"))
            if label in table
        }  # fmt: skip
        dual = _duals(solution.bound_duals, family, len(table))[finite]
        value = getattr(solution, block)[finite]
        return _family_rows(family, labels, limit[finite], value, "t", dual)

    return rows


def _expansion_rows(data: ModelData, solution: Solution) -> pd.DataFrame:
    """An option's unit runs within its capacity, and only if built (limit 0 if not)."""
    rows = data.rows[fam.EXPANSION_CAPACITY]
    built = solution.build[rows["o"].to_numpy(dtype=int)]
    limit = rows["capacity_t_per_month"].to_numpy(dtype=float) * np.round(built)
    labels = {"month": rows["month"].to_numpy(), "name": rows["unit"].to_numpy()}
    value = solution.run[rows["run"].to_numpy(dtype=int)]
    dual = _duals(solution.row_duals, fam.EXPANSION_CAPACITY, len(rows))
    return _family_rows(fam.EXPANSION_CAPACITY, labels, limit, value, "t", dual)


def _exclusive_rows(data: ModelData, solution: Solution) -> pd.DataFrame:
    """Options built in each exclusive group, at most one."""
    rows = data.rows[fam.EXCLUSIVE_OPTIONS]
    built = [
        float(np.round(solution.build[np.asarray(m, dtype=int)]).sum()) for m in rows["members"]
    ]
    dual = _duals(solution.row_duals, fam.EXCLUSIVE_OPTIONS, len(rows))
    labels = {"name": rows["group"].to_numpy()}
    return _family_rows(fam.EXCLUSIVE_OPTIONS, labels, np.ones(len(rows)), built, "options", dual)


def _requires_rows(data: ModelData, solution: Solution) -> pd.DataFrame:
    """Whether an option is built (value) against whether the option it requires is (limit)."""
    rows = data.rows[fam.OPTION_REQUIRES]
    value = np.round(solution.build[rows["o"].to_numpy(dtype=int)])
    limit = np.round(solution.build[rows["r"].to_numpy(dtype=int)])
    dual = _duals(solution.row_duals, fam.OPTION_REQUIRES, len(rows))
    labels = {"name": rows["option"].to_numpy()}
    return _family_rows(fam.OPTION_REQUIRES, labels, limit, value, "yes/no", dual)


def _taken_by_month(data: ModelData, solution: Solution, rows: pd.DataFrame) -> np.ndarray:
    """Contracted tonnes landing in each (contract, month) of ``rows``."""
    arrive = data.arrive
    contracted = arrive["contract_k"].to_numpy() >= 0
    landed = (
        pd.Series(solution.arrive[contracted])
        .groupby([arrive["contract_k"].to_numpy()[contracted], arrive["t"].to_numpy()[contracted]])
        .sum()
    )
    months = pd.MultiIndex.from_arrays([rows["k"].to_numpy(), rows["t"].to_numpy()])
    return landed.reindex(months, fill_value=0.0).to_numpy(dtype=float)


def _contract_rows(family: str) -> Callable[[ModelData, Solution], pd.DataFrame]:
    """contract-volume: tonnes landing <= max x signed; contract-paid: tonnes paid >= tonnes
    landing; take-or-pay: tonnes paid >= min x signed."""

    def rows(data: ModelData, solution: Solution) -> pd.DataFrame:
        table = data.rows[family]
        signed = np.round(solution.sign[table["k"].to_numpy(dtype=int)])
        paid = solution.paid[table["paid"].to_numpy(dtype=int)]
        taken = _taken_by_month(data, solution, table)
        limit, value, at_least = {
            fam.CONTRACT_VOLUME: (table["max_t_per_month"].to_numpy() * signed, taken, False),
            fam.CONTRACT_PAID: (taken, paid, True),
            fam.TAKE_OR_PAY: (table["min_t_per_month"].to_numpy() * signed, paid, True),
        }[family]
        labels = {"month": table["month"].to_numpy(), "name": table["contract"].to_numpy()}
        dual = _duals(solution.row_duals, family, len(table))
        return _family_rows(family, labels, limit, value, "t", dual, at_least=at_least)

    return rows


def annual_spending(data: ModelData, solution: Solution) -> np.ndarray:
    """Spending per budget year: purchases and contract payments (duty and freight included),
    processing, contracts' fixed costs and capital charged in the year."""
    chain, arrive = data.chain, data.arrive
    years = {year: i for i, year in enumerate(chain.budget["year"])}
    of_month = np.array([years.get(month[:4], 0) for month in data.months], dtype=int)
    arrive_cost = arrive["arrive_cost_usd_per_t"].to_numpy(dtype=float)
    k = chain.paid["k"].to_numpy(dtype=int)
    parts = [
        (arrive["t"].to_numpy(dtype=int), solution.arrive * arrive_cost),
        (
            chain.runs["t"].to_numpy(dtype=int),
            solution.run
            * chain.units["operating_cost_usd_per_t"].to_numpy(dtype=float)[
                chain.runs["u"].to_numpy(int)
            ],
        ),
        (
            chain.paid["t"].to_numpy(dtype=int),
            solution.paid * chain.contracts["price_usd_per_t"].to_numpy(dtype=float)[k],
        ),
        (
            chain.contracts["fixed_t"].to_numpy(dtype=int),
            solution.sign * chain.contracts["fixed_cost_usd"].to_numpy(dtype=float),
        ),
    ]
    spending = np.zeros(len(years))
    for t, usd in parts:
        np.add.at(spending, of_month[t], usd)
    if len(chain.capital_by_month):
        np.add.at(spending, of_month, solution.build @ chain.capital_by_month)
    return spending


def _budget_rows(data: ModelData, solution: Solution) -> pd.DataFrame:
    budget = data.chain.budget
    if budget.empty:
        return pd.DataFrame()
    value = np.round(annual_spending(data, solution), 2)
    limit = budget["limit_usd"].to_numpy(dtype=float)
    dual = _duals(solution.row_duals, fam.ANNUAL_BUDGET, len(budget))
    rows = _family_rows(fam.ANNUAL_BUDGET, {"window": budget["year"].to_numpy()}, limit, value,
                        "USD", dual)  # fmt: skip
    rows["slack_t"] = np.round(limit - value, 2)
    return rows


def _closing_rows(data: ModelData, solution: Solution) -> pd.DataFrame:
    """Tonnes credited (value) against the stock left in the last month (limit)."""
    credits = data.credits
    closing = solution.stock[data.cell(credits)]
    labels = {"material": credits["material"].to_numpy(), "month": np.asarray(
        data.months, dtype=object)[credits["t"].to_numpy(dtype=int)]}  # fmt: skip
    dual = _duals(solution.row_duals, fam.CLOSING_STOCK, len(credits))
    return _family_rows(fam.CLOSING_STOCK, labels, closing, solution.credit, "t", dual)


# How each family the registry shows in constraints.csv becomes rows of it.
CONSTRAINT_ROWS: dict[str, Callable[[ModelData, Solution], pd.DataFrame]] = {
    fam.STOCKPILE_FLOOR: _floor_rows,
    fam.COUNTRY_SHARE_CAP: _cap_rows,
    fam.EXPANSION_CAPACITY: _expansion_rows,
    fam.EXCLUSIVE_OPTIONS: _exclusive_rows,
    fam.OPTION_REQUIRES: _requires_rows,
    fam.CONTRACT_VOLUME: _contract_rows(fam.CONTRACT_VOLUME),
    fam.CONTRACT_PAID: _contract_rows(fam.CONTRACT_PAID),
    fam.TAKE_OR_PAY: _contract_rows(fam.TAKE_OR_PAY),
    fam.CLOSING_STOCK: _closing_rows,
    fam.ANNUAL_BUDGET: _budget_rows,
    fam.BELOW_FLOOR: _bound_rows(fam.BELOW_FLOOR),
    fam.CLOSING_CREDIT: _bound_rows(fam.CLOSING_CREDIT),
    fam.OFFER_CAPACITY: _bound_rows(fam.OFFER_CAPACITY),
    fam.STORAGE_CAPACITY: _bound_rows(fam.STORAGE_CAPACITY),
    fam.PROCESS_CAPACITY: _bound_rows(fam.PROCESS_CAPACITY),
    fam.SALES_LIMIT: _bound_rows(fam.SALES_LIMIT),
}


def _duals(duals: dict[str, np.ndarray], family: str, count: int) -> np.ndarray:
    """Duals of a family, cleaned; NaN when the engine gave none (a limit stop, say)."""
    values = duals.get(family)
    return clean(values) if values is not None else np.full(count, np.nan)


COST_COMPONENTS = (
    "purchase_usd",
    "tariff_usd",
    "freight_usd",
    "holding_usd",
    "shortfall_usd",
    "processing_usd",
    "capital_usd",
    "contract_fixed_usd",
    "take_or_pay_usd",
    "disposal_usd",
    "sales_usd",
    "below_floor_usd",
    "closing_credit_usd",
)
"""Components of the total cost; ``sales_usd`` (by-product revenue) and ``closing_credit_usd``
(the closing stock's value, up to the last floor) are negative."""
COST_LABELS = {
    "purchase_usd": "purchase",
    "tariff_usd": "import duty",
    "freight_usd": "freight",
    "holding_usd": "stock holding",
    "shortfall_usd": "shortfall penalty",
    "below_floor_usd": "below-floor penalty",
    "processing_usd": "processing",
    "capital_usd": "capital",
    "contract_fixed_usd": "contract fees",
    "take_or_pay_usd": "take-or-pay",
    "disposal_usd": "disposal",
    "sales_usd": "by-product sales",
    "closing_credit_usd": "closing stock credit",
}
"""Each cost component in words, the same in every command's output (solve, compare, reports)."""


def cost_breakdown(data: ModelData, solution: Solution) -> dict[str, float]:
    """Total cost by component; the components sum to the objective."""
    arrive, chain = data.arrive, data.chain
    tonnes = solution.arrive
    price = arrive["price_usd_per_t"].to_numpy()
    k = chain.paid["k"].to_numpy(dtype=int)
    contract_price = chain.contracts["price_usd_per_t"].to_numpy(dtype=float)
    paid_cost = float(solution.paid @ contract_price[k]) if len(k) else 0.0
    contracted = arrive["contract_k"].to_numpy() >= 0
    taken_cost = float(tonnes[contracted] @ price[contracted])
    costs = {
        "purchase_usd": float(tonnes @ price),
        "tariff_usd": float(tonnes @ (price * arrive["tariff_pct"].to_numpy() / 100)),
        "freight_usd": float(tonnes @ arrive["freight_usd_per_t"].to_numpy()),
        "holding_usd": float(
            solution.stock @ data.stock["holding_cost_usd_per_t_month"].to_numpy()
        ),
        "shortfall_usd": float(
            solution.shortfall @ data.shortfall["shortfall_penalty_usd_per_t"].to_numpy()
        ),
        "processing_usd": float(
            solution.run
            @ chain.units["operating_cost_usd_per_t"].to_numpy(dtype=float)[
                chain.runs["u"].to_numpy(dtype=int)
            ]
        ),
        "capital_usd": float(solution.build @ chain.options["capital_in_horizon_usd"].to_numpy()),
        "contract_fixed_usd": float(solution.sign @ chain.contracts["fixed_cost_usd"].to_numpy()),
        "take_or_pay_usd": paid_cost - taken_cost,
        "disposal_usd": float(
            solution.dispose @ chain.disposals["disposal_cost_usd_per_t"].to_numpy(dtype=float)
        ),
        "sales_usd": -float(
            solution.sell @ chain.sales["sale_price_usd_per_t"].to_numpy(dtype=float)
        ),
        "below_floor_usd": float(solution.below @ data.below["penalty"].to_numpy(dtype=float)),
        "closing_credit_usd": -float(
            solution.credit @ data.credits["value_usd_per_t"].to_numpy(dtype=float)
        ),
    }
    costs = {key: round(value, 2) + 0.0 for key, value in costs.items()}
    costs["total_usd"] = round(sum(costs.values()), 2)
    return costs
