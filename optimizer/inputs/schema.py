"""The input schema, read from ``schema.csv``: one place for columns, types, units and defaults.

Validation, the documentation (``docs/inputs.md``) and any template read this description, so a
column is described once.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

# Identifiers (the ``id`` columns) reach CSV files opened in spreadsheets, chart labels and may
# reach file names: a first letter or digit keeps out formulas ('=', '+', '-', '@'); no '$'
# (matplotlib mathtext), no slash or backslash (paths), no control characters; any script.
NAME_MAX_LENGTH = 64
NAME_PATTERN = re.compile(rf"[^\W_][\w .()&+-]{{0,{NAME_MAX_LENGTH - 1}}}")  # with fullmatch
NAME_RULE = (
    f"names are 1 to {NAME_MAX_LENGTH} letters, digits, spaces and . _ - ( ) & +, "
    "starting with a letter or digit"
)
# Sizes read before anything is parsed, so a hostile file is refused at once.
MAX_FILE_BYTES = 200_000_000  # one file of a scenario folder, or a workbook
MAX_WORKBOOK_UNPACKED_BYTES = 200_000_000  # declared in the zip's central directory
MAX_WORKBOOK_ENTRIES = 1_000  # files inside the zip (a workbook has a few dozen)
MAX_WORKBOOK_LISTING_BYTES = 1_000_000  # the zip's central directory: a record per file
MAX_WORKBOOK_CELLS = 1_000_000  # in all sheets, each row counted up to its last cell


@dataclass(frozen=True)
class Field:
    """One column of an input table (or one key of ``scenario.toml``)."""

    table: str
    column: str
    type: str  # id | month | number | integer | share | text | choice
    unit: str
    required: bool  # the column (key) must be present
    blank: str  # what an empty cell means: error | 0 | inf | unset | every | <a default>
    min: float | None
    max: float | None
    choices: tuple[str, ...]
    description: str


@dataclass(frozen=True)
class Table:
    """An input CSV file: its key columns and the columns that refer to other tables."""

    file: str
    required: bool
    key: tuple[str, ...]
    references: dict[str, tuple[str, str]]  # column -> (table file, column)


TABLES: dict[str, Table] = {
    "materials": Table("materials.csv", True, ("material",), {}),
    "suppliers": Table("suppliers.csv", True, ("supplier",), {}),
    "offers": Table(
        "offers.csv",
        True,
        ("supplier", "material", "month"),
        {"supplier": ("suppliers.csv", "supplier"), "material": ("materials.csv", "material")},
    ),
    "demand": Table(
        "demand.csv",
        True,
        ("material", "month"),
        {"material": ("materials.csv", "material")},
    ),
    "country_caps": Table(
        "country_caps.csv",
        False,
        ("country", "material"),
        {"material": ("materials.csv", "material")},  # country: see validation.COUNTRY_TABLES
    ),
    "processes": Table("processes.csv", False, ("process",), {}),
    "process_io": Table(
        "process_io.csv",
        False,
        ("process", "material", "direction"),
        {"material": ("materials.csv", "material")},
    ),
    "expansions": Table("expansions.csv", False, ("option",), {}),
    "contracts": Table(
        "contracts.csv",
        False,
        ("contract",),
        {"supplier": ("suppliers.csv", "supplier"), "material": ("materials.csv", "material")},
    ),
    "events": Table("events.csv", False, ("event",), {}),
    "event_effects": Table(
        "event_effects.csv",
        False,
        ("event", "country", "supplier", "material"),
        {
            "event": ("events.csv", "event"),
            "supplier": ("suppliers.csv", "supplier"),
            "material": ("materials.csv", "material"),
        },
    ),
    "risk_scenarios": Table(
        "risk_scenarios.csv",
        False,
        ("scenario", "event", "start_month"),
        {"event": ("events.csv", "event")},
    ),
}
SETTINGS_FILE = "scenario.toml"


def _number(text: str) -> float | None:
    return float(text) if text else None


def limit_text(value: float) -> str:
    """A bound as people write it: ``1200``, ``0.5``, ``1e9``."""
    return f"{value:g}".replace("e+0", "e").replace("e+", "e")


def number_text(value: float) -> str:
    """A number as a person writes it in a cell, and as written files hold it: whole numbers
    without ``.0`` (``1500``), others as the shortest text that reads back to the same float
    (``0.1``, ``1e+16``)."""
    value = float(value)
    return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)


@cache
def fields() -> tuple[Field, ...]:
    """Every field of every table, in schema order."""
    text = resources.files("optimizer.inputs").joinpath("schema.csv").read_text(encoding="utf-8")
    return tuple(
        Field(
            table=row["table"],
            column=row["column"],
            type=row["type"],
            unit=row["unit"],
            required=row["required"] == "yes",
            blank=row["blank"],
            min=_number(row["min"]),
            max=_number(row["max"]),
            choices=tuple(row["choices"].split("|")) if row["choices"] else (),
            description=row["description"],
        )
        for row in csv.DictReader(text.splitlines())
    )


def table_fields(file: str) -> tuple[Field, ...]:
    """The fields of one file (``materials.csv`` or ``scenario.toml``)."""
    return tuple(f for f in fields() if f.table == file)
