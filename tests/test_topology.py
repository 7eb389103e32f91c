"""Topology check of a polygon layer: overlaps and sliver gaps, and their fixes.

Areas are hand-computed from squares (an overlap of 20 m × 100 m is 2000 m², a
0.5 m slot 100 m long is 50 m²); fixes are checked by conserved or added areas and
by undo restoring the originals exactly.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely import affinity

from conftest import X0, Y0
from layers.editing import (
    check_project_topology,
    check_topology,
    default_gap_tolerance,
    default_min_area,
    fix_gap_command,
    fix_overlap_command,
)
from layers.errors import EditError
from layers.layer import VectorLayer
from layers.project import Project


def _project(*geoms) -> tuple[Project, VectorLayer]:
    gdf = gpd.GeoDataFrame({"name": [f"小区{i}" for i in range(len(geoms))]},
                           geometry=list(geoms), crs="EPSG:4546")
    gdf.index = np.arange(1, len(geoms) + 1, dtype=np.int64)
    gdf.index.name = "fid"
    p = Project()
    return p, p.add_layer(VectorLayer("communities", "communities", gdf))


def _box(x0, x1, y0=0.0, y1=100.0):
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def _geom(layer, fid):
    return layer.gdf.geometry.loc[fid]


def test_overlap_found_with_exact_area():
    p, layer = _project(_box(0, 100), _box(80, 180), _box(300, 400), _box(400, 500))
    issues = check_topology(layer, 1.0)
    assert len(issues) == 1                           # 3 and 4 only touch along an edge
    issue = issues[0]
    assert issue.kind == "overlap" and issue.fids == (1, 2)
    assert issue.area == pytest.approx(20 * 100)
    assert issue.centroid == pytest.approx((X0 + 90, Y0 + 50))
    assert issue.bounds == pytest.approx((X0 + 80, Y0, X0 + 100, Y0 + 100))
    assert issue.geometry.equals(_box(80, 100))
    assert "2000.00 m²" in issue.describe()("en")


def test_overlaps_match_brute_force_pairs():
    rng = np.random.default_rng(7)
    geoms = [shapely.box(X0 + x, Y0 + y, X0 + x + w, Y0 + y + h)
             for x, y, w, h in zip(rng.uniform(0, 300, 25), rng.uniform(0, 300, 25),
                                   rng.uniform(20, 80, 25), rng.uniform(20, 80, 25))]
    geoms[3] = geoms[3].buffer(5)                     # a rounded one
    p, layer = _project(*geoms)
    found = {i.fids: i.area for i in check_topology(layer, 0.0) if i.kind == "overlap"}
    expected = {}
    for i in range(len(geoms)):
        for j in range(i + 1, len(geoms)):
            area = geoms[i].intersection(geoms[j]).area
            if area > 1e-6:
                expected[(i + 1, j + 1)] = area
    assert len(expected) > 5
    assert found.keys() == expected.keys()
    for k, area in expected.items():
        assert found[k] == pytest.approx(area)


def test_containment_is_an_overlap():
    p, layer = _project(_box(0, 100), _box(20, 40, 20, 40))
    [issue] = check_topology(layer, 1.0)
    assert issue.kind == "overlap" and issue.area == pytest.approx(400)


def test_sliver_gap_found_street_not():
    # 0.5 m slot between 1 and 2, a 20 m street between 2 and 3
    p, layer = _project(_box(0, 100), _box(100.5, 200.5), _box(220.5, 320.5))
    issues = check_topology(layer, 1.0)
    assert [(i.kind, i.fids) for i in issues] == [("gap", (1, 2))]
    gap = issues[0]
    assert gap.area == pytest.approx(0.5 * 100)
    assert gap.geometry.symmetric_difference(_box(100, 100.5)).area < 1e-6
    assert check_topology(layer, 0.4) == []           # narrower tolerance: not a gap
    big = check_topology(layer, 25.0)                 # a tolerance wider than the street
    assert {i.fids for i in big} == {(1, 2), (2, 3)}


def test_gap_between_rotated_neighbours():
    # the mitred closing gives back straight edges at any angle
    a, b, c = _box(0, 100), _box(100.5, 200.5), _box(220.5, 320.5)
    turn = [affinity.rotate(g, 33, origin=(X0, Y0)) for g in (a, b, c)]
    p, layer = _project(*turn)
    issues = check_topology(layer, 1.0)
    assert [(i.kind, i.fids) for i in issues] == [("gap", (1, 2))]
    assert issues[0].area == pytest.approx(50, rel=1e-6)


def test_narrow_hole_is_a_gap_wide_courtyard_is_not():
    slot = _box(40, 40.5, 30, 70)                     # 0.5 m × 40 m
    yard = _box(60, 80, 30, 50)                       # 20 m × 20 m
    holed = shapely.Polygon(_box(0, 100).exterior, [slot.exterior, yard.exterior])
    p, layer = _project(holed)
    issues = check_topology(layer, 1.0)
    assert [(i.kind, i.fids) for i in issues] == [("gap", (1,))]
    assert issues[0].area == pytest.approx(20)


def test_fix_overlap_conserves_the_union_and_undoes():
    a, b = _box(0, 100), _box(80, 180)
    p, layer = _project(a, b)
    union_area = a.union(b).area                      # 18 000
    [issue] = check_topology(layer, 1.0)
    p.apply(fix_overlap_command(p, layer.id, issue, give_to_fid=1))
    assert _geom(layer, 1).equals_exact(a, 0)
    assert _geom(layer, 2).equals(_box(100, 180)) and _geom(layer, 2).area == pytest.approx(8000)
    assert _geom(layer, 1).area + _geom(layer, 2).area == pytest.approx(union_area)
    assert check_topology(layer, 1.0) == []
    p.undo.undo()
    assert _geom(layer, 2).equals_exact(b, 0)
    p.apply(fix_overlap_command(p, layer.id, issue, give_to_fid=2))
    assert _geom(layer, 1).equals(_box(0, 80)) and _geom(layer, 2).equals_exact(b, 0)
    assert check_topology(layer, 1.0) == []


def test_fix_overlap_refuses_to_empty_a_feature():
    p, layer = _project(_box(0, 100), _box(20, 40, 20, 40))
    [issue] = check_topology(layer, 1.0)
    with pytest.raises(EditError) as err:
        fix_overlap_command(p, layer.id, issue, give_to_fid=1)
    assert "wholly inside" in err.value.message("en") and "之内" in err.value.message("zh")
    p.apply(fix_overlap_command(p, layer.id, issue, give_to_fid=2))   # a hole is cut in 1
    assert _geom(layer, 1).area == pytest.approx(10_000 - 400)
    assert len(_geom(layer, 1).interiors) == 1


def test_fix_gap_adds_the_sliver_and_undoes():
    a, b, c = _box(0, 100), _box(100.5, 200.5), _box(220.5, 320.5)
    p, layer = _project(a, b, c)
    [issue] = check_topology(layer, 1.0)
    p.apply(fix_gap_command(p, layer.id, issue, give_to_fid=1))
    assert _geom(layer, 1).geom_type == "Polygon"
    assert _geom(layer, 1).area == pytest.approx(10_000 + 50)
    assert _geom(layer, 1).symmetric_difference(_box(0, 100.5)).area < 1e-6
    merged = shapely.union_all([_geom(layer, 1), _geom(layer, 2)])
    assert merged.geom_type == "Polygon" and merged.area == pytest.approx(20_050)
    assert check_topology(layer, 1.0) == []
    p.undo.undo()
    assert _geom(layer, 1).equals_exact(a, 0)
    assert [i.fids for i in check_topology(layer, 1.0)] == [(1, 2)]


def test_fix_refusals():
    p, layer = _project(_box(0, 100), _box(100.5, 200.5), _box(220.5, 320.5))
    [gap] = check_topology(layer, 1.0)
    with pytest.raises(EditError) as err:
        fix_gap_command(p, layer.id, gap, give_to_fid=3)
    assert "does not border" in err.value.message("en")
    with pytest.raises(EditError):
        fix_overlap_command(p, layer.id, gap, give_to_fid=1)
    assert len(p.undo) == 0


def test_default_tolerances_come_from_the_standards():
    # 3 sits 1.3 m above 1: a gap only once the project widens the tolerance past 1.3 m
    p, layer = _project(_box(0, 100), _box(100.5, 200.5), _box(20, 80, 101.3, 150))
    std = p.standards()
    assert default_gap_tolerance(p) == std.value("parameters", "topology_gap_tolerance_m", "value")
    assert default_gap_tolerance(p) == 1.0
    assert std.provenance("parameters", "topology_gap_tolerance_m", "value")[1] == "S"
    assert default_min_area(p) == 0.01
    assert [i.fids for i in check_project_topology(p, layer.id)] == [(1, 2)]
    p.set_standards_overrides({"parameters": {"topology_gap_tolerance_m": {"value": 1.5}}})
    assert default_gap_tolerance(p) == 1.5
    issues = {i.fids: i.area for i in check_project_topology(p, layer.id)}
    assert issues.keys() == {(1, 2), (1, 3)}
    assert issues[(1, 3)] == pytest.approx(1.3 * 60)


def test_only_polygon_layers_are_checked():
    p = Project()
    gdf = gpd.GeoDataFrame({"name": ["路"]}, geometry=[shapely.LineString([(X0, Y0), (X0 + 9, Y0)])],
                           crs="EPSG:4546")
    streets = p.add_layer(VectorLayer("streets", "streets", gdf))
    with pytest.raises(EditError) as err:
        check_topology(streets, 1.0)
    assert "polygon" in err.value.message("en") and "面图层" in err.value.message("zh")


def test_sample_city_communities_are_clean():
    from layers.sample import generate_city

    gdf = generate_city("small", 0).layer("communities")
    p = Project()
    layer = p.add_layer(VectorLayer("communities", "communities", gdf))
    assert len(layer) > 10
    assert check_project_topology(p, layer.id) == []   # separated by streets, no slivers
