"""The GUI-free editing core: vertices (topological), split, merge, move, add, delete, snapping.

Expected values are worked out by hand (coordinates, areas of squares, triangles and
trapezoids) or taken from shapely (projection onto a boundary, distances).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from conftest import X0, Y0, tiny_communities
from layers.editing import (
    SnapIndex,
    add_feature_command,
    delete_command,
    delete_vertex_command,
    deleted_vertex,
    insert_vertex_command,
    inserted_vertex,
    merge_command,
    move_command,
    move_vertex_command,
    moved_vertex,
    nearest_segment,
    nearest_vertex,
    shared_vertices,
    split_command,
)
from layers.errors import EditError
from layers.layer import VectorLayer
from layers.project import Project

A = shapely.box(X0, Y0, X0 + 100, Y0 + 100)          # fid 1
B = shapely.box(X0 + 100, Y0, X0 + 200, Y0 + 100)    # fid 2, shares the edge x = X0 + 100
C = shapely.box(X0 + 300, Y0, X0 + 450, Y0 + 100)    # fid 3, apart, 15 000 m²
# box() rings run (maxx, miny), (maxx, maxy), (minx, maxy), (minx, miny), closing
# A: 0 (X0+100, Y0)  1 (X0+100, Y0+100)  2 (X0, Y0+100)  3 (X0, Y0)  4 = 0
# B: 0 (X0+200, Y0)  1 (X0+200, Y0+100)  2 (X0+100, Y0+100)  3 (X0+100, Y0)  4 = 0


def _project(*geoms, streets=()) -> tuple[Project, VectorLayer, VectorLayer]:
    geoms = geoms or (A, B, C)
    comm = gpd.GeoDataFrame({"name": [f"小区{i}" for i in range(len(geoms))],
                             "households": [100 * (i + 1) for i in range(len(geoms))]},
                            geometry=list(geoms), crs="EPSG:4546")
    comm.index = np.arange(1, len(geoms) + 1, dtype=np.int64)
    comm.index.name = "fid"
    p = Project()
    c = p.add_layer(VectorLayer("communities", "communities", comm))
    lines = gpd.GeoDataFrame({"name": [f"路{i}" for i in range(len(streets))]},
                             geometry=list(streets), crs="EPSG:4546")
    lines.index = np.arange(1, len(streets) + 1, dtype=np.int64)
    lines.index.name = "fid"
    s = p.add_layer(VectorLayer("streets", "streets", lines))
    return p, c, s


def _geom(layer, fid):
    return layer.gdf.geometry.loc[fid]


def _xy(layer, fid):
    return shapely.get_coordinates(_geom(layer, fid)).tolist()


# --- pure vertex functions ----------------------------------------------------------------

def test_nearest_vertex_and_segment():
    assert nearest_vertex(A, X0 + 99.5, Y0 + 0.3, 1.0) == 0
    assert nearest_vertex(A, X0 + 99.5, Y0 + 0.3, 0.5) is None     # 0.583 m away
    assert nearest_vertex(A, X0 + 0.2, Y0 + 99.9, 1.0) == 2
    seg = nearest_segment(A, X0 + 50, Y0 - 0.4, 1.0)
    assert seg == (3, X0 + 50, Y0)                                  # edge (X0,Y0)→(X0+100,Y0)
    assert nearest_segment(A, X0 + 50, Y0 - 1.5, 1.0) is None
    # independent reference: shapely's projection onto the ring
    for x, y in [(X0 + 30.3, Y0 + 101.1), (X0 + 100.7, Y0 + 12.5), (X0 - 0.2, Y0 + 77.0)]:
        index, px, py = nearest_segment(A, x, y, 2.0)
        ring = A.exterior
        ref = ring.interpolate(ring.project(shapely.Point(x, y)))
        assert (px, py) == pytest.approx((ref.x, ref.y), abs=1e-9)
        a, b = shapely.get_coordinates(A)[index:index + 2]
        assert shapely.LineString([a, b]).distance(ref) < 1e-9


def test_moved_vertex_first_and_closing_are_one_vertex():
    sq = shapely.box(0, 0, 10, 10)
    for index in (0, 4):
        moved = moved_vertex(sq, index, 12, 0)
        assert shapely.get_coordinates(moved).tolist() == [[12, 0], [10, 10], [0, 10], [0, 0], [12, 0]]
        assert moved.area == 110                     # trapezoid (12 + 10) / 2 × 10
    assert moved_vertex(sq, 2, -1, 11).area == pytest.approx(100 + 2 * 0.5 * 10 * 1)


def test_moved_vertex_refuses_a_self_crossing_outline():
    sq = shapely.box(0, 0, 10, 10)
    with pytest.raises(EditError) as err:
        moved_vertex(sq, 1, 5, -5)                   # (10,10) → below the bottom edge
    assert "cross itself" in err.value.message("en")
    assert "自相交" in err.value.message("zh")
    with pytest.raises(EditError):
        moved_vertex(sq, 9, 0, 0)                    # no such vertex


def test_inserted_vertex():
    sq = shapely.box(0, 0, 10, 10)
    out = inserted_vertex(sq, 3, 5, -2)              # on the bottom edge, bent outwards
    assert shapely.get_coordinates(out).tolist() == [[10, 0], [10, 10], [0, 10], [0, 0], [5, -2],
                                                     [10, 0]]
    assert out.area == 100 + 0.5 * 10 * 2
    with pytest.raises(EditError):
        inserted_vertex(sq, 4, 5, 5)                 # after the closing point
    line = shapely.LineString([(0, 0), (4, 0)])
    assert inserted_vertex(line, 0, 2, 1).coords[:] == [(0, 0), (2, 1), (4, 0)]
    assert inserted_vertex(line, 1, 6, 0).coords[:] == [(0, 0), (4, 0), (6, 0)]  # extends the end


def test_deleted_vertex():
    sq = shapely.box(0, 0, 10, 10)
    for index in (0, 4):
        out = deleted_vertex(sq, index)
        assert shapely.get_coordinates(out).tolist() == [[10, 10], [0, 10], [0, 0], [10, 10]]
        assert out.area == 50
    with pytest.raises(EditError) as err:
        deleted_vertex(shapely.Polygon([(0, 0), (1, 0), (0, 1)]), 1)
    assert "3 distinct points" in err.value.message("en") and "3 个" in err.value.message("zh")
    with pytest.raises(EditError):
        deleted_vertex(shapely.LineString([(0, 0), (1, 0)]), 0)
    assert deleted_vertex(shapely.LineString([(0, 0), (1, 0), (2, 2)]), 1).coords[:] == [(0, 0), (2, 2)]
    with pytest.raises(EditError):
        deleted_vertex(shapely.Point(0, 0), 0)
    # an outer ring whose deletion would cut through a hole is refused
    holed = shapely.Polygon([(0, 0), (10, 0), (10, 10), (0, 10)], [[(1, 1), (9, 1), (9, 2), (1, 2)]])
    with pytest.raises(EditError):
        deleted_vertex(holed, 1)                     # (10,0) gone: the diagonal crosses the hole


# --- topological vertex commands ------------------------------------------------------------

def test_moving_a_shared_vertex_moves_it_in_the_neighbour_too():
    p, comm, _ = _project()
    p.apply(move_vertex_command(p, comm.id, 1, 0, X0 + 110, Y0 - 5))
    assert _xy(comm, 1)[0] == [X0 + 110, Y0 - 5] and _xy(comm, 1)[4] == [X0 + 110, Y0 - 5]
    assert _xy(comm, 2)[3] == [X0 + 110, Y0 - 5]
    a, b = _geom(comm, 1), _geom(comm, 2)
    assert a.intersection(b).area == 0               # still share the boundary, no overlap
    assert a.union(b).area == pytest.approx(20_000 + 0.5 * 200 * 5)   # plus the triangle below Y0
    assert _geom(comm, 3).equals_exact(C, 0)
    p.undo.undo()
    assert _geom(comm, 1).equals_exact(A, 0) and _geom(comm, 2).equals_exact(B, 0)


def test_non_topological_move_leaves_the_neighbour():
    p, comm, _ = _project()
    p.apply(move_vertex_command(p, comm.id, 1, 0, X0 + 110, Y0, topological=False))
    assert _geom(comm, 2).equals_exact(B, 0)
    # the overlap is the triangle (X0+100, Y0), (X0+110, Y0), (X0+100, Y0+100)
    assert _geom(comm, 1).intersection(_geom(comm, 2)).area == pytest.approx(0.5 * 10 * 100)


def test_a_drag_is_one_undo_step_across_layers():
    street = shapely.LineString([(X0 + 100, Y0 - 50), (X0 + 100, Y0)])   # ends at the shared corner
    p, comm, streets = _project(streets=[street])
    for step in range(1, 11):
        p.apply(move_vertex_command(p, comm.id, 1, 0, X0 + 100 + step, Y0 - step,
                                    layers=[comm.id, streets.id], merge_key=("drag", 7)))
    assert len(p.undo) == 1
    end = [X0 + 110, Y0 - 10]
    assert _xy(comm, 1)[0] == end and _xy(comm, 2)[3] == end and _xy(streets, 1)[1] == end
    p.apply(move_vertex_command(p, comm.id, 1, 1, X0 + 100, Y0 + 101, merge_key=("drag", 8)))
    assert len(p.undo) == 2                          # another drag, another step
    p.undo.undo()
    p.undo.undo()
    assert _geom(comm, 1).equals_exact(A, 0) and _geom(comm, 2).equals_exact(B, 0)
    assert _geom(streets, 1).equals_exact(street, 0)
    p.undo.redo()
    assert _xy(comm, 1)[0] == end and _xy(comm, 2)[3] == end and _xy(streets, 1)[1] == end


def test_shared_vertices_fixed_at_drag_start_do_not_weld_what_the_drag_passes():
    l1 = shapely.LineString([(X0 - 50, Y0 - 50), (X0, Y0)])              # ends at A's vertex 3
    l2 = shapely.LineString([(X0 - 20, Y0 - 30), (X0 - 60, Y0 - 30)])
    for fixed in (True, False):
        p, comm, streets = _project(streets=[l1, l2])
        layers = [comm.id, streets.id]
        shared = shared_vertices(p, layers, X0, Y0)
        assert sorted(shared) == sorted([(comm.id, 1, 3), (streets.id, 1, 1)])
        kw = {"shared": shared} if fixed else {}
        p.apply(move_vertex_command(p, comm.id, 1, 3, X0 - 20, Y0 - 30, layers=layers,
                                    merge_key="d", **kw))     # passes over l2's first vertex
        p.apply(move_vertex_command(p, comm.id, 1, 3, X0 - 10, Y0 - 10, layers=layers,
                                    merge_key="d", **kw))
        assert _xy(streets, 1)[1] == [X0 - 10, Y0 - 10]
        assert (_xy(streets, 2)[0] == [X0 - 20, Y0 - 30]) is fixed
        p.undo.undo()
        assert _geom(streets, 2).equals_exact(l2, 0) and _geom(comm, 1).equals_exact(A, 0)


def test_insert_on_a_shared_segment_inserts_in_the_neighbour():
    p, comm, _ = _project()
    # A's segment 0 runs (X0+100, Y0) → (X0+100, Y0+100); B has it as 2 → 3
    p.apply(insert_vertex_command(p, comm.id, 1, 0, X0 + 100, Y0 + 40))
    assert _xy(comm, 1)[:3] == [[X0 + 100, Y0], [X0 + 100, Y0 + 40], [X0 + 100, Y0 + 100]]
    assert _xy(comm, 2)[2:5] == [[X0 + 100, Y0 + 100], [X0 + 100, Y0 + 40], [X0 + 100, Y0]]
    assert _geom(comm, 3).equals_exact(C, 0)
    # bend the shared edge: both follow, area moves from B to A, none is lost
    p.apply(move_vertex_command(p, comm.id, 1, 1, X0 + 105, Y0 + 40))
    a, b = _geom(comm, 1), _geom(comm, 2)
    assert a.area == pytest.approx(10_000 + 0.5 * 100 * 5) and b.area == pytest.approx(10_000 - 250)
    assert a.intersection(b).area == 0 and a.union(b).area == pytest.approx(20_000)
    # then delete it topologically: both are back to their squares
    p.apply(delete_vertex_command(p, comm.id, 2, 3))
    assert _geom(comm, 1).equals(A) and _geom(comm, 2).equals(B)
    for _ in range(3):
        p.undo.undo()
    assert _geom(comm, 1).equals_exact(A, 0) and _geom(comm, 2).equals_exact(B, 0)


def test_insert_off_the_line_and_into_a_neighbour_split_differently():
    b2 = shapely.Polygon([(X0 + 200, Y0), (X0 + 200, Y0 + 100), (X0 + 100, Y0 + 100),
                          (X0 + 100, Y0 + 70), (X0 + 100, Y0)])
    p, comm, _ = _project(A, b2)
    cmd = p.apply(insert_vertex_command(p, comm.id, 1, 0, X0 + 103, Y0 + 40))   # 3 m off the edge
    assert _xy(comm, 2)[3:6] == [[X0 + 100, Y0 + 70], [X0 + 103, Y0 + 40], [X0 + 100, Y0]]
    # B's vertex on the shared edge is added to A, so both edges are the same polyline
    assert _xy(comm, 1)[:4] == [[X0 + 100, Y0], [X0 + 103, Y0 + 40], [X0 + 100, Y0 + 70],
                                [X0 + 100, Y0 + 100]]
    assert cmd.vertex_index == 1
    assert _geom(comm, 1).intersection(_geom(comm, 2)).area == pytest.approx(0, abs=1e-9)
    p2, comm2, _ = _project()
    p2.apply(insert_vertex_command(p2, comm2.id, 1, 0, X0 + 103, Y0 + 40, topological=False))
    assert _geom(comm2, 2).equals_exact(B, 0)


def test_delete_shared_corner_and_refusal_names_the_neighbour():
    p, comm, _ = _project()
    p.apply(delete_vertex_command(p, comm.id, 1, 0))
    assert _xy(comm, 1) == [[X0 + 100, Y0 + 100], [X0, Y0 + 100], [X0, Y0], [X0 + 100, Y0 + 100]]
    assert _xy(comm, 2) == [[X0 + 200, Y0], [X0 + 200, Y0 + 100], [X0 + 100, Y0 + 100], [X0 + 200, Y0]]
    assert _geom(comm, 1).area == 5000 and _geom(comm, 2).area == 5000
    p.undo.undo()
    assert _geom(comm, 1).equals_exact(A, 0) and _geom(comm, 2).equals_exact(B, 0)
    # a triangle neighbour would keep 2 points: refused, naming the neighbour, nothing changed
    tri = shapely.Polygon([(X0 + 100, Y0), (X0 + 200, Y0), (X0 + 100, Y0 + 100)])
    p2, comm2, _ = _project(A, tri)
    with pytest.raises(EditError) as err:
        delete_vertex_command(p2, comm2.id, 1, 0)
    assert "feature 2" in err.value.where and "3 distinct points" in err.value.message("en")
    assert _geom(comm2, 1).equals_exact(A, 0) and len(p2.undo) == 0
    p2.apply(delete_vertex_command(p2, comm2.id, 1, 0, topological=False))
    assert _geom(comm2, 2).equals_exact(tri, 0) and _geom(comm2, 1).area == 5000


def test_topological_move_refuses_what_breaks_a_neighbour():
    p, comm, _ = _project()
    with pytest.raises(EditError) as err:
        # A's corner (X0+100, Y0) moved far right: B's outline would cross itself
        move_vertex_command(p, comm.id, 1, 0, X0 + 250, Y0 + 50)
    assert "feature 2" in err.value.where
    assert len(p.undo) == 0


# --- whole features -----------------------------------------------------------------------------

def test_split_polygon_largest_piece_keeps_the_fid_and_undo():
    p, comm, _ = _project()
    line = shapely.LineString([(X0 - 10, Y0 + 30), (X0 + 50, Y0 + 30), (X0 + 150, Y0 + 30)])
    cmd = split_command(p, comm.id, [1], line)       # runs beyond both edges
    p.apply(cmd)
    assert cmd.added_fids == [4]
    assert _geom(comm, 1).equals(shapely.box(X0, Y0 + 30, X0 + 100, Y0 + 100))
    assert _geom(comm, 4).equals(shapely.box(X0, Y0, X0 + 100, Y0 + 30))
    assert comm.gdf.loc[4, "name"] == "小区0" and comm.gdf.loc[4, "households"] == 100
    assert _geom(comm, 1).area + _geom(comm, 4).area == pytest.approx(A.area)
    p.undo.undo()
    assert list(comm.gdf.index) == [1, 2, 3] and _geom(comm, 1).equals_exact(A, 0)
    p.undo.redo()
    assert list(comm.gdf.index) == [1, 2, 3, 4] and _geom(comm, 4).area == pytest.approx(3000)


def test_split_every_crossed_feature_and_a_multipolygon():
    p, comm, _ = _project()
    line = shapely.LineString([(X0 + 60, Y0 - 10), (X0 + 60, Y0 + 110), (X0 + 160, Y0 + 110),
                               (X0 + 160, Y0 - 10)])
    cmd = p.apply(split_command(p, comm.id, None, line))   # crosses A and B, not C
    assert sorted(cmd.added_fids) == [4, 5]
    areas = sorted(comm.gdf.geometry.area.round(6).tolist())
    assert areas == [4000, 4000, 6000, 6000, 15_000]
    assert shapely.union_all(comm.gdf.geometry.loc[[1, 2, 4, 5]]).area == pytest.approx(20_000)
    # a two-part feature: the part the line misses stays with the largest piece
    multi = shapely.MultiPolygon([A, C])
    p2, comm2, _ = _project(multi)
    cut = shapely.LineString([(X0 + 320, Y0 - 1), (X0 + 320, Y0 + 101)])
    p2.apply(split_command(p2, comm2.id, [1], cut))
    kept, new = _geom(comm2, 1), _geom(comm2, 2)
    assert kept.geom_type == "MultiPolygon" and kept.area == pytest.approx(10_000 + 13_000)
    assert new.equals(shapely.box(X0 + 300, Y0, X0 + 320, Y0 + 100))


def test_split_refuses_a_line_that_does_not_cut():
    p, comm, _ = _project()
    with pytest.raises(EditError) as err:
        split_command(p, comm.id, [1], shapely.LineString([(X0 - 10, Y0 + 30), (X0 + 50, Y0 + 30)]))
    assert "does not cut" in err.value.message("en") and "分成两块" in err.value.message("zh")
    with pytest.raises(EditError):
        split_command(p, comm.id, [3], shapely.LineString([(X0 - 10, Y0 + 30), (X0 + 150, Y0 + 30)]))


def test_split_a_line():
    street = shapely.LineString([(X0, Y0), (X0 + 100, Y0)])
    p, _, streets = _project(streets=[street])
    cmd = p.apply(split_command(p, streets.id, [1], shapely.LineString([(X0 + 30, Y0 - 5),
                                                                         (X0 + 30, Y0 + 5)])))
    assert _geom(streets, 1).coords[:] == [(X0 + 30, Y0), (X0 + 100, Y0)]
    assert _geom(streets, cmd.added_fids[0]).coords[:] == [(X0, Y0), (X0 + 30, Y0)]


def test_merge_touching_and_apart():
    p, comm, _ = _project()
    p.apply(merge_command(p, comm.id, [1, 2]))        # equal areas: the lower fid is kept
    assert list(comm.gdf.index) == [1, 3]
    assert _geom(comm, 1).geom_type == "Polygon" and _geom(comm, 1).area == 20_000
    assert _geom(comm, 1).equals(shapely.box(X0, Y0, X0 + 200, Y0 + 100))
    p.undo.undo()
    assert list(comm.gdf.index) == [1, 2, 3] and _geom(comm, 2).equals_exact(B, 0)
    p.apply(merge_command(p, comm.id, [1, 2], keep_fid=2))
    assert list(comm.gdf.index) == [2, 3] and comm.gdf.loc[2, "name"] == "小区1"
    p.undo.undo()
    # A and C do not touch: the communities schema allows MultiPolygon, so by default they
    # merge into two parts, kept in the larger C; refused when multi-part is not allowed
    with pytest.raises(EditError) as err:
        merge_command(p, comm.id, [1, 3], allow_multipart=False)
    assert "do not touch" in err.value.message("en") and "2 个" in err.value.message("zh")
    p.apply(merge_command(p, comm.id, [1, 3]))
    assert list(comm.gdf.index) == [2, 3] and _geom(comm, 3).geom_type == "MultiPolygon"
    assert _geom(comm, 3).area == 25_000
    with pytest.raises(EditError):
        merge_command(p, comm.id, [2])
    with pytest.raises(EditError):
        merge_command(p, comm.id, [2, 3], keep_fid=1)


def test_move_features_merges_a_drag():
    p, comm, _ = _project()
    for _ in range(5):
        p.apply(move_command(p, comm.id, [1, 3], 1.0, -0.6, merge_key="move"))
    assert len(p.undo) == 1
    assert _geom(comm, 1).bounds == pytest.approx((X0 + 5, Y0 - 3, X0 + 105, Y0 + 97))
    assert _geom(comm, 3).equals_exact(shapely.affinity.translate(C, 5, -3), 1e-6)
    assert _geom(comm, 2).equals_exact(B, 0)
    p.undo.undo()
    assert _geom(comm, 1).equals_exact(A, 0) and _geom(comm, 3).equals_exact(C, 0)


def test_delete_features():
    p, comm, _ = _project()
    p.apply(delete_command(p, comm.id, [2, 3]))
    assert list(comm.gdf.index) == [1]
    p.undo.undo()
    assert list(comm.gdf.index) == [1, 2, 3]
    with pytest.raises(EditError):
        delete_command(p, comm.id, [])
    with pytest.raises(EditError):
        delete_command(p, comm.id, [42])


def test_add_feature_checks_type_validity_and_values():
    p, comm, streets = _project()
    square = shapely.box(X0 + 500, Y0, X0 + 520, Y0 + 20)
    cmd = p.apply(add_feature_command(p, comm.id, square, {"name": "新小区", "households": "80"}))
    assert cmd.fids == [4] and comm.gdf.loc[4, "households"] == 80
    assert _geom(comm, 4).equals(square)
    p.undo.undo()
    assert list(comm.gdf.index) == [1, 2, 3]
    bowtie = shapely.Polygon([(X0, Y0), (X0 + 100, Y0 + 100), (X0 + 100, Y0), (X0, Y0 + 100)])
    with pytest.raises(EditError) as err:
        add_feature_command(p, comm.id, bowtie)
    msg = err.value.message("en")
    assert "cross itself" in msg and f"({X0 + 50:.2f}, {Y0 + 50:.2f})" in msg
    assert "自相交" in err.value.message("zh")
    with pytest.raises(EditError) as err:
        add_feature_command(p, comm.id, shapely.LineString([(X0, Y0), (X0 + 1, Y0)]))
    assert "polygon" in err.value.message("en")
    with pytest.raises(EditError):
        add_feature_command(p, comm.id, square, {"no_such_field": 1})
    with pytest.raises(EditError):
        add_feature_command(p, comm.id, square, {"households": "many"})
    with pytest.raises(EditError):
        add_feature_command(p, comm.id, shapely.Polygon())
    line = shapely.LineString([(X0, Y0), (X0 + 10, Y0)])
    assert p.apply(add_feature_command(p, streets.id, line)).fids == [1]


# --- snapping ----------------------------------------------------------------------------

def test_snap_vertex_wins_over_a_nearer_segment():
    p, comm, _ = _project()
    idx = SnapIndex([comm])
    # 0.2 m from the shared edge, 0.92 m from the shared corner
    hit = idx.snap(X0 + 99.8, Y0 + 0.9, 1.0)
    assert (hit.kind, hit.x, hit.y) == ("vertex", X0 + 100, Y0)
    assert (hit.fid, hit.index) in {(1, 0), (2, 3)}
    assert hit.distance == pytest.approx(np.hypot(0.2, 0.9))
    hit = idx.snap(X0 + 99.8, Y0 + 0.9, 0.5)
    assert (hit.kind, hit.x, hit.y) == ("segment", X0 + 100, Y0 + 0.9)
    assert (hit.fid, hit.index) in {(1, 0), (2, 2)}
    assert idx.snap(X0 + 50, Y0 + 50, 1.0) is None


def test_snap_exclusions():
    p, comm, _ = _project()
    idx = SnapIndex([comm])
    hit = idx.snap(X0 + 100.3, Y0 + 0.2, 1.0, exclude={(comm.id, 1)})
    assert (hit.kind, hit.fid, hit.index) == ("vertex", 2, 3)
    assert idx.snap(X0 + 100.3, Y0 + 0.2, 1.0, exclude={(comm.id, 1), (comm.id, 2)}) is None
    # excluding A's closing vertex excludes its first vertex too, and A's segments ending there
    hit = idx.snap(X0 + 99.9, Y0 + 0.3, 1.0, exclude_vertices=[(comm.id, 1, 4)])
    assert (hit.kind, hit.fid, hit.index) == ("vertex", 2, 3)
    both = [(comm.id, 1, 0), (comm.id, 2, 3)]
    hit = idx.snap(X0 + 99.9, Y0 + 0.3, 1.0, exclude_vertices=both)
    assert hit is None                               # every segment there ends at the corner
    assert idx.snap(X0 + 99.9, Y0 + 3.0, 1.0, exclude_vertices=both) is None
    assert idx.snap(X0 + 99.9, Y0 + 3.0, 1.0).kind == "segment"
    hit = idx.snap(X0 + 50, Y0 + 100.3, 1.0, exclude_vertices=both)   # A's top edge
    assert (hit.kind, hit.fid, hit.index, hit.x, hit.y) == ("segment", 1, 1, X0 + 50, Y0 + 100)


def test_snap_two_layers_and_vertices_or_segments_only():
    street = shapely.LineString([(X0 - 20, Y0 - 20), (X0 + 500, Y0 - 20)])
    p, comm, streets = _project(streets=[street])
    idx = SnapIndex([comm, streets])
    hit = idx.snap(X0 + 250, Y0 - 19.5, 1.0)
    assert (hit.layer_id, hit.fid, hit.kind, hit.index) == (streets.id, 1, "segment", 0)
    assert (hit.x, hit.y) == (X0 + 250, Y0 - 20)
    assert SnapIndex([comm, streets], segments=False).snap(X0 + 250, Y0 - 19.5, 1.0) is None
    hit = SnapIndex([comm], vertices=False).snap(X0 + 100.2, Y0 + 0.3, 1.0)
    assert hit.kind == "segment"


def test_snap_matches_brute_force_shapely():
    gdf = tiny_communities(6)
    gdf.loc[3, "geometry"] = shapely.Polygon(
        [(X0 + 240, Y0), (X0 + 340, Y0), (X0 + 340, Y0 + 100), (X0 + 240, Y0 + 100)],
        [[(X0 + 260, Y0 + 20), (X0 + 300, Y0 + 20), (X0 + 300, Y0 + 60)]])   # a hole
    p = Project()
    layer = p.add_layer(VectorLayer("c", "communities", gdf))
    idx = SnapIndex([layer])
    geoms = layer.gdf.geometry.to_numpy()
    verts = shapely.get_coordinates(geoms)
    rings = shapely.get_rings(geoms)
    rng = np.random.default_rng(3)
    xmin, ymin, xmax, ymax = layer.bounds()
    tol = 4.0
    checked = {"vertex": 0, "segment": 0, None: 0}
    for x, y in zip(rng.uniform(xmin - 5, xmax + 5, 3000), rng.uniform(ymin - 5, ymax + 5, 3000)):
        hit = idx.snap(x, y, tol)
        dv = np.hypot(verts[:, 0] - x, verts[:, 1] - y).min()
        ds = shapely.distance(rings, shapely.Point(x, y)).min()
        if dv <= tol:
            assert hit.kind == "vertex" and hit.distance == pytest.approx(dv)
        elif ds <= tol:
            assert hit.kind == "segment" and hit.distance == pytest.approx(ds, abs=1e-9)
            g = layer.gdf.geometry.loc[hit.fid]
            assert g.boundary.distance(shapely.Point(hit.x, hit.y)) < 1e-6
        else:
            assert hit is None
        checked[None if hit is None else hit.kind] += 1
    assert min(checked.values()) > 20                # every branch was exercised
