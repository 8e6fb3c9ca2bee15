"""The report notebooks: stored without outputs, parameters cell first and tagged, paired, runnable config."""
from __future__ import annotations

from pathlib import Path

import jupytext
import nbformat
import pytest

from analysis.params import check_parameters, declared_parameters
import ast

from analysis.catalog import read_run_config

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("0*.ipynb"))
CORE = ["00_data_quality", "01_yearly_statistics", "02_region_comparison", "03_trend_significance",
        "04_unit_diagnosis"]
# the conventions of this project's own yearly notebooks (pairing, bilingual narrative)
CORE_PATHS = [ROOT / "notebooks" / f"{name}.ipynb" for name in CORE]


def test_the_five_core_notebooks_exist():
    assert {p.stem for p in NOTEBOOKS} >= set(CORE)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"cell {i} has outputs"
            assert cell.execution_count is None, f"cell {i} has an execution count"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_first_code_cell_is_the_tagged_parameters_cell_with_typed_defaults_only(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", [])
    assert sum("parameters" in c.metadata.get("tags", []) for c in code) == 1
    for line in code[0].source.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            # `name: type = literal  # comment`: typed, commented, nothing derived
            assert ":" in line.split("=")[0] and "#" in line, line
    declared_parameters(path)  # every declaration readable by papermill and typed


@pytest.mark.parametrize("path", CORE_PATHS, ids=lambda p: p.stem)
def test_fixed_kernel_and_paired_text_file_in_sync(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "analysis"
    paired = path.with_suffix(".py")
    assert paired.exists(), f"{paired.name} (jupytext py:percent) missing"
    text = jupytext.read(paired)
    assert [(c.cell_type, c.source) for c in text.cells] == [(c.cell_type, c.source) for c in nb.cells]
    assert [c.metadata.get("tags", []) for c in text.cells] == [c.metadata.get("tags", []) for c in nb.cells]


@pytest.mark.parametrize("path", CORE_PATHS, ids=lambda p: p.stem)
def test_both_languages_have_their_narrative(path):
    nb = nbformat.read(path, as_version=4)
    tags = [t for c in nb.cells if c.cell_type == "markdown" for t in c.metadata.get("tags", [])]
    assert tags.count("lang-zh") == tags.count("lang-en") >= 1


def test_default_run_config_gives_every_notebook_a_valid_parameter_set():
    cfg = read_run_config()
    assert list(cfg.notebooks) == CORE
    common = {"year": 2024, "period": "Y", "compare_with": 0, "warehouse": "data/warehouse.duckdb", "config": cfg.to_dict(), "inputs": "",
              "notice": ""}
    for name in cfg.notebooks:
        path = ROOT / "notebooks" / f"{name}.ipynb"
        declared = declared_parameters(path)
        params = {k: v for k, v in common.items() if k in declared}
        if name in cfg.batch_notebooks:
            params["units"] = ["010", "U001"]
        check_parameters(path, params, declared=declared)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_hold_no_logic(path):
    """Parameters, narrative, calls and figures: no def, class, for or while statement, and at most
    about 70 code lines (the logic lives in src/analysis, where it is tested)."""
    nb = nbformat.read(path, as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    for source in code:
        banned = [type(n).__name__ for n in ast.walk(ast.parse(source))
                  if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.For, ast.While))]
        assert not banned, f"{path.name}: {banned} in\n{source[:200]}"
    lines = [ln for s in code for ln in s.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    assert len(lines) <= 75, f"{path.name}: {len(lines)} code lines"
