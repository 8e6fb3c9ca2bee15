"""Small helpers the analysis modules share: column lists, column checks and reason strings.

One public home for what used to be repeated as private helpers in several modules
(``_as_list`` in ``regions``, ``yearly``, ``problems`` and ``trends._long``).

>>> as_list(None), as_list("region"), as_list(("node", "year"))
([], ['region'], ['node', 'year'])
>>> join_reasons([None, "a / A", "", "a / A", "b / B"])
'a / A; b / B'
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from .errors import ConfigError


def as_list(columns) -> list:
    """``None`` → ``[]``, one name → ``[name]``, any other iterable → a list of its items."""
    if columns is None:
        return []
    if isinstance(columns, str):
        return [columns]
    return list(columns)


def check_columns(data: pd.DataFrame, columns: Iterable[str]) -> None:
    """Raise :class:`~analysis.errors.ConfigError` (中文 / English) if ``data`` is not a
    DataFrame or lacks any of ``columns``; the message names the missing columns."""
    if not isinstance(data, pd.DataFrame):
        raise ConfigError("data 须为 DataFrame / data must be a pandas DataFrame")
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise ConfigError(f"数据中没有列 {missing} / column(s) {missing} not found in data")


def join_reasons(reasons: Iterable[str | None]) -> str | None:
    """Join the non-empty reasons with ``"; "`` (each once, in first-seen order); ``None`` if none."""
    out = [r for r in reasons if r]
    return "; ".join(dict.fromkeys(out)) if out else None


def repeated_text(data: pd.DataFrame, min_rows: int = 1000) -> dict:
    """The text (``str`` dtype) columns of ``data`` whose values repeat (fewer distinct values
    than half the rows: unit and indicator codes of a panel, not free text), each as a
    categorical Series. Frames shorter than ``min_rows`` have none: there is nothing to gain.

    >>> d = pd.DataFrame({"unit": pd.array(["U1", "U2"] * 600, dtype="str"),
    ...                   "note": pd.array([f"n{i}" for i in range(1200)], dtype="str")})
    >>> {c: list(s.cat.categories) for c, s in repeated_text(d).items()}   # 2 codes in 1,200 rows; notes all differ
    {'unit': ['U1', 'U2']}
    >>> repeated_text(d.head(10))
    {}
    """
    if len(data) < min_rows or data.columns.has_duplicates:
        return {}
    out = {}
    for c in data.columns:
        if isinstance(data[c].dtype, pd.StringDtype):
            cat = pd.Series(_categorical(data[c]), index=data.index, name=c)
            if len(cat.cat.categories) < len(data) // 2:
                out[c] = cat
    return out


def _categorical(values: pd.Series) -> pd.Categorical:
    """``values`` as a categorical with sorted categories, as ``astype("category")`` gives it,
    but factorised as objects (a string caches its hash) and sorted over the distinct values
    only: 40 % less time on a national panel's columns of 2 M codes."""
    codes, uniques = pd.factorize(values.to_numpy(dtype=object))
    order = np.argsort(uniques)
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return pd.Categorical.from_codes(np.where(codes >= 0, rank[codes], -1),
                                     categories=pd.Index(uniques[order], dtype=values.dtype))


def coded(data: pd.DataFrame, columns: Iterable[str], like: pd.DataFrame | None = None) -> pd.DataFrame:
    """A copy of ``data`` with the ``columns`` it has as categoricals with sorted categories (those
    of the same column of ``like`` where they hold every value), so that orders are unchanged.
    Grouping, sorting and joining then work on integer codes instead of hashing text: seconds for
    the millions of rows of a national panel. :func:`decoded` undoes it.

    >>> d = coded(pd.DataFrame({"u": pd.array(["U2", "U1", "U2"], dtype="str"), "x": [1, 2, 3]}), ["u", "v"])
    >>> list(d.u.cat.categories), d.u.cat.codes.tolist()
    (['U1', 'U2'], [1, 0, 1])
    """
    out = data.copy()
    for c in columns:
        if c not in out.columns or isinstance(out[c].dtype, pd.CategoricalDtype):
            continue
        cats = like[c].cat.categories if like is not None and c in like.columns else None
        known = cats is not None and bool(out[c].dropna().isin(cats).all())
        out[c] = pd.Categorical(out[c], categories=cats) if known else _categorical(out[c])
    return out


def decoded(data: pd.DataFrame, like: pd.DataFrame) -> pd.DataFrame:
    """``data`` with its categorical columns back to the dtype of the same column in ``like``
    (``str`` where ``like`` has no such column); :func:`coded` in reverse.

    >>> d = pd.DataFrame({"u": pd.array(["U2", "U1"], dtype="str")})
    >>> back = decoded(coded(d, ["u"]), like=d)
    >>> back.u.equals(d.u), back.u.dtype == d.u.dtype
    (True, True)
    """
    out = data.copy(deep=False)
    for c in out.columns:
        if isinstance(out[c].dtype, pd.CategoricalDtype):
            out[c] = out[c].astype(like[c].dtype if c in like.columns else "str")
    return out
