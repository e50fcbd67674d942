"""Policy prices re-solved one unit away (optimizer.results.policy_probes): a degenerate vertex
and a floor out of reach derived by hand, an offer that enters only with a plant built, and
every probed price against two independent cold solves on generated scenarios."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from builders import FLOORED, scenario

from optimizer import Status, solve
from optimizer.inputs.synthetic import synthetic_scenario
from optimizer.results.policy_probes import INFEASIBLE, RESOLVED, RESOLVED_FREE
from optimizer.results.summary_text import format_summary

CAP, FLOOR, OFFER = "country-share-cap", "stockpile-floor", "offer-price"


def rows(result, policy):
    table = result.policy
    return table[table["policy"] == policy].reset_index(drop=True)


def objective(sc) -> float:
    """An independent cold solve (no probes), optimal or infeasible (inf)."""
    result = solve(sc, probe_limit=0)
    if result.status == Status.INFEASIBLE:
        return math.inf
    assert result.status == Status.OPTIMAL
    return result.objective_usd


def with_cap(sc, country, material, share):
    caps = pd.concat(
        [sc.country_caps, pd.DataFrame([{"country": country, "material": material,
                                         "max_share": share}])],
        ignore_index=True,
    ).drop_duplicates(["country", "material"], keep="last")  # fmt: skip
    return sc.with_changes(country_caps=caps)


def with_cover(sc, material, cover):
    materials = sc.materials.copy()
    materials.loc[materials["material"] == material, "cover_months"] = cover
    return sc.with_changes(materials=materials)


def with_price(sc, offer_row, price):
    offers = sc.offers.copy()
    offers.loc[offers.index[offer_row], "price_usd_per_t"] = price
    return sc.with_changes(offers=offers)


# One material, 100 t a month for 12 months; China 300/t unlimited, Russia 400/t up to 50 t a
# month, India 500/t up to 30; China at most 50% of each month's arrivals; two months' cover
# (200 t) from the start, 200 t in stock, holding 2/t-month. No closing credit: with the default
# ("floor") the 200 t left at the end would be credited at 300/t, a constant -60,000 that moves
# no price here; leaving it out keeps the optimum at 12 x (50 x 300 + 50 x 400) + 12 x 200 x 2
# = 424,800. Every month buys exactly its demand: 50 t from China, 50 from Russia.
DEGENERATE = dict(
    materials=[{"material": "Dy", "initial_stock_t": 200, "holding_cost_usd_per_t_month": 2}],
    suppliers=[{"supplier": "CN1", "country": "CN"}, {"supplier": "RU1", "country": "RU"},
               {"supplier": "IN1", "country": "IN"}],
    offers=[{"supplier": "CN1", "material": "Dy", "price_usd_per_t": 300},
            {"supplier": "RU1", "material": "Dy", "price_usd_per_t": 400,
             "capacity_t_per_month": 50},
            {"supplier": "IN1", "material": "Dy", "price_usd_per_t": 500,
             "capacity_t_per_month": 30}],
    demand={"Dy": [100] * 12},
    caps=[{"country": "CN", "max_share": 0.5}],
    cap_window="month",
    stockpile_cover_months=2.0,
    closing_stock_credit="none",
)  # fmt: skip


@pytest.fixture(scope="module")
def degenerate():
    result = solve(scenario(12, **DEGENERATE))
    assert result.objective_usd == pytest.approx(424_800)
    return result


def test_a_degenerate_cap_is_priced_on_each_side(degenerate):
    # Each month's cap row binds, and so do Russia's capacity and the floor: the vertex is
    # degenerate and the dual HiGHS returns lies anywhere between the two one-sided prices.
    # One point lower in month t (China <= 49 t of 100): a tonne moves from China to India,
    # +200. Carrying a tonne bought in t-1 instead costs more (India in t-1 is needed to let
    # China grow there too: 202 and up). One point higher (China <= 51): a tonne moves from
    # Russia to China, -100; buying 102.04 t (China 52.04, Russia 50) and carrying 2.04 t into
    # t+1, whose cap then takes 48.98 + 48.98, saves only 306 + 408 - 612 - 4.08 = 97.92.
    caps = rows(degenerate, CAP)
    assert len(caps) == 12
    assert caps["marginal_cost_usd"].tolist() == pytest.approx([200] * 12)
    assert caps["saving_if_loosened_usd"].tolist() == pytest.approx([100] * 12)
    assert caps["marginal_cost_usd"].sum() == pytest.approx(2_400)
    assert caps["saving_if_loosened_usd"].sum() == pytest.approx(1_200)
    assert set(caps["price_basis"]) == {RESOLVED}
    # The duals alone are one of the many optimal ones: each within the two one-sided prices.
    duals = rows(solve(scenario(12, **DEGENERATE), probe_limit=0), CAP)
    assert set(duals["price_basis"]) == {"dual, may be one-sided"}
    assert duals["saving_if_loosened_usd"].isna().all()
    assert ((duals["marginal_cost_usd"] >= 100 - 1e-6)
            & (duals["marginal_cost_usd"] <= 200 + 1e-6)).all()  # fmt: skip


def test_a_floor_out_of_reach_one_month_higher_is_infeasible(degenerate):
    # Three months' cover needs 300 t at the end of January: 200 in stock + at most 160
    # arriving (Russia 50, India 30, China 80 = half of 160) - 100 demanded = 260. One month
    # less (100 t) buys 100 t less in January (50 x 300 + 50 x 400 = 35,000) and holds 100 t
    # less for 12 months (2,400): saves 37,400.
    floor = rows(degenerate, FLOOR).iloc[0]
    assert floor["price_basis"] == INFEASIBLE
    assert math.isinf(floor["marginal_cost_usd"])
    assert floor["saving_if_loosened_usd"] == pytest.approx(37_400)
    sc = degenerate.scenario
    assert objective(with_cover(sc, "Dy", 3.0)) == math.inf
    assert objective(with_cover(sc, "Dy", 1.0)) == pytest.approx(424_800 - 37_400)


def test_the_summary_says_what_each_price_is(degenerate):
    text = " ".join(format_summary(degenerate).split())  # lines wrapped to 100 columns
    assert "one unit; re-solved):" in text and "duals of the LP" not in text
    assert (
        "CN cap 50% on Dy in 2026-01: USD 200 per percentage point lower; "
        "saves 100 per point higher" in text
    )
    assert "no plan with a month more cover; saves 37,400 per month less" in text
    # India would replace Russia below 400 (a tonne from India lets no more come from China).
    assert "IN1 would enter Dy at USD 400/t, 20.0% below its price of USD 500/t (re-solved)" in text


def test_a_floor_priced_with_its_closing_credit():
    # From test_policy_costs: floors of 20 t in months 2-3 (two months' cover), the closing
    # stock credited up to the last floor at 100/t; optimum 3,200. A third month: 10 t more
    # bought (1,000) and held for two months (100), 10 t more credited (-1,000): +100. One
    # month: the mirror image, -100. Were the credit's limit left at 20 t, a third month
    # would cost 1,100.
    sc = scenario(**FLOORED)
    result = solve(sc)
    floor = rows(result, FLOOR).iloc[0]
    assert (floor["marginal_cost_usd"], floor["saving_if_loosened_usd"]) == pytest.approx(
        (100, 100)
    )
    assert floor["price_basis"] == RESOLVED
    assert objective(with_cover(sc, "Sm", 3.0)) - result.objective_usd == pytest.approx(100)
    assert result.objective_usd - objective(with_cover(sc, "Sm", 1.0)) == pytest.approx(100)


# Y: 10 t demanded in one month, bought at 100/t or made 1:1 from feed F by a line that only
# option X (10 t a month, 120 of capital up front) creates. F costs 95/t: making Y costs
# 120 + 10 x 95 = 1,070 > 1,000, so X is not built and F not bought. At a price p of F the
# line pays when 120 + 10 p < 1,000: F enters below 88/t, and only with X built. With X fixed
# unbuilt, the reduced cost of F says nothing of that (F is of no use without the line).
NEEDS_A_PLANT = dict(
    materials=[{"material": "Y"}, {"material": "F"}],
    suppliers=[{"supplier": "S", "country": "AU"}, {"supplier": "R", "country": "RU"}],
    offers=[{"supplier": "S", "material": "Y", "price_usd_per_t": 100},
            {"supplier": "R", "material": "F", "price_usd_per_t": 95}],
    demand={"Y": [10]},
    processes=[{"process": "P", "country": "IN", "capacity_t_per_month": 0}],
    process_io=[{"process": "P", "material": "F", "direction": "input", "t_per_t": 1},
                {"process": "P", "material": "Y", "direction": "output", "t_per_t": 1}],
    expansions=[{"option": "X", "process": "P", "capacity_t_per_month": 10,
                 "capital_cost_usd": 120}],
    capital_charge="upfront",
    mip_rel_gap=0.0,
)  # fmt: skip


def test_an_offer_that_needs_a_plant_enters_with_the_decisions_free():
    sc = scenario(1, **NEEDS_A_PLANT)
    result = solve(sc)
    assert result.objective_usd == pytest.approx(1_000)
    offer = rows(result, OFFER).set_index("supplier").loc["R"]
    assert offer["entry_basis"] == RESOLVED_FREE
    assert offer["price_usd_per_t"] - offer["cheaper_to_enter_usd_per_t"] == pytest.approx(88)
    for price, enters in ((87.5, True), (88.5, False)):
        moved = solve(with_price(sc, 1, price), probe_limit=0)
        built = moved.decisions.set_index("name").loc["X", "chosen"]
        bought = moved.plan.loc[moved.plan["supplier"] == "R", "tonnes"].sum()
        assert (bool(built), bought > 0) == (enters, enters)
    text = " ".join(format_summary(result).split())  # lines wrapped to 100 columns
    assert "R would enter F in 2026-01 at USD 88/t, 7.4% below its price of USD 95/t" in text
    assert "(re-solved with the build/sign decisions free)" in text


def test_the_probe_limit_picks_the_largest_binding_policies_first(degenerate):
    sc = degenerate.scenario
    none = solve(sc, probe_limit=0)
    assert "probe_s" not in none.timings
    one = solve(sc, probe_limit=1).policy
    probed = one[one["price_basis"].isin([RESOLVED, INFEASIBLE])]
    assert len(probed) == 1
    # The floor's dual-based price (all of it on January's floor) is the largest.
    assert probed["policy"].tolist() == [FLOOR]
    assert (one["entry_basis"] == RESOLVED).sum() == 12  # India's one offers.csv row
    assert "probe_s" in degenerate.timings


def _check_against_cold_solves(result):
    """Every probed price equals the difference of two cold solves of the scenario moved one
    unit (a cap of one (country, material) with a horizon window is one cap row)."""
    sc, base = result.scenario, result.objective_usd
    tolerance = 1e-7 * abs(base) + 0.01  # the table rounds to cents
    table = result.policy
    probed = table[table["price_basis"].isin([RESOLVED, RESOLVED_FREE, INFEASIBLE])]
    assert len(probed)
    for r in probed.itertuples():
        if r.policy == CAP:
            tighter = with_cap(sc, r.country, r.material, r.setting - 0.01)
            looser = with_cap(sc, r.country, r.material, min(r.setting + 0.01, 1.0))
        else:
            tighter = with_cover(sc, r.material, r.setting + 1)
            looser = with_cover(sc, r.material, max(r.setting - 1, 0.0))
        cost = objective(tighter) - base
        if math.isinf(cost):
            assert r.price_basis == INFEASIBLE and math.isinf(r.marginal_cost_usd)
        else:
            assert r.marginal_cost_usd == pytest.approx(cost, abs=tolerance)
        assert r.saving_if_loosened_usd == pytest.approx(base - objective(looser), abs=tolerance)
    entries = table[table["entry_basis"].isin([RESOLVED, RESOLVED_FREE])]
    offers = sc.offers
    checked = 0
    for (supplier, material, price, cut), group in entries.groupby(
        ["supplier", "material", "price_usd_per_t", "cheaper_to_enter_usd_per_t"]
    ):
        row = offers.index.get_indexer(
            offers.index[(offers["supplier"] == supplier) & (offers["material"] == material)
                         & (offers["price_usd_per_t"] == price)]
        )  # fmt: skip
        if len(row) != 1 or cut <= 0:
            continue
        step = max(1.0, 1e-3 * price)  # the entry price is settled to this
        for trial, enters in ((price - cut - step, True), (price - cut + step, False)):
            moved = solve(with_price(sc, int(row[0]), trial), probe_limit=0)
            plan = moved.plan
            bought = plan.loc[
                (plan["supplier"] == supplier) & (plan["material"] == material)
                & plan["month"].isin(group["month"]) & plan["contract"].isna(), "tonnes"
            ].sum()  # fmt: skip
            assert (bought > 1e-6) == enters, (supplier, material, trial)
        checked += 1
    return len(probed), checked


@pytest.mark.parametrize(
    "seed", [1, pytest.param(2, marks=pytest.mark.slow), pytest.param(4, marks=pytest.mark.slow)]
)
def test_probed_prices_are_differences_of_cold_solves(seed):
    sc = synthetic_scenario(3, 5, 12, seed=seed, cap_window="horizon")
    result = solve(sc, probe_limit=4)
    policies, entries = _check_against_cold_solves(result)
    assert policies >= 3 and entries >= 1


@pytest.mark.slow
def test_probed_prices_of_a_mip_are_differences_of_cold_solves():
    sc = synthetic_scenario(3, 5, 12, seed=3, cap_window="horizon", chains=1)
    sc = sc.with_changes(settings=sc.settings.with_changes(mip_rel_gap=0.0))
    result = solve(sc, probe_limit=5)
    assert result.decisions is not None
    policies, _ = _check_against_cold_solves(result)
    assert policies >= 3
