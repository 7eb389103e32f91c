"""The one small base class of the docked panels: project in, commands out.

Every panel is built the same way, ``SomePanel(window=None, canvas=None)``, and
- receives the project through :meth:`Panel.set_project` (``None`` detaches it); the
  panel lists the project events it listens to in :meth:`Panel.subscriptions` and the base
  connects and disconnects them in one place (through an :class:`EventBridge`, so handlers
  run on the GUI thread);
- changes the project only through :meth:`Panel.apply` (a command on the undo stack, or a
  one-line problem shown and the project left as it was);
- runs long work through :meth:`Panel.start_job` (:mod:`app.jobs`): the inputs are
  snapshotted, the result is dropped if the panel's project changed meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PyQt5.QtWidgets import QDockWidget, QScrollArea, QWidget

from app.event_bridge import EventBridge
from app.jobs import Job, start_job
from app.problems import apply_command, guarded, show_problem
from layers.errors import T


class Panel(QDockWidget):
    """Base of the analysis docks; subclasses set ``TITLE`` and ``OBJECT_NAME``."""

    TITLE = T("Panel", "面板")
    OBJECT_NAME = "panel"

    def __init__(self, window: Any = None, canvas: Any = None) -> None:
        super().__init__(self.TITLE(), window if isinstance(window, QWidget) else None)
        self.setObjectName(self.OBJECT_NAME)
        self.main_window = window
        self.canvas = canvas if canvas is not None else getattr(window, "canvas", None)
        self.project = None
        self.job: Job | None = None
        self._pending = False
        self._bridge = EventBridge(self._dispatch, self)
        self._connected: list[Any] = []

    def setWidget(self, body: QWidget) -> None:  # noqa: N802 (Qt name)
        """The panel's body scrolls: its content never makes the window taller than the
        screen, however many panels are open."""
        scroll = QScrollArea(self)
        scroll.setObjectName(f"{self.OBJECT_NAME}_scroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.NoFrame)
        scroll.setWidget(body)
        super().setWidget(scroll)

    # --- project wiring -----------------------------------------------------------------
    def subscriptions(self, project) -> list[Any]:
        """The emitters (project.events, project.undo.events, …) this panel listens to."""
        return []

    def on_event(self, event) -> None:
        """One event from a subscribed emitter, on the GUI thread."""

    def on_project(self, project) -> None:
        """The panel now shows ``project`` (None: nothing): refill the widgets."""

    def _dispatch(self, event) -> None:
        guarded(self, self.on_event, event)

    def set_project(self, project) -> None:
        self.detach()
        self.project = project
        if project is not None:
            self._connected = list(self.subscriptions(project))
            for emitter in self._connected:
                emitter.connect(self._bridge.forward)
        self.on_project(project)

    def detach(self) -> None:
        for emitter in self._connected:
            emitter.disconnect(self._bridge.forward)
        self._connected = []

    # --- commands out ---------------------------------------------------------------------
    def apply(self, command) -> bool:
        """Apply a command (or a builder of one) to the project, or show why not."""
        return apply_command(self, self.project, command)

    def report(self, exc: BaseException) -> str:
        return show_problem(self, exc)

    # --- long work ------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        """A job is running, or its result has not been handled yet."""
        return self._pending

    def start_job(self, title: str, work: Callable, on_done: Callable[[Any], None],
                  **options: Any) -> Job | None:
        """Run ``work(progress, cancelled)`` off the GUI thread for this panel's project."""
        if self.project is None or self.busy:
            return None
        self._pending = True
        settled = options.pop("on_settled", None)

        def done() -> None:
            self._pending = False
            if settled is not None:
                settled()

        self.job = start_job(self, title, work, on_done, project=self.project,
                             current=lambda: self.project, on_settled=done, **options)
        return self.job
