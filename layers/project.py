"""The project: ordered layers in one projected CRS, metadata, settings, undo.

A project is GUI-free. The Qt shell listens to ``project.events`` and to each
layer's events; storage lives behind :mod:`layers.store`.
"""

from __future__ import annotations

import datetime as _dt
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pyproj import CRS

from layers import __version__
from layers.errors import ProjectError, T
from layers.events import Emitter
from layers.layer import Layer, RasterLayer, TableLayer, VectorLayer
from layers.selection import Selection
from layers.undo import UndoStack

if TYPE_CHECKING:  # pragma: no cover
    from layers.store.guard import FileStamp

DEFAULT_CRS = "EPSG:4546"  # CGCS2000 / 3-degree Gauss-Kruger CM 111E (Yichang)


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


class Project:
    """Layers (bottom → top), CRS, metadata, per-project settings and the undo stack."""

    def __init__(self, crs: Any = DEFAULT_CRS, metadata: dict | None = None,
                 settings: dict | None = None) -> None:
        self.events = Emitter()
        self.crs = _projected_crs(crs)
        self.metadata: dict[str, Any] = {
            "title": "",
            "created": _now(),
            "app_version": __version__,
        }
        self.metadata.update(metadata or {})
        self.settings: dict[str, Any] = {"standards_overrides": {}}
        self.settings.update(settings or {})
        _migrate_overrides(self.settings)
        self._layers: list[Layer] = []
        self.undo = UndoStack(self)
        self.selection = Selection()
        self.path: Path | None = None
        #: the version of ``path`` on disk when opened or last saved (None: not known);
        #: a save refuses to overwrite a different version unless told to
        self.file_stamp: FileStamp | None = None
        #: names this project's own recovery file while it has never been saved
        self.recovery_id: str = uuid.uuid4().hex[:16]
        #: named snapshots kept in the project (:mod:`layers.schemes`), oldest first
        self.schemes: list = []
        self._standards = None

    # --- layers ------------------------------------------------------------------
    @property
    def layers(self) -> list[Layer]:
        """Layers in drawing order, bottom first (a copy: use the methods to change it)."""
        return list(self._layers)

    def __iter__(self) -> Iterator[Layer]:
        return iter(list(self._layers))

    def __len__(self) -> int:
        return len(self._layers)

    def names(self) -> list[str]:
        return [layer.name for layer in self._layers]

    def layer(self, name: str) -> Layer:
        for layer in self._layers:
            if layer.name == name:
                return layer
        raise ProjectError(
            T(f"there is no layer called {name!r}", f"没有名为 {name!r} 的图层"),
            f"project {self.metadata.get('title') or ''}".strip(),
            T(f"use one of: {', '.join(self.names()) or '(none)'}",
              f"可用图层：{'、'.join(self.names()) or '（无）'}"),
        )

    def layer_by_id(self, layer_id: str) -> Layer:
        for layer in self._layers:
            if layer.id == layer_id:
                return layer
        raise KeyError(layer_id)

    def layers_of_kind(self, kind: str) -> list[Layer]:
        return [layer for layer in self._layers if layer.kind == kind]

    def index_of(self, name: str) -> int:
        return self._layers.index(self.layer(name))

    def unique_name(self, base: str) -> str:
        names = set(self.names())
        if base not in names:
            return base
        n = 2
        while f"{base} ({n})" in names:
            n += 1
        return f"{base} ({n})"

    def add_layer(self, layer: Layer, index: int | None = None) -> Layer:
        """Add a layer (on top by default). Vector data in another CRS is reprojected."""
        if layer.name in self.names():
            raise ProjectError(
                T(f"a layer called {layer.name!r} exists already",
                  f"已存在名为 {layer.name!r} 的图层"),
                "project", T("rename one of the two layers", "请为其中一个图层改名"))
        if isinstance(layer, TableLayer):
            pass  # no geometry, no CRS
        elif isinstance(layer, VectorLayer):
            crs = layer.crs
            if crs is None:
                raise ProjectError(
                    T("the layer has no coordinate reference system", "图层没有坐标参考系"),
                    f"layer '{layer.name}'",
                    T("declare its CRS (e.g. EPSG:4490 or EPSG:4546) when importing",
                      "导入时请声明其坐标系（如 EPSG:4490 或 EPSG:4546）"))
            if not CRS.from_user_input(crs).equals(self.crs):
                layer._replace_data(layer.gdf.to_crs(self.crs))
        elif isinstance(layer, RasterLayer):
            if layer.crs is None:
                raise ProjectError(
                    T("the raster has no coordinate reference system", "栅格没有坐标参考系"),
                    f"layer '{layer.name}'",
                    T("georeference it (e.g. a .tfw/.prj or GDAL's gdal_edit) first",
                      "请先为其设置地理参考"))
            if not layer.crs.equals(self.crs):
                layer = layer.reprojected(self.crs)
        elif layer.layer_type == "tiles":  # a basemap draws its tiles in the project's CRS
            layer.set_crs(self.crs)
        pos = len(self._layers) if index is None else max(0, min(index, len(self._layers)))
        self._layers.insert(pos, layer)
        layer.events.connect(self._on_layer_event)
        self.events.emit("layer_added", self, layer=layer, index=pos)
        return layer

    def remove_layer(self, name: str) -> Layer:
        layer = self.layer(name)
        index = self._layers.index(layer)
        self._layers.remove(layer)
        layer.events.disconnect(self._on_layer_event)
        self.selection.clear(layer.id)
        self.events.emit("layer_removed", self, layer=layer, index=index)
        return layer

    def move_layer(self, name: str, index: int) -> None:
        layer = self.layer(name)
        old = self._layers.index(layer)
        self._layers.remove(layer)
        new = max(0, min(index, len(self._layers)))
        self._layers.insert(new, layer)
        if new != old:
            self.events.emit("layer_moved", self, layer=layer, old=old, new=new)

    def _on_layer_event(self, event) -> None:
        if event.type == "data" and event.source.layer_type != "raster":
            self.selection.prune(event.source)
        self.events.emit("layer_changed", self, layer=event.source, change=event.type)

    def set_crs(self, crs: Any) -> None:
        """Change the CRS of a project that holds no layer yet (a projected CRS only)."""
        if self._layers:
            raise ProjectError(
                T("the CRS of a project with layers cannot change", "已有图层的项目不能更改坐标系"),
                "project CRS",
                T("start a new project in the wanted CRS and import the layers into it",
                  "请以所需坐标系新建项目，再导入图层"))
        self.crs = _projected_crs(crs)
        self.events.emit("crs", self)

    # --- editing -----------------------------------------------------------------
    def apply(self, command):
        """Apply a command through the undo stack (the one way to change features)."""
        return self.undo.push(command)

    # --- metadata, settings, standards ---------------------------------------------
    def set_metadata(self, **values: Any) -> None:
        self.metadata.update(values)
        self.events.emit("metadata", self, keys=list(values))

    def set_standards_overrides(self, overrides: dict) -> None:
        """Replace the per-project overrides of the standards tables (checked first)."""
        from layers.standards import load_standards

        load_standards().with_overrides(overrides)  # raises a clear StandardsError if bad
        self.settings["standards_overrides"] = overrides
        self._standards = None
        self.events.emit("settings", self, key="standards_overrides")

    def replace_settings(self, settings: dict, key: str = "settings") -> None:
        """Swap in a whole new settings dict (undoable settings commands use this)."""
        from layers.standards import load_standards

        load_standards().with_overrides(settings.get("standards_overrides") or {},
                                        settings.get("standards_override_sources") or {})
        self.settings = settings
        self._standards = None
        self.events.emit("settings", self, key=key)

    def standards(self):
        """The standards tables with this project's overrides applied."""
        if self._standards is None:
            from layers.standards import load_standards

            self._standards = load_standards().with_overrides(
                self.settings.get("standards_overrides") or {},
                self.settings.get("standards_override_sources") or {})
        return self._standards

    def allowed_values(self, field) -> list[str] | None:
        """Allowed keys of a ``choices_from`` field, from the standards tables."""
        if not field.choices_from:
            return None
        table = self.standards().table(field.choices_from)
        return [str(k) for k in table["key"]]

    def validate(self) -> list:
        issues = []
        for layer in self._layers:
            if isinstance(layer, VectorLayer):
                issues += layer.validate(allowed=self.allowed_values)
        return issues

    @property
    def is_synthetic(self) -> bool:
        return bool(self.metadata.get("synthetic"))


def _projected_crs(value: Any) -> CRS:
    try:
        crs = CRS.from_user_input(value)
    except Exception as exc:  # pyproj raises CRSError with a technical text
        raise ProjectError(
            T(f"{value!r} is not a coordinate reference system", f"{value!r} 不是有效的坐标参考系"),
            "project CRS",
            T("use an EPSG code such as EPSG:4546", "请使用 EPSG 代码，如 EPSG:4546")) from exc
    if not crs.is_projected:
        raise ProjectError(
            T(f"{crs.to_string()} is geographic (degrees); distances and areas need metres",
              f"{crs.to_string()} 是地理坐标系（度），距离和面积需要以米为单位"),
            "project CRS",
            T("choose a projected CRS such as EPSG:4546 (CGCS2000 / 3-degree GK CM 111E)",
              "请选择投影坐标系，如 EPSG:4546（CGCS2000 3度带 中央经线111°）"))
    return crs


def _migrate_overrides(settings: dict) -> None:
    """Projects saved before the one year-2000 rule kept two overrides: ``parameters.
    priority_built_before_year`` (built *before* the year) and ``programme_parameters.
    ranking_built_by_year`` (built *by* it). Both become ``programme_parameters.
    old_community_built_by_year`` (the ranking's value wins, as it is the same reading)."""
    overrides = settings.get("standards_overrides") or {}
    old_before = (overrides.get("parameters") or {}).pop("priority_built_before_year", None)
    old_by = (overrides.get("programme_parameters") or {}).pop("ranking_built_by_year", None)
    year = None
    if old_before and old_before.get("value") is not None:
        year = float(old_before["value"]) - 1
    if old_by and old_by.get("value") is not None:
        year = float(old_by["value"])
    for table in ("parameters", "programme_parameters"):
        if table in overrides and not overrides[table]:
            overrides.pop(table)
    if year is not None:
        overrides.setdefault("programme_parameters", {})["old_community_built_by_year"] = {"value": year}
