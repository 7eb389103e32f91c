"""File → Open from server… / Save to server…: a team's project in a PostGIS schema.

The location is typed as a connection string (``postgresql://[user@]host[:port]/db?schema=NAME``)
or a libpq service (``service=NAME schema=NAME``); it is checked before anything is opened
or written, and a password typed in it is used to connect but never kept (recent files and
the title show the location without it: :class:`layers.store.pglocation.PgLocation`).
"""

from __future__ import annotations

from PyQt5.QtWidgets import QAction, QInputDialog, QLineEdit

from app.problems import show_problem
from layers.errors import T

TEXTS = {
    "open": T("Open from &server (PostGIS)…", "从服务器打开(&V)（PostGIS）…"),
    "save": T("Save to ser&ver (PostGIS)…", "保存到服务器(&E)（PostGIS）…"),
    "prompt": T("The project's place on the team's PostgreSQL/PostGIS server:\n"
                "postgresql://user@host:5432/database?schema=project\n"
                "or a service of pg_service.conf: service=team schema=project\n"
                "(a password is better kept in ~/.pgpass than typed here; it is never saved)",
                "项目在团队 PostgreSQL/PostGIS 服务器上的位置：\n"
                "postgresql://用户@主机:5432/数据库?schema=项目\n"
                "或 pg_service.conf 中的服务：service=团队 schema=项目\n"
                "（密码宜保存在 ~/.pgpass 中，不必在此输入；此处输入的密码不会被保存）"),
    "not_pg": T("this is not a server location", "这不是服务器位置"),
    "fix": T("start with postgresql:// or service=, e.g. "
             "postgresql://gis.office/planning?schema=city",
             "请以 postgresql:// 或 service= 开头，例如 postgresql://gis.office/planning?schema=city"),
}


def checked_location(text: str):
    """The typed location as a :class:`PgLocation` (a clear one-line problem otherwise)."""
    from layers.errors import ProjectFileError
    from layers.store.pglocation import PgLocation, is_pg_location

    text = str(text).strip()
    if not is_pg_location(text):
        raise ProjectFileError(TEXTS["not_pg"], text or "—", TEXTS["fix"])
    return PgLocation(text)


def ask_location(window, title: str, current: str = ""):
    """Ask for a server location; None when cancelled (a bad one is said, and asked again)."""
    text = current
    while True:
        text, ok = QInputDialog.getText(window, title, TEXTS["prompt"](), QLineEdit.Normal, text)
        if not ok or not text.strip():
            return None
        try:
            return checked_location(text)
        except Exception as exc:  # noqa: BLE001 - one line, then the same text to correct
            show_problem(window, exc)


def open_from_server(window) -> bool:
    if not window.confirm_discard():
        return False
    location = ask_location(window, TEXTS["open"]().replace("&", ""))
    return location is not None and window.open_path(location)


def save_to_server(window) -> bool:
    from layers.store.pglocation import is_pg_location

    path = window.project.path
    current = str(path) if path is not None and is_pg_location(path) else ""
    location = ask_location(window, TEXTS["save"]().replace("&", ""), current)
    return location is not None and window._save_to(location)


def server_actions(window) -> list[QAction]:
    """The two File-menu actions (object names ``action_open_server``, ``action_save_server``)."""
    actions = []
    for key, slot in (("open", open_from_server), ("save", save_to_server)):
        action = QAction(TEXTS[key](), window)
        action.setObjectName(f"action_{key}_server")
        action.triggered.connect(lambda _checked=False, s=slot: s(window))
        actions.append(action)
    return actions
