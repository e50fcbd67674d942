"""The scenario resolved into the index sets and coefficients of the LP, shared by both engines.

Resolution follows the input contract: blank-month offers apply to every month unless a dated
row overrides them; an offer arrives only from ``start + lead_time_months``; blank-material caps
apply to every material unless a material row overrides them. Rows and variables that say
nothing are left out (zero capacity, a 100% cap, a zero floor).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from models import families
from models.chain import ChainData, compile_chain, contract_arrivals
from models.content import ContentData, compile_content
from models.costs import arrive_cost, landed_cost
from models.indexing import Grid

if TYPE_CHECKING:  # only for annotations: optimizer imports models at run time
    from optimizer.inputs.scenario import Scenario


@dataclass(frozen=True)
class ModelData:
    """Index sets and coefficients. Each frame has one row per variable or constraint row, in
    the order the engines create them; integer columns ``m``, ``t``, ``w`` index materials,
    months and windows."""

    name: str
    cap_window: str  # month | year | horizon
    months: list[str]
    materials: list[str]
    windows: list[str]  # window labels, in time order
    window_of_month: np.ndarray  # (T,) window index of each month
    initial_stock_t: np.ndarray  # (M,)
    arrive: pd.DataFrame  # material supplier country month m t price tariff freight landed cap
    stock: pd.DataFrame  # material month m t demand_t holding storage cover (M*T, m-major)
    shortfall: pd.DataFrame  # material month m t penalty_usd_per_t
    floors: pd.DataFrame  # material month m t floor_t cover_months floor_penalty
    totals: pd.DataFrame  # material window m w: one window-total variable each
    caps: pd.DataFrame  # material country window m w total max_share: one cap row each
    chain: ChainData = field(default_factory=ChainData)  # processing, options, contracts, ...
    countries: list[str] = field(default_factory=list)  # by code: arrive["c"], units["c"]
    # Tonnes under a floor that has a penalty: one variable per such floor row.
    below: pd.DataFrame = field(default_factory=lambda: _empty_below())
    # The closing stock credited up to the last month's floor: one variable per material.
    credits: pd.DataFrame = field(default_factory=lambda: _empty_credits())
    # What the share caps count: "processing" (each stage by where it was done) or "origin".
    share_basis: str = "processing"
    # The origins content can carry; with the origin basis, the content variables' tables.
    content: ContentData = field(default_factory=ContentData)

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.materials), len(self.months)

    @property
    def is_mip(self) -> bool:
        return self.chain.has_decisions

    @cached_property
    def cells(self) -> Grid:
        """The (material, month) grid: stock variables and stock-balance rows, in its order."""
        return Grid(material=len(self.materials), month=len(self.months))

    def cell(self, frame) -> np.ndarray:
        """The (material, month) cell of each row of ``frame`` (its ``m`` and ``t`` codes)."""
        return self.cells.position(material=frame["m"], month=frame["t"])

    @cached_property
    def rows(self) -> Mapping[str, pd.DataFrame]:
        """Each constraint family's index table (``models.families``), computed on first use:
        one row per constraint row with its codes, its coefficients' data and its bounds
        ``lower`` and ``upper``. A copy made by ``dataclasses.replace`` computes its own."""
        return _FamilyRows(self)

    def with_numbers(self, **changes) -> ModelData:
        """A copy with some frames replaced by ones of the same rows and other numbers (a sweep
        point); the index tables of the families that read none of them are kept."""
        point = replace(self, **changes)
        point.rows.keep_from(self.rows, changed=set(changes))
        return point


class _FamilyRows(Mapping):
    """The index tables of a :class:`ModelData`, built once each when first asked for."""

    def __init__(self, data: ModelData):
        self._data, self._tables = data, {}

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self._tables:
            family = families.family(name)
            if family.index is None:
                raise KeyError(f"{name} has no rows (a {family.kind})")
            self._tables[name] = family.index(self._data)
        return self._tables[name]

    def keep_from(self, other: _FamilyRows, changed: set[str]) -> None:
        """Take ``other``'s tables of the families whose index reads nothing in ``changed``."""
        for family in families.FAMILIES:
            if family.name in other._tables and not changed & set(family.reads):
                self._tables[family.name] = other._tables[family.name]

    def __iter__(self) -> Iterator[str]:
        return (f.name for f in families.FAMILIES if f.index is not None)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def compile_scenario(scenario: Scenario) -> ModelData:
    """Resolve a validated scenario into :class:`ModelData`."""
    settings = scenario.settings
    months = settings.horizon
    materials = scenario.materials["material"].tolist()
    labels = _window_labels(months, settings.cap_window)
    windows = list(dict.fromkeys(labels))
    position = {label: w for w, label in enumerate(windows)}
    window_of_month = np.array([position[label] for label in labels])
    chain = compile_chain(scenario, months, materials)
    arrive = _arrivals(scenario, months, materials)
    contracted = contract_arrivals(scenario, chain.contracts, months, materials)
    arrive = (
        pd.concat(
            [arrive.assign(contract_k=-1), contracted[arrive.columns.tolist() + ["contract_k"]]],
            ignore_index=True,
        )
        if len(contracted)
        else arrive.assign(contract_k=-1)
    )
    arrive["arrive_cost_usd_per_t"] = arrive_cost(arrive)
    via = arrive["supplier"].to_numpy(dtype=object).copy()  # a contract's tonnes: its name
    contracted = arrive["contract_k"].to_numpy() >= 0
    via[contracted] = chain.contracts["contract"].to_numpy(dtype=object)[
        arrive["contract_k"].to_numpy()[contracted]
    ]
    arrive["via"] = via
    # Countries by code: the suppliers', then the processing units' (a unit's output is supply).
    countries = list(pd.unique(pd.concat([scenario.suppliers["country"], chain.units["country"]])))
    arrive["c"] = pd.Index(countries).get_indexer(arrive["country"])
    chain.units["c"] = pd.Index(countries).get_indexer(chain.units["country"])
    stock = _stock(scenario, months, materials)
    floors = _floors(scenario, stock)
    content = compile_content(settings.share_basis, arrive, chain, materials, countries, months)
    caps, totals = _caps(
        scenario, arrive, chain, materials, windows, window_of_month, countries, content
    )
    return ModelData(
        name=settings.name,
        cap_window=settings.cap_window,
        months=months,
        materials=materials,
        windows=windows,
        window_of_month=window_of_month,
        initial_stock_t=scenario.materials["initial_stock_t"].to_numpy(dtype=float),
        arrive=arrive,
        stock=stock,
        shortfall=_shortfall(scenario, stock),
        floors=floors,
        totals=totals,
        caps=caps,
        chain=chain,
        countries=countries,
        below=below_floor(floors),
        credits=closing_credits(scenario, arrive, floors, materials, len(months)),
        share_basis=settings.share_basis,
        content=content,
    )


def cover_months(scenario: Scenario) -> np.ndarray:
    """Each material's stockpile cover: its own ``cover_months``, else the policy's."""
    cover = scenario.materials["cover_months"].to_numpy(dtype=float)
    return np.where(np.isnan(cover), scenario.settings.stockpile_cover_months, cover)


def _window_labels(months: list[str], cap_window: str) -> list[str]:
    if cap_window == "month":
        return list(months)
    if cap_window == "year":
        return [month[:4] for month in months]
    return [f"{months[0]}..{months[-1]}"] * len(months)


def _arrivals(scenario: Scenario, months: list[str], materials: list[str]) -> pd.DataFrame:
    """One row per arrive variable: the offer in effect for each (material, supplier, month),
    ordered by material, supplier, month. Integer codes keep this fast on 100k+ rows."""
    offers = scenario.offers
    suppliers = scenario.suppliers
    n_months, n_suppliers = len(months), len(suppliers)
    s = _codes(offers["supplier"], suppliers["supplier"])
    m = _codes(offers["material"], pd.Series(materials))
    dated = offers["month"].notna().to_numpy()
    t_dated = _codes(offers.loc[dated, "month"], pd.Series(months))
    # Dated rows first, then every blank-month row spread over the horizon: np.unique keeps
    # the first occurrence of each key, so a dated row overrides its blank-month row.
    blank = np.flatnonzero(~dated)
    row = np.concatenate([np.flatnonzero(dated), np.repeat(blank, n_months)])
    t = np.concatenate([t_dated, np.tile(np.arange(n_months), len(blank))])
    offered = Grid(material=len(materials), supplier=n_suppliers, month=n_months)
    key = offered.position(material=m[row], supplier=s[row], month=t)
    key, first = np.unique(key, return_index=True)
    row, t = row[first], t[first]
    s, m = s[row], m[row]
    lead = suppliers["lead_time_months"].to_numpy()[s]
    capacity = offers["capacity_t_per_month"].to_numpy(dtype=float)[row]
    usable = (t >= lead) & (capacity > 0)
    row, t, s, m, lead, capacity = (a[usable] for a in (row, t, s, m, lead, capacity))
    price = offers["price_usd_per_t"].to_numpy(dtype=float)[row]
    tariff = suppliers["tariff_pct"].to_numpy(dtype=float)[s]
    freight = suppliers["freight_usd_per_t"].to_numpy(dtype=float)[s]
    month_names = np.asarray(months, dtype=object)
    return pd.DataFrame(
        {
            "offer_row": row,  # the offers.csv row in effect (position in scenario.offers)
            "material": np.asarray(materials, dtype=object)[m],
            "supplier": suppliers["supplier"].to_numpy(dtype=object)[s],
            "country": suppliers["country"].to_numpy(dtype=object)[s],
            "month": month_names[t],
            "order_month": month_names[t - lead],
            "m": m,
            "s": s,
            "t": t,
            "price_usd_per_t": price,
            "tariff_pct": tariff,
            "freight_usd_per_t": freight,
            "landed_usd_per_t": landed_cost(price, tariff, freight),
            "capacity_t_per_month": capacity,
            "lead_time_months": lead,
        }
    )


def _codes(values: pd.Series, categories: pd.Series) -> np.ndarray:
    """Positions of ``values`` in ``categories`` (all values are known: validated input)."""
    return pd.Index(categories).get_indexer(values).astype(np.int64)


def cover_target(cover: np.ndarray, demand: np.ndarray, floor_t: np.ndarray) -> np.ndarray:
    """Each month's stockpile target: cover months of that month's demand, or the fixed floor
    in tonnes where one is set, whichever is larger."""
    return np.maximum(cover * demand, np.nan_to_num(floor_t, nan=0.0))


def _stock(scenario: Scenario, months: list[str], materials: list[str]) -> pd.DataFrame:
    """One row per (material, month), material-major: demand, holding cost, storage capacity,
    and the stockpile target (cover x demand, or the fixed floor, whichever is larger)."""
    n_months = len(months)
    grid = pd.DataFrame(
        {
            "material": np.repeat(materials, n_months),
            "month": np.tile(months, len(materials)),
            "m": np.repeat(np.arange(len(materials)), n_months),
            "t": np.tile(np.arange(n_months), len(materials)),
        }
    )
    demand = scenario.demand.groupby(["material", "month"], as_index=False)["demand_t"].sum()
    grid = grid.merge(demand, on=["material", "month"], how="left").fillna({"demand_t": 0.0})
    m = grid["m"].to_numpy()
    per_material = scenario.materials
    grid["holding_cost_usd_per_t_month"] = per_material["holding_cost_usd_per_t_month"].to_numpy(
        float
    )[m]
    grid["storage_capacity_t"] = per_material["storage_capacity_t"].to_numpy(float)[m]
    grid["cover_months"] = cover_months(scenario)[m]
    grid["cover_target_t"] = cover_target(
        grid["cover_months"].to_numpy(),
        grid["demand_t"].to_numpy(),
        per_material["floor_t"].to_numpy(float)[m],
    )
    return grid


def _shortfall(scenario: Scenario, stock: pd.DataFrame) -> pd.DataFrame:
    """Shortfall variables exist only for materials with a penalty, and only for demand: at
    most the month's demand can be left unmet (a shortfall cannot fill a floor or a process)."""
    penalty = scenario.materials["shortfall_penalty_usd_per_t"].to_numpy(float)
    rows = stock[["material", "month", "m", "t", "demand_t"]].copy()
    rows["shortfall_penalty_usd_per_t"] = penalty[rows["m"].to_numpy()]
    return rows[rows["shortfall_penalty_usd_per_t"].notna()].reset_index(drop=True)


def _floors(scenario: Scenario, stock: pd.DataFrame) -> pd.DataFrame:
    """Floor rows from ``stockpile_from`` on, where the target is positive, with the penalty of
    a tonne under the floor (NaN: the floor is hard)."""
    applies = (stock["month"] >= scenario.settings.floor_from) & (stock["cover_target_t"] > 0)
    rows = stock.loc[applies, ["material", "month", "m", "t", "cover_months", "cover_target_t"]]
    rows = rows.rename(columns={"cover_target_t": "floor_t"}).reset_index(drop=True)
    penalty = scenario.materials["floor_penalty_usd_per_t_month"].to_numpy(float)
    rows["floor_penalty_usd_per_t_month"] = penalty[rows["m"].to_numpy()]
    return rows


def _empty_below() -> pd.DataFrame:
    return pd.DataFrame(
        {c: [] for c in ("material", "month", "m", "t", "floor_row", "floor_t", "penalty")}
    )


def below_floor(floors: pd.DataFrame) -> pd.DataFrame:
    """One variable per floor row with a penalty: tonnes under the floor, at most the floor."""
    soft = np.flatnonzero(floors["floor_penalty_usd_per_t_month"].notna().to_numpy())
    rows = floors.iloc[soft][["material", "month", "m", "t", "floor_t"]].reset_index(drop=True)
    rows.insert(4, "floor_row", soft)
    rows["penalty"] = floors["floor_penalty_usd_per_t_month"].to_numpy(float)[soft]
    return rows


def _empty_credits() -> pd.DataFrame:
    return pd.DataFrame({c: [] for c in ("material", "m", "t", "limit_t", "value_usd_per_t")})


def closing_credits(
    scenario: Scenario,
    arrive: pd.DataFrame,
    floors: pd.DataFrame,
    materials: list[str],
    n_months: int,
) -> pd.DataFrame:
    """With ``policy.closing_stock_credit = "floor"``: per material with a floor in the last
    month, up to that floor's tonnes of closing stock are credited at the material's closing
    value (``closing_value_usd_per_t``, else the lowest landed price of a spot offer in the
    horizon, else 0)."""
    if scenario.settings.closing_stock_credit != "floor":
        return _empty_credits()
    last = floors[floors["t"].to_numpy() == n_months - 1]
    spot = arrive[arrive["contract_k"].to_numpy() < 0]
    lowest = np.full(len(materials), np.inf)
    np.minimum.at(lowest, spot["m"].to_numpy(), spot["landed_usd_per_t"].to_numpy(float))
    value = scenario.materials["closing_value_usd_per_t"].to_numpy(float)
    value = np.where(np.isnan(value), np.where(np.isfinite(lowest), lowest, 0.0), value)
    m = last["m"].to_numpy()
    return pd.DataFrame(
        {
            "material": last["material"].to_numpy(dtype=object),
            "m": m,
            "t": last["t"].to_numpy(),
            "limit_t": last["floor_t"].to_numpy(float),
            "value_usd_per_t": value[m],
        }
    )


def _caps(
    scenario: Scenario,
    arrive: pd.DataFrame,
    chain: ChainData,
    materials: list[str],
    windows: list[str],
    window_of_month: np.ndarray,
    countries: list[str],
    content: ContentData,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cap rows (material, window, country) below 100% where the country can supply in the
    window, and the window-total variables they refer to."""
    caps = scenario.country_caps.assign(share_row=np.arange(len(scenario.country_caps)))
    general = caps[caps["material"].isna()].drop(columns="material")
    spread = general.merge(pd.DataFrame({"material": materials}), how="cross")
    resolved = pd.concat([caps[caps["material"].notna()], spread], ignore_index=True)
    resolved = resolved.drop_duplicates(["country", "material"], keep="first")
    resolved = resolved[resolved["max_share"] < 1]
    cells = Grid(material=len(materials), window=len(windows), country=len(countries))
    candidates = resolved.merge(pd.DataFrame({"w": np.arange(len(windows))}), how="cross")
    candidates["m"] = _codes(candidates["material"], pd.Series(materials))
    candidates["c"] = pd.Index(countries).get_indexer(candidates["country"])
    candidates = candidates[candidates["c"] >= 0]  # a country nothing comes from: no row
    key = cells.position(material=candidates["m"], window=candidates["w"], country=candidates["c"])
    bought = cells.position(
        material=arrive["m"], window=window_of_month[arrive["t"].to_numpy()], country=arrive["c"]
    )
    made = (
        _content_cells(content, window_of_month, cells, len(countries))
        if content.tracks
        else _produced_cells(chain, window_of_month, cells)
    )
    rows = candidates[np.isin(key, np.concatenate([bought, made]))]
    rows = rows.sort_values(["m", "w", "country"], kind="stable").reset_index(drop=True)
    rows["window"] = np.asarray(windows, dtype=object)[rows["w"].to_numpy()]
    totals = rows[["material", "window", "m", "w"]].drop_duplicates().reset_index(drop=True)
    windowed = Grid(material=len(materials), window=len(windows))
    rows["total"] = windowed.index(material=totals["m"], window=totals["w"]).find(
        material=rows["m"], window=rows["w"]
    )
    # share_row: the country_caps.csv row whose max_share applies (position in the table)
    columns = ["material", "country", "window", "m", "w", "c", "total", "max_share", "share_row"]
    return rows[columns], totals


def _content_cells(
    content: ContentData, window_of_month: np.ndarray, cells: Grid, countries: int
) -> np.ndarray:
    """With the origin basis: (material, window, country) cells where a unit can make the
    material with content from the country."""
    made = content.made[content.made["o"].to_numpy() < countries]
    return cells.position(
        material=made["m"], window=window_of_month[made["t"].to_numpy(dtype=int)], country=made["o"]
    )


def _produced_cells(chain: ChainData, window_of_month: np.ndarray, cells: Grid) -> np.ndarray:
    """(material, window, country) cells where a domestic unit can produce the material: its
    output counts as supply of its country in the share caps."""
    outputs = chain.recipe[chain.recipe["coefficient"] > 0]
    if outputs.empty or chain.runs.empty:
        return np.zeros(0, dtype=np.int64)
    lines = chain.runs[["u", "t"]].merge(outputs[["u", "m"]], on="u")
    return cells.position(
        material=lines["m"],
        window=window_of_month[lines["t"].to_numpy()],
        country=chain.units["c"].to_numpy()[lines["u"].to_numpy()],
    )
