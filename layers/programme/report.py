"""Write an annual plan with its funding as ``.xlsx`` (sheets) or ``.csv`` (the plan rows)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from layers.errors import ProjectError, T
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


def write_plan(plan: Plan, splits: dict[str, Split], path: str | Path, lang: str | None = None) -> Path:
    """Write the plan (and, in .xlsx, funding and provenance sheets); atomic replace."""
    from layers.store.atomic import atomic_target

    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in SUFFIXES:
        raise ProjectError(T(f"cannot write a plan as {suffix or 'a file without extension'}",
                             f"无法写出 {suffix or '无扩展名'} 格式的计划"),
                           str(target), T("name the file .csv or .xlsx", "请将文件命名为 .csv 或 .xlsx"))
    try:
        with atomic_target(target) as tmp:
            if suffix == ".csv":
                plan_frame(plan).to_csv(tmp, index=False, encoding="utf-8-sig")
            else:
                with pd.ExcelWriter(tmp, engine="openpyxl") as xl:
                    plan_frame(plan).to_excel(xl, index=False, sheet_name="plan")
                    funding_frame(splits, lang).to_excel(xl, index=False, sheet_name="funding")
                    provenance_frame(splits).to_excel(xl, index=False, sheet_name="sources")
    except OSError as exc:
        raise ProjectError(T(f"cannot write the plan ({exc.strerror})", f"无法写出计划（{exc.strerror}）"),
                           str(target), T("choose a folder you can write to, and close the file in Excel",
                                          "请选择可写入的文件夹，并在 Excel 中关闭该文件")) from exc
    return target
