"""The real window on a 1366 × 768 laptop screen (Xvfb, the xcb platform): with every
analysis panel open and each analysis run on the sample, the window stays inside the screen
and the status bar in view.
Screenshots in zh and en are kept as artifacts (``artifacts/laptop_*.png``)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import REPO

ARTIFACTS = Path(os.environ.get("PRECINCT_ARTIFACTS", REPO / "artifacts"))
SCREEN = (1366, 768)

CHILD = textwrap.dedent(
    """
    import json, sys
    from PyQt5.QtWidgets import QApplication
    lang, shot = sys.argv[1], sys.argv[2]
    from layers.i18n import set_language
    set_language(lang)
    app = QApplication([])
    from app.window.translations import install_qt_translations
    install_qt_translations(app, lang)
    from app.window.main import MainWindow, PANELS
    from layers.resources import sample_project_path
    from layers.store import open_project
    window = MainWindow(open_project(sample_project_path()))
    window.show()
    panels = {key: window.open_panel(key) for key in PANELS}
    import time

    def settle(panel, started=True, timeout=120):
        end = time.monotonic() + timeout
        while started and panel.busy and time.monotonic() < end:
            app.processEvents()
            time.sleep(0.01)

    # each analysis run on the sample, as a planner would (results fill tables and charts)
    coverage = panels["coverage"]
    coverage.run()
    end = time.monotonic() + 120
    while coverage.result is None and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)
    settle(panels["conflicts"], panels["conflicts"].run())
    settle(panels["precincts"], panels["precincts"].run_auto())
    panels["siting"].count.setValue(2)
    panels["siting"].run_now()
    settle(panels["siting"])
    panels["programme"].select(5)
    panels["programme"].prefill()
    settle(panels["topology"], panels["topology"].run() is not False)
    for _ in range(20):
        app.processEvents()
    ran = {"coverage": coverage.result is not None,
           "conflicts": bool(window.project.layers_of_kind("conflicts")),
           "precincts": window.project.layer("communities").gdf["precinct"].notna().any()}
    screen = window.screen().availableGeometry()
    frame = window.frameGeometry()
    bar = window.statusBar()
    corner = bar.mapToGlobal(bar.rect().bottomRight())
    window.grab().save(shot, "PNG")
    print(json.dumps({
        "screen": [screen.x(), screen.y(), screen.width(), screen.height()],
        "frame": [frame.x(), frame.y(), frame.width(), frame.height()],
        "minimum": [window.minimumSizeHint().width(), window.minimumSizeHint().height()],
        "status_bar_visible": bar.isVisible(),
        "status_bar_corner": [corner.x(), corner.y()],
        "panels_visible": sum(p.isVisible() for p in window.panels.values()),
        "ran": {k: bool(v) for k, v in ran.items()},
    }))
    window.project.undo.set_clean()
    """)


@pytest.fixture(scope="module")
def laptop_display():
    xvfb = shutil.which("Xvfb")
    assert xvfb, "Xvfb is missing: install Debian's xvfb (listed in .ci/apt-packages.txt)"
    read, write = os.pipe()
    server = subprocess.Popen([xvfb, "-displayfd", str(write), "-screen", "0",
                               f"{SCREEN[0]}x{SCREEN[1]}x24", "-nolisten", "tcp"],
                              pass_fds=(write,), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as handle:
        number = handle.readline().strip()
    assert number, "Xvfb did not start"
    yield f":{number}"
    server.terminate()
    server.wait(timeout=10)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_panel_open_fits_a_laptop_screen(laptop_display, lang, tmp_path):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / f"laptop_1366x768_{lang}.png"
    env = {**os.environ, "DISPLAY": laptop_display, "QT_QPA_PLATFORM": "xcb",
           "PYTHONPATH": str(REPO), "XDG_CONFIG_HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", CHILD, lang, str(shot)], env=env, cwd=REPO,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    sx, sy, sw, sh = seen["screen"]
    fx, fy, fw, fh = seen["frame"]
    assert (sw, sh) <= SCREEN and sw > 0
    assert fx >= sx and fy >= sy and fx + fw <= sx + sw and fy + fh <= sy + sh, seen
    assert seen["minimum"][1] <= sh and seen["minimum"][0] <= sw, seen
    cx, cy = seen["status_bar_corner"]
    assert seen["status_bar_visible"] and sy <= cy <= sy + sh and cx <= sx + sw, seen
    assert seen["panels_visible"] >= 1
    assert all(seen["ran"].values()), seen["ran"]  # every analysis had run when it was measured
    assert shot.stat().st_size > 30_000
