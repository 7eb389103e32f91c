"""A community's funding inputs in the programme panel: central subsidy, road opening and
reinstatement, 广电 relocation, which of 供水/供电/供气 are relocation (迁改), and whether it is
in the city award scope. Each change is one undoable step kept in the project."""

from __future__ import annotations

from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import QCheckBox, QDoubleSpinBox, QFormLayout, QHBoxLayout, QWidget

from app.problems import guarded
from layers import display
from layers.errors import T
from layers.programme.settings import COMMUNITY_SETTINGS, RELOCATABLE, community_value, set_community_values

MONEY = ("central_subsidy_yuan", "road_opening_reinstatement_yuan", "cable_tv_relocation_yuan")
SCOPE_TIP = T("Ticked: in the city's 以奖代补 scope; cleared: outside it; grey: the default — pilot projects "
              "(the five pilot conditions met)",
              "勾选：属于市级以奖代补范围；不勾选：不属于；灰色：默认——试点项目（满足五项试点条件）")


class FundingInputs(QWidget):
    """Form of one community's inputs; :meth:`show_community` fills it."""

    def __init__(self, panel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.panel = panel
        self._filling = False
        form = QFormLayout(self)
        self.money: dict[str, QDoubleSpinBox] = {}
        for name in MONEY:
            box = QDoubleSpinBox(self)
            box.setRange(0, 1e12)
            box.setDecimals(0)
            box.setGroupSeparatorShown(True)
            box.setSuffix(T(" yuan", " 元")())
            box.editingFinished.connect(lambda n=name: self._money_changed(n))
            self.money[name] = box
            form.addRow(COMMUNITY_SETTINGS[name].label(), box)
        row = QHBoxLayout()
        self.relocation: dict[str, QCheckBox] = {}
        for item in RELOCATABLE:
            box = QCheckBox(display.code("renovation_items", item), self)
            box.toggled.connect(lambda _c: self._relocation_changed())
            self.relocation[item] = box
            row.addWidget(box)
        row.addStretch(1)
        form.addRow(COMMUNITY_SETTINGS["relocation"].label(), row)
        self.scope = QCheckBox(T("in scope", "属于范围")(), self)
        self.scope.setTristate(True)
        self.scope.setToolTip(SCOPE_TIP())
        self.scope.stateChanged.connect(self._scope_changed)
        form.addRow(COMMUNITY_SETTINGS["award_scope"].label(), self.scope)

    def show_community(self, fid: int) -> None:
        project = self.panel.project
        self._filling = True
        try:
            for name, box in self.money.items():
                box.setValue(float(community_value(project, name, fid) or 0.0))
            chosen = set(community_value(project, "relocation", fid) or [])
            for item, box in self.relocation.items():
                box.setChecked(item in chosen)
            marked = community_value(project, "award_scope", fid)
            self.scope.setCheckState(Qt.PartiallyChecked if marked is None else
                                     (Qt.Checked if marked else Qt.Unchecked))
        finally:
            self._filling = False

    def _set(self, values: dict) -> None:
        fid = self.panel.fid()
        if self._filling or fid is None:
            return
        guarded(self.panel, set_community_values, self.panel.project, fid, values)
        self.panel.refresh()

    def _money_changed(self, name: str) -> None:
        value = self.money[name].value()
        fid = self.panel.fid()
        if fid is None or float(community_value(self.panel.project, name, fid) or 0.0) == value:
            return
        self._set({name: value or None})

    def _relocation_changed(self) -> None:
        chosen = [item for item, box in self.relocation.items() if box.isChecked()]
        self._set({"relocation": chosen or None})

    def _scope_changed(self, state: int) -> None:
        self._set({"award_scope": None if state == Qt.PartiallyChecked else state == Qt.Checked})
