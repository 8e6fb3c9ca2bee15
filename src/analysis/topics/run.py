"""Running a topical report and writing a research package: the I/O side of topics.

Both read the warehouse once and run the inputs stage once (:func:`analysis.inputs.prepare_inputs`,
without the uncertainty analysis, which a topic does not show); the notebook reads the shared
inputs. In publish mode the audit files go to the audit folder, not beside the report.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import zipfile
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from .. import catalog
from .. import publish as pb
from ..config import RunConfig
from ..errors import ConfigError
from .definition import Topic, citation, load_topic
from .subset import TopicData, prepare_topic_data, tables_from_inputs

NOTEBOOK = catalog.NOTEBOOKS / "05_topical_report.ipynb"


def _config(config: RunConfig | str | Path | None, lang: str | None, publish: bool) -> RunConfig:
    cfg = config if isinstance(config, RunConfig) else catalog.read_run_config(config)
    return replace(cfg, lang=lang or cfg.lang, publish=bool(publish))


def _portable(cfg: RunConfig) -> dict[str, Any]:
    """The part of the run config a topic notebook needs, without local paths."""
    return {"lang": cfg.lang, "publish": cfg.publish, "report": cfg.to_dict()["report"]}


def notebook_parameters(topic_path: str | Path, year: int, config: RunConfig, inputs: str | Path = "",
                        data_dir: str | Path | None = None, key_path: str | Path | None = None) -> dict[str, Any]:
    """The parameter set of ``05_topical_report`` (every declared key, absolute paths)."""
    return {"topic_path": str(Path(topic_path).resolve()), "year": int(year), "config": _portable(config),
            "inputs": str(inputs), "warehouse": "", "data_dir": str(Path(data_dir).resolve()) if data_dir else "",
            "key_path": str(pb.key_path(key_path))}


def load_warehouse_tables(warehouse: str | Path | None = None, config: RunConfig | None = None
                          ) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """The tables a topic needs from one read of the warehouse and one run of the inputs stage."""
    from ..inputs import prepare_inputs

    tables = catalog.read_warehouse(warehouse)
    inputs = prepare_inputs(tables, config or catalog.read_run_config(), uncertainty=False)
    return tables_from_inputs(inputs), {"warehouse": tables.path, "warehouse_hash": tables.content_hash}


def notebook_data(topic: Topic, year: int, config: RunConfig, *, inputs: str = "", warehouse: str = "",
                  data_dir: str = "", key_path: str = "") -> TopicData:
    """The data subset the topic notebook shows: from a research package's ``data_dir``, else
    from the run's shared ``inputs``, else computed from the warehouse."""
    if data_dir:
        return TopicData.read(data_dir)
    if inputs:
        shared = catalog.load_inputs(inputs)
        tables, wh_hash = tables_from_inputs(shared), shared.warehouse_hash
    else:
        tables, info = load_warehouse_tables(warehouse or None, config)
        wh_hash = info["warehouse_hash"]
    return prepare_topic_data(topic, year, tables, publish=config.publish, key=key_path or None,
                              lexicon=catalog.read_lexicon(), lang=config.lang, meta={"warehouse_hash": wh_hash})


def _resolve_year(topic: Topic, year: int | None, problems: pd.DataFrame) -> int:
    if year is not None:
        return int(year)
    if topic.default_year() is not None:
        return topic.default_year()
    return int(problems.year.max())


def run_topic(topic_path: str | Path, year: int | None = None, warehouse: str | Path | None = None,
              out: str | Path = catalog.REPORTS, lang: str | None = None, publish: bool = True,
              key_path: str | Path | None = None, data_dir: str | Path | None = None, show_code: bool = False,
              config: RunConfig | str | Path | None = None):
    """Run ``05_topical_report`` for a topic into ``out/<year>/topic_<name>.html``.

    Returns the runner's :class:`analysis.runner.NotebookResult` (``html_path``,
    ``ipynb_path``, ``ok``, ``error``). The topic file is validated first (a
    :class:`ConfigError` before anything runs). In publish mode the executed notebook,
    sidecar and parameters go to the audit folder (:func:`analysis.catalog.audit_folder`).
    """
    from ..inputs import prepare_inputs
    from ..runner import execute_notebook, kernel_log, site_manifest
    from ..site import write_site_index, write_year_index

    topic = load_topic(topic_path)
    cfg = _config(config, lang, publish)
    tables = catalog.read_warehouse(warehouse)
    year = _resolve_year(topic, year, tables.problems)
    out = Path(out).resolve()
    out_dir = out / str(year)
    audit_dir = catalog.audit_folder(out, str(year)) if cfg.publish else out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".topic-inputs-", dir=out) as tmp:
        shared = catalog.save_inputs(prepare_inputs(tables, cfg, uncertainty=False), tmp)
        params = notebook_parameters(topic_path, year, cfg, shared, data_dir, key_path)
        with kernel_log(audit_dir, f"topic_{topic.name}"):
            result = execute_notebook(NOTEBOOK, params, out_dir, f"topic_{topic.name}", lang=cfg.lang,
                                      show_code=show_code, title=topic.text("title", cfg.lang), audit_dir=audit_dir)
    manifest = audit_dir / "manifest.json"
    if manifest.exists():  # the year's report index links the topical reports published beside it
        write_year_index(out_dir, site_manifest(json.loads(manifest.read_text(encoding="utf-8"))), cfg.lang)
    write_site_index(out, lang=cfg.lang)  # the root index counts the topic
    return result


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


README_TEMPLATE = """# 研究资料包:{title}

本资料包由 `analysis package` 生成,供合作单位开展课题研究使用。

- 专题:{title}
- 研究问题:{question}
- 作者:{authors}
- 合作单位:{partners}
- 报告年度:{year};涉及年度:{years}
- 数据截至:{as_of}
- 生成时间:{created}
- 假名化:{pseudo}

## 目录

| 路径 | 内容 |
| --- | --- |
| `report/{name}.html` | 专题报告(离线单文件 HTML,可直接用浏览器打开) |
| `report/{name}.ipynb` | 已执行的笔记本(审计用,含全部参数与输出) |
| `data/*.csv`、`data/*.parquet` | 报告所用数据子集:单位、问题清单(不含问题描述)、维度得分、监测点数值、关键词计数 |
| `data/meta.json` | 数据子集的说明(年度、数据截至日期、抑制阈值 k 等) |
| `config/topic.yaml` | 专题配置文件(原样) |
| `config/parameters.yaml` | 本次运行的实际参数 |
| `config/effective_config.json` | 实际生效的专题配置与运行配置 |
| `manifest.json` | 文件清单(SHA-256)、软件版本、数据仓库指纹 |

## 数据保护

{protection}

## 如何复现

在安装了本工具包(`analysis`)的环境中:

```bash
unzip {zipname} -d pkg && cd pkg
papermill report/{name}.ipynb rerun.ipynb -k analysis \\
  -p data_dir "$PWD/data" -p topic_path "$PWD/config/topic.yaml"
```

笔记本从 `data/` 读取数据(不访问数据仓库),重新计算的各表与报告中的表格完全一致。

## 建议引用

{citation}

## 数据说明

CSV 文件为 UTF-8 编码(带 BOM,Excel 可直接打开);单位代码为文字。计数小于 {k} 的单元格在报告中显示为“<{k}”。
"""


def _readme(topic: Topic, data: TopicData, year: int, created: str, zipname: str, name: str) -> str:
    pseudo = bool(data.meta["pseudonymised"])
    protection = ("单位代码已替换为带密钥的假名(如“单位-7F3A9C”),单位名称与问题描述均已删除;"
                  "假名密钥保存在数据提供方,不随本包发放。请勿尝试重新识别单位。"
                  if pseudo else
                  "**内部资料**:本包未做假名化,含真实单位代码、名称与问题描述,仅限内部使用,不得公开或转发。")
    return README_TEMPLATE.format(
        title=topic.title, question=topic.research_question, authors="、".join(a["name"] for a in topic.authors),
        partners="、".join(p["name"] for p in topic.partners), year=year,
        years="、".join(map(str, data.meta["years"])), as_of=data.meta["as_of"], created=created,
        pseudo="是" if pseudo else "否(内部资料)", protection=protection, zipname=zipname, name=name,
        citation=citation(topic, year), k=topic.k)


def _zip_folder(folder: Path, zip_path: Path) -> None:
    """A zip with sorted entries and fixed timestamps (same content → same bytes)."""
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(p for p in folder.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(str(f.relative_to(folder)), date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, f.read_bytes())



def package(topic_path: str | Path, year: int | None = None, out: str | Path = catalog.REPORTS / "packages",
            warehouse: str | Path | None = None, pseudonymise: bool = True, key_path: str | Path | None = None,
            lang: str | None = None, config: RunConfig | str | Path | None = None) -> Path:
    """Write a research package (zip) for the partner and return its path.

    Contents: ``report/`` (HTML and executed notebook, run from the packaged data),
    ``data/`` (the data subset as CSV and Parquet, pseudonymised unless
    ``pseudonymise=False``), ``config/`` (topic file, parameters, effective config),
    ``manifest.json`` and ``README.md`` (Chinese). The notebook is executed on ``data/``
    itself, so unzipping and rerunning it gives the same tables.
    """
    from ..params import dump_yaml
    from ..runner import execute_notebook, package_versions

    topic_path = Path(topic_path)
    topic = load_topic(topic_path)
    cfg = _config(config, lang, pseudonymise)
    tables, wh_info = load_warehouse_tables(warehouse, cfg)
    year = _resolve_year(topic, year, tables["problems"])
    key = pb.load_or_create_key(key_path) if pseudonymise else None
    data = prepare_topic_data(topic, int(year), tables, publish=pseudonymise, key=key, lexicon=catalog.read_lexicon(),
                              lang=cfg.lang, meta={"warehouse_hash": wh_info["warehouse_hash"]})
    created = datetime.now(timezone.utc).isoformat(timespec="seconds")
    name = f"topic_{topic.name}"
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    zip_path = out / f"{topic.name}_{year}{'' if pseudonymise else '_internal'}.zip"
    with tempfile.TemporaryDirectory() as tmp:
        stage = Path(tmp) / "package"
        data.write(stage / "data")
        (stage / "config").mkdir(parents=True)
        shutil.copyfile(topic_path, stage / "config" / "topic.yaml")
        params = notebook_parameters(stage / "config" / "topic.yaml", int(year), cfg, data_dir=stage / "data",
                                     key_path=key_path)
        # the package drops report/tables (its data are under data/): a long table keeps its CSV in the page
        result = execute_notebook(NOTEBOOK, params, stage / "report", name, lang=cfg.lang,
                                  title=topic.text("title", cfg.lang), audit_dir=Path(tmp) / "audit", csv_links=False)
        if not result.ok:
            raise ConfigError(f"专题报告执行失败 / the topical report failed: In [{result.cell}] {result.error}")
        # the package keeps the report and its executed notebook (run on the packaged data only)
        shutil.copyfile(result.ipynb_path, stage / "report" / f"{name}.ipynb")
        shutil.rmtree(stage / "report" / "tables", ignore_errors=True)
        portable = {k: v for k, v in params.items() if k not in ("warehouse", "key_path", "data_dir", "topic_path", "inputs")}
        dump_yaml(portable | {"data_dir": "data", "topic_path": "config/topic.yaml"}, stage / "config" / "parameters.yaml")
        effective = {"topic": topic.as_dict() | {"source": "config/topic.yaml"}, "data": data.meta,
                     "run_config": {"report": cfg.to_dict()["report"]}, "scoring_config": cfg.scoring}
        (stage / "config" / "effective_config.json").write_text(
            json.dumps(effective, ensure_ascii=False, indent=1, sort_keys=True, default=str), encoding="utf-8")
        (stage / "README.md").write_text(_readme(topic, data, int(year), created, zip_path.name, name), encoding="utf-8")
        files = sorted(p for p in stage.rglob("*") if p.is_file())
        manifest = {"created": created, "topic": topic.name, "year": int(year), "pseudonymised": pseudonymise,
                    "warehouse_hash": wh_info["warehouse_hash"], "packages": package_versions(),
                    "notebook": NOTEBOOK.name, "seconds": round(result.seconds, 2),
                    "files": [{"path": str(p.relative_to(stage)), "sha256": _sha256(p), "bytes": p.stat().st_size}
                              for p in files]}
        (stage / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        _zip_folder(stage, zip_path)
    return zip_path
