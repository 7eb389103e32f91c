"""Two planners on one PostGIS project, on the real window (issue 20.2): a save that meets
another planner's save of the same community shows a dialog (layer, feature, the fields
that differ, mine → theirs) and writes the chosen version; Cancel writes nothing and keeps
the edits; another planner's save shows a Reload bar, and Reload takes their rows into the
layer (and the attribute table) keeping the user's own unsaved edits, saying which of them
the other planner changed too.

"The other planner" is a second copy of the project saving through the store (which sends
the notification); what is on the server is read with plain SQL. Needs the PostgreSQL/
PostGIS server (tests/pg_server.py): these tests FAIL without one.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import psycopg  # noqa: E402
import pytest  # noqa: E402

pytest.importorskip("pytestqt", reason="pytest-qt drives the widgets")

from PyQt5.QtCore import Qt  # noqa: E402
from zh_texts import problems, widget_texts  # noqa: E402

import app.dialogs.pg_conflicts as pg_conflicts  # noqa: E402
import app.window.team as team  # noqa: E402
from app.window.main import MainWindow  # noqa: E402
from layers import display  # noqa: E402
from layers.commands import ChangeAttributes  # noqa: E402
from layers.demo import build_sample_project  # noqa: E402
from layers.i18n import set_language  # noqa: E402
from layers.store import open_project, save_project  # noqa: E402
from layers.store.pglocation import PgLocation  # noqa: E402
from layers.store.pgsession import release  # noqa: E402

pytestmark = pytest.mark.postgis
SHARED, ONLY_MINE, THEIRS_ONLY = 1, 2, 3


def server_rows(location: str, fids: list[int]) -> dict[int, tuple]:
    """(name, households, pp_rev) straight from the server."""
    pg = PgLocation(location)
    with psycopg.connect(pg.conninfo) as con:
        return {f: (n, h, r) for f, n, h, r in con.execute(
            f'SELECT fid, name, households, pp_rev FROM "{pg.schema}".communities '
            "WHERE fid = ANY(%s)", (fids,)).fetchall()}


def edit(project, fid: int, **values) -> None:
    layer = project.layer("communities")
    project.apply(ChangeAttributes(layer.id, {fid: values}))


@pytest.fixture
def planners(qtbot, pg_location):
    """My window and the other planner's copy, both opened from the same schema."""
    save_project(build_sample_project("small", 0), pg_location)
    win = MainWindow(open_project(pg_location))
    other = open_project(pg_location)
    yield win, other
    release(other)
    win.project.undo.set_clean()
    win.close()


def answer(choice: str | None, seen: list, leaks: list | None = None):
    """A stand-in for the modal dialog: records what it shows (and in ``leaks`` internal
    identifiers among its texts, tests/zh_texts.py), picks ``choice`` for every row (None:
    Cancel)."""
    def ask(dialog):
        rows = []
        for r in range(dialog.table.rowCount()):
            rows.append([dialog.table.item(r, c).text() for c in range(3)]
                        + [[dialog.boxes[r].itemData(i) for i in range(dialog.boxes[r].count())]])
        seen.append({"title": dialog.windowTitle(), "rows": rows})
        if leaks is not None:
            dialog.show()  # only what is shown is collected
            texts = list(widget_texts(dialog))
            dialog.hide()
            assert len(texts) > 8, texts
            leaks.extend(problems(texts))
        if choice is None:
            return False
        for r in range(len(dialog.boxes)):
            dialog.set_choice(r, choice)
        return True
    return ask


@pytest.mark.parametrize("choice", ["mine", "theirs", "merge"])
def test_save_meeting_another_planners_save_asks_and_writes_the_choice(planners, pg_location,
                                                                       monkeypatch, choice):
    win, other = planners
    before = server_rows(pg_location, [SHARED, ONLY_MINE])
    edit(other, SHARED, households=111)
    save_project(other)
    edit(win.project, SHARED, name="我的名字")
    edit(win.project, ONLY_MINE, households=222)
    seen: list = []
    monkeypatch.setattr(pg_conflicts, "ask", answer(choice, seen))
    assert win.save()
    layer = win.project.layer("communities")
    households = layer.schema.field("households")
    assert seen == [{"title": pg_conflicts.TITLE(), "rows": [[
        display.layer_title(layer), f"我的名字 (no. {SHARED})",
        "\n".join(sorted([  # exactly the two fields that differ, mine → theirs
            f"{display.column_label(layer.schema, 'name')}: 我的名字 → {before[SHARED][0]}",
            f"{display.column_label(layer.schema, 'households')}: "
            f"{display.text(before[SHARED][1], households, 'communities')} → "
            f"{display.text(111, households, 'communities')}"],
            key=lambda line: list(layer.gdf.columns).index(
                "name" if line.startswith(display.column_label(layer.schema, "name")) else
                "households"))),
        ["mine", "theirs", "merge"]]]}]
    expected = {"mine": ("我的名字", before[SHARED][1]),
                "theirs": (before[SHARED][0], 111),
                "merge": ("我的名字", 111)}[choice]
    after = server_rows(pg_location, [SHARED, ONLY_MINE])
    assert after[SHARED][:2] == expected
    assert after[ONLY_MINE][:2] == (before[ONLY_MINE][0], 222)
    assert tuple(layer.gdf.loc[SHARED, ["name", "households"]]) == expected  # what I see
    assert win.project.undo.is_clean


def test_cancel_writes_nothing_and_keeps_my_edits(planners, pg_location, monkeypatch):
    set_language("zh")
    win, other = planners
    before = server_rows(pg_location, [SHARED, ONLY_MINE])
    edit(other, SHARED, households=111)
    save_project(other)
    theirs = server_rows(pg_location, [SHARED])[SHARED]
    edit(win.project, SHARED, name="我的名字")
    edit(win.project, ONLY_MINE, households=222)
    seen: list = []
    leaks: list = []
    monkeypatch.setattr(pg_conflicts, "ask", answer(None, seen, leaks))
    assert not win.save()
    assert seen[0]["title"] == "其他规划师也修改了"
    assert leaks == []
    assert seen[0]["rows"][0][0] == "小区" and seen[0]["rows"][0][1] == f"我的名字（编号 {SHARED}）"
    assert server_rows(pg_location, [SHARED, ONLY_MINE]) == {SHARED: theirs,
                                                             ONLY_MINE: before[ONLY_MINE]}
    layer = win.project.layer("communities")
    assert layer.gdf.loc[SHARED, "name"] == "我的名字"
    assert layer.gdf.loc[ONLY_MINE, "households"] == 222
    assert not win.project.undo.is_clean


def test_another_planners_save_shows_reload_and_reload_keeps_my_edits(planners, pg_location,
                                                                      qtbot, monkeypatch):
    win, other = planners
    edit(win.project, 6, households=666)  # my own save: never announced to me
    assert win.save()
    edit(win.project, SHARED, name="我的名字")      # unsaved, and the other planner's too
    edit(win.project, ONLY_MINE, households=222)  # unsaved, mine only
    steps = len(win.project.undo)
    edit(other, SHARED, households=111)
    edit(other, THEIRS_ONLY, households=333, name="对方改名")
    save_project(other)
    bar = win.team.bar
    qtbot.waitUntil(lambda: not bar.isHidden(), timeout=10_000)
    layer = win.project.layer("communities")
    assert display.layer_title(layer) in win.team.label.text()
    assert {n.token for n in win.team.heard} == {other.file_stamp.token}
    win.set_current_layer(layer)  # the attribute table shows the layer
    model = win.attribute_table.model
    qtbot.mouseClick(win.team.reload_button, Qt.LeftButton)
    assert bar.isHidden()
    server = server_rows(pg_location, [SHARED, ONLY_MINE, THEIRS_ONLY])
    assert tuple(layer.gdf.loc[THEIRS_ONLY, ["name", "households"]]) == server[THEIRS_ONLY][:2]
    assert server[THEIRS_ONLY][:2] == ("对方改名", 333)
    row = model.rows_of([THEIRS_ONLY])[0]
    assert model.raw(row, model.column_of("households")) == 333
    assert layer.gdf.loc[SHARED, "name"] == "我的名字"             # my edits kept
    assert layer.gdf.loc[SHARED, "households"] != 111
    assert layer.gdf.loc[ONLY_MINE, "households"] == 222
    assert not win.project.undo.is_clean
    assert len(win.project.undo) == steps  # nothing was added to undo
    assert win.team.last_message == team.RELOADED.format(n=1)() + team.KEPT_YOURS.format(
        n=1, features=f"{display.layer_title(layer)}: 我的名字 (no. {SHARED})")()
    assert win.statusBar().currentMessage() == win.team.last_message
    # saving now writes my rows only, and asks about the one we both changed
    seen: list = []
    monkeypatch.setattr(pg_conflicts, "ask", answer("merge", seen))
    assert win.save()
    assert [r[1] for r in seen[0]["rows"]] == [f"我的名字 (no. {SHARED})"]
    after = server_rows(pg_location, [SHARED, ONLY_MINE, THEIRS_ONLY])
    assert after[THEIRS_ONLY] == server[THEIRS_ONLY]  # theirs not written back (same revision)
    assert after[SHARED][:2] == ("我的名字", 111) and after[ONLY_MINE][1] == 222


def test_a_plain_sql_edit_on_the_server_is_a_conflict_too(planners, pg_location, monkeypatch):
    """Another program (QGIS, psql) updating the row bumps its revision by the trigger."""
    win, _other = planners
    pg = PgLocation(pg_location)
    with psycopg.connect(pg.conninfo) as con:
        con.execute(f'UPDATE "{pg.schema}".communities SET households = 999 WHERE fid = %s',
                    (SHARED,))
    edit(win.project, SHARED, name="我的名字")
    seen: list = []
    monkeypatch.setattr(pg_conflicts, "ask", answer("theirs", seen))
    assert win.save()
    assert len(seen[0]["rows"]) == 1
    after = server_rows(pg_location, [SHARED])[SHARED]
    assert after[1] == 999 and after[0] != "我的名字"
    layer = win.project.layer("communities")
    assert tuple(layer.gdf.loc[SHARED, ["name", "households"]]) == after[:2]


def test_reload_takes_their_deleted_and_added_features(planners, pg_location, qtbot):
    from layers.commands import AddFeatures, DeleteFeatures

    set_language("zh")
    win, other = planners
    layer_id = other.layer("communities").id
    new_row = other.layer("communities").gdf.loc[[9]].copy()
    new_row.index = [other.layer("communities").next_fid()]
    new_row["name"] = "新建小区"
    other.apply(DeleteFeatures(layer_id, [8]))
    other.apply(AddFeatures(layer_id, new_row))
    save_project(other)
    added = int(other.layer("communities").gdf.index[-1])
    pg = PgLocation(pg_location)
    with psycopg.connect(pg.conninfo) as con:
        on_server = dict(con.execute(f'SELECT fid, name FROM "{pg.schema}".communities').fetchall())
    assert 8 not in on_server and on_server[added] == "新建小区"
    qtbot.waitUntil(lambda: not win.team.bar.isHidden(), timeout=10_000)
    win.show()
    texts = list(widget_texts(win.team.bar))
    assert len(texts) >= 3 and problems(texts) == []
    assert win.team.label.text() == "其他规划师已在服务器上保存了对小区的修改。"
    qtbot.mouseClick(win.team.reload_button, Qt.LeftButton)
    gdf = win.project.layer("communities").gdf
    assert dict(zip(gdf.index, gdf["name"])) == on_server
    assert win.team.last_message == team.RELOADED.format(n=2)()
    assert win.project.undo.is_clean and not win.windowTitle().startswith("*")
    edit(win.project, SHARED, households=4321)  # and the next save writes only my row
    assert win.save()
    with psycopg.connect(pg.conninfo) as con:
        after = dict(con.execute(f'SELECT fid, name FROM "{pg.schema}".communities').fetchall())
    assert after == on_server


def test_reload_after_their_new_layer_reopens_the_project_keeping_my_edits(planners, qtbot):
    from layers.commands import AddLayer
    from layers.layer import VectorLayer
    from layers.store.recovery import recovery_file_for

    win, other = planners
    mine = win.project
    edit(mine, SHARED, name="我的名字")
    extra = VectorLayer("extra", "communities", other.layer("communities").gdf.head(3).copy())
    other.apply(AddLayer(extra))
    save_project(other)
    qtbot.waitUntil(lambda: not win.team.bar.isHidden(), timeout=10_000)
    assert win.team.label.text() == team.HEARD_ALL()
    qtbot.mouseClick(win.team.reload_button, Qt.LeftButton)
    try:
        assert win.project is not mine and "extra" in win.project.names()
        kept = recovery_file_for(mine)
        assert kept.exists()
        assert open_project(kept).layer("communities").gdf.loc[SHARED, "name"] == "我的名字"
        assert win.team.last_message == team.REOPENED() + team.KEPT_FILE.format(path=str(kept))()
    finally:
        recovery_file_for(mine).unlink(missing_ok=True)


def test_the_window_opens_saves_and_remembers_a_server_location(qtbot, pg_location):
    save_project(build_sample_project("small", 0), pg_location)
    win = MainWindow()
    try:
        assert win.open_path(pg_location)
        assert win.project.path == PgLocation(pg_location)
        assert win.team.listener is not None and win.team.timer.isActive()
        assert win.recent.paths()[0] == str(PgLocation(pg_location))
        edit(win.project, SHARED, households=4242)
        assert win.save()
        assert server_rows(pg_location, [SHARED])[SHARED][1] == 4242
        qtbot.wait(1500)  # the timer polled: my own save is not news
        assert win.team.heard == [] and win.team.bar.isHidden()
    finally:
        win.project.undo.set_clean()
        win.close()
    assert win.team.listener is None


def test_the_dialog_says_when_the_shape_differs_and_when_they_deleted_it(planners, pg_location,
                                                                         monkeypatch):
    import shapely.affinity

    from layers.commands import ChangeGeometry, DeleteFeatures

    win, other = planners
    theirs = other.layer("communities")
    moved = shapely.affinity.translate(theirs.gdf.geometry.loc[SHARED], 30, 0)
    other.apply(ChangeGeometry(theirs.id, {SHARED: moved}))
    other.apply(DeleteFeatures(theirs.id, [ONLY_MINE]))
    save_project(other)
    edit(win.project, SHARED, households=5)
    edit(win.project, ONLY_MINE, households=6)
    seen: list = []
    monkeypatch.setattr(pg_conflicts, "ask", answer("theirs", seen))
    assert win.save()
    layer = win.project.layer("communities")
    households = layer.schema.field("households")
    rows = {r[1]: (r[2], r[3]) for r in seen[0]["rows"]}
    name_of = dict(zip(theirs.gdf.index, theirs.gdf["name"]))
    before = display.text(other.layer("communities").gdf.loc[SHARED, "households"], households,
                          "communities")
    assert rows[f"{name_of[SHARED]} (no. {SHARED})"] == (
        f"{display.column_label(layer.schema, 'households')}: 5 → {before}\n"
        f"{pg_conflicts.GEOMETRY()}", ["mine", "theirs", "merge"])
    deleted = [v for k, v in rows.items() if k.endswith(f"(no. {ONLY_MINE})")]
    assert deleted == [(pg_conflicts.DELETED_BY_THEM(), ["mine", "theirs"])]  # no merge
    # theirs: the shape moved, the other community gone, on the server and in my layer
    assert ONLY_MINE not in layer.gdf.index
    assert layer.gdf.geometry.loc[SHARED].equals_exact(moved, 1e-6)
    pg = PgLocation(pg_location)
    with psycopg.connect(pg.conninfo) as con:
        gone = con.execute(f'SELECT count(*) FROM "{pg.schema}".communities WHERE fid = %s',
                           (ONLY_MINE,)).fetchone()[0]
        x = con.execute(f'SELECT ST_XMin(geom) FROM "{pg.schema}".communities WHERE fid = %s',
                        (SHARED,)).fetchone()[0]
    assert gone == 0 and abs(x - moved.bounds[0]) < 1e-6
