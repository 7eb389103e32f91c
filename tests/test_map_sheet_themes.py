"""The map sheet decides paper and orientation from what it shows, never cuts its legend
short (it takes more columns), and draws the chosen map theme with the theme as subtitle
and its classes in the legend (checked in the PDF's text with pdftotext)."""

from __future__ import annotations

import os
import shutil
import subprocess

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import geopandas as gpd  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import shapely  # noqa: E402

from app.canvas.map_sheet import SheetSpec, _Sheet, render_sheet_image, resolve_spec  # noqa: E402
from conftest import X0, Y0  # noqa: E402
from layers.layer import VectorLayer  # noqa: E402
from layers.project import Project  # noqa: E402


def _boxes(width_m: float, height_m: float, n: int = 4) -> Project:
    p = Project(metadata={"title": "sheet"})
    xs = np.linspace(X0, X0 + width_m - 50, n)
    ys = np.linspace(Y0, Y0 + height_m - 50, n)
    geoms = [shapely.box(x, y, x + 50, y + 50) for x, y in zip(xs, ys)]
    gdf = gpd.GeoDataFrame({"name": [f"c{i}" for i in range(n)]}, geometry=geoms, crs="EPSG:4546")
    gdf.index = pd.Index(np.arange(1, n + 1, dtype=np.int64), name="fid")
    p.add_layer(VectorLayer("communities", "communities", gdf))
    return p


@pytest.mark.parametrize("size, paper, landscape", [((3000, 1500), "A4", True), ((1500, 3000), "A4", False),
                                                    ((9000, 5000), "A3", True)])
def test_paper_and_orientation_from_the_extent(size, paper, landscape, qapp):
    spec = resolve_spec(_boxes(*size), SheetSpec(paper="auto", landscape=None))
    assert (spec.paper, spec.landscape) == (paper, landscape)
    kept = resolve_spec(_boxes(*size), SheetSpec(paper="A4", landscape=False))
    assert (kept.paper, kept.landscape) == ("A4", False)  # a choice the user made stays


def test_a_long_legend_takes_more_columns_and_loses_nothing(qapp):  # a QApplication, not a bare GUI app
    p = _boxes(3000, 2000, n=60)
    layer = p.layer("communities")
    cats = [{"value": f"c{i}", "fill": f"#{(i * 37) % 256:02x}8040", "label_en": f"class {i}",
             "label_zh": f"类别{i}"} for i in range(60)]
    layer.style = {"type": "categorised", "field": "name", "categories": cats}
    spec = resolve_spec(p, SheetSpec(paper="A4", landscape=True, lang="zh", dpi=60))
    sheet = _Sheet(p, spec, 60.0)
    _t, map_rect, legend, _f = sheet.frames()
    assert sheet.legend_columns(210 - 20 - 16 - 22) >= 2
    image = render_sheet_image(p, spec)
    assert image.width() > 0
    from PyQt5.QtGui import QImage, QPainter

    canvas = QImage(image.size(), QImage.Format_ARGB32_Premultiplied)
    painter = QPainter(canvas)
    sheet.draw(painter)
    painter.end()
    assert sheet.legend_rows_drawn == 60  # every class, none dropped for lack of room
    assert map_rect.right() < legend.left()


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is installed by .ci/run")
def test_themed_sheet_in_zh_names_the_theme_and_its_classes(tmp_path, qapp):
    from app.cli.main import main
    from layers.resources import sample_project_path

    project = tmp_path / "sample.gpkg"
    shutil.copy(sample_project_path(), project)
    assert main(["coverage", str(project), "--save", "--lang", "zh"]) == 0
    pdf = tmp_path / "sheet.pdf"
    assert main(["export", str(project), "--pdf", str(pdf), "--theme", "elder_care_coverage",
                 "--lang", "zh"]) == 0
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "养老服务覆盖" in text  # the subtitle
    assert "5分钟生活圈" in text and "超出15分钟" in text  # the theme's classes in the legend
    assert "服务范围（步行可达）" in text  # the rings, under their layer name


def test_grid_and_inset_are_options(qapp):
    from PyQt5.QtGui import QImage, QPainter

    p = _boxes(3000, 2000, n=12)
    spec = resolve_spec(p, SheetSpec(paper="A4", landscape=True, lang="zh", dpi=60, grid=True, inset=True))
    sheet = _Sheet(p, spec, 60.0)
    w, h = spec.page_mm()
    image = QImage(int(w * 60 / 25.4), int(h * 60 / 25.4), QImage.Format_ARGB32_Premultiplied)
    painter = QPainter(image)
    sheet.draw(painter)
    painter.end()
    assert sheet.grid_lines >= 6  # about five each way over a 3 km × 2 km map
    assert sheet.map_rect.contains(sheet.inset_rect)
    plain = _Sheet(p, resolve_spec(p, SheetSpec(paper="A4", landscape=True, lang="zh", dpi=60)), 60.0)
    painter = QPainter(image)
    plain.draw(painter)
    painter.end()
    assert not hasattr(plain, "grid_lines") and not hasattr(plain, "inset_rect")  # off by default


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is installed by .ci/run")
def test_charts_page_in_the_pdf(tmp_path, qapp):
    """issue 16.5: the charts as a page of the PDF — text, not pictures, and from the data."""
    from app.cli.main import main
    from layers.exports.chart_data import coverage_chart
    from layers.resources import sample_project_path
    from layers.store import open_project

    project = tmp_path / "sample.gpkg"
    shutil.copy(sample_project_path(), project)
    assert main(["coverage", str(project), "--save", "--lang", "zh"]) == 0
    pdf = tmp_path / "report.pdf"
    assert main(["export", str(project), "--pdf", str(pdf), "--charts", "--lang", "zh"]) == 0
    page2 = subprocess.run(["pdftotext", "-f", "2", "-l", "2", str(pdf), "-"], capture_output=True,
                           text=True, check=True).stdout
    assert "统计图" in page2 and "最近设施步行可达的居民占比" in page2 and "按大类的改造费用" in page2
    title, rows, _series, _marks = coverage_chart(open_project(project), "zh")
    first_service, values = rows[0]
    assert first_service in page2 and f"{values['15min']:,.0f}" in page2  # the numbers drawn are the data's
    images = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True).stdout
    assert len(images.strip().splitlines()) <= 3  # header lines and at most the project's own raster
