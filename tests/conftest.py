"""Shared fixtures."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from optimizer import Result

FIXTURES = Path(__file__).parent / "fixtures"
INPUTS = Path(__file__).resolve().parents[1] / "inputs"  # the scenarios shipped with the tool
# The report tests open the reports in a headless Chromium, found on PATH or where Debian puts it.
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
DEBIAN_CHROMIUM = "/usr/bin/chromium"
REQUIRE_BROWSER = "SOURCING_REQUIRE_BROWSER"  # "1" (as CI sets it): no browser fails, not skips


def find_browser() -> Path | None:
    """The first of ``BROWSERS`` on PATH, else Debian's Chromium if it is there."""
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return Path(found)
    return Path(DEBIAN_CHROMIUM) if os.access(DEBIAN_CHROMIUM, os.X_OK) else None


def browser_or_skip() -> Path:
    """The browser found; without one the test skips (one line saying why), or fails where
    ``SOURCING_REQUIRE_BROWSER=1`` says a browser must be there (CI installs one)."""
    found = find_browser()
    if found is not None:
        return found
    missing = f"no Chromium found ({', '.join(BROWSERS)} on PATH, or {DEBIAN_CHROMIUM})"
    if os.environ.get(REQUIRE_BROWSER) == "1":
        pytest.fail(
            f"{missing} and {REQUIRE_BROWSER}=1: the reports are checked in a real browser; "
            "install Debian's chromium (sudo apt-get install chromium)"
        )
    pytest.skip(f"{missing}: the report is not checked in a browser")


@pytest.fixture
def browser() -> Path:
    """A headless-capable Chromium for the browser tests (see :func:`browser_or_skip`); a test
    that asks for it is marked ``@pytest.mark.browser`` (``pytest -m browser`` runs them all)."""
    return browser_or_skip()


@pytest.fixture(scope="session")
def shipped_result() -> Callable[[str], Result]:
    """The result of a scenario shipped in ``inputs/`` by folder name (``"india-2026"``), solved
    once for the whole session: tests that only read the result share it, never change it."""
    from optimizer import load_scenario, solve

    return cache(lambda name: solve(load_scenario(INPUTS / name)))


@pytest.fixture
def small_scenario(tmp_path: Path) -> Path:
    """A fresh copy of ``tests/fixtures/valid-small`` in ``tmp_path``, free to break."""
    return Path(shutil.copytree(FIXTURES / "valid-small", tmp_path / "scenario"))


@pytest.fixture
def chain_scenario(tmp_path: Path) -> Path:
    """A fresh copy of ``tests/fixtures/chain-small`` (processes, expansions, contracts)."""
    return Path(shutil.copytree(FIXTURES / "chain-small", tmp_path / "chain"))
