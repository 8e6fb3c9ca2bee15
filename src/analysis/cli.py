"""Command line: ``analysis --help`` lists the commands.

Exit codes: 0 success, 1 a run finished with failures, 2 invalid input or usage.
"""
from __future__ import annotations

import sys
from pathlib import Path

import click

from .errors import AnalysisError, InputError

WAREHOUSE = click.option("--warehouse", type=click.Path(path_type=Path), default=Path("data/warehouse.duckdb"),
                         show_default=True, help="数据仓库文件 / warehouse file")


def _fail(err: Exception) -> None:
    click.echo(str(err), err=True)
    sys.exit(2)


def _damaged(err: Exception, warehouse: Path) -> None:
    """A DuckDB error met after the warehouse opened: damaged blocks or a full disk."""
    from .warehouse import restore_hint

    click.echo(f"数据仓库 {warehouse} 读写失败 / the warehouse {warehouse} failed "
               f"({type(err).__name__}: {str(err).splitlines()[0]}). " + restore_hint(warehouse), err=True)
    sys.exit(2)


LOCK_TIMEOUT = click.option("--lock-timeout", type=float, default=None,
                            help="等待其他进程释放数据仓库的秒数(默认 30)/ seconds to wait for another process's "
                                 "lock on the warehouse (default 30)")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """政治生态分析研判 / political ecology analysis and assessment."""


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@WAREHOUSE
@click.option("--replace", is_flag=True, help="以新值替换冲突的已入库数值(旧值存入历史表)/ replace conflicting stored values")
@click.option("--framework", type=click.Path(exists=True, path_type=Path), default=None,
              help="指标体系文件 / framework file (default: the one stored, else data/framework/framework.csv)")
@LOCK_TIMEOUT
def ingest(paths, warehouse, replace, framework, lock_timeout):
    """导入 CSV / XLSX / Parquet 数据 / load data files (all or nothing)."""
    import duckdb

    from .ingest import ingest as run_ingest
    from .warehouse import Warehouse

    try:
        with Warehouse(warehouse, lock_timeout=lock_timeout) as wh:
            report = run_ingest(paths, wh, replace=replace, framework=framework,
                                command="analysis ingest " + " ".join(sys.argv[2:]))
    except (InputError, AnalysisError) as e:
        _fail(e)
    except duckdb.Error as e:
        _damaged(e, warehouse)
    click.echo(report.summary())


@cli.command()
@click.argument("out", type=click.Path(path_type=Path))
@WAREHOUSE
@LOCK_TIMEOUT
def export(out, warehouse, lock_timeout):
    """导出全部数据表(含来源与历史)为 Parquet 和校验清单 / export every table to Parquet with a checksum manifest."""
    import duckdb

    from .warehouse import Warehouse
    from .warehouse import export as run_export

    try:
        with Warehouse(warehouse, read_only=True, lock_timeout=lock_timeout) as wh:
            manifest = run_export(wh, out)
    except AnalysisError as e:
        _fail(e)
    except duckdb.Error as e:
        _damaged(e, warehouse)
    click.echo(f"已导出 / exported: {manifest}")


@cli.command()
@click.argument("src", type=click.Path(exists=True, file_okay=False, path_type=Path))
@WAREHOUSE
def restore(src, warehouse):
    """由导出目录重建数据仓库(校验和须一致,不覆盖已有文件)/ rebuild a warehouse from an export folder."""
    from .warehouse import restore as run_restore

    try:
        path = run_restore(src, warehouse)
    except AnalysisError as e:
        _fail(e)
    click.echo(f"已恢复 / restored: {path}")


@cli.command()
@WAREHOUSE
@click.option("--out", type=click.Path(path_type=Path), default=Path("data/sample"), show_default=True,
              help="样例数据 CSV 输出目录 / where the sample CSV files are written")
@click.option("--units", "n_units", type=int, default=80, show_default=True)
@click.option("--years", "n_years", type=int, default=6, show_default=True)
@click.option("--first-year", type=int, default=None,
              help="首个年度,默认 2019(年数过多时提前,使末年不晚于今年)/ first year: 2019, or earlier so that "
                   "the last year is not after this one")
@click.option("--seed", type=int, default=20241, show_default=True)
@click.option("--no-ingest", is_flag=True, help="只生成文件,不入库 / write files only")
def sample(warehouse, out, n_units, n_years, first_year, seed, no_ingest):
    """生成虚构的示例市数据并入库 / generate the synthetic sample city and load it."""
    import duckdb

    from .sample import SYNTHETIC_LABEL, generate, write_files

    from datetime import date

    # ingest refuses years after the current one: a long sample ends this year at the latest
    first_year = first_year if first_year is not None else min(2019, date.today().year - n_years + 1)
    data = generate(n_units=n_units, years=range(first_year, first_year + n_years), seed=seed)
    paths = write_files(data, out)
    click.echo(f"{SYNTHETIC_LABEL}: {len(data.units.unit_id.unique())} units, "
               f"{len(data.observations)} observations, {len(data.problems)} problems → {out}")
    if not no_ingest:
        from .ingest import ingest as run_ingest

        try:
            report = run_ingest(paths, warehouse, command="analysis sample")
        except (InputError, AnalysisError) as e:
            _fail(e)
        except duckdb.Error as e:
            _damaged(e, warehouse)
        click.echo(report.summary())


@cli.command()
@click.option("--year", type=int, required=True)
@WAREHOUSE
@click.option("--out", type=click.Path(path_type=Path), default=Path("data/templates"), show_default=True)
@click.option("--problems", is_flag=True,
              help="生成问题清单采集表(每个来源部门一张工作表)/ write the problem-list collection workbook")
def template(year, warehouse, out, problems):
    """为每个牵头部门生成 Excel 采集模板 / write one collection template per lead department."""
    from .template import write_problem_template, write_templates
    from .warehouse import Warehouse

    try:
        with Warehouse(warehouse, read_only=True) as wh:
            fw, units = wh.framework(), wh.units()
            rounds = wh.inspection_rounds() if problems else None
    except AnalysisError as e:
        _fail(e)
    if problems:
        click.echo(str(write_problem_template(units, year, out, rounds)))
        return
    for p in write_templates(fw, units, year, out):
        click.echo(str(p))


@cli.command()
@click.option("--year", type=int, default=None, help="检查年度 / year to check (default: all)")
@WAREHOUSE
def validate(year, warehouse):
    """数据质量摘要 / print a data-quality summary."""
    import duckdb
    import pandas as pd

    from .panel import yearly_values
    from .quality import summary
    from .warehouse import Warehouse

    try:
        with Warehouse(warehouse, read_only=True) as wh:
            fw, units, obs = wh.framework(), wh.units(), wh.observations()
    except AnalysisError as e:
        _fail(e)
    except duckdb.Error as e:
        _damaged(e, warehouse)
    values = yearly_values(obs, fw, units)
    s = summary(values, fw, units, year)
    cov = s["coverage"] if year is None else s["coverage"][s["coverage"].year == year]
    with pd.option_context("display.width", 160, "display.max_rows", 60, "display.unicode.east_asian_width", True):
        click.echo("== 覆盖率 / coverage (share of units reporting), indicator × year ==")
        click.echo(cov.pivot(index="indicator", columns="year", values="coverage").round(2).to_string())
        click.echo(f"\n== 缺失单元格 / missing cells: {int(cov.missing.sum())} ==")
        missing = s["missing"] if year is None else s["missing"][s["missing"].year == year]
        click.echo("== 整年缺失的监测点 / indicators missing for a whole year ==")
        click.echo(missing[["indicator", "name_zh", "year"]].to_string(index=False) if len(missing) else "无 / none")
        click.echo(f"\n== 超出范围的数值 / out-of-range values: {len(s['out_of_range'])} ==")
        if len(s["out_of_range"]):
            click.echo(s["out_of_range"].head(20).to_string(index=False))
        click.echo(f"\n== 可疑跳变(与上年相比,稳健 z > 3.5)/ suspicious jumps: {len(s['jumps'])} ==")
        if len(s["jumps"]):
            click.echo(s["jumps"].head(20).round(2).to_string(index=False))


@cli.command()
@click.option("--year", type=int, required=True)
@WAREHOUSE
@click.option("--config", type=click.Path(exists=True, path_type=Path), default=None, help="run.yaml")
@click.option("--only", default=None, help="只运行部分报告,如 01,03 / run only these notebooks")
@click.option("--units", default=None, help="单位代码,逗号分隔 / unit ids for diagnoses, comma-separated")
@click.option("--jobs", type=int, default=None, help="并行数(默认=CPU 核数)/ parallel notebooks (default: cores)")
@click.option("--lang", type=click.Choice(["zh", "en"]), default=None, help="默认取运行配置 / default: the run config's")
@click.option("--out", type=click.Path(path_type=Path), default=Path("reports"), show_default=True)
@click.option("--show-code", is_flag=True, help="教学版:显示代码与练习,数据假名化 / teaching edition: code and exercises, pseudonymised data")
@click.option("--publish", is_flag=True, default=None, help="发布模式:假名化、去除文本、小数抑制 / publication-safe mode")
@click.option("--allow-low-coverage", is_flag=True,
              help="覆盖率低时仍生成报告并在每页提示 / report despite low coverage, with a notice on every page")
@click.option("--period", type=click.Choice(["Y", "H1", "H2", "Q1", "Q2", "Q3", "Q4"]), default="Y", show_default=True,
              help="年度报告 Y、半年诊断 H1/H2、季度监测 Q1–Q4 / yearly set, half-yearly diagnoses or quarterly monitoring")
@click.option("--compare-with", type=int, default=None, help="与之比较的年度,如 2019 / a year to compare with, e.g. 2019")
@click.option("--scheduler", default=None, help="Dask 调度器地址 tcp://host:port / a Dask scheduler for the Monte Carlo draws")
@click.option("--pdf", is_flag=True, help="同时输出每份报告的 PDF / also print every report to PDF")
def run(year, warehouse, config, only, units, jobs, lang, out, show_code, publish, allow_low_coverage, period,
        compare_with, scheduler, pdf):
    """运行年度报告 / run the yearly report set."""
    from .runner import run_year

    try:
        result = run_year(year=year, warehouse=warehouse, config=config,
                          only=only.split(",") if only else None, units=units.split(",") if units else None,
                          jobs=jobs, lang=lang, out=out, show_code=show_code, publish=publish or None,
                          allow_low_coverage=allow_low_coverage, period=period, compare_with=compare_with,
                          scheduler=scheduler, pdf=pdf)
    except AnalysisError as e:
        _fail(e)
    click.echo(f"报告索引 / report index: {result.index_path}")
    if not result.ok:
        for f in result.failures:
            click.echo(f"失败 / failed: {f.name} In [{f.cell}] {f.error}", err=True)
        sys.exit(1)


@cli.command()
@click.argument("topic_path", type=click.Path(exists=True, path_type=Path))
@click.option("--year", type=int, default=None)
@WAREHOUSE
@click.option("--out", type=click.Path(path_type=Path), default=Path("reports"), show_default=True)
@click.option("--lang", type=click.Choice(["zh", "en"]), default=None, help="默认取运行配置 / default: the run config's")
@click.option("--internal", is_flag=True, help="内部版:保留问题描述与真实单位名 / internal edition")
def topic(topic_path, year, warehouse, out, lang, internal):
    """运行专题调研报告 / run a topical research report."""
    from .topics import run_topic

    try:
        result = run_topic(topic_path, year=year, warehouse=warehouse, out=out, lang=lang, publish=not internal)
    except AnalysisError as e:
        _fail(e)
    click.echo(str(result.html_path))
    if not result.ok:
        click.echo(f"失败 / failed: {result.error}", err=True)
        sys.exit(1)


@cli.command()
@click.argument("topic_path", type=click.Path(exists=True, path_type=Path))
@click.option("--year", type=int, default=None)
@WAREHOUSE
@click.option("--out", type=click.Path(path_type=Path), default=Path("reports/packages"), show_default=True)
@click.option("--no-pseudonymise", is_flag=True, help="不做假名化(仅限内部)/ keep real unit names (internal only)")
def package(topic_path, year, warehouse, out, no_pseudonymise):
    """为合作单位打包研究资料 / write a research package for the partner."""
    from .topics import package as make_package

    try:
        path = make_package(topic_path, year=year, out=out, warehouse=warehouse, pseudonymise=not no_pseudonymise)
    except AnalysisError as e:
        _fail(e)
    click.echo(str(path))


@cli.command()
@click.option("--config", "configs", type=click.Path(exists=True, path_type=Path), multiple=True, required=True,
              help="两个指数配置文件 / two index config files (give --config twice)")
@click.option("--year", type=int, required=True)
@WAREHOUSE
@click.option("--out", type=click.Path(path_type=Path), default=Path("reports"), show_default=True)
def compare(configs, year, warehouse, out):
    """比较两种指数配置(权重方案)下各单位的得分、排名与等级 / compare two index configurations unit by unit."""
    from . import catalog
    from .panel import yearly_values
    from .site import xlsx_bytes
    from .whatif import compare_configs, comparison_summary

    if len(configs) != 2:
        _fail(AnalysisError("请给出两个 --config / give exactly two --config files"))
    try:
        a, b = (catalog.read_index_config(c) for c in configs)
        tables = catalog.read_warehouse(warehouse)
        values = yearly_values(tables.observations, tables.framework, tables.units)
        table = compare_configs(values, tables.framework, tables.units, a, b, year)
    except AnalysisError as e:
        _fail(e)
    summary = comparison_summary(table).iloc[0]
    folder = Path(out) / str(year)
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"compare_{configs[0].stem}_vs_{configs[1].stem}"
    table.to_csv(folder / f"{stem}.csv", index=False, encoding="utf-8-sig")
    (folder / f"{stem}.xlsx").write_bytes(xlsx_bytes(table))
    click.echo(f"Spearman ρ = {summary.spearman_rho:.3f};最大名次变化 / largest rank shift {int(summary.max_rank_shift)};"
               f"等级变化 / grade changes {int(summary.n_grade_changed)}(升 up {int(summary.n_grade_up)},降 down {int(summary.n_grade_down)})")
    click.echo(str(folder / f"{stem}.csv"))


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
