"""Dig once: planned works that could share one trench, and pipes under communities.

Works are pipes whose ``status`` is ``relocation`` or ``new`` and whose planned
period (``works_start`` … ``works_end``, both days included) is known. Two
works are *linked* when they are on the same street, their periods overlap and
their stretches along the street overlap (by more than ``min_overlap_m``). A dig-once group is a connected set
of linked works of at least two utilities.

Trench lengths are measured along the street: each work covers the interval
its vertices project onto on the street's axis (the street's own line when a
streets layer is given and the street is one line, else a straight axis along
the works' length-weighted mean direction). Dug separately, each work opens its own interval; dug once, the
group opens the union of the intervals. The metres saved are always reported;
yuan only when a cost per metre of trench is given (no cost is ever invented).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from layers.pipelines.pairs import _geoms, _lines_only, _utilities, require_projected

WORKS_STATUS = ("relocation", "new")


def works_mask(gdf: gpd.GeoDataFrame) -> np.ndarray:
    """True for pipes with planned works and a known period."""
    needed = {"status", "works_start", "works_end"}
    if not needed <= set(gdf.columns):
        return np.zeros(len(gdf), dtype=bool)
    start = pd.to_datetime(gdf["works_start"], errors="coerce")
    end = pd.to_datetime(gdf["works_end"], errors="coerce")
    geoms = _geoms(gdf)
    return (gdf["status"].isin(WORKS_STATUS).fillna(False).to_numpy(dtype=bool)
            & start.notna().to_numpy() & end.notna().to_numpy() & ~shapely.is_empty(geoms))


def _street_of(gdf: gpd.GeoDataFrame, rows: np.ndarray, streets: gpd.GeoDataFrame | None,
               max_distance: float | None) -> np.ndarray:
    """Street name of each work: its ``street`` attribute, else the nearest street segment."""
    out = np.full(len(rows), None, dtype=object)
    if "street" in gdf.columns:
        col = gdf["street"].to_numpy(dtype=object)[rows]
        out = np.array([v if isinstance(v, str) and v.strip() else None for v in col], dtype=object)
    missing = np.flatnonzero(out == None)  # noqa: E711 (element-wise)
    if len(missing) and streets is not None and len(streets):
        names = _street_names(streets)
        tree = shapely.STRtree(_geoms(streets))
        (src, dst) = tree.query_nearest(_geoms(gdf)[rows[missing]], max_distance=max_distance,
                                        all_matches=False)
        out[missing[src]] = names[dst]
    return out


def _street_names(streets: gpd.GeoDataFrame) -> np.ndarray:
    if "name" in streets.columns:
        names = streets["name"].to_numpy(dtype=object)
        fallback = np.array([f"street {f}" for f in streets.index], dtype=object)
        return np.array([n if isinstance(n, str) and n.strip() else f
                         for n, f in zip(names, fallback, strict=True)], dtype=object)
    return np.array([f"street {f}" for f in streets.index], dtype=object)


def _axis(street: str, works: np.ndarray, names: np.ndarray | None, lines: np.ndarray | None):
    """A line to measure along: the street's own line if it is one, else a straight axis."""
    if names is not None and lines is not None:
        parts = lines[names == street]
        if len(parts):
            merged = shapely.line_merge(shapely.union_all(parts))
            if shapely.get_type_id(merged) == 1:
                return merged
    xy = shapely.get_coordinates(works)
    centre = xy.mean(axis=0) if len(xy) else np.zeros(2)
    direction = _mean_direction(works)
    span = np.abs((xy - centre) @ direction).max() + 1.0 if len(xy) else 1.0
    return shapely.linestrings([centre - direction * span, centre + direction * span])


def _mean_direction(works: np.ndarray) -> np.ndarray:
    """Length-weighted mean direction of the works' segments (axial: a line and its
    reverse count alike, hence the doubled angles)."""
    coords, owner = shapely.get_coordinates(works, return_index=True)
    same = owner[1:] == owner[:-1]
    d = (coords[1:] - coords[:-1])[same]
    w = np.hypot(d[:, 0], d[:, 1])
    if not len(w) or w.sum() == 0:
        return np.array([1.0, 0.0])
    theta = np.arctan2(d[:, 1], d[:, 0])
    angle = 0.5 * np.arctan2((w * np.sin(2 * theta)).sum(), (w * np.cos(2 * theta)).sum())
    return np.array([np.cos(angle), np.sin(angle)])


def _intervals(axis, works: np.ndarray) -> np.ndarray:
    """(n, 2) along-axis extent of each work."""
    coords, owner = shapely.get_coordinates(works, return_index=True)
    pos = shapely.line_locate_point(axis, shapely.points(coords))
    lo = np.full(len(works), np.inf)
    hi = np.full(len(works), -np.inf)
    np.minimum.at(lo, owner, pos)
    np.maximum.at(hi, owner, pos)
    return np.stack([lo, hi], axis=1)


def _union_length(iv: np.ndarray) -> float:
    order = np.argsort(iv[:, 0])
    total, cur_lo, cur_hi = 0.0, None, None
    for lo, hi in iv[order]:
        if cur_hi is None or lo > cur_hi:
            if cur_hi is not None:
                total += cur_hi - cur_lo
            cur_lo, cur_hi = lo, hi
        else:
            cur_hi = max(cur_hi, hi)
    return total + (cur_hi - cur_lo if cur_hi is not None else 0.0)


def dig_once_groups(gdf: gpd.GeoDataFrame, streets: gpd.GeoDataFrame | None = None,
                    unit_cost_yuan_per_m: float | None = None,
                    max_street_distance: float | None = None,
                    min_overlap_m: float = 0.0) -> gpd.GeoDataFrame:
    """Groups of planned works of different utilities that could be dug once.

    Parameters
    ----------
    gdf : GeoDataFrame
        Pipes in a projected CRS with ``utility``, ``status``, ``works_start``,
        ``works_end`` and (ideally) ``street``.
    streets : GeoDataFrame, optional
        Street segments with ``name``: used to find the street of works that
        have none, and as the axis to measure trench lengths along.
    unit_cost_yuan_per_m : float, optional
        Excavation plus reinstatement per metre of trench; without it
        ``saving_yuan`` is NaN.
    max_street_distance : float, optional
        Works farther than this from every street get no street (default: no limit).
    min_overlap_m : float
        Two works are linked only if their stretches along the street overlap by
        more than this (works that merely meet end to end share no trench).

    Returns
    -------
    GeoDataFrame
        One row per group: ``group, street, fids, utilities, start, end,
        separate_m, once_m, saved_m, saving_yuan, fid_a, fid_b, utility_a,
        utility_b`` (the first works of the first two utilities, to name the
        group); geometry = the group's works.
    """
    require_projected(gdf)
    columns = ["group", "street", "fids", "utilities", "start", "end", "separate_m", "once_m",
               "saved_m", "saving_yuan", "fid_a", "fid_b", "utility_a", "utility_b"]
    rows = np.flatnonzero(works_mask(gdf))
    street = _street_of(gdf, rows, streets, max_street_distance)
    has = street != None  # noqa: E711
    rows, street = rows[has], street[has]
    geoms, util, fids = _geoms(gdf), _utilities(gdf), gdf.index.to_numpy()
    start = pd.to_datetime(gdf["works_start"]).to_numpy()[rows] if len(rows) else np.array([])
    end = pd.to_datetime(gdf["works_end"]).to_numpy()[rows] if len(rows) else np.array([])
    records, shapes = [], []
    has_streets = streets is not None and len(streets) > 0
    street_names = _street_names(streets) if has_streets else None
    street_lines = _geoms(streets) if has_streets else None
    for name in pd.unique(street):
        local = np.flatnonzero(street == name)
        if len(set(util[rows[local]])) < 2:
            continue
        works = geoms[rows[local]]
        iv = _intervals(_axis(name, works, street_names, street_lines), works)
        s, e = start[local], end[local]
        shared = (np.minimum(iv[:, None, 1], iv[None, :, 1])
                  - np.maximum(iv[:, None, 0], iv[None, :, 0]))
        linked = (s[:, None] <= e[None, :]) & (s[None, :] <= e[:, None]) & (shared > min_overlap_m)
        a, b = np.nonzero(np.triu(linked, 1))
        graph = coo_matrix((np.ones(len(a)), (a, b)), shape=(len(local),) * 2)
        _, label = connected_components(graph, directed=False)
        for comp in np.unique(label):
            members = np.flatnonzero(label == comp)
            members = members[np.argsort(fids[rows[local[members]]], kind="stable")]
            kinds = list(dict.fromkeys(util[rows[local[members]]]))
            if len(members) < 2 or len(kinds) < 2:
                continue
            ivm = iv[members]
            separate = float((ivm[:, 1] - ivm[:, 0]).sum())
            once = _union_length(ivm)
            saved = max(separate - once, 0.0)
            member_fids = fids[rows[local[members]]]
            first = {u: f for f, u in zip(member_fids[::-1], util[rows[local[members]]][::-1],
                                          strict=True)}
            records.append({
                "street": name, "fids": [int(f) for f in member_fids], "utilities": kinds,
                "start": pd.Timestamp(s[members].min()), "end": pd.Timestamp(e[members].max()),
                "separate_m": separate, "once_m": once, "saved_m": saved,
                "saving_yuan": (saved * float(unit_cost_yuan_per_m)
                                if unit_cost_yuan_per_m is not None else np.nan),
                "fid_a": int(first[kinds[0]]), "fid_b": int(first[kinds[1]]),
                "utility_a": kinds[0], "utility_b": kinds[1]})
            shapes.append(_lines_only(shapely.multilinestrings(
                shapely.get_parts(geoms[rows[local[members]]]))))
    frame = pd.DataFrame(records, columns=[c for c in columns if c != "group"])
    frame.insert(0, "group", np.arange(1, len(frame) + 1))
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(shapes, crs=gdf.crs), crs=gdf.crs)


def under_communities(pipes: gpd.GeoDataFrame, communities: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Pipes that run under communities, with the length inside each community.

    Returns
    -------
    GeoDataFrame
        ``fid`` (pipe), ``community_fid``, ``utility``, ``community``
        (its ``name``), ``length_m``; geometry = the piece inside.
    """
    require_projected(pipes)
    require_projected(communities, "communities")
    if communities.crs is not None and not communities.crs.equals(pipes.crs):
        communities = communities.to_crs(pipes.crs)
    pg, cg = _geoms(pipes), _geoms(communities)
    if len(pg) and len(cg):
        c, p = shapely.STRtree(pg).query(cg, predicate="intersects")
    else:
        c = p = np.empty(0, dtype=np.intp)
    pieces = shapely.intersection(pg[p], cg[c])
    length = shapely.length(pieces)
    keep = length > 0
    c, p, pieces, length = c[keep], p[keep], pieces[keep], length[keep]
    names = (communities["name"].to_numpy(dtype=object) if "name" in communities.columns
             else np.full(len(communities), None, dtype=object))
    frame = pd.DataFrame({"fid": pipes.index.to_numpy()[p],
                          "community_fid": communities.index.to_numpy()[c],
                          "utility": _utilities(pipes)[p], "community": names[c],
                          "length_m": length})
    out = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([_lines_only(g) for g in pieces],
                                                         crs=pipes.crs), crs=pipes.crs)
    out = out.sort_values(["fid", "community_fid"], kind="stable").reset_index(drop=True)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=pipes.crs)
