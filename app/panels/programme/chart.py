"""The programme panel's funding chart (bars per payer) and the checklist totals in words."""

from __future__ import annotations

from PyQt5.QtCore import QRectF, Qt
from PyQt5.QtGui import QColor, QPainter
from PyQt5.QtWidgets import QWidget

from layers import display
from layers.errors import T
from layers.i18n import current_language
from layers.programme import PAYER_LABELS, PAYERS

COLORS = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#bab0ac")


def totals_text(summary, std) -> str:
    """The checklist's totals in words: by level, by category (named), what is not costed."""
    lang = current_language()
    items = std.table("renovation_items")
    names = {c: T(str(en), str(zh))(lang)
             for c, en, zh in zip(items["category"], items["category_en"], items["category_zh"])}
    levels = T(f"basic {display.yuan(summary.by_level.get('basic', 0), 'en')}, "
               f"upgrade {display.yuan(summary.by_level.get('upgrade', 0), 'en')}",
               f"基础类 {display.yuan(summary.by_level.get('basic', 0), 'zh')}，"
               f"提升类 {display.yuan(summary.by_level.get('upgrade', 0), 'zh')}")(lang)
    text = T("Total", "合计")(lang) + f" {display.yuan(summary.total)} — {levels}"
    if summary.by_category:
        parts = [f"{names.get(k, k)} {display.yuan(v)}" for k, v in summary.by_category.items()]
        text += T("; by category: ", "；按大类：")(lang) + display.join(parts)
    if summary.missing_text:
        text += "\n" + T("Not costed: ", "未计价：")(lang) + \
            T("; ", "；")(lang).join(m(lang) for m in summary.missing_text)
    return text



class FundingChart(QWidget):
    """Horizontal bars, one per payer, drawn with QPainter."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.amounts: dict[str, float] = {}
        self.setMinimumHeight(22 * len(PAYERS) + 10)

    def set_amounts(self, amounts: dict[str, float]) -> None:
        self.amounts = dict(amounts)
        self.update()

    def bars(self) -> list[tuple[str, QRectF]]:
        """The bar of each payer with money (for painting and tests)."""
        top = max(self.amounts.values(), default=0.0)
        label_w, width = 130.0, max(self.width() - 230.0, 10.0)
        out = []
        for i, payer in enumerate(PAYERS):
            value = self.amounts.get(payer, 0.0)
            length = 0.0 if top <= 0 else width * value / top
            out.append((payer, QRectF(label_w, 6 + 22 * i, length, 16)))
        return out

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt name)
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().base())
        for i, (payer, rect) in enumerate(self.bars()):
            painter.setPen(self.palette().text().color())
            painter.drawText(QRectF(4, rect.top(), 124, 16), Qt.AlignRight | Qt.AlignVCenter,
                             PAYER_LABELS[payer]())
            painter.fillRect(rect, QColor(COLORS[i % len(COLORS)]))
            painter.drawText(QRectF(rect.right() + 6, rect.top(), 100, 16), Qt.AlignVCenter,
                             f"{self.amounts.get(payer, 0.0):,.0f}")
        painter.end()
