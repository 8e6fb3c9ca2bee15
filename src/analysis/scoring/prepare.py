"""Data preparation before normalisation: unit screening, missing data, outliers.

Input is the yearly panel of :func:`analysis.panel.yearly_values` (denominators and quarterly →
yearly rules already applied). Three steps, in the order of the OECD/JRC Handbook and COINr
(``Screen`` → ``Impute`` → ``Treat``):

1. **Coverage rule** (COINr ``Screen(unit_screen = "byNA", dat_thresh)``): a unit is scored in a
   year only if it reports at least ``coverage`` of the leaves in force that year; otherwise
   it is listed in ``excluded`` with its coverage and the reason, and it takes no part in the
   later steps (so it does not move anyone's min–max or imputation).
2. **Missing data** (``missing.method``): ``none`` (missing leaves stay missing; the aggregation's
   minimum-data rule and weight renormalisation handle them), ``region_mean`` /
   ``region_median`` (the mean / median of the same leaf among the scored units of the same
   region and year: COINr ``i_mean_grp``), ``locf`` (the unit's last earlier observed value of
   that leaf, carried forward: COINr ``impute_panel(imp_type = "latest")``). Observed values are
   never changed; every imputed cell is listed in ``imputed`` with its method and donor count
   (or source year) and flagged in the leaf table.
3. **Outliers** (``outliers.method``), per leaf over the scored unit-years of the reference set
   (all years when pooled, each year when ``per_year``), by the COINr rule of thumb
   (``Treat()`` defaults): a leaf fails when ``|skew| >= skew`` **and** ``kurtosis >= kurtosis``
   (sample skewness and excess kurtosis with the bias corrections of ``e1071`` type 2 =
   ``scipy.stats.skew/kurtosis(bias=False)``; thresholds 2 and 3.5). ``winsorise``: the most
   extreme value on the side of the skew is set to the next value, one step at a time (ties
   move together) until the leaf passes or ``winmax`` values are changed. ``log``: the COIN
   Tool log :math:`\\ln(x - \\min x + 0.01(\\max x - \\min x))` (COINr ``log_CT``), order-
   preserving. ``auto``: winsorise, and if the leaf still fails, log-transform the *original*
   values instead (COINr default ``f1 = winsorise, f2 = log_CT``). Every changed value is listed
   in ``treated`` (before, after, treatment). Note: COINr counts only the points of the last
   step against ``winmax`` (a quirk of ``winsorise()``); we count the distinct data points changed
   so far, and stop before a step that would exceed ``winmax``.

References: OECD/JRC (2008) *Handbook*, steps 3 and 5 (§1.3, pp. 21–25); Becker et al. (2022)
COINr, JOSS 7(78), 4567 (``Screen``, ``Impute``, ``Treat``, ``check_SkewKurt``).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..framework import for_year
from ..panel import units_by_year
from .config import IndexConfig


def bilingual(zh: str, en: str) -> str:
    return f"{zh} / {en}"


@dataclass
class PreparedPanel:
    """The yearly panel as arrays ``(Y, U, L)`` plus the logs of every step.

    ``values`` are after imputation and treatment; ``observed`` marks reported cells;
    ``in_force`` ``(Y, L)`` marks the leaves of the framework version of each year;
    ``scored`` ``(Y, U)`` the unit-years that passed the coverage rule; ``red`` ``(Y, U, R)``
    the red-line event values; ``unit_info`` one row per (unit_id, year) with type and region.
    """

    years: list[int]
    unit_ids: list[str]
    leaves: list[str]
    values: np.ndarray
    observed: np.ndarray
    in_force: np.ndarray
    scored: np.ndarray
    red_lines: list[str]
    red: np.ndarray
    unit_info: pd.DataFrame
    imputed: pd.DataFrame
    treated: pd.DataFrame
    excluded: pd.DataFrame
    warnings: list[dict]


def value_cube(values: pd.DataFrame, years, unit_ids, codes) -> np.ndarray:
    out = np.full((len(years), len(unit_ids), len(codes)), np.nan)
    if len(codes) == 0 or values.empty:
        return out
    # categorical codes: -1 for anything outside the requested years / units / codes
    y = pd.Index(years).get_indexer(values.year)
    u = pd.Index(unit_ids).get_indexer(values.unit_id)
    c = pd.Index(codes).get_indexer(values.indicator)
    ok = (y >= 0) & (u >= 0) & (c >= 0)
    if ok.any():
        out[y[ok], u[ok], c[ok]] = pd.to_numeric(values.value, errors="coerce").to_numpy(dtype=float)[ok]
    return out


def skew_kurt(x: np.ndarray) -> tuple[float, float]:
    """Bias-corrected sample skewness and excess kurtosis (e1071 type 2, COINr ``skew``/``kurt``)."""
    x = x[~np.isnan(x)]
    if len(x) < 4 or np.ptp(x) == 0:
        return 0.0, 0.0
    return float(stats.skew(x, bias=False)), float(stats.kurtosis(x, bias=False))


def fails_skew_kurt(x: np.ndarray, skew: float = 2.0, kurtosis: float = 3.5) -> bool:
    """COINr ``check_SkewKurt``: fails when ``|skew| >= skew`` and ``kurtosis >= kurtosis``."""
    s, k = skew_kurt(x)
    return abs(s) >= skew and k >= kurtosis


def winsorise(x: np.ndarray, skew: float = 2.0, kurtosis: float = 3.5, winmax: int = 5) -> np.ndarray:
    """COINr ``winsorise``: move the extreme value on the skewed side to the next value until
    the skew/kurtosis rule passes or a further step would change more than ``winmax`` distinct
    data points (tied extremes move together). NaN stay NaN."""
    x = np.array(x, dtype=float)
    changed = np.zeros(len(x), dtype=bool)
    while fails_skew_kurt(x, skew, kurtosis) and changed.sum() < winmax:
        s, _ = skew_kurt(x)
        ext = np.nanmax(x) if s >= 0 else np.nanmin(x)
        at = x == ext
        rest = x[~at & ~np.isnan(x)]
        if rest.size == 0 or (changed | at).sum() > winmax:
            break
        x[at] = rest.max() if s >= 0 else rest.min()
        changed |= at
    return x


def log_ct(x: np.ndarray) -> np.ndarray:
    """COIN Tool log: :math:`\\ln(x - \\min x + 0.01(\\max x - \\min x))` (COINr ``log_CT``)."""
    lo, hi = np.nanmin(x), np.nanmax(x)
    return np.log(x - lo + 0.01 * (hi - lo))


def _treat_vector(x: np.ndarray, cfg) -> tuple[np.ndarray, str]:
    if np.sum(~np.isnan(x)) < 4 or not fails_skew_kurt(x, cfg.skew, cfg.kurtosis):
        return x, ""
    if cfg.method in ("winsorise", "auto"):
        w = winsorise(x, cfg.skew, cfg.kurtosis, cfg.winmax)
        if cfg.method == "winsorise" or not fails_skew_kurt(w, cfg.skew, cfg.kurtosis):
            return w, "winsorise"
    return log_ct(x), "log"


def prepare_panel(values: pd.DataFrame, framework: pd.DataFrame, units: pd.DataFrame,
                  config: IndexConfig, leaves: list[str], red_lines: list[str]) -> PreparedPanel:
    """Screen, impute and treat the yearly panel; see the module docstring for the rules."""
    warn: list[dict] = []
    values = values.copy()
    values["unit_id"] = values.unit_id.astype(str)
    values["year"] = values.year.astype(int)
    years = sorted(values.year.unique().tolist())
    info = units_by_year(units, years)
    info["unit_id"] = info.unit_id.astype(str)
    unknown = sorted(set(values.unit_id) - set(info.unit_id))
    if unknown:
        warn.append(dict(stage="prepare", code="", message=bilingual(
            f"数据中有 {len(unknown)} 个单位不在单位表中,已忽略:{unknown[:5]}",
            f"{len(unknown)} unit(s) in the data are not in the units table and were ignored: {unknown[:5]}")))
    unit_ids = sorted(info.unit_id.unique().tolist())
    Y, U, L = len(years), len(unit_ids), len(leaves)
    x = value_cube(values, years, unit_ids, leaves)
    red = value_cube(values, years, unit_ids, red_lines)
    present = np.zeros((Y, U), dtype=bool)
    present[pd.Index(years).get_indexer(info.year),
            pd.Index(unit_ids).get_indexer(info.unit_id)] = True
    orphan = ~present & ~np.isnan(x).all(axis=-1)
    if orphan.any():
        yy, uu = np.nonzero(orphan)
        pairs = [f"{unit_ids[u]}/{years[y]}" for y, u in zip(yy[:5], uu[:5])]
        warn.append(dict(stage="prepare", code="", message=bilingual(
            f"{int(orphan.sum())} 个 单位×年度 有数据但该单位当年不在单位表的有效期内,已忽略:{pairs}",
            f"{int(orphan.sum())} unit-year(s) have data but the unit is not in force that year in the units "
            f"table; ignored: {pairs}")))
    x[~present] = np.nan

    in_force = np.zeros((Y, L), dtype=bool)
    for yi, y in enumerate(years):
        in_force[yi] = np.isin(leaves, for_year(framework, y).code.to_numpy())
    x[:, :, ~in_force.any(axis=0)] = np.nan
    x = np.where(in_force[:, None, :], x, np.nan)
    observed = ~np.isnan(x)

    # 1. coverage rule
    n_force = in_force.sum(axis=1)[:, None] * np.ones((1, U))
    n_obs = observed.sum(axis=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        coverage = np.where(n_force > 0, n_obs / n_force, 0.0)
    scored = present & (coverage >= config.missing.coverage - 1e-12) & (n_obs > 0)
    ex_y, ex_u = np.nonzero(present & ~scored)
    excluded = pd.DataFrame({
        "unit_id": [unit_ids[u] for u in ex_u], "year": [years[y] for y in ex_y],
        "n_leaves": n_force[ex_y, ex_u].astype(int), "n_observed": n_obs[ex_y, ex_u].astype(int),
        "coverage": coverage[ex_y, ex_u],
    })
    excluded["reason"] = [bilingual(
        f"指标覆盖率 {c:.0%} 低于规定的 {config.missing.coverage:.0%},不参与评分",
        f"reports {c:.0%} of the leaves in force, below the coverage rule of {config.missing.coverage:.0%}; not scored")
        for c in excluded.coverage]
    x[~scored] = np.nan
    observed &= scored[:, :, None]

    # 2. missing data
    imputed_rows = []
    method = config.missing.method
    if method in ("region_mean", "region_median"):
        reg = np.full((Y, U), "", dtype=object)
        yy = pd.Index(years).get_indexer(info.year)
        uu = pd.Index(unit_ids).get_indexer(info.unit_id)
        reg[yy, uu] = info.region.astype(str).to_numpy() if "region" in info else ""
        fn = np.nanmean if method == "region_mean" else np.nanmedian
        for yi in range(Y):
            for r in pd.unique(reg[yi][scored[yi]]):
                members = scored[yi] & (reg[yi] == r)
                block = x[yi][members]  # (n_members, L)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    fill = fn(block, axis=0)
                donors = np.sum(~np.isnan(block), axis=0)
                holes = np.isnan(block) & in_force[yi][None, :] & ~np.isnan(fill)[None, :]
                if holes.any():
                    mu = np.flatnonzero(members)
                    a, lj = np.nonzero(holes)
                    imputed_rows += list(zip(np.asarray(unit_ids, dtype=object)[mu[a]], [years[yi]] * len(a),
                                             np.asarray(leaves, dtype=object)[lj], [method] * len(a),
                                             fill[lj].astype(float), [f"{r}: {d} donors" for d in donors[lj]]))
                    x[yi][members] = np.where(holes, fill[None, :], block)
    elif method == "locf":
        # last observed value and its year, carried forward along the year axis
        year_of = np.where(~np.isnan(x), np.arange(Y)[:, None, None], np.nan)
        last = pd.DataFrame(x.reshape(Y, -1)).ffill().to_numpy().reshape(x.shape)
        src = pd.DataFrame(year_of.reshape(Y, -1)).ffill().to_numpy().reshape(x.shape)
        holes = np.isnan(x) & scored[:, :, None] & in_force[:, None, :] & ~np.isnan(last)
        yy, uu, ll = np.nonzero(holes)
        imputed_rows = list(zip(np.asarray(unit_ids, dtype=object)[uu], np.asarray(years)[yy],
                                np.asarray(leaves, dtype=object)[ll], [method] * len(yy), last[holes],
                                [f"carried from {years[int(k)]}" for k in src[holes]]))
        x = np.where(holes, last, x)
    imputed = pd.DataFrame(imputed_rows, columns=["unit_id", "year", "indicator", "method", "value", "donor"])

    # leaves all missing in a year after imputation
    for yi in range(Y):
        dead = in_force[yi] & ~np.any(~np.isnan(x[yi][scored[yi]]), axis=0) if scored[yi].any() else np.zeros(L, bool)
        for lj in np.flatnonzero(dead):
            warn.append(dict(stage="prepare", code=leaves[lj], year=years[yi], message=bilingual(
                f"指标 {leaves[lj]} 在 {years[yi]} 年所有单位均缺失,该年不参与汇总(上级节点按其余指标重新分配权重)",
                f"leaf {leaves[lj]} is missing for every unit in {years[yi]}; it is left out of that year's "
                "aggregation (its parent re-weights the remaining children)")))

    # 3. outliers
    treated_rows = []
    oc = config.outliers
    if oc.method != "none":
        targets = list(oc.leaves) or leaves
        blocks = [list(range(Y))] if config.normalisation.reference != "per_year" else [[yi] for yi in range(Y)]
        for lj, code in enumerate(leaves):
            if code not in targets:
                continue
            for yrs in blocks:
                cell = x[yrs, :, lj]
                mask = scored[yrs] & ~np.isnan(cell)
                vec = cell[mask]
                new, how = _treat_vector(vec, oc)
                if not how:
                    continue
                s0, k0 = skew_kurt(vec)
                s1, k1 = skew_kurt(new)
                if how == "log":
                    warn.append(dict(stage="prepare", code=code, message=bilingual(
                        f"指标 {code} 偏度 {s0:.2f}、峰度 {k0:.2f} 超限,已作对数变换(偏度 {s1:.2f}、峰度 {k1:.2f})",
                        f"leaf {code}: skew {s0:.2f}, kurtosis {k0:.2f} beyond the rule; log-transformed "
                        f"(skew {s1:.2f}, kurtosis {k1:.2f})")))
                yy, uu = np.nonzero(mask)
                for k in np.flatnonzero(new != vec):
                    treated_rows.append((unit_ids[uu[k]], years[yrs[yy[k]]], code, how, float(vec[k]),
                                         float(new[k]), s0, k0, s1, k1))
                cell = cell.copy()
                cell[mask] = new
                x[yrs, :, lj] = cell
    treated = pd.DataFrame(treated_rows, columns=["unit_id", "year", "indicator", "treatment", "before", "after",
                                                  "skew_before", "kurtosis_before", "skew_after", "kurtosis_after"])
    unit_info = info[[c for c in ("unit_id", "year", "type", "region") if c in info]].copy()
    return PreparedPanel(years, unit_ids, list(leaves), x, observed, in_force, scored, list(red_lines), red,
                         unit_info.reset_index(drop=True), imputed, treated, excluded, warn)
