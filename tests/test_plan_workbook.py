"""The summary sheet of ``plan.xlsx`` for the default scenario, as a reader opens it: sections
of items with their values and units, numbers as numbers with their formats, the cost lines
named and valued as ``sourcing solve`` prints them, no JSON key anywhere."""

from __future__ import annotations

import json
import re

import openpyxl
import pytest

from optimizer import write_result
from optimizer.results.summary_sheet import COSTS
from optimizer.results.summary_text import format_summary
from optimizer.results.tables import COST_LABELS

PERCENT = re.compile(r"^0\.0+%$")


@pytest.fixture(scope="module")
def default_plan(shipped_result, tmp_path_factory):
    """The default scenario's result (solved once a session), written; its summary.json, the
    summary sheet and what solve prints."""
    result = shipped_result("india-2026")
    folder = write_result(result, tmp_path_factory.mktemp("plan") / "india-2026")
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    sheet = openpyxl.load_workbook(folder / "plan.xlsx")["summary"]
    return summary, sheet, format_summary(result)


def rows_of(sheet, section: str) -> list[tuple]:
    """The (item, value cell, unit) rows of a section, in order."""
    return [
        (row[1].value, row[2], row[3].value)
        for row in sheet.iter_rows(min_row=2)
        if row[0].value == section
    ]


def dotted_keys(value, prefix: str = "") -> set[str]:
    """Every key path of summary.json as the old sheet wrote it (``costs_usd.purchase_usd``,
    ``mip.built.1``)."""
    keys = set()
    items = value.items() if isinstance(value, dict) else enumerate(value, start=1)
    for key, inner in items:
        name = f"{prefix}{key}"
        if prefix:
            keys.add(name)
        if isinstance(inner, dict | list):
            keys |= dotted_keys(inner, f"{name}.")
    return keys


def test_the_summary_sheet_has_a_bold_frozen_header_and_prints_one_page_wide(default_plan):
    _, sheet, _ = default_plan
    assert [c.value for c in sheet[1]] == ["Section", "Item", "Value", "Unit"]
    assert all(c.font.bold for c in sheet[1]) and sheet.freeze_panes == "A2"
    widths = [sheet.column_dimensions[letter].width for letter in "ABCD"]
    assert all(8 <= width <= 65 for width in widths), widths  # xlsxwriter adds 0.71
    assert sheet.print_title_rows == "$1:$1"  # the header on every printed page
    setup = sheet.page_setup  # one page wide (1, the default, is left out), as tall as it takes
    assert sheet.sheet_properties.pageSetUpPr.fitToPage and setup.fitToWidth in (None, 1)
    assert setup.fitToHeight == 0
    sections = list(dict.fromkeys(row[0] for row in sheet.iter_rows(min_row=2, values_only=True)))
    assert sections[:4] == ["Plan", COSTS, "Supply shares", "Stockpile cover"]
    assert {"Policy in force", "Decisions", "Shortfall", "Checks"} <= set(sections)
    assert sections[-1] == "Solve details"  # engine, model size, gap: last


def test_no_cell_holds_a_json_key(default_plan):
    summary, sheet, _ = default_plan
    keys = dotted_keys(summary)
    assert "costs_usd.purchase_usd" in keys and "mip.built.1" in keys
    texts = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert [t for t in texts if any(key in t for key in keys)] == []
    labels = [c.value for row in sheet.iter_rows(max_col=2) for c in row]
    assert [t for t in labels if "." in t or "_" in t] == []  # no costs_usd., .1 or floor_t


def test_cost_lines_are_those_solve_prints_with_the_summary_figures(default_plan):
    summary, sheet, printed = default_plan
    costs = summary["costs_usd"]
    rows = rows_of(sheet, COSTS)
    *lines, (total_item, total, total_unit) = rows
    key_of = {label: key for key, label in COST_LABELS.items()}
    # solve's lines: "  <label>  USD  <value>  <share>" under "Total cost"
    block = printed.split("Total cost", 1)[1].split("\n\n", 1)[0].splitlines()[1:]
    solve_labels = [re.split(r"\s+USD\s", line.strip())[0].strip() for line in block]
    assert [item for item, _, _ in lines] == solve_labels
    for item, cell, unit in lines:
        assert cell.value == costs[key_of[item]], item
        assert cell.number_format == "#,##0" and unit == "USD" and cell.data_type == "n"
    assert total_item == "total" and total.value == costs["total_usd"]
    assert total.number_format == "#,##0" and total_unit == "USD"
    assert total.value == pytest.approx(sum(cell.value for _, cell, _ in lines), abs=0.05)


def test_shares_tonnes_and_months_carry_their_formats(default_plan):
    summary, sheet, _ = default_plan
    shares = rows_of(sheet, "Supply shares")
    largest = summary["largest_country_share"]
    for material, top in largest.items():
        item = f"{material}: largest share ({top['country']})"
        (cell,) = [cell for name, cell, _ in shares if name == item]
        assert cell.value == top["share"] and PERCENT.match(cell.number_format)
    assert all(PERCENT.match(cell.number_format) for _, cell, unit in shares if unit == "share")
    policy = {item: (cell, unit) for item, cell, unit in rows_of(sheet, "Policy in force")}
    cap, unit = policy["CN cap on NdFeB-magnet"]
    assert cap.value == 0.8 and PERCENT.match(cap.number_format) and unit == "share"
    floor, unit = policy["Tb4O7: fixed floor"]
    assert floor.value == 0.28 and floor.number_format.startswith("#,##0.0") and unit == "t"
    cover, unit = policy["NdFeB-magnet: stockpile cover"]
    assert cover.value == 2 and cover.number_format == "0.0" and unit == "months"
    assert policy["caps count"][0].value == "per calendar year"
    assert policy["budget"][0].value == "none"


def test_decisions_and_shortfall_read_as_words(default_plan):
    summary, sheet, _ = default_plan
    decisions = {item: cell.value for item, cell, _ in rows_of(sheet, "Decisions")}
    mip = summary["mip"]
    assert {f"option {name}" for name in mip["built"]} == {
        item for item, verdict in decisions.items() if verdict == "built"
    }
    assert {f"option {name}" for name in mip["not_built"]} == {
        item for item, verdict in decisions.items() if verdict == "not built"
    }
    assert mip["not_built"] and {f"contract {n}" for n in mip["signed"]} <= set(decisions)
    assert [(item, cell.value) for item, cell, _ in rows_of(sheet, "Shortfall")] == [
        ("demand unmet", "none")
    ]
    plan = {item: cell for item, cell, _ in rows_of(sheet, "Plan")}
    assert plan["verdict"].value == summary["verdict"]["headline"]
    assert plan["status"].value == "optimal" and plan["status"].data_type == "s"
