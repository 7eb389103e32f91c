"""The schemes panel (方案): the scheme versions kept in the project — name, when saved,
by whom, note — with Save current as…, Restore (one undo step, after a confirmation; the
present state is kept as a scheme first), Delete (undoable), and below the comparison of
two schemes or a scheme and the current project (:mod:`app.panels.scheme_compare`).

The same commands as ``precinct schemes`` (:mod:`layers.schemes`)."""

from __future__ import annotations

import datetime as _dt

from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.panels.base import Panel
from app.panels.scheme_compare import CompareBox
from app.problems import guarded
from layers import display
from layers.errors import T

TITLE = T("Schemes", "方案")
TEXTS = {
    "name": T("Scheme", "方案"), "saved": T("Saved", "保存时间"), "author": T("By", "保存人"),
    "note": T("Note", "备注"),
    "save": T("Save current as…", "将当前保存为…"), "restore": T("Restore", "恢复"),
    "delete": T("Delete", "删除"),
    "save_title": T("Save the current project as a scheme", "将当前项目保存为方案"),
    "save_prompt": T("Scheme name (e.g. Scheme A 2026-12):", "方案名称（如“方案A 2026-12”）："),
    "default_name": T("Scheme {n} {month}", "方案{n} {month}"),
    "restore_title": T("Restore scheme", "恢复方案"),
    "restore_text": T("Bring back the scheme “{name}”? The project as it is now is kept as a "
                      "scheme first; Undo takes the restore back.",
                      "恢复方案“{name}”？当前项目会先另存为一个方案；撤销可取消此次恢复。"),
    "automatic": T("(automatic)", "（自动）"),
    "none": T("No schemes yet: save the current project as one.", "尚无方案：可将当前项目保存为方案。"),
    "count": T("{n} schemes", "{n} 个方案"),
    "saved_msg": T("Scheme “{name}” saved", "方案“{name}”已保存"),
    "restored_msg": T("Scheme “{name}” restored; the previous state is kept as “{kept}”",
                      "已恢复方案“{name}”；恢复前的状态已保存为“{kept}”"),
    "deleted_msg": T("Scheme “{name}” deleted (Undo brings it back)", "已删除方案“{name}”（可撤销）"),
    "pick": T("Select a scheme in the list first", "请先在列表中选择一个方案"),
}
COLUMNS = ("name", "saved", "author", "note")


def saved_when(created: str, lang: str | None = None) -> str:
    """When a scheme was saved, in local time: ISO in English, 年月日 in Chinese."""
    try:
        stamp = _dt.datetime.fromisoformat(str(created))
    except ValueError:
        return display.date(created, lang)
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone().replace(tzinfo=None)
    return display.date(stamp.replace(second=0, microsecond=0), lang)


class SchemePanel(Panel):
    """Dock: the list of schemes, save / restore / delete, compare A ↔ B."""

    TITLE = TITLE
    OBJECT_NAME = "scheme_panel"

    def __init__(self, window=None, canvas=None) -> None:
        super().__init__(window, canvas)
        body = QWidget(self)
        layout = QVBoxLayout(body)
        self.table = QTableWidget(0, len(COLUMNS), body)
        self.table.setObjectName("scheme_list")
        self.table.setHorizontalHeaderLabels([TEXTS[k]() for k in COLUMNS])
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._enable)
        self.table.setMinimumHeight(90)
        self.table.setMaximumHeight(160)  # a few schemes: the comparison gets the room
        layout.addWidget(self.table)
        buttons = QHBoxLayout()
        self.save_button = QPushButton(TEXTS["save"](), body)
        self.save_button.setObjectName("scheme_save")
        self.save_button.clicked.connect(lambda: self.save_current())
        self.restore_button = QPushButton(TEXTS["restore"](), body)
        self.restore_button.setObjectName("scheme_restore")
        self.restore_button.clicked.connect(lambda: self.restore_selected())
        self.delete_button = QPushButton(TEXTS["delete"](), body)
        self.delete_button.setObjectName("scheme_delete")
        self.delete_button.clicked.connect(lambda: self.delete_selected())
        for button in (self.save_button, self.restore_button, self.delete_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.status = QLabel("", body)
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.compare = CompareBox(self, body, layout)
        self.setWidget(body)
        self._names: list[str] = []

    # --- project ----------------------------------------------------------------------
    def subscriptions(self, project) -> list:
        return [project.events, project.undo.events]

    def on_project(self, project) -> None:
        self.compare.clear()
        self.status.setText("")
        self.refresh()

    def on_event(self, event) -> None:
        if event.type in ("schemes", "clean") or (event.type == "changed" and self._stale()):
            self.refresh()

    def _stale(self) -> bool:
        return self.project is not None and [s.name for s in self.project.schemes] != self._names

    def refresh(self) -> None:
        """Refill the list (selection kept by name) and the compare choices."""
        picked = self.selected()
        schemes = list(self.project.schemes) if self.project is not None else []
        self._names = [s.name for s in schemes]
        self.table.setRowCount(len(schemes))
        for r, scheme in enumerate(schemes):
            name = scheme.name + (f" {TEXTS['automatic']()}" if scheme.origin == "auto" else "")
            cells = (name, saved_when(scheme.created), scheme.author or display.MISSING,
                     scheme.note or "")
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.UserRole, scheme.name)
                if c == 0:
                    item.setToolTip(display.join(display.layer_name(n) for n in scheme.layers))
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()
        if picked in self._names:
            self.table.selectRow(self._names.index(picked))
        self.compare.fill_choices(self._names)
        if not self.status.text() or self.status.property("count"):
            self.status.setText(TEXTS["count"].format(n=display.number(len(schemes)))() if schemes
                                else TEXTS["none"]())
            self.status.setProperty("count", True)
        self._enable()

    def _say(self, text: str) -> None:
        self.status.setText(text)
        self.status.setProperty("count", False)

    def _enable(self) -> None:
        has = self.project is not None
        self.save_button.setEnabled(has)
        chosen = self.selected() is not None
        self.restore_button.setEnabled(has and chosen)
        self.delete_button.setEnabled(has and chosen)

    def selected(self) -> str | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows:
            return None
        item = self.table.item(rows[0].row(), 0)
        return None if item is None else str(item.data(Qt.UserRole))

    def select(self, name: str) -> None:
        self.table.selectRow(self._names.index(name))

    # --- save, restore, delete ----------------------------------------------------------
    def default_name(self) -> str:
        month = _dt.date.today().strftime("%Y-%m")
        n, taken = len(self._names) + 1, set(self._names)
        while TEXTS["default_name"].format(n=n, month=month)() in taken:
            n += 1
        return TEXTS["default_name"].format(n=n, month=month)()

    def save_current(self, name: str | None = None) -> bool:
        """Keep the project as it is now as a scheme (asks for the name without ``name``)."""
        from layers.schemes import AddScheme, snapshot
        from layers.schemes.book import check_new_name

        project = self.project
        if project is None:
            return False
        if name is None:
            name, ok = QInputDialog.getText(self, TEXTS["save_title"](), TEXTS["save_prompt"](),
                                            text=self.default_name())
            if not ok:
                return False
        ok = self.apply(lambda: AddScheme(snapshot(project, check_new_name(project, name))))
        if ok:
            saved = project.schemes[-1].name
            self.refresh()
            self.select(saved)
            self._say(TEXTS["saved_msg"].format(name=saved)())
        return ok

    def restore_selected(self, confirm: bool = True) -> bool:
        """Bring back the selected scheme as one undo step (after a yes)."""
        from layers.schemes import restore_scheme

        name = self.selected()
        if self.project is None or name is None:
            self._say(TEXTS["pick"]())
            return False
        if confirm:
            answer = QMessageBox.question(self, TEXTS["restore_title"](),
                                          TEXTS["restore_text"].format(name=name)(),
                                          QMessageBox.Yes | QMessageBox.No, QMessageBox.No)
            if answer != QMessageBox.Yes:
                return False
        ok, macro = guarded(self, restore_scheme, self.project, name)
        if ok:
            self.refresh()
            self._say(TEXTS["restored_msg"].format(name=name, kept=macro.kept_as)())
            menu = getattr(self.main_window, "theme_menu", None)
            if menu is not None:
                menu.sync()  # the restored settings bring their own map theme
        return ok

    def delete_selected(self) -> bool:
        from layers.schemes import DeleteScheme

        name = self.selected()
        if self.project is None or name is None:
            self._say(TEXTS["pick"]())
            return False
        ok = self.apply(DeleteScheme(name))
        if ok:
            self.refresh()
            self._say(TEXTS["deleted_msg"].format(name=name)())
        return ok
