"""The run config travels as data and the inputs stage runs once per run and once per topic."""
from __future__ import annotations

import json
from dataclasses import replace

import pandas as pd
import pytest

from analysis import catalog, inputs
from analysis.config import RunConfig, StatsConfig
from analysis.errors import ConfigError
from analysis.ingest import ingest
from analysis.sample import generate, write_files

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    root = tmp_path_factory.mktemp("wh")
    data = generate(n_units=30, years=range(2021, 2025), seed=5)
    path = root / "warehouse.duckdb"
    ingest(write_files(data, root / "sample"), path, command="test")
    return path


@pytest.fixture
def counted(monkeypatch):
    """Count the calls of the index and uncertainty runs made by the inputs stage."""
    calls = {"build_index": 0, "run_uncertainty": 0}
    from analysis.scoring import build, uncertainty

    def counting(name, fn):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return fn(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(build, "build_index", counting("build_index", build.build_index))
    monkeypatch.setattr(uncertainty, "run_uncertainty", counting("run_uncertainty", uncertainty.run_uncertainty))
    return calls


def test_run_computes_inputs_once_and_notebook_02_honours_the_configured_adjustment(warehouse, tmp_path, counted):
    from analysis.runner import run_year

    cfg = replace(catalog.read_run_config(), statistics=StatsConfig(fdr_method="holm", posthoc="dunn"))
    summary = run_year(2024, warehouse, config=cfg, only=["00", "02"], jobs=2, out=tmp_path / "reports")
    assert summary.ok, [(f.name, f.cell, f.error) for f in summary.failures]
    assert counted == {"build_index": 1, "run_uncertainty": 0}  # no diagnosis: no report shows rank ranges
    manifest = json.loads(summary.manifest_path.read_text(encoding="utf-8"))
    # every notebook read the inputs computed here instead of computing its own
    keys = [json.loads((summary.audit_dir / f"{n}.json").read_text(encoding="utf-8"))["keys"]
            for n in ("00_data_quality", "02_region_comparison")]
    assert {(k["inputs_id"], k["inputs_source"]) for k in keys} == {(manifest["inputs_id"], "shared")}
    tables = summary.index_path.parent / "tables" / "02_region_comparison"
    by_dim = pd.read_csv(tables / "region_tests_by_dimension.csv", encoding="utf-8-sig")
    assert set(by_dim.p_adjust_method) == {"holm"}
    pairs = pd.read_csv(tables / "region_pairs.csv", encoding="utf-8-sig")
    assert set(pairs.p_adjust_method) == {"holm"}
    assert manifest["effective_config"]["statistics"]["fdr_method"] == "holm"
    # one workbook for officials with every table of the run, behind a contents sheet
    import openpyxl

    book = openpyxl.load_workbook(summary.index_path.parent / "results.xlsx", read_only=True)
    n_tables = len(list((summary.index_path.parent / "tables").rglob("*.csv")))
    assert len(book.sheetnames) == n_tables + 1 and n_tables >= 10


def test_topic_computes_the_index_once_and_no_uncertainty(warehouse, tmp_path, counted, monkeypatch):
    from analysis.topics import run_topic

    monkeypatch.setenv("ANALYSIS_PSEUDONYM_KEY", str(tmp_path / "secrets" / "key"))
    result = run_topic(catalog.TOPICS / "work_style_colleges.yaml", year=2024, warehouse=warehouse,
                       out=tmp_path / "reports")
    assert result.ok, result.error
    assert counted == {"build_index": 1, "run_uncertainty": 0}


def test_a_year_without_data_is_refused(warehouse):
    cfg = catalog.read_run_config()
    shared = inputs.prepare_inputs(catalog.read_warehouse(warehouse), cfg, uncertainty=False)
    with pytest.raises(ConfigError, match="no scored data for 2031"):
        inputs.check_year(shared, 2031)
    assert inputs.check_year(shared, 2024) == ""
    # the sample's leaf M22 is missing for every unit in 2021: 27 of 28 leaves, 96% coverage
    with pytest.raises(ConfigError, match="coverage in 2021 is only 96%, below the 99% threshold"):
        inputs.check_year(shared, 2021, min_coverage=0.99)
    assert "96%" in inputs.check_year(shared, 2021, min_coverage=0.99, allow_low_coverage=True)


def test_unknown_and_moved_config_keys_are_errors():
    with pytest.raises(ConfigError, match="unknown keys"):
        RunConfig.from_dict({"statistics": {"alhpa": 0.1}})
    with pytest.raises(ConfigError, match="moved to statistics.fdr_method"):
        RunConfig.from_dict({"report": {"fdr": "holm"}})
    with pytest.raises(ConfigError, match="fdr_family"):
        RunConfig.from_dict({"statistics": {"fdr_family": "region"}})
    cfg = RunConfig.from_dict({"statistics": {"alpha": 0.1}})
    assert RunConfig.from_dict(cfg.to_dict()) == cfg  # it travels as data and comes back the same


def test_reruns_are_byte_identical_apart_from_the_run_timings(warehouse, tmp_path):
    from analysis.runner import run_year

    snapshots = []
    for attempt in ("a", "b"):
        summary = run_year(2024, warehouse, only=["00"], jobs=1, out=tmp_path / attempt)
        assert summary.ok
        files = {p.relative_to(tmp_path / attempt): p for p in (tmp_path / attempt).rglob("*")
                 if p.suffix in (".csv", ".xlsx", ".json", ".yaml")}
        snapshots.append(files)
    a, b = snapshots
    assert set(a) == set(b) and len(a) > 5
    for rel, path in a.items():
        if rel.name == "manifest.json":
            ma, mb = (json.loads(p.read_text(encoding="utf-8")) for p in (path, b[rel]))
            assert ma.pop("run") != mb.pop("run")  # the one field that records when and how long
            assert ma == mb
        else:
            assert path.read_bytes() == b[rel].read_bytes(), rel


def test_an_empty_warehouse_is_a_clear_error(tmp_path):
    from analysis.warehouse import Warehouse

    path = tmp_path / "empty.duckdb"
    Warehouse(path).close()
    with pytest.raises(ConfigError, match="holds no observations"):
        inputs.prepare_inputs(catalog.read_warehouse(path), catalog.read_run_config())


def test_heat_map_of_many_units_keeps_the_best_and_the_weakest_and_the_table_keeps_all(warehouse):
    from analysis import plots, summaries

    shared = inputs.prepare_inputs(catalog.read_warehouse(warehouse), catalog.read_run_config(), uncertainty=False)
    table = summaries.index_table(shared, 2024, "zh")
    order = table.unit_id.tolist()
    grid, scores = summaries.dimension_grid(shared, 2024, order, "zh", max_rows=10)
    assert grid.index.tolist() == order[:5] + order[-5:] and grid.attrs["omitted"] == (5, len(order))
    caption = plots.caption_of(plots.grade_heatmap(grid, scores), "zh")
    assert f"共 {len(order)} 个单位,图中为前 5 个与后 5 个(黑线处省略中间 {len(order) - 10} 个)" in caption
    whole = summaries.dimension_table(shared, 2024, order, "zh")
    n_dims = grid.shape[1]
    assert len(whole) == len(order) * n_dims and whole.unit_id.drop_duplicates().tolist() == order
    # the table's cells are the heat map's cells
    first = whole[whole.unit_id == order[0]].set_index("dimension")
    assert first.grade.to_dict() == grid.iloc[0].to_dict()
    assert first.score.to_dict() == pytest.approx(scores.iloc[0].to_dict())
    assert summaries.dimension_grid(shared, 2024, order, "zh")[0].attrs == {}  # 30 units: none left out


def test_saved_inputs_come_back_equal_with_their_dtypes(tmp_path):
    """Repeated text columns travel as categoricals and come back as they were (dtype, missing
    values, order), inside nested objects too; short and unique columns are left alone."""
    import pandas as pd

    n = 3000
    frame = pd.DataFrame({"unit_id": pd.array([f"U{i % 7}" if i % 11 else None for i in range(n)], dtype="str"),
                          "note": pd.Series([None, "x"] * (n // 2), dtype=object),
                          "code": pd.array([f"C{i}" for i in range(n)], dtype="str"), "v": range(n)})
    nested = {"frame": frame, "inner": [frame.head(10), frame]}
    back = catalog.load_inputs(catalog.save_inputs(nested, tmp_path))
    pd.testing.assert_frame_equal(back["frame"], frame)
    pd.testing.assert_frame_equal(back["inner"][0], frame.head(10))
    pd.testing.assert_frame_equal(back["inner"][1], frame)
    assert back["frame"].note.tolist()[:2] == [None, "x"]
