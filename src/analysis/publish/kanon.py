"""Quasi-identifiers (准标识符) and k-anonymity for unit-level tables.

A pseudonym hides a unit's code, but the attributes published beside it can still single it
out: in the sample city, 14 of the 80 units are the only unit of their type in their region, so
a reader who knows the city recognises ``单位-7F3A9C, college, R02`` at once. A table is
*k-anonymous* when every combination of its quasi-identifiers (region, type, size band, ...)
is shared by at least ``k`` units (Sweeney 2002; Hundepool et al. 2012, §3.4).

:func:`k_anonymise` makes a table k-anonymous by *global recoding* (every row treated alike,
so the table stays consistent):

1. within each quasi-identifier, categories held by fewer than ``k`` units are merged into
   "其他… / other ..." (and, while that merged category is still smaller than ``k``, the next
   smallest category joins it; a quasi-identifier that would collapse into one category is
   dropped instead);
2. while some combination is still held by fewer than ``k`` units, the quasi-identifier
   listed *last* (the least important) is dropped from the table.

It returns a sentence for the page saying what was done. :func:`smallest_group` is the check.

References: Sweeney, L. (2002). k-anonymity: a model for protecting privacy. *International
Journal of Uncertainty, Fuzziness and Knowledge-Based Systems* 10(5): 557–570. Hundepool, A.,
Domingo-Ferrer, J., Franconi, L., Giessing, S., Schulte Nordholt, E., Spicer, K. & de Wolf,
P.-P. (2012). *Statistical Disclosure Control*. Wiley, §3.4 (global recoding, k-anonymity).
"""
from __future__ import annotations

from typing import Iterable

import pandas as pd

#: Attributes of a unit that a reader who knows the city can link to it, most important first.
QUASI_IDENTIFIERS = ("region", "type", "size_band")
#: Exact size attributes: a unit's staff count is nearly unique, so they are not published with units.
SIZE_COLUMNS = ("staff", "party_members", "residents")
OTHER = {"region": ("其他片区", "Other regions"), "type": ("其他类型", "Other types"),
         "size_band": ("其他规模", "Other sizes")}
LABELS = {"region": ("片区", "region"), "type": ("类型", "type"), "size_band": ("规模档", "size band")}


def _present(df: pd.DataFrame, quasi_identifiers: Iterable[str]) -> list[str]:
    return [c for c in quasi_identifiers if c in df.columns]


def smallest_group(df: pd.DataFrame, quasi_identifiers: Iterable[str] = QUASI_IDENTIFIERS,
                   unit_col: str | None = "unit_id") -> int | None:
    """The number of units in the smallest combination of the quasi-identifiers present in ``df``.

    Units are counted as distinct values of ``unit_col`` (a unit × year table counts each unit
    once); without that column each row counts as one record. Missing values form their own
    category. Returns ``None`` when the table has none of the quasi-identifiers (nothing to
    single a unit out by) or no rows.

    >>> units = pd.DataFrame({"unit_id": ["A", "B", "C", "D"], "region": ["R1", "R1", "R1", "R2"],
    ...                       "type": ["county", "county", "college", "county"]})
    >>> smallest_group(units, ["region"]), smallest_group(units, ["region", "type"]), smallest_group(units, ["staff"])
    (1, 1, None)
    >>> smallest_group(units[units.region == "R1"], ["region"])
    3
    """
    qis = _present(df, quasi_identifiers)
    if not qis or df.empty:
        return None
    if unit_col and unit_col in df.columns:
        sizes = df.groupby(qis, dropna=False)[unit_col].nunique()
    else:
        sizes = df.groupby(qis, dropna=False).size()
    return int(sizes.min())


def _merge_rare(df: pd.DataFrame, col: str, k: int, unit_col: str | None, label: str) -> tuple[pd.DataFrame, list]:
    if unit_col and unit_col in df.columns:
        sizes = df.groupby(col, dropna=False)[unit_col].nunique()
    else:
        sizes = df.groupby(col, dropna=False).size()
    sizes = sizes.sort_values(kind="stable")
    rare = [c for c in sizes.index if sizes[c] < k]
    if not rare:
        return df, []
    rest = [c for c in sizes.index if c not in rare]
    while sizes[rare].sum() < k and rest:
        rare.append(rest.pop(0))
    out = df.copy()
    out[col] = out[col].astype(object).where(~out[col].isin(rare), label)
    return out, rare


def k_anonymise(df: pd.DataFrame, quasi_identifiers: Iterable[str] = QUASI_IDENTIFIERS, k: int = 3,
                unit_col: str | None = "unit_id", lang: str = "zh") -> tuple[pd.DataFrame, str]:
    """Generalise or drop quasi-identifiers until every combination holds at least ``k`` units.

    ``quasi_identifiers`` are listed most important first (the last is dropped first); those
    absent from ``df`` are ignored. Returns ``(table, sentence)``: the k-anonymous table and a
    sentence for the page saying what was done (``""`` when nothing had to be done). See the
    module docstring for the two steps.

    Here R3 holds one unit, so it is merged with the next smallest region (R2: 3 units) into
    "其他片区" (4 units); then D is still the only county of R1, so ``type`` is dropped:

    >>> units = pd.DataFrame({"unit_id": list("ABCDEFGH"), "region": ["R1"] * 4 + ["R2"] * 3 + ["R3"],
    ...                       "type": ["college"] * 3 + ["county"] * 5})
    >>> out, note = k_anonymise(units, ["region", "type"], k=3)
    >>> out.columns.tolist(), out.region.tolist()
    (['unit_id', 'region'], ['R1', 'R1', 'R1', 'R1', '其他片区', '其他片区', '其他片区', '其他片区'])
    >>> note
    '为防止由片区、类型的组合识别单位(每种组合至少 3 个单位):片区中单位数不足 3 的类别合并为“其他片区”;删除“类型”列。'
    """
    if k < 2:
        return df, ""
    qis = _present(df, quasi_identifiers)
    if not qis or smallest_group(df, qis, unit_col) is None or smallest_group(df, qis, unit_col) >= k:
        return df, ""
    zh = lang == "zh"
    out, merged, dropped = df, [], []
    kept = list(qis)
    for col in qis:
        label = OTHER.get(col, ("其他", "Other"))[0 if zh else 1]
        merged_out, rare = _merge_rare(out, col, k, unit_col, label)
        if rare and merged_out[col].nunique(dropna=False) <= 1:
            # everything merged into one category: the column says nothing, drop it instead
            dropped.append(col)
            kept.remove(col)
            out = out.drop(columns=col)
        elif rare:
            out = merged_out
            merged.append((col, label))
    while kept and (smallest_group(out, kept, unit_col) or k) < k:
        dropped.append(kept.pop())
        out = out.drop(columns=dropped[-1])
    name = {c: LABELS.get(c, (c, c))[0 if zh else 1] for c in qis}
    if zh:
        parts = [f"{name[c]}中单位数不足 {k} 的类别合并为“{label}”" for c, label in merged]
        parts += [f"删除“{name[c]}”列" for c in dropped]
        return out, f"为防止由{'、'.join(name[c] for c in qis)}的组合识别单位(每种组合至少 {k} 个单位):{';'.join(parts)}。"
    parts = [f"categories of {name[c]} with fewer than {k} units were merged into '{label}'" for c, label in merged]
    parts += [f"the column '{name[c]}' was removed" for c in dropped]
    return out, (f"So that no combination of {', '.join(name[c] for c in qis)} singles out fewer than {k} units: "
                 f"{'; '.join(parts)}.")
