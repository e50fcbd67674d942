"""plan.xlsx in every result folder: the tables for reading, long ones cut to their most telling
rows with a note; the CSV files keep every row."""

from __future__ import annotations

import openpyxl
import pytest

from optimizer import solve, write_result
from optimizer.inputs.synthetic import synthetic_scenario
from optimizer.results.readable import readable_rows
from optimizer.results.summary_sheet import CUT_SHORT


@pytest.fixture(scope="module")
def medium(tmp_path_factory):
    result = solve(synthetic_scenario(12, 10, 60, seed=4))
    return result, write_result(result, tmp_path_factory.mktemp("r") / "medium")


def test_long_tables_are_cut_with_a_note_and_short_ones_kept_whole(medium):
    result, folder = medium
    book = openpyxl.load_workbook(folder / "plan.xlsx", read_only=True)
    assert book.sheetnames == ["summary", "plan", "stock", "mix", "constraints", "policy_costs"]
    summary = book["summary"].iter_rows(min_row=2, values_only=True)
    notes = {item: note for section, item, note, _ in summary if section == CUT_SHORT}
    for stem, table in result.tables().items():
        rows = book[stem].max_row - 1
        if len(table) > 2000:
            assert rows == 2000
            assert notes[stem] == f"2,000 of {len(table):,} rows: all in {stem}.csv"
        else:
            assert rows == len(table) and stem not in notes


def test_the_cut_keeps_every_cap_and_floor_and_the_dearest_rows(medium):
    result, _ = medium
    constraints = result.constraints
    kept = readable_rows("constraints", constraints)
    policy = constraints["family"].isin(["country-share-cap", "stockpile-floor"])
    assert policy.sum() < 2000 < len(constraints)
    assert kept["family"].isin(["country-share-cap", "stockpile-floor"]).sum() == policy.sum()
    assert kept.index.is_monotonic_increasing  # the table's own order
    plan = readable_rows("plan", result.plan, limit=10)
    assert sorted(plan["cost_usd"]) == sorted(result.plan["cost_usd"].nlargest(10))
    table = result.policy_costs()
    offers = readable_rows("policy_costs", table, limit=3000)
    priced = (table["policy"] != "offer-price").sum()  # caps and floors come first
    used = (table["tonnes"] > 0).sum()
    assert (offers["tonnes"] > 0).sum() == min(used, 3000 - priced)
