"""The disclosure scan (发布前检查): is any real identifier left in a folder about to be published?

:func:`forbidden_strings` lists what must never be published (unit codes, successor codes, unit
names in both languages, problem ids, problem descriptions) from the warehouse frames;
:func:`scan_artifacts` reads every file of a folder the way a reader could, and reports every
occurrence.

What is read, and how:

- text files (HTML, CSV, TSV, Markdown, JSON, notebooks, YAML, SVG, XML) raw, HTML-unescaped,
  and, for JSON and notebooks, as their decoded strings (``\\uXXXX`` escapes);
- ``data:`` URIs inside any text file (the downloads embedded in the HTML pages, figures, the
  compressed rows of long tables): base64 or percent-encoded payloads are decoded and read by
  their MIME type, so an embedded XLSX is read cell by cell and gzip is inflated (the rows of a
  long table, :func:`analysis.report.table_payload`, are read as JSON); the encoded payload
  itself is taken out of the page text first (a base64 alphabet run can spell ``U042`` by
  chance);
- XLSX cell by cell and sheet names (openpyxl), zip members recursively, Parquet through DuckDB;
- PNG: only its text chunks (``tEXt``, ``iTXt``, ``zTXt``), the part of an image that holds
  words; other binary files are decoded as text with replacement characters (a miss is worse
  than a false alarm).

Matching: a forbidden string whose first (last) character is an ASCII letter or digit matches
only where the character before (after) it is not one: ``U04`` does not match inside ``U042``,
while ``U042`` matches in ``单位U042年``, ``units/U042.html`` and ``"U042"``. Names written in
Chinese characters match anywhere.
"""
from __future__ import annotations

import base64
import binascii
import gzip
import html
import io
import json
import re
import tempfile
import urllib.parse
import zipfile
import zlib
from pathlib import Path
from typing import Iterable

import pandas as pd

TEXT_SUFFIXES = {".html", ".htm", ".csv", ".txt", ".md", ".json", ".ipynb", ".yaml", ".yml", ".svg", ".xml",
                 ".tsv", ".log", ".py", ".js", ".css"}
#: MIME type of a ``data:`` URI → the suffix its payload is read as
MIME_SUFFIX = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/zip": ".zip", "application/json": ".json", "text/csv": ".csv", "text/plain": ".txt",
    "text/html": ".html", "image/svg+xml": ".svg", "image/png": ".png", "application/vnd.apache.parquet": ".parquet",
    "application/gzip": ".gz",
}
DATA_URI = re.compile(r"data:([\w.+\-]+/[\w.+\-]+)?((?:;[\w.+\-]+=[^;,\"'\s]*)*)(;base64)?,([^\"'\s)<>]*)",
                      re.IGNORECASE)
SCAN_COLUMNS = ["path", "member", "forbidden", "position", "context"]
_ASCII_ALNUM = re.compile(r"[0-9A-Za-z]")
MAX_DEPTH = 5
FILE_NAME = "(文件名 / file name)"


# --------------------------------------------------------------------------- what is forbidden
def forbidden_strings(units: pd.DataFrame, problems: pd.DataFrame | None = None,
                      extra: Iterable[str] = ()) -> list[str]:
    """Everything that identifies a unit or a problem, from the warehouse frames.

    From ``units``: ``unit_id``, ``successor_id``, ``name_zh``, ``name_en`` (and ``name`` /
    ``unit_name`` when present); from ``problems``: ``problem_id`` and ``description``; plus
    ``extra``. Empty and one-character values are left out (they would match everywhere).
    Returns a sorted list without duplicates.

    >>> units = pd.DataFrame({"unit_id": ["U001", "U002"], "name_zh": ["青松区", "翠湖区"],
    ...                       "name_en": ["County U001 (Qingsong)", "County U002 (Cuihu)"],
    ...                       "successor_id": ["", "U001"]})
    >>> problems = pd.DataFrame({"problem_id": ["P2021-00001"], "description": ["青松区某支部记录不全"]})
    >>> forbidden_strings(units, problems)
    ['County U001 (Qingsong)', 'County U002 (Cuihu)', 'P2021-00001', 'U001', 'U002', '翠湖区', '青松区', '青松区某支部记录不全']
    """
    values: list = list(extra)
    for col in ("unit_id", "successor_id", "name_zh", "name_en", "name", "unit_name"):
        if col in units.columns:
            values += units[col].dropna().tolist()
    if problems is not None:
        for col in ("problem_id", "description"):
            if col in problems.columns:
                values += problems[col].dropna().tolist()
    return sorted({str(v).strip() for v in values if isinstance(v, str) and len(str(v).strip()) >= 2})


def find_token(text: str, needle: str, start: int = 0) -> int:
    """Position of ``needle`` in ``text`` as a whole token (see the module docstring), or -1.

    >>> find_token("单位U042年", "U042"), find_token("U0421", "U042"), find_token("xU042", "U042")
    (2, -1, -1)
    >>> find_token("units/U042.html", "U042"), find_token("青松区所属", "青松区")
    (6, 0)
    """
    left = bool(_ASCII_ALNUM.match(needle[:1]))
    right = bool(_ASCII_ALNUM.match(needle[-1:]))
    pos = text.find(needle, start)
    while pos >= 0:
        before = text[pos - 1] if pos > 0 else ""
        end = pos + len(needle)
        after = text[end] if end < len(text) else ""
        if not (left and before and _ASCII_ALNUM.match(before)) and not (right and after and _ASCII_ALNUM.match(after)):
            return pos
        pos = text.find(needle, pos + 1)
    return -1


# --------------------------------------------------------------------------- reading files
def _decode(data: bytes) -> str:
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", errors="replace")


IMAGE_KEYS = ("image/png", "image/jpeg", "image/gif")


def _json_strings(obj) -> Iterable[str]:
    """Every string of a JSON document; base64 images (notebook outputs) as their PNG text
    chunks, since a base64 run can spell a code by chance."""
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield str(k)
            if k in IMAGE_KEYS and isinstance(v, (str, list)):
                try:
                    yield png_text(base64.b64decode("".join(v) if isinstance(v, list) else v))
                    continue
                except (binascii.Error, ValueError):
                    pass
            yield from _json_strings(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _json_strings(v)


def png_text(data: bytes) -> str:
    """The text chunks of a PNG file (``tEXt``, ``zTXt``, ``iTXt``; PNG specification §11.3.4),
    keyword and text joined by newlines. Pixels hold no searchable text."""
    out, pos = [], 8
    while pos + 8 <= len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        try:
            if kind == b"tEXt":
                out.append(body.replace(b"\0", b"\n").decode("latin-1"))
            elif kind == b"zTXt":
                keyword, _, rest = body.partition(b"\0")
                out.append(keyword.decode("latin-1") + "\n" + zlib.decompress(rest[1:]).decode("latin-1"))
            elif kind == b"iTXt":
                keyword, _, rest = body.partition(b"\0")
                compressed, rest = rest[0], rest[2:]
                _lang, _, rest = rest.partition(b"\0")
                _translated, _, text = rest.partition(b"\0")
                text = zlib.decompress(text) if compressed else text
                out.append(keyword.decode("latin-1") + "\n" + text.decode("utf-8", errors="replace"))
        except (zlib.error, IndexError):
            out.append(body.decode("utf-8", errors="replace"))
        if kind == b"IEND":
            break
    return "\n".join(out)


def _data_uris(text: str) -> tuple[str, list[tuple[str, bytes]]]:
    """The text with every ``data:`` payload cut out, and the decoded payloads ``(suffix, bytes)``."""
    found: list[tuple[str, bytes]] = []

    def cut(m: re.Match) -> str:
        mime = (m.group(1) or "text/plain").lower()
        payload = m.group(4)
        try:
            data = (base64.b64decode(re.sub(r"\s+", "", payload) + "=" * (-len(payload) % 4))
                    if m.group(3) else urllib.parse.unquote_to_bytes(payload))
        except (binascii.Error, ValueError):
            return m.group(0)  # not decodable: keep it in the text, where it is searched as it is
        found.append((MIME_SUFFIX.get(mime, ".bin"), data))
        return f"data:{mime},[{len(found) - 1}]"

    return DATA_URI.sub(cut, text), found


def _texts_of(name: str, data: bytes, depth: int = 0) -> Iterable[tuple[str, str]]:
    """(member, text) pairs to search in one file's bytes; recurses into zips and data URIs."""
    suffix = Path(name).suffix.lower()
    if depth > MAX_DEPTH:
        yield name, "<nested too deep>"
        return
    if suffix in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        for ws in wb.worksheets:
            cells = [str(v) for row in ws.iter_rows(values_only=True) for v in row if v is not None]
            yield f"{name}!{ws.title}", ws.title + "\n" + "\n".join(cells)
        return
    if suffix == ".zip" or (suffix not in TEXT_SUFFIXES and zipfile.is_zipfile(io.BytesIO(data))):
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for info in zf.infolist():
                if not info.is_dir():
                    # member names are published too (units/U042.html)
                    yield f"{name}/{info.filename} {FILE_NAME}", info.filename
                    yield from _texts_of(f"{name}/{info.filename}", zf.read(info), depth + 1)
        return
    if suffix == ".parquet":
        import duckdb

        with tempfile.NamedTemporaryFile(suffix=".parquet") as tmp:
            tmp.write(data)
            tmp.flush()
            df = duckdb.sql(f"SELECT * FROM read_parquet('{tmp.name}')").df()
        yield name, " ".join(map(str, df.columns)) + "\n" + df.astype(str).to_csv(index=False)
        return
    if suffix == ".png" or data[:8] == b"\x89PNG\r\n\x1a\n":
        yield name, png_text(data)
        return
    if suffix == ".gz" or data[:2] == b"\x1f\x8b":
        try:
            inner = gzip.decompress(data)
        except (OSError, EOFError):
            inner = None  # not gzip after all: read as it is below
        if inner is not None:
            # the rows of a long table are JSON: read as JSON (decoded strings) when they parse
            stem = name[:-3] if suffix == ".gz" else name
            yield from _texts_of(stem + ".json" if inner.lstrip()[:1] in (b"{", b"[") else stem, inner, depth + 1)
            return
    text, embedded = _data_uris(_decode(data))
    parts = [text, html.unescape(text)]
    if suffix in (".json", ".ipynb"):
        try:
            # the decoded strings hold everything the raw text does (\uXXXX escapes decoded),
            # without the raw base64 of image outputs
            parts = ["\n".join(_json_strings(json.loads(text)))]
        except ValueError:
            pass
    yield name, "\n".join(parts)
    for i, (sub_suffix, payload) in enumerate(embedded):
        yield from _texts_of(f"{name}#data{i}{sub_suffix}", payload, depth + 1)


def scan_artifacts(paths: Iterable[str | Path], forbidden_strings: Iterable[str]) -> pd.DataFrame:
    """Every occurrence of a forbidden string in the files under ``paths``.

    ``paths`` are files or folders (searched recursively, file names included). Returns one
    row per file, member and forbidden string: ``path`` (the file), ``member`` (the file name,
    ``book.xlsx!Sheet1``, ``pkg.zip/data/units.csv``, ``page.html#data3.xlsx!Sheet1`` for the
    fourth ``data:`` URI of a page), ``forbidden``, ``position`` (first occurrence in the
    member's text) and ``context`` (a few characters either side, for the analyst). Empty when
    the folder is clean. Matching as in :func:`find_token`.
    """
    forbidden = sorted({s for s in forbidden_strings if isinstance(s, str) and s.strip()})
    roots = list(map(Path, paths))
    files: list[tuple[Path, str]] = []
    for p in roots:
        if p.is_dir():
            files += [(q, str(q.relative_to(p))) for q in sorted(p.rglob("*")) if q.is_file()]
        else:
            files.append((p, p.name))
    rows = []
    for f, rel in files:
        texts = [(f"{rel} {FILE_NAME}", rel)] + list(_texts_of(f.name, f.read_bytes()))
        for member, text in texts:
            for s in forbidden:
                pos = find_token(text, s)
                if pos >= 0:
                    rows.append({"path": str(f), "member": member, "forbidden": s, "position": pos,
                                 "context": text[max(0, pos - 20):pos + len(s) + 20].replace("\n", " ")})
    return pd.DataFrame(rows, columns=SCAN_COLUMNS).drop_duplicates(["path", "member", "forbidden"]).reset_index(drop=True)


# --------------------------------------------------------------------------- what may be in a published folder
#: Suffixes of files a published folder may hold: pages, tables, figures, packages for partners.
PUBLISHABLE_SUFFIXES = frozenset({".html", ".csv", ".xlsx", ".png", ".svg", ".zip", ".css", ".js"})
#: Folders of a run that hold audit material only (parameters, kernel logs, the inputs cache).
AUDIT_FOLDERS = frozenset({"params", "logs", ".cache"})


def unpublishable_files(folder: str | Path) -> list[Path]:
    """Files under ``folder`` that belong in the audit folder, not a published one.

    Audit material: executed notebooks (``.ipynb``), sidecars and manifests (``.json``),
    parameter files (``.yaml``), logs, caches, keys — any suffix outside
    :data:`PUBLISHABLE_SUFFIXES` — and anything under ``params/``, ``logs/`` or ``.cache/``.
    Returns the paths, sorted (empty for a clean published folder).
    """
    root = Path(folder)
    out = []
    for p in sorted(root.rglob("*")):
        if not p.is_file():
            continue
        parts = set(p.relative_to(root).parts[:-1])
        if p.suffix.lower() not in PUBLISHABLE_SUFFIXES or parts & AUDIT_FOLDERS:
            out.append(p)
    return out
