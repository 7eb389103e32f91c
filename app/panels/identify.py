"""Identify results: the features under a click, with their attribute values."""

from __future__ import annotations

import pandas as pd
from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import QDockWidget, QTreeWidget, QTreeWidgetItem

from layers.errors import T
from layers.i18n import current_language

TITLE = T("Identify results", "识别结果")
HEADERS = (T("Feature / field", "要素 / 字段"), T("Value", "值"))
NOTHING = T("nothing here", "此处无要素")
MAX_FEATURES = 50


def _text(value) -> str:
    if value is None or (not isinstance(value, (list, tuple, dict)) and pd.isna(value)):
        return ""
    return f"{value:,.2f}" if isinstance(value, float) else str(value)


class IdentifyDock(QDockWidget):
    def __init__(self, parent=None) -> None:
        super().__init__(TITLE(), parent)
        self.setObjectName("identify_dock")
        self.tree = QTreeWidget(self)
        self.tree.setHeaderLabels([h() for h in HEADERS])
        self.tree.setColumnWidth(0, 180)
        self.setWidget(self.tree)

    def show_hits(self, hits: list) -> None:
        """``hits``: (layer, fid) pairs, top layer first."""
        self.tree.clear()
        lang = current_language()
        if not hits:
            self.tree.addTopLevelItem(QTreeWidgetItem([NOTHING(), ""]))
        for layer, fid in hits[:MAX_FEATURES]:
            row = layer.gdf.loc[fid]
            item = QTreeWidgetItem([f"{layer.name} · {fid}", ""])
            item.setData(0, Qt.UserRole, (layer.id, int(fid)))
            for name in layer.gdf.columns:
                if name == layer.gdf.geometry.name:
                    continue
                label = layer.schema.field(name).label(lang) if layer.schema.has_field(name) else name
                item.addChild(QTreeWidgetItem([label, _text(row[name])]))
            self.tree.addTopLevelItem(item)
        if self.tree.topLevelItemCount():
            self.tree.topLevelItem(0).setExpanded(True)
        self.show()
        self.raise_()
