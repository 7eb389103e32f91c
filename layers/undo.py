"""The GUI-free undo stack and the per-layer edit buffer.

``UndoStack`` is what the Qt shell wraps (QUndoStack-like API: push, undo,
redo, clean state, macros, merging). ``EditBuffer`` gives a layer QGIS's edit
session: start editing, change things, then commit (after a schema check of
what changed) or roll back to the state editing started from.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from layers.commands import Command, MacroCommand
from layers.errors import EditError, T, ValidationError
from layers.events import Emitter

if TYPE_CHECKING:  # pragma: no cover
    from layers.layer import VectorLayer
    from layers.project import Project


def command_layers(cmd: Command) -> set[str]:
    if isinstance(cmd, MacroCommand):
        return set().union(*(command_layers(c) for c in cmd.commands)) if cmd.commands else set()
    return {cmd.layer_id} if cmd.layer_id else set()


class UndoStack:
    def __init__(self, project: Project) -> None:
        self.project = project
        self._done: list[Command] = []
        self._undone: list[Command] = []
        self._clean_index: int | None = 0
        self._macro: MacroCommand | None = None
        self.events = Emitter()

    # --- state ------------------------------------------------------------------
    @property
    def can_undo(self) -> bool:
        return bool(self._done)

    @property
    def can_redo(self) -> bool:
        return bool(self._undone)

    def undo_text(self, lang: str | None = None) -> str:
        return self._done[-1].text(lang) if self._done else ""

    def redo_text(self, lang: str | None = None) -> str:
        return self._undone[-1].text(lang) if self._undone else ""

    def __len__(self) -> int:
        return len(self._done)

    @property
    def is_clean(self) -> bool:
        return self._clean_index == len(self._done)

    def set_clean(self) -> None:
        self._clean_index = len(self._done)
        self.events.emit("clean", self, clean=True)

    # --- operations -----------------------------------------------------------------
    def push(self, cmd: Command) -> Command:
        """Apply ``cmd`` and record it (merging with the previous one where allowed)."""
        cmd.apply(self.project)
        if self._macro is not None:
            self._macro.commands.append(cmd)
            return cmd
        self._record(cmd)
        return cmd

    def _record(self, cmd: Command) -> None:
        top = self._done[-1] if self._done else None
        merged = (
            top is not None
            and cmd.merge_key is not None
            and top.merge_key == cmd.merge_key
            and self._clean_index != len(self._done)
            and top.merge(cmd)
        )
        if not merged:
            self._done.append(cmd)
        if self._undone:
            self._undone.clear()
            if self._clean_index is not None and self._clean_index > len(self._done):
                self._clean_index = None  # the saved state can no longer be reached
        self._notify_buffers(cmd, "push")
        self.events.emit("changed", self)

    def undo(self) -> None:
        if not self._done:
            return
        cmd = self._done.pop()
        cmd.revert(self.project)
        self._undone.append(cmd)
        self._notify_buffers(cmd, "undo")
        self.events.emit("changed", self)

    def redo(self) -> None:
        if not self._undone:
            return
        cmd = self._undone.pop()
        cmd.apply(self.project)
        self._done.append(cmd)
        self._notify_buffers(cmd, "redo")
        self.events.emit("changed", self)

    def begin_macro(self, text: T) -> None:
        if self._macro is not None:
            raise EditError(T("an edit group is already open", "已有未结束的编辑组"), "undo stack")
        self._macro = MacroCommand(text)

    def end_macro(self) -> None:
        macro, self._macro = self._macro, None
        if macro is not None and macro.commands:
            self._record(macro)

    def clear(self) -> None:
        self._done.clear()
        self._undone.clear()
        self._clean_index = 0
        self.events.emit("changed", self)

    def drop_layer_commands(self, layer_id: str) -> None:
        """Forget every command touching one layer (after its edits were committed
        or rolled back). Commands on other layers are independent and stay."""
        before = len(self._done)
        keep_done = [c for c in self._done if layer_id not in command_layers(c)]
        removed_below_clean = 0
        if self._clean_index is not None:
            removed_below_clean = sum(
                1 for c in self._done[: self._clean_index] if layer_id in command_layers(c))
        self._done = keep_done
        self._undone = [c for c in self._undone if layer_id not in command_layers(c)]
        if self._clean_index is not None:
            self._clean_index -= removed_below_clean
        if len(self._done) != before:
            self.events.emit("changed", self)

    def _notify_buffers(self, cmd: Command, how: str) -> None:
        for layer_id in command_layers(cmd):
            try:
                layer = self.project.layer_by_id(layer_id)
            except KeyError:
                continue
            buffer = getattr(layer, "edit_buffer", None)
            if buffer is not None:
                buffer._track(cmd, how)


class EditBuffer:
    """One layer's edit session: what changed since editing started."""

    def __init__(self, project: Project, layer: VectorLayer) -> None:
        self.project = project
        self.layer = layer
        self._snapshot = layer.gdf.copy()
        self._commands: list[Command] = []

    @classmethod
    def start(cls, project: Project, layer: VectorLayer) -> EditBuffer:
        if layer.edit_buffer is not None:
            return layer.edit_buffer
        layer.edit_buffer = cls(project, layer)
        layer.events.emit("editing", layer, editing=True)
        return layer.edit_buffer

    def _track(self, cmd: Command, how: str) -> None:
        if how == "undo":
            if cmd in self._commands:
                self._commands.remove(cmd)
        elif cmd not in self._commands:
            self._commands.append(cmd)

    @property
    def modified(self) -> bool:
        return bool(self._commands)

    def changed_fids(self) -> set[int]:
        """Features added or changed (and still present) since editing started."""
        touched = set().union(*(c.fids_touched() for c in self._commands)) if self._commands \
            else set()
        return {f for f in touched if f in self.layer.gdf.index}

    def summary(self) -> dict[str, int]:
        before = set(self._snapshot.index)
        now = set(self.layer.gdf.index)
        changed = {f for f in self.changed_fids() if f in before}
        return {"added": len(now - before), "deleted": len(before - now), "changed": len(changed)}

    def commit(self) -> None:
        """Keep the edits, after checking every added or changed feature against the schema."""
        issues = self.layer.validate(allowed=self.project.allowed_values,
                                     fids=sorted(self.changed_fids()))
        if issues:
            raise ValidationError(issues)
        self._finish()

    def rollback(self) -> None:
        """Discard every edit since editing started."""
        self.layer._replace_data(self._snapshot)
        self._finish()

    def _finish(self) -> None:
        self.project.undo.drop_layer_commands(self.layer.id)
        self.layer.edit_buffer = None
        self.layer.events.emit("editing", self.layer, editing=False)
