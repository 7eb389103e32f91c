"""The population grid: residents per 100 m cell, spread from the communities."""

from __future__ import annotations

import numpy as np
import shapely
from affine import Affine

CELL_M = 100.0


def population_grid(geoms: np.ndarray, population: np.ndarray,
                    bounds: tuple[float, float, float, float],
                    cell: float = CELL_M) -> tuple[np.ndarray, Affine]:
    """Residents per cell over ``bounds`` (north-up), each community's population
    shared among the cells in proportion to the area of overlap."""
    minx, miny, maxx, maxy = bounds
    x0 = np.floor(minx / cell) * cell
    y0 = np.ceil(maxy / cell) * cell
    cols = int(np.ceil((maxx - x0) / cell))
    rows = int(np.ceil((y0 - miny) / cell))
    transform = Affine(cell, 0.0, x0, 0.0, -cell, y0)
    grid = np.zeros((rows, cols), dtype=np.float64)
    if len(geoms) == 0:
        return grid.astype(np.float32), transform

    b = shapely.bounds(geoms)
    c0 = np.clip(np.floor((b[:, 0] - x0) / cell).astype(int), 0, cols - 1)
    c1 = np.clip(np.floor((b[:, 2] - x0) / cell).astype(int), 0, cols - 1)
    r0 = np.clip(np.floor((y0 - b[:, 3]) / cell).astype(int), 0, rows - 1)
    r1 = np.clip(np.floor((y0 - b[:, 1]) / cell).astype(int), 0, rows - 1)
    nc, nr = c1 - c0 + 1, r1 - r0 + 1
    count = nc * nr
    poly = np.repeat(np.arange(len(geoms)), count)
    local = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    col = c0[poly] + local % nc[poly]
    row = r0[poly] + local // nc[poly]
    cells = shapely.box(x0 + col * cell, y0 - (row + 1) * cell,
                        x0 + (col + 1) * cell, y0 - row * cell)
    overlap = shapely.area(shapely.intersection(geoms[poly], cells))
    share = overlap / shapely.area(geoms)[poly]
    np.add.at(grid, (row, col), share * np.asarray(population, dtype=float)[poly])
    return grid.astype(np.float32), transform
