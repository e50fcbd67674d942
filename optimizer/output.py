"""Writing a result folder atomically: everything goes to a hidden sibling folder that replaces
the target only once complete, so a failed run never leaves a partial folder behind."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from .result import Result


def write_result(result: Result, folder: str | Path) -> Path:
    """Write ``summary.json`` and, when there is a plan, the result tables into ``folder``."""
    folder = Path(folder)
    with atomic_folder(folder) as staging:
        for stem, table in result.tables().items():
            table.to_csv(staging / f"{stem}.csv", index=False, lineterminator="\n")
        text = json.dumps(result.summary(), indent=2, sort_keys=False, allow_nan=False)
        (staging / "summary.json").write_text(text + "\n", encoding="utf-8")
    return folder


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


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
