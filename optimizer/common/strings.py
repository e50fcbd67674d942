"""String columns stored as Python objects while the tool builds and reads its tables."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pandas as pd


@contextmanager
def python_strings() -> Iterator[None]:
    """Within the block, new string columns keep Python storage instead of Arrow.

    With pyarrow installed (Dask and Parquet need it), pandas 3 stores every string column in
    Arrow; turning our numpy label arrays into Arrow and back about doubled the time spent
    outside HiGHS at 387k variables (see benchmarks/README.md). Scoped to our own work, so a
    user's pandas settings are left as they were. Also usable as a decorator.
    """
    with pd.option_context("mode.string_storage", "python"):
        yield
