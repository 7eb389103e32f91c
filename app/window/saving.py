"""Saving from the window: the one place that turns a save into what a person sees.

A save that would overwrite what another program (or another window) saved to the same
file since this project was opened is not done silently: the person chooses, as in QGIS,
between reloading the file from disk (their unsaved changes go to the recovery file first,
so nothing is lost), overwriting it, or saving under another name.
"""

from __future__ import annotations

from pathlib import Path

from PyQt5.QtWidgets import QMessageBox

from app.problems import guarded, show_problem
from layers.errors import ProjectChangedOnDisk, T

CHANGED_TITLE = T("Changed by another program", "文件已被其他程序修改")
CHANGED_TEXT = T("{path} was saved by another program (or window) after you opened it. "
                 "Reload it from disk (your unsaved changes are kept in a recovery file), "
                 "overwrite it with your version, or save yours under another name?",
                 "{path} 在您打开后已被其他程序（或窗口）保存。要从磁盘重新载入"
                 "（您未保存的修改将保留在恢复文件中）、用您的版本覆盖，还是将您的版本另存为其他文件？")
RELOAD = T("Reload", "重新载入")
OVERWRITE = T("Overwrite", "覆盖")
SAVE_AS = T("Save As…", "另存为…")
KEPT = T("Your unsaved changes are kept in {path}.", "您未保存的修改已保留在 {path}。")


def choose(box: QMessageBox) -> None:
    """Show the question modally (tests replace this and click a button themselves)."""
    box.exec_()


def ask_changed(window, path: Path) -> str:
    """'reload', 'overwrite', 'save_as' or 'cancel'."""
    box = QMessageBox(QMessageBox.Warning, CHANGED_TITLE(), CHANGED_TEXT.format(path=str(path))(),
                      QMessageBox.Cancel, window)
    box.setObjectName("changed_on_disk")
    buttons = {box.addButton(RELOAD(), QMessageBox.DestructiveRole): "reload",
               box.addButton(OVERWRITE(), QMessageBox.AcceptRole): "overwrite",
               box.addButton(SAVE_AS(), QMessageBox.ActionRole): "save_as"}
    box.setDefaultButton(QMessageBox.Cancel)
    choose(box)
    return buttons.get(box.clickedButton(), "cancel")


def save_to(window, path: Path) -> bool:
    """Save the window's project to ``path`` (a file or a PostGIS location); True when it
    was saved. Features another planner changed too are resolved in a dialog first."""
    from app.canvas.preview import overview_of

    project = window.project
    project.save_overview = overview_of(window.canvas)  # the picture it opens with
    try:
        return _save(window, path)
    finally:
        project.save_overview = None


def _save(window, path: Path) -> bool:
    from layers.store import save_project
    from layers.store.pgconflicts import ProjectConflicts

    while True:
        try:
            save_project(window.project, path)
        except ProjectConflicts as exc:  # features another planner changed too (PostGIS)
            from app.dialogs.pg_conflicts import resolve_interactively

            if not resolve_interactively(window, exc.conflicts):
                return False  # cancelled: the edits stay, unsaved
            continue  # saved again with the choices (asks again if someone saved meanwhile)
        except ProjectChangedOnDisk:
            return _resolve_conflict(window, path)
        except Exception as exc:  # noqa: BLE001 - shown in one line; the file is as it was
            show_problem(window, exc)
            return False
        team = getattr(window, "team", None)
        if team is not None:
            team.saved()
        return True


def _resolve_conflict(window, path: Path) -> bool:
    from layers.store import open_project, save_project

    choice = ask_changed(window, path)
    if choice == "overwrite":
        return guarded(window, save_project, window.project, path, overwrite=True)[0]
    if choice == "save_as":
        return window.save_as()
    if choice == "reload":
        kept = window.autosave_now()
        ok, project = guarded(window, open_project, path)
        if ok:
            window.set_project(project)
            if kept is not None:
                window.statusBar().showMessage(KEPT.format(path=str(kept))(), 15000)
        return False  # the person's version was not saved
    return False
