"""The documentation says what the code does: generated references are current, every family
is documented, and the README's quick start is what CI runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from models import families
from optimizer.inputs import schema_doc

ROOT = Path(__file__).resolve().parents[1]


def test_input_reference_is_generated_from_the_schema():
    assert (ROOT / "docs" / "inputs.md").read_text(encoding="utf-8") == schema_doc.render(), (
        "run: python -m optimizer.inputs.schema_doc > docs/inputs.md"
    )


def test_every_constraint_family_is_documented():
    text = (ROOT / "docs" / "formulation.md").read_text(encoding="utf-8")
    for family in families.DESCRIPTIONS:
        assert f"`{family}`" in text, family


def test_ci_runs_the_readme_quick_start():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    quick_start = readme.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.strip() for line in quick_start.strip().splitlines()]
    assert commands == ["pip install -e . && sourcing solve", 'pip install -e ".[test]" && pytest']
    assert "pip install -e . && sourcing solve" in ci
    assert 'pip install -e ".[test]" && pytest' in ci


@pytest.mark.slow
def test_the_readme_python_example_runs(tmp_path, monkeypatch):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    code = readme.split("```python", 1)[1].split("```", 1)[0]
    (tmp_path / "inputs").symlink_to(ROOT / "inputs")
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md", "exec"), {})
    assert (tmp_path / "results" / "my-run" / "plan.csv").exists()
