"""A digest of a scenario's input files: what a result or a sweep records of its inputs, so a
later run can tell whether they changed."""

from __future__ import annotations

import hashlib
from pathlib import Path

from optimizer.inputs.schema import SETTINGS_FILE, TABLES


def update_digest(digest, scenario_path: Path) -> None:
    """Feed ``digest`` (a ``hashlib`` object) each input file of the scenario at
    ``scenario_path``: its ``scenario.toml`` and table CSV files in schema order (an absent one
    counted as absent), or the workbook, each with its name and length."""
    if scenario_path.is_dir():
        names = [SETTINGS_FILE, *(spec.file for spec in TABLES.values())]
        parts = [(name, scenario_path / name) for name in names]
    else:
        parts = [(scenario_path.name, scenario_path)]
    for name, part in parts:
        data = part.read_bytes() if part.is_file() else b""
        digest.update(f"{name}\0{len(data) if part.is_file() else -1}\0".encode())
        digest.update(data)


def input_digest(scenario_path: str | Path) -> str:
    """sha256 (hex) of the scenario's input files (:func:`update_digest`)."""
    digest = hashlib.sha256()
    update_digest(digest, Path(scenario_path))
    return digest.hexdigest()
