"""Core events (plain callbacks from ``layers.events``) carried onto the GUI thread."""

from __future__ import annotations

from collections.abc import Callable

from PyQt5.QtCore import QObject
from PyQt5.QtCore import pyqtSignal as Signal


class EventBridge(QObject):
    """Connect ``bridge.forward`` to a project's or layer's ``events``; ``handler`` then
    runs on the GUI thread, queued if the event came from a worker thread. A bridge whose
    widget is gone unsubscribes itself."""

    arrived = Signal(object)

    def __init__(self, handler: Callable[[object], None], parent: QObject) -> None:
        super().__init__(parent)
        self.arrived.connect(handler)

    def forward(self, event) -> None:
        try:
            self.arrived.emit(event)
        except RuntimeError:  # the Qt side has been deleted
            event.source.events.disconnect(self.forward)
