"""The GUI-free undo stack.

``UndoStack`` is what the Qt shell wraps (QUndoStack-like API: push, undo, redo,
clean state, merging). A step whose undo (or redo) fails stays where it was: the
stack is unchanged and the failure comes out as a bilingual :class:`EditError`.
Several changes that must undo as one step are one
:class:`~layers.commands.MacroCommand`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from layers.commands import Command
from layers.errors import EditError, ProjectError, T
from layers.events import Emitter

if TYPE_CHECKING:  # pragma: no cover
    from layers.project import Project

_UNDO = T("undo", "撤销")
_REDO = T("redo", "重做")


class UndoStack:
    def __init__(self, project: Project) -> None:
        self.project = project
        self._done: list[Command] = []
        self._undone: list[Command] = []
        self._clean_index: int | None = 0
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

    def history(self) -> list[tuple[Command, bool]]:
        """Every step, oldest first, with whether it is done (undone steps follow, in the
        order redo would bring them back)."""
        return [(cmd, True) for cmd in self._done] + [(cmd, False) for cmd in reversed(self._undone)]

    def go_to(self, done: int) -> None:
        """Undo or redo until ``done`` steps are done (a failing step stops it there)."""
        done = max(0, min(done, len(self._done) + len(self._undone)))
        while len(self._done) > done:
            self.undo()
        while len(self._done) < done:
            self.redo()

    # --- operations -----------------------------------------------------------------
    def push(self, cmd: Command) -> Command:
        """Apply ``cmd`` and record it (merging with the previous one where allowed).

        If applying fails nothing is recorded and the error propagates unchanged."""
        cmd.apply(self.project)
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
        self.events.emit("changed", self)

    def undo(self) -> None:
        """Revert the last step; if that fails the step stays on the stack."""
        if not self._done:
            return
        cmd = self._done[-1]
        _attempt(cmd, cmd.revert, self.project, _UNDO)
        self._undone.append(self._done.pop())
        self.events.emit("changed", self)

    def redo(self) -> None:
        """Re-apply the last undone step; if that fails it stays undone."""
        if not self._undone:
            return
        cmd = self._undone[-1]
        _attempt(cmd, cmd.apply, self.project, _REDO)
        self._done.append(self._undone.pop())
        self.events.emit("changed", self)

    def clear(self) -> None:
        self._done.clear()
        self._undone.clear()
        self._clean_index = 0
        self.events.emit("changed", self)


def _attempt(cmd: Command, step: Callable[[Project], None], project: Project, verb: T) -> None:
    """Run ``cmd``'s apply or revert; any failure becomes an EditError naming the step."""
    try:
        step(project)
    except Exception as exc:  # every failure must leave the stack usable
        detail = {lang: exc.message(lang) if isinstance(exc, ProjectError) else str(exc) or
                  type(exc).__name__ for lang in ("en", "zh")}
        raise EditError(
            T(f"cannot {verb.en} “{cmd.text.en}”: {detail['en']}",
              f"无法{verb.zh}“{cmd.text.zh}”：{detail['zh']}"),
            "undo stack",
            T(f"the step stays where it was; fix the cause and {verb.en} again",
              f"该步骤保持不变；排除原因后请再次{verb.zh}"),
        ) from exc
