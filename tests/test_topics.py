"""Tests of analysis.topics: topic validation, the data subset, the tables, the research
package round trip, and the publication-safety scan of every published artefact."""
from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from analysis import publish as pb
from analysis import topics
from analysis.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
TOPICS = sorted((ROOT / "data" / "topics").glob("*.yaml"))
KEY = bytes(range(32))

MINIMAL = {"title": "测试专题", "research_question": "问题?", "partners": ["示例市委党校"],
           "authors": [{"name": "课题组", "affiliation": "示例大学"}], "dimensions": ["D6"],
           "years": {"from": 2020, "to": 2024}}


def test_example_topics_validate():
    assert len(TOPICS) >= 2
    for path in TOPICS:
        t = topics.load_topic(path)
        assert t.title and t.research_question and t.partners and t.authors
        assert t.window(2024)[-1] == 2024


def test_topic_errors_are_bilingual_and_complete():
    bad = dict(MINIMAL, years="2020-2024", units={"ids": [10]}, colour="red")
    del bad["title"]
    with pytest.raises(ConfigError) as exc:
        topics.validate_topic(bad, source="bad.yaml")
    msg = str(exc.value)
    # every problem at once, Chinese first, English after
    assert "4 处错误" in msg and "4 error(s)" in msg
    assert "缺少必填字段 title / required key 'title' is missing" in msg
    assert "years 须为" in msg and "years must be" in msg
    assert "quote numeric codes" in msg and "'010'" in msg
    assert "未知字段 ['colour']" in msg


def test_years_forms_and_text_fallback():
    t = topics.validate_topic(dict(MINIMAL, years={"last": 3}, background="背景", background_en="Background"))
    assert t.window(2024) == [2022, 2023, 2024] and t.default_year() is None
    assert topics.validate_topic(dict(MINIMAL, years=[2023, 2021])).window(2024) == [2021, 2023]
    assert t.text("background", "en") == "Background" and t.text("background") == "背景"
    assert t.text("conclusions", "en") == ""


def test_check_scope(sample_data):
    t = topics.validate_topic(dict(MINIMAL, dimensions=["D6", "D9"], leaves=["M01"], regions=["R99"]))
    with pytest.raises(ConfigError) as exc:
        topics.check_scope(t, sample_data.framework, sample_data.units)
    msg = str(exc.value)
    assert "['D9']" in msg and "['R99']" in msg
    assert "leaf M01 is not under the chosen dimensions" in msg  # M01 belongs to D1


def test_citation():
    from datetime import date

    t = topics.validate_topic(MINIMAL)
    assert topics.citation(t, 2024, today=date(2025, 3, 1)) == "课题组. 测试专题(2024 年)[R]. 示例市委党校, 2025."
    assert topics.validate_topic(dict(MINIMAL, citation="自定义引用")).citation == "自定义引用"


@pytest.fixture(scope="module")
def full_tables(sample_data):
    from analysis import panel
    from analysis.scoring import build_index

    s = sample_data
    values = panel.yearly_values(s.observations, s.framework, s.units)
    from analysis.catalog import read_index_config

    res = build_index(values, s.framework, s.units, read_index_config(ROOT / "data" / "config" / "index.yaml"))
    return {"framework": s.framework, "units": s.units, "problems": s.problems, "scores": res.scores,
            "leaf_values": values}


def test_subset_matches_a_direct_filter(full_tables, sample_data):
    """The data subset of the inspection topic against an independent pandas filter."""
    t = topics.load_topic(ROOT / "data" / "topics" / "inspection_rectification_by_region.yaml")
    d = topics.prepare_topic_data(t, 2024, full_tables, publish=False)
    p = sample_data.problems
    expected = p[(p.source == "inspection") & p.year.between(2020, 2024)]
    assert sorted(d.problems.problem_id) == sorted(expected.problem_id)
    assert d.meta["n_problems"] == len(expected) and d.meta["years"] == [2020, 2021, 2022, 2023, 2024]
    assert "description" in d.problems.columns  # internal subset keeps the text
    assert set(d.scores.node) == {"PE", "D1", "D2", "D3", "D4", "D5", "D6"}
    assert set(d.leaf_values.indicator) == {"M08", "M10"}

    w = topics.load_topic(ROOT / "data" / "topics" / "work_style_colleges.yaml")
    dw = topics.prepare_topic_data(w, 2024, full_tables, publish=False)
    colleges = set(sample_data.units.loc[sample_data.units.type == "college", "unit_id"])
    exp_w = p[p.unit_id.isin(colleges) & (p.aspect == "D6") & p.year.between(2020, 2024)]
    assert sorted(dw.problems.problem_id) == sorted(exp_w.problem_id)
    assert set(dw.units.unit_id) == colleges
    assert set(dw.leaf_values.indicator) == {"M23", "M25", "M27"}


def test_published_subset_has_no_names_ids_or_text(full_tables, sample_data):
    t = topics.load_topic(ROOT / "data" / "topics" / "inspection_rectification_by_region.yaml")
    d = topics.prepare_topic_data(t, 2024, full_tables, publish=True, key=KEY)
    assert "description" not in d.problems.columns
    assert not {"name_zh", "name_en"} & set(d.units.columns)
    real = set(sample_data.units.unit_id)
    for name in ("units", "problems", "scores", "leaf_values"):
        ids = set(getattr(d, name).unit_id)
        assert not ids & real and all(i.startswith("单位-") for i in ids)
    # the same unit gets the same pseudonym in every table
    assert set(d.problems.unit_id) <= set(d.units.unit_id)
    assert (d.keyword_counts.n_docs >= t.k).all()
    names = set(sample_data.units.name_zh)
    assert not any(n in term or term in n for term in d.keyword_counts.term for n in names)


def test_tables_suppress_and_round_trip_through_csv(full_tables, tmp_path):
    t = topics.load_topic(ROOT / "data" / "topics" / "inspection_rectification_by_region.yaml")
    d = topics.prepare_topic_data(t, 2024, full_tables, publish=True, key=KEY)
    tables = topics.topic_tables(d, t, 2024)
    assert "overdue_items" not in tables  # internal only
    region = tables["rectification_by_region"]
    small = region.n.map(lambda v: v == f"<{t.k}")
    assert small.any() and region.loc[small, "rectification_rate"].isna().all()
    # counts below k never appear as numbers in a count column
    for name, tab in tables.items():
        for col in [c for c in tab.columns if c in ("n", "n_rectified", "n_overdue")]:
            nums = pd.to_numeric(tab[col], errors="coerce")
            assert not ((nums > 0) & (nums < t.k)).any(), (name, col)
    d.write(tmp_path / "data")
    back = topics.TopicData.read(tmp_path / "data")
    again = topics.topic_tables(back, t, 2024)
    assert list(again) == list(tables)
    for name in tables:
        pd.testing.assert_frame_equal(again[name], tables[name], check_dtype=False, obj=name)


def test_internal_tables_keep_overdue_items_with_text(full_tables):
    t = topics.load_topic(ROOT / "data" / "topics" / "inspection_rectification_by_region.yaml")
    d = topics.prepare_topic_data(t, 2024, full_tables, publish=False)
    tables = topics.topic_tables(d, t, 2024)
    assert "description" in tables["overdue_items"].columns or "reason" in tables["overdue_items"].columns


def test_display_columns():
    df = pd.DataFrame({"category": ["a"], "n_2023": [1], "rectification_rate": [0.5]})
    df.attrs["suppressed"] = [{"row": 0, "column": "n_2023", "rule": "0 < n < 5"}]
    out = topics.display_columns(df, "zh")
    assert list(out.columns) == ["问题类别", "2023 年", "整改率"]
    assert out.attrs["suppressed"][0]["column"] == "2023 年"
    assert list(topics.display_columns(df, "en").columns) == ["category", "2023", "rectification rate"]


# --------------------------------------------------------------------------- end to end
@pytest.fixture(scope="module")
def warehouse(sample_files, tmp_path_factory):
    from analysis.ingest import ingest
    from analysis.warehouse import Warehouse

    path = tmp_path_factory.mktemp("wh") / "warehouse.duckdb"
    with Warehouse(path) as wh:
        ingest(sample_files, wh)
    return path


@pytest.mark.slow
def test_reports_package_round_trip_and_publication_scan(warehouse, sample_data, tmp_path):
    import nbformat
    import papermill

    from analysis.site import read_tables

    key_path = tmp_path / "secrets" / "pseudonym.key"
    out = tmp_path / "reports"
    results = [topics.run_topic(p, warehouse=warehouse, out=out, key_path=key_path) for p in TOPICS]
    for r in results:
        assert r.ok, r.error
        assert r.html_path.exists()
    html = results[0].html_path.read_text(encoding="utf-8")
    first = topics.load_topic(TOPICS[0])
    # title block: suggested citation, partner, authors, data as of
    assert "建议引用" in html and first.partners[0]["name"] in html and first.authors[0]["name"] in html
    assert "数据截至" in html

    zip_path = topics.package(TOPICS[0], out=out / "packages", warehouse=warehouse, key_path=key_path)
    assert not key_path.is_relative_to(out)
    with zipfile.ZipFile(zip_path) as zf:
        names = set(zf.namelist())
        readme = zf.read("README.md").decode("utf-8")
        zf.extractall(tmp_path / "pkg")
    name = f"topic_{TOPICS[0].stem}"
    assert {f"report/{name}.html", f"report/{name}.ipynb", "data/problems.csv", "data/problems.parquet",
            "data/meta.json", "config/topic.yaml", "config/parameters.yaml", "config/effective_config.json",
            "manifest.json", "README.md"} <= names
    assert "如何复现" in readme and "数据保护" in readme

    # unzip → rerun the notebook from the package's data → the same tables
    pkg = tmp_path / "pkg"
    shutil.copy(pkg / "report" / f"{name}.ipynb", tmp_path / "rerun_in.ipynb")
    papermill.execute_notebook(str(tmp_path / "rerun_in.ipynb"), str(tmp_path / "rerun.ipynb"),
                               parameters={"data_dir": str(pkg / "data"), "topic_path": str(pkg / "config" / "topic.yaml")},
                               kernel_name="analysis", progress_bar=False, cwd=str(tmp_path))
    original = {t["name"]: t["csv"] for t in read_tables(nbformat.read(pkg / "report" / f"{name}.ipynb", 4))}
    rerun = {t["name"]: t["csv"] for t in read_tables(nbformat.read(tmp_path / "rerun.ipynb", 4))}
    assert len(original) >= 15 and original == rerun

    # the publication-safety scan: no real unit name, unit code or problem description anywhere
    forbidden = [*sample_data.units.name_zh, *sample_data.units.name_en, *sample_data.problems.description]
    hits = pb.scan_artifacts([out], forbidden)
    assert hits.empty, hits.head(10).to_string()
    # and the scan is not vacuous: the internal data subset, zipped, is caught
    tables, _ = topics.load_warehouse_tables(warehouse)
    internal = topics.prepare_topic_data(topics.load_topic(TOPICS[0]), 2024, tables, publish=False)
    internal.write(tmp_path / "internal")
    shutil.make_archive(str(tmp_path / "internal_pkg"), "zip", tmp_path / "internal")
    assert not pb.scan_artifacts([tmp_path / "internal_pkg.zip"], forbidden).empty


def test_package_csv_neutralised_and_reversible(tmp_path):
    d = topics.TopicData(
        units=topics.coerce_table("units", pd.DataFrame({"unit_id": ["=U1", "'x", "U3"], "type": ["college"] * 3,
                                                    "region": ["@R", "+R", "-R"]})),
        problems=topics.coerce_table("problems", pd.DataFrame(columns=list(topics.SCHEMA["problems"]))),
        scores=topics.coerce_table("scores", pd.DataFrame(columns=list(topics.SCHEMA["scores"]))),
        leaf_values=topics.coerce_table("leaf_values", pd.DataFrame(columns=list(topics.SCHEMA["leaf_values"]))),
        keyword_counts=topics.coerce_table("keyword_counts", pd.DataFrame(columns=list(topics.SCHEMA["keyword_counts"]))),
        meta={"k": 3})
    d.write(tmp_path, parquet=False)
    raw = (tmp_path / "units.csv").read_text(encoding="utf-8-sig").splitlines()
    assert raw[1].startswith("'=U1") and raw[2].startswith("''x") and ",'@R" in raw[1]
    back = topics.TopicData.read(tmp_path)
    pd.testing.assert_frame_equal(back.units, d.units)


def test_notebook_stored_clean_with_typed_parameters():
    import nbformat

    from analysis.params import declared_parameters

    nb = nbformat.read(topics.NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", [])
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code)
    declared = declared_parameters(topics.NOTEBOOK)
    from analysis.catalog import read_run_config

    assert set(declared) == set(topics.notebook_parameters("t.yaml", 2024, read_run_config()))
    assert all(spec["type"] != "None" and spec["help"] for spec in declared.values())


def test_published_figure_never_draws_a_count_below_k(full_tables):
    t = topics.load_topic(ROOT / "data" / "topics" / "work_style_colleges.yaml")
    d = topics.prepare_topic_data(t, 2024, full_tables, publish=True, key=KEY)
    per_cell = d.problems.groupby(["year", "category"]).size()
    assert (per_cell < t.k).any(), "the example must contain small cells for this test to mean anything"
    fig = topics.problems_figure(d, 2024, "zh")
    heights = [bar.get_height() for ax in fig.axes for bar in ax.patches]
    assert heights and all(h == 0 or h >= t.k for h in heights)
