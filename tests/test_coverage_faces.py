"""Service-area outlines built face by face (layers.coverage.faces) against the plain
construction (every run between junctions widened by the corridor, united by GEOS) and
against areas worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from layers.coverage import coverage
from layers.coverage.areas import area_polygon, reachable_parts
from layers.coverage.faces import area_from_faces
from layers.coverage.runs import merge_runs
from tests.conftest import shared_data
from tests.test_coverage import _osm_case

R = 25.0
Q = 4
TOL_M2 = 0.01  # as the benchmark's AREA_TOLERANCE_M2


def union_reference(lines) -> shapely.Geometry:
    """The plain construction, written out with GEOS's own line merger."""
    runs = shapely.get_parts(shapely.line_merge(shapely.multilinestrings(lines)))
    return shapely.union_all(shapely.buffer(runs, R, quad_segs=Q))


def faces_only(lines, r: float = R):
    """The face-by-face construction even where most runs lie on the outline (the product
    then unites them all, being as fast), or None where it declines."""
    return area_from_faces(merge_runs(np.asarray(lines, dtype=object)), r, Q, shapely.union_all,
                           outline_share=1.0)


def check_both(lines) -> shapely.Geometry:
    """The drawn area and the forced face-by-face one, both valid and equal to the union."""
    ref = union_reference(lines)
    area = area_polygon(np.array(lines, dtype=object), R)
    forced = faces_only(lines)
    assert forced is not None  # built face by face, not declined
    for geom in (area, forced):
        assert geom.is_valid
        assert shapely.symmetric_difference(geom, ref).area <= TOL_M2
    return forced


def L(*xy):
    return shapely.LineString(xy)


def grid(n: int, size: float, x0: float = 0.0, y0: float = 0.0) -> list:
    """The streets of n × n square blocks of ``size``, each street cut at every junction."""
    out = []
    for i in range(n + 1):
        for j in range(n):
            out.append(L((x0 + i * size, y0 + j * size), (x0 + i * size, y0 + (j + 1) * size)))
            out.append(L((x0 + j * size, y0 + i * size), (x0 + (j + 1) * size, y0 + i * size)))
    return out


def holes(area) -> list:
    return [ring for part in shapely.get_parts(area) for ring in part.interiors]


def test_four_blocks_with_a_dead_end_inside_and_one_outside():
    # 2 × 2 blocks of 200 m; a 60 m dead end into the lower-left block from the middle of
    # its bottom street; a 50 m dead end out of the top-right corner
    lines = grid(2, 200.0) + [L((100, 0), (100, 60)), L((400, 400), (450, 450))]
    area = check_both(lines)
    # by hand: inside a block, the part farther than 25 m from its streets is a 150 m
    # square (the corners inside a block are sharp, no arcs); the dead end takes a 50 m ×
    # 35 m strip of it and its round end, 8 chords of 22.5° on a 25 m circle
    inner = sorted(shapely.Polygon(h).area for h in holes(area))
    cap = 4 * R * R * np.sin(np.pi / 8)
    assert len(inner) == 4
    assert inner == pytest.approx([150.0 ** 2 - 50 * 35 - cap] + [150.0 ** 2] * 3, abs=1e-6)


def test_a_face_with_an_island_network_inside():
    # one 400 m block; inside it, apart from it, a 100 m square of streets with a dead end
    # going out towards the block's edge: the island's own face keeps a 50 m hole, its
    # widened streets are a polygon of their own inside the big block's hole
    lines = grid(1, 400.0) + grid(1, 100.0, 150.0, 150.0) + [L((250, 200), (320, 200))]
    area = check_both(lines)
    parts = shapely.get_parts(area)
    assert len(parts) == 2
    island = parts[np.argmin(shapely.area(parts))]
    assert len(island.interiors) == 1
    assert shapely.Polygon(island.interiors[0]).area == pytest.approx(50.0 ** 2, abs=1e-6)


def test_a_street_inside_ending_at_a_corner_of_the_outline():
    # a square block cut by a slanting street from a corner: there its round end reaches
    # outside the block past the outline streets' round ends (their chords lie elsewhere
    # on the circle), so it is widened with the outline
    lines = grid(1, 300.0) + [L((0, 0), (300, 100))]
    area = check_both(lines)
    outline_only = shapely.union_all(shapely.buffer(np.array(grid(1, 300.0)), R, quad_segs=Q))
    reach_out = shapely.difference(area, outline_only).difference(shapely.box(0, 0, 300, 300))
    assert reach_out.area > 1.0  # it does reach out (2.75 m²)
    assert len(holes(area)) == 2


def test_a_line_crossing_a_block_without_a_node():
    # a street crossing a block from outside to outside, never noded with its edges (a
    # bridge): it is no face edge, so the faces stay right, and it is widened where it runs
    crossing = grid(1, 300.0) + [L((-80, 120), (380, 170))]
    area = check_both(crossing)
    assert len(holes(area)) == 2  # the crossing street cuts the block's hole in two


def test_face_edges_crossing_without_a_node_fall_back_to_the_union():
    # two blocks overlapping, their streets crossing without nodes: polygonize would not
    # give the faces, so the construction declines and the plain union is drawn
    lines = grid(1, 300.0) + grid(1, 300.0, 150.0, 150.0)
    assert faces_only(lines) is None
    area = area_polygon(np.array(lines, dtype=object), R)
    assert area.is_valid
    assert shapely.symmetric_difference(area, union_reference(lines)).area <= TOL_M2


def test_empty_input_and_streets_without_faces():
    assert area_polygon(np.empty(0, dtype=object), R).is_empty
    tree = [L((0, 0), (100, 0)), L((100, 0), (100, 80)), L((100, 0), (180, -30))]
    assert faces_only(tree) is None  # no face: nothing to gain, the union is drawn
    area = area_polygon(np.array(tree, dtype=object), R)
    assert shapely.symmetric_difference(area, union_reference(tree)).area <= TOL_M2


def test_a_junction_turning_away_from_its_face():
    # a block whose corner at a junction turns away from it (an L-shaped block): the runs
    # end there in round ends, not one bend, so the block is cut out of them directly
    lines = [L((0, 0), (300, 0)), L((300, 0), (300, 150)), L((300, 150), (150, 150)),
             L((150, 150), (150, 300)), L((150, 300), (0, 300)), L((0, 300), (0, 0)),
             L((150, 150), (220, 230))]  # a dead end out of the reflex corner
    area = check_both(lines)
    assert len(holes(area)) == 1


def test_service_areas_on_a_real_street_network_equal_the_union():
    inputs, options, net = _osm_case(shared_data("osm", "guixi_centre.osm"), 60, 12, 7)
    d = coverage(inputs, options, net=net).distances
    mine = (d.fac_service == "elder_care") & d.facilities.ok
    built_by_faces = 0
    for level in (500.0, 1000.0):
        parts = reachable_parts(d.graph.index, d.graph.chains, d.fields["elder_care"].dist,
                                d.facilities.edge[mine], d.facilities.pos[mine],
                                d.facilities.snap_m[mine], d.fac_points[mine], level)
        assert len(parts)
        runs = shapely.get_parts(shapely.line_merge(shapely.multilinestrings(parts)))
        ref = shapely.union_all(shapely.buffer(runs, options.corridor_m, quad_segs=Q))
        forced = area_from_faces(merge_runs(parts), options.corridor_m, Q, shapely.union_all,
                                 outline_share=1.0)
        for geom in (area_polygon(parts, options.corridor_m), forced):
            if geom is None:
                continue
            assert geom.is_valid
            assert shapely.symmetric_difference(geom, ref).area <= TOL_M2
        built_by_faces += forced is not None
    assert built_by_faces  # the face-by-face construction was used, not only the fallback
