"""The PostgreSQL/PostGIS server the ``postgis`` tests use.

``PRECINCT_TEST_PG`` names it (``postgresql://user@host/db``; the tests add their own
``?schema=``). Without it the tests use the local Unix socket's ``precinct_test`` database;
when that server is not running and Debian's cluster tools are installed, the session
starts it with ``.ci/postgres-up`` (what ``.ci/run`` does first). When still no server
answers, each test that needs it FAILS with what to do — never a skip.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_URL = "postgresql:///precinct_test"
SET_UP = REPO / ".ci" / "postgres-up"


def server_url() -> str:
    return os.environ.get("PRECINCT_TEST_PG") or DEFAULT_URL


def reachable(url: str) -> str | None:
    """None when ``url`` answers and has PostGIS; else why not."""
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=5) as con:
            con.execute("SELECT postgis_version()")
    except psycopg.Error as exc:
        return " ".join(str(exc).split())[:300]
    return None


def ensure_server() -> str:
    """The server's URL, started if need be; raises RuntimeError with a clear message."""
    url = server_url()
    problem = reachable(url)
    if problem is None:
        return url
    if "PRECINCT_TEST_PG" not in os.environ and SET_UP.exists():
        run = subprocess.run(["bash", str(SET_UP)], capture_output=True, text=True, timeout=120)
        problem = reachable(url)
        if problem is None:
            return url
        problem += f"; .ci/postgres-up said: {(run.stdout + run.stderr).strip()[-300:]}"
    raise RuntimeError(
        f"no PostgreSQL/PostGIS server for the postgis tests at {url} ({problem}). Install "
        ".ci/apt-packages.txt (postgresql-15-postgis-3) and run `bash .ci/postgres-up` as root, "
        "or set PRECINCT_TEST_PG=postgresql://user@host/db to a database with PostGIS")


def new_schema(url: str, prefix: str = "t") -> str:
    """A project location in a fresh schema name of the test database."""
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}schema={prefix}_{uuid.uuid4().hex[:10]}"


def drop_schema(location: str) -> None:
    import psycopg

    from layers.store.pglocation import PgLocation
    from layers.store.pgstyles import drop_styles

    pg = PgLocation(location)
    with psycopg.connect(pg.conninfo) as con, con.cursor() as cur:
        cur.execute(f'DROP SCHEMA IF EXISTS "{pg.schema}" CASCADE')
        drop_styles(cur, pg.schema)
