"""Sweep files: loading, every input problem with its file:line: column text, the three designs,
applying points to the scenario, and the fingerprint."""

from __future__ import annotations

import dataclasses
import math
import shutil
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import quick_sample

from optimizer import Scenario, ScenarioError, Status, load_scenario, solve
from optimizer.cli.main import main
from optimizer.inputs.schema import TABLES
from optimizer.inputs.template import write_scenario_workbook
from optimizer.sweep import Parameter, Sweep, apply_point, load_sweep
from optimizer.sweep.point_metrics import Frontier

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "inputs" / "india-2026"  # the shipped default, base of the example sweeps
LP = ROOT / "tests" / "fixtures" / "india-lp"  # a frozen LP (the old default): the mechanics
SWEEPS = ROOT / "inputs" / "sweeps"
TABLE_NAMES = tuple(TABLES)  # the processing chain's tables included

RISK_KEYS = ", risk.risk_weight, risk.cvar_alpha, risk.refill_months, risk.samples, risk.seed"


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Work in ``tmp_path`` so problems name the sweep file as ``s.toml``."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(text: str, name: str = "s.toml") -> str:
    """A sweep file in the current folder; ``{scenario}`` in ``text`` is the frozen LP fixture."""
    Path(name).write_text(text.replace("{scenario}", str(LP)), encoding="utf-8")
    return name


def problems_of(text: str, **kwargs) -> list[str]:
    with pytest.raises(ScenarioError) as error:
        load_sweep(write(text, **kwargs))
    return [str(problem) for problem in error.value.problems]


def sweep_of(text: str, **kwargs) -> Sweep:
    return load_sweep(write(text, **kwargs))


HEAD = "name = \"t\"\nscenario = '{scenario}'\n"  # lines 1-2


def one(body: str, head: str = HEAD) -> str:
    """A sweep with one [[parameter]] table on line 3 and ``body`` from line 4 on."""
    return head + "[[parameter]]\n" + body


# --- the example files ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file", "design", "count"),
    [
        ("china-cap-and-cover", "grid", 210),
        ("tornado", "one-at-a-time", 13),
        ("lhs", "latin-hypercube", 50),
    ],
)
def test_example_sweeps_load_and_every_point_is_a_valid_scenario(file, design, count):
    sweep = load_sweep(SWEEPS / f"{file}.toml")
    assert sweep.name == file
    assert sweep.design == design
    assert sweep.scenario_path == DEFAULT
    points = sweep.points()
    assert len(points) == count
    for record in points.to_dict("records"):
        scenario = apply_point(sweep.scenario, sweep.parameters, record)
        assert scenario.country_caps["max_share"].between(0, 1).all()
        assert (scenario.offers["price_usd_per_t"] >= 0).all()
    for record in points.iloc[[0, len(points) // 2, -1]].to_dict("records"):
        scenario = apply_point(sweep.scenario, sweep.parameters, record)
        tables = {name: scenario.table(name) for name in TABLE_NAMES}
        Scenario.from_frames(scenario.settings, **tables)  # raises if anything is out of range


@pytest.mark.slow
def test_example_points_solve_to_optimal_or_infeasible():
    for file in ("china-cap-and-cover", "tornado", "lhs"):
        sweep = load_sweep(SWEEPS / f"{file}.toml")
        record = sweep.points().iloc[-1].to_dict()
        result = solve(apply_point(sweep.scenario, sweep.parameters, record))
        assert result.status in (Status.OPTIMAL, Status.INFEASIBLE), (file, result.status)


def test_the_tornado_base_point_is_the_base_scenario():
    sweep = load_sweep(SWEEPS / "tornado.toml")
    base = apply_point(sweep.scenario, sweep.parameters, sweep.points().iloc[0].to_dict())
    for name in TABLE_NAMES:
        pd.testing.assert_frame_equal(base.table(name), sweep.scenario.table(name))
    assert base.settings == sweep.scenario.settings


def test_the_grid_example_caps_china_on_every_material_alike():
    sweep = load_sweep(SWEEPS / "china-cap-and-cover.toml")
    record = {"china_cap": 0.7, "cover_months": 3.0, "russia_price": 1.2}
    scenario = apply_point(sweep.scenario, sweep.parameters, record)
    assert scenario.country_caps["max_share"].tolist() == [0.7, 0.7]
    assert scenario.settings.stockpile_cover_months == 3.0
    russia = scenario.offers["supplier"] == "russia-solikamsk"  # NdPr oxide and metal, Sm
    base = sweep.scenario.offers.loc[russia, "price_usd_per_t"]
    assert scenario.offers.loc[russia, "price_usd_per_t"].tolist() == pytest.approx(base * 1.2)


def test_the_tornado_example_scales_the_processing_chain():
    sweep = load_sweep(SWEEPS / "tornado.toml")
    base = sweep.scenario
    record = {p.name: p.base for p in sweep.parameters} | {
        "dy_intensity": 1.5,
        "irel_capacity": 0.5,
    }
    scenario = apply_point(base, sweep.parameters, record)
    dy = (base.process_io["material"] == "Dy2O3").to_numpy()
    assert dy.sum() >= 3 and (base.process_io.loc[dy, "direction"] == "input").all()
    old, new = base.process_io["t_per_t"], scenario.process_io["t_per_t"]
    np.testing.assert_allclose(new[dy], old[dy] * 1.5)
    np.testing.assert_array_equal(new[~dy], old[~dy])
    irel = (base.processes["process"] == "irel-separation").to_numpy()
    assert irel.sum() == 1
    old, new = base.processes["capacity_t_per_month"], scenario.processes["capacity_t_per_month"]
    np.testing.assert_allclose(new[irel], old[irel] * 0.5)
    np.testing.assert_array_equal(new[~irel], old[~irel])
    for name in ("materials", "suppliers", "offers", "demand", "country_caps"):
        pd.testing.assert_frame_equal(scenario.table(name), base.table(name))


# --- errors --------------------------------------------------------------------------------


def test_unreadable_and_malformed_files(here):
    with pytest.raises(ScenarioError, match=r"^missing\.toml: file not found$"):
        load_sweep("missing.toml")
    assert problems_of('name = "t"\nscenario = \n') == [
        "s.toml:2: malformed TOML: Invalid value (column 12)"
    ]


def test_top_level_problems(here):
    text = (
        'name = "bad name"\n'  # 1
        "scenario = 7\n"  # 2
        'design = "gird"\n'  # 3
        "samples = 10\n"  # 4
        "desing = 1\n"  # 5
    )
    assert problems_of(text) == [
        "s.toml: parameter: no parameters: add a [[parameter]] table",
        "s.toml:1: name: 'bad name' must be letters, digits, '.', '_' or '-' (it names the "
        "results folder results/sweeps/<name>/)",
        "s.toml:2: scenario: must be a quoted path, not 7",
        "s.toml:3: design: 'gird' is not a design; did you mean 'grid'?",
        "s.toml:5: desing: unknown key; did you mean 'design'?",
    ]


def test_the_name_defaults_to_the_file_name(here):
    sweep = sweep_of(
        one(
            "name = \"a\"\npath = 'policy.stockpile_cover_months'\nvalues = [1]\n",
            head="scenario = '{scenario}'\n",
        ),
        name="my-sweep.toml",
    )
    assert sweep.name == "my-sweep"
    assert sweep.description == ""


def test_samples_and_seed_belong_to_latin_hypercube(here):
    body = "name = \"a\"\npath = 'policy.stockpile_cover_months'\nvalues = [1, 2]\n"
    head = HEAD + "samples = 5\nseed = 3\n"  # lines 3, 4; [[parameter]] on 5
    assert problems_of(one(body, head)) == [
        "s.toml:3: samples: is only used by design = 'latin-hypercube', not 'grid'",
        "s.toml:4: seed: is only used by design = 'latin-hypercube', not 'grid'",
    ]
    head = HEAD + 'design = "latin-hypercube"\n'  # line 3
    assert problems_of(one(body, head)) == [
        "s.toml:3: samples: is missing: design = 'latin-hypercube' needs a number of samples"
    ]
    head = HEAD + 'design = "latin-hypercube"\nsamples = 0\nseed = -1\n'
    assert problems_of(one(body, head)) == [
        "s.toml:4: samples: must be a whole number from 1 to 100,000, not 0",
        "s.toml:5: seed: must be a whole number of at least 0, not -1",
    ]
    head = HEAD + 'design = "latin-hypercube"\nsamples = true\n'
    assert problems_of(one(body, head)) == [
        "s.toml:4: samples: must be a whole number from 1 to 100,000, not True"
    ]


def test_a_missing_base_scenario(here):
    body = "name = \"a\"\npath = 'policy.stockpile_cover_months'\nvalues = [1]\n"
    assert problems_of(one(body, head='name = "t"\n')) == [
        "s.toml: scenario: is missing: name the base scenario folder or .xlsx workbook"
    ]
    assert problems_of(one(body, head='name = "t"\nscenario = "../nowhere"\n')) == [
        "s.toml:2: scenario: base scenario '../nowhere' not found"
    ]
    Path("sweeps").mkdir()
    text = one(body, head='name = "t"\nscenario = "../nowhere"\n')
    assert problems_of(text, name="sweeps/s.toml") == [
        "sweeps/s.toml:2: scenario: base scenario '../nowhere' not found (looked for nowhere)"
    ]


def test_the_base_scenario_problems_are_reported_with_the_sweep_file(here):
    folder = Path(shutil.copytree(LP, here / "base"))
    offers = folder / "offers.csv"
    offers.write_text(offers.read_text().replace("irel,Sm2O3,,42500", "irel,Sm2O3,,-1"))
    body = "name = \"a\"\npath = 'offers.price_usd_per_t[supplier=nobody]'\nvalues = [1]\n"
    assert problems_of(one(body, head='name = "t"\nscenario = "base"\n')) == [
        "base/offers.csv:81: price_usd_per_t: -1 is below 0; values must be at least 0",
        "s.toml:2: scenario: the base scenario base has problems (listed with its files)",
    ]


def test_parameters_must_be_an_array_of_tables(here):
    text = HEAD + "[parameter]\nname = 'a'\n"
    assert problems_of(text) == [
        "s.toml:3: parameter: must be an array of tables: write [[parameter]], not [parameter]"
    ]


def test_parameter_keys_names_and_sources(here):
    text = (
        HEAD
        + "[[parameter]]\n"  # 3
        + 'name = "Cover"\n'  # 4
        + "path = 'policy.stockpile_cover_months'\n"  # 5
        + "valeus = [1]\n"  # 6
        + "[[parameter]]\n"  # 7
        + 'name = "point"\n'  # 8
        + "path = 'policy.stockpile_cover_months'\n"  # 9
        + "values = [1]\n"  # 10
        + "range = { start = 1, stop = 2, step = 1 }\n"  # 11
        + "[[parameter]]\n"  # 12
        + 'name = "x"\n'  # 13
        + "path = 'policy.stockpile_cover_months'\n"  # 14
        + "values = [1]\n"  # 15
        + "[[parameter]]\n"  # 16
        + 'name = "x"\n'  # 17
        + "values = [1]\n"  # 18
        + "[[parameter]]\n"  # 19
        + "path = 'policy.stockpile_cover_months'\n"  # 20
        + "values = [1]\n"  # 21
    )
    assert problems_of(text) == [
        "s.toml:3: parameter[1]: has nothing to vary: give values or a range",
        "s.toml:4: parameter[1].name: 'Cover' must be lower-case letters, digits and '_' "
        "(a results column)",
        "s.toml:6: parameter[1].valeus: unknown key; did you mean 'values'?",
        "s.toml:8: parameter[2].name: 'point' is a column of the results table; name the "
        "parameter otherwise",
        "s.toml:11: parameter[2].range: give only one of values, range and distribution, "
        "not values, range",
        's.toml:16: parameter[4]: has no path: add path = "<table>.<column>[<filter>, ...]"',
        "s.toml:17: parameter[4].name: 'x' is also the name of parameter[3]",
        's.toml:19: parameter[5]: has no name: add name = "..." (a column of the results table)',
    ]


PATH_CASES = [
    (
        "cover",
        "'cover' is not a path: expected <table>.<column>[<filter>, ...] (e.g. "
        '"offers.price_usd_per_t[supplier=irel]") or a policy.* key of scenario.toml',
    ),
    (
        "offer.price_usd_per_t",
        "unknown table 'offer'; did you mean 'offers'? (tables: "
        "materials, suppliers, offers, demand, country_caps, processes, process_io, expansions, "
        "contracts, events, event_effects, risk_scenarios; or a key of scenario.toml: "
        "policy.stockpile_cover_months, policy.budget_usd_per_year" + RISK_KEYS + ")",
    ),
    ("offers.price", "offers has no column 'price'; did you mean 'price_usd_per_t'?"),
    (
        "offers.cost",
        "offers has no column 'cost'; numeric columns of offers: "
        "price_usd_per_t, capacity_t_per_month",
    ),
    (
        "offers.month",
        "offers.month is not a numeric column (type month); numeric columns of "
        "offers: price_usd_per_t, capacity_t_per_month",
    ),
    ("offers.price_usd_per_t[irel]", "filter 'irel' must be <column>=<value> (value may be blank)"),
    (
        "offers.price_usd_per_t[suplier=irel]",
        "offers cannot be filtered by 'suplier'; did you mean 'supplier'?",
    ),
    (
        "demand.demand_t[country=CN]",
        "demand cannot be filtered by 'country'; demand is filtered by material, month",
    ),
    ("offers.price_usd_per_t[supplier=irel, supplier=irel]", "filter 'supplier' is given twice"),
    (
        "offers.price_usd_per_t[supplier=russia]",
        "no row of offers.csv has supplier 'russia'; did you mean 'russia-solikamsk'?",
    ),
    (
        "offers.price_usd_per_t[supplier=zz]",
        "no row of offers.csv has supplier 'zz'; present: "
        "china-licensed-magnets, china-licensed-oxides, china-uncontrolled, india-repm-magnets, "
        "irel, japan-magnet-makers, lynas-malaysia, mp-materials, neo-narva, russia-solikamsk, ...",
    ),
    (
        "offers.price_usd_per_t[supplier=irel, material=Dy2O3]",
        "no row of offers.csv has supplier 'irel' and material 'Dy2O3'",
    ),
    (
        "offers.price_usd_per_t[country=Russia]",
        "no offer in offers.csv is from a supplier of country 'Russia'; did you mean 'RU'?",
    ),
    (
        "offers.price_usd_per_t[country=XX]",
        "no offer in offers.csv is from a supplier of "
        "country 'XX'; present: CN, EE, IN, JP, MY, RU, US, VN",
    ),
    ("materials.cover_months[material=]", "no row of materials.csv has a blank material"),
    (
        "horizon.months",
        "horizon.months cannot be swept (it changes the model's structure); "
        "sweepable keys: policy.stockpile_cover_months, policy.budget_usd_per_year" + RISK_KEYS,
    ),
    (
        "solver.time_limit_s",
        "solver.time_limit_s cannot be swept (it is no input); sweepable "
        "keys: policy.stockpile_cover_months, policy.budget_usd_per_year" + RISK_KEYS,
    ),
    (
        "policy.cap_window",
        "policy.cap_window is not a number; sweepable keys: policy.stockpile_cover_months, "
        "policy.budget_usd_per_year" + RISK_KEYS,
    ),
    (
        "policy.cover",
        "scenario.toml has no key 'policy.cover'; expected one of "
        "policy.stockpile_cover_months, policy.budget_usd_per_year" + RISK_KEYS,
    ),
    (
        "policy.stockpile_cover_months[material=Dy2O3]",
        'a scenario.toml key takes no [filters]: write path = "policy.stockpile_cover_months"',
    ),
]


@pytest.mark.parametrize(("path", "message"), quick_sample(PATH_CASES, every=4))
def test_path_problems(here, path, message):
    text = one(f"name = \"a\"\npath = '{path}'\nvalues = [1]\n")
    assert problems_of(text) == [f"s.toml:5: parameter[1].path: {message}"]


VALUE_CASES = [
    ("values = []", "values: is empty: give at least one value"),
    ("values = 1", "values: must be a list of numbers, e.g. values = [0.4, 0.5], not 1"),
    (
        "values = [1, 'a', nan]",
        "values: value 2 must be a finite number, not 'a'\n"
        "values: value 3 must be a finite number, not nan",
    ),
    ("values = [0.5, 0.5]", "values: value 0.5 appears twice"),
    (
        "values = [0.5, 1.5, 2]",
        "values: values 1.5, 2 are above the maximum 1 of country_caps.max_share",
    ),
    ("values = [-0.1]", "values: value -0.1 is below the minimum 0 of country_caps.max_share"),
    ("range = { start = 0.1, stop = 0.5, step = 0 }", "range.step: must be greater than 0, not 0"),
    ("range = { start = 0.5, stop = 0.1, step = 0.1 }", "range.stop: 0.1 is below start 0.5"),
    (
        "range = { start = 0.1, stop = 0.5 }",
        "range.step: is missing, e.g. range = { start = 0.4, stop = 0.8, step = 0.1 }",
    ),
    (
        "range = { start = 0.1, stop = 0.5, step = 0.1, end = 1 }",
        "range.end: unknown key; expected one of start, stop, step",
    ),
    (
        "range = { start = 0, stop = 1, step = 1e-6 }",
        "range: gives 1,000,001 values; at most 100,000: use a larger step",
    ),
    (
        "range = [0.1, 0.5]",
        "range: must be a table, e.g. range = { start = 0.4, stop = 0.8, step = 0.1 }",
    ),
    (
        "distribution = { kind = 'uniform', low = 0.4, high = 0.8 }",
        "distribution: is only sampled by design = 'latin-hypercube': give values or a range",
    ),
]


@pytest.mark.parametrize(("line", "messages"), quick_sample(VALUE_CASES, every=4))
def test_value_problems(here, line, messages):
    text = one(f"name = \"a\"\npath = 'country_caps.max_share[country=CN]'\n{line}\n")
    expected = [f"s.toml:6: parameter[1].{message}" for message in messages.split("\n")]
    assert problems_of(text) == expected


LHS_HEAD = HEAD + 'design = "latin-hypercube"\nsamples = 4\n'  # [[parameter]] on line 5

DISTRIBUTION_CASES = [
    (
        "{ kind = 'gaussian', low = 0.4, high = 0.8 }",
        "distribution.kind: 'gaussian' is not a "
        "distribution; expected one of uniform, triangular, loguniform",
    ),
    (
        "{ low = 0.4, high = 0.8 }",
        "distribution.kind: is missing; expected one of uniform, triangular, loguniform",
    ),
    (
        "{ kind = 'uniform', low = 0.8, high = 0.4 }",
        "distribution.high: 0.4 must be greater than low 0.8",
    ),
    (
        "{ kind = 'uniform', low = 0.4, hi = 0.8 }",
        "distribution.hi: unknown key; did you mean "
        "'high'?\ndistribution.high: is missing, e.g. distribution = { kind = \"uniform\", "
        "low = 0.4, high = 0.8 }",
    ),
    (
        "{ kind = 'triangular', low = 0.4, mode = 0.9, high = 0.8 }",
        "distribution.mode: 0.9 is not between low 0.4 and high 0.8",
    ),
    (
        "{ kind = 'loguniform', low = 0, high = 0.8 }",
        "distribution.low: must be greater than 0 for a loguniform distribution, not 0",
    ),
    (
        "{ kind = 'uniform', low = 0.4, high = 1.8 }",
        "distribution: value 1.8 is above the maximum 1 of country_caps.max_share",
    ),
    (
        "7",
        'distribution: must be a table, e.g. distribution = { kind = "uniform", low = 0.4, '
        "high = 0.8 }",
    ),
]


@pytest.mark.parametrize(("table", "messages"), quick_sample(DISTRIBUTION_CASES, every=4))
def test_distribution_problems(here, table, messages):
    text = one(
        f"name = \"a\"\npath = 'country_caps.max_share[country=CN]'\ndistribution = {table}\n",
        LHS_HEAD,
    )
    expected = [f"s.toml:8: parameter[1].{message}" for message in messages.split("\n")]
    assert problems_of(text) == expected


def test_latin_hypercube_needs_something_to_sample(here):
    text = one("name = \"a\"\npath = 'policy.stockpile_cover_months'\n", LHS_HEAD)
    assert problems_of(text) == [
        "s.toml:5: parameter[1]: has nothing to vary: give values, a range or a distribution"
    ]


MODE_CASES = [
    (
        "country_caps.max_share",
        "mode = 'scale'",
        "values = [1]",
        "mode: 'scale' is not a mode; expected one of set, factor",
    ),
    (
        "offers.price_usd_per_t",
        "mode = 'factor'",
        "values = [-0.5, 1]",
        "values: factor -0.5 is below 0: a factor must be at least 0",
    ),
    (
        "suppliers.lead_time_months",
        "mode = 'factor'",
        "values = [2]",
        "mode: 'factor' does not apply to the integer column suppliers.lead_time_months: use 'set'",
    ),
    (
        "suppliers.lead_time_months",
        "mode = 'set'",
        "values = [1, 2.5]",
        "values: value 2.5 is not whole: suppliers.lead_time_months is an integer column",
    ),
    (
        "country_caps.max_share",
        "mode = 'factor'",
        "range = { start = 1, stop = 1.5, step = 0.25 }",
        "range: factor 1.5 takes country_caps.max_share from 0.8 to 1.2, above its maximum 1",
    ),
    (
        "policy.stockpile_cover_months",
        "mode = 'set'",
        "values = [-1, 2]",
        "values: value -1 is below the minimum 0 of policy.stockpile_cover_months",
    ),
]


@pytest.mark.parametrize(("path", "mode", "values", "message"), quick_sample(MODE_CASES, every=4))
def test_mode_and_bound_problems(here, path, mode, values, message):
    text = one(f"name = \"a\"\npath = '{path}'\n{mode}\n{values}\n")
    key = message.partition(":")[0]
    line = 6 if key == "mode" else 7
    assert problems_of(text) == [f"s.toml:{line}: parameter[1].{message}"]


def test_too_many_grid_points(here):
    body = "name = \"{0}\"\npath = 'policy.stockpile_cover_months'\nrange = {{ start = 0, "
    body += "stop = 99, step = 1 }}\n"
    text = (
        HEAD
        + 'design = "grid"\n'
        + "".join("[[parameter]]\n" + body.format(name) for name in ("a", "b", "c"))
    )
    assert problems_of(text) == [
        "s.toml:3: design: the grid has 1,000,000 points; at most 100,000: use fewer values, "
        "or design = 'latin-hypercube'"
    ]


def test_one_at_a_time_refuses_a_set_base_of_differing_cells(here):
    head = HEAD + 'design = "one-at-a-time"\n'
    text = one("name = \"a\"\npath = 'country_caps.max_share[country=CN]'\nvalues = [0.5]\n", head)
    assert problems_of(text) == [
        "s.toml:6: parameter[1].path: matches cells with different values (0.6, 0.8): a "
        'one-at-a-time base must be one value; narrow the filters or use mode = "factor"'
    ]


def test_keys_in_sub_tables_are_located(here):
    text = (
        HEAD
        + "[[parameter]]\n"  # 3
        + 'name = "a"\n'  # 4
        + "path = 'policy.stockpile_cover_months'\n"  # 5
        + "[parameter.range]\n"  # 6
        + "start = 1\nstop = 2\nstep = -1\n"
        + "[[parameter]]\n"  # 10
        + 'name = "b"\n'
        + "path = 'policy.stockpile_cover_months'\n"
        + "range.start = 1\nrange.stop = 0\nrange.step = 1\n"  # 13..15
    )
    assert problems_of(text) == [
        "s.toml:6: parameter[1].range.step: must be greater than 0, not -1",
        "s.toml:13: parameter[2].range.stop: 0 is below start 1",
    ]


def test_every_problem_is_reported_at_once(here):
    text = (
        'name = "t"\nscenario = \'{scenario}\'\ndesign = "grid"\nextra = 1\n'
        "[[parameter]]\nname = 'a'\npath = 'offers.price_usd_per_t[supplier=irl]'\nvalues = []\n"
        "[[parameter]]\nname = 'b'\npath = 'policy.stockpile_cover_months'\nvalues = [-2]\n"
    )
    assert problems_of(text) == [
        "s.toml:4: extra: unknown key; expected one of name, description, scenario, design, "
        "samples, seed, parameter, frontier",
        "s.toml:7: parameter[1].path: no row of offers.csv has supplier 'irl'; did you mean "
        "'irel'?",
        "s.toml:8: parameter[1].values: is empty: give at least one value",
        "s.toml:12: parameter[2].values: value -2 is below the minimum 0 of "
        "policy.stockpile_cover_months",
    ]


FRONTIER_HEAD = one("name = 'a'\npath = 'policy.stockpile_cover_months'\nvalues = [1, 2]\n")


@pytest.mark.parametrize(
    ("table", "messages"),
    [
        (
            'measure = "country-shares"\ncountry = "CM"\n',
            [
                "s.toml:8: frontier.measure: 'country-shares' is not a measure; did you mean "
                "'country-share'?",
                "s.toml:9: frontier.country: 'CM' is not a country of the base scenario (of its "
                "suppliers, processes or expansion options); expected one of CN, EE, IN, JP, MY, "
                "RU, US, VN",
            ],
        ),
        (
            'material = "Dy2O"\nmeasure = 3\ncolour = "red"\n',
            [
                "s.toml:8: frontier.material: 'Dy2O' is not a material of the base scenario "
                "(materials.csv); did you mean 'Dy2O3'?",
                "s.toml:9: frontier.measure: must be a quoted string, not 3",
                "s.toml:10: frontier.colour: unknown key; did you mean 'country'?",
            ],
        ),
        (
            'measure = "hhi"\ncountry = "CN"\nmaterial = 0.5\n',
            [
                "s.toml:9: frontier.country: is only used by measure = 'country-share', not 'hhi'",
                's.toml:10: frontier.material: must be a quoted material name, or "" for the '
                "most dependent one, not 0.5",
            ],
        ),
        ('country = ""\n', ['s.toml:8: frontier.country: must be a quoted country code such as '
                            '"CN", not \'\'']),
    ],
)  # fmt: skip
def test_frontier_problems(here, table, messages):
    # the [frontier] table on line 7, after the parameter (lines 3-6)
    assert problems_of(FRONTIER_HEAD + "[frontier]\n" + table) == messages


def test_frontier_must_be_a_table(here):
    assert problems_of('frontier = "hhi"\n' + FRONTIER_HEAD) == [
        's.toml:1: frontier: must be a table: write [frontier] with measure = "..." under it, '
        "not 'hhi'"
    ]


def test_frontier_problems_exit_with_code_2(here, capsys):
    write(FRONTIER_HEAD + '[frontier]\nmeasure = "foreign-share"\nmaterial = "Dy"\n')
    assert main(["sweep", "s.toml", "--out", "out"]) == 2
    err = capsys.readouterr().err
    assert "s.toml:9: frontier.material: 'Dy' is not a material of the base scenario" in err
    assert not Path("out").exists()


def test_the_frontier_measure_and_its_defaults(here):
    sweep = sweep_of(FRONTIER_HEAD)  # the LP fixture sets neither policy.watched_country nor
    assert sweep.frontier == Frontier("country-share", "CN", None, None)  # home_country
    assert sweep.frontier.label == "CN's share of the most CN-dependent material"
    inline = sweep_of('frontier = { measure = "foreign-share", material = "" }\n' + FRONTIER_HEAD)
    assert inline.frontier == Frontier("foreign-share", None, None, None)
    assert inline.frontier.label == "the largest single foreign-country share of any material"
    given = sweep_of(FRONTIER_HEAD + '[frontier]\ncountry = "MY"\nmaterial = "Tb4O7"\n')
    assert given.frontier.label == "MY's share of Tb4O7"
    largest = sweep_of(FRONTIER_HEAD + '[frontier]\nmeasure = "largest-share"\n')
    assert largest.frontier.label == "the largest single-country share of any material"
    assert len({sweep.fingerprint, inline.fingerprint, given.fingerprint}) == 3


# --- designs -------------------------------------------------------------------------------

GRID = """name = "g"
scenario = '{scenario}'
[[parameter]]
name = "cap"
path = "country_caps.max_share[country=CN, material=]"
values = [0.5, 0.7]
[[parameter]]
name = "cover"
path = "policy.stockpile_cover_months"
range = { start = 0, stop = 1, step = 0.5 }
"""


def test_grid_is_the_product_with_the_first_parameter_slowest(here):
    sweep = sweep_of(GRID)
    expected = pd.DataFrame(
        {
            "point": np.arange(6, dtype=np.int64),
            "cap": [0.5, 0.5, 0.5, 0.7, 0.7, 0.7],
            "cover": [0.0, 0.5, 1.0, 0.0, 0.5, 1.0],
        }
    )
    pd.testing.assert_frame_equal(sweep.points(), expected)
    assert [p.base for p in sweep.parameters] == [0.6, 2.0]


def test_a_range_includes_stop_on_a_step_and_rounds_its_values(here):
    text = GRID.replace("stop = 1, step = 0.5", "stop = 0.3, step = 0.1")
    assert sweep_of(text).parameters[1].values == (0.0, 0.1, 0.2, 0.3)
    text = GRID.replace("stop = 1, step = 0.5", "stop = 0.35, step = 0.1")
    assert sweep_of(text).parameters[1].values == (0.0, 0.1, 0.2, 0.3)


def test_one_at_a_time_starts_at_the_base_and_skips_base_values(here):
    text = (
        GRID.replace('name = "g"', 'name = "o"\ndesign = "one-at-a-time"')
        .replace("values = [0.5, 0.7]", "values = [0.5, 0.6, 0.7]")
        .replace("stop = 1, step = 0.5", "stop = 3, step = 1")
    )
    points = sweep_of(text).points()
    assert points["point"].tolist() == list(range(6))
    assert points[["cap", "cover"]].values.tolist() == [
        [0.6, 2.0],  # the base
        [0.5, 2.0],
        [0.7, 2.0],  # 0.6 is the base: skipped
        [0.6, 0.0],
        [0.6, 1.0],
        [0.6, 3.0],  # 2 is the base: skipped
    ]


LHS = """name = "l"
scenario = '{scenario}'
design = "latin-hypercube"
samples = 40
seed = 11
[[parameter]]
name = "cap"
path = "country_caps.max_share[country=CN, material=]"
distribution = { kind = "uniform", low = 0.4, high = 0.8 }
[[parameter]]
name = "price"
path = "offers.price_usd_per_t[country=CN]"
mode = "factor"
distribution = { kind = "triangular", low = 0.8, mode = 1.0, high = 1.5 }
[[parameter]]
name = "demand"
path = "demand.demand_t[material=Dy2O3]"
mode = "factor"
distribution = { kind = "loguniform", low = 0.5, high = 2 }
[[parameter]]
name = "cover"
path = "policy.stockpile_cover_months"
values = [6, 1, 3]
[[parameter]]
name = "lead"
path = "suppliers.lead_time_months[supplier=irel]"
range = { start = 0, stop = 4, step = 2 }
"""


def test_latin_hypercube_is_seeded_stratified_and_within_bounds(here):
    sweep = sweep_of(LHS)
    points = sweep.points()
    pd.testing.assert_frame_equal(points, sweep_of(LHS).points())  # reproducible
    other = sweep_of(LHS.replace("seed = 11", "seed = 12")).points()
    assert not np.allclose(points["cap"], other["cap"])
    assert points["point"].tolist() == list(range(40))
    bounds = {"cap": (0.4, 0.8), "price": (0.8, 1.5), "demand": (0.5, 2), "cover": (1, 6)}
    for name, (low, high) in bounds.items():
        assert points[name].between(low, high).all(), name
    # one sample per stratum per dimension: the CDF of every sample falls in its own 1/n slice
    n = 40
    strata = {
        "cap": (points["cap"] - 0.4) / 0.4,
        "demand": np.log(points["demand"] / 0.5) / np.log(4),
        "cover": (points["cover"] - 1) / 5,
    }
    for name, cdf in strata.items():
        assert sorted(np.floor(cdf * n).astype(int)) == list(range(n)), name
    assert set(points["lead"]) <= {0.0, 1.0, 2.0, 3.0, 4.0}  # an integer column: whole numbers
    for value in points[["cap", "price", "demand", "cover"]].to_numpy().ravel():
        assert float(f"{value:.10g}") == value  # 10 significant digits


def test_latin_hypercube_accepts_a_seed_default_of_zero(here):
    sweep = sweep_of(LHS.replace("seed = 11\n", ""))
    assert sweep.seed == 0
    assert len(sweep.points()) == 40


# --- applying points -----------------------------------------------------------------------


def parameter(path: str, mode: str = "set", values=(1.0,)) -> Parameter:
    """The parameter a one-parameter sweep file makes of ``path``."""
    text = f'name = "t"\nscenario = \'{LP}\'\n[[parameter]]\nname = "p"\n'
    text += f"path = '{path}'\nmode = '{mode}'\nvalues = {list(values)}\n"
    Path("p.toml").write_text(text, encoding="utf-8")
    return load_sweep("p.toml").parameters[0]


def named(p: Parameter, name: str) -> Parameter:
    return dataclasses.replace(p, name=name)


@pytest.fixture(scope="module")
def base() -> Scenario:
    return load_scenario(LP)


def snapshot(scenario: Scenario) -> dict:
    return {name: scenario.table(name).copy(deep=True) for name in TABLE_NAMES} | {
        "settings": scenario.settings
    }


def assert_unchanged(scenario: Scenario, before: dict) -> None:
    for name in TABLE_NAMES:
        pd.testing.assert_frame_equal(scenario.table(name), before[name])
    assert scenario.settings == before["settings"]


def test_set_on_the_blank_material_caps_row_only(here, base):
    before = snapshot(base)
    p = parameter("country_caps.max_share[country=CN, material=]")
    assert p.filters == (("country", "CN"), ("material", ""))
    changed = apply_point(base, [p], {"p": 0.45})
    assert changed.country_caps["max_share"].tolist() == [0.45, 0.8]
    assert_unchanged(base, before)


def test_factor_on_every_offer_of_a_country_through_suppliers(here, base):
    before = snapshot(base)
    p = parameter("offers.price_usd_per_t[country=CN]", "factor", (1.1,))
    changed = apply_point(base, [p], {"p": 1.1})
    china = base.offers["supplier"].str.startswith("china-").to_numpy()
    old, new = base.offers["price_usd_per_t"], changed.offers["price_usd_per_t"]
    np.testing.assert_allclose(new[china], old[china] * 1.1)
    np.testing.assert_array_equal(new[~china], old[~china])
    assert_unchanged(base, before)


def test_factor_leaves_unlimited_capacity_and_set_replaces_it(here, base):
    uncontrolled = (base.offers["supplier"] == "china-uncontrolled").to_numpy()
    assert np.isinf(base.offers.loc[uncontrolled, "capacity_t_per_month"]).all()
    p = parameter("offers.capacity_t_per_month[supplier=china-uncontrolled]", "factor", (0,))
    changed = apply_point(base, [p], {"p": 0.0})
    assert np.isinf(changed.offers.loc[uncontrolled, "capacity_t_per_month"]).all()
    p = parameter("offers.capacity_t_per_month[supplier=china-uncontrolled]")
    assert math.isinf(p.base)
    changed = apply_point(base, [p], {"p": 3.0})
    assert changed.offers.loc[uncontrolled, "capacity_t_per_month"].tolist() == [3.0]


def test_materials_blank_cells_stay_blank_under_a_factor(here, base):
    p = parameter("materials.cover_months[material=Dy2O3]", "factor", (2,))
    changed = apply_point(base, [p], {"p": 2.0})
    assert changed.materials["cover_months"].isna().all()
    p = parameter("materials.cover_months[material=Dy2O3]")
    assert math.isnan(p.base)
    changed = apply_point(base, [p], {"p": 4.0})
    assert changed.materials["cover_months"].fillna(-1).tolist() == [4.0, -1, -1, -1, -1]
    p = parameter("materials.holding_cost_usd_per_t_month", "factor", (2,))
    changed = apply_point(base, [p], {"p": 2.0})
    np.testing.assert_allclose(
        changed.materials["holding_cost_usd_per_t_month"],
        base.materials["holding_cost_usd_per_t_month"] * 2,
    )


def test_demand_of_one_material_by_a_factor_and_one_month_set(here, base):
    p = parameter("demand.demand_t[material=Dy2O3]", "factor", (1.5,))
    changed = apply_point(base, [p], {"p": 1.5})
    dy = (base.demand["material"] == "Dy2O3").to_numpy()
    np.testing.assert_allclose(changed.demand["demand_t"][dy], base.demand["demand_t"][dy] * 1.5)
    np.testing.assert_array_equal(changed.demand["demand_t"][~dy], base.demand["demand_t"][~dy])
    p = parameter("demand.demand_t[material=Sm2O3, month=2027-05]")
    changed = apply_point(base, [p], {"p": 9.0})
    assert (changed.demand["demand_t"] != base.demand["demand_t"]).sum() == 1
    assert p.base == 0.5


def test_offers_blank_month_filter(here, base):
    p = parameter("offers.capacity_t_per_month[supplier=irel, month=]", "factor", (2,))
    changed = apply_point(base, [p], {"p": 2.0})
    irel = base.offers["supplier"] == "irel"
    assert changed.offers.loc[irel, "capacity_t_per_month"].tolist() == [
        55.6,
        11.1,
        11.1,
        11.1,
        0.6,
    ]


def test_suppliers_integer_and_number_columns(here, base):
    lead = named(parameter("suppliers.lead_time_months[supplier=irel]", values=(3,)), "lead")
    freight = parameter("suppliers.freight_usd_per_t[supplier=irel]", "factor", (2,))
    changed = apply_point(base, [lead, named(freight, "freight")], {"lead": 3.0, "freight": 2.0})
    assert changed.suppliers["lead_time_months"].dtype == np.int64
    irel = changed.suppliers["supplier"] == "irel"
    assert changed.suppliers.loc[irel, "lead_time_months"].tolist() == [3]
    assert changed.suppliers.loc[irel, "freight_usd_per_t"].tolist() == [40.0]
    assert (changed.suppliers.loc[~irel] == base.suppliers.loc[~irel]).all().all()


def test_settings_keys_set_and_factor(here, base):
    p = parameter("policy.stockpile_cover_months")
    assert (p.table, p.column, p.filters, p.base) == (
        "settings",
        "policy.stockpile_cover_months",
        (),
        2.0,
    )
    assert apply_point(base, [p], {"p": 5.0}).settings.stockpile_cover_months == 5.0
    p = parameter("policy.stockpile_cover_months", "factor", (1.5,))
    assert apply_point(base, [p], {"p": 1.5}).settings.stockpile_cover_months == 3.0
    assert base.settings.stockpile_cover_months == 2.0


def test_parameters_apply_in_order_and_values_need_every_name(here, base):
    p = parameter("country_caps.max_share[country=CN]")
    q = parameter("country_caps.max_share[country=CN]", "factor", (0.5,))
    p, q = named(p, "a"), named(q, "b")
    changed = apply_point(base, [p, q], {"a": 0.8, "b": 0.5, "point": 3})
    assert changed.country_caps["max_share"].tolist() == [0.4, 0.4]
    with pytest.raises(KeyError):
        apply_point(base, [p, q], {"a": 0.8})


def test_matches_follow_the_table_they_are_applied_to(here, base):
    p = parameter("offers.price_usd_per_t[supplier=irel]")
    apply_point(base, [p], {"p": 1.0})  # caches irel's rows for the base table
    reordered = base.with_changes(offers=base.offers.iloc[::-1].reset_index(drop=True))
    changed = apply_point(reordered, [p], {"p": 1.0})
    irel = changed.offers["supplier"] == "irel"
    assert changed.offers.loc[irel, "price_usd_per_t"].eq(1.0).all()
    assert changed.offers.loc[~irel, "price_usd_per_t"].ne(1.0).all()


def test_apply_point_is_cheap(here, base):
    sweep = load_sweep(SWEEPS / "tornado.toml")
    records = sweep.points().to_dict("records")
    apply_point(sweep.scenario, sweep.parameters, records[0])
    started = time.perf_counter()
    rounds = 20
    for _ in range(rounds):
        for record in records:
            apply_point(sweep.scenario, sweep.parameters, record)
    per_parameter = (time.perf_counter() - started) / (rounds * len(records)) / 5
    assert per_parameter < 0.002  # about 0.05 ms on a laptop; the aim is < 1 ms


# --- fingerprint ---------------------------------------------------------------------------


@pytest.mark.slow
def test_the_fingerprint_follows_the_sweep_file_and_the_scenario_files(here):
    folder = Path(shutil.copytree(LP, here / "base"))
    text = GRID.replace("'{scenario}'", '"base"')
    first = sweep_of(text).fingerprint
    assert sweep_of(text).fingerprint == first
    changed_sweep = sweep_of(text + "# a comment\n").fingerprint
    assert changed_sweep != first
    sweep_of(text)
    demand = folder / "demand.csv"
    demand.write_text(demand.read_text().replace("Dy2O3,2026-01,0.125", "Dy2O3,2026-01,0.126"))
    assert sweep_of(text).fingerprint not in (first, changed_sweep)
    (folder / "SOURCES.md").write_text("not an input")
    assert sweep_of(text).fingerprint == sweep_of(text).fingerprint


def test_the_fingerprint_follows_the_processing_chain_files(here):
    folder = Path(shutil.copytree(DEFAULT, here / "base"))
    text = GRID.replace("'{scenario}'", '"base"')
    first = sweep_of(text).fingerprint
    processes = folder / "processes.csv"
    processes.write_text(processes.read_text().replace("IN,323,5600", "IN,324,5600"))
    assert sweep_of(text).fingerprint != first


@pytest.mark.slow
def test_a_workbook_base_scenario(here):
    # the default, so that the processing chain's tables go through the workbook too
    write_scenario_workbook(load_scenario(DEFAULT), "base.xlsx")
    text = GRID.replace("'{scenario}'", '"base.xlsx"')
    sweep = sweep_of(text)
    assert sweep.scenario_path == Path("base.xlsx")
    assert len(sweep.points()) == 6
    first = sweep.fingerprint
    changed = load_scenario(DEFAULT).with_changes(
        settings=load_scenario(DEFAULT).settings.with_changes(stockpile_cover_months=3.0)
    )
    write_scenario_workbook(changed, "base.xlsx")
    assert sweep_of(text).fingerprint != first


@pytest.mark.parametrize(
    "name",
    ["status", "warm", "objective_usd", "share_cn", "built_x", "concentration", "hhi_x",
     "foreign_share_x", "foreign_country_x", "proof"],
)  # fmt: skip
def test_a_parameter_cannot_take_a_column_of_the_results_table(here, name):
    text = (
        HEAD
        + "[[parameter]]\n"  # 3
        + f'name = "{name}"\n'  # 4
        + "path = 'policy.stockpile_cover_months'\n"
        + "values = [1, 2]\n"
    )
    assert problems_of(text) == [
        f"s.toml:4: parameter[1].name: '{name}' is a column of the results table; name the "
        "parameter otherwise"
    ]
