"""One undoable change of a project's settings (standards overrides, programme inputs).

Settings live in ``project.settings`` (a JSON-able dict saved in the project). A change
is a set of paths into that dict with their new values (``None`` removes the entry);
the command remembers each path's old value, so undo restores exactly what was there
and leaves every other setting alone.
"""

from __future__ import annotations

import copy
from typing import Any

from layers.commands import Command
from layers.errors import T

Path = tuple[str, ...]


def get_path(settings: dict, path: Path, default: Any = None) -> Any:
    node: Any = settings
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return default
        node = node[part]
    return node


def _put(settings: dict, path: Path, value: Any) -> None:
    """Set (or, for ``None``/absent, remove) ``path``; empty parents are pruned."""
    if value is None:
        chain = [settings]
        for part in path[:-1]:
            node = chain[-1].get(part) if isinstance(chain[-1], dict) else None
            if not isinstance(node, dict):
                return
            chain.append(node)
        chain[-1].pop(path[-1], None)
        for depth in range(len(path) - 1, 0, -1):
            if chain[depth] == {}:
                chain[depth - 1].pop(path[depth - 1], None)
        return
    node = settings
    for part in path[:-1]:
        if not isinstance(node.get(part), dict):
            node[part] = {}
        node = node[part]
    node[path[-1]] = copy.deepcopy(value)


class ChangeSettings(Command):
    """Set values at paths of ``project.settings`` (checked before anything changes)."""

    def __init__(self, changes: dict[Path, Any], text: T | None = None, merge: bool = False) -> None:
        self.changes = {tuple(str(p) for p in path): copy.deepcopy(v) for path, v in changes.items()}
        self.text = text or T("change settings", "修改设置")
        self.old: dict[Path, Any] | None = None
        self.merge_key = ("settings", tuple(sorted(self.changes))) if merge else None

    def _write(self, project, values: dict[Path, Any]) -> None:
        new = copy.deepcopy(project.settings)
        for path, value in values.items():
            _put(new, path, value)
        new.setdefault("standards_overrides", {})
        project.replace_settings(new, key=next(iter(values))[0] if values else "settings")

    def apply(self, project) -> None:
        old = {path: copy.deepcopy(get_path(project.settings, path)) for path in self.changes}
        self._write(project, self.changes)  # raises before changing anything if a value is bad
        if self.old is None:
            self.old = old

    def revert(self, project) -> None:
        self._write(project, self.old or {})

    def merge(self, other: Command) -> bool:
        if not isinstance(other, ChangeSettings) or set(other.changes) != set(self.changes):
            return False
        self.changes = copy.deepcopy(other.changes)
        return True
