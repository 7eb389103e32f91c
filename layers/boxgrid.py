"""Boxes binned into a grid of square cells, all in numpy.

GEOS' STRtree answers one geometry at a time; this grid answers a million at once. It
is the spatial index behind the already-noded check of street networks
(:mod:`layers.importing.network`) and the nearest-edge search of coverage runs
(:mod:`layers.coverage.nearest`), which share it: a box is listed in every cell it
touches, cell by cell, with a dense index of where each cell's boxes begin.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class BoxGrid:
    cell: float
    x0: float
    y0: float
    cols: int
    rows: int
    start: np.ndarray  # (cols * rows + 1,) where each cell's boxes begin in ``ids``
    ids: np.ndarray  # box ids, cell by cell
    boxes: int = 0  # how many boxes were binned

    def column(self, x: np.ndarray) -> np.ndarray:
        return np.floor((np.asarray(x) - self.x0) / self.cell).astype(np.int64)

    def row(self, y: np.ndarray) -> np.ndarray:
        return np.floor((np.asarray(y) - self.y0) / self.cell).astype(np.int64)

    def key(self, col: np.ndarray, row: np.ndarray) -> np.ndarray:
        return col * self.rows + row


def sort_order(key: np.ndarray) -> np.ndarray:
    """``np.argsort(key, kind="stable")`` for keys ≥ 0, usually by sorting the keys with
    their positions packed into the low bits (several times faster)."""
    n = len(key)
    bits = max(int(n - 1).bit_length(), 1)
    if not n or int(key.max()) >= 2 ** (62 - bits):
        return np.argsort(key, kind="stable")
    packed = np.sort((key.astype(np.int64) << bits) | np.arange(n, dtype=np.int64))
    return packed & ((1 << bits) - 1)


def _cover(grid: BoxGrid, minx, miny, maxx, maxy) -> tuple[np.ndarray, np.ndarray]:
    """Per (box, cell it touches): the box and the cell's key (cells off the grid left out)."""
    c0, c1 = np.maximum(grid.column(minx), 0), np.minimum(grid.column(maxx), grid.cols - 1)
    r0, r1 = np.maximum(grid.row(miny), 0), np.minimum(grid.row(maxy), grid.rows - 1)
    kind = np.int32 if len(c0) < 2 ** 31 else np.int64
    ids = np.arange(len(c0), dtype=kind)
    wide, high = c1 - c0, r1 - r0
    small = (wide <= 1) & (high <= 1) & (wide >= 0) & (high >= 0)
    # boxes no larger than a cell (the usual case): up to 2 × 2 cells each
    right, up = small & (wide > 0), small & (high > 0)
    both = right & up
    owners = [ids[small], ids[right], ids[up], ids[both]]
    keys = [grid.key(c0[small], r0[small]), grid.key(c1[right], r0[right]), grid.key(c0[up], r1[up]),
            grid.key(c1[both], r1[both])]
    large = np.flatnonzero(~small & (wide >= 0) & (high >= 0))
    if len(large):  # the others: every cell of their span
        wide, high = wide[large] + 1, high[large] + 1
        count = wide * high
        at = np.repeat(np.arange(len(large)), count)
        k = np.arange(len(at)) - np.repeat(np.cumsum(count) - count, count)
        owners.append(ids[large][at])
        keys.append(grid.key(c0[large][at] + k % wide[at], r0[large][at] + k // wide[at]))
    return np.concatenate(owners), np.concatenate(keys)


def build_grid(minx: np.ndarray, miny: np.ndarray, maxx: np.ndarray, maxy: np.ndarray,
               cell: float, pad: float = 0.0, spread: float = 4.0) -> BoxGrid:
    """A grid of the boxes with cells of about ``cell`` (made larger while the grid
    would have more than ``spread`` cells per box), reaching ``pad`` beyond the boxes."""
    n = len(minx)
    if not n:
        return BoxGrid(1.0, 0.0, 0.0, 1, 1, np.zeros(2, dtype=np.int64), np.zeros(0, dtype=np.int64), 0)
    x0, y0 = float(minx.min()) - pad, float(miny.min()) - pad
    width, height = float(maxx.max()) + pad - x0, float(maxy.max()) + pad - y0
    cell = max(float(cell), 1e-3)
    while True:  # not far more cells, nor far more entries, than boxes: larger cells then
        entries = ((np.floor((maxx - x0) / cell) - np.floor((minx - x0) / cell) + 1) *
                   (np.floor((maxy - y0) / cell) - np.floor((miny - y0) / cell) + 1)).sum()
        if (width / cell + 1) * (height / cell + 1) <= spread * n + 1024 and entries <= 2 * spread * n:
            break
        cell *= 1.5
    cols, rows = int(width // cell) + 1, int(height // cell) + 1
    grid = BoxGrid(cell, x0, y0, cols, rows, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), n)
    owner, key = _cover(grid, minx, miny, maxx, maxy)
    grid.start = np.zeros(cols * rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(key, minlength=cols * rows), out=grid.start[1:])
    grid.ids = owner[sort_order(key)]
    return grid


def cell_pairs(grid: BoxGrid) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (i < j) of the grid's boxes listed in a common cell: every pair of boxes that
    overlap (or touch) is among them, some more than once, and some do not overlap."""
    size = np.diff(grid.start)
    cells = np.flatnonzero(size > 1)
    size = size[cells]
    if not len(cells):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    # every pair of entries within a cell: each entry with each entry after it
    rank = np.arange(int(size.sum())) - np.repeat(np.cumsum(size) - size, size)
    later = np.repeat(size, size) - 1 - rank
    a = np.repeat(np.repeat(grid.start[cells], size) + rank, later)
    b = a + 1 + np.arange(len(a)) - np.repeat(np.cumsum(later) - later, later)
    i, j = grid.ids[a], grid.ids[b]
    return np.minimum(i, j), np.maximum(i, j)


def candidates(grid: BoxGrid, minx, miny, maxx, maxy) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (query box, grid box) listed in a common cell, for query boxes given by their
    bounds (a pair may come more than once)."""
    query, key = _cover(grid, minx, miny, maxx, maxy)
    lo = grid.start[key]
    count = grid.start[key + 1] - lo
    k = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    return np.repeat(query, count), grid.ids[np.repeat(lo, count) + k]
