"""The schemes panel (issue 20.3, GUI): two schemes saved from two automatic groupings with
different seeds through the real panels, compared — the moved table against the two
assignments compared independently — exported as XLSX, shown on the map under the
"scheme changes" theme (exactly the moved communities coloured), restored and undone,
deleted and undone; and the panel in Chinese shows no internal identifier."""

from __future__ import annotations

import os
import shutil

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from openpyxl import load_workbook  # noqa: E402
from PyQt5.QtGui import QColor  # noqa: E402
from PyQt5.QtWidgets import QFileDialog, QInputDialog, QMessageBox  # noqa: E402

from conftest import REPO, finish_job  # noqa: E402
from layers.store import open_project  # noqa: E402

SAMPLE = REPO / "data" / "sample" / "sample_city_small.gpkg"


@pytest.fixture
def window(tmp_path, qtbot):
    from app.window.main import MainWindow

    path = tmp_path / "p.gpkg"
    shutil.copy(SAMPLE, path)
    win = MainWindow(open_project(path))
    qtbot.addWidget(win, before_close_func=lambda w: w.project.undo.set_clean())
    win.resize(1366, 768)
    win.show()
    qtbot.waitExposed(win)
    return win


def _assignment(project) -> dict[int, str | None]:
    """The communities' precinct column as a plain dict (copied now)."""
    comm = project.layer("communities").gdf
    return {int(f): (None if pd.isna(v) else str(v)) for f, v in comm["precinct"].items()}


def _precinct_names(project) -> set[str]:
    return {str(n) for n in project.layer("precincts").gdf["name"]}


def _group(window, qtbot, seed: int) -> None:
    panel = window.open_panel("precincts")
    panel.seed.setValue(seed)
    # the button comes back when the previous run's thread has ended (after the panel's
    # result was handled): a click before that would do nothing
    qtbot.waitUntil(panel.auto_button.isEnabled, timeout=60_000)
    steps = len(window.project.undo.history())
    panel.auto_button.click()
    assert finish_job(qtbot, panel, True, timeout=120_000)
    assert len(window.project.undo.history()) == steps + 1  # the grouping is one step


def _save(panel, monkeypatch, name: str) -> None:
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: (name, True))
    panel.save_button.click()


def _table(table) -> list[list[str]]:
    return [[table.item(r, c).text() for c in range(table.columnCount())]
            for r in range(table.rowCount())]


def _compare(panel, qtbot, a: str, b: str) -> None:
    panel.compare.choose(a, b)
    panel.compare.compare_button.click()
    assert finish_job(qtbot, panel, True, timeout=120_000)
    assert panel.compare.diff is not None


def test_save_compare_show_restore_delete_through_the_panel(window, qtbot, monkeypatch, tmp_path):
    from layers.themes import active, themed_frame
    from styles.themes import SCHEME_CHANGE

    project = window.project
    panel = window.open_panel("schemes")
    assert panel.table.rowCount() == 0 and not panel.restore_button.isEnabled()

    _group(window, qtbot, 1)
    before, names_a = _assignment(project), _precinct_names(project)
    _save(panel, monkeypatch, "方案A")
    _group(window, qtbot, 2)
    after, names_b = _assignment(project), _precinct_names(project)
    _save(panel, monkeypatch, "方案B")
    rows = _table(panel.table)
    assert [r[0] for r in rows] == ["方案A", "方案B"]
    assert all(r[1][:4].isdigit() and r[1][4] == "-" for r in rows)  # ISO date in English

    # the reference: the two assignments compared as plain dicts
    expected = {f: (before[f], after[f]) for f in before if before[f] != after[f]}
    assert expected, "the two seeds should group differently on the sample"

    _compare(panel, qtbot, "方案A", "方案B")
    tables = panel.compare.tables
    moved = _table(tables["Communities moved"])
    none = "none"
    got = {int(r[0]): (None if r[2] == none else r[2], None if r[3] == none else r[3]) for r in moved}
    assert got == expected and len(moved) == len(expected)
    comm = project.layer("communities").gdf
    assert all(r[1] == str(comm.at[int(r[0]), "name"]) for r in moved)
    precincts = {r[0]: r[1] for r in _table(tables["Precincts"])}
    assert precincts == {**{n: "added" for n in names_b - names_a},
                         **{n: "removed" for n in names_a - names_b}}

    # Export XLSX: the CLI's writer, one sheet per part
    out = tmp_path / "compare.xlsx"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    panel.compare.export_button.click()
    book = load_workbook(out, read_only=True)
    assert book.sheetnames == list(tables)
    sheet = [list(r) for r in book["Communities moved"].iter_rows(values_only=True)]
    assert {int(r[0]): (r[2], r[3]) for r in sheet[1:]} == {
        f: (a or none, b or none) for f, (a, b) in expected.items()}

    # Show on map: exactly the moved communities coloured, as one undo step
    steps = len(project.undo.history())
    panel.compare.map_button.click()
    assert len(project.undo.history()) == steps + 1
    assert active(project) == "scheme_changes" and window.theme_menu.actions["scheme_changes"].isChecked()
    classes = themed_frame(project, project.layer("communities"))["theme"]
    assert set(classes.index[classes == "moved"]) == set(expected)
    assert classes.drop(list(expected)).isna().all()
    pclasses = themed_frame(project, project.layer("precincts"))
    assert {n for n, c in zip(pclasses["name"], pclasses["theme"], strict=True) if c == "added"} == \
        names_b - names_a
    _check_drawn(window, qtbot, project, set(expected), QColor(SCHEME_CHANGE["moved"]))
    # the comparison is kept with the project: written as a GeoPackage and read back (the
    # store's own writer and reader, as a scheme is), the same features are marked
    from layers.schemes import scheme_project, snapshot

    again = scheme_project(snapshot(project, "copy"))
    assert active(again) == "scheme_changes"
    reopened = themed_frame(again, again.layer("communities"))["theme"]
    assert set(reopened.index[reopened == "moved"]) == set(expected)
    window.undo_actions.undo_action.trigger()
    assert active(project) is None and "scheme_changes" not in project.settings

    # Restore A after a yes (one undo step; the present state kept as a scheme first)
    panel.select("方案A")
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.No)
    panel.restore_button.click()
    assert _assignment(project) == after  # "no" changes nothing
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.Yes)
    panel.restore_button.click()
    assert _assignment(project) == before and _precinct_names(project) == names_a
    assert panel.table.rowCount() == 3 and "(automatic)" in panel.table.item(2, 0).text()
    window.undo_actions.undo_action.trigger()
    qtbot.waitUntil(lambda: panel.table.rowCount() == 2)
    assert _assignment(project) == after and _precinct_names(project) == names_b

    # Delete (undoable)
    panel.select("方案B")
    panel.delete_button.click()
    assert [r[0] for r in _table(panel.table)] == ["方案A"]
    window.undo_actions.undo_action.trigger()
    qtbot.waitUntil(lambda: panel.table.rowCount() == 2)

    # "current" is a side: B against the project now (which is B again): nothing moved
    _compare(panel, qtbot, "方案B", "current")
    assert panel.compare.tables["Communities moved"].rowCount() == 0


def _check_drawn(window, qtbot, project, moved: set[int], colour: QColor) -> None:
    """On the canvas a moved community is filled in the theme's colour, an unmoved one not."""
    from collections import Counter

    canvas = window.canvas
    canvas.zoom_to_extent()
    qtbot.wait(50)
    image = canvas.grab().toImage()
    gdf = project.layer("communities").gdf

    def seen(fid) -> QColor:
        pt = gdf.geometry.loc[fid].representative_point()
        px = canvas.world_to_pixel(pt.x, pt.y)
        counts = Counter(image.pixel(int(px.x()) + dx, int(px.y()) + dy)
                         for dx in range(-2, 3) for dy in range(-2, 3))
        return QColor(counts.most_common(1)[0][0])

    def near(c: QColor, want: QColor, tol: int) -> bool:
        return all(abs(x - y) <= tol for x, y in zip(c.getRgb()[:3], want.getRgb()[:3], strict=True))

    # alpha 0.85 over the light background: within ~40 of the colour itself
    hit = next(iter(moved))
    assert near(seen(hit), colour, 45), seen(hit).name()
    still = next(f for f in gdf.index if int(f) not in moved)
    assert not near(seen(still), colour, 60), seen(still).name()


def test_the_panel_in_chinese_shows_no_internal_identifier(window, qtbot, monkeypatch):
    from zh_texts import problems, widget_texts

    from layers.i18n import current_language, set_language

    before = current_language()
    set_language("zh")
    try:
        panel = window.open_panel("schemes")
        _group(window, qtbot, 1)
        _save(panel, monkeypatch, "方案甲")
        _group(window, qtbot, 3)
        _compare(panel, qtbot, "方案甲", "current")
        panel.compare.map_button.click()
        texts = list(widget_texts(panel))
        for i in range(panel.compare.tabs.count()):
            panel.compare.tabs.setCurrentIndex(i)
            texts += widget_texts(panel)
        assert any("当前项目" in t for _w, t in texts)
        assert any("年" in t and "月" in t for _w, t in texts)  # the date, in Chinese
        found = problems(texts)
        assert not found, "\n".join(found[:40])
    finally:
        set_language(before)


def test_theme_marks_conflicts_opened_and_closed_hand_counted():
    """Conflicts by id: c2 resolved in B (closed), c3 gone (closed, not on B's map), c4
    reopened and c5 new (opened), c1 open on both sides (unmarked); undo takes it back."""
    import geopandas as gpd
    from shapely.geometry import LineString

    from layers.layer import VectorLayer
    from layers.project import Project
    from layers.schemes.changes import show_command
    from layers.schemes.diff import diff_projects
    from layers.themes import active, themed_frame

    def conflicts(rows):
        project = Project()
        frame = gpd.GeoDataFrame(
            [{"conflict_id": c, "category": "violation", "conflict_type": "clearance",
              "status": status, "geometry": LineString([(0, i), (1, i)])}
             for i, (c, status) in enumerate(rows)], geometry="geometry", crs="EPSG:4546")
        project.add_layer(VectorLayer("conflicts", "conflicts", frame))
        return project

    a = conflicts([("c1", "open"), ("c2", "open"), ("c3", "open"), ("c4", "resolved")])
    b = conflicts([("c1", "open"), ("c2", "resolved"), ("c4", "open"), ("c5", "open")])
    b.apply(show_command(b, diff_projects(a, b), "A", "current"))
    layer = b.layer("conflicts")
    marked = dict(zip(layer.gdf["conflict_id"], themed_frame(b, layer)["theme"], strict=True))
    assert marked == {"c1": None, "c2": "closed", "c4": "opened", "c5": "opened"}
    assert layer.visible and layer.style["field"] == "theme"
    b.undo.undo()
    assert active(b) is None and "theme" not in themed_frame(b, layer).columns
