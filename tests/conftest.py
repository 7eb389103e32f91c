"""Shared fixtures. Qt runs offscreen; core tests never need a display."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PRECINCT_LANG", "en")
# the app's settings (recent files, language) go to a throw-away folder, not the user's
os.environ["XDG_CONFIG_HOME"] = __import__("tempfile").mkdtemp(prefix="precinct-config-")
# recovery files of untitled projects and the problem log: a throw-away folder too
os.environ["XDG_DATA_HOME"] = __import__("tempfile").mkdtemp(prefix="precinct-data-")
os.environ.setdefault("PRECINCT_LOG_DIR", __import__("tempfile").mkdtemp(prefix="precinct-log-"))

import geopandas as gpd  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import shapely  # noqa: E402

from layers.layer import VectorLayer  # noqa: E402
from layers.project import Project  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
X0, Y0 = 528_000.0, 3_397_000.0  # EPSG:4546, near Xiling district, Yichang


def shared_data(*parts: str) -> Path:
    """A file from ../shared/data, or skip the test with a clear reason."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared test data not available: {path}")
    return path


def tiny_communities(n: int = 4) -> gpd.GeoDataFrame:
    boxes = [shapely.box(X0 + 120 * i, Y0, X0 + 120 * i + 100, Y0 + 100) for i in range(n)]
    gdf = gpd.GeoDataFrame(
        {
            "name": [f"小区{i}" for i in range(n)],
            "households": np.arange(n) * 100 + 120,
            "year_built": [1985 + i for i in range(n)],
            "willingness": [0.5 + 0.1 * (i % 5) for i in range(n)],
        },
        geometry=boxes,
        crs="EPSG:4546",
    )
    gdf.index = np.arange(1, n + 1, dtype=np.int64)
    gdf.index.name = "fid"
    return gdf


@pytest.fixture(autouse=True)
def language_restored():
    """A test that runs the CLI with ``--lang zh`` switches the process's language: every
    test starts in the language the run started in."""
    from layers.i18n import current_language, set_language

    before = current_language()
    yield
    set_language(before)


@pytest.fixture(autouse=True)
def no_unexpected_modal_dialogs(monkeypatch):
    """A message box nobody answers would hang the run: make it fail the test instead.
    Tests that expect a dialog patch it themselves (after this fixture)."""
    import sys

    if "PyQt5.QtWidgets" not in sys.modules:
        return
    from PyQt5.QtWidgets import QMessageBox

    def refuse(parent, title, text, *args, **kwargs):
        raise AssertionError(f"unexpected modal dialog: {title}: {text}")

    for name in ("question", "critical", "information", "warning", "about"):
        monkeypatch.setattr(QMessageBox, name, staticmethod(refuse))

    def refuse_box(box, *args):
        raise AssertionError(f"unexpected modal dialog: {box.windowTitle()}: {box.text()}")

    import app.dialogs.recovery
    import app.problems
    import app.window.saving

    monkeypatch.setattr(app.problems, "present", refuse_box)
    monkeypatch.setattr(app.window.saving, "choose", refuse_box)
    def refuse_dialog(dialog):
        raise AssertionError(f"unexpected modal dialog: {dialog.windowTitle()}")

    monkeypatch.setattr(app.dialogs.recovery, "ask", refuse_dialog)
    import app.dialogs.new_project

    monkeypatch.setattr(app.dialogs.new_project, "ask", refuse_dialog)


@pytest.fixture
def project() -> Project:
    p = Project(metadata={"title": "test"})
    p.add_layer(VectorLayer("communities", "communities", tiny_communities()))
    return p


def finish_job(qtbot, panel, started: bool = True, timeout: int = 60_000) -> bool:
    """Wait until ``panel``'s background job has ended and its result was handled."""
    if started:
        qtbot.waitUntil(lambda: not panel.busy, timeout=timeout)
    return started


@pytest.fixture(scope="session")
def pg_server() -> str:
    """The PostGIS test server's URL (started when it is local and stopped); the test
    FAILS when there is none (see tests/pg_server.py)."""
    from tests.pg_server import ensure_server

    try:
        return ensure_server()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture
def pg_location(pg_server):
    """A project location in a fresh schema of the test database, dropped afterwards."""
    from tests.pg_server import drop_schema, new_schema

    location = new_schema(pg_server)
    yield location
    drop_schema(location)
