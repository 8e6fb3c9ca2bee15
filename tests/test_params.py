"""Parameters as YAML, checked against each notebook's declared parameters (analysis.params)."""
from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from analysis.errors import ConfigError
from analysis.params import check_parameter_file, check_parameters, declared_parameters, load_yaml, loads_yaml

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"

PARAMS_CELL = """\
year: int = 2024  # 统计年度 / year
unit_code: str = "010"  # 单位代码 / unit code
units: list[str] = []  # 单位 / units
alpha: float = 0.05  # 显著性水平 / significance level
publish: bool = False  # 发布模式 / publish mode
weights: dict[str, float] = {}  # 权重 / weights
region: Optional[str] = None  # 片区 / region
"""


def make_notebook(path: Path, source: str = PARAMS_CELL) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "analysis", "display_name": "analysis (Python 3)", "language": "python"}
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell, nbformat.v4.new_code_cell("print(year)")]
    nbformat.write(nb, path)
    return path


@pytest.fixture
def nb(tmp_path):
    return make_notebook(tmp_path / "nb.ipynb")


GOOD = {"year": 2023, "unit_code": "010", "units": ["010", "U2"], "alpha": 0.1, "publish": True,
        "weights": {"D1": 0.5, "D2": 1}, "region": None}


def test_declared_parameters_have_types_defaults_and_help(nb):
    declared = declared_parameters(nb)
    assert list(declared) == ["year", "unit_code", "units", "alpha", "publish", "weights", "region"]
    assert declared["year"] == {"type": "int", "default": "2024", "help": "统计年度 / year"}
    assert declared["units"]["type"] == "list[str]"
    assert declared["region"]["type"] == "Optional[str]"


def test_a_complete_well_typed_set_passes(nb):
    assert check_parameters(nb, dict(GOOD)) == GOOD


def test_unknown_key_is_an_error_naming_the_key(nb):
    with pytest.raises(ConfigError) as err:
        check_parameters(nb, GOOD | {"yaer": 2022})
    assert "yaer" in str(err.value) and "unknown parameter" in str(err.value) and "未知参数" in str(err.value)


def test_missing_key_is_an_error_when_all_are_required(nb):
    partial = {k: v for k, v in GOOD.items() if k != "alpha"}
    with pytest.raises(ConfigError, match="missing parameter 'alpha'"):
        check_parameters(nb, partial)
    # a user's YAML file may override only some keys
    assert check_parameters(nb, partial, require_all=False) == partial


@pytest.mark.parametrize("key, value, reason", [
    ("unit_code", 10, "must be str, got int 10"),            # papermill -p would inject 10 for '010'
    ("year", "2024", "must be int, got str '2024'"),
    ("year", True, "must be int, got bool True"),            # bool is an int subclass in Python
    ("alpha", "0.1", "must be float, got str"),
    ("units", ["010", 11], "must be list[str]"),
    ("units", "010", "must be list[str], got str"),
    ("weights", {"D1": "heavy"}, "must be dict[str, float]"),
    ("publish", "yes", "must be bool"),
    ("region", 3, "must be Optional[str]"),
])
def test_wrong_type_is_an_error_naming_key_and_reason(nb, key, value, reason):
    with pytest.raises(ConfigError) as err:
        check_parameters(nb, GOOD | {key: value})
    assert f"parameter {key!r} {reason}" in str(err.value)


def test_int_is_accepted_where_float_is_declared(nb):
    check_parameters(nb, GOOD | {"alpha": 1})


def test_all_problems_are_reported_at_once(nb):
    with pytest.raises(ConfigError) as err:
        check_parameters(nb, {k: v for k, v in GOOD.items() if k != "year"} | {"unit_code": 10, "extra": 1})
    text = str(err.value)
    assert "'year'" in text and "'unit_code'" in text and "'extra'" in text


def test_yaml_keeps_leading_zero_codes_as_text(tmp_path, nb):
    # PyYAML (YAML 1.1) reads an unquoted 010 as the octal integer 8; unit codes must stay text.
    assert loads_yaml("a: 010\nb: '010'\nc: [010, 011, 12]\nd: 10\ne: 0\nf: -0.5\ng: 0x1F") == \
        {"a": "010", "b": "010", "c": ["010", "011", 12], "d": 10, "e": 0, "f": -0.5, "g": 31}
    path = tmp_path / "p.yaml"
    path.write_text("year: 2023\nunit_code: 010\nunits: [010, U2]\n", encoding="utf-8")
    assert check_parameter_file(nb, path) == {"year": 2023, "unit_code": "010", "units": ["010", "U2"]}


def test_yaml_must_be_a_mapping(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("- 1\n- 2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="mapping"):
        load_yaml(path)


def test_declaration_papermill_cannot_read_is_an_error(tmp_path):
    # papermill's regex skips `X | None` annotations: the parameter could never be overridden
    nb = make_notebook(tmp_path / "bad.ipynb", "year: int = 2024\nregion: str | None = None\n")
    with pytest.raises(ConfigError, match="papermill cannot read the declaration of 'region'"):
        declared_parameters(nb)


def test_untyped_parameter_is_an_error(tmp_path):
    nb = make_notebook(tmp_path / "untyped.ipynb", "year = 2024\n")
    with pytest.raises(ConfigError, match="'year' has no type annotation"):
        declared_parameters(nb)


def test_notebook_without_parameters_cell_is_an_error(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "analysis", "display_name": "analysis", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("year: int = 1")]
    nbformat.write(nb, tmp_path / "none.ipynb")
    with pytest.raises(ConfigError, match="no code cell tagged 'parameters'"):
        declared_parameters(tmp_path / "none.ipynb")


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("0*.ipynb")), ids=lambda p: p.stem)
def test_project_notebooks_declare_readable_typed_parameters(path):
    declared = declared_parameters(path)
    # the run config (with the language) travels as the one `config` parameter
    assert {"year", "warehouse", "config"} <= set(declared)
    assert declared["year"]["type"] == "int"
