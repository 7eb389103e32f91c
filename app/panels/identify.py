"""Identify results: the features under a click, with their attribute values."""

from __future__ import annotations

from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import QDockWidget, QTreeWidget, QTreeWidgetItem

from layers import display
from layers.errors import T
from layers.i18n import current_language

TITLE = T("Identify results", "识别结果")
HEADERS = (T("Feature / field", "要素 / 字段"), T("Value", "值"))
NOTHING = T("nothing here", "此处无要素")
MAX_FEATURES = 50


def _value(layer, name: str, value, lang: str) -> tuple[str, str]:
    """A field's label and its value as the reader reads them (:mod:`layers.display`)."""
    schema = layer.schema
    field = schema.field(name) if schema.has_field(name) else None
    label = display.field_label(field, lang) if field is not None else name
    return label, display.text(value, field, layer.kind, lang)


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
            item = QTreeWidgetItem([f"{display.layer_title(layer, lang)} · {fid}", ""])
            item.setData(0, Qt.UserRole, (layer.id, int(fid)))
            for name in layer.gdf.columns:
                if name == layer.gdf.geometry.name:
                    continue
                item.addChild(QTreeWidgetItem(list(_value(layer, name, row[name], lang))))
            self.tree.addTopLevelItem(item)
        if self.tree.topLevelItemCount():
            self.tree.topLevelItem(0).setExpanded(True)
        self.show()
        self.raise_()
