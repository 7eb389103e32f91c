"""The annual plan, its funding and their sources as tables (written by
:func:`layers.exports.reports.write_plan`)."""

from __future__ import annotations

import pandas as pd

from layers.programme.funding import PAYER_LABELS, PAYERS, Split
from layers.programme.ranking import Plan

SUFFIXES = (".csv", ".xlsx")
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
