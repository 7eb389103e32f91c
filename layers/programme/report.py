"""Write an annual plan with its funding as ``.xlsx`` (sheets) or ``.csv`` (the plan rows)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from layers.errors import T
from layers.programme.funding import PAYER_LABELS, PAYERS, Split
from layers.programme.ranking import Plan

SUFFIXES = (".csv", ".xlsx")
_PLAN = T("plan", "计划")
PLAN_COLUMNS = ("rank", "fid", "precinct", "name", "names", "district", "score", "willingness",
                "ready", "status", "cost_yuan", "in_plan", "reason", "cumulative_yuan", "explanation")


def plan_frame(plan: Plan) -> pd.DataFrame:
    cols = [c for c in PLAN_COLUMNS if c in plan.rows.columns]
    frame = plan.rows[cols].copy()
    for col in ("names",):
        if col in frame:
            frame[col] = ["、".join(v) if isinstance(v, list) else v for v in frame[col]]
    return frame


def funding_frame(splits: dict[str, Split], lang: str | None = None) -> pd.DataFrame:
    rows = []
    for name, s in splits.items():
        row = {"name": name, "total_yuan": s.total}
        row.update({PAYER_LABELS[p](lang): s.amounts[p] for p in PAYERS})
        row["notes"] = "; ".join(s.notes)
        rows.append(row)
    return pd.DataFrame(rows)


def provenance_frame(splits: dict[str, Split]) -> pd.DataFrame:
    rows = [{"name": name, **d} for name, s in splits.items() for d in s.provenance]
    return pd.DataFrame(rows, columns=["name", "what", "value", "ref", "source", "confidence"])


def write_plan(plan: Plan, splits: dict[str, Split], path: str | Path, lang: str | None = None) -> Path:
    """Write the plan (and, in .xlsx, funding and provenance sheets); atomic replace, and
    text a spreadsheet would run as a formula is quoted (:mod:`layers.exports.table_writer`)."""
    from layers.exports.table_writer import write_table

    if Path(path).suffix.lower() == ".csv":
        return write_table(plan_frame(plan), path, what=_PLAN)
    frames = {"plan": plan_frame(plan), "funding": funding_frame(splits, lang),
              "sources": provenance_frame(splits)}
    return write_table(frames, path, what=_PLAN)
