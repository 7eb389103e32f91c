"""Is lon/lat data in GCJ-02 or BD-09? Decided from where it lies, never from its name.

Chinese web maps (Amap, Tencent, DataV: GCJ-02; Baidu: BD-09) shift WGS-84 by a
position-dependent 300–700 m. Data that comes from them lies that much off the
project's existing layers, in the direction the published formulas give at its
place. The test:

1. sample points along the new outlines; lay them on the project's layers (same kind
   first, else all) as read, and find the shift that fits best (:mod:`.alignment`);
2. compare that shift with the three hypotheses — none (WGS-84/CGCS2000), the GCJ-02
   offset and the BD-09 offset at the data's place, computed with
   :mod:`layers.chinese_offsets`;
3. confidence of a hypothesis = agreement × improvement: agreement is 1 when the
   fitted shift equals the hypothesis' shift, falling to 0 when it misses by the
   GCJ-02 offset's length; improvement is how much the median distance to the
   existing layers falls under the hypothesis against the best other one (full at
   ``offset_full_improvement``).

The project's layers are taken as right: data in GCJ-02 imported into a project whose
layers were themselves left in GCJ-02 matches them as read and is not converted (the
same-kind check then agrees with them too).

No shipped reference of Chinese boundaries is used: the only freely licensed ones at
hand (Natural Earth) are generalised by kilometres, far more than the offset, and the
accurate ones (天地图, DataV) may not be redistributed. With no existing layer near the
data there is no evidence, and field names (DataV's keys, ``gcj_lng``) only suggest.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS, Transformer

from layers import chinese_offsets
from layers.errors import T
from layers.importing.alignment import Fit, Reference, best_fit, outline_points, residuals

HYPOTHESES = ("wgs84", "gcj02", "bd09")
DERIVED_KINDS = ("conflicts", "service_areas")  # made from other layers: no independent evidence
LABELS = {"gcj02": T("GCJ-02 (Amap, Tencent, DataV)", "GCJ-02（高德、腾讯、DataV）"),
          "bd09": T("BD-09 (Baidu)", "BD-09（百度）"), "wgs84": T("WGS-84/CGCS2000", "WGS-84/CGCS2000")}


@dataclass
class OffsetEvidence:
    """What the existing layers say about the data's offset."""

    system: str | None                 # the hypothesis with the highest confidence (None: no decision)
    confidence: dict[str, float]       # per hypothesis, 0–1
    reference: list[str]               # layers laid against
    points: int                        # sampled points near those layers
    median_m: dict[str, float]         # median distance to the layers under each hypothesis
    shift_m: tuple[float, float]       # the shift that fits best (east, north)
    expected_m: dict[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def best(self) -> float:
        return self.confidence.get(self.system, 0.0) if self.system else 0.0

    def to_dict(self) -> dict:
        return {"system": self.system, "confidence": {k: round(v, 3) for k, v in self.confidence.items()},
                "reference": self.reference, "points": self.points,
                "median_m": {k: round(v, 1) for k, v in self.median_m.items()},
                "shift_m": [round(v, 1) for v in self.shift_m],
                "expected_m": {k: [round(v, 1) for v in s] for k, s in self.expected_m.items()}}

    def summary(self) -> T:
        """One sentence: the distances under each hypothesis and how sure."""
        m = self.median_m
        layers = ", ".join(f"'{n}'" for n in self.reference[:3])
        return T(f"laid on {layers} ({self.points} points): median distance {m['wgs84']:.0f} m as read, "
                 f"{m['gcj02']:.0f} m without the GCJ-02 offset, {m['bd09']:.0f} m without BD-09; best "
                 f"fitting shift {np.hypot(*self.shift_m):.0f} m",
                 f"与 {layers} 比对（{self.points} 个点）：按原坐标中位距离 {m['wgs84']:.0f} 米，去除 GCJ-02 "
                 f"偏移后 {m['gcj02']:.0f} 米，去除 BD-09 偏移后 {m['bd09']:.0f} 米；最佳平移 "
                 f"{np.hypot(*self.shift_m):.0f} 米")


def _param(project, key: str) -> float:
    return float(project.standards().value("import_checks", key, "value"))


def _reference_layers(project, kind: str | None, box: tuple[float, float, float, float],
                      reach: float) -> list:
    """Vector layers with features within ``reach`` of ``box`` (project CRS): same kind if any."""
    x0, y0, x1, y1 = box
    near = []
    for layer in project.layers:
        if getattr(layer, "layer_type", "") != "vector" or layer.kind in DERIVED_KINDS or not len(layer):
            continue
        b = layer.bounds()
        if b is None or b[0] > x1 + reach or b[2] < x0 - reach or b[1] > y1 + reach or b[3] < y0 - reach:
            continue
        near.append(layer)
    same = [layer for layer in near if layer.kind == kind]
    return same or near


def _clipped_geometries(layers: list, box: tuple[float, float, float, float], reach: float) -> np.ndarray:
    x0, y0, x1, y1 = box
    parts = []
    for layer in layers:
        gdf = layer.gdf
        rows = gdf.sindex.query(shapely.box(x0 - reach, y0 - reach, x1 + reach, y1 + reach))
        parts.append(np.asarray(gdf.geometry.values, dtype=object)[rows])
    return np.concatenate(parts) if parts else np.empty(0, dtype=object)


def _lonlat_points(frame: gpd.GeoDataFrame, project) -> np.ndarray:
    from layers.importing.sanity import feature_size

    geoms = np.asarray(frame.geometry.values, dtype=object)
    spacing_deg = min(_param(project, "offset_sample_spacing_m") / 111_320.0, feature_size(geoms) / 10)
    pts = outline_points(geoms, spacing_deg, int(_param(project, "offset_sample_points")))
    if not len(pts):
        return pts
    inside = ~chinese_offsets.out_of_china(pts[:, 0], pts[:, 1])
    return pts[inside]


def _hypothesis_points(lonlat: np.ndarray, frame_crs: CRS, project_crs: CRS) -> dict[str, np.ndarray]:
    """The sampled points in the project CRS under each hypothesis."""
    to_wgs = Transformer.from_crs(frame_crs, CRS.from_epsg(4326), always_xy=True)
    to_project = Transformer.from_crs(CRS.from_epsg(4326), project_crs, always_xy=True)
    lon, lat = to_wgs.transform(lonlat[:, 0], lonlat[:, 1])
    out = {}
    for name in HYPOTHESES:
        x, y = (lon, lat) if name == "wgs84" else chinese_offsets.convert(lon, lat, name, "wgs84")
        px, py = to_project.transform(x, y)
        out[name] = np.column_stack([px, py])
    return out


def _confidences(fit: Fit, expected: dict[str, np.ndarray], medians: dict[str, float],
                 full: float) -> dict[str, float]:
    scale = float(np.hypot(*expected["gcj02"])) or 1.0
    out = {}
    for name, shift in expected.items():
        agreement = max(0.0, 1.0 - float(np.hypot(*(fit.shift - shift))) / scale)
        others = min(m for other, m in medians.items() if other != name)
        improvement = 1.0 - medians[name] / others if others > 0 else 0.0
        out[name] = agreement * min(1.0, max(improvement, 0.0) / full)
    return out


def weigh_offset(frame: gpd.GeoDataFrame, project, kind: str | None = None) -> OffsetEvidence | None:
    """What the project's layers say about lon/lat ``frame`` being in GCJ-02 or BD-09; None when
    there is nothing to compare with (no layer near it, too few points, outside China)."""
    if frame.crs is None or not CRS.from_user_input(frame.crs).is_geographic or not len(project):
        return None
    lonlat = _lonlat_points(frame, project)
    if len(lonlat) < _param(project, "offset_min_points"):
        return None
    pts = _hypothesis_points(lonlat, CRS.from_user_input(frame.crs), project.crs)
    if not all(np.isfinite(p).all() for p in pts.values()):
        return None
    reach = _param(project, "offset_search_m")
    base = pts["wgs84"]
    box = (float(base[:, 0].min()), float(base[:, 1].min()), float(base[:, 0].max()), float(base[:, 1].max()))
    layers = _reference_layers(project, kind, box, reach)
    ref = Reference.of(_clipped_geometries(layers, box, reach)) if layers else None
    if ref is None:
        return None
    expected = {name: np.median(p - base, axis=0) for name, p in pts.items()}
    fit = best_fit(ref, base, list(expected.values()), reach)
    near = fit.residuals < reach
    for shift in expected.values():
        near |= residuals(ref, base, shift, reach) < reach
    if near.sum() < _param(project, "offset_min_points"):
        return None
    medians = {name: float(np.median(residuals(ref, p[near], np.zeros(2), reach)))
               for name, p in pts.items()}
    conf = _confidences(fit, expected, medians, _param(project, "offset_full_improvement"))
    system = max(conf, key=conf.get)
    if conf[system] < _param(project, "offset_ask_confidence"):
        system = None
    return OffsetEvidence(system, conf, [layer.name for layer in layers], int(near.sum()), medians,
                          (float(fit.shift[0]), float(fit.shift[1])),
                          {k: (float(v[0]), float(v[1])) for k, v in expected.items()})


def decide(evidence: OffsetEvidence | None, hint: str | None, project) -> tuple[str | None, str | None, list[T]]:
    """(offset to remove, offset to suggest, notes) from the evidence and a field-name hint."""
    if evidence is None or evidence.system is None:
        if evidence is not None and (hint or max(evidence.confidence.values()) > 0):
            return None, hint, [T("the project's layers do not settle whether the data has a web-map "
                                  f"offset: {evidence.summary().en}",
                                  f"项目现有图层不足以判断数据是否有网络地图偏移：{evidence.summary().zh}")]
        return None, hint, []
    system, conf = evidence.system, evidence.best
    label = LABELS[system]
    if system == "wgs84":
        notes = []
        if hint:
            notes.append(T(f"the field names look like {LABELS[hint].en} output, but the data lies on the "
                           f"project's layers as read (confidence {conf:.2f}): no offset removed; "
                           f"{evidence.summary().en}",
                           f"字段名像{LABELS[hint].zh}数据，但按原坐标即与项目图层吻合（置信度 {conf:.2f}），"
                           f"未去除偏移；{evidence.summary().zh}"))
        return None, None, notes
    if conf >= _param(project, "offset_convert_confidence"):
        return system, None, [T(
            f"{label.en} offset found in the data (confidence {conf:.2f}) and removed: "
            f"{evidence.summary().en}; to keep the coordinates as they are, import with coords=wgs84",
            f"数据经比对判定为{label.zh}坐标（置信度 {conf:.2f}），已去除偏移：{evidence.summary().zh}；"
            "如需保留原坐标，请以 coords=wgs84 导入")]
    return None, system, [T(f"{label.en} offset likely (confidence {conf:.2f}), not removed: "
                            f"{evidence.summary().en}",
                            f"数据可能为{label.zh}坐标（置信度 {conf:.2f}），未去除：{evidence.summary().zh}")]
