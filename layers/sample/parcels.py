"""Idle land (存量用地) and public buildings (公房) that could host new services.

Most parcels lie in blocks without communities; about a third are old public
buildings in a corner of a community (boiler houses, bicycle sheds, former
property offices). Areas are 300–5,000 m².
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from layers.kinds import AVAILABILITY, OWNERSHIP, PARCELS
from layers.sample import names
from layers.sample.communities import Communities
from layers.sample.frames import choose, make_frame
from layers.sample.lattice import Lattice, bilinear, quad_area
from layers.sample.streets import Roads

IN_COMMUNITY_SHARE = 0.3
AREA_M2 = (330.0, 4500.0)  # target range; kept inside 300–5,000 m²
_IDLE_USES = ("空置", "临时停车", "堆放杂物", "荒地", "临时菜地")
_BUILDING_USES = ("闲置", "出租商铺", "仓库", "办公", "空置")
_CORNER_BUILDINGS = ("闲置用房", "原锅炉房", "原自行车棚", "原物业用房", "原居委会用房")
_FORMER = ("办公楼", "仓库", "门面房", "招待所")


def _rect(q: np.ndarray, u0, v0, du, dv) -> np.ndarray:
    """The quad images of parameter rectangles [u0, u0+du] × [v0, v0+dv]."""
    return np.stack([bilinear(q, u0, v0), bilinear(q, u0 + du, v0),
                     bilinear(q, u0 + du, v0 + dv), bilinear(q, u0, v0 + dv)], axis=1)


def _sizes(rng, area_total, target, du_max, dv_max):
    s = np.sqrt(target / area_total) * rng.uniform(0.7, 1.4, len(target))
    du = np.minimum(s, du_max)
    dv = np.minimum(target / (area_total * du), dv_max)
    return du, dv


def _rescale(du, dv, ratio, du_max, dv_max):
    f = np.sqrt(ratio)
    du2 = np.minimum(du * f, du_max)
    return du2, np.minimum(dv * ratio * du / du2, dv_max)


def build_parcels(lat: Lattice, roads: Roads, insets: np.ndarray, comm: Communities,
                  rng: np.random.Generator, n: int) -> gpd.GeoDataFrame:
    n_comm = len(comm.block)
    n_corner = min(round(n * IN_COMMUNITY_SHARE), n_comm)
    n_free = n - n_corner

    # Parcels in blocks without communities, one per block where possible.
    free = np.setdiff1d(np.arange(lat.n_blocks), comm.block)
    if len(free) == 0:
        free = np.arange(lat.n_blocks)
    fb = rng.choice(free, size=n_free, replace=n_free > len(free))
    q = insets[fb]
    target = np.exp(rng.uniform(*np.log(AREA_M2), n_free))
    du, dv = _sizes(rng, quad_area(q), target, 0.85, 0.85)
    fu, fv = rng.random(n_free), rng.random(n_free)
    for _ in range(3):  # the quads are not parallelograms: correct the area twice
        u0 = 0.05 + fu * (0.9 - du)
        v0 = 0.05 + fv * (0.9 - dv)
        free_coords = _rect(q, u0, v0, du, dv)
        du, dv = _rescale(du, dv, target / quad_area(free_coords), 0.85, 0.85)

    # Public buildings in a community's corner, away from the dividing line of split blocks.
    host = rng.choice(n_comm, size=n_corner, replace=False)
    qc = comm.quad[host]
    target_c = np.exp(rng.uniform(np.log(AREA_M2[0]), np.log(900.0), n_corner))
    du_c, dv_c = _sizes(rng, quad_area(qc), target_c, 0.2, 0.85)
    second = comm.part[host] == 2
    for _ in range(3):
        u0_c = np.where(second, 0.96 - du_c, 0.04)
        v0_c = np.where(second, 0.96 - dv_c, 0.04)
        corner_coords = _rect(qc, u0_c, v0_c, du_c, dv_c)
        du_c, dv_c = _rescale(du_c, dv_c, target_c / quad_area(corner_coords), 0.2, 0.85)

    coords = np.concatenate([free_coords, corner_coords])
    geoms = shapely.polygons(coords)
    area = shapely.area(geoms)
    block = np.concatenate([fb, comm.block[host]])

    idle = np.concatenate([rng.random(n_free) < 0.7, np.zeros(n_corner, dtype=bool)])
    ptype = np.where(idle, "idle_land", "public_building").astype(object)
    side = lat.block_sides[block, rng.integers(0, 4, n)]
    street = roads.side_name[side]
    number = rng.integers(1, 300, n)
    unit = names.parcel_unit_names(rng, n)
    former = rng.integers(0, len(_FORMER), n)
    corner_kind = rng.integers(0, len(_CORNER_BUILDINGS), n_corner)
    name = np.empty(n, dtype=object)
    for i in range(n_free):
        name[i] = (f"{street[i]}{number[i]}号地块" if idle[i]
                   else f"原{unit[i]}{_FORMER[former[i]]}")
    for k in range(n_corner):
        name[n_free + k] = f"{comm.name[host[k]]}{_CORNER_BUILDINGS[corner_kind[k]]}"
    name = names.dedupe(name)

    ownership = np.where(
        idle, choose(rng, OWNERSHIP, (0.45, 0.10, 0.30, 0.05, 0.10), n),
        choose(rng, OWNERSHIP, (0.35, 0.05, 0.50, 0.05, 0.05), n))
    use = np.where(idle, choose(rng, _IDLE_USES, (0.4, 0.25, 0.15, 0.1, 0.1), n),
                   choose(rng, _BUILDING_USES, (0.35, 0.2, 0.2, 0.15, 0.1), n))
    floors = rng.integers(1, 5, n)
    cols = {
        "name": name,
        "parcel_type": ptype,
        "ownership": ownership,
        "availability": choose(rng, AVAILABILITY, (0.35, 0.3, 0.2, 0.15), n),
        "current_use": use,
        "floor_area_m2": np.where(idle, np.nan, np.round(area * floors * 0.9, 0)),
        "green_space": idle & (rng.random(n) < 0.15),
    }
    order = np.argsort(block, kind="stable")
    cols = {k: np.asarray(v)[order] for k, v in cols.items()}
    return make_frame(PARCELS, cols, geoms[order])
