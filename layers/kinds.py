"""The layer kinds of Precinct Planner and their schemas.

Field names are English snake_case (internal keys); every field carries its
Chinese and English label and its unit. Allowed values that are standards
(service types, pipeline classes) are named by table (``choices_from``) so a
project's overrides of the standards tables apply.
"""

from __future__ import annotations

from layers.schema import Field, Schema

F = Field

ADMIN_FIELDS = (
    F("district", "str", "District", "区"),
    F("district_code", "str", "District code", "区划代码"),
    F("subdistrict", "str", "Sub-district", "街道"),
    F("neighbourhood", "str", "Neighbourhood committee", "社区（居委会）"),
)

PROPERTY_TYPES = ("commercial", "work_unit", "resettlement", "affordable", "mixed", "other")
ILLEGAL_STATES = ("none", "cleared", "mostly_cleared", "remaining", "unknown")
# reserve → annual plan → design → works → accepted (the plan's project generation mechanism)
PROGRAMME_STATES = ("none", "reserve", "annual_plan", "design", "works", "accepted")
#: states in which a community's renovation is planned or under way
PLANNED_STATES = ("annual_plan", "design", "works")

COMMUNITIES = Schema(
    "communities", "Communities", "小区", "polygon",
    (
        F("name", "str", "Community name", "小区名称", required=True),
        *ADMIN_FIELDS,
        F("year_built", "int", "Year built", "建成年代", "year", minimum=1900, maximum=2100),
        F("property_type", "str", "Property type", "产权类型", choices=PROPERTY_TYPES),
        F("disabled_residents", "bool", "Disabled residents live together",
          "残障人士集中居住"),
        F("households", "int", "Households", "户数", "户", minimum=0, maximum=100000),
        F("population", "int", "Population", "人口", "人", minimum=0, maximum=300000),
        F("pop_60plus", "int", "Residents aged 60+", "60岁以上人口", "人", minimum=0),
        F("pop_0_3", "int", "Children aged 0–3", "0–3岁儿童", "人", minimum=0),
        F("buildings", "int", "Buildings", "楼栋数", "栋", minimum=0, maximum=1000),
        F("floors_max", "int", "Floors (highest)", "最高层数", "层", minimum=1, maximum=100),
        F("lifts", "int", "Lifts", "电梯数", "台", minimum=0),
        F("willingness", "float", "Residents agreeing to renovate (share)",
          "改造意愿（同意户数占比）", "0–1", minimum=0, maximum=1),
        F("illegal_structures", "str", "Illegal structures", "违章建筑拆除情况",
          choices=ILLEGAL_STATES),
        F("shantytown", "bool", "In the shantytown programme", "纳入棚户区改造计划"),
        F("self_built_share", "float", "Share of self-built housing", "居民自建房占比",
          "0–1", minimum=0, maximum=1),
        F("urban_village", "bool", "Urban village", "城中村"),
        F("in_urban_centre", "bool", "In a city or county-town centre", "位于城市或县城中心城区"),
        F("precinct", "str", "Precinct", "所属片区"),
        F("programme_status", "str", "Renovation programme status", "改造计划状态",
          choices=PROGRAMME_STATES),
        F("notes", "str", "Notes", "备注"),
    ),
)

PRECINCTS = Schema(
    "precincts", "Precincts", "片区", "polygon",
    (
        F("name", "str", "Precinct name", "片区名称", required=True),
        F("code", "str", "Precinct code", "片区编号"),
        F("district", "str", "District", "区"),
        F("subdistrict", "str", "Sub-district", "街道"),
        F("locked", "bool", "Locked (kept by automatic grouping)", "锁定（自动分组时保留）"),
        F("notes", "str", "Notes", "备注"),
    ),
)

FACILITY_STATUS = ("existing", "planned", "under_construction", "closed")

FACILITIES = Schema(
    "facilities", "Service facilities", "服务设施", "point",
    (
        F("name", "str", "Facility name", "设施名称", required=True),
        F("service", "str", "Service type", "服务类型", required=True,
          choices_from="services"),
        F("subtype", "str", "Subtype", "设施子类", choices_from="service_subtypes"),
        F("capacity", "int", "Capacity (places or beds)", "服务规模（床位/学位/座位）", "个",
          minimum=0),
        F("floor_area_m2", "float", "Floor area", "建筑面积", "m²", minimum=0),
        F("status", "str", "Status", "状态", choices=FACILITY_STATUS),
        F("address", "str", "Address", "地址"),
        F("community", "str", "Community", "所在小区"),
    ),
)

PARCEL_TYPES = ("idle_land", "public_building")
OWNERSHIP = ("state", "collective", "work_unit", "private", "unknown")
AVAILABILITY = ("available", "negotiating", "unavailable", "unknown")

PARCELS = Schema(
    "parcels", "Idle land and public buildings", "存量用地与公房", "polygon",
    (
        F("name", "str", "Parcel name", "地块名称", required=True),
        F("parcel_type", "str", "Parcel type", "类型", required=True, choices=PARCEL_TYPES),
        F("ownership", "str", "Ownership", "权属", choices=OWNERSHIP),
        F("availability", "str", "Availability", "可用性", choices=AVAILABILITY),
        F("current_use", "str", "Current use", "现状用途"),
        F("floor_area_m2", "float", "Floor area (buildings)", "建筑面积（公房）", "m²", minimum=0),
        F("green_space", "bool", "Occupies green space", "占用绿地"),
        F("notes", "str", "Notes", "备注"),
    ),
)

PIPE_STATUS = ("existing", "relocation", "new", "abandoned")

PIPELINES = Schema(
    "pipelines", "Pipelines", "管线", "line",
    (
        F("utility", "str", "Utility class (CJJ 61)", "管线类别（CJJ 61）", required=True,
          choices_from="pipeline_classes"),
        F("owner", "str", "Owner", "权属单位"),
        F("diameter_mm", "float", "Diameter or width", "管径或宽度", "mm", minimum=0,
          maximum=10000),
        F("material", "str", "Material", "材质"),
        F("depth_m", "float", "Depth to top", "埋深（管顶）", "m", minimum=0, maximum=50),
        F("pressure", "str", "Gas pressure class", "燃气压力等级",
          choices_from="gas_pressure_classes"),
        F("status", "str", "Status", "状态", choices=PIPE_STATUS),
        F("works_start", "date", "Planned works start", "计划施工开始"),
        F("works_end", "date", "Planned works end", "计划施工结束"),
        F("street", "str", "Street", "所在道路"),
    ),
)

ROAD_CLASSES = ("arterial", "secondary", "branch", "lane", "footway")

STREETS = Schema(
    "streets", "Streets", "街道路网", "line",
    (
        F("name", "str", "Street name", "道路名称"),
        F("road_class", "str", "Road class", "道路等级", choices=ROAD_CLASSES),
        F("width_m", "float", "Width", "宽度", "m", minimum=0, maximum=200),
        F("walkable", "bool", "Walkable", "可步行"),
        F("oneway", "bool", "One-way", "单行"),
        F("z_level", "int", "Vertical level (bridge +1, tunnel -1)", "竖向层级（桥 +1，隧道 -1）",
          minimum=-9, maximum=9),
    ),
)

ADMIN_LEVELS = ("city", "district", "subdistrict", "neighbourhood")

ADMIN = Schema(
    "admin", "Administrative areas", "行政区划", "polygon",
    (
        F("name", "str", "Name", "名称", required=True),
        F("level", "str", "Level", "层级", required=True, choices=ADMIN_LEVELS),
        F("code", "str", "Code", "代码"),
        F("parent_code", "str", "Parent code", "上级代码"),
    ),
)

CONFLICT_TYPES = ("parallel", "crossing", "clearance", "dig_once", "under_community")
CONFLICT_STATUS = ("open", "accepted", "resolved")
#: violation: a confirmed clearance is breached; unchecked: the rule's value is not confirmed
#: or the data it needs are missing (a to-do); notice: coordination information
CONFLICT_CATEGORIES = ("violation", "unchecked", "notice")
#: the confidence of a standards value (V, S, NF) or a value the project entered (user)
RULE_CONFIDENCE = ("V", "S", "NF", "user")

CONFLICTS = Schema(
    "conflicts", "Pipeline conflicts", "管线冲突", "line",
    (
        F("conflict_id", "str", "Conflict id", "冲突编号", required=True),
        F("category", "str", "Category", "类别", choices=CONFLICT_CATEGORIES),
        F("conflict_type", "str", "Type", "冲突类型", required=True, choices=CONFLICT_TYPES),
        F("layer_a", "str", "Layer A", "图层A"),
        F("fid_a", "int", "Feature A", "要素A", minimum=0),
        F("utility_a", "str", "Utility A", "管线类别A"),
        F("layer_b", "str", "Layer B", "图层B"),
        F("fid_b", "int", "Feature B", "要素B", minimum=0),
        F("utility_b", "str", "Utility B", "管线类别B"),
        F("length_m", "float", "Length", "长度", "m", minimum=0),
        F("distance_m", "float", "Distance (wall to wall)", "净距（管壁间）", "m", minimum=0),
        F("required_m", "float", "Required clearance", "规范要求净距", "m", minimum=0),
        F("checked", "bool", "Checked against a confirmed value", "已按确认规范值校核"),
        F("basis", "str", "Rule source", "规范依据"),
        F("confidence", "str", "Confidence of the rule", "规范值可信度", choices=RULE_CONFIDENCE),
        F("street", "str", "Street", "所在道路"),
        F("saving_yuan", "float", "Saving from digging once", "统一开挖节省费用", "元", minimum=0),
        F("status", "str", "Status", "处理状态", required=True, choices=CONFLICT_STATUS),
        F("note", "str", "Note", "备注"),
    ),
)

ITEM_LEVELS = ("basic", "upgrade")

PROGRAMME_ITEMS = Schema(
    "programme_items", "Renovation items per community", "小区改造项目清单", None,
    (
        F("community_fid", "int", "Community (feature id)", "小区（要素编号）", required=True,
          minimum=1),
        F("item", "str", "Renovation item", "改造项目", required=True,
          choices_from="renovation_items"),
        F("selected", "bool", "Selected", "已选"),
        F("quantity", "float", "Quantity", "数量", minimum=0),
        F("unit_cost_yuan", "float", "Unit cost (overrides the catalogue)", "单价（覆盖目录）", "元",
          minimum=0),
        F("suggested_by", "str", "Suggested by", "建议依据"),
        F("note", "str", "Note", "备注"),
    ),
    is_table=True,
)

PROGRAMME_EVENTS = Schema(
    "programme_events", "Renovation programme log", "改造进度记录", None,
    (
        F("community_fid", "int", "Community (feature id)", "小区（要素编号）", required=True,
          minimum=1),
        F("status", "str", "Status", "状态", required=True, choices=PROGRAMME_STATES),
        F("date", "date", "Date", "日期", required=True),
        F("year", "int", "Plan year", "计划年度", minimum=2000, maximum=2100),
        F("signed_by", "str", "Acceptance signed by", "验收签字（业委会/居民自治小组）"),
        F("note", "str", "Note", "备注"),
    ),
    is_table=True,
)

COVERAGE_FLAGS = ("ok", "far_from_network", "unreachable", "no_facility")

COVERAGE_RESULTS = Schema(
    "coverage_results", "Life-circle coverage per community and service", "小区生活圈覆盖结果", None,
    (
        F("community_fid", "int", "Community (feature id)", "小区（要素编号）", required=True,
          minimum=1),
        F("community", "str", "Community", "小区"),
        F("service", "str", "Service", "服务类型", required=True, choices_from="services"),
        F("mode", "str", "Distance mode", "距离计算方式", choices=("network", "euclidean")),
        F("nearest_m", "float", "Distance to the nearest facility", "至最近设施距离", "m",
          minimum=0),
        F("nearest_facility_fid", "int", "Nearest facility (feature id)", "最近设施（要素编号）",
          minimum=1),
        F("snap_m", "float", "Distance from the community to the street", "小区至路网距离", "m",
          minimum=0),
        F("required_level", "str", "Required level", "要求的生活圈层级",
          choices_from="life_circle_levels"),
        F("required_m", "float", "Required walking distance", "要求步行距离", "m", minimum=0),
        F("covered", "bool", "Covered at the required level", "满足要求层级"),
        F("population", "int", "Residents", "居民人数", "人", minimum=0),
        F("pop_60plus", "int", "Residents aged 60+", "60岁以上人口", "人", minimum=0),
        F("pop_0_3", "int", "Children aged 0–3", "0–3岁儿童", "人", minimum=0),
        F("flag", "str", "Flag", "标记", choices=COVERAGE_FLAGS),
    ),
    is_table=True,
)

SERVICE_AREAS = Schema(
    "service_areas", "Service areas (reachable within the level)", "服务范围（步行可达）", "polygon",
    (
        F("service", "str", "Service", "服务类型", required=True, choices_from="services"),
        F("level_m", "float", "Walking distance", "步行距离", "m", required=True, minimum=0),
        F("level", "str", "Life-circle level", "生活圈层级", choices_from="life_circle_levels"),
        F("facility_fid", "int", "Facility (feature id); empty when merged", "设施（要素编号）",
          minimum=1),
    ),
)

OTHER = Schema("other", "Other vector layer", "其他矢量图层", None, ())
BASEMAP = Schema("basemap", "Raster basemap", "栅格底图", None, (), is_raster=True)
POPULATION = Schema("population", "Population grid", "人口格网", None, (), is_raster=True)

KINDS: dict[str, Schema] = {
    s.kind: s
    for s in (COMMUNITIES, PRECINCTS, FACILITIES, PARCELS, PIPELINES, STREETS, ADMIN,
              CONFLICTS, PROGRAMME_ITEMS, PROGRAMME_EVENTS, COVERAGE_RESULTS, SERVICE_AREAS,
              OTHER, BASEMAP, POPULATION)
}
VECTOR_KINDS = tuple(k for k, s in KINDS.items() if not s.is_raster and not s.is_table)
TABLE_KINDS = tuple(k for k, s in KINDS.items() if s.is_table)
RASTER_KINDS = tuple(k for k, s in KINDS.items() if s.is_raster)


def schema_for(kind: str) -> Schema:
    """The schema of a layer kind; a clear error for an unknown kind."""
    try:
        return KINDS[kind]
    except KeyError:
        from layers.errors import ProjectError, T

        raise ProjectError(
            T(f"unknown layer kind {kind!r}", f"未知的图层类型 {kind!r}"),
            "",
            T(f"use one of: {', '.join(KINDS)}", f"请使用：{'、'.join(KINDS)}"),
        ) from None
