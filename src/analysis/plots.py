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
from matplotlib.collections import LineCollection
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
        # cells large enough for a 9–10 pt letter and score (two lines) at the page's width
        height = max(2.5, (0.26 if scores is None else 0.42) * len(grades) + 1.6)
        width = max(5.0, 1.0 * grades.shape[1] + 3.0)
        _, ax = plt.subplots(figsize=(width, height))
    cmap = ListedColormap([GRADES[c][1] for c in order]).with_extremes(bad="#dddddd")
    ax.imshow(numeric.to_numpy(dtype=float), cmap=cmap, vmin=-0.5, vmax=len(order) - 0.5, aspect="auto")
    for i in range(codes.shape[0]):
        for j in range(codes.shape[1]):
            code = codes.iat[i, j]
            if not isinstance(code, str):
                ax.text(j, i, "—", ha="center", va="center", fontsize=10, color="#555555")
                continue
            text = GRADES[code][0]
            if scores is not None and pd.notna(scores.iat[i, j]):
                text += f"\n{scores.iat[i, j]:.1f}"
            ax.text(j, i, text, ha="center", va="center", fontsize=10 if scores is None else 9,
                    color=_GRADE_TEXT[code])
    ax.set_xticks(range(grades.shape[1]), [str(c) for c in grades.columns], rotation=30, ha="right")
    ax.set_yticks(range(grades.shape[0]), [str(r) for r in grades.index])
    ax.grid(False)
    omitted = grades.attrs.get("omitted")  # (rows kept at the top, units in all): see summaries.dimension_grid
    if omitted:
        ax.axhline(omitted[0] - 0.5, color="#222222", lw=2.5)
        left_out = omitted[1] - grades.shape[0]
        ax.text((grades.shape[1] - 1) / 2, omitted[0] - 0.5, _t(lang, f"此处省略 {left_out} 个单位", f"{left_out} units left out"),
                ha="center", va="center", fontsize=10, color="#222222",
                bbox={"boxstyle": "round,pad=0.3", "facecolor": "white", "edgecolor": "#222222"})
    handles = [Patch(facecolor=GRADES[c][1], label=grade_label(c, lang)) for c in order]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False,
              title="等级" if lang == "zh" else "Grade")
    if title:
        ax.set_title(title)
    zh = f"{grades.shape[0]} 行 × {grades.shape[1]} 列的四色等级图" + ("(格内为等级与得分)" if scores is not None else "")
    en = (f"four-colour grade map of {grades.shape[0]} rows × {grades.shape[1]} columns"
          + (" (letter and score in each cell)" if scores is not None else ""))
    if omitted:
        top, total = omitted
        bottom = grades.shape[0] - top
        zh += f";共 {total} 个单位,图中为前 {top} 个与后 {bottom} 个(黑线处省略中间 {total - top - bottom} 个),全部单位见下表"
        en += (f"; of {total} units the first {top} and the last {bottom} are drawn (the black line marks the "
               f"{total - top - bottom} left out); every unit is in the table below")
    _caption(ax.figure, zh, en)
    return ax.figure


#: at most this many coloured series share one set of axes; beyond it figures switch to small
#: multiples (one panel per group) or to a summary band with the top-N highlighted
MAX_SERIES = 6
#: at most this many panels in a small-multiples figure; beyond it the summary band is drawn
MAX_PANELS = 24
#: grey for context (all units) behind highlighted series
_CONTEXT = "#c8c8c8"


def _t(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


def _caption(fig, zh: str, en: str) -> None:
    """Record what the figure draws (``Report.figure`` appends it to the caption)."""
    fig.analysis_caption = {"zh": zh, "en": en}


def caption_of(fig, lang: str = "zh") -> str:
    """The generated description of what a figure of this module draws ('' for other figures)."""
    return getattr(fig, "analysis_caption", {}).get(lang, "")


def _names(values, lang: str) -> list[str]:
    from .glossary import value_label

    return [value_label(v, lang) for v in values]


def _legend_outside(ax, title: str | None = None, handles=None, labels=None) -> None:
    kwargs = {"loc": "upper left", "bbox_to_anchor": (1.01, 1.0), "frameon": False, "borderaxespad": 0.0}
    if handles is not None:
        ax.legend(handles, labels, title=title, **kwargs)
    else:
        ax.legend(title=title, **kwargs)


def _grid(n: int, ncols: int = 4, width: float = 2.3, height: float = 1.9, sharex=True, sharey=True):
    ncols = min(ncols, n)
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols + 0.6, height * nrows + 0.6),
                             sharex=sharex, sharey=sharey, squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, list(axes.flat[:n])


def rank_plot(ranks: pd.DataFrame, unit: str = "unit", year: str = "year", rank: str = "rank",
              highlight: list[str] | None = None, lang: str = "zh", ax=None, title: str | None = None):
    """Bump chart of ranks over years (rank 1 at the top): all units in grey, at most
    :data:`MAX_SERIES` highlighted units in colour with the legend outside the axes."""
    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 4.2))
    highlight = [h for h in (highlight or []) if h in set(ranks[unit])][:MAX_SERIES]
    n_units = ranks[unit].nunique()
    context = ranks[~ranks[unit].isin(highlight)].sort_values([unit, year])
    ids = context[unit].to_numpy()  # sorted: each unit's rows are one run, cut where the unit changes
    lines = np.split(context[[year, rank]].to_numpy(dtype=float), np.flatnonzero(ids[1:] != ids[:-1]) + 1) \
        if len(context) else []
    # one collection for the grey lines; beyond a few hundred units it is drawn as an image
    # inside the SVG, so a national panel's chart stays light to draw and to send
    ax.add_collection(LineCollection(lines, linewidths=0.7, colors=_CONTEXT, alpha=0.6, zorder=1,
                                     rasterized=len(lines) > 300))
    ax.autoscale_view()
    for label in highlight:
        part = ranks[ranks[unit] == label].sort_values(year)
        ax.plot(part[year], part[rank], marker="o", lw=2.0, zorder=3, label=str(label))
    ax.invert_yaxis()
    ax.set_xlabel(_t(lang, "年度", "Year"))
    ax.set_ylabel(_t(lang, "排名", "Rank"))
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    if highlight:
        _legend_outside(ax)
    if title:
        ax.set_title(title)
    shown = "、".join(map(str, highlight)) if lang == "zh" else ", ".join(map(str, highlight))
    _caption(ax.figure, f"灰线为全部 {n_units} 个单位,彩色突出 {len(highlight)} 个:{shown}" if highlight
             else f"灰线为全部 {n_units} 个单位",
             f"grey lines: all {n_units} units; highlighted in colour: {shown}" if highlight
             else f"grey lines: all {n_units} units")
    return ax.figure


def _bounds(values: pd.Series, bounds):
    if bounds == "auto":
        lo, hi = values.min(), values.max()
        return (0.0, 100.0) if lo >= 0 and hi <= 100 else None
    return bounds


def kde_plot(data: pd.DataFrame, value: str, group: str | None = None, lang: str = "zh",
             ax=None, title: str | None = None, xlabel: str | None = None, bounds="auto"):
    """Kernel density of a score with a rug of the observations.

    Densities are clipped to ``bounds`` (``"auto"``: 0–100 when every value lies in it, the
    range of the index; ``None``: unbounded) so that no density runs past a bounded score. Up to
    :data:`MAX_SERIES` groups share one axes (densities not pooled across groups, legend outside
    the data); more groups are drawn as small multiples, one panel per group on a shared x axis.
    """
    from .glossary import column_label

    clean = data.dropna(subset=[value]).copy()
    clip = _bounds(clean[value], bounds)
    kde_kw = {"warn_singular": False, "cut": 0 if clip else 3}
    if clip:
        kde_kw["clip"] = clip
    label = xlabel or column_label(value, lang)
    groups = sorted(clean[group].dropna().unique(), key=str) if group else []
    if group and len(groups) > MAX_SERIES and ax is None:
        fig, axes = _grid(len(groups), sharey=False)
        for axis, g, name in zip(axes, groups, _names(groups, lang)):
            part = clean[clean[group] == g]
            if part[value].nunique() > 1:
                sns.kdeplot(data=part, x=value, ax=axis, fill=True, alpha=0.3, **kde_kw)
            sns.rugplot(data=part, x=value, ax=axis, color="#444444", alpha=0.5)
            axis.set_title(f"{name}(n={len(part)})" if lang == "zh" else f"{name} (n={len(part)})", fontsize=9)
            axis.set_xlabel("")
            axis.set_ylabel("")
            axis.set_yticks([])
            if clip:
                axis.set_xlim(*clip)
        fig.supxlabel(label)
        fig.supylabel(_t(lang, "密度", "Density"))
        if title:
            fig.suptitle(title)
        fig.tight_layout()
        _caption(fig, f"{len(groups)} 个{column_label(group, 'zh')}各一幅小图,横轴相同" + (f",密度限定在 {clip[0]:g}–{clip[1]:g}" if clip else ""),
                 f"one panel per {column_label(group, 'en').lower()} ({len(groups)}), same x axis" + (f"; densities bounded to {clip[0]:g}–{clip[1]:g}" if clip else ""))
        return fig
    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 4.2))
    if group and len(groups) > 1:
        shown = clean.assign(**{group: _names(clean[group], lang)})
        sns.kdeplot(data=shown, x=value, hue=group, hue_order=_names(groups, lang), common_norm=False, ax=ax, **kde_kw)
        legend = ax.get_legend()
        if legend is not None:
            sns.move_legend(ax, "upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, title=column_label(group, lang))
        desc_zh = f"按{column_label(group, 'zh')}分 {len(groups)} 条密度曲线:" + "、".join(_names(groups, "zh"))
        desc_en = f"{len(groups)} density curves by {column_label(group, 'en').lower()}: " + ", ".join(_names(groups, "en"))
    else:
        sns.kdeplot(data=clean, x=value, ax=ax, **kde_kw)
        desc_zh, desc_en = f"全部 {len(clean)} 个观测的一条密度曲线", f"one density curve of all {len(clean)} observations"
    sns.rugplot(data=clean, x=value, ax=ax, color="#444444", alpha=0.4)
    if clip:
        ax.set_xlim(*clip)
        desc_zh += f",密度限定在 {clip[0]:g}–{clip[1]:g}"
        desc_en += f"; densities bounded to {clip[0]:g}–{clip[1]:g}"
    ax.set_xlabel(label)
    ax.set_ylabel(_t(lang, "密度", "Density"))
    if title:
        ax.set_title(title)
    _caption(ax.figure, desc_zh, desc_en)
    return ax.figure


def trend_plot(series: pd.DataFrame, x: str = "year", y: str = "score", group: str | None = None,
               slope: float | None = None, intercept: float | None = None, lang: str = "zh",
               ax=None, title: str | None = None, ylabel: str | None = None,
               highlight: list | None = None):
    """Yearly series with an optional fitted line ``intercept + slope·x``, scaled to the number of groups.

    * up to :data:`MAX_SERIES` groups: one line per group, legend outside the data;
    * up to :data:`MAX_PANELS` groups: small multiples, one panel per group, shared axes;
    * more: the median across groups with its interquartile band, and at most
      :data:`MAX_SERIES` highlighted groups (``highlight``, else the three highest and three
      lowest in the last year).
    """
    from .glossary import column_label

    ylabel = ylabel or column_label(y, lang)
    groups = sorted(series[group].dropna().unique(), key=str) if group else []
    xlabel = _t(lang, "年度", "Year") if x == "year" else column_label(x, lang)
    if group and MAX_SERIES < len(groups) <= MAX_PANELS and ax is None:
        fig, axes = _grid(len(groups))
        for axis, g, name in zip(axes, groups, _names(groups, lang)):
            for other, part in series.groupby(group):
                if other != g:
                    axis.plot(part[x], part[y], lw=0.6, color=_CONTEXT, zorder=1)
            part = series[series[group] == g].sort_values(x)
            axis.plot(part[x], part[y], marker="o", ms=3, lw=1.8, color="#0072B2", zorder=3)
            axis.set_title(name, fontsize=9)
            axis.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True, nbins=3))
        fig.supxlabel(xlabel)
        fig.supylabel(ylabel)
        if title:
            fig.suptitle(title)
        fig.tight_layout()
        _caption(fig, f"{len(groups)} 个{column_label(group, 'zh')}各一幅小图(蓝线),灰线为其余各组",
                 f"one panel per {column_label(group, 'en').lower()} ({len(groups)}, blue), the others in grey")
        return fig
    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 4.2))
    if group and len(groups) > MAX_PANELS:
        wide = series.pivot_table(index=x, columns=group, values=y, aggfunc="mean").sort_index()
        q1, med, q3 = wide.quantile(0.25, axis=1), wide.median(axis=1), wide.quantile(0.75, axis=1)
        ax.fill_between(wide.index, q1, q3, color="#bcd3e6", alpha=0.7,
                        label=_t(lang, "四分位区间", "interquartile range"))
        ax.plot(wide.index, med, color="#333333", lw=2.0, label=_t(lang, "中位数", "median"))
        if highlight is None:
            last = wide.ffill().iloc[-1].dropna().sort_values()
            highlight = list(last.index[-3:][::-1]) + list(last.index[:3])
        highlight = [h for h in highlight if h in wide.columns][:MAX_SERIES]
        for h in highlight:
            ax.plot(wide.index, wide[h], marker="o", ms=3, lw=1.4, label=_names([h], lang)[0])
        _legend_outside(ax)
        _caption(ax.figure, f"{len(groups)} 组的中位数(黑线)与四分位区间(色带),突出 {len(highlight)} 组",
                 f"median (black) and interquartile band of {len(groups)} groups; {len(highlight)} highlighted")
    else:
        shown = series.assign(**{group: _names(series[group], lang)}) if group else series
        sns.lineplot(data=shown, x=x, y=y, hue=group, hue_order=_names(groups, lang) if group else None,
                     marker="o", ax=ax, errorbar=None)
        n = max(1, len(groups))
        names_zh, names_en = "、".join(_names(groups, "zh")), ", ".join(_names(groups, "en"))
        _caption(ax.figure, f"{n} 条折线" + (f":{names_zh}" if groups else ""),
                 f"{n} line{'s' if n > 1 else ''}" + (f": {names_en}" if groups else ""))
    if slope is not None and intercept is not None and len(series):
        xs = np.array([series[x].min(), series[x].max()], dtype=float)
        ax.plot(xs, intercept + slope * xs, ls="--", color="#333333", label=_t(lang, "趋势线", "trend line"))
    if ax.get_legend_handles_labels()[0] and (group or slope is not None):
        _legend_outside(ax, title=column_label(group, lang) if group and len(groups) <= MAX_PANELS else None)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    if title:
        ax.set_title(title)
    return ax.figure
