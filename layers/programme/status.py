"""Status tracking: reserve → annual plan → design → works → accepted, with dates.

Each step is a ``programme_events`` row and sets the community's ``programme_status``; both
in one undoable command. Acceptance needs the signature of the owners' committee or the
residents' self-governance group (plan 二(四)7: 经小区业主委员会或居民自治小组验收通过并签字确认).
"""

from __future__ import annotations

import datetime as _dt

import pandas as pd

from layers.commands import AddFeatures, AddLayer, ChangeAttributes, MacroCommand
from layers.errors import EditError, T
from layers.kinds import PROGRAMME_STATES
from layers.labels import PROGRAMME_STATE_LABELS
from layers.layer import TableLayer
from layers.programme.data import clean, communities_layer, table_layer

EVENTS_LAYER = "programme_events"
STEPS = PROGRAMME_STATES[1:]  # reserve, annual_plan, design, works, accepted
STATE_LABELS = PROGRAMME_STATE_LABELS


def next_status(current: str | None) -> str | None:
    """The step after ``current`` (``None`` after accepted)."""
    order = list(PROGRAMME_STATES)
    pos = order.index(current) if current in order else 0
    return order[pos + 1] if pos + 1 < len(order) else None


def history(project, fid: int | None = None) -> pd.DataFrame:
    """The log rows (of one community), oldest first."""
    layer = table_layer(project, "programme_events")
    if layer is None:
        return pd.DataFrame(columns=["community_fid", "status", "date", "year", "signed_by", "note"])
    frame = layer.df if fid is None else layer.df[layer.df["community_fid"] == int(fid)]
    return frame.sort_values(["date"], kind="mergesort")


def advance_command(project, fid: int, status: str, date, year: int | None = None,
                    signed_by: str | None = None, note: str | None = None) -> MacroCommand:
    """One undoable step: log the new status and set the community's programme_status.

    Raises
    ------
    EditError
        Not the next step, a date before the last one, or acceptance without a signature.
    """
    communities = communities_layer(project)
    communities._require(int(fid))
    where = f"layer '{communities.name}', feature {int(fid)}"
    current = clean(communities.gdf.at[int(fid), "programme_status"]) or "none"
    expected = next_status(current)
    if status != expected:
        raise EditError(
            T(f"{STATE_LABELS.get(status, T(status, status)).en} cannot follow "
              f"{STATE_LABELS[current].en}; the next step is "
              f"{STATE_LABELS[expected].en if expected else '(none: accepted)'}",
              f"“{STATE_LABELS.get(status, T(status, status)).zh}”不能接在“{STATE_LABELS[current].zh}”之后；"
              f"下一步为“{STATE_LABELS[expected].zh if expected else '（无：已验收）'}”"),
            where, T("record the steps in order: reserve → annual plan → design → works → accepted",
                     "请按顺序记录：储备库 → 年度计划 → 设计 → 施工 → 验收"))
    when = pd.Timestamp(date if date is not None else _dt.date.today())
    past = history(project, fid)
    last = pd.Timestamp(past["date"].max()).date() if len(past) else None
    if last is not None and last > when.date():
        raise EditError(T(f"the date {when.date()} is before the last step ({last})",
                          f"日期 {when.date()} 早于上一步（{last}）"),
                        where, T("enter a date on or after the last step", "请填写不早于上一步的日期"))
    if status == "accepted" and not (signed_by and str(signed_by).strip()):
        raise EditError(T("acceptance needs the signature of the owners' committee or residents' group",
                          "验收须经业主委员会或居民自治小组签字确认"),
                        where, T("enter who signed (signed_by)", "请填写签字的业委会或居民自治小组"))
    if status == "annual_plan" and year is None:
        year = when.year
    commands = []
    layer = table_layer(project, "programme_events")
    if layer is None:
        layer = TableLayer(project.unique_name(EVENTS_LAYER), "programme_events")
        commands.append(AddLayer(layer))
    row = {"community_fid": int(fid), "status": status, "date": when, "year": year,
           "signed_by": signed_by, "note": note}
    commands.append(AddFeatures(layer.id, pd.DataFrame([row])))
    commands.append(ChangeAttributes(communities.id, {int(fid): {"programme_status": status}}))
    return MacroCommand(T(f"programme status: {STATE_LABELS[status].en}",
                          f"改造状态：{STATE_LABELS[status].zh}"), commands)


def advance(project, fid: int, status: str, date=None, **kwargs) -> None:
    """Apply :func:`advance_command` through the project's undo stack."""
    project.apply(advance_command(project, fid, status, date, **kwargs))
