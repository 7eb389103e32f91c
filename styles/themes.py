"""Map themes: named presets a planner picks ("elder-care coverage", "life-circle gaps" …).

A theme says, for each layer kind, whether it is drawn and with which style. Where a theme
colours features by something they do not hold themselves (the best life-circle level a
community reaches, whether it has a service gap), its style categorises on the virtual
field ``theme``; :mod:`layers.themes` computes that field per feature from the project
(coverage results, precincts …). The canvas, the map sheet, the HTML map and the QGIS
styles all draw the same theme from this one model. Pure data: no Qt, no project access.

Colours: coverage is one sequential blue ramp (dark = reached at the nearest circle), so
it reads in greyscale and for colour-blind readers; "beyond" and "unreachable" are pale
and outlined dashed so they stand apart without relying on hue.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from layers.errors import T

THEME_FIELD = "theme"
SERVICES = ("elder_care", "childcare", "meal_point")

#: class keys → legend words (shared by every theme; the ``theme`` field's values)
CLASS_LABELS: dict[str, T] = {
    "5min": T("5-minute circle", "5分钟生活圈"), "10min": T("10-minute circle", "10分钟生活圈"),
    "15min": T("15-minute circle", "15分钟生活圈"), "beyond": T("beyond 15 minutes", "超出15分钟"),
    "unreachable": T("unreachable / not computed", "不可达或未计算"),
    "no_gap": T("no service gap", "无服务缺口"), "gap": T("service gap", "有服务缺口"),
    "gap_elderly": T("service gap, ageing (60+ share high)", "有服务缺口且老龄化程度高"),
    "not_computed": T("coverage not computed", "未计算覆盖"),
    "unassigned": T("not in a precinct", "未划入片区"), "assigned": T("in a precinct", "已划入片区"),
    **{f"p{i}": T(f"precinct colour {i}", f"片区色{i}") for i in range(1, 9)},
    "moved": T("moved to another precinct", "调整了片区"), "added": T("added", "新增"),
    "removed": T("removed", "取消"), "opened": T("conflict opened", "新增冲突"),
    "closed": T("conflict closed", "消除冲突"),
}
RAMP = {"5min": "#08519c", "10min": "#4292c6", "15min": "#9ecae1", "beyond": "#f7fbff",
        "unreachable": "#ffffff"}
RING = {"5min": ("#08519c", 3.0), "10min": ("#4292c6", 2.0), "15min": ("#9ecae1", 1.2)}
PRECINCT_COLOURS = ("#8dd3c7", "#ffffb3", "#bebada", "#fb8072", "#80b1d3", "#fdb462", "#b3de69",
                    "#fccde5")
#: scheme changes: orange moved, green added / closed, purple removed, red opened (apart
#: in hue and in lightness, so they read in greyscale too)
SCHEME_CHANGE = {"moved": "#e6550d", "added": "#31a354", "removed": "#756bb1", "opened": "#de2d26",
                 "closed": "#31a354"}
PROGRAMME_RAMP = {"none": "#f0f0f0", "reserve": "#fee8c8", "annual_plan": "#fdbb84",
                  "design": "#fc8d59", "works": "#e34a33", "accepted": "#b30000"}


@dataclass(frozen=True)
class Theme:
    key: str
    label: T
    description: T
    #: kind → style dict (drawn with it), "default" (its own style) or None (hidden)
    layers: dict[str, dict | str | None] = field(default_factory=dict)
    service: str | None = None

    def look(self, kind: str) -> tuple[bool, dict | None]:
        """``(visible, style)`` of a layer kind; style None keeps the layer's own."""
        choice = self.layers.get(kind, self.layers.get("*", "default"))
        if choice is None:
            return False, None
        if choice == "default":
            return True, None
        return True, copy.deepcopy(choice)


def _category(value: str, **style) -> dict:
    return {"value": value, "label_en": CLASS_LABELS[value].en, "label_zh": CLASS_LABELS[value].zh, **style}


def _coverage_communities(service_label: T) -> dict:
    cats = [_category(k, fill=RAMP[k], fill_alpha=0.9, stroke="#252525", stroke_width=0.8)
            for k in ("5min", "10min", "15min")]
    cats += [_category("beyond", fill=RAMP["beyond"], fill_alpha=0.9, stroke="#525252", stroke_width=1.2),
             _category("unreachable", fill=RAMP["unreachable"], fill_alpha=0.9, stroke="#737373",
                       stroke_width=1.2)]
    return {"name": "communities", "type": "categorised", "field": THEME_FIELD, "fill": "#ffffff",
            "fill_alpha": 0.0, "stroke": "#969696", "stroke_width": 0.6, "label_field": "name",
            "label_en": f"Communities by {service_label.en} reached",
            "label_zh": f"小区{service_label.zh}可达层级", "categories": cats,
            "legend_other": False, "legend_present_only": True}


def _rings() -> dict:
    cats = [_category(k, fill="#ffffff", fill_alpha=0.0, stroke=c, stroke_alpha=1.0, stroke_width=w)
            for k, (c, w) in RING.items()]
    return {"name": "service_areas", "type": "categorised", "field": THEME_FIELD, "fill": "#ffffff",
            "fill_alpha": 0.0, "stroke": "#ffffff", "stroke_alpha": 0.0, "stroke_width": 0.0,
            "label_en": "Walking reach (outline by circle)", "label_zh": "步行可达范围（按生活圈描边）",
            "categories": cats, "legend_other": False, "legend_present_only": True}


def _facilities_of(service: str) -> dict:
    return {"name": "facilities", "type": "categorised", "field": THEME_FIELD, "fill": "#ffffff",
            "fill_alpha": 0.0, "stroke": "#ffffff", "stroke_alpha": 0.0, "marker_size": 9.0,
            "label_field": "name", "legend_other": False,
            "categories": [{"value": "this_service", "fill": "#d94801", "fill_alpha": 1.0,
                            "stroke": "#7f2704", "stroke_alpha": 1.0,
                            "stroke_width": 1.2, "label_en": "facility", "label_zh": "设施"}]}


_STREETS_QUIET = {"name": "streets", "type": "single", "stroke": "#bdbdbd", "stroke_width": 0.6,
                  "label_en": "Streets", "label_zh": "道路"}
_ADMIN_QUIET = {"name": "admin", "type": "single", "fill": "#ffffff", "fill_alpha": 0.0,
                "stroke": "#636363", "stroke_width": 1.0, "dash": "dash",
                "label_en": "Administrative boundaries", "label_zh": "行政边界"}
_PRECINCT_OUTLINE = {"name": "precincts", "type": "single", "fill": "#ffffff", "fill_alpha": 0.0,
                     "stroke": "#252525", "stroke_width": 1.6, "dash": "dash", "label_field": "name",
                     "label_en": "Precincts", "label_zh": "片区"}
_BASE = {"streets": _STREETS_QUIET, "admin": _ADMIN_QUIET, "pipelines": None, "conflicts": None,
         "parcels": None, "population": None, "other": None}


def _coverage_theme(service: str, en: str, zh: str) -> Theme:
    label = T(en, zh)
    return Theme(f"{service}_coverage", T(f"{en} coverage", f"{zh}覆盖"),
                 T(f"communities by the nearest life circle that reaches {en}; walking reach as rings",
                   f"按可达{zh}的最近生活圈着色小区；步行可达范围描边"),
                 {**_BASE, "communities": _coverage_communities(label), "service_areas": _rings(),
                  "facilities": _facilities_of(service), "precincts": _PRECINCT_OUTLINE},
                 service=service)


def _gaps_theme() -> Theme:
    cats = [_category("no_gap", fill="#f0f0f0", fill_alpha=0.9, stroke="#969696", stroke_width=0.6),
            _category("gap", fill="#fc9272", fill_alpha=0.9, stroke="#a50f15", stroke_width=1.0),
            _category("gap_elderly", fill="#cb181d", fill_alpha=0.9, stroke="#67000d", stroke_width=2.4),
            _category("not_computed", fill="#ffffff", fill_alpha=0.9, stroke="#737373", stroke_width=0.8)]
    communities = {"name": "communities", "type": "categorised", "field": THEME_FIELD, "fill": "#ffffff",
                   "fill_alpha": 0.0, "stroke": "#969696", "label_field": "name", "categories": cats,
                   "label_en": "Life-circle gaps", "label_zh": "生活圈服务缺口", "legend_other": False,
                   "legend_present_only": True}
    return Theme("life_circle_gaps", T("life-circle gaps", "生活圈缺口"),
                 T("communities missing a required service; thick outline where the 60+ share is high",
                   "缺少所需服务的小区；老龄化程度高者加粗描边"),
                 {**_BASE, "communities": communities, "service_areas": None,
                  "facilities": "default", "precincts": _PRECINCT_OUTLINE})


def _precinct_theme() -> Theme:
    cats = [_category(f"p{i + 1}", fill=c, fill_alpha=0.75, stroke="#252525", stroke_width=2.0)
            for i, c in enumerate(PRECINCT_COLOURS)]
    precincts = {"name": "precincts", "type": "categorised", "field": THEME_FIELD, "fill": "#d9d9d9",
                 "fill_alpha": 0.6, "stroke": "#252525", "stroke_width": 2.0, "label_field": "name",
                 "categories": cats, "label_en": "Precincts", "label_zh": "片区", "legend_other": False,
                 "legend_single": True}
    communities = {"name": "communities", "type": "categorised", "field": THEME_FIELD, "fill": "#ffffff",
                   "fill_alpha": 0.0, "stroke": "#525252", "stroke_width": 0.6, "legend_other": False,
                   "categories": [_category("unassigned", fill="#bdbdbd", fill_alpha=0.9, stroke="#e31a1c",
                                            stroke_width=1.4)]}
    return Theme("precinct_scheme", T("precinct scheme", "片区方案"),
                 T("precincts in distinct colours with their names; communities not in a precinct marked",
                   "片区分色并标注名称；未划入片区的小区突出显示"),
                 {**_BASE, "precincts": precincts, "communities": communities, "service_areas": None,
                  "facilities": None})


def _conflict_theme() -> Theme:
    pipes = {"name": "pipelines", "type": "single", "stroke": "#969696", "stroke_width": 0.8,
             "label_en": "Pipelines", "label_zh": "管线"}
    communities = {"name": "communities", "type": "single", "fill": "#ffffff", "fill_alpha": 0.0,
                   "stroke": "#bdbdbd", "stroke_width": 0.6, "label_en": "Communities", "label_zh": "小区"}
    return Theme("pipeline_conflicts", T("pipeline conflicts", "管线冲突"),
                 T("clearance violations, pairs to check and notices over the pipelines",
                   "管线上的净距违规、待核对与协调提示"),
                 {**_BASE, "pipelines": pipes, "conflicts": "default", "communities": communities,
                  "service_areas": None, "facilities": None, "precincts": _PRECINCT_OUTLINE})


def _programme_theme() -> Theme:
    from layers.labels import PROGRAMME_STATE_LABELS

    cats = [{"value": k, "fill": c, "fill_alpha": 0.9, "stroke": "#525252", "stroke_width": 0.8,
             "label_en": PROGRAMME_STATE_LABELS[k].en, "label_zh": PROGRAMME_STATE_LABELS[k].zh}
            for k, c in PROGRAMME_RAMP.items()]
    communities = {"name": "communities", "type": "categorised", "field": "programme_status",
                   "fill": "#ffffff", "fill_alpha": 0.0, "stroke": "#969696", "label_field": "name",
                   "categories": cats, "label_en": "Renovation programme", "label_zh": "改造计划进度",
                   "legend_other": False, "legend_present_only": True}
    return Theme("renovation_programme", T("renovation programme", "改造计划"),
                 T("communities by their programme stage", "按改造进度着色小区"),
                 {**_BASE, "communities": communities, "service_areas": None, "facilities": None,
                  "precincts": _PRECINCT_OUTLINE})


def _scheme_changes_theme() -> Theme:
    """What changed from scheme A to scheme B (the pair is chosen in the schemes panel;
    :mod:`layers.schemes.changes` keeps the changed features)."""
    communities = {"name": "communities", "type": "categorised", "field": THEME_FIELD,
                   "fill": "#ffffff", "fill_alpha": 0.0, "stroke": "#969696", "stroke_width": 0.6,
                   "label_field": "name", "label_en": "Communities", "label_zh": "小区",
                   "legend_other": False, "legend_present_only": True,
                   "categories": [_category(k, fill=f, fill_alpha=0.85, stroke=s, stroke_width=w)
                                  for k, f, s, w in (("moved", SCHEME_CHANGE["moved"], "#7f2704", 1.6),
                                                     ("added", SCHEME_CHANGE["added"], "#00441b", 1.6),
                                                     ("removed", SCHEME_CHANGE["removed"], "#3f007d", 1.6))]}
    precincts = {"name": "precincts", "type": "categorised", "field": THEME_FIELD, "fill": "#ffffff",
                 "fill_alpha": 0.0, "stroke": "#525252", "stroke_width": 1.2, "dash": "dash",
                 "label_field": "name", "label_en": "Precincts", "label_zh": "片区",
                 "legend_other": False, "legend_present_only": True,
                 "categories": [_category("added", fill="#ffffff", fill_alpha=0.0,
                                          stroke=SCHEME_CHANGE["added"], stroke_width=3.0),
                                _category("removed", fill="#ffffff", fill_alpha=0.0,
                                          stroke=SCHEME_CHANGE["removed"], stroke_width=3.0)]}
    conflicts = {"name": "conflicts", "type": "categorised", "field": THEME_FIELD, "fill": "#ffffff",
                 "fill_alpha": 0.0, "stroke": "#bdbdbd", "stroke_width": 0.8,
                 "label_en": "Pipeline conflicts", "label_zh": "管线冲突", "legend_other": False,
                 "legend_present_only": True,
                 "categories": [_category("opened", stroke=SCHEME_CHANGE["opened"], stroke_width=3.0,
                                          fill=SCHEME_CHANGE["opened"], fill_alpha=1.0),
                                _category("closed", stroke=SCHEME_CHANGE["closed"], stroke_width=3.0,
                                          fill=SCHEME_CHANGE["closed"], fill_alpha=1.0)]}
    return Theme("scheme_changes", T("scheme changes", "方案变化"),
                 T("what changed between two schemes: communities moved between precincts, precincts "
                   "added or removed, conflicts opened or closed (pick the schemes in the schemes panel)",
                   "两个方案之间的变化：调整片区的小区、新增或取消的片区、新增或消除的冲突（在方案面板中选择方案）"),
                 {**_BASE, "communities": communities, "precincts": precincts, "conflicts": conflicts,
                  "pipelines": {"name": "pipelines", "type": "single", "stroke": "#d9d9d9",
                                "stroke_width": 0.6, "label_en": "Pipelines", "label_zh": "管线"},
                  "service_areas": None, "facilities": None})


THEMES: dict[str, Theme] = {t.key: t for t in (
    _coverage_theme("elder_care", "elder-care", "养老服务"),
    _coverage_theme("childcare", "childcare", "托育"),
    _coverage_theme("meal_point", "meal-point", "助餐"),
    _gaps_theme(), _precinct_theme(), _conflict_theme(), _programme_theme(),
    _scheme_changes_theme(),
)}


def theme(key: str) -> Theme:
    if key not in THEMES:
        from layers.errors import ProjectError

        raise ProjectError(T(f"no map theme {key!r}", f"没有专题图“{key}”"), "theme",
                           T(f"use one of: {', '.join(THEMES)}", f"请使用：{'、'.join(THEMES)}"))
    return THEMES[key]
