"""Edits are commands: exact undo/redo, merged drags, layer commands by id, failed undo kept."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import X0, Y0, tiny_communities
from layers.commands import (
    AddFeatures,
    ChangeAttributes,
    ChangeGeometry,
    Command,
    DeleteFeatures,
    MacroCommand,
    MoveLayer,
    RemoveLayer,
    RenameLayer,
)
from layers.errors import EditError, T, ValidationError
from layers.layer import VectorLayer
from layers.project import Project


def _rows(names, households, boxes):
    return gpd.GeoDataFrame({"name": names, "households": households}, geometry=boxes,
                            crs="EPSG:4546")


def test_add_delete_undo_redo(project):
    layer = project.layer("communities")
    before = layer.gdf.copy()
    cmd = project.apply(AddFeatures(layer.id, _rows(["新"], [50], [shapely.box(X0, Y0, X0 + 5,
                                                                              Y0 + 5)])))
    assert cmd.fids == [5] and len(layer) == 5
    project.apply(DeleteFeatures(layer.id, [2, 5]))
    assert list(layer.gdf.index) == [1, 3, 4]
    project.undo.undo()
    project.undo.undo()
    assert_geodataframe_equal(layer.gdf, before)
    project.undo.redo()
    assert list(layer.gdf.index) == [1, 2, 3, 4, 5]
    assert layer.gdf.loc[5, "name"] == "新"


def test_attribute_values_are_checked_and_converted(project):
    layer = project.layer("communities")
    project.apply(ChangeAttributes(layer.id, {1: {"households": "300", "shantytown": "是"}}))
    assert layer.gdf.loc[1, "households"] == 300
    assert bool(layer.gdf.loc[1, "shantytown"]) is True
    with pytest.raises(EditError) as err:
        project.apply(ChangeAttributes(layer.id, {1: {"households": "many"}}))
    assert "households" in err.value.message("en") and "feature 1" in err.value.message("en")
    assert layer.gdf.loc[1, "households"] == 300  # nothing half-applied
    with pytest.raises(EditError):
        project.apply(ChangeAttributes(layer.id, {99: {"households": 1}}))
    with pytest.raises(EditError):
        project.apply(ChangeAttributes(layer.id, {1: {"no_such_field": 1}}))


def test_one_vertex_drag_is_one_undo_step(project):
    layer = project.layer("communities")
    original = layer.gdf.geometry.loc[1]
    for step in range(1, 11):  # ten mouse-move events of one drag
        moved = shapely.transform(original, lambda xy, s=step: xy + [s, 0])
        project.apply(ChangeGeometry(layer.id, {1: moved}, merge_key=("drag", 1)))
    project.apply(ChangeGeometry(layer.id, {1: original.buffer(1)}, merge_key=("drag", 2)))
    assert len(project.undo) == 2
    project.undo.undo()
    assert layer.gdf.geometry.loc[1].equals(
        shapely.transform(original, lambda xy: xy + [10, 0]))
    project.undo.undo()
    assert layer.gdf.geometry.loc[1].equals_exact(original, 0)


def test_no_merge_across_a_save(project):
    layer = project.layer("communities")
    g = layer.gdf.geometry.loc[1]
    project.apply(ChangeGeometry(layer.id, {1: g.buffer(1)}, merge_key="drag"))
    project.undo.set_clean()
    project.apply(ChangeGeometry(layer.id, {1: g.buffer(2)}, merge_key="drag"))
    assert len(project.undo) == 2 and not project.undo.is_clean
    project.undo.undo()
    assert project.undo.is_clean


class Boom(Command):
    """A step that changes a name in ``log`` and fails on apply or revert when told to."""

    def __init__(self, log: list[str], fail_on: str) -> None:
        self.log = log
        self.fail_on = fail_on
        self.armed = False

    def apply(self, project):
        if self.armed and self.fail_on == "apply":
            raise RuntimeError("disk gone")
        self.log.append("boom")

    def revert(self, project):
        if self.armed and self.fail_on == "revert":
            raise RuntimeError("disk gone")
        self.log.remove("boom")


def test_rename_then_undo_across_other_edits(project):
    """Feature edits, a rename and a move interleaved undo and redo in order (what an
    edit session's commit used to break: the rename vanished from the stack)."""
    layer = project.layer("communities")
    other = project.add_layer(VectorLayer("other", "communities", tiny_communities(2)))
    before = layer.gdf.copy()
    project.apply(ChangeAttributes(layer.id, {2: {"name": "改名"}}))
    project.apply(RenameLayer(layer.id, "renamed"))
    project.apply(MoveLayer(layer.id, 1))
    project.apply(DeleteFeatures(layer.id, [1]))
    assert project.names() == ["other", "renamed"] and len(project.undo) == 4
    for _ in range(4):
        project.undo.undo()
    assert project.names() == ["communities", "other"] and other.name == "other"
    assert_geodataframe_equal(layer.gdf, before)
    for _ in range(4):
        project.undo.redo()
    assert project.names() == ["other", "renamed"] and 1 not in layer.gdf.index
    assert layer.gdf.at[2, "name"] == "改名"


def test_remove_and_move_layer_by_id_survive_a_rename(project):
    layer = project.layer("communities")
    project.add_layer(VectorLayer("other", "communities", tiny_communities(2)))
    move = MoveLayer(layer.id, 1)
    project.apply(move)
    project.apply(RenameLayer(layer.id, "renamed"))
    project.apply(RemoveLayer(layer.id))
    assert project.names() == ["other"]
    project.undo.undo()  # the layer comes back where it was, under its new name
    assert project.names() == ["other", "renamed"]
    project.undo.undo()
    project.undo.undo()  # the move undone by id although the name changed since
    assert project.names() == ["communities", "other"]
    project.undo.redo()
    project.undo.redo()
    project.apply(MoveLayer(layer.id, 0))
    assert project.names() == ["renamed", "other"]
    with pytest.raises(EditError, match="no longer in the project"):
        project.apply(RemoveLayer("no-such-id"))


def test_a_revert_that_fails_keeps_the_command(project):
    log: list[str] = []
    layer = project.layer("communities")
    project.apply(ChangeAttributes(layer.id, {1: {"name": "一"}}))
    boom = project.apply(Boom(log, "revert"))
    boom.armed = True
    with pytest.raises(EditError) as err:
        project.undo.undo()
    assert "disk gone" in err.value.message("en") and "撤销" in err.value.message("zh")
    assert len(project.undo) == 2 and project.undo.can_undo and not project.undo.can_redo
    assert log == ["boom"]
    boom.armed = False
    project.undo.undo()  # once the cause is gone the same step undoes
    project.undo.undo()
    assert log == [] and layer.gdf.at[1, "name"] == "小区0"


def test_a_redo_that_fails_keeps_the_command(project):
    log: list[str] = []
    boom = project.apply(Boom(log, "apply"))
    project.undo.undo()
    boom.armed = True
    with pytest.raises(EditError) as err:
        project.undo.redo()
    assert "重做" in err.value.message("zh")
    assert len(project.undo) == 0 and project.undo.can_redo and log == []
    boom.armed = False
    project.undo.redo()
    assert log == ["boom"] and project.undo.can_undo


def test_a_macro_that_fails_to_revert_halfway_leaves_the_project_as_it_was(project):
    log: list[str] = []
    layer = project.layer("communities")
    boom = Boom(log, "revert")
    macro = MacroCommand(T("three steps", "三步"), [
        ChangeAttributes(layer.id, {1: {"name": "甲"}}),
        boom,  # the second sub-command to be reverted
        RenameLayer(layer.id, "renamed"),
    ])
    project.apply(macro)
    after = layer.gdf.copy()
    boom.armed = True
    with pytest.raises(EditError):
        project.undo.undo()
    assert layer.name == "renamed" and log == ["boom"]  # the rename was re-applied
    assert_geodataframe_equal(layer.gdf, after)
    assert len(project.undo) == 1 and project.undo.undo_text("en") == "three steps"
    boom.armed = False
    project.undo.undo()
    assert layer.name == "communities" and log == [] and layer.gdf.at[1, "name"] == "小区0"


def test_a_macro_that_fails_to_apply_halfway_changes_nothing(project):
    log: list[str] = []
    layer = project.layer("communities")
    before = layer.gdf.copy()
    boom = Boom(log, "apply")
    boom.armed = True
    with pytest.raises(RuntimeError):
        project.apply(MacroCommand(T("two steps", "两步"), [
            ChangeAttributes(layer.id, {1: {"name": "甲"}}), RenameLayer(layer.id, "x"), boom]))
    assert_geodataframe_equal(layer.gdf, before)
    assert layer.name == "communities" and not project.undo.can_undo


@pytest.mark.parametrize("field,value,words", [
    ("name", None, "required"),
    ("households", -5, "range"),
    ("year_built", 2500, "range"),
    ("willingness", 1.5, "range"),
])
def test_change_attributes_refuses_what_the_schema_refuses(project, field, value, words):
    layer = project.layer("communities")
    before = layer.gdf.copy()
    with pytest.raises(ValidationError) as err:
        project.apply(ChangeAttributes(layer.id, {2: {"name": "好名字"}, 3: {field: value}}))
    message = err.value.message("en")
    assert "feature 3" in message and field in message, message
    assert_geodataframe_equal(layer.gdf, before)  # nothing half-applied
    assert not project.undo.can_undo
    project.apply(ChangeAttributes(layer.id, {3: {"households": 4000}}))  # a fine value passes
    assert layer.gdf.at[3, "households"] == 4000


# --- random edit sequences (hypothesis) ---------------------------------------------
names = st.text(alphabet="小区路街abc123", min_size=1, max_size=6)  # required: never emptied
households = st.one_of(st.none(), st.integers(0, 5000))
shares = st.one_of(st.none(), st.floats(0, 1, allow_nan=False))
flags = st.one_of(st.none(), st.booleans())


@st.composite
def boxes(draw):
    x = draw(st.floats(-500, 500, allow_nan=False))
    y = draw(st.floats(-500, 500, allow_nan=False))
    w = draw(st.floats(1, 200, allow_nan=False))
    return shapely.box(X0 + x, Y0 + y, X0 + x + w, Y0 + y + w)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_edit_sequences_undo_and_redo_exactly(data):
    project = Project()
    layer = project.add_layer(VectorLayer("c", "communities", tiny_communities(5)))
    initial = layer.gdf.copy()
    steps = data.draw(st.integers(1, 25), label="steps")
    for _ in range(steps):
        op = data.draw(st.sampled_from(["add", "delete", "geom", "attr", "undo", "redo"]))
        fids = list(layer.gdf.index)
        if op == "add":
            n = data.draw(st.integers(1, 3))
            rows = _rows([data.draw(names) for _ in range(n)],
                         [data.draw(households) for _ in range(n)],
                         [data.draw(boxes()) for _ in range(n)])
            project.apply(AddFeatures(layer.id, rows))
        elif op == "delete" and fids:
            chosen = data.draw(st.lists(st.sampled_from(fids), min_size=1, max_size=3))
            project.apply(DeleteFeatures(layer.id, chosen))
        elif op == "geom" and fids:
            fid = data.draw(st.sampled_from(fids))
            key = data.draw(st.sampled_from([None, "drag"]))
            project.apply(ChangeGeometry(layer.id, {fid: data.draw(boxes())}, merge_key=key))
        elif op == "attr" and fids:
            fid = data.draw(st.sampled_from(fids))
            field = data.draw(st.sampled_from(["name", "households", "willingness",
                                               "shantytown"]))
            value = data.draw({"name": names, "households": households,
                               "willingness": shares, "shantytown": flags}[field])
            project.apply(ChangeAttributes(layer.id, {fid: {field: value}}))
        elif op == "undo":
            project.undo.undo()
        elif op == "redo":
            project.undo.redo()
    final = layer.gdf.copy()
    depth = len(project.undo)
    while project.undo.can_undo:
        project.undo.undo()
    assert_geodataframe_equal(layer.gdf, initial, check_dtype=True)
    for _ in range(depth):
        project.undo.redo()
    assert_geodataframe_equal(layer.gdf, final, check_dtype=True)


def test_table_layers_use_the_same_commands():
    import pandas as pd

    from layers.layer import TableLayer

    project = Project()
    table = project.add_layer(TableLayer("items", "programme_items"))
    add = project.apply(AddFeatures(table.id, pd.DataFrame(
        {"community_fid": [3, 4], "item": ["water_supply", "lift_addition"],
         "quantity": [120.0, None]})))
    assert add.fids == [1, 2] and table.crs is None and table.bounds() is None
    project.apply(ChangeAttributes(table.id, {2: {"quantity": "2", "selected": "是"}}))
    assert table.df.loc[2, "quantity"] == 2.0 and bool(table.df.loc[2, "selected"])
    project.undo.undo()
    assert pd.isna(table.df.loc[2, "quantity"])
    with pytest.raises(EditError, match="no geometry"):
        project.apply(ChangeGeometry(table.id, {1: shapely.Point(X0, Y0)}))
    assert project.validate() == []
    with pytest.raises(ValidationError, match="moat"):  # not one of the 26 renovation items
        project.apply(ChangeAttributes(table.id, {1: {"item": "moat"}}))
    assert project.validate() == [] and table.df.loc[1, "item"] == "water_supply"
