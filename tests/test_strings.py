"""String storage: our tables are built with Python strings, the user's pandas setting kept."""

from __future__ import annotations

import pandas as pd

from optimizer.inputs.synthetic import synthetic_scenario
from optimizer.results.solving import solve


def test_solving_leaves_the_users_string_storage_as_it_was():
    with pd.option_context("mode.string_storage", "pyarrow"):
        result = solve(synthetic_scenario(2, 2, 6))
        assert pd.get_option("mode.string_storage") == "pyarrow"
    # pandas 3 infers a string dtype (with a storage); pandas 2 keeps object columns
    assert getattr(result.plan["supplier"].dtype, "storage", "python") == "python"
