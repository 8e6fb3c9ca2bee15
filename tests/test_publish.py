"""Tests of analysis.publish: pseudonyms, suppression, formula neutralising, escaping, scanner."""
from __future__ import annotations

import hashlib
import hmac
import io
import json
import stat
import zipfile

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
    """The report module's CSV/XLSX exports go through publish.neutralise_formulas."""
    from analysis import report

    df = pd.DataFrame({"unit": ["=cmd|' /C calc'!A0", "<script>alert(1)</script>"]})
    csv = report.csv_bytes(df).decode("utf-8-sig")
    assert "'=cmd" in csv
    wb = load_workbook(io.BytesIO(report.xlsx_bytes(df)))
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
