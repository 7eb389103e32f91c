"""The programme's per-community inputs a user sets (central subsidy, pipeline-works costs,
the planner's judgements), where they live in the project's settings and their types.

Every change goes through :class:`layers.config.command.ChangeSettings`, so it is undoable
and saved with the project.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from layers.config.command import ChangeSettings, get_path
from layers.errors import T


@dataclass(frozen=True)
class CommunitySetting:
    name: str
    kind: str  # yuan | yes_no | text | items
    label: T
    section: str
    sub: str | None = None  # extra costs live one level down: extra_costs[fid][sub]

    def path(self, fid: int) -> tuple[str, ...]:
        base = ("programme", self.section, str(int(fid)))
        return base + ((self.sub,) if self.sub else ())


#: relocation (迁改) is a per-item choice: only these items can be funded as relocation
RELOCATABLE = ("water_supply", "power_supply", "gas_supply")

COMMUNITY_SETTINGS: dict[str, CommunitySetting] = {s.name: s for s in (
    CommunitySetting("central_subsidy_yuan", "yuan", T("central subsidy", "中央财政补助"),
                     "central_subsidy_yuan"),
    CommunitySetting("road_opening_reinstatement_yuan", "yuan",
                     T("road opening and reinstatement", "路面开挖与恢复"), "extra_costs",
                     "road_opening_reinstatement_yuan"),
    CommunitySetting("cable_tv_relocation_yuan", "yuan", T("cable TV (广电) relocation", "广电管线迁改"),
                     "extra_costs", "cable_tv_relocation_yuan"),
    CommunitySetting("relocation", "items", T("items funded as pipeline relocation (迁改)",
                                              "按管线迁改出资的项目"), "relocation"),
    CommunitySetting("award_scope", "yes_no", T("in the city award (以奖代补) scope",
                                                "属于市级以奖代补范围"), "award_scope"),
    CommunitySetting("exemplary", "yes_no", T("typical and exemplary (planner's judgement)",
                                              "典型意义强（规划人员判断）"), "exemplary"),
    CommunitySetting("admit_unknown", "text", T("admitted to the plan with unknown eligibility (reason)",
                                                "对象范围未能判定仍纳入计划（理由）"), "admit_unknown"),
)}


def community_value(project, name: str, fid: int, default: Any = None) -> Any:
    return get_path(project.settings, COMMUNITY_SETTINGS[name].path(fid), default)


def set_community_values(project, fid: int, values: dict[str, Any], text: T | None = None) -> None:
    """Set several inputs of one community in one undoable step (``None`` clears one)."""
    changes = {COMMUNITY_SETTINGS[name].path(fid): value for name, value in values.items()}
    label = text or T("programme: " + ", ".join(COMMUNITY_SETTINGS[n].label.en for n in values),
                      "改造计划：" + "、".join(COMMUNITY_SETTINGS[n].label.zh for n in values))
    project.apply(ChangeSettings(changes, label, merge=True))
