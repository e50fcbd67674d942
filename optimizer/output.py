"""Writing a result folder atomically: everything goes to a hidden sibling folder that replaces
the target only once complete, so a failed run never leaves a partial folder behind."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from .compare import MANIFEST, PLANS_FOLDER, Comparison, PlanView, write_plan_tables
from .readable import readable_tables
from .result import TIMING_KEYS, Result


def write_result(result: Result, folder: str | Path) -> Path:
    """Write ``summary.json`` and, when there is a plan, the result tables into ``folder``."""
    folder = Path(folder)
    with atomic_folder(folder) as staging:
        tables = result.tables()
        for stem, table in tables.items():
            table.to_csv(staging / f"{stem}.csv", index=False, lineterminator="\n")
        summary = result.summary()
        text = json.dumps(summary, indent=2, sort_keys=False, allow_nan=False)
        (staging / "summary.json").write_text(text + "\n", encoding="utf-8")
        if tables:
            sheets, notes = readable_tables(tables)
            steady = {k: v for k, v in summary.items() if k not in TIMING_KEYS} | notes
            _write_workbook(staging / "plan.xlsx", sheets, summary=steady)
    return folder


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_comparison(comparison: Comparison, plans: list[PlanView], folder: str | Path) -> Path:
    """``compare.csv`` (headline), ``compare_detail.csv``, ``compare.xlsx``, the manifest and
    every plan's tables under ``plans/<name>/`` (so the report can be drawn from the folder)."""
    folder = Path(folder)
    with atomic_folder(folder) as staging:
        comparison.headline.to_csv(staging / "compare.csv", index=False, lineterminator="\n")
        comparison.detail.to_csv(staging / "compare_detail.csv", index=False, lineterminator="\n")
        _write_workbook(
            staging / "compare.xlsx",
            {"headline": comparison.headline, "detail": comparison.detail},
        )
        by_name = dict(zip(comparison.plans, plans, strict=True))
        for name, plan in by_name.items():
            write_plan_tables(plan, staging / PLANS_FOLDER / name)
        manifest = {"plans": comparison.plans, "baseline": comparison.baseline}
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return folder


def _write_workbook(path: Path, sheets: dict, summary: dict | None = None) -> None:
    from .workbook import write_tables_workbook  # openpyxl: loaded only when writing

    write_tables_workbook(path, sheets, summary=summary)


@contextmanager
def atomic_folder(target: Path):
    """Yield an empty staging folder; on success it takes ``target``'s place in one rename
    (an existing ``target`` is moved aside first and removed after)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    os.chmod(staging, 0o777 & ~_umask())  # mkdtemp makes it private; results are to be shared
    try:
        yield staging
        old = None
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
            os.replace(target, old / target.name)
        os.replace(staging, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
