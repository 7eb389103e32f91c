"""A horizontal stacked bar chart for panels (QPainter, no chart library): one bar per row,
segments per series with a legend, values written at the bar's end. Panels that would
rather show than list use it (conflicts by utility pair; more to come)."""

from __future__ import annotations

from PyQt5.QtCore import QPointF, QRectF, Qt
from PyQt5.QtGui import QColor, QPainter, QPen
from PyQt5.QtWidgets import QSizePolicy, QWidget


class StackedBars(QWidget):
    """``set_data(rows, series)``: rows are ``(label, {series key: value})``, series are
    ``(key, label, colour)`` in drawing order."""

    ROW_H = 18

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.rows: list[tuple[str, dict[str, float]]] = []
        self.series: list[tuple[str, str, str]] = []
        self.marks: list[tuple[float, str, str]] = []  # value, label, colour: reference lines
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)

    def set_data(self, rows, series, marks=()) -> None:
        self.rows, self.series, self.marks = list(rows), list(series), list(marks)
        self.setFixedHeight(self._height())
        self.update()

    def _height(self) -> int:
        if not self.rows:
            return 0
        extra = self.fontMetrics().height() + 4 if self.marks else 0
        return int(self.fontMetrics().height() + 10 + extra + len(self.rows) * (self.ROW_H + 4) + 6)

    def bars(self) -> list[list[tuple[str, QRectF]]]:
        """Per row, the segments drawn: ``(series key, rectangle)`` (for painting and tests)."""
        metrics = self.fontMetrics()
        label_w = min(max((metrics.horizontalAdvance(r[0]) for r in self.rows), default=0) + 8,
                      self.width() * 0.45)
        value_w = metrics.horizontalAdvance("000,000") + 8
        top = max([sum(v.values()) for _, v in self.rows] + [m[0] for m in self.marks], default=0.0) or 1.0
        width = max(self.width() - label_w - value_w - 8, 10.0)
        y0 = metrics.height() + 10 + (metrics.height() + 4 if self.marks else 0)
        out = []
        for i, (_label, values) in enumerate(self.rows):
            x, segments = label_w, []
            for key, _name, _colour in self.series:
                w = width * float(values.get(key, 0.0)) / top
                if w > 0:
                    segments.append((key, QRectF(x, y0 + i * (self.ROW_H + 4), w, self.ROW_H)))
                x += w
            out.append(segments)
        return out

    def mark_x(self, value: float) -> float:
        """Where a reference value falls on the bars' axis."""
        metrics = self.fontMetrics()
        label_w = min(max((metrics.horizontalAdvance(r[0]) for r in self.rows), default=0) + 8,
                      self.width() * 0.45)
        value_w = metrics.horizontalAdvance("000,000") + 8
        top = max([sum(v.values()) for _, v in self.rows] + [m[0] for m in self.marks], default=0.0) or 1.0
        return label_w + max(self.width() - label_w - value_w - 8, 10.0) * value / top

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt name)
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().base())
        if not self.rows:
            painter.end()
            return
        metrics = self.fontMetrics()
        colours = {k: QColor(c) for k, _n, c in self.series}
        x = 4.0  # legend
        for key, name, _c in self.series:
            painter.fillRect(QRectF(x, 4, 12, 12), colours[key])
            painter.setPen(QPen(self.palette().text().color()))
            w = metrics.horizontalAdvance(name)
            painter.drawText(QRectF(x + 16, 0, w + 4, metrics.height() + 4), Qt.AlignVCenter, name)
            x += 16 + w + 14
        bars = self.bars()
        label_w = bars[0][0][1].left() if bars and bars[0] else 8
        for (label, values), segments in zip(self.rows, bars):
            y = (segments[0][1].top() if segments else 0)
            painter.setPen(QPen(self.palette().text().color()))
            painter.drawText(QRectF(0, y, label_w - 6, self.ROW_H), Qt.AlignRight | Qt.AlignVCenter,
                             metrics.elidedText(label, Qt.ElideRight, int(label_w - 6)))
            end = label_w
            for key, rect in segments:
                painter.fillRect(rect, colours[key])
                end = rect.right()
            total = sum(values.values())
            painter.drawText(QRectF(end + 4, y, 80, self.ROW_H), Qt.AlignVCenter, f"{total:,.0f}")
        first = bars[0][0][1].top() if bars and bars[0] else metrics.height() + 10
        for value, name, colour in self.marks:  # e.g. a precinct's floor and ceiling
            x = self.mark_x(value)
            painter.setPen(QPen(QColor(colour), 1.5, Qt.DashLine))
            painter.drawLine(QPointF(x, first - 2), QPointF(x, self.height() - 2))
            painter.drawText(QRectF(x + 3, first - metrics.height() - 2, 160, metrics.height()),
                             Qt.AlignVCenter, name)
        painter.end()
