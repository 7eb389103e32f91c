"""Layers: a named, styled view of one GeoDataFrame (vector) or array (raster).

Properties validate before they change and announce every change through
``layer.events`` (no Qt). Feature data changes only through commands
(:mod:`layers.commands`), which call the ``_``-prefixed mutators here.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from layers.errors import EditError, ProjectError, T, ValidationIssue
from layers.events import Emitter
from layers.kinds import schema_for
from layers.schema import Schema


class Layer:
    """What every layer has: id, name, kind, style, visibility, opacity, events."""

    layer_type = "base"

    def __init__(self, name: str, kind: str, style: dict | None = None,
                 visible: bool = True, opacity: float = 1.0,
                 layer_id: str | None = None) -> None:
        self.events = Emitter()
        self.schema: Schema = schema_for(kind)
        self.kind = kind
        self.id = layer_id or uuid.uuid4().hex
        self._name = ""
        self.name = name
        self._style: dict = dict(style or {})
        self._visible = bool(visible)
        self._opacity = 1.0
        self.opacity = opacity

    # --- evented properties -------------------------------------------------
    @property
    def name(self) -> str:
        return self._name

    @name.setter
    def name(self, value: str) -> None:
        value = str(value).strip()
        if not value:
            raise ProjectError(T("a layer name cannot be empty", "图层名称不能为空"),
                               f"layer {self.id}",
                               T("type a name", "请输入名称"))
        if value != self._name:
            old, self._name = self._name, value
            self.events.emit("name", self, old=old, new=value)

    @property
    def style(self) -> dict:
        return dict(self._style)

    @style.setter
    def style(self, value: dict) -> None:
        self._style = dict(value)
        self.events.emit("style", self)

    @property
    def visible(self) -> bool:
        return self._visible

    @visible.setter
    def visible(self, value: bool) -> None:
        if bool(value) != self._visible:
            self._visible = bool(value)
            self.events.emit("visible", self, value=self._visible)

    @property
    def opacity(self) -> float:
        return self._opacity

    @opacity.setter
    def opacity(self, value: float) -> None:
        value = float(value)
        if not 0.0 <= value <= 1.0:
            raise ProjectError(
                T(f"opacity {value} is outside 0–1", f"不透明度 {value} 超出 0–1 范围"),
                f"layer '{self._name}'",
                T("choose a value from 0 (transparent) to 1 (opaque)",
                  "请取 0（透明）到 1（不透明）之间的值"),
            )
        if value != self._opacity:
            self._opacity = value
            self.events.emit("opacity", self, value=value)

    def bounds(self) -> tuple[float, float, float, float] | None:
        raise NotImplementedError


class VectorLayer(Layer):
    """Features of one kind in a GeoDataFrame indexed by a stable int64 ``fid``."""

    layer_type = "vector"

    def __init__(self, name: str, kind: str, gdf: gpd.GeoDataFrame | None = None,
                 crs: Any = None, **kwargs: Any) -> None:
        super().__init__(name, kind, **kwargs)
        if gdf is None:
            gdf = self.schema.empty_frame(crs)
        self._gdf = self._normalise(gdf)

    def _normalise(self, gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        if not isinstance(gdf, gpd.GeoDataFrame):
            raise ProjectError(T("layer data must be a GeoDataFrame", "图层数据必须是 GeoDataFrame"),
                               f"layer '{self.name}'")
        out = self.schema.coerce(gdf) if self.schema.fields else gdf.copy()
        if out.index.name != "fid" or out.index.dtype != np.int64:
            if out.index.name == "fid" and pd.api.types.is_integer_dtype(out.index):
                out.index = out.index.astype("int64")
            else:
                out.index = pd.Index(np.arange(1, len(out) + 1, dtype=np.int64))
            out.index.name = "fid"
        if not out.index.is_unique:
            raise ProjectError(T("feature ids are not unique", "要素编号不唯一"),
                               f"layer '{self.name}'",
                               T("renumber the features before loading",
                                 "请在载入前重新编号"))
        if not out.index.is_monotonic_increasing:
            out = out.sort_index()  # features are kept in fid order (new fids are appended)
        # schema columns first, in schema order, then any extra columns
        schema_cols = [f for f in self.schema.field_names if f in out.columns]
        extra = [c for c in out.columns if c not in schema_cols and c != out.geometry.name]
        order = schema_cols + extra + [out.geometry.name]
        if list(out.columns) != order:
            out = out[order]
        if out.geometry.name != "geometry":
            out = out.rename_geometry("geometry")
        return out

    # --- read access ----------------------------------------------------------
    @property
    def gdf(self) -> gpd.GeoDataFrame:
        """The features. Treat as read-only: change data through commands."""
        return self._gdf

    @property
    def crs(self):
        return self._gdf.crs

    def __len__(self) -> int:
        return len(self._gdf)

    def bounds(self) -> tuple[float, float, float, float] | None:
        """Total bounds (cached until the geometry changes: the canvas asks on every paint)."""
        cached = self.__dict__.get("_bounds_cache", False)
        if cached is not False:
            return cached
        b = self._gdf.total_bounds if len(self._gdf) else None
        self._bounds_cache = (tuple(float(v) for v in b)
                              if b is not None and np.all(np.isfinite(b)) else None)
        return self._bounds_cache

    def next_fid(self) -> int:
        return int(self._gdf.index.max()) + 1 if len(self._gdf) else 1

    def feature(self, fid: int) -> pd.Series:
        self._require(fid)
        return self._gdf.loc[fid]

    def validate(self, allowed=None, fids: Iterable[int] | None = None) -> list[ValidationIssue]:
        return self.schema.validate(self._gdf, self.name, allowed=allowed, fids=fids)

    def _require(self, fids: int | Iterable[int]) -> None:
        wanted = [fids] if np.isscalar(fids) else list(fids)
        missing = [f for f in wanted if f not in self._gdf.index]
        if missing:
            raise EditError(
                T(f"feature(s) {missing[:5]} do not exist", f"要素 {missing[:5]} 不存在"),
                f"layer '{self.name}'",
                T("refresh the selection and try again", "请刷新选择后重试"),
            )

    # --- mutators used by commands (they emit "data") ------------------------
    def _replace_data(self, gdf: gpd.GeoDataFrame) -> None:
        self._gdf = gdf
        self._bounds_cache = False
        self.events.emit("data", self, change="reset", fids=None)

    def _frame(self, frame: pd.DataFrame) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame(frame, geometry="geometry", crs=self.crs)

    def _prepare_rows(self, rows: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        rows = rows.copy()
        if rows.geometry.name != "geometry":
            rows = rows.rename_geometry("geometry")
        if rows.crs is None:
            rows = rows.set_crs(self.crs, allow_override=True)
        elif self.crs is not None and not rows.crs.equals(self.crs):
            rows = rows.to_crs(self.crs)
        return self._conform(rows)

    def _conform(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Schema dtypes and exactly this layer's columns (unknown ones refused)."""
        if self.schema.fields:
            rows = self.schema.coerce(rows)
        for col in self._gdf.columns:
            if col not in rows.columns:
                rows[col] = pd.Series([pd.NA] * len(rows), index=rows.index).astype(
                    self._gdf[col].dtype)
            elif col != "geometry" and rows[col].dtype != self._gdf[col].dtype:
                rows[col] = rows[col].astype(self._gdf[col].dtype)
        unknown = [c for c in rows.columns if c not in self._gdf.columns]
        if unknown:
            raise EditError(
                T(f"unknown field(s) {unknown}", f"未知字段 {unknown}"),
                f"layer '{self.name}'",
                T("add the field to the layer first, or map it onto a schema field",
                  "请先在图层中添加该字段，或将其对应到规范字段"),
            )
        return rows[list(self._gdf.columns)]

    def _insert(self, rows: gpd.GeoDataFrame, positions: Sequence[int] | None = None) -> None:
        """Insert prepared rows (index = their fids); at ``positions`` or at the end."""
        clash = rows.index.intersection(self._gdf.index)
        if len(clash):
            raise EditError(T(f"feature ids {list(clash[:5])} exist already",
                              f"要素编号 {list(clash[:5])} 已存在"), f"layer '{self.name}'")
        combined = pd.concat([self._gdf, rows])
        if positions is not None:
            current = self._gdf.index.to_numpy()
            pos = np.asarray(positions, dtype=np.int64)
            order = np.argsort(pos, kind="stable")
            pos_sorted = pos[order]
            fids_sorted = rows.index.to_numpy()[order]
            new_order = np.insert(current, pos_sorted - np.arange(len(pos_sorted)), fids_sorted)
            combined = combined.loc[new_order]
        combined.index.name = "fid"
        self._gdf = self._frame(combined)
        self._bounds_cache = False
        self.events.emit("data", self, change="added", fids=list(rows.index))

    def _remove(self, fids: Sequence[int]) -> tuple[gpd.GeoDataFrame, np.ndarray]:
        """Remove features; return the removed rows and the positions they had."""
        self._require(fids)
        positions = self._gdf.index.get_indexer(list(fids))
        removed = self._gdf.loc[list(fids)]
        self._gdf = self._gdf.drop(index=list(fids))
        self._bounds_cache = False
        self.events.emit("data", self, change="deleted", fids=list(fids))
        return removed, positions

    def _set_geometries(self, geoms: dict[int, Any]) -> None:
        self._require(geoms.keys())
        fids = list(geoms.keys())
        # in place: copy-on-write keeps snapshots (edit buffer) untouched
        self._gdf.loc[fids, "geometry"] = gpd.GeoSeries(list(geoms.values()), index=fids,
                                                        crs=self.crs)
        self._bounds_cache = False
        self.events.emit("data", self, change="geometry", fids=fids)

    def _set_values(self, values: dict[int, dict[str, Any]]) -> None:
        self._require(values.keys())
        gdf = self._gdf
        for fid, changes in values.items():
            for field in changes:
                if field not in gdf.columns or field == "geometry":
                    raise EditError(T(f"unknown field {field!r}", f"未知字段 {field!r}"),
                                    f"layer '{self.name}', feature {fid}",
                                    T("pick one of the layer's fields", "请选择图层已有字段"))
        by_field: dict[str, tuple[list[int], list[Any]]] = {}
        for fid, changes in values.items():
            for field, value in changes.items():
                fids, vals = by_field.setdefault(field, ([], []))
                fids.append(fid)
                vals.append(None if value is pd.NA else value)  # None fits every dtype
        for field, (fids, vals) in by_field.items():  # one assignment per field, not per cell
            gdf.loc[fids, field] = pd.Series(vals, index=fids, dtype=gdf[field].dtype) \
                if _fits(vals, gdf[field].dtype) else pd.Series(vals, index=fids, dtype=object)
        self.events.emit("data", self, change="attributes", fids=list(values.keys()),
                         fields=list(by_field))


def _fits(values: list[Any], dtype: Any) -> bool:
    """Whether the values convert to the column's dtype (else pandas reports the clash)."""
    try:
        pd.Series(values, dtype=dtype)
    except (TypeError, ValueError):
        return False
    return True


class TableLayer(VectorLayer):
    """Rows without geometry (a programme checklist, a status log …), edited by the same
    commands and stored as a GeoPackage attribute table."""

    layer_type = "table"

    def __init__(self, name: str, kind: str, df: pd.DataFrame | None = None,
                 **kwargs: Any) -> None:
        Layer.__init__(self, name, kind, **kwargs)
        if df is None:
            df = pd.DataFrame({f.name: pd.Series([], dtype=f.dtype) for f in self.schema.fields})
            df.index = pd.Index([], dtype="int64", name="fid")
        self._gdf = self._normalise(df)

    def _normalise(self, df: pd.DataFrame) -> pd.DataFrame:
        if not isinstance(df, pd.DataFrame):
            raise ProjectError(T("table data must be a DataFrame", "表格数据必须是 DataFrame"),
                               f"layer '{self.name}'")
        out = pd.DataFrame(df.drop(columns=["geometry"], errors="ignore"))
        out = self.schema.coerce(out) if self.schema.fields else out.copy()
        if out.index.name != "fid" or not pd.api.types.is_integer_dtype(out.index):
            out.index = pd.Index(np.arange(1, len(out) + 1, dtype=np.int64))
        out.index = out.index.astype("int64")
        out.index.name = "fid"
        schema_cols = [f for f in self.schema.field_names if f in out.columns]
        extra = [c for c in out.columns if c not in schema_cols]
        return out[schema_cols + extra].sort_index()

    @property
    def df(self) -> pd.DataFrame:
        return self._gdf

    @property
    def crs(self):
        return None

    def bounds(self) -> None:
        return None

    def _frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(frame)

    def _prepare_rows(self, rows: pd.DataFrame) -> pd.DataFrame:
        return self._conform(pd.DataFrame(rows).drop(columns=["geometry"], errors="ignore"))

    def _set_geometries(self, geoms: dict[int, Any]) -> None:
        raise EditError(T("a table has no geometry", "表格没有几何"), f"layer '{self.name}'")


class RasterLayer(Layer):
    """A georeferenced grid (basemap or population) held as a numpy array."""

    layer_type = "raster"

    def __init__(self, name: str, kind: str, array: np.ndarray, transform: Any,
                 crs: Any, nodata: float | None = None, **kwargs: Any) -> None:
        super().__init__(name, kind, **kwargs)
        arr = np.asarray(array)
        if arr.ndim == 2:
            arr = arr[np.newaxis, ...]
        if arr.ndim != 3 or arr.shape[1] == 0 or arr.shape[2] == 0:
            raise ProjectError(T("a raster needs rows and columns", "栅格必须有行和列"),
                               f"layer '{name}'")
        self.array = arr
        self.transform = transform
        from pyproj import CRS

        self.crs = CRS.from_user_input(crs) if crs is not None else None
        self.nodata = nodata

    @classmethod
    def from_file(cls, path, name: str | None = None, kind: str = "basemap",
                  **kwargs: Any) -> RasterLayer:
        """Read a GeoTIFF (or any raster GDAL reads) with rasterio."""
        from pathlib import Path

        import rasterio

        path = Path(path)
        try:
            with rasterio.open(path) as src:
                array = src.read()
                return cls(name or path.stem, kind, array, src.transform,
                           src.crs.to_wkt() if src.crs else None, src.nodata, **kwargs)
        except rasterio.errors.RasterioIOError as exc:
            raise ProjectError(T("cannot read the raster file", "无法读取栅格文件"), str(path),
                               T("check that it is a GeoTIFF or another GDAL raster",
                                 "请确认是 GeoTIFF 或其他 GDAL 可读的栅格")) from exc

    def reprojected(self, crs: Any) -> RasterLayer:
        """A copy warped to ``crs`` (bilinear for basemaps; nearest for grids of counts,
        so cell values are never blended into numbers nobody counted)."""
        from pyproj import CRS
        from rasterio.crs import CRS as RioCRS
        from rasterio.warp import Resampling, calculate_default_transform, reproject

        target = CRS.from_user_input(crs)
        src_crs = RioCRS.from_wkt(self.crs.to_wkt())
        dst_crs = RioCRS.from_wkt(target.to_wkt())
        bands, rows, cols = self.array.shape
        left, bottom, right, top = self.bounds()
        transform, width, height = calculate_default_transform(
            src_crs, dst_crs, cols, rows, left=left, bottom=bottom, right=right, top=top)
        nodata = self.nodata
        if nodata is None:
            nodata = 0 if np.issubdtype(self.array.dtype, np.integer) else np.nan
        out = np.full((bands, height, width), nodata, dtype=self.array.dtype)
        method = Resampling.nearest if self.kind == "population" else Resampling.bilinear
        reproject(self.array, out, src_transform=self.transform, src_crs=src_crs,
                  src_nodata=self.nodata, dst_transform=transform, dst_crs=dst_crs,
                  dst_nodata=nodata, resampling=method)
        return RasterLayer(self.name, self.kind, out, transform, target, nodata,
                           style=self.style, visible=self.visible, opacity=self.opacity,
                           layer_id=self.id)

    def bounds(self) -> tuple[float, float, float, float] | None:
        rows, cols = self.array.shape[1:]
        t = self.transform
        xs = [t.c, t.c + t.a * cols + t.b * rows]
        ys = [t.f, t.f + t.d * cols + t.e * rows]
        return (min(xs), min(ys), max(xs), max(ys))
