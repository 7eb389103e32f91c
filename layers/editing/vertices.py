"""Vertex editing: find, move, insert and delete one vertex, alone or topologically.

A vertex is addressed by its index in ``shapely.get_coordinates(geom)``. In a
polygon ring the closing coordinate repeats the first: moving or deleting
either moves or deletes both. The ``*_command`` functions return a command for
``project.apply``; with ``topological=True`` a vertex (or segment) that
neighbouring features share is edited in all of them, so shared boundaries stay
shared.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely

from layers.commands import ChangeGeometry, Command
from layers.editing.common import GeometryEdit, check_valid, editable_layer, require_fids, where
from layers.errors import EditError, T

if TYPE_CHECKING:  # pragma: no cover
    from layers.project import Project

VertexRef = tuple[str, int, int]  # (layer_id, fid, vertex index)


class _Layout:
    """A geometry as parts of coordinate runs (polygon rings, lines or points), in the
    order of ``shapely.get_coordinates``, so flat indices map onto (run, position)."""

    def __init__(self, geom: Any) -> None:
        if geom is None or geom.is_empty:
            raise EditError(T("the feature has no shape to edit", "要素没有可编辑的几何"), "")
        self.type = geom.geom_type
        self.has_z = bool(shapely.has_z(geom))
        dims = 3 if self.has_z else 2
        if self.type in ("Polygon", "MultiPolygon"):
            self.closed = True
            polys = [geom] if self.type == "Polygon" else list(geom.geoms)
            self.parts = [[np.asarray(r.coords)[:, :dims] for r in (p.exterior, *p.interiors)]
                          for p in polys]
        elif self.type in ("LineString", "LinearRing", "MultiLineString"):
            self.closed = self.type == "LinearRing"
            lines = list(geom.geoms) if self.type == "MultiLineString" else [geom]
            self.parts = [[np.asarray(g.coords)[:, :dims]] for g in lines]
        elif self.type in ("Point", "MultiPoint"):
            self.closed = False
            pts = list(geom.geoms) if self.type == "MultiPoint" else [geom]
            self.parts = [[np.asarray(p.coords)[:, :dims]] for p in pts]
        else:
            raise EditError(T(f"a {self.type} cannot be edited vertex by vertex",
                              f"{self.type} 不能逐个顶点编辑"), "",
                            T("split it into single geometries first", "请先将其拆分为单一几何"))
        self.runs = [(p, r) for p, rings in enumerate(self.parts) for r in range(len(rings))]
        sizes = [len(self.parts[p][r]) for p, r in self.runs]
        self.starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        self.coords = np.concatenate([self.parts[p][r] for p, r in self.runs])

    @property
    def n(self) -> int:
        return int(self.starts[-1])

    def locate(self, index: int) -> tuple[int, int]:
        """(run, position in the run) of a flat vertex index."""
        if not 0 <= index < self.n:
            raise EditError(T(f"there is no vertex {index} (the shape has {self.n})",
                              f"不存在第 {index} 个顶点（共 {self.n} 个）"), "",
                            T("pick a vertex again", "请重新选择顶点"))
        k = int(np.searchsorted(self.starts, index, side="right")) - 1
        return k, index - int(self.starts[k])

    def same_vertex(self, index: int) -> list[int]:
        """``index`` and, for the first or closing coordinate of a ring, its twin."""
        k, pos = self.locate(index)
        n = self.run_len(k)
        if self.closed and pos in (0, n - 1):
            return [int(self.starts[k]), int(self.starts[k]) + n - 1]
        return [index]

    def canonical(self, index: int) -> int:
        return min(self.same_vertex(index))

    def run_len(self, k: int) -> int:
        return int(self.starts[k + 1] - self.starts[k])

    def segments(self) -> np.ndarray:
        """Flat indices i such that (i, i + 1) is a segment inside one run."""
        idx = np.arange(self.n - 1)
        ends = self.starts[1:] - 1
        return idx[~np.isin(idx, ends)]

    def build(self, runs: list[np.ndarray]) -> Any:
        """A geometry of the same type from new coordinate runs (in run order)."""
        parts: list[list[np.ndarray]] = [[] for _ in self.parts]
        for (p, _r), arr in zip(self.runs, runs):
            parts[p].append(arr)
        if self.type in ("Polygon", "MultiPolygon"):
            polys = [shapely.Polygon(rings[0], rings[1:]) for rings in parts]
            return polys[0] if self.type == "Polygon" else shapely.MultiPolygon(polys)
        if self.type == "LinearRing":
            return shapely.LinearRing(parts[0][0])
        if self.type == "LineString":
            return shapely.LineString(parts[0][0])
        if self.type == "MultiLineString":
            return shapely.MultiLineString([rings[0] for rings in parts])
        if self.type == "Point":
            return shapely.Point(parts[0][0][0])
        return shapely.MultiPoint([rings[0][0] for rings in parts if len(rings[0])])

    def run_arrays(self) -> list[np.ndarray]:
        return [self.coords[self.starts[k]:self.starts[k + 1]].copy() for k in range(len(self.runs))]


# --- pure geometry functions ------------------------------------------------------------

def nearest_vertex(geom: Any, x: float, y: float, tolerance: float) -> int | None:
    """Index of the vertex nearest (x, y) if it lies within ``tolerance``, else None."""
    coords = shapely.get_coordinates(geom)
    if not len(coords):
        return None
    d = np.hypot(coords[:, 0] - x, coords[:, 1] - y)
    i = int(np.argmin(d))
    return i if d[i] <= tolerance else None


def _project(a: np.ndarray, b: np.ndarray, x: float, y: float) -> tuple[np.ndarray, np.ndarray]:
    """Parameter t in [0, 1] and the projected points of (x, y) on segments a→b."""
    ab = b - a
    len2 = np.einsum("ij,ij->i", ab, ab)
    ap = np.array([x, y]) - a
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(len2 > 0, np.einsum("ij,ij->i", ap, ab) / len2, 0.0)
    t = np.clip(t, 0.0, 1.0)
    return t, a + t[:, None] * ab


def nearest_segment(geom: Any, x: float, y: float,
                    tolerance: float) -> tuple[int, float, float] | None:
    """(index of the segment's first vertex, projected x, projected y) of the segment
    nearest (x, y) if within ``tolerance``, else None."""
    lay = _Layout(geom)
    seg = lay.segments()
    if not len(seg):
        return None
    a, b = lay.coords[seg, :2], lay.coords[seg + 1, :2]
    _t, proj = _project(a, b, x, y)
    d = np.hypot(proj[:, 0] - x, proj[:, 1] - y)
    i = int(np.argmin(d))
    if d[i] > tolerance:
        return None
    return int(seg[i]), float(proj[i, 0]), float(proj[i, 1])


def _moved_many(geom: Any, indices: Iterable[int], x: float, y: float) -> Any:
    lay = _Layout(geom)
    coords = lay.coords.copy()
    for index in indices:
        coords[lay.same_vertex(int(index)), 0] = x
        coords[lay.same_vertex(int(index)), 1] = y
    return shapely.transform(geom, lambda _c: coords, include_z=lay.has_z)


def moved_vertex(geom: Any, index: int, x: float, y: float) -> Any:
    """``geom`` with vertex ``index`` at (x, y); refused if a valid shape would turn invalid."""
    return check_valid(_moved_many(geom, [index], x, y), geom, f"vertex {index}")


def inserted_vertex(geom: Any, after_index: int, x: float, y: float) -> Any:
    """``geom`` with a new vertex (x, y) after vertex ``after_index`` (it gets index
    ``after_index + 1``). After the last vertex of a line it extends the line."""
    lay = _Layout(geom)
    if lay.type in ("Point", "MultiPoint"):
        raise EditError(T("a point has no segments to add a vertex to", "点没有可插入顶点的线段"),
                        f"vertex {after_index}", T("add a new point feature instead", "请添加新的点要素"))
    k, pos = lay.locate(after_index)
    runs = lay.run_arrays()
    arr = runs[k]
    if lay.closed and pos == len(arr) - 1:
        raise EditError(T("a vertex cannot follow the closing point of a ring",
                          "不能在闭合环的终点之后插入顶点"), f"vertex {after_index}",
                        T("insert after the first vertex instead (index 0)", "请改为在第一个顶点之后插入"))
    new = arr[pos].copy()
    new[:2] = (x, y)
    if lay.has_z and pos + 1 < len(arr):
        new[2] = (arr[pos, 2] + arr[pos + 1, 2]) / 2
    runs[k] = np.insert(arr, pos + 1, new, axis=0)
    return check_valid(lay.build(runs), geom, f"vertex {after_index}")


def deleted_vertex(geom: Any, index: int) -> Any:
    """``geom`` without vertex ``index``; refused if a ring would keep fewer than 3
    distinct points, a line fewer than 2, or a valid shape would turn invalid."""
    lay = _Layout(geom)
    k, pos = lay.locate(index)
    runs = lay.run_arrays()
    arr = runs[k]
    place = f"vertex {index}"
    if lay.type == "Point" or (lay.type == "MultiPoint" and len(lay.runs) < 2):
        raise EditError(T("the last point of a feature cannot be deleted", "不能删除要素的最后一个点"),
                        place, T("delete the feature instead", "如需删除，请直接删除要素"))
    if lay.type == "MultiPoint":
        return shapely.MultiPoint([r[0] for i, r in enumerate(runs) if i != k])
    if lay.closed:
        ring = np.delete(arr[:-1], pos % (len(arr) - 1), axis=0)
        ring = np.vstack([ring, ring[:1]])
        if len(np.unique(ring[:-1, :2], axis=0)) < 3:
            raise EditError(T("a ring needs at least 3 distinct points", "面的每个环至少需要 3 个不同的顶点"),
                            place, T("delete the whole feature or hole instead",
                                     "如需删除，请删除整个要素或洞"))
    else:
        ring = np.delete(arr, pos, axis=0)
        if len(np.unique(ring[:, :2], axis=0)) < 2:
            raise EditError(T("a line needs at least 2 distinct points", "线至少需要 2 个不同的顶点"),
                            place, T("delete the whole feature instead", "如需删除，请直接删除要素"))
    runs[k] = ring
    return check_valid(lay.build(runs), geom, place)


# --- topology: vertices and segments shared between features -----------------------

def _candidates(layer, box: tuple[float, float, float, float]):
    """(fid, geometry) of the features whose bounds meet ``box`` (vectorised filter)."""
    geoms = layer.gdf.geometry.to_numpy()
    if not len(geoms):
        return []
    b = shapely.bounds(geoms)
    hit = ~((b[:, 0] > box[2]) | (b[:, 2] < box[0]) | (b[:, 1] > box[3]) | (b[:, 3] < box[1]))
    hit &= ~np.isnan(b[:, 0])  # no geometry, or an empty one
    return list(zip(layer.gdf.index[hit].tolist(), geoms[hit]))


def shared_vertices(project: Project, layer_ids: Iterable[str], x: float, y: float,
                    tolerance: float = 1e-6) -> list[VertexRef]:
    """Every (layer_id, fid, index) with a vertex within ``tolerance`` of (x, y). A map tool
    can call it when a drag starts and pass the result to ``move_vertex_command(shared=…)``
    (and to ``SnapIndex.snap(exclude_vertices=…)``)."""
    out: list[VertexRef] = []
    for lid in dict.fromkeys(layer_ids):
        layer = editable_layer(project, lid)
        for fid, geom in _candidates(layer, (x - tolerance, y - tolerance,
                                             x + tolerance, y + tolerance)):
            c = shapely.get_coordinates(geom)
            hits = np.flatnonzero(np.hypot(c[:, 0] - x, c[:, 1] - y) <= tolerance)
            out += [(lid, int(fid), int(i)) for i in hits]
    return out


def _group(refs: Iterable[VertexRef]) -> dict[tuple[str, int], list[int]]:
    out: dict[tuple[str, int], list[int]] = {}
    for lid, fid, index in refs:
        out.setdefault((lid, int(fid)), [])
        if int(index) not in out[(lid, int(fid))]:
            out[(lid, int(fid))].append(int(index))
    return out


def _edit(text: T, changes: dict[tuple[str, int], Any], merge_key: Hashable | None) -> GeometryEdit:
    by_layer: dict[str, dict[int, Any]] = {}
    for (lid, fid), geom in changes.items():
        by_layer.setdefault(lid, {})[fid] = geom
    return GeometryEdit(text, [ChangeGeometry(lid, geoms, merge_key=merge_key)
                               for lid, geoms in by_layer.items()], merge_key)


def _at(place: str, fn, *args: Any) -> Any:
    """``fn(*args)``, with the layer and feature added to the place of any EditError."""
    try:
        return fn(*args)
    except EditError as exc:
        raise EditError(exc.what, f"{place}, {exc.where}" if exc.where else place, exc.fix) from None


def _vertex_xy(project: Project, layer_id: str, fid: int, index: int):
    layer = editable_layer(project, layer_id)
    require_fids(layer, [fid])
    geom = layer.gdf.geometry.loc[fid]
    lay = _at(where(layer, fid), _Layout, geom)
    _at(where(layer, fid), lay.locate, index)
    return layer, geom, lay.coords[index, 0], lay.coords[index, 1]


def move_vertex_command(project: Project, layer_id: str, fid: int, index: int, x: float,
                        y: float, *, topological: bool = True, layers: Iterable[str] | None = None,
                        tolerance: float = 1e-6, merge_key: Hashable | None = None,
                        shared: Iterable[VertexRef] | None = None) -> Command:
    """Move vertex ``index`` of feature ``fid`` to (x, y). When topological, every feature of
    ``layers`` (default: this layer) with a vertex within ``tolerance`` of the old place moves
    it too — or exactly the vertices in ``shared``, if given. Commands with the same
    ``merge_key`` (one drag) merge into one undo step."""
    layer, _geom, ox, oy = _vertex_xy(project, layer_id, fid, index)
    refs: list[VertexRef] = [(layer_id, int(fid), int(index))]
    if topological:
        refs += list(shared) if shared is not None else shared_vertices(
            project, layers or [layer_id], ox, oy, tolerance)
    changes: dict[tuple[str, int], Any] = {}
    for (lid, f), indices in _group(refs).items():
        other = editable_layer(project, lid)
        require_fids(other, [f])
        old = other.gdf.geometry.loc[f]
        changes[(lid, f)] = check_valid(_moved_many(old, indices, x, y), old, where(other, f))
    return _edit(T("move vertex", "移动顶点"), changes, merge_key)


def _segment_hits(geom: Any, a: np.ndarray, b: np.ndarray, p: np.ndarray,
                  tolerance: float) -> list[int]:
    """First-vertex indices of the segments of ``geom`` lying on a–b (within tolerance)
    whose span along a–b contains the projection of p."""
    lay = _Layout(geom)
    seg = lay.segments()
    ab = b - a
    length = float(np.hypot(*ab))
    if not len(seg) or length == 0:
        return []
    u = ab / length
    normal = np.array([-u[1], u[0]])
    c, d = lay.coords[seg, :2], lay.coords[seg + 1, :2]
    tc, td = (c - a) @ u, (d - a) @ u
    on = ((np.abs((c - a) @ normal) <= tolerance) & (np.abs((d - a) @ normal) <= tolerance)
          & (np.minimum(tc, td) >= -tolerance) & (np.maximum(tc, td) <= length + tolerance))
    tp = float((p - a) @ u)
    inside = (np.minimum(tc, td) + tolerance < tp) & (tp < np.maximum(tc, td) - tolerance)
    return [int(i) for i in seg[on & inside]]


def insert_vertex_command(project: Project, layer_id: str, fid: int, after_index: int, x: float,
                          y: float, *, topological: bool = True, layers: Iterable[str] | None = None,
                          tolerance: float = 1e-6, merge_key: Hashable | None = None) -> Command:
    """Insert (x, y) after vertex ``after_index`` of feature ``fid``; the command's
    ``vertex_index`` is the new vertex's index (``after_index + 1`` unless topology adds more).

    When topological, features of ``layers`` (default: this layer) whose boundary runs along
    the same segment get the vertex as well, and their own vertices on that segment are added
    to this feature, so the shared boundary stays identical even when the point is off the
    segment (the edge is bent) and the neighbour's edge has more vertices."""
    layer, geom, ax, ay = _vertex_xy(project, layer_id, fid, after_index)
    lay = _Layout(geom)
    k, pos = lay.locate(after_index)
    points: list[tuple[float, np.ndarray]] = [(0.0, np.array([x, y]))]
    changes: dict[tuple[str, int], Any] = {}
    if topological and pos + 1 < lay.run_len(k):
        a, b, p = np.array([ax, ay]), lay.coords[after_index + 1, :2], np.array([x, y])
        length = float(np.hypot(*(b - a)))
        u = (b - a) / length if length else np.zeros(2)
        normal = np.array([-u[1], u[0]])
        points = [(float((p - a) @ u), p)]
        box = (min(a[0], b[0]) - tolerance, min(a[1], b[1]) - tolerance,
               max(a[0], b[0]) + tolerance, max(a[1], b[1]) + tolerance)
        for lid in dict.fromkeys(layers or [layer_id]):
            other = editable_layer(project, lid)
            for f, g in _candidates(other, box):
                if (lid, int(f)) == (layer_id, int(fid)):
                    continue
                c = shapely.get_coordinates(g)
                t, off = (c - a) @ u, np.abs((c - a) @ normal)
                on = (off <= tolerance) & (t > tolerance) & (t < length - tolerance) & (
                    np.hypot(c[:, 0] - x, c[:, 1] - y) > tolerance)
                points += [(float(ti), ci) for ti, ci in zip(t[on], c[on])]
                new = g
                for i in sorted(_segment_hits(g, a, b, p, tolerance), reverse=True):
                    new = _at(where(other, f), inserted_vertex, new, i, x, y)
                if new is not g:
                    changes[(lid, int(f))] = check_valid(new, g, where(other, f))
    points.sort(key=lambda tp: tp[0])
    ordered: list[np.ndarray] = []
    for _t, xy in points:  # drop repeats (a vertex shared by several neighbours)
        if not ordered or np.hypot(*(xy - ordered[-1])) > tolerance:
            ordered.append(xy)
    own = geom
    for xy in reversed(ordered):  # each goes right after after_index: reversed keeps the order
        own = _at(where(layer, fid), inserted_vertex, own, after_index, float(xy[0]), float(xy[1]))
    changes = {(layer_id, int(fid)): own, **changes}
    cmd = _edit(T("add vertex", "添加顶点"), changes, merge_key)
    cmd.vertex_index = after_index + 1 + next(
        i for i, xy in enumerate(ordered) if xy[0] == x and xy[1] == y)
    return cmd


def delete_vertex_command(project: Project, layer_id: str, fid: int, index: int, *,
                          topological: bool = True, layers: Iterable[str] | None = None,
                          tolerance: float = 1e-6) -> Command:
    """Delete vertex ``index`` of feature ``fid``; when topological, also the vertices of
    ``layers`` (default: this layer) within ``tolerance`` of it."""
    layer, _geom, ox, oy = _vertex_xy(project, layer_id, fid, index)
    refs: list[VertexRef] = [(layer_id, int(fid), int(index))]
    if topological:
        refs += shared_vertices(project, layers or [layer_id], ox, oy, tolerance)
    changes: dict[tuple[str, int], Any] = {}
    for (lid, f), indices in _group(refs).items():
        other = editable_layer(project, lid)
        require_fids(other, [f])
        old = other.gdf.geometry.loc[f]
        lay = _Layout(old)
        new = old
        for i in sorted({lay.canonical(i) for i in indices}, reverse=True):
            new = _at(where(other, f), deleted_vertex, new, i)
        changes[(lid, f)] = check_valid(new, old, where(other, f))
    return _edit(T("delete vertex", "删除顶点"), changes, None)
