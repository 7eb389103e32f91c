"""Read a raster file for import, refusing what is not one in a sentence.

Garbage bytes, a damaged GeoTIFF, a header declaring a 60,000 × 60,000 image, a
text raster (VRT, ASCII grid) that is not text, a VRT pointing at a pipe or at the
network, a coordinate system that is not the Earth's: each is a
:class:`~layers.errors.ProjectError`, never a traceback or a wait without end.
"""

from __future__ import annotations

from pathlib import Path

from layers.errors import ProjectError, T
from layers.importing.access import check_source_file, os_error, read_head
from layers.importing.crs_check import check_crs
from layers.layer import RasterLayer

MAX_RASTER_BYTES = 1 << 30          # the image in memory: 1 GiB
TEXT_RASTERS = (".vrt", ".asc")
_TEXT_HEAD = 1 << 20
_NETWORK = ("/vsicurl", "/vsis3", "/vsigs", "/vsiaz", "/vsiadls", "/vsioss", "/vsiswift", "/vsihdfs",
            "/vsiwebhdfs", "http:", "https:", "ftp:")


def _cannot_read(path: Path, detail: str) -> ProjectError:
    detail = detail.strip().splitlines()[0][:200] if detail.strip() else ""
    return ProjectError(
        T("cannot read the raster file" + (f" ({detail})" if detail else ""),
          "无法读取栅格文件" + (f"（{detail}）" if detail else "")),
        str(path), T("check that it is a GeoTIFF or another GDAL raster, complete and undamaged; "
                     "export it again from the program that made it",
                     "请确认是完整无损的 GeoTIFF 或其他 GDAL 可读的栅格，或在原软件中重新导出"))


def _vrt_sources(path: Path, text: str) -> None:
    """Refuse a VRT whose sources are on the network or are not regular files."""
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise _cannot_read(path, f"not a VRT: {exc}") from None
    for node in root.iter("SourceFilename"):
        name = (node.text or "").strip()
        if name.lower().startswith(_NETWORK):
            raise ProjectError(
                T(f"the VRT {path.name} reads its data from the network ({name[:80]})",
                  f"VRT 文件 {path.name} 从网络读取数据（{name[:80]}）"),
                str(path), T("download the data and point the VRT at the local files",
                             "请先下载数据，再让 VRT 指向本地文件"))
        if name.startswith("/vsi"):
            continue  # inside an archive: GDAL reads it
        source = path.parent / name if node.get("relativeToVRT") == "1" else Path(name)
        if source.exists():
            check_source_file(source)


def _check_text(path: Path) -> None:
    head = read_head(path, _TEXT_HEAD)
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        if len(head) < _TEXT_HEAD:  # the whole file, and it is not text
            raise _cannot_read(path, f"a {path.suffix} raster is text, and this file is not") from None
        text = head.decode("utf-8", errors="ignore")  # cut inside a character
    if path.suffix.lower() == ".vrt" and len(head) < _TEXT_HEAD:
        _vrt_sources(path, text)


def _check_size(path: Path, src) -> None:
    import numpy as np

    size = src.count * src.width * src.height * max(np.dtype(d).itemsize for d in src.dtypes)
    if size > MAX_RASTER_BYTES:
        raise ProjectError(
            T(f"the raster is {src.width:,} × {src.height:,} cells × {src.count} band(s), "
              f"{size / 2**30:.1f} GiB in memory (limit {MAX_RASTER_BYTES / 2**30:.0f} GiB)",
              f"栅格为 {src.width:,} × {src.height:,} 像元 × {src.count} 个波段，"
              f"需内存 {size / 2**30:.1f} GiB（上限 {MAX_RASTER_BYTES / 2**30:.0f} GiB）"),
            str(path), T("clip it to the project area or reduce its resolution (e.g. QGIS: Clip raster "
                         "by extent, or gdal_translate -outsize) and import again",
                         "请将其裁剪到项目范围或降低分辨率（如 QGIS“按范围裁剪栅格”或 "
                         "gdal_translate -outsize）后重新导入"))


def read_raster(path: Path, name: str, kind: str) -> RasterLayer:
    """The raster at ``path`` as a layer (ProjectError when it cannot be one)."""
    import rasterio
    from pyproj import CRS

    check_source_file(path)
    if path.suffix.lower() in TEXT_RASTERS:
        _check_text(path)
    try:
        with rasterio.open(path) as src:
            _check_size(path, src)
            crs = CRS.from_wkt(src.crs.to_wkt()) if src.crs else None
            check_crs(crs, str(path))
            array = src.read()
            return RasterLayer(name, kind, array, src.transform, crs.to_wkt() if crs else None, src.nodata)
    except ProjectError:
        raise
    except rasterio.errors.RasterioError as exc:
        raise _cannot_read(path, str(exc)) from exc
    except MemoryError as exc:
        raise _cannot_read(path, "not enough memory") from exc
    except OSError as exc:
        raise os_error(path, exc) from exc
    except Exception as exc:  # GDAL through rasterio raises many kinds on a foreign file
        raise _cannot_read(path, str(exc) or type(exc).__name__) from exc
