"""Reports written as spreadsheets: the pipeline conflicts list and the annual plan.

Both go through the one table writer (:mod:`layers.exports.table_writer`): atomic replace,
CSV with a BOM or XLSX sheets, text a spreadsheet would run as a formula quoted. The
analyses build the frames (``layers.pipelines.report``, ``layers.programme.report``);
writing files is the exports' job, so analyses never import exports.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd

from layers.errors import T
from layers.exports.table_writer import write_table
from layers.i18n import current_language
from layers.kinds import CONFLICTS
from layers.pipelines.report import report_frame
from layers.programme.funding import Split
from layers.programme.ranking import Plan
from layers.programme.report import funding_frame, plan_frame, provenance_frame, sheet_name

_REPORT = T("report", "报告")
_PLAN = T("plan", "计划")


def write_report(conflicts: gpd.GeoDataFrame, path: str | Path, lang: str | None = None) -> Path:
    """Write the conflicts as ``.csv`` (UTF-8 with BOM) or ``.xlsx``, chosen by the extension;
    the category (净距违规 / 净距未确认 / 协调提示) is the first column.

    The file is replaced atomically: a failed write leaves the old file; text a
    spreadsheet would run as a formula is quoted (:mod:`layers.exports.table_writer`).

    Examples
    --------
    >>> import tempfile
    >>> import geopandas as gpd, shapely
    >>> conflicts = gpd.GeoDataFrame(
    ...     {"conflict_id": ["C1"], "category": ["violation"], "conflict_type": ["clearance"],
    ...      "length_m": [3.456]},
    ...     geometry=[shapely.LineString([(0, 0), (5, 0)])], crs="EPSG:4546")
    >>> out = write_report(conflicts, Path(tempfile.mkdtemp()) / "冲突清单.csv", lang="zh")
    >>> out.read_text(encoding="utf-8-sig").splitlines()
    ['类别,冲突编号,冲突类型,长度 (m),X (m),Y (m)', '净距违规,C1,水平净距,3.46,0.0,0.0']
    """
    sheet = CONFLICTS.label(lang or current_language())[:31]
    return write_table({sheet: report_frame(conflicts, lang)}, path, what=_REPORT)


def write_plan(plan: Plan, splits: dict[str, Split], path: str | Path, lang: str | None = None) -> Path:
    """Write the plan (and, in .xlsx, funding and provenance sheets); atomic replace, and
    text a spreadsheet would run as a formula is quoted (:mod:`layers.exports.table_writer`)."""
    if Path(path).suffix.lower() == ".csv":
        return write_table(plan_frame(plan, lang), path, what=_PLAN)
    frames = {sheet_name("plan", lang): plan_frame(plan, lang),
              sheet_name("funding", lang): funding_frame(splits, lang),
              sheet_name("sources", lang): provenance_frame(splits, lang)}
    return write_table(frames, path, what=_PLAN)
