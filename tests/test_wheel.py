"""A wheel built from the repo works in a fresh venv: resources come from the installed package."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from conftest import REPO


@pytest.mark.slow
def test_wheel_in_fresh_venv(tmp_path):
    dist = tmp_path / "dist"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                            str(dist), str(REPO)], capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stderr
    wheel = next(dist.glob("precinct_planner-*.whl"))
    env_dir = tmp_path / "fresh"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    install = subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", "--no-index",
                              str(wheel)], capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stderr
    # Third-party dependencies come from the test environment's site-packages (added as a plain
    # path, so its .pth files – including this repo's editable install – are not processed).
    site = Path(subprocess.check_output([str(py), "-c", "import sysconfig; print("
                                         "sysconfig.get_paths()['purelib'])"], text=True).strip())
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["QT_QPA_PLATFORM"] = "offscreen"
    work = tmp_path / "elsewhere"
    work.mkdir()
    where = subprocess.run(
        [str(py), "-c", "import layers, styles, data, app, json;"
         "from layers.resources import sample_project_path;"
         "from layers.standards import load_standards;"
         "from styles import default_style;"
         "print(json.dumps([layers.__file__, styles.__file__, data.__file__, app.__file__,"
         " str(sample_project_path()), len(load_standards().names()),"
         " default_style('pipelines')['type']]))"],
        cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert where.returncode == 0, where.stderr
    files = json.loads(where.stdout)
    for path in files[:5]:
        assert str(env_dir) in path and str(REPO) not in path, path
    assert Path(files[4]).exists() and files[5] >= 10 and files[6] == "categorised"
    precinct = env_dir / "bin" / "precinct"
    info = subprocess.run([str(precinct), "info", files[4], "--json"], cwd=work, env=env,
                          capture_output=True, text=True, timeout=300)
    assert info.returncode == 0, info.stderr
    assert json.loads(info.stdout)["crs"] == "EPSG:4546"
    demo = subprocess.run([str(precinct), "demo", "--out", "d.gpkg", "--json"], cwd=work,
                          env=env, capture_output=True, text=True, timeout=300)
    assert demo.returncode == 0, demo.stderr
    assert (work / "d.gpkg").exists()
    # the offline HTML export needs the vendored Leaflet from the installed package
    html = subprocess.run([str(precinct), "export", "d.gpkg", "--html", "d.html"], cwd=work,
                          env=env, capture_output=True, text=True, timeout=300)
    assert html.returncode == 0, html.stderr
    page = (work / "d.html").read_text(encoding="utf-8")
    assert "leaflet" in page.lower()
    # no script, stylesheet or image is fetched online (links in attribution text are fine)
    assert not re.search(r"""<(script|link|img)[^>]*(src|href)\s*=\s*["']https?:""", page)
