"""QPainter calls that let go of Python's GIL while Qt draws.

PyQt5 keeps the GIL through every Qt call: while a render job's thread is inside one
``QPainter.drawPath``, no Python runs on the GUI thread, and every virtual call Qt makes on a
widget created from Python needs the GIL to look for a Python override (measured: one 1 s
drawPath stalled the GUI thread's Python for all of it). ``ctypes`` releases the GIL around
foreign calls, so the heavy calls of the map painter go straight to Qt's own exported
functions, with the C++ objects PyQt wraps: the GUI thread runs while the worker draws.

Only where it is safe to be sure of the ABI: Linux, with the very ``libQt5Gui`` PyQt loaded
(found in ``/proc/self/maps``) and the Itanium C++ names of these non-virtual members.
Anywhere else (or if any step fails) the plain PyQt calls are used: same pixels, GIL held.
"""

from __future__ import annotations

import ctypes
import sys

from PyQt5 import sip
from PyQt5.QtCore import QPointF
from PyQt5.QtGui import QImage, QPainter, QPainterPath

_DRAW_PATH = "_ZN8QPainter8drawPathERK12QPainterPath"  # QPainter::drawPath(const QPainterPath&)
_DRAW_IMAGE = "_ZN8QPainter9drawImageERK7QPointFRK6QImage"  # drawImage(const QPointF&, const QImage&)


def _qtgui_library() -> str | None:
    """The path of the libQt5Gui this process has loaded (PyQt5's own)."""
    import PyQt5.QtGui  # noqa: F401 (loads the library)

    try:
        with open("/proc/self/maps", encoding="utf-8") as maps:
            for line in maps:
                path = line.split(maxsplit=5)[-1].strip()
                if "/libQt5Gui.so" in path:
                    return path
    except OSError:
        return None
    return None


def _functions():
    if not sys.platform.startswith("linux"):
        return None, None
    path = _qtgui_library()
    if path is None:
        return None, None
    try:
        library = ctypes.CDLL(path)  # the loaded copy: dlopen hands back the same handle
        draw_path, draw_image = library[_DRAW_PATH], library[_DRAW_IMAGE]
    except (OSError, AttributeError):
        return None, None
    for function, count in ((draw_path, 2), (draw_image, 3)):
        function.argtypes = [ctypes.c_void_p] * count
        function.restype = None
    return draw_path, draw_image


_PATH_FN, _IMAGE_FN = _functions()
_ORIGIN = QPointF(0.0, 0.0)


def draw_path(painter: QPainter, path: QPainterPath) -> None:
    """``painter.drawPath(path)``, the GIL released while Qt draws."""
    if _PATH_FN is None:
        painter.drawPath(path)
    else:
        _PATH_FN(sip.unwrapinstance(painter), sip.unwrapinstance(path))


def draw_image_at_origin(painter: QPainter, image: QImage) -> None:
    """``painter.drawImage(QPointF(0, 0), image)``, the GIL released while Qt draws."""
    if _IMAGE_FN is None:
        painter.drawImage(_ORIGIN, image)
    else:
        _IMAGE_FN(sip.unwrapinstance(painter), sip.unwrapinstance(_ORIGIN), sip.unwrapinstance(image))


def releases_gil() -> bool:
    return _PATH_FN is not None
