"""The map tool base class and the event it receives."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PyQt5.QtCore import QObject, QPointF, Qt
from PyQt5.QtCore import pyqtSignal as Signal
from PyQt5.QtGui import QColor, QPainter, QPen

from layers.errors import T

if TYPE_CHECKING:  # pragma: no cover
    from app.canvas.view import MapCanvas

NO_LAYER = T("choose a vector layer in the layer tree first", "请先在图层树中选择一个矢量图层")
RUBBER = QColor("#d7301f")
RUBBER_FILL = QColor(215, 48, 31, 40)


@dataclass
class MapEvent:
    """A mouse event on the canvas in map coordinates.

    ``x, y`` are snapped when the tool snaps and a vertex or segment lay within the
    pixel tolerance (``snap`` then says what was hit); ``raw_x, raw_y`` are the cursor.
    """

    x: float
    y: float
    raw_x: float
    raw_y: float
    pos: QPointF
    button: int
    buttons: int
    modifiers: int
    snap: Any = None

    @property
    def xy(self) -> tuple[float, float]:
        return self.x, self.y


class MapTool(QObject):
    """Base class: override the handlers you need. Handlers return nothing; key_press
    returns True when it used the key (so the canvas does not also pan with arrows)."""

    key = "tool"
    label = T("Tool", "工具")
    short: T | None = None  # a shorter toolbar text (the label becomes the tooltip)
    cursor = Qt.ArrowCursor
    snaps = False  # True: the canvas snaps the event's coordinates for this tool
    #: the tool reports a problem (bilingual text) the window shows in its status bar
    problem = Signal(str)

    def __init__(self, canvas: MapCanvas) -> None:
        super().__init__(canvas)
        self.canvas = canvas

    # --- lifecycle ----------------------------------------------------------------
    def activate(self) -> None:
        self.canvas.setCursor(self.cursor)

    def deactivate(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget any half-finished interaction."""

    # --- events -------------------------------------------------------------------
    def press(self, event: MapEvent) -> None: ...

    def move(self, event: MapEvent) -> None: ...

    def release(self, event: MapEvent) -> None: ...

    def double_click(self, event: MapEvent) -> None: ...

    def key_press(self, key: int, modifiers: int) -> bool:
        return False

    def paint(self, painter: QPainter) -> None:
        """Draw rubber bands etc. over the map, in widget pixels."""

    # --- helpers for subclasses ------------------------------------------------------
    @property
    def project(self):
        return self.canvas.project

    def layer(self):
        """The layer the tool works on: the canvas's current layer."""
        return self.canvas.current_layer

    def pixels_to_metres(self, pixels: float) -> float:
        return pixels * self.canvas.metres_per_pixel

    def rubber_pen(self, width: float = 1.6, dash: bool = False) -> QPen:
        pen = QPen(RUBBER, width, Qt.DashLine if dash else Qt.SolidLine, Qt.RoundCap, Qt.RoundJoin)
        return pen

    def run_edit(self, build) -> bool:
        """Push the command ``build()`` makes; True when one was applied. A refused edit is
        said in the status bar, an unexpected error shown with details — never raised."""
        from app.problems import apply_command

        built: list = []

        def make():
            built.append(build())
            return built[-1]

        applied = apply_command(self.canvas, self.project, make, say=self.problem.emit)
        return bool(applied and built and built[-1] is not None)
