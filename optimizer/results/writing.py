"""Writing result and comparison folders: staged beside the target and swapped in whole, only
over an empty folder or one of our own of the same kind (see :mod:`.output_folders`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from optimizer.common.output_paths import COMPARISON, RESULT, OutputRefused, marker, replacing
from optimizer.common.table_files import CSV, table_path, write_table
from optimizer.inputs.digest import input_digest
from optimizer.results.compare import (
    INPUTS_STEM,
    MANIFEST,
    PLANS_FOLDER,
    Comparison,
    PlanView,
    write_plan_tables,
)
from optimizer.results.readable import readable_tables
from optimizer.results.result import TIMING_KEYS, Result


def write_result(result: Result, folder: str | Path, table_format: str = CSV) -> Path:
    """Write ``summary.json`` and, when there is a plan, the result tables (``<table>.csv``, or
    ``<table>.parquet`` with ``table_format="parquet"``) and ``plan.xlsx`` into ``folder``."""
    folder = Path(folder)
    table_path(folder, "plan", table_format)  # an unknown format is refused before any work
    with replacing(folder, RESULT, option="") as staging:
        tables = result.tables()
        with writing_tables(tables, staging, table_format):
            summary = marker(RESULT) | result.summary() | {"inputs": inputs_record(result)}
            text = json.dumps(summary, indent=2, sort_keys=False, allow_nan=False)
            (staging / "summary.json").write_text(text + "\n", encoding="utf-8")
            if tables:
                files = {stem: f"{stem}.{table_format}" for stem in tables}
                sheets, notes = readable_tables(tables, files)
                steady = {k: v for k, v in summary.items() if k not in TIMING_KEYS}
                steady |= {f"sheet_rows.{stem}": note for stem, note in notes.items()}
                _write_workbook(staging / "plan.xlsx", sheets, summary=steady, notes=notes)
    return folder


TABLE_THREADS = 2  # threads writing the table files beside the workbook (writing_tables)


@contextmanager
def writing_tables(
    tables: dict[str, pd.DataFrame], folder: Path, table_format: str
) -> Iterator[None]:
    """Write ``tables`` into ``folder`` on worker threads while the body runs (the workbook):
    pyarrow formats and writes much of a file without holding Python's lock, so the files
    overlap one another and the workbook (benchmarks/README.md). Leaves once every file is
    written, raising the first error."""
    largest_first = sorted(tables.items(), key=lambda item: -len(item[1]))
    with ThreadPoolExecutor(TABLE_THREADS, thread_name_prefix="table-file") as pool:
        futures: list[Future] = [
            pool.submit(write_table, table, folder, stem, table_format)
            for stem, table in largest_first
        ]
        try:
            yield
        except BaseException:
            for future in futures:  # files not yet begun are not begun
                future.cancel()
            raise
        for future in futures:
            future.result()


def inputs_record(result: Result) -> dict | None:
    """Where the scenario came from (absolute path) and the digest of its input files, so a
    later command (``sourcing evaluate``) can load them and tell whether they changed; ``None``
    for a scenario built in memory."""
    source = result.scenario.source
    if source is None or not Path(source).exists():
        return None
    return {"scenario": str(Path(source).resolve()), "digest": input_digest(source)}


# sheet: file stem
COMPARISON_TABLES = {"headline": "compare", "detail": "compare_detail", "inputs": INPUTS_STEM}


def comparison_files(table_format: str = CSV) -> list[str]:
    """The files :func:`write_comparison` writes, ``plans/`` last."""
    tables = [f"{stem}.{table_format}" for stem in COMPARISON_TABLES.values()]
    return [*tables, "compare.xlsx", MANIFEST, f"{PLANS_FOLDER}/"]


def write_comparison(
    comparison: Comparison, plans: list[PlanView], folder: str | Path, table_format: str = CSV
) -> Path:
    """``compare.csv`` (headline), ``compare_detail.csv``, ``compare_inputs.csv`` (the input
    differences), ``compare.xlsx`` (a sheet each), the manifest and every plan's tables under
    ``plans/<name>/`` (so the report can be drawn from the folder); with
    ``table_format="parquet"``, ``.parquet`` files instead of ``.csv`` ones."""
    folder = Path(folder)
    table_path(folder, "compare", table_format)  # an unknown format is refused before any work
    with replacing(folder, COMPARISON, option="") as staging:
        tables = {
            "headline": comparison.headline,
            "detail": comparison.detail,
            "inputs": comparison.inputs,
        }
        for sheet, stem in COMPARISON_TABLES.items():
            write_table(tables[sheet], staging, stem, table_format)
        files = {sheet: f"{stem}.{table_format}" for sheet, stem in COMPARISON_TABLES.items()}
        sheets, notes = readable_tables(tables, files)
        _write_workbook(staging / "compare.xlsx", sheets, notes=notes)
        by_name = dict(zip(comparison.plans, plans, strict=True))
        for name, plan in by_name.items():
            write_plan_tables(plan, _inside(staging / PLANS_FOLDER, name), table_format)
        manifest = marker(COMPARISON) | {"plans": comparison.plans, "baseline": comparison.baseline}
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return folder


def _write_workbook(
    path: Path, sheets: dict, summary: dict | None = None, notes: dict | None = None
) -> None:
    from optimizer.results.workbook import write_tables_workbook  # xlsxwriter: loaded late

    write_tables_workbook(path, sheets, summary=summary, notes=notes)


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
