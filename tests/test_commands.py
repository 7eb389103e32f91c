"""Edits are commands: exact undo/redo, merged drags, edit buffers with commit/rollback."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import X0, Y0, tiny_communities
from layers.commands import AddFeatures, ChangeAttributes, ChangeGeometry, DeleteFeatures
from layers.errors import EditError, ValidationError
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


def test_edit_buffer_rollback_and_commit(project):
    layer = project.layer("communities")
    before = layer.gdf.copy()
    buffer = project.start_editing("communities")
    project.apply(DeleteFeatures(layer.id, [1]))
    project.apply(ChangeAttributes(layer.id, {2: {"name": "改名"}}))
    assert buffer.summary() == {"added": 0, "deleted": 1, "changed": 1}
    buffer.rollback()
    assert_geodataframe_equal(layer.gdf, before)
    assert not project.undo.can_undo and layer.edit_buffer is None

    buffer = project.start_editing("communities")
    project.apply(AddFeatures(layer.id, _rows([None], [10], [shapely.box(X0, Y0, X0 + 1,
                                                                          Y0 + 1)])))
    with pytest.raises(ValidationError) as err:
        buffer.commit()  # name is required
    assert "name" in err.value.message("en") and "feature 5" in err.value.message("en")
    assert layer.edit_buffer is buffer  # still editing, nothing lost
    project.apply(ChangeAttributes(layer.id, {5: {"name": "补名"}}))
    buffer.commit()
    assert layer.edit_buffer is None and len(layer) == 5
    assert not project.undo.can_undo  # committed edits leave the undo stack (as QGIS does)


def test_edits_on_other_layers_survive_a_commit(project):
    other = project.add_layer(VectorLayer("other", "communities", tiny_communities(2)))
    layer = project.layer("communities")
    project.start_editing("communities")
    project.apply(ChangeAttributes(other.id, {1: {"name": "x"}}))
    project.apply(ChangeAttributes(layer.id, {1: {"name": "y"}}))
    layer.edit_buffer.commit()
    assert len(project.undo) == 1
    project.undo.undo()
    assert other.gdf.loc[1, "name"] == "小区0"


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
