"""Unsaved work comes back, and a save never silently overwrites another program's save
(issue 14, items 5 and 6), on the real window."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

pytest.importorskip("pytestqt", reason="pytest-qt drives the widgets")

from PyQt5.QtCore import QTimer  # noqa: E402
from PyQt5.QtWidgets import QApplication, QFileDialog, QMessageBox  # noqa: E402

import app.dialogs.recovery as recovery_dialog  # noqa: E402
import app.window.saving as saving  # noqa: E402
from app.window.main import MainWindow  # noqa: E402
from conftest import tiny_communities  # noqa: E402
from layers.commands import ChangeAttributes  # noqa: E402
from layers.layer import VectorLayer  # noqa: E402
from layers.project import Project  # noqa: E402
from layers.store import open_project, save_project  # noqa: E402
from layers.store.recovery import list_recoverable, recovery_file_for  # noqa: E402


@pytest.fixture(autouse=True)
def no_recovery_files_left():
    """Each test starts and ends with an empty recovery folder (start-up would offer them)."""
    from layers.store.recovery import recovery_dir

    def clear():
        for leftover in recovery_dir().glob("*.recovery.gpkg"):
            leftover.unlink()

    clear()
    yield
    clear()


def untitled(title: str) -> Project:
    project = Project(metadata={"title": title})
    project.add_layer(VectorLayer("communities", "communities", tiny_communities()))
    return project


def rename_first(project: Project, name: str) -> None:
    layer = project.layer("communities")
    project.apply(ChangeAttributes(layer.id, {int(layer.gdf.index[0]): {"name": name}}))


@pytest.fixture
def two_windows(qtbot):
    windows = []
    for title in ("east", "west"):
        win = MainWindow(untitled(title))
        rename_first(win.project, f"{title} edited")
        windows.append(win)
    yield windows
    for win in windows:  # unsaved on purpose: closing without the Save/Discard question
        win.project.undo.set_clean()
        win.close()


def test_two_untitled_windows_autosave_to_their_own_files(two_windows):
    paths = [win.autosave_now() for win in two_windows]
    assert paths[0] != paths[1] and all(p.exists() for p in paths)
    recovered = {open_project(p).metadata["title"] for p in paths}
    assert recovered == {"east", "west"}


def test_start_up_offers_the_unsaved_work_and_opens_it_untitled(qtbot, two_windows, monkeypatch,
                                                               tmp_path):
    from app.window.gui import run_gui

    for win in two_windows:
        win.autosave_now()
    offered = []

    def pick_west(dialog):
        offered.extend(dialog.list.item(i).text() for i in range(dialog.list.count()))
        dialog.list.setCurrentRow(next(i for i, info in enumerate(dialog.infos)
                                       if info.title == "west"))
        dialog.open_chosen()
        seen["recovery"] = dialog.chosen.path
        return True

    seen = {}
    monkeypatch.setattr(recovery_dialog, "ask", pick_west)

    def look_and_quit():
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, MainWindow) and widget.isVisible() \
                    and widget not in two_windows:
                seen["window"] = widget
        QApplication.quit()

    QTimer.singleShot(0, look_and_quit)
    assert run_gui(None, lang="en") == 0
    assert any("east" in text for text in offered) and any("west" in text for text in offered)
    assert all("never saved" in text for text in offered)
    window = seen["window"]
    project = window.project
    assert project.metadata["title"] == "west" and project.path is None
    assert project.layer("communities").gdf["name"].iloc[0] == "west edited"
    # Save asks for a name: the recovery file is never the save target
    target = tmp_path / "west.gpkg"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(target), "")))
    assert window.save()
    assert project.path == target
    assert "opened_from_recovery" not in open_project(target).metadata
    assert not seen["recovery"].exists()  # saved: its recovery file is gone
    assert seen["recovery"] not in [i.path for i in list_recoverable()]
    project.undo.set_clean()
    window.close()


def test_a_recovery_file_can_be_discarded_from_the_list(qtbot, two_windows, monkeypatch):
    path = two_windows[0].autosave_now()
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.Yes))
    dialog = recovery_dialog.RecoveryDialog(list_recoverable())
    qtbot.addWidget(dialog)
    dialog.list.setCurrentRow(next(i for i, info in enumerate(dialog.infos) if info.path == path))
    assert dialog.discard_chosen()
    assert not path.exists()


@pytest.fixture
def shared_file(qtbot, tmp_path):
    path = tmp_path / "shared.gpkg"
    save_project(untitled("shared"), path)
    win = MainWindow(open_project(path))
    other = open_project(path)  # another program's copy
    rename_first(other, "saved by the other program")
    save_project(other, path)
    rename_first(win.project, "mine")
    yield win, path
    win.project.undo.set_clean()
    win.close()


def click(answer: str):
    def choose(box):
        wanted = {"reload": saving.RELOAD(), "overwrite": saving.OVERWRITE(),
                  "save_as": saving.SAVE_AS()}.get(answer)
        for button in box.buttons():
            if button.text() == wanted or (wanted is None and
                                           box.buttonRole(button) == QMessageBox.RejectRole):
                button.click()
                return
        raise AssertionError(f"no button {answer}")
    return choose


def first_name(path):
    return open_project(path).layer("communities").gdf["name"].iloc[0]


def test_saving_over_another_programs_save_asks_and_cancel_keeps_both(shared_file,
                                                                      monkeypatch):
    win, path = shared_file
    monkeypatch.setattr(saving, "choose", click("cancel"))
    assert not win.save()
    assert first_name(path) == "saved by the other program"
    assert not win.project.undo.is_clean  # still unsaved, nothing lost


def test_overwrite_writes_my_version(shared_file, monkeypatch):
    win, path = shared_file
    monkeypatch.setattr(saving, "choose", click("overwrite"))
    assert win.save()
    assert first_name(path) == "mine" and win.project.undo.is_clean


def test_reload_shows_the_file_and_keeps_my_changes_in_the_recovery_file(shared_file,
                                                                          monkeypatch):
    win, path = shared_file
    mine = win.project
    monkeypatch.setattr(saving, "choose", click("reload"))
    assert not win.save()
    assert win.project is not mine
    assert win.project.layer("communities").gdf["name"].iloc[0] == "saved by the other program"
    kept = recovery_file_for(mine)
    assert kept.exists() and first_name(kept) == "mine"
