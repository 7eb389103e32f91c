"""Which communities neighbour which, for the precinct panel, without freezing the window.

Working out walking neighbours takes seconds on a city (3,000 communities: ~4 s on the
streets' graph, ~0.7 s to build the graph first); the panel asked for it on the GUI thread
each time it was first shown. Here the answer is kept per (rule, walk, communities'
shapes): an edit of attributes (assigning a precinct) reuses it at once; a new question on
a small project is answered at once (under a tenth of a second), on a large one in a job
off the GUI thread, with its progress said in the panel, and the panel refreshes when the
answer comes.
"""

from __future__ import annotations

import hashlib

import numpy as np
import shapely
from PyQt5.QtCore import QObject
from PyQt5.QtCore import pyqtSignal as Signal

from app.jobs import start_job
from layers.errors import T
from layers.precincts import project_adjacency
from layers.snapshot import snapshot_project

#: communities from which a walk is worked out off the GUI thread (the small sample's 60
#: take ~0.1 s; the city's 3,000 ~5 s)
BACKGROUND_FROM = 500
WORKING = T("Working out which communities are a short walk apart ({n:,} communities)…",
            "正在计算步行可达的相邻小区（{n:,} 个小区）…")


def shapes_key(comm) -> str:
    """A digest of the communities' fids and shapes (attributes do not count)."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(np.asarray(comm.index, dtype=np.int64).tobytes())
    for wkb in shapely.to_wkb(np.asarray(comm.geometry.to_numpy(), dtype=object)):
        digest.update(b"-" if wkb is None else wkb)
    return digest.hexdigest()


class Neighbours(QObject):
    """The adjacency of a panel's project, computed once per question."""

    ready = Signal()

    def __init__(self, panel) -> None:
        super().__init__(panel)
        self.panel = panel
        self.key: tuple | None = None
        self.adjacency = None
        self.job = None
        self._asked: tuple | None = None

    @property
    def working(self) -> bool:
        return self.job is not None

    def forget(self) -> None:
        """Another project: nothing kept applies (a running job's answer is dropped)."""
        self.key = self.adjacency = self._asked = None
        if self.job is not None:
            self.job.cancel()
            self.job = None

    def get(self, project, rule: str, walk_m: float, comm):
        """The adjacency for this question, or None while it is being worked out."""
        key = (id(project), rule, float(walk_m), shapes_key(comm))
        if key == self.key:
            return self.adjacency
        if rule != "walk" or len(comm) < BACKGROUND_FROM:
            self.adjacency = project_adjacency(project, rule, walk_m, communities=comm)
            self.key = key
            return self.adjacency
        if self._asked != key:
            self._start(project, rule, walk_m, comm, key)
        return None

    def _start(self, project, rule, walk_m, comm, key) -> None:
        if self.job is not None:
            self.job.cancel()
        frozen = snapshot_project(project, [layer.name for layer in project.layers
                                            if layer.kind in ("streets", "communities")])
        frame = comm.copy()
        self._asked = key

        def work(progress, cancelled):
            progress(0.0, WORKING.format(n=len(frame)))
            return project_adjacency(frozen, rule, walk_m, communities=frame)

        def done(adjacency) -> None:
            if self._asked == key:
                self.key, self.adjacency, self.job = key, adjacency, None
                self.ready.emit()

        def settled() -> None:
            if self._asked == key:
                self.job = None

        self.job = start_job(self.panel, WORKING.format(n=len(frame))(), work, done,
                             project=project, current=lambda: self.panel.project,
                             on_settled=settled, dialog=False)
