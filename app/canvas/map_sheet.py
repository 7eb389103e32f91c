"""The printable map sheet (PNG or PDF, A4/A3, portrait or landscape).

Title, the map (drawn by :func:`app.canvas.paint_layers`, the canvas's own painter),
legend, scale bar, north arrow, CRS, date and data sources. In the PDF the map is
vectors (native PDF paths and strokes; rasters and basemap tiles stay pictures) and all
text is text with its font embedded (QPdfWriter embeds the glyphs it uses), drawn with
the fonts of :mod:`app.canvas.sheet_fonts` so that a reader extracts 小区 and every
digit as they were written. Geometry is simplified to a tenth of a printed millimetre
first (``SIMPLIFY_MM``), which nobody sees and which keeps a city sheet small and fast.
"""

from __future__ import annotations

import datetime as _dt
import os
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from PyQt5.QtCore import QMarginsF, QPointF, QRectF, QSizeF, Qt
from PyQt5.QtGui import (
    QColor,
    QGuiApplication,
    QImage,
    QPageLayout,
    QPageSize,
    QPainter,
    QPainterPath,
    QPdfWriter,
    QPen,
    QTransform,
)

from app.canvas.paths import build_graphics, raster_image
from app.canvas.sheet_fonts import sheet_font
from app.canvas.tiles import TileGraphics, framing_boxes, is_tiles
from app.canvas.view import BACKGROUND, nice_length, paint_layers
from layers import display
from layers.errors import ProjectError, T
from layers.exports.common import (
    is_raster,
    is_vector,
    layer_style,
    output_path,
    select_layers,
)
from layers.store.atomic import atomic_target
from styles import effective_style, resolve_raster

PAPERS_MM = {"A4": (210.0, 297.0), "A3": (297.0, 420.0)}
MARGIN_MM, LEGEND_MM, FOOTER_MM, TITLE_MM = 10.0, 58.0, 22.0, 16.0
LEGEND_ROW_MM = 4.6
SIMPLIFY_MM = 0.1  # geometry detail below a tenth of a printed millimetre is left out
VECTOR_CHUNK = 512  # features a path in the PDF (the screen's 16 suits Qt's rasteriser)


@dataclass
class SheetSpec:
    """What goes on the sheet and how large it is."""

    title: str = ""
    paper: str = "A4"  # or "auto": A3 for a city-sized extent, else A4
    landscape: bool | None = True  # None: from the extent's shape
    lang: str = "zh"
    layers: list[str] | None = None
    dpi: int = 150  # raster resolution of PNGs and of the map picture inside PDFs
    grid: bool = False  # coordinate grid over the map
    inset: bool = False  # overview map of the whole project in a corner
    charts: bool = False  # PDF: a second page with the report's charts
    sources: str = ""
    extent: tuple[float, float, float, float] | None = None
    date: str = field(default_factory=lambda: _dt.date.today().isoformat())

    def page_mm(self) -> tuple[float, float]:
        if self.paper == "auto" or self.landscape is None:
            raise ProjectError(T("the sheet's paper or orientation is not decided yet",
                                 "图纸的纸张或方向尚未确定"), "map sheet",
                               T("call resolve_spec(project, spec) first", "请先调用 resolve_spec"))
        if self.paper not in PAPERS_MM:
            raise ProjectError(T(f"unknown paper size {self.paper!r}", f"未知纸张 {self.paper!r}"),
                               "--paper", T("use A4 or A3", "请使用 A4 或 A3"))
        w, h = PAPERS_MM[self.paper]
        return (h, w) if self.landscape else (w, h)


_APP: list[QGuiApplication] = []  # keeps an application made here alive


def ensure_qt_app() -> QGuiApplication:
    """A Qt application for fonts and painting (offscreen when there is no display)."""
    app = QGuiApplication.instance()
    if app is None:
        if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        app = QGuiApplication(["precinct-export"])
        _APP.append(app)
    return app


class _Sheet:
    """Draws one sheet onto a painter whose device has ``dpi`` pixels per inch."""

    def __init__(self, project, spec: SheetSpec, dpi: float) -> None:
        self.project, self.spec, self.dpi = project, spec, dpi
        self.layers = select_layers(project, spec.layers)
        self.px = dpi / 25.4  # device pixels per millimetre

    def mm(self, *values: float) -> list[float]:
        return [v * self.px for v in values]

    def legend_columns(self, body_h_mm: float) -> int:
        """As many legend columns as the entries need (a legend is never cut short)."""
        rows = sum(1 + len(entries) for _n, _f, entries in self._legend_sections())
        sections = len(self._legend_sections())
        needed = rows * LEGEND_ROW_MM + sections * 1.5
        available = max(body_h_mm - 9.0, LEGEND_ROW_MM * 3)
        return int(min(max(1, -(-needed // available)), 4))

    def frames(self) -> tuple[QRectF, QRectF, QRectF, QRectF]:
        w, h = self.spec.page_mm()
        m = MARGIN_MM
        title = QRectF(*self.mm(m, m, w - 2 * m, TITLE_MM))
        body_top, body_h = m + TITLE_MM, h - 2 * m - TITLE_MM - FOOTER_MM
        legend_w = LEGEND_MM * self.legend_columns(body_h)
        map_rect = QRectF(*self.mm(m, body_top, w - 2 * m - legend_w - 4, body_h))
        legend = QRectF(*self.mm(w - m - legend_w, body_top, legend_w, body_h))
        footer = QRectF(*self.mm(m, h - m - FOOTER_MM, w - 2 * m, FOOTER_MM))
        return title, map_rect, legend, footer

    def extent(self) -> tuple[float, float, float, float]:
        if self.spec.extent is not None:
            return self.spec.extent
        boxes = framing_boxes(la for la in self.layers if la.visible) or framing_boxes(self.layers)
        if not boxes:
            raise ProjectError(T("the chosen layers have nothing to draw", "所选图层没有可绘制的内容"),
                               "map sheet", T("choose layers with features", "请选择含要素的图层"))
        arr = np.array(boxes)
        return arr[:, 0].min(), arr[:, 1].min(), arr[:, 2].max(), arr[:, 3].max()

    def draw(self, painter: QPainter, vector: bool = False) -> None:
        """The whole sheet; ``vector``: the map as device-coordinate paths (PDF)."""
        title, map_rect, legend, footer = self.frames()
        painter.fillRect(QRectF(0, 0, *self.mm(*self.spec.page_mm())), Qt.white)
        self._title(painter, title)
        mpp = self._map(painter, map_rect, vector)
        if self.spec.grid or self.spec.inset:
            from app.canvas.sheet_extras import draw_grid, draw_inset

            if self.spec.grid:
                self.grid_lines = draw_grid(painter, map_rect, self.map_view, self.map_mpp_px, self.px)
            if self.spec.inset:
                boxes = framing_boxes(self.layers)
                if boxes:
                    arr = np.array(boxes)
                    whole = (arr[:, 0].min(), arr[:, 1].min(), arr[:, 2].max(), arr[:, 3].max())
                    self.inset_rect = draw_inset(painter, map_rect, self, self.map_view, whole)
        self._north_arrow(painter, map_rect)
        self._legend(painter, legend)
        self._footer(painter, footer, mpp)

    def _title(self, painter: QPainter, rect: QRectF) -> None:
        """The title, and under it the map theme shown (the subtitle) when one is chosen."""
        from layers.themes import active
        from styles.themes import THEMES

        painter.setPen(QColor("#1a1a1a"))
        painter.setFont(sheet_font(18, bold=True))
        theme = active(self.project)
        if theme is None:
            painter.drawText(rect, Qt.AlignLeft | Qt.AlignVCenter, self.spec.title)
            return
        top = QRectF(rect.left(), rect.top(), rect.width(), rect.height() * 0.62)
        painter.drawText(top, Qt.AlignLeft | Qt.AlignVCenter, self.spec.title)
        painter.setFont(sheet_font(10))
        painter.setPen(QColor("#444444"))
        bottom = QRectF(rect.left(), top.bottom(), rect.width(), rect.height() - top.height())
        painter.drawText(bottom, Qt.AlignLeft | Qt.AlignVCenter, THEMES[theme].label(self.spec.lang))

    def _map(self, painter: QPainter, rect: QRectF, vector: bool) -> float:
        """Draw the map into ``rect`` (clipped to it); return ground metres per sheet mm."""
        x0, y0, x1, y1 = self.extent()
        mpp = max((x1 - x0) / rect.width(), (y1 - y0) / rect.height()) * 1.04  # per device px
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        centre = rect.center()
        world = QTransform(1 / mpp, 0, 0, -1 / mpp, centre.x() - cx / mpp, centre.y() + cy / mpp)
        half_w, half_h = rect.width() / 2 * mpp, rect.height() / 2 * mpp
        view = (cx - half_w, cy - half_h, cx + half_w, cy + half_h)
        tolerance = SIMPLIFY_MM * self.px * mpp  # ground metres
        cache: dict[str, object] = {}
        painter.save()
        painter.setClipRect(rect)
        painter.fillRect(rect, BACKGROUND)
        paint_layers(painter, self.layers, world, view, mpp,
                     lambda la: self._graphics(la, cache, tolerance, vector), sheet_font(8),
                     pen_scale=self.dpi / 96.0, device_paths=vector)
        painter.restore()
        painter.setPen(QPen(QColor("#333333"), self.px * 0.3))
        painter.setBrush(Qt.NoBrush)
        painter.drawRect(rect)
        self.map_rect, self.map_mpp_px = rect, mpp  # ground metres per sheet pixel
        self.map_view = view
        return mpp * self.px

    def _graphics(self, layer, cache: dict, tolerance: float = 0.0, vector: bool = False):
        if layer.id not in cache:
            if is_tiles(layer):
                cache[layer.id] = TileGraphics(layer)
            elif is_raster(layer):
                cache[layer.id] = raster_image(layer)
            else:
                cache[layer.id] = build_graphics(simplified(layer.gdf, tolerance),
                                                 layer_style(self.project, layer)[1],
                                                 **({"chunk": VECTOR_CHUNK} if vector else {}))
        return cache[layer.id]

    def _north_arrow(self, painter: QPainter, rect: QRectF) -> None:
        s = self.px
        cx, top = rect.right() - 10 * s, rect.top() + 5 * s
        for side, fill in ((-1, "#222222"), (1, "#ffffff")):
            path = QPainterPath(QPointF(cx, top))
            path.lineTo(cx + side * 3 * s, top + 10 * s)
            path.lineTo(cx, top + 7.5 * s)
            path.closeSubpath()
            painter.setPen(QPen(QColor("#222222"), 0.3 * s))
            painter.setBrush(QColor(fill))
            painter.drawPath(path)
        painter.setFont(sheet_font(8, bold=True))
        painter.drawText(QRectF(cx - 4 * s, top + 10 * s, 8 * s, 5 * s), Qt.AlignCenter, "N")

    def _legend_sections(self) -> list[tuple[str, str, list]]:
        if getattr(self, "_sections", None) is None:
            self._sections = self._make_legend_sections()
        return self._sections

    def _make_legend_sections(self) -> list[tuple[str, str, list]]:
        sections = []
        for layer in reversed(self.layers):  # top layer first, as a reader scans
            if not layer.visible:
                continue
            if is_vector(layer) and len(layer):
                family = layer.schema.geometry or "polygon"
                sections.append((display.layer_title(layer, self.spec.lang), family,
                                 layer_style(self.project, layer)[1].legend))
            elif is_raster(layer):
                legend = resolve_raster(effective_style(layer.kind, layer.style), layer.array,
                                        layer.nodata).legend
                if legend:
                    sections.append((display.layer_title(layer, self.spec.lang), "polygon",
                                     legend))
        return sections

    def _legend(self, painter: QPainter, rect: QRectF) -> None:
        s, lang = self.px, self.spec.lang
        painter.setPen(QColor("#1a1a1a"))
        painter.setFont(sheet_font(11, bold=True))
        painter.drawText(QRectF(rect.left(), rect.top(), rect.width(), 7 * s),
                         Qt.AlignLeft | Qt.AlignVCenter, T("Legend", "图例")(lang))
        top, row, col_w = rect.top() + 9 * s, LEGEND_ROW_MM * s, LEGEND_MM * s
        x, y = rect.left(), top
        self.legend_rows_drawn = 0
        for name, family, entries in self._legend_sections():
            if y + 2 * row > rect.bottom():  # the next column (frames() made room for it)
                x, y = x + col_w, top
            painter.setFont(sheet_font(8.5, bold=True))
            painter.drawText(QRectF(x, y, col_w - 2 * s, row), Qt.AlignVCenter, name)
            y += row
            painter.setFont(sheet_font(8))
            for entry in entries:
                if y + row > rect.bottom():
                    x, y = x + col_w, top
                self._swatch(painter, QRectF(x + s, y + 1 * s, 7 * s, 2.8 * s), family, entry)
                painter.setPen(QColor("#1a1a1a"))
                painter.drawText(QRectF(x + 10 * s, y, col_w - 12 * s, row),
                                 Qt.AlignVCenter, entry.label(lang))
                self.legend_rows_drawn += 1
                y += row
            y += 1.5 * s

    def _swatch(self, painter: QPainter, box: QRectF, family: str, entry) -> None:
        fill, stroke = QColor(*entry.fill), QColor(*entry.stroke)
        width = max(entry.stroke_width, 0.5) * self.dpi / 96.0
        pen = QPen(stroke, width) if entry.stroke_width > 0 else QPen(Qt.NoPen)
        if family == "line":
            painter.setPen(QPen(stroke, width, Qt.SolidLine, Qt.FlatCap))
            painter.drawLine(QPointF(box.left(), box.center().y()),
                             QPointF(box.right(), box.center().y()))
        elif family == "point":
            painter.setPen(QPen(stroke, self.dpi / 96.0))
            painter.setBrush(fill)
            d = box.height()
            painter.drawEllipse(QRectF(box.center().x() - d / 2, box.top(), d, d))
        else:
            painter.setPen(pen)
            painter.setBrush(fill)
            painter.drawRect(box)

    def _footer(self, painter: QPainter, rect: QRectF, metres_per_mm: float) -> None:
        s, lang = self.px, self.spec.lang
        length = nice_length(metres_per_mm * 40)  # a bar of at most 40 mm
        bar_mm = length / metres_per_mm
        x, y = rect.left(), rect.top() + 7 * s
        for i in range(4):
            painter.setPen(QPen(QColor("#222222"), 0.2 * s))
            painter.setBrush(QColor("#222222") if i % 2 == 0 else Qt.white)
            painter.drawRect(QRectF(x + i * bar_mm * s / 4, y, bar_mm * s / 4, 1.6 * s))
        painter.setFont(sheet_font(7.5))
        text = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
        painter.drawText(QPointF(x, y - 1 * s), "0")
        painter.drawText(QPointF(x + bar_mm * s + 1 * s, y + 1.6 * s), text)
        scale = round(metres_per_mm * 1000, -2) or metres_per_mm * 1000
        painter.drawText(QPointF(x, y + 6 * s), T(f"Scale 1:{scale:,.0f}",
                                                  f"比例尺 1:{scale:,.0f}")(lang))
        crs = self.project.crs
        auth = crs.to_authority()
        code = f"{auth[0]}:{auth[1]}" if auth else ""
        lines = [T("Coordinate system: ", "坐标系：")(lang) + f"{crs.name} {code}".strip(),
                 T("Date: ", "日期：")(lang) + self.spec.date,
                 T("Data sources: ", "数据来源：")(lang) + self._sources()]
        info = QRectF(rect.left() + 60 * s, rect.top() + 2 * s, rect.width() - 60 * s,
                      rect.height() - 2 * s)
        painter.drawText(info, Qt.AlignLeft | Qt.AlignTop | Qt.TextWordWrap, "\n".join(lines))

    def _sources(self) -> str:
        lang = self.spec.lang
        if self.spec.sources:
            return self.spec.sources
        meta = self.project.metadata
        text = str(meta.get(f"sources_{lang}") or meta.get("sources") or "")
        if not text:
            text = T("project layers: ", "项目图层：")(lang) + ("、" if lang == "zh" else ", ").join(
                display.layer_title(la, lang) for la in self.layers if la.visible)
        if self.project.is_synthetic:
            text += T(" — synthetic sample data, describes no real place",
                      "——虚构示例数据，不对应任何真实地点")(lang)
        return text


def simplified(gdf, tolerance: float):
    """``gdf`` with lines and polygons simplified by ``tolerance`` (Douglas-Peucker, which
    is fast; a part that would vanish keeps its shape). The same rows, for the styles.
    Geometries of a few vertices (street and pipe segments) are left as they are."""
    if tolerance <= 0 or not len(gdf):
        return gdf
    geoms = np.asarray(gdf.geometry.array, dtype=object)
    lines_or_areas = (shapely.get_dimensions(geoms) >= 1) & (
        shapely.get_num_coordinates(geoms) > 8)
    if not lines_or_areas.any():
        return gdf
    out = geoms.copy()
    simple = shapely.simplify(geoms[lines_or_areas], tolerance, preserve_topology=False)
    out[lines_or_areas] = np.where(shapely.is_empty(simple), geoms[lines_or_areas], simple)
    copy = gdf.copy(deep=False)
    copy[gdf.geometry.name] = gpd.GeoSeries(out, index=gdf.index, crs=gdf.crs)
    return copy


CITY_SIZE_M = 6000.0  # an extent wider or taller than this goes on A3 when the paper is "auto"


def resolve_spec(project, spec: SheetSpec) -> SheetSpec:
    """Paper and orientation from what the sheet shows: landscape for a wide extent,
    portrait for a tall one; A3 for a city-sized extent (so communities stay legible)."""
    from dataclasses import replace

    if spec.paper != "auto" and spec.landscape is not None:
        return spec
    probe = replace(spec, paper="A4", landscape=True)
    x0, y0, x1, y1 = _Sheet(project, probe, 96.0).extent()
    paper = spec.paper if spec.paper != "auto" else ("A3" if max(x1 - x0, y1 - y0) > CITY_SIZE_M else "A4")
    landscape = spec.landscape if spec.landscape is not None else (x1 - x0) >= (y1 - y0)
    return replace(spec, paper=paper, landscape=landscape)


def default_title(project, lang: str) -> str:
    meta = project.metadata
    return str(meta.get(f"title_{lang}") or meta.get("title") or T("Map", "地图")(lang))


def render_sheet_image(project, spec: SheetSpec) -> QImage:
    """The sheet as an image at ``spec.dpi`` (also the export dialog's preview)."""
    ensure_qt_app()
    spec = resolve_spec(project, spec)
    w_mm, h_mm = spec.page_mm()
    px = spec.dpi / 25.4
    image = QImage(int(w_mm * px), int(h_mm * px), QImage.Format_ARGB32_Premultiplied)
    dots_per_metre = int(round(spec.dpi / 0.0254))
    image.setDotsPerMeterX(dots_per_metre)
    image.setDotsPerMeterY(dots_per_metre)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.Antialiasing)
    painter.setRenderHint(QPainter.TextAntialiasing)
    _Sheet(project, spec, spec.dpi).draw(painter)
    painter.end()
    return image


def export_png(project, path: str | Path, spec: SheetSpec) -> Path:
    target = _checked(path, ".png")
    image = render_sheet_image(project, spec)
    with atomic_target(target) as tmp:
        if not image.save(str(tmp), "PNG"):
            raise _cannot_write(target)
    return target


def export_pdf(project, path: str | Path, spec: SheetSpec, resolution: int = 300) -> Path:
    """A one-page PDF: the map as vectors (rasters and basemaps as pictures), text as text;
    ``resolution`` is the PDF's device units per inch (line widths and placement)."""
    ensure_qt_app()
    spec = resolve_spec(project, spec)
    target = _checked(path, ".pdf")
    with atomic_target(target) as tmp:
        writer = QPdfWriter(str(tmp))
        writer.setResolution(resolution)
        writer.setTitle(spec.title)
        writer.setCreator("Precinct Planner")
        w_mm, h_mm = spec.page_mm()
        size = QPageSize(QSizeF(w_mm, h_mm), QPageSize.Millimeter, spec.paper)
        writer.setPageLayout(QPageLayout(size, QPageLayout.Portrait, QMarginsF(0, 0, 0, 0)))
        painter = QPainter(writer)
        if not painter.isActive():
            raise _cannot_write(target)
        painter.setRenderHint(QPainter.Antialiasing)
        _Sheet(project, spec, resolution).draw(painter, vector=True)
        if spec.charts:
            from app.canvas.sheet_charts import chart_page

            chart_page(project, spec, writer, painter, resolution, w_mm, h_mm)
        painter.end()
    return target


def _checked(path: str | Path, suffix: str) -> Path:
    return output_path(path, (suffix,), T("map sheet", "图纸"))


def _cannot_write(target: Path) -> ProjectError:
    return ProjectError(T("cannot write the map sheet", "无法写出图纸"), str(target),
                        T("choose a folder you can write to", "请选择可写入的文件夹"))
