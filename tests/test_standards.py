"""Tests of the standards tables (data/standards) and their loader."""

from __future__ import annotations

import ast
import math
import shutil
from pathlib import Path

import pandas as pd
import pytest

from layers.errors import StandardsError
from layers.resources import data_path
from layers.standards import (
    SCHEMAS,
    Standards,
    level_distance_m,
    load_standards,
    load_standards_from,
    pipeline_colors,
    service_keys,
    subtype_keys,
)

TABLES = {
    "life_circle_levels", "parameters", "services", "service_subtypes", "pipeline_classes",
    "gas_pressure_classes", "clearance_horizontal", "clearance_vertical", "renovation_items",
    "funding_rules", "districts", "ranking_weights", "funding_shares", "programme_parameters",
    "item_funding", "item_suggestions", "siting_parameters", "import_checks", "road_walkability",
}


@pytest.fixture(scope="module")
def std() -> Standards:
    return load_standards()


def test_all_tables_load_and_check_clean(std: Standards) -> None:
    assert set(std.names()) == TABLES
    assert std.check() == []


def test_every_row_has_source_and_confidence(std: Standards) -> None:
    for name in std.names():
        frame = std.table(name)
        assert frame["source"].notna().all(), name
        assert set(frame["confidence"]) <= {"V", "S", "NF"}, name


def test_nf_rows_have_empty_values(std: Standards) -> None:
    nf_rows = 0
    for name in std.names():
        frame = std.table(name)
        nf = frame[frame["confidence"] == "NF"]
        nf_rows += len(nf)
        for col in SCHEMAS[name].values:
            assert nf[col].isna().all(), f"{name}.{col} has a value in an NF row"
    assert nf_rows > 0


def test_life_circle_distances(std: Standards) -> None:
    assert level_distance_m(std, "5min") == 300
    assert level_distance_m(std, "10min") == 500
    assert level_distance_m(std, "15min") == 1000
    row = std.row("life_circle_levels", "15min")
    assert (row["distance_min_m"], row["distance_max_m"]) == (800, 1000)
    assert (row["population_min"], row["population_max"]) == (50000, 100000)
    assert std.value("life_circle_levels", "10min", "dwellings_max") == 8000
    assert std.value("life_circle_levels", "block", "population_min") == 1000
    # 5-minute population is not found: empty, reported NF
    assert std.value("life_circle_levels", "5min", "population_min") is None
    assert std.provenance("life_circle_levels", "5min", "population_min")[1] == "NF"
    with pytest.raises(StandardsError):
        level_distance_m(std, "block")


def test_parameters(std: Standards) -> None:
    assert std.value("parameters", "walking_speed_m_per_min", "value") == pytest.approx(1000 / 15, abs=0.05)
    assert std.value("parameters", "default_crs", "value") == "EPSG:4546"
    assert std.value("parameters", "geographic_crs", "value") == "EPSG:4490"
    assert std.value("parameters", "gcj02_semi_major_axis", "value") == 6378245.0
    assert std.value("parameters", "gcj02_ee", "value") == 0.00669342162296594323
    assert std.value("programme_parameters", "old_community_built_by_year", "value") == 2000
    assert std.value("parameters", "pilot_min_count", "value") == 5
    assert std.value("parameters", "precinct_adjacency_gap_m", "value") == 40
    assert std.provenance("parameters", "precinct_adjacency_gap_m", "value") == (
        "Precinct Planner default (no standard)", "S")
    assert std.provenance("parameters", "pilot_min_count", "value")[1] == "V"
    assert std.value("parameters", "complete_community_population_min", "value") == 5000
    assert std.value("parameters", "complete_community_population_max", "value") == 12000
    assert std.value("parameters", "complete_community_public_activity_space_min_m2", "value") == 150
    assert std.value("parameters", "service_space_m2_per_100_households", "value") == 30
    assert std.value("parameters", "hubei_elder_care_m2_per_100_households", "value") == 20


def test_pipeline_colours_cjj61(std: Standards) -> None:
    colors = pipeline_colors(std)
    assert colors["water"] == (0, 255, 255)
    assert colors["gas"] == (255, 0, 255)
    assert colors["power"] == (255, 0, 0)
    assert colors["drainage"] == (76, 57, 38)
    assert colors["heat"] == (255, 128, 0)
    assert colors["telecom"] == (0, 255, 0)
    assert colors["unknown"] == (102, 0, 204)
    for child in ("drainage_storm", "drainage_sewage", "drainage_combined"):
        assert colors[child] == colors["drainage"]
    assert colors["cable_tv"] == colors["telecom"]
    codes = dict(zip(std.table("pipeline_classes")["key"], std.table("pipeline_classes")["code"]))
    assert codes["water"] == "JS" and codes["drainage_storm"] == "YS" and codes["unknown"] == "BM"


def test_horizontal_clearances(std: Standards) -> None:
    def cl(key: str) -> object:
        return std.value("clearance_horizontal", key, "min_clearance_m")

    assert cl("drainage|building|") == 2.5
    assert cl("building|drainage") == 2.5  # either order, empty condition may be left out
    assert cl("drainage|water|d<=200") == 1.0
    assert cl("drainage|water|d>200") == 1.5
    pressures = ["low", "medium_b", "medium_a", "subhigh_b", "subhigh_a"]
    assert [cl(f"drainage|gas|pressure={p}") for p in pressures] == [1.0, 1.2, 1.2, 1.5, 2.0]
    assert cl("drainage|telecom") == 1.0
    assert cl("drainage|power") == 0.5
    assert cl("water|gas") is None
    assert std.provenance("clearance_horizontal", "water|gas", "min_clearance_m")[1] == "NF"
    assert std.provenance("clearance_horizontal", "drainage|gas|pressure=subhigh_a",
                          "min_clearance_m") == ("GB 50289-2016 Table 4.1.9", "S")


def test_every_main_pair_has_a_clearance_row(std: Standards) -> None:
    main = ["water", "drainage", "gas", "heat", "power", "telecom", "building"]
    frame = std.table("clearance_horizontal")
    pairs = {frozenset((a, b)) for a, b in zip(frame["class_a"], frame["class_b"])}
    for i, a in enumerate(main):
        for b in main[i:]:
            if a == b == "building":
                continue
            assert frozenset((a, b)) in pairs, (a, b)


def test_vertical_clearances(std: Standards) -> None:
    assert std.value("clearance_vertical", "water|drainage", "min_clearance_m") == 0.4
    assert std.value("clearance_vertical", "heat|power", "min_clearance_m") == 0.5
    assert std.value("clearance_vertical", "gas|power", "min_clearance_m") is None


def test_renovation_items_4_categories_26_items(std: Standards) -> None:
    items = std.table("renovation_items")
    assert len(items) == 26
    split = items.groupby(["category", "level"]).size().to_dict()
    assert split == {
        ("environment", "basic"): 13,
        ("building", "basic"): 4,
        ("building", "upgrade"): 4,
        ("public_services", "upgrade"): 4,
        ("governance", "basic"): 1,
    }
    assert items["unit_cost_yuan"].isna().all()
    assert std.provenance("renovation_items", "lift_addition", "unit_cost_yuan")[1] == "NF"
    assert std.value("renovation_items", "lift_addition", "unit") == "台"
    assert "物业管理" in std.value("renovation_items", "community_governance", "notes")
    for _, group in items.groupby("category"):
        assert sorted(group["item_no"]) == list(range(1, len(group) + 1))


def test_services_and_subtypes(std: Standards) -> None:
    keys = service_keys(std)
    for key in ("elder_care", "childcare", "meal_point", "community_service_station", "health_station"):
        assert key in keys
    assert set(subtype_keys(std, "elder_care")) == {"day_care_centre", "elder_service_station",
                                                    "home_for_aged"}
    assert set(subtype_keys(std, "childcare")) == {"nursery", "kindergarten"}
    assert set(subtype_keys(std, "meal_point")) == {"community_canteen", "elder_meal_point"}
    row = std.row("service_subtypes", "home_for_aged")
    assert (row["serves_population_min"], row["serves_population_max"]) == (50000, 100000)
    assert std.value("service_subtypes", "day_care_centre", "serves_population_max") == 12000
    assert std.value("service_subtypes", "nursery", "min_floor_area_m2") is None
    with pytest.raises(StandardsError):
        subtype_keys(std, "no_such_service")


def test_funding_and_districts(std: Standards) -> None:
    rates = {r["key"]: r["city_award_rate"] for _, r in std.table("districts").iterrows()}
    assert rates["xiling"] == rates["wujiagang"] == rates["dianjun"] == 0.5
    assert rates["xiaoting"] == rates["gaoxin"] == 0.2
    assert std.value("districts", "xiling", "code") == "420502"
    assert std.value("districts", "gaoxin", "code") is None
    assert std.value("funding_rules", "pipeline_relocation_award", "rate") == 0.2
    assert std.value("funding_rules", "cable_tv_relocation_award", "rate") == 0.2
    assert std.value("funding_rules", "road_opening_reinstatement_public", "payer") == "public_funds"
    assert std.value("funding_rules", "basic_items_public_share", "rate") is None
    assert std.value("funding_rules", "city_award_xiaoting", "district_code") == "420505"


def test_table_is_a_copy(std: Standards) -> None:
    frame = std.table("life_circle_levels")
    frame.loc[:, "distance_m"] = 1.0
    row = std.row("life_circle_levels", "5min")
    row["distance_m"] = 7
    assert level_distance_m(load_standards(), "5min") == 300


def test_overrides_apply_and_leave_original(std: Standards) -> None:
    new = std.with_overrides({
        "life_circle_levels": {"15min": {"distance_m": 800}},
        "clearance_horizontal": {"gas|water|": {"min_clearance_m": 1.5}},
        "pipeline_classes": {"water": {"color_r": 10}},
        "parameters": {"facility_service_radius_m": {"value": 300}},
    })
    assert level_distance_m(new, "15min") == 800
    assert new.value("clearance_horizontal", "water|gas", "min_clearance_m") == 1.5
    assert pipeline_colors(new)["water"] == (10, 255, 255)
    assert new.provenance("life_circle_levels", "15min", "distance_m") == ("project override", "user")
    assert new.provenance("clearance_horizontal", "water|gas", "min_clearance_m") == (
        "project override", "user")
    assert new.provenance("life_circle_levels", "10min", "distance_m")[1] == "S"
    assert new.check() == []  # a user value in an NF row is not a structural problem
    # the original and the cached object are untouched
    for obj in (std, load_standards()):
        assert level_distance_m(obj, "15min") == 1000
        assert obj.value("clearance_horizontal", "water|gas", "min_clearance_m") is None
        assert obj.provenance("life_circle_levels", "15min", "distance_m")[1] == "S"
    again = new.with_overrides({"life_circle_levels": {"5min": {"distance_m": 250.5}}})
    assert level_distance_m(again, "15min") == 800 and level_distance_m(again, "5min") == 250.5


@pytest.mark.parametrize(
    ("overrides", "table", "key", "column"),
    [
        ({"no_table": {"x": {"distance_m": 1}}}, "no_table", "x", "distance_m"),
        ({"life_circle_levels": {"20min": {"distance_m": 1}}}, "life_circle_levels", "20min", "distance_m"),
        ({"life_circle_levels": {"5min": {"radius": 1}}}, "life_circle_levels", "5min", "radius"),
        ({"life_circle_levels": {"5min": {"distance_m": "300 m"}}}, "life_circle_levels", "5min",
         "distance_m"),
        ({"clearance_horizontal": {"drainage|building|": {"min_clearance_m": -2.5}}},
         "clearance_horizontal", "drainage|building|", "min_clearance_m"),
        ({"funding_rules": {"city_award_xiling": {"rate": 1.5}}}, "funding_rules",
         "city_award_xiling", "rate"),
        ({"renovation_items": {"lift_addition": {"unit_cost_yuan": -1}}}, "renovation_items",
         "lift_addition", "unit_cost_yuan"),
        ({"services": {"elder_care": {"required_level": "20min"}}}, "services", "elder_care",
         "required_level"),
        ({"parameters": {"default_crs": {"value": 4546}}}, "parameters", "default_crs", "value"),
        ({"services": {"elder_care": {"confidence": "V"}}}, "services", "elder_care", "confidence"),
    ],
)
def test_bad_overrides_raise_bilingual(std: Standards, overrides: dict, table: str, key: str,
                                       column: str) -> None:
    with pytest.raises(StandardsError) as info:
        std.with_overrides(overrides)
    err = info.value
    for lang in ("en", "zh"):
        text = err.message(lang)
        assert table in text and key in text and column in text, text
    assert "标准表" in err.message("zh") and "解决办法" in err.message("zh")
    assert "how to fix" in err.message("en")
    assert std.check() == []
    assert level_distance_m(std, "5min") == 300


def test_bool_is_not_a_number(std: Standards) -> None:
    with pytest.raises(StandardsError):
        std.with_overrides({"life_circle_levels": {"5min": {"distance_m": True}}})
    with pytest.raises(StandardsError):
        std.with_overrides({"life_circle_levels": {"5min": {"distance_m": math.nan}}})


@pytest.fixture()
def tables_copy(tmp_path: Path) -> Path:
    for src in Path(data_path("standards")).glob("*.csv"):
        shutil.copy(src, tmp_path / src.name)
    return tmp_path


def _rewrite(path: Path, edit) -> None:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    result = edit(frame)
    (frame if result is None else result).to_csv(path, index=False)


def test_copy_of_tables_loads(tables_copy: Path) -> None:
    assert load_standards_from(tables_copy).check() == []


def test_missing_source_column(tables_copy: Path) -> None:
    _rewrite(tables_copy / "services.csv", lambda f: f.drop(columns=["source"]))
    with pytest.raises(StandardsError) as info:
        load_standards_from(tables_copy)
    text = info.value.message("en")
    assert "services.csv" in text and "source" in text and "row 1" in text


def test_bad_confidence_value(tables_copy: Path) -> None:
    def edit(frame: pd.DataFrame) -> None:
        frame.loc[1, "confidence"] = "maybe"

    _rewrite(tables_copy / "pipeline_classes.csv", edit)
    with pytest.raises(StandardsError) as info:
        load_standards_from(tables_copy)
    for lang, row in (("en", "row 3"), ("zh", "第 3 行")):
        text = info.value.message(lang)
        assert "pipeline_classes.csv" in text and "confidence" in text and row in text


def test_text_in_numeric_cell(tables_copy: Path) -> None:
    def edit(frame: pd.DataFrame) -> None:
        frame.loc[0, "min_clearance_m"] = "2.5m"

    _rewrite(tables_copy / "clearance_horizontal.csv", edit)
    with pytest.raises(StandardsError) as info:
        load_standards_from(tables_copy)
    assert "row 2" in info.value.message("en") and "min_clearance_m" in info.value.message("en")


def test_check_reports_structural_problems(tables_copy: Path) -> None:
    def edit(frame: pd.DataFrame) -> None:
        frame.loc[0, "service"] = "no_such_service"
        frame.loc[1, "key"] = frame.loc[0, "key"]

    _rewrite(tables_copy / "service_subtypes.csv", edit)

    def nf_with_value(frame: pd.DataFrame) -> None:
        frame.loc[frame["confidence"] == "NF", "min_clearance_m"] = "9"

    _rewrite(tables_copy / "clearance_vertical.csv", nf_with_value)
    problems = load_standards_from(tables_copy).check()
    assert any("no_such_service" in p for p in problems)
    assert any("not unique" in p for p in problems)
    assert any("NF row has a value" in p and "clearance_vertical" in p for p in problems)


def test_empty_directory(tmp_path: Path) -> None:
    with pytest.raises(StandardsError):
        load_standards_from(tmp_path)


def test_loader_imports_no_gui() -> None:
    source = Path(__file__).resolve().parents[1] / "layers" / "standards.py"
    tree = ast.parse(source.read_text(encoding="utf-8"))
    names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    names += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert not [m for m in names if m.split(".")[0] in {"PyQt5", "app"}]
