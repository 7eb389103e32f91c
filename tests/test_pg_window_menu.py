"""File → Open from server… / Save to server… (issue 20: "any command or dialog that takes a
project also takes postgresql://…"): a location typed in the window opens and saves a
project on the real PostGIS server; a password typed in it is never kept; a mistyped
location is one line and changes nothing."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import psycopg  # noqa: E402
import pytest  # noqa: E402
from PyQt5.QtWidgets import QAction, QInputDialog  # noqa: E402

from app.window.main import MainWindow  # noqa: E402
from layers.demo import build_sample_project  # noqa: E402
from layers.store import save_project  # noqa: E402
from layers.store.pglocation import PgLocation  # noqa: E402


def typed(*answers):
    """QInputDialog.getText answering ``answers`` in turn (None: cancel)."""
    queue = list(answers)

    def get_text(*_args, **_kwargs):
        answer = queue.pop(0)
        return ("", False) if answer is None else (answer, True)

    return get_text


def with_password(location: str, pg: PgLocation) -> str:
    """``location`` with a password typed into it for the user the tests connect as (the
    test server trusts that user, so the password is carried but not needed)."""
    from urllib.parse import urlsplit, urlunsplit

    with psycopg.connect(pg.conninfo) as con:
        user = con.execute("SELECT current_user").fetchone()[0]
    parts = urlsplit(location)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{user}:hunter2@{host}"))


def action(win, name: str) -> QAction:
    return next(a for a in win.findChildren(QAction) if a.objectName() == name)


def test_the_file_menu_opens_and_saves_a_server_project(qtbot, pg_location, monkeypatch, tmp_path):
    save_project(build_sample_project("small", 0), pg_location)
    pg = PgLocation(pg_location)
    win = MainWindow()
    qtbot.addWidget(win)
    file_menu = win.menuBar().actions()[0].menu()
    assert action(win, "action_open_server") in file_menu.actions()
    problems = []
    monkeypatch.setattr("app.window.server.show_problem", lambda parent, exc: problems.append(exc))
    # a mistyped location: said in one line, asked again; then the real one
    monkeypatch.setattr(QInputDialog, "getText", typed("gis.office/planning", pg_location))
    try:
        action(win, "action_open_server").trigger()
        assert len(problems) == 1 and "postgresql://" in problems[0].message()
        assert win.project.path == pg
        assert len(win.project.layer("communities").gdf) == 60
        # save to another schema on the same server, typed with a password in it
        target = with_password(f"{pg_location}_copy", pg)
        monkeypatch.setattr(QInputDialog, "getText", typed(target))
        action(win, "action_save_server").trigger()
        copy = PgLocation(target)
        with psycopg.connect(pg.conninfo) as con:
            n = con.execute(f'SELECT count(*) FROM "{copy.schema}".communities').fetchone()[0]
        assert n == 60 and win.project.path == copy
        assert str(win.recent.paths()[0]) == str(copy) and "hunter2" in target
        assert all("hunter2" not in p for p in win.recent.paths())
        assert "hunter2" not in win.windowTitle()
    finally:
        win.project.undo.set_clean()
        with psycopg.connect(pg.conninfo, autocommit=True) as con:
            con.execute(f'DROP SCHEMA IF EXISTS "{pg.schema}_copy" CASCADE')


def test_cancel_opens_nothing(qtbot, monkeypatch):
    win = MainWindow(build_sample_project("small", 0))
    qtbot.addWidget(win)
    before = win.project
    monkeypatch.setattr(QInputDialog, "getText", typed(None))
    action(win, "action_open_server").trigger()
    assert win.project is before
    win.project.undo.set_clean()


@pytest.mark.parametrize("text", ["", "C:/projects/city.gpkg", "service=team"])
def test_what_is_not_a_server_location_is_refused_clearly(text):
    from app.window.server import checked_location
    from layers.errors import ProjectError

    with pytest.raises(ProjectError) as caught:
        checked_location(text)
    assert "\n" not in caught.value.message()
