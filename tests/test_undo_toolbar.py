"""The undo button in the tool row says a long step in short (a long name pushed the row
past a 1,200 px window, issue 17); the menu and tooltip say it whole."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

from app.window.undo_actions import shorten  # noqa: E402


@pytest.mark.parametrize("text, expected", [
    ("move vertex", "move vertex"),
    ("x" * 24, "x" * 24),
    ("x" * 25, "x" * 23 + "…"),
    ("将图层编入组底图将图层编入", "将图层编入组底图将图层…"),  # 13 wide characters: 26 columns
    ("移动要素", "移动要素"),
])
def test_shorten_counts_wide_characters_twice(text, expected):
    assert shorten(text) == expected


def test_the_tool_row_fits_a_1200_px_window_after_a_long_step(qtbot):
    from PyQt5.QtWidgets import QToolBar, QToolButton

    from app.window.main import MainWindow
    from layers import groups
    from layers.demo import build_sample_project

    project = build_sample_project("small", 0)
    window = MainWindow(project)
    qtbot.addWidget(window)
    window.resize(1200, 720)
    window.show()
    qtbot.waitExposed(window)
    ids = [layer.id for layer in project.layers[:3]]
    long_name = "旧城改造片区底图与人口格网及街道合并后的参考图层组"
    project.apply(groups.join_group(project, ids, long_name, new=True))
    qtbot.wait(50)
    action = window.undo_actions.undo_action
    assert long_name in action.text() and long_name in action.toolTip()
    assert len(action.iconText()) < len(action.text())
    button = next(b for bar in window.findChildren(QToolBar) for b in bar.findChildren(QToolButton)
                  if b.defaultAction() is action)
    assert button.text() == action.iconText()
    bar = button.parentWidget()
    project.undo.set_clean()  # closing asks nothing
    assert bar.sizeHint().width() <= window.width(), "tool row wider than the window"
