"""The main window: map canvas in the centre, layer list on the left, status bar below."""

from __future__ import annotations

from pathlib import Path

from pyproj import Transformer
from PyQt5.QtCore import Qt, QTimer
from PyQt5.QtGui import QKeySequence
from PyQt5.QtWidgets import (
    QAction,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QToolBar,
    QWidget,
)

from app.canvas.view import MapCanvas
from app.panels.attributes.table import AttributeTableDock
from app.panels.identify import IdentifyDock
from app.panels.layer_tree.panel import LayerPanel
from app.problems import guarded
from app.window.files import RecentFiles, language_menu, load_project_interactively  # noqa: F401
from app.window.layout import fit_to_screen, full_tab_names
from app.window.scale_box import ScaleBox
from app.window.server import server_actions
from app.window.texts import (  # noqa: F401 (PANELS is read by tests and docs)
    ABOUT_TEXT,
    APP_NAME,
    ERROR_TITLE,
    FILE_FILTER,
    MENU,
    PANELS,
    STATUS,
    SYNTHETIC,
    UNSAVED_TEXT,
    UNSAVED_TITLE,
    UNTITLED,
    project_title,
)
from app.window.themes_menu import TITLE as THEME_TITLE
from app.window.themes_menu import ThemeMenu
from app.window.tools import TEXTS, WindowTools
from app.window.undo_actions import UndoActions
from layers import __version__
from layers.project import Project


class MainWindow(QMainWindow):
    """Precinct Planner's main window, showing one project."""

    def __init__(self, project: Project | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("main_window")
        self.project: Project | None = None
        self._to_lonlat: Transformer | None = None
        self._transformer_crs = None
        self.canvas = MapCanvas(self)
        self.setCentralWidget(self.canvas)
        self.layer_panel = LayerPanel(self)
        self.addDockWidget(Qt.LeftDockWidgetArea, self.layer_panel)
        self.panels: dict[str, QWidget] = {}  # analysis docks, created when first opened
        self.layer_panel.zoomToLayer.connect(self.canvas.zoom_to_layer)
        self.layer_panel.zoomToBounds.connect(self.canvas.zoom_to_bounds)
        self.layer_panel.currentLayerChanged.connect(self.set_current_layer)
        self.attribute_table = AttributeTableDock(self)
        self.addDockWidget(Qt.BottomDockWidgetArea, self.attribute_table)
        self.attribute_table.zoomToFeatures.connect(self.canvas.zoom_to_features)
        self.identify_dock = IdentifyDock(self)
        self.addDockWidget(Qt.RightDockWidgetArea, self.identify_dock)
        self.identify_dock.hide()
        from app.panels.history import HistoryPanel

        self.history_panel = HistoryPanel(self, self.canvas)
        self.addDockWidget(Qt.LeftDockWidgetArea, self.history_panel)
        self.history_panel.hide()
        self.undo_actions = UndoActions(self)
        self.undo_actions.cleanChanged.connect(lambda _clean: self._update_title())
        self.undo_actions.changed.connect(lambda: self.theme_menu.sync())  # undo of a theme
        self.tools = WindowTools(self)
        self.recent = RecentFiles(self)
        from app.window.opening import ProjectOpener

        self.opener = ProjectOpener(self)  # File → Open and recent files load off the GUI thread
        self._build_actions()
        self._build_status_bar()
        self.canvas.cursorMoved.connect(self._show_cursor)
        self.canvas.viewChanged.connect(self._show_scale)
        self.canvas.problem.connect(lambda text: self.statusBar().showMessage(text, 8000))
        fit_to_screen(self)
        self.resizeDocks([self.layer_panel], [min(360, self.width() // 4)], Qt.Horizontal)
        self.resizeDocks([self.attribute_table], [max(200, self.height() * 2 // 7)], Qt.Vertical)
        self.autosave_timer = QTimer(self)
        self.autosave_timer.timeout.connect(self.autosave_now)
        from app.window.team import TeamSync

        self.team = TeamSync(self)  # other planners' saves of a PostGIS project
        self.set_project(project if project is not None else Project())

    # --- building ---------------------------------------------------------------------
    def _action(self, key: str, slot, shortcut=None) -> QAction:
        action = QAction(MENU[key](), self)
        action.setObjectName(f"action_{key}")
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        return action

    def _build_actions(self) -> None:
        self.actions_by_key = {
            "new": self._action("new", self.new_project, QKeySequence.New),
            "open": self._action("open", self.open_dialog, QKeySequence.Open),
            "save": self._action("save", self.save, QKeySequence.Save),
            "save_as": self._action("save_as", self.save_as, QKeySequence.SaveAs),
            "quit": self._action("quit", self.close, QKeySequence.Quit),
            "extent": self._action("extent", self.canvas.zoom_to_extent, "Ctrl+Shift+F"),
            "zoom_in": self._action("zoom_in", lambda: self.canvas.zoom_by(1.5),
                                    QKeySequence.ZoomIn),
            "zoom_out": self._action("zoom_out", lambda: self.canvas.zoom_by(1 / 1.5),
                                     QKeySequence.ZoomOut),
            "about": self._action("about", self.about),
            "conflicts": self._action("conflicts", self.open_conflict_panel),
            "programme": self._action("programme", lambda: self.open_panel("programme")),
            "coverage": self._action("coverage", lambda: self.open_panel("coverage")),
            "siting": self._action("siting", lambda: self.open_panel("siting")),
            "precincts": self._action("precincts", lambda: self.open_panel("precincts")),
            "topology": self._action("topology", lambda: self.open_panel("topology")),
            "schemes": self._action("schemes", lambda: self.open_panel("schemes")),
            "import": self._action("import", lambda: self.open_import_dialog(), "Ctrl+I"),
            "export": self._action("export", lambda: self.open_export_dialog(), "Ctrl+E"),
        }
        a = self.actions_by_key
        bar = self.menuBar()
        file_menu = bar.addMenu(MENU["file"]())
        file_menu.addActions([a["new"], a["open"]])
        self.recent.menu = file_menu.addMenu(MENU["recent"]())
        self.recent.refresh()
        file_menu.addActions([a["save"], a["save_as"]])
        file_menu.addSeparator()
        file_menu.addActions(server_actions(self))  # a team's project on PostGIS
        file_menu.addSeparator()
        file_menu.addActions([a["import"], a["export"]])
        file_menu.addSeparator()
        file_menu.addAction(a["quit"])
        self.tools.fill_edit_menu(bar.addMenu(TEXTS["edit"]()), self.undo_actions)
        view_menu = bar.addMenu(MENU["view"]())
        view_menu.addActions([a["extent"], a["zoom_in"], a["zoom_out"],
                              self.tools.edit_actions["zoom_selection"]])
        view_menu.addSeparator()
        for dock in (self.layer_panel, self.attribute_table, self.identify_dock):
            view_menu.addAction(dock.toggleViewAction())
        view_menu.addAction(self.history_panel.toggleViewAction())
        view_menu.addSeparator()
        self.theme_menu = ThemeMenu(view_menu.addMenu(THEME_TITLE()), self)
        view_menu.addSeparator()
        language_menu(view_menu.addMenu(MENU["language"]()), self)
        bar.addMenu(MENU["analysis"]()).addActions([a[key] for key in PANELS])
        bar.addMenu(MENU["help"]()).addAction(a["about"])
        toolbar = QToolBar(MENU["toolbar"]().replace("&", ""), self)
        toolbar.setObjectName("map_toolbar")
        toolbar.setMovable(False)
        for key in ("new", "open", "save"):
            toolbar.addAction(a[key])
        toolbar.addSeparator()
        toolbar.addActions([self.undo_actions.undo_action, self.undo_actions.redo_action])
        toolbar.addSeparator()
        for key in ("extent", "zoom_in", "zoom_out"):
            toolbar.addAction(a[key])
        self.addToolBar(Qt.TopToolBarArea, toolbar)
        self.addToolBarBreak(Qt.TopToolBarArea)  # the tools get a row of their own: all in view
        self.addToolBar(Qt.TopToolBarArea, self.tools.toolbar())

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.synthetic_label = QLabel(SYNTHETIC)
        self.synthetic_label.setStyleSheet("color: #b2182b; font-weight: bold; padding: 0 6px;")
        self.coord_label = QLabel()
        self.lonlat_label = QLabel()
        self.crs_label = QLabel()
        self.scale_prefix = QLabel(STATUS["scale_prefix"]())
        # the scale is typed as well as read: 1:2000 + Enter zooms to it
        self.scale_label = ScaleBox(self.canvas, lambda text: bar.showMessage(text, 6000))
        for label in (self.synthetic_label, self.coord_label, self.lonlat_label,
                      self.crs_label, self.scale_prefix, self.scale_label):
            if label not in (self.synthetic_label, self.scale_label):
                label.setStyleSheet("padding: 0 8px;")
            label.setMinimumWidth(60 if label is not self.scale_prefix else 0)
            bar.addPermanentWidget(label)

    # --- project ----------------------------------------------------------------------
    def set_project(self, project: Project) -> None:
        self.team.set_project(project)
        self.project = project
        if self._transformer_crs is None or not project.crs.equals(self._transformer_crs):
            self._to_lonlat = Transformer.from_crs(project.crs, "EPSG:4490", always_xy=True)
            self._transformer_crs = project.crs
        self.canvas.set_project(project)
        self.layer_panel.set_project(project)
        self.attribute_table.set_project(project)
        self.undo_actions.set_project(project)
        self.history_panel.set_project(project)
        self.theme_menu.sync()
        for panel in self.panels.values():
            panel.set_project(project)
        epsg = project.crs.to_epsg()
        self.crs_label.setText(f"EPSG:{epsg}" if epsg else project.crs.name)
        self.crs_label.setToolTip(project.crs.name)
        self.synthetic_label.setVisible(project.is_synthetic)
        self.coord_label.clear()
        self.lonlat_label.clear()
        self._update_title()
        self._show_scale()
        interval_s = float(project.standards().value("parameters", "autosave_interval_s", "value"))
        self.autosave_timer.start(int(interval_s * 1000))

    def autosave_now(self) -> Path | None:
        """Write the recovery file if there are unsaved changes (never the project itself)."""
        from layers.store import autosave

        if self.project is None or self.project.undo.is_clean:
            return None
        return guarded(self, autosave, self.project,
                       say=lambda text: self.statusBar().showMessage(text, 8000))[1]

    def _update_title(self) -> None:
        dirty = "" if self.project is None or self.project.undo.is_clean else "*"
        self.setWindowTitle(f"{dirty}{project_title(self.project)} — {APP_NAME()}")

    def set_current_layer(self, layer) -> None:
        """The layer the map tools edit and the attribute table shows."""
        self.canvas.set_current_layer(layer)
        if layer is not None and layer.layer_type in ("vector", "table"):
            self.attribute_table.set_layer(layer)

    def show_problem(self, text: str) -> None:
        self.statusBar().showMessage(text, 10000)

    def show_identified(self, hits: list) -> None:
        """List what identify found and outline it on the map (cleared by the next click)."""
        from app.canvas.overlays import highlight_overlay

        self.identify_dock.show_hits(hits)
        geometries = [layer.gdf.geometry.loc[fid] for layer, fid in hits
                      if getattr(layer, "layer_type", "") == "vector"]
        self.canvas.set_overlay("identify", highlight_overlay(geometries) if geometries else None)

    def new_project(self) -> bool:
        """File → New: an empty project; its CRS from the first imported data (CGCS2000 3-degree
        zone) or given in the dialog (asks about unsaved changes first)."""
        if not self.confirm_discard():
            return False
        from app.dialogs import new_project

        dialog = new_project.NewProjectDialog(self)
        if not new_project.ask(dialog):
            return False
        self.set_project(dialog.project)
        return True

    def _show_cursor(self, x: float, y: float) -> None:
        self.coord_label.setText(STATUS["xy"].format(x=x, y=y)().replace(",", " "))
        lon, lat = self._to_lonlat.transform(x, y)
        self.lonlat_label.setText(STATUS["lonlat"].format(lon=lon, lat=lat)())

    def _show_scale(self) -> None:
        self.scale_label.show_scale()

    # --- file actions -----------------------------------------------------------------
    def open_path(self, path: str | Path, wait: bool = True) -> bool:
        """Open ``path``; ``wait=False`` loads it in a worker thread, showing its stored
        picture meanwhile (:mod:`app.window.opening`), and returns once it started."""
        if not wait:
            return self.opener.open(path)
        self.opener.cancel()
        project = load_project_interactively(path, self)
        if project is None:
            return False
        self.set_project(project)
        self.recent.add(path)
        return True

    def open_dialog(self) -> None:
        if not self.confirm_discard():
            return
        start = str(self.project.path.parent) if self.project and self.project.path else ""
        path, _ = QFileDialog.getOpenFileName(self, MENU["open"]().replace("&", ""), start,
                                              FILE_FILTER())
        if path:
            self.open_path(path, wait=False)

    def save(self) -> bool:
        if self.project.path is None or self.project.metadata.get("opened_as_import"):
            return self.save_as()
        return self._save_to(self.project.path)

    def save_as(self) -> bool:
        start = str(self.project.path) if self.project.path else ""
        path, _ = QFileDialog.getSaveFileName(self, MENU["save_as"]().replace("&", ""), start,
                                              FILE_FILTER())
        if not path:
            return False
        target = Path(path)
        if target.suffix.lower() != ".gpkg":
            target = target.with_suffix(".gpkg")
        return self._save_to(target)

    def _save_to(self, path: Path) -> bool:
        from app.window.saving import save_to

        if not save_to(self, path):
            return False
        self._update_title()
        self.recent.add(path)
        self.statusBar().showMessage(STATUS["saved"].format(path=str(path))(), 5000)
        return True

    def open_panel(self, key: str):
        """Show an analysis dock (right side), creating it on first use."""
        if key not in self.panels:
            import importlib

            module, name = PANELS[key]
            panel = getattr(importlib.import_module(module), name)(self, self.canvas)
            self.addDockWidget(Qt.RightDockWidgetArea, panel)
            # analysis panels share one right-hand area as tabs: opening more never makes
            # the window taller than the screen
            beside = next((p for p in self.panels.values()
                           if self.dockWidgetArea(p) == Qt.RightDockWidgetArea and not p.isFloating()),
                          None)
            if beside is not None:
                self.tabifyDockWidget(beside, panel)
                full_tab_names(self)
            panel.set_project(self.project)
            self.panels[key] = panel
            # the map keeps most of the window: a panel starts at a third at most
            self.resizeDocks([panel], [min(460, max(280, self.width() // 3))], Qt.Horizontal)
        panel = self.panels[key]
        panel.show()
        panel.raise_()
        return panel

    def open_conflict_panel(self):
        """Show the pipeline conflict panel (a dock on the right)."""
        return self.open_panel("conflicts")

    @property
    def conflict_panel(self):
        return self.panels.get("conflicts")

    def open_import_dialog(self, path: str | None = None):
        """File → Import: the import dialog on this project (the import is one undo step)."""
        from app.dialogs.importing import ImportDialog

        dialog = ImportDialog(self.project, self, path=path)
        dialog.show()
        self._import_dialog = dialog  # keep a reference while it is open
        return dialog

    def open_export_dialog(self):
        """File → Export: HTML, map sheet, GeoPackage with QGIS styles, tables (with a preview)."""
        from app.dialogs.export import ExportDialog

        dialog = ExportDialog(self.project, self)
        dialog.show()
        self._export_dialog = dialog
        return dialog

    def about(self) -> None:
        QMessageBox.about(self, MENU["about"]().replace("&", ""),
                          ABOUT_TEXT.format(version=__version__)())

    def confirm_discard(self) -> bool:
        """Unsaved changes: ask Save / Discard / Cancel; True when it is fine to go on."""
        if self.project is None or self.project.undo.is_clean:
            return True
        answer = QMessageBox.question(
            self, UNSAVED_TITLE(), UNSAVED_TEXT(),
            QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel, QMessageBox.Save)
        if answer == QMessageBox.Cancel or (answer == QMessageBox.Save and not self.save()):
            return False
        if answer == QMessageBox.Discard and self.project.path is not None:
            from layers.store.recovery import discard_recovery

            discard_recovery(self.project.path)  # the user chose to drop these changes
        return True

    def grab(self, *args):  # noqa: D102 (a screenshot shows the finished map of the view)
        self.canvas.wait_rendered()
        return super().grab(*args)

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        if not self.confirm_discard():
            event.ignore()
            return
        self.opener.cancel()  # a project still loading is dropped
        self.autosave_timer.stop()
        self.team.close()
        from app.jobs import stop_jobs

        stop_jobs(self)  # work started here ends before its window goes
        self.canvas.detach()
        self.layer_panel.detach()
        self.attribute_table.detach()
        self.undo_actions.set_project(None)
        self.history_panel.set_project(None)
        for panel in self.panels.values():
            if hasattr(panel, "detach"):
                panel.detach()
            else:
                panel.set_project(None)
        super().closeEvent(event)
