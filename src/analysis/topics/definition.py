"""What a topic is: the validated topic file, its scope, and its suggested citation."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import ConfigError

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: category label of keyword counts pooled over all categories
ALL_CATEGORIES = "(全部类别)"

_FIELDS: dict[str, tuple[str, bool]] = {  # key -> (kind, required)
    "title": ("str", True), "title_en": ("str", False),
    "research_question": ("str", True), "research_question_en": ("str", False),
    "partners": ("people", True), "authors": ("people", True),
    "dimensions": ("codes", True), "leaves": ("codes", False),
    "units": ("units", False), "regions": ("all_or_codes", False),
    "years": ("years", True), "aspects": ("codes", False),
    "problem_categories": ("all_or_codes", False), "sources": ("all_or_codes", False),
    "as_of": ("date", False), "k": ("int", False), "top_k": ("int", False),
    "background": ("str", False), "conclusions": ("str", False), "recommendations": ("str", False),
    "background_en": ("str", False), "conclusions_en": ("str", False), "recommendations_en": ("str", False),
    "citation": ("str", False), "version": ("str", False),
}


@dataclass(frozen=True)
class Topic:
    """A validated topic (see ``data/topics/*.yaml`` for commented examples)."""

    name: str
    title: str
    research_question: str
    partners: tuple[dict, ...]
    authors: tuple[dict, ...]
    dimensions: tuple[str, ...]
    years: tuple[int, ...] | None = None  # None with ``last_years``: a rolling window ending at the report year
    last_years: int | None = None
    leaves: tuple[str, ...] = ()
    unit_ids: tuple[str, ...] = ()
    unit_types: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    aspects: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    as_of: str = ""
    k: int = 5
    top_k: int = 3
    texts: dict = field(default_factory=dict)  # title_en, research_question_en, background(_en), ...
    citation: str = ""
    version: str = "1.0"
    source: str = ""

    def text(self, key: str, lang: str = "zh") -> str:
        """An authored section in the report language (falls back to Chinese)."""
        base = self.texts.get(key, "") if key not in ("title", "research_question") else getattr(self, key)
        return (self.texts.get(f"{key}_en") or base) if lang == "en" else base

    def window(self, year: int) -> list[int]:
        """The years in scope for a report on ``year``."""
        if self.last_years:
            return list(range(year - self.last_years + 1, year + 1))
        return [y for y in self.years if y <= year]

    def default_year(self) -> int | None:
        return max(self.years) if self.years else None

    def as_dict(self) -> dict[str, Any]:
        d = {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}
        d["partners"] = [dict(p) for p in self.partners]
        d["authors"] = [dict(a) for a in self.authors]
        return d


def _people(value, key: str, errs: list[str]) -> tuple[dict, ...]:
    out = []
    if not isinstance(value, list) or not value:
        errs.append(f"{key} 须为非空列表 / {key} must be a non-empty list")
        return ()
    for i, item in enumerate(value, 1):
        if isinstance(item, str) and item.strip():
            out.append({"name": item.strip()})
        elif isinstance(item, dict) and isinstance(item.get("name"), str) and item["name"].strip():
            extra = set(item) - {"name", "name_en", "role", "affiliation"}
            if extra:
                errs.append(f"{key} 第 {i} 项有未知字段 {sorted(extra)} / {key} item {i} has unknown fields {sorted(extra)}")
            out.append({k: str(v) for k, v in item.items()})
        else:
            errs.append(f"{key} 第 {i} 项须有 name / {key} item {i} needs a name")
    return tuple(out)


def _codes(value, key: str, errs: list[str]) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        bad = [v for v in value if not isinstance(v, str)] if isinstance(value, list) else [value]
        errs.append(f"{key} 须为文字代码列表(数字代码请加引号,如 '010'),问题值 {bad!r} / "
                    f"{key} must be a list of text codes (quote numeric codes, e.g. '010'), got {bad!r}")
        return ()
    return tuple(v.strip() for v in value)


def load_topic(path: str | Path) -> Topic:
    """Read and validate a topic YAML file; raise :class:`ConfigError` listing every problem."""
    from ..params import load_yaml

    path = Path(path)
    if not path.exists():
        raise ConfigError(f"找不到专题文件 {path} / topic file not found: {path}")
    raw = load_yaml(path)
    return validate_topic(raw, name=path.stem, source=str(path))


def validate_topic(raw: dict[str, Any], name: str = "topic", source: str = "topic") -> Topic:
    """Validate a topic mapping (see :func:`load_topic`)."""
    errs: list[str] = []
    unknown = sorted(set(raw) - set(_FIELDS))
    if unknown:
        errs.append(f"未知字段 {unknown}(可用字段:{', '.join(_FIELDS)})/ unknown keys {unknown}")
    for key, (_, required) in _FIELDS.items():
        if required and (key not in raw or raw[key] in (None, "", [])):
            errs.append(f"缺少必填字段 {key} / required key {key!r} is missing")
    kw: dict[str, Any] = {"name": name, "source": source, "texts": {}}
    for key in ("title", "research_question", "background", "conclusions", "recommendations", "citation",
                "version", "title_en", "research_question_en", "background_en", "conclusions_en",
                "recommendations_en"):
        if key in raw and raw[key] is not None:
            if not isinstance(raw[key], (str, int, float)) or isinstance(raw[key], bool):
                errs.append(f"{key} 须为文字 / {key} must be text")
                continue
            value = str(raw[key]).strip()
            if key in ("title", "research_question", "citation", "version"):
                kw[key] = value
            else:
                kw["texts"][key] = value
    for key in ("partners", "authors"):
        if key in raw:
            kw[key] = _people(raw[key], key, errs)
    for key in ("dimensions", "leaves", "aspects"):
        if key in raw and raw[key] is not None:
            kw[key] = _codes(raw[key], key, errs)
    for key, dest in (("regions", "regions"), ("problem_categories", "categories"), ("sources", "sources")):
        value = raw.get(key, "all")
        if value not in (None, "all"):
            kw[dest] = _codes(value, key, errs)
    units = raw.get("units", "all")
    if units not in (None, "all"):
        if not isinstance(units, dict) or set(units) - {"ids", "types"}:
            errs.append("units 须为 all 或 {ids: [...], types: [...]} / units must be 'all' or a mapping with ids and/or types")
        else:
            if "ids" in units:
                kw["unit_ids"] = _codes(units["ids"], "units.ids", errs)
            if "types" in units:
                kw["unit_types"] = _codes(units["types"], "units.types", errs)
    years = raw.get("years")
    if isinstance(years, list) and years and all(isinstance(y, int) and not isinstance(y, bool) for y in years):
        kw["years"] = tuple(sorted(set(years)))
    elif isinstance(years, dict) and set(years) == {"from", "to"} and all(
            isinstance(years[k], int) for k in ("from", "to")) and years["from"] <= years["to"]:
        kw["years"] = tuple(range(years["from"], years["to"] + 1))
    elif isinstance(years, dict) and set(years) == {"last"} and isinstance(years["last"], int) and years["last"] >= 1:
        kw["last_years"] = years["last"]
    elif "years" in raw:
        errs.append("years 须为年份列表、{from: 2020, to: 2024} 或 {last: 5} / years must be a list of years, "
                    "{from: 2020, to: 2024} or {last: 5}")
    if raw.get("as_of") not in (None, ""):
        as_of = str(raw["as_of"])
        if not _DATE.match(as_of):
            errs.append(f"as_of 须为日期 YYYY-MM-DD,实际为 {as_of!r} / as_of must be a date YYYY-MM-DD")
        kw["as_of"] = as_of
    for key, low in (("k", 2), ("top_k", 1)):
        if key in raw:
            v = raw[key]
            if not isinstance(v, int) or isinstance(v, bool) or v < low:
                errs.append(f"{key} 须为不小于 {low} 的整数 / {key} must be an integer ≥ {low}")
            else:
                kw[key] = v
    if errs:
        raise ConfigError(f"{source}: 专题文件有 {len(errs)} 处错误 / {len(errs)} error(s) in the topic file\n"
                          + "\n".join(f"  - {e}" for e in errs))
    kw.setdefault("aspects", kw.get("dimensions", ()))
    return Topic(**kw)


def check_scope(topic: Topic, framework: pd.DataFrame, units: pd.DataFrame) -> None:
    """Check the topic's codes against the framework and the units; raise listing every unknown code."""
    errs = []
    codes = set(framework.code)
    dims = set(framework.loc[framework.level == 1, "code"])
    for key, values, known in (("dimensions", topic.dimensions, dims), ("aspects", topic.aspects, dims),
                               ("leaves", topic.leaves, set(framework.loc[framework.role == "score", "code"])),
                               ("units.ids", topic.unit_ids, set(units.unit_id.astype(str))),
                               ("units.types", topic.unit_types, set(units.type)),
                               ("regions", topic.regions, set(units.region))):
        bad = sorted(set(values) - known)
        if bad:
            errs.append(f"{key} 中的代码不存在:{bad} / unknown codes in {key}: {bad}")
    from ..framework import ancestors

    for leaf in set(topic.leaves) & codes:
        if not set(ancestors(framework, leaf)) & set(topic.dimensions):
            errs.append(f"监测点 {leaf} 不属于所选维度 / leaf {leaf} is not under the chosen dimensions")
    if errs:
        raise ConfigError(f"{topic.source}: 专题范围有误 / topic scope is invalid\n" + "\n".join(f"  - {e}" for e in errs))


def citation(topic: Topic, year: int, lang: str = "zh", today: date | None = None) -> str:
    """Suggested citation (GB/T 7714 style for reports, ``[R]``), unless the topic gives one."""
    if topic.citation:
        return topic.citation
    today = today or date.today()
    authors = [a["name"] for a in topic.authors]
    partners = [p["name"] for p in topic.partners]
    if lang == "en":
        title = topic.text("title", "en")
        return f"{', '.join(authors)} ({today.year}). {title} ({year}) [Report]. {', '.join(partners)}."
    return f"{'，'.join(authors)}. {topic.title}({year} 年)[R]. {'，'.join(partners)}, {today.year}."

