"""Tests of analysis.publish: pseudonyms, suppression, formula neutralising, escaping, scanner."""
from __future__ import annotations

import hashlib
import hmac
import io
import json
import re
import stat
import zipfile
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from analysis import publish as pb

KEY = bytes(range(32))


def test_pseudonym_is_hmac_sha256_and_stable(tmp_path):
    # independent computation with the standard library (RFC 2104 HMAC-SHA256)
    expected = hmac.new(KEY, b"U001", hashlib.sha256).hexdigest().upper()[:6]
    assert pb.pseudonym("U001", KEY) == f"单位-{expected}"
    assert pb.pseudonym("U001", KEY, lang="en").startswith("Unit-")
    key_file = tmp_path / "secrets" / "pseudonym.key"
    k1 = pb.load_or_create_key(key_file)
    assert key_file.exists() and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    k2 = pb.load_or_create_key(key_file)  # second run reads the same key
    assert k1 == k2 and len(k1) == 32
    assert pb.pseudonym_map(["U001", "U002"], key_file) == pb.pseudonym_map(["U002", "U001"], k2)
    other = pb.load_or_create_key(tmp_path / "other.key")
    assert pb.pseudonym("U001", other) != pb.pseudonym("U001", k1)  # salted: not guessable without the key


def test_key_refused_under_reports(tmp_path):
    with pytest.raises(ValueError, match="reports"):
        pb.load_or_create_key(tmp_path / "reports" / "pseudonym.key")


def test_pseudonym_map_lengthens_on_collision(monkeypatch):
    # with 1 hex digit, 20 ids must collide (pigeonhole: 16 values), so codes are lengthened
    m = pb.pseudonym_map([f"U{i:03d}" for i in range(20)], KEY, length=1)
    assert len(set(m.values())) == 20
    assert len(next(iter(m.values()))) > len("单位-") + 1


def test_suppress_small_hand_case():
    df = pd.DataFrame({"region": ["R01", "R02", "R03", "R04"], "n": [0, 3, 5, 12],
                       "n_overdue": [0, 0, 4, 6], "rate": [0.0, 0.5, 0.8, 0.25]})
    out, cells = pb.suppress_small(df, k=5, also=["rate"])
    # 3 (R02, n) and 4 (R03, n_overdue) are in 1..4; 0 and ≥ 5 stay
    assert out.n.tolist() == [0, "<5", 5, 12]
    assert out.n_overdue.tolist() == [0, 0, "<5", 6]
    assert out.rate.tolist()[1:3] == [None, None] and out.rate.tolist()[3] == 0.25
    assert sorted(map(tuple, cells[["row", "column"]].values.tolist())) == [
        (1, "n"), (1, "rate"), (2, "n_overdue"), (2, "rate")]


def test_safe_table_publish_and_internal():
    df = pd.DataFrame({"unit_id": ["U001", "U002"], "name_zh": ["<script>alert(1)</script>", "乙局"],
                       "description": ["张三违规吃喝", "某问题"], "责任人": ["张三", "李四"], "n": [7, 2]})
    pub = pb.safe_table(df, key=KEY)
    assert list(pub.columns) == ["unit_id", "n"]
    assert pub.unit_id.tolist() == [pb.pseudonym("U001", KEY), pb.pseudonym("U002", KEY)]
    assert pub.n.tolist() == [7, "<5"]
    assert pub.attrs["suppressed"] == [{"row": 1, "column": "n", "rule": "0 < n < 5"}]
    assert "1 个单元格" in pb.suppression_note(pub) and "n" in pb.suppression_note(pub)
    internal = pb.safe_table(df, publish=False, internal=True)
    assert "description" in internal.columns and "责任人" not in internal.columns  # person names never
    assert "description" not in pb.safe_table(df, publish=False).columns


def test_neutralise_formulas_all_triggers():
    df = pd.DataFrame({"a": ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx", "ok", "a=b"],
                       "num": [-1, 2, 3, 4, 5, 6, 7, 8]})
    df.columns = ["=HYPERLINK(\"x\")", "num"]
    out = pb.neutralise_formulas(df)
    assert out.iloc[:, 0].tolist() == ["'=1+1", "'+SUM(A1)", "'-2+3", "'@cmd", "'\tx", "'\rx", "ok", "a=b"]
    assert out.num.tolist() == [-1, 2, 3, 4, 5, 6, 7, 8]  # numbers untouched
    assert out.columns[0] == "'=HYPERLINK(\"x\")"


def test_report_exports_use_neutralised_cells():
    """The CSV (report) and XLSX (site) exports go through publish.neutralise_formulas."""
    from analysis import report, site

    df = pd.DataFrame({"unit": ["=cmd|' /C calc'!A0", "<script>alert(1)</script>"]})
    csv = report.csv_bytes(df).decode("utf-8-sig")
    assert "'=cmd" in csv
    wb = load_workbook(io.BytesIO(site.xlsx_bytes(df)))
    assert wb.active["A2"].value.startswith("'=")


def test_html_escaping():
    evil = "<script>alert(1)</script>"
    assert pb.escape_html(evil) == "&lt;script&gt;alert(1)&lt;/script&gt;"
    page = pb.html_table(pd.DataFrame({evil: [evil]}))
    assert "<script>" not in page and page.count("&lt;script&gt;") == 2


def test_scan_artifacts_finds_in_every_format(tmp_path):
    secret, clean = "示例澄衡事务局", "无关文字"
    (tmp_path / "a.html").write_text(f"<p>{pb.escape_html('<b>' + secret + '</b>')}</p>", encoding="utf-8")
    pd.DataFrame({"x": [secret]}).to_csv(tmp_path / "b.csv", index=False, encoding="utf-8-sig")
    pd.DataFrame({"x": [secret]}).to_excel(tmp_path / "c.xlsx", index=False)
    (tmp_path / "d.ipynb").write_text(json.dumps({"src": secret}), encoding="utf-8")  # \uXXXX escaped
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as z:
        z.writestr("deep/e.csv", f"x\n{secret}\n")
    with zipfile.ZipFile(tmp_path / "f.zip", "w") as z:
        z.writestr("inner.zip", inner.getvalue())
        z.writestr("g.xlsx", (tmp_path / "c.xlsx").read_bytes())
    (tmp_path / "ok.csv").write_text(clean, encoding="utf-8")
    hits = pb.scan_artifacts([tmp_path], [secret, "不存在的名字"])
    members = set(hits.member)
    assert {"a.html", "b.csv", "c.xlsx!Sheet1", "d.ipynb", "f.zip/inner.zip/deep/e.csv",
            "f.zip/g.xlsx!Sheet1"} <= members
    assert set(hits.forbidden) == {secret}
    assert not any(m.startswith("ok.csv") for m in members)
    assert pb.scan_artifacts([tmp_path / "ok.csv"], [secret]).empty


def test_scan_parquet(tmp_path):
    import duckdb

    df = pd.DataFrame({"name": ["示例景和管理局"] * 3})  # dictionary-encoded, compressed in the file
    duckdb.sql(f"COPY (SELECT * FROM df) TO '{tmp_path / 'x.parquet'}' (FORMAT parquet)")
    assert len(pb.scan_artifacts([tmp_path], ["示例景和管理局"])) == 1


def test_pseudonymise_tables_for_any_report():
    units = pd.DataFrame({"unit_id": ["U001", "U002"], "name_zh": ["示例澄衡事务局", "青松区"],
                          "name_en": ["Department U001", "County U002"], "successor_id": ["U002", ""]})
    focal = pd.DataFrame({"unit_id": ["U001"], "year": [2024], "reason": ["审计发现重大问题"]})
    probs = pd.DataFrame({"unit_id": ["U002"], "description": ["青松区违规吃喝"], "n": [1]})
    out = pb.pseudonymise_tables({"units": units, "focal_units": focal, "problems": probs, "meta": "x"}, KEY)
    p1, p2 = pb.pseudonym("U001", KEY), pb.pseudonym("U002", KEY)
    assert out["units"].unit_id.tolist() == [p1, p2]
    assert out["units"].name_zh.tolist() == [p1, p2]           # names overwritten, not leaked
    assert out["units"].name_en.tolist() == [p1.replace("单位", "Unit"), p2.replace("单位", "Unit")]
    assert out["units"].successor_id.tolist() == [p2, ""]
    assert "reason" not in out["focal_units"] and out["focal_units"].unit_id.tolist() == [p1]
    assert "description" not in out["problems"] and out["problems"].unit_id.tolist() == [p2]
    assert out["meta"] == "x"


# =========================================================================== issue 16: disclosure control
def _hmac6(key: bytes, text: str) -> str:
    """The pseudonym digits computed here with the standard library (RFC 2104 HMAC-SHA256)."""
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest().upper()[:6]


# --------------------------------------------------------------------------- whole-token matching
@pytest.mark.parametrize("text, needle, hit", [
    ("单位U042年", "U042", True),          # CJK around a code still matches
    ("单位 U042 2023 年", "U042", True),
    ("units/U042.html", "U042", True),      # file names
    ('"largest_fall": ["U042"]', "U042", True),
    ("U0421", "U042", False),               # a longer code is another unit
    ("U042", "U04", False),
    ("XU042", "U042", False),
    ("P2021-00001", "P2021-00001", True),
    ("P2021-000012", "P2021-00001", False),
    ("青松区所属7个党支部", "青松区", True),  # names in Chinese match anywhere
])
def test_find_token_is_whole_token_for_codes(text, needle, hit):
    assert (pb.find_token(text, needle) >= 0) is hit


def test_forbidden_strings_lists_codes_names_ids_and_descriptions():
    units = pd.DataFrame({"unit_id": ["U001", "U002"], "name_zh": ["青松区", None], "name_en": ["County U001", ""],
                          "successor_id": [None, "U009"]})
    problems = pd.DataFrame({"problem_id": ["P2021-00001", None], "description": ["青松区记录不全", "x"]})
    assert pb.forbidden_strings(units, problems, extra=["R99"]) == [
        "County U001", "P2021-00001", "R99", "U001", "U002", "U009", "青松区", "青松区记录不全"]


# --------------------------------------------------------------------------- the scan
def _xlsx_bytes(df: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    df.to_excel(buf, index=False)
    return buf.getvalue()


def _png_with_text(keyword: str, text: str) -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"iTXt", keyword.encode() + b"\0\0\0\0\0" + text.encode())
            + chunk(b"IDAT", zlib.compress(b"\0\0")) + chunk(b"IEND", b""))


def test_scan_reads_embedded_downloads_file_names_and_png_text(tmp_path):
    import base64

    xlsx = base64.b64encode(_xlsx_bytes(pd.DataFrame({"单位": ["单位 U042 2023 年触发一票否决事项 RL1"]}))).decode()
    page = (f'<a download="w.xlsx" href="data:application/vnd.openxmlformats-officedocument.spreadsheetml.sheet;'
            f'base64,{xlsx}">下载</a>')
    (tmp_path / "00_data_quality.html").write_text(page, encoding="utf-8")
    csv_uri = "data:text/csv;charset=utf-8,unit%2Cn%0AP2021-00001%2C3"
    (tmp_path / "b.html").write_text(f'<a href="{csv_uri}">csv</a>', encoding="utf-8")
    (tmp_path / "units").mkdir()
    (tmp_path / "units" / "U042.html").write_text("<p>单位-7F3A9C</p>", encoding="utf-8")
    (tmp_path / "fig.png").write_bytes(_png_with_text("Title", "青松区 趋势"))
    hits = pb.scan_artifacts([tmp_path], ["U042", "P2021-00001", "青松区"])
    found = set(zip(hits.member, hits.forbidden))
    assert ("00_data_quality.html#data0.xlsx!Sheet1", "U042") in found   # inside the base64 XLSX download
    assert ("b.html#data0.csv", "P2021-00001") in found                  # percent-encoded data URI
    assert ("units/U042.html (文件名 / file name)", "U042") in found      # the file name itself
    assert ("fig.png", "青松区") in found                                  # PNG iTXt chunk
    assert len(found) == 4


def test_scan_reads_the_compressed_rows_of_a_long_table(tmp_path):
    # a table longer than a page-print holds its rows gzip-compressed in the page (issue 13):
    # the scan must inflate them, or a long internal table would pass as clean
    from analysis.report import PRINT_ALL_ROWS, Report

    shown = []
    rows = PRINT_ALL_ROWS + 1
    Report(lang="zh", display=shown.append).table(
        pd.DataFrame({"unit_id": ["U001"] * (rows - 1) + ["U042"], "name_zh": ["青松区"] * rows}), "长表", name="t")
    page = shown[0]["text/html"]
    assert "U042" not in page.split("data-rows=")[0] + page.split("<tbody>")[1]   # only in the compressed rows
    (tmp_path / "p.html").write_text(page, encoding="utf-8")
    hits = pb.scan_artifacts([tmp_path], ["U042", "青松区"])
    assert set(zip(hits.member, hits.forbidden)) >= {("p.html#data0.json", "U042"), ("p.html#data0.json", "青松区")}


def test_scan_has_no_false_alarm_on_longer_codes_or_base64_text(tmp_path):
    import base64

    # a base64 run that spells "U042" between non-alphanumerics ('+' and '/') must not count:
    # payloads are decoded and searched as what they are, not as base64 text
    payload = "AAAA+U042/AAAAAA"
    assert base64.b64decode(payload)  # valid base64
    (tmp_path / "a.html").write_text(f'<img src="data:image/png;base64,{payload}"><p>U0421 与 XU042</p>',
                                     encoding="utf-8")
    assert pb.scan_artifacts([tmp_path], ["U042"]).empty


# --------------------------------------------------------------------------- the boundary
@dataclass
class _IndexRun:
    """Stands for a dataclass of frames such as the index run."""

    early_warnings: pd.DataFrame
    warnings: pd.DataFrame
    unit_ids: list


class _Opaque:
    pass


@pytest.fixture
def city():
    units = pd.DataFrame({
        "unit_id": ["U001", "U002", "U003", "U004", "U005", "U006"],
        "name_zh": ["青松区", "翠湖区", "东岚区", "示例澄衡事务局", "示例景和管理局", "南渚学院"],
        "name_en": ["County U001 (Qingsong)", "County U002 (Cuihu)", "County U003 (Donglan)",
                    "Department U004", "Department U005", "College U006"],
        "type": ["county", "county", "county", "department", "department", "college"],
        "region": ["R01", "R01", "R01", "R02", "R02", "R03"],
        "staff": [246, 360, 381, 40, 52, 900],
        "successor_id": ["", "", "", "", "U004", ""],
    })
    problems = pd.DataFrame({"problem_id": ["P2021-00001", "P2022-00002"], "unit_id": ["U001", "U004"],
                             "year": [2021, 2022], "description": ["青松区所属7个党支部记录不全", "示例澄衡事务局超标准宴请"],
                             "category": ["基层组织生活不规范", "违规吃喝"]})
    warnings = pd.DataFrame({"stage": ["grades", "prepare"], "code": ["RL1", ""], "year": [2023, None], "message": [
        "单位 U004 2023 年触发一票否决事项 RL1,等级定为红色(按得分为 yellow) / unit U004 triggered red line RL1 in 2023: "
        "grade capped at red (by score: yellow)",
        "1 个 单位×年度 有数据但该单位当年不在单位表的有效期内,已忽略:['U005/2024'] / 1 unit-year(s) ...: ['U005/2024']"]})
    early = pd.DataFrame({"unit_id": ["U001"], "year": [2024], "period": ["Y"], "kind": ["grade_drop"],
                          "message": ["单位 U001 等级由 2023 年的蓝色降为 2024 年的黄色 / unit U001 dropped from blue in 2023 to "
                                      "yellow in 2024"]})
    focal = pd.DataFrame({"unit_id": ["U001"], "year": [2024], "reason": ["审计发现重大问题"]})
    observations = pd.DataFrame({"unit_id": ["U001", "U006"], "year": [2024, 2024], "indicator": ["M01", "M01"],
                                 "value": [1.0, 2.0], "note": ["青松区补报", ""], "region": ["R01", "R03"]})
    return {"units": units, "problems": problems, "focal_units": focal, "observations": observations,
            "index": _IndexRun(early, warnings, ["U001", "U004"]),
            "extra": {"largest_fall": ["U004"], "title": "示例澄衡事务局超标准宴请"}}


def test_publish_inputs_replaces_every_identifier_and_rewrites_messages(city):
    out, log = pb.publish_inputs(city, key=KEY, k=3)
    u = {f"U00{i}": f"单位-{_hmac6(KEY, f'U00{i}')}" for i in range(1, 7)}
    e = {k: v.replace("单位", "Unit") for k, v in u.items()}
    p1, p2 = (f"问题-{_hmac6(KEY, 'problem:' + p)}" for p in ("P2021-00001", "P2022-00002"))
    units = out["units"]
    assert units.unit_id.tolist() == [u[f"U00{i}"] for i in range(1, 7)]
    assert units.name_zh.tolist() == units.unit_id.tolist()                     # names hold the pseudonym
    assert units.name_en.tolist() == [e[f"U00{i}"] for i in range(1, 7)]
    assert units.successor_id.tolist() == ["", "", "", "", u["U004"], ""]
    # R02 (2 units) and R03 (1 unit) are below k = 3: merged; R01 (3 units) stays
    assert units.region.tolist() == ["R01"] * 3 + ["其他片区"] * 3
    assert out["observations"].region.tolist() == ["R01", "其他片区"]
    assert out["problems"].problem_id.tolist() == [p1, p2]
    assert out["problems"].unit_id.tolist() == [u["U001"], u["U004"]]
    assert "description" not in out["problems"] and "note" not in out["observations"]
    assert "reason" not in out["focal_units"]
    ix = out["index"]
    assert ix.warnings.message.tolist() == [
        f"{u['U004']} 2023 年触发一票否决事项 RL1,等级定为红色(按得分为 yellow) / {e['U004']} triggered red line RL1 "
        "in 2023: grade capped at red (by score: yellow)",
        f"1 个 单位×年度 有数据但该单位当年不在单位表的有效期内,已忽略:['{u['U005']}/2024'] / 1 unit-year(s) ...: "
        f"['{u['U005']}/2024']"]
    assert ix.early_warnings.message.tolist() == [
        f"{u['U001']} 等级由 2023 年的蓝色降为 2024 年的黄色 / {e['U001']} dropped from blue in 2023 to yellow in 2024"]
    assert ix.unit_ids == [u["U001"], u["U004"]]
    assert out["extra"]["largest_fall"] == [u["U004"]]
    # a description where no free-text column was expected: fails closed
    assert out["extra"]["title"] == pb.REDACTED
    assert city["units"].unit_id.tolist()[0] == "U001"                          # the inputs are not modified


def test_publish_inputs_log_is_publishable_and_the_mapping_is_for_audit(city):
    city["opaque"] = _Opaque()
    out, log = pb.publish_inputs(city, key=KEY, k=3, lang="en")
    assert out["units"].unit_id.iloc[0] == f"Unit-{_hmac6(KEY, 'U001')}"       # lang sets the id prefix
    assert out["units"].region.iloc[-1] == "Other regions"
    assert log.n_units == 6 and log.n_problems == 2 and log.merged_regions == 2
    assert sorted(set(log.dropped)) == [("focal_units", "reason"), ("observations", "note"), ("problems", "description")]
    assert log.redacted == {"title": 1}
    assert log.unchecked == ["opaque (_Opaque)"]
    public = json.dumps(log.public(), ensure_ascii=False) + " ".join(log.sentences("zh") + log.sentences("en"))
    forbidden = pb.forbidden_strings(city["units"], city["problems"])
    assert not [s for s in forbidden if pb.find_token(public, s) >= 0]
    assert "2 个片区已合并为“其他片区”" in " ".join(log.sentences("zh"))
    audit = log.audit_mapping
    assert audit[audit.kind == "unit"].set_index("real").pseudonym["U004"] == f"Unit-{_hmac6(KEY, 'U004')}".replace(
        "Unit", "单位")
    assert audit[audit.kind == "region"].real.tolist() == ["R02", "R03"]


def test_pseudonym_is_idempotent_after_the_boundary():
    alias = pb.pseudonym("U001", KEY)
    assert pb.pseudonym(alias, KEY) == alias
    assert pb.pseudonym(alias, KEY, lang="en") == alias.replace("单位", "Unit")
    df = pd.DataFrame({"unit_id": [alias], "n": [7]})
    assert pb.safe_table(df, key=KEY).unit_id.tolist() == [alias]


# --------------------------------------------------------------------------- k-anonymity
def test_smallest_group_counts_units_not_rows():
    df = pd.DataFrame({"unit_id": ["A", "A", "B", "C"], "year": [2023, 2024, 2024, 2024],
                       "region": ["R1", "R1", "R1", "R2"]})
    assert pb.smallest_group(df, ["region"]) == 1            # R2: C alone
    assert pb.smallest_group(df[df.region == "R1"], ["region"]) == 2   # A (twice) and B
    assert pb.smallest_group(df, ["region"], unit_col=None) == 1
    assert pb.smallest_group(df, ["type"]) is None


def test_sample_has_14_units_alone_in_region_and_type(sample_data):
    from analysis.panel import units_for_year

    units = units_for_year(sample_data.units, 2024)
    # independent count: a region × type cross-tabulation, cells equal to 1
    singles = int((pd.crosstab(units.region, units.type) == 1).to_numpy().sum())
    assert singles == 14 and len(units) == 80
    assert pb.smallest_group(units, ["region", "type"]) == 1
    out, note = pb.k_anonymise(units[["unit_id", "region", "type"]], ["region", "type"], k=3)
    assert list(out.columns) == ["unit_id", "region"]       # every region holds 6–8 units: only type goes
    assert pb.smallest_group(out, ["region", "type"]) == int(units.region.value_counts().min()) == 6
    assert note == "为防止由片区、类型的组合识别单位(每种组合至少 3 个单位):删除“类型”列。"


def test_k_anonymise_merges_rare_categories_before_dropping():
    # types: college 1 (A), county 3, department 3; regions R1 (A, B, C, D), R2 (E, F, G)
    df = pd.DataFrame({"unit_id": list("ABCDEFG"), "region": ["R1"] * 4 + ["R2"] * 3,
                       "type": ["college", "county", "county", "county", "department", "department", "department"]})
    out, note = pb.k_anonymise(df, ["region", "type"], k=3, lang="en")
    # college (1 unit) joins the next smallest type (county, 3) as "Other types": R1 × other = 4, R2 × department = 3
    assert out.type.tolist() == ["Other types"] * 4 + ["department"] * 3
    assert pb.smallest_group(out, ["region", "type"]) == 3
    assert note == ("So that no combination of region, type singles out fewer than 3 units: categories of type with "
                    "fewer than 3 units were merged into 'Other types'.")
    assert pb.k_anonymise(df, ["region"], k=3) == (df, "")   # already 3-anonymous: unchanged


def test_safe_table_makes_unit_tables_k_anonymous_and_drops_exact_sizes(city):
    published = pb.safe_table(city["units"], key=KEY, k=3, suppress=False)
    assert "staff" not in published and "name_zh" not in published
    # by hand: regions R02 (2 units) + R03 (1) and types department (2) + college (1) fall below
    # 3 and are merged; R01 × county (3) and other × other (3) then hold 3 units each
    assert published.region.tolist() == ["R01"] * 3 + ["其他片区"] * 3
    assert published.type.tolist() == ["county"] * 3 + ["其他类型"] * 3
    assert pb.smallest_group(published, pb.QUASI_IDENTIFIERS) == 3
    assert pb.suppression_note(published) == ("为防止由片区、类型的组合识别单位(每种组合至少 3 个单位):片区中单位数不足 3 的"
                                              "类别合并为“其他片区”;类型中单位数不足 3 的类别合并为“其他类型”。")
    # aggregate tables (no unit column) keep their groups: suppression protects them
    by_region = pd.DataFrame({"region": ["R01", "R02"], "type": ["county", "college"], "n": [7, 9]})
    assert list(pb.safe_table(by_region, key=KEY, k=3).columns) == ["region", "type", "n"]


# --------------------------------------------------------------------------- secondary suppression
def _brute_force_intervals(counts: pd.DataFrame, hidden: pd.DataFrame, bounds=None):
    """Every integer completion of the hidden cells consistent with the published cells and margins,
    enumerated row by row (no linear programming): {(row, column): (min, max)}."""
    import itertools

    x = counts.to_numpy()
    h = hidden.to_numpy()
    r, c = x.shape
    cells = [tuple(v) for v in np.argwhere(h)]
    bounds = bounds or {}
    per_row = []
    for i in range(r):
        mine = [cell for cell in cells if cell[0] == i]
        need = sum(x[cell] for cell in mine)          # row total − published cells
        top = int(x.sum())
        options = []
        for combo in itertools.product(*[range(*bounds.get(cell, (0, top)) if cell in bounds else (0, top + 1))
                                          for cell in mine]):
            if c == 1 or sum(combo) == need:
                options.append(dict(zip(mine, combo)))
        per_row.append(options)
    seen: dict = {}
    for choice in itertools.product(*per_row):
        values = {k: v for part in choice for k, v in part.items()}
        if r > 1 and any(sum(values.get((i, j), x[i, j]) for i in range(r)) != x[:, j].sum() for j in range(c)):
            continue
        for cell, v in values.items():
            lo, hi = seen.get(cell, (v, v))
            seen[cell] = (min(lo, v), max(hi, v))
    return {(counts.index[i], counts.columns[j]): v for (i, j), v in seen.items()}


def test_issue_example_less_than_k_labels_beside_a_total_are_recovered():
    """`<3, <3` beside a row total of 4: a reader who knows both are 1 or 2 gets 2 and 2."""
    counts = pd.DataFrame({"2023": [2, 6, 7], "2024": [2, 5, 8]}, index=["R01", "R02", "R03"])
    only_primary = counts < 3
    iv = pb.feasible_intervals(counts, only_primary, only_primary, k=3, known_primary=True)
    assert iv.pinned.all() and iv.lower.tolist() == iv.upper.tolist() == [2.0, 2.0]
    # the same by enumeration: with bounds 1..2 the only completion is (2, 2)
    brute = _brute_force_intervals(counts, only_primary, bounds={(0, 0): (1, 3), (0, 1): (1, 3)})
    assert brute == {("R01", "2023"): (2, 2), ("R01", "2024"): (2, 2)}


def test_suppress_cells_hand_table_and_no_hidden_value_recoverable():
    counts = pd.DataFrame({"2022": [2, 6, 7, 9], "2023": [2, 5, 8, 0], "2024": [4, 1, 9, 6]},
                          index=["R01", "R02", "R03", "R04"])
    res = pb.suppress_cells(counts, k=3)
    # by hand: primary 2 (R01/2022), 2 (R01/2023), 1 (R02/2024).
    # column 2022 holds one hidden cell: its smallest other cell is 6 (R02);
    # column 2023: 5 (R02); column 2024: 4 (R01). Now R01 has 3, R02 has 3 hidden; every
    # line with a hidden cell has at least two.
    hidden = [["R01", "2022"], ["R01", "2023"], ["R01", "2024"], ["R02", "2022"], ["R02", "2023"], ["R02", "2024"]]
    assert res.cells()[["row", "column"]].values.tolist() == hidden
    assert res.cells().rule.tolist() == ["primary", "primary", "secondary", "secondary", "secondary", "primary"]
    assert res.table.loc["R01"].tolist() == ["×", "×", "×", 8]
    assert res.table.loc["合计"].tolist() == [24, 15, 20, 59]
    assert res.table.loc["R04"].tolist() == [9, 0, 6, 15]
    brute = _brute_force_intervals(counts, res.suppressed)
    assert all(hi > lo for lo, hi in brute.values())              # no hidden cell has one possible value
    iv = pb.feasible_intervals(counts, res.suppressed)
    assert not iv.pinned.any()
    assert [brute[(r, c)] for r, c in zip(iv.row, iv.column)] == list(zip(iv.lower.astype(int), iv.upper.astype(int)))
    assert "“×”表示已抑制的单元格" in res.note() and "2 个" not in res.note()   # the number of primaries is not told


def test_line_rule_alone_can_leave_a_cell_pinned_and_an_unprotectable_table_is_refused():
    # two hidden cells in every row and column, yet the zeros force the values
    counts = pd.DataFrame({"A": [1, 0], "B": [0, 0]}, index=["r1", "r2"])
    hidden = pd.DataFrame(True, index=counts.index, columns=counts.columns)
    assert pb.feasible_intervals(counts, hidden).pinned.all()
    assert _brute_force_intervals(counts, hidden) == {("r1", "A"): (1, 1), ("r1", "B"): (0, 0),
                                                      ("r2", "A"): (0, 0), ("r2", "B"): (0, 0)}
    with pytest.raises(ValueError, match="不公布"):
        pb.suppress_cells(counts, k=3)


def test_suppress_cells_on_sample_problems_by_region_and_year(sample_data):
    region = sample_data.units.drop_duplicates("unit_id", keep="last").set_index("unit_id").region
    counts = pd.crosstab(region.reindex(sample_data.problems.unit_id).values,
                         sample_data.problems.year.values)
    res = pb.suppress_cells(counts, k=3)
    s = res.suppressed.to_numpy()
    assert res.primary.to_numpy().sum() > 0
    for line in [*s, *s.T]:                                        # the line rule holds
        assert line.sum() != 1
    # linear algebra, independent of the LP: a hidden cell is determined by the margins exactly
    # when its unit vector lies in the row space of the margin equations over the hidden cells
    cells = [tuple(c) for c in np.argwhere(s)]
    a = np.array([[1.0 if c[0] == i else 0.0 for c in cells] for i in range(s.shape[0])]
                 + [[1.0 if c[1] == j else 0.0 for c in cells] for j in range(s.shape[1])])
    rank = np.linalg.matrix_rank(a)
    for n in range(len(cells)):
        e = np.zeros(len(cells))
        e[n] = 1.0
        assert np.linalg.matrix_rank(np.vstack([a, e])) == rank + 1, cells[n]


def test_for_plot_leaves_suppressed_bars_undrawn_and_marks_them():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    counts = pd.DataFrame({"n": [2, 7, 9]}, index=["R01", "R02", "R03"])
    res = pb.suppress_cells(counts, k=3)
    # one column: the only relation is the grand total, so the smallest other cell (7) goes too
    assert res.table.n.tolist() == ["×", "×", 9, 18]
    long = res.for_plot()
    assert long.value.isna().tolist() == [True, True, False] and long.label.tolist() == ["×", "×", "9"]
    fig, ax = plt.subplots()
    bars = ax.bar(range(3), long.value)
    texts = pb.mark_suppressed_bars(ax, [i for i, s in enumerate(long.suppressed) if s])
    assert [np.isnan(b.get_height()) for b in bars] == [True, True, False]   # not a zero-height bar
    assert [t.get_text() for t in texts] == ["×", "×"]
    plt.close(fig)


def test_unpublishable_files_are_the_audit_material(tmp_path):
    year = tmp_path / "2024"
    for rel in ["index.html", "01_yearly_statistics.html", "units/单位-7F3A9C.html", "tables/01/grades.csv",
                "tables/01/grades.xlsx", "packages/topic_2024.zip",                                    # publishable
                "01_yearly_statistics.ipynb", "01_yearly_statistics.json", "manifest.json", "params/01.yaml",
                "logs/01.log", ".cache/inputs-1.pickle", "logs/notes.html"]:                           # audit
        (year / rel).parent.mkdir(parents=True, exist_ok=True)
        (year / rel).write_text("x", encoding="utf-8")
    assert [str(p.relative_to(year)) for p in pb.unpublishable_files(year)] == [
        ".cache/inputs-1.pickle", "01_yearly_statistics.ipynb", "01_yearly_statistics.json", "logs/01.log",
        "logs/notes.html", "manifest.json", "params/01.yaml"]


def test_scan_reads_notebook_images_as_png_text_not_base64(tmp_path):
    import base64

    png = _png_with_text("Title", "U042 趋势")
    noise = base64.b64encode(b"\xf8" + b"\x00" * 5).decode()   # a base64 run that is not an image
    nb = {"cells": [{"outputs": [{"data": {"image/png": base64.b64encode(png).decode(),
                                           "text/plain": "<Figure>"}}]}], "metadata": {"x": noise}}
    (tmp_path / "a.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    hits = pb.scan_artifacts([tmp_path], ["U042"])
    assert hits.member.tolist() == ["a.ipynb"] and hits.context.str.contains("趋势").all()


def _all_strings(obj, seen=None):
    """Every string reachable in a structure of report inputs (independent of the boundary's walker)."""
    import dataclasses

    seen = set() if seen is None else seen
    if id(obj) in seen:
        return
    seen.add(id(obj))
    if isinstance(obj, pd.DataFrame):
        yield from map(str, obj.columns)
        yield from (str(v) for v in obj.index[:200])
        for c in obj.columns:
            if obj[c].dtype == object or pd.api.types.is_string_dtype(obj[c]) or isinstance(obj[c].dtype, pd.CategoricalDtype):
                yield from (v for v in pd.unique(obj[c].dropna().astype(object)) if isinstance(v, str))
    elif isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield str(k)
            yield from _all_strings(v, seen)
    elif isinstance(obj, (list, tuple, set)):
        for v in obj:
            yield from _all_strings(v, seen)
    elif isinstance(obj, np.ndarray) and obj.dtype.kind in "OUS":
        yield from (str(v) for v in obj.ravel())
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            yield from _all_strings(getattr(obj, f.name), seen)


@pytest.mark.slow
def test_sample_inputs_through_the_boundary_hold_no_real_identifier(loaded_warehouse, sample_data):
    import dataclasses

    from analysis import catalog
    from analysis.inputs import prepare_inputs

    inputs = prepare_inputs(catalog.read_warehouse(loaded_warehouse), catalog.read_run_config())
    tables = {f.name: getattr(inputs, f.name) for f in dataclasses.fields(inputs)}
    before = list(_all_strings(tables))
    out, log = pb.publish_inputs(tables, key=KEY, k=3)
    forbidden = pb.forbidden_strings(sample_data.units, sample_data.problems)
    assert sum(1 for s in before for f in forbidden if f in s and pb.find_token(s, f) >= 0) > 1000   # not vacuous
    after = list(_all_strings(out))
    leaks = sorted({f for s in after for f in forbidden if f in s and pb.find_token(s, f) >= 0})
    assert leaks == [] and log.unchecked == []
    published = dataclasses.replace(inputs, **out)           # the runner's Inputs, rebuilt
    red = inputs.index.warnings[inputs.index.warnings.stage == "grades"]
    red_pub = published.index.warnings[published.index.warnings.stage == "grades"]
    assert len(red) > 0 and len(red_pub) == len(red)
    # every red-line sentence now names the unit by its pseudonym, in both halves
    for msg in red_pub.message:
        zh, en = msg.split(" / ", 1)
        assert re.match(r"^单位-[0-9A-F]{6} \d{4} 年触发一票否决事项", zh) and re.match(r"^Unit-[0-9A-F]{6} triggered", en)
    assert (published.index.early_warnings.unit_id.str.match(r"^单位-[0-9A-F]{6}$")).all()
    assert set(published.units.unit_id) == set(published.index.scores.unit_id) | set(published.units.unit_id)
    assert published.index.scores is out["index"].scores
