"""The supply chain's pieces on tiny instances whose optimum is derived by hand: yields and
co-products, take-or-pay, an expansion's lead time, exclusive and prerequisite options, the
annual budget, and a MIP stopped by a limit, with and without a plan. Both engines where it
matters."""

from __future__ import annotations

from pathlib import Path

import pytest
from builders import scenario
from helpers import ENGINES, solved

from optimizer import Status, solve
from optimizer.inputs.synthetic import synthetic_scenario
from optimizer.results.summary_text import format_summary


def chosen(result, kind):
    decisions = result.decisions
    return sorted(decisions.loc[(decisions["kind"] == kind) & decisions["chosen"], "name"])


@pytest.mark.parametrize("engine", ENGINES)
def test_yield_and_co_product_balance(engine):
    # One month. Nd: 3 t demanded; bought at 100/t or separated from ore (10/t): 1 t of ore
    # gives 0.3 t Nd and 0.5 t La, operating cost 2/t. 10 t of ore make the 3 t of Nd for
    # 100 + 20 = 120 (40/t of Nd, below 100). The 5 t of La: 1 t sold at 4 (the market's
    # limit), 4 t disposed of at 1/t (holding them costs 2/t). 100 + 20 - 4 + 4 = 120.
    sc = scenario(
        1,
        materials=[{"material": "Nd"}, {"material": "Ore"},
                   {"material": "La", "holding_cost_usd_per_t_month": 2,
                    "sale_price_usd_per_t": 4, "sale_limit_t_per_month": 1,
                    "disposal_cost_usd_per_t": 1}],
        suppliers=[{"supplier": "A", "country": "AU"}],
        offers=[{"supplier": "A", "material": "Ore", "price_usd_per_t": 10},
                {"supplier": "A", "material": "Nd", "price_usd_per_t": 100}],
        demand={"Nd": [3]},
        processes=[{"process": "SEP", "country": "IN", "capacity_t_per_month": 100,
                    "operating_cost_usd_per_t": 2}],
        process_io=[{"process": "SEP", "material": "Ore", "direction": "input", "t_per_t": 1},
                    {"process": "SEP", "material": "Nd", "direction": "output", "t_per_t": 0.3},
                    {"process": "SEP", "material": "La", "direction": "output", "t_per_t": 0.5}],
    )  # fmt: skip
    result = solved(sc, engine)
    assert result.objective_usd == pytest.approx(120)
    assert result.processing["throughput_t"].sum() == pytest.approx(10)
    stock = result.stock.set_index("material")
    assert stock.loc["Nd", "produced_t"] == pytest.approx(3)
    assert stock.loc["Ore", "consumed_t"] == pytest.approx(10)
    assert (stock.loc["La", "produced_t"], stock.loc["La", "sold_t"]) == pytest.approx((5, 1))
    assert stock.loc["La", "disposed_t"] == pytest.approx(4)
    assert result.costs["sales_usd"] == pytest.approx(-4)
    assert result.costs["disposal_usd"] == pytest.approx(4)
    # The domestic output counts as India's supply of Nd.
    assert result.mix.set_index(["material", "country"]).loc[("Nd", "IN"), "share"] == 1


@pytest.mark.parametrize("engine", ENGINES)
def test_take_or_pay_contract_taken_below_its_minimum(engine):
    # X: 3 t in month 1, 8 t in month 2. Spot at 60/t: 11 x 60 = 660. A contract at 50/t pays
    # for at least 5 t a month: month 1 takes 3 and pays 5 (250), month 2 takes and pays 8
    # (400): 650 < 660, so it is signed and taken below its minimum in month 1 (holding
    # 100/t-month rules out taking 5 and storing 2).
    sc = scenario(
        2,
        materials=[{"material": "X", "holding_cost_usd_per_t_month": 100}],
        suppliers=[{"supplier": "A", "country": "CN"}, {"supplier": "B", "country": "AU"}],
        offers=[{"supplier": "A", "material": "X", "price_usd_per_t": 60}],
        demand={"X": [3, 8]},
        contracts=[{"contract": "K", "supplier": "B", "material": "X", "min_t_per_month": 5,
                    "max_t_per_month": 10, "price_usd_per_t": 50}],
    )  # fmt: skip
    result = solved(sc, engine)
    assert result.objective_usd == pytest.approx(650)
    assert chosen(result, "contract") == ["K"]
    row = result.decisions.set_index("name").loc["K"]
    assert (row["taken_t"], row["paid_not_taken_t"]) == pytest.approx((11, 2))
    assert result.costs["take_or_pay_usd"] == pytest.approx(100)
    assert set(result.plan["contract"]) == {"K"}


@pytest.mark.parametrize("engine", ENGINES)
def test_an_expansion_runs_only_after_its_build_lead_time(engine):
    # Product: 5 t a month for 4 months, bought at 40/t or made from feed (10/t, yield 1) by P,
    # 1 t a month. Option X adds 10 t a month after 2 months of construction, 100 up front.
    # Months 1-2: make 1, buy 4: 2 x (10 + 160) = 340. Months 3-4 with X: make 5: 2 x 50 =
    # 100, plus 100 of capital: 540 (without X: 680).
    sc = scenario(
        4,
        materials=[{"material": "Y"}, {"material": "F"}],
        suppliers=[{"supplier": "A", "country": "AU"}],
        offers=[{"supplier": "A", "material": "F", "price_usd_per_t": 10},
                {"supplier": "A", "material": "Y", "price_usd_per_t": 40}],
        demand={"Y": [5, 5, 5, 5]},
        processes=[{"process": "P", "country": "IN", "capacity_t_per_month": 1}],
        process_io=[{"process": "P", "material": "F", "direction": "input", "t_per_t": 1},
                    {"process": "P", "material": "Y", "direction": "output", "t_per_t": 1}],
        expansions=[{"option": "X", "process": "P", "capacity_t_per_month": 10,
                     "build_lead_time_months": 2, "capital_cost_usd": 100}],
        capital_charge="upfront",
    )  # fmt: skip
    result = solved(sc, engine)
    assert result.objective_usd == pytest.approx(540)
    assert chosen(result, "expansion") == ["X"]
    x = result.processing[result.processing["unit"] == "X"]
    late = result.processing[result.processing["month"] >= "2026-03"]
    # From 2026-03, P and X make Y at the same cost: how they share the 10 t is a tie.
    assert x["month"].min() == "2026-03" and x["throughput_t"].sum() >= 8 - 1e-6
    assert late["throughput_t"].sum() == pytest.approx(10)
    assert result.decisions.set_index("name").loc["X", "first_month"] == "2026-03"


def _options(group: str | None, requires: str | None, demand: float):
    # Feed 10/t (yield 1), product 100/t on the spot market, no capacity of its own (P = 0).
    # A: 10 t/month, operating 30/t, 100 capital; B: 10 t/month, 10/t, 100; C: 10 t/month,
    # 0/t, 50 (optionally requiring A). Capital up front; one month.
    return scenario(
        1,
        materials=[{"material": "Y"}, {"material": "F"}],
        suppliers=[{"supplier": "S", "country": "AU"}],
        offers=[{"supplier": "S", "material": "F", "price_usd_per_t": 10},
                {"supplier": "S", "material": "Y", "price_usd_per_t": 100}],
        demand={"Y": [demand]},
        processes=[{"process": "P", "country": "IN", "capacity_t_per_month": 0}],
        process_io=[{"process": "P", "material": "F", "direction": "input", "t_per_t": 1},
                    {"process": "P", "material": "Y", "direction": "output", "t_per_t": 1}],
        expansions=[
            {"option": "A", "process": "P", "capacity_t_per_month": 10,
             "operating_cost_usd_per_t": 30, "capital_cost_usd": 100, "exclusive_group": group},
            {"option": "B", "process": "P", "capacity_t_per_month": 10,
             "operating_cost_usd_per_t": 10, "capital_cost_usd": 100, "exclusive_group": group},
            {"option": "C", "process": "P", "capacity_t_per_month": 10,
             "operating_cost_usd_per_t": 0, "capital_cost_usd": 50, "requires": requires},
        ][: 3 if requires else 2],
        capital_charge="upfront",
    )  # fmt: skip


@pytest.mark.parametrize("engine", ENGINES)
def test_exclusive_options(engine):
    # 20 t. Both A and B: 200 + 10 x 40 + 10 x 20 = 800. Exclusive: B alone, 100 + 10 x 20 +
    # 10 t bought at 100 = 1,300 (A alone: 1,500; nothing: 2,000).
    assert solved(_options(None, None, 20), engine).objective_usd == pytest.approx(800)
    result = solved(_options("G", None, 20), engine)
    assert result.objective_usd == pytest.approx(1300)
    assert chosen(result, "expansion") == ["B"]


@pytest.mark.parametrize("engine", ENGINES)
def test_an_option_requiring_another(engine):
    # 10 t. C alone would make them for 50 + 10 x 10 = 150, but C requires A: A + C = 250,
    # cheaper than B alone (100 + 10 x 20 = 300). A is built and stays idle.
    result = solved(_options("G", "A", 10), engine)
    assert result.objective_usd == pytest.approx(250)
    assert chosen(result, "expansion") == ["A", "C"]
    assert set(result.processing["unit"]) == {"C"}


@pytest.mark.parametrize("engine", ENGINES)
def test_the_annual_budget(engine):
    # 10 t needed in January 2027; 10/t in December 2026, 30/t in 2027; holding 1/t-month;
    # shortfall 50/t. Without a budget: buy 10 in 2026 and hold them: 100 + 10 = 110. With
    # 60 a year: 6 t in 2026 (60, held: 6), 2 t in 2027 (60), 2 t short (100): 226.
    def sc(budget):
        return scenario(
            2,
            start="2026-12",
            materials=[{"material": "X", "holding_cost_usd_per_t_month": 1,
                        "shortfall_penalty_usd_per_t": 50}],
            suppliers=[{"supplier": "A", "country": "AU"}],
            offers=[{"supplier": "A", "material": "X", "price_usd_per_t": 30},
                    {"supplier": "A", "material": "X", "month": "2026-12",
                     "price_usd_per_t": 10}],
            demand={"X": [0, 10]},
            budget_usd_per_year=budget,
        )  # fmt: skip

    assert solved(sc(None), engine).objective_usd == pytest.approx(110)
    result = solved(sc(60), engine)
    assert result.objective_usd == pytest.approx(226)
    assert result.shortfall_t() == {"X": pytest.approx(2)}
    budget = result.constraints[result.constraints["family"] == "annual-budget"]
    assert budget["binding"].all() and len(budget) == 2


@pytest.mark.slow
def test_a_mip_stopped_by_its_time_limit(tmp_path):
    from optimizer.cli.main import main

    sc = synthetic_scenario(20, 15, 120, seed=1, chains=10)
    result = solve(sc, time_limit_s=0.05)
    assert result.status == Status.LIMIT
    assert result.has_plan == (result.objective_usd is not None)
    folder = sc.write(tmp_path / "mip")
    code = main(["solve", str(folder), "--out", str(tmp_path / "r"), "--time-limit", "0.05"])
    assert code == 4


@pytest.mark.slow
def test_a_mip_stopped_with_a_plan_keeps_its_best_plan_gap_and_bound(
    tmp_path, monkeypatch, shipped_result
):
    # A time limit is not deterministic, so stop HiGHS at its first improving plan instead:
    # the same 'limit' path (a solution limit), with a plan that is feasible but not optimal.
    import json

    from models import highs_engine
    from optimizer.cli.main import main

    make_highs = highs_engine.new_highs

    def stop_at_first_plan(options, algorithm):
        highs = make_highs(options, algorithm)
        highs.setOptionValue("mip_max_improving_sols", 1)
        return highs

    default = Path(__file__).resolve().parent.parent / "inputs" / "india-2026"
    optimum = shipped_result(default.name).objective_usd
    monkeypatch.setattr(highs_engine, "new_highs", stop_at_first_plan)
    result = solve(default)
    assert result.status == Status.LIMIT and result.has_plan
    assert result.violations == []  # the best plan found passes the independent re-check
    assert result.best_bound <= optimum <= result.objective_usd
    assert result.mip_gap == pytest.approx(
        (result.objective_usd - result.best_bound) / result.objective_usd, rel=1e-6
    )
    out = tmp_path / "r"
    assert main(["solve", str(default), "--out", str(out)]) == 4
    summary = json.loads((out / "summary.json").read_text())
    # The first plan may already be the optimum, but unproven: the gap to the bound is open.
    assert summary["status"] == "limit" and summary["objective_usd"] >= round(optimum, 2)
    assert summary["mip"]["gap"] > 0 and summary["mip"]["best_bound_usd"] < optimum
    assert (out / "plan.csv").exists() and (out / "decisions.csv").exists()


def test_selling_without_limit_is_unbounded_and_said_so():
    # X bought at 5 and sold at 10 with no market limit: every tonne earns 5, without end.
    sc = scenario(
        1,
        materials=[{"material": "X", "sale_price_usd_per_t": 10}],
        suppliers=[{"supplier": "A", "country": "AU"}],
        offers=[{"supplier": "A", "material": "X", "price_usd_per_t": 5}],
    )
    result = solve(sc)
    assert result.status == Status.UNBOUNDED and not result.has_plan
    assert result.exit_code == 1
    assert "(X): set sale_limit_t_per_month" in result.diagnosis[0]
    # the terminal says why, too (its lines wrapped to 100 columns)
    assert result.diagnosis[0] in " ".join(format_summary(result).split())


def test_a_contract_that_cannot_deliver_within_the_horizon_has_no_first_month():
    # B's lead time (5 months) is longer than the horizon (3): its contract can never deliver.
    sc = scenario(
        3,
        materials=[{"material": "X", "initial_stock_t": 100}],
        suppliers=[{"supplier": "A", "country": "CN"},
                   {"supplier": "B", "country": "AU", "lead_time_months": 5}],
        offers=[{"supplier": "A", "material": "X", "price_usd_per_t": 5},
                {"supplier": "B", "material": "X", "price_usd_per_t": 4}],
        contracts=[{"contract": "k1", "supplier": "B", "material": "X", "fixed_cost_usd": 1,
                    "max_t_per_month": 5, "price_usd_per_t": 3}],
        demand={"X": [10, 10, 10]},
    )  # fmt: skip
    result = solved(sc)
    row = result.decisions.set_index("name").loc["k1"]
    assert row["first_month"] is None and not row["chosen"] and row["taken_t"] == 0
