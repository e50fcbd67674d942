"""Deliberately infeasible scenarios: a status, not a crash, and a diagnosis in plain words."""

from __future__ import annotations

import json

from builders import scenario

from optimizer import Status, solve
from optimizer.cli.main import main

# Dy2O3: 100 t demand and a 2-month floor (200 t) in the first month, capped per month.
# IN-IREL lands at most 30 t; China may supply at most half of arrivals, so at most 30 t more;
# AU-LYN arrives only from the third month. At most 60 t of the 300 t needed can be had.
DY_SHORT = dict(
    suppliers=[
        {"supplier": "IN-IREL", "country": "IN"},
        {"supplier": "CN-LIC", "country": "CN"},
        {"supplier": "AU-LYN", "country": "AU", "lead_time_months": 2},
    ],
    offers=[
        {"supplier": "IN-IREL", "material": "Dy2O3", "price_usd_per_t": 3e5,
         "capacity_t_per_month": 30},
        {"supplier": "CN-LIC", "material": "Dy2O3", "price_usd_per_t": 2.5e5},
        {"supplier": "AU-LYN", "material": "Dy2O3", "price_usd_per_t": 4e5},
    ],
    demand={"Dy2O3": [100, 100, 100]},
    caps=[{"country": "CN", "max_share": 0.5}],
    stockpile_cover_months=2.0,
    cap_window="month",
)  # fmt: skip


def test_diagnosis_names_the_demand_floor_capacities_and_cap():
    result = solve(scenario(**DY_SHORT))
    assert result.status == Status.INFEASIBLE
    assert not result.has_plan and result.exit_code == 3
    first = result.diagnosis[0]
    assert first.startswith("Dy2O3 2026-01: demand of 100 t and the stockpile floor of 200 t")
    assert "need 300 t, but at most 60 t can be had" in first
    assert "IN-IREL capacity 30 t/month" in first
    assert "AU-LYN arrives only from 2026-03 (lead time 2 months)" in first
    assert "CN capped at 50% of arrivals per month" in first
    assert any(s.startswith("One irreducible conflict (HiGHS IIS): ") for s in result.diagnosis)


def test_pyomo_engine_reports_infeasible_with_the_same_diagnosis():
    result = solve(scenario(**DY_SHORT), engine="pyomo")
    assert result.status == Status.INFEASIBLE
    assert "at most 60 t can be had" in result.diagnosis[0]


def test_a_material_nobody_offers():
    result = solve(
        scenario(
            suppliers=[{"supplier": "A", "country": "CN"}],
            offers=[{"supplier": "A", "material": "Nd", "price_usd_per_t": 1}],
            materials=[{"material": "Nd"}, {"material": "Tb"}],
            demand={"Nd": [1, 1, 1], "Tb": [0, 2, 0]},
        )
    )
    assert result.status == Status.INFEASIBLE
    assert result.diagnosis[0].startswith(
        "Tb 2026-01..2026-02: demand of 2 t cannot be met: at most 0 t can be had by then"
    )
    assert "no supplier offers it" in result.diagnosis[0]


def test_a_floor_above_the_storage_capacity():
    # Three months of cover of 10 t/month is 30 t, but only 25 t can be stored.
    result = solve(
        scenario(
            materials=[{"material": "Sm", "storage_capacity_t": 25, "cover_months": 3}],
            suppliers=[{"supplier": "A", "country": "CN"}],
            offers=[{"supplier": "A", "material": "Sm", "price_usd_per_t": 1}],
            demand={"Sm": [10, 10, 10]},
        )
    )
    assert result.status == Status.INFEASIBLE
    assert result.diagnosis[0] == (
        "Sm 2026-01: the stockpile floor of 30 t exceeds the storage capacity of 25 t."
    )
    assert "storage-capacity (Sm)" in result.diagnosis[-1]


def test_cli_exits_3_and_writes_only_the_summary(tmp_path, capsys):
    folder = scenario(**DY_SHORT).write(tmp_path / "scenario")
    out = tmp_path / "out"
    assert main(["solve", str(folder), "--out", str(out)]) == 3
    printed = " ".join(capsys.readouterr().out.split())  # lines wrapped to 100 columns
    assert "infeasible" in printed and "at most 60 t can be had" in printed
    assert sorted(p.name for p in out.iterdir()) == ["summary.json"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "infeasible"
    assert summary["objective_usd"] is None
    assert "at most 60 t can be had" in summary["diagnosis"][0]


def test_a_diagnosis_names_the_processing_units_that_make_a_material():
    # 10 t of Nd a month; nobody sells Nd; the separation plant makes 0.3 t per t of ore and
    # takes at most 20 t of ore a month: at most 6 t of Nd.
    result = solve(
        scenario(
            1,
            materials=[{"material": "Nd"}, {"material": "Ore"}],
            suppliers=[{"supplier": "A", "country": "AU"}],
            offers=[{"supplier": "A", "material": "Ore", "price_usd_per_t": 10}],
            demand={"Nd": [10]},
            processes=[{"process": "SEP", "country": "IN", "capacity_t_per_month": 20}],
            process_io=[
                {"process": "SEP", "material": "Ore", "direction": "input", "t_per_t": 1},
                {"process": "SEP", "material": "Nd", "direction": "output", "t_per_t": 0.3},
            ],
        )
    )
    assert result.status == Status.INFEASIBLE
    assert result.diagnosis[0].startswith(
        "Nd 2026-01: demand of 10 t cannot be met: at most 6 t can be had by then"
    )
    assert "SEP makes at most 6 t/month" in result.diagnosis[0]


def test_a_budget_too_small_for_demand_is_named():
    # 30 t at 5/t need USD 150 in 2026; the budget allows USD 100, so 20 t.
    sc = scenario(
        3,
        materials=[{"material": "X"}],
        suppliers=[{"supplier": "A", "country": "CN"}],
        offers=[{"supplier": "A", "material": "X", "price_usd_per_t": 5}],
        demand={"X": [10, 10, 10]},
        budget_usd_per_year=100,
    )
    result = solve(sc)
    assert result.status == Status.INFEASIBLE
    first, conflict = result.diagnosis
    assert first.startswith("X 2026-01..2026-03: demand of 30 t cannot be met: at most 20 t")
    assert "an annual budget of USD 100" in first
    assert "annual-budget (USD 100 in 2026)" in conflict


def test_a_contract_is_a_reason_and_does_not_hide_spot_capacity():
    # Y: 10 t a month due; A offers 2 t a month spot and, under contract K, 3 t more a month.
    sc = scenario(
        2,
        materials=[{"material": "Y"}],
        suppliers=[{"supplier": "A", "country": "AU"}],
        offers=[{"supplier": "A", "material": "Y", "price_usd_per_t": 5,
                 "capacity_t_per_month": 2}],
        contracts=[{"contract": "K", "supplier": "A", "material": "Y", "fixed_cost_usd": 1,
                    "max_t_per_month": 3, "price_usd_per_t": 4}],
        demand={"Y": [10, 10]},
    )  # fmt: skip
    result = solve(sc)
    assert result.status == Status.INFEASIBLE
    assert "A capacity 2 t/month" in result.diagnosis[0]
    assert "contract K at most 3 t/month if signed" in result.diagnosis[0]
