"""Projects anywhere in China: ``precinct new`` picks the CGCS2000 3-degree zone from the data
(or takes the CRS given), and analyses run there (issue 15, item 5)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from pyproj import CRS

from app.cli.main import main
from layers.coverage import compute_coverage
from layers.crs_zones import cgcs2000_zone
from layers.demo import build_sample_project
from layers.store import open_project

# the sample city (Yichang, 111.3°E) moved to Shanghai (121.47°E) and Beijing (116.40°E)
PLACES = {"shanghai": (121.47, 31.23, "EPSG:4549"), "beijing": (116.40, 39.90, "EPSG:4548")}
KINDS = ("communities", "facilities", "streets")


@pytest.fixture(scope="module")
def sample():
    return build_sample_project("small", 0)


def moved_files(sample, folder, lon, lat, epsg):
    """Write the sample's communities, facilities and streets as lon/lat GeoJSON, moved in
    metres (shapes unchanged) so that the city's centre lies at (lon, lat) in zone ``epsg``."""
    from pyproj import Transformer

    files = {}
    x0, y0 = sample.layers_of_kind("communities")[0].gdf.union_all().centroid.coords[0]
    x1, y1 = Transformer.from_crs("EPSG:4326", epsg, always_xy=True).transform(lon, lat)
    for kind in KINDS:
        gdf = sample.layers_of_kind(kind)[0].gdf
        moved = gdf.set_geometry(gdf.geometry.translate(x1 - x0, y1 - y0)).set_crs(
            epsg, allow_override=True).to_crs("EPSG:4326")
        path = folder / f"{kind}.geojson"
        moved.to_file(path, driver="GeoJSON")
        files[kind] = path
    return files


@pytest.mark.parametrize("place", sorted(PLACES))
def test_new_project_takes_the_zone_of_the_data_and_coverage_runs_there(sample, tmp_path, place,
                                                                       capsys):
    lon, lat, epsg = PLACES[place]
    files = moved_files(sample, tmp_path, lon, lat, epsg)
    project_path = tmp_path / f"{place}.gpkg"
    assert main(["new", str(project_path), "--crs", "auto", "--from", str(files["communities"]),
                 "--kind", "communities", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["crs"] == epsg and out["crs_chosen"] == "from data"
    # checked by the data's longitude: the zone's central meridian is within 1.5°
    central = CRS.from_user_input(epsg).to_dict()["lon_0"]
    assert abs(lon - central) <= 1.5
    for kind in ("facilities", "streets"):
        assert main(["import", str(project_path), str(files[kind]), "--kind", kind]) == 0
    project = open_project(project_path)
    assert CRS.from_user_input(epsg).equals(project.crs)
    here = compute_coverage(project, ["elder_care"], "300,500,1000", "network")
    home = compute_coverage(sample, ["elder_care"], "300,500,1000", "network")
    # the same city in another zone: the same walking distances (within 1 m)
    near_here = here.table.filter(like="nearest").to_numpy(dtype=float)
    near_home = home.table.filter(like="nearest").to_numpy(dtype=float)
    assert near_here.shape == near_home.shape and near_here.size
    finite = ~np.isnan(near_home)
    assert (finite == ~np.isnan(near_here)).all()
    assert np.abs(near_here[finite] - near_home[finite]).max() < 1.0


def test_new_project_with_a_given_crs_and_no_data(tmp_path, capsys):
    path = tmp_path / "guangzhou.gpkg"
    assert main(["new", str(path), "--crs", "EPSG:4547", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["crs"] == "EPSG:4547"
    assert open_project(path).crs.to_epsg() == 4547


def test_new_never_overwrites_and_refuses_a_geographic_crs(tmp_path, capsys):
    path = tmp_path / "exists.gpkg"
    assert main(["new", str(path), "--crs", "EPSG:4546"]) == 0
    before = path.read_bytes()
    assert main(["new", str(path), "--crs", "EPSG:4546"]) == 1
    assert path.read_bytes() == before
    assert main(["new", str(tmp_path / "deg.gpkg"), "--crs", "EPSG:4490"]) == 1
    err = capsys.readouterr().err
    assert "exists already" in err and "geographic" in err and not (tmp_path / "deg.gpkg").exists()


def test_the_first_import_places_an_auto_project(sample, tmp_path, capsys):
    lon, lat, epsg = PLACES["shanghai"]
    files = moved_files(sample, tmp_path, lon, lat, epsg)
    path = tmp_path / "later.gpkg"
    assert main(["new", str(path)]) == 0
    assert main(["import", str(path), str(files["streets"]), "--kind", "streets"]) == 0
    project = open_project(path)
    assert project.crs.to_epsg() == int(epsg.split(":")[1])
    assert "crs_auto" not in project.metadata


@pytest.mark.parametrize("lon, epsg", [(75.2, "EPSG:4534"), (111.29, "EPSG:4546"),
                                       (113.26, "EPSG:4547"), (126.6, "EPSG:4551"),
                                       (134.9, "EPSG:4554")])
def test_zone_table(lon, epsg):
    assert cgcs2000_zone(lon) == epsg
    assert abs(CRS.from_user_input(epsg).to_dict()["lon_0"] - lon) <= 1.5
