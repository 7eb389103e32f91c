"""The precinct panel: assign three selected communities, statistics update, undo empties."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

pytest.importorskip("pytestqt", reason="pytest-qt is needed for the panel tests")


from app.panels.precincts import PrecinctPanel  # noqa: E402
from conftest import finish_job  # noqa: E402
from layers.demo import build_sample_project  # noqa: E402
from layers.precincts import communities_layer, community_adjacency  # noqa: E402


def _three_adjacent(project) -> list[int]:
    comm = communities_layer(project).gdf
    adj = community_adjacency(comm, 40)
    for fid in adj.fids:
        nb = adj.neighbours(int(fid))
        if len(nb) >= 2:
            return [int(fid), *nb[:2]]
    raise AssertionError("the sample has no community with two neighbours")


def test_assign_three_communities_then_undo_empties(qtbot):
    project = build_sample_project("small")
    panel = PrecinctPanel()
    qtbot.addWidget(panel)
    panel.set_project(project)
    assert panel.table.rowCount() == 0
    fids = _three_adjacent(project)
    panel.select_fids(fids)
    assert sorted(panel.selected_fids()) == sorted(fids)
    panel.name.setEditText("滨江片区")
    panel.assign_button.click()
    row = panel.row_of("滨江片区")
    comm = communities_layer(project).gdf
    assert row is not None and row["communities"] == 3
    assert row["population"] == comm.loc[fids, "population"].sum()
    assert row["contiguous"] and "below_minimum" in row["warnings"]
    assert panel.table.rowCount() == 1
    assert panel.table.item(0, 0).text() == "滨江片区"
    assert panel.table.item(0, 1).text() == "3"
    labels = [panel.communities.item(i).text() for i in range(panel.communities.count())]
    assert sum(label.endswith("滨江片区") for label in labels) == 3
    panel.undo_button.click()
    assert panel.row_of("滨江片区") is None
    assert panel.table.rowCount() == 0
    assert communities_layer(project).gdf["precinct"].isna().all()


def test_auto_grouping_from_the_panel(qtbot):
    project = build_sample_project("small")
    panel = PrecinctPanel()
    qtbot.addWidget(panel)
    panel.set_project(project)
    panel.floor.setValue(2500)
    panel.ceiling.setValue(0)
    panel.within.setChecked(True)
    panel.seed.setValue(4)
    assert finish_job(qtbot, panel, panel.run_auto())
    assert panel.table.rowCount() > 0
    assert all(pop >= 2500 for pop in panel.stats["population"])
    assert all(panel.stats["contiguous"])
    # the chart: the smallest precincts' residents, the floor as a line left of every bar end
    chart = panel.population_chart
    smallest = sorted(panel.stats["population"])[:12]
    assert [sum(v.values()) for _, v in chart.rows] == smallest
    assert [m[0] for m in chart.marks] == [2500.0]
    chart.resize(600, chart.height())
    floor_x = chart.mark_x(2500)
    assert all(segs[0][1].right() >= floor_x - 0.5 for segs in chart.bars())
    panel.undo()
    assert panel.table.rowCount() == 0 and not panel.population_chart.rows


def test_assign_without_a_name_says_so(qtbot, monkeypatch):
    from PyQt5.QtWidgets import QMessageBox

    shown = []
    monkeypatch.setattr(QMessageBox, "critical",
                        staticmethod(lambda parent, title, text, *a: shown.append(text)))
    project = build_sample_project("small")
    panel = PrecinctPanel()
    qtbot.addWidget(panel)
    panel.set_project(project)
    panel.select_fids([1])
    panel.name.setEditText("")
    assert not panel.assign_selected()
    assert shown and "name" in shown[0]


def test_brush_paints_three_communities_into_a_precinct_and_undo_empties_it(qtbot):
    """On the real main window: the panel's brush paints three communities on the canvas
    (one stroke each, Shift adds), the live selection line and, after Assign, the
    statistics table update; undo empties the precinct again."""
    import shapely
    from PyQt5.QtCore import QPoint, Qt
    from shapely.ops import polylabel

    from app.window.main import MainWindow

    project = build_sample_project("small")
    window = MainWindow(project)
    qtbot.addWidget(window, before_close_func=lambda w: w.project.undo.set_clean())
    window.resize(1400, 900)
    window.show()
    qtbot.waitExposed(window)
    panel = window.open_panel("precincts")
    canvas = window.canvas
    layer = communities_layer(project)
    fids = _three_adjacent(project)
    geoms = layer.gdf.geometry.loc[fids]
    canvas.zoom_to_bounds(shapely.total_bounds(geoms.to_numpy()), margin=0.1)
    panel.brush_button.click()
    assert canvas.tool is panel.brush
    assert window.tools.group.checkedAction() is None  # the toolbar shows no other tool active
    panel.brush.radius_px = 3.0

    def px(point) -> QPoint:
        p = canvas.world_to_pixel(point.x, point.y)
        return QPoint(round(p.x()), round(p.y()))

    for i, fid in enumerate(fids):
        inside = polylabel(geoms.loc[fid], 0.5)  # the point deepest inside
        modifier = Qt.NoModifier if i == 0 else Qt.ShiftModifier
        qtbot.mousePress(canvas, Qt.LeftButton, modifier, px(inside))
        qtbot.mouseMove(canvas, px(inside) + QPoint(2, 1))
        qtbot.mouseRelease(canvas, Qt.LeftButton, modifier, px(inside) + QPoint(2, 1))
        assert project.selection.fids(layer.id) == set(fids[: i + 1])
    assert sorted(panel.selected_fids()) == sorted(fids)
    assert panel.selection_label.text().startswith("Selected: 3 communities")
    assert f"{int(layer.gdf.loc[fids, 'population'].sum()):,}" in panel.selection_label.text()
    panel.name.setEditText("画笔片区")
    panel.assign_button.click()
    row = panel.row_of("画笔片区")
    assert row is not None and row["communities"] == 3
    assert row["population"] == layer.gdf.loc[fids, "population"].sum()
    assert panel.table.item(0, 0).text() == "画笔片区"
    window.undo_actions.undo_action.trigger()
    assert panel.row_of("画笔片区") is None
    assert panel.table.rowCount() == 0
    assert layer.gdf["precinct"].isna().all()
    # the adjacency graph can be drawn over the map
    panel.show_adjacency.setChecked(True)
    assert "adjacency" in canvas.overlays
    panel.show_adjacency.setChecked(False)
    assert "adjacency" not in canvas.overlays
    panel.brush_button.click()  # brush off: back to the tool used before
    assert canvas.tool is window.tools.tools["pan"] and window.tools.actions["pan"].isChecked()
    # closing the panel puts the brush away: no brush circle stays on the map
    canvas.set_tool(panel.brush)
    qtbot.mouseMove(canvas, px(polylabel(geoms.loc[fids[0]], 0.5)))
    assert panel.brush._cursor is not None
    panel.close()
    assert canvas.tool is not panel.brush and panel.brush._cursor is None
    project.undo.set_clean()


def test_auto_grouping_lists_who_is_left_unassigned_and_why(qtbot):
    """Issue 18 / 17: at the defaults (a 300 m walk, floor 5,000) almost every community of
    the sample is placed; by the strict touch rule most are not, and the panel lists each
    with its reason, in zh; a click selects it; placing one by hand takes it off the list;
    undoing the grouping clears the list."""
    from layers import i18n

    old = i18n.current_language()
    try:
        i18n.set_language("zh")
        project = build_sample_project("small")
        panel = PrecinctPanel()
        qtbot.addWidget(panel)
        panel.set_project(project)
        assert panel.floor.value() == 5000 and panel.auto.rule_key() == "walk"
        assert panel.auto.walk.value() == 300 and panel.adjacency.rule == "walk"
        assert finish_job(qtbot, panel, panel.run_auto())
        result = panel.auto.result
        assert result is not None and result.n_regions == len(panel.stats) >= 6
        assert len(result.unassigned()) <= 3
        assert panel.unassigned.count() == len(result.unassigned())
        assert f"{result.n_regions} 个片区" in panel.status.text()
        assert all(panel.stats["contiguous"]) and all(panel.stats["population"] >= 5000)
        panel.undo()
        assert panel.auto.result is None and panel.unassigned.count() == 0
        assert panel.status.text() == ""
        # the strict rule: most communities are left out, each with its reason
        panel.auto.rule.setCurrentIndex(panel.auto.rule.findData("touch"))
        assert panel.adjacency.rule == "touch" and not panel.auto.walk.isEnabled()
        assert finish_job(qtbot, panel, panel.run_auto())
        result = panel.auto.result
        left = len(result.unassigned())
        assert left > 30 and panel.unassigned.count() == left
        assert panel.unassigned.isVisibleTo(panel)
        comm = communities_layer(project).gdf
        texts = [panel.unassigned.item(i).text() for i in range(left)]
        for text, fid in zip(texts, result.reasons.index, strict=True):
            assert text == f"{comm.at[fid, 'name']} — {result.why(fid)('zh')}"
        assert any("低于下限 5000" in t for t in texts)
        assert "未划分原因" in panel.status.text() and f"{left} 个未划分" in panel.status.text()
        # a click selects that community on the map
        first = panel.unassigned.item(0)
        fid = int(first.data(0x0100))  # Qt.UserRole
        first.setSelected(True)
        layer = communities_layer(project)
        assert project.selection.fids(layer.id) == {fid}
        # placed by hand: it leaves the list
        panel.name.setEditText("手工片区")
        panel.assign_button.click()
        assert panel.unassigned.count() == left - 1
        assert f"{left - 1} 个未划分" in panel.status.text()
        panel.undo()  # the manual step
        panel.undo()  # the grouping
        assert panel.unassigned.count() == 0 and panel.auto.result is None
    finally:
        i18n.set_language(old)


def test_a_rule_the_panel_does_not_know_is_said_in_the_panel(qtbot):
    project = build_sample_project("small")
    project.set_standards_overrides({"parameters": {"precinct_adjacency_rule": {"value": "walking"}}})
    panel = PrecinctPanel()
    qtbot.addWidget(panel)
    panel.set_project(project)
    assert panel.auto.rule_key() == "walk" and panel.adjacency.rule == "walk"
    assert "walking" in panel.status.text() and "walk or touch" in panel.status.text()


def test_a_large_project_works_out_its_walking_neighbours_off_the_gui_thread(qtbot, monkeypatch):
    """Issue 17/19: the first refresh on the city froze the window ~5 s. From
    BACKGROUND_FROM communities the walk is a job; the panel says so, then fills in with
    the same neighbours the synchronous call finds; an edit of attributes reuses them."""
    import app.panels.precinct_neighbours as neighbours
    from layers.precincts import project_adjacency

    monkeypatch.setattr(neighbours, "BACKGROUND_FROM", 10)  # the small sample's 60 count as large
    project = build_sample_project("small", 0)
    panel = PrecinctPanel()
    qtbot.addWidget(panel)
    panel.set_project(project)
    assert panel.adjacency is None and panel.neighbours.working
    assert panel.status.text() == neighbours.WORKING.format(n=len(communities_layer(project).gdf))()
    assert not panel.auto_button.isEnabled() and not panel.run_auto()
    qtbot.waitUntil(lambda: panel.adjacency is not None, timeout=60_000)
    expected = project_adjacency(project, "walk", 300.0)
    assert sorted(map(tuple, panel.adjacency.fids[panel.adjacency.edges].tolist())) == \
        sorted(map(tuple, expected.fids[expected.edges].tolist()))
    assert panel.table.rowCount() == len(panel.stats) and panel.auto_button.isEnabled()
    started = []
    monkeypatch.setattr(panel.neighbours, "_start", lambda *a: started.append(a))
    fids = _three_adjacent(project)
    panel.table.clearSelection()
    from layers.precincts import assign

    assign(project, fids, "片区甲")  # an attribute edit: the shapes did not change
    assert panel.adjacency is not None and not started
    assert "片区甲" in [panel.table.item(r, 0).text() for r in range(panel.table.rowCount())]
