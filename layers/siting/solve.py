"""Choosing sites: the set covering (LSCP) and maximal covering (MCLP) problems.

Communities already covered by existing facilities are left out of the demand
(they count in every answer). The exact answers come from ``scipy.optimize.milp``
(HiGHS); the greedy ones pick, one at a time, the candidate that adds the most,
and their gap to the exact answer is reported.

- MCLP: choose at most ``k`` candidates to maximise the (weighted) residents newly
  covered: max Σ w_j y_j  s.t.  y_j ≤ Σ_{i covers j} x_i,  Σ x_i ≤ k,  x binary,
  0 ≤ y ≤ 1.
- LSCP: the fewest candidates so that every community a candidate can reach is
  covered (min Σ x_i s.t. Σ_{i covers j} x_i ≥ 1), or so that a share of the
  (weighted) residents is covered, existing coverage included.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_matrix, hstack, identity

from layers.errors import ProjectError, T
from layers.siting.matrix import CoverageMatrix

OBJECTIVES = ("mclp", "lscp")
UNASSIGNED = "—"


@dataclass
class Answer:
    """One answer: the chosen rows (in the order picked), the demand weight they add."""

    method: str  # "exact" or "greedy"
    rows: list[int]
    added: float
    optimal: bool
    seconds: float


@dataclass
class SitingResult:
    """The exact and greedy answers of one problem, per precinct when asked."""

    objective: str
    service: str
    weight: str | None
    k: int | None
    share: float | None
    exact: Answer | None
    greedy: Answer | None
    total: float  # weight of all communities
    existing: float  # weight covered by existing facilities
    table: pd.DataFrame  # one row per chosen parcel (exact answer, else greedy)
    precincts: pd.DataFrame | None = None
    notes: list[T] = field(default_factory=list)

    @property
    def best(self) -> Answer:
        return self.exact if self.exact is not None else self.greedy  # type: ignore[return-value]

    @property
    def gap(self) -> float | None:
        """MCLP: (exact − greedy) / exact of the weight added; LSCP: greedy − exact sites."""
        if self.exact is None or self.greedy is None:
            return None
        if self.objective == "lscp":
            return float(len(self.greedy.rows) - len(self.exact.rows))
        return 0.0 if self.exact.added <= 0 else (self.exact.added - self.greedy.added) / self.exact.added

    def share_after(self, answer: Answer | None = None) -> float:
        answer = answer or self.best
        return (self.existing + answer.added) / self.total if self.total > 0 else float("nan")


def _bad(option: str, en: str, zh: str, fix: T) -> ProjectError:
    return ProjectError(T(en, zh), f"siting option {option}", fix)


# --- the core solvers on a candidates × demands 0/1 matrix --------------------------------
def _greedy_picks(covers: csr_matrix, w: np.ndarray):
    """Rows in greedy order, each the one adding the most still-uncovered weight, with that
    gain; stops when nothing more can be gained."""
    covers = covers.tocsr().astype(np.float64)
    left = np.asarray(w, dtype=float).copy()
    chosen: list[int] = []
    while len(chosen) < covers.shape[0]:
        gain = covers @ left
        if chosen:
            gain[chosen] = -1.0
        best = int(np.argmax(gain)) if len(gain) else -1
        if best < 0 or gain[best] <= 0:
            return
        chosen.append(best)
        left[covers[best].indices] = 0.0
        yield best, float(gain[best])


def greedy_mclp(covers: csr_matrix, w: np.ndarray, k: int) -> list[int]:
    """Pick up to ``k`` rows, each time the one adding the most weight (stop at no gain)."""
    chosen: list[int] = []
    for row, _gain in _greedy_picks(covers, w):
        if len(chosen) >= k:
            break
        chosen.append(row)
    return chosen


def greedy_lscp(covers: csr_matrix, w: np.ndarray, target: float) -> list[int]:
    """Add the row adding the most weight until ``target`` weight is covered."""
    chosen: list[int] = []
    done = 0.0
    for row, gain in _greedy_picks(covers, w):
        if done >= target - 1e-9:
            break
        chosen.append(row)
        done += gain
    return chosen


def _milp(c, constraints, n_x: int, n: int, time_limit: float):
    integrality = np.zeros(n)
    integrality[:n_x] = 1
    res = milp(c, constraints=constraints, integrality=integrality, bounds=Bounds(0, 1),
               options={"time_limit": float(time_limit), "mip_rel_gap": 1e-9})
    if res.x is None:
        raise ProjectError(T(f"the exact solver found no answer ({res.message})",
                             f"精确求解未得到结果（{res.message}）"), "siting solver",
                           T("raise siting_time_limit_s or use the greedy answer",
                             "请提高 siting_time_limit_s 或采用贪心结果"))
    rows = [int(i) for i in np.flatnonzero(res.x[:n_x] > 0.5)]
    return rows, res.status == 0


def exact_mclp(covers: csr_matrix, w: np.ndarray, k: int, time_limit: float = 60.0):
    """Rows of a maximal covering with at most ``k`` rows, and whether it is proven optimal."""
    n_x, n_y = covers.shape
    a = hstack([-covers.T.astype(float), identity(n_y, format="csr")], format="csr")
    count = csr_matrix(np.concatenate([np.ones(n_x), np.zeros(n_y)])[None, :])
    constraints = [LinearConstraint(a, -np.inf, 0.0), LinearConstraint(count, 0, k)]
    c = np.concatenate([np.zeros(n_x), -np.asarray(w, dtype=float)])
    return _milp(c, constraints, n_x, n_x + n_y, time_limit)


def exact_lscp(covers: csr_matrix, w: np.ndarray, target: float, full: bool,
               time_limit: float = 60.0):
    """Fewest rows covering every column (``full``) or ``target`` weight; among those,
    the one covering the most weight."""
    n_x, n_y = covers.shape
    w = np.asarray(w, dtype=float)
    total = float(w.sum())
    tie = 0.5 / total if total > 0 else 0.0
    c = np.concatenate([np.ones(n_x), -tie * w])
    link = hstack([-covers.T.astype(float), identity(n_y, format="csr")], format="csr")
    constraints = [LinearConstraint(link, -np.inf, 0.0)]
    if full:
        cover = hstack([covers.T.astype(float), csr_matrix((n_y, n_y))], format="csr")
        constraints.append(LinearConstraint(cover, 1.0, np.inf))
    else:
        need = csr_matrix(np.concatenate([np.zeros(n_x), w])[None, :])
        constraints.append(LinearConstraint(need, target - 1e-6, np.inf))
    return _milp(c, constraints, n_x, n_x + n_y, time_limit)


def _prune(covers: csr_matrix, w: np.ndarray, rows: list[int]) -> list[int]:
    """Drop chosen rows that add nothing (the ≤ k constraint lets the solver keep them)."""
    rows = list(rows)
    for r in sorted(rows, key=lambda i: covers[i].nnz):
        rest = [i for i in rows if i != r]
        if _added(covers, w, rest) >= _added(covers, w, rows) - 1e-9:
            rows = rest
    return rows


def _added(covers: csr_matrix, w: np.ndarray, rows) -> float:
    rows = list(rows)
    if not rows:
        return 0.0
    return float(w[np.unique(covers[rows].indices)].sum())


def _order(covers: csr_matrix, w: np.ndarray, rows: list[int]) -> list[int]:
    """Exact rows in greedy order (largest marginal first), for a readable table."""
    sub = covers[rows]
    picked = greedy_mclp(sub, w, len(rows))
    return [rows[i] for i in picked] + [r for i, r in enumerate(rows) if i not in picked]


# --- the problem on a coverage matrix ----------------------------------------------------
def _demand(m: CoverageMatrix, weight: str | None, columns: np.ndarray | None):
    w = m.weights(weight)
    mask = ~m.existing_covered
    if columns is not None:
        mask &= columns
    return w, mask


def _solve_one(m: CoverageMatrix, rows_ok: np.ndarray, objective: str, k: int | None,
               share: float | None, weight: str | None, columns: np.ndarray | None,
               method: str, time_limit: float):
    w_all, mask = _demand(m, weight, columns)
    scope = np.ones(len(w_all), dtype=bool) if columns is None else columns
    total = float(w_all[scope].sum())
    existing = float(w_all[scope & m.existing_covered].sum())
    cand = np.flatnonzero(rows_ok)
    sub = m.covers[cand][:, np.flatnonzero(mask)].tocsr()
    w = w_all[mask]
    reachable = np.asarray(sub.sum(axis=0)).ravel() > 0
    sub, w = sub[:, np.flatnonzero(reachable)].tocsr(), w[reachable]
    notes: list[T] = []
    if objective == "mclp":
        keep = w > 0
        sub, w = sub[:, np.flatnonzero(keep)].tocsr(), w[keep]
        target, full = 0.0, False
    else:
        unreachable = int(mask.sum() - reachable.sum())
        if unreachable:
            notes.append(T(f"{unreachable} uncovered communit(ies) are beyond every candidate's "
                           "reach and stay uncovered",
                           f"{unreachable} 个未覆盖小区超出所有候选地块的服务范围，仍无法覆盖"))
        full = share is None
        target = 0.0 if full else share * total - existing
        if not full and target > float(w.sum()) + 1e-6:
            best = (existing + float(w.sum())) / total if total else 0.0
            raise _bad("--share", f"a share of {share:.0%} cannot be reached: all candidates together "
                       f"cover {best:.1%}", f"无法达到 {share:.0%} 的覆盖率：全部候选地块合计仅覆盖 {best:.1%}",
                       T("lower the share, or add candidate parcels", "请降低覆盖率目标，或增加候选地块"))
    answers: dict[str, Answer] = {}
    if method in ("both", "greedy"):
        t0 = time.perf_counter()
        rows = greedy_mclp(sub, w, int(k)) if objective == "mclp" else \
            greedy_lscp(sub, np.ones(len(w)) if full else w, len(w) if full else target)
        answers["greedy"] = Answer("greedy", [int(cand[r]) for r in rows], _added(sub, w, rows), True,
                                   time.perf_counter() - t0)
    if method in ("both", "exact"):
        t0 = time.perf_counter()
        if sub.shape[1] == 0 or (objective == "lscp" and target <= 0 and not full):
            rows, optimal = [], True
        elif objective == "mclp":
            rows, optimal = exact_mclp(sub, w, int(k), time_limit)
        else:
            rows, optimal = exact_lscp(sub, w, target, full, time_limit)
        rows = _order(sub, w, _prune(sub, w, rows)) if objective == "mclp" else _order(sub, w, rows)
        answers["exact"] = Answer("exact", [int(cand[r]) for r in rows], _added(sub, w, rows), optimal,
                                  time.perf_counter() - t0)
    return answers.get("exact"), answers.get("greedy"), total, existing, notes


def solve_siting(m: CoverageMatrix, objective: str = "mclp", k: int | None = None,
                 share: float | None = None, weight: str | None = None, *,
                 candidates: np.ndarray | None = None, method: str = "both",
                 by_precinct: bool = False, time_limit: float = 60.0,
                 names: pd.Series | None = None) -> SitingResult:
    """Solve MCLP (``k`` sites) or LSCP (all communities, or ``share`` of the residents).

    Parameters
    ----------
    m : CoverageMatrix
    candidates : bool per row of ``m``; rows that may be chosen (default all)
    method : "both", "exact" or "greedy"
    by_precinct : solve each precinct's communities on their own (``k`` per precinct)

    Examples
    --------
    Parcel 11 reaches communities 1 and 2, parcel 12 reaches 2 and 3; with one site
    for the most residents over 60, parcel 11 wins (50 + 120 > 120 + 30):

    >>> import numpy as np, pandas as pd
    >>> from scipy.sparse import csr_matrix
    >>> from layers.siting.matrix import CoverageMatrix
    >>> communities = pd.DataFrame({"population": [500, 300, 200], "pop_60plus": [50, 120, 30]},
    ...                            index=pd.Index([1, 2, 3], name="fid"))
    >>> covers = csr_matrix(np.array([[1, 1, 0], [0, 1, 1]], dtype=bool))
    >>> matrix = CoverageMatrix("elder_care", 300.0, np.array([11, 12]), communities, covers,
    ...                         existing_covered=np.zeros(3, bool), existing_nearest_m=np.full(3, np.nan),
    ...                         testable=np.ones(3, bool), candidate_snapped=np.ones(2, bool))
    >>> result = solve_siting(matrix, "mclp", k=1, weight="60plus")
    >>> result.table["parcel_fid"].tolist(), result.table["weighted_new"].tolist()
    ([11], [170.0])
    >>> result.share_after()  # of the residents over 60: 170 of 200
    0.85
    """
    if objective not in OBJECTIVES:
        raise _bad("--objective", f"unknown objective {objective!r}", f"未知的目标 {objective!r}",
                   T("use mclp (k sites, most residents) or lscp (fewest sites)",
                     "请使用 mclp（给定数量、覆盖最多居民）或 lscp（最少选址）"))
    rows_ok = np.ones(len(m.candidates), dtype=bool) if candidates is None else np.asarray(candidates, bool)
    n_cand = int(rows_ok.sum())
    if n_cand == 0:
        raise _bad("candidates", "there are no candidate parcels", "没有候选地块",
                   T("mark parcels available, or widen candidate_availability",
                     "请将地块标为可用，或放宽 candidate_availability"))
    if objective == "mclp":
        if k is None or int(k) < 1:
            raise _bad("--count", "give the number of new sites (≥ 1)", "请给出新增选址数量（≥ 1）",
                       T("e.g. --count 3", "例如 --count 3"))
        if int(k) > n_cand:
            raise _bad("--count", f"{k} sites asked for but there are only {n_cand} candidate parcels",
                       f"要求 {k} 处选址，但只有 {n_cand} 个候选地块",
                       T(f"ask for at most {n_cand}", f"请不超过 {n_cand} 处"))
    if share is not None and not 0 < float(share) <= 1:
        raise _bad("--share", f"share {share} is not in (0, 1]", f"覆盖率 {share} 不在 (0, 1] 内",
                   T("give a share such as 0.9", "请给出如 0.9 的比例"))
    m.weights(weight)  # checks the weight key
    groups: list[tuple[str, np.ndarray | None]] = [("", None)]
    if by_precinct:
        precinct = m.communities["precinct"].astype("string").fillna(UNASSIGNED).to_numpy(dtype=object)
        groups = [(str(p), precinct == p) for p in pd.unique(precinct)]
    parts, tables = [], []
    notes = list(m.notes)
    for label, columns in groups:
        exact, greedy, total, existing, more = _solve_one(m, rows_ok, objective, k, share, weight,
                                                          columns, method, time_limit)
        notes += more
        parts.append((label, exact, greedy, total, existing))
        tables.append(_table(m, exact or greedy, weight, columns, label, names))  # type: ignore[arg-type]
    exact, greedy = _merge([p[1] for p in parts], "exact"), _merge([p[2] for p in parts], "greedy")
    total, existing = sum(p[3] for p in parts), sum(p[4] for p in parts)
    precincts = None
    if by_precinct:
        precincts = pd.DataFrame([{"precinct": lbl, "total": tot, "existing": ex,
                                   "exact_sites": len(e.rows) if e else None,
                                   "exact_added": e.added if e else None,
                                   "greedy_sites": len(g.rows) if g else None,
                                   "greedy_added": g.added if g else None}
                                  for lbl, e, g, tot, ex in parts])
    table = pd.concat(tables, ignore_index=True)
    return SitingResult(objective, m.service, weight, None if k is None else int(k), share, exact,
                        greedy, total, existing, table, precincts, notes)


def _merge(answers: list[Answer | None], method: str) -> Answer | None:
    if any(a is None for a in answers):
        return None
    return Answer(method, [r for a in answers for r in a.rows], sum(a.added for a in answers),
                  all(a.optimal for a in answers), sum(a.seconds for a in answers))


def _table(m: CoverageMatrix, answer: Answer, weight: str | None, columns: np.ndarray | None,
           label: str, names: pd.Series | None) -> pd.DataFrame:
    """The chosen parcels in order, with what each adds to the ones before it."""
    pop = m.weights(None)
    w = m.weights(weight)
    scope = np.ones(len(pop), dtype=bool) if columns is None else columns
    covered = m.existing_covered & scope
    recs = []
    for rank, row in enumerate(answer.rows, start=1):
        new = np.zeros(len(pop), dtype=bool)
        new[m.covers[row].indices] = True
        new &= scope & ~covered
        covered = covered | new
        fid = int(m.candidates[row])
        recs.append({"precinct": label or None, "rank": rank, "parcel_fid": fid,
                     "name": None if names is None else names.get(fid),
                     "communities_new": int(new.sum()), "residents_new": float(pop[new].sum()),
                     "weighted_new": float(w[new].sum()),
                     "communities_reached": int(m.covers[row].nnz)})
    columns_out = ["precinct", "rank", "parcel_fid", "name", "communities_new", "residents_new",
                   "weighted_new", "communities_reached"]
    return pd.DataFrame(recs, columns=columns_out)
