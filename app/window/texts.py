"""Texts and registries of the main window (menus, status bar, dialogs, analysis docks)."""

from __future__ import annotations

from layers.errors import T

APP_NAME = T("Precinct Planner", "片区规划")
UNTITLED = T("Untitled project", "未命名项目")
SYNTHETIC = "虚构数据 / synthetic data"
FILE_FILTER = T("Precinct Planner project (*.gpkg)", "片区规划项目 (*.gpkg)")
ERROR_TITLE = T("Precinct Planner — problem", "片区规划 — 出现问题")
RECOVERY_TITLE = T("Recover unsaved work?", "恢复未保存的工作？")
RECOVERY_TEXT = T(
    "A recovery file newer than the project was found:\n{path}\n\n"
    "Open the recovered version? (No opens the last saved project.)",
    "发现比项目文件更新的恢复文件：\n{path}\n\n是否打开恢复的版本？（选“否”打开上次保存的项目。）")
UNSAVED_TITLE = T("Unsaved changes", "有未保存的修改")
UNSAVED_TEXT = T("Save the changes to this project before closing?",
                 "关闭前是否保存对本项目的修改？")
ABOUT_TEXT = T(
    "<h3>Precinct Planner {version}</h3><p>A desktop GIS for planners renovating old "
    "residential communities: precincts, 5-10-15 minute life circles, facilities and "
    "pipelines.</p><p>Coordinates in CGCS2000 (EPSG:4546 for Yichang). Sample data are "
    "synthetic.</p>",
    "<h3>片区规划 {version}</h3><p>面向老旧小区改造的桌面 GIS：片区划分、5-10-15 分钟生活圈、"
    "服务设施与地下管线。</p><p>坐标系为 CGCS2000（宜昌为 EPSG:4546）。示例数据为虚构数据。</p>")
MENU = {
    "file": T("&File", "文件(&F)"), "open": T("&Open…", "打开(&O)…"),
    "save": T("&Save", "保存(&S)"), "save_as": T("Save &As…", "另存为(&A)…"),
    "quit": T("&Quit", "退出(&Q)"), "view": T("&View", "视图(&V)"),
    "extent": T("Zoom to &extent", "缩放至全图(&E)"), "zoom_in": T("Zoom &in", "放大(&I)"),
    "zoom_out": T("Zoom &out", "缩小(&O)"), "help": T("&Help", "帮助(&H)"),
    "about": T("&About Precinct Planner", "关于片区规划(&A)"), "toolbar": T("Map", "地图"),
    "import": T("&Import…", "导入(&I)…"),
    "export": T("&Export…", "导出(&E)…"),
    "analysis": T("&Analysis", "分析(&N)"), "conflicts": T("Pipeline &conflicts…", "管线冲突(&C)…"),
    "programme": T("Renovation &programme…", "改造计划(&P)…"),
    "coverage": T("Life-circle &coverage…", "生活圈覆盖(&L)…"),
    "siting": T("&Siting on idle land…", "存量用地选址(&S)…"),
    "precincts": T("P&recincts…", "片区(&R)…"),
    "topology": T("Community &topology check…", "小区拓扑检查(&T)…"),
    "schemes": T("Sc&hemes…", "方案版本(&H)…"),
    "new": T("&New project", "新建项目(&N)"), "recent": T("Open &recent", "最近打开(&R)"),
    "language": T("&Language (applies on restart)", "界面语言(&L)（重启后生效）"),
    "attributes": T("&Attribute table", "属性表(&A)"),
}
# analysis docks: menu key → (module, class); each is built as cls(window, canvas)
PANELS = {
    "conflicts": ("app.panels.conflicts", "ConflictPanel"),
    "coverage": ("app.panels.coverage", "CoveragePanel"),
    "programme": ("app.panels.programme", "ProgrammePanel"),
    "siting": ("app.panels.siting", "SitingPanel"),
    "precincts": ("app.panels.precincts", "PrecinctPanel"),
    "topology": ("app.panels.topology", "TopologyPanel"),
    "schemes": ("app.panels.schemes", "SchemePanel"),
}
STATUS = {
    "xy": T("x {x:,.1f}  y {y:,.1f} m", "X {x:,.1f}  Y {y:,.1f} 米"),
    "lonlat": T("lon {lon:.5f}°  lat {lat:.5f}°", "经度 {lon:.5f}°  纬度 {lat:.5f}°"),
    "scale_prefix": T("scale", "比例尺"),
    "saved": T("Saved {path}", "已保存 {path}"),
}


def project_title(project, lang: str | None = None) -> str:
    """The project's title in the wanted language, falling back to the other or the file
    (``project``: anything with ``metadata`` and ``path``, e.g. a file being opened)."""
    from layers.i18n import current_language

    lang = lang or current_language()
    meta = project.metadata
    order = ("title_zh", "title_en") if lang == "zh" else ("title_en", "title_zh")
    for key in (*order, "title"):
        if meta.get(key):
            return str(meta[key])
    return project.path.stem if project.path else UNTITLED(lang)
