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

from app.canvas import MapCanvas
from app.layer_panel import LayerPanel
from layers import __version__
from layers.errors import ProjectError, T
from layers.i18n import current_language
from layers.project import Project

APP_NAME = T("Precinct Planner", "片区规划")
UNTITLED = T("Untitled project", "未命名项目")
SYNTHETIC = "虚构数据 / synthetic data"
FILE_FILTER = T("Precinct Planner project (*.gpkg)", "片区规划项目 (*.gpkg)")
ERROR_TITLE = T("Precinct Planner — problem", "片区规划 — 出现问题")
RECOVERY_TITLE = T("Recover unsaved work?", "恢复未保存的工作？")
RECOVERY_TEXT = T(
    "A recovery file newer than the project was found:\n{path}\n\n"
    "Open the recovered version? (No opens the last saved project.)",
    "发现比项目文件更新的恢复文件：\n{path}\n\n是否打开恢复的版本？（选“否”打开上次保存的项目。）")
UNSAVED_TITLE = T("Unsaved changes", "有未保存的修改")
UNSAVED_TEXT = T("Save the changes to this project before closing?",
                 "关闭前是否保存对本项目的修改？")
ABOUT_TEXT = T(
    "<h3>Precinct Planner {version}</h3><p>A desktop GIS for planners renovating old "
    "residential communities: precincts, 5-10-15 minute life circles, facilities and "
    "pipelines.</p><p>Coordinates in CGCS2000 (EPSG:4546 for Yichang). Sample data are "
    "synthetic.</p>",
    "<h3>片区规划 {version}</h3><p>面向老旧小区改造的桌面 GIS：片区划分、5-10-15 分钟生活圈、"
    "服务设施与地下管线。</p><p>坐标系为 CGCS2000（宜昌为 EPSG:4546）。示例数据为虚构数据。</p>")
MENU = {
    "file": T("&File", "文件(&F)"), "open": T("&Open…", "打开(&O)…"),
    "save": T("&Save", "保存(&S)"), "save_as": T("Save &As…", "另存为(&A)…"),
    "quit": T("&Quit", "退出(&Q)"), "view": T("&View", "视图(&V)"),
    "extent": T("Zoom to &extent", "缩放至全图(&E)"), "zoom_in": T("Zoom &in", "放大(&I)"),
    "zoom_out": T("Zoom &out", "缩小(&O)"), "help": T("&Help", "帮助(&H)"),
    "about": T("&About Precinct Planner", "关于片区规划(&A)"), "toolbar": T("Map", "地图"),
    "import": T("&Import…", "导入(&I)…"),
    "export": T("&Export…", "导出(&E)…"),
    "analysis": T("&Analysis", "分析(&N)"), "conflicts": T("Pipeline &conflicts…", "管线冲突(&C)…"),
    "programme": T("Renovation &programme…", "改造计划(&P)…"),
    "coverage": T("Life-circle &coverage…", "生活圈覆盖(&L)…"),
    "siting": T("&Siting on idle land…", "存量用地选址(&S)…"),
    "precincts": T("P&recincts…", "片区(&R)…"),
}
# analysis docks: menu key → (module, class, whether it takes the canvas)
PANELS = {
    "conflicts": ("app.conflict_panel", "ConflictPanel", True),
    "coverage": ("app.coverage_panel", "CoveragePanel", False),
    "programme": ("app.programme_panel", "ProgrammePanel", False),
    "siting": ("app.siting_panel", "SitingPanel", False),
    "precincts": ("app.precinct_panel", "PrecinctPanel", False),
}
STATUS = {
    "xy": T("x {x:,.1f}  y {y:,.1f} m", "X {x:,.1f}  Y {y:,.1f} 米"),
    "lonlat": T("lon {lon:.5f}°  lat {lat:.5f}°", "经度 {lon:.5f}°  纬度 {lat:.5f}°"),
    "scale": T("scale 1:{n:,.0f}", "比例尺 1:{n:,.0f}"),
    "saved": T("Saved {path}", "已保存 {path}"),
}


def project_title(project: Project, lang: str | None = None) -> str:
    """The project's title in the wanted language, falling back to the other or the file."""
    lang = lang or current_language()
    meta = project.metadata
    order = ("title_zh", "title_en") if lang == "zh" else ("title_en", "title_zh")
    for key in (*order, "title"):
        if meta.get(key):
            return str(meta[key])
    return project.path.stem if project.path else UNTITLED(lang)


def show_error(parent: QWidget | None, exc: ProjectError) -> None:
    QMessageBox.critical(parent, ERROR_TITLE(), exc.message())


def load_project_interactively(path: str | Path, parent: QWidget | None = None) -> Project | None:
    """Open a project, offering a newer recovery file; errors are shown, None returned."""
    from layers.store import find_recovery, open_project

    target = Path(path)
    recovery = find_recovery(target)
    if recovery is not None:
        answer = QMessageBox.question(parent, RECOVERY_TITLE(),
                                      RECOVERY_TEXT.format(path=str(recovery))(),
                                      QMessageBox.Yes | QMessageBox.No, QMessageBox.Yes)
        if answer == QMessageBox.Yes:
            target = recovery
    try:
        return open_project(target)
    except ProjectError as exc:
        show_error(parent, exc)
        return None


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
        self._build_actions()
        self._build_status_bar()
        self.canvas.cursorMoved.connect(self._show_cursor)
        self.canvas.viewChanged.connect(self._show_scale)
        self.canvas.problem.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.resize(1200, 800)
        self.resizeDocks([self.layer_panel], [360], Qt.Horizontal)
        self.autosave_timer = QTimer(self)
        self.autosave_timer.timeout.connect(self.autosave_now)
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
            "import": self._action("import", lambda: self.open_import_dialog(), "Ctrl+I"),
            "export": self._action("export", lambda: self.open_export_dialog(), "Ctrl+E"),
        }
        a = self.actions_by_key
        bar = self.menuBar()
        file_menu = bar.addMenu(MENU["file"]())
        file_menu.addActions([a["open"], a["save"], a["save_as"]])
        file_menu.addSeparator()
        file_menu.addActions([a["import"], a["export"]])
        file_menu.addSeparator()
        file_menu.addAction(a["quit"])
        view_menu = bar.addMenu(MENU["view"]())
        view_menu.addActions([a["extent"], a["zoom_in"], a["zoom_out"]])
        view_menu.addSeparator()
        view_menu.addAction(self.layer_panel.toggleViewAction())
        bar.addMenu(MENU["analysis"]()).addActions([a[key] for key in PANELS])
        bar.addMenu(MENU["help"]()).addAction(a["about"])
        toolbar = QToolBar(MENU["toolbar"]().replace("&", ""), self)
        toolbar.setObjectName("map_toolbar")
        toolbar.setMovable(False)
        for key in ("open", "save"):
            toolbar.addAction(a[key])
        toolbar.addSeparator()
        for key in ("extent", "zoom_in", "zoom_out"):
            toolbar.addAction(a[key])
        self.addToolBar(Qt.TopToolBarArea, toolbar)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.synthetic_label = QLabel(SYNTHETIC)
        self.synthetic_label.setStyleSheet("color: #b2182b; font-weight: bold; padding: 0 6px;")
        self.coord_label = QLabel()
        self.lonlat_label = QLabel()
        self.crs_label = QLabel()
        self.scale_label = QLabel()
        for label in (self.synthetic_label, self.coord_label, self.lonlat_label,
                      self.crs_label, self.scale_label):
            if label is not self.synthetic_label:
                label.setStyleSheet("padding: 0 8px;")
            label.setMinimumWidth(60)
            bar.addPermanentWidget(label)

    # --- project ----------------------------------------------------------------------
    def set_project(self, project: Project) -> None:
        self.project = project
        if self._transformer_crs is None or not project.crs.equals(self._transformer_crs):
            self._to_lonlat = Transformer.from_crs(project.crs, "EPSG:4490", always_xy=True)
            self._transformer_crs = project.crs
        self.canvas.set_project(project)
        self.layer_panel.set_project(project)
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
        try:
            return autosave(self.project)
        except ProjectError as exc:
            self.statusBar().showMessage(exc.message(), 8000)
            return None

    def _update_title(self) -> None:
        self.setWindowTitle(f"{project_title(self.project)} — {APP_NAME()}")

    def _show_cursor(self, x: float, y: float) -> None:
        self.coord_label.setText(STATUS["xy"].format(x=x, y=y)().replace(",", " "))
        lon, lat = self._to_lonlat.transform(x, y)
        self.lonlat_label.setText(STATUS["lonlat"].format(lon=lon, lat=lat)())

    def _show_scale(self) -> None:
        self.scale_label.setText(STATUS["scale"].format(n=self.canvas.scale_denominator())())

    # --- file actions -----------------------------------------------------------------
    def open_path(self, path: str | Path) -> bool:
        project = load_project_interactively(path, self)
        if project is None:
            return False
        self.set_project(project)
        return True

    def open_dialog(self) -> None:
        start = str(self.project.path.parent) if self.project and self.project.path else ""
        path, _ = QFileDialog.getOpenFileName(self, MENU["open"]().replace("&", ""), start,
                                              FILE_FILTER())
        if path:
            self.open_path(path)

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
        from layers.store import save_project

        try:
            save_project(self.project, path)
        except ProjectError as exc:
            show_error(self, exc)
            return False
        self._update_title()
        self.statusBar().showMessage(STATUS["saved"].format(path=str(path))(), 5000)
        return True

    def open_panel(self, key: str):
        """Show an analysis dock (right side), creating it on first use."""
        if key not in self.panels:
            import importlib

            module, name, wants_canvas = PANELS[key]
            cls = getattr(importlib.import_module(module), name)
            panel = cls(self.canvas, self) if wants_canvas else cls(self)
            self.addDockWidget(Qt.RightDockWidgetArea, panel)
            panel.set_project(self.project)
            self.panels[key] = panel
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
        from app.import_dialog import ImportDialog

        dialog = ImportDialog(self.project, self, path=path)
        dialog.show()
        self._import_dialog = dialog  # keep a reference while it is open
        return dialog

    def open_export_dialog(self):
        """File → Export: HTML, map sheet, GeoPackage with QGIS styles, tables (with a preview)."""
        from app.export_dialog import ExportDialog

        dialog = ExportDialog(self.project, self)
        dialog.show()
        self._export_dialog = dialog
        return dialog

    def about(self) -> None:
        QMessageBox.about(self, MENU["about"]().replace("&", ""),
                          ABOUT_TEXT.format(version=__version__)())

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        if self.project is not None and not self.project.undo.is_clean:
            answer = QMessageBox.question(
                self, UNSAVED_TITLE(), UNSAVED_TEXT(),
                QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel, QMessageBox.Save)
            if answer == QMessageBox.Cancel or (answer == QMessageBox.Save and not self.save()):
                event.ignore()
                return
            if answer == QMessageBox.Discard and self.project.path is not None:
                from layers.store.recovery import discard_recovery

                discard_recovery(self.project.path)  # the user chose to drop these changes
        self.autosave_timer.stop()
        self.canvas.detach()
        self.layer_panel.detach()
        for panel in self.panels.values():
            if hasattr(panel, "detach"):
                panel.detach()
            else:
                panel.set_project(None)
        super().closeEvent(event)
