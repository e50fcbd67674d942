# ruff: noqa: E501 (the table of mutations reads best one per line)
"""Mutations of the default scenario, each run through ``sourcing solve`` as a user would.

Every mutation either breaks the input, and then the command exits with code 2, names the file,
line and column, prints no traceback and writes nothing; or it is harmless (a byte-order mark,
CRLF line ends, padded numbers, the scenario as a workbook), and then the objective is the
default's to the cent. The classes: columns, encodings, numbers, references, months, duplicates,
recipes, TOML, names, files and workbooks.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest

from optimizer import load_scenario
from optimizer.cli.main import main
from optimizer.inputs.template import write_scenario_workbook

DEFAULT = Path(__file__).resolve().parents[1] / "inputs" / "india-2026"
BOOK = "scenario.xlsx"


@dataclass(frozen=True)
class Mutation:
    name: str
    apply: Callable[[Path], Path | None]  # changes the folder; may return another path to solve
    where: str | None  # the location the error must name ("offers.csv:3: price_usd_per_t");
    # None: a harmless change that must leave the objective as it is


def rows(folder: Path, file: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO((folder / file).read_text(encoding="utf-8"))))


def write_rows(folder: Path, file: str, table: list[list[str]]) -> None:
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(table)
    (folder / file).write_text(text.getvalue(), encoding="utf-8")


def cell(
    file: str, row: int, column: str, value: str, name: str | None = None, harmless: bool = False
) -> Mutation:
    """Row ``row`` (0: the first after the header, on line 2) of ``column`` set to ``value``."""

    def apply(folder: Path) -> None:
        table = rows(folder, file)
        table[row + 1][table[0].index(column)] = value
        write_rows(folder, file, table)

    label = name or f"{file} {column}={value!r}"
    return Mutation(label, apply, None if harmless else f"{file}:{row + 2}: {column}")


def text_edit(file: str, edit: Callable[[str], str], where: str | None, name: str) -> Mutation:
    def apply(folder: Path) -> None:
        path = folder / file
        path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")

    return Mutation(name, apply, where)


def byte_edit(file: str, edit: Callable[[bytes], bytes], where: str | None, name: str) -> Mutation:
    def apply(folder: Path) -> None:
        path = folder / file
        path.write_bytes(edit(path.read_bytes()))

    return Mutation(name, apply, where)


def every_csv(edit: Callable[[bytes], bytes], name: str) -> Mutation:
    def apply(folder: Path) -> None:
        for path in folder.glob("*.csv"):
            path.write_bytes(edit(path.read_bytes()))

    return Mutation(name, apply, None)


def append(file: str, line: str, where: str | None, name: str) -> Mutation:
    return text_edit(file, lambda text: text + line + "\n", where, name)


def toml(old: str, new: str, where: str | None, name: str) -> Mutation:
    def edit(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, 1)

    return text_edit("scenario.toml", edit, where, name)


def header(file: str, old: str, new: str, where: str, name: str) -> Mutation:
    def edit(text: str) -> str:
        first, rest = text.split("\n", 1)
        return first.replace(old, new, 1) + "\n" + rest

    return text_edit(file, edit, where, name)


def line_edit(file: str, line: int, edit: Callable[[str], str], where: str, name: str) -> Mutation:
    def whole(text: str) -> str:
        lines = text.split("\n")
        lines[line - 1] = edit(lines[line - 1])
        return "\n".join(lines)

    return text_edit(file, whole, where, name)


def drop_column(file: str, column: str) -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        table = rows(folder, file)
        index = table[0].index(column)
        write_rows(folder, file, [row[:index] + row[index + 1 :] for row in table])

    return apply


def rename_everywhere(old: str, new: str, where: str, name: str) -> Mutation:
    """A name changed in every table, so references still agree: only the name is wrong."""

    def apply(folder: Path) -> None:
        for path in folder.glob("*.csv"):
            table = rows(folder, path.name)
            write_rows(folder, path.name, [[new if c == old else c for c in r] for r in table])

    return Mutation(name, apply, where)


# --- files -----------------------------------------------------------------------------------


def symlink_outside(folder: Path) -> None:
    secret = folder.parent / "secret.csv"
    secret.write_text("supplier,material,month,price_usd_per_t\nTOP-SECRET-LINE,x,,1\n")
    (folder / "offers.csv").unlink()
    (folder / "offers.csv").symlink_to(secret)


def symlink_inside(folder: Path) -> None:
    (folder / "offers.csv").rename(folder / "offers-2026.csv")
    (folder / "offers.csv").symlink_to("offers-2026.csv")


def folder_named_like_a_file(folder: Path) -> None:
    (folder / "demand.csv").unlink()
    (folder / "demand.csv").mkdir()


def fifo(folder: Path) -> None:
    (folder / "suppliers.csv").unlink()
    os.mkfifo(folder / "suppliers.csv")  # reading it would block forever


def missing(file: str) -> Callable[[Path], None]:
    return lambda folder: (folder / file).unlink()


# --- workbooks -------------------------------------------------------------------------------


def as_workbook(edit: Callable[[openpyxl.Workbook], None] | None = None) -> Callable:
    def apply(folder: Path) -> Path:
        book = folder.parent / BOOK
        write_scenario_workbook(load_scenario(folder), book)
        if edit is not None:
            workbook = openpyxl.load_workbook(book)
            edit(workbook)
            workbook.save(book)
        return book

    return apply


def set_sheet_cell(sheet: str, coordinate: str, value) -> Callable[[openpyxl.Workbook], None]:
    def edit(workbook: openpyxl.Workbook) -> None:
        workbook[sheet][coordinate] = value

    return edit


def zip_bomb(folder: Path) -> Path:
    """A small file whose one sheet inflates to about 1 GiB of repeated empty cells."""
    book = folder.parent / BOOK
    write_scenario_workbook(load_scenario(folder), book)
    with zipfile.ZipFile(book) as source:
        entries = {item.filename: source.read(item) for item in source.infolist()}
    sheet = next(name for name in entries if name.startswith("xl/worksheets/sheet"))
    bomb = folder.parent / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in entries.items():
            if name != sheet:
                target.writestr(name, data)
        with target.open(sheet, "w", force_zip64=True) as stream:
            stream.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/'
                         b'spreadsheetml/2006/main"><sheetData><row r="1">')  # fmt: skip
            chunk = b"<c/>" * (2**20 // 4)
            for _ in range(1024):
                stream.write(chunk)
            stream.write(b"</row></sheetData></worksheet>")
    return bomb


def not_a_zip(folder: Path) -> Path:
    book = folder.parent / BOOK
    book.write_text("material,initial_stock_t\nDy2O3,1\n")
    return book


def old_xls(folder: Path) -> Path:
    book = folder.parent / BOOK
    book.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    return book


def drop_sheet(name: str) -> Callable[[openpyxl.Workbook], None]:
    return lambda workbook: workbook.remove(workbook[name])


LOOP = "metal-back,NdPr-metal,input,1\nmetal-back,NdPr-oxide,output,2"


MUTATIONS = [
    # columns
    header("offers.csv", "price_usd_per_t", "price_usd_per_tonne", "offers.csv:1: price_usd_per_tonne", "misspelt column"),
    Mutation("required column missing", drop_column("demand.csv", "demand_t"), "demand.csv:1: demand_t"),
    header("suppliers.csv", "tariff_pct", "country", "suppliers.csv:1: country", "column twice"),
    header("materials.csv", "initial_stock_t", "", "materials.csv:1", "column without a name"),
    line_edit("offers.csv", 4, lambda line: line + ",7", "offers.csv:4", "row with an extra field"),
    line_edit("demand.csv", 5, lambda line: line.rsplit(",", 1)[0], "demand.csv:5", "row missing a field"),
    text_edit("offers.csv", lambda text: "", "offers.csv:1", "empty file"),
    line_edit("offers.csv", 3, lambda line: '"' + line, "offers.csv:3", "unclosed quote"),
    # encodings
    byte_edit("suppliers.csv", lambda b: b.replace(b"irel,", b"ir\xe9l,"), "suppliers.csv:5", "Latin-1 byte"),
    byte_edit("offers.csv", lambda b: b.decode().encode("utf-16"), "offers.csv:1", "UTF-16 file"),
    byte_edit("demand.csv", lambda b: b.replace(b"2026-03", b"2026\x00-03", 1), "demand.csv:4", "NUL byte"),
    byte_edit("processes.csv", lambda b: os.urandom(0) + bytes(range(256)), "processes.csv:1", "binary garbage"),
    every_csv(lambda b: b"\xef\xbb\xbf" + b, "byte-order mark on every file"),
    every_csv(lambda b: b.replace(b"\n", b"\r\n"), "CRLF line ends"),
    every_csv(lambda b: b.replace(b"\n", b"\n\n") + b"   \n", "blank lines and trailing spaces"),
    byte_edit("scenario.toml", lambda b: b"\xef\xbb\xbf" + b.replace(b"\n", b"\r\n"), None, "TOML with BOM and CRLF"),
    cell("offers.csv", 0, "price_usd_per_t", "  237500  ", "padded number", harmless=True),
    cell("offers.csv", 0, "price_usd_per_t", "2.375e5", "number in exponent form", harmless=True),
    cell("demand.csv", 0, "demand_t", "69.400000", "number with trailing zeros", harmless=True),
    # numbers
    cell("offers.csv", 1, "price_usd_per_t", "abc"),
    cell("offers.csv", 1, "price_usd_per_t", "NaN"),
    cell("offers.csv", 1, "price_usd_per_t", "inf"),
    cell("offers.csv", 1, "price_usd_per_t", "-1"),
    cell("offers.csv", 1, "price_usd_per_t", "1e25"),
    cell("offers.csv", 1, "price_usd_per_t", "1,000"),
    cell("offers.csv", 1, "price_usd_per_t", "0x10"),
    cell("offers.csv", 1, "capacity_t_per_month", "-inf"),
    cell("demand.csv", 2, "demand_t", "1e308"),
    cell("demand.csv", 2, "demand_t", ""),
    cell("materials.csv", 0, "initial_stock_t", "1e308"),
    cell("materials.csv", 1, "cover_months", "1e308"),
    cell("materials.csv", 2, "holding_cost_usd_per_t_month", "1e30"),
    cell("suppliers.csv", 0, "lead_time_months", "1.5"),
    cell("suppliers.csv", 0, "tariff_pct", "5000"),
    cell("country_caps.csv", 0, "max_share", "1.5"),
    cell("expansions.csv", 0, "capital_cost_usd", "1e300"),
    cell("contracts.csv", 0, "max_t_per_month", "1e200"),
    cell("process_io.csv", 0, "t_per_t", "1e40"),
    # references
    cell("offers.csv", 0, "supplier", "china-licensed-oxide"),
    cell("demand.csv", 0, "material", "NdFeB-magnets"),
    cell("country_caps.csv", 0, "country", "XX"),
    cell("contracts.csv", 0, "supplier", "lynas"),
    cell("expansions.csv", 5, "requires", "metal-line-nobody"),
    cell("process_io.csv", 1, "material", "NdPr-oxyde"),
    cell("process_io.csv", 1, "process", "irel-separator"),
    # months
    cell("demand.csv", 1, "month", "2026-13"),
    cell("demand.csv", 1, "month", "2030-01"),
    cell("offers.csv", 0, "month", "26-01"),
    cell("contracts.csv", 0, "end_month", "2026-06", name="contract ends before it starts"),
    # duplicates
    line_edit("offers.csv", 3, lambda line: line + "\n" + line, "offers.csv:4", "duplicate offer"),
    append("materials.csv", "Dy2O3,0,1,,,,,,", "materials.csv:11", "duplicate material"),
    # recipes
    Mutation(
        "recipe loop making metal from nothing",
        lambda folder: (
            (folder / "processes.csv").write_text(
                (folder / "processes.csv").read_text() + "metal-back,Pune,IN,10,100,\n"
            ),
            (folder / "process_io.csv").write_text(
                (folder / "process_io.csv").read_text() + LOOP + "\n"
            ),
        ),
        "process_io.csv:23: process",  # the loop is named at its first line
    ),
    cell("process_io.csv", 0, "t_per_t", "0", name="process without a positive input"),
    cell("process_io.csv", 2, "material", "monazite", name="material both in and out"),
    Mutation("process without an output", cell("process_io.csv", 7, "direction", "input").apply, "processes.csv:3: process"),
    cell("contracts.csv", 0, "min_t_per_month", "5", name="take-or-pay minimum above maximum"),
    cell("expansions.csv", 2, "requires", "magnet-line-own", name="requirements in a loop"),
    # TOML
    toml('name = "india-2026"', "name = 5", "scenario.toml:4: name", "name of the wrong type"),
    toml("months = 36", 'months = "36"', "scenario.toml:16: horizon.months", "months as text"),
    toml("months = 36", "months = 0", "scenario.toml:16: horizon.months", "no months"),
    toml("months = 36", "months = 100000", "scenario.toml:16: horizon.months", "too many months"),
    toml("cap_window =", "cap_windw =", "scenario.toml:19: policy.cap_windw", "unknown key"),
    toml('name = "india-2026"', 'name = "india-2026', "scenario.toml:4", "malformed TOML"),
    toml('start = "2026-01"', 'start = "2026-13"', "scenario.toml:15: horizon.start", "bad month"),
    toml('cap_window = "year"', 'cap_window = "week"', "scenario.toml:19: policy.cap_window", "bad choice"),
    toml('name = "india-2026"', 'name = "../../etc"', "scenario.toml:4: name", "name as a path"),
    toml('currency = "USD"', 'currency = "USD"\nname = "x"', "scenario.toml", "duplicate key"),
    toml("stockpile_cover_months = 2.0", "stockpile_cover_months = 1e308", "scenario.toml:20: policy.stockpile_cover_months", "huge cover"),
    toml("discount_rate_pct = 10", "discount_rate_pct = -5", "scenario.toml:26: investment.discount_rate_pct", "negative rate"),
    # names
    rename_everywhere("Dy2O3", "=HYPERLINK(\"http://x\")", "materials.csv:2: material", "formula as a material"),
    rename_everywhere("irel", "@SUM(A1)", "suppliers.csv:5: supplier", "formula as a supplier"),
    rename_everywhere("CN", "$\\foo{$", "suppliers.csv:2: country", "mathtext as a country"),
    rename_everywhere("irel-separation", "irel\x07sep", "processes.csv:2: process", "control character"),
    rename_everywhere("lynas-hre-dy", "x" * 300, "contracts.csv:2: contract", "name too long"),
    rename_everywhere("metal-line-own", "-metal-line-own", "expansions.csv:4: option", "name starting with -"),
    # files
    Mutation("symlink out of the folder", symlink_outside, "offers.csv"),
    Mutation("symlink inside the folder", symlink_inside, None),
    Mutation("folder named like a table", folder_named_like_a_file, "demand.csv"),
    Mutation("named pipe", fifo, "suppliers.csv"),
    Mutation("required file missing", missing("demand.csv"), "demand.csv"),
    # workbooks
    Mutation("the scenario as a workbook", as_workbook(), None),
    Mutation("text in a workbook's number", as_workbook(set_sheet_cell("offers", "D3", "abc")), f"{BOOK}[offers]:3: price_usd_per_t"),
    Mutation("formula name in a workbook", as_workbook(set_sheet_cell("materials", "A2", "=1+1")), f"{BOOK}[materials]:2: material"),
    Mutation("workbook without a sheet", as_workbook(drop_sheet("demand")), f"{BOOK}"),
    Mutation("zip bomb", zip_bomb, "bomb.xlsx"),
    Mutation("text file named .xlsx", not_a_zip, BOOK),
    Mutation("old .xls file", old_xls, BOOK),
]  # fmt: skip


def test_the_fuzz_covers_sixty_distinct_mutations_of_every_class():
    names = [mutation.name for mutation in MUTATIONS]
    assert len(set(names)) == len(names) >= 60
    assert sum(mutation.where is None for mutation in MUTATIONS) >= 8


@pytest.fixture(scope="module")
def default_objective(shipped_result) -> float:
    return shipped_result(DEFAULT.name).objective_usd


def snapshot(folder: Path) -> dict[str, bytes | str]:
    return {
        str(p.relative_to(folder)): os.readlink(p) if p.is_symlink() else
        (p.read_bytes() if p.is_file() and not p.is_fifo() else "special")
        for p in sorted(folder.rglob("*"))
    }  # fmt: skip


def fuzz_cases(refusals_every: int = 4) -> list:
    """The mutations as parameters. A harmless one solves the whole default scenario and the zip
    bomb writes 1 GiB: slow. A refusal stops at the input check, in a tenth of a second or less,
    but there are dozens: one in ``refusals_every`` runs in the quick loop, the others are slow."""
    refusals = [m for m in MUTATIONS if m.where is not None and m.name != "zip bomb"]
    quick = set(refusals[::refusals_every])
    return [
        pytest.param(m, id=m.name, marks=[] if m in quick else [pytest.mark.slow])
        for m in MUTATIONS
    ]


@pytest.mark.parametrize("mutation", fuzz_cases())
def test_a_mutation_is_refused_with_its_location_or_is_harmless(
    mutation, tmp_path, capsys, default_objective
):
    folder = Path(shutil.copytree(DEFAULT, tmp_path / "scenario"))
    source = mutation.apply(folder)
    source = source if isinstance(source, Path) else folder
    before = snapshot(tmp_path)
    out = tmp_path / "out"
    code = main(["solve", str(source), "--out", str(out)])
    captured = capsys.readouterr()
    if mutation.where is None:
        assert code == 0, captured.err
        objective = json.loads((out / "summary.json").read_text())["objective_usd"]
        assert objective == pytest.approx(default_objective, abs=0.01)
        return
    assert code == 2, captured.err
    assert "Traceback" not in captured.err and captured.out == ""
    # a problem in a folder names the folder; one in a workbook, the book (and sheet)
    location = mutation.where if source.is_file() else f"{source}/{mutation.where}"
    assert any(line.startswith(location) for line in captured.err.splitlines()), captured.err
    assert "TOP-SECRET-LINE" not in captured.err
    assert snapshot(tmp_path) == before  # nothing written, nothing removed
