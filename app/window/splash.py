"""A splash while the app starts (opening a city-sized project takes seconds): the name,
the version and what it is doing, in the person's language."""

from __future__ import annotations

from PyQt5.QtCore import Qt
from PyQt5.QtGui import QColor, QFont, QPainter, QPixmap
from PyQt5.QtWidgets import QApplication, QSplashScreen

from layers import __version__
from layers.errors import T

NAME = T("Precinct Planner", "片区规划")
OPENING = T("Opening {what}…", "正在打开{what}…")
SIZE = (420, 180)


def splash(what: str) -> QSplashScreen:
    pixmap = QPixmap(*SIZE)
    pixmap.fill(QColor("#f7f4ee"))
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.Antialiasing)
    painter.fillRect(0, 0, 8, SIZE[1], QColor("#b2182b"))
    font = QFont(painter.font())
    font.setPointSize(22)
    font.setBold(True)
    painter.setFont(font)
    painter.setPen(QColor("#222222"))
    painter.drawText(32, 70, NAME())
    font.setPointSize(10)
    font.setBold(False)
    painter.setFont(font)
    painter.setPen(QColor("#666666"))
    painter.drawText(32, 96, f"{__version__}")
    painter.end()
    screen = QSplashScreen(pixmap)
    screen.setObjectName("splash")
    say(screen, OPENING.format(what=what)())
    screen.show()
    QApplication.processEvents()
    return screen


def say(screen: QSplashScreen, text: str) -> None:
    screen.showMessage(text, Qt.AlignLeft | Qt.AlignBottom, QColor("#444444"))
    QApplication.processEvents()
