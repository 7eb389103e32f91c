"""The conflict panel on the small sample city: run, sort, filter, zoom, undoable status."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import openpyxl  # noqa: E402
import pytest  # noqa: E402
import shapely  # noqa: E402
from PyQt5.QtCore import Qt  # noqa: E402
from PyQt5.QtWidgets import QFileDialog, QMessageBox  # noqa: E402

from app.panels.conflicts import COLUMNS, FID, RAW, ConflictPanel  # noqa: E402
from app.window.main import MainWindow  # noqa: E402
from conftest import finish_job  # noqa: E402
from layers import i18n  # noqa: E402
from layers.demo import build_sample_project  # noqa: E402


@pytest.fixture(scope="module")
def sample():
    return build_sample_project("small", 0)


@pytest.fixture
def window(qtbot, sample):
    project = build_sample_project("small", 0)
    win = MainWindow(project)  # closed below, not by qtbot (it would close before we clean up)
    win.resize(1200, 800)
    win.show()
    qtbot.waitExposed(win)
    panel = win.open_conflict_panel()
    yield win, panel
    win.project.undo.set_clean()  # nothing to ask about on close
    win.close()
    win.deleteLater()


def _column_values(panel: ConflictPanel, name: str) -> list:
    col = COLUMNS.index(name)
    return [panel.proxy.index(r, col).data(RAW) for r in range(panel.proxy.rowCount())]


def test_menu_opens_the_panel_and_run_fills_the_table(window, qtbot):
    win, panel = window
    titles = [a.text().replace("&", "") for a in win.menuBar().actions()]
    assert any(t.startswith(("Analysis", "分析")) for t in titles)
    assert win.findChild(ConflictPanel, "conflict_panel") is panel
    assert panel.model.rowCount() == 0
    assert finish_job(qtbot, panel, panel.run())
    layer = win.project.layer("conflicts")
    assert panel.model.rowCount() == len(layer) > 10
    assert panel.proxy.rowCount() == len(layer)
    assert str(len(layer)) in panel.count_label.text()
    header = panel.model.headerData(0, Qt.Horizontal)
    assert header in ("Category", "类别")  # the category leads (issue 18)
    header = panel.model.headerData(COLUMNS.index("conflict_type"), Qt.Horizontal)
    assert header in ("Type", "冲突类型")


def test_sorting_and_filtering(window, qtbot):
    win, panel = window
    finish_job(qtbot, panel, panel.run())
    col = COLUMNS.index("length_m")
    panel.table.sortByColumn(col, Qt.DescendingOrder)
    values = [v for v in _column_values(panel, "length_m") if v is not None]
    assert values == sorted(values, reverse=True) and len(values) > 5
    panel.table.sortByColumn(col, Qt.AscendingOrder)
    values = [v for v in _column_values(panel, "length_m") if v is not None]
    assert values == sorted(values)

    total = panel.proxy.rowCount()
    # the sample's pairs all have a clearance rule: crossings, not parallel runs, to filter on
    panel.type_combo.setCurrentIndex(panel.type_combo.findData("crossing"))
    shown = panel.proxy.rowCount()
    assert 0 < shown < total
    assert set(_column_values(panel, "conflict_type")) == {"crossing"}
    expected = (win.project.layer("conflicts").gdf["conflict_type"] == "crossing").sum()
    assert shown == expected
    panel.type_combo.setCurrentIndex(0)
    panel.search.setText("drainage_storm")
    assert 0 < panel.proxy.rowCount() < total
    found = panel.proxy.rowCount()
    panel.search.setText("storm water")  # the class's label, as the table shows it (issue 17)
    assert panel.proxy.rowCount() == found
    panel.search.clear()
    assert panel.proxy.rowCount() == total


def test_click_zooms_canvas_to_the_conflict(window, qtbot):
    win, panel = window
    finish_job(qtbot, panel, panel.run())
    panel.category_combo.setCurrentIndex(panel.category_combo.findData("violation"))
    index = panel.proxy.index(0, 0)
    rect = panel.table.visualRect(index)
    qtbot.mouseClick(panel.table.viewport(), Qt.LeftButton, pos=rect.center())
    fid = index.data(FID)
    geom = win.project.layer("conflicts").gdf.geometry.loc[fid]
    x0, y0, x1, y1 = win.canvas.visible_extent()
    assert shapely.box(x0, y0, x1, y1).contains(geom)
    assert (x1 - x0) < 500  # zoomed in, not the whole city
    centre = win.canvas.centre
    assert geom.centroid.distance(shapely.Point(centre)) < 1.0


def test_status_change_is_undoable(window, qtbot):
    win, panel = window
    finish_job(qtbot, panel, panel.run())
    layer = win.project.layer("conflicts")
    panel.table.selectRow(0)
    panel.table.selectRow(0)
    fid = panel.selected_fids()[0]
    assert layer.gdf.at[fid, "status"] == "open"
    assert panel.set_status("accepted")
    assert layer.gdf.at[fid, "status"] == "accepted"
    status_col = COLUMNS.index("status")
    assert panel.proxy.index(0, status_col).data(RAW) == "accepted"
    win.project.undo.undo()
    assert layer.gdf.at[fid, "status"] == "open"
    win.project.undo.redo()
    assert layer.gdf.at[fid, "status"] == "accepted"
    # through the table's editor (the combo box delegate) as a person would
    index = panel.proxy.index(0, status_col)
    assert panel.proxy.setData(index, "resolved", Qt.EditRole)
    assert layer.gdf.at[fid, "status"] == "resolved"
    # the context menu's actions do the same
    menu = panel.build_context_menu(index)
    action = [a for a in menu.findChildren(type(menu.actions()[0])) if a.objectName() == "status_open"][0]
    action.trigger()
    assert layer.gdf.at[fid, "status"] == "open"
    win.project.undo.undo()
    assert layer.gdf.at[fid, "status"] == "resolved"
    # a re-run keeps the decision
    finish_job(qtbot, panel, panel.run())
    assert layer.gdf.set_index("conflict_id").loc[
        panel.model.layer.gdf.loc[panel.model.layer.gdf["status"] == "resolved", "conflict_id"].iloc[0],
        "status"] == "resolved"
    # filtering by status
    panel.status_combo.setCurrentIndex(panel.status_combo.findData("resolved"))
    assert panel.proxy.rowCount() == 1


def test_export_writes_the_filtered_rows(window, qtbot, tmp_path, monkeypatch):
    win, panel = window
    finish_job(qtbot, panel, panel.run())
    panel.type_combo.setCurrentIndex(panel.type_combo.findData("clearance"))
    target = tmp_path / "冲突清单"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(target), "Excel (*.xlsx)")))
    assert panel.export_dialog()
    sheet = openpyxl.load_workbook(target.with_suffix(".xlsx")).active
    assert sheet.max_row == panel.proxy.rowCount() + 1


def test_run_error_is_shown(qtbot, monkeypatch):
    from layers.project import Project

    panel = ConflictPanel()
    qtbot.addWidget(panel)
    panel.set_project(Project())  # no pipelines layer
    shown = []
    monkeypatch.setattr(QMessageBox, "critical",
                        staticmethod(lambda parent, title, text: shown.append(text)))
    finish_job(qtbot, panel, panel.run())
    assert shown and "pipelines" in shown[0]


def test_labels_follow_the_language(qtbot, sample):
    old = i18n.current_language()
    try:
        i18n.set_language("zh")
        panel = ConflictPanel()
        qtbot.addWidget(panel)
        panel.set_project(sample)
        assert panel.model.headerData(0, Qt.Horizontal) == "类别"
        assert panel.category_combo.itemText(1) == "净距违规"
        assert panel.run_button.text() == "运行"
    finally:
        i18n.set_language(old)


def test_panel_leads_with_the_violations_of_a_hand_made_survey(qtbot, tmp_path):
    """tests/pipeline_case.py: 2 pairs breach GB 50289, 2 are NF, 1 has no rule; the
    sewer–power pair at 0.75 m (0.5 m required) is nowhere."""
    from pipeline_case import case_of, imported_project

    old = i18n.current_language()
    try:
        i18n.set_language("zh")
        project = imported_project(tmp_path)
        panel = ConflictPanel()
        qtbot.addWidget(panel)
        panel.set_project(project)
        assert not panel.summary.isVisibleTo(panel)  # nothing to summarise before a run
        assert finish_job(qtbot, panel, panel.run())
        lines = panel.summary_lines()
        assert lines[0] == "2 项净距违规"
        assert lines[2].startswith("2 处待核") and lines[-2].startswith("1 条协调提示")
        text = panel.summary.text()
        assert text.startswith("<b") and "2 项净距违规</b>" in text and "#c0392b" in text
        assert panel.summary.isVisibleTo(panel)
        categories = _column_values(panel, "category")
        assert categories == ["violation"] * 2 + ["unchecked"] * 2 + ["notice"]
        shown = [panel.proxy.index(r, 0).data(Qt.DisplayRole) for r in range(2)]
        assert shown == ["净距违规", "净距违规"]
        fids = [(panel.model.raw(r, "fid_a"), panel.model.raw(r, "fid_b")) for r in range(5)]
        assert sorted(case_of(a, b) for a, b in fids) == [2, 3, 7, 8, 9]  # no case 1
        panel.category_combo.setCurrentIndex(panel.category_combo.findData("violation"))
        assert panel.proxy.rowCount() == 2
        panel.category_combo.setCurrentIndex(panel.category_combo.findData("unchecked"))
        assert set(_column_values(panel, "category")) == {"unchecked"}
        notes = [panel.proxy.index(r, COLUMNS.index("note")).data() for r in range(2)]
        assert all(n.startswith("净距未确认：请核对") for n in notes)
        # the chart: one bar per utility pair, split by category, as many findings as rows
        chart = panel.pairs_chart
        frame = panel.model.layer.gdf
        assert sum(sum(v.values()) for _, v in chart.rows) == len(frame)
        assert [name for _k, name, _c in chart.series] == ["净距违规", "净距未确认", "协调提示"]
        assert all("_" not in label for label, _ in chart.rows)  # pairs by their names
        chart.resize(500, chart.height())
        widths = {k: r.width() for segs in chart.bars() for k, r in segs}
        assert set(widths) == {"violation", "unchecked", "notice"} and min(widths.values()) > 0
        project.undo.set_clean()
    finally:
        i18n.set_language(old)


def test_the_search_reports_its_real_phases_and_cancels_between_them(sample):
    """Issue 17: progress says what is being done (it sat at one value before)."""
    from layers.pipelines.conflicts import PHASES, ConflictsCancelled, find_conflicts

    seen = []
    find_conflicts(sample, progress=lambda fraction, text: seen.append((fraction, text())))
    assert [text for _, text in seen] == [text() for _, text in PHASES.values()]
    assert [f for f, _ in seen] == sorted(f for f, _ in seen) and seen[-1][0] < 1.0
    asked = []

    def cancel_at_the_third_question() -> bool:
        asked.append(1)
        return len(asked) >= 3

    seen.clear()
    with pytest.raises(ConflictsCancelled):
        find_conflicts(sample, progress=lambda fraction, text: seen.append(text()),
                       cancel=cancel_at_the_third_question)
    assert len(seen) == 2  # read, clearances; then cancelled


def test_the_panel_job_passes_the_phases_on(window, qtbot, monkeypatch):
    import app.panels.conflicts as module

    real, heard = module.find_conflicts, []

    def listening(project, **kwargs):
        progress = kwargs["progress"]
        return real(project, cancel=kwargs["cancel"],
                    progress=lambda f, text: (heard.append(text()), progress(f, text)))

    monkeypatch.setattr(module, "find_conflicts", listening)
    win, panel = window
    assert finish_job(qtbot, panel, panel.run())
    assert heard == [text() for _, text in module_phases().values()]
    assert win.project.layers_of_kind("conflicts")


def module_phases():
    from layers.pipelines.conflicts import PHASES

    return PHASES
