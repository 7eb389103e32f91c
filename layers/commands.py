"""Edits as commands: each holds old and new state and can apply and revert.

Every front end (Qt tools, CLI, tests) changes features only by pushing one of
these onto the project's :class:`~layers.undo.UndoStack`, so undo is exact
(after QGIS's QgsVectorLayerUndoCommand and glue's command objects).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from layers.errors import EditError, T, ValidationError

if TYPE_CHECKING:  # pragma: no cover
    from layers.layer import Layer, VectorLayer
    from layers.project import Project


class Command:
    """Base class. Subclasses set ``text`` and implement apply/revert."""

    text = T("edit", "编辑")
    layer_id: str | None = None
    #: commands with equal, non-None keys pushed one after another merge into one
    merge_key: Hashable | None = None

    def apply(self, project: Project) -> None:
        raise NotImplementedError

    def revert(self, project: Project) -> None:
        raise NotImplementedError

    def merge(self, other: Command) -> bool:
        """Absorb ``other`` (already applied) into self; return True if merged."""
        return False

    def fids_touched(self) -> set[int]:
        return set()


def _layer(project: Project, layer_id: str) -> Layer:
    """The layer with this id (commands hold ids: a rename never loses them)."""
    try:
        return project.layer_by_id(layer_id)
    except KeyError:
        raise EditError(T("the layer is no longer in the project", "该图层已不在项目中"),
                        f"layer id {layer_id}",
                        T("undo the step that removed it, or pick a layer that is there",
                          "请撤销移除它的步骤，或选择项目中现有的图层")) from None


def _vector(project: Project, layer_id: str) -> VectorLayer:
    layer = _layer(project, layer_id)
    if layer.layer_type not in ("vector", "table"):
        raise EditError(T("features can only be edited on a vector layer or a table",
                          "只能在矢量图层或表格上编辑要素"), f"layer '{layer.name}'")
    return layer  # type: ignore[return-value]


def _coerce_value(layer: VectorLayer, fid: int, field: str, value: Any) -> Any:
    """Bring a typed-in value to the field's type, or say clearly why it cannot be."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    if not layer.schema.has_field(field):
        return value
    f = layer.schema.field(field)
    try:
        if f.type == "int":
            number = float(value)
            if not number.is_integer():
                raise ValueError
            return int(number)
        if f.type == "float":
            return float(value)
        if f.type == "bool":
            from layers.schema import _to_bool

            result = _to_bool(value)
            if result is pd.NA:
                raise ValueError
            return result
        if f.type == "date":
            return pd.Timestamp(value)
        return str(value)
    except (TypeError, ValueError):
        raise EditError(
            T(f"{value!r} is not a valid {f.type} for field '{f.label_en}'",
              f"{value!r} 不是字段“{f.label_zh}”的有效取值（{f.type}）"),
            f"layer '{layer.name}', feature {fid}, field '{field}'",
            T(f"enter a {f.type} value", f"请输入 {f.type} 类型的值"),
        ) from None


class AddFeatures(Command):
    """Add rows (a GeoDataFrame); fids are assigned on first apply and kept for redo."""

    text = T("add features", "添加要素")

    def __init__(self, layer_id: str, rows: gpd.GeoDataFrame) -> None:
        self.layer_id = layer_id
        self._rows = rows
        self._prepared: gpd.GeoDataFrame | None = None

    @property
    def fids(self) -> list[int]:
        return [] if self._prepared is None else [int(f) for f in self._prepared.index]

    def apply(self, project: Project) -> None:
        layer = _vector(project, self.layer_id)
        if self._prepared is None:
            prepared = layer._prepare_rows(self._rows)
            start = layer.next_fid()
            prepared.index = pd.Index(np.arange(start, start + len(prepared), dtype=np.int64),
                                      name="fid")
            self._prepared = prepared
        layer._insert(self._prepared)

    def revert(self, project: Project) -> None:
        _vector(project, self.layer_id)._remove(self.fids)

    def fids_touched(self) -> set[int]:
        return set(self.fids)


class DeleteFeatures(Command):
    text = T("delete features", "删除要素")

    def __init__(self, layer_id: str, fids: Sequence[int]) -> None:
        self.layer_id = layer_id
        self.fids = [int(f) for f in dict.fromkeys(fids)]
        self._removed: gpd.GeoDataFrame | None = None
        self._positions: np.ndarray | None = None

    def apply(self, project: Project) -> None:
        self._removed, self._positions = _vector(project, self.layer_id)._remove(self.fids)

    def revert(self, project: Project) -> None:
        assert self._removed is not None
        _vector(project, self.layer_id)._insert(self._removed, self._positions)

    def fids_touched(self) -> set[int]:
        return set(self.fids)


class ChangeGeometry(Command):
    """Replace geometries. Pass ``merge_key`` (e.g. ("drag", drag_id)) so one drag is one step."""

    text = T("change geometry", "修改几何")

    def __init__(self, layer_id: str, geometries: dict[int, Any],
                 merge_key: Hashable | None = None) -> None:
        self.layer_id = layer_id
        self.new = {int(k): v for k, v in geometries.items()}
        self.old: dict[int, Any] | None = None
        self.merge_key = None if merge_key is None else (layer_id, merge_key)

    def apply(self, project: Project) -> None:
        layer = _vector(project, self.layer_id)
        if layer.layer_type == "table":
            layer._set_geometries(self.new)  # refuses: a table has no geometry
        layer._require(self.new.keys())
        if self.old is None:
            self.old = {fid: layer.gdf.geometry.loc[fid] for fid in self.new}
        layer._set_geometries(self.new)

    def revert(self, project: Project) -> None:
        assert self.old is not None
        _vector(project, self.layer_id)._set_geometries(self.old)

    def merge(self, other: Command) -> bool:
        if not isinstance(other, ChangeGeometry) or other.merge_key != self.merge_key:
            return False
        assert self.old is not None and other.old is not None
        for fid, geom in other.old.items():
            self.old.setdefault(fid, geom)
        self.new.update(other.new)
        return True

    def fids_touched(self) -> set[int]:
        return set(self.new)


class ChangeAttributes(Command):
    """Set field values: ``{fid: {field: value}}``; values are checked against the schema."""

    text = T("change attributes", "修改属性")

    def __init__(self, layer_id: str, values: dict[int, dict[str, Any]],
                 merge_key: Hashable | None = None) -> None:
        self.layer_id = layer_id
        self.new = {int(fid): dict(ch) for fid, ch in values.items()}
        self.old: dict[int, dict[str, Any]] | None = None
        self.merge_key = None if merge_key is None else (layer_id, merge_key)

    def apply(self, project: Project) -> None:
        layer = _vector(project, self.layer_id)
        layer._require(self.new.keys())
        if self.old is None:
            self.new = {
                fid: {f: _coerce_value(layer, fid, f, v) for f, v in ch.items()}
                for fid, ch in self.new.items()
            }
            gdf = layer.gdf
            self.old = {}
            for fid, ch in self.new.items():
                for f in ch:
                    if f not in gdf.columns or f == "geometry":
                        raise EditError(T(f"unknown field {f!r}", f"未知字段 {f!r}"),
                                        f"layer '{layer.name}', feature {fid}",
                                        T("pick one of the layer's fields", "请选择图层已有字段"))
                self.old[fid] = {f: _none_if_na(gdf.at[fid, f]) for f in ch}
            issues = _schema_issues(project, layer, self.new)
            if issues:  # a range, a list of allowed values or a required field says no
                self.old = None
                raise ValidationError(issues)
        layer._set_values(self.new)

    def revert(self, project: Project) -> None:
        assert self.old is not None
        _vector(project, self.layer_id)._set_values(self.old)

    def merge(self, other: Command) -> bool:
        if not isinstance(other, ChangeAttributes) or other.merge_key != self.merge_key:
            return False
        assert self.old is not None and other.old is not None
        for fid, ch in other.old.items():
            for f, v in ch.items():
                self.old.setdefault(fid, {}).setdefault(f, v)
        for fid, ch in other.new.items():
            self.new.setdefault(fid, {}).update(ch)
        return True

    def fids_touched(self) -> set[int]:
        return set(self.new)


def _schema_issues(project: Project, layer: VectorLayer, new: dict[int, dict[str, Any]]) -> list:
    """What the layer's schema says about the values being set (only those cells)."""
    schema = layer.schema
    fields = sorted({f for ch in new.values() for f in ch if schema.has_field(f)})
    if not fields:
        return []
    fids = list(new)
    frame = pd.DataFrame({f: pd.Series([new[fid].get(f) for fid in fids], dtype=schema.field(f).dtype)
                          for f in fields})
    frame.index = pd.Index(fids, dtype="int64", name="fid")
    issues = schema.validate(frame, layer.name, allowed=project.allowed_values)
    return [i for i in issues if i.field is not None and i.fid is not None and i.field in new.get(i.fid, {})]


def _none_if_na(value: Any) -> Any:
    try:
        return None if pd.isna(value) else value
    except (TypeError, ValueError):
        return value


class AddLayer(Command):
    text = T("add layer", "添加图层")

    def __init__(self, layer: Layer, index: int | None = None) -> None:
        self.layer = layer
        self.layer_id = layer.id
        self.index = index

    def apply(self, project: Project) -> None:
        project.add_layer(self.layer, self.index)

    def revert(self, project: Project) -> None:
        project.remove_layer(_layer(project, self.layer_id).name)


class RemoveLayer(Command):
    """Take the layer with id ``layer_id`` out of the project (undo puts it back in place)."""

    text = T("remove layer", "移除图层")

    def __init__(self, layer_id: str) -> None:
        self.layer_id = layer_id
        self.layer: Layer | None = None
        self.index: int | None = None

    def apply(self, project: Project) -> None:
        name = _layer(project, self.layer_id).name
        self.index = project.index_of(name)
        self.layer = project.remove_layer(name)

    def revert(self, project: Project) -> None:
        assert self.layer is not None
        project.add_layer(self.layer, self.index)


class MoveLayer(Command):
    """Put the layer with id ``layer_id`` at ``index`` in the drawing order (0 = bottom)."""

    text = T("move layer", "调整图层顺序")

    def __init__(self, layer_id: str, index: int) -> None:
        self.layer_id = layer_id
        self.index = int(index)
        self.old: int | None = None

    def apply(self, project: Project) -> None:
        name = _layer(project, self.layer_id).name
        self.old = project.index_of(name)
        project.move_layer(name, self.index)

    def revert(self, project: Project) -> None:
        assert self.old is not None
        project.move_layer(_layer(project, self.layer_id).name, self.old)


class SetProjectCRS(Command):
    """Give a project that has no layer yet its CRS (e.g. from the first imported data)."""

    text = T("set the project CRS", "设定项目坐标系")

    def __init__(self, crs: Any) -> None:
        self.crs = crs
        self.old: Any = None
        self.was_auto: Any = None

    def apply(self, project: Project) -> None:
        self.old = project.crs
        self.was_auto = project.metadata.pop("crs_auto", None)
        project.set_crs(self.crs)

    def revert(self, project: Project) -> None:
        project.set_crs(self.old)
        if self.was_auto is not None:
            project.metadata["crs_auto"] = self.was_auto


class RenameLayer(Command):
    text = T("rename layer", "重命名图层")

    def __init__(self, layer_id: str, name: str) -> None:
        self.layer_id = layer_id
        self.name = name
        self.old: str | None = None

    def apply(self, project: Project) -> None:
        layer = _layer(project, self.layer_id)
        _refuse_unstorable_name(layer, self.name)
        _refuse_taken_name(project, layer, self.name)
        self.old = layer.name
        layer.name = self.name

    def revert(self, project: Project) -> None:
        assert self.old is not None
        layer = _layer(project, self.layer_id)
        _refuse_taken_name(project, layer, self.old)
        layer.name = self.old


def _refuse_unstorable_name(layer: Layer, name: str) -> None:
    """A name the project file cannot hold (empty, too long, a NUL) is refused now, not at save."""
    from layers.store.limits import MAX_NAME_CHARS, layer_name_problem

    problem = layer_name_problem(name)
    if problem is not None:
        raise EditError(problem, f"layer '{layer.name}'",
                        T(f"choose a name of 1 to {MAX_NAME_CHARS} characters",
                          f"请换一个 1 到 {MAX_NAME_CHARS} 个字符的名称"))


def _refuse_taken_name(project: Project, layer: Layer, name: str) -> None:
    if name != layer.name and name in project.names():
        raise EditError(T(f"a layer called {name!r} exists already",
                          f"已存在名为 {name!r} 的图层"), f"layer '{layer.name}'",
                        T("choose another name", "请换一个名称"))


class MacroCommand(Command):
    """Several commands that apply and revert as one step, all or nothing: if one of them
    fails, those already done are taken back before the error propagates."""

    def __init__(self, text: T, commands: list[Command] | None = None) -> None:
        self.text = text
        self.commands = list(commands or [])

    def apply(self, project: Project) -> None:
        _all_or_nothing(project, [(c.apply, c.revert) for c in self.commands])

    def revert(self, project: Project) -> None:
        _all_or_nothing(project, [(c.revert, c.apply) for c in reversed(self.commands)])

    def fids_touched(self) -> set[int]:
        return set().union(*(c.fids_touched() for c in self.commands)) if self.commands else set()


Step = Callable[["Project"], None]


def _all_or_nothing(project: Project, steps: list[tuple[Step, Step]]) -> None:
    """Run each ``(do, undo)`` pair's ``do``; when one raises, run the ``undo`` of those
    already done (newest first, as far as they go) and re-raise the first error."""
    done: list[Step] = []
    try:
        for do, undo in steps:
            do(project)
            done.append(undo)
    except Exception:
        for undo in reversed(done):
            try:
                undo(project)
            except Exception:  # keep taking back the rest; the first error wins
                continue
        raise
