"""Notebook parameters: YAML files checked against each notebook's declared parameters.

papermill only warns about an unknown parameter and never converts a value to the declared
type (nteract/papermill#55, PR #701). Here, before anything runs, every parameter set is
checked against the notebook's ``parameters`` cell:

- names come from :func:`papermill.inspect_notebook`; the same cell is parsed with :mod:`ast`
  so that a declaration papermill cannot read (e.g. ``x: str | None = None``, which its regex
  skips) is an error rather than a silently ignored parameter;
- the type annotation (``int``, ``float``, ``str``, ``bool``, ``list[str]``,
  ``dict[str, float]``, ``Optional[...]``) is enforced: ``bool`` is not an ``int``, an ``int``
  is accepted where ``float`` is declared, a unit code ``010`` must be a string;
- an unknown key or (when ``require_all``) a missing key is an error.

YAML is read with a loader that keeps numbers written with a leading zero (``010``) as
strings, instead of PyYAML's YAML 1.1 octal reading (``010`` → 8).
"""
from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError

_LEADING_ZERO = re.compile(r"^[-+]?0[0-9_]+$")


class _Loader(yaml.SafeLoader):
    """SafeLoader that keeps ``010``-style scalars as text (unit codes keep their zeros)."""


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode):
    text = loader.construct_scalar(node)
    if _LEADING_ZERO.match(text):
        return text
    return yaml.SafeLoader.construct_yaml_int(loader, node)


_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)


def load_yaml(path: str | Path) -> dict[str, Any]:
    """Read a YAML mapping (UTF-8); ``010`` stays the string ``'010'``."""
    path = Path(path)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except yaml.YAMLError as exc:
        raise ConfigError(f"YAML 文件无法解析 {path}: {exc} / cannot parse YAML file {path}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: 顶层须为键值映射 / the top level must be a mapping")
    return data


def loads_yaml(text: str) -> Any:
    """Parse YAML text with the same loader as :func:`load_yaml`."""
    return yaml.load(text, Loader=_Loader)


def dump_yaml(data: dict[str, Any], path: str | Path) -> None:
    """Write a parameter set as YAML (strings quoted where needed, Chinese kept readable)."""
    Path(path).write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=True), encoding="utf-8")


def _parameters_cell(nb) -> Any:
    for cell in nb.cells:
        if cell.cell_type == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            return cell
    return None


def declared_parameters(notebook: str | Path) -> dict[str, dict[str, str]]:
    """Parameters declared in a notebook: name → ``{type, default, help}``.

    Raises :class:`ConfigError` when the notebook has no ``parameters`` cell or when a
    declaration there is not understood by papermill (so it could never be overridden).
    """
    import nbformat
    import papermill

    notebook = Path(notebook)
    nb = nbformat.read(notebook, as_version=4)
    cell = _parameters_cell(nb)
    if cell is None:
        raise ConfigError(f"{notebook.name}: 没有标记为 parameters 的代码单元 / no code cell tagged 'parameters'")
    seen = papermill.inspect_notebook(str(notebook))
    try:
        tree = ast.parse(cell.source)
    except SyntaxError as exc:
        raise ConfigError(f"{notebook.name}: parameters 单元有语法错误 / syntax error in the parameters cell: {exc}") from exc
    for node in tree.body:
        names = []
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names = [node.target.id]
            if node.target.id not in seen:
                raise ConfigError(
                    f"{notebook.name}: 参数 {node.target.id} 的声明 papermill 无法识别"
                    "(请用 Optional[...] 而非 X | None,注释中不要用“=”)"
                    f" / papermill cannot read the declaration of {node.target.id!r}"
                    " (use Optional[...], not X | None; no '=' in the comment)")
        elif isinstance(node, ast.Assign):
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
        for name in names:
            if name in seen and seen[name]["inferred_type_name"] == "None":
                raise ConfigError(f"{notebook.name}: 参数 {name} 缺少类型注解 / parameter {name!r} has no type annotation")
    return {name: {"type": spec["inferred_type_name"], "default": spec["default"], "help": spec["help"]}
            for name, spec in seen.items()}


def _type_ok(value: Any, annotation: ast.expr) -> bool:
    """Does ``value`` satisfy the annotation expression (a small, safe subset of typing)?"""
    if isinstance(annotation, ast.Constant) and annotation.value is None:
        return value is None
    if isinstance(annotation, ast.Name):
        name = annotation.id
        if name == "Any":
            return True
        if name == "bool":
            return isinstance(value, bool)
        if name == "int":
            return isinstance(value, int) and not isinstance(value, bool)
        if name == "float":
            return isinstance(value, (int, float)) and not isinstance(value, bool)
        if name == "str":
            return isinstance(value, str)
        if name in ("list", "List"):
            return isinstance(value, list)
        if name in ("dict", "Dict"):
            return isinstance(value, dict)
        if name == "None":
            return value is None
        raise ConfigError(f"不支持的参数类型 {name} / unsupported parameter type {name!r}")
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        return _type_ok(value, annotation.left) or _type_ok(value, annotation.right)
    if isinstance(annotation, ast.Subscript) and isinstance(annotation.value, ast.Name):
        outer = annotation.value.id
        inner = annotation.slice
        if outer == "Optional":
            return value is None or _type_ok(value, inner)
        if outer == "Union":
            return any(_type_ok(value, e) for e in inner.elts)
        if outer in ("list", "List"):
            return isinstance(value, list) and all(_type_ok(v, inner) for v in value)
        if outer in ("dict", "Dict"):
            key_t, val_t = inner.elts
            return isinstance(value, dict) and all(
                _type_ok(k, key_t) and _type_ok(v, val_t) for k, v in value.items())
    raise ConfigError(f"不支持的参数类型 {ast.unparse(annotation)} / unsupported parameter type")


def check_parameters(notebook: str | Path, parameters: dict[str, Any], require_all: bool = True,
                     declared: dict[str, dict[str, str]] | None = None) -> dict[str, Any]:
    """Check a parameter set against the notebook's declarations; return it unchanged.

    Every problem is collected and reported at once, each naming the key and the reason.
    """
    notebook = Path(notebook)
    declared = declared if declared is not None else declared_parameters(notebook)
    problems = []
    for key in sorted(set(parameters) - set(declared)):
        problems.append(f"未知参数 {key}(笔记本声明的参数:{', '.join(declared)})"
                        f" / unknown parameter {key!r} (declared: {', '.join(declared)})")
    if require_all:
        for key in sorted(set(declared) - set(parameters)):
            problems.append(f"缺少参数 {key} / missing parameter {key!r}")
    for key, value in parameters.items():
        if key not in declared:
            continue
        type_text = declared[key]["type"]
        if not _type_ok(value, ast.parse(type_text, mode="eval").body):
            problems.append(f"参数 {key} 应为 {type_text},实际为 {type(value).__name__} {value!r}"
                            f" / parameter {key!r} must be {type_text}, got {type(value).__name__} {value!r}")
    if problems:
        raise ConfigError(f"{notebook.name}: 参数检查未通过 / parameter check failed\n"
                          + "\n".join(f"  - {p}" for p in problems))
    return parameters


def check_parameter_file(notebook: str | Path, path: str | Path, require_all: bool = False) -> dict[str, Any]:
    """Load a YAML parameter file and check it against ``notebook``."""
    return check_parameters(notebook, load_yaml(path), require_all=require_all)
