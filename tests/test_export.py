"""``sourcing export``: a scenario folder to a workbook and back changes nothing (tables equal to
the last bit and dtype, settings equal, the written folder a fixed point, the same optimum), the
written CSVs read as a person writes them, and nothing is destroyed or half-written."""

from __future__ import annotations

import os
import shutil
import tomllib
from pathlib import Path

import pandas as pd
import pytest
from conftest import FIXTURES, INPUTS
from helpers import run

from optimizer import load_scenario, solve
from optimizer.inputs.scenario import Scenario
from optimizer.inputs.schema import SETTINGS_FILE, TABLES

SHIPPED = ["india-2026", "india-2026-partner", "india-2026-strict", "india-2026-risk"]
DEFAULT = INPUTS / "india-2026"


def assert_same_scenario(loaded: Scenario, expected: Scenario) -> None:
    assert loaded.settings == expected.settings
    for name in TABLES:
        pd.testing.assert_frame_equal(
            loaded.table(name), expected.table(name), check_exact=True, obj=name
        )


def files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def export(capsys, *args: object) -> str:
    """``sourcing export *args``, which must succeed; its output."""
    code, out, err = run(capsys, "export", *args)
    assert code == 0, err
    return out


def words(text: str) -> str:
    """``text`` with its lines joined (long lines are wrapped to the terminal width)."""
    return " ".join(text.split())


def entries(folder: Path) -> list[str]:
    return sorted(entry.name for entry in os.scandir(folder))


# --- round trips -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", SHIPPED)
def test_folder_to_workbook_to_folder_changes_nothing_and_is_a_fixed_point(tmp_path, capsys, name):
    original = load_scenario(INPUTS / name)
    book, folder = tmp_path / "book.xlsx", tmp_path / "folder"
    out = export(capsys, INPUTS / name, book)
    sheets = f"{len(TABLES)} table sheets and the settings"
    assert words(out) == f"Written: {book} ({sheets}; solve it with: sourcing solve {book})"
    assert_same_scenario(load_scenario(book), original)
    out = export(capsys, book, folder)
    assert words(out).startswith(f"Written: {folder}/ (scenario.toml, materials.csv, ")
    assert entries(folder) == sorted([SETTINGS_FILE, *(spec.file for spec in TABLES.values())])
    assert_same_scenario(load_scenario(folder), original)

    export(capsys, folder, tmp_path / "again.xlsx")
    export(capsys, tmp_path / "again.xlsx", tmp_path / "again")
    assert files(tmp_path / "again") == files(folder)
    assert (tmp_path / "again.xlsx").read_bytes() == book.read_bytes()


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_csv_file_comes_back_byte_for_byte(tmp_path, capsys, name):
    # The shipped files are written as export writes them (schema order, defaults written),
    # so folder -> workbook -> folder gives every one of them back unchanged.
    export(capsys, INPUTS / name, tmp_path / "book.xlsx")
    export(capsys, tmp_path / "book.xlsx", tmp_path / "folder")
    shipped = sorted((INPUTS / name).glob("*.csv"))
    assert len(shipped) >= 9
    for path in shipped:
        assert (tmp_path / "folder" / path.name).read_bytes() == path.read_bytes(), path.name


def test_scenario_toml_keeps_every_value_but_not_the_comments(tmp_path, capsys):
    export(capsys, DEFAULT, tmp_path / "book.xlsx")
    export(capsys, tmp_path / "book.xlsx", tmp_path / "folder")
    original = tomllib.loads((DEFAULT / SETTINGS_FILE).read_text(encoding="utf-8"))
    written_text = (tmp_path / "folder" / SETTINGS_FILE).read_text(encoding="utf-8")
    written = tomllib.loads(written_text)
    for key, value in original.items():  # every key written is kept; defaults are added
        if isinstance(value, dict):
            for leaf, inner in value.items():
                assert written[key][leaf] == inner, f"{key}.{leaf}"
        else:
            assert written[key] == value, key
    assert "#" not in written_text
    assert "discount_rate_pct = 10\n" in written_text  # as written, not 10.0


@pytest.mark.slow
def test_the_round_tripped_default_scenario_solves_to_the_same_optimum(
    tmp_path, capsys, shipped_result
):
    export(capsys, DEFAULT, tmp_path / "book.xlsx")
    export(capsys, tmp_path / "book.xlsx", tmp_path / "folder")
    again = solve(load_scenario(tmp_path / "folder"))
    assert again.objective_usd == pytest.approx(
        shipped_result("india-2026").objective_usd, abs=1e-6
    )


def test_folder_to_folder_and_workbook_to_workbook_are_normalised_copies(tmp_path, capsys):
    export(capsys, FIXTURES / "valid-small", tmp_path / "copy")
    assert_same_scenario(load_scenario(tmp_path / "copy"), load_scenario(FIXTURES / "valid-small"))
    export(capsys, tmp_path / "copy", tmp_path / "a.xlsx")
    export(capsys, tmp_path / "a.xlsx", tmp_path / "b.xlsx")
    assert (tmp_path / "b.xlsx").read_bytes() == (tmp_path / "a.xlsx").read_bytes()


# --- how numbers and text are written --------------------------------------------------------


def test_numbers_are_written_as_typed_and_read_back_to_the_same_float(tmp_path):
    scenario = load_scenario(FIXTURES / "valid-small")
    offers = scenario.offers.copy()
    prices = [1500.0, 0.1 + 0.2, 1e-7, 2 / 3, 999999999.5, 123456.789]
    offers.loc[: len(prices) - 1, "price_usd_per_t"] = prices
    changed = scenario.with_changes(offers=offers)
    text = (changed.write(tmp_path / "folder") / "offers.csv").read_text(encoding="utf-8")
    cells = [line.split(",")[3] for line in text.splitlines()[1 : len(prices) + 1]]
    assert cells == [
        "1500",
        "0.30000000000000004",
        "1e-07",
        "0.6666666666666666",
        "999999999.5",
        "123456.789",
    ]
    assert_same_scenario(load_scenario(tmp_path / "folder"), changed)


def test_text_with_quotes_commas_and_line_breaks_survives_both_ways(tmp_path, capsys):
    scenario = load_scenario(FIXTURES / "valid-small")
    description = 'Line one, "quoted"\nline two\twith a tab and a back\\slash'
    changed = scenario.with_changes(
        settings=scenario.settings.with_changes(description=description)
    )
    changed.write(tmp_path / "folder")
    assert_same_scenario(load_scenario(tmp_path / "folder"), changed)
    export(capsys, tmp_path / "folder", tmp_path / "book.xlsx")
    export(capsys, tmp_path / "book.xlsx", tmp_path / "again")
    assert load_scenario(tmp_path / "again").settings.description == description


# --- what is refused, and what is left -------------------------------------------------------


def test_an_existing_workbook_is_replaced_only_with_force(tmp_path, capsys):
    out = tmp_path / "book.xlsx"
    out.write_bytes(b"not ours")
    code, _, err = run(capsys, "export", FIXTURES / "valid-small", out)
    assert code == 2 and err == f"error: {out} exists; use --force to replace it\n"
    assert out.read_bytes() == b"not ours"
    export(capsys, FIXTURES / "valid-small", out, "--force")
    assert_same_scenario(load_scenario(out), load_scenario(FIXTURES / "valid-small"))
    assert entries(tmp_path) == ["book.xlsx"]  # no temporary file or lock left beside it


@pytest.mark.parametrize("force", [[], ["--force"]])
def test_a_folder_that_holds_anything_is_never_replaced(tmp_path, capsys, force):
    export(capsys, FIXTURES / "valid-small", tmp_path / "book.xlsx")
    out = tmp_path / "scenario"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    code, _, err = run(capsys, "export", tmp_path / "book.xlsx", out, *force)
    assert code == 2
    assert err.startswith(f"error: {out}: is not empty (notes.txt); sourcing export writes only")
    assert entries(out) == ["notes.txt"]
    assert entries(tmp_path) == ["book.xlsx", "scenario"]


def test_a_folder_written_by_export_is_not_replaced_either_but_an_empty_one_is(tmp_path, capsys):
    out = tmp_path / "scenario"
    export(capsys, FIXTURES / "valid-small", out)
    before = files(out)
    code, _, err = run(capsys, "export", FIXTURES / "chain-small", out, "--force")
    assert code == 2 and "is not empty" in err
    assert files(out) == before
    shutil.rmtree(out)
    out.mkdir()
    export(capsys, FIXTURES / "chain-small", out)
    assert_same_scenario(load_scenario(out), load_scenario(FIXTURES / "chain-small"))


@pytest.mark.parametrize("out", ["link.xlsx", "link"])
def test_a_link_is_refused(tmp_path, capsys, out):
    target = tmp_path / "elsewhere"
    target.mkdir()
    (tmp_path / out).symlink_to(target)
    code, _, err = run(capsys, "export", FIXTURES / "valid-small", tmp_path / out, "--force")
    assert code == 2 and ("not a plain file" in err or "symbolic link" in err)
    assert entries(target) == []


@pytest.mark.parametrize("out", ["book.xlsx", "folder"])
def test_a_hostile_scenario_is_reported_and_nothing_is_written(tmp_path, capsys, out):
    scenario = Path(shutil.copytree(FIXTURES / "valid-small", tmp_path / "bad"))
    caps = scenario / "country_caps.csv"
    caps.write_text(caps.read_text(encoding="utf-8").replace("CN,,0.6", "CN,,-0.6"), "utf-8")
    code, out_text, err = run(capsys, "export", scenario, tmp_path / "new" / out)
    assert code == 2 and out_text == ""
    assert f"{scenario}/country_caps.csv:2: max_share: " in err
    assert err.endswith("error: 1 problem in the input; nothing was written\n")
    assert entries(tmp_path) == ["bad"]  # not even the folder OUT would be in


def test_a_killed_export_leaves_no_half_scenario(tmp_path, capsys, monkeypatch):
    def killed(self, folder):
        (Path(folder) / SETTINGS_FILE).write_text("half", encoding="utf-8")
        raise KeyboardInterrupt

    monkeypatch.setattr(Scenario, "write", killed)
    code, _, err = run(capsys, "export", FIXTURES / "valid-small", tmp_path / "folder")
    assert code == 130 and "nothing was written" in err
    assert entries(tmp_path) == []


def test_an_xls_name_is_refused_and_help_says_what_is_read_and_written(tmp_path, capsys):
    code, _, err = run(capsys, "export", FIXTURES / "valid-small", tmp_path / "book.xls")
    assert code == 2 and "written as .xlsx" in err
    with pytest.raises(SystemExit) as exited:
        run(capsys, "export", "--help")
    assert exited.value.code == 0
    shown = words(capsys.readouterr().out)
    assert "Reads: SCENARIO: a scenario folder or an .xlsx workbook" in shown
    assert "OUT.xlsx (OUT ending in .xlsx): a README sheet" in shown
    assert "OUT/ (any other name): scenario.toml and one CSV file per input table" in shown
    assert "Not kept: comments in scenario.toml" in shown


def test_a_folder_that_looks_set_aside_is_not_ours_to_touch(tmp_path, capsys):
    # A result folder swap sets the old result aside as .<name>.sourcing-old-*; export never
    # does, so such a folder beside its target is someone else's and stays as it is.
    aside = tmp_path / ".out.sourcing-old-abc"
    aside.mkdir()
    (aside / "notes.txt").write_text("mine", encoding="utf-8")
    export(capsys, DEFAULT, tmp_path / "out")
    assert (aside / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert (tmp_path / "out" / SETTINGS_FILE).is_file()
    assert not (tmp_path / "out" / "notes.txt").exists()
