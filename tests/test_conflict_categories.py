"""Pipeline conflicts that mean breaches (issue 18): on a hand-made survey with Chinese
field names, exactly the pairs that breach a confirmed GB 50289 clearance are violations,
a pair that meets its clearance is in no category, NF pairs are to-dos (unchecked) and
pairs without a rule are notices — in the layer, the report, the CLI text and --json.

The reference is worked out by hand (tests/pipeline_case.py) and checked here against the
clearance CSV read with the csv module, not through layers.standards."""

from __future__ import annotations

import csv
import json
import math

import pytest
from pipeline_case import PAIRS, ROWS, case_of, imported_project

from layers.i18n import current_language, set_language
from layers.pipelines import (
    counts_by_category,
    find_conflicts,
    parallel_runs,
    to_check,
    update_conflicts_layer,
)
from layers.resources import data_path

CONFIRMED = ("V", "S")


def _csv_rows() -> dict[tuple[str, str, str], tuple[float | None, str, str]]:
    with open(data_path("standards") / "clearance_horizontal.csv", encoding="utf-8-sig") as f:
        return {(r["class_a"], r["class_b"], r["condition"]):
                (float(r["min_clearance_m"]) if r["min_clearance_m"] else None, r["confidence"],
                 r["source"]) for r in csv.DictReader(f)}


def _expected() -> dict[int, str]:
    """case -> category, from the CSV: a confirmed value breached is a violation, met is
    nothing, an empty NF cell is unchecked, no row is a notice (the pair runs in parallel)."""
    table, out = _csv_rows(), {}
    for case, ((*_p, wall, value, stated), row) in enumerate(zip(PAIRS, ROWS, strict=True), 1):
        if row is None:
            found = "notice"
        else:
            csv_value, confidence, _source = table[row]
            assert csv_value == value, (case, row)  # the hand table agrees with the CSV
            if csv_value is None or confidence not in CONFIRMED:
                found = "unchecked"
            else:
                found = "violation" if wall < csv_value else None
        assert found == stated, case
        if found:
            out[case] = found
    return out


@pytest.fixture
def english():
    before = current_language()
    set_language("en")
    yield
    set_language(before)


@pytest.fixture
def case_project(tmp_path, english):
    return imported_project(tmp_path)


def test_hand_made_survey_exactly_the_breaching_pairs_are_violations(case_project):
    expected = _expected()
    assert expected == {2: "violation", 3: "violation", 7: "unchecked", 8: "unchecked",
                        9: "notice"}
    layer = case_project.layer("管线")
    assert set(layer.gdf["utility"]) == {"drainage_sewage", "drainage_storm", "power", "water",
                                         "gas", "telecom", "unknown"}
    # the product's 1.0 m tolerance sees five parallel runs (sewer–power at 0.75 m among them)
    runs = parallel_runs(layer.gdf, 1.0, 10.0)
    assert {case_of(a, b) for a, b in zip(runs["fid_a"], runs["fid_b"], strict=True)} == \
        {1, 2, 7, 8, 9}

    found = find_conflicts(case_project)
    got = {}
    for row in found.itertuples():
        case = case_of(row.fid_a, row.fid_b)
        assert case not in got, f"case {case} reported twice"
        got[case] = row.category
    assert got == expected  # case 1 (0.75 m vs 0.5 m), 4, 5, 6 and the crossing: nothing
    assert counts_by_category(found) == {"violation": 2, "unchecked": 2, "notice": 1}
    assert found["category"].tolist() == ["violation"] * 2 + ["unchecked"] * 2 + ["notice"]

    table = _csv_rows()
    for row in found[found["category"] == "violation"].itertuples():
        case = case_of(row.fid_a, row.fid_b)
        value, confidence, source = table[ROWS[case - 1]]
        assert row.conflict_type == "clearance" and bool(row.checked)
        assert row.required_m == pytest.approx(value)
        assert row.distance_m == pytest.approx(PAIRS[case - 1][5], abs=1e-9)
        assert row.length_m == pytest.approx(60.0)
        assert row.basis == source and row.confidence == confidence
        assert "breaches" in row.note
    for row in found[found["category"] == "unchecked"].itertuples():
        assert row.conflict_type == "clearance" and not bool(row.checked)
        assert math.isnan(row.required_m) and row.confidence == "NF"
        assert row.note.startswith("clearance not confirmed: check")
    water_power = found[found["category"] == "unchecked"].iloc[0]
    assert "water supply–power" in water_power["note"]
    notice = found[found["category"] == "notice"].iloc[0]
    assert notice["conflict_type"] == "parallel" and notice["length_m"] == pytest.approx(60.0)
    assert to_check(found) == [
        {"conflict_type": "clearance", "class_a": "gas", "class_b": "telecom",
         "reason": "not_confirmed", "pairs": 1},
        {"conflict_type": "clearance", "class_a": "water", "class_b": "power",
         "reason": "not_confirmed", "pairs": 1}]


def test_a_value_the_project_enters_is_confirmed(case_project):
    """Filling the NF cells (as the README says a user does from the official table): the
    water–power pair at 0.40 m breaches 0.5 m; gas–telecom at 0.60 m meets 0.5 m."""
    case_project.set_standards_overrides({"clearance_horizontal": {
        "water|power|": {"min_clearance_m": 0.5}, "gas|telecom|": {"min_clearance_m": 0.5}}})
    found = find_conflicts(case_project)
    got = {case_of(a, b): c for a, b, c in zip(found["fid_a"], found["fid_b"], found["category"],
                                              strict=True)}
    assert got == {2: "violation", 3: "violation", 7: "violation", 9: "notice"}
    row = found[[case_of(a, b) == 7 for a, b in zip(found["fid_a"], found["fid_b"],
                                                      strict=True)]].iloc[0]
    assert row["confidence"] == "user" and row["basis"].startswith("project override")
    assert row["required_m"] == pytest.approx(0.5)


def test_layer_report_and_statuses_keep_the_categories(case_project, tmp_path):
    from layers.exports.reports import write_report

    layer = update_conflicts_layer(case_project, find_conflicts(case_project))
    assert layer.gdf["category"].tolist() == ["violation"] * 2 + ["unchecked"] * 2 + ["notice"]
    out = write_report(layer.gdf, tmp_path / "冲突.csv", lang="zh")
    with open(out, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][:3] == ["类别", "冲突编号", "冲突类型"]
    assert [r[0] for r in rows[1:]] == ["净距违规"] * 2 + ["净距未确认"] * 2 + ["协调提示"]
    assert "二手来源（S）" in rows[1] and "未找到（NF）" in rows[3]


def test_cli_json_counts_violations_and_zh_headline_leads_with_them(case_project, tmp_path,
                                                                     capsys):
    from app.cli.main import main
    from layers.store import save_project

    path = tmp_path / "管线.gpkg"
    save_project(case_project, path)
    assert main(["conflicts", str(path), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert (payload["violations"], payload["unchecked"], payload["notices"]) == (2, 2, 1)
    assert payload["categories"] == {"violation": 2, "unchecked": 2, "notice": 1}
    assert payload["total"] == len(payload["rows"]) == 5
    assert payload["counts"]["clearance"] == 4 and payload["counts"]["parallel"] == 1
    assert [r["category"] for r in payload["rows"]] == ["violation"] * 2 + ["unchecked"] * 2 + \
        ["notice"]
    assert {(t["class_a"], t["class_b"]) for t in payload["to_check"]} == {("gas", "telecom"),
                                                                          ("water", "power")}

    assert main(["conflicts", str(path), "--lang", "zh"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("2 项净距违规")
    assert lines[1].strip() == "水平净距 2"
    assert lines[2].startswith("2 处待核")
    assert any("核对给水–电力" in line for line in lines)
    assert any(line.startswith("1 条协调提示") for line in lines)
    assert not any("管线冲突 " in line for line in lines)  # no "N pipeline conflicts" total

    assert main(["conflicts", str(path), "--lang", "en"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first == f"2 clearance violations in {path}"


def test_a_layer_found_before_categories_gets_them_from_type_and_checked():
    """Old conflicts layers (no category) still read right until they are re-run: they held
    clearance/crossing rows that breached a value (checked) or could not be checked."""
    import pandas as pd

    from layers.pipelines import categories_of

    old = pd.DataFrame({"conflict_type": ["clearance", "clearance", "crossing", "parallel",
                                          "dig_once", "clearance"],
                        "checked": [True, False, pd.NA, pd.NA, pd.NA, True],
                        "category": [None, None, None, None, None, "unchecked"]})
    assert categories_of(old).tolist() == ["violation", "unchecked", "unchecked", "notice",
                                           "notice", "unchecked"]
    assert counts_by_category(old.drop(columns="category")) == {
        "violation": 2, "unchecked": 2, "notice": 2}


def test_a_re_run_rewrites_the_software_notes_and_keeps_a_persons(case_project):
    """A layer from before categories (English notes, rule keys as notes) re-run in Chinese:
    the software's notes are written anew, a person's note stays."""
    from layers.commands import ChangeAttributes

    layer = update_conflicts_layer(case_project, find_conflicts(case_project))
    fids = list(layer.gdf.index)
    case_project.apply(ChangeAttributes(layer.id, {
        fids[0]: {"note": "drainage|power|", "category": None},
        fids[2]: {"note": "unchecked: the table's cell has no confirmed value (NF)"},
        fids[3]: {"note": "待与电信公司核对"}}))
    set_language("zh")
    update_conflicts_layer(case_project, find_conflicts(case_project))
    notes = layer.gdf["note"].tolist()
    assert notes[0] == "不满足排水–电力最小水平净距"
    assert notes[2] == "净距未确认：请核对给水–电力（规范表中该项数值未确认）"
    assert notes[3] == "待与电信公司核对"
    assert layer.gdf["category"].tolist()[0] == "violation"
