"""Concurrent editing of one PostGIS project (issue 20.2), with real processes: the second
save finds exactly the feature both changed, resolves it as chosen (mine / theirs /
merge), loses nothing; a third app hears of each save; ten apps saving disjoint edits at
once all land. Expected values are read from the server with plain SQL, not our reader.

Needs the PostgreSQL/PostGIS server (tests/pg_server.py): these tests FAIL without one.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from layers.demo import build_sample_project
from layers.store import save_project
from layers.store.pglocation import PgLocation

pytestmark = pytest.mark.postgis
REPO = Path(__file__).resolve().parents[1]


class App:
    """One planner's app in its own process (tests/store_edit_child.py)."""

    def __init__(self, location: str) -> None:
        self.proc = subprocess.Popen([sys.executable, str(REPO / "tests" / "store_edit_child.py"),
                                      location], cwd=REPO, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True,
                                     env={**__import__("os").environ, "PYTHONPATH": str(REPO)})

    def ready(self) -> None:
        assert self.answer() == {"opened": True}

    def send(self, **cmd) -> None:
        self.proc.stdin.write(json.dumps(cmd, ensure_ascii=False) + "\n")
        self.proc.stdin.flush()

    def answer(self) -> dict:
        line = self.proc.stdout.readline()
        assert line, f"the child ended (code {self.proc.poll()})"
        return json.loads(line)

    def ask(self, **cmd) -> dict:
        self.send(**cmd)
        return self.answer()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(timeout=30)


def rows(location: str, fids: list[int]) -> dict[int, tuple]:
    """(name, households) of communities straight from the server."""
    pg = PgLocation(location)
    with psycopg.connect(pg.conninfo) as con:
        return {f: (n, h) for f, n, h in con.execute(
            f'SELECT fid, name, households FROM "{pg.schema}".communities '
            "WHERE fid = ANY(%s)", (fids,)).fetchall()}


@pytest.mark.parametrize("choice", ["mine", "theirs", "merge"])
def test_second_save_finds_the_shared_community_and_resolves_it(pg_location, choice):
    save_project(build_sample_project("small", 0), pg_location)
    shared, only_a, only_b = 1, 2, 3
    before = rows(pg_location, [shared, only_a, only_b])
    apps = [App(pg_location) for _ in range(3)]
    a, b, watcher = apps
    try:
        for app in apps:
            app.ready()
        assert watcher.ask(op="listen") == {"ok": True}
        a.ask(op="edit", layer="communities",
              values={shared: {"households": 101}, only_a: {"households": 202}})
        b.ask(op="edit", layer="communities",
              values={shared: {"name": "B改名"}, only_b: {"households": 303}})
        assert a.ask(op="save") == {"saved": True}
        heard = watcher.ask(op="poll", wait=5)["notices"]
        assert [n["layers"] for n in heard] == [{"communities": 2}]

        refused = b.ask(op="save")
        assert refused["error"] == "ProjectConflicts"
        assert refused["conflicts"] == [["communities", shared, "B改名"]]  # exactly the shared one
        assert "\n" not in refused["message"] and f"communities fid {shared}" in refused["message"]
        assert rows(pg_location, [shared, only_b]) == {  # nothing of B's was written
            shared: (before[shared][0], 101), only_b: before[only_b]}

        b.ask(op="resolve", choices=[["communities", shared, choice]])
        assert b.ask(op="save") == {"saved": True}
        assert len(watcher.ask(op="poll", wait=5)["notices"]) == 1
        expected_shared = {"mine": ("B改名", before[shared][1]),   # B's whole version
                           "theirs": (before[shared][0], 101),      # A's
                           "merge": ("B改名", 101)}[choice]         # B's name, A's households
        assert rows(pg_location, [shared, only_a, only_b]) == {
            shared: expected_shared, only_a: (before[only_a][0], 202),
            only_b: (before[only_b][0], 303)}
    finally:
        for app in apps:
            app.close()


def test_ten_clients_saving_disjoint_edits_at_once_lose_nothing(pg_location):
    save_project(build_sample_project("small", 0), pg_location)
    apps = [App(pg_location) for _ in range(10)]
    try:
        for app in apps:
            app.ready()
        for i, app in enumerate(apps):
            app.ask(op="edit", layer="communities", values={10 + i: {"households": 5000 + i}})
        for app in apps:  # all ten save at once
            app.send(op="save")
        assert [app.answer() for app in apps] == [{"saved": True}] * 10
    finally:
        for app in apps:
            app.close()
    after = rows(pg_location, list(range(10, 20)))
    assert {f: h for f, (_n, h) in after.items()} == {10 + i: 5000 + i for i in range(10)}
