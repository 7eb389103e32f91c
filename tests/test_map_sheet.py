"""The PNG/PDF map sheet (drawn by the canvas's painter) and the export dialog, offscreen."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import shutil  # noqa: E402
import subprocess  # noqa: E402
import unicodedata  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PyQt5.QtGui import QImage  # noqa: E402
from test_exports import TITLE_ZH, make_export_project  # noqa: E402

import app.canvas.map_sheet as map_sheet  # noqa: E402
from app.canvas.map_sheet import SheetSpec, export_pdf, export_png, render_sheet_image  # noqa: E402
from layers.exports.common import layer_style  # noqa: E402

POPPLER = shutil.which("pdftotext") and shutil.which("pdftoppm")


def colours(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format_RGB32)
    data = image.constBits()
    data.setsize(image.sizeInBytes())
    return np.frombuffer(data, dtype=np.uint32).copy()  # the QImage dies with this frame


@pytest.fixture
def project():
    return make_export_project()


@pytest.mark.parametrize("paper, landscape, size_mm", [("A4", True, (297, 210)),
                                                       ("A3", False, (297, 420))])
def test_png_sheet_has_the_page_size_and_content(qapp, project, tmp_path, paper, landscape,
                                                 size_mm):
    out = export_png(project, tmp_path / "sheet.png",
                     SheetSpec(title=TITLE_ZH, paper=paper, landscape=landscape, dpi=60))
    image = QImage(str(out))
    assert abs(image.width() - size_mm[0] * 60 / 25.4) <= 1
    assert abs(image.height() - size_mm[1] * 60 / 25.4) <= 1
    assert len(np.unique(colours(image))) > 30


def test_sheet_map_uses_the_canvas_painter_and_colours(qapp, project, monkeypatch):
    calls = []
    original = map_sheet.paint_layers

    def spy(*args, **kwargs):
        calls.append(kwargs.get("pen_scale"))
        return original(*args, **kwargs)

    monkeypatch.setattr(map_sheet, "paint_layers", spy)
    image = render_sheet_image(project, SheetSpec(title="t", dpi=96))
    assert calls == [1.0]
    packed = colours(image)
    rgb = np.stack([(packed >> 16) & 255, (packed >> 8) & 255, packed & 255], axis=1)
    rgb = rgb.astype(np.int16)
    for name in ("管线", "街道"):  # opaque strokes show their resolved colours
        for stroke in layer_style(project, project.layer(name))[1].stroke:
            close = np.abs(rgb - np.asarray(stroke[:3], dtype=np.int16)).max(axis=1) <= 8
            assert close.sum() > 20, (name, stroke)


@pytest.mark.skipif(not POPPLER, reason="poppler-utils (pdftotext, pdftoppm) not installed")
def test_pdf_has_the_chinese_title_as_text_and_renders(qapp, project, tmp_path):
    out = export_pdf(project, tmp_path / "sheet.pdf",
                     SheetSpec(title=TITLE_ZH, paper="A3", landscape=True, lang="zh", dpi=100))
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True,
                          check=True).stdout
    # Qt's ToUnicode map may name a CJK glyph by its Kangxi-radical twin (示 → ⽰): NFKC folds it
    normal = unicodedata.normalize("NFKC", text)
    assert unicodedata.normalize("NFKC", TITLE_ZH) in normal
    assert "图例" in normal and "坐标系" in normal and "EPSG" in normal
    fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True).stdout
    assert "CJK" in fonts and " yes " in fonts  # the font is embedded
    subprocess.run(["pdftoppm", "-png", "-r", "40", str(out), str(tmp_path / "page")], check=True)
    page = QImage(str(tmp_path / "page-1.png"))
    assert not page.isNull() and page.width() > page.height()
    assert len(np.unique(colours(page))) > 30


def test_sheet_refuses_unknown_paper(qapp, project, tmp_path):
    from layers.errors import ProjectError

    with pytest.raises(ProjectError):
        export_png(project, tmp_path / "x.png", SheetSpec(paper="Letter"))


def test_export_dialog_previews_and_writes(qtbot, project, tmp_path):
    from app.dialogs.export import ExportDialog

    dialog = ExportDialog(project)
    qtbot.addWidget(dialog)
    assert dialog.preview.pixmap() is not None and not dialog.preview.pixmap().isNull()
    for key, box in dialog.formats.items():
        box.setChecked(key in ("html", "png", "xlsx"))
    dialog.base.setText(str(tmp_path / "审查"))
    dialog.export()  # runs off the GUI thread
    qtbot.waitUntil(lambda: dialog.result() == dialog.Accepted, timeout=60000)
    assert {p.name for p in tmp_path.iterdir()} == {"审查.html", "审查.png", "审查.xlsx"}


def test_export_dialog_shows_a_problem(qtbot, project, tmp_path, monkeypatch):
    from PyQt5.QtWidgets import QMessageBox

    from app.dialogs.export import ExportDialog

    shown = []
    monkeypatch.setattr(QMessageBox, "critical", lambda *a, **k: shown.append(a[2]))
    dialog = ExportDialog(project)
    qtbot.addWidget(dialog)
    (tmp_path / "blocked").write_text("a file where a folder is needed")
    for key, box in dialog.formats.items():
        box.setChecked(key == "csv")
    dialog.base.setText(str(tmp_path / "blocked" / "x"))
    dialog.export()
    qtbot.waitUntil(lambda: bool(shown), timeout=60000)
    assert shown and dialog.result() != dialog.Accepted
