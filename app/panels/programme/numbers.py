"""The numbers a programme result rests on, each with its source and confidence, editable
where the user works. Where the plan gives no number the row says so ("the plan does not
say — your assumption") and waits for the user's value; every edit is one undoable step
kept in the project (through :mod:`layers.config.keys`, the same as ``precinct config``)."""

from __future__ import annotations

from PyQt5.QtCore import Qt
from PyQt5.QtGui import QBrush, QColor
from PyQt5.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.problems import guarded
from layers.config.keys import CONFIDENCE_LABELS, apply_assignments, entries
from layers.errors import T

COLUMNS = (T("Number", "数值"), T("Value", "取值"), T("Confidence", "可信度"), T("Source", "来源"))
ASK = T("Where the plan gives no number (marked “the plan does not say — your assumption”), enter the "
        "value your project uses and where it comes from; it is kept in the project and can be undone.",
        "方案未给出数值的（标注“方案未规定，需您设定”），请填写本项目采用的取值并注明来源；"
        "取值保存在项目中，可撤销。")
NF_BRUSH = QBrush(QColor("#fff1c2"))


class NumbersPage(QWidget):
    """Table of settable numbers: value editable, source and confidence shown."""

    def __init__(self, panel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.panel = panel
        self._filling = False
        v = QVBoxLayout(self)
        ask = QLabel(ASK(), self)
        ask.setWordWrap(True)
        v.addWidget(ask)
        row = QHBoxLayout()
        row.addWidget(QLabel(T("Source of what you enter", "您所填取值的来源")(), self))
        self.source_edit = QLineEdit(self)
        self.source_edit.setPlaceholderText(T("e.g. district finance bureau, 2026 budget",
                                              "例如：区财政局 2026 年预算")())
        row.addWidget(self.source_edit, 1)
        v.addLayout(row)
        self.only_open = QCheckBox(T("Only what the plan does not say and what this project sets",
                                     "只显示方案未规定的和本项目已设定的")(), self)
        self.only_open.setChecked(True)
        self.only_open.toggled.connect(lambda _c: self.refresh())
        v.addWidget(self.only_open)
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels([c() for c in COLUMNS])
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemChanged.connect(self._edited)
        v.addWidget(self.table, 1)
        self.keys: list[str] = []

    def refresh(self) -> None:
        project = self.panel.project
        if project is None:
            return
        listed = [e for e in entries(project, "programme")
                  if not self.only_open.isChecked() or e.is_set or e.confidence == "NF"]
        self._filling = True
        try:
            self.keys = [e.key for e in listed]
            table = self.table
            table.setRowCount(len(listed))
            for r, e in enumerate(listed):
                cells = (e.label(), "" if e.value is None else e.shown(), CONFIDENCE_LABELS[e.confidence](),
                         e.source_text())
                for c, text in enumerate(cells):
                    item = QTableWidgetItem(text)
                    item.setToolTip(e.key)
                    flags = Qt.ItemIsEnabled | Qt.ItemIsSelectable
                    if c == 1:
                        flags |= Qt.ItemIsEditable
                    item.setFlags(flags)
                    if e.confidence == "NF":
                        item.setBackground(NF_BRUSH)
                    table.setItem(r, c, item)
            table.resizeColumnToContents(0)
        finally:
            self._filling = False

    def row_of(self, key: str) -> int:
        return self.keys.index(key)

    def _edited(self, item: QTableWidgetItem) -> None:
        if self._filling or item.column() != 1:
            return
        key = self.keys[item.row()]
        text = item.text()
        source = self.source_edit.text().strip() or None
        guarded(self.panel, apply_assignments, self.panel.project, [(key, text)], source)
        self.refresh()
