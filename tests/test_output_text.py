"""Text written out stays text: every .xlsx writer stores strings as strings (never a formula,
an error cell or a refused control character), read back from the saved XML; and the CLI
says its version."""

from __future__ import annotations

import dataclasses
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pandas as pd
import pytest
from builders import CAPPED, scenario

from optimizer import load_scenario
from optimizer.cli.main import main

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
# Text openpyxl would make a formula ("=..."), an error cell ("#N/A", ...) or refuse (\x07).
RISKY = ["=1+1", '=HYPERLINK("http://example.invalid","x")', "#N/A", "#REF!", "+1", "@SUM(A1)"]


def cells(path: Path) -> dict[str, list[tuple[str | None, str | None, str | None]]]:
    """Each worksheet's cells as saved: (type attribute, formula text, inline string text)."""
    found = {}
    with zipfile.ZipFile(path) as book:
        for name in book.namelist():
            if not name.startswith("xl/worksheets/sheet"):
                continue
            root = ElementTree.fromstring(book.read(name))
            found[name] = [
                (c.get("t"), c.findtext(f"{MAIN}f"), c.findtext(f"{MAIN}is/{MAIN}t"))
                for c in root.iter(f"{MAIN}c")
            ]
    return found


def assert_text_only(path: Path, expected: list[str]) -> None:
    """No cell is a formula or an error; each of ``expected`` is an inline string."""
    written = [cell for sheet in cells(path).values() for cell in sheet]
    assert [c for c in written if c[1] is not None or c[0] == "e"] == []
    strings = {text for kind, _, text in written if kind == "inlineStr"}
    assert [text for text in expected if text not in strings] == []
    with zipfile.ZipFile(path) as book:
        assert not any(name.endswith("sharedStrings.xml") for name in book.namelist())


def test_result_sheets_keep_headings_cells_and_summary_as_text(tmp_path):
    from optimizer.results.workbook import write_tables_workbook

    frame = pd.DataFrame({"=1+1": RISKY, "@heading": ["bell\x07ringing", *RISKY[1:]]})
    summary = {"scenario": "=cmd", "shares": {"#N/A": "-x", "=nested": 1.5}}
    path = write_tables_workbook(tmp_path / "out.xlsx", {"headline": frame}, summary=summary)
    assert_text_only(
        path,
        [*RISKY, "=1+1", "@heading", "bell\ufffdringing", "=cmd", "#N/A", "-x", "=nested"],
    )


@pytest.mark.slow
def test_compare_xlsx_headings_are_text(tmp_path, capsys):
    from optimizer import solve, write_result

    result = solve(scenario(**CAPPED))
    folders = [write_result(result, tmp_path / name) for name in ("=one", "#REF!")]
    out = tmp_path / "cmp"
    assert main(["compare", *map(str, folders), "--out", str(out)]) == 0
    capsys.readouterr()
    assert_text_only(out / "compare.xlsx", ["'=one", "#REF!", "Δ #REF!"])


def test_the_template_and_its_notes_are_text(tmp_path, monkeypatch):
    """The README sheet, the header comments and the settings notes come from the schema's
    descriptions: text even when one reads like a formula."""
    from optimizer.inputs import template as workbook

    real = workbook.table_fields

    def risky_fields(file):
        return tuple(dataclasses.replace(f, description="=1+1") for f in real(file))

    monkeypatch.setattr(workbook, "table_fields", risky_fields)
    path = workbook.write_template(tmp_path / "template.xlsx")
    assert_text_only(path, ["=1+1"])
    with zipfile.ZipFile(path) as book:
        comments = [n for n in book.namelist() if n.startswith("xl/comments")]
        assert comments and all(b"=1+1" in book.read(n) for n in comments)


def test_a_scenario_workbook_keeps_text_and_reads_back(tmp_path):
    from optimizer.inputs.template import write_scenario_workbook

    sc = scenario(**CAPPED, description="#N/A")
    path = write_scenario_workbook(sc, tmp_path / "scenario.xlsx")
    assert_text_only(path, ["#N/A"])
    assert load_scenario(path).settings.description == "#N/A"


def test_version_prints_the_distributions_version(capsys):
    from importlib.metadata import version

    with pytest.raises(SystemExit) as stopped:
        main(["--version"])
    assert stopped.value.code == 0
    assert capsys.readouterr().out == f"sourcing {version('rare-earth-sourcing')}\n"
