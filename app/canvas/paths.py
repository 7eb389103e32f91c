"""Geometry → Qt drawing primitives for the map canvas, built in bulk with numpy.

A vector layer becomes world-coordinate ``QPainterPath`` chunks: features with
the same resolved style, ordered along a Hilbert curve, at most ``CHUNK`` per
path. Paths are built from numpy arrays through Qt's serialised path format
(``QDataStream``), so no Python loop runs per feature or per vertex.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import shapely
from PyQt5.QtCore import QByteArray, QDataStream, QIODevice
from PyQt5.QtGui import QColor, QImage, QPainterPath, QPolygonF, QTransform

from layers.coverage.runs import merge_runs
from layers.layer import RasterLayer
from styles import effective_style, resolve_raster

CHUNK = 16  # features per path: Qt strokes and fills many small antialiased paths much faster
# (its cost grows with each path's bounding box; 16 measured best for dense and sparse layers)
OUTLINE_VERTICES = 20_000
#: a pen wider than 1 px goes through Qt's general stroker, whose cost grows faster than the
#: path: a 320k-vertex service-area outline took 16 s in one call, 2.7 s as pieces of this many
#: vertices (and no call over ~10 ms, so a render in a worker thread never holds the GIL long)
WIDE_PIECE_VERTICES = 1_000
#: outlines wider than 1.5 px (never drawn 1 px wide, see ``paint.THIN_OUTLINES_FROM_MPP``)
#: go in pieces of this many vertices: the cost of a wide dashed stroke grows with the
#: piece's extent (city precinct outlines at full extent 86 → 46 ms, sub-districts 37 →
#: 18 ms); the 1.4 px service-area outlines keep WIDE_PIECE_VERTICES (in pieces of 64 their
#: 1-px drawing zoomed out paid 2× more in calls). Each piece carries how far along its ring it
#: starts (``Chunk.dash_start_m``), so a dash pattern runs on across the joints
DASHED_PIECE_VERTICES = 64
_PATH_ELEMENT = np.dtype([("type", ">i4"), ("x", ">f8"), ("y", ">f8")])
#: solid lines of one style are drawn as runs: joined end to end where exactly two ends
#: meet, and points in line (within this many metres) dropped. A round cap at each end of
#: every segment is what Qt's stroker spends most on, and two caps meeting cover what one
#: round join does, so the ink is the same: the city's 53,000 arterial and secondary
#: segments at full extent took 285 ms as they were, ~60 ms as 5,900 runs
RUN_STRAIGHT_M = 0.001
#: geometries per call of the shapely functions that hold Python's lock while they make
#: objects (~6 ms a batch on the city's streets: the GUI thread gets its turn in between)
GIL_BATCH = 5_000


def path_from_arrays(xy: np.ndarray, starts: np.ndarray, winding: bool = True) -> QPainterPath:
    """One QPainterPath from coordinates (n, 2) and a mask of subpath starts (n,).

    Builds Qt's serialised path format with numpy and reads it back through
    QDataStream: element count, (type, x, y) per element, current-subpath start
    and fill rule, all big-endian.
    """
    n = len(xy)
    path = QPainterPath()
    if n == 0:
        return path
    elements = np.empty(n, dtype=_PATH_ELEMENT)
    elements["type"] = np.where(starts, 0, 1)  # MoveToElement, LineToElement
    elements["x"], elements["y"] = xy[:, 0], xy[:, 1]
    last_start = int(np.flatnonzero(starts)[-1]) if starts.any() else 0
    blob = QByteArray(np.array([n], ">i4").tobytes() + elements.tobytes()
                      + np.array([last_start, 1 if winding else 0], ">i4").tobytes())
    QDataStream(blob, QIODevice.ReadOnly) >> path
    return path


def polygon_from_points(xy: np.ndarray) -> QPolygonF:
    """A QPolygonF holding the points (n, 2), filled in bulk through QDataStream."""
    polygon = QPolygonF()
    blob = QByteArray(np.array([len(xy)], ">u4").tobytes()
                      + np.ascontiguousarray(xy, dtype=">f8").tobytes())
    QDataStream(blob, QIODevice.ReadOnly) >> polygon
    return polygon


def _ragged(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Coordinates, part-start offsets and per-geometry coordinate offsets."""
    _, coords, offsets = shapely.to_ragged_array(geoms, include_z=False)
    parts = offsets[0]
    index = offsets[-1] if len(offsets) > 1 else np.arange(len(parts))
    for level in reversed(offsets[1:-1]):
        index = level[index]
    return coords, parts, parts[index]


def _style_groups(resolved, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Group ids of ``rows`` by equal (fill, stroke, width), and one row of each group."""
    fill = resolved.fill[rows].view(np.uint32).ravel().astype(np.int64)
    stroke = resolved.stroke[rows].view(np.uint32).ravel().astype(np.int64)
    width = np.round(resolved.stroke_width[rows] * 100).astype(np.int64)
    limit = _max_mpp(resolved)[rows]
    shown = np.where(np.isfinite(limit), np.round(limit * 1000), -1).astype(np.int64)
    # one number per row from each column's rank (1-D sorts of numbers; a row-wise unique of
    # the four columns sorted records holding Python's lock, ~40 ms on the city's streets)
    code = np.zeros(len(rows), dtype=np.int64)
    for column in (fill, stroke, width, shown):
        values, rank = np.unique(column, return_inverse=True)
        code = np.unique(code * len(values) + rank.ravel(), return_inverse=True)[1].ravel()
    _, first, inverse = np.unique(code, return_index=True, return_inverse=True)
    return inverse.ravel(), rows[first]


def _max_mpp(resolved) -> np.ndarray:
    limit = getattr(resolved, "max_mpp", None)
    return np.full(len(resolved.stroke_width), np.inf) if limit is None else limit


def _qcolor(rgba: np.ndarray) -> QColor:
    return QColor(int(rgba[0]), int(rgba[1]), int(rgba[2]), int(rgba[3]))


def _chunk_order(groups: np.ndarray, keys: np.ndarray,
                 chunk: int = CHUNK) -> tuple[np.ndarray, np.ndarray]:
    """Features sorted by style group, then along a Hilbert curve; starts of chunks.

    A chunk holds at most ``chunk`` features of one group that lie close together, so
    each becomes a small path that is skipped when outside the view. (Qt strokes
    and fills many small antialiased paths far faster than one huge path; vector output,
    the PDF map sheet, takes larger chunks: fewer paths to build and write.)
    """
    order = np.lexsort((keys, groups))
    sorted_groups = groups[order]
    group_start = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])
    sizes = np.diff(np.r_[group_start, len(order)])
    position = np.arange(len(order)) - np.repeat(group_start, sizes)
    return order, np.flatnonzero(position % chunk == 0)


def _gather(offsets: np.ndarray, order: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Coordinate indices of the features in ``order`` and cumulative coordinate counts."""
    lengths = np.diff(offsets)[order]
    cumulative = np.r_[0, np.cumsum(lengths)]
    index = np.repeat(offsets[:-1][order] - cumulative[:-1], lengths)
    return index + np.arange(cumulative[-1]), cumulative


@dataclass
class Chunk:
    """Nearby features sharing one style, as a world path (or points) with its bounds."""

    fill: QColor
    stroke: QColor
    width: float
    bounds: tuple[float, float, float, float]
    path: QPainterPath | None = None
    xy: np.ndarray | None = None
    points: QPolygonF | None = None
    max_mpp: float = float("inf")  # not drawn when a screen pixel covers more metres
    dash_start_m: float = 0.0  # an outline piece: its first point's distance along its ring


@dataclass
class LayerGraphics:
    """Everything needed to draw one vector layer, in world coordinates."""

    polygons: list[Chunk] = field(default_factory=list)
    #: polygon outlines: neighbouring fill chunks of one style merged up to OUTLINE_VERTICES
    #: (Qt's 1 px stroker pays per call more than per vertex, its filler per bounding box)
    outlines: list[Chunk] = field(default_factory=list)
    polygon_bounds: np.ndarray = field(default_factory=lambda: np.empty((0, 4)))
    lines: list[Chunk] = field(default_factory=list)
    points: list[Chunk] = field(default_factory=list)
    dash: str = "solid"
    marker: str = "circle"
    marker_size: float = 7.0
    label_xy: np.ndarray | None = None
    label_text: np.ndarray | None = None
    #: zoomed out: the outlines with fewer points, by scale band (:mod:`app.canvas.lod`)
    lod: dict = field(default_factory=dict, compare=False, repr=False)
    lod_points: int = field(default=-1, compare=False, repr=False)  # counted when first asked
    lod_source: tuple | None = field(default=None, compare=False, repr=False)  # their points


def build_graphics(gdf, resolved, chunk: int = CHUNK) -> LayerGraphics:
    """Convert a layer's geometry to styled world paths (vectorised, once per change), at
    most ``chunk`` features a path."""
    out = LayerGraphics(dash=resolved.dash, marker=resolved.marker,
                        marker_size=resolved.marker_size)
    geoms = np.asarray(gdf.geometry.array, dtype=object)
    type_id = shapely.get_type_id(geoms)
    present = ~shapely.is_empty(geoms) & (type_id >= 0)
    for family, ids in (("polygon", (3, 6)), ("line", (1, 2, 5)), ("point", (0, 4))):
        rows = np.flatnonzero(present & np.isin(type_id, ids))
        if len(rows) == 0:
            continue
        part_geoms = geoms[rows]
        if family == "polygon":  # exteriors counter-clockwise, holes clockwise → winding fill
            part_geoms = shapely.orient_polygons(part_geoms)
        if family == "line" and resolved.dash == "solid":
            part_geoms, rows = _solid_runs(part_geoms, rows, resolved)
        if family == "point":
            coords, index = shapely.get_coordinates(part_geoms, return_index=True)
            offsets = np.r_[0, np.cumsum(np.bincount(index, minlength=len(rows)))]
            starts = np.ones(len(coords), dtype=bool)
        else:
            coords, parts, offsets = _ragged(part_geoms)
            starts = np.zeros(len(coords), dtype=bool)
            starts[parts[:-1][parts[:-1] < len(coords)]] = True
        groups, _ = _style_groups(resolved, rows)
        hilbert = gpd.GeoSeries(part_geoms).hilbert_distance().to_numpy()
        order, chunk_starts = _chunk_order(groups, hilbert, chunk)
        index, cumulative = _gather(offsets, order)
        xy, starts = coords[index], starts[index]
        ends = np.r_[chunk_starts[1:], len(order)]
        target = {"polygon": out.polygons, "line": out.lines, "point": out.points}[family]
        for first, last in zip(chunk_starts, ends, strict=True):
            a, b = cumulative[first], cumulative[last]
            if a == b:
                continue
            row = rows[order[first]]
            part = xy[a:b]
            (x0, y0), (x1, y1) = part.min(axis=0), part.max(axis=0)
            chunk = Chunk(_qcolor(resolved.fill[row]), _qcolor(resolved.stroke[row]),
                          float(resolved.stroke_width[row]), (x0, y0, x1, y1),
                          max_mpp=float(_max_mpp(resolved)[row]))
            if family == "point":
                chunk.xy, chunk.points = part, polygon_from_points(part)
            else:
                chunk.path = path_from_arrays(part, starts[a:b])
            target.append(chunk)
    out.outlines = _merged_outlines(out.polygons)
    out.polygon_bounds = np.array([c.bounds for c in out.polygons], dtype=float).reshape(-1, 4)
    if resolved.label_field:
        anchors = shapely.point_on_surface(geoms[present])
        out.label_xy = shapely.get_coordinates(anchors)
        texts = gdf[resolved.label_field].astype("string").fillna("")
        out.label_text = texts.to_numpy(dtype=object)[present]
    return out


def _solid_runs(geoms: np.ndarray, rows: np.ndarray, resolved) -> tuple[np.ndarray, np.ndarray]:
    """The lines of each style group as runs (see RUN_STRAIGHT_M), each given the row of its
    group's first feature for its style."""
    groups, first = _style_groups(resolved, rows)
    out_geoms, out_rows = [], []
    for g, row in enumerate(first):
        runs = merge_runs(parts_of(geoms[groups == g]))
        runs = shapely.simplify(runs, RUN_STRAIGHT_M, preserve_topology=False)
        out_geoms.append(runs)
        out_rows.append(np.full(len(runs), row))
    return np.concatenate(out_geoms), np.concatenate(out_rows)


def parts_of(geoms: np.ndarray, batch: int = GIL_BATCH) -> np.ndarray:
    """``shapely.get_parts`` in batches: it makes a Python object per part holding Python's
    lock (the city's 100,000 streets in one call held it 118 ms, a frozen window while a
    render job built them), so it lets go between batches."""
    if len(geoms) <= batch:
        return shapely.get_parts(geoms)
    return np.concatenate([shapely.get_parts(geoms[i:i + batch]) for i in range(0, len(geoms), batch)])


def _merged_outlines(chunks: list[Chunk]) -> list[Chunk]:
    merged: list[Chunk] = []
    count = 0
    for whole in chunks:
        wide = whole.width > 1.0  # small pieces (see WIDE_PIECE_VERTICES)
        limit = (DASHED_PIECE_VERTICES if whole.width > 1.5 else WIDE_PIECE_VERTICES) if wide \
            else OUTLINE_VERTICES
        for chunk in (_wide_pieces(whole, limit) if wide else [whole]):
            last = merged[-1] if merged else None
            size = chunk.path.elementCount()
            if (last is not None and count + size <= limit and last.stroke == chunk.stroke
                    and last.width == chunk.width and last.max_mpp == chunk.max_mpp
                    and chunk.dash_start_m == 0.0):
                last.path.addPath(chunk.path)
                b = last.bounds
                last.bounds = (min(b[0], chunk.bounds[0]), min(b[1], chunk.bounds[1]),
                               max(b[2], chunk.bounds[2]), max(b[3], chunk.bounds[3]))
                count += size
                continue
            merged.append(Chunk(chunk.fill, chunk.stroke, chunk.width, chunk.bounds,
                                QPainterPath(chunk.path), max_mpp=chunk.max_mpp,
                                dash_start_m=chunk.dash_start_m))
            count = size
    return merged


def path_arrays(path: QPainterPath) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates (n, 2) and subpath-start mask of a path of move/line elements (the
    inverse of :func:`path_from_arrays`, through the same serialised format)."""
    blob = QByteArray()
    QDataStream(blob, QIODevice.WriteOnly) << path
    data = bytes(blob)
    n = int(np.frombuffer(data[:4], ">i4")[0])
    elements = np.frombuffer(data[4:4 + n * _PATH_ELEMENT.itemsize], _PATH_ELEMENT)
    xy = np.column_stack([elements["x"], elements["y"]]).astype(float)
    return xy, elements["type"] == 0


def _wide_pieces(chunk: Chunk, size: int = WIDE_PIECE_VERTICES) -> list[Chunk]:
    """A polygon chunk's rings as open pieces of at most ``size`` vertices, each its own
    path (consecutive pieces share a vertex, so the line has no gaps)."""
    if chunk.path.elementCount() <= size:
        return [chunk]
    xy, starts = path_arrays(chunk.path)
    ring = np.cumsum(starts) - 1
    ring_start = np.flatnonzero(starts)
    position = np.arange(len(xy)) - ring_start[ring]
    # a break every ``size`` vertices inside a ring: that vertex ends one piece and starts the next
    breaks = (position % size == 0) & (position > 0)
    repeat = np.where(breaks, 2, 1)
    xy = np.repeat(xy, repeat, axis=0)
    first = np.repeat(starts, repeat)
    second_copy = (np.cumsum(repeat) - 1)[breaks]
    first[second_copy] = True
    # pack whole subpaths into pieces of at most ``size`` vertices
    sub_start = np.flatnonzero(first)
    sub_end = np.r_[sub_start[1:], len(xy)]
    pieces, begin, count = [], 0, 0
    for i, (a, b) in enumerate(zip(sub_start, sub_end, strict=True)):
        if count and count + (b - a) > size:
            pieces.append((sub_start[begin], a))
            begin, count = i, 0
        count += b - a
    pieces.append((sub_start[begin], len(xy)))
    # how far along its ring each point lies (a piece's dash pattern starts there)
    step = np.hypot(*np.diff(xy, axis=0, prepend=xy[:1]).T)
    ring = np.cumsum(np.repeat(starts, repeat)) - 1
    step[np.r_[True, ring[1:] != ring[:-1]]] = 0.0
    along = np.cumsum(step)
    along -= along[np.flatnonzero(np.r_[True, ring[1:] != ring[:-1]])][ring]
    out = []
    for a, b in pieces:
        part = xy[a:b]
        (x0, y0), (x1, y1) = part.min(axis=0), part.max(axis=0)
        out.append(Chunk(chunk.fill, chunk.stroke, chunk.width, (x0, y0, x1, y1),
                         path_from_arrays(part, first[a:b], winding=False), max_mpp=chunk.max_mpp,
                         dash_start_m=float(along[a])))
    return out


def raster_image(layer: RasterLayer) -> QImage:
    """The raster as a QImage coloured by its style (nodata transparent)."""
    style = effective_style(layer.kind, layer.style)
    rgba = np.ascontiguousarray(resolve_raster(style, layer.array, layer.nodata).rgba)
    rows, cols = rgba.shape[:2]
    return QImage(rgba.data, cols, rows, cols * 4, QImage.Format_RGBA8888).copy()


def raster_transform(layer: RasterLayer) -> QTransform:
    """Pixel (col, row) → world, from the layer's affine transform."""
    t = layer.transform
    return QTransform(t.a, t.d, t.b, t.e, t.c, t.f)


def geometry_path(geoms) -> QPainterPath:
    """One world path of the rings and lines of ``geoms`` (points are left out)."""
    geoms = np.asarray(geoms, dtype=object)
    geoms = geoms[~shapely.is_empty(geoms) & (shapely.get_dimensions(geoms) >= 1)]
    path = QPainterPath()
    if len(geoms) == 0:
        return path
    rings = shapely.get_parts(geoms)
    boundaries = np.where(shapely.get_dimensions(rings) == 2, shapely.boundary(rings), rings)
    lines = shapely.get_parts(boundaries)
    coords, index = shapely.get_coordinates(lines, return_index=True)
    starts = np.r_[True, index[1:] != index[:-1]]
    return path_from_arrays(coords, starts, winding=False)
