"""Community service facilities: elder care, childcare, meal points and others."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from layers.kinds import FACILITIES
from layers.sample import names
from layers.sample.admin import Admin
from layers.sample.communities import Communities
from layers.sample.frames import allot, make_frame
from layers.sample.lattice import Lattice, bilinear
from layers.sample.streets import Roads

# service key -> (share of all points, {subtype: share within service} or None)
SERVICES: dict[str, tuple[float, dict[str, float] | None]] = {
    "elder_care": (0.28, {"day_care_centre": 0.35, "elder_service_station": 0.5,
                          "home_for_aged": 0.15}),
    "childcare": (0.25, {"nursery": 0.45, "kindergarten": 0.55}),
    "meal_point": (0.22, {"community_canteen": 0.4, "elder_meal_point": 0.6}),
    "health_station": (0.07, None),
    "community_service_station": (0.08, None),
    "culture_sports": (0.05, None),
    "convenience_store": (0.05, None),
}
# subtype or service -> (Chinese name ending, capacity range, floor area m² per place)
_KIND = {
    "day_care_centre": ("日间照料中心", (20, 60), 18.0),
    "elder_service_station": ("老年服务站", (10, 30), 12.0),
    "home_for_aged": ("养老院", (50, 300), 30.0),
    "nursery": ("托育园", (20, 100), 9.0),
    "kindergarten": ("幼儿园", (90, 360), 10.0),
    "community_canteen": ("社区食堂", (50, 200), 2.5),
    "elder_meal_point": ("老年助餐点", (20, 80), 3.0),
    "health_station": ("社区卫生服务站", (0, 0), 0.0),
    "community_service_station": ("社区服务站", (0, 0), 0.0),
    "culture_sports": ("文体活动中心", (0, 0), 0.0),
    "convenience_store": ("便利店", (0, 0), 0.0),
}
_PLAIN_AREA = {"health_station": (150, 400), "community_service_station": (200, 600),
               "culture_sports": (300, 1200), "convenience_store": (40, 200)}
IN_COMMUNITY_SHARE = 0.75


def service_keys() -> tuple[str, ...]:
    return tuple(SERVICES)


def subtype_keys() -> tuple[str, ...]:
    return tuple(s for _, subs in SERVICES.values() if subs for s in subs)


def _draw_services(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    keys = list(SERVICES)
    service = allot(rng, keys, [SERVICES[k][0] for k in keys], n)
    subtype = np.full(n, None, dtype=object)
    for key, (_, subs) in SERVICES.items():
        if not subs:
            continue
        mask = service == key
        subtype[mask] = allot(rng, list(subs), list(subs.values()), int(mask.sum()))
    return service, subtype


def build_facilities(lat: Lattice, roads: Roads, adm: Admin, insets: np.ndarray,
                     comm: Communities, rng: np.random.Generator, n: int) -> gpd.GeoDataFrame:
    n_comm = len(comm.block)
    n_in = min(round(n * IN_COMMUNITY_SHARE), n_comm)
    n_out = n - n_in
    host = rng.choice(n_comm, size=n_in, replace=n_in > n_comm)
    lo, hi = comm.u_range[host, 0], comm.u_range[host, 1]
    pts_in = bilinear(comm.quad[host], lo + rng.random(n_in) * (hi - lo),
                      rng.uniform(0.1, 0.9, n_in))

    free = np.setdiff1d(np.arange(lat.n_blocks), comm.block)
    if len(free) == 0:
        free = np.arange(lat.n_blocks)
    out_blocks = rng.choice(free, size=n_out, replace=n_out > len(free))
    pts_out = bilinear(insets[out_blocks], rng.uniform(0.15, 0.85, n_out),
                       rng.uniform(0.15, 0.85, n_out))

    block = np.concatenate([comm.block[host], out_blocks])
    xy = np.concatenate([pts_in, pts_out])
    community = np.concatenate([comm.name[host], np.full(n_out, None, dtype=object)])
    base = np.concatenate([comm.name[host], adm.block_neighbourhood()[out_blocks]])
    # Stand-alone shops and clinics are named after a place stem, not the neighbourhood.
    stem = names.facility_prefix_names(rng, n)

    service, subtype = _draw_services(rng, n)
    kind = np.where(np.equal(subtype, None), service, subtype)
    capacity = np.full(n, np.nan)
    area = np.zeros(n)
    name = np.empty(n, dtype=object)
    for key, (ending, (c_lo, c_hi), per_place) in _KIND.items():
        m = kind == key
        k = int(m.sum())
        if not k:
            continue
        if c_hi:
            cap = rng.integers(c_lo, c_hi + 1, k)
            capacity[m] = cap
            area[m] = np.round(cap * per_place * rng.uniform(0.8, 1.3, k), 0)
        else:
            a_lo, a_hi = _PLAIN_AREA[key]
            area[m] = np.round(rng.uniform(a_lo, a_hi, k), 0)
        if key in ("convenience_store", "kindergarten"):
            name[m] = [f"{s}{ending}" for s in stem[m]]
        else:
            name[m] = [f"{b}{ending}" for b in base[m]]
    name = names.dedupe(name)

    status = np.where(rng.random(n) < 0.9, "existing", "planned").astype(object)
    side = lat.block_sides[block, rng.integers(0, 4, n)]
    number = rng.integers(1, 300, n)
    address = np.array([f"{s}{k}号" for s, k in zip(roads.side_name[side], number, strict=True)],
                       dtype=object)
    cols = {
        "name": name,
        "service": service,
        "subtype": subtype,
        "capacity": capacity,
        "floor_area_m2": area,
        "status": status,
        "address": address,
        "community": community,
    }
    order = np.argsort(block, kind="stable")  # fids roughly follow the city's layout
    cols = {k: np.asarray(v)[order] for k, v in cols.items()}
    return make_frame(FACILITIES, cols, shapely.points(xy[order]))
