"""Layer groups (issue 17, "the QGIS basics a planner reaches for"): the model in
:mod:`layers.groups` (one undo step each, saved in the project) and the layer tree's group
rows (tick, drag, drop onto a group, menus)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import geopandas as gpd  # noqa: E402
import pytest  # noqa: E402
from PyQt5.QtCore import QPoint, QPointF, Qt  # noqa: E402
from PyQt5.QtGui import QDragMoveEvent, QDropEvent  # noqa: E402
from PyQt5.QtWidgets import QInputDialog, QMessageBox  # noqa: E402
from shapely.geometry import box  # noqa: E402

from app.panels.layer_tree.menu import find_action  # noqa: E402
from app.panels.layer_tree.panel import LayerPanel  # noqa: E402
from app.panels.layer_tree.tree import GROUP_NAME  # noqa: E402
from layers import groups  # noqa: E402
from layers.errors import ProjectError  # noqa: E402
from layers.layer import VectorLayer  # noqa: E402
from layers.project import Project  # noqa: E402
from layers.store import open_project, save_project  # noqa: E402

CRS = "EPSG:4546"
NAMES = ["a", "b", "c", "d", "e"]  # bottom → top


def make_project() -> Project:
    project = Project(metadata={"title": "groups"})
    for i, name in enumerate(NAMES):
        gdf = gpd.GeoDataFrame({"name": [name]}, geometry=[box(1000 * i, 0, 1000 * i + 50, 50)],
                               crs=CRS)
        project.add_layer(VectorLayer(name, "other", gdf))
    return project


def top_first(project) -> list[str]:
    return list(reversed(project.names()))


def ids(project, *names) -> list[str]:
    return [project.layer(n).id for n in names]


def tree_shape(project) -> list:
    """The blocks as names: ('G', ['d', 'b']) for a group, 'a' for a layer in none."""
    return [(g, [x.name for x in ls]) if g else ls[0].name for g, ls in groups.blocks(project)]


# --- the model -------------------------------------------------------------------------------
def test_a_new_group_forms_where_its_topmost_layer_is_and_undo_restores_exactly():
    project = make_project()  # top first: e d c b a
    project.apply(groups.join_group(project, ids(project, "d", "b"), "管线", new=True))
    assert top_first(project) == ["e", "d", "b", "c", "a"]
    assert tree_shape(project) == ["e", ("管线", ["d", "b"]), "c", "a"]
    project.undo.undo()
    assert top_first(project) == ["e", "d", "c", "b", "a"]
    assert groups.membership(project) == {}
    project.undo.redo()
    assert tree_shape(project) == ["e", ("管线", ["d", "b"]), "c", "a"]
    assert "管线" in project.undo.undo_text()  # one step, named after the group
    with pytest.raises(ProjectError):
        groups.join_group(project, [], "x", new=True)


def test_joining_an_existing_group_moves_the_layer_on_top_of_it():
    project = make_project()
    project.apply(groups.join_group(project, ids(project, "c", "b"), "G", new=True))
    project.apply(groups.join_group(project, ids(project, "e"), "G"))
    assert tree_shape(project) == ["d", ("G", ["e", "c", "b"]), "a"]


def test_a_new_group_never_splits_another_group():
    project = make_project()
    project.apply(groups.join_group(project, ids(project, "d", "c", "b"), "G", new=True))
    project.apply(groups.join_group(project, ids(project, "c", "a"), "H", new=True))
    shape = tree_shape(project)
    assert shape == ["e", ("H", ["c", "a"]), ("G", ["d", "b"])]
    assert len([s for s in shape if isinstance(s, tuple)]) == len(groups.group_names(project))


def test_moving_by_neighbours_joins_keeps_or_leaves():
    project = make_project()
    project.apply(groups.join_group(project, ids(project, "d", "c"), "G", new=True))
    # e (G: d c) b a — e dropped between d and c joins G
    project.apply(groups.move_layer_to(project, project.layer("e").id, 2))
    assert tree_shape(project) == [("G", ["d", "e", "c"]), "b", "a"]
    # c moved to the bottom leaves G (its neighbours are not G)
    project.apply(groups.move_layer_to(project, project.layer("c").id, 5))
    assert tree_shape(project) == [("G", ["d", "e"]), "b", "a", "c"]
    # d moved one down stays in G (its neighbour e is G)
    project.apply(groups.move_layer_to(project, project.layer("d").id, 2))
    assert tree_shape(project) == [("G", ["e", "d"]), "b", "a", "c"]


def test_leaving_from_the_middle_goes_above_the_group():
    project = make_project()
    project.apply(groups.join_group(project, ids(project, "d", "c", "b"), "G", new=True))
    project.apply(groups.leave_group(project, ids(project, "c")))
    assert tree_shape(project) == ["e", "c", ("G", ["d", "b"]), "a"]


def test_rename_ungroup_move_and_remove_a_group_with_undo():
    project = make_project()
    project.apply(groups.join_group(project, ids(project, "b", "a"), "G", new=True))
    project.apply(groups.join_group(project, ids(project, "e"), "H", new=True))
    with pytest.raises(ProjectError):
        groups.rename_group(project, "G", "H")  # taken
    with pytest.raises(ProjectError):
        groups.rename_group(project, "G", "  ")
    project.apply(groups.rename_group(project, "G", "底图"))
    assert tree_shape(project) == [("H", ["e"]), "d", "c", ("底图", ["b", "a"])]
    project.apply(groups.move_group_to(project, "底图", 0))
    assert top_first(project) == ["b", "a", "e", "d", "c"]
    project.apply(groups.remove_group(project, "底图"))
    assert project.names() == ["c", "d", "e"]
    project.undo.undo()
    assert tree_shape(project) == [("底图", ["b", "a"]), ("H", ["e"]), "d", "c"]
    project.apply(groups.ungroup(project, "H"))
    assert tree_shape(project) == [("底图", ["b", "a"]), "e", "d", "c"]


def test_group_visibility_is_all_none_or_some():
    project = make_project()
    project.apply(groups.join_group(project, ids(project, "c", "b"), "G", new=True))
    groups.set_group_visible(project, "G", False)
    assert [project.layer(n).visible for n in NAMES] == [True, False, False, True, True]
    assert groups.group_visibility(project, "G") is False
    project.layer("c").visible = True
    assert groups.group_visibility(project, "G") is None


def test_groups_are_saved_in_the_project(tmp_path):
    project = make_project()
    project.apply(groups.join_group(project, ids(project, "d", "b"), "管线", new=True))
    path = tmp_path / "groups.gpkg"
    save_project(project, path)
    again = open_project(path)
    assert tree_shape(again) == tree_shape(project) == ["e", ("管线", ["d", "b"]), "c", "a"]


# --- the tree --------------------------------------------------------------------------------
@pytest.fixture
def panel(qtbot):
    widget = LayerPanel()
    project = make_project()
    project.apply(groups.join_group(project, ids(project, "d", "c"), "管线", new=True))
    widget.set_project(project)
    qtbot.addWidget(widget)
    widget.resize(420, 600)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def rows(panel) -> list:
    """Top-level rows as the reader sees them: a group with its children, or a layer."""
    out = []
    for i in range(panel.tree.topLevelItemCount()):
        item = panel.tree.topLevelItem(i)
        if item.data(0, GROUP_NAME):
            out.append((item.text(0), [item.child(j).text(0) for j in range(item.childCount())]))
        else:
            out.append(item.text(0))
    return out


def drop(panel, mime, pos: QPoint) -> None:
    move = QDragMoveEvent(pos, Qt.MoveAction, mime, Qt.LeftButton, Qt.NoModifier)
    panel.tree.dragMoveEvent(move)
    assert move.isAccepted()
    panel.tree.dropEvent(QDropEvent(QPointF(pos), Qt.MoveAction, mime, Qt.LeftButton, Qt.NoModifier))


def layer_mime(panel, name):
    return panel.tree.mimeData([next(i for i in panel.items() if i.text(0) == name)])


def test_the_tree_shows_groups_with_their_layers(panel):
    assert rows(panel) == ["e", ("管线", ["d", "c"]), "b", "a"]
    assert [i.text(0) for i in panel.items()] == top_first(panel.project)
    group = panel.group_item("管线")
    assert group.text(1) in ("Group", "组") and group.text(2) == "2"


def test_ticking_a_group_shows_or_hides_its_layers(panel):
    group = panel.group_item("管线")
    group.setCheckState(0, Qt.Unchecked)
    assert not panel.project.layer("d").visible and not panel.project.layer("c").visible
    assert panel.project.layer("e").visible
    next(i for i in panel.items() if i.text(0) == "d").setCheckState(0, Qt.Checked)
    assert panel.group_item("管线").checkState(0) == Qt.PartiallyChecked
    panel.group_item("管线").setCheckState(0, Qt.Checked)
    assert panel.project.layer("c").visible


def test_dropping_a_layer_onto_a_group_row_joins_it(panel):
    rect = panel.tree.visualItemRect(panel.group_item("管线"))
    drop(panel, layer_mime(panel, "a"), QPoint(rect.center().x(), rect.bottom() - 2))
    assert rows(panel) == ["e", ("管线", ["a", "d", "c"]), "b"]
    panel.project.undo.undo()
    assert rows(panel) == ["e", ("管线", ["d", "c"]), "b", "a"]


def test_dropping_a_layer_out_of_its_group_leaves_it(panel):
    rect = panel.tree.visualItemRect(next(i for i in panel.items() if i.text(0) == "a"))
    drop(panel, layer_mime(panel, "d"), QPoint(rect.center().x(), rect.bottom() - 2))
    assert rows(panel) == ["e", ("管线", ["c"]), "b", "a", "d"]


def test_dragging_a_group_moves_all_its_layers(panel):
    mime = panel.tree.mimeData([panel.group_item("管线")])
    rect = panel.tree.visualItemRect(next(i for i in panel.items() if i.text(0) == "a"))
    drop(panel, mime, QPoint(rect.center().x(), rect.bottom() - 2))
    assert rows(panel) == ["e", "b", "a", ("管线", ["d", "c"])]
    assert panel.project.names()[:2] == ["c", "d"]  # drawn first: at the bottom


def test_group_menus_make_rename_and_remove_groups(panel, monkeypatch):
    for name in ("b", "a"):  # select b and a, then the layer menu's "new group"
        next(i for i in panel.items() if i.text(0) == name).setSelected(True)
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("底图", True))
    find_action(panel.context_menu(panel.project.layer("b")), "group_new").trigger()
    assert rows(panel) == ["e", ("管线", ["d", "c"]), ("底图", ["b", "a"])]
    from app.panels.layer_tree.group_menu import build_group_menu

    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("供水", True))
    find_action(build_group_menu(panel, "管线"), "group_rename").trigger()
    assert rows(panel) == ["e", ("供水", ["d", "c"]), ("底图", ["b", "a"])]
    find_action(build_group_menu(panel, "底图"), "group_up").trigger()
    assert rows(panel) == ["e", ("底图", ["b", "a"]), ("供水", ["d", "c"])]
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.Yes)
    find_action(build_group_menu(panel, "供水"), "group_remove").trigger()
    assert panel.project.names() == ["a", "b", "e"]
    panel.project.undo.undo()
    assert rows(panel) == ["e", ("底图", ["b", "a"]), ("供水", ["d", "c"])]
    menu = panel.context_menu(panel.project.layer("e"))
    find_action(menu, "group_join_0").trigger()  # the first group listed: 底图
    assert rows(panel) == [("底图", ["e", "b", "a"]), ("供水", ["d", "c"])]


def test_a_taken_group_name_is_one_line_and_changes_nothing(panel, monkeypatch):
    shown = []
    monkeypatch.setattr("app.problems.show_problem", lambda parent, exc, *a, **k: shown.append(exc))
    before = (top_first(panel.project), dict(groups.membership(panel.project)))
    assert not panel.group_layers([panel.project.layer("a")], "管线", new=True)
    assert (top_first(panel.project), groups.membership(panel.project)) == before
