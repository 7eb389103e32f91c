"""Residential communities (小区) of the sample city.

Each used block holds one community filling its buildable area (the block
inset by half the street width plus a setback), or two communities side by
side that share a jittered dividing line. Attributes follow the old-community
stock of a Chinese city: mostly 1980s–1990s work-unit and resettlement
housing, newer commercial estates after 2000.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely

from layers.kinds import COMMUNITIES, ILLEGAL_STATES, PROGRAMME_STATES
from layers.sample import names
from layers.sample.admin import Admin
from layers.sample.frames import choose, make_frame, with_missing
from layers.sample.lattice import Lattice, bilinear, inset_quads, left_normals
from layers.sample.streets import Roads

SPLIT_SHARE = 0.35  # share of used blocks holding two communities
_OLD_TYPES = ("work_unit", "resettlement", "affordable", "commercial", "mixed", "other")
_OLD_P = (0.45, 0.20, 0.12, 0.15, 0.05, 0.03)
_NEW_TYPES = ("commercial", "resettlement", "affordable", "mixed", "work_unit", "other")
_NEW_P = (0.70, 0.10, 0.12, 0.04, 0.03, 0.01)


def block_insets(lat: Lattice, roads: Roads, rng: np.random.Generator) -> np.ndarray:
    """Buildable quad of every block: each side moved in by half its street's width
    (or of a wider street continuing it) plus a setback of 2–8 m. (B, 4, 2), corners
    SW, SE, NE, NW."""
    width = roads.clearance_width(lat)[lat.block_sides]
    d = width / 2 + rng.uniform(2.0, 8.0, lat.block_sides.shape)
    return inset_quads(lat.block_corners, d)


@dataclass
class Communities:
    block: np.ndarray  # (n,) block id
    part: np.ndarray  # (n,) 0 = whole block, 1 = first half, 2 = second half
    quad: np.ndarray  # (n, 4, 2) buildable quad of the block, corners rotated for splits
    u_range: np.ndarray  # (n, 2) parameter range along the quad's u axis inside the community
    geoms: np.ndarray
    name: np.ndarray
    population: np.ndarray
    frame: gpd.GeoDataFrame


def build_communities(lat: Lattice, roads: Roads, adm: Admin, insets: np.ndarray,
                      rng: np.random.Generator, n: int) -> Communities:
    n_blocks = max(1, round(n / (1 + SPLIT_SHARE)))
    n_split = n - n_blocks
    used = np.sort(rng.choice(lat.n_blocks, size=n_blocks, replace=False))
    split = np.zeros(n_blocks, dtype=bool)
    split[rng.choice(n_blocks, size=n_split, replace=False)] = True
    q = insets[used].copy()
    turn = split & (rng.random(n_blocks) < 0.5)  # split the other way in half of them
    q[turn] = np.roll(q[turn], 1, axis=1)

    counts = 1 + split.astype(int)
    row_block = np.repeat(np.arange(n_blocks), counts)
    start = np.concatenate([[0], np.cumsum(counts)[:-1]])
    part = np.zeros(n, dtype=int)
    part[start[split]] = 1
    part[start[split] + 1] = 2

    geoms = np.empty(n, dtype=object)
    whole = ~split
    geoms[start[whole]] = shapely.polygons(q[whole])
    qs = q[split]
    ns = len(qs)
    p1 = bilinear(qs, rng.uniform(0.4, 0.6, ns), np.zeros(ns))
    p2 = bilinear(qs, rng.uniform(0.4, 0.6, ns), np.ones(ns))
    pm = (p1 + p2) / 2 + left_normals(p2 - p1) * rng.uniform(-4.0, 4.0, ns)[:, None]
    a = np.stack([qs[:, 0], p1, pm, p2, qs[:, 3]], axis=1)
    b = np.stack([p1, qs[:, 1], qs[:, 2], p2, pm], axis=1)
    geoms[start[split]] = shapely.polygons(a)
    geoms[start[split] + 1] = shapely.polygons(b)

    u_range = np.tile([0.1, 0.9], (n, 1))
    u_range[part == 1] = [0.08, 0.3]
    u_range[part == 2] = [0.7, 0.92]
    block = used[row_block]
    attrs = _attributes(rng, shapely.area(geoms), n)

    side = lat.block_sides[block, rng.integers(0, 4, n)]
    street = roads.side_name[side]
    name = names.community_names(rng, attrs["property_type"], attrs["year_built"], street)
    # Half of the second halves are the "phase two" of the first half.
    phase_two = (part == 2) & (rng.random(n) < 0.5)
    prev = np.flatnonzero(phase_two) - 1
    name[phase_two] = [f"{nm}二期" for nm in name[prev]]
    name = names.dedupe(name)
    # where each community stands in the renovation programme (older ones more often planned)
    old = attrs["year_built"] < 2000
    status = np.where(old, choose(rng, PROGRAMME_STATES, (0.45, 0.25, 0.15, 0.07, 0.05, 0.03), n),
                      "none")

    cols = {
        "name": name,
        "district": adm.block_district_name()[block],
        "district_code": adm.block_district_code()[block],
        "subdistrict": adm.block_subdistrict()[block],
        "neighbourhood": adm.block_neighbourhood()[block],
        **attrs,
        "programme_status": status,
    }
    frame = make_frame(COMMUNITIES, cols, geoms)
    return Communities(block, part, q[row_block], u_range, geoms, name,
                       attrs["population"], frame)


def _attributes(rng: np.random.Generator, area: np.ndarray, n: int) -> dict:
    typical = rng.random(n) < 0.75
    year = np.where(typical, np.clip(np.round(rng.normal(1991, 5.5, n)), 1980, 2000),
                    rng.integers(1975, 2016, n)).astype(int)
    old = year < 2000
    ptype = np.where(old, choose(rng, _OLD_TYPES, _OLD_P, n), choose(rng, _NEW_TYPES, _NEW_P, n))

    floors = np.where(
        old, np.clip(np.round(rng.normal(6.0, 1.3, n)), 3, 9),
        np.where(year < 2010, rng.integers(6, 19, n), rng.integers(11, 34, n))).astype(int)
    coverage = np.where(floors <= 9, rng.uniform(0.22, 0.35, n), rng.uniform(0.14, 0.24, n))
    unit_m2 = np.where(old, rng.uniform(55, 75, n), rng.uniform(80, 110, n))
    households = np.clip(np.round(area * coverage * floors / unit_m2), 100, 2000).astype(int)
    per_floor = rng.uniform(4, 10, n)
    buildings = np.maximum(1, np.ceil(households / (floors * per_floor))).astype(int)
    retrofit = rng.random(n) < 0.08  # a few low-rise blocks already added lifts
    lifts = np.where(floors >= 8, buildings * rng.integers(1, 3, n),
                     np.where(retrofit, rng.integers(1, buildings + 1), 0))
    population = np.round(households * rng.uniform(2.3, 3.0, n)).astype(int)
    pop_60 = with_missing(rng, np.round(population * rng.uniform(0.15, 0.35, n)), 0.10)
    pop_03 = with_missing(rng, np.round(population * rng.uniform(0.01, 0.04, n)), 0.10)

    urban_village = rng.random(n) < 0.03
    self_built = np.where(rng.random(n) < 0.12, np.round(rng.uniform(0.05, 0.6, n), 2), 0.0)
    self_built = np.where(urban_village, np.round(rng.uniform(0.5, 0.95, n), 2), self_built)
    return {
        "year_built": year,
        "property_type": ptype,
        "disabled_residents": rng.random(n) < 0.03,
        "households": households,
        "population": population,
        "pop_60plus": pop_60,
        "pop_0_3": pop_03,
        "buildings": buildings,
        "floors_max": floors,
        "lifts": lifts,
        "willingness": np.round(0.3 + 0.7 * rng.beta(3.0, 2.0, n), 2),
        "illegal_structures": choose(rng, ILLEGAL_STATES, (0.25, 0.25, 0.25, 0.15, 0.10), n),
        "shantytown": rng.random(n) < 0.04,
        "self_built_share": self_built,
        "urban_village": urban_village,
        "in_urban_centre": rng.random(n) < 0.92,
    }
