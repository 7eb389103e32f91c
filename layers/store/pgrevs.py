"""What a project loaded from PostGIS remembers, so a save writes only what changed.

Every row of a layer table carries ``pp_rev bigint``: a number from the schema's sequence
``precinct_rev``, new on every insert (column default) and every update (a trigger, so an
edit made in QGIS counts too). A revision number, not a hash of the row, because the
server can then check in one indexed query, under row locks, that the rows a client
wants to change are still the ones it loaded (a hash would have to be computed on the
server from every column, and would not tell two identical edits apart from no edit).

A project opened from (or saved to) a schema keeps a :class:`PgBase` on its stamp: per
layer the fids and revisions it loaded and a snapshot of its rows (a pandas copy-on-write
copy: no data is duplicated until an edit), and which fids were touched since (the
layer's ``data`` events). A save compares only the touched rows with the snapshot:
inserted, updated and deleted fids.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import shapely

REV_COLUMN = "pp_rev"
SEQUENCE = "precinct_rev"
BUMP_FUNCTION = "precinct_bump_rev"


@dataclass
class LayerBase:
    """One vector or table layer as last loaded from / saved to the server."""

    layer: Any                      # the layer object whose events are followed
    table: str
    geometry_column: str | None     # None for a table layer
    frame: pd.DataFrame             # the rows as loaded (copy-on-write snapshot)
    revs: dict[int, int]            # fid -> pp_rev
    dirty: set[int] = field(default_factory=set)
    reset: bool = False             # the whole frame was replaced: compare every row

    def follow(self) -> None:
        self.layer.events.connect(self._on_event)

    def forget(self) -> None:
        self.layer.events.disconnect(self._on_event)

    def _on_event(self, event: Any) -> None:
        if event.type != "data":
            return
        fids = event.info.get("fids")
        if fids is None:
            self.reset = True
        else:
            self.dirty.update(int(f) for f in fids)


@dataclass
class PgBase:
    """Per layer id, the rows a project loaded; the project's structure as loaded."""

    layers_token: str
    structure: tuple                # what a save must find unchanged to write only rows
    layer_rows: dict[str, tuple]    # layer id -> (name, style, visible, opacity)
    metadata: dict
    settings: dict
    schemes: tuple
    layers: dict[str, LayerBase] = field(default_factory=dict)
    #: conflicts found by the last save, (layer name, fid) -> Conflict (see pgconflicts)
    pending: dict = field(default_factory=dict)
    #: the kept server connection (:class:`~layers.store.pgsession.PgSession`) or None
    session: Any = field(default=None, compare=False, repr=False)

    def forget(self) -> None:
        for item in self.layers.values():
            item.forget()


def frame_of(layer: Any) -> pd.DataFrame:
    return layer.df if layer.layer_type == "table" else layer.gdf


def snapshot(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.copy(deep=False)  # copy-on-write (pandas ≥ 3): later edits do not show


@dataclass
class RowChanges:
    inserted: list[int]
    updated: list[int]
    deleted: list[int]
    #: the current values of some updated rows (fid -> list), as compared: not read twice
    rows: dict = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.inserted or self.updated or self.deleted)


def row_changes(base: LayerBase, layer: Any) -> RowChanges:
    """Fids inserted, updated and deleted in ``layer`` since ``base`` (sorted)."""
    current = frame_of(layer)
    if not (base.reset or base.dirty) and layer is base.layer:
        return RowChanges([], [], [])
    if base.reset or layer is not base.layer:
        candidates = current.index.union(base.frame.index)
    else:
        candidates = pd.Index(sorted(base.dirty), dtype="int64")
    in_current = candidates.isin(current.index)
    in_base = candidates.isin(base.frame.index)
    inserted = candidates[in_current & ~in_base]
    deleted = candidates[~in_current & in_base]
    both = candidates[in_current & in_base]
    if len(both) <= 64:  # a row at a time: far cheaper than column slices for a few edits
        same_columns = list(current.columns) == list(base.frame.columns)
        rows = {int(f): current.loc[f].tolist() for f in both}
        updated = [f for f, row in rows.items() if not same_columns
                   or not all(_same(x, y) for x, y in zip(row, base.frame.loc[f].tolist()))]
        return RowChanges([int(f) for f in inserted], updated, [int(f) for f in deleted],
                          {f: rows[f] for f in updated})
    differs = changed_fields(current.loc[both], base.frame.loc[both]).any(axis=1)
    updated = [int(f) for f in both[differs]]
    return RowChanges([int(f) for f in inserted], updated, [int(f) for f in deleted])


def column_hashes(series: pd.Series) -> np.ndarray:
    if getattr(series.dtype, "name", "") == "geometry":
        values = np.asarray(series.values, dtype=object)
        series = pd.Series(shapely.to_wkb(values, hex=True), index=series.index, dtype=object)
    return pd.util.hash_pandas_object(series, index=False).to_numpy()


def _same(x: Any, y: Any) -> bool:
    if isinstance(x, shapely.Geometry) or isinstance(y, shapely.Geometry):
        if x is None or y is None:
            return x is y
        return shapely.to_wkb(x) == shapely.to_wkb(y)
    x_missing, y_missing = _missing(x), _missing(y)
    if x_missing or y_missing:
        return x_missing and y_missing
    try:
        return bool(x == y)
    except (TypeError, ValueError):
        return False


def _missing(value: Any) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def changed_fields(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Per row (same index, same columns) and column: whether the values differ (cell by
    cell for a few rows, by pandas' column hashes for many)."""
    out = {}
    few = len(a) <= 64
    for column in a.columns:
        if column not in b.columns:
            out[column] = np.ones(len(a), dtype=bool)
        elif few:
            out[column] = np.array([not _same(x, y) for x, y in zip(
                a[column].tolist(), b[column].tolist())], dtype=bool)
        else:
            out[column] = column_hashes(a[column]) != column_hashes(b[column])
    return pd.DataFrame(out, index=a.index, dtype=bool)
