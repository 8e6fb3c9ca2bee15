"""Fuzz pass over CSV and XLSX ingest: every input must end in a clean load or a located error.

Run with ``make fuzz`` (never part of ``make test``)::

    python tests/fuzz_ingest.py --per-kind 20 --seed 15 --out fuzz-findings

Each input is ingested in a forked child with resource limits (address space, CPU seconds)
and a wall-clock timeout. An input "passes" when the child ends with a load or an
:class:`~analysis.errors.InputError` whose issues name the file, and the warehouse is unchanged
after an error. Anything else (a traceback, a resource limit, a timeout, a changed warehouse) is
a finding: the input is written to ``--out`` to join ``tests/data/bad/`` with a test.
The figures of a run are recorded in ``docs/reliability.md``.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import openpyxl

HERE = Path(__file__).parent
BAD = HERE / "data" / "bad"
MEMORY_LIMIT = 2 * 1024 ** 3   # address space per input (bytes)
CPU_LIMIT = 60                 # CPU seconds per input
WALL_LIMIT = 120               # wall-clock seconds per input (the machine may be shared)

HEADER = ["unit_id", "year", "period", "indicator", "value", "source", "note"]
UNITS = [f"U00{i}" for i in range(1, 6)]
QUARTERLY = ["M01", "M02", "M03", "M07", "M17", "M23", "M27"]


def _valid_rows(rng: random.Random, n: int) -> list[list]:
    return [[rng.choice(UNITS), rng.choice([2022, 2023, 2024]), rng.choice(["Q1", "Q2", "Q3", "Q4"]),
             rng.choice(QUARTERLY), rng.randint(0, 9), "纪委监委", ""] for _ in range(n)]


def _csv(rows: list[list], header=HEADER) -> bytes:
    out = io.StringIO()
    out.write(",".join(map(str, header)) + "\n")
    for r in rows:
        out.write(",".join("" if v is None else str(v) for v in r) + "\n")
    return out.getvalue().encode("utf-8")


def _xlsx(rows: list[list], header=HEADER, merges=()) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    for m in merges:
        ws.merge_cells(m)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _edit_sheet(data: bytes, edit, part: str = "xl/worksheets/sheet1.xml") -> bytes:
    src, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for item in src.infolist():
            content = src.read(item.filename)
            z.writestr(item, edit(content) if item.filename == part else content)
    return out.getvalue()


# -- generators: (name, suffix) -> bytes ----------------------------------------------------------
def random_bytes(rng):
    return rng.choice([".csv", ".xlsx"]), bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 20000)))


def truncated(rng):
    if rng.random() < 0.5:
        data = _csv(_valid_rows(rng, 50))
        return ".csv", data[: rng.randint(1, len(data) - 1)]
    data = _xlsx(_valid_rows(rng, 50))
    return ".xlsx", data[: rng.randint(1, len(data) - 1)]


def corrupt_xml(rng):
    def edit(xml: bytes) -> bytes:
        xml = bytearray(xml)
        for _ in range(rng.randint(1, 8)):
            i = rng.randrange(len(xml))
            xml[i] = rng.choice(b"<>&\"'/=\x00\xff") if rng.random() < 0.7 else rng.getrandbits(8)
        return bytes(xml)
    return ".xlsx", _edit_sheet(_xlsx(_valid_rows(rng, 30)), edit)


def huge_cells(rng):
    rows = _valid_rows(rng, 5)
    size = rng.choice([40_000, 1_000_000, 5_000_000])
    col = rng.choice([0, 4, 6])
    big = "问" * size if col == 6 else "9" * size
    if rng.random() < 0.5:
        rows[rng.randrange(5)][col] = big
        return ".csv", _csv(rows)
    # openpyxl truncates strings to Excel's 32,767 characters when writing: put the cell in the XML
    rows[rng.randrange(5)][col] = "HUGECELL"
    def put(xml: bytes) -> bytes:  # openpyxl writes strings inline or shared, depending on version
        return xml.replace(b"HUGECELL", big.encode())
    return ".xlsx", _edit_sheet(_edit_sheet(_xlsx(rows), put), put, part="xl/sharedStrings.xml")


def many_columns(rng):
    n = rng.choice([1_001, 16_384, 100_000])
    header = HEADER + [f"extra{i}" for i in range(n - len(HEADER))]
    if n > 16_384 or rng.random() < 0.5:
        return ".csv", _csv([r + [""] * (n - len(HEADER)) for r in _valid_rows(rng, 3)], header)
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(header)
    for r in _valid_rows(rng, 3):
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return ".xlsx", buf.getvalue()


def nested_merges(rng):
    rows = _valid_rows(rng, 12)
    merges = set()
    for _ in range(rng.randint(1, 6)):
        r0, c0 = rng.randint(1, 12), rng.randint(1, 7)
        r1, c1 = r0 + rng.randint(0, 4), c0 + rng.randint(0, 3)
        if (r0, c0) != (r1, c1):
            merges.add(f"{openpyxl.utils.get_column_letter(c0)}{r0}:{openpyxl.utils.get_column_letter(c1)}{r1}")
    data = _xlsx(rows)
    # openpyxl refuses overlapping merges when writing, so they are written into the XML directly
    tags = "".join(f'<mergeCell ref="{m}"/>' for m in merges).encode()

    def edit(xml: bytes) -> bytes:
        return xml.replace(b"</sheetData>", b"</sheetData><mergeCells count=\"%d\">%s</mergeCells>"
                           % (len(merges), tags), 1)
    return ".xlsx", _edit_sheet(data, edit)


WRONG = ["", " ", "NaN", "nan", "inf", "-Infinity", "1e309", "1e308", "-1e308", "１２", "12,5", "1.5",
         "85%", "%", "--", "true", "2024-06-30", "=1+1", "<script>", "\x00", "0x10", "1_000", "٣", "二",
         "9" * 400, "-0", "+3", "2099", "1899", "Q5", "M99", "U999", "010", None]


def wrong_types(rng):
    rows = _valid_rows(rng, 20)
    for _ in range(rng.randint(1, 10)):
        rows[rng.randrange(20)][rng.randrange(7)] = rng.choice(WRONG)
    if rng.random() < 0.5:
        return ".csv", _csv(rows)
    return ".xlsx", _xlsx([[v if not isinstance(v, str) or "\x00" not in v else "x" for v in r] for r in rows])


def byte_flips(rng):
    data = bytearray(_xlsx(_valid_rows(rng, 40)) if rng.random() < 0.5 else _csv(_valid_rows(rng, 40)))
    suffix = ".xlsx" if data[:2] == b"PK" else ".csv"
    for _ in range(rng.randint(1, 30)):
        data[rng.randrange(len(data))] = rng.getrandbits(8)
    return suffix, bytes(data)


KINDS = {f.__name__: f for f in (random_bytes, truncated, corrupt_xml, huge_cells, many_columns, nested_merges,
                                  wrong_types, byte_flips)}


# -- the harness ------------------------------------------------------------------------------------
def _base_warehouse(folder: Path) -> Path:
    """A warehouse holding the five units the generated rows name (built in a subprocess: fork-safe)."""
    units = folder / "units.csv"
    units.write_text("unit_id,name_zh,type,region,staff\n" + "".join(
        f"{u},单位{u},department,R01,100\n" for u in UNITS), encoding="utf-8")
    path = folder / "base.duckdb"
    subprocess.run([sys.executable, "-m", "analysis.cli", "ingest", str(units), "--warehouse", str(path)],
                   check=True, capture_output=True)
    return path


def _child(path: Path, warehouse: Path, write_fd: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_LIMIT, CPU_LIMIT))
    from analysis.errors import AnalysisError, InputError
    from analysis.ingest import ingest
    from analysis.warehouse import Warehouse

    result = {}
    try:
        with Warehouse(warehouse) as wh:
            before = wh.content_hash()
            try:
                ingest([path], wh)
                result["outcome"] = "loaded"
            except InputError as e:
                located = all(i.file == str(path) and i.reason_zh and i.reason_en for i in e.issues)
                unchanged = wh.content_hash() == before
                result["outcome"] = "input_error" if located and unchanged else "bad_error"
                result["detail"] = str(e)[:300]
    except AnalysisError as e:
        result = {"outcome": "input_error", "detail": str(e)[:300]}
    except MemoryError:
        result = {"outcome": "memory"}
    except BaseException as e:  # the finding: a traceback a user would see
        import traceback
        result = {"outcome": "crash", "detail": "".join(traceback.format_exception(e))[-1500:]}
    result["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    os.write(write_fd, json.dumps(result).encode())
    os._exit(0)


def run_one(path: Path, base: Path, scratch: Path) -> dict:
    warehouse = scratch / "w.duckdb"
    shutil.copy(base, warehouse)
    read_fd, write_fd = os.pipe()
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        _child(path, warehouse, write_fd)
    os.close(write_fd)
    deadline = t0 + WALL_LIMIT
    status = None
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.05)
    else:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    data = b""
    while chunk := os.read(read_fd, 65536):
        data += chunk
    os.close(read_fd)
    seconds = time.monotonic() - t0
    for leftover in scratch.glob("w.duckdb*"):
        leftover.unlink()
    if data:
        return {**json.loads(data), "seconds": seconds}
    if status is None:
        return {"outcome": "timeout", "seconds": seconds}
    return {"outcome": "killed", "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
            "seconds": seconds}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-kind", type=int, default=20)
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument("--out", type=Path, default=Path("fuzz-findings"))
    ap.add_argument("--kinds", default=",".join(KINDS))
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    # imported once here, inherited by every forked child (no DuckDB connection is open at a fork)
    import analysis.ingest  # noqa: F401

    findings, rows = 0, []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        base = _base_warehouse(tmp)
        for kind in args.kinds.split(","):
            stats = {"kind": kind, "inputs": 0, "loaded": 0, "input_error": 0, "findings": 0,
                     "max_seconds": 0.0, "max_rss_mb": 0.0, "max_input_kb": 0.0}
            for i in range(args.per_kind):
                suffix, data = KINDS[kind](rng)
                path = tmp / f"{kind}_{i}{suffix}"
                path.write_bytes(data)
                r = run_one(path, base, tmp)
                stats["inputs"] += 1
                stats["max_seconds"] = max(stats["max_seconds"], r["seconds"])
                stats["max_rss_mb"] = max(stats["max_rss_mb"], r.get("maxrss_mb", 0.0))
                stats["max_input_kb"] = max(stats["max_input_kb"], len(data) / 1024)
                if r["outcome"] in ("loaded", "input_error"):
                    stats[r["outcome"]] += 1
                else:
                    stats["findings"] += 1
                    findings += 1
                    args.out.mkdir(parents=True, exist_ok=True)
                    shutil.copy(path, args.out / path.name)
                    (args.out / f"{path.name}.json").write_text(json.dumps(r, ensure_ascii=False, indent=2))
                    print(f"FINDING {path.name}: {r['outcome']} {r.get('detail', '')[:400]}", flush=True)
                path.unlink()
            rows.append(stats)
            print(json.dumps(stats), flush=True)
    print("\n| kind | inputs | loaded | located error | findings | max s | max RSS MB | max input KB |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for s in rows:
        print(f"| {s['kind']} | {s['inputs']} | {s['loaded']} | {s['input_error']} | {s['findings']} | "
              f"{s['max_seconds']:.1f} | {s['max_rss_mb']:.0f} | {s['max_input_kb']:.0f} |")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
