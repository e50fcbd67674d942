"""Disruption scenarios, solved as one extensive form: hand-solved cases (a marginal stock
decision, non-anticipativity, the CVaR weight, one certain scenario), delayed orders, released
floors, sampled paths, validation and the written tables."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from builders import scenario

from models.data import compile_scenario
from models.risk import BASE, explicit_tree, released_months, resolve_effects, sampled_tree
from optimizer import solve
from optimizer.cli.main import main
from optimizer.inputs.problems import ScenarioError
from optimizer.results.scenario_rows import path_rows

BAN = {"scenario": "ban", "probability": 0.3, "event": "ban", "start_month": "2026-03",
       "months": 2}  # fmt: skip


def ban_case(holding=40.0, weight=0.0, alpha=0.95, scenarios=(BAN,), effect=None, **extra):
    """X: 10 t a month for 4 months. China sells at 100, Australia at 300, both without lead
    time or limit. A ban on China may come in March for two months (probability 0.3)."""
    return scenario(
        4,
        materials=[{"material": "X", "holding_cost_usd_per_t_month": holding}],
        suppliers=[{"supplier": "C", "country": "CN"}, {"supplier": "A", "country": "AU"}],
        offers=[{"supplier": "C", "material": "X", "price_usd_per_t": 100},
                {"supplier": "A", "material": "X", "price_usd_per_t": 300}],
        demand={"X": [10, 10, 10, 10]},
        events=[{"event": "ban"}],
        event_effects=[effect or {"event": "ban", "country": "CN", "capacity_factor": 0}],
        risk_scenarios=list(scenarios),
        risk_weight=weight,
        cvar_alpha=alpha,
        closing_stock_credit="none",
        **extra,
    )  # fmt: skip


def stock_in(result, name: str, month: str) -> float:
    stock = result.risk_stock
    row = stock[(stock["scenario"] == name) & (stock["month"] == month)]
    return float(row["stock_t"].iloc[0])


@pytest.mark.parametrize(
    ("holding", "stocked", "expected"),
    [(40.0, 10.0, 5000.0), (25.0, 20.0, 4750.0)],
)
def test_the_stock_before_a_possible_ban_follows_the_critical_fractile(holding, stocked, expected):
    # A tonne bought at 100 in February and held costs h a month. Without a ban (p = 0.7) it
    # only replaces a later purchase at 100; with one (p = 0.3) it replaces Australia's 300.
    # The first 10 t serve March: expected net cost h - 0.3 x 200 = h - 60 per tonne; the next
    # 10 t serve April, held a month more: 2h - 60. So stock 10 t when 30 <= h < 60 and 20 t
    # when h < 30. h = 40: base 3,000 + 400 + 1,000 = 4,400, ban 3,400 + 3,000 = 6,400,
    # expected 5,000. h = 25: 40 t from China, 20 t held in February and 10 t in March, in
    # both paths: 4,000 + 25 x 30 = 4,750.
    result = solve(ban_case(holding))
    assert result.violations == []
    assert stock_in(result, "ban", "2026-02") == pytest.approx(stocked)
    assert result.objective_usd == pytest.approx(expected)


def test_decisions_before_an_onset_are_shared_by_the_scenarios_that_cannot_tell_them_apart():
    # Bans from February (p 0.2) and from March (p 0.3), and none (p 0.5). January's orders are
    # one decision for all three; February's are one for "march" and "base", which cannot yet
    # tell themselves apart, and differ for "feb", which knows.
    early = {**BAN, "scenario": "feb", "probability": 0.2, "start_month": "2026-02", "months": 3}
    result = solve(ban_case(40.0, scenarios=(early, {**BAN, "scenario": "march"})))
    plan = result.risk_plan.groupby(["scenario", "month"])["tonnes"].sum().unstack(0).fillna(0)
    assert plan.loc["2026-01", "feb"] == plan.loc["2026-01", "march"] == plan.loc["2026-01", BASE]
    assert plan.loc["2026-02", "march"] == pytest.approx(plan.loc["2026-02", BASE])
    stock = result.risk_stock.pivot(index="month", columns="scenario", values="stock_t")
    assert stock.loc["2026-02", "march"] == pytest.approx(stock.loc["2026-02", BASE])
    assert stock.loc["2026-01", "feb"] == pytest.approx(stock.loc["2026-01", BASE])


def test_a_risk_weight_buys_a_lower_cvar_at_a_higher_expected_cost():
    # alpha = 0.7: the tail is the costliest 30%, exactly the ban. With y t stocked in February
    # (10 <= y <= 20): base costs 3,600 + 80y, ban 7,600 - 120y; expected 4,800 + 20y. With
    # lambda = 0.5 the objective 4,800 + 20y + 0.5 (7,600 - 120y) falls with y: y = 20, both
    # paths 5,200, objective 5,200 + 2,600 = 7,800. Without it: y = 10, expected 5,000, CVaR
    # 6,400.
    neutral, averse = solve(ban_case(alpha=0.7)), solve(ban_case(weight=0.5, alpha=0.7))
    assert neutral.risk_summary["expected_cost_usd"] == pytest.approx(5000)
    assert neutral.risk_summary["cvar_usd"] == pytest.approx(6400)
    assert averse.objective_usd == pytest.approx(7800)
    assert averse.risk_summary["expected_cost_usd"] == pytest.approx(5200)
    assert averse.risk_summary["cvar_usd"] == pytest.approx(5200)
    assert stock_in(averse, "ban", "2026-02") == pytest.approx(20)


def test_one_certain_scenario_is_the_deterministic_plan_with_its_events():
    # The ban with probability 1 is known from the start: the plan equals the deterministic
    # one where China offers nothing for March and April.
    certain = solve(ban_case(scenarios=({**BAN, "probability": 1.0},)))
    assert certain.risk_summary["scenarios"] == 1
    deterministic = ban_case(scenarios=())
    offers = pd.concat([deterministic.offers, pd.DataFrame({
        "supplier": ["C", "C"], "material": ["X", "X"], "month": ["2026-03", "2026-04"],
        "price_usd_per_t": [100.0, 100.0], "capacity_t_per_month": [0.0, 0.0]})],
        ignore_index=True)  # fmt: skip
    plain = solve(deterministic.with_changes(offers=offers), probe_limit=0)
    # Stock 20 t by February (h = 40 < 200/2) rather than 300/t from Australia:
    # 4,000 + 40 x (20 + 10) = 5,200.
    assert plain.objective_usd == pytest.approx(5200)
    assert certain.objective_usd == pytest.approx(plain.objective_usd)


def test_an_order_placed_during_a_delay_lands_later_at_its_usual_price():
    # Delay instead of a ban, known for certain: China's orders placed in March and April land
    # a month later. March's order lands in April, at March's price; April's would land in
    # May, after the horizon, so it cannot be placed. March is served from 10 t bought in
    # February and held (100 + 40 beats Australia's 300): 40 t at 100 and 10 t held a month,
    # 4,000 + 400 = 4,400.
    delay = {"event": "ban", "country": "CN", "extra_lead_months": 1}
    result = solve(ban_case(scenarios=({**BAN, "probability": 1.0},), effect=delay))
    plan = result.risk_plan
    china = plan[plan["supplier"] == "C"].set_index("month")["tonnes"]
    assert china.get("2026-03", 0.0) == pytest.approx(0.0)  # nothing lands in March
    assert result.violations == []
    assert china["2026-04"] == pytest.approx(10.0)  # March's order, landed in April
    orders = plan[plan["supplier"] == "C"].set_index("month")["order_month"]
    assert orders["2026-04"] == "2026-03"
    assert result.objective_usd == pytest.approx(4400)


def test_a_floor_is_released_while_an_event_cuts_supply_and_refilled_after():
    # One month of cover from January; a ban certain in February-March: the floor is released
    # while it lasts and, with one month to refill, in April too.
    feb = {**BAN, "probability": 1.0, "start_month": "2026-02"}
    sc = ban_case(scenarios=(feb,), stockpile_cover_months=1.0, refill_months=1)
    data = compile_scenario(sc)
    tree = explicit_tree(sc, data.months)
    effects = resolve_effects(sc, data, tree.events)
    assert released_months(tree, effects, 0, refill=1)[0].tolist() == [False, True, True, True]
    assert released_months(tree, effects, 0, refill=0)[0].tolist() == [False, True, True, False]
    # Solved: January buys for February and March too (100 + 40 a month beats Australia's 300)
    # and the stock runs down to 0 in March, under the one month of cover the floor would
    # ask for were it not released; April's floor (10 t, released) is not held either.
    result = solve(sc)
    assert stock_in(result, "ban", "2026-01") == pytest.approx(20)
    assert stock_in(result, "ban", "2026-03") == pytest.approx(0)
    assert result.objective_usd == pytest.approx(4000 + 40 * (20 + 10))


def test_sampled_paths_merge_and_repeat_by_seed():
    sc = ban_case(scenarios=(), samples=200, seed=7)
    sc = sc.with_changes(events=sc.events.assign(monthly_probability=0.2, months=2.0))
    months = compile_scenario(sc).months
    first, again = sampled_tree(sc, months), sampled_tree(sc, months)
    assert first.names == again.names and np.array_equal(first.active, again.active)
    assert first.probability.sum() == pytest.approx(1.0)
    assert len(np.unique(first.active.reshape(first.size, -1), axis=0)) == first.size
    assert BASE in first.names and first.size <= 16  # 4 months: few distinct paths


def test_risk_inputs_are_validated():
    with pytest.raises(ScenarioError) as caught:
        ban_case(scenarios=(
            {**BAN, "probability": 0.8},
            {**BAN, "scenario": "other", "probability": 0.5},
            {**BAN, "scenario": "base"},
            {**BAN, "scenario": "other", "probability": 0.4, "start_month": "2026-01"},
        ), effect={"event": "ban", "country": "CN"})  # fmt: skip
    text = str(caught.value)
    assert "risk_scenarios.csv: probability: the scenarios' probabilities sum to" in text
    assert "'base' is the undisrupted scenario" in text
    assert "differs from 0.5 on the scenario's first row" in text
    assert "event_effects.csv:2: the row changes nothing" in text


def test_the_cli_writes_the_risk_tables(tmp_path, capsys):
    folder = ban_case().write(tmp_path / "risk")
    out = tmp_path / "out"
    assert main(["solve", str(folder), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Disruption risk over 2 scenarios" in printed
    risk = pd.read_csv(out / "risk.csv")
    assert risk["scenario"].tolist() == ["ban", BASE]
    assert risk["cost_usd"].tolist() == pytest.approx([6400, 4400])
    summary = json.loads((out / "summary.json").read_text())
    assert summary["risk"]["expected_cost_usd"] == pytest.approx(5000)
    # plan.csv and stock.csv: the rows decided before the ban once, under base; the ban's
    # own from its onset (risk.csv), so each scenario's whole table comes back as solved
    assert not (out / "risk_plan.csv").exists()
    plan, stock = pd.read_csv(out / "plan.csv"), pd.read_csv(out / "stock.csv")
    onset = risk.set_index("scenario")["onset_month"]
    assert onset.isna()[BASE] and onset["ban"] == "2026-03"
    assert (stock[stock["scenario"] == "ban"]["month"] >= "2026-03").all()
    assert set(stock[stock["scenario"] == BASE]["month"]) == set(stock["month"])
    assert (plan[plan["scenario"] == "ban"]["order_month"] >= "2026-03").all()
    result = solve(ban_case())
    for name in ("ban", BASE):
        whole = path_rows(stock, name, None if name == BASE else "2026-03")
        solved = result.risk_stock[result.risk_stock["scenario"] == name]
        assert whole["stock_t"].tolist() == pytest.approx(solved["stock_t"].tolist())
        assert whole["month"].tolist() == solved["month"].tolist()


def test_vss_and_evpi_by_hand():
    # VSS: the plan made without events buys 10 t a month and holds nothing; fixed through
    # February, the ban path buys 20 t from Australia: 0.7 x 4,000 + 0.3 x 8,000 = 5,200,
    # 200 above the stochastic 5,000. EVPI: knowing the ban, it stocks 20 t by February
    # (4,000 + 40 x 30 = 5,200); wait-and-see 0.7 x 4,000 + 0.3 x 5,200 = 4,360: 640.
    risk = solve(ban_case()).risk_summary
    assert risk["vss_usd"] == pytest.approx(200)
    assert risk["vss_expected_cost_usd"] == pytest.approx(200)
    assert risk["evpi_usd"] == pytest.approx(640)


def test_vss_fixes_the_whole_undisrupted_path_not_only_what_every_scenario_shares():
    # Bans from February (Feb-Mar, p 0.2) and from March (Mar-Apr, p 0.3), and none (p 0.5).
    # The plan made without events buys 10 t a month from China and holds nothing. Fixed on
    # every node before an event has begun: "feb" keeps January's 10 t and buys February and
    # March from Australia (1,000 + 6,000 + 1,000); "march" keeps January and February (the
    # March ban is not yet known there) and buys March and April from Australia (2,000 +
    # 6,000); base follows it throughout (4,000): 0.2 x 8,000 + 0.3 x 8,000 + 0.5 x 4,000.
    # Fixing only what all three share (January) would let February stock up for "march".
    early = {**BAN, "scenario": "feb", "probability": 0.2, "start_month": "2026-02"}
    result = solve(ban_case(40.0, scenarios=(early, {**BAN, "scenario": "march"})))
    risk = result.risk_summary
    assert result.risk["scenario"].tolist() == ["feb", "march", BASE]
    eev_expected = 0.2 * 8000 + 0.3 * 8000 + 0.5 * 4000
    assert risk["vss_expected_cost_usd"] == pytest.approx(eev_expected - risk["expected_cost_usd"])
    assert risk["vss_usd"] > 0


@pytest.mark.parametrize(("seed", "chains", "weight"), [(0, 0, 0.0), (1, 0, 0.5), (2, 1, 0.0)])
def test_vss_and_evpi_are_never_negative_on_generated_cases(seed, chains, weight):
    from optimizer.inputs.synthetic import synthetic_scenario

    base = synthetic_scenario(3, 4, 12, seed=seed, chains=chains)
    country = base.suppliers["country"].iloc[0]
    rows = [
        {"scenario": "early", "probability": 0.2, "event": "cut", "start_month": base.horizon[3],
         "months": 3},
        {"scenario": "late", "probability": 0.3, "event": "cut", "start_month": base.horizon[7],
         "months": 4},
    ]  # fmt: skip
    sc = base.with_changes(
        events=pd.DataFrame({"event": ["cut"], "description": [""], "monthly_probability": [0.0],
                             "mean_months": [np.nan], "months": [np.nan],
                             "earliest_month": [None]}),
        event_effects=pd.DataFrame({"event": ["cut"], "country": [country], "supplier": [None],
                                    "material": [None], "capacity_factor": [0.0],
                                    "price_factor": [1.5], "extra_lead_months": [0]}),
        risk_scenarios=pd.DataFrame(rows),
        settings=base.settings.with_changes(risk_weight=weight),
    )  # fmt: skip
    result = solve(sc)
    risk = result.risk_summary
    assert result.status.value == "optimal" and result.violations == []
    assert risk["evpi_usd"] >= -1e-6 * abs(result.objective_usd)
    assert risk["vss_usd"] == "infinite" or risk["vss_usd"] >= -1e-6 * abs(result.objective_usd)


def test_a_partial_cut_of_an_unlimited_capacity_is_refused():
    with pytest.raises(ScenarioError) as caught:
        ban_case(effect={"event": "ban", "country": "CN", "capacity_factor": 0.5})
    assert "event_effects.csv:2: capacity_factor: 0.5 scales an unlimited capacity (C X)" in str(
        caught.value
    )


def test_released_months_are_not_counted_as_floors_missed():
    feb = {**BAN, "probability": 1.0, "start_month": "2026-02"}
    result = solve(ban_case(scenarios=(feb,), stockpile_cover_months=1.0, refill_months=1))
    stock = result.risk_stock.set_index("month")
    assert stock["floor_applies"].tolist() == [True, False, False, False]
    assert result.verdict()["kind"] != "floor not reached"


@pytest.mark.slow
def test_what_does_not_handle_risk_yet_refuses_instead_of_guessing(tmp_path, capsys):
    folder = ban_case().write(tmp_path / "risk")
    assert main(["solve", str(folder), "--engine", "pyomo", "--out", str(tmp_path / "o")]) == 2
    assert "only the HiGHS extensive form runs so far" in capsys.readouterr().err
    sweep = tmp_path / "s.toml"
    sweep.write_text(
        'name = "s"\nscenario = "risk"\ndesign = "grid"\n[[parameter]]\nname = "p"\n'
        'path = "offers.price_usd_per_t[supplier=C]"\nvalues = [90, 100]\n'
    )
    assert not (tmp_path / "o").exists()
    # A sweep of a risk plan solves each point as the extensive form (tests/test_risk_sweep.py)
    assert main(["sweep", str(sweep), "--out", str(tmp_path / "sw"), "--workers", "1",
                 "--no-progress"]) == 0  # fmt: skip
    table = pd.read_csv(tmp_path / "sw" / "results.csv")
    assert table["status"].tolist() == ["optimal", "optimal"]
    expected = [solve(ban_case(), probe_limit=0).risk_summary["expected_cost_usd"]]
    assert table["expected_cost_usd"].iloc[1] == pytest.approx(expected[0])
    assert {"cvar_usd", "worst_case_usd", "probability_of_shortfall"} <= set(table.columns)


def test_what_the_stockpile_is_worth_by_hand():
    # One month of cover from January, released while the ban lasts (no refill). A tonne
    # bought in February beyond the floor costs 40 in the base path (it only replaces a March
    # purchase the floor needs anyway, a month earlier) and saves 300 - 180 = 120 in the ban
    # path (April from stock, not Australia): 0.7 x 40 - 0.3 x 120 < 0, so February buys
    # 20 t. Base: 50 t at 100, 50 t-months held: 5,000 + 2,000 = 7,000. Ban: 40 t at 100,
    # 30 t-months: 4,000 + 1,200 + 400 = 5,600. Expected 0.7 x 7,000 + 0.3 x 5,600 = 6,580.
    # Without floors: 5,000 (the first test); the plan made without events, without floors:
    # 5,200 (VSS 200). Before the March onset the plan without floors holds 10 t: one month
    # of March's demand.
    from optimizer.results.stockpile_value import stockpile_value

    sc = ban_case(stockpile_cover_months=1.0, refill_months=0)
    figures, cover = stockpile_value(sc)
    table = figures.set_index(["plan", "floors"])["objective_usd"]
    assert table[("stochastic", "with the floors")] == pytest.approx(6580)
    assert table[("stochastic", "without floors")] == pytest.approx(5000)
    assert table[("made without events", "without floors")] == pytest.approx(5200)
    assert table[("made without events", "with the floors")] >= 6580 - 1e-6
    march = cover.set_index(["material", "onset_month"]).loc[("X", "2026-03")]
    assert march["cover_months"] == pytest.approx(1.0) and march["probability"] == 0.3


def test_a_scenario_that_cannot_be_served_is_named_with_its_conflict():
    # Without Australia nothing replaces China during a ban from January, and demand must be
    # met. (A ban in March alone would be served: the plan stocks up for it in every scenario.)
    sc = ban_case(scenarios=({**BAN, "start_month": "2026-01"},))
    sc = sc.with_changes(offers=sc.offers[sc.offers["supplier"] == "C"].reset_index(drop=True))
    result = solve(sc)
    assert result.status.value == "infeasible"
    assert result.diagnosis[0].startswith("No plan can serve the disruption scenario ban,")
    assert any("X" in line for line in result.diagnosis[1:])


@pytest.mark.parametrize(
    "case", ["hand", "hand-cvar", "hand-delay", "generated-lp", "generated-mip", "generated-delay"]
)
def test_the_pyomo_extensive_form_agrees(case):
    """Scenario blocks tied by explicit equalities (Pyomo) against nodes merged into one column
    (the fast engine): the same optimum."""
    from models.pyomo_risk import solve_extensive_pyomo
    from models.risk import resolve_effects, scenario_data
    from models.risk_engine import risk_tree, solve_risk
    from models.solution import SolveOptions
    from optimizer.inputs.synthetic import synthetic_scenario

    if case.startswith("hand"):
        early = {**BAN, "scenario": "feb", "probability": 0.2, "start_month": "2026-02"}
        delay = {"event": "ban", "country": "CN", "extra_lead_months": 1, "price_factor": 1.1}
        sc = ban_case(weight=0.5 if case == "hand-cvar" else 0.0, alpha=0.7,
                      scenarios=(early, {**BAN, "scenario": "march"}),
                      effect=delay if case == "hand-delay" else None,
                      stockpile_cover_months=1.0)  # fmt: skip
    else:
        chains = 0 if case.endswith("lp") else 1
        base = synthetic_scenario(3, 4, 12, seed=3, chains=chains)
        country = base.suppliers["country"].iloc[0]
        delayed = case.endswith("delay")  # orders land 2 months late: some land together
        sc = base.with_changes(
            events=pd.DataFrame({"event": ["cut"], "description": [""],
                                 "monthly_probability": [0.0], "mean_months": [np.nan],
                                 "months": [np.nan], "earliest_month": [None]}),
            event_effects=pd.DataFrame({"event": ["cut"], "country": [country],
                                        "supplier": [None], "material": [None],
                                        "capacity_factor": [0.5 if delayed else 0.0],
                                        "price_factor": [1.3],
                                        "extra_lead_months": [2 if delayed else 0]}),
            risk_scenarios=pd.DataFrame([
                {"scenario": "a", "probability": 0.25, "event": "cut",
                 "start_month": base.horizon[4], "months": 3},
                {"scenario": "b", "probability": 0.25, "event": "cut",
                 "start_month": base.horizon[6], "months": 5}]),
        )  # fmt: skip
    data = compile_scenario(sc)
    settings = sc.settings
    fast = solve_risk(sc, data, SolveOptions(threads=1), values=False)
    tree = risk_tree(sc, data.months)
    effects = resolve_effects(sc, data, tree.events)
    datas = [scenario_data(data, sc, tree, effects, s) for s in range(tree.size)]
    if case.endswith("delay"):  # two orders of one offer land in one month somewhere
        spot = datas[0].arrive["contract_k"] < 0
        landing = [d.arrive.loc[spot, ["material", "supplier", "month"]] for d in datas]
        assert any(frame.duplicated().any() for frame in landing)
    status, objective = solve_extensive_pyomo(
        data, datas, tree, settings.risk_weight, settings.cvar_alpha, SolveOptions(threads=1)
    )
    assert fast.status.value == status.value == "optimal"
    assert objective == pytest.approx(fast.objective, rel=1e-7)


def test_compare_shows_the_risk_figures_beside_a_plan_without_them():
    from optimizer.results.compare import compare

    risky = solve(ban_case())
    plain = solve(ban_case(scenarios=()), probe_limit=0)
    headline = compare([risky, plain]).headline.set_index("metric")
    row = headline.loc["expected cost"]
    assert row.iloc[-3] == pytest.approx(5000) and np.isnan(row.iloc[-2])
    assert headline.loc["CVaR"].iloc[-3] == pytest.approx(6400)
    assert headline.loc["probability of shortfall"].iloc[-3] == 0


def test_the_report_has_a_risk_section(tmp_path, capsys):
    folder = ban_case().write(tmp_path / "risk")
    out = tmp_path / "out"
    assert main(["solve", str(folder), "--out", str(out), "--stockpile-value"]) == 0
    assert main(["report", str(out)]) == 0
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "Over 2 scenarios: expected cost USD 5,000, CVaR at 95% USD 6,400" in page
    assert "What the stockpile is worth" in page and "made without events" in page
    assert (out / "charts" / "risk-stock.png").stat().st_size > 0
    assert (out / "charts" / "risk-costs.png").stat().st_size > 0
    assert 'id="chart-risk-stock"' in page and 'id="chart-risk-costs"' in page
    capsys.readouterr()


def test_events_without_scenarios_are_said_to_be_unused():
    from optimizer.results.summary_text import format_summary

    result = solve(ban_case(scenarios=()), probe_limit=0)
    assert result.risk is None
    assert "events.csv lists 1 events, but no scenario uses them" in format_summary(result)


def test_validate_and_the_summary_say_what_the_risk_inputs_are(tmp_path, capsys):
    from optimizer.results.summary_text import format_summary

    folder = ban_case().write(tmp_path / "risk")
    assert main(["validate", str(folder)]) == 0
    assert "; 1 events, 1 disruption scenarios (and base for what they leave over)" in (
        " ".join(capsys.readouterr().out.split())  # wrapped to 100 columns
    )
    text = format_summary(solve(ban_case()))
    assert "Expected cost" in text and "Total cost" not in text


def test_a_delayed_order_is_decided_in_its_order_month_not_its_landing_month():
    # China's orders are delayed a month from March: for one month (p 0.3) or two (p 0.3),
    # or not at all. China sells at 100, in April at 90. A March order lands in April in both
    # delayed paths, and is placed before they can be told apart (from April). With one month
    # of delay April's own order lands in April at 90; with two it would land after the
    # horizon, so April's demand needs March's order (or Australia at 300). Knowing its delay
    # is short, a path would skip March's order (saving 10 x 10); not knowing, both place it
    # (a skipped order costs the long path 10 x 200). Decided in the landing month, the
    # paths would split.
    short = {**BAN, "months": 1, "scenario": "short"}
    long = {**BAN, "months": 2, "scenario": "long"}
    delay = {"event": "ban", "country": "CN", "extra_lead_months": 1}
    sc = ban_case(scenarios=(short, long), effect=delay)
    dated = {"supplier": "C", "material": "X", "month": "2026-04", "price_usd_per_t": 90,
             "capacity_t_per_month": float("inf")}  # fmt: skip
    sc = sc.with_changes(offers=pd.concat([sc.offers, pd.DataFrame([dated])], ignore_index=True))
    result = solve(sc)
    assert result.violations == []
    plan = result.risk_plan
    march = plan[(plan["order_month"] == "2026-03") & (plan["supplier"] == "C")]
    tonnes = march.groupby("scenario")["tonnes"].sum()
    assert tonnes["short"] == pytest.approx(10.0)
    assert tonnes["long"] == pytest.approx(10.0)
