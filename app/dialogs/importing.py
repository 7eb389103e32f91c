"""The import dialog: file, target kind, field mapping, preview, coordinates, Import.

All the work is done by :mod:`layers.importing`; the dialog only collects choices
and shows the report. Errors a person can fix appear in a message box.
"""

from __future__ import annotations

from pathlib import Path

from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.problems import guarded, show_problem
from layers.chinese_offsets import suggest_offset
from layers.errors import ProjectError, T
from layers.importing import Source, auto_map, import_layer, read_source
from layers.importing.rasters import is_raster_source, raster_summary
from layers.kinds import KINDS, RASTER_KINDS, VECTOR_KINDS
from layers.tiles import gpkg_tile_tables, tile_format

TITLE = T("Import data", "导入数据")
_VECTOR_FILES = "*.gpkg *.shp *.zip *.geojson *.json *.kml *.kmz *.dxf *.csv *.txt *.xlsx *.osm *.pbf"
_RASTER_FILES = "*.tif *.tiff *.mbtiles *.gpkg *.img *.vrt *.asc"
FILTER = T(f"GIS files, tables, rasters and basemaps ({_VECTOR_FILES} {_RASTER_FILES});;"
           f"Vector data and tables ({_VECTOR_FILES});;Rasters and offline basemaps ({_RASTER_FILES});;"
           "All files (*)",
           f"GIS 文件、表格、栅格和底图 ({_VECTOR_FILES} {_RASTER_FILES});;"
           f"矢量数据和表格 ({_VECTOR_FILES});;栅格和离线底图 ({_RASTER_FILES});;所有文件 (*)")
TILES_MARK = T(" (tiles)", "（瓦片）")
COORDS = (("auto", T("as declared in the file; web-map offsets found by the project's layers",
                     "按文件声明；网络地图偏移据项目图层判断")),
          ("wgs84", T("WGS-84 / CGCS2000 lon/lat", "WGS-84/CGCS2000 经纬度")),
          ("gcj02", T("GCJ-02 (Amap, Tencent, DataV)", "GCJ-02（高德、腾讯、DataV）")),
          ("bd09", T("BD-09 (Baidu)", "BD-09（百度）")))
ENCODINGS = ("auto", "utf-8", "gbk")
PREVIEW_ROWS = 5
NOT_IMPORTED = T("(not imported)", "（不导入）")
PREVIEW = T(f"Preview (first {PREVIEW_ROWS} rows)", f"预览（前 {PREVIEW_ROWS} 行）")
RASTER_PREVIEW = T("What the file holds", "文件内容")


class ImportDialog(QDialog):
    """Choose a file and how it maps onto a layer kind; Import applies one undoable command."""

    def __init__(self, project, parent: QWidget | None = None, path: str | Path | None = None,
                 kind: str = "communities") -> None:
        super().__init__(parent)
        self.project = project
        self.source: Source | None = None
        self.raster_path: Path | None = None  # a raster or tile source (no mapping, no preview rows)
        self.raster_table: str | None = None
        self.initial_kind = kind
        self.report = None
        self.setWindowTitle(TITLE())
        self.resize(760, 620)
        self._build(kind)
        if path is not None:
            self.load(path)

    # --- layout ---------------------------------------------------------------------
    def _build(self, kind: str) -> None:
        self.path_edit = QLineEdit()
        self.path_edit.setReadOnly(True)
        browse = QPushButton(T("Browse…", "浏览…")())
        browse.clicked.connect(self.browse)
        folder = QPushButton(T("Tile folder…", "瓦片文件夹…")())
        folder.setToolTip(T("a folder of {z}/{x}/{y}.png tiles, as a basemap",
                            "{z}/{x}/{y}.png 结构的瓦片文件夹，作为底图")())
        folder.clicked.connect(self.browse_folder)
        file_row = QHBoxLayout()
        file_row.addWidget(self.path_edit, 1)
        file_row.addWidget(browse)
        file_row.addWidget(folder)

        self.kind_combo = QComboBox()
        for key in VECTOR_KINDS + RASTER_KINDS:
            self.kind_combo.addItem(f"{KINDS[key].label()} ({key})", key)
        self.kind_combo.setCurrentIndex(max(0, self.kind_combo.findData(kind)))
        self.kind_combo.currentIndexChanged.connect(self._refill_mapping)
        self.layer_combo = QComboBox()
        self.layer_combo.activated.connect(lambda _i: self.reload())
        self.encoding_combo = QComboBox()
        self.encoding_combo.addItems(ENCODINGS)
        self.encoding_combo.activated.connect(lambda _i: self.reload())
        self.coords_combo = QComboBox()
        self.coords_combo.setEditable(True)  # an EPSG code may be typed in
        for key, label in COORDS:
            self.coords_combo.addItem(key, key)
            self.coords_combo.setItemData(self.coords_combo.count() - 1, label(), Qt.ToolTipRole)
        self.suggestion_label = QLabel()
        self.suggestion_label.setWordWrap(True)
        self.name_edit = QLineEdit()

        form = QFormLayout()
        form.addRow(T("File", "文件")(), file_row)
        form.addRow(T("Layer in file", "文件中的图层")(), self.layer_combo)
        form.addRow(T("Import as", "导入为")(), self.kind_combo)
        form.addRow(T("Layer name", "图层名称")(), self.name_edit)
        form.addRow(T("Text encoding", "文字编码")(), self.encoding_combo)
        form.addRow(T("Coordinates", "坐标")(), self.coords_combo)
        form.addRow("", self.suggestion_label)

        self.mapping_table = QTableWidget(0, 2)
        self.mapping_table.setHorizontalHeaderLabels([T("Source field", "源字段")(),
                                                      T("Layer field", "图层字段")()])
        self.mapping_table.horizontalHeader().setSectionResizeMode(QHeaderView.Stretch)
        self.preview_table = QTableWidget(0, 0)
        self.report_view = QPlainTextEdit()
        self.report_view.setReadOnly(True)
        self.report_view.setMaximumHeight(110)

        self.buttons = QDialogButtonBox(QDialogButtonBox.Cancel)
        self.import_button = self.buttons.addButton(T("Import", "导入")(), QDialogButtonBox.AcceptRole)
        self.import_button.setEnabled(False)
        self.import_button.clicked.connect(self.do_import)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        self.mapping_label = QLabel(T("Field mapping", "字段对应")())
        layout.addWidget(self.mapping_label)
        layout.addWidget(self.mapping_table, 2)
        self.preview_label = QLabel(PREVIEW())
        layout.addWidget(self.preview_label)
        layout.addWidget(self.preview_table, 2)
        layout.addWidget(self.report_view)
        layout.addWidget(self.buttons)

    # --- choices ----------------------------------------------------------------------
    @property
    def kind(self) -> str:
        return self.kind_combo.currentData()

    @property
    def coords(self) -> str:
        text = self.coords_combo.currentText().strip()
        return text or "auto"

    def mapping(self) -> dict[str, str]:
        """The mapping as chosen in the table (source field → schema field)."""
        out: dict[str, str] = {}
        for row in range(self.mapping_table.rowCount()):
            source = self.mapping_table.item(row, 0).text()
            combo = self.mapping_table.cellWidget(row, 1)
            if combo.currentData():
                out[source] = combo.currentData()
        return out

    def set_field(self, source_field: str, schema_field: str | None) -> None:
        """Choose the layer field for a source field (what a person does with the combo)."""
        for row in range(self.mapping_table.rowCount()):
            if self.mapping_table.item(row, 0).text() == source_field:
                combo = self.mapping_table.cellWidget(row, 1)
                combo.setCurrentIndex(max(0, combo.findData(schema_field or "")))
                return
        raise KeyError(source_field)

    # --- actions ------------------------------------------------------------------------
    def browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, TITLE(), "", FILTER())
        if path:
            self.load(path)

    def browse_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, TITLE())
        if path:
            self.load(path)

    def load(self, path: str | Path, layer: str | None = None) -> bool:
        """Read the file for preview and mapping; False (after a message) if it cannot be read."""
        tiles = gpkg_tile_tables(Path(path)) if Path(path).suffix.lower() == ".gpkg" else []
        if (layer is not None and layer in tiles) or is_raster_source(path):
            return self._load_raster(Path(path), layer if layer in tiles else None, tiles)
        ok, source = guarded(self, read_source, path, layer=layer,
                             encoding=self.encoding_combo.currentText(), kind=self.kind)
        if not ok:
            return False
        self.source, self.raster_path = source, None
        self._enable_kinds(VECTOR_KINDS)
        self._raster_mode(False)
        self.path_edit.setText(str(path))
        self.layer_combo.clear()
        for name in source.layers or ([source.layer] if source.layer else []):
            self.layer_combo.addItem(name)
        if source.layer:
            self.layer_combo.setCurrentText(source.layer)
        for table in tiles:  # a GeoPackage with tile pyramids besides its vector layers
            self.layer_combo.addItem(table + TILES_MARK(), table)
        self.name_edit.setText(self.project.unique_name(Path(path).stem))
        self._show_suggestion()
        self._refill_mapping()
        self._fill_preview()
        self.import_button.setEnabled(True)
        return True

    def _load_raster(self, path: Path, table: str | None, tiles: list[str]) -> bool:
        """A raster or an offline basemap: what it holds instead of fields and rows."""
        ok, summary = guarded(self, raster_summary, path, table)
        if not ok:
            return False
        self.source, self.raster_path, self.raster_table = None, path, table
        self.path_edit.setText(str(path))
        self.layer_combo.clear()
        for name in tiles:
            self.layer_combo.addItem(name + TILES_MARK(), name)
        if table:
            self.layer_combo.setCurrentIndex(max(0, self.layer_combo.findData(table)))
        basemap = tile_format(path) is not None
        self._enable_kinds(("basemap",) if basemap else RASTER_KINDS)
        self.name_edit.setText(self.project.unique_name(path.stem or path.name))
        self.suggestion_label.setText(T(
            "An offline basemap: its tiles are read where they lie (not copied into the project)."
            if basemap else "A raster: it is copied into the project and drawn below the vector layers.",
            "离线底图：瓦片从原位置读取（不复制进项目）。" if basemap
            else "栅格：将复制进项目，并绘制在矢量图层之下。")())
        self.mapping_table.setRowCount(0)
        self._raster_mode(True)
        self._fill_rows([T("Property", "属性")(), T("Value", "值")()],
                        [[label(), value] for label, value in summary])
        self.preview_table.resizeColumnsToContents()
        self.import_button.setEnabled(True)
        return True

    def _raster_mode(self, raster: bool) -> None:
        """A raster has no fields to map, no text encoding and its own coordinates."""
        self.mapping_label.setVisible(not raster)
        self.mapping_table.setVisible(not raster)
        self.encoding_combo.setEnabled(not raster)
        self.coords_combo.setEnabled(not raster)
        self.preview_label.setText(RASTER_PREVIEW() if raster else PREVIEW())

    def _enable_kinds(self, allowed) -> None:
        """Offer only the kinds this file can become (vector kinds or raster kinds)."""
        model = self.kind_combo.model()
        for row in range(self.kind_combo.count()):
            item = model.item(row)
            item.setEnabled(self.kind_combo.itemData(row) in allowed)
        if self.kind not in allowed:
            wanted = self.initial_kind if self.initial_kind in allowed else allowed[0]
            self.kind_combo.setCurrentIndex(max(0, self.kind_combo.findData(wanted)))

    def reload(self) -> None:
        path = self.source.path if self.source is not None else self.raster_path
        if path is not None:
            table = self.layer_combo.currentData()
            self.load(path, table or self.layer_combo.currentText() or None)

    def do_import(self) -> None:
        if self.raster_path is not None:
            self._import_raster()
            return
        if self.source is None:
            return
        name = self.name_edit.text().strip() or None
        if self.layer_combo.currentText() and self.layer_combo.currentText() != self.source.layer:
            self.reload()
        ok, report = guarded(self, import_layer, self.project, self.source.path, self.kind,
                             layer_name=name, mapping=self.mapping(), coords=self.coords,
                             source=self.source)
        if not ok:
            return
        self.report = report
        self.report_view.setPlainText("\n".join(self.report.lines()))
        if report.warnings:  # the data may be misplaced: the person must see it before going on
            from PyQt5.QtWidgets import QMessageBox

            QMessageBox.warning(self, TITLE(), "\n\n".join(w() for w in report.warnings))
        self.accept()

    def _import_raster(self) -> None:
        name = self.name_edit.text().strip() or None
        ok, report = guarded(self, import_layer, self.project, self.raster_path, self.kind,
                             layer_name=name, source_layer=self.raster_table)
        if not ok:
            return
        self.report = report
        self.report_view.setPlainText("\n".join(self.report.lines()))
        self.accept()

    # --- helpers ------------------------------------------------------------------------
    def _error(self, exc: ProjectError) -> None:
        show_problem(self, exc, TITLE())

    def _show_suggestion(self) -> None:
        src = self.source
        text, guess = "", None
        if src is not None and (src.declared_crs is None or src.declared_crs.is_geographic):
            guess = suggest_offset(src.columns + list(src.coordinate_columns or ()))  # names, not the file's
            if guess:
                label = dict(COORDS)[guess]
                text = T(f"Suggestion: the field names look like {label.en} output; choose {guess} if it "
                         "is (with auto, the project's layers decide where they can).",
                         f"建议：字段名疑似来自{label.zh}，如是请选择 {guess}（选 auto 时，"
                         "如有可比对的项目图层，将据其判断）。")()
        self.suggestion_label.setText(text)
        self.suggested_coords = guess

    def _refill_mapping(self) -> None:
        if self.source is None:
            return
        schema = KINDS[self.kind]
        matched = auto_map(self.source.columns, self.kind)
        table = self.mapping_table
        table.setRowCount(len(self.source.columns))
        for row, column in enumerate(self.source.columns):
            table.setItem(row, 0, QTableWidgetItem(column))
            combo = QComboBox()
            combo.addItem(NOT_IMPORTED(), "")
            for f in schema.fields:
                combo.addItem(f"{f.label()} ({f.name})", f.name)
            combo.setCurrentIndex(max(0, combo.findData(matched.get(column, ""))))
            table.setCellWidget(row, 1, combo)

    def _fill_preview(self) -> None:
        assert self.source is not None
        frame = self.source.preview(PREVIEW_ROWS)
        rows = [[_text(frame.iat[r, c]) for c in range(len(frame.columns))] for r in range(len(frame))]
        self._fill_rows([str(c) for c in frame.columns], rows)

    def _fill_rows(self, header: list[str], rows: list[list[str]]) -> None:
        table = self.preview_table
        table.clear()
        table.setColumnCount(len(header))
        table.setRowCount(len(rows))
        table.setHorizontalHeaderLabels(header)
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                table.setItem(r, c, QTableWidgetItem(text[:200]))


def _text(value) -> str:
    return "" if value is None or (isinstance(value, float) and value != value) else str(value)
