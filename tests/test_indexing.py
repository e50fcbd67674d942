"""Rows found by labelled integer codes: the one place flat index arithmetic lives."""

from __future__ import annotations

import numpy as np
import pytest

from models.indexing import Grid


def test_positions_run_over_the_last_axis_fastest():
    grid = Grid(material=3, month=4, country=5)
    codes = {"material": [0, 2, 1], "month": [3, 0, 2], "country": [4, 1, 0]}
    expected = np.ravel_multi_index(tuple(np.array(v) for v in codes.values()), (3, 4, 5))
    assert grid.position(**codes).tolist() == expected.tolist()


def test_find_gives_each_cells_row_and_minus_one_for_none_or_unknown_codes():
    rows = Grid(material=2, window=3).index(material=[1, 0, 1], window=[0, 2, 2])
    found = rows.find(material=[0, 1, 1, 0, -1], window=[2, 2, 0, 0, 1])
    assert found.tolist() == [1, 2, 0, -1, -1]


def test_every_axis_must_be_named():
    with pytest.raises(ValueError, match="expected codes for"):
        Grid(material=2, month=3).position(material=[0])
