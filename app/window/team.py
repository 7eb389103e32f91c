"""A window showing a project from PostGIS hears when another planner saves it.

:class:`TeamSync` listens on the project's channel (:class:`~layers.store.pgnotify.
SaveListener`, polled by a QTimer: never blocking the window) and, when another planner's
save arrives, shows a bar above the map — who saved what, **Reload**, **Later** — without
interrupting the work. Reload takes the changed rows into the open project
(:func:`~layers.store.pgrefresh.refresh_rows`: the map and the attribute tables update
through the layers' events; nothing goes on the undo stack) and keeps the user's own
unsaved edits; when the user changed some of the same features, the status bar says so
(their version stays; saving will ask which to keep). When the other planner changed the
project's layers themselves, Reload opens the project again, the unsaved edits kept in the
recovery file first (as the GeoPackage's reload does).
"""

from __future__ import annotations

from typing import Any

from PyQt5.QtCore import QObject, Qt, QTimer
from PyQt5.QtWidgets import QLabel, QPushButton, QToolBar

from app.problems import guarded
from layers import display
from layers.errors import T

POLL_MS = 1000
HEARD = T("Another planner saved changes to {layers} on the server.",
          "其他规划师已在服务器上保存了对{layers}的修改。")
HEARD_ALL = T("Another planner saved this project on the server.", "其他规划师已在服务器上保存了该项目。")
RELOAD = T("Reload", "重新载入")
LATER = T("Later", "稍后")
RELOADED = T("Took {n} feature(s) another planner saved.", "已载入其他规划师保存的 {n} 个要素。")
KEPT_YOURS = T(" You have unsaved changes to {n} of the same feature(s) ({features}): your "
               "version is kept, and saving will ask which to keep.",
               " 其中 {n} 个要素您也有未保存的修改（{features}）：保留您的版本，保存时将询问保留哪一版。")
REOPENED = T("The other planner changed the project's layers: opened it again.",
             "其他规划师修改了项目的图层：已重新打开。")
KEPT_FILE = T(" Your unsaved changes are kept in {path}.", " 您未保存的修改已保留在 {path}。")
NOT_LISTENING = T("Cannot hear other planners' saves ({why}).", "无法获知其他规划师的保存（{why}）。")
LIST = T(", ", "、")


class TeamSync(QObject):
    """Listens for other planners' saves of the window's PostGIS project."""

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.project: Any = None
        self.listener: Any = None
        self.own: set[str] = set()
        self.heard: list[Any] = []
        self.last_message = ""
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.poll)
        self.bar = QToolBar(self.window)
        self.bar.setObjectName("team_bar")
        self.bar.setMovable(False)
        self.label = QLabel(self.bar)
        self.label.setObjectName("team_message")
        self.label.setStyleSheet("padding: 0 8px; font-weight: bold;")
        self.reload_button = QPushButton(RELOAD(), self.bar)
        self.reload_button.setObjectName("team_reload")
        self.reload_button.clicked.connect(self.reload)
        self.later_button = QPushButton(LATER(), self.bar)
        self.later_button.setObjectName("team_later")
        self.later_button.clicked.connect(self.dismiss)
        self.bar.addWidget(self.label)
        self.bar.addWidget(self.reload_button)
        self.bar.addWidget(self.later_button)
        self.window.addToolBarBreak(Qt.TopToolBarArea)
        self.window.addToolBar(Qt.TopToolBarArea, self.bar)
        self.bar.hide()

    # --- following the window's project ------------------------------------------------
    def set_project(self, project: Any) -> None:
        """The window shows ``project`` now: listen to its schema (if it has one)."""
        from layers.store.pglocation import PgLocation
        from layers.store.pgsession import release

        if self.project is not None and self.project is not project:
            release(self.project)  # its kept connection goes with it
        self._stop_listening()
        self.project = project
        self.heard = []
        self.bar.hide()
        if project is None or not isinstance(project.path, PgLocation):
            return
        from layers.store.pgnotify import SaveListener

        self.own = {self._token()} - {None}
        ok, listener = guarded(self.window, SaveListener, project.path,
                               say=lambda why: self._say(NOT_LISTENING.format(why=why)()))
        if not ok:
            return
        self.listener = listener
        self.timer.start()

    def close(self) -> None:
        from layers.store.pgsession import release

        self._stop_listening()
        release(self.project)
        self.project = None

    def _stop_listening(self) -> None:
        self.timer.stop()
        if self.listener is not None:
            self.listener.close()
            self.listener = None

    def _token(self) -> str | None:
        return getattr(getattr(self.project, "file_stamp", None), "token", None)

    def saved(self) -> None:
        """The window saved the project: its notification is not another planner's."""
        from layers.store.pglocation import PgLocation

        on_server = isinstance(getattr(self.window.project, "path", None), PgLocation)
        if self.project is not self.window.project or on_server != (self.listener is not None):
            self.set_project(self.window.project)  # saved to or away from a server
        token = self._token()
        if token is not None:
            self.own.add(token)

    # --- hearing ----------------------------------------------------------------------
    def poll(self) -> list:
        """New saves by others (also called by the timer); shows the bar when any."""
        if self.listener is None:
            return []
        notices = [n for n in self.listener.poll() if n.token not in self.own]
        if notices:
            self.heard += notices
            self._show_bar()
        return notices

    def _changed_layers(self) -> list[str] | None:
        names: dict[str, None] = {}
        for notice in self.heard:
            if not notice.layers or any(n < 0 for n in notice.layers.values()):
                return None  # a whole save (or too many layers to name): look at all
            names.update(dict.fromkeys(notice.layers))
        return list(names)

    def _show_bar(self) -> None:
        names = self._changed_layers()
        if names:
            have = set(self.project.names())
            layers = [self.project.layer(n) if n in have else None for n in names]
            shown = LIST().join(display.layer_title(layer) if layer is not None
                                else display.layer_name(name) for layer, name in zip(layers, names))
            text = HEARD.format(layers=shown)()
        else:
            text = HEARD_ALL()
        self.label.setText(text)
        self.bar.show()

    def dismiss(self) -> None:
        self.bar.hide()  # heard saves stay: Reload later takes them all

    # --- reloading --------------------------------------------------------------------
    def reload(self) -> bool:
        """Take the other planners' saved rows (or reopen the project); True when done."""
        from layers.store.pgrefresh import refresh_rows

        ok, result = guarded(self.window, refresh_rows, self.project, self._changed_layers())
        if not ok:
            return False
        self.heard = []
        self.bar.hide()
        if result.whole:
            return self._reopen()
        message = RELOADED.format(n=result.count)()
        if result.kept:
            features = LIST().join(self._feature(name, fid) for name, fid in result.kept[:5])
            message += KEPT_YOURS.format(n=len(result.kept), features=features)()
        self._say(message)
        return True

    def _feature(self, layer_name: str, fid: int) -> str:
        """'Communities: 平园街 (no. 3)' — the layer's title, the feature's name and number."""
        from app.dialogs.pg_conflicts import FEATURE, NUMBER
        from layers.store.pgconflicts import NAME_FIELDS

        layer = self.project.layer(layer_name)
        row = layer.gdf.loc[fid] if fid in layer.gdf.index else None
        name = next((row[f] for f in NAME_FIELDS if row is not None and f in row.index
                     and isinstance(row[f], str) and row[f]), "")
        feature = FEATURE.format(name=name, fid=fid) if name else NUMBER.format(fid=fid)
        return f"{display.layer_title(layer)}: {feature()}"

    def _reopen(self) -> bool:
        from layers.store import open_project

        kept = self.window.autosave_now()
        ok, project = guarded(self.window, open_project, self.project.path)
        if not ok:
            return False
        self.window.set_project(project)
        message = REOPENED()
        if kept is not None:
            message += KEPT_FILE.format(path=str(kept))()
        self._say(message)
        return True

    def _say(self, message: str) -> None:
        self.last_message = message
        self.window.statusBar().showMessage(message, 20000)
