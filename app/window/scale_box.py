"""The scale in the status bar, typed as a planner does: ``1:5000``, ``1:5,000``, ``5000``,
``1：2000`` — Enter zooms the map to it, keeping the centre."""

from __future__ import annotations

import re

from PyQt5.QtWidgets import QLineEdit, QWidget

from layers.errors import T

BAD = T("type a scale such as 1:5000", "请输入比例尺，如 1:5000")
TIP = T("Map scale: type e.g. 1:2000 and press Enter", "地图比例尺：输入如 1:2000 后按回车")
_SCALE = re.compile(r"^\s*(?:1\s*[:：]\s*)?([0-9][0-9,，\s]*(?:\.[0-9]+)?)\s*$")


def parse_scale(text: str) -> float | None:
    """The denominator N of ``1:N`` (None when the text is not a scale).

    >>> parse_scale("1:5,000"), parse_scale("1：2000"), parse_scale("25000"), parse_scale("x")
    (5000.0, 2000.0, 25000.0, None)
    """
    match = _SCALE.match(text or "")
    if not match:
        return None
    value = float(re.sub(r"[,，\s]", "", match.group(1)))
    return value if value >= 1 else None


class ScaleBox(QLineEdit):
    def __init__(self, canvas, say, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("scale_box")
        self.canvas, self.say = canvas, say
        self.setToolTip(TIP())
        self.setMaximumWidth(130)
        self.returnPressed.connect(self.apply)

    def show_scale(self) -> None:
        if not self.hasFocus():
            self.setText(f"1:{self.canvas.scale_denominator():,.0f}")

    def apply(self) -> bool:
        denominator = parse_scale(self.text())
        if denominator is None:
            self.say(BAD())
            self.clearFocus()
            self.show_scale()
            return False
        cx, cy = self.canvas.centre
        mpp = self.canvas.metres_per_pixel * denominator / self.canvas.scale_denominator()
        self.clearFocus()
        self.canvas.set_view(cx, cy, mpp)
        self.show_scale()
        return True
