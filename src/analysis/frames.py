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
