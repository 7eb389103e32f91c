"""Window layout that fits the screen it is on (a 1366 × 768 laptop included)."""

from __future__ import annotations

from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import QMainWindow, QTabBar, QWidget


def fit_to_screen(window: QWidget, preferred: tuple[int, int] = (1200, 800)) -> None:
    """Size and place the window inside the screen's available area (a 1366 × 768 laptop
    included), leaving room for the window frame."""
    from PyQt5.QtWidgets import QApplication

    screen = window.screen() if hasattr(window, "screen") and window.screen() else \
        QApplication.primaryScreen()
    area = screen.availableGeometry()
    frame_w, frame_h = 16, 48  # title bar and borders, before the window manager tells
    width = min(preferred[0], area.width() - frame_w)
    height = min(preferred[1], area.height() - frame_h)
    window.resize(max(640, width), max(480, height))
    window.move(area.x() + max(0, (area.width() - window.width() - frame_w) // 2),
                area.y() + max(0, (area.height() - window.height() - frame_h) // 2))


def full_tab_names(window: QMainWindow) -> None:
    """Docked panels' tabs keep their whole names and scroll, rather than 'Pip…'."""
    for bar in window.findChildren(QTabBar):
        bar.setElideMode(Qt.ElideNone)
        bar.setUsesScrollButtons(True)
