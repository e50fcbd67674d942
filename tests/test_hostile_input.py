"""Hostile or mistaken input gets located problems (exit code 2, nothing written), never a
traceback nor a silently wrong answer: names, number ranges, recipes that make material from
nothing, files that are links, pipes or huge, workbooks that unpack to far more than they hold,
paths a newcomer gets wrong, and sweep points changed in memory.

Line numbers are those of ``tests/fixtures/valid-small`` and ``tests/fixtures/chain-small``,
listed in ``test_validation.py``. Workbooks are ``valid-small`` written by the tool; its sheets
are ``xl/worksheets/sheet1.xml`` (README), ``sheet2.xml`` (scenario), ``sheet3.xml``
(materials), ``sheet4.xml`` (suppliers), ``sheet5.xml`` (offers) and so on.
"""

from __future__ import annotations

import os
import struct
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from helpers import only_problem, problems
from test_validation import append_lines, edit_toml, replace_line, set_cell

from optimizer import load_scenario
from optimizer.cli.main import main
from optimizer.inputs.problems import ScenarioError
from optimizer.inputs.scenario import scenario_problems
from optimizer.inputs.schema import NAME_RULE, fields
from optimizer.inputs.template import write_scenario_workbook

FIXTURES = Path(__file__).parent / "fixtures"
NOT_A_NAME = f"is not a valid name: {NAME_RULE}"
FROM_NOTHING = "recipes make material from nothing"
ZERO_INPUTS = "so its outputs would come from nothing; an input needs a positive t_per_t"
OUTSIDE = "is a link to a file outside the scenario folder; copy the file in instead"
TOO_MANY_CELLS = (
    "the sheets up to this one hold more than 1,000,000 cells (each row counted up to its last "
    "cell); a workbook may hold at most 1,000,000"
)
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")


# --- names -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file", "line", "column", "value"),
    [
        ("offers.csv", 4, "supplier", "=cmd|' /C calc'!A0"),  # a formula in a spreadsheet
        ("offers.csv", 4, "supplier", "+1"),
        ("offers.csv", 4, "supplier", "-my-lynas"),
        ("offers.csv", 4, "supplier", "@SUM(A1)"),
        ("offers.csv", 4, "material", "Nd$_2$O$_3$"),  # mathtext in a chart label
        ("demand.csv", 4, "material", "../NdPr-oxide"),
        ("demand.csv", 4, "material", "NdPr/oxide"),
        ("suppliers.csv", 3, "country", "M\\Y"),
        ("country_caps.csv", 3, "country", "_CN"),
        ("materials.csv", 3, "material", "Dy2O3;drop"),
        ("materials.csv", 3, "material", "x" * 65),
    ],
)
def test_an_identifier_must_be_a_name(small_scenario, file, line, column, value):
    set_cell(small_scenario, file, line, column, value)
    found = problems(small_scenario)
    shown = value if len(value) <= 60 else value[:57] + "..."
    assert f"{file}:{line}: {column}: '{shown}' {NOT_A_NAME}" in found
    if file != "materials.csv":  # a bad name is reported once, not again as unknown
        assert len(found) == 1, found


def test_the_name_rule_says_what_is_allowed():
    assert NAME_RULE == (
        "names are 1 to 64 letters, digits, spaces and . _ - ( ) & +, starting with a letter or "
        "digit"
    )


def test_a_control_character_in_a_name_is_shown_escaped(small_scenario):
    set_cell(small_scenario, "offers.csv", 4, "supplier", "my\x1b[2Jlynas")
    assert only_problem(small_scenario) == (
        f"offers.csv:4: supplier: 'my\\x1b[2Jlynas' {NOT_A_NAME}"
    )


def test_a_control_character_in_a_column_name_is_shown_escaped(small_scenario):
    replace_line(small_scenario, "demand.csv", 1, "material,month,demand\x1bt")
    assert problems(small_scenario) == [
        "demand.csv:1: demand\\x1bt: unknown column; did you mean 'demand_t'?",
        "demand.csv:1: demand_t: required column is missing",
    ]


def test_names_in_the_chain_files_are_checked(chain_scenario):
    set_cell(chain_scenario, "expansions.csv", 2, "exclusive_group", "$upgrade")
    set_cell(chain_scenario, "contracts.csv", 3, "contract", "=1+1")
    assert problems(chain_scenario) == [
        f"contracts.csv:3: contract: '=1+1' {NOT_A_NAME}",
        f"expansions.csv:2: exclusive_group: '$upgrade' {NOT_A_NAME}",
    ]


def test_names_in_any_script_with_spaces_and_punctuation_are_fine(small_scenario):
    for file in ("materials.csv", "offers.csv", "demand.csv", "country_caps.csv"):
        path = small_scenario / file
        path.write_text(path.read_text(encoding="utf-8").replace("Dy2O3", "Dy oxide (Tb&Dy+)_2"))
    for file in ("suppliers.csv", "offers.csv"):
        path = small_scenario / file
        path.write_text(path.read_text(encoding="utf-8").replace("my-lynas", "Lynas Malaysia 稀土"))
    scenario = load_scenario(small_scenario)
    assert scenario.materials["material"].tolist() == ["NdPr-oxide", "Dy oxide (Tb&Dy+)_2"]
    assert "Lynas Malaysia 稀土" in set(scenario.suppliers["supplier"])


def test_names_in_a_workbook_are_checked(small_scenario, tmp_path):
    book = write_scenario_workbook(load_scenario(small_scenario), tmp_path / "book.xlsx")
    workbook = openpyxl.load_workbook(book)
    workbook["offers"].cell(4, 1).value = "@cmd"
    workbook.save(book)
    assert only_problem(book) == f"book.xlsx[offers]:4: supplier: '@cmd' {NOT_A_NAME}"


# --- numbers ---------------------------------------------------------------------------------


def test_every_bad_number_of_a_table_is_reported(small_scenario):
    set_cell(small_scenario, "offers.csv", 2, "price_usd_per_t", "1e25")
    set_cell(small_scenario, "offers.csv", 3, "capacity_t_per_month", "inf")  # unlimited: fine
    set_cell(small_scenario, "offers.csv", 5, "capacity_t_per_month", "1e300")
    set_cell(small_scenario, "demand.csv", 2, "demand_t", "1e308")
    assert problems(small_scenario) == [
        "demand.csv:2: demand_t: 1e308 is above 1e9; values must be at most 1e9",
        "offers.csv:2: price_usd_per_t: 1e25 is above 1e9; values must be at most 1e9",
        "offers.csv:5: capacity_t_per_month: 1e300 is above 1e9; values must be at most 1e9",
    ]


def test_numbers_at_their_limits_are_fine(small_scenario):
    set_cell(small_scenario, "offers.csv", 2, "price_usd_per_t", "1e9")
    set_cell(small_scenario, "suppliers.csv", 2, "tariff_pct", "1000")
    assert load_scenario(small_scenario).offers["price_usd_per_t"].iloc[0] == 1e9


def test_every_number_column_has_a_finite_upper_limit():
    numbers = [f for f in fields() if f.type in ("number", "integer", "share")]
    assert numbers and all(f.max is not None and f.max < 1e20 for f in numbers)


# --- recipes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "recipe"),
    [(5, "metal-line"), (7, "sep-partner"), (10, "metal-line-b")],  # a process, then options
)
def test_a_recipe_needs_a_positive_input(chain_scenario, line, recipe):
    set_cell(chain_scenario, "process_io.csv", line, "t_per_t", "0")
    assert only_problem(chain_scenario) == (
        f"process_io.csv:{line}: t_per_t: every input of '{recipe}' is 0 t/t, {ZERO_INPUTS}"
    )


def test_a_recipe_that_makes_nothing_from_nothing_is_fine(chain_scenario):
    set_cell(chain_scenario, "process_io.csv", 5, "t_per_t", "0")
    set_cell(chain_scenario, "process_io.csv", 6, "t_per_t", "0")
    assert load_scenario(chain_scenario).process_io["t_per_t"].iloc[3:5].tolist() == [0.0, 0.0]


def add_process(folder: Path, name: str, *recipe: str) -> None:
    append_lines(folder, "processes.csv", f"{name},Vizag,IN,3,100,")
    append_lines(folder, "process_io.csv", *recipe)


def test_a_loop_of_recipes_gaining_material_is_named(chain_scenario):
    # 1 t oxide -> 1 t metal (reduce) -> 2 t oxide (oxidise): lines 12..15
    add_process(chain_scenario, "reduce", "reduce,NdPr-oxide,input,1", "reduce,NdPr-metal,output,1")
    add_process(
        chain_scenario, "oxidise", "oxidise,NdPr-metal,input,1", "oxidise,NdPr-oxide,output,2"
    )
    assert only_problem(chain_scenario) == (
        f"process_io.csv:12: process: {FROM_NOTHING}: 1 t NdPr-oxide -> 1 t NdPr-metal (reduce) "
        "-> 2 t NdPr-oxide (oxidise)"
    )


def test_a_loop_that_gives_back_what_went_in_is_fine(chain_scenario):
    # carbonate -> 0.28 oxide (sep-partner, an option's own recipe) -> 0.82 metal (metal-line-b)
    # -> carbonate again: at 1 / (0.28 x 0.82) t/t the loop gives back exactly what went in
    recycle = 1 / (0.28 * 0.82)
    add_process(
        chain_scenario,
        "recycle",
        "recycle,NdPr-metal,input,1",
        f"recycle,carbonate,output,{recycle!r}",
    )
    load_scenario(chain_scenario)
    replace_line(chain_scenario, "process_io.csv", 13, "recycle,carbonate,output,4.36")
    assert only_problem(chain_scenario) == (
        f"process_io.csv:7: process: {FROM_NOTHING}: 1 t carbonate -> 0.28 t NdPr-oxide "
        "(sep-partner) -> 0.2296 t NdPr-metal (metal-line-b) -> 1.001 t carbonate (recycle)"
    )


def test_a_barely_gaining_loop_shows_enough_digits(chain_scenario):
    add_process(
        chain_scenario, "recycle", "recycle,NdPr-metal,input,1", "recycle,carbonate,output,4.3555"
    )
    assert only_problem(chain_scenario).endswith("-> 1.00002 t carbonate (recycle)")


def test_each_loop_is_reported_once(chain_scenario):
    add_process(chain_scenario, "reduce", "reduce,NdPr-oxide,input,1", "reduce,NdPr-metal,output,1")
    add_process(
        chain_scenario, "oxidise", "oxidise,NdPr-metal,input,1", "oxidise,NdPr-oxide,output,2"
    )
    add_process(chain_scenario, "cerium", "cerium,Ce-oxide,input,1", "cerium,carbonate,output,3")
    assert problems(chain_scenario) == [
        f"process_io.csv:2: process: {FROM_NOTHING}: 1 t carbonate -> 0.45 t Ce-oxide "
        "(sep-plant) -> 1.35 t carbonate (cerium)",
        f"process_io.csv:12: process: {FROM_NOTHING}: 1 t NdPr-oxide -> 1 t NdPr-metal (reduce) "
        "-> 2 t NdPr-oxide (oxidise)",
    ]


def test_loops_sharing_a_material_are_both_reported(chain_scenario):
    # two loops through NdPr-metal: with oxide (oxidise) and with carbonate (recycle)
    add_process(
        chain_scenario, "oxidise", "oxidise,NdPr-metal,input,1", "oxidise,NdPr-oxide,output,2"
    )
    add_process(
        chain_scenario, "recycle", "recycle,NdPr-metal,input,1", "recycle,carbonate,output,9"
    )
    found = problems(chain_scenario)
    assert found == [
        f"process_io.csv:7: process: {FROM_NOTHING}: 1 t carbonate -> 0.28 t NdPr-oxide "
        "(sep-partner) -> 0.2296 t NdPr-metal (metal-line-b) -> 2.066 t carbonate (recycle)",
        f"process_io.csv:10: process: {FROM_NOTHING}: 1 t NdPr-oxide -> 0.82 t NdPr-metal "
        "(metal-line-b) -> 1.64 t NdPr-oxide (oxidise)",
    ]


# --- files -----------------------------------------------------------------------------------


def test_a_link_to_a_file_outside_the_folder_is_refused_unread(small_scenario, tmp_path, capsys):
    secret = tmp_path / "secret.csv"
    secret.write_text("TOP-SECRET,hunter2\n", encoding="utf-8")
    (small_scenario / "offers.csv").unlink()
    (small_scenario / "offers.csv").symlink_to(secret)
    assert main(["validate", str(small_scenario)]) == 2
    out, err = capsys.readouterr()
    assert err.splitlines() == [
        f"{small_scenario}/offers.csv: {OUTSIDE}",
        "error: 1 problem in the input; nothing was written",
    ]
    assert "SECRET" not in out + err


def test_a_link_out_through_another_link_and_a_linked_settings_file(small_scenario, tmp_path):
    outside = tmp_path / "elsewhere.toml"
    outside.write_bytes((small_scenario / "scenario.toml").read_bytes())
    (small_scenario / "scenario.toml").unlink()
    (small_scenario / "hop.toml").symlink_to(outside)
    (small_scenario / "scenario.toml").symlink_to(small_scenario / "hop.toml")
    assert only_problem(small_scenario) == f"scenario.toml: {OUTSIDE}"


def test_a_link_inside_the_folder_is_fine(small_scenario):
    (small_scenario / "data").mkdir()
    (small_scenario / "offers.csv").rename(small_scenario / "data" / "offers.csv")
    (small_scenario / "offers.csv").symlink_to(Path("data") / "offers.csv")
    assert len(load_scenario(small_scenario).offers) == 7


def test_a_link_that_loops_is_refused(small_scenario):
    (small_scenario / "offers.csv").unlink()
    (small_scenario / "offers.csv").symlink_to(small_scenario / "again.csv")
    (small_scenario / "again.csv").symlink_to(small_scenario / "offers.csv")
    assert only_problem(small_scenario) == "offers.csv: is a link that leads back to itself"


def test_a_broken_link_for_an_optional_file_is_reported(small_scenario):
    (small_scenario / "contracts.csv").symlink_to(small_scenario / "missing.csv")
    assert only_problem(small_scenario) == "contracts.csv: file not found"


@needs_fifo
@pytest.mark.parametrize("file", ["offers.csv", "scenario.toml", "contracts.csv"])
def test_a_named_pipe_is_refused_without_blocking(small_scenario, file):
    (small_scenario / file).unlink(missing_ok=True)
    os.mkfifo(small_scenario / file)
    assert only_problem(small_scenario) == f"{file}: is a named pipe, not a regular file"


def test_a_folder_named_like_a_file_is_refused(small_scenario):
    (small_scenario / "demand.csv").unlink()
    (small_scenario / "demand.csv").mkdir()
    assert only_problem(small_scenario) == "demand.csv: is a folder, not a regular file"


def test_a_file_over_the_size_limit_is_refused_unread(small_scenario):
    with (small_scenario / "offers.csv").open("r+b") as handle:
        handle.truncate(300_000_000)  # sparse: nothing is written to disk
    assert only_problem(small_scenario) == (
        "offers.csv: is 300 MB; a scenario file may be at most 200 MB"
    )


# --- workbooks -------------------------------------------------------------------------------


Entry = bytes | tuple[bytes, int, int]  # data, or (raw deflate stream, CRC-32, size unpacked)


def write_zip(path: Path, entries: dict[str, Entry]) -> Path:
    """A zip archive written by hand, so an entry's deflated data may be made elsewhere."""
    local, central = bytearray(), bytearray()
    for name, entry in entries.items():
        if isinstance(entry, bytes):
            packer = zlib.compressobj(6, zlib.DEFLATED, -15)
            entry = (packer.compress(entry) + packer.flush(), zlib.crc32(entry), len(entry))
        raw, crc, size = entry
        encoded, offset = name.encode(), len(local)
        # version needed, flags, method (deflate), time, date (1980-01-01), crc, sizes
        fields = struct.pack("<5H3I", 20, 0, 8, 0, 0x21, crc, len(raw), size)
        local += b"PK\x03\x04" + fields + struct.pack("<2H", len(encoded), 0) + encoded + raw
        central += b"PK\x01\x02" + struct.pack("<H", 20) + fields
        central += struct.pack("<5H2I", len(encoded), 0, 0, 0, 0, 0, offset) + encoded
    count = len(entries)
    end = struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, count, count, len(central), len(local), 0)
    path.write_bytes(bytes(local + central) + end)
    return path


def book_entries(small_scenario: Path, tmp_path: Path) -> dict[str, Entry]:
    book = write_scenario_workbook(load_scenario(small_scenario), tmp_path / "written.xlsx")
    with zipfile.ZipFile(book) as archive:
        return {item.filename: archive.read(item) for item in archive.infolist()}


def sheet_xml(rows: bytes, dimension: str = "A1:E8") -> bytes:
    head = f'<worksheet xmlns="{MAIN_NS}"><dimension ref="{dimension}"/><sheetData>'
    return head.encode() + rows + b"</sheetData></worksheet>"


@pytest.fixture
def refusal(monkeypatch):
    """Load a workbook expecting one problem, with openpyxl's reading watched and, if asked, the
    peak of memory traced (which slows Python down): ``(problem, openpyxl opened it, peak)``."""
    opened: list[bool] = []
    real = openpyxl.load_workbook  # imported by the workbook loader when it reads a workbook

    def watched(*args, **kwargs):
        opened.append(True)
        return real(*args, **kwargs)

    monkeypatch.setattr(openpyxl, "load_workbook", watched)

    def load(path: Path, trace: bool = False) -> tuple[str, bool, int]:
        if trace:
            tracemalloc.start()
        try:
            with pytest.raises(ScenarioError) as caught:
                load_scenario(path)
            peak = tracemalloc.get_traced_memory()[1] if trace else 0
        finally:
            tracemalloc.stop()
        [problem] = caught.value.problems
        return str(problem), bool(opened), peak

    return load


def zero_bomb(size: int) -> tuple[bytes, int, int]:
    """A deflate stream of ``size`` zero bytes (a multiple of 1 MiB) about 1,000 times smaller,
    made from one compressed MiB repeated (a full flush makes each copy stand alone)."""
    mebibyte = bytes(1 << 20)
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = packer.compress(mebibyte) + packer.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(size >> 20):
        crc = zlib.crc32(mebibyte, crc)
    return block * (size >> 20) + packer.flush(), crc, size


@pytest.mark.slow
def test_a_zip_bomb_is_refused_before_anything_is_unpacked(small_scenario, tmp_path, refusal):
    entries = book_entries(small_scenario, tmp_path)
    entries["xl/worksheets/sheet5.xml"] = zero_bomb(1 << 30)  # offers: 1 GiB of zeros
    book = write_zip(tmp_path / "book.xlsx", entries)
    assert book.stat().st_size < 2_000_000
    problem, opened, peak = refusal(book, trace=True)
    assert problem == "book.xlsx: unpacks to 1,074 MB; a workbook may unpack to at most 200 MB"
    assert not opened and peak < 20_000_000


@pytest.mark.slow
def test_millions_of_empty_cells_are_refused_unparsed(small_scenario, tmp_path, refusal):
    entries = book_entries(small_scenario, tmp_path)
    rows = (b"<row>" + b"<c/>" * 1000 + b"</row>") * 2000  # 2 million cells, declared as A1:E8
    entries["xl/worksheets/sheet5.xml"] = sheet_xml(rows)
    book = write_zip(tmp_path / "book.xlsx", entries)
    assert book.stat().st_size < 1_000_000
    problem, opened, peak = refusal(book, trace=True)
    assert problem == f"book.xlsx[offers]: {TOO_MANY_CELLS}"
    assert not opened and peak < 50_000_000


@pytest.mark.slow
def test_prefixed_cell_tags_are_counted_too(small_scenario, tmp_path, refusal):
    entries = book_entries(small_scenario, tmp_path)
    rows = (b"<x:row>" + b'<x:c\tr="A1"></x:c>' * 1000 + b"</x:row>") * 1001
    head = f'<x:worksheet xmlns:x="{MAIN_NS}"><x:sheetData>'.encode()
    entries["xl/worksheets/sheet4.xml"] = head + rows + b"</x:sheetData></x:worksheet>"
    problem, opened, _ = refusal(write_zip(tmp_path / "book.xlsx", entries))
    assert problem == f"book.xlsx[suppliers]: {TOO_MANY_CELLS}" and not opened


@pytest.mark.parametrize(
    "rows",
    [
        b'<row r="1"><c r="A1"/></row><row r="900000000"><c r="A900000000"/></row>',
        b"".join(b'<row r="%d"><c r="XFD%d"/></row>' % (n, n) for n in range(1, 101)),
    ],
    ids=["far-row", "far-column"],
)
def test_a_sheet_lying_about_where_its_cells_are_is_refused(
    small_scenario, tmp_path, refusal, rows
):
    entries = book_entries(small_scenario, tmp_path)
    entries["xl/worksheets/sheet5.xml"] = sheet_xml(rows, dimension="A1")
    problem, opened, _ = refusal(write_zip(tmp_path / "book.xlsx", entries))
    assert problem == f"book.xlsx[offers]: {TOO_MANY_CELLS}"
    assert opened  # counted as openpyxl reads: the gap rows and wide rows are made, not kept


def test_an_archive_of_too_many_files_is_refused(small_scenario, tmp_path, refusal):
    entries = book_entries(small_scenario, tmp_path)
    entries |= {f"junk/{n}.txt": b"" for n in range(1001 - len(entries))}
    problem, opened, _ = refusal(write_zip(tmp_path / "book.xlsx", entries))
    assert problem == "book.xlsx: holds 1,001 files; a workbook may hold at most 1,000"
    assert not opened


def test_an_archive_understating_its_files_is_refused(small_scenario, tmp_path, refusal):
    entries = book_entries(small_scenario, tmp_path)
    entries |= {f"junk/{n}.txt": b"" for n in range(1200 - len(entries))}
    book = write_zip(tmp_path / "book.xlsx", entries)
    data = bytearray(book.read_bytes())
    data[-14:-10] = struct.pack("<2H", 10, 10)  # the end record's counts: 10 files
    book.write_bytes(bytes(data))
    problem, opened, _ = refusal(book)
    assert problem == "book.xlsx: holds 1,200 files; a workbook may hold at most 1,000"
    assert not opened


def test_an_archive_with_a_huge_list_of_files_is_refused(small_scenario, tmp_path, refusal):
    entries = {f"junk/{n:060d}": b"" for n in range(20_000)}  # 111 bytes a record
    problem, opened, _ = refusal(write_zip(tmp_path / "book.xlsx", entries))
    assert problem == (
        "book.xlsx: lists its files in 3 MB; a workbook's list of files may take at most 1 MB"
    )
    assert not opened


@pytest.mark.slow
def test_too_many_shared_strings_are_refused(small_scenario, tmp_path, refusal):
    entries = book_entries(small_scenario, tmp_path)
    strings = b"<si><t>a</t></si>" * 1_000_001
    entries["xl/sharedStrings.xml"] = f'<sst xmlns="{MAIN_NS}">'.encode() + strings + b"</sst>"
    problem, opened, _ = refusal(write_zip(tmp_path / "book.xlsx", entries))
    assert problem == (
        "book.xlsx: holds more than 1,000,000 shared strings; a workbook may hold at most 1,000,000"
    )
    assert not opened


def test_a_workbook_written_by_hand_reads_like_the_tool_s_own(small_scenario, tmp_path):
    book = write_zip(tmp_path / "book.xlsx", book_entries(small_scenario, tmp_path))
    assert len(load_scenario(book).offers) == 7


def test_a_workbook_over_the_size_limit_is_refused_unread(tmp_path):
    with (tmp_path / "book.xlsx").open("wb") as handle:
        handle.truncate(300_000_000)
    assert only_problem(tmp_path / "book.xlsx") == (
        f"{tmp_path / 'book.xlsx'}: is 300 MB; a scenario file may be at most 200 MB"
    )


@needs_fifo
def test_a_named_pipe_named_like_a_workbook_is_refused(tmp_path):
    os.mkfifo(tmp_path / "book.xlsx")
    assert only_problem(tmp_path / "book.xlsx") == (
        f"{tmp_path / 'book.xlsx'}: is a named pipe, not a regular file"
    )


# --- paths a newcomer gives ------------------------------------------------------------------


@pytest.fixture
def beside(small_scenario, monkeypatch) -> Path:
    """The folder holding the scenario folder ``scenario/`` (and a note), as the working
    directory."""
    monkeypatch.chdir(small_scenario.parent)
    (small_scenario.parent / "notes.txt").write_text("supplier,country\n", encoding="utf-8")
    return small_scenario.parent


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("scenario/scenario.toml", "is a file of a scenario folder; give the folder: scenario"),
        ("scenario/offers.csv", "is a file of a scenario folder; give the folder: scenario"),
        ("scenaro", "does not exist; did you mean scenario?"),
        ("scenario/offer.csv", "does not exist"),
        ("elsewhere/scenario", "does not exist"),
        ("notes.txt", "is neither a scenario folder nor an .xlsx workbook (it is a text file, "
                      "perhaps CSV)"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("command", ["validate", "solve"])
def test_a_path_that_is_no_scenario_is_one_problem(beside, capsys, command, given, message):
    assert main([command, given]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        f"{given}: {message}",
        "error: 1 problem in the input; nothing was written",
    ]
    assert not (beside / "results").exists()


def test_a_settings_file_named_from_inside_its_folder(beside, monkeypatch, capsys):
    monkeypatch.chdir(beside / "scenario")
    assert main(["validate", "scenario.toml"]) == 2
    assert capsys.readouterr().err.splitlines()[0] == (
        "scenario.toml: is a file of a scenario folder; give the folder: ."
    )


def test_a_misspelt_workbook_gets_a_hint(small_scenario, beside):
    write_scenario_workbook(load_scenario(small_scenario), beside / "plan.xlsx")
    with pytest.raises(ScenarioError) as caught:
        load_scenario("plann.xlsx")
    assert str(caught.value) == "plann.xlsx: does not exist; did you mean plan.xlsx?"


# --- sweep points: a scenario changed in memory ----------------------------------------------


@pytest.mark.parametrize("folder", ["valid-small", "chain-small", "india-lp"])
def test_a_valid_scenario_has_no_problems_in_memory(folder):
    assert scenario_problems(load_scenario(FIXTURES / folder)) == []


def test_the_default_scenario_has_no_problems_in_memory():
    assert scenario_problems(load_scenario(Path(__file__).parents[1] / "inputs/india-2026")) == []


def test_a_minimum_over_the_maximum_reads_as_in_a_folder(chain_scenario):
    scenario = load_scenario(chain_scenario)
    contracts = scenario.contracts.copy()
    contracts.loc[0, "min_t_per_month"] = 40.0
    point = scenario.with_changes(check=False, contracts=contracts)
    set_cell(chain_scenario, "contracts.csv", 2, "min_t_per_month", "40")
    from_folder = only_problem(chain_scenario)
    assert [str(p) for p in scenario_problems(point)] == [from_folder]
    with pytest.raises(ScenarioError) as refused:  # checked unless asked not to
        scenario.with_changes(contracts=contracts)
    assert [str(p) for p in refused.value.problems] == [from_folder]
    assert from_folder == (
        "contracts.csv:2: min_t_per_month: 40 is above max_t_per_month 30; the take-or-pay "
        "minimum cannot exceed the maximum"
    )


def test_bounds_of_a_point_are_checked_as_in_a_folder(small_scenario):
    scenario = load_scenario(small_scenario)
    offers, suppliers = scenario.offers.copy(), scenario.suppliers.copy()
    offers["price_usd_per_t"] = offers["price_usd_per_t"].astype(float)
    offers.loc[0, "price_usd_per_t"] = 1e25
    offers.loc[1, "price_usd_per_t"] = np.nan
    offers.loc[2, "capacity_t_per_month"] = np.nan  # blank would mean unlimited: NaN is no value
    offers.loc[3, "capacity_t_per_month"] = -np.inf
    offers.loc[4, "capacity_t_per_month"] = np.inf  # unlimited: fine
    suppliers["lead_time_months"] = [1.0, 1.5, 1201.0]
    materials = scenario.materials.assign(shortfall_penalty_usd_per_t=np.nan)  # not set: fine
    point = scenario.with_changes(
        check=False,  # scenario_problems is what is tested
        offers=offers,
        suppliers=suppliers,
        materials=materials,
        settings=scenario.settings.with_changes(stockpile_cover_months=-1.0),
    )
    assert sorted(str(p) for p in scenario_problems(point)) == [
        "offers.csv:2: price_usd_per_t: 1e+25 is above 1e9; values must be at most 1e9",
        "offers.csv:3: price_usd_per_t: is blank; a value is required",
        "offers.csv:4: capacity_t_per_month: NaN is not a value; leave the cell blank instead",
        "offers.csv:5: capacity_t_per_month: '-inf' is not a finite number",
        "scenario.toml: policy.stockpile_cover_months: must be at least 0, not -1.0",
        "suppliers.csv:3: lead_time_months: '1.5' must be a whole number",
        "suppliers.csv:4: lead_time_months: 1201 is above 1200; values must be at most 1200",
    ]


def test_a_point_whose_recipes_make_material_from_nothing_is_caught(chain_scenario):
    # metal back to oxide at 1.2 t/t: with metal-line-b's 0.82 the loop gives back 0.984 t
    add_process(
        chain_scenario, "oxidise", "oxidise,NdPr-metal,input,1", "oxidise,NdPr-oxide,output,1.2"
    )
    scenario = load_scenario(chain_scenario)
    recipes = scenario.process_io.copy()
    recipes.loc[11, "t_per_t"] = 1.3  # line 13: oxidise's yield
    recipes.loc[5, "t_per_t"] = 0.0  # line 7: sep-partner's only input
    point = scenario.with_changes(check=False, process_io=recipes)
    found = [str(p) for p in scenario_problems(point)]
    assert found == [
        f"process_io.csv:7: t_per_t: every input of 'sep-partner' is 0 t/t, {ZERO_INPUTS}",
        f"process_io.csv:10: process: {FROM_NOTHING}: 1 t NdPr-oxide -> 0.82 t NdPr-metal "
        "(metal-line-b) -> 1.066 t NdPr-oxide (oxidise)",
    ]


def test_settings_are_checked_in_a_toml_edit_too(small_scenario):
    edit_toml(small_scenario, "stockpile_cover_months = 1.0", "stockpile_cover_months = 1201")
    assert only_problem(small_scenario) == (
        "scenario.toml:13: policy.stockpile_cover_months: must be at most 1200, not 1201"
    )


@pytest.mark.parametrize("cap", [-0.2, 1.7])
def test_a_scenario_changed_in_memory_is_checked(cap):
    # Scenario.with_changes checks the copy as a folder's numbers are checked: every problem,
    # with its file, line and column; check=False leaves it to the caller.
    scenario = load_scenario(Path(__file__).parents[1] / "inputs/india-2026")
    caps = scenario.country_caps.copy()
    caps.loc[0, "max_share"] = cap
    with pytest.raises(ScenarioError) as refused:
        scenario.with_changes(country_caps=caps)
    [problem] = refused.value.problems
    assert (problem.file, problem.line, problem.column) == ("country_caps.csv", 2, "max_share")
    assert scenario.with_changes(check=False, country_caps=caps).country_caps is caps
