"""Writing result and comparison folders: staged beside the target and swapped in whole, only
over an empty folder or one of our own of the same kind (see :mod:`.output_folders`)."""

from __future__ import annotations

import json
from pathlib import Path

from optimizer.common.output_paths import COMPARISON, RESULT, OutputRefused, marker, replacing
from optimizer.inputs.digest import input_digest
from optimizer.results.compare import (
    MANIFEST,
    PLANS_FOLDER,
    Comparison,
    PlanView,
    write_plan_tables,
)
from optimizer.results.readable import readable_tables
from optimizer.results.result import TIMING_KEYS, Result


def write_result(result: Result, folder: str | Path) -> Path:
    """Write ``summary.json`` and, when there is a plan, the result tables into ``folder``."""
    folder = Path(folder)
    with replacing(folder, RESULT, option="") as staging:
        tables = result.tables()
        for stem, table in tables.items():
            table.to_csv(staging / f"{stem}.csv", index=False, lineterminator="\n")
        summary = marker(RESULT) | result.summary() | {"inputs": inputs_record(result)}
        text = json.dumps(summary, indent=2, sort_keys=False, allow_nan=False)
        (staging / "summary.json").write_text(text + "\n", encoding="utf-8")
        if tables:
            sheets, notes = readable_tables(tables)
            steady = {k: v for k, v in summary.items() if k not in TIMING_KEYS} | notes
            _write_workbook(staging / "plan.xlsx", sheets, summary=steady)
    return folder


def inputs_record(result: Result) -> dict | None:
    """Where the scenario came from (absolute path) and the digest of its input files, so a
    later command (``sourcing evaluate``) can load them and tell whether they changed; ``None``
    for a scenario built in memory."""
    source = result.scenario.source
    if source is None or not Path(source).exists():
        return None
    return {"scenario": str(Path(source).resolve()), "digest": input_digest(source)}


def write_comparison(comparison: Comparison, plans: list[PlanView], folder: str | Path) -> Path:
    """``compare.csv`` (headline), ``compare_detail.csv``, ``compare.xlsx``, the manifest and
    every plan's tables under ``plans/<name>/`` (so the report can be drawn from the folder)."""
    folder = Path(folder)
    with replacing(folder, COMPARISON, option="") as staging:
        comparison.headline.to_csv(staging / "compare.csv", index=False, lineterminator="\n")
        comparison.detail.to_csv(staging / "compare_detail.csv", index=False, lineterminator="\n")
        _write_workbook(
            staging / "compare.xlsx",
            {"headline": comparison.headline, "detail": comparison.detail},
        )
        by_name = dict(zip(comparison.plans, plans, strict=True))
        for name, plan in by_name.items():
            write_plan_tables(plan, _inside(staging / PLANS_FOLDER, name))
        manifest = marker(COMPARISON) | {"plans": comparison.plans, "baseline": comparison.baseline}
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return folder


def _write_workbook(path: Path, sheets: dict, summary: dict | None = None) -> None:
    from optimizer.results.workbook import (
        write_tables_workbook,  # openpyxl: loaded only when writing
    )

    write_tables_workbook(path, sheets, summary=summary)


def _inside(folder: Path, name: str) -> Path:
    """``folder/name``, refused unless it is a folder directly inside ``folder``."""
    path = folder / name
    if (
        path.parent != folder
        or name in ("", ".", "..")
        or path.resolve().parent != folder.resolve()
    ):
        raise OutputRefused(f"plan name {name!r} cannot be a folder name under {folder.name}/")
    return path
