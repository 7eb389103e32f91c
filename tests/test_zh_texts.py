"""No text a person reads in the Chinese UI is an internal identifier: the real main
window with every analysis panel open and every analysis run on the sample city, the
CLI's ``--lang zh`` text output, and the zh XLSX and HTML exports (issue 17).

The check itself lives in ``tests/zh_texts.py`` (its allowed exceptions are listed there,
each with its reason); the first test shows it catches what it must.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from zh_texts import html_texts, problem, problems, widget_texts, workbook_texts  # noqa: E402

from conftest import REPO, finish_job  # noqa: E402
from layers.i18n import current_language, set_language  # noqa: E402

SHOTS = Path(os.environ.get("PRECINCT_ARTIFACTS", REPO / "artifacts"))


@pytest.fixture
def zh():
    before = current_language()
    set_language("zh")
    yield
    set_language(before)


@pytest.mark.parametrize("text", [
    "elder_care", "drainage_sewage", "True", "None", "{'shantytown': True}",
    "非商品房（work_unit）", "违章建筑：remaining", "已处于 works 阶段", "按大类 {}",
])
def test_the_check_catches_internal_identifiers(text):
    assert problem(text), text


@pytest.mark.parametrize("text", [
    "养老服务设施", "EPSG:4546", "2026年12月2日", "小区 · 3", "费用 1,234 元", "/tmp/a_b/c.gpkg",
    "68%", "Households", "X (m)",
])
def test_the_check_lets_readable_text_pass(text):
    assert problem(text) is None, text


def _run_every_analysis(window, qtbot) -> None:
    """Open each analysis panel and run its analysis on the sample, as a planner would."""
    from app.window.texts import PANELS

    panels = {key: window.open_panel(key) for key in PANELS}
    coverage = panels["coverage"]
    assert coverage.run()
    qtbot.waitUntil(lambda: coverage.result is not None, timeout=120_000)
    assert finish_job(qtbot, panels["conflicts"], panels["conflicts"].run())
    precincts = panels["precincts"]
    assert finish_job(qtbot, precincts, precincts.run_auto())
    siting = panels["siting"]
    siting.count.setValue(2)
    assert siting.run_now() is not None
    qtbot.waitUntil(lambda: siting.run is not None, timeout=120_000)
    programme = panels["programme"]
    programme.select(5)
    programme.prefill()
    topology = panels["topology"]
    finish_job(qtbot, topology, topology.run() is not False)
    project = window.project
    hits = [(layer, int(layer.gdf.index[0])) for layer in project.layers
            if layer.layer_type == "vector" and len(layer.gdf)]
    window.identify_dock.show_hits(hits)  # identify: a feature of every layer
    window.identify_dock.tree.expandAll()
    panels["identify"] = window.identify_dock
    return panels


def _all_texts(window, qtbot, panels) -> list[tuple[str, str]]:
    """The texts of the window with each panel brought to the front and each of its tabs
    shown in turn (a tab's page fills when it is shown)."""
    from PyQt5.QtWidgets import QApplication, QTabWidget

    texts = list(widget_texts(window))
    for panel in panels.values():
        panel.raise_()
        QApplication.processEvents()
        tabs = panel.findChildren(QTabWidget)
        for tab in tabs or [None]:
            for i in range(tab.count() if tab else 1):
                if tab:
                    tab.setCurrentIndex(i)
                QApplication.processEvents()
                texts += widget_texts(panel)
    for action in window.menuBar().actions():
        texts.append(("menu", action.text()))
        if action.menu():
            texts += [("menu item", a.text()) for a in action.menu().actions()]
    return texts


def test_zh_window_with_every_panel_run_shows_no_internal_identifier(zh, qtbot):
    from app.window.main import MainWindow
    from layers.demo import build_sample_project

    window = MainWindow(build_sample_project("small", 0))
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    try:
        panels = _run_every_analysis(window, qtbot)
        texts = _all_texts(window, qtbot, panels)
        SHOTS.mkdir(parents=True, exist_ok=True)
        for key, panel in panels.items():
            panel.raise_()
            qtbot.wait(50)
            window.grab().save(str(SHOTS / f"zh_texts_{key}.png"), "PNG")
    finally:
        window.project.undo.set_clean()
    assert len(texts) > 500
    found = problems(texts)
    Path("/tmp/zh_window_leaks.txt").write_text("\n".join(found), encoding="utf-8")
    assert not found, f"{len(found)} leaks:\n" + "\n".join(found[:80])


@pytest.fixture
def sample_copy(tmp_path) -> Path:
    from layers.resources import sample_project_path

    target = tmp_path / "sample.gpkg"
    shutil.copy(sample_project_path(), target)
    return target


def test_zh_cli_text_output_shows_no_internal_identifier(zh, sample_copy, capsys):
    from app.cli.main import main

    runs = [["coverage", str(sample_copy), "--save"], ["conflicts", str(sample_copy), "--save"],
            ["precincts", str(sample_copy), "--auto", "--stats"],
            ["programme", str(sample_copy)], ["programme", str(sample_copy), "--by", "precinct",
                                              "--budget", "5000000"]]
    texts = []
    for argv in runs:
        assert main([*argv, "--lang", "zh"]) == 0, argv
        out = capsys.readouterr().out
        texts += [(" ".join(argv[:1]), line) for line in out.splitlines()]
    assert len(texts) > 10
    found = problems(texts)
    assert not found, f"{len(found)} leaks:\n" + "\n".join(found[:80])


def _analysed_project():
    """The sample with coverage, conflicts and a community's programme items in it."""
    from layers.coverage.run import compute_coverage, coverage_command
    from layers.demo import build_sample_project
    from layers.pipelines.conflicts import find_conflicts, update_conflicts_layer
    from layers.programme import prefill_command

    project = build_sample_project("small", 0)
    project.apply(coverage_command(project, compute_coverage(project)))
    update_conflicts_layer(project, find_conflicts(project))
    project.apply(prefill_command(project, [5]))
    return project


def test_zh_exports_show_no_internal_identifier(zh, tmp_path):
    from layers.exports import render_html, write_xlsx
    from layers.exports.reports import write_plan, write_report
    from layers.programme import plan_year, precinct_splits

    project = _analysed_project()
    texts = []
    book = write_xlsx(project, tmp_path / "tables.xlsx", lang="zh")
    texts += workbook_texts(book)
    conflicts = project.layer("conflicts").gdf
    texts += workbook_texts(write_report(conflicts, tmp_path / "conflicts.xlsx", lang="zh"))
    plan = plan_year(project, 2026)
    texts += workbook_texts(write_plan(plan, precinct_splits(project), tmp_path / "programme.xlsx",
                                       lang="zh"))
    texts += html_texts(render_html(project, lang="zh")[0], "map.html")
    assert len(texts) > 1000
    found = problems(texts)
    assert not found, f"{len(found)} leaks:\n" + "\n".join(sorted(set(found))[:80])


def _chrome_texts(window, panels) -> list[tuple[str, str]]:
    """What the software itself says in a window (not data): menus, dock and tab titles,
    buttons, group titles, placeholders and the column headers of every table."""
    from PyQt5.QtCore import Qt
    from PyQt5.QtWidgets import QAbstractButton, QAbstractItemView, QDockWidget, QGroupBox, QLineEdit, QTabBar

    texts = []
    for action in window.menuBar().actions():
        texts.append(("menu", action.text()))
        for a in (action.menu().actions() if action.menu() else []):
            texts.append(("menu item", a.text()))
            texts += [("submenu item", b.text()) for b in (a.menu().actions() if a.menu() else [])]
    for root in [window, *panels.values()]:
        for w in root.findChildren(QDockWidget) + [root]:
            if isinstance(w, QDockWidget):
                texts.append(("dock", w.windowTitle()))
        for w in root.findChildren(QAbstractButton):
            texts.append((f"button {type(w).__name__}", w.text()))
        texts += [("group", w.title()) for w in root.findChildren(QGroupBox)]
        texts += [("placeholder", w.placeholderText()) for w in root.findChildren(QLineEdit)]
        for bar in root.findChildren(QTabBar):
            texts += [("tab", bar.tabText(i)) for i in range(bar.count())]
        for view in root.findChildren(QAbstractItemView):
            model = view.model()
            if model is None or not hasattr(view, "horizontalHeader"):  # tables only
                continue
            texts += [("header", str(model.headerData(c, Qt.Horizontal) or ""))
                      for c in range(model.columnCount())]
    return texts


#: Chinese an English window keeps, each with its reason
EN_KEEPS = {
    "简体中文": "a language is named in its own language in the language menu",
    "虚构数据 / synthetic data": "the synthetic-data notice is bilingual on purpose",
}


def test_en_window_speaks_english(qtbot):
    """The same window in English: everything the software itself says is English (data —
    community names, districts — stays as it is)."""
    from zh_texts import CJK

    from app.window.main import MainWindow
    from layers.demo import build_sample_project

    before = current_language()
    set_language("en")
    try:
        window = MainWindow(build_sample_project("small", 0))
        qtbot.addWidget(window)
        window.resize(1366, 768)
        window.show()
        qtbot.waitExposed(window)
        try:
            panels = _run_every_analysis(window, qtbot)
            texts = _chrome_texts(window, panels)
        finally:
            window.project.undo.set_clean()
    finally:
        set_language(before)
    assert len(texts) > 200
    chinese = sorted({f"{where}: {text}" for where, text in texts
                      if CJK.search(text) and text.replace("&", "") not in EN_KEEPS})
    assert not chinese, f"{len(chinese)} Chinese texts in the English window:\n" + "\n".join(chinese[:60])
