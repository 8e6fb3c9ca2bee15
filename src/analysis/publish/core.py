"""Publication safety (发布安全): keys, pseudonyms, primary suppression, safe exports.

A published report must not let a reader identify a unit or a person from it, and its
downloads must not attack the reader's spreadsheet. This module provides:

- :func:`pseudonym` / :func:`pseudonymise`: stable, keyed pseudonyms for units
  (``HMAC-SHA256(key, unit_id)`` → ``单位-7F3A9C``). The key is random, created on first use and
  kept outside ``reports/`` (default ``secrets/pseudonym.key``, or ``$ANALYSIS_PSEUDONYM_KEY``),
  so the mapping is stable across runs but cannot be guessed from the public unit codes.
- :func:`suppress_small`: counts between 1 and ``k − 1`` replaced by ``"<k"`` (primary
  suppression), with the list of suppressed cells returned.
- :func:`safe_table`: the one call a report makes before showing or exporting a table:
  pseudonymise units, drop names, person columns and free text, suppress small counts.
- :func:`neutralise_formulas`: text cells (and column names) starting with ``= + - @``, tab or
  CR get a leading ``'`` (OWASP "CSV Injection"), for every exported CSV/XLSX.
- :func:`escape_html`, :func:`html_table`: every name and text from the data is HTML-escaped.

The disclosure-control steps that go beyond one table (the publication boundary, k-anonymity,
secondary suppression, the scanner) live in the sibling modules of this package.
"""
from __future__ import annotations

import hashlib
import hmac
import html
import os
import re
import secrets
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from ..catalog import SECRETS

DEFAULT_KEY_PATH = SECRETS / "pseudonym.key"
KEY_ENV = "ANALYSIS_PSEUDONYM_KEY"
PREFIX = {"zh": "单位", "en": "Unit"}
#: Free-text columns of the data model (problem descriptions, observation notes, focal-unit reasons).
FREE_TEXT_COLUMNS = ("description", "note", "focal_reason", "comment", "remarks")
#: Columns that hold unit names; dropped in publish mode (the pseudonym replaces them).
NAME_COLUMNS = ("name_zh", "name_en", "unit_name", "name", "label")
#: Columns that could hold person names; always dropped in publish mode.
PERSON_COLUMNS = ("person", "person_name", "responsible", "responsible_person", "contact", "author_of_item",
                  "姓名", "责任人", "联系人")
#: A unit pseudonym as :func:`pseudonym` writes it (either language).
PSEUDONYM_RE = re.compile(r"^(单位|Unit)-([0-9A-F]{6,64})$")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_KEY_BYTES = 32


# --------------------------------------------------------------------------- the key
def key_path(path: str | Path | None = None) -> Path:
    """Where the pseudonym key lives: ``path``, else ``$ANALYSIS_PSEUDONYM_KEY``, else
    ``secrets/pseudonym.key`` under the project root."""
    return Path(path or os.environ.get(KEY_ENV) or DEFAULT_KEY_PATH).expanduser().resolve()


def load_or_create_key(path: str | Path | None = None) -> bytes:
    """Read the pseudonym key, creating a random 256-bit key (mode 0600) on first use.

    Refuses a key path inside a ``reports`` folder: the key must never be published with the
    reports it protects.
    """
    p = key_path(path)
    if "reports" in p.parts:
        raise ValueError(f"假名密钥不能放在 reports/ 目录下:{p} / the pseudonym key must not live under reports/: {p}")
    if not p.exists():
        p.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(_KEY_BYTES) + "\n")
    text = p.read_text(encoding="ascii").strip()
    try:
        key = bytes.fromhex(text)
    except ValueError as exc:
        raise ValueError(f"假名密钥文件格式错误(应为十六进制):{p} / key file is not hex: {p}") from exc
    if len(key) < 16:
        raise ValueError(f"假名密钥过短(至少 128 位):{p} / pseudonym key too short (need ≥ 128 bits): {p}")
    return key


def resolve_key(key: bytes | str | Path | None) -> bytes:
    if isinstance(key, bytes):
        return key
    return load_or_create_key(key)


# --------------------------------------------------------------------------- pseudonyms
def pseudonym(unit_id: str, key: bytes, length: int = 6, lang: str = "zh") -> str:
    """``单位-`` + the first ``length`` hex digits of ``HMAC-SHA256(key, unit_id)``, upper case.

    Six hex digits (16.7 million values) make a collision among 100 units about 3 in 10,000;
    :func:`pseudonymise` checks and lengthens the codes if one occurs.
    Reference: RFC 2104 (HMAC); Python ``hmac``/``hashlib``.

    A value that already is a unit pseudonym is returned as it is (with the prefix of
    ``lang``): after the publication boundary (:func:`analysis.publish.publish_inputs`) a
    table holds pseudonyms, and showing it must not pseudonymise them a second time.
    """
    m = PSEUDONYM_RE.match(str(unit_id))
    if m:
        return f"{PREFIX[lang]}-{m.group(2)}"
    digest = hmac.new(key, str(unit_id).encode("utf-8"), hashlib.sha256).hexdigest().upper()
    return f"{PREFIX[lang]}-{digest[:length]}"


def pseudonym_map(unit_ids: Iterable, key: bytes | str | Path | None = None, length: int = 6,
                  lang: str = "zh") -> dict[str, str]:
    """unit_id → pseudonym for the given ids, collision-free (codes lengthened if needed)."""
    k = resolve_key(key)
    ids = sorted({str(u) for u in unit_ids if u is not None and u == u})
    for n in range(length, 65):
        out = {u: pseudonym(u, k, n, lang) for u in ids}
        if len(set(out.values())) == len(out):
            return out
    raise RuntimeError("HMAC 碰撞 / HMAC collision")  # pragma: no cover - 256-bit digest


def pseudonymise(df: pd.DataFrame, key: bytes | str | Path | None = None,
                 columns: Iterable[str] = ("unit_id", "successor_id"), lang: str = "zh",
                 mapping: dict[str, str] | None = None) -> pd.DataFrame:
    """Replace unit codes in ``columns`` by their pseudonyms and drop unit-name columns.

    Empty codes (e.g. no successor) stay empty.
    """
    out = df.copy()
    cols = [c for c in columns if c in out.columns]
    if mapping is None:
        ids = pd.unique(pd.concat([out[c] for c in cols])) if cols else []
        mapping = pseudonym_map([i for i in ids if isinstance(i, str) and i], key, lang=lang)
    for c in cols:
        out[c] = out[c].map(lambda v: mapping.get(str(v), v) if isinstance(v, str) and v else v)
    return out.drop(columns=[c for c in NAME_COLUMNS if c in out.columns])


def pseudonymise_tables(tables: dict[str, pd.DataFrame], key: bytes | str | Path | None = None,
                        lang: str = "zh") -> dict[str, pd.DataFrame]:
    """Publish mode at the source, for any report: one keyed mapping over every table.

    ``unit_id``/``successor_id`` become pseudonyms; unit-name columns (``name_zh``, ``name_en``)
    are *kept but overwritten* with the pseudonym (so a notebook that labels units by name
    shows the pseudonym without a code change); free-text columns are dropped, and so is the
    free-text ``reason`` of the ``focal_units`` table. Tables without unit codes pass unchanged.
    """
    k = resolve_key(key)
    ids = set()
    for df in tables.values():
        for c in ("unit_id", "successor_id"):
            if isinstance(df, pd.DataFrame) and c in df.columns:
                ids |= {v for v in df[c].dropna().astype(str) if v}
    zh = pseudonym_map(ids, k, lang="zh")
    en = {u: v.replace(PREFIX["zh"], PREFIX["en"], 1) for u, v in zh.items()}
    label = zh if lang == "zh" else en
    out = {}
    for name, df in tables.items():
        if not isinstance(df, pd.DataFrame):
            out[name] = df
            continue
        d = df.drop(columns=[c for c in (*FREE_TEXT_COLUMNS, *PERSON_COLUMNS) if c in df.columns])
        if name == "focal_units" and "reason" in d.columns:
            d = d.drop(columns="reason")
        if "unit_id" in d.columns:
            uid = d.unit_id.astype(str)
            if "name_zh" in d.columns:
                d["name_zh"] = uid.map(zh).fillna(d.name_zh)
            if "name_en" in d.columns:
                d["name_en"] = uid.map(en).fillna(d.name_en)
            d["unit_id"] = uid.map(label).where(d.unit_id.notna(), d.unit_id)
        if "successor_id" in d.columns:
            d["successor_id"] = d.successor_id.map(lambda v: label.get(str(v), v) if isinstance(v, str) and v else v)
        out[name] = d
    return out


# --------------------------------------------------------------------------- suppression
def _is_count_col(name: str) -> bool:
    name = str(name)
    return name == "n" or name.startswith("n_") or name.startswith("count") or name.endswith("_count")


def suppress_small(df: pd.DataFrame, count_cols: Iterable[str] | None = None, k: int = 5,
                   also: Iterable[str] = ()) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Primary suppression of small counts: cells with ``0 < count < k`` become ``"<k"``.

    Zero is not suppressed (it says nothing about an individual that "fewer than k" would
    not) and counts ≥ k are shown. Columns in ``also`` (rates or shares computed from the
    counts) are blanked in every suppressed row, so ``rate = n / N`` cannot give ``n`` back.
    Secondary (complementary) suppression is *not* done: a suppressed cell may be recovered
    from row or column totals shown elsewhere; see ``docs/methods.md``.

    Reference: Hundepool, A. et al. (2012) *Statistical Disclosure Control*, Wiley, §5.2
    (threshold rule).

    ``count_cols`` defaults to the columns named ``n``, ``n_*``, ``count*`` or ``*_count``.
    Returns the suppressed table and a table of suppressed cells ``row, column, rule``.
    """
    cols = [c for c in (count_cols if count_cols is not None else [c for c in df.columns if _is_count_col(c)])
            if c in df.columns]
    out = df.copy()
    cells = []
    hit_rows = pd.Series(False, index=out.index)
    for c in cols:
        v = pd.to_numeric(out[c], errors="coerce")
        mask = (v > 0) & (v < k)
        if mask.any():
            out[c] = out[c].astype(object)
            out.loc[mask, c] = f"<{k}"
            hit_rows |= mask
            cells += [{"row": int(i), "column": c, "rule": f"0 < n < {k}"} for i in np.flatnonzero(mask.to_numpy())]
    for c in also:
        if c in out.columns and hit_rows.any():
            out[c] = out[c].astype(object)
            out.loc[hit_rows, c] = None
            cells += [{"row": int(i), "column": c, "rule": "derived from a suppressed count"}
                      for i in np.flatnonzero(hit_rows.to_numpy())]
    return out, pd.DataFrame(cells, columns=["row", "column", "rule"])


def safe_table(df: pd.DataFrame, publish: bool = True, key: bytes | str | Path | None = None, k: int = 5,
               count_cols: Iterable[str] | None = None, also: Iterable[str] = (), internal: bool = False,
               unit_columns: Iterable[str] = ("unit_id", "successor_id"), lang: str = "zh",
               free_text: Iterable[str] = FREE_TEXT_COLUMNS, suppress: bool = True,
               quasi_identifiers: Iterable[str] | None = None) -> pd.DataFrame:
    """A table made safe to show or export.

    With ``publish=True``: unit codes are replaced by keyed pseudonyms (values that already
    are pseudonyms stay as they are), unit-name columns, person columns and free-text columns
    are dropped, and small counts are suppressed (:func:`suppress_small`; ``suppress=False``
    for tables with no counts of problems/people). A table with a unit column is also made
    k-anonymous over its quasi-identifiers (:func:`analysis.publish.k_anonymise`; default
    ``region, type, size_band``), and exact unit sizes (``staff``, ``party_members``,
    ``residents``) are dropped from it. With ``publish=False`` only the free-text columns are
    dropped, unless ``internal=True``. Person columns are dropped in every mode.

    ``result.attrs``: ``suppressed`` (a list of dicts ``row, column, rule``), ``k``,
    ``publish`` and ``k_anonymity`` (the sentence saying what k-anonymity changed, or ``""``),
    so a report can say what was done.
    """
    from .kanon import QUASI_IDENTIFIERS, SIZE_COLUMNS, k_anonymise

    out = df.drop(columns=[c for c in PERSON_COLUMNS if c in df.columns])
    if not internal:
        out = out.drop(columns=[c for c in free_text if c in out.columns])
    cells = pd.DataFrame(columns=["row", "column", "rule"])
    note = ""
    if publish:
        out = pseudonymise(out, key, unit_columns, lang=lang)
        unit_col = next((c for c in unit_columns if c in out.columns), None)
        if unit_col is not None:
            out = out.drop(columns=[c for c in SIZE_COLUMNS if c in out.columns])
            qis = QUASI_IDENTIFIERS if quasi_identifiers is None else tuple(quasi_identifiers)
            out, note = k_anonymise(out, qis, k, unit_col=unit_col, lang=lang)
        if suppress:
            out, cells = suppress_small(out.reset_index(drop=True), count_cols, k, also)
    out.attrs = {"suppressed": cells.to_dict(orient="records"), "k": k, "publish": publish, "k_anonymity": note}
    return out


def suppression_note(table: pd.DataFrame, lang: str = "zh") -> str:
    """One sentence saying which cells of a :func:`safe_table` result were suppressed, and what
    k-anonymity changed (empty when nothing was done)."""
    cells = table.attrs.get("suppressed", [])
    k = table.attrs.get("k", 5)
    kanon = table.attrs.get("k_anonymity", "")
    if not cells:
        return kanon
    where = sorted({c["column"] for c in cells})
    if lang == "zh":
        text = (f"小于 {k} 的计数已抑制(显示为“<{k}”),共 {len(cells)} 个单元格,涉及列:{'、'.join(where)};"
                "未做二次抑制。")
    else:
        text = (f"Counts below {k} are suppressed (shown as '<{k}'): {len(cells)} cells in columns "
                f"{', '.join(where)}; no secondary suppression.")
    return " ".join(t for t in (text, kanon) if t)


# --------------------------------------------------------------------------- exports
def neutralise_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """Prefix ``'`` to text cells and column names that a spreadsheet would run as a formula.

    A cell is neutralised when it is text starting with ``=``, ``+``, ``-``, ``@``, tab or
    carriage return (OWASP, "CSV Injection"). Numbers are left alone: a negative number is
    data, not a formula.
    """
    def fix(value):
        return "'" + value if isinstance(value, str) and value.startswith(FORMULA_START) else value

    out = df.copy()
    for col in out.columns:
        s = out[col]
        if s.dtype == object or pd.api.types.is_string_dtype(s):
            out[col] = s.astype(object).map(fix)
    out.columns = [fix(c) if isinstance(c, str) else c for c in out.columns]
    return out


def escape_html(value) -> str:
    """HTML-escape any value from the data (``<script>`` renders as text)."""
    return html.escape("" if value is None else str(value), quote=True)


def html_table(df: pd.DataFrame, **kwargs) -> str:
    """A plain HTML table with every header and cell escaped."""
    kwargs.setdefault("index", False)
    return df.to_html(escape=True, **kwargs)
