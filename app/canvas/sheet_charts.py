"""The map sheet's chart page (a second PDF page): the report's charts drawn with the sheet's
painter, so bars and text stay vectors and text (searchable) — coverage per service and
level, the smallest precincts against the floor, pipeline findings by utility pair, the
renovation cost by category (data: :mod:`layers.exports.chart_data`)."""

from __future__ import annotations

from PyQt5.QtCore import QPointF, QRectF, Qt
from PyQt5.QtGui import QColor, QFontMetricsF, QPainter, QPen

from app.canvas.sheet_fonts import sheet_font


def draw_chart(painter: QPainter, rect: QRectF, chart, px: float, grouped: bool = False) -> int:
    """One chart in ``rect`` (device pixels; ``px`` pixels per mm); returns the bars drawn."""
    title, rows, series, marks = chart
    painter.save()
    painter.setPen(QColor("#1a1a1a"))
    painter.setFont(sheet_font(10, bold=True))
    painter.drawText(QRectF(rect.left(), rect.top(), rect.width(), 7 * px), Qt.AlignLeft | Qt.AlignVCenter,
                     title)
    font = sheet_font(7.5)
    painter.setFont(font)
    metrics = QFontMetricsF(font, painter.device())  # the page's resolution, not the screen's
    x = rect.left()
    legend_y = rect.top() + 8 * px
    for _key, name, colour in series:  # legend
        painter.fillRect(QRectF(x, legend_y + 0.8 * px, 3 * px, 3 * px), QColor(colour))
        painter.setPen(QColor("#1a1a1a"))
        painter.drawText(QPointF(x + 4 * px, legend_y + 3.4 * px), name)
        x += 4 * px + metrics.horizontalAdvance(name) + 4 * px
    top = legend_y + 6 * px
    label_w = min(max((metrics.horizontalAdvance(r[0]) for r in rows), default=0) + 2 * px, rect.width() * 0.35)
    value_w = metrics.horizontalAdvance("000,000,000") + 2 * px
    width = rect.width() - label_w - value_w
    per_row = len(series) if grouped else 1
    bar_h = min(5 * px, (rect.bottom() - top) / max(len(rows) * per_row + len(rows) * 0.5, 1))
    peak = max([max(v.values(), default=0) if grouped else sum(v.values()) for _l, v in rows]
               + [m[0] for m in marks], default=0) or 1.0
    drawn, y = 0, top
    for label, values in rows:
        painter.setPen(QColor("#1a1a1a"))
        shown = metrics.elidedText(label, Qt.ElideRight, label_w - 2 * px)
        painter.drawText(QRectF(rect.left(), y, label_w - 2 * px, bar_h * per_row),
                         Qt.AlignRight | Qt.AlignVCenter, shown)
        start = rect.left() + label_w
        for i, (key, _name, colour) in enumerate(series):
            value = float(values.get(key, 0.0))
            w = width * value / peak
            box = QRectF(start, y + (i * bar_h if grouped else 0), w, bar_h * 0.85)
            painter.fillRect(box, QColor(colour))
            drawn += w > 0
            if grouped:
                painter.drawText(QPointF(box.right() + 1 * px, box.bottom() - 0.6 * px), f"{value:,.0f}")
            else:
                start += w
        if not grouped:
            painter.drawText(QPointF(start + 1 * px, y + bar_h * 0.7), f"{sum(values.values()):,.0f}")
        y += bar_h * per_row + bar_h * 0.5
    for value, name, colour in marks:
        mx = rect.left() + label_w + width * value / peak
        painter.setPen(QPen(QColor(colour), 0.4 * px, Qt.DashLine))
        painter.drawLine(QPointF(mx, top - 1 * px), QPointF(mx, y))
        painter.drawText(QPointF(mx + 1 * px, top - 1.5 * px), f"{name} {value:,.0f}")
    painter.restore()
    return drawn


def draw_chart_page(painter: QPainter, page: QRectF, charts, px: float, title: str) -> int:
    """All charts (``(chart, grouped)`` pairs) on one page, two per row; returns the bars drawn."""
    painter.fillRect(page, Qt.white)
    painter.setPen(QColor("#1a1a1a"))
    painter.setFont(sheet_font(16, bold=True))
    margin = 10 * px
    painter.drawText(QRectF(page.left() + margin, page.top() + margin, page.width() - 2 * margin, 12 * px),
                     Qt.AlignLeft | Qt.AlignVCenter, title)
    top = page.top() + margin + 16 * px
    cols = 2
    rows = (len(charts) + cols - 1) // cols or 1
    w = (page.width() - 2 * margin - 8 * px) / cols
    h = (page.bottom() - margin - top - 8 * px * (rows - 1)) / rows
    drawn = 0
    for i, (chart, grouped) in enumerate(charts):
        r, c = divmod(i, cols)
        box = QRectF(page.left() + margin + c * (w + 8 * px), top + r * (h + 8 * px), w, h)
        drawn += draw_chart(painter, box, chart, px, grouped=grouped)
    return drawn


def chart_page(project, spec, writer, painter, resolution: int, w_mm: float, h_mm: float) -> None:
    """A second page with the charts (coverage, precincts, conflicts, cost) when there is data."""
    from layers.errors import T
    from layers.exports.chart_data import report_charts

    charts = report_charts(project, spec.lang)
    if not charts:
        return
    writer.newPage()
    px = resolution / 25.4
    draw_chart_page(painter, QRectF(0, 0, w_mm * px, h_mm * px), charts, px,
                    f"{spec.title} — " + T("charts", "统计图")(spec.lang))
