"""Code lists of the problem list (问题清单代码表): one place for every coded field.

Each coded field of the problem list has a closed list of canonical codes (stored in the
warehouse, used in code and config files) with a Chinese and an English label. Input files
may use the canonical code, the Chinese label, the English label or a documented alias
(``巡察`` / ``inspection``, ``高`` / ``high``, ``整改中`` / ``rectifying``); ingest stores the
canonical code, reports show the label in the report's language. The lists are documented in
``docs/data-model.md`` (section "Code lists").

>>> canonical("status", "整改中"), canonical("severity", "高"), canonical("source", " Inspection ")
('rectifying', 'high', 'inspection')
>>> label("source", "audit", "zh"), label("source", "audit", "en")
('审计', 'audit')
>>> canonical("status", "差不多") is None
True
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

import pandas as pd


@dataclass(frozen=True)
class CodeList:
    """A closed list of codes: ``codes`` maps canonical code → (Chinese label, English label);
    ``aliases`` maps further accepted spellings → canonical code."""

    name: str
    name_zh: str
    codes: dict[str, tuple[str, str]]
    aliases: dict[str, str] = field(default_factory=dict)

    def lookup(self) -> dict[str, str]:
        """Every accepted spelling (normalised: NFKC, stripped, lower case) → canonical code."""
        table: dict[str, str] = {}
        for code, (zh, en) in self.codes.items():
            for spelling in (code, zh, en):
                table[_key(spelling)] = code
        for spelling, code in self.aliases.items():
            table[_key(spelling)] = code
        return table

    def accepted(self) -> list[str]:
        """The spellings named in error messages: ``code/中文`` for each code."""
        return [f"{code}/{zh}" for code, (zh, _) in self.codes.items()]


def _key(value) -> str:
    return unicodedata.normalize("NFKC", str(value)).strip().lower()


CODE_LISTS: dict[str, CodeList] = {
    "source": CodeList("source", "问题来源", {
        "inspection": ("巡察", "inspection"), "audit": ("审计", "audit"), "petition": ("信访", "petition"),
        "organisation": ("组织", "organisation"), "discipline": ("纪检", "discipline"),
        "supervision": ("督查", "supervision"), "other": ("其他", "other"),
    }, {"巡视巡察": "inspection", "巡视": "inspection", "审计监督": "audit", "信访举报": "petition",
        "组织部门": "organisation", "组织人事": "organisation", "纪检监察": "discipline", "纪委监委": "discipline",
        "监督检查": "supervision", "督查检查": "supervision", "organization": "organisation"}),
    "severity": CodeList("severity", "严重程度", {
        "low": ("低", "low"), "medium": ("中", "medium"), "high": ("高", "high"),
    }, {"一般": "low", "较轻": "low", "较重": "medium", "严重": "high"}),
    "status": CodeList("status", "整改状态", {
        "open": ("未整改", "open"), "rectifying": ("整改中", "rectifying"), "rectified": ("已整改", "rectified"),
    }, {"未开始": "open", "正在整改": "rectifying", "整改完成": "rectified", "已完成": "rectified",
        "已销号": "rectified"}),
    "aspect": CodeList("aspect", "方面", {
        "D1": ("严明政治纪律政治规矩", "Political discipline and rules"),
        "D2": ("贯彻党的路线方针政策", "Implementing the Party's line and policies"),
        "D3": ("领导班子建设", "Leadership team building"),
        "D4": ("全面从严治党", "Comprehensive strict governance of the Party"),
        "D5": ("选人用人", "Cadre selection and appointment"),
        "D6": ("作风建设", "Work style"),
    }, {"政治纪律": "D1", "政治纪律政治规矩": "D1", "路线方针政策": "D2", "班子建设": "D3", "从严治党": "D4",
        "作风": "D6"}),
    "round_kind": CodeList("round_kind", "轮次类型", {
        "regular": ("常规巡察", "regular round"), "recheck": ("回头看", "re-check round"),
    }, {"常规": "regular", "整改回头看": "recheck", "巡察回头看": "recheck", "复查": "recheck"}),
    "boolean": CodeList("boolean", "是否", {
        "true": ("是", "yes"), "false": ("否", "no"),
    }, {"1": "true", "0": "false", "y": "true", "n": "false"}),
}
#: Columns of problem-list tables and the code list each uses.
CODED_COLUMNS = {"source": "source", "severity": "severity", "status": "status", "aspect": "aspect",
                 "kind": "round_kind"}
#: The order of rectification statuses (a tie on the same date is broken by progress).
STATUS_ORDER = {"open": 0, "rectifying": 1, "rectified": 2}


def code_list(name: str) -> CodeList:
    try:
        return CODE_LISTS[name]
    except KeyError:
        raise KeyError(f"没有名为 {name!r} 的代码表 / no code list named {name!r}; "
                       f"known: {sorted(CODE_LISTS)}") from None


def canonical(name: str, value) -> str | None:
    """The canonical code of ``value`` in code list ``name``; ``None`` if not recognised
    (empty values are ``None`` too: whether a field may be empty is the schema's business)."""
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return None
    return code_list(name).lookup().get(_key(value))


def normalise(values: pd.Series, name: str) -> tuple[pd.Series, pd.Series]:
    """Map a column to canonical codes.

    Returns ``(codes, bad)``: ``codes`` holds the canonical code where recognised, the original
    value where not (so an error message can quote it) and ``None`` where empty; ``bad`` is True
    where a non-empty value was not recognised.
    """
    table = code_list(name).lookup()
    empty = values.isna() | (values.astype(str).str.strip() == "")
    mapped = [None if e else table.get(_key(v)) for v, e in zip(values, empty)]
    bad = pd.Series([not e and m is None for m, e in zip(mapped, empty)], index=values.index)
    out = [v if b else m for v, m, b in zip(values, mapped, bad)]
    return pd.Series(out, index=values.index, dtype=object, name=values.name), bad


def label(name: str, code, lang: str = "zh") -> str:
    """The label of a canonical code in ``lang`` (``zh`` or ``en``); unknown codes are returned as given."""
    pair = code_list(name).codes.get(code)
    if pair is None:
        return code
    return pair[0] if lang == "zh" else pair[1]


def relabel(df: pd.DataFrame, lang: str = "zh", columns: dict[str, str] | None = None) -> pd.DataFrame:
    """A copy of ``df`` with coded columns (``source, severity, status, aspect, kind`` by default,
    or ``columns``: column → code-list name) shown in the report's language."""
    out = df.copy()
    for col, name in (columns or CODED_COLUMNS).items():
        if col in out.columns:
            out[col] = out[col].map(lambda v, n=name: label(n, v, lang) if isinstance(v, str) else v)
    return out


def code_table() -> pd.DataFrame:
    """Every code list as one table ``list, list_zh, code, label_zh, label_en, aliases`` (for the
    data model, the collection template's instructions and the reports' glossary)."""
    rows = []
    for cl in CODE_LISTS.values():
        for code, (zh, en) in cl.codes.items():
            aliases = [a for a, c in cl.aliases.items() if c == code]
            rows.append({"list": cl.name, "list_zh": cl.name_zh, "code": code, "label_zh": zh, "label_en": en,
                         "aliases": "、".join(aliases)})
    return pd.DataFrame(rows)
