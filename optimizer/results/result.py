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
        """Per material supplied, the country with the largest share of its supply (arrivals
        and domestic output) over the horizon (``optimizer.results.metrics``)."""
        if self.mix is None or self.mix.empty:
            return {}
        shares = metrics.country_shares(metrics.on_basis(self.mix))
        top = metrics.largest_shares(shares).dropna(subset=["share"])
        order = [m for m in self.scenario.materials["material"] if m in top.index]
        return {
            material: {"country": top.at[material, "country"], "share": round(share, 6)}
            for material, share in zip(order, top["share"].reindex(order).tolist(), strict=True)
        }

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
        }

    def _policy_record(self) -> dict:
        """The caps and floors the plan was solved with, as the inputs gave them (a copied
        scenario's description may not say): the settings, each country's caps by material
        and each material's cover and fixed floor."""
        settings, scenario = self.scenario.settings, self.scenario
        caps: dict[str, dict[str, float]] = {}
        for row in scenario.country_caps.itertuples(index=False):
            material = row.material if isinstance(row.material, str) else EVERY_MATERIAL
            caps.setdefault(row.country, {})[material] = float(row.max_share)
        materials = scenario.materials.set_index("material")
        cover = materials["cover_months"].astype(float).fillna(settings.stockpile_cover_months)
        floor = materials["floor_t"].astype(float).dropna()
        return {
            "cap_window": settings.cap_window,
            "share_basis": settings.share_basis,
            "country_caps": caps,
            "stockpile_cover_months": settings.stockpile_cover_months,
            "cover_months": {material: float(months) for material, months in cover.items()},
            "floor_t": {material: float(tonnes) for material, tonnes in floor.items()},
            "stockpile_from": settings.floor_from,
            "budget_usd_per_year": settings.budget_usd_per_year,
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


TIMING_KEYS = ("solve_seconds", "timings_s", "verification")
"""Summary keys that vary between identical runs (wall-clock times)."""
