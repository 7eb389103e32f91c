"""Pixels of canvas images for the canvas tests and benchmarks: the finished image as an
array, and the reference — every layer drawn at once on this thread by ``paint_layers``."""

from __future__ import annotations

import numpy as np
from PyQt5.QtGui import QImage, QPainter

from app.canvas.paint import BACKGROUND, paint_layers


def pixels(image: QImage) -> np.ndarray:
    """(height, width, 3) ints, blue-green-red, of any QImage."""
    image = image.convertToFormat(QImage.Format_ARGB32)
    ptr = image.constBits()
    ptr.setsize(image.byteCount())
    return np.frombuffer(ptr, np.uint8).reshape(image.height(), image.width(), 4)[..., :3].astype(int)


def background() -> np.ndarray:
    return np.array([BACKGROUND.blue(), BACKGROUND.green(), BACKGROUND.red()])


def synchronous_image(canvas) -> QImage:
    """The canvas's project at its view painted synchronously over the map background."""
    image = QImage(canvas.width(), canvas.height(), QImage.Format_ARGB32_Premultiplied)
    image.fill(BACKGROUND)
    painter = QPainter(image)
    paint_layers(painter, canvas.project.layers, canvas.world_transform(), canvas.visible_extent(),
                 canvas.metres_per_pixel, canvas._graphics_for, canvas.font())
    painter.end()
    return image
