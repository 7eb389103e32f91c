"""A tiny observer mechanism so the core can announce changes without Qt.

The Qt shell connects its slots to these emitters (napari does the same with
its EventedModel); the CLI and tests simply do not listen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Callback = Callable[["Event"], None]


@dataclass(frozen=True)
class Event:
    """What changed: ``type`` (e.g. ``"data"``, ``"style"``), the source, and details."""

    type: str
    source: Any
    info: dict[str, Any] = field(default_factory=dict)


class Emitter:
    """Calls every connected callback with an :class:`Event`, in connection order."""

    def __init__(self) -> None:
        self._callbacks: list[Callback] = []
        self._blocked = 0

    def connect(self, callback: Callback) -> Callback:
        if callback not in self._callbacks:
            self._callbacks.append(callback)
        return callback

    def disconnect(self, callback: Callback) -> None:
        if callback in self._callbacks:
            self._callbacks.remove(callback)

    def emit(self, type_: str, source: Any, **info: Any) -> None:
        if self._blocked:
            return
        event = Event(type_, source, info)
        for callback in list(self._callbacks):
            callback(event)

    def blocked(self) -> _Blocker:
        """Context manager that silences this emitter (for bulk loads)."""
        return _Blocker(self)


class _Blocker:
    def __init__(self, emitter: Emitter) -> None:
        self._emitter = emitter

    def __enter__(self) -> None:
        self._emitter._blocked += 1

    def __exit__(self, *exc: object) -> None:
        self._emitter._blocked -= 1
