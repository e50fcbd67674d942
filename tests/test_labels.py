"""One vocabulary: every command names a cost line as the one table of labels does
(``optimizer.results.tables.COST_LABELS``), never by its column name."""

from __future__ import annotations

import html

import openpyxl
from builders import CAPPED, scenario

from optimizer import solve, write_result
from optimizer.reporting.plan_page import write_plan_report
from optimizer.results.compare import PlanView, compare
from optimizer.results.compare_text import format_comparison
from optimizer.results.summary_sheet import SUMMARY_SHEET
from optimizer.results.summary_text import format_summary
from optimizer.results.tables import COST_COMPONENTS, COST_LABELS


def test_summary_compare_report_and_workbook_name_costs_alike(tmp_path):
    result = solve(scenario(**CAPPED))
    folder = write_result(result, tmp_path / "plan")
    shown = [key for key in COST_COMPONENTS if result.costs.get(key)]  # lines with a cost
    assert {"purchase_usd", "closing_credit_usd"} <= set(shown)

    summary = format_summary(result)
    page = html.unescape(write_plan_report(folder).read_text(encoding="utf-8"))
    book = openpyxl.load_workbook(folder / "plan.xlsx", read_only=True)
    sheet_items = {row[1] for row in book[SUMMARY_SHEET].iter_rows(min_row=2, values_only=True)}
    book.close()
    comparison = compare([result, PlanView.from_result(result, name="again")])
    metrics = set(comparison.headline.loc[comparison.headline["section"] == "cost", "metric"])
    compared = format_comparison(comparison)

    for key in shown:
        label = COST_LABELS[key]
        assert label in summary, label
        assert f">{label}<" in page, label
        assert label in sheet_items, label
        assert label in metrics and f"  {label} (USD)" in compared, label
    for text in (summary, page, compared, " ".join(map(str, sheet_items))):
        for key in COST_COMPONENTS:  # no column name stands in for a label
            assert key not in text, key
    assert "tariff" not in summary + page + compared  # the old name of the import duty
