"""The shipped India scenario solves to a plausible, policy-respecting plan (examples are tests):
a MIP with a processing chain (IREL's monazite separation, the magnet scheme's metal and magnet
lines with or without a technology partner, a Russian-carbonate line) and Lynas offtakes."""

from __future__ import annotations

from pathlib import Path

import pytest

from optimizer import Status, load_scenario, solve

FOLDER = Path(__file__).resolve().parents[1] / "inputs" / "india-2026"


@pytest.fixture(scope="module")
def result(shipped_result):
    result = shipped_result(FOLDER.name)
    assert result.status == Status.OPTIMAL
    return result


def test_plan_passes_the_independent_recheck(result):
    assert result.violations == []
    assert result.costs["total_usd"] == pytest.approx(result.objective_usd, rel=1e-9)


def test_the_mip_is_solved_to_its_exact_optimum(result):
    # scenario.toml sets mip_rel_gap = 0: the decisions are proven, not near-optimal.
    assert result.mip_gap == pytest.approx(0, abs=1e-9)
    assert result.duals_from_fixed_lp


def test_every_demand_is_met_without_shortfall(result):
    assert result.shortfall_t() == {}
    demanded = set(result.scenario.demand.loc[result.scenario.demand["demand_t"] > 0, "material"])
    supplied = set(result.mix["material"])
    assert demanded <= supplied


def test_china_stays_within_its_caps_every_year(result):
    caps = result.scenario.country_caps
    china = result.mix[result.mix["country"] == "CN"]
    default = caps.loc[caps["material"].isna(), "max_share"].iloc[0]
    specific = caps.dropna(subset=["material"]).set_index("material")["max_share"]
    allowed = china["material"].map(specific).fillna(default)
    assert (china["share"] <= allowed + 1e-9).all()
    assert len(result.binding_caps()) > 0  # the cap shapes the plan


def test_two_month_stockpile_holds_from_july_2026(result):
    stock = result.stock
    applies = stock["floor_applies"]
    assert applies.any() and (stock.loc[applies, "month"] >= "2026-07").all()
    assert (stock.loc[applies, "stock_t"] >= 2 * stock.loc[applies, "demand_t"] - 1e-6).all()


def test_the_chain_runs_and_its_by_product_finds_its_outlet(result):
    processing = result.processing.groupby("process")["throughput_t"].sum()
    assert processing.get("irel-separation", 0) > 0  # monazite separated at home
    stock = result.stock.set_index("material")
    assert stock.loc["NdPr-oxide", "produced_t"].sum() > 0
    assert stock.loc["NdPr-oxide", "consumed_t"].sum() > 0  # ... made into metal, then magnets
    by_product = stock.loc["La-Ce-oxide"]
    made = by_product["produced_t"].sum()
    limit = result.scenario.materials.set_index("material").loc[
        "La-Ce-oxide", "sale_limit_t_per_month"
    ]
    assert made > 0 and (by_product["sold_t"] <= limit + 1e-6).all()
    assert by_product["sold_t"].sum() + by_product["disposed_t"].sum() + by_product["stock_t"].iloc[
        -1
    ] == pytest.approx(made, rel=1e-6)  # the rare-earth balance: nothing vanishes


def test_decisions_respect_exclusivity_and_requirements(result):
    decisions = result.decisions.set_index("name")
    expansions = result.scenario.expansions.set_index("option")
    built = set(decisions.index[decisions["chosen"] & (decisions["kind"] == "expansion")])
    assert built  # the scenario's question has an answer: some plant is worth building
    for group, members in expansions.groupby("exclusive_group").groups.items():
        assert len(built & set(members)) <= 1, group
    for option in built:
        required = expansions.loc[option, "requires"]
        assert not isinstance(required, str) or required in built


def test_magnets_and_controlled_oxides_have_more_than_one_source_country(result):
    countries = result.mix.groupby("material")["country"].nunique()
    for material in ("NdFeB-magnet", "Dy2O3", "Tb4O7", "Sm2O3"):
        assert countries[material] >= 2, material


@pytest.mark.slow
def test_both_engines_and_cbc_agree(result):
    other = solve(load_scenario(FOLDER), engine="pyomo", verify=True)
    assert other.objective_usd == pytest.approx(result.objective_usd, rel=1e-7)
    assert other.decisions["chosen"].tolist() == result.decisions["chosen"].tolist()
    assert other.verification.agrees
    assert other.verification.objective_usd == pytest.approx(result.objective_usd, rel=1e-6)
