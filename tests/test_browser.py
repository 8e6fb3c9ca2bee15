"""The published reports in a real browser: headless Debian Chromium over the DevTools protocol.

Runs the real notebooks (00–04, two unit diagnoses) on a small sample warehouse, then opens
``reports/index.html``, ``reports/<year>/index.html`` and one report of each kind. Each page must
load with no console error, no uncaught exception and no request leaving the file (only
``file:``/``data:`` URLs), and every local link must exist. Screenshots are saved under
``reports/<year>/screenshots/`` of the run (and copied to ``$ANALYSIS_SCREENSHOTS`` if set).
Also: a long table in its compressed form (21,000 rows, as the national trend report's) is
sorted, filtered, searched and paged; ``#find=<unit>`` keeps one unit's rows; the unit finder of
the period index leads to a diagnosis and to a report filtered to the unit.

Also a script: ``python tests/test_browser.py reports/2024`` checks and screenshots an existing run.

The HTML text uses the reader's fonts (figures carry their glyphs as paths). This machine has no
system CJK font, so Chromium is given a fontconfig file that adds the Noto Sans CJK SC shipped
with mplfonts, as a Chinese reader's machine would have.
"""
from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
         "--disable-dev-shm-usage", "--remote-allow-origins=*"]
LOCAL_SCHEMES = ("file:", "data:", "about:", "blob:", "chrome-error:")


class Browser:
    """A minimal Chrome DevTools Protocol client (websocket-client, no extra dependency)."""

    def __init__(self, profile: Path):
        import websocket

        fonts = profile / "fonts.conf"
        from analysis.plots import cjk_font_path

        fonts.write_text('<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
                         '<include ignore_missing="yes">/etc/fonts/fonts.conf</include>'
                         f"<dir>{cjk_font_path().parent}</dir><cachedir>{profile / 'fc-cache'}</cachedir>"
                         "</fontconfig>", encoding="utf-8")
        env = os.environ | {"FONTCONFIG_FILE": str(fonts)}
        self.proc = subprocess.Popen([CHROMIUM, *FLAGS, "--remote-debugging-port=0", f"--user-data-dir={profile}",
                                      "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not (port_file.exists() and port_file.read_text().strip()):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.close()
                raise RuntimeError("chromium did not start (no DevToolsActivePort)")
            time.sleep(0.2)
        port = int(port_file.read_text().split()[0])
        pages = []
        while not pages:
            pages = [t for t in json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list"))
                     if t["type"] == "page"]
        self.ws = websocket.create_connection(pages[0]["webSocketDebuggerUrl"], timeout=60,
                                              suppress_origin=True)
        self.next_id = 0
        self.events: list[dict] = []
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable")

    def send(self, method: str, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)

    def wait_for(self, event: str, timeout: float = 60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(e["method"] == event for e in self.events):
                return
            self.ws.settimeout(max(0.1, deadline - time.monotonic()))
            msg = json.loads(self.ws.recv())
            if "method" in msg:
                self.events.append(msg)
        raise TimeoutError(event)

    def drain(self, seconds: float = 0.5):
        self.ws.settimeout(seconds)
        try:
            while True:
                msg = json.loads(self.ws.recv())
                if "method" in msg:
                    self.events.append(msg)
        except Exception:  # noqa: BLE001 - websocket timeout: nothing more arrived
            pass
        self.ws.settimeout(60)

    def visit(self, path: Path, fragment: str = "") -> dict:
        """Open a file (with ``#fragment``); return console errors, exceptions and requests that
        left the file. Waits for the table script to finish (long tables inflate asynchronously)."""
        if fragment:  # from the same page, a new fragment would not load the page again
            self.events = []
            self.send("Page.navigate", url="about:blank")
            self.wait_for("Page.loadEventFired")
        self.events = []
        self.send("Page.navigate", url=path.resolve().as_uri() + (f"#{fragment}" if fragment else ""))
        self.wait_for("Page.loadEventFired")
        self.drain()
        deadline = time.monotonic() + 30
        while (self.js("document.querySelector('table.an-interactive') !== null && "
                       "document.documentElement.getAttribute('data-an-tables') !== 'ready'")
               and time.monotonic() < deadline):
            time.sleep(0.1)
        errors = [e["params"]["entry"]["text"] for e in self.events
                  if e["method"] == "Log.entryAdded" and e["params"]["entry"]["level"] == "error"]
        errors += [" ".join(str(a.get("value", a.get("description", ""))) for a in e["params"]["args"])
                   for e in self.events if e["method"] == "Runtime.consoleAPICalled"
                   and e["params"]["type"] in ("error", "assert")]
        errors += [d.get("text", "") + " " + d.get("exception", {}).get("description", "")
                   for d in (e["params"]["exceptionDetails"] for e in self.events
                             if e["method"] == "Runtime.exceptionThrown")]
        remote = [e["params"]["request"]["url"][:120] for e in self.events
                  if e["method"] == "Network.requestWillBeSent"
                  and not e["params"]["request"]["url"].startswith(LOCAL_SCHEMES)]
        title = self.send("Runtime.evaluate", expression="document.title")["result"].get("value", "")
        return {"errors": errors, "remote": remote, "title": title}

    def js(self, expression: str):
        """Evaluate a JavaScript expression in the page and return its value (JSON-serialisable)."""
        got = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in got:
            raise RuntimeError(got["exceptionDetails"].get("exception", {}).get("description", "js error"))
        return got["result"].get("value")

    def screenshot(self, out: Path, width: int = 1200, max_height: int = 5000) -> Path:
        self.send("Emulation.setDeviceMetricsOverride", width=width, height=900, deviceScaleFactor=1, mobile=False)
        height = self.send("Page.getLayoutMetrics")["cssContentSize"]["height"]
        self.send("Emulation.setDeviceMetricsOverride", width=width, height=int(min(height, max_height)),
                  deviceScaleFactor=1, mobile=False)
        data = self.send("Page.captureScreenshot", format="png")["data"]
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(base64.b64decode(data))
        return out

    def close(self):
        try:
            self.ws.close()
        except Exception:  # noqa: BLE001
            pass
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def pages_of(year_dir: Path) -> dict[str, Path]:
    """The site index, the year index and one report of each kind."""
    manifest = json.loads((year_dir / "manifest.json").read_text(encoding="utf-8"))
    pages = {"site_index": year_dir.parent / "index.html", "year_index": year_dir / "index.html"}
    for entry in manifest["notebooks"]:
        kind = entry["notebook"].removesuffix(".ipynb")
        if entry.get("units"):
            unit = next((u for u in entry["units"] if u["status"] == "ok" and u["html"]), None)
            if unit and kind not in pages:
                pages[kind] = year_dir / unit["html"]
        elif entry.get("html") and kind not in pages:
            pages[kind] = year_dir / entry["html"]
    return pages


def local_links(page: Path) -> list[Path]:
    html = page.read_text(encoding="utf-8")
    links = re.findall(r'href="([^"#:]+)"', html)
    return [(page.parent / link).resolve() for link in links]


def check_run(year_dir: Path, copy_to: Path | None = None) -> dict[str, dict]:
    """Open every page kind, screenshot it, return the findings per page."""
    results = {}
    with tempfile.TemporaryDirectory() as profile:
        browser = Browser(Path(profile))
        try:
            for name, page in pages_of(year_dir).items():
                found = browser.visit(page)
                found["missing_links"] = [str(p) for p in local_links(page) if not p.exists()]
                found["screenshot"] = browser.screenshot(year_dir / "screenshots" / f"{name}.png")
                results[name] = found
        finally:
            browser.close()
    if copy_to:
        copy_to.mkdir(parents=True, exist_ok=True)
        for found in results.values():
            shutil.copy(found["screenshot"], copy_to / found["screenshot"].name)
    return results


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.skip("找不到 chromium:请运行 make browser(或 apt-get install chromium)/ "
                    "chromium not found: run `make browser` (or apt-get install chromium)")
    from analysis.ingest import ingest
    from analysis.runner import run_year
    from analysis.sample import generate, write_files

    root = tmp_path_factory.mktemp("browser")
    warehouse = root / "warehouse.duckdb"
    # 50 units: the trend report's table of every unit's index and dimensions (7 nodes) has 350
    # rows, more than PRINT_ALL_ROWS, so the run's pages carry a long table in its compressed form
    ingest(write_files(generate(n_units=50, years=range(2020, 2025), seed=11), root / "sample"), warehouse,
           command="test")
    summary = run_year(2024, warehouse, units=["U001", "U017"], jobs=2, out=root / "reports")
    return summary


@pytest.mark.slow
@pytest.mark.browser
def test_reports_open_offline_without_errors(run):
    assert run.ok, [(f.name, f.cell, f.error) for f in run.failures]
    copy_to = Path(os.environ["ANALYSIS_SCREENSHOTS"]) if os.environ.get("ANALYSIS_SCREENSHOTS") else None
    results = check_run(run.index_path.parent, copy_to)
    from analysis.glossary import unlabelled

    year_dir = run.index_path.parent
    for page in [*year_dir.glob("*.html"), *year_dir.glob("units/*.html")]:
        text = page.read_text(encoding="utf-8")
        assert re.search(r'<html lang="zh-CN">', text), page.name                    # the run's language
        assert unlabelled(text, "zh") == [], (page.name, unlabelled(text, "zh"))     # every header and code labelled
        shown = re.sub(r'(href|src|data-v)="[^"]*"', "", text.split("<body", 1)[-1])   # what a reader sees
        assert not re.search(r"\d\.\d+e[-−+]\d", shown), page.name                # no raw scientific notation
    assert set(results) >= {"site_index", "year_index", "00_data_quality", "01_yearly_statistics",
                            "02_region_comparison", "03_trend_significance", "04_unit_diagnosis"}
    for name, found in results.items():
        assert found["errors"] == [], (name, found["errors"])
        assert found["remote"] == [], (name, found["remote"])          # nothing leaves the file
        assert found["missing_links"] == [], (name, found["missing_links"])
        assert found["title"], name
        assert found["screenshot"].stat().st_size > 10_000, name       # a rendered page, not a blank one


TABLE_PROBE = """
(() => {
  const t = [...document.querySelectorAll('table.an-ready')].find(t => t.tBodies[0].rows.length > 25
      && [...t.tHead.rows[0].cells].some(c => c.title === 'score'));
  window.__t = t;
  window.__col = [...t.tHead.rows[0].cells].findIndex(c => c.title === 'score');
  window.__vis = () => [...t.tBodies[0].rows].filter(r => !r.hidden);
  window.__key = td => td.hasAttribute('data-v') ? td.getAttribute('data-v') : td.textContent;
  window.__set = (input, value) => { input.value = value; input.dispatchEvent(new Event('input')); };
  return t.tBodies[0].rows.length;
})()
"""


@pytest.mark.slow
@pytest.mark.browser
def test_tables_sort_filter_search_and_page_in_the_browser(run, tmp_path):
    import io

    import pandas as pd

    year_dir = run.index_path.parent
    page = year_dir / "01_yearly_statistics.html"
    (tmp_path / "profile").mkdir()
    browser = Browser(tmp_path / "profile")
    try:
        found = browser.visit(page)
        n_rows = browser.js(TABLE_PROBE)
        assert n_rows > 25
        assert browser.js("__vis().length") == 25                                   # first page
        # sort by score: ascending, then descending (numbers as numbers, not as text)
        browser.js("__t.tHead.rows[0].cells[__col].click()")
        up = browser.js("__vis().map(r => parseFloat(__key(r.cells[__col])))")
        assert up == sorted(up) and browser.js("__t.tHead.rows[0].cells[__col].getAttribute('aria-sort')") == "ascending"
        browser.js("__t.tHead.rows[0].cells[__col].click()")
        down = browser.js("__vis().map(r => parseFloat(__key(r.cells[__col])))")
        assert down == sorted(down, reverse=True) and down[0] >= up[-1]
        # filter the score column with ">60": the row count equals the count in the table's CSV download
        caption = browser.js("__t.closest('figure').querySelector('a[download]').getAttribute('download')")
        csv = pd.read_csv(io.BytesIO((year_dir / "tables" / "01_yearly_statistics" / caption).read_bytes()),
                          encoding="utf-8-sig")
        browser.js("__set(__t.tHead.rows[1].cells[__col].querySelector('input'), '>60')")
        info = browser.js("__t.closest('figure').querySelector('.an-info').textContent")
        assert info.endswith(f" {int((csv.score > 60).sum()):,} 行"), info
        assert all(float(v) > 60 for v in browser.js("__vis().map(r => __key(r.cells[__col]))"))
        browser.js("__set(__t.tHead.rows[1].cells[__col].querySelector('input'), '')")
        # search one unit: only its rows remain
        unit = str(csv.iloc[0, 0])
        browser.js(f"__set(__t.closest('figure').querySelector('input.an-search'), {json.dumps(unit)})")
        rows = browser.js("__vis().map(r => r.textContent)")
        assert rows and all(unit in r for r in rows)
        browser.js("__set(__t.closest('figure').querySelector('input.an-search'), '')")
        # paging: the next page shows other rows
        first = browser.js("__vis().map(r => r.textContent)")
        browser.js("__t.closest('figure').querySelector('button.an-next').click()")
        second = browser.js("__vis().map(r => r.textContent)")
        assert second and not set(first) & set(second)
        browser.drain()
        after = [e for e in browser.events if e["method"] in ("Runtime.exceptionThrown",)
                 or (e["method"] == "Network.requestWillBeSent"
                     and not e["params"]["request"]["url"].startswith(LOCAL_SCHEMES))]
        assert found["errors"] == [] and after == []
    finally:
        browser.close()


if __name__ == "__main__":
    year_dir = Path(sys.argv[1])
    for page, found in check_run(year_dir).items():
        print(page, "errors:", found["errors"], "remote:", found["remote"], "missing:", found["missing_links"],
              "→", found["screenshot"])


@pytest.mark.browser
def test_the_checker_sees_console_errors_and_remote_requests(tmp_path):
    # the detector itself: a page that logs an error and fetches a script from the network
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium not found: run `make browser`")
    page = tmp_path / "bad.html"
    page.write_text('<html><head><title>bad</title><script src="https://cdn.invalid/x.js"></script></head>'
                    '<body><script>console.error("planted error"); undefinedFunction();</script></body></html>',
                    encoding="utf-8")
    (tmp_path / "profile").mkdir()
    browser = Browser(tmp_path / "profile")
    try:
        found = browser.visit(page)
    finally:
        browser.close()
    assert any("planted error" in e for e in found["errors"])
    assert any("undefinedFunction" in e for e in found["errors"])
    assert found["remote"] == ["https://cdn.invalid/x.js"]


# --------------------------------------------------------------------------- long tables, #find=, the unit finder

ENGLISH_UI = ("Search", "Previous", "Next", "rows", "page", "filter", "Show all units", "Only the rows",
              "diagnosis", "history", "No unit found", "cannot unpack")


def national_trends(units: int = 3000, nodes: int = 7, seed: int = 13):
    """A table shaped like the national trend report's ``unit_trends``: 3,000 units × 7 nodes."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    n = units * nodes
    return pd.DataFrame({
        "unit_id": np.repeat([f"U{i:04d}" for i in range(1, units + 1)], nodes),
        "node": np.tile(["I"] + [f"D{j}" for j in range(1, nodes)], units),
        "region": np.repeat(rng.choice([f"R{i:02d}" for i in range(1, 13)], units), nodes),
        "type": np.repeat(rng.choice(["county", "department", "state_enterprise", "college"], units), nodes),
        "n": rng.integers(5, 11, n), "slope": rng.normal(0, 1.5, n), "p": rng.uniform(0, 1, n) ** 2})


def long_table_page(folder: Path):
    """A report page whose one table holds 21,000 rows in the compressed form; returns (page, table)."""
    import nbformat

    from analysis.report import Report
    from analysis.site import export_html

    table = national_trends()
    outputs = []
    rp = Report(lang="zh", display=lambda b: outputs.append(nbformat.v4.new_output("display_data", data=b)))
    rp.title("全国趋势测试", year=2024)
    rp.table(table, "全部单位的趋势检验", name="unit_trends")
    cell = nbformat.v4.new_code_cell("rp.table(...)")
    cell.outputs = outputs
    nb = nbformat.v4.new_notebook()
    nb.cells = [cell]
    return export_html(nb, folder / "03_trend_significance.html", lang="zh", title="全国趋势测试",
                       tables_href="tables/03_trend_significance/"), table


LONG_PROBE = """
(() => {
  const t = document.querySelector('table[data-rows].an-ready');
  window.__t = t;
  window.__col = name => [...t.tHead.rows[0].cells].findIndex(c => c.title === name);
  window.__vis = () => [...t.tBodies[0].rows].filter(r => !r.hidden);
  window.__key = td => td.hasAttribute('data-v') ? td.getAttribute('data-v') : td.textContent;
  window.__info = () => t.closest('figure').querySelector('.an-info').textContent;
  window.__set = (input, value) => { input.value = value; input.dispatchEvent(new Event('input')); };
  window.__filter = (name, value) => __set(t.tHead.rows[1].cells[__col(name)].querySelector('input'), value);
  window.__ui = () => [...document.querySelectorAll('.an-tools, .an-unit:not([hidden])')].map(e => e.innerText).join(' ');
  return t.tBodies[0].rows.length;
})()
"""


def _outside(browser: Browser) -> list:
    """Exceptions and requests that left the file since the page was opened."""
    browser.drain()
    return [e for e in browser.events if e["method"] == "Runtime.exceptionThrown"
            or (e["method"] == "Network.requestWillBeSent" and not e["params"]["request"]["url"].startswith(LOCAL_SCHEMES))]


@pytest.mark.browser
def test_a_long_compressed_table_sorts_filters_searches_pages_and_finds_a_unit(tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium not found: run `make browser`")
    page, table = long_table_page(tmp_path)
    assert page.stat().st_size < 2_000_000                                   # 21,000 rows as <tr>: 19 MB
    (tmp_path / "profile").mkdir()
    browser = Browser(tmp_path / "profile")
    try:
        found = browser.visit(page)
        assert found["errors"] == [] and found["remote"] == []
        assert browser.js(LONG_PROBE) == 25 and browser.js("__info()") == "1 / 840 页 · 21,000 行"
        slope = browser.js("__col('slope')")
        # numbers sort as numbers over all 21,000 rows: the first is the smallest slope of the table
        browser.js(f"__t.tHead.rows[0].cells[{slope}].click()")
        up = browser.js(f"__vis().map(r => parseFloat(__key(r.cells[{slope}])))")
        assert up == sorted(up) and up[0] == round(table.slope.min(), 6) and len(up) == 25
        browser.js(f"__t.tHead.rows[0].cells[{slope}].click()")
        down = browser.js(f"__vis().map(r => parseFloat(__key(r.cells[{slope}])))")
        assert down == sorted(down, reverse=True) and down[0] == round(table.slope.max(), 6)
        # a numeric filter and a text filter (on the labels the page shows), counted against the table
        browser.js("__filter('slope', '>1')")
        assert browser.js("__info()").endswith(f" {int((table.slope.round(6) > 1).sum()):,} 行")
        browser.js("__filter('type', '区县')")
        assert browser.js("__info()").endswith(f" {int(((table.slope.round(6) > 1) & (table.type == 'county')).sum()):,} 行")
        browser.js("__filter('slope', ''); __filter('type', '')")
        # search: a unit of the last page of the table
        browser.js("__set(__t.closest('figure').querySelector('input.an-search'), 'U2999')")
        assert browser.js("__vis().map(r => r.cells[0].textContent)") == ["U2999"] * 7
        browser.js("__set(__t.closest('figure').querySelector('input.an-search'), '')")
        # paging: the next page shows the next 25 rows, the last page the rest
        first = browser.js("__vis().map(r => r.textContent)")
        browser.js("__t.closest('figure').querySelector('button.an-next').click()")
        second = browser.js("__vis().map(r => r.textContent)")
        assert len(second) == 25 and not set(first) & set(second) and browser.js("__info()").startswith("2 / 840 页")
        assert not [w for w in ENGLISH_UI if w in browser.js("document.body.innerText")]  # a Chinese page
        assert _outside(browser) == []

        # the page opened at #find=<unit>: only that unit's rows, and a note that says so
        found = browser.visit(page, "find=U0017")
        assert found["errors"] == [] and found["remote"] == []
        browser.js(LONG_PROBE)
        assert browser.js("__vis().map(r => r.cells[0].textContent)") == ["U0017"] * 7
        assert "仅显示此单位的行:U0017" in browser.js("__ui()")
        browser.js("location.hash = 'find=U2999'")                                # a new fragment
        browser.drain()
        assert browser.js("__vis().map(r => r.cells[0].textContent)") == ["U2999"] * 7
        browser.js("__t.closest('figure').querySelector('.an-unit button').click()")  # 显示全部单位
        assert browser.js("__info()") == "1 / 840 页 · 21,000 行"
        assert _outside(browser) == []
        shot = browser.screenshot(tmp_path / "long_table.png", width=1400, max_height=2000)
        assert shot.stat().st_size > 10_000
        if os.environ.get("ANALYSIS_SCREENSHOTS"):
            shutil.copy(shot, Path(os.environ["ANALYSIS_SCREENSHOTS"]) / shot.name)
    finally:
        browser.close()


def reports_with_rows_of(year_dir: Path, unit: str) -> list[str]:
    """The report pages (not diagnoses) with a table that has a row of ``unit``, from the CSV files."""
    import pandas as pd

    pages = []
    for folder in sorted(p for p in (year_dir / "tables").iterdir() if (year_dir / f"{p.name}.html").exists()):
        for csv in folder.glob("*.csv"):
            table = pd.read_csv(csv, dtype=str, encoding="utf-8-sig")
            cells = [*table.get("unit_id", []), *(str(v).split(" ")[0] for v in table.get("unit", []))]
            if unit in cells:
                pages.append(f"{folder.name}.html")
                break
    return pages


FINDER_PROBE = """
(() => {
  const input = document.getElementById('an-finder');
  window.__type = q => { input.value = q; input.dispatchEvent(new Event('input')); };
  window.__found = () => [...document.querySelectorAll('#an-finder-results li.an-found')].map(li => ({
      text: li.innerText, links: [...li.querySelectorAll('a')].map(a => [a.textContent, a.getAttribute('href')])}));
  window.__data = JSON.parse(document.getElementById('an-finder-data').textContent);
  return __data.units.length;
})()
"""


@pytest.mark.slow
@pytest.mark.browser
def test_the_finder_leads_to_a_diagnosis_and_to_a_units_rows_in_every_report(run, tmp_path):
    year_dir = run.index_path.parent
    (tmp_path / "profile").mkdir()
    browser = Browser(tmp_path / "profile")
    try:
        found = browser.visit(run.index_path)
        assert found["errors"] == [] and found["remote"] == []
        assert browser.js(FINDER_PROBE) == 50                             # every unit has rows in a report
        # by pinyin initials of the unit's name (the key the page holds, pypinyin's initials)
        initials = browser.js("__data.units.find(u => u[0] === 'U017')[2].split(' ').pop()")
        browser.js(f"__type({json.dumps(initials)})")
        assert any(f["text"].startswith("U017 ") for f in browser.js("__found()"))
        browser.js("__type('U017')")
        hit = browser.js("__found()")[0]
        links = dict(hit["links"])
        assert hit["text"].startswith("U017 ") and links["诊断书"] == "units/U017.html"
        assert links["历史"] == "units/U017.html#tbl-U017-history"
        reports = {text: href for text, href in hit["links"] if href.endswith("#find=U017")}
        # exactly the reports whose tables (their CSV files) hold a row of U017
        assert sorted(href.split("#")[0] for href in reports.values()) == reports_with_rows_of(year_dir, "U017")
        assert not [w for w in ENGLISH_UI if w in browser.js("document.body.innerText")]
        browser.screenshot(year_dir / "screenshots" / "finder.png", width=1400, max_height=2000)
        assert _outside(browser) == []

        # follow the diagnosis link, as a reader clicks it
        browser.events = []
        browser.js("document.querySelector('#an-finder-results a.an-diagnosis').click()")
        browser.wait_for("Page.loadEventFired")
        assert browser.js("location.pathname").endswith("/units/U017.html")
        assert browser.js("document.getElementById('tbl-U017-history') !== null")   # the history table
        assert _outside(browser) == []

        # each report, opened at #find=U017, shows U017's rows only in its tables with a unit column
        for title, href in reports.items():
            page, fragment = href.split("#")
            found = browser.visit(year_dir / page, fragment)
            assert found["errors"] == [] and found["remote"] == [], (title, found)
            shown = browser.js("""[...document.querySelectorAll('table.an-ready')]
                .filter(t => t.tHead.querySelector('th[data-unit]'))
                .map(t => { const j = [...t.tHead.rows[0].cells].findIndex(c => c.hasAttribute('data-unit'));
                            return [...t.tBodies[0].rows].filter(r => !r.hidden).map(r => r.cells[j].textContent); })""")
            assert shown and any(shown), title
            assert all(cell == "U017" or cell.startswith("U017 ") for rows in shown for cell in rows), (title, shown)
        # the trend report's long table (350 rows) came from its compressed rows, and links its CSV file
        browser.visit(year_dir / "03_trend_significance.html")
        assert browser.js("document.querySelectorAll('table[data-rows].an-ready').length") >= 1
        assert (year_dir / "tables" / "03_trend_significance" / "unit_trends.csv").is_file()
        assert 'href="tables/03_trend_significance/unit_trends.csv"' in \
            (year_dir / "03_trend_significance.html").read_text(encoding="utf-8")
    finally:
        browser.close()
