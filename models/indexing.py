"""Finding rows by labelled integer codes, vectorised: the one place flat index arithmetic lives.

caps = Grid(material=M, window=W, country=C).index(material=m, window=w, country=c)
row = caps.find(material=arrive_m, window=arrive_w, country=arrive_c)  # -1: no cap row
"""

from __future__ import annotations

import numpy as np


class Grid:
    """A dense grid over named integer axes (``material``, ``month``, ...), each of a size."""

    def __init__(self, **sizes: int):
        self.axes = tuple(sizes)
        self.shape = tuple(max(int(size), 1) for size in sizes.values())
        # The step of each axis in a flat position: the last axis varies fastest.
        self.strides = tuple(int(np.prod(self.shape[i + 1 :])) for i in range(len(self.shape)))

    def position(self, **codes) -> np.ndarray:
        """The flat position of each cell named by ``codes`` (every axis, codes in range)."""
        position = np.zeros(0, dtype=np.int64)
        for stride, array in zip(self.strides, self._codes(codes), strict=True):
            position = array * stride if position.size == 0 else position + array * stride
        return position

    def index(self, **codes) -> Index:
        """An index of the rows whose cells are ``codes``: row ``i`` sits at the i-th cell."""
        return Index(self, self.position(**codes))

    def _codes(self, codes: dict) -> list[np.ndarray]:
        if set(codes) != set(self.axes):
            raise ValueError(f"expected codes for {self.axes}, got {tuple(codes)}")
        return [np.asarray(codes[axis], dtype=np.int64) for axis in self.axes]


class Index:
    """Rows by cell: ``find`` gives the row at each cell asked for, or -1 where there is none."""

    def __init__(self, grid: Grid, positions: np.ndarray):
        self.grid = grid
        self._row = np.full(int(np.prod(grid.shape)), -1, dtype=np.int64)
        self._row[positions] = np.arange(len(positions))

    def find(self, **codes) -> np.ndarray:
        arrays = self.grid._codes(codes)
        if all(array.size == 0 or array.min() >= 0 for array in arrays):
            return self._row[self.grid.position(**dict(zip(self.grid.axes, arrays, strict=True)))]
        known = np.logical_and.reduce([array >= 0 for array in arrays])
        found = np.full(len(known), -1, dtype=np.int64)  # a code of -1 (unknown) finds no row
        inside = {axis: array[known] for axis, array in zip(self.grid.axes, arrays, strict=True)}
        found[known] = self._row[self.grid.position(**inside)]
        return found
