"""Figures for the reports: the one place that sets fonts, theme and the grade palette.

Chinese text needs a CJK font. No system font is assumed: the Noto Sans CJK SC file shipped
by the ``mplfonts`` package is registered with ``font_manager.fontManager.addfont`` and its
family name is read from the file (never guessed). seaborn resets fonts in ``set_theme``
(mwaskom/seaborn#1009), so the family is passed to ``sns.set_theme(font=...)``. Noto Sans CJK
SC has U+2212 MINUS SIGN, so ``axes.unicode_minus`` stays on.

Figures are deterministic: SVG with a fixed ``svg.hashsalt`` and no date in the metadata, so
the same data give the same bytes on a rerun.

The four grades use the domain's colours (green 绿, blue 蓝, yellow 黄, red 红) in
Okabe–Ito shades (Okabe & Ito 2008, "Color Universal Design"), and every grade cell also
carries its letter (A–D) so that readers who cannot tell the colours apart can read the grade.
"""
from __future__ import annotations

import io
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib import font_manager
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch

FONT_FILE = "NotoSansCJKsc-Regular.otf"
HASHSALT = "analysis-report"

#: grade code → (letter, colour, 中文, English); best first.
GRADES: dict[str, tuple[str, str, str, str]] = {
    "green": ("A", "#009E73", "绿", "green"),
    "blue": ("B", "#0072B2", "蓝", "blue"),
    "yellow": ("C", "#F0E442", "黄", "yellow"),
    "red": ("D", "#D55E00", "红", "red"),
}
_GRADE_ALIASES = {"绿": "green", "蓝": "blue", "黄": "yellow", "红": "red",
                  "A": "green", "B": "blue", "C": "yellow", "D": "red"}
#: text colour on each grade background with enough contrast (WCAG AA for large text)
_GRADE_TEXT = {"green": "white", "blue": "white", "yellow": "black", "red": "black"}


def cjk_font_path() -> Path:
    """Path of the Noto Sans CJK SC font inside the installed ``mplfonts`` package."""
    import mplfonts

    path = Path(mplfonts.__file__).resolve().parent / "fonts" / FONT_FILE
    if not path.is_file():
        raise FileNotFoundError(f"找不到中文字体 {path} / CJK font not found: {path} (is mplfonts installed?)")
    return path


def register_cjk_font() -> str:
    """Register the CJK font with matplotlib (idempotent) and return its family name."""
    path = cjk_font_path()
    family = font_manager.FontProperties(fname=str(path)).get_name()
    known = {f.fname for f in font_manager.fontManager.ttflist}
    if str(path) not in known:
        font_manager.fontManager.addfont(str(path))
    return family


def set_theme() -> str:
    """Apply the report theme (seaborn whitegrid + CJK font + deterministic SVG); return the family."""
    family = register_cjk_font()
    sns.set_theme(style="whitegrid", context="notebook", font=family,
                  rc={"axes.unicode_minus": True, "svg.hashsalt": HASHSALT,
                      "svg.fonttype": "path", "figure.dpi": 100, "savefig.dpi": 100,
                      "figure.figsize": (7.5, 4.2)})
    return family


def grade_code(value: object) -> str | None:
    """Normalise a grade label (``green``/``绿``/``A``) to its code, or None for missing."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    text = str(value).strip()
    if text.lower() in GRADES:
        return text.lower()
    return _GRADE_ALIASES.get(text)


def grade_label(value: object, lang: str = "zh") -> str:
    """``A 绿`` / ``A green``: letter first so the grade reads without colour."""
    code = grade_code(value)
    if code is None:
        return "—"
    letter, _, zh, en = GRADES[code]
    return f"{letter} {zh if lang == 'zh' else en}"


def grade_palette() -> dict[str, str]:
    """Grade code → hex colour."""
    return {code: spec[1] for code, spec in GRADES.items()}


def svg_bytes(fig) -> bytes:
    """Render a figure to deterministic SVG bytes (fixed hash salt, no date)."""
    buf = io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": HASHSALT}):
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    return buf.getvalue()


def grade_heatmap(grades: pd.DataFrame, scores: pd.DataFrame | None = None, lang: str = "zh",
                  ax=None, title: str | None = None):
    """Four-colour heat map of units (rows) × dimensions (columns).

    ``grades`` holds grade labels (index = unit labels, columns = dimension labels); ``scores``
    (same shape, optional) adds the score under the letter. Missing cells are light grey.
    """
    codes = grades.map(grade_code)
    order = list(GRADES)
    numeric = codes.map(lambda c: float(order.index(c)) if isinstance(c, str) else np.nan)
    if ax is None:
        height = max(2.5, 0.24 * len(grades) + 1.6)
        width = max(5.0, 0.9 * grades.shape[1] + 3.0)
        _, ax = plt.subplots(figsize=(width, height))
    cmap = ListedColormap([GRADES[c][1] for c in order]).with_extremes(bad="#dddddd")
    ax.imshow(numeric.to_numpy(dtype=float), cmap=cmap, vmin=-0.5, vmax=len(order) - 0.5, aspect="auto")
    for i in range(codes.shape[0]):
        for j in range(codes.shape[1]):
            code = codes.iat[i, j]
            if not isinstance(code, str):
                ax.text(j, i, "—", ha="center", va="center", fontsize=8, color="#555555")
                continue
            text = GRADES[code][0]
            if scores is not None and pd.notna(scores.iat[i, j]):
                text += f"\n{scores.iat[i, j]:.1f}"
            ax.text(j, i, text, ha="center", va="center", fontsize=7 if scores is None else 6,
                    color=_GRADE_TEXT[code])
    ax.set_xticks(range(grades.shape[1]), [str(c) for c in grades.columns], rotation=30, ha="right")
    ax.set_yticks(range(grades.shape[0]), [str(r) for r in grades.index])
    ax.grid(False)
    handles = [Patch(facecolor=GRADES[c][1], label=grade_label(c, lang)) for c in order]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False,
              title="等级" if lang == "zh" else "Grade")
    if title:
        ax.set_title(title)
    return ax.figure


def rank_plot(ranks: pd.DataFrame, unit: str = "unit", year: str = "year", rank: str = "rank",
              highlight: list[str] | None = None, lang: str = "zh", ax=None, title: str | None = None):
    """Bump chart of ranks over years (rank 1 at the top); highlighted units in colour."""
    if ax is None:
        _, ax = plt.subplots()
    highlight = list(highlight or [])
    for label, part in ranks.sort_values(year).groupby(unit, sort=True):
        on = label in highlight
        ax.plot(part[year], part[rank], marker="o" if on else None, lw=2.0 if on else 0.7,
                color=None if on else "#bbbbbb", alpha=1.0 if on else 0.6, zorder=3 if on else 1,
                label=str(label) if on else None)
    ax.invert_yaxis()
    ax.set_xlabel("年度" if lang == "zh" else "Year")
    ax.set_ylabel("排名" if lang == "zh" else "Rank")
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    if highlight:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    if title:
        ax.set_title(title)
    return ax.figure


def kde_plot(data: pd.DataFrame, value: str, group: str | None = None, lang: str = "zh",
             ax=None, title: str | None = None, xlabel: str | None = None):
    """Kernel density of a score, one curve per group (densities not pooled across groups)."""
    if ax is None:
        _, ax = plt.subplots()
    clean = data.dropna(subset=[value])
    if group and clean[group].nunique() > 1:
        sns.kdeplot(data=clean, x=value, hue=group, common_norm=False, ax=ax, warn_singular=False)
    else:
        sns.kdeplot(data=clean, x=value, ax=ax, warn_singular=False)
    sns.rugplot(data=clean, x=value, ax=ax, color="#444444", alpha=0.4)
    ax.set_xlabel(xlabel or value)
    ax.set_ylabel("密度" if lang == "zh" else "Density")
    if title:
        ax.set_title(title)
    return ax.figure


def trend_plot(series: pd.DataFrame, x: str = "year", y: str = "score", group: str | None = None,
               slope: float | None = None, intercept: float | None = None, lang: str = "zh",
               ax=None, title: str | None = None, ylabel: str | None = None):
    """Yearly series (one line per group) with an optional fitted line ``intercept + slope·x``."""
    if ax is None:
        _, ax = plt.subplots()
    sns.lineplot(data=series, x=x, y=y, hue=group, marker="o", ax=ax, errorbar=None)
    if slope is not None and intercept is not None and len(series):
        xs = np.array([series[x].min(), series[x].max()], dtype=float)
        ax.plot(xs, intercept + slope * xs, ls="--", color="#333333",
                label=("趋势线" if lang == "zh" else "trend line"))
        ax.legend(frameon=False)
    ax.set_xlabel("年度" if lang == "zh" else "Year")
    ax.set_ylabel(ylabel or y)
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    if title:
        ax.set_title(title)
    return ax.figure
