"""The price of each policy: hand-derived on tiny instances, and checked against finite
differences (re-solving with the cap, the cover or a price moved a little) on the India scenario
as an LP (``tests/fixtures/india-lp``) and on a MIP whose decisions stay put."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from builders import CAPPED, FLOORED, scenario

from optimizer import Status, load_scenario, solve

# The LP version of the India scenario (frozen before the chain): its caps and floors bind in
# every material, and an LP's basis makes the finite differences exact.
LP_SCENARIO = Path(__file__).parent / "fixtures" / "india-lp"


def rows(result, policy):
    table = result.policy_costs()
    return table[table["policy"] == policy].reset_index(drop=True)


def resolve(sc) -> float:
    result = solve(sc)
    assert result.status == Status.OPTIMAL
    return result.objective_usd


def with_cap(sc, country, material, share):
    caps = pd.concat(
        [sc.country_caps, pd.DataFrame([{"country": country, "material": material,
                                         "max_share": share}])],
        ignore_index=True,
    ).drop_duplicates(["country", "material"], keep="last")  # fmt: skip
    return sc.with_changes(country_caps=caps)


def with_price(sc, supplier, material, month, price):
    """A dated offer row overriding one month's price (capacity as in effect)."""
    offers = sc.offers
    current = offers[(offers["supplier"] == supplier) & (offers["material"] == material)]
    dated = current[current["month"] == month]
    base = dated.iloc[0] if len(dated) else current[current["month"].isna()].iloc[0]
    row = {**base.to_dict(), "month": month, "price_usd_per_t": price}
    rest = offers.drop(dated.index)
    return sc.with_changes(offers=pd.concat([rest, pd.DataFrame([row])], ignore_index=True))


@pytest.mark.slow
def test_cap_price_by_hand():
    # The 4,200 optimum of test_hand_solved: X = 35 t, China's cap of 60% binds with dual -50.
    # One percentage point less moves 0.35 t from A (100) to B (150): +17.5 USD.
    sc = scenario(**CAPPED)
    result = solve(sc)
    cap = rows(result, "country-share-cap").iloc[0]
    assert cap["marginal_cost_usd"] == pytest.approx(17.5)
    assert cap["marginal_unit"] == "USD per percentage point lower cap"
    assert resolve(with_cap(sc, "CN", "Dy", 0.59)) - result.objective_usd == pytest.approx(17.5)


def test_floor_price_by_hand():
    # From test_hand_solved: floors of 2 months (20 t) in months 2-3 with duals 5 and 105;
    # the closing stock is credited up to the last floor at 100 USD/t (bound dual -100).
    # A third month of cover raises both floors and the credit's limit by 10 t:
    # 5 x 10 + 105 x 10 - 100 x 10 = 100 USD, and indeed the optimum moves from 3,200 to 3,300.
    sc = scenario(**FLOORED)
    result = solve(sc)
    floor = rows(result, "stockpile-floor").iloc[0]
    assert (floor["material"], floor["window"], floor["setting"]) == ("Sm", "2026-02..2026-03", 2)
    assert floor["marginal_cost_usd"] == pytest.approx(100)
    more = sc.with_changes(settings=sc.settings.with_changes(stockpile_cover_months=3.0))
    assert resolve(more) == pytest.approx(3300)


def test_offer_price_ranges_by_hand():
    # From test_hand_solved: A sells at 200, B at 100 but only from month 3 (lead time 2).
    # B in month 3 stays in the plan up to A's 200, and down to 99: below that, buying month
    # 4's needs in month 3 too and holding them (1 USD) beats B's 100 in month 4. B in month 4
    # stays down to any price, up to 101: above that, buying it in month 3 and holding is cheaper.
    # A is unused in months 3-4 and must fall by 100 to tie with B.
    sc = scenario(
        4,
        materials=[{"material": "Nd", "holding_cost_usd_per_t_month": 1}],
        suppliers=[{"supplier": "A", "country": "IN"},
                   {"supplier": "B", "country": "RU", "lead_time_months": 2}],
        offers=[{"supplier": "A", "material": "Nd", "price_usd_per_t": 200},
                {"supplier": "B", "material": "Nd", "price_usd_per_t": 100}],
        demand={"Nd": [10, 10, 10, 10]},
    )  # fmt: skip
    offers = rows(solve(sc), "offer-price").set_index(["supplier", "month"])
    assert offers.loc[("B", "2026-03"), "price_low_usd_per_t"] == pytest.approx(99)
    assert offers.loc[("B", "2026-03"), "price_high_usd_per_t"] == pytest.approx(200)
    assert offers.loc[("B", "2026-04"), "price_low_usd_per_t"] == 0
    assert offers.loc[("B", "2026-04"), "price_high_usd_per_t"] == pytest.approx(101)
    assert offers.loc[("A", "2026-04"), "tonnes"] == 0
    assert offers.loc[("A", "2026-04"), "cheaper_to_enter_usd_per_t"] == pytest.approx(100)
    assert pd.isna(offers.loc[("B", "2026-04"), "cheaper_to_enter_usd_per_t"])


@pytest.fixture(scope="module")
def default():
    result = solve(load_scenario(LP_SCENARIO))
    assert result.status == Status.OPTIMAL
    return result


@pytest.fixture(scope="module")
def duals():
    # The dual-based figures alone (probe_limit=0). By default the prices of the binding caps
    # and of the floors are re-solved one whole unit away (optimizer.results.policy_probes,
    # tested in test_policy_probes), which is not the slope at the optimum: a dual is, and
    # it is what the finite differences below (a step of 1e-4 of a unit) check.
    result = solve(load_scenario(LP_SCENARIO), probe_limit=0)
    assert result.status == Status.OPTIMAL
    return result


def test_every_binding_cap_and_floor_is_priced(default):
    caps = rows(default, "country-share-cap")
    binding = default.binding_caps()
    assert len(caps) == len(default.constraints.query("family == 'country-share-cap'"))
    priced = caps[caps["marginal_cost_usd"] > 0]
    assert set(zip(priced["material"], priced["window"], strict=True)) <= set(
        zip(binding["material"], binding["window"], strict=True)
    )
    assert (caps["marginal_cost_usd"] >= 0).all()
    floors = rows(default, "stockpile-floor")
    assert set(floors["material"]) == set(default.scenario.materials["material"])
    assert (floors["marginal_cost_usd"] > 0).all()


@pytest.mark.parametrize("material", ["Dy2O3", "NdFeB-magnet"])
def test_cap_prices_match_finite_differences(duals, material):
    # The material's cap moves 0.01 percentage point lower in every window at once.
    default = duals
    caps = rows(default, "country-share-cap")
    caps = caps[(caps["material"] == material) & (caps["country"] == "CN")]
    share = caps["setting"].iloc[0]
    predicted = caps["marginal_cost_usd"].sum() * 0.01
    moved = resolve(with_cap(default.scenario, "CN", material, share - 0.0001))
    assert predicted > 0
    assert moved - default.objective_usd == pytest.approx(predicted, rel=2e-3)


@pytest.mark.parametrize("material", ["Dy2O3", "NdFeB-magnet", "Sm2O3"])
def test_floor_prices_match_finite_differences(duals, material):
    default = duals
    floor = rows(default, "stockpile-floor").set_index("material").loc[material]
    sc = default.scenario
    materials = sc.materials.copy()
    materials.loc[materials["material"] == material, "cover_months"] = floor["setting"] + 1e-3
    moved = resolve(sc.with_changes(materials=materials))
    predicted = floor["marginal_cost_usd"] * 1e-3
    assert moved - default.objective_usd == pytest.approx(predicted, rel=2e-3)


@pytest.mark.slow
def test_a_price_inside_its_range_keeps_the_plan_and_outside_changes_it(default):
    offers = rows(default, "offer-price")
    used = offers[(offers["tonnes"] > 0) & (offers["price_high_usd_per_t"] < 1e12)]
    used = used.assign(room=used["price_high_usd_per_t"] - used["price_usd_per_t"])
    offer = used[used["room"] > 1].sort_values("tonnes", ascending=False).iloc[0]
    key = (offer["supplier"], offer["material"], offer["month"])
    tariff = default.scenario.suppliers.set_index("supplier").loc[offer["supplier"], "tariff_pct"]

    inside = offer["price_usd_per_t"] + offer["room"] / 2
    result = solve(with_price(default.scenario, *key, inside))
    plan = result.plan.set_index(["supplier", "material", "month"])
    assert plan.loc[key, "tonnes"] == pytest.approx(offer["tonnes"])
    delta = offer["tonnes"] * (inside - offer["price_usd_per_t"]) * (1 + tariff / 100)
    assert result.objective_usd - default.objective_usd == pytest.approx(delta, rel=1e-6)

    outside = offer["price_high_usd_per_t"] * 1.01 + 1
    plan = solve(with_price(default.scenario, *key, outside)).plan
    plan = plan.set_index(["supplier", "material", "month"])
    assert plan["tonnes"].get(key, 0.0) < offer["tonnes"] - 1e-6


@pytest.mark.slow
def test_an_unused_offer_enters_once_cheap_enough(duals):
    # A month's reduced cost: that month's price alone moves (a re-solved entry price moves
    # the price of the offer's row in every month it covers; see test_policy_probes).
    default = duals
    offers = rows(default, "offer-price")
    unused = offers[offers["cheaper_to_enter_usd_per_t"] > 100].sort_values(
        "cheaper_to_enter_usd_per_t"
    )
    offer = unused.iloc[0]
    key = (offer["supplier"], offer["material"], offer["month"])
    cut = offer["cheaper_to_enter_usd_per_t"]
    almost = solve(with_price(default.scenario, *key, offer["price_usd_per_t"] - 0.5 * cut))
    assert key not in set(zip(almost.plan["supplier"], almost.plan["material"],
                              almost.plan["month"], strict=True))  # fmt: skip
    beyond = solve(with_price(default.scenario, *key, offer["price_usd_per_t"] - 1.05 * cut))
    assert key in set(zip(beyond.plan["supplier"], beyond.plan["material"],
                          beyond.plan["month"], strict=True))  # fmt: skip
    assert beyond.objective_usd < default.objective_usd


@pytest.mark.slow
def test_pyomo_gives_the_same_cap_and_floor_prices_without_ranging(default):
    other = solve(load_scenario(LP_SCENARIO), engine="pyomo")
    for policy in ("country-share-cap", "stockpile-floor"):
        mine, theirs = rows(default, policy), rows(other, policy)
        assert theirs["marginal_cost_usd"].tolist() == pytest.approx(
            mine["marginal_cost_usd"].tolist(), rel=1e-6, abs=0.02
        )
    assert rows(other, "offer-price")["price_high_usd_per_t"].isna().all()


@pytest.mark.slow
def test_a_mips_cap_price_is_that_of_its_fixed_lp():
    # chain-small: India's 90% cap on NdPr metal binds. Its price comes from the LP with the
    # yes/no decisions fixed; moving the cap a little keeps the decisions, so re-solving the
    # MIP moves the cost by that price.
    folder = Path(__file__).parent / "fixtures" / "chain-small"
    base = solve(folder, probe_limit=0)  # the fixed LP's dual (re-solved prices: one unit away)
    assert base.duals_from_fixed_lp
    cap = (
        rows(base, "country-share-cap").set_index(["country", "material"]).loc[("IN", "NdPr-metal")]
    )
    assert cap["marginal_cost_usd"] > 0
    step = 0.001
    moved = solve(with_cap(base.scenario, "IN", "NdPr-metal", cap["setting"] - step))
    assert moved.decisions["chosen"].tolist() == base.decisions["chosen"].tolist()
    predicted = cap["marginal_cost_usd"] * step * 100
    assert moved.objective_usd - base.objective_usd == pytest.approx(predicted, rel=1e-3)


def test_contracted_tonnes_are_not_priced_as_offers(shipped_result):
    # The default signs both Lynas contracts: their tonnes are paid through the contract, so
    # only spot tonnes have an offer price and a range, and each used one lies in its range.
    result = shipped_result("india-2026")
    offers = rows(result, "offer-price")
    spot = result.plan[result.plan["contract"].isna()]
    assert result.plan["contract"].notna().any()
    assert offers["tonnes"].sum() == pytest.approx(spot["tonnes"].sum())
    used = offers[offers["tonnes"] > 0]
    assert (used["price_low_usd_per_t"] <= used["price_usd_per_t"] + 1e-6).all()
    assert (used["price_usd_per_t"] <= used["price_high_usd_per_t"] + 1e-6).all()
