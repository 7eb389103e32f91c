"""File → Export: choose formats, layers, title, language and paper; see the sheet's preview."""

from __future__ import annotations

from pathlib import Path

from PyQt5.QtCore import Qt
from PyQt5.QtGui import QPixmap
from PyQt5.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.canvas.map_sheet import SheetSpec, default_title, export_pdf, export_png, render_sheet_image
from app.jobs import start_job
from app.problems import show_problem
from layers.errors import ProjectError, T
from layers.exports import export_html, write_csv_folder, write_gpkg, write_xlsx
from layers.i18n import current_language
from layers.snapshot import snapshot_project

FORMATS = (("html", ".html", T("Interactive map (HTML, offline)", "交互地图（HTML，离线可用）")),
           ("pdf", ".pdf", T("Map sheet (PDF)", "图纸（PDF）")),
           ("png", ".png", T("Map sheet (PNG)", "图纸（PNG）")),
           ("gpkg", ".gpkg", T("GeoPackage with QGIS styles", "GeoPackage（含 QGIS 样式）")),
           ("xlsx", ".xlsx", T("Tables (XLSX)", "表格（XLSX）")),
           ("csv", "", T("Tables (CSV folder)", "表格（CSV 文件夹）")))
PREVIEW_DPI = 40


WRITING = T("Writing {name}…", "正在写入 {name}…")


class ExportDialog(QDialog):
    """Collects the export choices, previews the sheet and writes the chosen files."""

    def __init__(self, project, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.project = project
        lang = current_language()
        self.setWindowTitle(T("Export", "导出")(lang))
        self.formats = {key: QCheckBox(text(lang)) for key, _, text in FORMATS}
        self.formats["html"].setChecked(True)
        self.formats["pdf"].setChecked(True)
        self.layer_list = QListWidget()
        for layer in project.layers:
            item = QListWidgetItem(layer.name)
            item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
            item.setCheckState(Qt.Checked if layer.visible else Qt.Unchecked)
            self.layer_list.addItem(item)
        self.title = QLineEdit(default_title(project, lang))
        self.lang = QComboBox()
        self.lang.addItem("中文", "zh")
        self.lang.addItem("English", "en")
        self.lang.setCurrentIndex(0 if lang == "zh" else 1)
        self.paper = QComboBox()
        self.paper.addItems(["A4", "A3"])
        self.landscape = QCheckBox(T("Landscape", "横向")(lang))
        self.landscape.setChecked(True)
        base = (project.path.with_suffix("") if project.path else Path.home() / "export")
        self.base = QLineEdit(str(base))
        browse = QPushButton(T("Browse…", "浏览…")(lang))
        browse.clicked.connect(self._browse)
        self.preview = QLabel()
        self.preview.setMinimumSize(320, 240)
        self.preview.setAlignment(Qt.AlignCenter)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.buttons.button(QDialogButtonBox.Ok).setText(T("Export", "导出")(lang))
        self.buttons.accepted.connect(self.export)
        self.buttons.rejected.connect(self.reject)
        self._layout(lang, browse)
        for signal in (self.title.editingFinished, self.paper.currentIndexChanged,
                       self.landscape.toggled, self.lang.currentIndexChanged,
                       self.layer_list.itemChanged):
            signal.connect(self.update_preview)
        self.written: dict[str, object] = {}
        self.update_preview()

    def _layout(self, lang: str, browse: QPushButton) -> None:
        form = QFormLayout()
        form.addRow(T("Title", "标题")(lang), self.title)
        form.addRow(T("Language", "语言")(lang), self.lang)
        paper = QHBoxLayout()
        paper.addWidget(self.paper)
        paper.addWidget(self.landscape)
        form.addRow(T("Paper", "纸张")(lang), paper)
        where = QHBoxLayout()
        where.addWidget(self.base)
        where.addWidget(browse)
        form.addRow(T("Files (name without extension)", "文件（不含扩展名）")(lang), where)
        left = QVBoxLayout()
        for box in self.formats.values():
            left.addWidget(box)
        left.addWidget(QLabel(T("Layers", "图层")(lang)))
        left.addWidget(self.layer_list)
        left.addLayout(form)
        body = QHBoxLayout()
        body.addLayout(left, 1)
        body.addWidget(self.preview, 1)
        outer = QVBoxLayout(self)
        outer.addLayout(body)
        outer.addWidget(self.buttons)

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, T("Export to", "导出到")(), self.base.text())
        if path:
            self.base.setText(str(Path(path).with_suffix("")))

    def chosen_layers(self) -> list[str]:
        return [self.layer_list.item(i).text() for i in range(self.layer_list.count())
                if self.layer_list.item(i).checkState() == Qt.Checked]

    def spec(self, dpi: int = 150) -> SheetSpec:
        return SheetSpec(title=self.title.text(), paper=self.paper.currentText(),
                         landscape=self.landscape.isChecked(), lang=self.lang.currentData(),
                         layers=self.chosen_layers(), dpi=dpi)

    def update_preview(self, *_args) -> None:
        if not self.chosen_layers():
            self.preview.setText(T("No layer chosen", "未选择图层")())
            return
        try:
            image = render_sheet_image(self.project, self.spec(PREVIEW_DPI))
        except ProjectError as exc:
            self.preview.setText(exc.message())
            return
        pixmap = QPixmap.fromImage(image)
        self.preview.setPixmap(pixmap.scaled(self.preview.size(), Qt.KeepAspectRatio,
                                             Qt.SmoothTransformation))

    def targets(self) -> dict[str, Path]:
        base = Path(self.base.text())
        out = {}
        for key, suffix, _ in FORMATS:
            if self.formats[key].isChecked():
                out[key] = base.parent / f"{base.name}_csv" if key == "csv" else \
                    base.with_name(base.name + suffix)
        return out

    def export(self):
        """Write every chosen format; a problem is shown and the dialog stays open."""
        lang, layers = self.lang.currentData(), self.chosen_layers()
        spec = self.spec()
        frozen = snapshot_project(self.project)  # the person may go on editing meanwhile
        writers = {
            "html": lambda p: export_html(frozen, p, layers, spec.title, lang),
            "pdf": lambda p: export_pdf(frozen, p, spec),
            "png": lambda p: export_png(frozen, p, spec),
            "gpkg": lambda p: write_gpkg(frozen, p, layers, lang),
            "xlsx": lambda p: write_xlsx(frozen, p, layers, lang),
            "csv": lambda p: write_csv_folder(frozen, p, layers, lang),
        }
        targets = self.targets()

        def work(progress, cancelled) -> dict:
            written = {}
            for i, (key, path) in enumerate(targets.items()):
                if cancelled():
                    break
                progress(i / len(targets), WRITING.format(name=path.name))
                written[key] = writers[key](path)
            return written

        def done(written: dict) -> None:
            self.written.update(written)
            self.accept()

        def failed(exc: BaseException) -> None:
            show_problem(self, exc, T("Export failed", "导出失败")())

        # a city-sized HTML or PDF takes seconds: write off the GUI thread, with Cancel
        self.task = start_job(self, T("Exporting…", "正在导出…")(), work, done, on_failed=failed)
        return self.task
