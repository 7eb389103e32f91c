"""The PostGIS project store (issue 20): a project is a schema; GeoPackage → PostGIS →
GeoPackage loses nothing; QGIS opens the schema's layers with our styles; a save is one
transaction; another client's save is noticed; passwords never shown or stored.

Needs a PostgreSQL server with PostGIS (tests/pg_server.py): these tests FAIL without one.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import psycopg
import pytest

from layers.demo import build_sample_project
from layers.errors import ProjectChangedOnDisk, ProjectFileError
from layers.store import open_project, save_project
from layers.store.pglocation import PgLocation
from layers.store.postgis import PgStamp

pytestmark = pytest.mark.postgis
REPO = Path(__file__).resolve().parents[1]


def assert_same_project(a, b) -> None:
    """Everything a project holds, compared field by field (the reference is ``a``)."""
    assert a.crs == b.crs
    assert a.settings == b.settings
    assert {k: v for k, v in a.metadata.items()} == b.metadata
    assert [(la.name, la.kind, la.layer_type, la.id, la.visible, la.opacity) for la in a.layers] \
        == [(lb.name, lb.kind, lb.layer_type, lb.id, lb.visible, lb.opacity) for lb in b.layers]
    for la, lb in zip(a.layers, b.layers):
        assert la.style == lb.style, la.name
        if la.layer_type == "vector":
            attrs_a = pd.DataFrame(la.gdf.drop(columns="geometry"))
            attrs_b = pd.DataFrame(lb.gdf.drop(columns="geometry"))
            pd.testing.assert_frame_equal(attrs_a, attrs_b)  # values, dtypes, fids, order
            assert list(la.gdf.geometry.to_wkb()) == list(lb.gdf.geometry.to_wkb()), la.name
            assert la.gdf.crs == lb.gdf.crs
        elif la.layer_type == "table":
            pd.testing.assert_frame_equal(la.df, lb.df)
        elif la.layer_type == "raster":
            assert (la.array == lb.array).all() and la.array.dtype == lb.array.dtype
            assert la.transform == lb.transform and la.nodata == lb.nodata


def _round_trip(scale: str, tmp_path: Path, pg_location: str) -> None:
    first = tmp_path / "first.gpkg"
    save_project(build_sample_project(scale, 0), first)
    reference = open_project(first)
    save_project(reference, pg_location)
    from_db = open_project(pg_location)
    assert isinstance(from_db.path, PgLocation) and isinstance(from_db.file_stamp, PgStamp)
    assert_same_project(reference, from_db)
    back = tmp_path / "back.gpkg"
    save_project(from_db, back)
    assert_same_project(reference, open_project(back))


def test_small_sample_round_trip_gpkg_postgis_gpkg(tmp_path, pg_location):
    _round_trip("small", tmp_path, pg_location)


@pytest.mark.slow
def test_city_sample_round_trip_gpkg_postgis_gpkg(tmp_path, pg_location):
    _round_trip("city", tmp_path, pg_location)


def test_schema_has_typed_tables_with_fid_keys_and_spatial_indexes(pg_location):
    project = build_sample_project("small", 0)
    save_project(project, pg_location)
    pg = PgLocation(pg_location)
    with psycopg.connect(pg.conninfo) as con:
        types = dict(con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = %s AND table_name = 'communities'", (pg.schema,)).fetchall())
        geometry = con.execute(
            "SELECT type, srid FROM geometry_columns WHERE f_table_schema = %s "
            "AND f_table_name = 'communities'", (pg.schema,)).fetchone()
        indexes = [r[0] for r in con.execute(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = %s AND tablename = 'communities'",
            (pg.schema,)).fetchall()]
        count = con.execute(f'SELECT count(*) FROM "{pg.schema}".communities').fetchone()[0]
    # the GeoPackage's column types, as PostgreSQL types
    assert types["fid"] == "bigint"
    assert types["households"] == "bigint"          # Int64
    assert types["willingness"] == "double precision"
    assert types["shantytown"] == "boolean"
    assert types["name"] == "text"
    assert geometry == ("POLYGON", 4546)
    assert any("USING gist (geom)" in d for d in indexes)
    assert any("UNIQUE" in d and "(fid)" in d for d in indexes)  # the primary key
    assert count == len(project.layer("communities"))


def test_qgis_opens_the_schema_with_our_style(pg_location, pg_server):
    """Debian's QGIS (system python3) opens the communities table through its PostgreSQL
    provider and builds its renderer from our layer_styles row (not a default style)."""
    project = build_sample_project("small", 0)
    save_project(project, pg_location)
    pg = PgLocation(pg_location)
    with psycopg.connect(pg.conninfo) as con:
        dbname = con.info.dbname
        qml, geom = con.execute(
            "SELECT styleqml, f_geometry_column FROM public.layer_styles "
            "WHERE f_table_schema = %s AND f_table_name = 'parcels'", (pg.schema,)).fetchone()
    host = psycopg.conninfo.conninfo_to_dict(pg.conninfo).get("host", "")
    run = subprocess.run(["/usr/bin/python3", str(REPO / "tests" / "qgis_open_pg.py"), dbname,
                          pg.schema, "parcels", geom, host],
                         capture_output=True, text=True, timeout=180)
    lines = [line for line in run.stdout.splitlines() if line.startswith("{")]
    assert lines, run.stdout + run.stderr
    info = json.loads(lines[-1])
    assert "error" not in info, info
    assert info["valid"] and info["count"] == len(project.layer("parcels"))
    assert info["crs"] == "EPSG:4546"
    assert info["style_loaded"], info
    # what our QML says, read independently of the code that wrote it
    renderer = ET.fromstring(qml.split(">", 1)[1]).find("renderer-v2")
    assert info["renderer"] == renderer.get("type") == "categorizedSymbol"
    assert info["field"] == renderer.get("attr")
    ours = []
    for symbol in renderer.find("symbols"):
        prop = {p.get("k"): p.get("v") for p in symbol.iter("prop")}
        r, g, b = (int(v) for v in prop["color"].split(",")[:3])
        ours.append(f"#{r:02x}{g:02x}{b:02x}")
    assert sorted(info["colours"]) == sorted(ours)


def test_failed_save_leaves_the_old_project(pg_location, monkeypatch):
    project = build_sample_project("small", 0)
    save_project(project, pg_location)
    before = open_project(pg_location)
    project.metadata["title"] = "changed"
    import layers.store.pgstyles as pgstyles

    def fail(*args, **kwargs):
        raise psycopg.OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(pgstyles, "write_styles", fail)  # after every table was written
    with pytest.raises(ProjectFileError):
        save_project(project, pg_location, overwrite=True)
    assert_same_project(before, open_project(pg_location))


_KILLED_CHILD = """
import sys, time
import layers.store.pgwrite as pgwrite
from layers.demo import build_sample_project
from layers.store import save_project
real = pgwrite.write_vector
def slow(*args, **kwargs):
    out = real(*args, **kwargs)
    print("WROTE", args[2], flush=True)
    time.sleep(60)
    return out
pgwrite.write_vector = slow
project = build_sample_project("small", 1)
project.metadata["title"] = "half-saved"
save_project(project, sys.argv[1], overwrite=True)
"""


def test_killed_client_leaves_the_old_project(pg_location):
    save_project(build_sample_project("small", 0), pg_location)
    before = open_project(pg_location)
    child = subprocess.Popen([sys.executable, "-c", _KILLED_CHILD, pg_location], cwd=REPO,
                             stdout=subprocess.PIPE, text=True)
    try:
        line = child.stdout.readline()
        assert line.startswith("WROTE"), line  # a layer table is written, not committed
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=30)
    deadline = time.monotonic() + 30
    while True:  # the server ends the dead client's transaction when it sees the socket close
        try:
            after = open_project(pg_location)
            break
        except ProjectFileError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    assert after.metadata.get("title") != "half-saved"
    assert_same_project(before, after)


def test_another_clients_save_is_noticed(pg_location):
    save_project(build_sample_project("small", 0), pg_location)
    mine, theirs = open_project(pg_location), open_project(pg_location)
    theirs.metadata["title"] = "theirs"
    save_project(theirs)
    mine.metadata["title"] = "mine"
    with pytest.raises(ProjectChangedOnDisk) as caught:
        save_project(mine)
    assert "another planner saved" in str(caught.value)
    assert open_project(pg_location).metadata["title"] == "theirs"
    save_project(mine, overwrite=True)
    assert open_project(pg_location).metadata["title"] == "mine"


def test_passwords_are_never_shown_or_stored(pg_server):
    pg = PgLocation("postgresql://alice:s3cret@db.example:5433/city?schema=a&sslmode=require")
    assert "s3cret" not in str(pg) and "s3cret" not in repr(pg)
    assert str(pg) == "postgresql://alice@db.example:5433/city?sslmode=require&schema=a"
    assert "s3cret" in pg.conninfo and "schema" not in pg.conninfo
    keywords = PgLocation("service=team password=s3cret schema=city")
    assert keywords.schema == "city" and "s3cret" not in str(keywords)
    # a server that is not there: the message names the place without the password
    with pytest.raises(ProjectFileError) as caught:
        open_project("postgresql://alice:s3cret@127.0.0.1:1/city?schema=a&connect_timeout=2")
    assert "s3cret" not in str(caught.value) and "127.0.0.1:1" in str(caught.value)


def test_password_in_the_location_is_not_saved(pg_server, tmp_path):
    from tests.pg_server import drop_schema, new_schema

    base = PgLocation(new_schema(pg_server))
    info = psycopg.conninfo.conninfo_to_dict(base.conninfo)
    user = info.get("user") or psycopg.connect(base.conninfo).info.user
    host = info.get("host") or "/var/run/postgresql"
    location = (f"postgresql://{user}:s3cret@/{info.get('dbname', 'precinct_test')}"
                f"?host={host}&schema={base.schema}")
    try:
        project = build_sample_project("small", 0)
        save_project(project, location)
        assert "s3cret" not in str(project.path)
        with psycopg.connect(base.conninfo) as con:
            dump = json.dumps([con.execute(
                f'SELECT * FROM "{base.schema}".{t}').fetchall()
                for t in ("precinct_project", "precinct_layers")], default=str)
        assert "s3cret" not in dump
        out = subprocess.run([sys.executable, "-m", "app.cli", "info", location], cwd=REPO,
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        assert "s3cret" not in out.stdout + out.stderr and base.schema in out.stdout
    finally:
        drop_schema(location)


def test_missing_schema_and_foreign_schema_are_refused(pg_server, pg_location):
    with pytest.raises(ProjectFileError, match="no schema"):
        PgLocation(pg_server)
    with pytest.raises(ProjectFileError, match="no Precinct Planner project"):
        open_project(pg_location)
    pg = PgLocation(pg_location)
    with psycopg.connect(pg.conninfo) as con:
        con.execute(f'CREATE SCHEMA "{pg.schema}"')
        con.execute(f'CREATE TABLE "{pg.schema}".survey (id int)')
    with pytest.raises(ProjectFileError, match="not a Precinct Planner project"):
        save_project(build_sample_project("small", 0), pg_location)


def test_precinct_copy_cli_both_ways(tmp_path, pg_location):
    source, back = tmp_path / "src.gpkg", tmp_path / "back.gpkg"
    save_project(build_sample_project("small", 0), source)

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "app.cli", "copy", *args, "--json"],
                              cwd=REPO, capture_output=True, text=True, timeout=300)

    there = cli(str(source), pg_location)
    assert there.returncode == 0, there.stderr
    assert json.loads(there.stdout)["layers"]["communities"] == 60
    again = cli(str(source), pg_location)  # a project is there: refused without --overwrite
    assert again.returncode == 1 and "--overwrite" in again.stderr
    assert cli(str(source), pg_location, "--overwrite").returncode == 0
    home = cli(pg_location, str(back))
    assert home.returncode == 0, home.stderr
    assert_same_project(open_project(source), open_project(back))
