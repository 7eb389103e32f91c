"""The feature form on the small sample city: editors from the schema, choices with their
labels, problems shown next to the field (the dialog stays open), and the command it
builds for an existing feature or the values it hands over for a new one."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import geopandas as gpd  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import shapely  # noqa: E402

pytest.importorskip("pytestqt", reason="pytest-qt is needed for the form tests")

from PyQt5.QtCore import QDate, Qt, QTimer  # noqa: E402
from PyQt5.QtWidgets import (  # noqa: E402
    QApplication,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QLabel,
    QLineEdit,
    QSpinBox,
)

from app.dialogs.feature_form import FeatureForm, edit_feature_values  # noqa: E402
from layers import i18n  # noqa: E402
from layers.commands import AddFeatures, ChangeAttributes  # noqa: E402
from layers.demo import build_sample_project  # noqa: E402
from layers.kinds import PROPERTY_TYPES  # noqa: E402


@pytest.fixture
def project():
    return build_sample_project("small", 0)


@pytest.fixture
def zh():
    old = i18n.current_language()
    i18n.set_language("zh")
    yield
    i18n.set_language(old)


def _form(qtbot, *args, **kwargs) -> FeatureForm:
    form = FeatureForm(*args, **kwargs)
    qtbot.addWidget(form)
    form.show()
    qtbot.waitExposed(form)
    return form


def _ok(qtbot, form: FeatureForm) -> None:
    qtbot.mouseClick(form.buttons.button(QDialogButtonBox.Ok), Qt.LeftButton)


def _combo(form: FeatureForm, name: str) -> list:
    combo = form.editors[name]
    assert isinstance(combo, QComboBox)
    return [(combo.itemData(i), combo.itemText(i)) for i in range(combo.count())]


def _label_of(form: FeatureForm, name: str) -> str:
    editor = form.editors[name]
    return next(lab.text() for lab in form.findChildren(QLabel) if lab.buddy() is editor)


def _retype(qtbot, widget, text: str) -> None:
    widget.setFocus()
    widget.selectAll() if isinstance(widget, QLineEdit) else widget.lineEdit().selectAll()
    qtbot.keyClicks(widget, text)


def test_one_editor_per_field_from_the_schema(project, qtbot):
    layer = project.layer("communities")
    form = _form(qtbot, project, layer, 1)
    assert list(form.editors) == layer.schema.field_names
    kinds = {f.name: f.type for f in layer.schema.fields}
    for name, editor in form.editors.items():
        expected = {"int": QSpinBox, "float": QDoubleSpinBox, "bool": QCheckBox}.get(kinds[name], QLineEdit)
        if layer.schema.field(name).choices:
            expected = QComboBox
        assert isinstance(editor, expected), name
    assert _label_of(form, "population") == "Population"  # no Chinese unit in en (issue 17)
    assert _label_of(form, "name") == "Community name *"  # required
    spin = form.editors["population"]
    assert (spin.minimum(), spin.maximum()) == (-1, 300000)  # one below the range means empty
    assert form.editors["year_built"].maximum() == 2100 and form.editors["willingness"].maximum() == 1
    assert spin.value() == layer.gdf.at[1, "population"]
    assert form.editors["notes"].text() == ""
    assert form.editors["shantytown"].checkState() == Qt.Checked
    assert form.values()["population"] == layer.gdf.at[1, "population"]
    assert form.changed_values() == {} and form.command() is None
    assert form.windowTitle() == "Feature 1 — communities"


def test_choice_fields_list_the_allowed_values_with_labels(project, qtbot):
    layer = project.layer("communities")
    form = _form(qtbot, project, layer, 1)
    items = _combo(form, "property_type")
    assert [k for k, _ in items] == [None, *PROPERTY_TYPES]  # optional: an empty choice first
    assert dict(items)["work_unit"] == "work-unit housing"
    assert form.editors["property_type"].currentData() == "work_unit"
    facilities = project.layer("facilities")
    form = _form(qtbot, project, facilities, int(facilities.gdf.index[0]))
    service = facilities.schema.field("service")
    items = _combo(form, "service")
    assert [k for k, _ in items] == project.allowed_values(service)  # required, set: no empty
    assert dict(items)["elder_care"] == "elder care"
    pipelines = project.layer("pipelines")
    form = _form(qtbot, project, pipelines, int(pipelines.gdf.index[0]))
    pressure = pipelines.schema.field("pressure")
    assert [k for k, _ in _combo(form, "pressure")] == [None, *project.allowed_values(pressure)]


def test_labels_in_chinese(project, qtbot, zh):
    facilities = project.layer("facilities")
    form = _form(qtbot, project, facilities, None)
    assert dict(_combo(form, "service"))["elder_care"] == "养老服务设施"
    assert _label_of(form, "floor_area_m2") == "建筑面积 (m²)"
    assert _label_of(form, "name") == "设施名称 *"
    assert form.windowTitle() == "新要素 — facilities"
    _ok(qtbot, form)
    assert form.problem_labels["name"].text() == "必填值为空"


@pytest.mark.parametrize("field, bad, good, words", [
    ("year_built", 1850, "1990", "below the minimum 1900"),
    ("population", -5, "480", "below the minimum 0"),
    ("willingness", 1.4, "0.75", "above the maximum 1"),
])
def test_out_of_range_is_refused_next_to_the_field(project, qtbot, field, bad, good, words):
    layer = project.layer("communities")
    before = layer.gdf.at[1, field]
    form = _form(qtbot, project, layer, 1, values={field: bad})
    assert form.values()[field] == bad  # shown as it is, not clipped to the range
    _ok(qtbot, form)
    assert form.isVisible() and form.result() != QDialog.Accepted
    label = form.problem_labels[field]
    assert label.isVisible() and words in label.text() and "c0392b" in label.styleSheet()
    assert [n for n, lab in form.problem_labels.items() if lab.isVisible()] == [field]
    assert form.summary.isVisible()
    _retype(qtbot, form.editors[field], good)
    assert not label.isVisible()  # editing the field clears its problem
    _ok(qtbot, form)
    assert form.result() == QDialog.Accepted and not form.isVisible()
    cmd = form.command()
    assert isinstance(cmd, ChangeAttributes) and cmd.new == {1: {field: type(bad)(good)}}
    project.apply(cmd)
    assert layer.gdf.at[1, field] == type(bad)(good)
    project.undo.undo()
    assert layer.gdf.at[1, field] == before


def test_a_number_box_takes_no_text(project, qtbot):
    layer = project.layer("communities")
    form = _form(qtbot, project, layer, 1)
    spin = form.editors["population"]
    _retype(qtbot, spin, "abc")
    assert form.values()["population"] == layer.gdf.at[1, "population"]
    assert form.editors["willingness"].decimals() >= 2


def test_untouched_values_keep_their_precision(project, qtbot):
    layer = project.layer("communities")
    project.apply(ChangeAttributes(layer.id, {1: {"willingness": 0.1234567, "self_built_share": None}}))
    form = _form(qtbot, project, layer, 1)
    assert form.values()["willingness"] == 0.1234567
    assert form.values()["self_built_share"] is None
    assert form.changed_values() == {}


def test_edit_feature_values_runs_the_dialog(project, qtbot):
    layer = project.layer("communities")

    def answer(ok: bool, lifts: str | None):
        form = QApplication.activeModalWidget()
        assert isinstance(form, FeatureForm)
        if lifts is not None:
            _retype(qtbot, form.editors["lifts"], lifts)
        (form.buttons.button(QDialogButtonBox.Ok if ok else QDialogButtonBox.Cancel)).click()

    QTimer.singleShot(0, lambda: answer(True, "6"))
    cmd = edit_feature_values(project, layer, 2)
    assert cmd.new == {2: {"lifts": 6}}
    QTimer.singleShot(0, lambda: answer(False, "9"))
    assert edit_feature_values(project, layer, 2) is None  # cancelled
    QTimer.singleShot(0, lambda: answer(True, None))
    assert edit_feature_values(project, layer, 2) is None  # nothing changed


def test_a_new_feature_needs_its_required_fields(project, qtbot):
    facilities = project.layer("facilities")
    form = _form(qtbot, project, facilities, None, values={"status": "planned"})
    assert form.windowTitle() == "New feature — facilities"
    assert _combo(form, "service")[0][0] is None  # required but empty: nothing is chosen yet
    assert form.editors["status"].currentData() == "planned"
    _ok(qtbot, form)
    assert form.isVisible()
    shown = {n: lab.text() for n, lab in form.problem_labels.items() if lab.isVisible()}
    assert shown == {"name": "required value is empty", "service": "required value is empty"}
    _retype(qtbot, form.editors["name"], "Wujiagang day-care centre")
    combo = form.editors["service"]
    combo.setCurrentIndex(combo.findData("elder_care"))
    _retype(qtbot, form.editors["capacity"], "40")
    _ok(qtbot, form)
    assert form.result() == QDialog.Accepted
    values = form.values()
    assert values["name"] == "Wujiagang day-care centre" and values["service"] == "elder_care"
    assert values["capacity"] == 40 and values["floor_area_m2"] is None
    assert form.command() is None  # a new feature is added by the caller
    row = gpd.GeoDataFrame({k: [v] for k, v in values.items()},
                           geometry=[shapely.Point(facilities.gdf.geometry.iloc[0].coords[0])],
                           crs=facilities.crs)
    cmd = project.apply(AddFeatures(facilities.id, row))
    fid = cmd.fids[0]
    assert facilities.gdf.at[fid, "service"] == "elder_care"
    assert facilities.gdf.at[fid, "capacity"] == 40 and facilities.gdf.at[fid, "status"] == "planned"
    assert not facilities.validate(allowed=project.allowed_values, fids=[fid])


def test_dates_edit_as_dates(project, qtbot):
    pipelines = project.layer("pipelines")
    fid = int(pipelines.gdf.index[0])
    form = _form(qtbot, project, pipelines, fid)
    start = form.editors["works_start"]
    assert isinstance(start, QDateEdit)
    assert form.values()["works_start"] is None  # empty shows as the special "(empty)"
    assert start.text() == "(empty)"
    start.setDate(QDate(2025, 4, 1))
    _ok(qtbot, form)
    cmd = form.command()
    assert cmd.new == {fid: {"works_start": pd.Timestamp("2025-04-01")}}
    project.apply(cmd)
    assert pipelines.gdf.at[fid, "works_start"] == pd.Timestamp("2025-04-01")
    again = _form(qtbot, project, pipelines, fid)
    assert again.editors["works_start"].date() == QDate(2025, 4, 1)
    assert again.changed_values() == {}
