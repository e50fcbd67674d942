"""The verdict says, before any cost, whether a plan meets every demand and holds every floor;
where not, which material, months and tonnes, and what stops it. Hand-built plans whose
shortfall has one known cause (a cap, a capacity, a lead time, a cheap penalty) give exact
sentences."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from builders import CAPPED, scenario
from helpers import unwrapped
from pages import Page

from optimizer import Status, load_scenario, solve, write_result
from optimizer.reporting.comparison_page import write_comparison_report
from optimizer.reporting.plan_page import write_plan_report
from optimizer.results import verdict
from optimizer.results.compare import PlanView, compare
from optimizer.results.compare_text import format_comparison
from optimizer.results.summary_text import format_summary
from optimizer.results.writing import write_comparison

ROOT = Path(__file__).resolve().parents[1]
NEEDED = [
    {"material": "Nd", "shortfall_penalty_usd_per_t": 1000, "holding_cost_usd_per_t_month": 1}
]

# China (A, cheap, unlimited) may supply at most half of each month's arrivals; Australia (B)
# at most 2 t a month. So A <= B <= 2: 4 t a month of the 10 t demanded, 6 t short each month.
CAP = dict(
    materials=NEEDED,
    suppliers=[{"supplier": "A", "country": "CN"}, {"supplier": "B", "country": "AU"}],
    offers=[
        {"supplier": "A", "material": "Nd", "price_usd_per_t": 100},
        {"supplier": "B", "material": "Nd", "price_usd_per_t": 150, "capacity_t_per_month": 2},
    ],
    demand={"Nd": [10, 10, 10]},
    caps=[{"country": "CN", "max_share": 0.5}],
    cap_window="month",
)
# One supplier, 4 t a month of the 10 t demanded.
CAPACITY = dict(
    materials=NEEDED,
    suppliers=[{"supplier": "A", "country": "AU"}],
    offers=[{"supplier": "A", "material": "Nd", "price_usd_per_t": 100, "capacity_t_per_month": 4}],
    demand={"Nd": [10, 10, 10]},
)
# One unlimited supplier two months away: the first two months' demand cannot be met.
LEAD = dict(
    months=4,
    materials=NEEDED,
    suppliers=[{"supplier": "A", "country": "AU", "lead_time_months": 2}],
    offers=[{"supplier": "A", "material": "Nd", "price_usd_per_t": 100}],
    demand={"Nd": [10, 10, 10, 10]},
)
# Leaving a tonne unmet (50) is cheaper than buying it (100): nothing binds, nothing is bought.
CHEAP_PENALTY = dict(
    materials=[{"material": "Nd", "shortfall_penalty_usd_per_t": 50}],
    suppliers=[{"supplier": "A", "country": "AU"}],
    offers=[{"supplier": "A", "material": "Nd", "price_usd_per_t": 100}],
    demand={"Nd": [10, 10, 10]},
)
# A 20 t floor (two months of 10 t) from the start, 15 t a month to buy: the stock climbs 5 t a
# month (5, 10, 15, 20), under the floor by 15, 10 and 5 t until 2026-04; staying under costs
# 1,000 per t-month, more than buying, so every tonne on offer is bought.
FLOOR = dict(
    months=5,
    materials=[{"material": "Sm", "floor_penalty_usd_per_t_month": 1000}],
    suppliers=[{"supplier": "A", "country": "AU"}],
    offers=[
        {"supplier": "A", "material": "Sm", "price_usd_per_t": 100, "capacity_t_per_month": 15}
    ],
    demand={"Sm": [10] * 5},
    stockpile_cover_months=2.0,
)
NO_FLOOR = dict(
    suppliers=[{"supplier": "A", "country": "AU"}],
    offers=[{"supplier": "A", "material": "Nd", "price_usd_per_t": 100}],
    demand={"Nd": [10, 10, 10]},
)


def solved(case: dict):
    result = solve(scenario(**case))
    assert result.status == Status.OPTIMAL and result.violations == []
    return result


@pytest.mark.parametrize(
    ("case", "sentence"),
    [
        (
            CAP,
            "Nd: 18 t of demand unmet in 2026-01..2026-03 (3 months; at most 6 t, in 2026-01, of "
            "10 t); limited by CN capped at 50% of supply in 2026-01..2026-03, B at capacity "
            "2 t/month.",
        ),
        (
            CAPACITY,
            "Nd: 18 t of demand unmet in 2026-01..2026-03 (3 months; at most 6 t, in 2026-01, of "
            "10 t); limited by A at capacity 4 t/month.",
        ),
        (
            LEAD,
            "Nd: 20 t of demand unmet in 2026-01..2026-02 (2 months; at most 10 t, in 2026-01, of "
            "10 t); limited by A arriving only from 2026-03 (lead time 2 months).",
        ),
        (
            CHEAP_PENALTY,
            "Nd: 30 t of demand unmet in 2026-01..2026-03 (3 months; at most 10 t, in 2026-01, of "
            "10 t); buying more would cost more than its shortfall penalty (USD 50/t).",
        ),
    ],
    ids=["cap", "capacity", "lead-time", "cheap-penalty"],
)
def test_unmet_demand_is_said_with_what_stops_it(case, sentence):
    result = solved(case)
    judged = result.verdict()
    assert judged["kind"] == verdict.UNMET
    assert judged["headline"] == "Leaves demand unmet (Nd)."
    assert [d["text"] for d in judged["details"]] == [sentence]
    lines = unwrapped(format_summary(result))
    assert lines[1:3] == ["Verdict: leaves demand unmet (Nd).", f"  {sentence}"]


def test_a_floor_not_reached_is_never_called_held():
    result = solved(FLOOR)
    judged = result.verdict()
    assert judged["kind"] == verdict.UNDER_FLOOR
    assert judged["text"] == (
        "Meets all demand but leaves a stockpile floor unreached (Sm). Sm: floor not reached "
        "until 2026-04; at most 15 t under it (2026-01, floor 20 t); limited by A at capacity "
        "15 t/month."
    )
    detail = judged["details"][0]
    assert detail["months"] == ["2026-01", "2026-02", "2026-03"] and detail["most_t"] == 15
    text = format_summary(result)
    assert "held" not in text
    assert (
        "Stockpile floor: NOT reached: Sm under its floor until 2026-04 (at most 15 t under it)"
        in text
    )


@pytest.mark.parametrize(
    ("case", "line"),
    [
        (CAPPED, "Verdict: meets all demand and holds every stockpile floor."),
        (NO_FLOOR, "Verdict: meets all demand; no stockpile floor applies."),
    ],
)
def test_a_plan_meeting_everything_says_so_in_one_line(case, line):
    result = solved(case)
    assert result.verdict()["details"] == []
    lines = unwrapped(format_summary(result))
    assert lines[1:3] == [line, ""] and lines[3].startswith("Total cost")


def test_summary_json_carries_the_verdict_before_the_costs(tmp_path):
    result = solved(CAP)
    summary = json.loads((write_result(result, tmp_path / "r") / "summary.json").read_text())
    keys = list(summary)
    assert keys.index("verdict") < keys.index("costs_usd")
    found = summary["verdict"]
    assert found == result.verdict()
    assert set(found) == {"kind", "headline", "text", "details"}
    detail = found["details"][0]
    assert detail["material"] == "Nd" and detail["issue"] == verdict.DEMAND_ISSUE
    assert detail["months"] == ["2026-01", "2026-02", "2026-03"]
    assert (detail["tonnes"], detail["most_t"], detail["demand_t"]) == (18, 6, 10)
    assert detail["limits"] == [
        "CN capped at 50% of supply in 2026-01..2026-03",
        "B at capacity 2 t/month",
    ]
    assert found["text"] == f"{found['headline']} {detail['text']}"


def test_a_folder_without_a_verdict_is_judged_from_its_tables(tmp_path):
    folder = write_result(solved(CAP), tmp_path / "r")
    summary = json.loads((folder / "summary.json").read_text())
    del summary["verdict"]  # as written before summaries carried one
    (folder / "summary.json").write_text(json.dumps(summary))
    judged = PlanView.from_folder(folder).verdict
    assert judged["kind"] == verdict.UNMET
    assert judged["details"][0]["limits"][0] == "CN capped at 50% of supply in 2026-01..2026-03"


def test_no_plan_gives_the_diagnosis():
    result = solve(scenario(**{**CAPACITY, "materials": [{"material": "Nd"}]}))  # no penalty
    assert result.status == Status.INFEASIBLE
    judged = result.verdict()
    assert judged["kind"] == verdict.NO_PLAN
    assert judged["headline"] == "No plan meets every demand, cap and floor."
    assert [d["text"] for d in judged["details"]] == result.diagnosis


def stock_rows(**columns) -> pd.DataFrame:
    months = ["2026-01", "2026-02", "2026-03"]
    base = {"material": "Dy", "month": months, "demand_t": 10.0, "shortfall_t": 0.0}
    return pd.DataFrame({**base, "floor_applies": True, "floor_t": 20.0, **columns})


def test_from_the_tables_a_stock_under_its_floor_is_not_held_with_or_without_the_column():
    under = stock_rows(stock_t=[20.0, 12.0, 20.0])
    for stock in (under, under.assign(below_floor_t=[0.0, 8.0, 0.0])):
        judged = verdict.judge(stock, None)
        assert judged["kind"] == verdict.UNDER_FLOOR
        assert judged["details"][0]["text"] == (
            "Dy: floor not reached in 2026-02; at most 8 t under it (2026-02, floor 20 t); buying "
            "more would cost more than the penalty for staying under it."
        )
    held = verdict.judge(stock_rows(stock_t=20.0), None)
    assert held["headline"] == "Meets all demand and holds every stockpile floor."


def test_unmet_demand_comes_first_and_names_the_floor_it_fills():
    stock = stock_rows(stock_t=[20.0, 20.0, 15.0], shortfall_t=[0.0, 4.0, 0.0])
    judged = verdict.judge(stock, None)
    assert judged["kind"] == verdict.UNMET
    assert [d["issue"] for d in judged["details"]] == [verdict.DEMAND_ISSUE, verdict.FLOOR_ISSUE]
    assert judged["details"][0]["text"].startswith(
        "Dy: 4 t of demand unmet in 2026-02 (of 10 t), to fill the stockpile floor (20 t in "
        "2026-02);"
    )
    assert judged["headline"] == "Leaves demand unmet (Dy) and a stockpile floor unreached (Dy)."


def test_compare_puts_a_verdict_line_per_plan_first():
    plans = [
        PlanView.from_result(solved(CAPPED), name="capped"),
        PlanView.from_result(solved(CAP), name="short"),
    ]
    comparison = compare(plans)
    assert comparison.verdicts["short"]["kind"] == verdict.UNMET
    lines = unwrapped(format_comparison(comparison))
    assert lines[:3] == [
        "Verdicts:",
        "  capped  meets all demand and holds every stockpile floor.",
        "  short   leaves demand unmet: Nd 18 t unmet in 2026-01..2026-03",
    ]
    # then why they differ (the input differences), then the figures
    assert lines[4] == "Input differences from capped:"
    assert lines.index("Plans compared (differences against capped):") > 4


def verdict_box(page_text: str) -> tuple[str, list[str]]:
    """The verdict box of a report: its class and the text of its headline and items."""

    class Box(Page):
        def __init__(self, text):
            self.css, self.texts, self.depth = "", [], 0
            super().__init__(text)

        def handle_starttag(self, tag, attrs):
            values = dict(attrs)
            if values.get("id") == "verdict":
                self.css, self.depth = values.get("class", ""), 1
            elif self.depth and tag not in ("strong",):
                self.depth += 1
                self.texts.append("")
            super().handle_starttag(tag, attrs)

        def handle_endtag(self, tag):
            if self.depth and tag not in ("strong",):
                self.depth -= 1
            super().handle_endtag(tag)

        def handle_data(self, data):
            if self.depth > 1:
                self.texts[-1] += data
            super().handle_data(data)

    box = Box(page_text)
    assert box.problems == []
    return box.css, [t for t in box.texts if t]


def test_the_plan_report_opens_with_the_verdict(tmp_path):
    result = solved(CAP)
    folder = write_result(result, tmp_path / "short")
    text = write_plan_report(folder).read_text(encoding="utf-8")
    assert text.index('id="verdict"') < text.index("Total cost")
    css, texts = verdict_box(text)
    judged = result.verdict()
    assert css == "verdict bad"
    assert texts == [judged["headline"], judged["details"][0]["text"]]


@pytest.mark.slow
def test_the_comparison_report_opens_with_every_plans_verdict(tmp_path):
    plans = [
        PlanView.from_result(solved(CAPPED), name="capped"),
        PlanView.from_result(solved(CAP), name="short"),
    ]
    folder = write_comparison(compare(plans), plans, tmp_path / "cmp")
    text = write_comparison_report(folder).read_text(encoding="utf-8")
    css, texts = verdict_box(text)
    assert css == "verdict bad"
    assert texts[0] == "Not every plan meets all demand and holds its stockpile floors."
    assert texts[1] == "capped: meets all demand and holds every stockpile floor."
    assert texts[2].startswith("short: leaves demand unmet: Nd 18 t unmet in 2026-01..2026-03")
    assert texts[3] == plans[1].verdict["details"][0]["text"]


@pytest.fixture(scope="module")
def three_months_cover():
    """The default scenario with four months' cover: the floor of 2026-08 is filled by
    leaving magnet demand unmet that month (and the Sm floor, with its penalty, is reached
    only in 2026-10)."""
    default = load_scenario(ROOT / "inputs" / "india-2026")
    return solve(
        default.with_changes(settings=default.settings.with_changes(stockpile_cover_months=4.0))
    )


def test_three_months_cover_puts_the_shortfall_first_and_never_says_held(three_months_cover):
    result = three_months_cover
    judged = result.verdict()
    assert judged["kind"] == verdict.UNMET
    first = judged["details"][0]
    assert (first["material"], first["issue"]) == ("NdFeB-magnet", verdict.DEMAND_ISSUE)
    assert first["months"] == ["2026-08"] and first["tonnes"] == pytest.approx(36.22, abs=0.01)
    assert first["for_floor"] and "to fill the stockpile floor" in first["text"]
    assert "held" not in judged["text"]
    assert len(first["limits"]) == verdict.SHOWN_LIMITS
    second = judged["details"][1]
    assert (second["material"], second["issue"]) == ("Sm2O3", verdict.FLOOR_ISSUE)
    lines = unwrapped(format_summary(result))
    costs = next(i for i, line in enumerate(lines) if line.startswith("Total cost"))
    assert lines[1].startswith("Mixed-integer solve") and costs == 6  # verdict, 2 details, ""
    assert lines[2] == (
        "Verdict: leaves demand unmet (NdFeB-magnet) and a stockpile floor unreached (Sm2O3)."
    )
    assert lines[3] == f"  {first['text']}"
    floor_line = next(line for line in lines if line.startswith("Stockpile floor:"))
    assert floor_line.startswith("Stockpile floor: NOT reached: Sm2O3 under its floor")
    assert floor_line.endswith(
        "elsewhere held by leaving demand unmet (NdFeB-magnet) to fill the floor"
    )


def test_the_default_meets_everything(shipped_result):
    assert shipped_result("india-2026").verdict()["text"] == (
        "Meets all demand and holds every stockpile floor."
    )
