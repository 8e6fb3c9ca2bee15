"""The indicator framework (指标体系): a tree of any depth with directions and weights.

A framework is a table with one row per node (see ``docs/data-model.md``):

``code, parent, level, name_zh, name_en, weight, role, direction, target, unit,
denominator, per, year_agg, frequency, lead_department, valid_min, valid_max,
valid_from, valid_to, definition``

- ``role`` is ``aggregate`` (an inner node), ``score`` (a monitoring point that enters the
  index), ``red_line`` (a veto event, 一票否决: not aggregated; a positive value caps
  the unit's grade at red), ``bonus`` (a positive evaluation item, 正面评价事项: each event adds
  ``points`` to the composite index, at most ``cap`` per item and period) or ``deduction`` (a
  negative quantitative item, 负面定量评价: each event subtracts ``points``, at most ``cap``).
  List items are reported like observations and stand outside the tree (``parent`` empty).
- ``denominator`` names any numeric column of the units table (``staff``, ``party_members``,
  ``residents``, ``gdp``, ``area_km2``, ...); whether the column exists and is positive for
  every unit is checked against the units table (:func:`analysis.panel.check_denominators`).
- ``weight`` is relative within the parent; :func:`normalised_weights` makes siblings sum to 1.
- ``valid_from`` / ``valid_to`` (years, inclusive, empty = open) let one file hold several
  framework versions: an indicator added in 2021 has ``valid_from=2021``; a reweighting is
  two rows with the same code and disjoint year ranges.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import InputError, Issue


COLUMNS = [
    "code", "parent", "level", "name_zh", "name_en", "weight", "role", "direction", "target",
    "unit", "denominator", "per", "year_agg", "frequency", "lead_department", "valid_min",
    "valid_max", "valid_from", "valid_to", "definition", "points", "cap",
]
LIST_ROLES = {"bonus", "deduction"}
ROLES = {"aggregate", "score", "red_line", *LIST_ROLES}
DIRECTIONS = {"positive", "negative", "target"}
DENOMINATORS = {"staff", "party_members", "residents"}  # the size fields every units file may carry
_DENOMINATOR_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"  # any numeric units column, named as in the units table
YEAR_AGGS = {"sum", "mean", "last", "max"}
FREQUENCIES = {"quarterly", "annual"}
_STR_COLS = ["code", "parent", "name_zh", "name_en", "role", "direction", "unit", "denominator",
             "year_agg", "frequency", "lead_department", "definition"]
_NUM_COLS = ["level", "weight", "target", "per", "valid_min", "valid_max", "valid_from", "valid_to", "points", "cap"]


def load_framework(path: str | Path | None = None) -> pd.DataFrame:
    """Read and validate a framework file (CSV, UTF-8 or GB18030, or XLSX).

    Raises :class:`InputError` listing every problem (row, column, reason) at once.
    """
    if path is None:
        from .catalog import FRAMEWORK as path
    path = Path(path)
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        raw = pd.read_excel(path, dtype=str)
    else:
        try:
            raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
        except UnicodeDecodeError:
            raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="gb18030")
    return validate_framework(raw, source=str(path))


def validate_framework(raw: pd.DataFrame, source: str = "framework") -> pd.DataFrame:
    """Type and check a framework table; return it with proper dtypes."""
    issues: list[Issue] = []
    missing = [c for c in ("code", "parent", "name_zh", "weight", "role") if c not in raw.columns]
    if missing:
        raise InputError([Issue(source, f"缺少必需列 {missing}", f"required columns missing: {missing}")])
    fw = raw.copy()
    for col in COLUMNS:
        if col not in fw.columns:
            fw[col] = ""
    fw = fw[COLUMNS]
    for col in _STR_COLS:
        fw[col] = fw[col].fillna("").astype(str).str.strip()
    for col in _NUM_COLS:
        text = fw[col].fillna("").astype(str).str.strip()
        num = pd.to_numeric(text.where(text != ""), errors="coerce")
        for idx in fw.index[(text != "") & num.isna()]:
            issues.append(Issue(source, "应为数值", "must be a number", row=int(idx) + 2,
                                column=col, value=text[idx]))
        fw[col] = num
    fw["fw_row"] = np.arange(len(fw)) + 2

    def bad(mask, column, zh, en):
        for _, r in fw[mask].iterrows():
            issues.append(Issue(source, zh, en, row=int(r.fw_row), column=column, value=r[column]))

    bad(fw.code == "", "code", "节点代码为空", "node code is empty")
    bad(~fw.role.isin(ROLES), "role", f"角色须为 {sorted(ROLES)}", f"role must be one of {sorted(ROLES)}")
    leaf = fw.role.isin({"score", "red_line"})
    bad(leaf & ~fw.direction.isin(DIRECTIONS), "direction",
        "指标方向须为 positive/negative/target", "direction must be positive, negative or target")
    bad(leaf & (fw.direction == "target") & fw.target.isna(), "target",
        "目标型指标须给出目标值", "a target-direction indicator needs a target value")
    bad(leaf & ~fw.year_agg.isin(YEAR_AGGS), "year_agg",
        f"年度汇总方式须为 {sorted(YEAR_AGGS)}", f"year_agg must be one of {sorted(YEAR_AGGS)}")
    bad(leaf & ~fw.frequency.isin(FREQUENCIES), "frequency",
        "频率须为 quarterly 或 annual", "frequency must be quarterly or annual")
    bad((fw.denominator != "") & ~fw.denominator.str.match(_DENOMINATOR_NAME), "denominator",
        "分母须为单位表中的数值列名(如 staff、residents、gdp)",
        "denominator must name a numeric column of the units table (e.g. staff, residents, gdp)")
    items = fw.role.isin(LIST_ROLES)
    bad(items & ~(fw.points > 0), "points", "正面/负面清单事项须给出正的每次分值",
        "a bonus or deduction item needs positive points per event")
    bad(items & fw.cap.notna() & ~(fw.cap > 0), "cap", "封顶分值须为正数", "the cap must be positive")
    bad(items & fw.code.isin(set(fw.parent)), "role", "清单事项不能有下级节点", "a list item cannot have children")
    bad(items & (fw.parent != ""), "parent", "清单事项不属于指标树,上级代码须为空",
        "a list item stands outside the indicator tree: its parent must be empty")
    bad(fw.weight.isna() | (fw.weight < 0), "weight", "权重须为非负数", "weight must be a non-negative number")

    roots = fw[(fw.parent == "") & ~fw.role.isin(LIST_ROLES)]  # list items stand outside the tree
    if len(roots.code.unique()) != 1:
        issues.append(Issue(source, f"须恰有一个根节点(parent 为空),现有 {sorted(roots.code.unique())}",
                            f"exactly one root (empty parent) is required, found {sorted(roots.code.unique())}"))
    codes = set(fw.code)
    bad((fw.parent != "") & ~fw.parent.isin(codes), "parent", "上级节点代码不存在", "parent code does not exist")
    parents = set(fw.parent)
    bad(leaf & fw.code.isin(parents), "role", "监测点不能有下级节点", "a leaf indicator cannot have children")
    bad((fw.role == "aggregate") & ~fw.code.isin(parents), "role",
        "汇总节点没有下级指标", "an aggregate node has no children")
    # A code may appear more than once only as year versions with disjoint ranges.
    for code, rows in fw.groupby("code"):
        if len(rows) > 1:
            lo = rows.valid_from.fillna(-np.inf).sort_values()
            hi = rows.valid_to.fillna(np.inf).loc[lo.index]
            if (lo.values[1:] <= hi.values[:-1]).any():
                r = rows.iloc[1]
                issues.append(Issue(source, "同一代码的多个版本年份区间重叠",
                                    "versions of the same code have overlapping year ranges",
                                    row=int(r.fw_row), column="code", value=code))
    if issues:
        raise InputError(issues)
    if _has_cycle(fw):
        raise InputError([Issue(source, "指标树存在循环引用", "the indicator tree contains a cycle")])
    return fw.drop(columns="fw_row").reset_index(drop=True)


def _has_cycle(fw: pd.DataFrame) -> bool:
    parent = dict(zip(fw.code, fw.parent))
    for start in parent:
        seen, node = set(), start
        while node:
            if node in seen:
                return True
            seen.add(node)
            node = parent.get(node, "")
    return False


def for_year(fw: pd.DataFrame, year: int) -> pd.DataFrame:
    """The framework version in force in ``year`` (one row per code)."""
    lo = fw.valid_from.fillna(-np.inf)
    hi = fw.valid_to.fillna(np.inf)
    out = fw[(lo <= year) & (year <= hi)]
    alive = set(out.code)
    # A node whose parent is not in force that year is dropped with it.
    keep = out.parent.eq("") | out.parent.isin(alive)
    while not keep.all():
        out = out[keep]
        alive = set(out.code)
        keep = out.parent.eq("") | out.parent.isin(alive)
    return out.reset_index(drop=True)


def root(fw: pd.DataFrame) -> str:
    return str(fw.loc[(fw.parent == "") & ~fw.role.isin(LIST_ROLES), "code"].iloc[0])


def leaves(fw: pd.DataFrame, role: str = "score") -> pd.DataFrame:
    """Monitoring points (``role='score'``) or red-line events (``role='red_line'``)."""
    return fw[fw.role == role].reset_index(drop=True)


def normalised_weights(fw: pd.DataFrame) -> pd.Series:
    """Weight of each node within its parent, siblings summing to 1 (red lines and list items get 0).

    Siblings whose weights are all zero share equally, so a reweighting that zeroes a
    whole branch is explicit in the file rather than producing a division by zero.
    """
    tree_node = ~fw.set_index("code").role.isin({"red_line", *LIST_ROLES})  # red lines and list items: 0
    w = fw.set_index("code").weight.where(tree_node, 0.0).astype(float)
    par = fw.set_index("code").parent
    scored = tree_node
    out = pd.Series(0.0, index=w.index, name="weight")
    for p, kids in par[scored].groupby(par[scored]):
        ww = w[kids.index]
        out[kids.index] = ww / ww.sum() if ww.sum() > 0 else 1.0 / len(ww)
    return out


def ancestors(fw: pd.DataFrame, code: str) -> list[str]:
    """Codes from ``code``'s parent up to the root."""
    parent = dict(zip(fw.code, fw.parent))
    out, node = [], parent.get(code, "")
    while node:
        out.append(node)
        node = parent.get(node, "")
    return out


def effective_weights(fw: pd.DataFrame) -> pd.Series:
    """Each monitoring point's nominal weight in the root index: product of normalised
    weights along its path (the "effective weight" of COINr's ``get_eff_weights`` for
    arithmetic aggregation)."""
    w = normalised_weights(fw)
    out = {code: float(np.prod([w[c] for c in [code, *ancestors(fw, code)]])) for code in leaves(fw).code}
    return pd.Series(out, name="effective_weight")


def list_items(fw: pd.DataFrame) -> pd.DataFrame:
    """Positive evaluation items (``role='bonus'``, 正面评价事项) and negative quantitative items
    (``role='deduction'``, 负面定量评价), one row per code (the last version)."""
    return fw[fw.role.isin(LIST_ROLES)].drop_duplicates("code", keep="last").reset_index(drop=True)


def level_of(fw: pd.DataFrame, level: int) -> pd.DataFrame:
    return fw[(fw.level == level) & (fw.role == "aggregate")].reset_index(drop=True)


def content_hash(fw: pd.DataFrame) -> str:
    """A stable hash of the framework's content (recorded as its version in the warehouse)."""
    text = fw[COLUMNS].to_csv(index=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def labels(fw: pd.DataFrame, lang: str = "zh") -> dict[str, str]:
    """Indicator code → its name in the report language (``name_zh`` / ``name_en``).

    Used by the report glossary to label indicator codes where they are column names or
    values. The latest version's name wins when a code has several rows.

    >>> f = pd.DataFrame({"code": ["D1"], "name_zh": ["政治纪律"], "name_en": ["Political discipline"]})
    >>> labels(f, "zh"), labels(f, "en")
    ({'D1': '政治纪律'}, {'D1': 'Political discipline'})
    """
    col = "name_zh" if lang == "zh" else "name_en"
    if "valid_from" in fw.columns:
        fw = fw.sort_values("valid_from", na_position="first", kind="stable")
    return {str(c): str(n) for c, n in zip(fw["code"], fw[col]) if isinstance(n, str) and n}
