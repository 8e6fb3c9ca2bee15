"""The publication boundary (发布边界): every input of a publish-mode report pseudonymised once.

:func:`publish_inputs` takes everything a report is made from — warehouse frames, the yearly
panel, the index run (scores, grades, attribution, early warnings, the run's notes), the
uncertainty run, focal units, problems — and returns the same structure in which

- every unit code (``unit_id``, ``successor_id``) is its keyed pseudonym ``单位-7F3A9C`` and
  every problem id its pseudonym ``问题-1C9E02`` (HMAC-SHA256 with the project key, RFC 2104);
- unit-name columns hold the pseudonym (so a notebook that labels units by name shows the
  pseudonym without a code change);
- free-text columns (problem descriptions, notes, focal-unit reasons, person names) are gone;
- regions with fewer than ``k`` units are merged into one "其他片区 / other regions";
- every other text (warning messages such as ``单位 U042 2023 年触发一票否决事项 RL1``, the
  index run's notes, column and index labels) is rewritten from the same mappings:
  ``单位 U042`` becomes ``单位-7F3A9C``, ``unit U042`` becomes ``Unit-7F3A9C``; and
- anything still holding a real code, name or description after that (text the rewriting
  did not foresee) is replaced by ``〔已删除 / redacted〕``: the boundary fails closed.

The structure is walked generically (dicts, lists, dataclasses such as the runner's
``Inputs`` and the index's ``IndexResult``, DataFrames, Series, arrays), so a table added to
the inputs later is covered without a change here. Nothing made from the returned objects
can contain a real identifier; :func:`analysis.publish.scan_artifacts` checks the outcome.
"""
from __future__ import annotations

import copy
import dataclasses
import datetime as _dt
import hashlib
import hmac
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd

from .core import FREE_TEXT_COLUMNS, PERSON_COLUMNS, PREFIX, resolve_key, pseudonym_map
from .scan import find_token

REDACTED = "〔已删除 / redacted〕"
PROBLEM_PREFIX = {"zh": "问题", "en": "Problem"}
OTHER_REGION = {"zh": "其他片区", "en": "Other regions"}
#: Free-text columns dropped at the boundary, in addition to :data:`FREE_TEXT_COLUMNS` and person columns;
#: ``reason`` only in the focal-units table (elsewhere it is a generated bilingual sentence).
FOCAL_TABLES = ("focal_units", "focal")
ID_COLUMNS = ("unit_id", "successor_id", "problem_id")
_SCALARS = (int, float, bool, complex, type(None), np.generic, pd.Timestamp, pd.Timedelta, _dt.date,
            _dt.datetime, _dt.timedelta, Path, range)


def problem_pseudonym_map(problem_ids: Iterable, key: bytes, length: int = 6, lang: str = "zh") -> dict[str, str]:
    """problem_id → ``问题-`` + HMAC-SHA256 hex digits (domain-separated from unit pseudonyms by
    hashing ``"problem:" + id``), lengthened until collision-free."""
    ids = sorted({str(p) for p in problem_ids if isinstance(p, str) and p})
    for n in range(length, 65):
        out = {p: f"{PROBLEM_PREFIX[lang]}-" + hmac.new(key, f"problem:{p}".encode(), hashlib.sha256)
               .hexdigest().upper()[:n] for p in ids}
        if len(set(out.values())) == len(out):
            return out
    raise RuntimeError("HMAC 碰撞 / HMAC collision")  # pragma: no cover - 256-bit digest


@dataclass
class DisclosureLog:
    """What the boundary did, for the page (:meth:`sentences`) and for the audit folder.

    ``audit_mapping`` (``kind, real, pseudonym``) links pseudonyms back to real codes: it
    belongs in the audit folder with the key, never in a published file; :meth:`public` leaves
    it out.
    """

    k: int
    lang: str = "zh"
    n_units: int = 0
    n_problems: int = 0
    dropped: list[tuple[str, str]] = field(default_factory=list)
    rewritten: dict[str, int] = field(default_factory=dict)
    redacted: dict[str, int] = field(default_factory=dict)
    merged_regions: int = 0
    unchecked: list[str] = field(default_factory=list)
    audit_mapping: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["kind", "real", "pseudonym"]),
                                        repr=False)

    def sentences(self, lang: str | None = None) -> list[str]:
        """The page's account of the disclosure control done at the boundary, one sentence per step."""
        lang = lang or self.lang
        n_rw, n_red = sum(self.rewritten.values()), sum(self.redacted.values())
        cols = sorted({c for _, c in self.dropped})
        if lang == "zh":
            out = [f"发布版:{self.n_units} 个单位的代码与名称、{self.n_problems} 条问题的编号已替换为带密钥的假名"
                   "(HMAC-SHA256,密钥不随报告发布)。"]
            if cols:
                out.append(f"自由文本与人员信息已删除(列:{'、'.join(cols)})。")
            if n_rw:
                out.append(f"{n_rw} 处提示与说明文字已按假名重写。")
            if self.merged_regions:
                out.append(f"单位数少于 {self.k} 的 {self.merged_regions} 个片区已合并为“{OTHER_REGION['zh']}”。")
            if n_red:
                out.append(f"{n_red} 处文字因仍含可识别信息而删除(显示为“{REDACTED}”)。")
            return out
        out = [f"Published edition: the codes and names of {self.n_units} units and the ids of {self.n_problems} "
               "problems are replaced by keyed pseudonyms (HMAC-SHA256; the key is not published)."]
        if cols:
            out.append(f"Free text and person details are removed (columns: {', '.join(cols)}).")
        if n_rw:
            out.append(f"{n_rw} messages and notes were rewritten with the pseudonyms.")
        if self.merged_regions:
            out.append(f"{self.merged_regions} region(s) with fewer than {self.k} units are merged into "
                       f"'{OTHER_REGION['en']}'.")
        if n_red:
            out.append(f"{n_red} text(s) still holding identifying information were removed (shown as '{REDACTED}').")
        return out

    def public(self) -> dict[str, Any]:
        """The log without the mapping: safe for a published sidecar."""
        return {"k": self.k, "n_units": self.n_units, "n_problems": self.n_problems,
                "dropped": [list(d) for d in self.dropped], "rewritten": dict(self.rewritten),
                "redacted": dict(self.redacted), "merged_regions": self.merged_regions,
                "unchecked": list(self.unchecked)}


class IdentifierRewriter:
    """Rewrites text from real identifiers to pseudonyms, and tells whether any is left.

    ``units_zh``/``units_en``: unit code → pseudonym in each language; ``names``: unit name →
    pseudonym; ``problems_zh``/``problems_en``: problem id → pseudonym; ``regions``: real
    region code → published label; ``forbidden``: every code and name that must not survive,
    checked as whole tokens (:func:`analysis.publish.find_token`) after rewriting; ``texts``:
    free texts (problem descriptions) — a value holding one is redacted whole, before any
    rewriting (replacing the unit name inside a description would still publish the event).
    """

    def __init__(self, units_zh: Mapping[str, str], units_en: Mapping[str, str], names: Mapping[str, str],
                 problems_zh: Mapping[str, str], problems_en: Mapping[str, str], regions: Mapping[str, str],
                 forbidden: Iterable[str], texts: Iterable[str] = (), lang: str = "zh"):
        self.units = {"zh": dict(units_zh), "en": dict(units_en)}
        self.problems = {"zh": dict(problems_zh), "en": dict(problems_en)}
        self.names, self.regions, self.lang = dict(names), dict(regions), lang
        self.texts = sorted({t for t in texts if isinstance(t, str) and len(t) >= 2}, key=len, reverse=True)
        self.forbidden = sorted({s for s in forbidden if isinstance(s, str) and len(s) >= 2}, key=len, reverse=True)
        self._name_re = self._alternation(self.names, token=False)
        self._unit_re = self._prefixed(self.units["zh"], PREFIX["zh"], PREFIX["en"])
        self._problem_re = self._prefixed(self.problems["zh"], PROBLEM_PREFIX["zh"], PROBLEM_PREFIX["en"])
        self._region_re = self._alternation(self.regions, token=True)
        self._cache: dict[str, str] = {}

    @staticmethod
    def _alternation(words: Iterable[str], token: bool) -> re.Pattern | None:
        words = sorted({w for w in words if w}, key=len, reverse=True)
        if not words:
            return None
        body = "|".join(map(re.escape, words))
        return re.compile(rf"(?<![0-9A-Za-z])(?:{body})(?![0-9A-Za-z])" if token else f"(?:{body})")

    @staticmethod
    def _prefixed(codes: Mapping[str, str], zh: str, en: str) -> re.Pattern | None:
        if not codes:
            return None
        body = "|".join(map(re.escape, sorted(codes, key=len, reverse=True)))
        # "单位 U042" → "单位-…" and "unit U042" → "Unit-…": the prefix word is absorbed by the pseudonym
        zh_word, en_word = re.escape(zh), f"[{en[0].upper()}{en[0].lower()}]{re.escape(en[1:])}"
        return re.compile(rf"(?:({zh_word})\s*|(?<![A-Za-z])({en_word})\s+)?(?<![0-9A-Za-z])({body})(?![0-9A-Za-z])")

    def _sub_codes(self, pattern: re.Pattern | None, maps: dict[str, dict[str, str]], text: str) -> str:
        if pattern is None:
            return text

        def repl(m: re.Match) -> str:
            lang = "zh" if m.group(1) else "en" if m.group(2) else self.lang
            return maps[lang][m.group(3)]

        return pattern.sub(repl, text)

    def text(self, value: str) -> str:
        """``value`` with every real name, unit code, problem id and merged region replaced."""
        if value in self._cache:
            return self._cache[value]
        out = value
        if self._name_re is not None:
            out = self._name_re.sub(lambda m: self.names[m.group(0)], out)
        out = self._sub_codes(self._unit_re, self.units, out)
        out = self._sub_codes(self._problem_re, self.problems, out)
        if self._region_re is not None:
            out = self._region_re.sub(lambda m: self.regions[m.group(0)], out)
        self._cache[value] = out
        return out

    def leaks(self, value: str) -> bool:
        """Whether ``value`` still holds a forbidden string (as a whole token)."""
        return any(find_token(value, s) >= 0 for s in self.forbidden if s in value)

    def clean(self, value: str) -> tuple[str, bool, bool]:
        """``(published text, rewritten?, redacted?)``."""
        if any(t in value for t in self.texts):
            return REDACTED, True, True
        out = self.text(value)
        if self.leaks(out):
            return REDACTED, True, True
        return out, out != value, False


class _Walker:
    """Applies an :class:`IdentifierRewriter` to any structure of report inputs (see the module docstring)."""

    def __init__(self, rw: IdentifierRewriter, log: DisclosureLog, region_values: Mapping[str, str]):
        self.rw, self.log, self.region_values = rw, log, dict(region_values)
        self._memo: dict[int, tuple[Any, Any]] = {}

    def _count(self, table: str, rewritten: int, redacted: int) -> None:
        if rewritten:
            self.log.rewritten[table] = self.log.rewritten.get(table, 0) + rewritten
        if redacted:
            self.log.redacted[table] = self.log.redacted.get(table, 0) + redacted

    def _values(self, values: Iterable, table: str) -> dict:
        """Mapping from each distinct string value to its published form (counts what changed)."""
        out = {}
        for v in values:
            if isinstance(v, str):
                new, changed, red = self.rw.clean(v)
                out[v] = new
                self._count(table, int(changed and not red), int(red))
        return out

    def _series(self, s: pd.Series, table: str) -> pd.Series:
        if isinstance(s.dtype, pd.CategoricalDtype):
            cats = self._values(s.cat.categories, table)
            new = [cats.get(c, c) for c in s.cat.categories]
            if len(set(new)) == len(new):
                return s.cat.rename_categories(new)
            s = s.astype(object)
        if not (s.dtype == object or pd.api.types.is_string_dtype(s)):
            return s
        mapping = self._values(pd.unique(s.dropna()), table)
        if not any(k != v for k, v in mapping.items()):
            return s
        return s.map(lambda v: mapping.get(v, v) if isinstance(v, str) else v)

    def _labels(self, index: pd.Index, table: str) -> pd.Index:
        if isinstance(index, pd.MultiIndex):
            return index.set_levels([self._labels(level, table) for level in index.levels])
        if index.dtype == object or pd.api.types.is_string_dtype(index):
            mapping = self._values(pd.unique(index), table)
            return pd.Index([mapping.get(v, v) if isinstance(v, str) else v for v in index], name=index.name)
        return index

    def frame(self, df: pd.DataFrame, table: str) -> pd.DataFrame:
        drop = [c for c in df.columns if isinstance(c, str) and (c in FREE_TEXT_COLUMNS or c in PERSON_COLUMNS
                                                                  or (c == "reason" and table in FOCAL_TABLES))]
        self.log.dropped += [(table, c) for c in drop]
        out = df.drop(columns=drop)
        for c in ID_COLUMNS:  # numeric codes are codes too
            if c in out.columns and not (out[c].dtype == object or pd.api.types.is_string_dtype(out[c])):
                out[c] = out[c].map(lambda v: v if pd.isna(v) else str(v)).astype(object)
        if "region" in out.columns and self.region_values:
            out["region"] = out["region"].map(lambda v: self.region_values.get(v, v) if isinstance(v, str) else v)
        cols = {}
        for c in out.columns:
            new = self._series(out[c], table)
            if new is not out[c]:
                cols[c] = new
        if cols:
            out = out.copy()
            for c, s in cols.items():
                out[c] = s
        out.columns = self._labels(out.columns, table)
        out.index = self._labels(out.index, table)
        out.attrs = self.walk(dict(df.attrs), f"{table}.attrs") if df.attrs else {}
        return out

    def walk(self, obj: Any, path: str) -> Any:
        if id(obj) in self._memo:  # shared objects stay shared (and are rewritten once)
            return self._memo[id(obj)][1]
        table = path.rsplit(".", 1)[-1]
        if isinstance(obj, pd.DataFrame):
            out = self.frame(obj, table)
        elif isinstance(obj, pd.Series):
            out = self._series(obj, table)
            out.index = self._labels(out.index, table)
        elif isinstance(obj, pd.Index):
            out = self._labels(obj, table)
        elif isinstance(obj, str):
            out, changed, red = self.rw.clean(obj)
            self._count(table, int(changed and not red), int(red))
        elif isinstance(obj, np.ndarray):
            if obj.dtype.kind in "OUS":
                mapping = self._values(pd.unique(obj.ravel().astype(object)), table)
                out = np.array([mapping.get(v, v) if isinstance(v, str) else v for v in obj.ravel()],
                               dtype=object).reshape(obj.shape)
            else:
                out = obj
        elif isinstance(obj, dict):
            out = type(obj)((self.walk(k, path), self.walk(v, f"{path}.{k}")) for k, v in obj.items())
        elif isinstance(obj, (list, tuple, set, frozenset)) and not hasattr(obj, "_fields"):
            out = type(obj)(self.walk(v, path) for v in obj)
        elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            out = copy.copy(obj)
            for f in dataclasses.fields(obj):
                object.__setattr__(out, f.name, self.walk(getattr(obj, f.name), f"{path}.{f.name}"))
        elif isinstance(obj, _SCALARS) or callable(obj):
            out = obj
        else:
            self.log.unchecked.append(f"{path} ({type(obj).__name__})")
            out = obj
        # the original is kept alive with its result, so its id cannot be reused by another object
        self._memo[id(obj)] = (obj, out)
        return out


def _merge_small_regions(units: pd.DataFrame, k: int, lang: str) -> dict[str, str]:
    """Region code → published region: regions with fewer than ``k`` units become "other regions";
    while that group is smaller than ``k``, the next smallest region joins it."""
    if "region" not in units.columns or "unit_id" not in units.columns:
        return {}
    sizes = units.dropna(subset=["region"]).groupby("region").unit_id.nunique().sort_values(kind="stable")
    small = list(sizes.index[sizes < k])
    if not small:
        return {}
    rest = [r for r in sizes.index if r not in small]
    while sizes[small].sum() < k and rest:
        small.append(rest.pop(0))
    return {str(r): OTHER_REGION[lang] for r in small}


def publish_inputs(tables: Mapping[str, Any], key: bytes | str | Path | None = None, k: int = 3,
                   lang: str = "zh") -> tuple[dict[str, Any], DisclosureLog]:
    """Pseudonymise every input of a publish-mode report at one boundary.

    ``tables`` maps names to inputs; it must hold ``units`` (``unit_id``, names, ``region``,
    ...), the authority for which codes and names exist, and may hold ``problems`` (``problem_id``,
    ``description``) and anything else (observations, values, the index run, its early
    warnings with their ``message`` texts, the uncertainty run, focal units; DataFrames or
    dataclasses of them). ``key`` is the HMAC key (bytes, or a key file path; ``None``: the
    project key of :func:`analysis.publish.load_or_create_key`); ``k`` the publication threshold
    (regions with fewer units are merged); ``lang`` the report language (the pseudonym prefix
    for codes that stand alone in text and in id columns).

    Returns ``(published, log)``: the same names with pseudonymised values (see the module
    docstring) and a :class:`DisclosureLog`.

    >>> units = pd.DataFrame({"unit_id": ["U041", "U042"], "name_zh": ["甲局", "青松区"], "region": ["R01", "R01"]})
    >>> notes = pd.DataFrame({"message": ["单位 U042 2023 年触发一票否决事项 RL1 / unit U042 triggered red line RL1"]})
    >>> out, log = publish_inputs({"units": units, "notes": notes}, key=bytes(range(32)), k=2)
    >>> out["notes"].message[0] == (f"{out['units'].unit_id[1]} 2023 年触发一票否决事项 RL1 / "
    ...                             f"{out['units'].unit_id[1].replace('单位', 'Unit')} triggered red line RL1")
    True
    >>> out["units"].name_zh.tolist() == out["units"].unit_id.tolist(), log.n_units
    (True, 2)
    """
    if "units" not in tables or not isinstance(tables["units"], pd.DataFrame):
        raise ValueError("publish_inputs 需要 units 表 / publish_inputs needs the units table")
    if lang not in PREFIX:
        raise ValueError(f"lang 须为 zh 或 en / lang must be zh or en, got {lang!r}")
    k_bytes = resolve_key(key)
    units = tables["units"]
    problems = tables.get("problems") if isinstance(tables.get("problems"), pd.DataFrame) else None
    # every unit code anywhere in a frame's id column is pseudonymised, not only the units table's
    unit_ids: set[str] = set()
    for obj in tables.values():
        if isinstance(obj, pd.DataFrame):
            for c in ("unit_id", "successor_id"):
                if c in obj.columns:
                    unit_ids |= {str(v) for v in obj[c].dropna() if str(v)}
    zh = pseudonym_map(unit_ids, k_bytes, lang="zh")
    en = {u: v.replace(PREFIX["zh"], PREFIX["en"], 1) for u, v in zh.items()}
    names: dict[str, str] = {}
    for col, target in (("name_zh", zh), ("name_en", en), ("name", zh if lang == "zh" else en),
                        ("unit_name", zh if lang == "zh" else en)):
        if col in units.columns:
            for uid, name in zip(units.unit_id.astype(str), units[col]):
                if isinstance(name, str) and len(name) >= 2 and uid in target:
                    names.setdefault(name, target[uid])
    pids = problems.problem_id.dropna().astype(str).tolist() if problems is not None and "problem_id" in problems else []
    p_zh = problem_pseudonym_map(pids, k_bytes, lang="zh")
    p_en = {p: v.replace(PROBLEM_PREFIX["zh"], PROBLEM_PREFIX["en"], 1) for p, v in p_zh.items()}
    regions = _merge_small_regions(units, k, lang)
    forbidden = [*unit_ids, *names, *pids, *regions]
    texts = (problems.description.dropna().astype(str).tolist()
             if problems is not None and "description" in problems.columns else [])
    rw = IdentifierRewriter(zh, en, names, p_zh, p_en, regions, forbidden, texts=texts, lang=lang)
    log = DisclosureLog(k=int(k), lang=lang, n_units=len(unit_ids), n_problems=len(p_zh),
                        merged_regions=len(regions))
    log.audit_mapping = pd.DataFrame(
        [("unit", u, zh[u]) for u in sorted(zh)] + [("problem", p, p_zh[p]) for p in sorted(p_zh)]
        + [("region", r, v) for r, v in sorted(regions.items())], columns=["kind", "real", "pseudonym"])
    walker = _Walker(rw, log, regions)
    out = {name: walker.walk(obj, str(name)) for name, obj in tables.items()}
    return out, log
