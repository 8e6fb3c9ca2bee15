"""The data subset of a topic (TopicData): cut from the run's inputs, pseudonymised at the
source when publishing, written to and read from a research package's ``data/`` folder."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from .. import problems as pr
from .. import publish as pb
from ..errors import ConfigError
from .definition import ALL_CATEGORIES, Topic, check_scope

# --------------------------------------------------------------------------- the data subset
#: column types of the data subset (the same after a CSV round trip)
SCHEMA: dict[str, dict[str, str]] = {
    "units": {"unit_id": "str", "name_zh": "str", "name_en": "str", "type": "str", "region": "str",
              "valid_from": "Int64", "valid_to": "Int64"},
    "problems": {"problem_id": "str", "unit_id": "str", "year": "int", "source": "str", "aspect": "str",
                 "category": "str", "description": "str", "severity": "str", "status": "str",
                 "deadline": "date", "rectified_on": "date", "kept": "bool", "fed_back": "bool", "round_id": "str",
                 "status_on": "date"},
    "status_history": {"problem_id": "str", "status": "str", "status_on": "date", "round_id": "str"},
    "inspection_rounds": {"round_id": "str", "year": "int", "name_zh": "str", "name_en": "str", "kind": "str",
                          "rechecks": "str", "start_on": "date", "end_on": "date"},
    "scores": {"unit_id": "str", "year": "int", "node": "str", "score": "float"},
    "leaf_values": {"unit_id": "str", "year": "int", "indicator": "str", "value": "float"},
    "keyword_counts": {"category": "str", "year": "int", "term": "str", "kind": "str", "n_docs": "int",
                       "n_occurrences": "int", "docs_in_group": "int", "doc_share": "float", "rank": "int"},
}


def coerce_table(name: str, df: pd.DataFrame) -> pd.DataFrame:
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
    status_history: pd.DataFrame | None = None  # status changes of the problems in scope (no notes)
    inspection_rounds: pd.DataFrame | None = None  # the rounds of the window

    TABLES = ("units", "problems", "scores", "leaf_values", "keyword_counts", "status_history", "inspection_rounds")

    def __post_init__(self) -> None:
        for name in ("status_history", "inspection_rounds"):
            if getattr(self, name) is None:
                setattr(self, name, coerce_table(name, pd.DataFrame(columns=list(SCHEMA[name]))))

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
            if not (folder / f"{name}.csv").exists() and name in ("status_history", "inspection_rounds"):
                continue  # a package written before the rectification history existed
            df = pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
            tables[name] = coerce_table(name, _unescape_formulas(df))
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        return cls(**tables, meta=meta)


def _scope_units(topic: Topic, units: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    from ..panel import units_by_year

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
    from ..framework import ancestors

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
        raise ConfigError("专题数据需要指数得分与监测点年度值(来自输入阶段)/ a topic needs the index scores and the "
                          "yearly leaf values from the inputs stage (tables 'scores' and 'leaf_values')")
    nodes = {*topic.dimensions, "PE"} | {fw.loc[fw.parent == "", "code"].iloc[0]}
    sc = scores[scores.unit_id.astype(str).isin(ids) & scores.year.isin(years) & scores.node.isin(nodes)]
    lv = leaf_values[leaf_values.unit_id.astype(str).isin(ids) & leaf_values.year.isin(years)
                     & leaf_values.indicator.isin(leaves)]
    if lexicon is None:
        from ..catalog import read_lexicon

        lexicon = read_lexicon()
    lex = lexicon
    names = [n for n in pd.concat([units.name_zh, units.name_en]).dropna().astype(str) if n]
    kw_args = dict(lexicon=lex, k=topic.k if publish else 1, internal=not publish, exclude=names)
    kw = pd.concat([pr.keyword_frequencies(p, by=["category", "year"], **kw_args),
                    pr.keyword_frequencies(p.assign(category=ALL_CATEGORIES), by=["category", "year"], **kw_args)],
                   ignore_index=True)
    history = tables.get("status_history")
    history = history[history.problem_id.isin(p.problem_id)] if history is not None else pd.DataFrame(columns=["problem_id"])
    rounds = tables.get("inspection_rounds")
    rounds = rounds[rounds.year.isin(years)] if rounds is not None else pd.DataFrame(columns=["year"])
    data = {"status_history": coerce_table("status_history", history.reindex(columns=list(SCHEMA["status_history"]))),
            "inspection_rounds": coerce_table("inspection_rounds", rounds.reindex(columns=list(SCHEMA["inspection_rounds"]))),
            "units": coerce_table("units", scoped_units), "problems": coerce_table("problems", p),
            "scores": coerce_table("scores", sc), "leaf_values": coerce_table("leaf_values", lv),
            "keyword_counts": coerce_table("keyword_counts", kw)}
    if publish:
        data["problems"] = data["problems"].drop(columns=list(pr.FREE_TEXT))
        mapping = pb.pseudonym_map(data["units"].unit_id, key, lang=lang)
        for name in ("units", "problems", "scores", "leaf_values"):
            data[name] = pb.pseudonymise(data[name], mapping=mapping)
        secret = key if isinstance(key, bytes) else pb.load_or_create_key(key)
        problem_ids = pb.problem_pseudonym_map(data["problems"].problem_id, secret, lang=lang)
        for name in ("problems", "status_history"):
            data[name] = data[name].assign(problem_id=data[name].problem_id.map(problem_ids))
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



def tables_from_inputs(inputs) -> dict[str, pd.DataFrame]:
    """The tables :func:`prepare_topic_data` needs, from the run's :class:`analysis.inputs.Inputs`."""
    return {"framework": inputs.framework, "units": inputs.units, "problems": inputs.problems,
            "observations": inputs.observations, "scores": inputs.index.scores, "leaf_values": inputs.values,
            "status_history": inputs.status_history, "inspection_rounds": inputs.inspection_rounds}
