"""Opening a project without freezing the window (issue 19, item 4): the picture kept on save,
the stored extent, and the load in a worker thread, with real widgets (offscreen Qt).

The load is made slow where a test needs it by wrapping the store's load with one that waits
on an event the test sets: the test decides when the layers are read, nothing sleeps."""

from __future__ import annotations

import gc
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest
from PyQt5.QtGui import QImage
from PyQt5.QtWidgets import QLabel, QMessageBox, QProgressBar

from app.window.main import MainWindow
from layers.store import open_project, save_project
from layers.store.gpkg import GpkgStore
from layers.store.overview import read_preview

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample" / "sample_city_small.gpkg"
SIZE = (1100, 760)


def shown_window(qtbot, project=None, keep: bool = True) -> MainWindow:
    window = MainWindow(project)
    if keep:  # closed by qtbot at the end (not a window the test deletes itself)
        qtbot.addWidget(window)
    window.resize(*SIZE)
    window.show()
    qtbot.waitExposed(window)
    return window


def pixels(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format_RGB32)
    ptr = image.constBits()
    ptr.setsize(image.sizeInBytes())
    rows = np.frombuffer(ptr, np.uint8).reshape(image.height(), image.bytesPerLine())
    return rows[:, : image.width() * 4].reshape(image.height(), image.width(), 4)[..., :3].copy()


def painted_now(widget) -> QImage:
    """What the widget paints at this moment (``grab`` would wait for the map)."""
    image = QImage(widget.size(), QImage.Format_RGB32)
    widget.render(image)
    return image


@pytest.fixture
def saved_with_picture(qtbot, tmp_path, project):
    """A project saved through a shown window (so it keeps the map as an overview)."""
    path = tmp_path / "town.gpkg"
    window = shown_window(qtbot, project)
    window.canvas.wait_rendered()
    assert window._save_to(path)
    image, view = window.canvas._image, window.canvas._image_view
    window.close()
    return path, image, view


class SlowLoad:
    """GpkgStore.load held until the test releases it (per file name)."""

    def __init__(self, monkeypatch, names: set[str] | None = None) -> None:
        self.release = threading.Event()
        self.entered = threading.Event()
        self.names = names
        real = GpkgStore.load

        def load(store):
            if self.names is None or store.path.name in self.names:
                self.entered.set()
                assert self.release.wait(60), "the test never released the load"
            return real(store)

        monkeypatch.setattr(GpkgStore, "load", load)


def wait_opened(qtbot, window, timeout=60_000) -> None:
    qtbot.waitUntil(lambda: not window.opener.pending, timeout=timeout)


def test_the_overview_is_the_canvas_image_and_a_save_without_one_removes_it(saved_with_picture):
    path, image, view = saved_with_picture
    preview = read_preview(path)
    overview = preview.overview
    assert overview is not None
    stored = QImage.fromData(overview.png, "PNG")
    assert np.array_equal(pixels(stored), pixels(image))  # PNG is lossless
    assert (overview.centre, overview.mpp, overview.width, overview.height, overview.ratio) == \
        (view.centre, view.mpp, view.width, view.height, view.ratio)
    assert overview.crs == "EPSG:4546"
    # the command line saves without a picture: an older one must not stay
    save_project(open_project(path), path)
    assert read_preview(path).overview is None
    assert read_preview(path).extent is not None


def test_the_stored_extent_is_the_union_of_the_visible_layers(tmp_path):
    path = tmp_path / "sample.gpkg"
    shutil.copy(SAMPLE, path)
    project = open_project(path)
    boxes = np.array([layer.bounds() for layer in project.layers
                      if layer.visible and layer.layer_type in ("vector", "raster")
                      and layer.bounds() is not None])
    expected = (*boxes[:, :2].min(axis=0), *boxes[:, 2:].max(axis=0))
    assert read_preview(path).extent == pytest.approx(expected, abs=1e-6)


def test_async_open_shows_the_picture_before_the_layers_are_read(qtbot, monkeypatch,
                                                                 saved_with_picture):
    path, image, _view = saved_with_picture
    slow = SlowLoad(monkeypatch)
    window = shown_window(qtbot)
    before = window.project
    assert window.open_path(path, wait=False)
    qtbot.waitUntil(lambda: window.canvas.preview is not None
                    and window.canvas.preview.painted_at is not None)
    assert slow.entered.wait(10) and window.opener.pending and window.project is before
    assert "opening…" in window.windowTitle() and "test" in window.windowTitle()
    bar = window.findChild(QProgressBar, "opening_progress")
    assert bar is not None and bar.isVisible()
    actions = window.actions_by_key
    assert not actions["save"].isEnabled() and not actions["conflicts"].isEnabled()
    assert not window.tools.edit_actions["zoom_selection"].isEnabled()
    assert actions["open"].isEnabled() and not window.canvas.isEnabled()
    # the same size of map as when saved: the picture is shown pixel for pixel (below the note)
    shown = pixels(window.canvas.grab().toImage())
    saved = pixels(image)
    h = min(shown.shape[0], saved.shape[0])
    assert shown.shape[1] == saved.shape[1]
    same = np.all(shown[h // 3:h] == saved[h // 3:h], axis=2).mean()
    assert same > 0.98, same
    assert not gc.isenabled()  # the cycle collector waits while the layers are read
    slow.release.set()
    wait_opened(qtbot, window)
    assert gc.isenabled()
    assert window.project is not before and window.project.path == path
    assert window.canvas.preview is None and actions["save"].isEnabled()
    bar = window.findChild(QProgressBar, "opening_progress")  # deleted later
    assert bar is None or not bar.isVisible()
    assert "opening…" not in window.windowTitle()
    # until the first map is drawn the picture stands in for it, at the same place (the
    # middle band: the scale bar and north arrow are drawn over the map again)
    if window.canvas.last_render is None:
        still = pixels(painted_now(window.canvas))
        assert np.all(still[h // 3:2 * h // 3] == saved[h // 3:2 * h // 3], axis=2).mean() > 0.98
    window.canvas.wait_rendered()  # the map itself replaces the picture
    assert window.canvas.last_render is not None and not window.canvas.render_pending()


def test_async_open_loads_what_a_synchronous_open_loads(qtbot, tmp_path):
    from tests.test_store import assert_projects_identical

    path = tmp_path / "sample.gpkg"
    shutil.copy(SAMPLE, path)
    window = shown_window(qtbot)
    window.open_path(path, wait=False)
    wait_opened(qtbot, window)
    assert_projects_identical(window.project, open_project(path))
    assert window.project.path == path and window.project.undo.is_clean
    assert window.recent.paths()[0] == str(path.resolve())


def test_a_failed_load_keeps_the_open_project_and_says_why_in_one_line(qtbot, monkeypatch,
                                                                       tmp_path, project):
    broken = tmp_path / "broken.gpkg"
    broken.write_bytes(b"SQLite format 3\x00" + b"\x07" * 4000)
    told: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text: told.append(text))
    window = shown_window(qtbot, project)
    assert not window.open_path(broken)  # today's synchronous open: its message
    assert len(told) == 1
    title = window.windowTitle()
    window.canvas.wait_rendered()
    image = window.canvas._image
    window.open_path(broken, wait=False)
    wait_opened(qtbot, window)
    assert len(told) == 2 and told[1] == told[0] and "\n" not in told[1] and gc.isenabled()
    assert window.project is project and window.windowTitle() == title
    assert window.canvas.preview is None and window.actions_by_key["save"].isEnabled()
    assert len(project.layers) == 1 and window.canvas._image is image


def test_a_second_open_while_one_loads_ends_with_the_second(qtbot, monkeypatch, tmp_path, project):
    first, second = tmp_path / "first.gpkg", tmp_path / "second.gpkg"
    project.metadata["title"] = "first"
    save_project(project, first)
    shutil.copy(SAMPLE, second)
    slow_first = SlowLoad(monkeypatch, {"first.gpkg"})
    slow_second = SlowLoad(monkeypatch, {"second.gpkg"})  # wraps the first wrapper
    window = shown_window(qtbot)
    before = window.project
    window.open_path(first, wait=False)
    qtbot.waitUntil(slow_first.entered.is_set)
    first_thread = window.opener.thread
    window.open_path(second, wait=False)
    qtbot.waitUntil(slow_second.entered.is_set)
    # the first load ends while the second is still reading: its project is dropped
    slow_first.release.set()
    first_thread.join(30)
    qtbot.wait(100)
    assert window.opener.pending and window.project is before
    slow_second.release.set()
    wait_opened(qtbot, window)
    assert window.project.path == second and window.project is not before


def test_closing_the_window_while_a_project_loads(qtbot, monkeypatch, saved_with_picture):
    path, _image, _view = saved_with_picture
    slow = SlowLoad(monkeypatch)
    window = shown_window(qtbot)
    before = window.project
    window.open_path(path, wait=False)
    qtbot.waitUntil(slow.entered.is_set)
    thread = window.opener.thread
    window.close()
    slow.release.set()
    thread.join(30)
    qtbot.wait(50)
    assert not window.opener.pending and window.project is before and gc.isenabled()
    # and with the window deleted before the load ends
    slow.release.clear()
    slow.entered.clear()
    other = shown_window(qtbot, keep=False)
    other.open_path(path, wait=False)
    qtbot.waitUntil(slow.entered.is_set)
    thread = other.opener.thread
    other.close()
    other.deleteLater()
    qtbot.wait(50)
    slow.release.set()
    thread.join(30)
    qtbot.wait(50)
    assert gc.isenabled()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_opening_texts_in_both_languages(qtbot, monkeypatch, lang, saved_with_picture):
    from app.canvas.preview import WITH_FRAME, WITH_PICTURE
    from app.window.opening import OPENING, STATUS_OPENING
    from layers.i18n import set_language

    for text in (OPENING, STATUS_OPENING, WITH_PICTURE, WITH_FRAME):
        assert text("en") != text("zh") and all(ord(c) < 0x2E80 for c in text("en").replace("…", ""))
        assert any("\u4e00" <= c <= "\u9fff" for c in text("zh"))
    path, _image, _view = saved_with_picture
    set_language(lang)
    slow = SlowLoad(monkeypatch)
    window = shown_window(qtbot)
    window.open_path(path, wait=False)
    qtbot.waitUntil(slow.entered.is_set)
    assert OPENING(lang) in window.windowTitle()
    label = window.findChild(QLabel, "opening_text")
    assert label.isVisible() and label.text() == STATUS_OPENING.format(name="test")(lang)
    assert window.canvas.preview.note() == WITH_PICTURE(lang)
    slow.release.set()
    wait_opened(qtbot, window)
