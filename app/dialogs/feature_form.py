"""A form for one feature's attributes, built from its layer's schema: the right editor
per field (a list of the allowed values, a number box within the field's range, a
yes/no box, a date), required fields marked *, and every problem shown next to its
field instead of closing. Works for an existing feature (edit, as one undoable
``ChangeAttributes``) and for a new one (the drawing tool takes :meth:`FeatureForm.values`).
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

import pandas as pd
from PyQt5.QtCore import QDate, Qt
from PyQt5.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.field_values import (
    EMPTY,
    check_values,
    choice_items,
    edit_text,
    field_label,
    plain,
    same_value,
    short_message,
)
from layers.commands import ChangeAttributes, Command
from layers.errors import T
from layers.schema import Field

TEXTS = {
    "edit": T("Feature {fid} — {layer}", "要素 {fid} — {layer}"),
    "new": T("New feature — {layer}", "新要素 — {layer}"),
    "required": T("* required", "* 为必填项"),
    "problems": T("{n} field(s) need attention: the values are not saved yet.",
                  "有 {n} 个字段需要改正，尚未保存。"),
    "range": T("range", "范围"),
    "unknown": T("Click to cycle: yes, unknown (partly checked), no", "点击切换：是、未知（半选）、否"),
}
INT_LIMIT = 2**31 - 2  # QSpinBox holds a C int
FLOAT_LIMIT = 1e12
NO_DATE = QDate(1899, 12, 31)  # the date box's "empty"
RED = "color: #c0392b;"


def _decimals(field: Field, value: float | None) -> int:
    places = 3 if field.maximum is not None and field.maximum <= 1 else 2
    if value is not None:
        while places < 6 and round(value, places) != value:
            places += 1
    return places


class FeatureForm(QDialog):
    """Edit the schema fields of feature ``fid`` of ``layer`` (``fid=None``: a new feature).

    ``values`` pre-fills fields (e.g. defaults from a drawing tool). OK validates with
    the layer schema and closes only when every field passes."""

    def __init__(self, project, layer, fid: int | None = None, values: dict | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("feature_form")
        self.project, self.layer = project, layer
        self.fid = None if fid is None else int(fid)
        self.fields: list[Field] = list(layer.schema.fields)
        self._original: dict[str, Any] = {}
        for f in self.fields:
            if self.fid is not None and f.name in layer.gdf.columns:
                self._original[f.name] = plain(layer.gdf.at[self.fid, f.name])
            else:
                self._original[f.name] = None if self.fid is not None else plain(f.default)
        self._start = {**self._original, **{k: plain(v) for k, v in (values or {}).items()
                                            if k in self._original}}
        self.editors: dict[str, QWidget] = {}
        self.problem_labels: dict[str, QLabel] = {}
        self._build()
        self._initial = {f.name: self._read(f.name) for f in self.fields}

    # --- building -------------------------------------------------------------------------
    def _build(self) -> None:
        title = (TEXTS["new"].format(layer=self.layer.name) if self.fid is None
                 else TEXTS["edit"].format(fid=self.fid, layer=self.layer.name))
        self.setWindowTitle(title())
        outer = QVBoxLayout(self)
        body = QWidget(self)
        grid = QGridLayout(body)
        for row, f in enumerate(self.fields):
            label = QLabel(field_label(f, required_mark=True), body)
            label.setToolTip(self._tooltip(f))
            editor = self._editor(f, self._start[f.name], body)
            editor.setObjectName(f"field_{f.name}")
            label.setBuddy(editor)
            problem = QLabel(body)
            problem.setStyleSheet(RED)
            problem.setWordWrap(True)
            problem.setVisible(False)
            grid.addWidget(label, row, 0)
            grid.addWidget(editor, row, 1)
            grid.addWidget(problem, row, 2)
            self.editors[f.name] = editor
            self.problem_labels[f.name] = problem
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(2, 1)
        scroll = QScrollArea(self)
        scroll.setWidget(body)
        scroll.setWidgetResizable(True)
        outer.addWidget(scroll, 1)
        if any(f.required for f in self.fields):
            outer.addWidget(QLabel(TEXTS["required"](), self))
        self.summary = QLabel(self)
        self.summary.setStyleSheet(RED)
        self.summary.setVisible(False)
        outer.addWidget(self.summary)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel, self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        outer.addWidget(self.buttons)
        self.resize(640, min(760, 120 + 34 * len(self.fields)))

    @staticmethod
    def _tooltip(f: Field) -> str:
        text = f"{f.name} — {f.label_en} / {f.label_zh}"
        if f.minimum is not None or f.maximum is not None:
            lo = "" if f.minimum is None else f"{f.minimum:g}"
            hi = "" if f.maximum is None else f"{f.maximum:g}"
            text += f"\n{TEXTS['range']()}: {lo}–{hi} {f.unit}".rstrip()
        return text

    def _editor(self, f: Field, value: Any, parent: QWidget) -> QWidget:
        items = choice_items(self.project, self.layer.kind, f)
        if items is not None:
            combo = QComboBox(parent)
            if not f.required or value is None:
                combo.addItem(EMPTY(), None)
            for key, label in items:
                combo.addItem(label, key)
                combo.setItemData(combo.count() - 1, key, Qt.ToolTipRole)
            if value is not None and combo.findData(value) < 0:
                combo.addItem(str(value), value)  # a stored value outside the list stays visible
            combo.setCurrentIndex(0 if value is None else combo.findData(value))
            combo.currentIndexChanged.connect(lambda *_a, n=f.name: self._clear_problem(n))
            return combo
        if f.type == "bool":
            box = QCheckBox(parent)
            box.setTristate(True)  # partly checked: not known
            box.setToolTip(TEXTS["unknown"]())
            box.setCheckState(Qt.PartiallyChecked if value is None
                              else Qt.Checked if value else Qt.Unchecked)
            box.stateChanged.connect(lambda *_a, n=f.name: self._clear_problem(n))
            return box
        if f.type in ("int", "float"):
            limit = INT_LIMIT if f.type == "int" else FLOAT_LIMIT
            lo = -limit if f.minimum is None else f.minimum
            hi = limit if f.maximum is None else f.maximum
            if value is not None:  # a stored value outside the range is shown, not clipped
                lo, hi = min(lo, value), max(hi, value)
            if f.type == "int" and -INT_LIMIT <= lo and hi <= INT_LIMIT:
                spin = QSpinBox(parent)
                spin.setRange(int(lo) - 1, int(hi))
            elif f.type == "float":
                spin = QDoubleSpinBox(parent)
                spin.setDecimals(_decimals(f, value))
                spin.setRange(lo - 1, hi)
                spin.setSingleStep(0.01 if hi <= 1 else 1.0)
            else:
                return self._line(f, value, parent)
            spin.setSpecialValueText(EMPTY())  # the value just below the range means empty
            spin.setValue(spin.minimum() if value is None else value)
            spin.valueChanged.connect(lambda *_a, n=f.name: self._clear_problem(n))
            return spin
        if f.type == "date":
            edit = QDateEdit(parent)
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setMinimumDate(NO_DATE)
            edit.setSpecialValueText(EMPTY())
            edit.setDate(NO_DATE if value is None else QDate(pd.Timestamp(value).date()))
            edit.dateChanged.connect(lambda *_a, n=f.name: self._clear_problem(n))
            return edit
        return self._line(f, value, parent)

    def _line(self, f: Field, value: Any, parent: QWidget) -> QLineEdit:
        line = QLineEdit(edit_text(value), parent)
        line.textChanged.connect(lambda *_a, n=f.name: self._clear_problem(n))
        return line

    # --- values ---------------------------------------------------------------------------
    def _read(self, name: str) -> Any:
        w = self.editors[name]
        if isinstance(w, QComboBox):
            return w.currentData()
        if isinstance(w, QCheckBox):
            state = w.checkState()
            return None if state == Qt.PartiallyChecked else state == Qt.Checked
        if isinstance(w, (QSpinBox, QDoubleSpinBox)):
            if w.value() == w.minimum() or not w.cleanText().strip():
                return None
            return int(w.value()) if isinstance(w, QSpinBox) else float(w.value())
        if isinstance(w, QDateEdit):
            day = w.date()
            return None if day == w.minimumDate() else pd.Timestamp(_dt.date(day.year(), day.month(), day.day()))
        text = w.text().strip()
        return text or None

    def values(self) -> dict[str, Any]:
        """Every schema field's value as the form holds it (None: empty). A field nobody
        touched keeps its stored value exactly (no rounding by a number box)."""
        out = {}
        for f in self.fields:
            reading = self._read(f.name)
            out[f.name] = self._start[f.name] if reading == self._initial[f.name] else reading
        return out

    def changed_values(self) -> dict[str, Any]:
        """The fields whose value differs from the stored one (new feature: the filled-in ones)."""
        return {n: v for n, v in self.values().items() if not same_value(v, self._original[n])}

    def problems(self) -> dict[str, str]:
        """Per field, what the layer schema says is wrong (empty when all is well)."""
        _converted, problems = check_values(self.project, self.layer, self.fid, self.values())
        return {name: short_message(err) for name, err in problems.items()}

    def validate(self) -> bool:
        """Show every problem next to its field; True when there is none."""
        problems = self.problems()
        for name, label in self.problem_labels.items():
            label.setText(problems.get(name, ""))
            label.setVisible(name in problems)
        self.summary.setText(TEXTS["problems"].format(n=len(problems))() if problems else "")
        self.summary.setVisible(bool(problems))
        if problems:
            self.editors[next(n for n in self.editors if n in problems)].setFocus()
        return not problems

    def _clear_problem(self, name: str) -> None:
        label = self.problem_labels.get(name)
        if label is not None and label.isVisible():
            label.clear()
            label.setVisible(False)

    def accept(self) -> None:
        if self.validate():
            super().accept()

    def command(self) -> Command | None:
        """One ``ChangeAttributes`` for the changed fields of an existing feature (else None)."""
        changed = self.changed_values()
        if self.fid is None or not changed:
            return None
        converted, problems = check_values(self.project, self.layer, self.fid, changed)
        if problems:
            return None
        return ChangeAttributes(self.layer.id, {self.fid: converted})


def edit_feature_values(project, layer, fid: int, parent: QWidget | None = None) -> Command | None:
    """Ask for feature ``fid``'s attributes; the command for what changed, or None
    (cancelled or nothing changed). The caller applies it: ``project.apply(cmd)``."""
    form = FeatureForm(project, layer, fid, parent=parent)
    if form.exec_() != QDialog.Accepted:
        return None
    return form.command()
