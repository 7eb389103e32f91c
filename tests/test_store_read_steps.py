"""Reading a layer's geometries in steps (layers.store.tables.read_features) gives exactly the
frame a single pyogrio read gives: many small steps, steps cut by bytes, nulls, empty layers."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal

import layers.store.tables as tables
from layers.layer import VectorLayer
from layers.project import Project
from layers.store import open_project, save_project
from tests.conftest import X0, Y0


def _frame(n: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(3)
    xy = rng.uniform([X0, Y0], [X0 + 2000, Y0 + 2000], size=(n, 2))
    geometry = [shapely.Point(x, y).buffer(5 + (i % 7) * 40, quad_segs=2 + (i % 5) * 30)
                for i, (x, y) in enumerate(xy)]
    geometry[3] = None  # a feature without geometry
    gdf = gpd.GeoDataFrame({"name": [f"区{i}" for i in range(n)], "value": np.arange(n) * 1.5},
                           geometry=geometry, crs="EPSG:4546")
    gdf.index = np.arange(1, n + 1, dtype=np.int64)
    gdf.index.name = "fid"
    return gdf


@pytest.mark.parametrize("step, step_bytes", [(7, 10**9), (10**6, 3000), (1, 1)])
def test_stepped_reading_equals_one_read(tmp_path, monkeypatch, step, step_bytes):
    project = Project(metadata={"title": "steps"})
    project.add_layer(VectorLayer("areas", "other", _frame(200)))
    project.add_layer(VectorLayer("none", "other", _frame(5).iloc[0:0]))
    path = tmp_path / "steps.gpkg"
    save_project(project, path)
    monkeypatch.setattr(tables, "GEOMETRY_STEP", step)
    monkeypatch.setattr(tables, "GEOMETRY_STEP_BYTES", step_bytes)
    stepped = open_project(path)
    monkeypatch.setattr(tables, "USE_ARROW", False)  # pyogrio's own single read
    single = open_project(path)
    for a, b, original in zip(stepped.layers, single.layers, project.layers):
        assert_geodataframe_equal(a.gdf, b.gdf, check_dtype=True, check_index_type=True)
        assert_geodataframe_equal(a.gdf, original.gdf, check_dtype=True, check_index_type=True,
                                  check_less_precise=False)
    assert stepped.layers[0].gdf.geometry.isna().sum() == 1
