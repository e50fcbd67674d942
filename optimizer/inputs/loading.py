"""Loading a scenario from a path: a folder of CSV files and ``scenario.toml``, or one
``.xlsx`` workbook, with a newcomer's mistakes (a file for its folder, a misspelt name) said
plainly."""

from __future__ import annotations

import difflib
import os
import stat
from pathlib import Path

import pandas as pd

from optimizer.common.strings import python_strings
from optimizer.inputs.problems import Problem, ScenarioError
from optimizer.inputs.reading import file_refusal, parse_csv, parse_toml, read_text
from optimizer.inputs.scenario import Scenario, assemble, empty_text
from optimizer.inputs.schema import SETTINGS_FILE, TABLES
from optimizer.inputs.settings import (
    Settings,
    settings_from_toml,
)
from optimizer.inputs.workbook import not_a_zip_reason, read_scenario_workbook

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls")  # read as a workbook, whatever the content


SCENARIO_FILES = {SETTINGS_FILE, *(spec.file for spec in TABLES.values())}


NEIGHBOURS = 1_000  # entries of a folder looked at for a name like a missing one


@python_strings()
def load_scenario(folder: str | Path) -> Scenario:
    """Read and validate a scenario folder, or an ``.xlsx`` workbook (a zip archive, or a file
    named ``.xlsx``); raise :class:`ScenarioError` listing every problem."""
    folder = Path(folder)
    problem = path_problem(folder)
    if problem is not None:
        raise ScenarioError([problem])
    if not folder.is_dir():
        return read_scenario_workbook(folder)
    problems: list[Problem] = []
    settings = _read_settings(folder, problems)
    texts: dict[str, pd.DataFrame | None] = {}
    for name, spec in TABLES.items():
        path = folder / spec.file
        if not spec.required and not os.path.lexists(path):  # a broken link is reported
            texts[name] = empty_text(spec.file)
            continue
        text = read_text(path, spec.file, problems, folder)
        texts[name] = None if text is None else parse_csv(text, spec.file, problems)
    return assemble(settings, texts, problems, source=folder)


def path_problem(path: Path) -> Problem | None:
    """Why ``path`` cannot be a scenario (a folder, or a workbook file), in a newcomer's words:
    it does not exist (with the closest name beside it), it is a file of a scenario folder, or
    it is some other file. ``None`` for a folder, a workbook or a zip archive."""

    def problem(message: str) -> Problem:
        return Problem(str(path), None, None, message)

    try:
        status = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return problem(f"does not exist{_closest_name(path)}")
    except OSError as exc:
        return problem(f"cannot be read: {exc.strerror}")
    if stat.S_ISDIR(status.st_mode):
        return None
    if path.name in SCENARIO_FILES:
        return problem(f"is a file of a scenario folder; give the folder: {path.parent}")
    reason = file_refusal(path)  # a pipe, a device, too large
    if reason is not None or path.suffix.lower() in WORKBOOK_SUFFIXES:
        return None if reason is None else problem(reason)
    try:
        with path.open("rb") as handle:  # a regular file (checked): reading does not block
            why = not_a_zip_reason(handle.read(4096))
    except OSError as exc:
        return problem(f"cannot be read: {exc.strerror}")
    if why is None:
        return None
    return problem(f"is neither a scenario folder nor an .xlsx workbook ({why})")


def _closest_name(path: Path) -> str:
    """``; did you mean <path>?`` naming a folder or workbook beside ``path`` spelt alike."""
    try:
        with os.scandir(path.parent) as entries:
            names = [
                entry.name
                for _, entry in zip(range(NEIGHBOURS), entries, strict=False)
                if entry.is_dir() or Path(entry.name).suffix.lower() in WORKBOOK_SUFFIXES
            ]
    except OSError:
        return ""
    close = difflib.get_close_matches(path.name, names, n=1)
    return f"; did you mean {path.parent / close[0]}?" if close else ""


def _read_settings(folder: Path, problems: list[Problem]) -> Settings | None:
    text = read_text(folder / SETTINGS_FILE, SETTINGS_FILE, problems, folder)
    if text is None:
        return None
    document = parse_toml(text, SETTINGS_FILE, problems)
    return None if document is None else settings_from_toml(document, text, problems)
