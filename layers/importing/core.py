"""Import a file into a project as ONE undoable command, with a report of what changed.

Everything that can refuse (reading, geometry checks, coordinates, field mapping)
runs before the project is touched; the change itself is a single
:class:`~layers.commands.AddLayer` (new layer) or
:class:`~layers.commands.AddFeatures` (into an existing layer of the same kind).
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from layers.commands import AddFeatures, AddLayer, Command, MacroCommand, SetProjectCRS
from layers.errors import ProjectError, T
from layers.importing.admin_codes import fill_levels
from layers.importing.georef import Georef, resolve
from layers.importing.mapping import auto_map, convert_column
from layers.importing.rasters import import_raster, is_raster_source
from layers.importing.read import Source, read_source
from layers.importing.repair import Repair, check_geometries, repair_geometries, total_bounds
from layers.importing.street_import import streets_step
from layers.kinds import RASTER_KINDS, schema_for
from layers.layer import VectorLayer
from layers.store.limits import fit_columns

MAX_TEXT = 10_000
EPANET_FIELDS = {"roughness", "minor_loss", "start_node_name", "end_node_name", "check_valve"}


@dataclass
class ImportReport:
    """What an import did: counts, mapping, CRS, suggestions, repairs, remaining issues."""

    source: str
    kind: str
    layer_name: str
    format: str = ""
    source_layer: str | None = None
    mode: str = "new_layer"                     # or "append"
    read_count: int = 0
    imported_count: int = 0
    mapping: dict[str, str] = field(default_factory=dict)
    value_maps: dict[str, dict[str, str]] = field(default_factory=dict)
    unmapped: list[str] = field(default_factory=list)
    encoding: str | None = None
    crs_declared: str | None = None
    crs_used: str = ""
    crs_project: str = ""
    offset_removed: str | None = None
    crs_assumed: bool = False
    suggestions: list[T] = field(default_factory=list)
    #: the data may be misplaced (off a same-kind layer, outside its CRS's area): said first
    warnings: list[T] = field(default_factory=list)
    #: what the existing layers say about a GCJ-02/BD-09 offset (see offset_evidence)
    offset_evidence: dict[str, Any] | None = None
    notes: list[T] = field(default_factory=list)
    repairs: list[Repair] = field(default_factory=list)
    issues: list[str] = field(default_factory=list)
    issue_count: int = 0
    command: Command | None = None
    #: streets: lines left out as not walkable (by reason), the class mapping, levels, network
    walkable: dict[str, Any] = field(default_factory=dict)

    @property
    def dropped_count(self) -> int:
        return sum(1 for r in self.repairs if r.action.startswith("dropped_") and r.action != "dropped_z")

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source, "format": self.format, "source_layer": self.source_layer,
            "kind": self.kind, "layer": self.layer_name, "mode": self.mode,
            "read": self.read_count, "imported": self.imported_count, "dropped": self.dropped_count,
            "mapping": self.mapping, "value_maps": self.value_maps, "unmapped": self.unmapped,
            "encoding": self.encoding, "crs_declared": self.crs_declared, "crs_used": self.crs_used,
            "crs_assumed": self.crs_assumed, "crs_project": self.crs_project,
            "offset_removed": self.offset_removed,
            "suggestions": [{"en": s.en, "zh": s.zh} for s in self.suggestions],
            "warnings": [{"en": s.en, "zh": s.zh} for s in self.warnings],
            "offset_evidence": self.offset_evidence,
            "notes": [{"en": s.en, "zh": s.zh} for s in self.notes],
            "repairs": [r.to_dict() for r in self.repairs],
            "issue_count": self.issue_count, "issues": self.issues,
            **({"walkable": self.walkable} if self.walkable else {}),
        }

    def lines(self, lang: str | None = None, max_repairs: int = 20) -> list[str]:
        """The report as text lines for a person."""
        t = lambda en, zh: T(en, zh)(lang)  # noqa: E731
        out = [t(f"Imported {self.imported_count} of {self.read_count} features from {self.source} "
                 f"into '{self.layer_name}' ({self.kind})",
                 f"已从 {self.source} 导入 {self.read_count} 个要素中的 {self.imported_count} 个到图层"
                 f"“{self.layer_name}”（{schema_for(self.kind).label('zh')}）")]
        crs_line = f"CRS: {self.crs_used}" + (t(" (assumed)", "（推定）") if self.crs_assumed else "")
        if self.offset_removed:
            crs_line += t(f", {self.offset_removed} offset removed", f"，已去除 {self.offset_removed} 偏移")
        out.append(crs_line + f" → {self.crs_project}")
        for w in self.warnings:
            out.append(t("Warning: ", "警告：") + w(lang))
        if self.encoding:
            out.append(t(f"Encoding: {self.encoding}", f"编码：{self.encoding}"))
        if self.mapping:
            out.append(t("Fields: ", "字段：") + ", ".join(f"{k} → {v}" for k, v in self.mapping.items()))
        for s in self.suggestions:
            out.append(t("Suggestion: ", "建议：") + s(lang))
        for n in self.notes:
            out.append("· " + n(lang))
        if self.repairs:
            out.append(t(f"{len(self.repairs)} repair(s):", f"几何修复 {len(self.repairs)} 处："))
            for r in self.repairs[:max_repairs]:
                out.append(t(f"  row {r.row}: ", f"  第 {r.row} 行：") + r.detail(lang))
            if len(self.repairs) > max_repairs:
                more = len(self.repairs) - max_repairs
                out.append(t(f"  … {more} more", f"  …… 另有 {more} 处"))
        if self.issue_count:
            out.append(t(f"{self.issue_count} value(s) to check in the attribute table",
                         f"属性表中有 {self.issue_count} 处取值需核对"))
        return out


def _where(source: Source) -> str:
    return str(source.path) + (f" (layer {source.layer})" if source.layer else "")


def _check_mapping(mapping: dict[str, str], source: Source, kind: str) -> dict[str, str]:
    schema = schema_for(kind)
    clean = {str(k): str(v) for k, v in mapping.items() if v}
    for src, dst in clean.items():
        if src not in source.columns:
            raise ProjectError(T(f"the source has no field {src!r}", f"源数据中没有字段 {src!r}"),
                               _where(source), T(f"map one of: {', '.join(source.columns[:15])}",
                                                 f"请选择：{'、'.join(source.columns[:15])}"))
        if not schema.has_field(dst):
            raise ProjectError(T(f"a {kind} layer has no field {dst!r}",
                                 f"{schema.label('zh')}图层没有字段 {dst!r}"),
                               _where(source), T(f"map onto one of: {', '.join(schema.field_names)}",
                                                 f"请对应到：{'、'.join(schema.field_names)}"))
    targets = list(clean.values())
    dupes = sorted({d for d in targets if targets.count(d) > 1})
    if dupes:
        raise ProjectError(T(f"several source fields are mapped onto {', '.join(dupes)}",
                             f"多个源字段对应到了同一字段 {'、'.join(dupes)}"), _where(source),
                           T("map each schema field from one source field", "每个规范字段只能对应一个源字段"))
    return clean


def _safe_column(name: str, taken: set[str]) -> str:
    base = re.sub(r"\s+", "_", str(name)).strip() or "field"
    if base.lower() in ("fid", "geometry", "_row"):
        base = f"{base}_src"
    out, n = base, 2
    while out in taken:
        out, n = f"{base}_{n}", n + 1
    return out


def _extra_column(series: pd.Series) -> pd.Series:
    if series.dtype == object:
        def scalar(v: Any) -> Any:
            if isinstance(v, (dict, list, tuple, np.ndarray)):
                return json.dumps(v.tolist() if isinstance(v, np.ndarray) else v, ensure_ascii=False,
                                  default=str)
            return v
        return series.map(scalar)
    return series


_TEXT = pd.StringDtype(na_value=np.nan)  # pandas' own "str" (Arrow-backed with pyarrow)


def _values(values: Any) -> Any:
    """A column's values without its index. Text of pandas' "str" dtype stays as it is (it
    would come back to that dtype anyway, after a round trip through Python strings)."""
    if isinstance(values, pd.Series):
        return values.array if values.dtype == _TEXT else values.to_numpy()
    return values


def build_attributes(frame: gpd.GeoDataFrame, source: Source, kind: str, mapping: dict[str, str],
                     keep_extra: bool, project, report: ImportReport,
                     defaults: dict[str, Any] | None) -> gpd.GeoDataFrame:
    """The features with schema fields filled from the mapping (plus, for a new layer, the rest)."""
    schema = schema_for(kind)
    data: dict[str, Any] = {}
    allowed = project.allowed_values

    def table_for(f):
        return project.standards().table(f.choices_from) if f.choices_from else None

    for src, dst in mapping.items():
        values, used = convert_column(frame[src], schema.field(dst), src, allowed, table_for, report.notes)
        data[dst] = _values(values)
        if used:
            report.value_maps[dst] = dict(list(used.items())[:50])
    for name, value in (defaults or {}).items():
        if schema.has_field(name) and name not in data:
            data[name] = [value] * len(frame)
            report.notes.append(T(f"'{name}' set to {value!r} for every feature",
                                  f"所有要素的“{schema.field(name).label_zh}”设为 {value!r}"))
    if kind == "pipelines" and "utility" not in data:
        value = "water" if len(EPANET_FIELDS & set(source.columns)) >= 3 else "unknown"
        data["utility"] = [value] * len(frame)
        why = (T("fields look like an EPANET water network (roughness, node names)",
                 "字段为 EPANET 给水管网格式（粗糙系数、节点名）") if value == "water"
               else T("no source field gives the utility class", "没有源字段给出管线类别"))
        report.notes.append(T(f"utility set to '{value}': {why.en}", f"管线类别设为“{value}”：{why.zh}"))
    if kind == "admin":  # a level the file does not give, from the division code
        fill_levels(data, len(frame), report.notes)
    for f in schema.fields:
        if f.required and f.name not in data:
            report.notes.append(T(f"required field '{f.name}' is not mapped; fill it in the attribute table",
                                  f"必填字段“{f.label_zh}”未对应源字段，请在属性表中填写"))
    filled = set(data)
    empty: dict[str, Any] = {}  # one typed empty column per dtype, copied (cheap) for each field
    for f in schema.fields:  # typed empty columns: the layer then has nothing left to convert
        if f.name not in data:
            if f.dtype not in empty:
                empty[f.dtype] = pd.Series(index=range(len(frame)), dtype=f.dtype).array
            data[f.name] = empty[f.dtype].copy()
    data = {f.name: data[f.name] for f in schema.fields}  # the layer's order: nothing to reorder
    taken = set(data)
    if keep_extra:
        for col in source.columns:
            if col in mapping or col not in frame.columns:
                continue
            name = _safe_column(col, taken | set(schema.field_names))
            taken.add(name)
            data[name] = _values(_extra_column(frame[col]))
            filled.add(name)
    else:
        report.unmapped = [c for c in source.columns if c not in mapping]
    _cap_text(data, filled, report, frame["_row"].to_numpy() if "_row" in frame.columns else None)
    return gpd.GeoDataFrame(data, geometry=frame.geometry.values, crs=frame.crs)


def _cap_text(data: dict[str, Any], names: set[str], report: ImportReport,
              source_rows: np.ndarray | None) -> None:
    """Cut attribute text longer than MAX_TEXT characters (tables and exports choke on it)."""
    for name in names:
        values = data[name]
        if isinstance(getattr(values, "dtype", None), pd.StringDtype):  # text, measured in one pass
            series = pd.Series(values, copy=False)
            long = series.str.len().to_numpy(dtype=float, na_value=0) > MAX_TEXT
            if long.any():
                data[name] = series.where(~long, series.str.slice(0, MAX_TEXT)).array
        else:
            arr = values if isinstance(values, np.ndarray) else np.asarray(values, dtype=object)
            if arr.dtype != object or not len(arr):
                continue
            try:  # the common case, all text: one pass in C
                if max(map(len, arr)) <= MAX_TEXT:
                    continue
            except TypeError:  # missing values (or dates, numbers) among the text
                pass
            long = np.fromiter((isinstance(v, str) and len(v) > MAX_TEXT for v in arr), dtype=bool,
                               count=len(arr))
            if long.any():
                arr = arr.copy()
                arr[long] = [v[:MAX_TEXT] for v in arr[long]]
                data[name] = arr
        if long.any():
            where = np.flatnonzero(long)
            rows = (source_rows[where] if source_rows is not None else where + 1).tolist()
            report.notes.append(T(f"'{name}': text longer than {MAX_TEXT} characters cut in "
                                  f"{len(rows)} feature(s) (rows {rows[:5]})",
                                  f"“{name}”：{len(rows)} 个要素的文字超过 {MAX_TEXT} 字已截断"
                                  f"（第 {rows[:5]} 行）"))


def prepare_import(project, source: Source, kind: str, layer_name: str | None = None,
                   mapping: dict[str, str] | None = None, coords: str = "auto",
                   defaults: dict[str, Any] | None = None) -> ImportReport:
    """Check and convert everything; return the report holding the (not yet applied) command."""
    schema = schema_for(kind)
    if schema.is_raster:
        raise ProjectError(T(f"{kind} is a raster kind; this file is vector data",
                             f"{schema.label('zh')}为栅格类型，而该文件为矢量数据"), _where(source),
                           T("choose a vector kind", "请选择矢量图层类型"))
    existing = None
    if layer_name and layer_name in project.names():
        existing = project.layer(layer_name)
        if not isinstance(existing, VectorLayer) or existing.kind != kind:
            raise ProjectError(
                T(f"layer '{layer_name}' is a {existing.kind} layer, not {kind}",
                  f"图层“{layer_name}”的类型为 {existing.kind}，不是 {kind}"), _where(source),
                T("choose another layer name (a new layer is made) or the matching kind",
                  "请换一个图层名（将新建图层）或选择相符的类型"))
    name = layer_name or project.unique_name(source.path.stem)
    report = ImportReport(source.name, kind, name, source.format, source.layer,
                          "append" if existing is not None else "new_layer", len(source.frame),
                          encoding=source.encoding, notes=list(source.notes))
    if not len(source.frame):
        raise ProjectError(T(f"{source.name} has no features", f"{source.name} 中没有要素"), _where(source),
                           T("check that you chose the right file and layer", "请确认选择了正确的文件和图层"))
    checks = source.geometry_checks  # made while reading (Arrow), else here
    if checks is None or not checks.applies_to(np.asarray(source.frame.geometry.values, dtype=object)):
        checks = check_geometries(np.asarray(source.frame.geometry.values, dtype=object))
    streets = streets_step(kind, source.frame, project, _where(source))  # walkable lines only
    frame, report.repairs = repair_geometries(source.frame, schema.geometry, kind, _where(source), checks)
    if streets is not None:
        frame, report.repairs = streets.keep(frame, report.repairs)
    target, zone = _placed(project, frame, source, coords)
    named = source.columns + list(source.coordinate_columns or ())  # gcj_lng … hint at an offset
    frame, geo = resolve(frame, source.declared_crs, coords, target, named, source.name,
                         _where(source), bounds=total_bounds(frame, checks, report.repairs), kind=kind)
    _fill_georef(report, geo, project)
    used = _check_mapping(mapping if mapping is not None else auto_map(source.columns, kind), source, kind)
    report.mapping = used
    rows = build_attributes(frame, source, kind, used, existing is None, project, report, defaults)
    rows = fit_columns(rows, _where(source), report.notes)  # names and count the project file can hold
    if streets is not None:
        rows = streets.finish(rows, frame, report)
    report.imported_count = len(rows)
    # geometries were checked and repaired above: validate the attributes only
    attributes_only = dataclasses.replace(schema, geometry=None, fields=tuple(
        f for f in schema.fields if f.required or f.name in used.values()))
    if existing is None:
        layer = VectorLayer(name, kind, rows)
        issues = attributes_only.validate(layer.gdf, name, allowed=project.allowed_values)
        report.command = AddLayer(layer)
        if zone is not None:  # the project's first data chose its CRS: one undo takes both back
            report.command = MacroCommand(report.command.text, [SetProjectCRS(zone), AddLayer(layer)])
            report.notes.append(T(f"project CRS set to {zone} (CGCS2000 3-degree zone of the data)",
                                  f"项目坐标系已按数据所在的 CGCS2000 3 度带设为 {zone}"))
    else:
        report.command = AddFeatures(existing.id, rows)
        issues = attributes_only.validate(schema.coerce(rows), name, allowed=project.allowed_values)
    if streets is not None:  # the walking network of what is imported: islands, dead ends
        streets.network(layer if existing is None else rows, report)
    report.issue_count = len(issues)
    report.issues = [i.message() for i in issues[:10]]
    return report


def _placed(project, frame, source: Source, coords: str):
    """The project to place the data in, and the zone when the project takes its CRS from
    this, its first data (File → New or ``precinct new`` with the CRS left to the data)."""
    if len(project) or not project.metadata.get("crs_auto"):
        return project, None
    from layers.crs_zones import zone_of_first_data
    from layers.project import Project

    zone = zone_of_first_data(frame, source.declared_crs, coords)
    if zone is None:
        return project, None
    return Project(crs=zone), zone


def _fill_georef(report: ImportReport, geo: Georef, project) -> None:
    from layers.importing.georef import crs_label

    report.crs_declared, report.crs_used = geo.declared, geo.used
    report.crs_assumed, report.offset_removed = geo.assumed, geo.offset
    report.crs_project = crs_label(project.crs) or ""
    report.notes += geo.notes
    report.warnings += geo.warnings
    report.offset_evidence = geo.evidence
    if geo.suggestion:
        label = {"gcj02": "GCJ-02 (Amap, Tencent, DataV)", "bd09": "BD-09 (Baidu)"}[geo.suggestion]
        report.suggestions.append(T(
            f"the data looks like {label} output: if so, import with coords={geo.suggestion} "
            "(not applied; the offset is a few hundred metres)",
            f"数据疑似来自{ {'gcj02': '高德/腾讯/DataV（GCJ-02）', 'bd09': '百度（BD-09）'}[geo.suggestion] }："
            f"如是，请以 coords={geo.suggestion} 导入（未自动转换；偏移约数百米）"))


def _import_raster(project, path: Path, kind: str, layer_name: str | None,
                   table: str | None = None) -> ImportReport:
    """A raster, or a tile source as a basemap, below the vector layers (:mod:`.rasters`)."""
    return import_raster(project, path, kind, layer_name, table)


def import_layer(project, path: str | Path, kind: str, layer_name: str | None = None,
                 mapping: dict[str, str] | None = None, encoding: str = "auto", coords: str = "auto",
                 defaults: dict[str, Any] | None = None, source: Source | None = None,
                 source_layer: str | None = None) -> ImportReport:
    """Import ``path`` as a layer of ``kind``; one undo removes it again.

    Parameters
    ----------
    layer_name : a new layer (default: the file's name), or an existing layer of the same
        kind to append to.
    mapping : ``{source_field: schema_field}``; default :func:`auto_map`.
    coords : ``auto`` | ``wgs84`` | ``gcj02`` | ``bd09`` | ``EPSG:n`` (see :mod:`.georef`).
    defaults : values for schema fields no source field gives (e.g. ``{"utility": "water"}``).
    source : an already read :class:`Source` (the dialog reads once for its preview).

    Examples
    --------
    >>> import json, tempfile
    >>> from layers.project import Project
    >>> square = [[111.29, 30.70], [111.30, 30.70], [111.30, 30.71], [111.29, 30.71], [111.29, 30.70]]
    >>> feature = {"type": "Feature", "properties": {"name": "西陵区"},
    ...            "geometry": {"type": "Polygon", "coordinates": [square]}}
    >>> path = Path(tempfile.mkdtemp()) / "districts.geojson"
    >>> _ = path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    >>> project = Project()
    >>> report = import_layer(project, path, "admin", coords="gcj02")
    >>> project.names()
    ['districts']
    >>> project.undo.undo()  # the layer is gone again
    >>> project.names()
    []
    """
    path = Path(path)
    if source is None and (is_raster_source(path) or kind in RASTER_KINDS):
        return _import_raster(project, path, kind, layer_name, source_layer)
    if source is None:
        source = read_source(path, layer=source_layer, encoding=encoding, kind=kind)
    report = prepare_import(project, source, kind, layer_name, mapping, coords, defaults)
    assert report.command is not None
    project.apply(report.command)
    return report
