"""The origin of content: a magnet made in India from Chinese metal counts as Chinese content;
with share_basis origin the caps count it so, through stock and processing (mass balance);
both engines agree; the re-check catches tables that break the rule."""

from __future__ import annotations

import pytest
from builders import scenario
from helpers import ENGINES, solved

from models import highs_engine
from models.data import compile_scenario
from models.highs_warm import WarmModel
from models.solution import SolveOptions
from optimizer.results.recheck import recheck


def magnet_case(share_basis: str, initial_metal_t: float = 0.0, stages: int = 1):
    """Magnets: 10 t a month for 3 months (one cap window: the horizon), made only in India
    from metal, 1 t of metal per t of magnet at 10 USD/t. Metal: China sells at 100, Japan at
    150. China may supply at most 50% of magnets. With ``stages`` 2 the metal is first made
    into an alloy in India (1 t -> 1 t, no cost), which the magnet line uses."""
    materials = [{"material": "magnet"}, {"material": "metal", "initial_stock_t": initial_metal_t}]
    io = [
        {"process": "MAG", "material": "metal", "direction": "input", "t_per_t": 1},
        {"process": "MAG", "material": "magnet", "direction": "output", "t_per_t": 1},
    ]
    processes = [
        {
            "process": "MAG",
            "country": "IN",
            "capacity_t_per_month": 100,
            "operating_cost_usd_per_t": 10,
        }
    ]
    if stages == 2:
        materials.append({"material": "alloy"})
        io = [
            {"process": "ALLOY", "material": "metal", "direction": "input", "t_per_t": 1},
            {"process": "ALLOY", "material": "alloy", "direction": "output", "t_per_t": 1},
            {"process": "MAG", "material": "alloy", "direction": "input", "t_per_t": 1},
            {"process": "MAG", "material": "magnet", "direction": "output", "t_per_t": 1},
        ]
        processes.append(
            {
                "process": "ALLOY",
                "country": "IN",
                "capacity_t_per_month": 100,
                "operating_cost_usd_per_t": 0,
            }
        )
    return scenario(
        materials=materials,
        suppliers=[{"supplier": "C", "country": "CN"}, {"supplier": "J", "country": "JP"}],
        offers=[{"supplier": "C", "material": "metal", "price_usd_per_t": 100},
                {"supplier": "J", "material": "metal", "price_usd_per_t": 150}],
        demand={"magnet": [10, 10, 10]},
        caps=[{"country": "CN", "material": "magnet", "max_share": 0.5}],
        processes=processes,
        process_io=io,
        cap_window="horizon",
        share_basis=share_basis,
    )  # fmt: skip


def shares(result, material="magnet"):
    """(share by where the stage was done, share by origin of content): the countries with a
    share on each basis (mix.csv has a row where either is positive)."""
    mix = result.mix[result.mix["material"] == material].set_index("country")
    return (
        mix.loc[mix["share"] > 0, "share"].to_dict(),
        mix.loc[mix["content_share"] > 0, "content_share"].to_dict(),
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_a_magnet_made_in_india_from_chinese_metal_is_chinese_content(engine):
    # Processing basis: the magnets are India's output, the cap on China does not bind: all
    # 30 t of metal from China, 30 x 100 + 30 x 10 = 3,300. Their content is 100% Chinese.
    result = solved(magnet_case("processing"), engine)
    assert result.objective_usd == pytest.approx(3300)
    by_stage, by_origin = shares(result)
    assert by_stage == {"IN": pytest.approx(1.0)}
    assert by_origin == {"CN": pytest.approx(1.0)}
    assert result.violations == []


@pytest.mark.parametrize("engine", ENGINES)
def test_with_the_origin_basis_the_cap_counts_the_metal_s_origin(engine):
    # Origin basis: at most 15 of the 30 t of magnet content from China, the rest from Japan:
    # 15 x 100 + 15 x 150 + 300 = 4,050.
    result = solved(magnet_case("origin"), engine)
    assert result.objective_usd == pytest.approx(4050)
    _, by_origin = shares(result)
    assert by_origin == {"CN": pytest.approx(0.5), "JP": pytest.approx(0.5)}
    assert result.violations == []


@pytest.mark.parametrize("engine", ENGINES)
def test_initial_stock_is_its_own_origin_through_two_stages(engine):
    # 6 t of metal at the start (origin "initial", no country), made into alloy, then magnets.
    # Origin basis: China at most 15 t; 30 - 6 - 15 = 9 t from Japan:
    # 15 x 100 + 9 x 150 + 30 x 10 = 3,150.
    result = solved(magnet_case("origin", initial_metal_t=6, stages=2), engine)
    assert result.objective_usd == pytest.approx(3150)
    _, by_origin = shares(result)
    assert by_origin == {"CN": pytest.approx(0.5), "JP": pytest.approx(0.3),
                         "initial": pytest.approx(0.2)}  # fmt: skip
    assert shares(result, "alloy")[0] == {"IN": pytest.approx(1.0)}
    assert result.violations == []
    # Processing basis: 24 t from China, 2,400 + 300 = 2,700; traced proportionally, the
    # magnets' content is 24/30 Chinese, 6/30 initial.
    result = solved(magnet_case("processing", initial_metal_t=6, stages=2), engine)
    assert result.objective_usd == pytest.approx(2700)
    _, by_origin = shares(result)
    assert by_origin == {"CN": pytest.approx(0.8), "initial": pytest.approx(0.2)}
    assert result.violations == []


def test_proportional_tracing_mixes_a_pool():
    # Processing basis, 6 t initial metal and Chinese metal in the same pool: month 1 needs
    # 10 t and the plan buys 4 t (cheapest: use the stock first); the month's pool is 6 t
    # initial + 4 t CN, so the magnets made carry 60% initial, 40% CN.
    result = solved(magnet_case("processing", initial_metal_t=6))
    content = result.content.set_index(["material", "origin", "month"])
    assert content.loc[("magnet", "initial", "2026-01"), "made_t"] == pytest.approx(6)
    assert content.loc[("magnet", "CN", "2026-01"), "made_t"] == pytest.approx(4)
    feed = result.content_feed.set_index(["unit", "origin", "month"])["fed_t"]
    assert feed[("MAG", "CN", "2026-02")] == pytest.approx(10)


def run_recheck(result, content=None, feed=None):
    return recheck(
        result.scenario, result.plan, result.stock, result.objective_usd,
        processing=result.processing, decisions=result.decisions,
        content=result.content if content is None else content,
        content_feed=result.content_feed if feed is None else feed,
    )  # fmt: skip


def test_the_recheck_catches_content_that_breaks_the_rule():
    result = solved(magnet_case("origin", initial_metal_t=6, stages=2))
    assert run_recheck(result) == []
    # Relabel China's magnet content as Japan's: the cap on China now looks held, but the
    # content no longer follows from what the line was fed.
    content = result.content.copy()
    content.loc[(content["material"] == "magnet") & (content["origin"] == "CN"), "origin"] = "JP"
    content = content.groupby(["material", "origin", "month"], as_index=False).sum()
    found = run_recheck(result, content=content)
    assert any("made by origin" in message for message in found)
    # Feed the line less than its throughput needs.
    feed = result.content_feed.copy()
    feed.loc[feed.index[0], "fed_t"] *= 0.5
    found = run_recheck(result, feed=feed)
    assert any(message.startswith("content-feed:") for message in found)
    # Move Chinese content into the magnets beyond the cap: the cap check, on content, fails.
    content = result.content.copy()
    magnet_jp = (content["material"] == "magnet") & (content["origin"] == "JP")
    content.loc[magnet_jp, "origin"] = "CN"
    content = content.groupby(["material", "origin", "month"], as_index=False).sum()
    found = run_recheck(result, content=content)
    assert any(message.startswith("country-share-cap: CN") for message in found)


def test_a_warm_re_solve_with_the_origin_basis_matches_a_cold_solve():
    # Japan's metal at 120 instead of 150, 9 t of initial metal instead of 6 and a 40% cap:
    # the warm model changes the content rows' right-hand sides and the cap's coefficient.
    base = magnet_case("origin", initial_metal_t=6, stages=2)
    offers = base.offers.assign(price_usd_per_t=[100.0, 120.0])
    materials = base.materials.assign(initial_stock_t=[0.0, 9.0, 0.0])
    caps = base.country_caps.assign(max_share=[0.4])
    point = base.with_changes(offers=offers, materials=materials, country_caps=caps)
    model = WarmModel(base, SolveOptions(threads=1))
    model.solve(base)
    warm, was_warm = model.solve(point)
    cold = highs_engine.solve(compile_scenario(point), SolveOptions(threads=1))
    # 12 t of China's metal, 9 t initial, 9 t of Japan's at 120, 30 t made at 10:
    # 1,200 + 1,080 + 300 = 2,580.
    assert was_warm and warm.objective == pytest.approx(cold.objective, rel=1e-9)
    assert cold.objective == pytest.approx(2580)


def test_generated_chains_on_the_origin_basis_agree_across_engines_and_recheck():
    from models import pyomo_engine
    from optimizer import solve
    from optimizer.inputs.synthetic import synthetic_scenario

    base = synthetic_scenario(3, 4, 12, seed=1, chains=2)
    sc = base.with_changes(settings=base.settings.with_changes(share_basis="origin"))
    data = compile_scenario(sc)
    assert data.content.tracks
    fast = highs_engine.solve(data, SolveOptions(threads=1))
    slow = pyomo_engine.solve(data, SolveOptions(threads=1))
    assert fast.status == slow.status and fast.has_plan
    assert slow.objective == pytest.approx(fast.objective, rel=1e-7)
    assert solve(sc).violations == []
