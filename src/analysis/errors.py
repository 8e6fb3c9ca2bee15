"""Errors that name the place and the reason, in Chinese and English.

Every input problem is a :class:`Issue` (file, sheet, row, column, value, reason); a
failed validation raises :class:`InputError` carrying *all* issues of the batch at once.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd


@dataclass(frozen=True)
class Issue:
    """One problem found in an input file.

    ``row`` is the 1-based row number as a researcher sees it in a spreadsheet
    (the header is row 1, the first data row is row 2), or ``None`` for file-level issues.
    """

    file: str
    reason_zh: str
    reason_en: str
    row: int | None = None
    column: str | None = None
    value: object = None
    sheet: str | None = None

    def place(self) -> str:
        parts = [self.file]
        if self.sheet:
            parts.append(f"sheet {self.sheet}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column}")
        return ", ".join(parts)

    def __str__(self) -> str:
        value = "" if self.value is None else f" value={self.value!r}"
        return f"{self.place()}{value}: {self.reason_zh} / {self.reason_en}"


class AnalysisError(Exception):
    """Base class of the errors this package raises on purpose."""


class InputError(AnalysisError):
    """A batch of input failed validation; nothing of it was stored."""

    SHOWN = 200  # the message lists this many; a systematic error in 80,000 rows needs no 80,000 lines

    def __init__(self, issues: list[Issue]):
        self.issues = list(issues)
        head = f"输入数据有 {len(self.issues)} 处错误,未写入任何数据 / {len(self.issues)} input error(s); nothing was stored"
        lines = [f"  - {i}" for i in self.issues[:self.SHOWN]]
        if len(self.issues) > self.SHOWN:
            rest = len(self.issues) - self.SHOWN
            lines.append(f"  … 另有 {rest} 处错误(完整列表见 InputError.to_frame())/ {rest} more (all of them in "
                         "InputError.to_frame())")
        super().__init__(head + "\n" + "\n".join(lines))

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([asdict(i) for i in self.issues])


class ConfigError(AnalysisError):
    """A run configuration or parameter file is invalid (message names key and reason)."""



class WarehouseError(AnalysisError):
    """The warehouse file cannot be opened or written (damaged, locked, newer); the message says what to do."""


class WarehouseLocked(WarehouseError):
    """Another process holds the warehouse's write lock and did not release it in time."""
