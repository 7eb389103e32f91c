"""File → New: where the project lies. By default the first imported data chooses its
CGCS2000 3-degree zone (:mod:`layers.crs_zones`); or the planner gives a projected CRS."""

from __future__ import annotations

from PyQt5.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from layers.errors import ProjectError, T

TITLE = T("New project", "新建项目")
NAME = T("Title", "项目名称")
AUTO = T("Coordinate system from the first data you import (CGCS2000 3-degree zone)",
         "坐标系取自首个导入的数据（CGCS2000 3 度带）")
GIVEN = T("This coordinate system:", "使用以下坐标系：")
BAD_CRS = T("{crs} is not a projected coordinate system", "{crs} 不是投影坐标系")
# the CGCS2000 3-degree zones planners in China use, plus the project default
ZONES = [f"EPSG:{code}" for code in range(4534, 4555)]


def zone_label(code: str) -> str:
    from pyproj import CRS

    return f"{code} — {CRS.from_user_input(code).name}"


class NewProjectDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("new_project_dialog")
        self.setWindowTitle(TITLE())
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(NAME(), self))
        self.title = QLineEdit(self)
        layout.addWidget(self.title)
        self.auto = QRadioButton(AUTO(), self)
        self.given = QRadioButton(GIVEN(), self)
        group = QButtonGroup(self)
        group.addButton(self.auto)
        group.addButton(self.given)
        self.auto.setChecked(True)
        layout.addWidget(self.auto)
        layout.addWidget(self.given)
        self.crs = QComboBox(self)
        self.crs.setEditable(True)  # any EPSG code may be typed
        for code in ZONES:
            self.crs.addItem(zone_label(code), code)
        self.crs.setCurrentIndex(ZONES.index("EPSG:4546"))
        self.crs.setEnabled(False)
        self.given.toggled.connect(self.crs.setEnabled)
        layout.addWidget(self.crs)
        self.problem = QLabel("", self)
        self.problem.setStyleSheet("color: #b2182b")
        layout.addWidget(self.problem)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel, self)
        buttons.accepted.connect(self.accept_if_valid)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def chosen_crs(self) -> str | None:
        """The CRS given, or None when the first data chooses."""
        if self.auto.isChecked():
            return None
        text = self.crs.currentText().strip()
        data = self.crs.currentData()
        return data if data and text == zone_label(data) else text.split(" ")[0]

    def build(self):
        """The new (empty) project; raises ProjectError for a CRS that cannot be used."""
        from layers.project import DEFAULT_CRS, Project

        metadata = {"title": self.title.text().strip()}
        crs = self.chosen_crs()
        if crs is None:
            metadata["crs_auto"] = True
        return Project(crs=crs or DEFAULT_CRS, metadata=metadata)

    def accept_if_valid(self) -> None:
        try:
            self.project = self.build()
        except ProjectError as exc:
            self.problem.setText(exc.message())
            return
        self.accept()


def ask(dialog: NewProjectDialog) -> bool:
    """Show the dialog modally (tests replace this)."""
    return dialog.exec_() == QDialog.Accepted
