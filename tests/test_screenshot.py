"""A screenshot of the main window on the bundled sample city with the Chinese interface,
kept as a build artifact (``artifacts/main_window_zh.png``, or $PRECINCT_ARTIFACTS)."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

pytest.importorskip("pytestqt", reason="pytest-qt drives the widgets")

from PyQt5.QtGui import QFontDatabase, QImage  # noqa: E402
from PyQt5.QtWidgets import QApplication  # noqa: E402

from app.canvas.view import BACKGROUND  # noqa: E402
from layers import i18n  # noqa: E402
from layers.resources import sample_project_path  # noqa: E402
from layers.store import open_project  # noqa: E402

ARTIFACTS = Path(os.environ.get("PRECINCT_ARTIFACTS", Path(__file__).resolve().parents[1] / "artifacts"))


def _pixels(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format_RGB32)
    ptr = image.constBits()
    ptr.setsize(image.sizeInBytes())
    rows = np.frombuffer(ptr, np.uint8).reshape(image.height(), image.bytesPerLine())
    return rows[:, : image.width() * 4].reshape(image.height(), image.width(), 4)[..., :3].copy()


@pytest.fixture
def chinese():
    before = i18n.current_language()
    i18n.set_language("zh")
    yield
    i18n.set_language(before)


def test_main_window_screenshot_on_the_sample_city_in_chinese(qtbot, chinese):
    from app.window.main import MainWindow

    assert QFontDatabase().families(QFontDatabase.SimplifiedChinese), \
        "no font with Simplified Chinese glyphs: install fonts-noto-cjk"
    project = open_project(sample_project_path())
    window = MainWindow(project)
    qtbot.addWidget(window)
    window.resize(1600, 1000)
    window.show()
    qtbot.waitExposed(window)
    window.set_current_layer(project.layers_of_kind("communities")[0])
    QApplication.processEvents()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / "main_window_zh.png"
    image = window.grab().toImage()
    assert image.save(str(path), "PNG")
    print(f"\nscreenshot: {path}")
    assert path.stat().st_size > 50_000
    # the menus speak Chinese
    titles = [a.text() for a in window.menuBar().actions()]
    assert titles[:3] == ["文件(&F)", "编辑(&E)", "视图(&V)"]
    # the map is drawn: many colours, and most of the canvas is not bare background
    canvas = window.canvas
    top_left = canvas.mapTo(window, canvas.rect().topLeft())
    ratio = image.devicePixelRatio()
    x0, y0 = int(top_left.x() * ratio), int(top_left.y() * ratio)
    map_pixels = _pixels(image)[y0: y0 + int(canvas.height() * ratio), x0: x0 + int(canvas.width() * ratio)]
    background = np.array([BACKGROUND.blue(), BACKGROUND.green(), BACKGROUND.red()])  # BGRA order
    drawn = np.abs(map_pixels.astype(int) - background).sum(axis=2) > 12
    assert drawn.mean() > 0.10, f"only {drawn.mean():.0%} of the map differs from the background"
    colours = np.unique(map_pixels.reshape(-1, 3) // 8, axis=0)
    assert len(colours) > 40
    # the layer tree and the attribute table are there and filled
    assert window.layer_panel.isVisible() and window.attribute_table.isVisible()
    window.project.undo.set_clean()
