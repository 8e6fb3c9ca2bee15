"""Topical research reports (专题调研报告) and research packages for partners.

A *topic* is a small YAML file (``data/topics/*.yaml``): title, research question, partner
institutions and authors, the dimensions, leaves, units, regions, years and problem
categories in scope, and the free-text sections the authors write (background, conclusions,
recommendations). :func:`load_topic` validates it and reports every problem at once, in
Chinese and English.

Data flow (the same in a report and in a package, so a package reruns to identical tables)::

    warehouse ──prepare_topic_data──▶ TopicData (the data subset: units, problems, scores,
                                      leaf values, keyword counts; pseudonymised at the source
                                      when publishing; descriptions dropped)
    TopicData ──topic_tables────────▶ {name: table}   (every table through publish.safe_table)

:func:`run_topic` executes ``notebooks/05_topical_report.ipynb`` through the runner;
:func:`package` writes a zip with the report, the executed notebook, the data subset
(CSV and Parquet), the effective config, a manifest and a README in Chinese.
"""
from __future__ import annotations

import hashlib
import json
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from . import problems as pr
from . import publish as pb
from .errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "05_topical_report.ipynb"
DEFAULT_WAREHOUSE = Path("data/warehouse.duckdb")
DEFAULT_SCORING_CONFIG = ROOT / "data" / "config" / "index.yaml"
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
    from .params import load_yaml

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
    from .framework import ancestors

    for leaf in set(topic.leaves) & codes:
        if not set(ancestors(framework, leaf)) & set(topic.dimensions):
            errs.append(f"监测点 {leaf} 不属于所选维度 / leaf {leaf} is not under the chosen dimensions")
    if errs:
        raise ConfigError(f"{topic.source}: 专题范围有误 / topic scope is invalid\n" + "\n".join(f"  - {e}" for e in errs))


# --------------------------------------------------------------------------- the data subset
#: column types of the data subset (the same after a CSV round trip)
SCHEMA: dict[str, dict[str, str]] = {
    "units": {"unit_id": "str", "name_zh": "str", "name_en": "str", "type": "str", "region": "str",
              "valid_from": "Int64", "valid_to": "Int64"},
    "problems": {"problem_id": "str", "unit_id": "str", "year": "int", "source": "str", "aspect": "str",
                 "category": "str", "description": "str", "severity": "str", "status": "str",
                 "deadline": "date", "rectified_on": "date", "kept": "bool", "fed_back": "bool"},
    "scores": {"unit_id": "str", "year": "int", "node": "str", "score": "float"},
    "leaf_values": {"unit_id": "str", "year": "int", "indicator": "str", "value": "float"},
    "keyword_counts": {"category": "str", "year": "int", "term": "str", "kind": "str", "n_docs": "int",
                       "n_occurrences": "int", "docs_in_group": "int", "doc_share": "float", "rank": "int"},
}


def _coerce(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """Give a data-subset table its declared column types (identical before and after CSV)."""
    spec = SCHEMA[name]
    out = df[[c for c in spec if c in df.columns]].copy()
    for col in out.columns:
        kind = spec[col]
        s = out[col]
        if kind == "str":
            out[col] = s.astype(object).where(s.notna(), "").astype(str).astype(object)
        elif kind == "int":
            out[col] = pd.to_numeric(s).astype("int64")
        elif kind == "Int64":
            out[col] = pd.to_numeric(s.replace("", None)).astype("Int64")
        elif kind == "float":
            out[col] = pd.to_numeric(s).astype("float64")
        elif kind == "date":
            out[col] = pd.to_datetime(s.replace("", None)).astype("datetime64[s]")
        elif kind == "bool":
            out[col] = s.map(lambda v: str(v).strip().lower() in ("true", "1")).astype(bool)
    return out.reset_index(drop=True)


def _escape_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """Reversible formula neutralising for data files: a text cell starting with a formula
    character (``= + - @``, tab, CR) *or* with ``'`` gets one leading ``'``; reading removes
    exactly one, so every string comes back unchanged."""
    start = (*pb.FORMULA_START, "'")
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].astype(object).map(lambda v: "'" + v if isinstance(v, str) and v.startswith(start) else v)
    return out


def _unescape_formulas(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for col in out.columns:
        out[col] = out[col].map(lambda v: v[1:] if isinstance(v, str) and v.startswith("'") else v)
    return out


@dataclass
class TopicData:
    """The data subset a topical report uses (what a research package ships)."""

    units: pd.DataFrame
    problems: pd.DataFrame
    scores: pd.DataFrame
    leaf_values: pd.DataFrame
    keyword_counts: pd.DataFrame
    meta: dict[str, Any]

    TABLES = ("units", "problems", "scores", "leaf_values", "keyword_counts")

    def write(self, folder: str | Path, parquet: bool = True) -> list[Path]:
        """Write every table as CSV (UTF-8 with BOM, formulas neutralised) and Parquet, plus ``meta.json``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for name in self.TABLES:
            df = getattr(self, name)
            p = folder / f"{name}.csv"
            df_out = df.copy()
            for col, kind in SCHEMA[name].items():
                if kind == "date" and col in df_out:
                    df_out[col] = df_out[col].dt.strftime("%Y-%m-%d").fillna("")
            csv = _escape_formulas(df_out)  # safe to open in a spreadsheet, reversed by read()
            p.write_bytes(csv.to_csv(index=False, lineterminator="\n").encode("utf-8-sig"))
            paths.append(p)
            if parquet:
                import duckdb

                q = folder / f"{name}.parquet"
                con = duckdb.connect()
                con.register("t", df_out)
                con.execute(f"COPY (SELECT * FROM t) TO '{q}' (FORMAT parquet)")
                con.close()
                paths.append(q)
        m = folder / "meta.json"
        m.write_text(json.dumps(self.meta, ensure_ascii=False, indent=1, sort_keys=True, default=str), encoding="utf-8")
        return [*paths, m]

    @classmethod
    def read(cls, folder: str | Path) -> "TopicData":
        """Read a data subset written by :meth:`write` (CSV files)."""
        folder = Path(folder)
        if not (folder / "meta.json").exists():
            raise ConfigError(f"{folder} 不是研究包数据目录(缺少 meta.json)/ not a package data folder (meta.json missing)")
        tables = {}
        for name in cls.TABLES:
            df = pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
            tables[name] = _coerce(name, _unescape_formulas(df))
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        return cls(**tables, meta=meta)


def _scope_units(topic: Topic, units: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    from .panel import units_by_year

    u = units_by_year(units, years)
    if topic.unit_ids:
        u = u[u.unit_id.astype(str).isin(topic.unit_ids)]
    if topic.unit_types:
        u = u[u.type.isin(topic.unit_types)]
    if topic.regions:
        u = u[u.region.isin(topic.regions)]
    ids = set(u.unit_id.astype(str))
    return units[units.unit_id.astype(str).isin(ids)]


def _leaves_in_scope(topic: Topic, framework: pd.DataFrame) -> list[str]:
    from .framework import ancestors

    if topic.leaves:
        return list(topic.leaves)
    scored = framework[framework.role == "score"]
    return sorted({c for c in scored.code if set(ancestors(framework, c)) & set(topic.dimensions)})


def prepare_topic_data(topic: Topic, year: int, tables: dict[str, pd.DataFrame], publish: bool = True,
                       key: bytes | str | Path | None = None, scores: pd.DataFrame | None = None,
                       leaf_values: pd.DataFrame | None = None, lexicon: pr.Lexicon | None = None,
                       lang: str = "zh", meta: dict[str, Any] | None = None) -> TopicData:
    """Cut the data subset of a topic out of the full tables.

    ``tables`` holds ``framework, units, problems`` and optionally ``scores`` and
    ``leaf_values`` (else ``observations``). ``scores`` (``unit_id, year, node, score``) default to
    :func:`analysis.scoring.build_index` on all units (the index is relative to the whole
    population), then cut to the topic. With ``publish``: keyword counts are computed from the
    descriptions with unit names excluded and the publication threshold ``k``, then the
    descriptions are dropped, and unit codes are replaced by keyed pseudonyms in every table.
    """
    fw, units, problems = tables["framework"], tables["units"], tables["problems"]
    check_scope(topic, fw, units)
    years = topic.window(year)
    scoped_units = _scope_units(topic, units, years)
    ids = set(scoped_units.unit_id.astype(str))
    p = problems[problems.unit_id.astype(str).isin(ids) & problems.year.isin(years)
                 & problems.aspect.isin(topic.aspects)]
    if topic.categories:
        p = p[p.category.isin(topic.categories)]
    if topic.sources:
        p = p[p.source.isin(topic.sources)]
    leaves = _leaves_in_scope(topic, fw)
    scores = tables.get("scores") if scores is None else scores
    leaf_values = tables.get("leaf_values") if leaf_values is None else leaf_values
    if scores is None or leaf_values is None:
        from .panel import yearly_values

        values = yearly_values(tables["observations"], fw, units)
        if leaf_values is None:
            leaf_values = values
        if scores is None:
            from .scoring import build_index

            cfg = DEFAULT_SCORING_CONFIG if DEFAULT_SCORING_CONFIG.exists() else None
            scores = build_index(values, fw, units, cfg).scores
    nodes = {*topic.dimensions, "PE"} | {fw.loc[fw.parent == "", "code"].iloc[0]}
    sc = scores[scores.unit_id.astype(str).isin(ids) & scores.year.isin(years) & scores.node.isin(nodes)]
    lv = leaf_values[leaf_values.unit_id.astype(str).isin(ids) & leaf_values.year.isin(years)
                     & leaf_values.indicator.isin(leaves)]
    lex = lexicon or pr.load_lexicon()
    names = [n for n in pd.concat([units.name_zh, units.name_en]).dropna().astype(str) if n]
    kw_args = dict(lexicon=lex, k=topic.k if publish else 1, internal=not publish, exclude=names)
    kw = pd.concat([pr.keyword_frequencies(p, by=["category", "year"], **kw_args),
                    pr.keyword_frequencies(p.assign(category=ALL_CATEGORIES), by=["category", "year"], **kw_args)],
                   ignore_index=True)
    data = {"units": _coerce("units", scoped_units), "problems": _coerce("problems", p),
            "scores": _coerce("scores", sc), "leaf_values": _coerce("leaf_values", lv),
            "keyword_counts": _coerce("keyword_counts", kw)}
    if publish:
        data["problems"] = data["problems"].drop(columns=list(pr.FREE_TEXT))
        mapping = pb.pseudonym_map(data["units"].unit_id, key, lang=lang)
        for name in ("units", "problems", "scores", "leaf_values"):
            data[name] = pb.pseudonymise(data[name], mapping=mapping)
        data["units"] = data["units"].sort_values(["unit_id", "valid_from"]).reset_index(drop=True)
    as_of = topic.as_of or _data_as_of(p, year)
    info = {"topic": topic.name, "year": int(year), "years": years, "as_of": as_of, "publish": bool(publish),
            "pseudonymised": bool(publish), "k": topic.k, "leaves": leaves, "lang": lang,
            "n_units": len(ids), "n_problems": int(len(p))} | (meta or {})
    return TopicData(**data, meta=info)


def _data_as_of(problems: pd.DataFrame, year: int) -> str:
    """Data as of: the latest rectification date recorded (at least the end of ``year``)."""
    latest = pd.to_datetime(problems.rectified_on).max() if len(problems) else pd.NaT
    end = pd.Timestamp(year, 12, 31)
    return (max(latest, end) if pd.notna(latest) else end).strftime("%Y-%m-%d")


def load_warehouse_tables(warehouse: str | Path, scoring_config: str | Path | None = None
                          ) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """The tables a topic needs: warehouse tables plus the index scores and the yearly panel.

    Goes through :func:`analysis.runner.load_inputs`, so during ``analysis run`` the index
    computed once for the yearly reports is reused. ``scoring_config`` defaults to the run
    config's ``scoring.config``.
    """
    from .runner import load_inputs, load_run_config

    path = Path(warehouse)
    if not path.exists():
        raise ConfigError(f"找不到数据仓库 {path} / warehouse not found: {path}")
    cfg = scoring_config or load_run_config(None)["scoring"].get("config") or None
    inputs = load_inputs(path, cfg)
    tables = {"framework": inputs.framework, "units": inputs.units, "problems": inputs.problems,
              "observations": inputs.observations, "scores": inputs.index.scores, "leaf_values": inputs.values}
    return tables, {"warehouse": str(path.resolve()), "warehouse_hash": inputs.warehouse_hash,
                    "scoring_config": str(cfg or "")}


# --------------------------------------------------------------------------- the tables
TABLE_TITLES: dict[str, tuple[str, str]] = {
    "problems_by_category": ("各类别问题数(按年度)", "Problems by category and year"),
    "concentration": ("问题集中度(前 k 类占比、赫芬达尔指数)", "Concentration of problems (top-k share, HHI)"),
    "pareto": ("问题类别帕累托表(报告年度)", "Pareto table of categories (report year)"),
    "problems_by_region": ("各片区问题数(按年度)", "Problems by region and year"),
    "problems_by_source": ("各来源部门问题数", "Problems by source department"),
    "rectification_by_region": ("各片区整改情况(截至数据日期)", "Rectification by region (as of the data date)"),
    "rectification_by_year": ("各年度问题整改情况", "Rectification by year"),
    "time_to_rectify": ("整改用时(Kaplan–Meier 中位数,天)", "Time to rectify (Kaplan–Meier median, days)"),
    "recurrence": ("反复出现的问题(同一单位同一类别连续年度)", "Recurring problems (same unit and category, consecutive years)"),
    "recurring_units": ("连续年度出现同类问题的单位", "Units with the same category in consecutive years"),
    "review_funnel": ("问题清单审核漏斗(采集→保留→反馈)", "Review funnel (collected → kept → fed back)"),
    "keywords": ("高频词:全部类别(逐年)与各类别(报告年度)", "Top keywords: all categories by year, and by category in the report year"),
    "rising_keywords": ("较上年上升最多的关键词", "Keywords that rose most against last year"),
    "index_link": ("问题数与对应维度得分的等级相关(Spearman)", "Problem counts vs dimension scores (Spearman)"),
    "dimension_scores": ("各片区维度平均得分", "Mean dimension scores by region"),
    "leaf_summary": ("监测点年度概况", "Monitoring points by year"),
    "overdue_items": ("逾期未整改问题清单(内部版)", "Overdue items (internal edition)"),
}


def _guard(build):
    try:
        return build()
    except Exception as exc:  # noqa: BLE001 - a table that cannot be built says why, the report goes on
        return pd.DataFrame({"reason": [f"本表无法生成:{type(exc).__name__}: {exc} / table could not be built"]})


def _wide(df: pd.DataFrame, index: str, columns: str = "year") -> pd.DataFrame:
    if df.empty:
        return pd.DataFrame({index: [], "reason": []})
    w = df.pivot_table(index=index, columns=columns, values="n", aggfunc="sum", fill_value=0)
    w.columns = [f"n_{c}" for c in w.columns]
    w["n_total"] = w.sum(axis=1)
    return w.reset_index().sort_values(["n_total", index], ascending=[False, True]).reset_index(drop=True)


def topic_tables(data: TopicData, topic: Topic, year: int) -> dict[str, pd.DataFrame]:
    """Every table of a topical report from its data subset, made safe to publish.

    Tables are computed from ``data`` alone (so a package reruns to the same tables); with
    ``data.meta['publish']`` each goes through :func:`analysis.publish.safe_table` with
    suppression of counts below ``k`` (units are already pseudonymised at the source).
    """
    p, meta = data.problems, data.meta
    publish, k, as_of = bool(meta["publish"]), int(meta["k"]), meta["as_of"]
    units = data.units
    window = [y for y in meta["years"] if y <= year]
    p = p[p.year.isin(window)]
    tables: dict[str, pd.DataFrame] = {}
    # statistics computed from a suppressed count are blanked with it (a share, a median of
    # one or two dates, an HHI of two items would give the count or the item back)
    rate_cols = ["share", "cum_share", "rectification_rate", "overdue_rate", "on_time_rate", "share_of_collected",
                 "share_of_previous", "recurrence_rate", "top_k_share", "n_for_pareto", "hhi", "hhi_normalised",
                 "median_days_km", "ci_low", "ci_high", "median_days_rectified_only", "rho", "p", "p_adj"]

    def safe(df, suppress=True, count_cols=None):
        if df.empty:
            return pd.DataFrame({"reason": ["本期无数据 / no data for this period"]})
        return pb.safe_table(df, publish=publish, unit_columns=(), k=k, count_cols=count_cols,
                             also=[c for c in rate_cols if c in df.columns], internal=not publish,
                             suppress=suppress)

    tables["problems_by_category"] = _guard(lambda: safe(_wide(pr.counts(p, ["year", "category"]), "category")))
    tables["concentration"] = _guard(lambda: safe(pr.concentration(p, "category", topic.top_k, within="year"),
                                                  count_cols=["n"]))
    tables["pareto"] = _guard(lambda: safe(pr.pareto(p[p.year == year], "category")))
    tables["problems_by_region"] = _guard(lambda: safe(_wide(pr.counts(p, ["year", "region"], units=units), "region")))
    tables["problems_by_source"] = _guard(lambda: safe(_wide(pr.counts(p, ["year", "source"]), "source")))
    tables["rectification_by_region"] = _guard(lambda: safe(pr.rectification(p, as_of, by="region", units=units)))
    tables["rectification_by_year"] = _guard(lambda: safe(pr.rectification(p, as_of, by="year")))
    # n_before_origin is a diagnostic count; in publish mode it is dropped rather than let it
    # blank the medians of a row whose totals are large enough
    tables["time_to_rectify"] = _guard(lambda: safe(
        pr.time_to_rectify(p, as_of, by="year").drop(columns=["n_before_origin"] if publish else []),
        count_cols=["n", "n_rectified", "n_censored"]))
    tables["recurrence"] = _guard(lambda: safe(pr.recurrence_rate(p), count_cols=["n_pairs", "n_recurring"]))
    # in publish mode the list keeps unit pseudonym, category, year and streak, not the small counts
    tables["recurring_units"] = _guard(lambda: safe(pr.recurring(p).drop(columns=["n", "n_previous"] if publish else []),
                                                    suppress=False))
    tables["review_funnel"] = _guard(lambda: safe(pr.review_funnel(p, by="year")))
    kw = data.keyword_counts
    # top 10 terms of all categories pooled, every year of the window; per category, the report year
    top = kw[(kw["rank"] <= 10) & ((kw.category == ALL_CATEGORIES) | (kw.year == year))]
    top = top.assign(_all=top.category != ALL_CATEGORIES).sort_values(["_all", "category", "year", "rank"])
    tables["keywords"] = _guard(lambda: safe(top.drop(columns="_all").reset_index(drop=True), suppress=False))
    pooled = pd.concat([p, p.assign(category=ALL_CATEGORIES)], ignore_index=True)
    tables["rising_keywords"] = _guard(lambda: safe(pr.rising_keywords(kw, pooled, year, by=["category"], top_n=5),
                                                    suppress=False))
    # fewer than k units with problems: the count and the correlation it drives are suppressed
    tables["index_link"] = _guard(lambda: safe(pr.index_link(p, data.scores)
                                               .loc[lambda d: d.aspect.isin(topic.aspects)].reset_index(drop=True),
                                               count_cols=["n_with_problems"]))
    tables["dimension_scores"] = _guard(lambda: safe(_dimension_scores(data, topic, window), suppress=False))
    tables["leaf_summary"] = _guard(lambda: safe(_leaf_summary(data.leaf_values, window), suppress=False))
    if not publish:
        tables["overdue_items"] = _guard(lambda: pr.overdue_items(p, as_of, internal=True))
    return tables


def _dimension_scores(data: TopicData, topic: Topic, window: list[int]) -> pd.DataFrame:
    from .panel import units_by_year

    sc = data.scores[data.scores.node.isin(topic.dimensions) & data.scores.year.isin(window)]
    reg = units_by_year(data.units, window)[["unit_id", "year", "region"]]
    sc = sc.merge(reg, on=["unit_id", "year"], how="left")
    out = sc.groupby(["node", "region", "year"]).score.agg(n_units="size", mean="mean", median="median").reset_index()
    return out.sort_values(["node", "region", "year"]).reset_index(drop=True)


def _leaf_summary(lv: pd.DataFrame, window: list[int]) -> pd.DataFrame:
    lv = lv[lv.year.isin(window)]
    out = lv.groupby(["indicator", "year"]).value.agg(n_units="size", mean="mean", median="median",
                                                      q25=lambda s: s.quantile(0.25),
                                                      q75=lambda s: s.quantile(0.75)).reset_index()
    return out.sort_values(["indicator", "year"]).reset_index(drop=True)


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


# --------------------------------------------------------------------------- running and packaging
def notebook_parameters(topic_path: str | Path, year: int, warehouse: str | Path, lang: str, publish: bool,
                        data_dir: str | Path | None = None, key_path: str | Path | None = None,
                        scoring_config: str | Path | None = None) -> dict[str, Any]:
    """The parameter set of ``05_topical_report`` (every declared key, absolute paths)."""
    return {"topic_path": str(Path(topic_path).resolve()), "year": int(year),
            "warehouse": str(Path(warehouse).resolve()), "data_dir": str(Path(data_dir).resolve()) if data_dir else "",
            "lang": lang, "publish": bool(publish), "key_path": str(pb.key_path(key_path)),
            "scoring_config": str(Path(scoring_config).resolve()) if scoring_config else ""}


def _resolve_year(topic: Topic, year: int | None, warehouse: str | Path | None) -> int:
    if year is not None:
        return int(year)
    if topic.default_year() is not None:
        return topic.default_year()
    tables, _ = load_warehouse_tables(warehouse)
    return int(tables["problems"].year.max())


def run_topic(topic_path: str | Path, year: int | None = None, warehouse: str | Path = DEFAULT_WAREHOUSE,
              out: str | Path = Path("reports"), lang: str = "zh", publish: bool = True,
              key_path: str | Path | None = None, data_dir: str | Path | None = None, show_code: bool = False,
              scoring_config: str | Path | None = None):
    """Run ``05_topical_report`` for a topic into ``out/<year>/topic_<name>.html``.

    Returns the runner's :class:`analysis.runner.NotebookResult` (``html_path``,
    ``ipynb_path``, ``ok``, ``error``). The topic file is validated first (a
    :class:`ConfigError` before anything runs).
    """
    from .runner import execute_notebook, kernel_log

    topic = load_topic(topic_path)
    year = _resolve_year(topic, year, warehouse)
    params = notebook_parameters(topic_path, year, warehouse, lang, publish, data_dir, key_path, scoring_config)
    out_dir = Path(out).resolve() / str(year)
    with kernel_log(out_dir, f"topic_{topic.name}"):
        result = execute_notebook(NOTEBOOK, params, out_dir, f"topic_{topic.name}", lang=lang, show_code=show_code,
                                  title=topic.text("title", lang))
    manifest = out_dir / "manifest.json"
    if manifest.exists():  # the year's report index links the topical reports published beside it
        from .report import write_year_index

        write_year_index(out_dir, json.loads(manifest.read_text(encoding="utf-8")), lang)
    return result


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


README_TEMPLATE = """# 研究资料包:{title}

本资料包由 `analysis package` 生成,供合作单位开展课题研究使用。

- 专题:{title}
- 研究问题:{question}
- 作者:{authors}
- 合作单位:{partners}
- 报告年度:{year};涉及年度:{years}
- 数据截至:{as_of}
- 生成时间:{created}
- 假名化:{pseudo}

## 目录

| 路径 | 内容 |
| --- | --- |
| `report/{name}.html` | 专题报告(离线单文件 HTML,可直接用浏览器打开) |
| `report/{name}.ipynb` | 已执行的笔记本(审计用,含全部参数与输出) |
| `data/*.csv`、`data/*.parquet` | 报告所用数据子集:单位、问题清单(不含问题描述)、维度得分、监测点数值、关键词计数 |
| `data/meta.json` | 数据子集的说明(年度、数据截至日期、抑制阈值 k 等) |
| `config/topic.yaml` | 专题配置文件(原样) |
| `config/parameters.yaml` | 本次运行的实际参数 |
| `config/effective_config.json` | 实际生效的专题配置与运行配置 |
| `manifest.json` | 文件清单(SHA-256)、软件版本、数据仓库指纹 |

## 数据保护

{protection}

## 如何复现

在安装了本工具包(`analysis`)的环境中:

```bash
unzip {zipname} -d pkg && cd pkg
papermill report/{name}.ipynb rerun.ipynb -k analysis \\
  -p data_dir "$PWD/data" -p topic_path "$PWD/config/topic.yaml"
```

笔记本从 `data/` 读取数据(不访问数据仓库),重新计算的各表与报告中的表格完全一致。

## 建议引用

{citation}

## 数据说明

CSV 文件为 UTF-8 编码(带 BOM,Excel 可直接打开);单位代码为文字。计数小于 {k} 的单元格在报告中显示为“<{k}”(一次抑制,未做二次抑制)。
"""


def _readme(topic: Topic, data: TopicData, year: int, created: str, zipname: str, name: str) -> str:
    pseudo = bool(data.meta["pseudonymised"])
    protection = ("单位代码已替换为带密钥的假名(如“单位-7F3A9C”),单位名称与问题描述均已删除;"
                  "假名密钥保存在数据提供方,不随本包发放。请勿尝试重新识别单位。"
                  if pseudo else
                  "**内部资料**:本包未做假名化,含真实单位代码、名称与问题描述,仅限内部使用,不得公开或转发。")
    return README_TEMPLATE.format(
        title=topic.title, question=topic.research_question, authors="、".join(a["name"] for a in topic.authors),
        partners="、".join(p["name"] for p in topic.partners), year=year,
        years="、".join(map(str, data.meta["years"])), as_of=data.meta["as_of"], created=created,
        pseudo="是" if pseudo else "否(内部资料)", protection=protection, zipname=zipname, name=name,
        citation=citation(topic, year), k=topic.k)


def _zip_folder(folder: Path, zip_path: Path) -> None:
    """A zip with sorted entries and fixed timestamps (same content → same bytes)."""
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(p for p in folder.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(str(f.relative_to(folder)), date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, f.read_bytes())


def package(topic_path: str | Path, year: int | None = None, out: str | Path = Path("reports/packages"),
            warehouse: str | Path = DEFAULT_WAREHOUSE, pseudonymise: bool = True,
            key_path: str | Path | None = None, lang: str = "zh", scoring_config: str | Path | None = None) -> Path:
    """Write a research package (zip) for the partner and return its path.

    Contents: ``report/`` (HTML and executed notebook, run from the packaged data),
    ``data/`` (the data subset as CSV and Parquet, pseudonymised unless
    ``pseudonymise=False``), ``config/`` (topic file, parameters, effective config),
    ``manifest.json`` and ``README.md`` (Chinese). The notebook is executed on ``data/``
    itself, so unzipping and rerunning it gives the same tables.
    """
    from .params import dump_yaml
    from .runner import _versions, execute_notebook, load_run_config

    topic_path = Path(topic_path)
    topic = load_topic(topic_path)
    tables, wh_info = load_warehouse_tables(warehouse, scoring_config)
    year = year if year is not None else (topic.default_year() or int(tables["problems"].year.max()))
    key = pb.load_or_create_key(key_path) if pseudonymise else None
    data = prepare_topic_data(topic, int(year), tables, publish=pseudonymise, key=key, lang=lang,
                              meta={"warehouse_hash": wh_info["warehouse_hash"]})
    created = datetime.now(timezone.utc).isoformat(timespec="seconds")
    name = f"topic_{topic.name}"
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    zip_path = out / f"{topic.name}_{year}{'' if pseudonymise else '_internal'}.zip"
    with tempfile.TemporaryDirectory() as tmp:
        stage = Path(tmp) / "package"
        data.write(stage / "data")
        (stage / "config").mkdir(parents=True)
        shutil.copyfile(topic_path, stage / "config" / "topic.yaml")
        params = notebook_parameters(stage / "config" / "topic.yaml", int(year), warehouse, lang, pseudonymise,
                                     stage / "data", key_path, wh_info["scoring_config"] or None)
        result = execute_notebook(NOTEBOOK, params, stage / "report", name, lang=lang,
                                  title=topic.text("title", lang))
        if not result.ok:
            raise ConfigError(f"专题报告执行失败 / the topical report failed: In [{result.cell}] {result.error}")
        # keep the report and the executed notebook; drop runner by-products that repeat them
        for extra in ("params", "tables"):
            shutil.rmtree(stage / "report" / extra, ignore_errors=True)
        (stage / "report" / f"{name}.json").unlink(missing_ok=True)
        portable = {k: v for k, v in params.items()
                    if k not in ("warehouse", "key_path", "data_dir", "topic_path", "scoring_config")}
        dump_yaml(portable | {"data_dir": "data", "topic_path": "config/topic.yaml"}, stage / "config" / "parameters.yaml")
        scoring_file = Path(wh_info["scoring_config"]) if wh_info["scoring_config"] else None
        effective = {"topic": topic.as_dict() | {"source": "config/topic.yaml"}, "data": data.meta,
                     "run_config": {"report": load_run_config(None).get("report", {})},
                     "scoring_config": scoring_file.read_text(encoding="utf-8")
                     if scoring_file and scoring_file.exists() else "(defaults)"}
        (stage / "config" / "effective_config.json").write_text(
            json.dumps(effective, ensure_ascii=False, indent=1, sort_keys=True, default=str), encoding="utf-8")
        (stage / "README.md").write_text(_readme(topic, data, int(year), created, zip_path.name, name), encoding="utf-8")
        files = sorted(p for p in stage.rglob("*") if p.is_file())
        manifest = {"created": created, "topic": topic.name, "year": int(year), "pseudonymised": pseudonymise,
                    "warehouse_hash": wh_info["warehouse_hash"], "packages": _versions(),
                    "notebook": NOTEBOOK.name, "seconds": round(result.seconds, 2),
                    "files": [{"path": str(p.relative_to(stage)), "sha256": _sha256(p), "bytes": p.stat().st_size}
                              for p in files]}
        (stage / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        _zip_folder(stage, zip_path)
    return zip_path


# --------------------------------------------------------------------------- notebook helpers
COLUMN_LABELS_ZH = {
    "n": "问题数", "n_total": "合计", "share": "占比", "cum_share": "累计占比", "rank": "位次", "category": "问题类别",
    "region": "片区", "source": "问题来源", "year": "年度", "n_groups": "类别数", "top_k": "k",
    "top_k_share": "前 k 类占比", "n_for_pareto": "达 80% 所需类别数", "hhi": "HHI", "hhi_normalised": "标准化 HHI",
    "reason": "说明", "n_rectified": "已整改", "rectification_rate": "整改率", "n_overdue": "逾期未整改",
    "overdue_rate": "逾期率", "n_on_time": "按期整改", "on_time_rate": "按期整改率", "n_no_deadline": "无整改时限",
    "n_censored": "未整改(删失)", "median_days_km": "整改用时中位数(KM,天)", "ci_low": "95% 置信下限",
    "ci_high": "95% 置信上限", "median_days_rectified_only": "仅已整改的中位数(天)", "n_pairs": "单位×类别组合数",
    "n_recurring": "连续出现数", "recurrence_rate": "连续出现率", "unit_id": "单位", "previous_year": "上一年",
    "streak": "连续年数", "n_previous": "上年问题数", "stage_zh": "环节", "share_of_collected": "占采集数比例",
    "share_of_previous": "占上一环节比例", "n_inconsistent": "不一致记录", "term": "词语", "kind": "类型",
    "n_docs": "含该词的问题数", "n_occurrences": "出现次数", "docs_in_group": "组内问题数", "doc_share": "占比",
    "docs": "本年问题数", "n_docs_prev": "上年含该词问题数", "docs_prev": "上年问题数", "share_prev": "上年占比",
    "change": "占比变化", "log_ratio": "对数比", "p": "p 值", "p_adj": "校正 p 值(BH)", "aspect": "方面",
    "node": "维度", "n_units": "单位数", "n_with_problems": "有问题的单位数", "rho": "Spearman ρ", "mean": "均值",
    "median": "中位数", "q25": "下四分位数", "q75": "上四分位数", "indicator": "监测点", "severity": "严重程度",
    "status": "整改状态", "deadline": "整改时限", "days_overdue": "逾期天数", "problem_id": "问题编号",
    "description": "问题描述",
}


def display_columns(df: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """Column labels for the reader: Chinese labels (``n_2023`` → ``2023 年``) or tidy English."""
    def label(col: str) -> str:
        m = re.fullmatch(r"n_(\d{4})", str(col))
        if lang == "zh":
            return f"{m.group(1)} 年" if m else COLUMN_LABELS_ZH.get(col, col)
        return m.group(1) if m else str(col).replace("_", " ")

    out = df.drop(columns=[c for c in ("stage",) if c in df.columns and "stage_zh" in df.columns and lang == "zh"])
    if lang == "en":
        out = out.drop(columns=[c for c in ("stage_zh",) if c in out.columns])
    out = out.rename(columns={c: label(c) for c in out.columns})
    out.attrs = dict(df.attrs)
    out.attrs["suppressed"] = [c | {"column": label(c["column"])} for c in df.attrs.get("suppressed", [])]
    return out


def show_table(rp, tables: dict[str, pd.DataFrame], name: str) -> None:
    """Show one topic table with its caption and reader-facing column labels, and say which
    cells were suppressed."""
    zh, en = TABLE_TITLES[name]
    table = display_columns(tables[name], rp.lang)
    rp.table(table, rp.t(zh, en), name=name)
    note = pb.suppression_note(table, rp.lang)
    if note:
        rp.text(note)


def paragraphs(text: str) -> list[str]:
    """Authored text split into paragraphs at blank lines."""
    return [p.strip() for p in re.split(r"\n\s*\n", text or "") if p.strip()]


def problems_figure(data: TopicData, year: int, lang: str = "zh"):
    """Bars: problems per year by category; in publish mode only yearly totals of at least k are
    drawn (a stacked bar would show the year × category cells that the tables suppress)."""
    import matplotlib.pyplot as plt

    k, publish = int(data.meta["k"]), bool(data.meta["publish"])
    p = data.problems[data.problems.year <= year]
    fig, ax = plt.subplots()
    if p.empty:
        ax.text(0.5, 0.5, "无问题记录" if lang == "zh" else "no problems", ha="center", transform=ax.transAxes)
        return fig
    c = p.groupby(["year", "category"]).size().unstack(fill_value=0)
    if publish:
        total = c.sum(axis=1)
        c = total.where(total >= k, 0).rename("问题数" if lang == "zh" else "problems").to_frame()
    c = c[c.sum().sort_values(ascending=False).index]
    if c.to_numpy().sum() == 0:
        ax.text(0.5, 0.5, f"各年问题数均小于 {k},不作图" if lang == "zh" else f"every year has fewer than {k} problems: "
                "not drawn", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    c.plot(kind="bar", stacked=True, ax=ax, width=0.7)
    ax.set_xlabel("年度" if lang == "zh" else "Year")
    ax.set_ylabel("问题数" if lang == "zh" else "Problems")
    ax.legend(fontsize=8, ncols=2, title=None)
    ax.tick_params(axis="x", rotation=0)
    return fig


def scores_figure(data: TopicData, topic: Topic, lang: str = "zh"):
    """Lines: mean score of each dimension in scope by region and year."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    from .panel import units_by_year

    sc = data.scores[data.scores.node.isin(topic.dimensions)]
    fig, ax = plt.subplots()
    if sc.empty:
        ax.text(0.5, 0.5, "无得分" if lang == "zh" else "no scores", ha="center", transform=ax.transAxes)
        return fig
    years = sorted(sc.year.unique())
    sc = sc.merge(units_by_year(data.units, years)[["unit_id", "year", "region"]], on=["unit_id", "year"])
    sns.lineplot(data=sc, x="year", y="score", hue="region", style="node", estimator="mean", errorbar=None,
                 marker="o", ax=ax)
    ax.set_xlabel("年度" if lang == "zh" else "Year")
    ax.set_ylabel("维度平均得分" if lang == "zh" else "Mean dimension score")
    ax.set_xticks(years)
    ax.legend(fontsize=7, ncols=3)
    return fig


def methods_text(lang: str = "zh") -> str:
    if lang == "en":
        return ("Counts and shares by category, region and source; concentration as the share of the top-k "
                "categories and the Herfindahl–Hirschman index; rectification as of the data date (overdue = "
                "deadline passed and not rectified); time to rectify from 31 December of the problem's year, "
                "Kaplan–Meier with unrectified items censored (statsmodels SurvfuncRight; median = first time the "
                "share unrectified falls below one half); recurring = same unit and category in consecutive years; "
                "keywords by jieba segmentation with the project's stop-word and synonym lists, document "
                "frequencies, change against last year with Fisher's exact test and Benjamini–Hochberg FDR; link "
                "to the index: Spearman rank correlation between a unit's problem count of an aspect and its score "
                "on the matching dimension (scipy).")
    return ("按类别、片区、来源统计问题数及占比;集中度用前 k 类占比与赫芬达尔—赫希曼指数;整改情况按数据截至日期计算"
            "(逾期 = 已过整改时限且未整改);整改用时自问题所属年度 12 月 31 日起算,未整改问题作删失处理,用 Kaplan–Meier "
            "估计(statsmodels SurvfuncRight,中位数为未整改比例首次低于一半的时间);反复出现 = 同一单位同一类别连续年度出现;"
            "关键词用 jieba 分词,配合项目的停用词表与同义词表,计文档频数,较上年变化用 Fisher 精确检验并作 "
            "Benjamini–Hochberg 校正;与指数的关联用 Spearman 等级相关(scipy)检验单位某方面问题数与对应维度得分的关系。")
