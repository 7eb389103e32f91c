"""What the editing modules share: the layer look-up, validity checks and the
mergeable command that groups one edit's geometry changes."""

from __future__ import annotations

import re
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely

from layers.commands import AddFeatures, ChangeGeometry, Command, MacroCommand
from layers.errors import EditError, T
from layers.layer import VectorLayer
from layers.schema import _GEOM_FAMILY

if TYPE_CHECKING:  # pragma: no cover
    from layers.project import Project

#: geometry type → family, as the layer schemas name them
FAMILY = {t: family for family, types in _GEOM_FAMILY.items() for t in types}


class GeometryEdit(MacroCommand):
    """One edit (possibly on several layers) that undoes as one step.

    With a ``merge_key``, consecutive edits with the same key that only change
    geometries merge into one undo step (the mouse-move events of one drag):
    each layer's :class:`ChangeGeometry` keeps the geometry from before the
    first event and the one after the last.
    """

    #: set by vertex insertion: the index of the new vertex in the edited feature
    vertex_index: int | None = None

    def __init__(self, text: T, commands: list[Command] | None = None,
                 merge_key: Hashable | None = None) -> None:
        super().__init__(text, commands)
        self.merge_key = None if merge_key is None else ("editing", merge_key)

    def merge(self, other: Command) -> bool:
        if (self.merge_key is None or not isinstance(other, GeometryEdit)
                or other.merge_key != self.merge_key):
            return False
        if not all(isinstance(c, ChangeGeometry) for c in (*self.commands, *other.commands)):
            return False
        for sub in other.commands:
            target = next((c for c in self.commands if c.layer_id == sub.layer_id), None)
            if target is None or not target.merge(sub):
                self.commands.append(sub)
        return True

    @property
    def added_fids(self) -> list[int]:
        """The fids of features this edit added (known once it has been applied)."""
        return [f for c in self.commands if isinstance(c, AddFeatures) for f in c.fids]


def editable_layer(project: Project, layer_id: str) -> VectorLayer:
    """The vector layer ``layer_id`` (with geometry), or a clear EditError."""
    try:
        layer = project.layer_by_id(layer_id)
    except KeyError:
        raise EditError(T("the layer does not exist (any more)", "图层不存在（可能已被移除）"),
                        f"layer id {layer_id}",
                        T("pick a layer from the layer list", "请从图层列表中选择图层")) from None
    if not isinstance(layer, VectorLayer) or layer.layer_type != "vector":
        raise EditError(T("only vector layers with geometry can be edited on the map",
                          "只有带几何的矢量图层可以在地图上编辑"), f"layer '{layer.name}'",
                        T("pick a vector layer", "请选择矢量图层"))
    return layer


def require_fids(layer: VectorLayer, fids: Any) -> list[int]:
    """Distinct fids in the given order; every one must exist."""
    out = [int(f) for f in dict.fromkeys([fids] if np.isscalar(fids) else fids)]
    layer._require(out)
    return out


def where(layer: VectorLayer, fid: int | None = None) -> str:
    return f"layer '{layer.name}'" + ("" if fid is None else f", feature {fid}")


def layer_family(layer: VectorLayer, geom: Any = None) -> str | None:
    """'polygon', 'line' or 'point': the schema's, else that of ``geom`` or the first feature."""
    if layer.schema.geometry:
        return layer.schema.geometry
    if geom is None:
        present = layer.gdf.geometry.dropna()
        geom = present.iloc[0] if len(present) else None
    return None if geom is None else FAMILY.get(geom.geom_type)


_LOCATION = re.compile(r"\[\s*([-+0-9.eE]+)\s+([-+0-9.eE]+)")


def invalid_location(geom: Any) -> tuple[float, float] | None:
    """Where GEOS finds ``geom`` invalid (the point named in is_valid_reason)."""
    match = _LOCATION.search(shapely.is_valid_reason(geom) or "")
    return None if match is None else (float(match.group(1)), float(match.group(2)))


def invalid_error(geom: Any, place: str, what: T | None = None) -> EditError:
    """A clear EditError saying where and why ``geom`` is not a valid geometry."""
    reason = shapely.is_valid_reason(geom) or ""
    loc = invalid_location(geom)
    at_en = "" if loc is None else f" at ({loc[0]:.2f}, {loc[1]:.2f})"
    at_zh = "" if loc is None else f"于 ({loc[0]:.2f}, {loc[1]:.2f}) 处"
    if "Self-intersection" in reason:
        text = T(f"the outline would cross itself{at_en}", f"边界线将{at_zh}自相交")
    elif "Too few points" in reason:
        text = T(f"the shape would have too few distinct points{at_en}",
                 f"图形的不同顶点过少{at_zh}")
    else:
        short = reason.split("[")[0].strip() or "invalid"
        text = T(f"the shape would be invalid ({short}){at_en}", f"图形将无效（{short}）{at_zh}")
    if what is not None:
        text = T(f"{what.en}: {text.en}", f"{what.zh}：{text.zh}")
    return EditError(text, place, T("move the point elsewhere or undo the last step, so the "
                                    "outline does not cross itself",
                                    "请把顶点移到别处或撤销上一步，使边界不自相交"))


def check_valid(new: Any, old: Any, place: str) -> Any:
    """Refuse an edit that makes a valid geometry invalid (an invalid one may stay so:
    the edit may be a step towards repairing it)."""
    if new is None or new.is_empty:
        raise EditError(T("the edit would leave the feature without a shape", "编辑后要素将没有几何"),
                        place, T("delete the feature instead", "如需删除，请直接删除要素"))
    if not shapely.is_valid(new) and (old is None or shapely.is_valid(old)):
        raise invalid_error(new, place)
    return new
