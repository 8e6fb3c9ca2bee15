"""Benchmark of long report tables at national scale (issue 13): page size and export cost.

    .venv/bin/python benchmarks/bench_tables.py [--units 3000]

A synthetic table shaped like the trend report's ``unit_trends`` at national scale (3,000 units ×
7 nodes = 21,000 rows × 14 columns) goes through the path of a run:

1. ``Report.table`` in the kernel: seconds and the HTML's bytes, against the same rows written
   as ``<tr>`` elements (the page form before issue 13, measured here from the same cells);
2. the per-table XLSX the runner writes (``site.table_xlsx``, XlsxWriter, rows streamed) against
   ``DataFrame.to_excel`` (openpyxl's normal mode, what the kernel ran before);
3. reading the table back for the workbook: ``site.table_frame`` (typed CSV) against
   ``pd.read_excel`` of the XLSX;
4. the officials' workbook with this one table (``site.write_workbook``).

Prints, with the machine load next to every figure (this machine is shared).
"""
from __future__ import annotations

import argparse
import io
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _record import figure  # noqa: E402


def unit_trends(units: int = 3000, nodes: int = 7, seed: int = 1):
    """``units × nodes`` rows, 14 columns, with the kinds of the trend table: codes, categories,
    counts, slopes, p-values and a Chinese reason."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    n = units * nodes
    p = rng.uniform(0, 1, n) ** 2
    return pd.DataFrame({
        "unit_id": np.repeat([f"U{i:04d}" for i in range(1, units + 1)], nodes),
        "node": np.tile(["I"] + [f"D{j}" for j in range(1, nodes)], units),
        "region": np.repeat(rng.choice([f"R{i:02d}" for i in range(1, 13)], units), nodes),
        "type": np.repeat(rng.choice(["county", "department", "state_enterprise", "college"], units), nodes),
        "test": rng.choice(["moderated_t", "mk_original"], n, p=[.8, .2]), "n": rng.integers(5, 11, n),
        "slope": rng.normal(0, 1.5, n), "p": p, "p_adj": np.minimum(1, p * 3), "family": np.tile(["I"] * nodes, units),
        "n_family": np.full(n, units),
        "classification": rng.choice(["improving", "deteriorating", "no significant trend", "not testable"], n),
        "test_reason": rng.choice(["序列少于 10 年:借用同一指标全部单位方差的调节 t 检验",
                                   "序列不少于 10 年:Mann–Kendall 检验"], n),
        "p_min": rng.uniform(0, .01, n)})


def timed(fn):
    t0 = time.perf_counter()
    value = fn()
    return time.perf_counter() - t0, value


def load() -> str:
    return "load %.1f" % os.getloadavg()[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--units", type=int, default=3000)
    args = ap.parse_args()
    import nbformat
    import pandas as pd

    from analysis import report, site

    df = unit_trends(args.units)
    print(f"table {df.shape[0]:,} rows × {df.shape[1]} columns; cores {os.cpu_count()}; {load()}")
    outputs = []
    rp = report.Report(lang="zh", display=lambda b: outputs.append(nbformat.v4.new_output("display_data", data=b)))
    rp.table(df.head(10), "warm-up", name="warm")  # imports (pypinyin, glossary, publish) are not the table's cost
    outputs.clear()
    t_table, _ = timed(lambda: rp.table(df, "全部单位的趋势检验", name="unit_trends"))
    page = len(outputs[0]["data"]["text/html"].encode("utf-8"))
    cells = rp._format_columns(df, [], {}, {})
    all_rows = len(report.rows_html(cells, len(df)).encode("utf-8"))
    print(f"1. Report.table: {t_table:.2f} s, {page / 1e6:.2f} MB of HTML (every row as <tr>: {all_rows / 1e6:.1f} MB) "
          f"({load()})")
    figure("long table through Report.table (kernel)", t_table, rows=len(df), html_bytes=page,
           html_bytes_all_rows_as_tr=all_rows)

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("rp.table(...)")
    cell.outputs = outputs
    nb.cells = [cell]
    [record] = site.read_tables(nb)
    t_ours, xlsx = timed(lambda: site.table_xlsx(record))
    buf = io.BytesIO()
    t_peer, _ = timed(lambda: report.neutralise_formulas(df).to_excel(buf, index=False, engine="openpyxl"))
    print(f"2. per-table XLSX: streamed {t_ours:.2f} s; DataFrame.to_excel {t_peer:.2f} s ({load()})")
    figure("per-table XLSX (XlsxWriter, streamed)", t_ours, peer="DataFrame.to_excel (openpyxl normal mode)",
           peer_seconds=t_peer, rows=len(df))

    t_back, frame = timed(lambda: site.table_frame(record))
    t_excel, _ = timed(lambda: pd.read_excel(io.BytesIO(xlsx), engine="openpyxl"))
    print(f"3. read back for the workbook: typed CSV {t_back:.2f} s; pd.read_excel {t_excel:.2f} s ({load()})")
    figure("table read back for the workbook (typed CSV)", t_back, peer="pd.read_excel of the XLSX",
           peer_seconds=t_excel, rows=len(df))

    out = Path(os.environ.get("TMPDIR", "/tmp")) / "bench_tables_results.xlsx"
    t_wb, _ = timed(lambda: site.write_workbook([("表 1 全部单位的趋势检验", "全部单位的趋势检验", frame)], out))
    print(f"4. workbook with this table: {t_wb:.2f} s ({load()})")
    figure("officials' workbook with the table (write-only)", t_wb, rows=len(df))
    out.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
