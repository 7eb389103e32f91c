"""Districts, sub-districts and neighbourhoods of the sample city.

Sub-districts are unions of whole blocks (a discrete Voronoi partition of the
block grid), so every community lies in exactly one. A large enough city puts
its eastern sub-districts in 伍家岗区, the rest in 西陵区.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from scipy.spatial import cKDTree

from layers.kinds import ADMIN
from layers.sample import names
from layers.sample.frames import make_frame
from layers.sample.lattice import Lattice

DISTRICTS = {"420502": "西陵区", "420503": "伍家岗区"}
_MIN_SUBDISTRICTS_FOR_TWO_DISTRICTS = 6


@dataclass
class Admin:
    block_sd: np.ndarray  # (B,) sub-district index of each block
    sd_name: list[str]
    sd_code: list[str]
    sd_district: list[str]  # district code of each sub-district
    block_nb: np.ndarray  # (B,) neighbourhood index of each block
    nb_name: np.ndarray  # (N,) object

    def block_district_code(self) -> np.ndarray:
        return np.asarray(self.sd_district, dtype=object)[self.block_sd]

    def block_district_name(self) -> np.ndarray:
        return np.asarray([DISTRICTS[c] for c in self.sd_district], dtype=object)[self.block_sd]

    def block_subdistrict(self) -> np.ndarray:
        return np.asarray(self.sd_name, dtype=object)[self.block_sd]

    def block_neighbourhood(self) -> np.ndarray:
        return self.nb_name[self.block_nb]


def plan_admin(lat: Lattice, rng: np.random.Generator, blocks_per_subdistrict: int,
               blocks_per_neighbourhood: int) -> Admin:
    nx, ny = lat.nx, lat.ny
    k = max(2, round(lat.n_blocks / blocks_per_subdistrict))
    gx = max(1, round(np.sqrt(k * nx / ny)))
    gy = max(1, -(-k // gx))
    if gx * gy < 2:
        gx = 2
    # Seeds on a jittered coarse grid keep sub-districts of similar size.
    cx, cy = np.meshgrid(np.arange(gx), np.arange(gy))
    seed_col = cx.ravel()
    seeds = np.stack([(cx.ravel() + 0.5 + rng.uniform(-0.3, 0.3, gx * gy)) * nx / gx,
                      (cy.ravel() + 0.5 + rng.uniform(-0.3, 0.3, gx * gy)) * ny / gy], axis=1)
    centres = np.stack([lat.block_i + 0.5, lat.block_j + 0.5], axis=1)
    _, nearest = cKDTree(seeds).query(centres)
    # Renumber the used seeds 0..K-1 (a seed may win no block).
    used, block_sd = np.unique(nearest, return_inverse=True)
    n_sd = len(used)
    two = n_sd >= _MIN_SUBDISTRICTS_FOR_TWO_DISTRICTS
    east_cols = max(1, round(gx * 0.3))
    sd_district = np.where(two & (seed_col[used] >= gx - east_cols), "420503", "420502")

    sd_name = [""] * n_sd
    sd_code = [""] * n_sd
    taken: set[str] = set()
    for code in DISTRICTS:
        members = np.flatnonzero(sd_district == code)
        sd_names = names.subdistrict_names(rng, code, len(members), taken)
        for n, (idx, name) in enumerate(zip(members, sd_names, strict=True)):
            sd_name[idx] = name
            sd_code[idx] = f"{code}{n + 1:03d}"

    # Neighbourhoods: square cells of blocks, cut by the sub-district boundaries.
    side = max(1, round(np.sqrt(blocks_per_neighbourhood)))
    cell = (lat.block_j // side) * (nx // side + 1) + lat.block_i // side
    key = block_sd.astype(np.int64) * (cell.max() + 1) + cell
    _, block_nb = np.unique(key, return_inverse=True)
    n_nb = int(block_nb.max()) + 1
    nb_name = names.neighbourhood_names(rng, n_nb)
    # The plan's pilot neighbourhoods lend their names to one neighbourhood each.
    for code, pilots in names.PILOT_NEIGHBOURHOODS.items():
        sds = np.flatnonzero(sd_district == code)
        nbs = np.unique(block_nb[np.isin(block_sd, sds)])
        for nb, pilot in zip(nbs, pilots, strict=False):
            nb_name[nb] = pilot
    return Admin(block_sd, sd_name, sd_code, [str(c) for c in sd_district], block_nb, nb_name)


def _union_by(polys: np.ndarray, group: np.ndarray, n: int) -> list:
    order = np.argsort(group, kind="stable")
    bounds = np.searchsorted(group[order], np.arange(n + 1))
    out = []
    for g in range(n):
        part = polys[order[bounds[g]:bounds[g + 1]]]
        geom = shapely.coverage_union_all(part)
        if not geom.is_valid:
            geom = shapely.make_valid(geom)
        out.append(geom)
    return out


def admin_frame(lat: Lattice, adm: Admin) -> gpd.GeoDataFrame:
    """District polygons first, then sub-district polygons, each a union of blocks."""
    blocks = shapely.polygons(lat.block_corners)
    n_sd = len(adm.sd_name)
    sd_geoms = _union_by(blocks, adm.block_sd, n_sd)
    codes = [c for c in DISTRICTS if c in adm.sd_district]
    block_dist = np.searchsorted(codes, adm.block_district_code().astype(str))
    dist_geoms = _union_by(blocks, block_dist, len(codes))
    cols = {
        "name": [DISTRICTS[c] for c in codes] + adm.sd_name,
        "level": ["district"] * len(codes) + ["subdistrict"] * n_sd,
        "code": codes + adm.sd_code,
        "parent_code": ["420500"] * len(codes) + adm.sd_district,
    }
    return make_frame(ADMIN, cols, np.array(dist_geoms + sd_geoms, dtype=object))
