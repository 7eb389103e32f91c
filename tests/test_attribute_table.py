"""The attribute table dock on the small sample city: edit through the real cell editor
(one undo step, bad values refused inline in both languages), sort numerically, filter
like pandas, selection in step with the project both ways, and a 100,000-row layer."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import time  # noqa: E402

import geopandas as gpd  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import shapely  # noqa: E402

pytest.importorskip("pytestqt", reason="pytest-qt is needed for the panel tests")

from PyQt5.QtCore import QPoint, Qt  # noqa: E402
from PyQt5.QtWidgets import QAbstractItemView, QComboBox, QLineEdit  # noqa: E402

from app.panels.attributes.table import FID, RAW, AttributeTableDock, AttributeTableModel  # noqa: E402
from conftest import X0, Y0, tiny_communities  # noqa: E402
from layers import display, i18n  # noqa: E402
from layers.commands import ChangeAttributes, DeleteFeatures  # noqa: E402
from layers.demo import build_sample_project  # noqa: E402
from layers.layer import TableLayer, VectorLayer  # noqa: E402
from layers.project import Project  # noqa: E402


@pytest.fixture
def dock(qtbot):
    project = build_sample_project("small", 0)
    dock = AttributeTableDock()
    qtbot.addWidget(dock)
    dock.set_project(project)
    dock.resize(1100, 420)
    dock.show()
    qtbot.waitExposed(dock)
    yield dock
    dock.detach()


@pytest.fixture
def zh():
    old = i18n.current_language()
    i18n.set_language("zh")
    yield
    i18n.set_language(old)


def _row_of(dock, fid: int) -> int:
    return next(r for r in range(dock.proxy.rowCount()) if dock.proxy.index(r, 0).data(FID) == fid)


def _type_into_cell(qtbot, dock, fid: int, field: str, text: str) -> None:
    """Open the cell's editor as a double-click would, type, press Enter."""
    index = dock.proxy.index(_row_of(dock, fid), dock.model.column_of(field))
    dock.table.edit(index)
    editor = dock.table.indexWidget(index)
    assert isinstance(editor, QLineEdit)
    editor.selectAll()
    qtbot.keyClicks(editor, text)
    qtbot.keyClick(editor, Qt.Key_Return)  # the delegate commits on the next event loop turn
    qtbot.waitUntil(lambda: dock.table.state() != QAbstractItemView.EditingState, timeout=2000)


def _shown(dock, field: str) -> list:
    col = dock.model.column_of(field)
    return [dock.proxy.index(r, col).data(RAW) for r in range(dock.proxy.rowCount())]


def _shown_fids(dock) -> list[int]:
    return [dock.proxy.index(r, 0).data(FID) for r in range(dock.proxy.rowCount())]


def _filter(qtbot, dock, text: str) -> None:
    dock.filter_edit.clear()
    if text.isascii():
        qtbot.keyClicks(dock.filter_edit, text)
    else:  # QTest types ASCII keys only; Chinese comes through an input method
        dock.filter_edit.insert(text)
    qtbot.keyClick(dock.filter_edit, Qt.Key_Return)


def test_columns_headers_and_values(dock):
    project, model = dock.project, dock.model
    names = [dock.layer_combo.itemText(i) for i in range(dock.layer_combo.count())]
    # layers read by their display names (issue 17): communities -> Communities
    assert names == [display.layer_title(la) for la in project if la.layer_type in ("vector", "table")]
    assert "Population grid" not in names  # rasters have no attribute table
    layer = project.layer("communities")
    assert model.layer is layer and model.rowCount() == len(layer.gdf) == 60
    assert [c.name for c in model.columns] == layer.schema.field_names
    col = model.column_of("population")
    assert model.headerData(col, Qt.Horizontal) == "Population"  # no Chinese unit in the en UI (issue 17)
    assert model.headerData(0, Qt.Vertical) == str(layer.gdf.index[0])
    row = _row_of(dock, 1)
    index = dock.proxy.index(row, col)
    assert index.data(Qt.EditRole) == layer.gdf.at[1, "population"] and isinstance(index.data(Qt.EditRole), int)
    assert index.data() == str(layer.gdf.at[1, "population"])
    pt = dock.proxy.index(row, model.column_of("property_type"))
    assert pt.data(Qt.EditRole) == "work_unit" and pt.data() == "work-unit housing"
    assert dock.proxy.index(row, model.column_of("shantytown")).data() == "yes"
    assert dock.proxy.index(row, model.column_of("notes")).data() == ""  # missing shows empty
    assert dock.proxy.index(row, model.column_of("notes")).data(Qt.EditRole) is None
    assert model.flags(model.index(0, col)) & Qt.ItemIsEditable
    assert "60 of 60 rows" in dock.status_label.text()


def test_extra_columns_and_tables(qtbot):
    project = Project()
    gdf = tiny_communities()
    gdf["survey_code"] = ["A1", "A2", "B1", "B2"]
    project.add_layer(VectorLayer("小区", "communities", gdf))
    project.add_layer(TableLayer("进度", "programme_events", pd.DataFrame(
        {"community_fid": [1, 2], "status": ["reserve", "design"],
         "date": pd.to_datetime(["2024-03-01", "2024-05-31"])})))
    model = AttributeTableModel(project, project.layer("小区"))
    assert [c.name for c in model.columns][-1] == "survey_code"  # after the schema fields
    extra = model.index(0, model.column_of("survey_code"))
    assert extra.data() == "A1" and not model.flags(extra) & Qt.ItemIsEditable
    model.set_layer(project, project.layer("进度"))
    assert model.rowCount() == 2
    assert model.index(1, model.column_of("date")).data() == "2024-05-31"
    assert model.index(1, model.column_of("status")).data() == "design"
    assert model.set_value(2, "status", "works")
    assert project.layer("进度").df.at[2, "status"] == "works"


def test_edit_in_the_cell_editor_is_one_undo_step(dock, qtbot):
    project, layer = dock.project, dock.project.layer("communities")
    before, steps = int(layer.gdf.at[1, "population"]), len(project.undo)
    _type_into_cell(qtbot, dock, 1, "population", "1234")
    assert layer.gdf.at[1, "population"] == 1234
    assert len(project.undo) == steps + 1
    col = dock.model.column_of("population")
    assert dock.proxy.index(_row_of(dock, 1), col).data() == "1234"
    assert not dock.problem_label.isVisible()
    _type_into_cell(qtbot, dock, 1, "name", "  Jinzhou Road 179 ")
    assert layer.gdf.at[1, "name"] == "Jinzhou Road 179"
    assert len(project.undo) == steps + 2
    project.undo.undo()
    project.undo.undo()
    assert layer.gdf.at[1, "population"] == before
    assert dock.proxy.index(_row_of(dock, 1), col).data() == str(before)  # the view follows undo
    project.undo.redo()
    assert dock.proxy.index(_row_of(dock, 1), col).data() == "1234"


def test_choice_cells_edit_with_a_list_of_allowed_values(dock, qtbot):
    layer = dock.project.layer("communities")
    index = dock.proxy.index(_row_of(dock, 1), dock.model.column_of("property_type"))
    dock.table.edit(index)
    combo = dock.table.indexWidget(index)
    assert isinstance(combo, QComboBox)
    keys = [combo.itemData(i) for i in range(combo.count())]
    assert keys == [None, "commercial", "work_unit", "resettlement", "affordable", "mixed", "other"]
    combo.setCurrentIndex(keys.index("resettlement"))
    combo.activated.emit(combo.currentIndex())  # what choosing an entry with the mouse sends
    assert layer.gdf.at[1, "property_type"] == "resettlement"
    assert index.data() == "resettlement housing"
    index = dock.proxy.index(_row_of(dock, 1), dock.model.column_of("shantytown"))
    assert index.data() == "yes"
    dock.table.edit(index)
    combo = dock.table.indexWidget(index)
    assert [combo.itemData(i) for i in range(combo.count())] == [None, True, False]
    combo.setCurrentIndex(2)
    combo.activated.emit(2)
    assert not layer.gdf.at[1, "shantytown"] and index.data() == "no"


@pytest.mark.parametrize("field, text, words", [
    ("population", "-5", "below the minimum"),
    ("population", "abc", "is not a valid int"),
    ("year_built", "2500", "above the maximum"),
    ("willingness", "1.5", "above the maximum"),
    ("name", " ", "required value is empty"),
])
def test_bad_values_are_refused_inline(dock, qtbot, field, text, words):
    project, layer = dock.project, dock.project.layer("communities")
    before, steps = layer.gdf.at[1, field], len(project.undo)
    problems = []
    dock.model.problem.connect(problems.append)
    _type_into_cell(qtbot, dock, 1, field, text)
    assert layer.gdf.at[1, field] == before and len(project.undo) == steps
    assert problems and words in problems[-1] and "feature 1" in problems[-1]
    assert dock.problem_label.isVisible() and words in dock.problem_label.text()
    assert "c0392b" in dock.problem_label.styleSheet()
    _type_into_cell(qtbot, dock, 1, "population", "777")  # a good edit clears the problem
    assert not dock.problem_label.isVisible()


def test_refusal_speaks_chinese(qtbot, zh):
    project = build_sample_project("small", 0)
    dock = AttributeTableDock()
    qtbot.addWidget(dock)
    dock.set_project(project)
    dock.show()
    assert dock.model.headerData(dock.model.column_of("population"), Qt.Horizontal) == "人口 (人)"
    _type_into_cell(qtbot, dock, 1, "population", "-5")
    assert "小于最小值" in dock.problem_label.text() and "位置" in dock.problem_label.text()
    assert "显示 60 / 共 60 行" in dock.status_label.text()


def test_sorting_is_numeric_and_keeps_the_selection(dock, qtbot):
    project, layer = dock.project, dock.project.layer("communities")
    col = dock.model.column_of("population")
    project.selection.select(layer.id, [2, 5])
    header = dock.table.horizontalHeader()
    x = header.sectionViewportPosition(col) + header.sectionSize(col) // 2
    qtbot.mouseClick(header.viewport(), Qt.LeftButton, pos=QPoint(x, header.height() // 2))
    values = _shown(dock, "population")
    numbers = [v for v in values if v is not None]
    assert numbers == sorted(numbers) and len(numbers) > 50
    assert sorted(numbers, key=str) != numbers  # text order would differ: the test can fail
    assert values[: values.count(None)] == [None] * values.count(None)  # empty first
    dock.table.sortByColumn(col, Qt.DescendingOrder)
    numbers = [v for v in _shown(dock, "population") if v is not None]
    assert numbers == sorted(numbers, reverse=True)
    assert sorted(dock.selected_fids()) == [2, 5]
    assert project.selection.fids(layer.id) == {2, 5}
    dock.table.sortByColumn(-1, Qt.AscendingOrder)
    assert _shown_fids(dock) == list(layer.gdf.index)
    dock.table.sortByColumn(col, Qt.AscendingOrder)
    dock.set_layer(dock.project.layer("streets"))  # another layer starts in its own order
    assert dock.table.horizontalHeader().sortIndicatorSection() == -1
    assert _shown_fids(dock) == list(dock.project.layer("streets").gdf.index)


def test_filter_matches_pandas(dock, qtbot):
    gdf = dock.project.layer("communities").gdf
    _filter(qtbot, dock, "population>500")
    assert _shown_fids(dock) == list(gdf.index[gdf["population"] > 500])
    assert 0 < dock.proxy.rowCount() < len(gdf)
    assert f"{dock.proxy.rowCount()} of 60 rows" in dock.status_label.text()
    _filter(qtbot, dock, "人口 ＞ 500")  # the Chinese label and a full-width sign
    assert _shown_fids(dock) == list(gdf.index[gdf["population"] > 500])
    _filter(qtbot, dock, "property_type=work_unit & year_built<=1990")
    expected = gdf.index[(gdf["property_type"] == "work_unit") & (gdf["year_built"] <= 1990)]
    assert _shown_fids(dock) == list(expected) and len(expected) > 0
    _filter(qtbot, dock, "产权类型=work-unit housing")  # a choice by its label
    assert _shown_fids(dock) == list(gdf.index[gdf["property_type"] == "work_unit"])
    _filter(qtbot, dock, "shantytown=yes")
    assert _shown_fids(dock) == list(gdf.index[gdf["shantytown"].fillna(False)])
    _filter(qtbot, dock, "pop_0_3=")
    assert _shown_fids(dock) == list(gdf.index[gdf["pop_0_3"].isna()])
    text = gdf.drop(columns="geometry").astype(str)
    word = gdf.at[3, "name"][:2]
    _filter(qtbot, dock, word)
    expected = gdf.index[text.apply(lambda c: c.str.contains(word, regex=False)).any(axis=1)]
    assert _shown_fids(dock) == list(expected) and 0 < len(expected) < len(gdf)
    assert not dock.problem_label.isVisible()
    _filter(qtbot, dock, "population>many")
    assert dock.proxy.rowCount() == len(gdf)  # an unreadable condition is left out …
    assert "is not a number" in dock.problem_label.text()  # … and said so
    dock.filter_edit.clear()
    dock.apply_filter()
    assert dock.proxy.rowCount() == len(gdf) and not dock.problem_label.isVisible()
    assert "field=value" in dock.filter_edit.toolTip()


def test_filter_typing_applies_after_a_pause(dock, qtbot):
    qtbot.keyClicks(dock.filter_edit, "lifts>2")
    gdf = dock.project.layer("communities").gdf
    qtbot.waitUntil(lambda: dock.proxy.rowCount() == int((gdf["lifts"] > 2).sum()), timeout=2000)


def test_proxy_rows_map_like_qt(dock, qtbot):
    dock.table.sortByColumn(dock.model.column_of("households"), Qt.DescendingOrder)
    _filter(qtbot, dock, "floors_max>=5")
    rows = dock.proxy.source_rows()
    assert len(rows) == dock.proxy.rowCount() > 0
    for r in range(dock.proxy.rowCount()):
        assert dock.proxy.mapToSource(dock.proxy.index(r, 0)).row() == rows[r]
    # an edit takes a row out of the filter, undo brings it back in its place
    fid = dock.proxy.index(2, 0).data(FID)
    project, layer = dock.project, dock.project.layer("communities")
    project.apply(ChangeAttributes(layer.id, {fid: {"floors_max": 2}}))
    assert fid not in _shown_fids(dock)
    project.undo.undo()
    assert dock.proxy.index(2, 0).data(FID) == fid
    rows = dock.proxy.source_rows()
    assert [dock.proxy.mapToSource(dock.proxy.index(r, 0)).row() for r in range(len(rows))] == list(rows)


def test_selection_follows_the_view_and_the_project(dock, qtbot):
    project, layer = dock.project, dock.project.layer("communities")
    events = []
    project.selection.events.connect(events.append)
    dock.resize(900, 260)
    viewport = dock.table.viewport()
    qtbot.mouseClick(viewport, Qt.LeftButton, pos=dock.table.visualRect(dock.proxy.index(1, 1)).center())
    qtbot.mouseClick(viewport, Qt.LeftButton, Qt.ControlModifier,
                     pos=dock.table.visualRect(dock.proxy.index(3, 1)).center())
    fids = {dock.proxy.index(r, 0).data(FID) for r in (1, 3)}
    assert project.selection.fids(layer.id) == fids
    assert len(events) == 2  # one per click, no echo
    assert "2 selected" in dock.status_label.text()
    far = int(layer.gdf.index[-1])
    events.clear()
    project.selection.select(layer.id, [far, 4])  # as the canvas would
    assert len(events) == 1
    assert sorted(dock.selected_fids()) == sorted([far, 4])
    assert project.selection.fids(layer.id) == {far, 4}  # the view did not write back
    first = dock.proxy.index(_row_of(dock, 4), 0)
    assert dock.table.currentIndex().row() == first.row()
    last_rect = dock.table.visualRect(dock.proxy.index(_row_of(dock, far), 0))
    assert not dock.table.viewport().rect().intersects(last_rect)  # scrolled to the first one
    # a filter hides rows without touching the project's selection
    _filter(qtbot, dock, f"population={layer.gdf.at[4, 'population']}")
    assert project.selection.fids(layer.id) == {far, 4}
    assert 4 in dock.selected_fids() and far not in dock.selected_fids()
    dock.filter_edit.clear()
    dock.apply_filter()
    assert sorted(dock.selected_fids()) == sorted([far, 4])
    # another layer's selection leaves this table alone
    project.selection.select(project.layer("streets").id, [1])
    assert sorted(dock.selected_fids()) == sorted([far, 4])


def _painted_selected(dock, row: int) -> bool:
    """Whether the view paints ``row`` as selected (what the delegate is given)."""
    from PyQt5.QtWidgets import QStyle, QStyleOptionViewItem

    option = QStyleOptionViewItem()
    dock.table.itemDelegate().initStyleOption(option, dock.proxy.index(row, 1))
    return bool(option.state & QStyle.State_Selected)


def test_gestures_select_as_in_a_desktop_table_and_rows_paint_the_project_selection(dock, qtbot):
    """Selection lives in the project (issue 19: Qt's range selection froze the window for
    10,000 scattered features): a map selection paints its rows; shift-click selects a
    span, ctrl-click toggles a row the map selected, Ctrl+A selects the shown rows."""
    project, layer = dock.project, dock.project.layer("communities")
    dock.resize(900, 400)
    viewport = dock.table.viewport()

    def click(row, modifiers=Qt.NoModifier):
        qtbot.mouseClick(viewport, Qt.LeftButton, modifiers,
                         pos=dock.table.visualRect(dock.proxy.index(row, 1)).center())

    project.selection.select(layer.id, [dock.proxy.index(r, 0).data(FID) for r in (0, 2)])
    assert [_painted_selected(dock, r) for r in range(4)] == [True, False, True, False]
    assert not dock.table.selectionModel().hasSelection()  # Qt's model is not involved
    click(2, Qt.ControlModifier)  # the map selected it: ctrl-click takes it out
    assert project.selection.fids(layer.id) == {dock.proxy.index(0, 0).data(FID)}
    assert [_painted_selected(dock, r) for r in range(3)] == [True, False, False]
    click(1)
    click(4, Qt.ShiftModifier)
    assert project.selection.fids(layer.id) == {dock.proxy.index(r, 0).data(FID) for r in range(1, 5)}
    assert dock.selected_fids() == [dock.proxy.index(r, 0).data(FID) for r in range(1, 5)]
    _filter(qtbot, dock, "population>1000")
    dock.table.setFocus()
    qtbot.keyClick(dock.table, Qt.Key_A, Qt.ControlModifier)
    shown = {dock.proxy.index(r, 0).data(FID) for r in range(dock.proxy.rowCount())}
    assert project.selection.fids(layer.id) == shown and 0 < len(shown) < 60
    assert all(_painted_selected(dock, r) for r in range(dock.proxy.rowCount()))


def test_selected_only_and_deletes(dock, qtbot):
    project, layer = dock.project, dock.project.layer("communities")
    project.selection.select(layer.id, [3, 8, 9])
    dock.selected_only.click()
    assert _shown_fids(dock) == [3, 8, 9]
    project.selection.select(layer.id, [10])
    assert _shown_fids(dock) == [10]
    dock.selected_only.click()
    assert dock.proxy.rowCount() == 60
    project.selection.select(layer.id, [8, 9])
    project.apply(DeleteFeatures(layer.id, [9]))
    assert dock.model.rowCount() == 59 and 9 not in _shown_fids(dock)
    assert dock.selected_fids() == [8] and project.selection.fids(layer.id) == {8}
    project.undo.undo()
    assert dock.model.rowCount() == 60 and 9 in _shown_fids(dock)
    assert dock.selected_fids() == [8]


def test_undo_elsewhere_refreshes_the_cells(dock):
    project, layer = dock.project, dock.project.layer("communities")
    project.apply(ChangeAttributes(layer.id, {2: {"lifts": 42}}))
    index = dock.proxy.index(_row_of(dock, 2), dock.model.column_of("lifts"))
    assert index.data() == "42"
    project.undo.undo()
    assert index.data() == str(layer.gdf.at[2, "lifts"])


def test_row_header_double_click_asks_to_zoom(dock, qtbot):
    layer = dock.project.layer("communities")
    header = dock.table.verticalHeader()
    y = header.sectionViewportPosition(2) + header.sectionSize(2) // 2
    with qtbot.waitSignal(dock.zoomToFeatures, timeout=1000) as signal:
        qtbot.mouseDClick(header.viewport(), Qt.LeftButton, pos=QPoint(header.width() // 2, y))
    assert signal.args == [layer.id, [int(dock.proxy.index(2, 0).data(FID))]]


def test_layer_choice_follows_the_project(dock):
    project = dock.project
    streets = project.layer("streets")
    dock.set_layer(streets)
    assert dock.model.layer is streets and dock.layer_combo.currentText() == "Streets"
    count = dock.layer_combo.count()
    project.add_layer(VectorLayer("more", "communities", tiny_communities()))
    assert dock.layer_combo.count() == count + 1 and dock.model.layer is streets
    streets.name = "roads"
    assert dock.layer_combo.currentText() == "roads"
    project.remove_layer("roads")
    assert dock.model.layer is not streets and dock.layer_combo.findText("roads") < 0
    dock.set_project(None)
    assert dock.model.layer is None and dock.layer_combo.count() == 0
    assert dock.status_label.text() == "No vector layer or table"


def _big_layer(n: int) -> VectorLayer:
    rng = np.random.default_rng(1)
    xs = X0 + (np.arange(n) % 400) * 60.0
    ys = Y0 + (np.arange(n) // 400) * 60.0
    pop = rng.integers(0, 5000, n).astype("float")
    pop[rng.random(n) < 0.05] = np.nan
    gdf = gpd.GeoDataFrame({
        "name": [f"小区{i}" for i in range(n)],
        "district": rng.choice(["西陵区", "伍家岗区", "点军区"], n),
        "year_built": rng.integers(1960, 2020, n),
        "property_type": rng.choice(["commercial", "work_unit", "resettlement"], n),
        "population": pd.array(pop, dtype="Int64"),
        "willingness": rng.random(n),
        "shantytown": rng.random(n) < 0.2,
    }, geometry=shapely.box(xs, ys, xs + 50, ys + 50), crs="EPSG:4546")
    return VectorLayer("big", "communities", gdf)


def test_a_100k_row_layer_stays_quick(qtbot, capsys):
    n = 100_000
    project = Project()
    layer = project.add_layer(_big_layer(n))
    dock = AttributeTableDock()
    qtbot.addWidget(dock)
    timings = {}
    t = time.perf_counter()
    dock.set_project(project)
    dock.resize(1100, 600)
    dock.show()
    timings["open (model, columns, first paint)"] = time.perf_counter() - t
    model = dock.model
    assert model.rowCount() == n and dock.proxy.rowCount() == n
    rng = np.random.default_rng(0)
    rows, cols = rng.integers(0, n, 5000), rng.integers(0, model.columnCount(), 5000)
    cells = [(int(r), int(c)) for r, c in zip(rows, cols)]
    t = time.perf_counter()
    texts = [model.data(model.index(r, c)) for r, c in cells]
    timings["data() x5000 (random cells)"] = time.perf_counter() - t
    assert texts[0] == model.data(model.index(*cells[0]))
    col = model.column_of("population")
    t = time.perf_counter()
    dock.table.sortByColumn(col, Qt.DescendingOrder)
    timings["sort by population"] = time.perf_counter() - t
    top = [dock.proxy.index(r, col).data(RAW) for r in range(5)]
    assert top == sorted(layer.gdf["population"].dropna(), reverse=True)[:5]
    t = time.perf_counter()
    dock.filter_edit.setText("population>2500 & property_type=work_unit")
    dock.apply_filter()
    timings["filter (2 conditions)"] = time.perf_counter() - t
    gdf = layer.gdf
    assert dock.proxy.rowCount() == int(((gdf["population"] > 2500) & (gdf["property_type"] == "work_unit")).sum())
    t = time.perf_counter()
    dock.filter_edit.setText("小区99")
    dock.apply_filter()
    timings["filter (text in any column)"] = time.perf_counter() - t
    assert dock.proxy.rowCount() == int(gdf["name"].str.contains("小区99", regex=False).sum())
    dock.filter_edit.clear()
    dock.apply_filter()
    chosen = rng.choice(gdf.index.to_numpy(), 10_000, replace=False)
    t = time.perf_counter()
    project.selection.select(layer.id, chosen)
    timings["select 10,000 from the project"] = time.perf_counter() - t
    assert len(dock.selected_fids()) == 10_000
    t = time.perf_counter()
    assert model.set_value(int(chosen[0]), "population", 12)
    timings["one edit (command + refresh)"] = time.perf_counter() - t
    with capsys.disabled():
        print(f"\nattribute table, {n:,} rows:")
        for what, seconds in timings.items():
            print(f"  {what:<38} {seconds * 1000:8.1f} ms")
    dock.detach()


def test_search_texts_of_numbers_read_as_the_cells_do():
    """The vectorised number texts a search looks in equal the cells' own text."""
    import numpy as np

    from app.field_values import number_text
    from app.panels.attributes.filter import float_texts

    rng = np.random.default_rng(7)
    values = np.concatenate([rng.normal(0, 1000, 5000), np.round(rng.normal(0, 50, 500)),
                             rng.uniform(-1e-4, 1e-4, 200), [0.0, -0.0, 1e20, -3e16, np.inf,
                                                             -np.inf, 2.5, 1234.5678]])
    assert list(float_texts(values)) == [number_text(float(v)) for v in values]
