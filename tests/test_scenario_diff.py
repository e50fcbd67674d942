"""The input differences between two scenarios, and ``sourcing diff A B``."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pandas as pd
import pytest
from helpers import run, unwrapped

from optimizer import Scenario, load_scenario
from optimizer.inputs.scenario_diff import (
    COLUMNS,
    format_differences,
    scenario_differences,
    value_text,
)
from optimizer.inputs.schema import TABLES
from optimizer.inputs.template import write_scenario_workbook

DEFAULT = Path(__file__).resolve().parents[1] / "inputs" / "india-2026"
CHINA_CAP = "country=CN, material=(every)"
RAISED_OFFER = "supplier=china-licensed-oxides, material=Dy2O3, month=(every)"
REMOVED_OFFER = "supplier=mp-materials, material=Dy2O3, month=2026-01"
ADDED_OFFER = "supplier=irel, material=Dy2O3, month=2027-03"
# The differences of changed_copy, in the order they are listed.
EXPECTED = [
    ("scenario.toml", "policy.stockpile_cover_months", "policy.stockpile_cover_months",
     "2", "3.5", "changed"),
    ("offers.csv", RAISED_OFFER, "price_usd_per_t", "237500", "285000", "changed"),
    ("offers.csv", ADDED_OFFER, "", "(none)",
     "price_usd_per_t=400000, capacity_t_per_month=unlimited", "added"),
    ("offers.csv", REMOVED_OFFER, "", "price_usd_per_t=850000, capacity_t_per_month=0",
     "(none)", "removed"),
    ("country_caps.csv", CHINA_CAP, "max_share", "0.6", "0.5", "changed"),
]  # fmt: skip


def copy(tmp_path: Path, name: str) -> Path:
    return Path(shutil.copytree(DEFAULT, tmp_path / name))


def edit_csv(path: Path, change) -> None:
    """Rewrite a CSV file of a scenario folder through ``change(table) -> table`` (as text)."""
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    change(table).to_csv(path, index=False, lineterminator="\n")


def changed_copy(tmp_path: Path) -> Path:
    """The default scenario with the China cap lowered, the cover raised, one offer's price
    times 1.2, one offer row removed and one added."""
    folder = copy(tmp_path, "changed")
    toml = folder / "scenario.toml"
    text = toml.read_text(encoding="utf-8")
    assert "stockpile_cover_months = 2.0" in text
    toml.write_text(text.replace("stockpile_cover_months = 2.0", "stockpile_cover_months = 3.5"))

    def cap(table: pd.DataFrame) -> pd.DataFrame:
        table.loc[(table["country"] == "CN") & (table["material"] == ""), "max_share"] = "0.5"
        return table

    def offers(table: pd.DataFrame) -> pd.DataFrame:
        raised = (table["supplier"] == "china-licensed-oxides") & (table["material"] == "Dy2O3")
        price = float(table.loc[raised, "price_usd_per_t"].item()) * 1.2
        table.loc[raised, "price_usd_per_t"] = repr(price)
        removed = (table["supplier"] == "mp-materials") & (table["material"] == "Dy2O3")
        removed &= table["month"] == "2026-01"
        assert removed.sum() == 1
        added = ["irel", "Dy2O3", "2027-03", "400000", ""]
        return pd.concat([table[~removed], pd.DataFrame([added], columns=table.columns)])

    edit_csv(folder / "country_caps.csv", cap)
    edit_csv(folder / "offers.csv", offers)
    return folder


@pytest.fixture(scope="module")
def default() -> Scenario:
    return load_scenario(DEFAULT)


def test_a_copy_has_no_differences(tmp_path, default):
    differences = scenario_differences(default, load_scenario(copy(tmp_path, "same")))
    assert list(differences.columns) == COLUMNS and differences.empty
    assert format_differences(differences) == "No input differences."


def test_the_changes_made_are_exactly_the_differences(tmp_path, default):
    differences = scenario_differences(default, load_scenario(changed_copy(tmp_path)))
    assert list(differences.columns) == COLUMNS
    assert [tuple(row) for row in differences.itertuples(index=False)] == EXPECTED


def test_the_other_way_round_swaps_old_and_new(tmp_path, default):
    differences = scenario_differences(load_scenario(changed_copy(tmp_path)), default)
    swapped = {"added": "removed", "removed": "added", "changed": "changed"}
    expected = [(t, k, c, new, old, swapped[change]) for t, k, c, old, new, change in EXPECTED]
    assert sorted(map(tuple, differences.itertuples(index=False))) == sorted(expected)


def test_the_text_groups_by_table_in_order(tmp_path, default):
    text = format_differences(scenario_differences(default, load_scenario(changed_copy(tmp_path))))
    assert max(map(len, text.splitlines())) <= 100  # a long row is wrapped
    assert unwrapped(text) == [
        "scenario.toml (1 difference)",
        "  policy.stockpile_cover_months: 2 -> 3.5",
        "offers.csv (3 differences)",
        f"  {RAISED_OFFER}  price_usd_per_t: 237500 -> 285000",
        f"  {ADDED_OFFER}  added: price_usd_per_t=400000, capacity_t_per_month=unlimited",
        f"  {REMOVED_OFFER}  removed: price_usd_per_t=850000, capacity_t_per_month=0",
        "country_caps.csv (1 difference)",
        f"  {CHINA_CAP}  max_share: 0.6 -> 0.5",
        # a copied folder keeps its description, which may still say "China is capped at 60%"
        "(the description is the same: check that it still says what is changed)",
    ]
    strict = format_differences(
        scenario_differences(default, load_scenario(DEFAULT.parent / "india-2026-strict"))
    )
    assert "the description is the same" not in strict  # its description was rewritten


def test_every_setting_is_compared(default):
    def other(value):
        if isinstance(value, str):
            return value + "x"
        return 1 if value is None else value + 1

    settings = default.settings
    changed = settings.with_changes(
        **{f.name: other(getattr(settings, f.name)) for f in dataclasses.fields(settings)}
    )
    differences = scenario_differences(default, default.with_changes(check=False, settings=changed))
    assert len(differences) == len(dataclasses.fields(settings))
    assert list(differences["key"]) == list(settings.by_key())
    assert set(differences["table"]) == {"scenario.toml"}


def test_a_line_break_in_a_value_stays_on_its_line(default):
    two_lines = default.with_changes(
        check=False, settings=default.settings.with_changes(description="a\nb")
    )
    text = format_differences(scenario_differences(default, two_lines))
    assert text.splitlines()[1].endswith(" -> a\\nb") and len(text.splitlines()) == 2


def test_every_table_is_compared(default):
    for name, spec in TABLES.items():
        table = default.table(name)
        if table.empty:
            continue
        differences = scenario_differences(
            default, default.with_changes(check=False, **{name: table[:0]})
        )
        assert set(differences["table"]) == {spec.file}, name
        assert (differences["change"] == "removed").sum() == len(table), name


def test_float_noise_is_no_difference_and_never_shown(default):
    offers = default.offers.copy()
    offers["capacity_t_per_month"] *= 1.2  # 0.547 * 1.2 = 0.6563999999999999
    caps = default.country_caps.assign(max_share=default.country_caps["max_share"] + 1e-16)
    differences = scenario_differences(
        default, default.with_changes(check=False, offers=offers, country_caps=caps)
    )
    assert set(differences["table"]) == {"offers.csv"}
    lynas = differences[differences["key"].str.startswith("supplier=lynas-malaysia, material=Dy")]
    assert lynas[["old", "new"]].values.tolist() == [["0.547", "0.6564"]]
    assert value_text(0.1 + 0.2) == "0.3" and value_text(0.6000000000000001) == "0.6"
    assert value_text(1e12) == "1000000000000" and value_text(-0.0) == "0"


def test_repeated_keys_are_matched_by_row(default):
    offers = pd.concat([default.offers, default.offers.iloc[[0]]], ignore_index=True)
    offers.loc[1, "price_usd_per_t"] = 900000.0
    differences = scenario_differences(default, default.with_changes(check=False, offers=offers))
    rows = [tuple(row) for row in differences.itertuples(index=False)]
    assert rows[0] == ("offers.csv", "row 2", "price_usd_per_t", "850000", "900000", "changed")
    assert rows[1][1:4] == (f"row {len(offers)}", "", "(none)") and rows[1][5] == "added"
    assert rows[1][4].startswith("supplier=china-licensed-oxides, material=Dy2O3, month=(every)")
    assert len(rows) == 2


def test_a_workbook_of_the_same_inputs_has_no_differences(tmp_path, default):
    book = write_scenario_workbook(default, tmp_path / "same.xlsx")
    assert scenario_differences(default, load_scenario(book)).empty


# --- sourcing diff ---------------------------------------------------------------------------


def test_diff_prints_the_differences(tmp_path, capsys, default):
    changed = changed_copy(tmp_path)
    code, out, err = run(capsys, "diff", DEFAULT, changed)
    assert code == 0, err
    assert out == format_differences(scenario_differences(default, load_scenario(changed))) + "\n"
    assert "offers.csv (3 differences)" in out and err == ""


def test_diff_of_equal_scenarios_exits_0(tmp_path, capsys):
    code, out, _ = run(capsys, "diff", DEFAULT, copy(tmp_path, "same"))
    assert (code, out) == (0, "No input differences.\n")


def test_a_missing_folder_is_one_line_and_exit_2(tmp_path, capsys):
    missing = tmp_path / "nowhere"
    code, out, err = run(capsys, "diff", DEFAULT, missing)
    assert code == 2 and out == ""
    problems = [line for line in err.splitlines() if not line.startswith("error:")]
    assert problems == [f"{missing}: does not exist"]


def test_an_invalid_scenario_names_its_file_and_exits_2(tmp_path, capsys):
    broken = copy(tmp_path, "broken")
    edit_csv(broken / "country_caps.csv", lambda table: table.assign(max_share="2"))
    code, out, err = run(capsys, "diff", broken, DEFAULT)
    assert code == 2 and out == ""
    assert err.startswith(f"{broken}/country_caps.csv:2: max_share: ")


def test_diff_writes_the_table_as_csv_and_replaces_its_own(tmp_path, capsys, default):
    changed = changed_copy(tmp_path)
    out_file = tmp_path / "diffs" / "differences.csv"
    for _ in range(2):  # the second run replaces the file the first one wrote
        code, out, err = run(capsys, "diff", DEFAULT, changed, "--csv", out_file)
        assert code == 0, err
        assert out.endswith(f"Written: {out_file}\n")
    written = pd.read_csv(out_file, dtype=str, keep_default_na=False)
    assert [tuple(row) for row in written.itertuples(index=False)] == EXPECTED
    assert sorted(p.name for p in out_file.parent.iterdir()) == ["differences.csv"]


def test_diff_refuses_to_overwrite_a_file_it_did_not_write(tmp_path, capsys):
    foreign = tmp_path / "notes.csv"
    foreign.write_text("my,own\nnotes,here\n")
    code, out, err = run(capsys, "diff", DEFAULT, DEFAULT, "--csv", foreign)
    assert code == 2 and out == ""
    assert err == (
        f"error: --csv {foreign}: exists and was not written by sourcing diff; "
        "it is not replaced: name a new file\n"
    )
    assert foreign.read_text() == "my,own\nnotes,here\n"


def test_the_shipped_scenarios_differ_as_their_files_say():
    # inputs/india-2026-strict/scenario.toml: China at 50% of each material and 70% of magnets
    # (not 60/80), six months of cover (not two) from January 2027 (not August 2026), the
    # fixed floors of Dy and Tb scaled alike; india-2026-partner: the partnered magnet line's
    # capital cut from USD 39.6 M to 15.6 M. Nothing else differs.
    default = load_scenario(DEFAULT)
    rows = {
        (row.table, row.key, row.column): (row.old, row.new)
        for row in scenario_differences(
            default, load_scenario(DEFAULT.parent / "india-2026-strict")
        )
        .drop(columns="change")
        .itertuples(index=False)
        if row.column not in ("name", "description")
    }
    assert rows == {
        ("scenario.toml", "policy.stockpile_cover_months", "policy.stockpile_cover_months"): (
            "2",
            "6",
        ),
        ("scenario.toml", "policy.stockpile_from", "policy.stockpile_from"): ("2026-08", "2027-01"),
        ("materials.csv", "material=Dy2O3", "floor_t"): ("1.4", "4.1"),
        ("materials.csv", "material=Tb4O7", "floor_t"): ("0.28", "0.83"),
        ("country_caps.csv", "country=CN, material=(every)", "max_share"): ("0.6", "0.5"),
        ("country_caps.csv", "country=CN, material=NdFeB-magnet", "max_share"): ("0.8", "0.7"),
    }
    partner = scenario_differences(default, load_scenario(DEFAULT.parent / "india-2026-partner"))
    changed = partner[~partner["column"].isin(["name", "description"])]
    assert changed[["table", "key", "column", "old", "new"]].values.tolist() == [
        ["expansions.csv", "option=magnet-line-partner", "capital_cost_usd", "39600000", "15600000"]
    ]
