"""A layer's table in the file back to a frame, with the column types it was saved with."""

from __future__ import annotations

import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow.compute as pc
import pyogrio
import shapely
from pyogrio.raw import read_arrow

#: read through GDAL's Arrow stream: measured on the analysed city (11 layers, 240,000 rows)
#: 3.0 s → 0.86 s for the whole project with identical frames, and a reading thread holds
#: Python's lock for at most ~130 ms at a time instead of ~850 ms (a window stays drawn
#: while a project loads beside it)
USE_ARROW = True
#: geometries made per step while reading, at most this many and about this many bytes of
#: WKB (tuning on the city: ~2 µs a feature and ~4-50 ms a MB; 10,000 streets take ~20 ms,
#: one of its service areas is 1.6 MB), and the pause that lets other threads run between
GEOMETRY_STEP = 10_000
GEOMETRY_STEP_BYTES = 2_000_000
_PAUSE_S = 0.0005


def read_rows(path: Path, table: str, dtypes: list[list[str]]) -> pd.DataFrame:
    """An attribute table (a TableLayer's rows), indexed by fid."""
    df = pyogrio.read_dataframe(path, layer=table, fid_as_index=True, read_geometry=False,
                                use_arrow=USE_ARROW)
    df = pd.DataFrame(df)
    df.index = fid_index(df.index)
    for col, dtype in dtypes:
        if col not in df.columns:
            df[col] = pd.Series([None] * len(df), index=df.index)
        df[col] = restore_dtype(df[col], dtype)
    order = [c for c, _ in dtypes]
    return df[order + [c for c in df.columns if c not in order]].sort_index()


def read_vector(path: Path, table: str, dtypes: list[list[str]]) -> gpd.GeoDataFrame:
    """A feature table, indexed by fid, its geometry column called ``geometry``."""
    gdf = read_features(path, table)
    gdf.index = fid_index(gdf.index)
    order = [c for c, _ in dtypes]
    for col, dtype in dtypes:
        if col not in gdf.columns:
            gdf[col] = pd.Series([None] * len(gdf), index=gdf.index)
        gdf[col] = restore_dtype(gdf[col], dtype)
    extra = [c for c in gdf.columns if c not in order and c != gdf.geometry.name]
    gdf = gdf[order + extra + [gdf.geometry.name]]
    if gdf.geometry.name != "geometry":
        gdf = gdf.rename_geometry("geometry")
    return gdf.sort_index()


def read_features(path: Path, table: str) -> gpd.GeoDataFrame:
    """The table as pyogrio reads it, its geometries made a few thousand at a time: making
    them holds Python's lock, and between steps other threads (the window) get it back."""
    if not USE_ARROW:
        return pyogrio.read_dataframe(path, layer=table, fid_as_index=True)
    frame = pyogrio.read_dataframe(path, layer=table, fid_as_index=True, read_geometry=False,
                                   use_arrow=True)
    meta, stream = read_arrow(path, layer=table, columns=[], return_fids=True)
    column = stream.column(meta["geometry_name"] or stream.schema.names[-1])
    wkb = column.to_numpy(zero_copy_only=False)
    ends = np.cumsum(pc.fill_null(pc.binary_length(column), 0).to_numpy(zero_copy_only=False))
    parts, start = [], 0
    while start < len(wkb):
        done = ends[start - 1] if start else 0
        stop = min(start + GEOMETRY_STEP,
                   max(start + 1, int(np.searchsorted(ends, done + GEOMETRY_STEP_BYTES, "right"))))
        parts.append(shapely.from_wkb(wkb[start:stop]))
        time.sleep(_PAUSE_S)
        start = stop
    geometry = np.concatenate(parts) if parts else np.empty(0, dtype=object)
    fids = stream.column(meta["fid_column"] or "fid").to_numpy()
    series = gpd.GeoSeries(geometry, index=pd.Index(fids, name=frame.index.name), crs=meta["crs"])
    if not np.array_equal(fids, np.asarray(frame.index)):  # both reads go in fid order
        series = series.reindex(frame.index)
    series.index = frame.index
    return gpd.GeoDataFrame(frame, geometry=series)


def fid_index(index: pd.Index) -> pd.Index:
    """The feature ids as a plain int64 index (an Arrow read gives a RangeIndex for 1…n)."""
    return pd.Index(np.asarray(index, dtype="int64"), name="fid")


def restore_dtype(series: pd.Series, dtype: str) -> pd.Series:
    """``series`` as ``dtype`` again (GeoPackage knows fewer types than pandas)."""
    if not dtype:
        return series
    if dtype == "str":
        return series.astype("str")
    if dtype in ("Int64", "Int32", "boolean"):
        return pd.to_numeric(series, errors="coerce").astype(dtype) if dtype != "boolean" \
            else series.map(lambda v: pd.NA if pd.isna(v) else bool(v)).astype("boolean")
    if dtype.startswith("datetime64"):
        return pd.to_datetime(series).astype(dtype)
    if dtype == "object":
        return series.astype(object)
    try:
        return series.astype(dtype)
    except (TypeError, ValueError):
        return series

