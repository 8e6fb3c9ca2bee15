"""Cell suppression (单元格抑制) of count tables with published margins: primary and secondary.

A count table (rows × columns, e.g. problems by region × year) is published with its row totals,
column totals and grand total. Primary suppression hides every cell with ``0 < n < k``. That is
not enough: a row ``<3, <3 | 4`` gives both cells away (2 and 2), and a row with one hidden cell
gives it away by subtraction. :func:`suppress_cells` therefore adds *complementary* (secondary)
suppressions until no hidden value can be worked out from the published numbers:

1. **Line rule** (the classic heuristic): every row and every column (each a linear relation
   ``cells = total``) that holds a suppressed cell must hold at least two; the complement is
   the *smallest* unsuppressed cell of that line (positive cells first, zeros only as a last
   resort), so as little information as possible is lost. Repeated until stable.
2. **Audit** (:func:`feasible_intervals`): for each suppressed cell, the smallest and largest
   value consistent with everything published, by linear programming over the hidden cells
   (the row and column equations; every hidden cell in ``[0, ∞)``, the a-priori bounds of
   τ-ARGUS's audit). A cell whose interval is narrower than 1 is *pinned* (exactly disclosed);
   then the smallest unsuppressed cell of its row or column is suppressed too and both steps
   run again.

The attacker model: the reader sees the published cells, all margins, and one marker
(default ``"×"``) on every suppressed cell, so a primary cell cannot be told from a
complementary one. That is why primary cells must *not* be labelled ``"<k"`` beside totals:
with that label a reader knows them to lie in ``[1, k − 1]``, and the row ``<3, <3 | 4`` of a
row total pins both at 2 whatever else is hidden (``feasible_intervals(...,
known_primary=True)`` shows it). The LP bounds are exact for these tables: the constraint
matrix of a two-way table is totally unimodular, so every vertex is integral and an LP
interval of width ≥ 1 holds two integers. Margins are never suppressed. Linked tables (the
same cells published in two tables) are not coordinated here: suppress the finest table and
derive the others from its published cells.

References: Hundepool, A. et al. (2012). *Statistical Disclosure Control*. Wiley, ch. 4
(tabular data: sensitivity rules, secondary cell suppression, audit by linear programming);
Cox, L. H. (1980). Suppression methodology and statistical disclosure control. *JASA* 75(370):
377–385.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

MARKER = "×"
TOTAL = {"zh": "合计", "en": "Total"}


def _lines(shape: tuple[int, int]) -> list[list[tuple[int, int]]]:
    """The linear relations of a table with published margins, as lists of interior cells.

    A row relation only exists with more than one column (with one column the row total *is*
    the cell), a column relation only with more than one row.
    """
    r, c = shape
    lines = []
    if c > 1:
        lines += [[(i, j) for j in range(c)] for i in range(r)]
    if r > 1:
        lines += [[(i, j) for i in range(r)] for j in range(c)]
    if r == 1 and c == 1:
        lines.append([(0, 0)])
    return lines


def feasible_intervals(counts: pd.DataFrame, suppressed: pd.DataFrame, primary: pd.DataFrame | None = None,
                       k: int = 3, known_primary: bool = False) -> pd.DataFrame:
    """The range of values each suppressed cell can take given the published numbers.

    Published: every unsuppressed cell, every row total, column total and the grand total of
    ``counts``. Unknown: the cells where ``suppressed`` is True, each in ``[0, ∞)``; with
    ``known_primary`` (a reader who can tell primary cells, e.g. labelled ``"<k"``) the cells
    where ``primary`` is True lie in ``[1, k − 1]``. Returns ``row, column, lower,
    upper, pinned`` (``pinned``: ``upper − lower < 1``), one row per suppressed cell, from two
    linear programs per cell (SciPy ``linprog``, HiGHS). ``upper`` is ``inf`` when unbounded.

    >>> counts = pd.DataFrame({"a": [2, 5], "b": [3, 4]}, index=["r1", "r2"])
    >>> hidden = pd.DataFrame({"a": [True, True], "b": [False, False]}, index=counts.index)
    >>> feasible_intervals(counts, hidden)[["row", "lower", "upper", "pinned"]].to_dict("list")
    {'row': ['r1', 'r2'], 'lower': [2.0, 5.0], 'upper': [2.0, 5.0], 'pinned': [True, True]}
    """
    from scipy.optimize import linprog

    x = counts.to_numpy(dtype=float)
    s = suppressed.reindex_like(counts).fillna(False).to_numpy(dtype=bool)
    p = (primary.reindex_like(counts).fillna(False).to_numpy(dtype=bool) if primary is not None
         else np.zeros_like(s)) & s
    cells = [tuple(c) for c in np.argwhere(s)]
    if not cells:
        return pd.DataFrame(columns=["row", "column", "lower", "upper", "pinned"])
    pos = {c: n for n, c in enumerate(cells)}
    a_eq, b_eq = [], []
    for line in _lines(x.shape):
        hidden = [c for c in line if c in pos]
        if not hidden:
            continue
        row = np.zeros(len(cells))
        row[[pos[c] for c in hidden]] = 1.0
        a_eq.append(row)
        b_eq.append(sum(x[c] for c in hidden))  # = line total − published cells of the line
    bounds = [(1.0, k - 1.0) if known_primary and p[c] else (0.0, None) for c in cells]
    out = []
    for n, (i, j) in enumerate(cells):
        lo_hi = []
        for sign in (1.0, -1.0):
            obj = np.zeros(len(cells))
            obj[n] = sign
            res = linprog(obj, A_eq=np.array(a_eq), b_eq=np.array(b_eq), bounds=bounds, method="highs")
            if res.status == 3:  # unbounded
                lo_hi.append(np.inf if sign < 0 else -np.inf)
            elif res.status != 0:
                raise RuntimeError(f"抑制审计的线性规划失败 / suppression audit LP failed: {res.message}")
            else:
                lo_hi.append(sign * res.fun)
        lo, hi = lo_hi
        out.append({"row": counts.index[i], "column": counts.columns[j], "lower": round(lo, 9),
                    "upper": round(hi, 9) if np.isfinite(hi) else np.inf, "pinned": bool(hi - lo < 1 - 1e-9)})
    return pd.DataFrame(out, columns=["row", "column", "lower", "upper", "pinned"])


@dataclass
class SuppressedTable:
    """The outcome of :func:`suppress_cells`.

    ``table`` is what is published (object dtype, suppressed cells shown as ``marker``, with
    the total row and column when asked). ``suppressed`` and ``primary`` are boolean masks over
    the interior cells. ``counts`` are the true counts: for the audit folder, never published.
    """

    table: pd.DataFrame
    suppressed: pd.DataFrame
    primary: pd.DataFrame
    counts: pd.DataFrame
    k: int
    marker: str = MARKER

    def cells(self) -> pd.DataFrame:
        """``row, column, rule`` (``primary`` / ``secondary``) of every suppressed cell, without values."""
        rows = [{"row": r, "column": c, "rule": "primary" if self.primary.loc[r, c] else "secondary"}
                for r in self.suppressed.index for c in self.suppressed.columns if self.suppressed.loc[r, c]]
        return pd.DataFrame(rows, columns=["row", "column", "rule"])

    def note(self, lang: str = "zh") -> str:
        """The sentence under the table (empty when nothing was suppressed)."""
        n_all = int(self.suppressed.to_numpy().sum())
        # how many cells are primary is not said: with it a reader could try which cells they are
        if not n_all:
            return ""
        if lang == "zh":
            return (f"“{self.marker}”表示已抑制的单元格:计数在 1 至 {self.k - 1} 之间的单元格(一次抑制),"
                    "以及为防止由合计推算出这些计数而一并抑制的单元格(二次抑制)。")
        return (f"'{self.marker}' marks a suppressed cell: a count between 1 and {self.k - 1} (primary suppression), "
                "or a cell suppressed with it so that it cannot be worked out from the totals (secondary "
                "suppression).")

    def for_plot(self) -> pd.DataFrame:
        """Long table for a bar chart: ``row, column, value`` (NaN where suppressed, so a bar is
        *not drawn*, rather than drawn as zero), ``suppressed`` and ``label`` (the count or the
        marker). See :func:`mark_suppressed_bars`."""
        v = self.counts.where(~self.suppressed).stack(future_stack=True).rename("value").astype(float)
        s = self.suppressed.stack(future_stack=True).rename("suppressed")
        out = pd.concat([v, s], axis=1).reset_index()
        out.columns = ["row", "column", "value", "suppressed"]
        out["label"] = [self.marker if sup else f"{val:g}" for val, sup in zip(out.value, out.suppressed)]
        return out


def _complement(x: np.ndarray, s: np.ndarray, line: list[tuple[int, int]]) -> tuple[int, int] | None:
    """The smallest unsuppressed cell of a line: positive cells first, then zeros."""
    free = [c for c in line if not s[c]]
    if not free:
        return None
    return min(free, key=lambda c: (x[c] == 0, x[c]))


def suppress_cells(counts: pd.DataFrame, k: int = 3, totals: bool = True, marker: str = MARKER,
                   lang: str = "zh") -> SuppressedTable:
    """Primary and secondary suppression of a count table with published margins.

    ``counts``: non-negative integer counts, rows × columns (e.g. regions × years). Cells with
    ``0 < n < k`` are suppressed, then complements as in the module docstring, until
    :func:`feasible_intervals` pins no suppressed cell. ``totals`` adds the total column and
    row (``合计`` / ``Total``) to the published table; the protection assumes the totals are
    known either way. Raises ``ValueError`` if the table cannot be protected without hiding a
    total (e.g. a row whose only positive cell is below ``k``).

    The row ``2, 2 | 4``: both cells are below ``k = 3``; each column then needs a second
    hidden cell, the smallest being R02's (6 and 5); the four hidden cells admit
    ``R01 = (t, 4 − t)``, ``R02 = (8 − t, 3 + t)`` for every ``t`` in ``[0, 4]``: none is pinned.

    >>> counts = pd.DataFrame({"2023": [2, 6, 7], "2024": [2, 5, 8]}, index=["R01", "R02", "R03"])
    >>> res = suppress_cells(counts, k=3)
    >>> res.table.to_dict("list")
    {'2023': ['×', '×', 7, 15], '2024': ['×', '×', 8, 15], '合计': [4, 11, 15, 30]}
    """
    if (counts.to_numpy() < 0).any():
        raise ValueError("计数不能为负 / counts must not be negative")
    x = counts.to_numpy(dtype=float)
    primary = (x > 0) & (x < k)
    s = primary.copy()
    lines = _lines(x.shape)
    while True:
        changed = True
        while changed:
            changed = False
            for line in lines:
                if sum(s[c] for c in line) == 1 and len(line) > 1:
                    comp = _complement(x, s, line)
                    if comp is None:
                        continue
                    s[comp] = changed = True
        frame = pd.DataFrame(s, index=counts.index, columns=counts.columns)
        prim = pd.DataFrame(primary, index=counts.index, columns=counts.columns)
        iv = feasible_intervals(counts, frame, prim, k)  # the reader's view: one marker, bounds [0, ∞)
        pinned = iv[iv.pinned]
        if pinned.empty:
            break
        i = counts.index.get_loc(pinned.row.iloc[0])
        j = counts.columns.get_loc(pinned.column.iloc[0])
        comp = _complement(x, s, [(i, jj) for jj in range(x.shape[1]) if jj != j]
                           + [(ii, j) for ii in range(x.shape[0]) if ii != i])
        if comp is None:
            raise ValueError(f"单元格 ({pinned.row.iloc[0]}, {pinned.column.iloc[0]}) 无法在公布合计的情况下保护,"
                             f"请不公布该行/列的合计 / cell ({pinned.row.iloc[0]}, {pinned.column.iloc[0]}) cannot be "
                             "protected while its totals are published: do not publish them")
        s[comp] = True
    mask = pd.DataFrame(s, index=counts.index, columns=counts.columns)
    table = counts.astype(object).where(~mask, marker)
    if totals:
        # with one column the row totals repeat the cells (and with one row the column totals):
        # such a margin is not added, and the protection above does not assume it known
        label = TOTAL[lang]
        if counts.shape[1] > 1:
            table[label] = counts.sum(axis=1).astype(object)
        if counts.shape[0] > 1:
            table.loc[label] = list(counts.sum(axis=0).astype(object)) + (
                [counts.to_numpy().sum()] if counts.shape[1] > 1 else [])
        table = table.map(lambda v: int(v) if isinstance(v, (int, np.integer, float, np.floating))
                          and float(v).is_integer() else v)
    return SuppressedTable(table=table, suppressed=mask, primary=pd.DataFrame(primary, index=counts.index,
                                                                             columns=counts.columns),
                           counts=counts, k=int(k), marker=marker)


def mark_suppressed_bars(ax, positions, heights=None, marker: str = MARKER, lang: str = "zh"):
    """Mark suppressed bars on a Matplotlib axis: the marker at each position (on the baseline,
    or at ``heights``), in grey, so a reader sees "suppressed" where a bar would be, never a
    zero-height bar. Use with :meth:`SuppressedTable.for_plot` (``value`` is NaN for those).
    Returns the text artists."""
    heights = [0.0] * len(positions) if heights is None else list(heights)
    label = "已抑制" if lang == "zh" else "suppressed"
    out = []
    for n, (x, y) in enumerate(zip(positions, heights)):
        out.append(ax.annotate(marker, (x, y), ha="center", va="bottom", color="0.45", fontsize=11,
                               label=label if n == 0 else None))
    return out
