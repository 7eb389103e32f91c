"""Six utility networks laid under the streets.

Each utility covers runs of street sides ("corridors"), most of them drawn
from a pool shared by all utilities (main streets carry every network) and
the rest its own. A pipe is its street edge moved sideways by a
utility-specific offset, so different networks run in parallel a few metres
apart; about 2 % of pipes are moved to within 0.3–0.9 m of another utility's
pipe on the same edge, closer than clearance rules allow.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from layers.kinds import PIPELINES
from layers.sample.frames import make_frame, with_missing
from layers.sample.lattice import Lattice, left_normals
from layers.sample.streets import Roads


@dataclass(frozen=True)
class Utility:
    offset_m: float  # to the left of the street edge's direction
    owners: tuple[str, ...]
    diameters: tuple[float, ...]  # mm; cable duct banks by width
    materials: tuple[str, ...]
    depth_m: tuple[float, float]


UTILITIES: dict[str, Utility] = {
    "water": Utility(4.0, ("宜昌水务集团",), (100, 150, 200, 300, 400, 600),
                     ("球墨铸铁管", "PE管", "钢管", "灰口铸铁管"), (0.8, 1.8)),
    "drainage_sewage": Utility(0.0, ("宜昌水务集团排水公司",), (300, 400, 500, 600, 800, 1000),
                               ("钢筋混凝土管", "HDPE双壁波纹管"), (1.5, 3.0)),
    "drainage_storm": Utility(1.5, ("宜昌水务集团排水公司",), (400, 600, 800, 1000, 1200, 1500),
                              ("钢筋混凝土管", "HDPE双壁波纹管"), (1.2, 3.0)),
    "gas": Utility(-3.0, ("宜昌中燃",), (110, 160, 200, 250, 300), ("PE管", "钢管"), (0.8, 1.5)),
    "power": Utility(6.0, ("国网宜昌供电公司",), (300, 500, 800, 1000),
                     ("电缆排管", "直埋电缆", "电缆沟"), (0.7, 1.5)),
    "telecom": Utility(-5.5, ("中国电信宜昌分公司", "中国移动宜昌分公司", "中国联通宜昌分公司",
                              "湖北广电网络宜昌分公司"),
                       (100, 200, 300, 400), ("PVC管", "硅芯管", "HDPE管"), (0.7, 1.2)),
}
GAS_PRESSURES = ("low", "medium_b", "medium_a")
POOL_SHARE = 0.6  # share of each utility's sides drawn from the shared corridor pool
CLOSE_SHARE = 0.02  # share of pipes moved within 1 m of another utility's pipe


class _Corridors:
    """Draws runs of consecutive block sides along lattice lines."""

    def __init__(self, lat: Lattice, roads: Roads, rng: np.random.Generator,
                 length: tuple[int, int]) -> None:
        self.lat, self.rng, self.length = lat, rng, length
        self.line_len = lat.line_lengths()
        arterial = np.zeros(lat.n_lines, dtype=bool)
        arterial[lat.side_line[roads.side_class == "arterial"]] = True
        w = self.line_len * np.where(arterial, 4.0, 1.0)
        self.p = w / w.sum()
        n_v = (lat.nx + 1) * lat.ny
        vertical = np.arange(lat.n_lines) <= lat.nx
        # side id = first[line] + pos * step[line]
        self.first = np.where(vertical, np.arange(lat.n_lines) * lat.ny,
                              n_v + (np.arange(lat.n_lines) - lat.nx - 1) * lat.nx)

    @property
    def mean_length(self) -> float:
        return (self.length[0] + self.length[1]) / 2

    def draw(self, m: int) -> list[np.ndarray]:
        rng = self.rng
        line = rng.choice(len(self.p), size=m, p=self.p)
        size = np.minimum(rng.integers(self.length[0], self.length[1] + 1, m),
                          self.line_len[line])
        start = np.floor(rng.random(m) * (self.line_len[line] - size + 1)).astype(int)
        rep = np.repeat(np.arange(m), size)
        offsets = np.concatenate([[0], np.cumsum(size)[:-1]])
        pos = start[rep] + np.arange(int(size.sum())) - offsets[rep]
        sides = self.first[line[rep]] + pos
        return np.split(sides, np.cumsum(size)[:-1])


def _first_unique(values: np.ndarray) -> np.ndarray:
    _, idx = np.unique(values, return_index=True)
    return values[np.sort(idx)]


def _utility_sides(cor: _Corridors, pool: list[np.ndarray], n_sides: int,
                   rng: np.random.Generator) -> np.ndarray:
    take = [c for c, keep in zip(pool, rng.random(len(pool)) < 0.8, strict=True) if keep]
    chosen = _first_unique(np.concatenate(take)) if take else np.empty(0, dtype=int)
    chosen = chosen[:max(0, round(n_sides * POOL_SHARE))]
    for _ in range(50):
        if len(chosen) >= n_sides:
            break
        extra = cor.draw(int(np.ceil(1.5 * (n_sides - len(chosen)) / cor.mean_length)) + 1)
        chosen = _first_unique(np.concatenate([chosen, *extra]))
    return chosen[:n_sides]


def _dates(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    day0 = np.datetime64("2026-01-01", "D")
    start = day0 + rng.integers(0, 900, n).astype("timedelta64[D]")
    end = np.minimum(start + rng.integers(30, 241, n).astype("timedelta64[D]"),
                     np.datetime64("2028-12-31", "D"))
    return start, end


def build_pipelines(lat: Lattice, roads: Roads, rng: np.random.Generator,
                    corridor_sides: tuple[int, int], per_utility: int) -> gpd.GeoDataFrame:
    k = lat.edges_per_side
    n_sides = int(np.ceil(per_utility / k))
    cor = _Corridors(lat, roads, rng, corridor_sides)
    pool = cor.draw(int(np.ceil(POOL_SHARE * n_sides / cor.mean_length)) + 1)
    side_arterial = roads.side_class == "arterial"

    parts = []
    for key, ut in UTILITIES.items():
        sides = _utility_sides(cor, pool, n_sides, rng)
        ns = len(sides)
        art = side_arterial[sides]
        nd = len(ut.diameters)
        d_idx = np.where(art, rng.integers(nd // 2, nd, ns), rng.integers(0, nd // 2 + 1, ns))
        status = np.where(rng.random(ns) < 0.85, "existing",
                          np.where(rng.random(ns) < 0.55, "relocation", "new")).astype(object)
        start, end = _dates(rng, ns)
        works = status != "existing"
        if key == "gas":
            p = rng.random(ns)
            cut = np.where(art, 0.3, 0.6), np.where(art, 0.8, 0.9)
            pressure = np.where(p < cut[0], "low", np.where(p < cut[1], "medium_b", "medium_a"))
        else:
            pressure = np.full(ns, None)
        side_cols = {
            "owner": np.asarray(ut.owners, dtype=object)[rng.integers(0, len(ut.owners), ns)],
            "diameter_mm": np.asarray(ut.diameters, dtype=float)[d_idx],
            "material": np.asarray(ut.materials, dtype=object)[
                rng.integers(0, len(ut.materials), ns)],
            "pressure": pressure.astype(object),
            "status": status,
            "works_start": np.where(works, start, np.datetime64("NaT")),
            "works_end": np.where(works, end, np.datetime64("NaT")),
            "street": roads.side_name[sides],
        }
        edge = (sides[:, None] * k + np.arange(k)).ravel()[:per_utility]
        rep = np.arange(len(edge)) // k
        cols = {name: col[rep] for name, col in side_cols.items()}
        cols["utility"] = np.full(len(edge), key, dtype=object)
        lo, hi = ut.depth_m
        cols["depth_m"] = with_missing(rng, np.round(rng.uniform(lo, hi, len(edge)), 2), 0.2)
        parts.append((edge, np.full(len(edge), ut.offset_m), cols))

    edge = np.concatenate([p[0] for p in parts])
    offset = _crowd(rng, edge, np.concatenate([p[1] for p in parts]))
    cols = {name: np.concatenate([p[2][name] for p in parts]) for name in parts[0][2]}
    seg = lat.edge_coords[edge]
    normal = left_normals(seg[:, 1] - seg[:, 0])
    coords = seg + (normal * offset[:, None])[:, None, :]
    cols["works_start"] = pd.to_datetime(cols["works_start"])
    cols["works_end"] = pd.to_datetime(cols["works_end"])
    return make_frame(PIPELINES, cols, shapely.linestrings(coords))


def _crowd(rng: np.random.Generator, edge: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """Move about CLOSE_SHARE of pipes to 0.3–0.9 m from another utility's pipe on their edge."""
    order = np.argsort(edge, kind="stable")
    e = edge[order]
    cand = np.flatnonzero(e[:-1] == e[1:])  # sorted position i shares its edge with i+1
    n_move = min(len(cand), round(CLOSE_SHARE * len(edge)))
    if n_move == 0:
        return offset
    pick = np.sort(rng.choice(cand, size=n_move, replace=False))
    pick = pick[np.diff(pick, prepend=-10) > 1]  # the partner must not move itself
    out = offset.copy()
    partner = offset[order[pick + 1]]
    sign = np.where(rng.random(len(pick)) < 0.5, -1.0, 1.0)
    out[order[pick]] = partner + sign * rng.uniform(0.3, 0.9, len(pick))
    return out
