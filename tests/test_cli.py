"""The `precinct` command: demo, info, exit codes, one-line errors, JSON."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from conftest import REPO


def run(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=cwd or REPO,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "x.gpkg"
    result = run("demo", "--scale", "small", "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out


def test_demo_then_info_json(demo_file):
    result = run("info", str(demo_file), "--json")
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["crs"] == "EPSG:4546"
    assert info["synthetic"] is True and info["metadata"]["synthetic"] is True
    kinds = {entry["kind"]: entry for entry in info["layers"]}
    for kind in ("communities", "streets", "facilities", "parcels", "pipelines", "admin"):
        assert kinds[kind]["count"] > 0, kind
    assert 50 <= kinds["communities"]["count"] <= 70
    assert 1700 <= kinds["streets"]["count"] <= 2300
    from layers.store import open_project

    project = open_project(demo_file)
    for entry in info["layers"]:
        if entry["type"] == "vector":
            assert entry["count"] == len(project.layer(entry["name"]))


@pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="GDAL's ogrinfo is not installed "
                    "(apt-get install gdal-bin; .ci/run installs it)")
def test_ogrinfo_opens_the_demo_as_a_geopackage(demo_file):
    result = subprocess.run(["ogrinfo", "-ro", "-so", "-al", str(demo_file)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "using driver `GPKG' successful" in result.stdout
    assert "communities" in result.stdout and "Feature Count" in result.stdout
    assert "ERROR" not in result.stderr


def test_info_human_text_lists_layers(demo_file):
    result = run("info", str(demo_file), "--lang", "zh")
    assert result.returncode == 0
    assert "EPSG:4546" in result.stdout and "虚构数据" in result.stdout
    assert "小区" in result.stdout and "population_grid" not in result.stdout  # names, not keys


def test_usage_errors_exit_2():
    assert run("demo", "--scale", "galaxy", "--out", "x.gpkg").returncode == 2
    assert run("info").returncode == 2


def test_user_errors_exit_1_with_one_line(tmp_path):
    bad = tmp_path / "notes.gpkg"
    bad.write_text("not a project")
    result = run("info", str(bad))
    assert result.returncode == 1
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "not a GeoPackage" in lines[0] and str(bad) in lines[0]
    assert "Traceback" not in result.stderr
    debug = run("info", str(bad), "--debug")
    assert debug.returncode == 1 and "Traceback" in debug.stderr
    as_json = run("info", str(bad), "--json")
    assert as_json.returncode == 1 and "error_zh" in json.loads(as_json.stdout)
    assert run("demo", "--out", str(tmp_path / "x.shp")).returncode == 1


def test_parser_routes_to_gui_without_subcommand():
    from app.cli.main import _needs_gui

    assert _needs_gui([]) and _needs_gui(["x.gpkg"]) and _needs_gui(["--lang", "zh"])
    assert not _needs_gui(["--lang", "zh", "info", "x.gpkg"])
    assert not _needs_gui(["demo", "--out", "y.gpkg"]) and not _needs_gui(["--help"])


def test_precinct_without_arguments_opens_the_sample_city(tmp_path):
    """The README's first command, through the installed `precinct` script (offscreen,
    one frame)."""
    import os
    from pathlib import Path

    from PyQt5.QtGui import QImage

    shot = tmp_path / "window.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PRECINCT_LANG="zh")
    script = Path(sys.executable).with_name("precinct")  # what `pip install -e .` put on PATH
    assert script.exists(), script
    result = subprocess.run([str(script), "--screenshot", str(shot)],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    image = QImage(str(shot))
    # the window fits the screen (the offscreen platform's is 800 × 600)
    assert 640 <= image.width() <= 800 and 480 <= image.height() <= 600
    colours = {image.pixel(x, y) for x in range(0, image.width(), 7)
               for y in range(0, image.height(), 7)}
    assert len(colours) > 50  # a drawn map, not a blank window


def test_an_unexpected_error_is_one_line_not_a_traceback(monkeypatch, capsys):
    """A bug or library error inside a subcommand: exit 1 with one line, no traceback."""
    from app.cli import main as cli

    def broken(args):
        raise RuntimeError("GEOSException: TopologyException: side location conflict\nmore")

    monkeypatch.setitem(cli.SUBCOMMANDS, "info", (cli.SUBCOMMANDS["info"][0], broken,
                                                  cli.SUBCOMMANDS["info"][2]))
    assert cli.main(["info", "x.gpkg", "--lang", "en"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "RuntimeError: GEOSException" in err and "--debug" in err
