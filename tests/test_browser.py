"""The published reports in a real browser: headless Debian Chromium over the DevTools protocol.

Runs the real notebooks (00–04, two unit diagnoses) on a small sample warehouse, then opens
``reports/index.html``, ``reports/<year>/index.html`` and one report of each kind. Each page must
load with no console error, no uncaught exception and no request leaving the file (only
``file:``/``data:`` URLs), and every local link must exist. Screenshots are saved under
``reports/<year>/screenshots/`` of the run (and copied to ``$ANALYSIS_SCREENSHOTS`` if set).

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

    def visit(self, path: Path) -> dict:
        """Open a file; return console errors, exceptions and requests that left the file."""
        self.events = []
        self.send("Page.navigate", url=path.resolve().as_uri())
        self.wait_for("Page.loadEventFired")
        self.drain()
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
    ingest(write_files(generate(n_units=30, years=range(2020, 2025), seed=11), root / "sample"), warehouse,
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
        assert info.endswith(f" {int((csv.score > 60).sum())} 行"), info
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
