"""Features another planner saved while you changed them too: choose per feature.

A save to PostGIS that finds rows someone else changed since you loaded them writes
nothing and raises :class:`~layers.store.pgconflicts.ProjectConflicts`. This dialog lists
each such feature — its layer, its name (or number), and the fields that differ, yours
against theirs — with a choice per row: keep mine, take theirs, or merge the fields (their
changes to the fields you did not change). OK resolves them
(:func:`~layers.store.pgconflicts.resolve_conflicts`) and the window saves again; Cancel
keeps your edits unsaved and writes nothing.
"""

from __future__ import annotations

from typing import Any

from PyQt5.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from layers import display
from layers.errors import T
from layers.store.pgrevs import changed_fields, frame_of

TITLE = T("Changed by another planner", "其他规划师也修改了")
INTRO = T("Another planner saved changes to {n} feature(s) you changed too. Nothing was saved "
          "yet. Choose for each which version to keep, then OK saves; Cancel keeps your "
          "changes unsaved.",
          "其他规划师已保存了对 {n} 个您也修改过的要素的更改，尚未保存任何内容。请为每个要素选择"
          "保留的版本，然后点“确定”保存；点“取消”则保留您未保存的修改。")
HEADERS = (T("Layer", "图层"), T("Feature", "要素"), T("Fields that differ (mine → theirs)",
                                                     "不同的字段（我的 → 对方的）"),
           T("Keep", "保留"))
CHOICES = {"mine": T("Mine", "我的"), "theirs": T("Theirs", "对方的"),
           "merge": T("Merge fields", "合并字段")}
FEATURE = T("{name} (no. {fid})", "{name}（编号 {fid}）")
NUMBER = T("no. {fid}", "编号 {fid}")
DELETED_BY_ME = T("deleted by you", "已被您删除")
DELETED_BY_THEM = T("deleted by the other planner", "已被对方删除")
GEOMETRY = T("shape: differs", "形状：不同")
SAME = T("no field differs (both made the same change)", "字段相同（双方改动一致）")
LINE = T("{label}: {mine} → {theirs}", "{label}：{mine} → {theirs}")


def ask(dialog: QDialog) -> bool:
    """Show the dialog modally (tests replace this and choose themselves)."""
    return dialog.exec_() == QDialog.Accepted


def differences(project: Any, conflict: Any, lang: str | None = None) -> list[str]:
    """One line per field that differs between my row and theirs, values as people read
    them (through :mod:`layers.display`)."""
    layer = project.layer_by_id(conflict.layer_id)
    frame = frame_of(layer)
    mine = frame.loc[[conflict.fid]] if conflict.fid in frame.index else None
    if mine is None:
        return [DELETED_BY_ME(lang)]
    if conflict.theirs is None:
        return [DELETED_BY_THEM(lang)]
    theirs = conflict.theirs[[c for c in mine.columns if c in conflict.theirs.columns]]
    differ = changed_fields(mine[theirs.columns], theirs).iloc[0]
    lines = []
    schema = getattr(layer, "schema", None)
    for column in theirs.columns:
        if not differ[column]:
            continue
        if column == "geometry":
            lines.append(GEOMETRY(lang))
            continue
        field = schema.field(column) if schema is not None and schema.has_field(column) else None
        label = display.column_label(schema, column, lang)
        ours = display.text(mine.iloc[0][column], field, layer.kind, lang)
        other = display.text(theirs.iloc[0][column], field, layer.kind, lang)
        lines.append(LINE.format(label=label, mine=ours, theirs=other)(lang))
    return lines or [SAME(lang)]


def feature_text(conflict: Any, lang: str | None = None) -> str:
    if conflict.name:
        return FEATURE.format(name=conflict.name, fid=conflict.fid)(lang)
    return NUMBER.format(fid=conflict.fid)(lang)


class ConflictDialog(QDialog):
    """One row per conflicting feature with its choice (default: merge where it can)."""

    def __init__(self, project: Any, conflicts: list, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pg_conflicts")
        self.setWindowTitle(TITLE())
        self.conflicts = list(conflicts)
        layout = QVBoxLayout(self)
        intro = QLabel(INTRO.format(n=len(self.conflicts))())
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.table = QTableWidget(len(self.conflicts), len(HEADERS), self)
        self.table.setObjectName("conflict_rows")
        self.table.setHorizontalHeaderLabels([h() for h in HEADERS])
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.boxes: list[QComboBox] = []
        for row, conflict in enumerate(self.conflicts):
            layer = project.layer_by_id(conflict.layer_id)
            lines = differences(project, conflict)
            for col, text in enumerate((display.layer_title(layer), feature_text(conflict),
                                        "\n".join(lines))):
                self.table.setItem(row, col, QTableWidgetItem(text))
            box = QComboBox(self.table)
            deleted = conflict.theirs is None or conflict.mine_deleted
            for key, label in CHOICES.items():
                if key == "merge" and deleted:
                    continue
                box.addItem(label(), key)
            box.setCurrentIndex(box.findData("mine"))
            self.table.setCellWidget(row, 3, box)
            self.boxes.append(box)
        self.table.resizeColumnsToContents()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(2, QHeaderView.Stretch)  # the differences get the room
        self.table.resizeRowsToContents()
        layout.addWidget(self.table)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(760, 160 + 40 * min(len(self.conflicts), 10))

    def set_choice(self, row: int, key: str) -> None:
        box = self.boxes[row]
        index = box.findData(key)
        if index < 0:
            raise ValueError(f"{key!r} cannot be chosen for row {row}")
        box.setCurrentIndex(index)

    def choices(self) -> dict[tuple[str, int], str]:
        return {(c.layer, c.fid): box.currentData()
                for c, box in zip(self.conflicts, self.boxes)}


def resolve_interactively(window: Any, conflicts: list) -> bool:
    """Ask; on OK resolve the project's conflicts as chosen (True); on Cancel False."""
    from app.problems import guarded
    from layers.store.pgconflicts import resolve_conflicts

    dialog = ConflictDialog(window.project, conflicts, window)
    if not ask(dialog):
        return False
    return guarded(window, resolve_conflicts, window.project, dialog.choices())[0]

