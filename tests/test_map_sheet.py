"""The PNG/PDF map sheet (drawn by the canvas's painter) and the export dialog, offscreen."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import re  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import zlib  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PyQt5.QtGui import QImage  # noqa: E402
from test_exports import TITLE_ZH, make_export_project  # noqa: E402

import app.canvas.map_sheet as map_sheet  # noqa: E402
from app.canvas.map_sheet import SheetSpec, export_pdf, export_png, render_sheet_image  # noqa: E402
from layers.exports.common import layer_style  # noqa: E402


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
    # opaque strokes show their resolved colours (a 1.8 px antialiased line drawn straight on
    # the page straddles two pixel rows: its pixels are within 30 of the colour, not exact)
    for name in ("管线", "街道"):
        for stroke in layer_style(project, project.layer(name))[1].stroke:
            close = np.abs(rgb - np.asarray(stroke[:3], dtype=np.int16)).max(axis=1) <= 30
            assert close.sum() > 20, (name, stroke)


KANGXI_AND_RADICALS = range(0x2E80, 0x2FE0)  # look-alikes of the unified ideographs
LIGATURES = range(0xFB00, 0xFB07)


def poppler(tool: str, *args) -> str:
    assert shutil.which(tool), f"{tool} is missing: apt-get install poppler-utils"
    return subprocess.run([tool, *map(str, args)], capture_output=True, text=True,
                          check=True).stdout


@pytest.fixture
def zh_pdf(qapp, project, tmp_path):
    return export_pdf(project, tmp_path / "sheet.pdf",
                      SheetSpec(title=TITLE_ZH, paper="A3", landscape=True, lang="zh", dpi=100))


def test_pdf_text_extracts_as_written(zh_pdf):
    """pdftotext finds the characters that were drawn: 小 is U+5C0F (not the Kangxi radical
    ⼩ U+2F29), every digit of EPSG:4546 is there, no ligature stands for two letters."""
    text = poppler("pdftotext", zh_pdf, "-")
    assert TITLE_ZH in text
    assert "\u5c0f\u533a" in text  # 小区: the layer in the legend
    assert "EPSG:4546" in text and "CGCS2000" in text and "3-degree" in text
    assert "夷陵小区" in text  # a community's label on the map is text too
    assert "图例" in text and "坐标系" in text and "比例尺 1:" in text
    odd = sorted({f"U+{ord(c):04X}" for c in text
                  if ord(c) in KANGXI_AND_RADICALS or ord(c) in LIGATURES})
    assert not odd, odd


def test_pdf_embeds_every_font_it_names(zh_pdf):
    rows = poppler("pdffonts", zh_pdf).splitlines()[2:]
    assert rows, "the PDF has no fonts: the text was drawn as outlines"
    for row in rows:
        assert row.split()[-5] == "yes", row  # name type encoding emb sub uni object ID
    assert any("PrecinctSheetSansSC" in row for row in rows), rows  # the cleaned CJK copy


def test_pdf_map_is_vectors_not_a_picture(zh_pdf, project, tmp_path):
    """The only picture in the PDF is the project's raster (6 x 4 cells); the map's vector
    layers are paths, and the page renders with their colours."""
    listing = poppler("pdfimages", "-list", zh_pdf).splitlines()[2:]
    sizes = [(int(row.split()[3]), int(row.split()[4])) for row in listing
             if row.split()[2] == "image"]  # not its transparency mask ("smask")
    assert sizes == [(6, 4)], sizes
    content = pdf_content(zh_pdf)
    assert content.count(b" l\n") > 20 and b" re\n" in content  # path operators
    poppler("pdftoppm", "-png", "-r", "40", zh_pdf, tmp_path / "page")
    page = QImage(str(tmp_path / "page-1.png"))
    assert not page.isNull() and page.width() > page.height()
    packed = colours(page)
    rgb = np.stack([(packed >> 16) & 255, (packed >> 8) & 255, packed & 255], axis=1)
    for stroke in layer_style(project, project.layer("管线"))[1].stroke:  # pipes drawn
        close = np.abs(rgb.astype(int) - np.asarray(stroke[:3])).max(axis=1) <= 12
        assert close.sum() > 3, stroke


def pdf_content(path) -> bytes:
    """The page content streams of a PDF, inflated (Qt writes them with FlateDecode)."""
    data = path.read_bytes()
    out = []
    for start in re.finditer(rb"stream\r?\n", data):
        if data[start.start() - 3:start.start()] == b"end":
            continue
        end = data.find(b"endstream", start.end())
        try:
            out.append(zlib.decompress(data[start.end():end]))
        except zlib.error:
            continue
    return b"\n".join(out)


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


def test_sheet_font_copy_names_each_glyph_by_the_character_chinese_uses(tmp_path):
    """The cleaned copy against the system font itself: the same glyph for every code point
    it keeps; the Kangxi radical ⼩ and the em space that shadowed 小 and the ideographic
    space (Qt names a glyph by its lowest code point) are gone, so 小 names its glyph."""
    import doctest
    import io

    from fontTools.ttLib import TTFont

    from app.canvas import sheet_fonts

    assert doctest.testmod(sheet_fonts).failed == 0
    found = sheet_fonts._find_face("Regular")
    assert found is not None, "Noto Sans CJK SC is missing: apt-get install fonts-noto-cjk"
    path, index = found
    original = TTFont(str(path), fontNumber=index, lazy=True)
    before = {cp: original.getGlyphID(g) for cp, g in original["cmap"].getBestCmap().items()}
    copy = TTFont(io.BytesIO(sheet_fonts.build_face(path, index, "Regular")))
    after = {cp: copy.getGlyphID(g) for cp, g in copy["cmap"].getBestCmap().items()}
    assert before[0x2F29] == before[0x5C0F] and before[0x2003] == before[0x3000]  # the trap
    assert 0x2F29 not in after and 0x2003 not in after
    assert all(before[cp] == glyph for cp, glyph in after.items())  # nothing moved
    lowest: dict[int, int] = {}
    for cp in sorted(after):
        if cp < 0x10000:
            lowest.setdefault(after[cp], cp)
    for char in "小区示例雨水老片行　〈〉，":
        assert lowest[after[ord(char)]] == ord(char), char
    assert copy["name"].getDebugName(1) == sheet_fonts.SHEET_FAMILY
