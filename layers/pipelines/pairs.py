"""Pairs of pipes: near each other, crossing, running in parallel.

Every function here takes a GeoDataFrame of line features in a projected CRS
(metres), never changes it, and returns one row per unordered pair, naming the
two features by their index labels (``fid_a`` < ``fid_b`` in position order).
Candidate pairs come from one bulk :class:`shapely.STRtree` query; all
measuring is done with shapely's array functions or numpy.

Parallel length (our definition, no standard defines it)
--------------------------------------------------------
For pipes A and B and a tolerance ``tol``, let ``strip(X)`` be X buffered by
``tol`` with *flat* caps (so the strip does not reach past X's ends). The
parallel length is ``min(len(A ∩ strip(B)), len(B ∩ strip(A)))``: the stretch
along which *each* pipe stays within ``tol`` of the other, measured on the pipe
for which it is shorter. It is symmetric, and a pipe crossing another at a right
angle gets only ``2 * tol``. The "where" geometry is that shorter piece.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from layers.errors import ProjectError, T

UTILITY = "utility"


# --- input checks ---------------------------------------------------------------------
def require_projected(gdf: gpd.GeoDataFrame, what: str = "pipelines") -> None:
    """Refuse data whose distances would not be metres (no CRS or a geographic CRS)."""
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise ProjectError(T("the input must be a GeoDataFrame", "输入数据必须是 GeoDataFrame"),
                           what, T("pass the layer's features (layer.gdf)", "请传入图层要素（layer.gdf）"))
    if gdf.crs is None:
        raise ProjectError(
            T("the data have no coordinate reference system, so distances are unknown",
              "数据没有坐标参考系，无法计算距离"),
            what,
            T("set the CRS (e.g. gdf.set_crs('EPSG:4546')) before analysing",
              "分析前请设置坐标系（如 EPSG:4546）"))
    if not gdf.crs.is_projected:
        raise ProjectError(
            T(f"the data are in {gdf.crs.to_string()}, a geographic CRS (degrees); "
              "pipeline distances must be measured in metres",
              f"数据坐标系 {gdf.crs.to_string()} 为地理坐标系（度），管线间距须以米计算"),
            what,
            T("reproject first, e.g. gdf.to_crs('EPSG:4546') for Yichang",
              "请先投影，如宜昌用 gdf.to_crs('EPSG:4546')"))


def require_utility(gdf: gpd.GeoDataFrame, what: str = "pipelines") -> None:
    if UTILITY not in gdf.columns:
        raise ProjectError(
            T("the pipes have no 'utility' field, so utilities cannot be told apart",
              "管线缺少“utility”（管线类别）字段，无法区分不同权属管线"),
            what,
            T("map a field onto 'utility' when importing, or pass cross_utility_only=False",
              "导入时请将某字段对应为“utility”，或设 cross_utility_only=False"))


def _utilities(gdf: gpd.GeoDataFrame) -> np.ndarray:
    if UTILITY not in gdf.columns:
        return np.full(len(gdf), None, dtype=object)
    return gdf[UTILITY].astype(object).where(gdf[UTILITY].notna(), None).to_numpy()


def _geoms(gdf: gpd.GeoDataFrame) -> np.ndarray:
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    return np.where(shapely.is_missing(geoms), shapely.Point(), geoms) if len(geoms) else geoms


# --- candidates -----------------------------------------------------------------------
def candidate_pairs(geoms: np.ndarray, distance: float,
                    utilities: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Positions ``(i, j)`` with ``i < j`` at most ``distance`` apart, and their distances.

    One bulk STRtree query with each envelope grown by ``distance`` (cheaper than
    the ``dwithin`` predicate, which measures inside the query), then one
    vectorised :func:`shapely.distance` on the survivors. With ``utilities``,
    pairs of the same utility are dropped before measuring.
    """
    if len(geoms) < 2:
        empty = np.empty(0, dtype=np.intp)
        return empty, empty, np.empty(0)
    tree = shapely.STRtree(geoms)
    b = shapely.bounds(geoms)
    boxes = shapely.box(b[:, 0] - distance, b[:, 1] - distance, b[:, 2] + distance, b[:, 3] + distance)
    i, j = tree.query(boxes)
    keep = i < j
    if utilities is not None:
        keep &= utilities[i] != utilities[j]
    i, j = i[keep], j[keep]
    d = shapely.distance(geoms[i], geoms[j])
    near = d <= distance
    return i[near], j[near], d[near]


def _pair_frame(gdf: gpd.GeoDataFrame, i: np.ndarray, j: np.ndarray, **columns) -> pd.DataFrame:
    fids = gdf.index.to_numpy()
    utilities = _utilities(gdf)
    frame = pd.DataFrame({"fid_a": fids[i], "fid_b": fids[j],
                          "utility_a": utilities[i], "utility_b": utilities[j], **columns})
    return frame


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["fid_a", "fid_b"], kind="stable").reset_index(drop=True)


# --- near pairs -----------------------------------------------------------------------
def near_pairs(gdf: gpd.GeoDataFrame, tolerance: float,
               cross_utility_only: bool = True) -> pd.DataFrame:
    """All unordered pairs of features at most ``tolerance`` metres apart.

    Pairs that touch (distance 0, e.g. at a shared end) are included.

    Parameters
    ----------
    gdf : GeoDataFrame
        Pipes (lines) in a projected CRS; index = feature ids.
    tolerance : float
        Largest distance in metres.
    cross_utility_only : bool
        Keep only pairs of different ``utility`` values (the product's view);
        False gives every pair (the raw geometric fact).

    Returns
    -------
    DataFrame
        ``fid_a, fid_b, utility_a, utility_b, distance_m``, sorted by fids.

    Examples
    --------
    >>> from shapely import LineString
    >>> g = gpd.GeoDataFrame(geometry=[LineString([(0, 0), (10, 0)]),
    ...                                LineString([(0, 0.5), (10, 0.5)])], crs="EPSG:4546")
    >>> near_pairs(g, 1.0, cross_utility_only=False)["distance_m"].tolist()
    [0.5]
    """
    require_projected(gdf)
    if cross_utility_only:
        require_utility(gdf)
    i, j, d = candidate_pairs(_geoms(gdf), float(tolerance),
                              _utilities(gdf) if cross_utility_only else None)
    return _sorted(_pair_frame(gdf, i, j, distance_m=d))


# --- crossings ------------------------------------------------------------------------
def crossing_pairs(gdf: gpd.GeoDataFrame, standards=None,
                   cross_utility_only: bool = True) -> gpd.GeoDataFrame:
    """Pairs of pipes that cross (shapely ``crosses``: not a shared junction or end).

    Where both depths and diameters are known, the vertical clear distance
    (top of the lower pipe minus bottom of the upper one) is checked against
    ``clearance_vertical``; otherwise, or when the table's cell is empty,
    ``checked`` is False and nothing is invented.

    Returns
    -------
    GeoDataFrame
        ``fid_a, fid_b, utility_a, utility_b, vertical_m, required_m, checked,
        violation``; geometry = the crossing point(s).
    """
    from layers.pipelines.clearance import vertical_check

    require_projected(gdf)
    if cross_utility_only:
        require_utility(gdf)
    geoms = _geoms(gdf)
    if len(geoms) >= 2:
        i, j = shapely.STRtree(geoms).query(geoms, predicate="crosses")
        keep = i < j
        if cross_utility_only:
            u = _utilities(gdf)
            keep &= u[i] != u[j]
        i, j = i[keep], j[keep]
    else:
        i = j = np.empty(0, dtype=np.intp)
    points = shapely.intersection(geoms[i], geoms[j])
    vertical = vertical_check(gdf, i, j, standards)
    frame = _pair_frame(gdf, i, j, **vertical)
    out = gpd.GeoDataFrame(frame, geometry=points, crs=gdf.crs)
    return gpd.GeoDataFrame(_sorted(out), geometry="geometry", crs=gdf.crs)


# --- parallel runs --------------------------------------------------------------------
def _segment_overlap(a: np.ndarray, b: np.ndarray, tol: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For straight segments: the parameter range [t0, t1] of A inside B's flat-capped strip.

    ``a`` and ``b`` are (n, 2, 2) arrays of end points. The strip is the rectangle
    {0 <= s <= |B|, |h| <= tol} in B's frame (exactly what shapely's flat-cap
    buffer of a segment is), so clipping A against its four sides (Liang–Barsky)
    gives the piece of A inside it. Empty ranges have t1 <= t0. ``tol`` is one
    value per pair.
    """
    d = a[:, 1] - a[:, 0]
    e = b[:, 1] - b[:, 0]
    length_b = np.hypot(e[:, 0], e[:, 1])
    with np.errstate(invalid="ignore", divide="ignore"):
        u = e / length_b[:, None]
        n = np.stack([-u[:, 1], u[:, 0]], axis=1)
        w = a[:, 0] - b[:, 0]
        s0, ds = (w * u).sum(1), (d * u).sum(1)
        h0, dh = (w * n).sum(1), (d * n).sum(1)
        t0, t1 = np.zeros(len(a)), np.ones(len(a))
        for p, q in ((-ds, s0), (ds, length_b - s0), (-dh, h0 + tol), (dh, tol - h0)):
            r = q / p
            t0 = np.where(p < 0, np.maximum(t0, r), t0)
            t1 = np.where(p > 0, np.minimum(t1, r), t1)
            t1 = np.where((p == 0) & (q < 0), -1.0, t1)
    bad = ~(length_b > 0) | ~np.isfinite(t0) | ~np.isfinite(t1)
    t1 = np.where(bad, -1.0, t1)
    return t0, t1


def overlap_lengths(a: np.ndarray, b: np.ndarray, tol: float | np.ndarray,
                    with_where: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    """Parallel length of each pair ``(a[k], b[k])`` (see the module docstring).

    ``tol`` is one number or one per pair. Two-point lines take an exact numpy
    path; any other line goes through shapely's buffer and intersection. Returns lengths and, if asked, the
    shorter shared piece of each pair (None where the length is 0).
    """
    n = len(a)
    lengths = np.zeros(n)
    where = np.full(n, None, dtype=object) if with_where else None
    if n == 0:
        return lengths, where
    tol = np.broadcast_to(np.asarray(tol, dtype=float), (n,))
    simple = ((shapely.get_type_id(a) == 1) & (shapely.get_num_coordinates(a) == 2)
              & (shapely.get_type_id(b) == 1) & (shapely.get_num_coordinates(b) == 2))
    k = np.flatnonzero(simple)
    if len(k):
        ca = shapely.get_coordinates(a[k]).reshape(-1, 2, 2)
        cb = shapely.get_coordinates(b[k]).reshape(-1, 2, 2)
        ta0, ta1 = _segment_overlap(ca, cb, tol[k])
        tb0, tb1 = _segment_overlap(cb, ca, tol[k])
        len_a = np.hypot(*(ca[:, 1] - ca[:, 0]).T) * np.clip(ta1 - ta0, 0, None)
        len_b = np.hypot(*(cb[:, 1] - cb[:, 0]).T) * np.clip(tb1 - tb0, 0, None)
        on_a = len_a <= len_b
        lengths[k] = np.where(on_a, len_a, len_b)
        if with_where:
            seg = np.where(on_a[:, None, None], ca, cb)
            t0 = np.where(on_a, ta0, tb0)[:, None]
            t1 = np.where(on_a, ta1, tb1)[:, None]
            start = seg[:, 0] + t0 * (seg[:, 1] - seg[:, 0])
            end = seg[:, 0] + t1 * (seg[:, 1] - seg[:, 0])
            has = lengths[k] > 0
            where[k[has]] = shapely.linestrings(np.stack([start[has], end[has]], axis=1))
    k = np.flatnonzero(~simple)
    if len(k):
        piece_a = shapely.intersection(a[k], shapely.buffer(b[k], tol[k], cap_style="flat"))
        piece_b = shapely.intersection(b[k], shapely.buffer(a[k], tol[k], cap_style="flat"))
        len_a, len_b = shapely.length(piece_a), shapely.length(piece_b)
        on_a = len_a <= len_b
        lengths[k] = np.where(on_a, len_a, len_b)
        if with_where:
            piece = np.where(on_a, piece_a, piece_b)
            where[k] = [_lines_only(g) if length > 0 else None
                        for g, length in zip(piece, lengths[k], strict=True)]
    return lengths, where


def _lines_only(geom):
    """The linear parts of an intersection result (it may hold stray points)."""
    if shapely.get_type_id(geom) in (1, 5):
        return geom
    lines = [p for p in shapely.get_parts(geom) if shapely.get_type_id(p) in (1, 5)]
    return shapely.multilinestrings(lines) if lines else None


def parallel_runs(gdf: gpd.GeoDataFrame, tolerance: float, min_length: float,
                  cross_utility_only: bool = True, with_where: bool = True) -> gpd.GeoDataFrame:
    """Pairs running within ``tolerance`` of each other for more than ``min_length`` metres.

    Parameters
    ----------
    gdf : GeoDataFrame
        Pipes (lines) in a projected CRS.
    tolerance : float
        Largest distance (m) at which two pipes count as running together.
    min_length : float
        Keep pairs whose parallel length (module docstring) is greater than this.
        0 keeps every pair that shares any stretch; a negative value keeps every
        pair within ``tolerance`` (with its parallel length, possibly 0).
    cross_utility_only : bool
        Only pairs of different utilities (default), else all pairs.
    with_where : bool
        Build the shared piece's geometry (skip it for speed).

    Returns
    -------
    GeoDataFrame
        ``fid_a, fid_b, utility_a, utility_b, distance_m, length_m``; geometry =
        the shared piece ("where").
    """
    require_projected(gdf)
    if cross_utility_only:
        require_utility(gdf)
    geoms = _geoms(gdf)
    i, j, d = candidate_pairs(geoms, float(tolerance),
                              _utilities(gdf) if cross_utility_only else None)
    lengths, where = overlap_lengths(geoms[i], geoms[j], float(tolerance), with_where)
    keep = lengths > float(min_length)
    frame = _pair_frame(gdf, i[keep], j[keep], distance_m=d[keep], length_m=lengths[keep])
    geometry = where[keep] if where is not None else np.full(int(keep.sum()), None, dtype=object)
    out = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometry, crs=gdf.crs), crs=gdf.crs)
    return gpd.GeoDataFrame(_sorted(out), geometry="geometry", crs=gdf.crs)
