"""Shared fixtures."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def small_scenario(tmp_path: Path) -> Path:
    """A fresh copy of ``tests/fixtures/valid-small`` in ``tmp_path``, free to break."""
    return Path(shutil.copytree(FIXTURES / "valid-small", tmp_path / "scenario"))


@pytest.fixture
def chain_scenario(tmp_path: Path) -> Path:
    """A fresh copy of ``tests/fixtures/chain-small`` (processes, expansions, contracts)."""
    return Path(shutil.copytree(FIXTURES / "chain-small", tmp_path / "chain"))
