"""Pipeline conflicts of a project as one layer of kind ``conflicts``.

:func:`find_conflicts` runs every analysis on the project's pipelines and
returns rows in the CONFLICTS schema; :func:`update_conflicts_layer` puts them
into the project through commands (undoable), keeping the ``status`` and
``note`` a person gave to conflicts found before. A conflict's id is a hash of
its type and its two features (layer and fid), so re-running keeps ids.

Every row has a ``category`` (:mod:`layers.pipelines.summary`), rows ordered
violations, unchecked, notices:

- ``clearance``: pairs of different utilities side by side (not crossing) —
  a *violation* when closer than the confirmed GB 50289 clearance
  (``length_m`` = stretch closer than required), *unchecked* when the rule's
  value is not confirmed or a diameter / pressure it needs is unknown and the
  pair is within the parallel tolerance wall to wall (``length_m`` = stretch
  within it); a pair meeting its confirmed clearance is not reported at all;
- ``crossing``: a *violation* when the confirmed vertical clearance is
  breached, *unchecked* when its value is not confirmed or a depth or diameter
  is unknown, a *notice* when the tables have no rule for the two classes;
  crossings meeting their clearance are not reported;
- ``parallel`` (notice): pipes of two classes the clearance tables have no
  rule for (不明、其他、工业 …), within the tolerance for more than the minimum
  length (``length_m`` = parallel length, see :mod:`layers.pipelines.pairs`).
  The tolerance is a product default (no standard): it never makes a
  violation;
- ``dig_once`` (notice): groups of planned works that could share one trench,
  their stretches along the street overlapping by more than the tolerance
  (``length_m`` = metres of trench saved, ``saving_yuan`` only with a cost);
- ``under_community`` (notice): pipes under a community whose renovation is
  planned (``length_m`` inside).
"""

from __future__ import annotations

import hashlib

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from layers import display
from layers.commands import AddFeatures, AddLayer, DeleteFeatures, MacroCommand
from layers.errors import ProjectError, T
from layers.i18n import current_language
from layers.kinds import CONFLICT_CATEGORIES, CONFLICTS, PLANNED_STATES
from layers.labels import CONFLICT_STATUS_LABELS, CONFLICT_TYPE_LABELS
from layers.pipelines.clearance import (
    NOTE_BELOW,
    clearance_violations,
    max_confirmed_clearance,
    wall_distance,
)
from layers.pipelines.digonce import dig_once_groups, under_communities
from layers.pipelines.pairs import _lines_only, crossing_pairs, overlap_lengths, parallel_runs
from layers.pipelines.phases import PHASES, ConflictsCancelled, _Phases  # noqa: F401 (re-exported)
from layers.pipelines.summary import (
    dig_once_note,
    notice_note,
    pair_text,
    software_note,
    unchecked_note,
    violation_note,
)

LAYER_NAME = "conflicts"
TYPE_LABELS = CONFLICT_TYPE_LABELS
STATUS_LABELS = CONFLICT_STATUS_LABELS
PARAM_TOLERANCE = "pipeline_parallel_tolerance_m"
PARAM_MIN_LENGTH = "pipeline_parallel_min_length_m"
PARAM_COSTS = ("trench_excavation_cost_yuan_per_m", "trench_reinstatement_cost_yuan_per_m")


def conflict_id(kind: str, layer_a: str, fid_a: int, layer_b: str, fid_b: int) -> str:
    """Stable id: the same type and the same two features give the same id, in any order."""
    ends = sorted([(str(layer_a), int(fid_a)), (str(layer_b), int(fid_b))])
    text = f"{kind}|{ends[0][0]}#{ends[0][1]}|{ends[1][0]}#{ends[1][1]}"
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def _parameter(standards, key: str) -> float | None:
    value = standards.value("parameters", key, "value")
    return None if value is None else float(value)


def unit_cost_from(standards) -> float | None:
    """Excavation + reinstatement cost per metre of trench, if the user set any of them."""
    costs = [_parameter(standards, k) for k in PARAM_COSTS]
    known = [c for c in costs if c is not None]
    return float(sum(known)) if known else None


def _pipeline_layers(project, name: str | None) -> list:
    if name is not None:
        layer = project.layer(name)
        if layer.kind != "pipelines":
            raise ProjectError(
                T(f"layer {name!r} is a {layer.kind} layer, not pipelines",
                  f"图层 {name!r} 的类型为 {layer.kind}，不是管线图层"),
                f"layer '{name}'",
                T("name a layer of kind pipelines", "请指定管线类图层"))
        return [layer]
    layers = project.layers_of_kind("pipelines")
    if not layers:
        raise ProjectError(
            T("the project has no pipelines layer", "项目中没有管线图层"),
            f"project {project.metadata.get('title') or ''}".strip(),
            T("import the utilities' pipelines (kind pipelines) first", "请先导入管线图层（类型 pipelines）"))
    return layers


def _combined(layers) -> tuple[gpd.GeoDataFrame, np.ndarray, np.ndarray]:
    """All features of some layers in one frame indexed by position, with their (layer, fid)."""
    frames = [layer.gdf for layer in layers]
    names = np.concatenate([np.full(len(f), layer.name, dtype=object)
                            for f, layer in zip(frames, layers, strict=True)])
    fids = np.concatenate([f.index.to_numpy(dtype=np.int64) for f in frames])
    crs = frames[0].crs
    combined = pd.concat([f.to_crs(crs) if f.crs != crs else f for f in frames], ignore_index=True)
    return gpd.GeoDataFrame(combined, geometry="geometry", crs=crs), names, fids


def _around(geoms: np.ndarray, points: np.ndarray, radius: float) -> list:
    """The piece of each pipe within ``radius`` of a point (a line to show a crossing)."""
    pieces = shapely.intersection(geoms, shapely.buffer(points, radius))
    return [_lines_only(p) for p in pieces]


def _rows(kind: str, category: str, frame: pd.DataFrame, names: np.ndarray, fids: np.ndarray,
          geometry, **columns) -> pd.DataFrame:
    a, b = frame["fid_a"].to_numpy(dtype=np.int64), frame["fid_b"].to_numpy(dtype=np.int64)
    out = pd.DataFrame({
        "category": category, "conflict_type": kind, "layer_a": names[a], "fid_a": fids[a],
        "utility_a": frame["utility_a"].to_numpy(dtype=object), "layer_b": names[b],
        "fid_b": fids[b], "utility_b": frame["utility_b"].to_numpy(dtype=object), **columns})
    out["geometry"] = list(geometry)
    return out


def _settings(project, tolerance, min_length, unit_cost) -> tuple[float, float, float | None]:
    standards = project.standards()
    tol = float(tolerance) if tolerance is not None else _parameter(standards, PARAM_TOLERANCE)
    min_len = float(min_length) if min_length is not None else _parameter(standards, PARAM_MIN_LENGTH)
    if tol is None or min_len is None or tol < 0 or min_len < 0:
        raise ProjectError(
            T("the parallel tolerance and minimum length must be set and not negative",
              "平行容差和最小长度必须已设置且不为负数"),
            f"parameters {PARAM_TOLERANCE}, {PARAM_MIN_LENGTH}",
            T("give --tolerance and --min-length, or set them in the project's standards",
              "请给出 --tolerance 和 --min-length，或在项目规范参数中设置"))
    cost = float(unit_cost) if unit_cost is not None else unit_cost_from(standards)
    return tol, min_len, cost


def find_conflicts(project, pipelines_layer: str | None = None, tolerance: float | None = None,
                   min_length: float | None = None, unit_cost: float | None = None,
                   communities: bool = True, progress=None, cancel=None) -> gpd.GeoDataFrame:
    """Every pipeline conflict of a project, as rows of the CONFLICTS schema.

    Parameters
    ----------
    project : Project
    pipelines_layer : str, optional
        One pipelines layer; default all layers of kind pipelines together.
    tolerance, min_length : float, optional
        Parallel-run tolerance and minimum length (m); default from the
        ``parameters`` table (project overrides apply). The tolerance also bounds
        which unchecked pairs are listed to check; it never makes a violation.
    unit_cost : float, optional
        Excavation plus reinstatement per metre of trench (yuan/m); default the
        sum of the trench cost parameters the user has set (none: no yuan).
    communities : bool
        Also report pipes under the project's communities.
    progress, cancel : callable, optional
        ``progress(fraction, text)`` is told as each phase starts (clearances, crossings,
        parallel runs, dig once, under communities — weighted by what each costs on the
        city); ``cancel()`` is asked between phases (True: :class:`ConflictsCancelled`).

    Returns
    -------
    GeoDataFrame
        CONFLICTS columns, index ``fid`` 1…n (violations first, then unchecked,
        then notices), status ``open``, notes in the current language, in the
        project's CRS.
    """
    phase = _Phases(progress, cancel)
    standards = project.standards()
    tol, min_len, cost = _settings(project, tolerance, min_length, unit_cost)
    lang = current_language()
    phase("read")
    frame, names, fids = _combined(_pipeline_layers(project, pipelines_layer))
    geoms = np.asarray(frame.geometry.values, dtype=object)
    diameter = pd.to_numeric(frame["diameter_mm"], errors="coerce").to_numpy(dtype=float) \
        if "diameter_mm" in frame.columns else np.full(len(frame), np.nan)
    biggest = float(np.nanmax(diameter)) / 1000 if np.isfinite(diameter).any() else 0.0
    reach = max(max_confirmed_clearance(standards), tol) + biggest
    phase("clearance")
    clr = clearance_violations(frame, standards, distance=reach)
    parts = [_clearance_rows(clr, "violation", names, fids, geoms, diameter, tol, lang, standards),
             _clearance_rows(clr[(clr["verdict"] == "unchecked") & (clr["distance_m"] <= tol)],
                             "unchecked", names, fids, geoms, diameter, tol, lang, standards)]
    phase("crossing")
    cross = crossing_pairs(frame, standards)
    parts += [_crossing_rows(cross, v, names, fids, geoms, tol, lang, standards)
              for v in ("violation", "unchecked", "no_rule")]
    phase("parallel")
    parts.append(_parallel_rows(frame, clr, diameter, tol, min_len, names, fids, lang, standards))
    phase("dig_once")
    streets = _first_frame(project, "streets", frame.crs)
    dig = dig_once_groups(frame, streets=streets, unit_cost_yuan_per_m=cost, min_overlap_m=tol)
    dig_note = [dig_once_note(", ".join(f"{display.layer_name(str(names[f]), lang=lang)}#{fids[f]}"
                                        for f in g.fids), g.separate_m, g.once_m, lang)
                for g in dig.itertuples()]
    parts.append(_rows("dig_once", "notice", dig, names, fids, dig.geometry,
                       length_m=dig["saved_m"], street=dig["street"],
                       saving_yuan=dig["saving_yuan"], note=dig_note))
    if communities:
        phase("under")
        parts.append(_under(project, frame, names, fids))
    phase("finish")
    return _finish(parts, frame.crs)


def _pairs(rows: pd.DataFrame, lang: str, standards) -> list[str]:
    return [pair_text(a, b, lang, standards)
            for a, b in zip(rows["rule_class_a"], rows["rule_class_b"], strict=True)]


def _clearance_rows(clr, category: str, names, fids, geoms, diameter, tol: float, lang: str,
                    standards):
    rows = clr[clr["verdict"] == "violation"] if category == "violation" else clr
    a, b = rows["fid_a"].to_numpy(int), rows["fid_b"].to_numpy(int)
    length = rows["length_m"].to_numpy(dtype=float)
    if category == "violation":
        notes = [violation_note("clearance", p, lang, bound=n == NOTE_BELOW)
                 for p, n in zip(_pairs(rows, lang, standards), rows["note"], strict=True)]
    else:
        radii = (np.nan_to_num(diameter[a], nan=0.0) + np.nan_to_num(diameter[b], nan=0.0)) / 2000
        if len(rows):  # the stretch within the tolerance, wall to wall
            length, _ = overlap_lengths(geoms[a], geoms[b], tol + radii, with_where=False)
        notes = [unchecked_note("clearance", p, r, lang, lo, hi) for p, r, lo, hi in
                 zip(_pairs(rows, lang, standards), rows["reason"], rows["low_m"], rows["high_m"],
                     strict=True)]
    geometry = [g if g is not None else _lines_only(shapely.intersection(
        geoms[i], shapely.buffer(geoms[j], max(tol, 1.0)))) for g, i, j in
        zip(rows.geometry, a, b, strict=True)]
    return _rows("clearance", category, rows, names, fids, geometry, length_m=length,
                 distance_m=rows["distance_m"], required_m=rows["required_m"],
                 checked=rows["checked"], basis=rows["source"], confidence=rows["confidence"],
                 note=notes)


def _crossing_rows(cross, verdict: str, names, fids, geoms, tol: float, lang: str, standards):
    rows = cross[cross["verdict"] == verdict]
    where = _around(geoms[rows["fid_a"].to_numpy(int)], rows.geometry.to_numpy(), max(tol, 1.0))
    vertical = rows["vertical_m"].to_numpy(dtype=float)
    pairs = _pairs(rows, lang, standards)
    if verdict == "violation":
        category = "violation"
        notes = [violation_note("crossing", p, lang, overlap=v < 0)
                 for p, v in zip(pairs, vertical, strict=True)]
    elif verdict == "unchecked":
        category = "unchecked"
        notes = [unchecked_note("crossing", p, r, lang)
                 for p, r in zip(pairs, rows["reason"], strict=True)]
    else:
        category = "notice"
        notes = [notice_note("crossing", p, lang) for p in pairs]
    return _rows("crossing", category, rows, names, fids, where,
                 distance_m=np.clip(vertical, 0, None), required_m=rows["required_m"],
                 checked=rows["checked"], basis=rows["source"], confidence=rows["confidence"],
                 note=notes)


def _parallel_rows(frame, clr, diameter, tol: float, min_len: float, names, fids, lang: str,
                   standards):
    """Parallel runs of pairs the clearance tables have no rule for (notices)."""
    no_rule = clr[clr["verdict"] == "no_rule"]
    if not len(no_rule):
        return pd.DataFrame()
    keep = set(zip(no_rule["fid_a"].astype(int), no_rule["fid_b"].astype(int), strict=True))
    par = parallel_runs(frame, tol, min_len)
    par = par[[(int(x), int(y)) in keep for x, y in zip(par["fid_a"], par["fid_b"], strict=True)]]
    a, b = par["fid_a"].to_numpy(int), par["fid_b"].to_numpy(int)
    wall, _ = wall_distance(par["distance_m"].to_numpy(), diameter[a], diameter[b])
    notes = [notice_note("parallel", pair_text(x, y, lang, standards), lang, length)
             for x, y, length in zip(par["utility_a"], par["utility_b"], par["length_m"],
                                     strict=True)]
    return _rows("parallel", "notice", par, names, fids, par.geometry, length_m=par["length_m"],
                 distance_m=wall, note=notes)


def _first_frame(project, kind: str, crs) -> gpd.GeoDataFrame | None:
    layers = project.layers_of_kind(kind)
    if not layers:
        return None
    frames = [layer.gdf.to_crs(crs) for layer in layers]
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=crs)


def planned_communities(communities: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Communities whose renovation is planned or under way (programme_status in
    annual_plan / design / works): pipes under them must be coordinated with the works."""
    if "programme_status" not in communities.columns:
        return communities.iloc[0:0]
    return communities[communities["programme_status"].isin(PLANNED_STATES).to_numpy()]


def _under(project, frame, names, fids) -> pd.DataFrame:
    rows = []
    for layer in project.layers_of_kind("communities"):
        under = under_communities(frame, planned_communities(layer.gdf))
        if not len(under):
            continue
        p = under["fid"].to_numpy(dtype=np.int64)
        rows.append(pd.DataFrame({
            "category": "notice", "conflict_type": "under_community", "layer_a": names[p], "fid_a": fids[p],
            "utility_a": under["utility"].to_numpy(dtype=object), "layer_b": layer.name,
            "fid_b": under["community_fid"].to_numpy(dtype=np.int64), "utility_b": None,
            "length_m": under["length_m"].to_numpy(), "note": under["community"].to_numpy(dtype=object),
            "geometry": list(under.geometry)}))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


def _finish(parts: list[pd.DataFrame], crs) -> gpd.GeoDataFrame:
    parts = [p for p in parts if len(p)]
    if not parts:
        return CONFLICTS.empty_frame(crs)
    rows = pd.concat(parts, ignore_index=True)
    rows["conflict_id"] = [conflict_id(*k) for k in zip(
        rows["conflict_type"], rows["layer_a"], rows["fid_a"], rows["layer_b"], rows["fid_b"],
        strict=True)]
    rows["status"] = "open"
    rank = {c: k for k, c in enumerate(CONFLICT_CATEGORIES)}
    rows = rows.iloc[np.argsort([rank[c] for c in rows["category"]], kind="stable")]
    rows = rows.drop_duplicates("conflict_id").reset_index(drop=True)
    out = gpd.GeoDataFrame(rows, geometry="geometry", crs=crs)
    out = CONFLICTS.coerce(out)
    out = out[[*CONFLICTS.field_names, "geometry"]]
    out.index = pd.Index(np.arange(1, len(out) + 1, dtype=np.int64), name="fid")
    return out


def update_conflicts_layer(project, conflicts: gpd.GeoDataFrame, name: str = LAYER_NAME):
    """Add or replace the project's conflicts layer through one undoable command.

    The ``status`` and ``note`` of conflicts whose id was in the layer before are
    carried over (a person's decisions survive a re-run); a note the software wrote
    (:func:`layers.pipelines.summary.software_note`) is written anew, in the current
    language and with the current finding. Returns the layer.
    """
    from layers.layer import VectorLayer

    rows = conflicts.copy()
    existing = project.layer(name) if name in project.names() else None
    if existing is not None and existing.kind != "conflicts":
        raise ProjectError(
            T(f"layer {name!r} exists and is not a conflicts layer",
              f"图层 {name!r} 已存在且不是冲突图层"),
            f"layer '{name}'", T("rename that layer first", "请先为该图层改名"))
    text = T("update pipeline conflicts", "更新管线冲突")
    if existing is None:
        from styles import default_style

        layer = VectorLayer(name, "conflicts", rows, style=default_style("conflicts"))
        project.apply(MacroCommand(text, [AddLayer(layer)]))
        return layer
    old = existing.gdf
    if len(old) and len(rows):
        status = dict(zip(old["conflict_id"], old["status"], strict=True))
        notes = dict(zip(old["conflict_id"], old["note"], strict=True))
        rows["status"] = [status.get(c, s) if isinstance(status.get(c), str) else s
                          for c, s in zip(rows["conflict_id"], rows["status"], strict=True)]
        rows["note"] = [notes.get(c) if isinstance(notes.get(c), str) and notes.get(c)
                        and not software_note(notes.get(c)) else n
                        for c, n in zip(rows["conflict_id"], rows["note"], strict=True)]
    commands = []
    if len(old):
        commands.append(DeleteFeatures(existing.id, list(old.index)))
    if len(rows):
        commands.append(AddFeatures(existing.id, rows))
    if commands:
        project.apply(MacroCommand(text, commands))
    return existing


def counts_by_type(conflicts: gpd.GeoDataFrame) -> dict[str, int]:
    """Number of conflicts of each type (every type listed, zeros included)."""
    found = conflicts["conflict_type"].value_counts()
    return {k: int(found.get(k, 0)) for k in TYPE_LABELS}
