"""A project opened from PostGIS keeps one connection for its saves (issue 20: saving one
feature fast); a dropped connection is replaced; a failed or killed save of a few rows
leaves the server's rows as they were and the project still knows they are unsaved.

Values are read back with plain SQL. Needs the PostgreSQL/PostGIS server
(tests/pg_server.py): these tests FAIL without one.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from layers.commands import ChangeAttributes
from layers.demo import build_sample_project
from layers.errors import ProjectFileError
from layers.store import open_project, save_project
from layers.store.pglocation import PgLocation
from layers.store.pgsession import release, session_of

pytestmark = pytest.mark.postgis
REPO = Path(__file__).resolve().parents[1]


def households(location: str, fid: int) -> int:
    pg = PgLocation(location)
    with psycopg.connect(pg.conninfo) as con:
        return con.execute(f'SELECT households FROM "{pg.schema}".communities WHERE fid = %s',
                           (fid,)).fetchone()[0]


def backend_alive(location: str, pid: int) -> bool:
    with psycopg.connect(PgLocation(location).conninfo) as con:
        return con.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s",
                           (pid,)).fetchone()[0] == 1


def edit(project, fid: int, value: int) -> None:
    layer = project.layer("communities")
    project.apply(ChangeAttributes(layer.id, {fid: {"households": value}}))


def pid_of(project) -> int:
    return session_of(project).connection().info.backend_pid


@pytest.fixture
def opened(pg_location):
    save_project(build_sample_project("small", 0), pg_location)
    project = open_project(pg_location)
    yield project
    release(project)


def test_saves_go_through_the_connection_the_project_was_read_with(opened, pg_location):
    pid = pid_of(opened)
    for i, fid in enumerate((1, 2, 3)):
        edit(opened, fid, 4100 + i)
        save_project(opened)
        assert pid_of(opened) == pid
    assert [households(pg_location, f) for f in (1, 2, 3)] == [4100, 4101, 4102]
    release(opened)
    assert not backend_alive(pg_location, pid)  # closed with the project


def test_a_connection_the_server_dropped_is_replaced(opened, pg_location):
    pid = pid_of(opened)
    with psycopg.connect(PgLocation(pg_location).conninfo, autocommit=True) as con:
        assert con.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0]
    edit(opened, 4, 4444)
    save_project(opened)
    assert households(pg_location, 4) == 4444
    assert pid_of(opened) != pid
    edit(opened, 5, 5555)  # and it goes on with the new connection
    save_project(opened)
    assert households(pg_location, 5) == 5555


def test_a_save_failing_after_its_writes_leaves_the_rows_and_keeps_them_unsaved(
        opened, pg_location, monkeypatch):
    import layers.store.pgnotify as pgnotify

    before = households(pg_location, 6)
    edit(opened, 6, 6666)
    real = pgnotify.notify

    def fail(*args, **kwargs):  # after the DELETE and INSERT were queued
        raise psycopg.OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(pgnotify, "notify", fail)
    with pytest.raises(ProjectFileError):
        save_project(opened)
    assert households(pg_location, 6) == before
    assert not opened.undo.is_clean
    monkeypatch.setattr(pgnotify, "notify", real)
    save_project(opened)  # the row is still a change to write
    assert households(pg_location, 6) == 6666


_KILLED_CHILD = """
import sys, time
import layers.store.pgnotify as pgnotify
from layers.commands import ChangeAttributes
from layers.store import open_project, save_project
real = pgnotify.notify
def notify_then_wait(cur, *args):
    real(cur, *args)
    cur.execute("SELECT 1")
    cur.fetchall()  # the pipeline's writes are now done on the server, not committed
    print("WROTE", flush=True)
    time.sleep(60)
pgnotify.notify = notify_then_wait
project = open_project(sys.argv[1])
layer = project.layer("communities")
project.apply(ChangeAttributes(layer.id, {7: {"households": 7777}}))
save_project(project)
"""


def test_a_client_killed_in_a_save_of_one_row_leaves_the_old_row(pg_location):
    save_project(build_sample_project("small", 0), pg_location)
    before = households(pg_location, 7)
    child = subprocess.Popen([sys.executable, "-c", _KILLED_CHILD, pg_location], cwd=REPO,
                             stdout=subprocess.PIPE, text=True,
                             env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        line = child.stdout.readline()
        assert line.startswith("WROTE"), line
        pg = PgLocation(pg_location)
        with psycopg.connect(pg.conninfo) as con:  # the other transaction's row is locked
            con.execute("SET lock_timeout = '200ms'")
            with pytest.raises(psycopg.errors.LockNotAvailable):
                con.execute(f'SELECT 1 FROM "{pg.schema}".communities WHERE fid = 7 FOR UPDATE')
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=30)
    assert households(pg_location, 7) == before
    deadline = time.monotonic() + 30
    project = open_project(pg_location)
    while True:  # the server rolls the dead client's transaction back when it notices
        try:
            edit(project, 7, 7070)
            save_project(project)
            break
        except ProjectFileError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    assert households(pg_location, 7) == 7070
    release(project)


def test_many_edited_rows_are_copied_in_one_transaction(opened, pg_location):
    from layers.commands import AddFeatures

    layer = opened.layer("communities")
    fids = [int(f) for f in layer.gdf.index]
    opened.apply(ChangeAttributes(layer.id, {f: {"households": 9000 + f} for f in fids}))
    added = layer.gdf.iloc[:10].copy()
    added.index = range(layer.next_fid(), layer.next_fid() + 10)
    opened.apply(AddFeatures(layer.id, added))
    new_fids = [int(f) for f in layer.gdf.index if f not in fids]
    assert len(fids) + len(new_fids) > 64  # more than the pipeline's few rows: the COPY path
    pg = PgLocation(pg_location)
    with psycopg.connect(pg.conninfo) as con:
        rev = con.execute(f'SELECT last_value FROM "{pg.schema}".precinct_rev').fetchone()[0]
    save_project(opened)
    with psycopg.connect(pg.conninfo) as con:
        rows = dict(con.execute(f'SELECT fid, households FROM "{pg.schema}".communities '
                                "WHERE pp_rev > %s", (rev,)).fetchall())
    assert rows == {**{f: 9000 + f for f in fids},
                    **{f: int(layer.gdf.loc[f, "households"]) for f in new_fids}}
    edit(opened, new_fids[0], 1)  # the revisions came back: the next save finds no conflict
    save_project(opened)
    assert households(pg_location, new_fids[0]) == 1


def test_a_one_row_save_is_one_transaction_in_two_round_trips(opened, pg_location, tmp_path):
    """libpq's own trace of the save: the client waits for the server twice (a Sync each):
    the locks and revisions, then the writes with NOTIFY and COMMIT."""
    edit(opened, 9, 909)
    con = session_of(opened).connection()
    trace = tmp_path / "trace.txt"
    with open(trace, "w") as out:
        con.pgconn.trace(out.fileno())
        save_project(opened)
        con.pgconn.untrace()
    sent = [line.split("\t") for line in trace.read_text().splitlines()]
    sent = [fields for fields in sent if len(fields) > 3 and fields[1] == "F"]
    syncs = [fields for fields in sent if fields[3] == "Sync"]
    statements = [fields[4].split('"')[3] for fields in sent if fields[3] == "Parse"]
    assert len(syncs) == 2
    assert statements[0] == "BEGIN" and statements[-1] == "COMMIT"
    assert sum(s.startswith("INSERT") for s in statements) == 1  # the one row
    assert households(pg_location, 9) == 909
