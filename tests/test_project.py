"""Project, layers and schemas: ordering, events, CRS rules, validation messages."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from conftest import X0, Y0, tiny_communities
from layers.errors import ProjectError
from layers.kinds import KINDS, schema_for
from layers.layer import VectorLayer
from layers.project import Project


def test_default_crs_is_cgcs2000_gk_111e():
    p = Project()
    assert p.crs.to_epsg() == 4546
    assert "CGCS2000" in p.crs.name and "111E" in p.crs.name


def test_geographic_project_crs_is_refused_with_a_fix():
    with pytest.raises(ProjectError) as err:
        Project(crs="EPSG:4490")
    assert "EPSG:4546" in err.value.message("en") and "投影坐标系" in err.value.message("zh")
    with pytest.raises(ProjectError, match="not a coordinate reference system"):
        Project(crs="EPSG:99999999")


def test_layers_keep_order_and_announce_changes(project):
    seen = []
    project.events.connect(lambda e: seen.append((e.type, e.info.get("change"))))
    second = project.add_layer(VectorLayer("second", "communities", tiny_communities(2)), 0)
    assert project.names() == ["second", "communities"]
    project.move_layer("second", 5)
    assert project.names() == ["communities", "second"]
    second.visible = False
    second.opacity = 0.25
    project.remove_layer("second")
    assert [t for t, _ in seen] == ["layer_added", "layer_moved", "layer_changed",
                                    "layer_changed", "layer_removed"]
    assert seen[2][1] == "visible" and seen[3][1] == "opacity"
    second.visible = True  # no longer in the project: no event reaches it
    assert len(seen) == 5


def test_layer_property_checks(project):
    layer = project.layer("communities")
    with pytest.raises(ProjectError, match="opacity"):
        layer.opacity = 1.5
    with pytest.raises(ProjectError, match="empty"):
        layer.name = "  "
    with pytest.raises(ProjectError, match="exists already"):
        project.add_layer(VectorLayer("communities", "communities", tiny_communities(1)))
    with pytest.raises(ProjectError) as err:
        project.layer("nope")
    assert "communities" in err.value.message("en")
    with pytest.raises(ProjectError, match="unknown layer kind"):
        schema_for("rivers")


def test_geographic_layer_is_reprojected_on_add():
    p = Project()
    gdf = gpd.GeoDataFrame({"name": ["a"]}, geometry=[shapely.Point(111.29, 30.70)],
                           crs="EPSG:4490")
    layer = p.add_layer(VectorLayer("pts", "facilities", gdf))
    x, y = layer.gdf.geometry.iloc[0].coords[0]
    assert layer.crs.to_epsg() == 4546
    # 111.29E lies 0.29 degrees east of the central meridian 111E: about 27.7 km
    assert 527_000 < x < 528_500 and 3_396_000 < y < 3_399_000
    with pytest.raises(ProjectError, match="no coordinate reference system"):
        p.add_layer(VectorLayer("nocrs", "facilities", gdf.set_crs(None, allow_override=True)))


def test_every_kind_has_bilingual_labels():
    for schema in KINDS.values():
        assert schema.label("en") and schema.label("zh") and schema.label("en") != \
            schema.label("zh")
        for f in schema.fields:
            assert f.label_en and f.label_zh, (schema.kind, f.name)


def test_validation_names_layer_feature_and_field():
    gdf = tiny_communities(3)
    gdf.loc[1, "name"] = None
    gdf["households"] = pd.array([10, -5, 20], dtype="Int64")
    gdf["property_type"] = ["work_unit", "castle", None]
    gdf.loc[3, "geometry"] = shapely.Polygon([(X0, Y0), (X0 + 10, Y0 + 10), (X0 + 10, Y0),
                                              (X0, Y0 + 10)])  # bow-tie: invalid
    p = Project()
    p.add_layer(VectorLayer("小区", "communities", gdf))
    p.add_layer(VectorLayer("pts", "facilities", gpd.GeoDataFrame(
        {"name": ["x"], "service": ["spa"]}, geometry=[shapely.box(X0, Y0, X0 + 1, Y0 + 1)],
        crs="EPSG:4546")))
    issues = {(i.layer, i.fid, i.field): i for i in p.validate()}
    assert ("小区", 1, "name") in issues
    assert ("小区", 2, "households") in issues and "minimum" in \
        issues[("小区", 2, "households")].message("en")
    assert ("小区", 2, "property_type") in issues
    assert ("小区", 3, "geometry") in issues and "invalid" in \
        issues[("小区", 3, "geometry")].message("en")
    assert ("pts", 1, "service") in issues  # checked against the standards table
    assert ("pts", 1, "geometry") in issues  # a polygon on a point layer
    assert "不在允许范围内" in issues[("pts", 1, "service")].message("zh")


def test_standards_overrides_are_checked_and_applied():
    p = Project()
    p.set_standards_overrides({"life_circle_levels": {"5min": {"distance_m": 350}}})
    assert p.standards().value("life_circle_levels", "5min", "distance_m") == 350
    with pytest.raises(ProjectError):
        p.set_standards_overrides({"life_circle_levels": {"5min": {"distance_m": -1}}})
    assert p.standards().value("life_circle_levels", "5min", "distance_m") == 350
