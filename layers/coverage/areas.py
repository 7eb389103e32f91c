"""Service areas: the street parts actually reachable within a level, widened by a corridor.

Along an edge piece between two points with exact network distances ``D0`` and ``D1``
(nodes, community virtual nodes, facility snap points), a point at ``s`` from the
first lies at ``min(D0 + s, D1 + length - s)``. The reachable parts are therefore at
most two intervals per piece, cut at exactly the level; the drawn polygon is the
union of those parts buffered by the corridor — never a convex hull, so an area
never claims land no street reaches.
"""

from __future__ import annotations

import os
from concurrent.futures import ALL_COMPLETED, FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from layers.coverage.faces import area_from_faces
from layers.coverage.runs import merge_runs
from layers.coverage.snap import Chains, EdgeIndex
from layers.errors import T

_EPS = 1e-9
_QUAD_SEGS = 4  # segments per quarter circle of a widened run's round ends and bends
#: shapely >= 2.1 (GEOS >= 3.12) unites each group of mutually touching polygons on its own
_union = getattr(shapely, "disjoint_subset_union_all", shapely.union_all)
#: at most this many areas at once (each holds its runs and their widened outlines)
MAX_AREA_THREADS = 4


def _breakpoints(index: EdgeIndex, chains: Chains, dist: np.ndarray, fac_edge: np.ndarray,
                 fac_pos: np.ndarray, fac_snap: np.ndarray):
    """Points splitting edges (ends, community nodes, facility snap points), sorted along
    each edge, with exact distances (facility points relaxed along their edge)."""
    edges = np.unique(np.concatenate([chains.edge, fac_edge]))
    e = np.concatenate([edges, edges, chains.edge, fac_edge])
    p = np.concatenate([np.zeros(len(edges)), index.length[edges], chains.pos, fac_pos])
    d = np.concatenate([dist[index.u[edges]], dist[index.v[edges]], dist[chains.node], fac_snap])
    order = np.lexsort((p, e))
    e, p, d = e[order], p[order], d[order]
    if len(fac_edge):
        d = _relax(e, p, d)
    where = np.empty(len(order), dtype=np.int64)
    where[order] = np.arange(len(order))
    return edges, e, p, d, where[len(order) - len(fac_edge):]


def _relax(e: np.ndarray, p: np.ndarray, d: np.ndarray) -> np.ndarray:
    """One forward and one backward pass along each edge: d_i = min(d_i, d_j + |p_i - p_j|)."""
    d = d.tolist()
    el, pl = e.tolist(), p.tolist()
    for i in range(1, len(d)):
        if el[i] == el[i - 1] and d[i - 1] + pl[i] - pl[i - 1] < d[i]:
            d[i] = d[i - 1] + pl[i] - pl[i - 1]
    for i in range(len(d) - 2, -1, -1):
        if el[i] == el[i + 1] and d[i + 1] + pl[i + 1] - pl[i] < d[i]:
            d[i] = d[i + 1] + pl[i + 1] - pl[i]
    return np.asarray(d)


def _intervals(gid, p0, p1, d0, d1, level: float):
    """Reachable intervals of pieces (geometry id, start, end), merged where they touch."""
    a_ok, b_ok = d0 <= level, d1 <= level
    a_end = np.minimum(p1, p0 + (level - d0))
    b_start = np.maximum(p0, p1 - (level - d1))
    whole = a_ok & b_ok & (a_end >= b_start)
    a_only = a_ok & ~whole
    b_only = b_ok & ~whole
    g = np.concatenate([gid[whole], gid[a_only], gid[b_only]])
    s = np.concatenate([p0[whole], p0[a_only], b_start[b_only]])
    t = np.concatenate([p1[whole], a_end[a_only], p1[b_only]])
    keep = t - s > _EPS
    g, s, t = g[keep], s[keep], t[keep]
    order = np.lexsort((s, g))
    g, s, t = g[order], s[order], t[order]
    if not len(g):
        return g, s, t
    start = np.ones(len(g), dtype=bool)
    start[1:] = (g[1:] != g[:-1]) | (s[1:] > t[:-1] + _EPS)
    first = np.flatnonzero(start)
    return g[first], s[first], np.maximum.reduceat(t, first)


def substrings(geoms: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """The parts of lines between distances ``start`` and ``end`` along them (vectorised)."""
    if not len(geoms):
        return np.empty(0, dtype=object)
    coords, gi = shapely.get_coordinates(geoms, return_index=True)
    step = np.hypot(*np.diff(coords, axis=0, prepend=coords[:1]).T)
    step[np.r_[True, gi[1:] != gi[:-1]]] = 0.0
    cum = np.cumsum(step)
    cum -= cum[np.searchsorted(gi, gi)]  # restart at each line
    inner = (cum > start[gi]) & (cum < end[gi])
    a = shapely.get_coordinates(shapely.line_interpolate_point(geoms, start))
    b = shapely.get_coordinates(shapely.line_interpolate_point(geoms, end))
    idx = np.arange(len(geoms))
    xy = np.concatenate([a, coords[inner], b])
    owner = np.concatenate([idx, gi[inner], idx])
    where = np.concatenate([start, cum[inner], end])
    rank = np.concatenate([np.zeros(len(idx)), np.ones(inner.sum()), np.full(len(idx), 2.0)])
    order = np.lexsort((rank, where, owner))
    return shapely.linestrings(xy[order], indices=owner[order])


def reachable_parts(index: EdgeIndex, chains: Chains, dist: np.ndarray, fac_edge: np.ndarray,
                    fac_pos: np.ndarray, fac_snap: np.ndarray, fac_points: np.ndarray,
                    level: float) -> np.ndarray:
    """The street parts (and facility access legs) within ``level`` of a facility.

    ``dist`` is the service's distance per graph node; the facilities are the service's
    snapped ones (edge, position, snap leg, original point).
    """
    edges, e, p, d, fac_at = _breakpoints(index, chains, dist, fac_edge, fac_pos, fac_snap)
    plain = np.ones(len(index.u), dtype=bool)
    plain[edges] = False
    du, dv = dist[index.u], dist[index.v]
    plain &= np.minimum(du, dv) <= level
    pe = np.flatnonzero(plain)
    same = e[1:] == e[:-1]
    gid = np.concatenate([pe, e[:-1][same]])
    p0 = np.concatenate([np.zeros(len(pe)), p[:-1][same]])
    p1 = np.concatenate([index.length[pe], p[1:][same]])
    d0 = np.concatenate([du[pe], d[:-1][same]])
    d1 = np.concatenate([dv[pe], d[1:][same]])
    # facility access legs: from the facility (0) to its snap point (relaxed distance there)
    n_edges = len(index.u)
    d_snap = d[fac_at]
    snap_pts = shapely.line_interpolate_point(index.geoms[fac_edge], fac_pos)
    legs = shapely.linestrings(np.stack([shapely.get_coordinates(fac_points),
                                         shapely.get_coordinates(snap_pts)], axis=1)) \
        if len(fac_edge) else np.empty(0, dtype=object)
    has_leg = fac_snap > _EPS
    leg_ids = n_edges + np.flatnonzero(has_leg)
    gid = np.concatenate([gid, leg_ids])
    p0 = np.concatenate([p0, np.zeros(has_leg.sum())])
    p1 = np.concatenate([p1, fac_snap[has_leg]])
    d0 = np.concatenate([d0, np.zeros(has_leg.sum())])
    d1 = np.concatenate([d1, d_snap[has_leg]])
    g, s, t = _intervals(gid, p0, p1, d0, d1, level)
    geoms = np.concatenate([index.geoms, legs])
    lengths = np.concatenate([index.length, fac_snap])
    full = (s <= _EPS) & (t >= lengths[g] - _EPS)
    cut = substrings(geoms[g[~full]], s[~full], t[~full])
    return np.concatenate([geoms[g[full]], cut])


def area_polygon(parts: np.ndarray, corridor_m: float):
    """The reachable parts widened by ``corridor_m`` either side, as one (multi)polygon."""
    if not len(parts):
        return shapely.Polygon()
    # joining the parts into runs between junctions first (~5× fewer pieces) and then
    # buffering each run and uniting is ~3× faster than uniting the buffered parts, and many
    # times faster than buffering one multi-line; the runs are those of ``shapely.line_merge``
    # (merge_runs joins them with arrays, ~6× faster), so the polygon is the same. The union
    # of a 1,000 m area is one polygon with thousands of holes; those are built face by face
    # (layers.coverage.faces) and only the outline's runs are united, unless the streets
    # are not noded as that needs. GEOS's disjoint-subset union gives the same polygon
    # ~15 % faster here (up to 1.5× on the 300 m areas, which fall apart into many pieces)
    runs = merge_runs(parts)
    if not len(runs):
        return shapely.Polygon()
    area = area_from_faces(runs, corridor_m, _QUAD_SEGS, _union)
    if area is None:
        area = _union(shapely.buffer(runs, corridor_m, quad_segs=_QUAD_SEGS))
    return area


def _workers(jobs: int) -> int:
    """Threads for the service areas: GEOS lets go of the GIL while it unites, so the areas
    are worked on side by side (two on two cores: the city's nine 8.3 → 4.4 s)."""
    return max(1, min(jobs, os.cpu_count() or 1, MAX_AREA_THREADS))


def service_areas(d, options, crs, services=None, levels=None, progress=None,
                  cancel=None) -> gpd.GeoDataFrame:
    """One merged service area per service and level (rows of a ``service_areas`` layer)
    from the network distances ``d`` (:class:`layers.coverage.engine.Distances`).

    The areas are worked on in threads, the farthest levels first. ``progress(fraction,
    text)`` is told as each area starts, the fraction being the
    share of the areas finished, each weighted by its distance (a 1,000 m area costs about
    as much as 300 m and 500 m together); ``cancel()`` is asked before each area starts,
    and a cancel leaves the areas under way to finish unseen."""
    from layers import display
    from layers.coverage.engine import CoverageCancelled

    graph = d.graph
    keys = dict(zip(options.levels_m, options.level_keys))
    services, levels = list(services or options.services), list(levels or options.levels_m)
    # the longest first (a 1,000 m area takes as long as 300 and 500 m together), so that
    # the threads end together; the frame keeps the order service by service, level by level
    order = [(service, float(level)) for service in services for level in levels]
    jobs = sorted(order, key=lambda job: -job[1])
    total, done = float(sum(levels)) * len(services) or 1.0, 0.0
    polygons: dict[int, object] = {}
    running: dict[Future, int] = {}
    workers = _workers(len(jobs))
    pool = ThreadPoolExecutor(workers, thread_name_prefix="service-area")

    def finish(when) -> None:
        nonlocal done
        finished, _ = wait(list(running), return_when=when)
        for future in finished:
            i = running.pop(future)
            polygons[i] = future.result()
            done += jobs[i][1]

    try:
        for i, (service, level) in enumerate(jobs):
            if len(running) >= workers:
                finish(FIRST_COMPLETED)
            if cancel is not None and cancel():
                raise CoverageCancelled()
            if progress is not None:
                en, zh = display.service(service, "en"), display.service(service, "zh")
                progress(done / total, T(f"service areas: {en}, {level:g} m", f"服务范围：{zh}，{level:g} 米"))
            mine = (d.fac_service == service) & d.facilities.ok
            parts = reachable_parts(graph.index, graph.chains, d.fields[service].dist,
                                    d.facilities.edge[mine], d.facilities.pos[mine],
                                    d.facilities.snap_m[mine], d.fac_points[mine], level)
            running[pool.submit(area_polygon, parts, options.corridor_m)] = i
        finish(ALL_COMPLETED)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    rows = [{"service": service, "level_m": level, "level": keys.get(level),
             "facility_fid": pd.NA, "geometry": polygons[jobs.index((service, level))]}
            for service, level in order]
    columns = ["service", "level_m", "level", "facility_fid", "geometry"]
    return gpd.GeoDataFrame(rows, columns=columns, geometry="geometry", crs=crs)
