"""The project store under stress: odd names, hostile files, two processes, file modes
(issue 14). Every test here fails on a store that lacks the matching safeguard."""

from __future__ import annotations

import errno
import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import affine
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from conftest import REPO, X0, Y0, tiny_communities
from layers.commands import ChangeAttributes, RenameLayer
from layers.errors import EditError, ProjectError, ProjectFileError
from layers.layer import RasterLayer, TableLayer, VectorLayer
from layers.project import Project
from layers.store import autosave, open_project, save_project

ENV = dict(os.environ, PYTHONPATH=str(REPO))


def small_project(title: str = "安全测试") -> Project:
    """A vector layer, a table and a raster: every kind of table the store writes."""
    p = Project(metadata={"title": title})
    p.add_layer(RasterLayer("人口", "population", np.arange(12, dtype="float32").reshape(3, 4),
                            affine.Affine(100, 0, X0, 0, -100, Y0), "EPSG:4546", nodata=-1.0))
    p.add_layer(VectorLayer("communities", "communities", tiny_communities(5)))
    p.add_layer(TableLayer("进度", "programme_events", pd.DataFrame(
        {"community_fid": [2, 1], "status": ["reserve", "annual_plan"]})))
    return p


def saved(tmp_path: Path, project: Project | None = None, name: str = "p.gpkg") -> Path:
    path = tmp_path / name
    save_project(project or small_project(), path)
    return path


def assert_one_line_bilingual(err: ProjectError) -> None:
    en, zh = err.message("en"), err.message("zh")
    assert "\n" not in en and "\n" not in zh
    assert err.where and err.fix is not None
    assert any("\u4e00" <= c <= "\u9fff" for c in err.what.zh + err.fix.zh)
    assert "how to fix" in en and "解决办法" in zh


# --- 1. layer names that clash with the store's own tables ------------------------------
@pytest.mark.parametrize("name", ["precinct_project", "precinct_layers", "PRECINCT_RASTERS",
                                  "Precinct_Project", "gpkg_contents", "rtree_communities_geom",
                                  "sqlite_master", "precinct_project (2)"])
def test_any_layer_name_saves_and_loads_back_exactly(tmp_path, name, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    p = small_project()
    p.apply(RenameLayer(p.layer("communities").id, name))
    if name == "precinct_project (2)":  # the unique form of one name must not clash either
        p.apply(RenameLayer(p.layer("进度").id, "precinct_project"))
    path = saved(tmp_path, p)
    q = open_project(path)
    assert q.names() == p.names()
    assert len(q.layer(name)) == 5
    autosave(p)  # the recovery file is written the same way


def test_save_errors_name_the_real_cause(tmp_path, monkeypatch):
    import layers.store.gpkg as gpkg_mod

    path = saved(tmp_path)
    before = path.read_bytes()
    causes = [
        (OSError(errno.ENOSPC, "No space left on device"), "disk is full"),
        (PermissionError(errno.EACCES, "Permission denied"), "no permission"),
        (ValueError("a value GeoTIFF cannot hold"), "data the file cannot store"),
        (KeyError("band"), "data the file cannot store"),
    ]
    for exc, expected in causes:
        def boom(*args, exc=exc, **kwargs):
            raise exc

        monkeypatch.setattr(gpkg_mod, "_write_raster", boom)
        with pytest.raises(ProjectFileError) as err:
            save_project(small_project(), path)
        text = err.value.message("en")
        assert expected in text and "人口" in err.value.where, text
        if expected.startswith("data"):
            assert "writable" not in text and "disk" not in text
        assert_one_line_bilingual(err.value)
        assert path.read_bytes() == before
    assert sorted(f.name for f in tmp_path.iterdir()) == ["p.gpkg"]


# --- 2. field names and counts the file cannot hold --------------------------------------
def _geojson(path: Path, properties: dict, n: int = 3) -> Path:
    features = [{"type": "Feature", "properties": {k: (v if not isinstance(v, int) else v + i)
                                                   for k, v in properties.items()},
                 "geometry": {"type": "Point", "coordinates": [111.29 + i * 0.001, 30.70]}}
                for i in range(n)]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features},
                               ensure_ascii=False), encoding="utf-8")
    return path


def test_import_with_clashing_field_names_saves_and_reopens(tmp_path):
    from layers.importing import import_layer

    src = _geojson(tmp_path / "points.geojson", {
        "x": 1, "X": 10, "geom": "g", "GEOM": "G", "FID": 7, "Name": "甲", "NAME": "乙", "": 5})
    p = Project()
    report = import_layer(p, src, "other")
    gdf = p.layer("points").gdf
    notes = [n.en for n in report.notes]
    assert any("'X' renamed to 'X_2'" in n for n in notes), notes
    assert any("'NAME' renamed to 'NAME_2'" in n for n in notes), notes
    assert list(gdf["X_2"]) == [10, 11, 12] and list(gdf["x"]) == [1, 2, 3]
    assert list(gdf["NAME_2"]) == ["乙"] * 3 and list(gdf["Name"]) == ["甲"] * 3
    folded = [str(c).lower() for c in gdf.columns if c != "geometry"]
    assert len(folded) == len(set(folded)) and not {"fid", "geom"} & set(folded)
    path = saved(tmp_path, p)
    q = open_project(path)
    pd.testing.assert_frame_equal(pd.DataFrame(q.layer("points").gdf.drop(columns="geometry")),
                                  pd.DataFrame(gdf.drop(columns="geometry")))


def test_import_from_a_geopackage_with_a_geom_field(tmp_path):
    from layers.importing import import_layer

    src = tmp_path / "src.gpkg"
    frame = gpd.GeoDataFrame({"geom": ["a", "b"], "fid_text": ["1", "2"]},
                             geometry=[shapely.Point(X0, Y0), shapely.Point(X0 + 5, Y0)],
                             crs="EPSG:4546")
    frame.to_file(src, engine="pyogrio", layer="pts", GEOMETRY_NAME="shape")
    p = Project()
    import_layer(p, src, "other", layer_name="pts")
    assert list(p.layer("pts").gdf["geom_2"]) == ["a", "b"]
    q = open_project(saved(tmp_path, p))
    assert list(q.layer("pts").gdf["geom_2"]) == ["a", "b"]


def test_too_many_fields_are_refused_cleanly_and_the_most_are_kept(tmp_path):
    from layers.importing import import_layer
    from layers.store.limits import max_fields

    limit = max_fields()
    p = small_project()
    before = (p.names(), len(p.undo))
    wide = _geojson(tmp_path / "wide.geojson", {f"c{i}": i for i in range(limit + 1)}, n=2)
    with pytest.raises(ProjectError) as err:
        import_layer(p, wide, "other")
    assert str(limit) in err.value.message("en") and "wide.geojson" in err.value.where
    assert (p.names(), len(p.undo)) == before
    fits = _geojson(tmp_path / "fits.geojson", {f"c{i}": i for i in range(limit)}, n=2)
    import_layer(p, fits, "other")
    q = open_project(saved(tmp_path, p))
    assert len(q.layer("fits").gdf.columns) == limit + 1  # + geometry


def test_rename_layer_refuses_names_the_file_cannot_hold(tmp_path):
    p = small_project()
    layer = p.layer("communities")
    for bad in ("x" * 256, "a\x00b", "   "):
        with pytest.raises(EditError) as err:
            p.apply(RenameLayer(layer.id, bad))
        assert_one_line_bilingual(err.value)
    assert layer.name == "communities"
    p.apply(RenameLayer(layer.id, "y" * 255))
    assert open_project(saved(tmp_path, p)).names()[1] == "y" * 255


@pytest.mark.parametrize("columns, shown", [(["x", "X"], "'X' → 'X_2'"),
                                            (["geom"], "'geom' → 'geom_2'"),
                                            (["a\x00b"], "a\\x00b")])
def test_save_refuses_unwritable_fields_before_writing_anything(tmp_path, columns, shown):
    path = saved(tmp_path)
    before = path.read_bytes()
    gdf = tiny_communities(2)[["geometry"]]
    for i, col in enumerate(columns):
        gdf[col] = i
    p = small_project()
    p.add_layer(VectorLayer("odd", "other", gdf))
    with pytest.raises(ProjectFileError) as err:
        save_project(p, path)
    assert shown in err.value.message("en") and "odd" in err.value.where
    assert_one_line_bilingual(err.value)
    assert path.read_bytes() == before and sorted(os.listdir(tmp_path)) == ["p.gpkg"]


# --- 3. recovery files ---------------------------------------------------------------------
@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    """The user data folder, redirected so nothing touches the real home."""
    from layers.store.recovery import recovery_dir

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    folder = recovery_dir()
    assert tmp_path in folder.parents
    return folder


def test_each_untitled_project_has_its_own_recovery_file(data_dir):
    a, b = small_project("甲"), small_project("乙")
    ra, rb = autosave(a), autosave(b)
    assert ra != rb and ra.parent == rb.parent == data_dir
    assert open_project(ra).metadata["title"] == "甲" and open_project(rb).metadata["title"] == "乙"
    a.set_metadata(title="甲二")
    assert autosave(a) == ra and open_project(rb).metadata["title"] == "乙"
    recovered = open_project(ra)
    assert recovered.path is None  # never the recovery file itself
    assert autosave(recovered) == ra  # it keeps autosaving to the same file


def test_list_recoverable_tells_what_each_file_is(data_dir, tmp_path):
    from layers.store import list_recoverable

    untitled = small_project("未保存")
    autosave(untitled)
    path = saved(tmp_path)
    named = open_project(path)
    named.set_metadata(title="已保存")
    rec = autosave(named)
    later = time.time() + 5
    os.utime(rec, (later, later))
    (data_dir / "untitled-0000.recovery.gpkg").write_bytes(b"not a project")
    infos = {info.title: info for info in list_recoverable([path, tmp_path / "gone.gpkg"])}
    assert set(infos) == {"未保存", "已保存"}
    assert infos["未保存"].recovery_of is None and infos["未保存"].layer_count == 3
    assert infos["已保存"].recovery_of == path and infos["已保存"].path == rec
    assert not infos["未保存"].in_use
    assert abs(infos["未保存"].saved.timestamp() - time.time()) < 120


def test_saving_a_recovered_untitled_project_needs_a_name_and_cleans_up(data_dir, tmp_path):
    p = small_project()
    p.set_metadata(opened_as_import="/somewhere/else.gpkg")
    rec = autosave(p)
    recovered = open_project(rec)
    assert recovered.metadata["opened_from_recovery"] == str(rec)
    assert "opened_as_import" not in recovered.metadata  # transient keys are never written
    with pytest.raises(ProjectFileError, match="no file yet"):
        save_project(recovered)
    target = tmp_path / "named.gpkg"
    save_project(recovered, target)
    assert not rec.exists() and recovered.path == target
    con = sqlite3.connect(target)
    metadata = json.loads(con.execute(
        "SELECT value FROM precinct_project WHERE key='metadata'").fetchone()[0])
    con.close()
    assert not {"opened_from_recovery", "opened_as_import"} & set(metadata)


def test_a_declined_recovery_file_can_be_discarded(data_dir, tmp_path):
    from layers.store import discard_recovery_file, list_recoverable

    rec = autosave(small_project())
    assert discard_recovery_file(rec) and not rec.exists()
    assert list_recoverable() == []
    project_file = saved(tmp_path)
    with pytest.raises(ProjectFileError):
        discard_recovery_file(project_file)
    assert project_file.exists()


# --- 4. two processes at one file ------------------------------------------------------------
def _versioned(tmp_path: Path) -> Path:
    """Several tables, the one the child changes last: a torn read is likely without care."""
    p = small_project()
    p.remove_layer("communities")
    for i in range(4):
        p.add_layer(VectorLayer(f"extra {i}", "communities", tiny_communities(300)))
    p.add_layer(VectorLayer("communities", "communities", tiny_communities(300)))
    p.set_metadata(version=0)
    return saved(tmp_path, p)


@pytest.mark.slow
def test_opening_while_another_process_saves_gives_one_version(tmp_path, monkeypatch):
    path = _versioned(tmp_path)
    tries: list[bool] = []
    try:  # count the reads started again (for the record; the assertions do not need it)
        import layers.store.read as read_mod

        attempt = read_mod._attempt_read

        def counted(path, lock):
            tries.append(lock)
            return attempt(path, lock)

        monkeypatch.setattr(read_mod, "_attempt_read", counted)
    except ImportError:
        pass
    child = subprocess.Popen([sys.executable, str(REPO / "tests" / "store_child.py"), str(path)],
                             stdout=subprocess.PIPE, text=True, env=ENV)
    try:
        assert child.stdout.readline().startswith("saving")
        opens, versions, torn = 0, set(), []
        deadline = time.monotonic() + 40
        while (opens < 40 or len(versions) < 3) and time.monotonic() < deadline:
            q = open_project(path)
            version = int(q.metadata["version"])
            households = set(q.layer("communities").gdf["households"].tolist())
            if version > 0 and households != {version}:
                torn.append((version, sorted(households)[:3]))
            opens += 1
            versions.add(version)
    finally:
        child.kill()
        child.wait()
    print(f"\n{opens - len(torn)} of {opens} opens consistent, {len(versions)} versions seen, "
          f"{max(len(tries) - opens, 0)} reads started again ({sum(tries)} of them locked)")
    assert not torn, torn[:5]
    assert len(versions) >= 3  # the child really saved between the opens


def test_second_writer_gets_project_changed_on_disk(tmp_path):
    path = saved(tmp_path)
    children = [subprocess.Popen([sys.executable, str(REPO / "tests" / "store_safety_child.py"),
                                  str(path), name], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, text=True, env=ENV) for name in "ab"]
    a, b = children

    def ask(child, line: str) -> str:
        child.stdin.write(line + "\n")
        child.stdin.flush()
        return child.stdout.readline().strip()

    try:
        assert [c.stdout.readline().strip() for c in children] == ["opened", "opened"]
        assert ask(a, "save") == "saved"
        assert ask(b, "save") == "ProjectChangedOnDisk"
        assert open_project(path).metadata["writer"] == "a"  # a's save was not lost
        assert ask(b, "overwrite") == "saved"
        assert ask(a, "save") == "ProjectChangedOnDisk"
    finally:
        for child in children:
            child.stdin.close()
            child.wait(timeout=60)
    assert open_project(path).metadata["writer"] == "b"


def test_project_changed_on_disk_in_one_process(tmp_path):
    from layers.errors import ProjectChangedOnDisk

    path = saved(tmp_path)
    first, second = open_project(path), open_project(path)
    first.set_metadata(title="first")
    save_project(first)
    save_project(first)  # its own saves never conflict
    second.set_metadata(title="second")
    with pytest.raises(ProjectChangedOnDisk) as err:
        save_project(second)
    assert_one_line_bilingual(err.value)
    assert "another program" in err.value.message("en")
    assert open_project(path).metadata["title"] == "first"
    save_project(second, overwrite=True)
    assert open_project(path).metadata["title"] == "second"
    assert second.file_stamp is not None and second.undo.is_clean


# --- 5. what a save keeps of the file it replaces ---------------------------------------------
def test_save_writes_through_a_symlink(tmp_path):
    real_dir = tmp_path / "real"
    real_dir.mkdir()
    real = saved(real_dir, name="project.gpkg")
    link = tmp_path / "link.gpkg"
    link.symlink_to(real)
    p = open_project(link)
    p.set_metadata(title="through the link")
    save_project(p)
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert open_project(real).metadata["title"] == "through the link"
    assert sorted(os.listdir(tmp_path)) == ["link.gpkg", "real"]


def test_save_keeps_mode_and_owner(tmp_path):
    path = saved(tmp_path)
    os.chmod(path, 0o640)
    if os.geteuid() == 0:
        os.chown(path, 12345, 23456)
    save_project(open_project(path))
    st = os.stat(path)
    assert st.st_mode & 0o7777 == 0o640
    if os.geteuid() == 0:
        assert (st.st_uid, st.st_gid) == (12345, 23456)


def test_read_only_project_is_refused(tmp_path):
    path = saved(tmp_path)
    os.chmod(path, 0o444)
    before = path.read_bytes()
    p = open_project(path)
    p.set_metadata(title="changed")
    with pytest.raises(ProjectFileError) as err:
        save_project(p)
    assert "read-only" in err.value.message("en") and "只读" in err.value.message("zh")
    assert path.read_bytes() == before and os.stat(path).st_mode & 0o777 == 0o444


# --- 6. hostile project files ----------------------------------------------------------------
HOSTILE = {
    "metadata not JSON": "UPDATE precinct_project SET value='{not json' WHERE key='metadata'",
    "metadata nested 200000 deep": "UPDATE precinct_project SET value='" + "[" * 200_000
                                   + "]" * 200_000 + "' WHERE key='metadata'",
    "metadata a list": "UPDATE precinct_project SET value='[1, 2]' WHERE key='metadata'",
    "settings not a dict": "UPDATE precinct_project SET value='\"x\"' WHERE key='settings'",
    "settings a number": "UPDATE precinct_project SET value=5 WHERE key='settings'",
    "format_version not a number":
        "UPDATE precinct_project SET value='one' WHERE key='format_version'",
    "crs unknown": "UPDATE precinct_project SET value='EPSG:999999' WHERE key='crs'",
    "table is sqlite_master":
        "UPDATE precinct_layers SET table_name='sqlite_master' WHERE layer_type='vector'",
    "table is the store's own":
        "UPDATE precinct_layers SET table_name='precinct_project' WHERE layer_type='table'",
    "table not registered": "UPDATE precinct_layers SET table_name='nowhere' WHERE layer_type='vector'",
    # the population grid 人口 is the GeoPackage raster (gridded coverage) table layer_1
    "raster garbage": "UPDATE layer_1 SET tile_data=X'49492A00DEADBEEF00'",
    "raster missing": "DROP TABLE layer_1",
    "raster not a raster table": "UPDATE precinct_layers SET table_name='precinct_project' "
                                 "WHERE layer_type='raster'",
    "raster description not JSON": "UPDATE precinct_layers SET source='{oops' WHERE layer_type='raster'",
    "raster band count impossible": "UPDATE precinct_layers SET source="
                                    "'{\"storage\": \"coverage\", \"bands\": 9, \"dtype\": \"float32\"}' "
                                    "WHERE layer_type='raster'",
    "raster data type unknown": "UPDATE precinct_layers SET source="
                                "'{\"storage\": \"coverage\", \"bands\": 1, \"dtype\": \"complex\"}' "
                                "WHERE layer_type='raster'",
    "tile layer without a path": "UPDATE precinct_layers SET layer_type='tiles', source='{}' "
                                 "WHERE layer_type='raster'",
    "style nested deep": "UPDATE precinct_layers SET style='" + "[" * 200_000 + "'",
    "dtypes not pairs": "UPDATE precinct_layers SET dtypes='{\"a\": 1}' WHERE layer_type='vector'",
    "unknown layer type": "UPDATE precinct_layers SET layer_type='hologram'",
    "unknown kind": "UPDATE precinct_layers SET kind='dragons' WHERE layer_type='vector'",
    "opacity text": "UPDATE precinct_layers SET opacity='opaque'",
    "opacity out of range": "UPDATE precinct_layers SET opacity=7",
    "two layers one name": "UPDATE precinct_layers SET name='same'",
    "empty layer name": "UPDATE precinct_layers SET name=''",
    "no layer table": "DROP TABLE precinct_layers",
}


@pytest.fixture(scope="module")
def good_file(tmp_path_factory) -> bytes:
    return saved(tmp_path_factory.mktemp("good")).read_bytes()


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_project_gives_one_clear_error(tmp_path, good_file, case):
    path = tmp_path / "hostile.gpkg"
    path.write_bytes(good_file)
    con = sqlite3.connect(path)
    con.execute(HOSTILE[case])
    con.commit()
    con.close()
    started = time.monotonic()
    with pytest.raises(ProjectFileError) as err:
        open_project(path)
    assert time.monotonic() - started < 10
    assert str(path) in err.value.where
    assert_one_line_bilingual(err.value)


def test_unreadable_project_gives_one_clear_error(tmp_path, monkeypatch):
    import builtins

    path = saved(tmp_path)
    real_open, real_os_open = builtins.open, os.open

    def refuse(file, *args, **kwargs):
        if str(file) == str(path):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(file, *args, **kwargs)

    def refuse_os(file, *args, **kwargs):
        if str(file) == str(path):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_os_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", refuse)
    monkeypatch.setattr(os, "open", refuse_os)
    with pytest.raises(ProjectFileError) as err:
        open_project(path)
    assert "permission" in err.value.message("en")
    assert_one_line_bilingual(err.value)


def test_a_good_file_still_opens(tmp_path, good_file):
    """The hostile cases start from this file: it must open (else they prove nothing)."""
    path = tmp_path / "good.gpkg"
    path.write_bytes(good_file)
    q = open_project(path)
    assert q.names() == ["人口", "communities", "进度"]
    q.apply(ChangeAttributes(q.layer("communities").id, {1: {"households": 7}}))
    save_project(q)
    assert open_project(path).layer("communities").gdf.loc[1, "households"] == 7
