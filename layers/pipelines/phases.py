"""The phases of the conflict search (:func:`layers.pipelines.conflicts.find_conflicts`):
what the progress says as each starts, and the cancel between them."""

from __future__ import annotations

from layers.errors import ProjectError, T


class ConflictsCancelled(ProjectError):
    """The conflict search was cancelled by the person who started it."""

    def __init__(self) -> None:
        super().__init__(T("conflict search cancelled", "冲突检查已取消"), "conflicts")


# phase: (where the bar stands when it starts — each phase's share of the time measured on
# the city sample's 60,000 pipes: clearances 24 %, crossings 20 %, dig once 46 % —, what it says)
PHASES = {
    "read": (0.0, T("conflicts: reading the pipelines", "冲突检查：读取管线")),
    "clearance": (0.01, T("conflicts: clearances between parallel pipes",
                          "冲突检查：平行管线间距")),
    "crossing": (0.25, T("conflicts: crossings", "冲突检查：交叉")),
    "parallel": (0.45, T("conflicts: shared runs", "冲突检查：同沟并行")),
    "dig_once": (0.46, T("conflicts: streets to dig once", "冲突检查：同步开挖路段")),
    "under": (0.92, T("conflicts: pipes under communities", "冲突检查：穿越小区的管线")),
    "finish": (0.95, T("conflicts: listing the results", "冲突检查：整理结果")),
}


class _Phases:
    """Announce each phase of :func:`find_conflicts` and honour a cancel between them."""

    def __init__(self, progress, cancel) -> None:
        self.progress, self.cancel = progress, cancel

    def __call__(self, key: str) -> None:
        if self.cancel is not None and self.cancel():
            raise ConflictsCancelled()
        if self.progress is not None:
            fraction, text = PHASES[key]
            self.progress(fraction, text)
