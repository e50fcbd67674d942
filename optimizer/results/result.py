"""The typed outcome of a solve: a status, the plan's tables and what was checked."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from models.cbc_check import Verification
from models.data import compile_scenario
from models.risk import RiskTree
from models.solution import ModelSize, Status
from optimizer.inputs.scenario import Scenario
from optimizer.results import metrics, scenario_rows, verdict


@dataclass
class Result:
    """Everything a solve produced. Tables are ``None`` unless a plan was found."""

    scenario: Scenario
    status: Status
    termination: str
    engine: str
    solver: str
    algorithm: str
    model_size: ModelSize
    objective_usd: float | None = None
    costs: dict[str, float] = field(default_factory=dict)
    plan: pd.DataFrame | None = None
    stock: pd.DataFrame | None = None
    mix: pd.DataFrame | None = None
    constraints: pd.DataFrame | None = None
    policy: pd.DataFrame | None = None  # see policy_costs()
    processing: pd.DataFrame | None = None  # only with processing units
    decisions: pd.DataFrame | None = None  # only with options or contracts
    content: pd.DataFrame | None = None  # only with processing units: origin of content
    content_feed: pd.DataFrame | None = None  # the units' inputs by origin
    # Against disruption scenarios (optimizer.results.risk_results): one row per scenario, every
    # scenario's whole plan, stock and processing (a ``scenario`` column; the files hold them
    # compact, see scenario_rows), the risk figures and the reference path's own cost.
    risk: pd.DataFrame | None = None
    risk_plan: pd.DataFrame | None = None
    risk_stock: pd.DataFrame | None = None
    risk_processing: pd.DataFrame | None = None
    risk_tree: RiskTree | None = None  # the scenarios' paths: which events are active when
    risk_summary: dict | None = None
    risk_reference_cost: float | None = None
    stockpile_value: pd.DataFrame | None = None  # with --stockpile-value (stockpile_value.py)
    risk_cover: pd.DataFrame | None = None
    mip_gap: float | None = None
    best_bound: float | None = None
    duals_from_fixed_lp: bool = False
    violations: list[str] = field(default_factory=list)
    diagnosis: list[str] = field(default_factory=list)
    verification: Verification | None = None
    timings: dict[str, float] = field(default_factory=dict)
    probe_note: str | None = None  # why no price was re-solved, when the default chose none

    @property
    def has_plan(self) -> bool:
        return self.plan is not None

    @property
    def exit_code(self) -> int:
        """0 optimal and checked; 3 infeasible; 4 stopped by a limit; 1 anything else."""
        if self.violations or (self.verification is not None and not self.verification.agrees):
            return 1
        return self.status.exit_code

    def tables(self) -> dict[str, pd.DataFrame]:
        """The result tables by file stem (empty when there is no plan)."""
        if not self.has_plan:
            return {}
        tables = {
            "plan": self.plan,
            "stock": self.stock,
            "mix": self.mix,
            "constraints": self.constraints,
            "policy_costs": self.policy,
            "processing": self.processing,
            "decisions": self.decisions,
            "content": self.content,
            "content_feed": self.content_feed,
            "risk": self.risk,
            "stockpile_value": self.stockpile_value,
            "risk_cover": self.risk_cover,
        }
        if self.risk is not None:  # every scenario's rows, the shared ones once under base
            onsets = scenario_rows.onsets_of(self.risk)
            for stem, full in (("plan", self.risk_plan), ("stock", self.risk_stock),
                               ("processing", self.risk_processing)):  # fmt: skip
                if full is not None:
                    tables[stem] = scenario_rows.compact(full, onsets)
        return {stem: table for stem, table in tables.items() if table is not None}

    def policy_costs(self) -> pd.DataFrame | None:
        """The price of each policy: per cap, the cost of one percentage point less; per
        stockpile floor, of one more month of cover; per offer, the price range keeping the
        plan's basis optimal (``optimizer.results.policy_costs``)."""
        return self.policy

    def shortfall_t(self) -> dict[str, float]:
        if self.stock is None:
            return {}
        totals = self.stock.groupby("material", sort=False)["shortfall_t"].sum()
        return {m: round(float(v), 6) for m, v in totals.items() if v > 0}

    def months_below_cover(self) -> dict[str, int]:
        """Months whose stock is below the cover target while it is being built up, before the
        floor applies (months under an applying floor are in the verdict)."""
        if self.stock is None:
            return {}
        counts = metrics.months_below_target(self.stock[~self.stock["floor_applies"]])
        return {m: int(v) for m, v in counts.items() if v > 0}

    def largest_shares(self) -> dict[str, dict[str, float | str]]:
        """Per material supplied, the country with the largest share of its supply over the
        horizon, on the basis the caps count (``policy.share_basis``: arrivals and domestic
        output, or the content by origin; ``optimizer.results.metrics``)."""
        if self.mix is None or self.mix.empty:
            return {}
        basis = self.scenario.settings.share_basis
        shares = metrics.country_shares(metrics.on_basis(self.mix, basis))
        top = metrics.largest_shares(shares).dropna(subset=["share"])
        order = [m for m in self.scenario.materials["material"] if m in top.index]
        return {
            material: {"country": top.at[material, "country"], "share": round(share, 6)}
            for material, share in zip(order, top["share"].reindex(order).tolist(), strict=True)
        }

    def concentration(self) -> dict:
        """Per material supplied, on the share basis the caps count (``policy.share_basis``):
        the watched country's share (``policy.watched_country``, China by default), the largest
        share of a foreign country (any but ``policy.home_country``) and the HHI
        (:func:`optimizer.results.metrics.concentration`)."""
        if self.mix is None or self.mix.empty:
            return {}
        settings = self.scenario.settings
        return concentration_record(
            self.mix,
            settings.share_basis,
            settings.watched_country,
            settings.home_country,
            list(self.scenario.materials["material"]),
        )

    def binding_caps(self) -> pd.DataFrame:
        if self.constraints is None:
            return pd.DataFrame()
        table = self.constraints
        return table[(table["family"] == "country-share-cap") & table["binding"]]

    def verdict(self) -> dict:
        """Whether the plan meets every demand and holds every floor, in words; where not,
        which material, months and tonnes, and what stops it (``optimizer.results.verdict``)."""
        if not self.has_plan:
            return verdict.without_plan(self.status.value, self.diagnosis)
        # Lead times and which units make what come from the compiled scenario, compiled only
        # to explain a plan that falls short.
        data = compile_scenario(self.scenario) if verdict.falls_short(self.stock) else None
        return verdict.judge(self.stock, self.constraints, decisions=self.decisions, data=data)

    def _mip_summary(self) -> dict | None:
        """The MIP's gap, bound and decisions; None for an LP."""
        if self.decisions is None and self.mip_gap is None:
            return None
        chosen = self.decisions[self.decisions["chosen"]] if self.decisions is not None else None
        return {
            "gap": None if self.mip_gap is None else round(self.mip_gap, 9),
            "best_bound_usd": None if self.best_bound is None else round(self.best_bound, 2),
            "duals": "of the LP with every yes/no decision fixed at its chosen value"
            if self.duals_from_fixed_lp
            else None,
            "built": []
            if chosen is None
            else chosen.loc[chosen["kind"] == "expansion", "name"].tolist(),
            "signed": []
            if chosen is None
            else chosen.loc[chosen["kind"] == "contract", "name"].tolist(),
            **self._not_chosen(),
        }

    def _not_chosen(self) -> dict[str, list[str]]:
        """The options not built and the contracts not signed (the summary sheet lists every
        decision either way)."""
        decisions = self.decisions
        if decisions is None:
            return {"not_built": [], "not_signed": []}
        passed = decisions[~decisions["chosen"].astype(bool)]
        return {
            "not_built": passed.loc[passed["kind"] == "expansion", "name"].tolist(),
            "not_signed": passed.loc[passed["kind"] == "contract", "name"].tolist(),
        }

    def _policy_record(self) -> dict:
        """The policy the plan was solved with, as the inputs gave them (a copied scenario's
        description may not say): the settings, each country's caps by material, each
        material's cover, fixed floor and floor penalty (where it has one), the closing stock
        credit with the closing values given, and the risk settings of a plan made against
        disruption scenarios (``None`` without)."""
        settings, scenario = self.scenario.settings, self.scenario
        caps: dict[str, dict[str, float]] = {}
        for row in scenario.country_caps.itertuples(index=False):
            material = row.material if isinstance(row.material, str) else EVERY_MATERIAL
            caps.setdefault(row.country, {})[material] = float(row.max_share)
        materials = scenario.materials.set_index("material")
        cover = materials["cover_months"].astype(float).fillna(settings.stockpile_cover_months)

        def given(column: str) -> dict[str, float]:  # the materials with a value in column
            values = materials[column].astype(float).dropna()
            return {material: float(value) for material, value in values.items()}

        return {
            "cap_window": settings.cap_window,
            "share_basis": settings.share_basis,
            "country_caps": caps,
            "stockpile_cover_months": settings.stockpile_cover_months,
            "cover_months": {material: float(months) for material, months in cover.items()},
            "floor_t": given("floor_t"),
            "stockpile_from": settings.floor_from,
            "budget_usd_per_year": settings.budget_usd_per_year,
            "floor_penalty_usd_per_t_month": given("floor_penalty_usd_per_t_month"),
            "closing_stock_credit": settings.closing_stock_credit,
            "closing_value_usd_per_t": given("closing_value_usd_per_t"),
            "risk": self._risk_settings(),
        }

    def _risk_settings(self) -> dict | None:
        """The ``[risk]`` settings and the number of scenarios planned against (identical
        sampled paths merged, ``base`` included); ``None`` for a plan without risk."""
        if not self.scenario.has_risk:
            return None
        settings = self.scenario.settings
        if self.risk_tree is not None:
            scenarios = self.risk_tree.size
        else:  # no plan: the count the inputs give, where they give one
            scenarios = (self.risk_summary or {}).get("scenarios")
        return {
            "risk_weight": settings.risk_weight,
            "cvar_alpha": settings.cvar_alpha,
            "release_floor": settings.release_floor == "true",
            "refill_months": settings.refill_months,
            "samples": settings.samples,
            "seed": settings.seed,
            "scenarios": scenarios,
        }

    def summary(self) -> dict:
        """A JSON-ready digest: headline figures, checks and diagnosis."""
        settings = self.scenario.settings
        horizon = settings.horizon
        return {
            "scenario": settings.name,
            "description": settings.description,
            "status": self.status.value,
            "termination": self.termination,
            "has_plan": self.has_plan,
            "verdict": self.verdict(),
            "objective_usd": None if self.objective_usd is None else round(self.objective_usd, 2),
            "costs_usd": self.costs,
            "engine": self.engine,
            "solver": self.solver,
            "algorithm": self.algorithm,
            "model_size": self.model_size.as_dict(),
            "horizon": {"start": horizon[0], "end": horizon[-1], "months": len(horizon)},
            "policy": self._policy_record(),
            "shortfall_t": self.shortfall_t(),
            "months_below_cover": self.months_below_cover(),
            "largest_country_share": self.largest_shares(),
            "concentration": self.concentration(),
            "binding_caps": len(self.binding_caps()),
            **({"prices": self.probe_note} if self.probe_note else {}),
            "check": {"passed": not self.violations, "violations": self.violations},
            "verification": None if self.verification is None else self.verification.as_dict(),
            "diagnosis": self.diagnosis,
            "mip": self._mip_summary(),
            "risk": self.risk_summary,
            "solve_seconds": round(self.timings.get("solve_s", 0.0), 3),
            "timings_s": {key: round(value, 3) for key, value in self.timings.items()},
        }


EVERY_MATERIAL = "every material"  # a cap row with a blank material, in summary.json


def concentration_record(
    mix: pd.DataFrame, basis: str, watched: str, home: str | None, order: list[str]
) -> dict:
    """summary.json's ``concentration``: the basis, the watched and home countries, and per
    material of ``order`` with supply on ``basis`` (``mix.csv``'s rows) the watched country's
    share, the largest foreign share and its country (None where only the home country
    supplies), and the HHI; shares rounded to 6 decimals, the HHI to 1. Empty with no supply."""
    shares = metrics.country_shares(metrics.on_basis(mix, basis))
    table = metrics.concentration(shares, watched, home).dropna(subset=["hhi"])
    materials: dict[str, dict[str, float | str | None]] = {}
    for material in (m for m in order if m in table.index):
        row = table.loc[material]
        foreign = row["foreign_share"]
        materials[material] = {
            "watched_share": round(float(row["watched_share"]), 6),
            "foreign_country": None if pd.isna(foreign) else str(row["foreign_country"]),
            "foreign_share": None if pd.isna(foreign) else round(float(foreign), 6),
            "hhi": round(float(row["hhi"]), 1),
        }
    if not materials:
        return {}
    return {
        "basis": basis,
        "watched_country": watched,
        "home_country": home,
        "materials": materials,
    }


TIMING_KEYS = ("solve_seconds", "timings_s", "verification")
"""Summary keys that vary between identical runs (wall-clock times)."""
