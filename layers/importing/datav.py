"""GeoJSON in the shapes web maps hand out that GDAL does not take as a layer.

Older DataV.GeoAtlas downloads (and many scripts) write a bare JSON array of
features instead of a FeatureCollection; some tools write an array of bare
geometries, or mix the two. GDAL refuses such a file as "not recognized", and
ignores bare geometries inside a FeatureCollection. A single Feature or a single
Geometry GDAL reads as it is.

:func:`read_feature_array` wraps the array into a FeatureCollection in a temporary
file (each bare geometry becomes a feature without properties, a nested
FeatureCollection gives its features) and hands that file to the ordinary reader,
so properties, encodings and the rest of the import behave as for any GeoJSON.
A file too large to parse here is wrapped byte for byte instead.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from layers.errors import ProjectError, T
from layers.importing.access import read_head
from layers.importing.encoding import decode_text_file

GEOMETRY_TYPES = {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon",
                  "GeometryCollection"}
PARSE_LIMIT = 256 * 1024 * 1024  # bytes: larger arrays are wrapped without parsing
_BOM = b"\xef\xbb\xbf"
_HEAD = 4096


def is_feature_array(path: Path) -> bool:
    """Whether the file's JSON text starts with ``[`` (a bare array, not a FeatureCollection)."""
    head = read_head(path, _HEAD)
    return head.removeprefix(_BOM).lstrip(b" \t\r\n")[:1] == b"["


def read_feature_array(path: Path, read: Callable[[Path], Any], encoding: str = "auto") -> Any:
    """Read a bare array of GeoJSON features/geometries with ``read`` (the ordinary vector
    reader, given a UTF-8 FeatureCollection file); the :class:`~layers.importing.read.Source`
    it returns is given back the original path, the encoding used and notes.

    ``encoding``: "auto" (UTF-8, else GBK/GB18030) or a codec the text is decoded with."""
    codec = None
    with tempfile.TemporaryDirectory(prefix="precinct_array_") as tmp:
        wrapped = Path(tmp) / (path.stem + ".geojson")
        if path.stat().st_size <= PARSE_LIMIT:
            notes, codec = _write_parsed(path, wrapped, encoding)
        else:
            notes = _write_wrapped_bytes(path, wrapped)
        source = read(wrapped)
    source.path = path
    source.encoding = codec or source.encoding
    source.notes[:0] = notes
    return source


def _elements(data: list[Any]) -> tuple[list[dict], int, int]:
    """Features of the array; how many were bare geometries; how many were neither."""
    features: list[dict] = []
    bare = other = 0
    for item in data:
        kind = item.get("type") if isinstance(item, dict) else None
        if kind == "Feature":
            features.append(item)
        elif kind in GEOMETRY_TYPES:
            features.append({"type": "Feature", "properties": {}, "geometry": item})
            bare += 1
        elif kind == "FeatureCollection" and isinstance(item.get("features"), list):
            inner, inner_bare, inner_other = _elements(item["features"])
            features += inner
            bare, other = bare + inner_bare, other + inner_other
        else:
            other += 1
    return features, bare, other


def _decode(raw: bytes, encoding: str) -> tuple[str, str | None, list[T]]:
    """The text, the codec when not UTF-8, and what to tell."""
    if encoding == "auto":
        try:
            return raw.decode("utf-8-sig"), None, []
        except UnicodeDecodeError:
            pass
    text, codec = decode_text_file(raw, encoding)
    if codec.endswith("(lossy)"):
        return text, codec, [T("the file is neither UTF-8 nor GBK/GB18030; unreadable characters "
                               "replaced by �", "文件既非 UTF-8 也非 GBK/GB18030，无法识别的字符以 � 代替")]
    if codec == "utf-8":
        return text, None, []
    return text, codec, [T(f"the GeoJSON text was read as {codec} (GeoJSON should be UTF-8)",
                           f"GeoJSON 文本按 {codec} 读取（GeoJSON 应为 UTF-8）")]


def _write_parsed(path: Path, wrapped: Path, encoding: str) -> tuple[list[T], str | None]:
    text, codec, notes = _decode(path.read_bytes(), encoding)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProjectError(
            T(f"{path.name} is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})",
              f"{path.name} 不是有效的 JSON（第 {exc.lineno} 行第 {exc.colno} 列：{exc.msg}）"),
            str(path), T("the download may be cut off: download or export the file again",
                         "文件可能下载不完整：请重新下载或导出")) from None
    if not isinstance(data, list):  # pragma: no cover - is_feature_array saw "["
        data = [data]
    features, bare, other = _elements(data)
    if not features:
        raise ProjectError(
            T(f"{path.name} is a JSON array without GeoJSON features or geometries",
              f"{path.name} 是 JSON 数组，但其中没有 GeoJSON 要素或几何"), str(path),
            T("choose a GeoJSON file (a FeatureCollection, or an array of features as DataV gives)",
              "请选择 GeoJSON 文件（FeatureCollection，或 DataV 那样的要素数组）"))
    collection = {"type": "FeatureCollection", "features": features}
    wrapped.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    notes.insert(0, T(f"a bare JSON array of {len(data)} item(s) (as older DataV downloads are) read "
                      "as a FeatureCollection", f"文件为 JSON 数组（{len(data)} 项，旧版 DataV 下载即如此），"
                      "已按 FeatureCollection 读取"))
    if bare:
        notes.append(T(f"{bare} bare geometr{'y' if bare == 1 else 'ies'} in the array read as "
                       "features without attributes", f"数组中 {bare} 个裸几何已作为无属性要素读取"))
    if other:
        notes.append(T(f"{other} item(s) of the array are neither features nor geometries and were "
                       "left out", f"数组中 {other} 项既非要素也非几何，未导入"))
    return notes, codec


def _write_wrapped_bytes(path: Path, wrapped: Path) -> list[T]:
    """Wrap without parsing: ``{"type": "FeatureCollection", "features": <the array>}``."""
    with open(path, "rb") as src, open(wrapped, "wb") as out:
        first = src.read(len(_BOM))
        out.write(b'{"type": "FeatureCollection", "features": ')
        if first != _BOM:
            out.write(first)
        shutil.copyfileobj(src, out, 1 << 20)
        out.write(b"\n}")
    return [T("a bare JSON array read as a FeatureCollection (too large to check each item: bare "
              "geometries in it, if any, are not read)", "文件为 JSON 数组，已按 FeatureCollection 读取"
              "（文件过大，未逐项检查：其中的裸几何不会被读取）")]
