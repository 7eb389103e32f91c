"""QGIS (Debian's python3-qgis, installed by .ci/run; the test fails, not skips, without it)
opens an exported GeoPackage drawn under a map theme: the theme's categorised renderer on
the ``theme`` field, every class with its Chinese label, and field aliases in Chinese."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from app.cli.main import main

REPO = Path(__file__).resolve().parents[1]
SYSTEM_PYTHON = "/usr/bin/python3"


def test_qgis_shows_the_theme_renderer_with_chinese_aliases(tmp_path):
    from layers.resources import sample_project_path

    project = tmp_path / "sample.gpkg"
    shutil.copy(sample_project_path(), project)
    assert main(["coverage", str(project), "--save", "--lang", "zh"]) == 0
    out = tmp_path / "themed.gpkg"
    assert main(["export", str(project), "--gpkg", str(out), "--theme", "elder_care_coverage",
                 "--lang", "zh"]) == 0
    run = subprocess.run([SYSTEM_PYTHON, str(REPO / "tests" / "qgis_open_vector.py"), str(out), "communities"],
                         capture_output=True, text=True, timeout=300)
    lines = [line for line in run.stdout.splitlines() if line.startswith("{")]
    assert lines, f"QGIS gave no answer (is python3-qgis installed?): {run.stderr[-800:]}"
    got = json.loads(lines[-1])
    assert "error" not in got, got
    assert got["valid"] and got["style_loaded"], got
    assert got["renderer"] == "categorizedSymbol" and got["field"] == "theme"
    labels = dict(got["categories"])
    assert labels["5min"] == "5分钟生活圈" and labels["beyond"] == "超出15分钟"
    assert got["aliases"]["name"] == "小区名称" and got["aliases"]["theme"] == "专题分类"


def test_qgis_opens_the_project_file_itself_styled_and_without_our_tables(tmp_path):
    """The project's own GeoPackage carries QGIS's layer_styles (issue 16.4) and keeps the
    app's bookkeeping tables out of the layer list."""
    import pyogrio

    from layers.demo import build_sample_project
    from layers.i18n import current_language, set_language
    from layers.store import save_project

    before = current_language()
    set_language("zh")
    try:
        path = tmp_path / "project.gpkg"
        save_project(build_sample_project("small", 0), path)
    finally:
        set_language(before)
    assert not any(n.startswith("precinct_") for n, _t in pyogrio.list_layers(path))
    run = subprocess.run([SYSTEM_PYTHON, str(REPO / "tests" / "qgis_open_vector.py"), str(path), "streets"],
                         capture_output=True, text=True, timeout=300)
    lines = [line for line in run.stdout.splitlines() if line.startswith("{")]
    assert lines, f"QGIS gave no answer (is python3-qgis installed?): {run.stderr[-800:]}"
    got = json.loads(lines[-1])
    assert got["valid"] and got["style_loaded"], got
    assert got["renderer"] == "categorizedSymbol" and got["field"] == "road_class"
    assert dict(got["categories"])["arterial"] == "主干路"
    assert got["aliases"]["road_class"] == "道路等级"
