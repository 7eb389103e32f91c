"""The words for the schema's fixed values, in Chinese and English (the vocabulary).

Values that come from a standards table (services, life-circle levels, pipeline
classes …) are named by that table's ``label_zh`` / ``label_en`` columns; the fixed
choices of a schema field (``choices=``) and the software's own states are named here,
so every screen, report and export says them the same way (:mod:`layers.display`).
This module imports only :mod:`layers.errors`, so every layer of the core may use it.
"""

from __future__ import annotations

from layers.errors import T

PROPERTY_TYPE_LABELS = {
    "commercial": T("commercial housing", "商品房"),
    "work_unit": T("work-unit housing", "单位公房（房改房）"),
    "resettlement": T("resettlement housing", "安置房"),
    "affordable": T("affordable housing", "保障性住房"),
    "mixed": T("mixed", "混合"), "other": T("other", "其他")}
ILLEGAL_LABELS = {
    "none": T("none", "无违建"), "cleared": T("cleared", "已拆除"),
    "mostly_cleared": T("mostly cleared", "基本拆除"), "remaining": T("remaining", "尚未拆除"),
    "unknown": T("unknown", "不详")}
PROGRAMME_STATE_LABELS = {
    "none": T("not in the programme", "未纳入"), "reserve": T("project reserve", "储备库"),
    "annual_plan": T("annual plan", "年度计划"), "design": T("design", "设计"),
    "works": T("works", "施工"), "accepted": T("accepted", "已验收")}
FACILITY_STATUS_LABELS = {
    "existing": T("existing", "现状"), "planned": T("planned", "规划"),
    "under_construction": T("under construction", "在建"), "closed": T("closed", "已关闭")}
PIPE_STATUS_LABELS = {
    "existing": T("existing", "现状"), "relocation": T("to be relocated", "迁改"),
    "new": T("new", "新建"), "abandoned": T("abandoned", "废弃")}
CONFLICT_TYPE_LABELS = {
    "parallel": T("parallel run", "平行敷设"), "crossing": T("crossing", "交叉"),
    "clearance": T("horizontal clearance", "水平净距"), "dig_once": T("dig once", "统一开挖"),
    "under_community": T("under community", "穿越小区")}
CONFLICT_CATEGORY_LABELS = {
    "violation": T("clearance violation", "净距违规"),
    "unchecked": T("clearance not confirmed", "净距未确认"),
    "notice": T("notice", "协调提示")}
RULE_CONFIDENCE_LABELS = {
    "V": T("verified (V)", "已核实（V）"), "S": T("secondary source (S)", "二手来源（S）"),
    "NF": T("not found (NF)", "未找到（NF）"), "user": T("entered by the user", "用户填写")}
CONFLICT_STATUS_LABELS = {
    "open": T("open", "待处理"), "accepted": T("accepted", "已接受"),
    "resolved": T("resolved", "已解决")}
ITEM_LEVEL_LABELS = {"basic": T("basic", "基础类"), "upgrade": T("upgrade", "提升类")}
ADMIN_LEVEL_LABELS = {
    "city": T("city", "市"), "district": T("district", "区（县）"),
    "subdistrict": T("sub-district", "街道（乡镇）"),
    "neighbourhood": T("neighbourhood", "社区（居委会）")}
COVERAGE_FLAG_LABELS = {
    "ok": T("ok", "满足"), "far_from_network": T("far from the street network", "距路网过远"),
    "unreachable": T("unreachable", "不可达"), "no_facility": T("no facility", "无设施")}

#: labels of fixed choices per (kind or None for every kind, field)
CHOICE_LABELS: dict[tuple[str | None, str], dict[str, T]] = {
    (None, "property_type"): PROPERTY_TYPE_LABELS,
    (None, "illegal_structures"): ILLEGAL_LABELS,
    (None, "programme_status"): PROGRAMME_STATE_LABELS,
    ("programme_events", "status"): PROGRAMME_STATE_LABELS,
    ("facilities", "status"): FACILITY_STATUS_LABELS,
    ("pipelines", "status"): PIPE_STATUS_LABELS,
    (None, "parcel_type"): {"idle_land": T("idle land", "闲置用地"),
                            "public_building": T("public building", "存量公房")},
    (None, "ownership"): {
        "state": T("state", "国有"), "collective": T("collective", "集体"),
        "work_unit": T("work unit", "单位"), "private": T("private", "私有"),
        "unknown": T("unknown", "不详")},
    (None, "availability"): {
        "available": T("available", "可用"), "negotiating": T("negotiating", "协商中"),
        "unavailable": T("unavailable", "不可用"), "unknown": T("unknown", "不详")},
    (None, "road_class"): {
        "arterial": T("arterial", "主干路"), "secondary": T("secondary", "次干路"),
        "branch": T("branch", "支路"), "lane": T("lane", "街巷"), "footway": T("footway", "步行道")},
    ("admin", "level"): ADMIN_LEVEL_LABELS,
    ("coverage_results", "flag"): COVERAGE_FLAG_LABELS,
    ("coverage_results", "mode"): {"network": T("along streets", "路网距离"),
                                   "euclidean": T("straight line", "直线距离")},
    ("conflicts", "conflict_type"): CONFLICT_TYPE_LABELS,
    ("conflicts", "status"): CONFLICT_STATUS_LABELS,
    ("conflicts", "category"): CONFLICT_CATEGORY_LABELS,
    ("conflicts", "confidence"): RULE_CONFIDENCE_LABELS,
    ("renovation_items", "level"): ITEM_LEVEL_LABELS,
}

#: columns the software adds to what it exports (not schema fields): their labels
DERIVED_COLUMNS = {"theme": T("Map theme class", "专题分类")}

#: fields whose values are keys of a standards table although the schema lets any value in
CODE_TABLES: dict[tuple[str, str], str] = {
    ("conflicts", "utility_a"): "pipeline_classes",
    ("conflicts", "utility_b"): "pipeline_classes",
}
#: fields whose values name a layer of the project
LAYER_FIELDS = {("conflicts", "layer_a"), ("conflicts", "layer_b")}
#: keys a code field may hold beyond its table's (a clearance to a building)
EXTRA_CODES = {"building": T("building", "建筑物")}

#: names of the layers the software itself makes whose name is not their kind
OWN_LAYER_NAMES = {
    "subdistricts": T("Sub-districts", "街道"),
    "population_grid": T("Population grid", "人口格网"),
    "siting_results": T("Chosen sites", "选址结果"),
}


def choice_labels(kind: str | None, field: str) -> dict[str, T]:
    """The labels of a field's fixed choices (empty when the field has none here)."""
    return CHOICE_LABELS.get((kind, field)) or CHOICE_LABELS.get((None, field)) or {}
