"""Plans side by side: headline figures with differences, then per-material detail.

A plan is a solved :class:`Result`, a result folder (``summary.json`` and the tables, CSV or
Parquet) or a
scenario (a folder or workbook, solved first). Every figure is computed from the result tables
alone, so plans from different runs and machines compare alike.
"""

from __future__ import annotations

import json
import os
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from optimizer.common.table_files import CSV, read_table, write_table
from optimizer.inputs.scenario import Scenario
from optimizer.results import metrics, scenario_rows, verdict
from optimizer.results.compare_inputs import (
    INPUT_COLUMNS,
    empty_inputs,
    input_differences,
    recorded_scenario,
)
from optimizer.results.result import Result
from optimizer.results.tables import COST_COMPONENTS, COST_LABELS

TABLE_STEMS = ("plan", "stock", "mix", "constraints", "policy_costs", "processing", "decisions",
               "content", "content_feed", "risk", "stockpile_value",
               "risk_cover")  # fmt: skip
KEY_COLUMNS = ["section", "metric", "material", "unit"]
# A CSV cell starting with one of these is a formula to a spreadsheet (OWASP's CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
UNNAMED_PLAN = "plan"


def csv_safe(text: str) -> str:
    """``text`` as a CSV cell no spreadsheet runs: one starting like a formula gets a leading
    ``'`` (OWASP's advice; kept rather than refused, so a plan in a folder named ``-old`` can
    still be compared); a number such as ``-5`` stays as it is."""
    if not text.startswith(FORMULA_START):
        return text
    try:
        float(text)
    except ValueError:
        return "'" + text
    return text


def plan_name(text: str) -> str:
    """A plan's name, safe as one path component (``plans/<name>/``), a column heading and a
    CSV cell: separators and control characters become ``_``, a name that would be a formula
    gets a leading ``'``, and an empty name, ``.`` or ``..`` becomes ``plan``."""
    name = "".join("_" if c in "/\\" or unicodedata.category(c) == "Cc" else c for c in str(text))
    return UNNAMED_PLAN if name in ("", ".", "..") else csv_safe(name)


def source_name(path: str | Path) -> str:
    """The name of the plan in a folder (its folder's name) or a workbook (its stem): never
    read from a file's content, which may say anything."""
    path = Path(os.path.abspath(path))  # "." and ".." name the folder they stand for
    return plan_name(path.stem if path.suffix.lower() == ".xlsx" and path.is_file() else path.name)


@dataclass(frozen=True)
class PlanView:
    """What a comparison needs of one plan: its summary and its tables, and the scenario it was
    solved from, or why that is unknown (:mod:`optimizer.results.compare_inputs`)."""

    name: str
    summary: dict
    tables: dict[str, pd.DataFrame]
    scenario: Scenario | None = field(default=None, compare=False, repr=False)
    no_scenario_reason: str = "its inputs were not loaded"

    @property
    def materials(self) -> list[str]:
        stock = self.tables.get("stock")
        return [] if stock is None else list(dict.fromkeys(stock["material"]))

    @property
    def verdict(self) -> dict:
        """Whether the plan meets demand and holds its floors, in words: from its summary, or
        judged from its tables for a folder written before summaries carried a verdict."""
        found = self.summary.get("verdict")
        if isinstance(found, dict) and "kind" in found:
            return found
        if "stock" not in self.tables:
            return verdict.without_plan(str(self.summary.get("status", "unknown")))
        return verdict.judge(
            self.tables["stock"],
            self.tables.get("constraints"),
            decisions=self.tables.get("decisions"),
        )

    def _renamed(self, name: str) -> PlanView:
        return replace(self, name=name)

    @classmethod
    def from_result(cls, result: Result, name: str | None = None) -> PlanView:
        """Named ``name`` (default: the scenario's name), made safe by :func:`plan_name`."""
        name = result.scenario.name if name is None else name
        summary = result.summary()
        return cls(plan_name(name), summary, _by_path(summary, result.tables()), result.scenario)

    @classmethod
    def from_folder(cls, folder: str | Path) -> PlanView:
        """A result folder's plan, named by the folder (its summary's scenario name may be
        anything: ``../../x`` named a path, ``=...`` a formula). Text cells that would read as
        formulas get a leading ``'`` (see :func:`csv_safe`): a hand-edited folder's names reach
        compare.csv and the plans' CSV files."""
        folder = Path(folder)
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        found = {stem: read_table(folder, stem) for stem in TABLE_STEMS}
        tables = {stem: _safe_text(table) for stem, table in found.items() if table is not None}
        return cls(source_name(folder), summary, _by_path(summary, tables))


def _by_path(summary: dict, tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """A risk result's tables with ``plan``, ``stock`` and ``processing`` the reference path's
    (``scenario_rows.by_path``)."""
    risk = summary.get("risk") if isinstance(summary, dict) else None
    reference = risk.get("reference_path") if isinstance(risk, dict) else None
    return scenario_rows.by_path(tables, str(reference)) if reference else tables


def _safe_text(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with :func:`csv_safe` applied to every text cell."""
    for column in table.columns:
        values = table[column]
        if not (pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)):
            table[column] = values.map(lambda v: csv_safe(v) if isinstance(v, str) else v)
    return table


def is_result_folder(path: str | Path) -> bool:
    return (Path(path) / "summary.json").is_file()


def load_plan(source: Result | PlanView | str | Path, **solve_options) -> PlanView:
    """A plan from a result, a result folder, or a scenario folder/workbook (solved here and
    named by its folder or workbook, as a result folder is). A result folder's scenario is
    loaded if its inputs are unchanged (:func:`.compare_inputs.recorded_scenario`)."""
    if isinstance(source, PlanView):
        return source
    if isinstance(source, Result):
        return PlanView.from_result(source)
    if is_result_folder(source):
        plan = PlanView.from_folder(source)
        scenario, reason = recorded_scenario(plan.summary)
        return replace(plan, scenario=scenario, no_scenario_reason=reason)
    from optimizer.results.solving import solve  # a scenario: solve it first

    return PlanView.from_result(solve(source, **solve_options), name=source_name(source))


@dataclass(frozen=True)
class Comparison:
    """``headline``: one row per figure (section, metric, material, unit), one column per plan,
    then one ``Δ <plan>`` column per plan other than the baseline. ``detail``: per material and
    country, the tonnes and share of each plan. ``inputs``: each plan's input differences from
    the baseline (:func:`~optimizer.results.compare_inputs.input_differences`)."""

    plans: list[str]
    baseline: str
    headline: pd.DataFrame
    detail: pd.DataFrame
    verdicts: dict[str, dict] = field(default_factory=dict)  # by plan: PlanView.verdict
    inputs: pd.DataFrame = field(default_factory=empty_inputs)

    @property
    def differences(self) -> list[str]:
        return [f"Δ {name}" for name in self.plans if name != self.baseline]


def compare(
    sources: list[Result | PlanView | str | Path], baseline: str | None = None
) -> Comparison:
    """Compare two or more plans; differences are taken against ``baseline`` (a plan name;
    default: the first plan)."""
    plans = _unique_names([load_plan(source) for source in sources])
    if len(plans) < 2:
        raise ValueError("compare needs at least two plans")
    names = [plan.name for plan in plans]
    baseline = baseline or names[0]
    if baseline not in names:
        raise ValueError(f"no plan named '{baseline}' to compare against: {', '.join(names)}")
    rows = _row_keys(plans)
    figures = {plan.name: _figures(plan) for plan in plans}
    headline = pd.DataFrame(
        {
            plan.name: [figures[plan.name].get(key, _absent(key, plan)) for key in rows]
            for plan in plans
        }
    )
    headline = pd.concat([pd.DataFrame(rows, columns=KEY_COLUMNS), headline], axis=1)
    for name in names:
        if name != baseline:
            headline[f"Δ {name}"] = np.round(headline[name] - headline[baseline], 6)
    verdicts = {plan.name: plan.verdict for plan in plans}
    inputs = _safe_text(input_differences(plans, baseline))  # values from files: may say "=..."
    return Comparison(names, baseline, headline, _detail(plans), verdicts, inputs)


def _unique_names(plans: list[PlanView]) -> list[PlanView]:
    """Safe names (:func:`plan_name`; a PlanView may be built with any name); plans of the same
    name (another engine, another run) get #2, #3 ... suffixes. No name, nor its ``Δ`` column,
    may take a column already taken (a key column, another plan or its ``Δ`` column)."""
    taken = set(KEY_COLUMNS)
    unique = []
    for plan in plans:
        base = name = plan_name(plan.name)
        number = 1
        while name in taken or f"Δ {name}" in taken:
            number += 1
            name = f"{base}#{number}"
        taken |= {name, f"Δ {name}"}
        unique.append(plan._renamed(name))
    return unique


# Named as `sourcing solve` names them (COST_LABELS): "import duty", not "tariff".
COST_ROWS = [("cost", COST_LABELS[key], "", "USD") for key in COST_COMPONENTS]
COST_ROWS.append(("cost", "total", "", "USD"))
# Against disruption scenarios (summary.json "risk"): the risk figures beside the costs, which
# are then expected values.
RISK_ROWS = (
    ("risk", "risk objective", "", "USD"),  # expected cost + risk_weight x CVaR
    ("risk", "expected cost", "", "USD"),
    ("risk", "CVaR", "", "USD"),
    ("risk", "worst case", "", "USD"),
    ("risk", "probability of shortfall", "", "share"),
)
RISK_KEYS = ("objective", "expected_cost_usd", "cvar_usd", "worst_case_usd",
             "probability_of_shortfall")  # fmt: skip
MATERIAL_METRICS = [
    ("largest country share", "share"),  # these three on the caps' basis (share_basis)
    ("largest foreign share", "share"),  # every country but policy.home_country
    ("HHI", "0-10000"),
    ("lowest cover under the floor", "months"),
    ("first month at the cover target", "month no."),
    ("shortfall", "t"),
]


def _row_keys(plans: list[PlanView]) -> list[tuple[str, str, str, str]]:
    """Costs, then per material (in every plan's order): each country's share (every country
    any plan buys from), then the material's other figures."""
    rows = list(COST_ROWS)
    if any(plan.summary.get("risk") for plan in plans):
        rows += list(RISK_ROWS)
    rows.append(("policy", "binding caps", "", "count"))
    rows += list(dict.fromkeys(key for plan in plans for key in _decision_figures(plan)))
    materials = list(dict.fromkeys(m for plan in plans for m in plan.materials))
    for material in materials:
        countries = dict.fromkeys(
            c
            for plan in plans
            if "mix" in plan.tables  # an infeasible plan has no tables
            for c in country_shares(plan.tables["mix"], material).index
        )
        rows += [("material", f"share {c}", material, "share") for c in countries]
        by_origin = dict.fromkeys(
            c
            for plan in plans
            if "mix" in plan.tables and content_differs(plan.tables["mix"], material)
            for c in country_shares(plan.tables["mix"], material, "origin").index
        )
        rows += [("material", f"content share {c}", material, "share") for c in by_origin]
        rows += [("material", metric, material, unit) for metric, unit in MATERIAL_METRICS]
    return rows


def _absent(key: tuple[str, str, str, str], plan: PlanView) -> float:
    """A figure a plan does not have: no tonnes from that country is a share of 0; an option
    or contract a plan does not have is not chosen; a plan not found has no figures."""
    if "plan" not in plan.tables:
        return np.nan
    shares = key[1].startswith(("share ", "content share "))
    return 0.0 if shares or key[0] == "decision" else np.nan


def _figures(plan: PlanView) -> dict[tuple[str, str, str, str], float]:
    costs = plan.summary.get("costs_usd", {})
    figures = {
        row: float(costs.get(key, np.nan))
        for row, key in zip(COST_ROWS, (*COST_COMPONENTS, "total_usd"), strict=True)
    }
    constraints = plan.tables.get("constraints")
    if constraints is not None:
        caps = constraints["family"] == "country-share-cap"
        binding = float((caps & constraints["binding"].astype(bool)).sum())
        figures[("policy", "binding caps", "", "count")] = binding
    risk = plan.summary.get("risk")
    if risk:
        values = {**risk, "objective": plan.summary.get("objective_usd")}
        for row, key in zip(RISK_ROWS, RISK_KEYS, strict=True):
            figures[row] = float(values[key]) if values.get(key) is not None else np.nan
    figures.update(_decision_figures(plan))
    if plan.materials:
        figures.update(_material_figures(plan))
    return figures


def _decision_figures(plan: PlanView) -> dict[tuple[str, str, str, str], float]:
    """1 where the plan builds an option or signs a contract, 0 where it does not."""
    decisions = plan.tables.get("decisions")
    if decisions is None or decisions.empty:
        return {}
    verbs = {"expansion": "build", "contract": "sign"}
    chosen = decisions["chosen"].astype(str).str.lower().isin(["true", "1"])
    return {
        ("decision", f"{verbs[kind]} {name}", "", "yes/no"): float(flag)
        for kind, name, flag in zip(decisions["kind"], decisions["name"], chosen, strict=True)
    }


def _material_figures(plan: PlanView) -> dict[tuple[str, str, str, str], float]:
    """Per material: each country's share, by stage and by origin of content; on the share
    basis the caps count, the largest share, the largest foreign share and the HHI; the lowest
    cover, the first month at the cover target and the shortfall
    (``optimizer.results.metrics``)."""
    shares = metrics.country_shares(metrics.on_basis(plan.tables["mix"]))
    basis, home = _concentration_basis(plan.summary)
    capped = metrics.country_shares(metrics.on_basis(plan.tables["mix"], basis))
    largest = metrics.largest_shares(capped)["share"]
    concentration = metrics.concentration(capped, None, home)
    stock = plan.tables["stock"]
    cover = metrics.lowest_cover(stock)
    first = metrics.first_month_at_target(stock)
    figures = {
        ("material", f"share {country}", material, "share"): float(share)
        for material, country, share in zip(
            shares["material"], shares["country"], shares["share"], strict=True
        )
    }
    content = metrics.country_shares(metrics.on_basis(plan.tables["mix"], "origin"))
    figures.update(
        {
            ("material", f"content share {country}", material, "share"): float(share)
            for material, country, share in zip(
                content["material"], content["country"], content["share"], strict=True
            )
        }
    )
    for material in plan.materials:
        values = [
            largest.get(material, np.nan),  # nothing supplied: no share
            concentration["foreign_share"].get(material, np.nan),  # only home: none
            concentration["hhi"].get(material, np.nan),
            cover.get(material, np.nan),
            first.get(material, np.nan),
            stock.loc[stock["material"] == material, "shortfall_t"].sum(),
        ]
        for (metric, unit), value in zip(MATERIAL_METRICS, values, strict=True):
            figures[("material", metric, material, unit)] = float(value)
    return figures


def _concentration_basis(summary: dict) -> tuple[str, str | None]:
    """The share basis the plan's caps count and its home country, as its summary records them
    (a summary written before they were recorded: the processing basis, no home country)."""
    record = summary.get("concentration")
    policy = summary.get("policy")
    basis = policy.get("share_basis") if isinstance(policy, dict) else None
    home = record.get("home_country") if isinstance(record, dict) else None
    basis = basis if basis in ("processing", "origin") else "processing"
    return basis, home if isinstance(home, str) else None


def country_shares(mix: pd.DataFrame, material: str, basis: str = "processing") -> pd.Series:
    """One material's country shares of supply over the horizon, largest first, on a basis
    (a view of :func:`optimizer.results.metrics.country_shares`, kept for the reports)."""
    shares = metrics.country_shares(metrics.on_basis(mix[mix["material"] == material], basis))
    by_country = pd.Series(shares["share"].to_numpy(), index=shares["country"], name="share")
    return by_country.sort_values(ascending=False, kind="stable")


def content_differs(mix: pd.DataFrame, material: str) -> bool:
    """Whether a material's shares by origin of content differ from its shares by stage."""
    if "content_t" not in mix:
        return False
    stage = country_shares(mix, material)
    origin = country_shares(mix, material, "origin")
    both = pd.concat([stage, origin], axis=1).fillna(0.0)
    return bool((both.iloc[:, 0] - both.iloc[:, 1]).abs().gt(1e-9).any())


def _detail(plans: list[PlanView]) -> pd.DataFrame:
    """Per material and country: each plan's tonnes and share of supply (arrivals and domestic
    output) and the average landed cost of its imports."""
    frames = []
    for plan in plans:
        if "mix" not in plan.tables:
            continue  # no plan: nothing to detail
        by_country = metrics.country_shares(metrics.on_basis(plan.tables["mix"]))
        by_country = by_country.set_index(["material", "country"])
        by_country["share"] = np.round(by_country["share"], 9)
        bought = (
            plan.tables["plan"]
            .groupby(["material", "country"], sort=False)[["tonnes", "cost_usd"]]
            .sum()
        )
        landed = bought["cost_usd"] / bought["tonnes"]
        by_country["landed_usd_per_t"] = np.round(landed.reindex(by_country.index), 2)
        frames.append(by_country.assign(plan=plan.name).reset_index())
    if not frames:
        return pd.DataFrame(columns=["material", "country"])
    detail = pd.concat(frames, ignore_index=True)
    wide = detail.pivot_table(
        index=["material", "country"],
        columns="plan",
        values=["tonnes", "share", "landed_usd_per_t"],
        sort=False,
    )
    wide.columns = [f"{value} {plan}" for value, plan in wide.columns]
    ordered = [f"{v} {p.name}" for v in ("tonnes", "share", "landed_usd_per_t") for p in plans]
    wide = wide.reindex(columns=ordered)
    bought = [c for c in ordered if not c.startswith("landed")]
    wide[bought] = wide[bought].fillna(0.0)  # nothing from that country in that plan
    return wide.reset_index()


MANIFEST = "compare.json"
PLANS_FOLDER = "plans"
INPUTS_STEM = "compare_inputs"  # Comparison.inputs, as written beside compare.csv
NOT_RECORDED = "this comparison folder was written without its input differences"


def write_plan_tables(plan: PlanView, folder: Path, table_format: str = CSV) -> None:
    """A plan's summary and tables, as a result folder holds them (read by ``from_folder``)."""
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps(plan.summary, indent=2, allow_nan=False)
    (folder / "summary.json").write_text(text + "\n", encoding="utf-8")
    for stem, table in plan.tables.items():
        write_table(table, folder, stem, table_format)


def is_comparison_folder(path: str | Path) -> bool:
    return (Path(path) / MANIFEST).is_file()


def load_comparison(folder: str | Path) -> tuple[Comparison, list[PlanView]]:
    """A comparison folder written by ``sourcing compare``: recomputed from its plans, but for
    the input differences, which are read as written (the inputs may have changed since)."""
    folder = Path(folder)
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    names = manifest.get("plans") if isinstance(manifest, dict) else None
    if not isinstance(names, list) or len(names) < 2:
        raise ValueError(f"{folder / MANIFEST}: 'plans' must list two or more plan names")
    for name in names:  # each must be a plain folder name under plans/, as compare wrote it
        if not isinstance(name, str) or plan_name(name) != name or names.count(name) > 1:
            raise ValueError(
                f"{folder / MANIFEST}: plan name {name!r} is not the name of a folder under "
                f"{PLANS_FOLDER}/ (one path component, no separators, listed once)"
            )
        if not is_result_folder(folder / PLANS_FOLDER / name):
            raise ValueError(f"{folder / MANIFEST}: no plan {PLANS_FOLDER}/{name}/summary.json")
    plans = [PlanView.from_folder(folder / PLANS_FOLDER / name) for name in names]
    inputs = read_table(folder, INPUTS_STEM, as_text=True)
    if inputs is None:  # older folders: every plan's differences unknown
        plans = [replace(plan, no_scenario_reason=NOT_RECORDED) for plan in plans]
    comparison = compare(plans, baseline=manifest.get("baseline"))
    if inputs is not None:
        comparison = replace(comparison, inputs=inputs.reindex(columns=INPUT_COLUMNS).fillna(""))
    return comparison, plans
