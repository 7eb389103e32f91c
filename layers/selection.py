"""Which features are selected, per layer: one model the canvas, the attribute table
and the analysis panels all read and write, so a selection made in one shows in all.

Selection is view state, not data: it is not undoable and is not saved. Feature ids
that disappear (deleted, undone) drop out of the selection when their layer changes.
"""

from __future__ import annotations

from collections.abc import Iterable

from layers.events import Emitter

MODES = ("replace", "add", "remove", "toggle")


class Selection:
    """Selected fids per layer id; emits ``"selection"`` with ``layer_id`` and ``fids``."""

    def __init__(self) -> None:
        self._fids: dict[str, frozenset[int]] = {}
        self.events = Emitter()

    def fids(self, layer_id: str) -> frozenset[int]:
        return self._fids.get(layer_id, frozenset())

    def layers(self) -> list[str]:
        """Ids of the layers with something selected."""
        return [lid for lid, fids in self._fids.items() if fids]

    def select(self, layer_id: str, fids: Iterable[int], mode: str = "replace") -> frozenset[int]:
        """Change the selection of one layer; returns the new selection."""
        if mode not in MODES:
            raise ValueError(f"selection mode must be one of {MODES}, not {mode!r}")
        given = frozenset(int(f) for f in fids)
        old = self.fids(layer_id)
        new = {"replace": given, "add": old | given, "remove": old - given,
               "toggle": old ^ given}[mode]
        if new != old:
            self._fids[layer_id] = new
            self.events.emit("selection", self, layer_id=layer_id, fids=new)
        return new

    def clear(self, layer_id: str | None = None) -> None:
        for lid in [layer_id] if layer_id is not None else list(self._fids):
            self.select(lid, (), "replace")

    def prune(self, layer) -> None:
        """Drop fids the layer no longer has (after deletes, undo, re-import)."""
        old = self.fids(layer.id)
        if old:
            kept = old & frozenset(int(f) for f in layer.gdf.index)
            if kept != old:
                self.select(layer.id, kept, "replace")
