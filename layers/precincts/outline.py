"""Precinct outlines: the union of member communities with the street gaps closed.

A morphological closing (buffer out by half the gap, union, buffer back in, with
mitred joins so block corners stay square) bridges the streets between members;
holes are filled, then every non-member community is cut out again, so an outline
never covers a community of another precinct.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from layers.precincts.adjacency import DEFAULT_GAP_M

_MITRE = {"join_style": "mitre", "mitre_limit": 3.0}


def _fill_holes(geom):
    if geom is None or geom.is_empty:
        return geom
    parts = shapely.get_parts(geom)
    shells = [shapely.Polygon(p.exterior) for p in parts if p.geom_type == "Polygon"]
    return shapely.union_all(shells) if shells else geom


def _bridges(geoms: np.ndarray, gap_m: float) -> np.ndarray:
    """A quad across the street for every pair of members closer than the gap, so a
    precinct contiguous in the adjacency graph is also one polygon after the closing."""
    left, right = shapely.STRtree(geoms).query(geoms, predicate="dwithin", distance=gap_m)
    keep = left < right
    left, right = left[keep], right[keep]
    if not len(left):
        return np.empty(0, dtype=object)
    reach = shapely.buffer(shapely.shortest_line(geoms[left], geoms[right]), gap_m / 2)
    ends = shapely.union(shapely.intersection(geoms[left], reach),
                         shapely.intersection(geoms[right], reach))
    return shapely.convex_hull(ends)


def precinct_outline(member_geoms, gap_m: float = DEFAULT_GAP_M, others=None):
    """One clean boundary around ``member_geoms``; ``others`` (non-members) are cut out.

    Example
    -------
    >>> import shapely
    >>> o = precinct_outline([shapely.box(0, 0, 10, 10), shapely.box(20, 0, 30, 10)], gap_m=12)
    >>> round(o.area)
    300
    """
    geoms = np.asarray([g for g in member_geoms if g is not None and not g.is_empty], dtype=object)
    if not len(geoms):
        return shapely.Polygon()
    half = max(float(gap_m), 0.0) / 2.0
    if half > 0:
        closed = shapely.buffer(shapely.union_all(shapely.buffer(geoms, half, **_MITRE)),
                                -half, **_MITRE)
        # never lose member area, and keep every street crossing of the adjacency graph
        closed = shapely.union_all(np.r_[np.asarray([closed], dtype=object), geoms,
                                         _bridges(geoms, float(gap_m))])
    else:
        closed = shapely.union_all(geoms)
    closed = _fill_holes(shapely.make_valid(closed))
    if others is not None:
        others = np.asarray([g for g in others if g is not None and not g.is_empty], dtype=object)
        if len(others):
            hits = others[shapely.intersects(others, closed)]
            if len(hits):
                closed = shapely.difference(closed, shapely.union_all(hits))
    closed = shapely.make_valid(closed)
    polys = [p for p in shapely.get_parts(closed) if p.geom_type == "Polygon" and p.area > 1e-6]
    if not polys:
        return shapely.Polygon()
    return polys[0] if len(polys) == 1 else shapely.MultiPolygon(polys)


def outlines(communities: gpd.GeoDataFrame, groups: dict[str, np.ndarray],
             gap_m: float = DEFAULT_GAP_M) -> dict[str, object]:
    """Outline of every group (name → member fids) over the same communities layer."""
    geoms = communities.geometry
    tree = shapely.STRtree(geoms.to_numpy())
    all_geoms = geoms.to_numpy()
    positions = {int(f): i for i, f in enumerate(communities.index)}
    out = {}
    for name, fids in groups.items():
        pos = np.asarray([positions[int(f)] for f in fids], dtype=np.int64)
        members = all_geoms[pos]
        if not len(pos):
            out[name] = shapely.Polygon()
            continue
        env = shapely.buffer(shapely.envelope(shapely.union_all(members)), gap_m)
        near = tree.query(env)
        near = np.setdiff1d(near, pos)
        out[name] = precinct_outline(members, gap_m, all_geoms[near])
    return out


def polsby_popper(geom) -> float:
    """4πA / P² (1 for a circle); for a multipolygon, of its total area and perimeter."""
    if geom is None or geom.is_empty or geom.length == 0:
        return 0.0
    return float(4 * np.pi * geom.area / geom.length ** 2)
