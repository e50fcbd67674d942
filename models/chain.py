"""Model data of the supply chain's own decisions: processing units and their recipes,
investment options, contracts, by-product sales and disposal, and the annual budget.

Resolution follows the input contract: an option's recipe lines override its process's; an
option runs from ``max(available_from, start + build lead time)``; a contract covers its
material (or every material its supplier offers) from its start month, or the supplier's first
possible arrival, to its end month.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from models.costs import capital_recovery_factor, landed_cost

if TYPE_CHECKING:
    from optimizer.inputs.scenario import Scenario


def _empty(*columns: str) -> pd.DataFrame:
    return pd.DataFrame({column: [] for column in columns})


@dataclass(frozen=True)
class ChainData:
    """Each frame has one row per variable or row of its kind, in the engines' order."""

    # One row per processing unit: an existing process, or an option's capacity.
    units: pd.DataFrame = field(default_factory=lambda: _empty("unit", "process", "country"))
    # One row per recipe line of a unit: u, m, coefficient (+ output, - input per t of throughput).
    recipe: pd.DataFrame = field(default_factory=lambda: _empty("u", "m", "coefficient"))
    # One row per run variable: unit u running in month t.
    runs: pd.DataFrame = field(
        default_factory=lambda: _empty(
            "u", "t", "unit", "month", "operating_cost_usd_per_t", "capacity_t", "capacity_bound_t"
        )
    )
    # One row per option: its unit, its capital charge within the horizon, group, requirement.
    options: pd.DataFrame = field(default_factory=lambda: _empty("option", "u"))
    capital_by_month: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))  # (O, T)
    # One row per contract, and one per (contract, month) it may be paid in.
    contracts: pd.DataFrame = field(default_factory=lambda: _empty("contract", "k"))
    paid: pd.DataFrame = field(
        default_factory=lambda: _empty("k", "t", "contract", "month", "price_usd_per_t")
    )
    sales: pd.DataFrame = field(default_factory=lambda: _empty("m", "t", "material", "month"))
    disposals: pd.DataFrame = field(default_factory=lambda: _empty("m", "t", "material", "month"))
    budget: pd.DataFrame = field(default_factory=lambda: _empty("year", "limit_usd"))

    @property
    def has_decisions(self) -> bool:
        return len(self.options) > 0 or len(self.contracts) > 0


def compile_chain(scenario: Scenario, months: list[str], materials: list[str]) -> ChainData:
    """The chain's model data (empty frames where the scenario has no chain)."""
    units, recipe, options, capital = _units(scenario, months, materials)
    contracts, paid = _contracts(scenario, months)
    return ChainData(
        units=units,
        recipe=recipe,
        runs=_runs(units, months),
        options=options,
        capital_by_month=capital,
        contracts=contracts,
        paid=paid,
        sales=_outlets(scenario, months, "sale_price_usd_per_t", "sale_limit_t_per_month"),
        disposals=_outlets(scenario, months, "disposal_cost_usd_per_t", None),
        budget=_budget(scenario, months),
    )


def _month_index(label: object, months: list[str], default: int) -> int:
    """Position of a month in the horizon; blank gives ``default``; before the start gives 0."""
    if label is None or (isinstance(label, float) and np.isnan(label)):
        return default
    return max(0, months.index(label)) if label in months else default


def _units(
    scenario: Scenario, months: list[str], materials: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, np.ndarray]:
    processes, expansions = scenario.processes, scenario.expansions
    known = processes.set_index("process")
    rows = []
    for p in processes.itertuples(index=False):
        rows.append(
            {
                "unit": p.process,
                "process": p.process,
                "country": p.country,
                "capacity_t_per_month": p.capacity_t_per_month,
                "operating_cost_usd_per_t": p.operating_cost_usd_per_t,
                "first_t": _month_index(p.first_month, months, 0),
                "o": -1,
                "ramp_months": int(p.ramp_months),
                "ramp_start_fraction": float(p.ramp_start_fraction),
            }
        )
    for o, x in enumerate(expansions.itertuples(index=False)):
        parent = known.loc[x.process] if x.process in known.index else None
        country = x.country if isinstance(x.country, str) else parent["country"]
        cost = x.operating_cost_usd_per_t
        if np.isnan(cost):
            cost = parent["operating_cost_usd_per_t"]
        first = max(_month_index(x.available_from, months, 0), int(x.build_lead_time_months))
        rows.append(
            {
                "unit": x.option,
                "process": x.process,
                "country": country,
                "capacity_t_per_month": x.capacity_t_per_month,
                "operating_cost_usd_per_t": cost,
                "first_t": first,
                "o": o,
                "ramp_months": int(x.ramp_months),
                "ramp_start_fraction": float(x.ramp_start_fraction),
            }
        )
    units = pd.DataFrame(
        rows,
        columns=[
            "unit",
            "process",
            "country",
            "capacity_t_per_month",
            "operating_cost_usd_per_t",
            "first_t",
            "o",
            "ramp_months",
            "ramp_start_fraction",
        ],
    )
    recipe = _recipe(scenario, units, materials)
    options, capital = _options(scenario, units, months)
    return units, recipe, options, capital


def _recipe(scenario: Scenario, units: pd.DataFrame, materials: list[str]) -> pd.DataFrame:
    """Each unit's lines: its own (an option's) if it has any, else its process's."""
    io = scenario.process_io
    own = set(io["process"])
    source = [
        unit if unit in own else process
        for unit, process in zip(units["unit"], units["process"], strict=True)
    ]
    lines = pd.DataFrame(
        {"u": np.arange(len(units)), "process": pd.Series(source, dtype=object)}
    ).merge(io.astype({"process": object}), on="process", how="inner")
    sign = np.where(lines["direction"] == "output", 1.0, -1.0)
    return (
        pd.DataFrame(
            {
                "u": lines["u"].to_numpy(dtype=int),
                "m": pd.Index(materials).get_indexer(lines["material"]),
                "material": lines["material"].to_numpy(dtype=object),
                "coefficient": sign * lines["t_per_t"].to_numpy(dtype=float),
            }
        )
        .sort_values(["u", "m"], kind="stable")
        .reset_index(drop=True)
    )


def _runs(units: pd.DataFrame, months: list[str]) -> pd.DataFrame:
    """One run variable per unit and month from its first; an existing process's capacity
    bounds its runs (an option's is bounded by its expansion-capacity rows instead)."""
    u = np.repeat(np.arange(len(units)), len(months))
    t = np.tile(np.arange(len(months)), len(units))
    keep = t >= units["first_t"].to_numpy(dtype=int)[u] if len(units) else np.zeros(0, bool)
    u, t = u[keep], t[keep]
    existing = units["o"].to_numpy(dtype=int)[u] < 0
    factor = ramp_factor(
        t - units["first_t"].to_numpy(dtype=int)[u],
        units["ramp_months"].to_numpy(dtype=int)[u],
        units["ramp_start_fraction"].to_numpy(dtype=float)[u],
    )
    capacity = units["capacity_t_per_month"].to_numpy(dtype=float)[u] * factor
    return pd.DataFrame(
        {
            "u": u,
            "t": t,
            "unit": units["unit"].to_numpy(dtype=object)[u],
            "month": np.asarray(months, dtype=object)[t],
            "operating_cost_usd_per_t": units["operating_cost_usd_per_t"].to_numpy(float)[u],
            "capacity_t": capacity,  # the month's capacity, ramp-up included
            "capacity_bound_t": np.where(existing, capacity, np.inf),
        }
    )


def ramp_factor(age: np.ndarray, ramp_months: np.ndarray, start: np.ndarray) -> np.ndarray:
    """The share of capacity a unit has ``age`` months after its first: ``start`` in its first
    month, rising linearly to 1 after ``ramp_months`` (1 throughout when there is no ramp)."""
    ramping = ramp_months > 0
    progress = np.minimum(age / np.where(ramping, ramp_months, 1), 1.0)
    return np.where(ramping, start + (1 - start) * progress, 1.0)


def _options(
    scenario: Scenario, units: pd.DataFrame, months: list[str]
) -> tuple[pd.DataFrame, np.ndarray]:
    """Options with their capital charge per month of the horizon (annuity from the first month
    the capacity runs, or everything when construction starts)."""
    expansions = scenario.expansions
    settings = scenario.settings
    n_months = len(months)
    capital = np.zeros((len(expansions), n_months))
    option_unit = units.index[units["o"] >= 0].to_numpy()
    for o, x in enumerate(expansions.itertuples(index=False)):
        first = int(units.loc[option_unit[o], "first_t"])
        if settings.capital_charge == "upfront":
            start = max(0, first - int(x.build_lead_time_months))
            if start < n_months:
                capital[o, start] = x.capital_cost_usd
        else:
            monthly = (
                x.capital_cost_usd
                * capital_recovery_factor(settings.discount_rate_pct, x.lifetime_years)
                / 12
            )
            capital[o, first:] = monthly
    names = expansions["option"].tolist()
    requires = [names.index(r) if isinstance(r, str) else -1 for r in expansions["requires"]]
    groups = (
        expansions["exclusive_group"].astype(object).where(expansions["exclusive_group"].notna())
    )
    options = pd.DataFrame(
        {
            "option": expansions["option"].to_numpy(dtype=object),
            "u": option_unit,
            "capital_cost_usd": expansions["capital_cost_usd"].to_numpy(dtype=float),
            "capital_in_horizon_usd": capital.sum(axis=1),
            "exclusive_group": groups.to_numpy(dtype=object),
            "requires": np.asarray(requires, dtype=int),
        }
    )
    return options, capital


def _contracts(scenario: Scenario, months: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    contracts = scenario.contracts
    suppliers = scenario.suppliers.set_index("supplier")
    n = len(months)
    rows = []
    for k, c in enumerate(contracts.itertuples(index=False)):
        supplier = suppliers.loc[c.supplier]
        lead = int(supplier["lead_time_months"])
        start = max(_month_index(c.start_month, months, 0), lead)
        end = _month_index(c.end_month, months, n - 1)
        rows.append(
            {
                "contract": c.contract,
                "k": k,
                "supplier": c.supplier,
                "country": supplier["country"],
                "material": c.material,
                "first_t": start,
                "last_t": end,
                "lead_time_months": lead,
                "price_usd_per_t": c.price_usd_per_t,
                "tariff_pct": supplier["tariff_pct"],
                "freight_usd_per_t": supplier["freight_usd_per_t"],
                "min_t_per_month": c.min_t_per_month,
                "max_t_per_month": c.max_t_per_month,
                "fixed_cost_usd": c.fixed_cost_usd,
                "fixed_t": min(_month_index(c.start_month, months, 0), n - 1),
            }
        )
    table = pd.DataFrame(
        rows,
        columns=[
            "contract",
            "k",
            "supplier",
            "country",
            "material",
            "first_t",
            "last_t",
            "lead_time_months",
            "price_usd_per_t",
            "tariff_pct",
            "freight_usd_per_t",
            "min_t_per_month",
            "max_t_per_month",
            "fixed_cost_usd",
            "fixed_t",
        ],
    )
    paid = [(r.k, t) for r in table.itertuples() for t in range(r.first_t, r.last_t + 1)]
    paid = pd.DataFrame(paid, columns=["k", "t"]).astype(int)
    paid["contract"] = table["contract"].to_numpy(dtype=object)[paid["k"]] if len(table) else []
    paid["month"] = np.asarray(months, dtype=object)[paid["t"]] if len(paid) else []
    price = table["price_usd_per_t"].to_numpy(dtype=float)
    paid["price_usd_per_t"] = price[paid["k"].to_numpy(dtype=int)] if len(paid) else []
    return table, paid


def contract_arrivals(
    scenario: Scenario, contracts: pd.DataFrame, months: list[str], materials: list[str]
) -> pd.DataFrame:
    """Arrive rows for contracted tonnes: per contract, material and month it may land."""
    offered = scenario.offers.groupby("supplier")["material"].agg(lambda m: list(dict.fromkeys(m)))
    rows = []
    for c in contracts.itertuples(index=False):
        covered = [c.material] if isinstance(c.material, str) else offered.get(c.supplier, [])
        for material in covered:
            for t in range(c.first_t, c.last_t + 1):
                rows.append(
                    (
                        c.k,
                        c.contract,
                        material,
                        c.supplier,
                        c.country,
                        t,
                        c.lead_time_months,
                        c.price_usd_per_t,
                        c.tariff_pct,
                        c.freight_usd_per_t,
                    )
                )
    frame = pd.DataFrame(
        rows,
        columns=[
            "contract_k",
            "contract",
            "material",
            "supplier",
            "country",
            "t",
            "lead_time_months",
            "price_usd_per_t",
            "tariff_pct",
            "freight_usd_per_t",
        ],
    )
    frame["m"] = pd.Index(materials).get_indexer(frame["material"])
    frame["s"] = pd.Index(scenario.suppliers["supplier"]).get_indexer(frame["supplier"])
    month_names = np.asarray(months, dtype=object)
    frame["month"] = month_names[frame["t"].to_numpy(dtype=int)] if len(frame) else []
    frame["order_month"] = (
        month_names[(frame["t"] - frame["lead_time_months"]).to_numpy(dtype=int)]
        if len(frame)
        else []
    )
    frame["landed_usd_per_t"] = landed_cost(
        frame["price_usd_per_t"], frame["tariff_pct"], frame["freight_usd_per_t"]
    )
    frame["capacity_t_per_month"] = np.inf  # bounded by the contract's volume rows
    frame["offer_row"] = -1
    return frame


def _outlets(scenario: Scenario, months: list[str], value: str, limit: str | None) -> pd.DataFrame:
    """Sale or disposal variables: one per month for each material with a price (or cost)."""
    materials = scenario.materials
    m = np.flatnonzero(materials[value].notna().to_numpy())
    n = len(months)
    mm, t = np.repeat(m, n), np.tile(np.arange(n), len(m))
    frame = pd.DataFrame(
        {
            "m": mm,
            "t": t,
            "material": materials["material"].to_numpy(dtype=object)[mm],
            "month": np.asarray(months, dtype=object)[t],
            value: materials[value].to_numpy(dtype=float)[mm],
        }
    )
    if limit is not None:
        frame[limit] = materials[limit].to_numpy(dtype=float)[mm]
    return frame


def _budget(scenario: Scenario, months: list[str]) -> pd.DataFrame:
    limit = scenario.settings.budget_usd_per_year
    if limit is None:
        return pd.DataFrame({"year": [], "limit_usd": []})
    years = list(dict.fromkeys(month[:4] for month in months))
    return pd.DataFrame({"year": years, "limit_usd": float(limit)})
