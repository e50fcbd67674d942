"""The ``summary`` sheet of ``plan.xlsx``: ``summary.json`` as a table to read and print, one
row per figure (``Section | Item | Value | Unit``), in sections: the plan, its costs (named as
``sourcing solve`` names them), supply shares, stockpile cover, the policy in force, decisions,
shortfall, disruption risk, checks, and last how it was solved. Numbers stay numbers, shown
with a number format by their unit; text stays text. A key of ``summary.json`` not placed here
still gets rows, in a section of its own name, so a figure added to the summary is never
dropped from the sheet."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from optimizer.common.xlsx_cells import GENERAL, TEXT, column_width, excel_value
from optimizer.common.xlsx_stream import Sheet, SheetColumn
from optimizer.inputs.settings import CAP_WINDOW_WORDS
from optimizer.results.summary_text import CHAIN_COSTS, IF_NONZERO
from optimizer.results.tables import COST_COMPONENTS, COST_LABELS

SUMMARY_SHEET = "summary"
HEADINGS = ("Section", "Item", "Value", "Unit")
COSTS = "Costs"
CUT_SHORT = "Sheets cut short"  # a row per sheet cut short: item its table, value the note

# Number formats by unit.
USD = "#,##0"
SHARE = "0.0%"
TONNES = "#,##0.0##"  # at least one decimal; a floor of 0.28 t reads 0.28, not 0.3
MONTHS = "0.0"
COUNT = "#,##0"
GAP = "0.000%"
# Python's rendering of each, to size the value column.
SHOWN = {USD: "{:,.0f}", SHARE: "{:.1%}", TONNES: "{:,.3f}", MONTHS: "{:.1f}",
         COUNT: "{:,.0f}", GAP: "{:.3%}"}  # fmt: skip

# A key's unit and format by its suffix (the house's unit names: price_usd_per_t, floor_t).
SUFFIXES = (
    ("_usd_per_t_month", "USD/t/month", USD),
    ("_usd_per_t", "USD/t", USD),
    ("_usd_per_year", "USD/year", USD),
    ("_usd", "USD", USD),
    ("_t", "t", TONNES),
    ("_months", "months", MONTHS),
    ("share", "share", SHARE),
    ("probability", "share", SHARE),  # probability_of_shortfall too: see _unit
)
WIDTHS = {"Section": 22, "Item": 56, "Value": 64, "Unit": 14}  # the most each column takes
CREDIT_WORDS = {
    "floor": "the stock left up to the last month's floor, at each material's closing value "
    "(else the lowest landed price)",
    "none": "none: the closing stock is worth nothing",
}
SKIPPED = ("format",)  # the folder's marker, not a figure


@dataclass(frozen=True)
class Row:
    section: str
    item: str
    value: Any  # text, a number or None (blank)
    unit: str = ""
    number_format: str = TEXT


def summary_sheet(summary: dict) -> Sheet:
    """The summary sheet of ``summary`` (``summary.json`` as written, timings left out; a key
    ``sheet_rows.<table>`` notes a sheet cut short)."""
    rows = summary_rows(summary)
    values = [_cell(row.value) for row in rows]
    columns = {
        "Section": [row.section for row in rows],
        "Item": [row.item for row in rows],
        "Value": values,
        "Unit": [row.unit or None for row in rows],
    }
    formats = {"Section": TEXT, "Item": TEXT, "Unit": TEXT}
    shown = {name: [str(v) for v in cells if v is not None] for name, cells in columns.items()}
    shown["Value"] = [_shown(v, row.number_format) for v, row in zip(values, rows, strict=True)]
    return Sheet(
        SUMMARY_SHEET,
        [
            SheetColumn(
                name,
                columns[name],
                formats.get(name) or [row.number_format for row in rows],
                width=column_width([name, *shown[name]], WIDTHS[name]),
            )
            for name in HEADINGS
        ],
        autofilter=False,
        for_print=True,
    )


def summary_rows(summary: dict) -> list[Row]:
    """The sheet's rows, section by section; every key of ``summary`` is shown somewhere."""
    rows: list[Row] = []
    placed: set[str] = set(SKIPPED)
    for build in SECTIONS:
        rows += build(summary, placed)
    notes = {k: v for k, v in summary.items() if k.startswith("sheet_rows.")}
    placed |= set(notes)
    rows += [Row(CUT_SHORT, key.removeprefix("sheet_rows."), note)
             for key, note in notes.items()]  # fmt: skip
    for key, value in summary.items():
        if key not in placed:
            rows += _any_rows(_words(key) if isinstance(value, dict | list) else "Other",
                              [] if isinstance(value, dict | list) else [key], value)  # fmt: skip
    return rows


# --- sections --------------------------------------------------------------------------------


def _plan(summary: dict, placed: set[str]) -> list[Row]:
    """What was solved and how it came out: scenario, status, verdict, horizon, solver."""
    return _section("Plan", (_outcome, _verdict, _horizon, _figures), summary, placed)


def _solve_details(summary: dict, placed: set[str]) -> list[Row]:
    """How it was solved, last: engine, algorithm, model size, the MIP's gap, the inputs."""
    return _section("Solve details", (_solver,), summary, placed)


def _section(
    section: str, parts: tuple[Callable, ...], summary: dict, placed: set[str]
) -> list[Row]:
    return [
        Row(section, item, value, unit, number_format)
        for part in parts
        for item, value, unit, number_format in part(summary, _taker(summary, placed))
    ]


Line = tuple[str, Any, str, str]  # item, value, unit, number format


def _outcome(summary: dict, take: Callable[[str], Any]) -> list[Line]:
    lines = [("scenario", take("scenario"), "", TEXT)] if "scenario" in summary else []
    description = take("description")
    if description:
        lines.append(("description", description, "", TEXT))
    status, termination = take("status"), take("termination")
    if status is not None:
        said = status if status == "optimal" or not termination else f"{status} ({termination})"
        lines.append(("status", said, "", TEXT))
    if take("has_plan") is False:
        lines.append(("plan found", "no", "", TEXT))
    return lines


def _verdict(summary: dict, take: Callable[[str], Any]) -> list[Line]:
    verdict = take("verdict")
    if not isinstance(verdict, dict):
        return []
    lines = [("verdict", verdict.get("headline") or verdict.get("text"), "", TEXT)]
    for detail in verdict.get("details") or []:
        item = f"{detail.get('material', '')}: {detail.get('issue', '')}".strip(": ")
        lines.append((item, detail.get("text"), "", TEXT))
    return lines


def _horizon(summary: dict, take: Callable[[str], Any]) -> list[Line]:
    horizon = take("horizon")
    if not isinstance(horizon, dict):
        return []
    return [
        ("first month", horizon.get("start"), "", TEXT),
        ("last month", horizon.get("end"), "", TEXT),
        ("months", horizon.get("months"), "months", COUNT),
    ]


def _solver(summary: dict, take: Callable[[str], Any]) -> list[Line]:
    lines = [(key, take(key), "", TEXT) for key in ("engine", "algorithm")]
    size = take("model_size")
    if isinstance(size, dict):
        lines += [(f"model {label}", size[key], "", COUNT)
                  for key, label in (("variables", "variables"), ("constraints", "rows"),
                                     ("nonzeros", "nonzeros"))
                  if key in size]  # fmt: skip
    mip = summary.get("mip")  # its decisions have their own section
    if isinstance(mip, dict):
        lines.append(("MIP gap", mip.get("gap"), "", GAP))
        lines.append(("MIP best bound", mip.get("best_bound_usd"), "USD", USD))
        lines.append(("duals", mip.get("duals"), "", TEXT))
    inputs = take("inputs")
    if isinstance(inputs, dict):
        lines.append(("inputs", inputs.get("scenario"), "", TEXT))
    return [line for line in lines if line[1] is not None]


def _figures(summary: dict, take: Callable[[str], Any]) -> list[Line]:
    lines = [("solver", take("solver"), "", TEXT)] if summary.get("solver") else []
    objective = take("objective_usd")
    total = (summary.get("costs_usd") or {}).get("total_usd")
    if objective is not None and (total is None or abs(objective - total) > 0.5):
        lines.append(("objective", objective, "USD", USD))  # the cost as the risk weight weighs it
    if "binding_caps" in summary:
        lines.append(("binding caps", take("binding_caps"), "", COUNT))
    if take("prices"):
        lines.append(("policy prices", summary["prices"], "", TEXT))
    return lines


def _costs(summary: dict, placed: set[str]) -> list[Row]:
    """A row per cost line ``sourcing solve`` prints, labelled as it labels them, and the
    total; the lines sum to the total."""
    costs = _taker(summary, placed)("costs_usd")
    if not isinstance(costs, dict) or not costs:
        return []
    section = COSTS
    # As solve shows the chain's lines with a chain: decisions (mip) or a chain cost.
    chain = summary.get("mip") is not None or any(costs.get(key) for key in CHAIN_COSTS)
    rows = []
    for key, label in COST_LABELS.items():
        value = costs.get(key)
        if value is None or (key in CHAIN_COSTS and not chain) or (key in IF_NONZERO and not value):
            continue
        rows.append(Row(section, label, value, "USD", USD))
    known = {*COST_COMPONENTS, "total_usd"}
    rows += [Row(section, _words(key), value, *_unit(key, value))
             for key, value in costs.items() if key not in known]  # fmt: skip
    title = "expected total" if isinstance(summary.get("risk"), dict) else "total"
    rows.append(Row(section, title, costs.get("total_usd"), "USD", USD))
    return rows


def _shares(summary: dict, placed: set[str]) -> list[Row]:
    """Per material, the largest country share of its supply and, from ``concentration``
    where the summary has it, the watched country's share and the largest foreign share where
    they are other figures, and the HHI."""
    take = _taker(summary, placed)
    largest = take("largest_country_share") or {}
    record = summary.get("concentration")
    figures = record.get("materials") if isinstance(record, dict) else None
    if isinstance(figures, dict):
        placed.add("concentration")
    else:
        record, figures = {}, {}
    watched = record.get("watched_country") or "watched country"
    basis = record.get("basis")
    counted = "" if basis in (None, "processing") else f" ({basis} basis)"
    rows = []
    for material in [*largest, *(m for m in figures if m not in largest)]:
        top, shares = largest.get(material), figures.get(material)
        shown = ()
        if isinstance(top, dict):
            shown = (top.get("country"), top.get("share"))
            rows.append(Row("Supply shares", f"{material}: largest share ({shown[0]})", shown[1],
                            "share", SHARE))  # fmt: skip
        if isinstance(shares, dict):
            rows += _concentration_rows(material, shares, watched, counted, shown)
    return rows


def _concentration_rows(
    material: str, shares: dict, watched: str, counted: str, shown: tuple
) -> list[Row]:
    """The watched country's share and the largest foreign share unless the largest share
    row says the same, and the HHI."""
    section = "Supply shares"
    rows = []
    if (watched, shares.get("watched_share")) != shown or counted:
        item = f"{material}: {watched} share{counted}"
        rows.append(Row(section, item, shares.get("watched_share"), "share", SHARE))
    foreign = (shares.get("foreign_country"), shares.get("foreign_share"))
    if foreign[0] is None:
        rows.append(Row(section, f"{material}: largest foreign share{counted}", "none"))
    elif foreign != shown or counted:
        item = f"{material}: largest foreign share ({foreign[0]}){counted}"
        rows.append(Row(section, item, foreign[1], "share", SHARE))
    rows.append(Row(section, f"{material}: HHI{counted}", shares.get("hhi"), "0-10,000", COUNT))
    return rows


def _stockpile(summary: dict, placed: set[str]) -> list[Row]:
    policy = summary.get("policy") if isinstance(summary.get("policy"), dict) else {}
    below = _taker(summary, placed)("months_below_cover")
    if not policy and below is None:
        return []
    section = "Stockpile cover"
    rows = []
    if policy.get("stockpile_from"):
        rows.append(Row(section, "floors apply from", policy["stockpile_from"]))
    what = "months below the cover target before the floors apply"
    if not below:
        rows.append(Row(section, what, "none"))
    for material, months in (below or {}).items():
        rows.append(Row(section, f"{material}: {what}", months, "months", COUNT))
    return rows


def _policy(summary: dict, placed: set[str]) -> list[Row]:
    """The caps, covers, floors, budget, credit and risk settings the plan was solved with."""
    policy = _taker(summary, placed)("policy")
    if not isinstance(policy, dict):
        return []
    section = "Policy in force"
    left = dict(policy)
    left.pop("stockpile_from", None)  # in the stockpile section
    rows = _caps(section, left)
    if "stockpile_cover_months" in left:
        cover = left.pop("stockpile_cover_months")
        rows.append(Row(section, "default stockpile cover", cover, "months", MONTHS))
    per_material = (
        ("cover_months", "stockpile cover", "months", MONTHS),
        ("floor_t", "fixed floor", "t", TONNES),
        ("floor_penalty_usd_per_t_month", "penalty under the floor", "USD/t/month", USD),
    )
    for key, label, unit, number_format in per_material:
        for material, value in (left.pop(key, None) or {}).items():
            rows.append(Row(section, f"{material}: {label}", value, unit, number_format))
    if "budget_usd_per_year" in left:
        budget = left.pop("budget_usd_per_year")
        rows.append(
            Row(section, "budget", budget, "USD/year", USD)
            if budget is not None
            else Row(section, "budget", "none")
        )
    if "closing_stock_credit" in left:
        rule = left.pop("closing_stock_credit")
        rows.append(Row(section, "closing stock credit", CREDIT_WORDS.get(rule, rule)))
    for material, value in (left.pop("closing_value_usd_per_t", None) or {}).items():
        rows.append(Row(section, f"{material}: closing value", value, "USD/t", USD))
    risk = left.pop("risk", None)
    if isinstance(risk, dict):
        rows += _risk_settings(section, risk)
    return rows + _any_rows(section, [], left)


def _caps(section: str, policy: dict) -> list[Row]:
    """The caps' window and basis, and each country's cap by material (taken from ``policy``)."""
    rows = []
    window = policy.pop("cap_window", None)
    if window is not None:
        rows.append(Row(section, "caps count", CAP_WINDOW_WORDS.get(window, str(window))))
    if "share_basis" in policy:
        rows.append(Row(section, "share basis", policy.pop("share_basis")))
    for country, caps in (policy.pop("country_caps", None) or {}).items():
        for material, share in caps.items():
            rows.append(Row(section, f"{country} cap on {material}", share, "share", SHARE))
    return rows


# The risk settings in the policy section: key, item, unit, number format.
RISK_SETTINGS = (
    ("scenarios", "risk: scenarios planned against", "", COUNT),
    ("risk_weight", "risk: weight of the CVaR", "", GENERAL),
    ("cvar_alpha", "risk: CVaR level", "", SHARE),
    ("release_floor", "risk: floors released while a cut lasts", "", TEXT),
    ("refill_months", "risk: months to refill", "months", COUNT),
    ("samples", "risk: sampled paths", "", COUNT),
    ("seed", "risk: seed", "", GENERAL),
)


def _risk_settings(section: str, risk: dict) -> list[Row]:
    left = dict(risk)
    rows = []
    for key, item, unit, number_format in RISK_SETTINGS:
        if key not in left:
            continue
        value = left.pop(key)
        if key == "release_floor":
            rows.append(Row(section, item, "yes" if value else "no"))
        elif key == "samples" and not value:
            rows.append(Row(section, item, "none (the scenarios are listed)"))
        else:
            rows.append(Row(section, item, value, unit, number_format))
    return rows + (_any_rows(section, ["risk"], left) if left else [])


def _decisions(summary: dict, placed: set[str]) -> list[Row]:
    mip = _taker(summary, placed)("mip")
    if not isinstance(mip, dict):
        return []
    section = "Decisions"
    rows = []
    for key, kind, verb in (("built", "option", "built"), ("not_built", "option", "not built"),
                            ("signed", "contract", "signed"),
                            ("not_signed", "contract", "not signed")):  # fmt: skip
        rows += [Row(section, f"{kind} {name}", verb) for name in mip.get(key) or []]
    if not rows:
        rows.append(Row(section, "options and contracts", "none"))
    return rows


def _shortfall(summary: dict, placed: set[str]) -> list[Row]:
    if "shortfall_t" not in summary:
        return []
    shortfall = _taker(summary, placed)("shortfall_t") or {}
    section = "Shortfall"
    if not shortfall:
        return [Row(section, "demand unmet", "none")]
    return [Row(section, f"{material}: demand unmet", tonnes, "t", TONNES)
            for material, tonnes in shortfall.items()]  # fmt: skip


RISK_LABELS = {
    "expected_cost_usd": "expected cost",
    "cvar_usd": "CVaR",
    "worst_case_usd": "worst case",
    "probability_of_shortfall": "probability of any shortfall",
    "vss_usd": "value of the stochastic solution (VSS)",
    "vss_expected_cost_usd": "VSS in expected cost",
    "evpi_usd": "value of perfect information (EVPI)",
    "evpi_expected_cost_usd": "EVPI in expected cost",
    "reference_path": "the tables describe the path",
}


def _risk(summary: dict, placed: set[str]) -> list[Row]:
    risk = _taker(summary, placed)("risk")
    if not isinstance(risk, dict):
        return []
    section = "Disruption risk"
    left = dict(risk)
    for key in ("cvar_alpha", "risk_weight"):  # in the policy section
        left.pop(key, None)
    rows = []
    if "scenarios" in left:
        rows.append(Row(section, "scenarios", left.pop("scenarios"), "", COUNT))
    for key, label in RISK_LABELS.items():
        if key not in left:
            continue
        value = left.pop(key)
        if key == "worst_case_usd" and left.get("worst_case_scenario"):
            label = f"worst case ({left.pop('worst_case_scenario')})"
        unit, number_format = _unit(key, value)
        rows.append(Row(section, label, value, unit, number_format))
    for material, tonnes in (left.pop("expected_shortfall_t", None) or {}).items():
        rows.append(Row(section, f"{material}: expected shortfall", tonnes, "t", TONNES))
    return rows + _any_rows(section, [], left)


def _checks(summary: dict, placed: set[str]) -> list[Row]:
    take = _taker(summary, placed)
    check, diagnosis = take("check"), take("diagnosis")
    rows = []
    if isinstance(check, dict):
        passed = check.get("passed")
        said = "passed" if passed else "FAILED" if passed is False else None
        rows.append(Row("Checks", "re-check from the tables", said))
        rows += [Row("Checks", "violation", text) for text in check.get("violations") or []]
    rows += [Row("Diagnosis", "", text) for text in diagnosis or []]
    return rows


SECTIONS: tuple[Callable[[dict, set[str]], list[Row]], ...] = (
    _plan,
    _costs,
    _shares,
    _stockpile,
    _policy,
    _decisions,
    _shortfall,
    _risk,
    _checks,
    _solve_details,
)


# --- helpers ---------------------------------------------------------------------------------


def _taker(summary: dict, placed: set[str]) -> Callable[[str], Any]:
    """``take(key)``: the summary's value (None if absent), marked as placed."""

    def take(key: str) -> Any:
        placed.add(key)
        return summary.get(key)

    return take


def _any_rows(section: str, path: list[str], value: Any) -> list[Row]:
    """Rows for a value this module does not place by name: a row per scalar, its item the
    words of its keys (``a / b``), its unit and format by the last key's suffix."""
    if isinstance(value, dict):
        if not value:
            return [Row(section, _item(path), "none")] if path else []
        return [row for key, item in value.items()
                for row in _any_rows(section, [*path, key], item)]  # fmt: skip
    if isinstance(value, list | tuple):
        if all(not isinstance(item, dict | list | tuple) for item in value):
            text = ", ".join(_text(item) for item in value) or "none"
            return [Row(section, _item(path), text)]
        return [row for i, item in enumerate(value, start=1)
                for row in _any_rows(section, [*path, str(i)], item)]  # fmt: skip
    unit, number_format = _unit(path[-1] if path else "", value)
    return [Row(section, _item(path), value, unit, number_format)]


def _unit(key: str, value: Any) -> tuple[str, str]:
    """The unit and number format of a value under ``key``; text is text."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "", TEXT
    for suffix, unit, number_format in SUFFIXES:
        if key.endswith(suffix) or (not suffix.startswith("_") and key.startswith(suffix)):
            return unit, number_format
    return "", COUNT if isinstance(value, int) else GENERAL


def _item(path: list[str]) -> str:
    return " / ".join(_words(part) for part in path)


def _words(key: str) -> str:
    """A key as words, its unit suffix left to the unit column: ``expected_cost_usd`` ->
    ``expected cost``."""
    for suffix, _, _ in SUFFIXES:
        if key.endswith(suffix) and key != suffix.lstrip("_") and suffix.startswith("_"):
            key = key.removesuffix(suffix)
            break
    return key.replace("_", " ")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _cell(value: Any) -> Any:
    """What the cell holds: yes or no for a bool, text for an infinite number."""
    return _text(value) if isinstance(value, bool) else excel_value(value)


def _shown(value: Any, number_format: str) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return SHOWN.get(number_format, "{:.10g}").format(value)
    return "" if value is None else str(value)
