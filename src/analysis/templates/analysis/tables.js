/* analysis report tables: sort, filter, search and paging, offline (no library, no request).
   A table of up to 300 rows holds every row as HTML; rows after the first page carry `hidden`, so
   that a reader without scripts sees the first page and a note. A longer table holds its first
   page as HTML and every row in its `data-rows` attribute: column-wise JSON, gzip-compressed, as a
   data: URI (analysis.report.table_payload), inflated here with the browser's own
   DecompressionStream; then only the current page is in the document. Sort keys are in data-v or
   the payload's "k" (numbers as numbers, grades by grade order, Chinese text by pinyin); a cell
   without a key sorts by its text. A column filter takes text (contained), or for a numeric
   column `>50`, `<=10`, `10~20`. `#find=<unit>` (or `?find=`) in the page address keeps the rows
   of that unit in every table with a unit column (th[data-unit]). When every table is ready the
   page's <html> element carries data-an-tables="ready".
   See docs/decisions.md ("Interactive tables", "Long tables in the page"). */
(function () {
  "use strict";
  var PAGE = 25, SMALL = 10;
  var T = {
    zh: {search: "搜索", filter: "筛选", prev: "上一页", next: "下一页", rows: "行", page: "页", none: "无匹配行",
         sort: "点击排序", unit: "仅显示此单位的行:", all: "显示全部单位",
         old: "此浏览器无法解压本表的数据,页面只显示前 25 行。请用较新的浏览器打开,或下载完整表格。"},
    en: {search: "Search", filter: "filter", prev: "Previous", next: "Next", rows: "rows", page: "page",
         none: "no matching rows", sort: "click to sort", unit: "Only the rows of unit ", all: "Show all units",
         old: "This browser cannot unpack this table's data: only the first 25 rows are shown. Open the page in a newer browser, or download the full table."}
  };
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs) { if (Object.prototype.hasOwnProperty.call(attrs, k)) { e.setAttribute(k, attrs[k]); } }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  function missing(key) { return key === "" || key === "—"; }
  function count(n) { return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ","); }  // 21000 → 21,000
  function numericColumn(keys) {
    var seen = false;
    for (var i = 0; i < keys.length; i++) {
      if (missing(keys[i])) { continue; }
      if (isNaN(parseFloat(keys[i])) || !isFinite(keys[i])) { return false; }
      seen = true;
    }
    return seen;
  }
  function test(expr, text, key, numeric) {
    if (!expr) { return true; }
    var m = numeric && expr.match(/^(>=|<=|>|<|=)?\s*(-?[\d.]+)\s*(?:~\s*(-?[\d.]+))?$/);
    if (m) {
      var v = parseFloat(key), a = parseFloat(m[2]);
      if (isNaN(v)) { return false; }
      if (m[3] !== undefined) { return v >= a && v <= parseFloat(m[3]); }
      switch (m[1]) {
        case ">": return v > a; case "<": return v < a; case ">=": return v >= a; case "<=": return v <= a;
        case "=": return v === a; default: return key.indexOf(m[2]) >= 0 || text.indexOf(m[2]) >= 0;
      }
    }
    var needle = expr.toLowerCase();
    return text.toLowerCase().indexOf(needle) >= 0 || key.toLowerCase().indexOf(needle) >= 0;
  }

  /* A table's rows as columns of texts and sort keys, and row(i) → its <tr>. */
  function htmlModel(tbody, ncol) {
    var trs = Array.prototype.slice.call(tbody.rows), texts = [], keys = [], j;
    for (j = 0; j < ncol; j++) { texts.push([]); keys.push([]); }
    trs.forEach(function (tr) {
      for (var j = 0; j < ncol; j++) {
        var td = tr.cells[j], text = td.textContent;
        texts[j].push(text);
        keys[j].push(td.hasAttribute("data-v") ? td.getAttribute("data-v") : text);
      }
    });
    return {n: trs.length, texts: texts, keys: keys, inDocument: true, row: function (i) { return trs[i]; }};
  }
  function payloadModel(data) {
    var texts = [], keys = [], classes = [], made = {};
    data.cols.forEach(function (c) {
      texts.push(c.t);
      keys.push(c.k ? c.k.map(function (k, i) { return k === null ? c.t[i] : String(k); }) : c.t);
      classes.push(c.c || "");
    });
    function row(i) {  // built when first shown, then kept
      if (made[i]) { return made[i]; }
      var tr = document.createElement("tr");
      for (var j = 0; j < texts.length; j++) {
        var td = document.createElement("td"), cls = typeof classes[j] === "string" ? classes[j] : classes[j][i];
        if (cls) { td.className = cls; }
        if (keys[j][i] !== texts[j][i]) { td.setAttribute("data-v", keys[j][i]); }
        td.textContent = texts[j][i];
        tr.appendChild(td);
      }
      made[i] = tr;
      return tr;
    }
    return {n: data.n, texts: texts, keys: keys, inDocument: false, row: row};
  }
  function inflate(uri) {
    var bin = atob(uri.slice(uri.indexOf(",") + 1)), bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { bytes[i] = bin.charCodeAt(i); }
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).text().then(JSON.parse);  // a Response reads a stream: no request
  }

  /* The unit asked for in the page address: #find=<unit> or ?find=<unit>, or "". */
  function findParam() {
    var m = (location.hash + "&" + location.search).match(/[#?&]find=([^&#]*)/);
    if (!m) { return ""; }
    try { return decodeURIComponent(m[1].replace(/\+/g, " ")).trim(); } catch (e) { return ""; }
  }
  function isUnit(text, unit) {  // a code, or a label "<code> <name>" that starts with it (unit in lower case)
    text = text.toLowerCase();
    return text === unit || text.indexOf(unit + " ") === 0;
  }

  function setup(table, model) {
    var t = T[table.getAttribute("data-lang")] || T.zh;
    var tbody = table.tBodies[0], head = table.tHead.rows[0], ncol = head.cells.length, n = model.n;
    var numeric = [], nums = [], filters = [], unitCols = [], hay = null, j;
    for (j = 0; j < ncol; j++) {
      numeric.push(numericColumn(model.keys[j]));
      nums.push(numeric[j] ? model.keys[j].map(parseFloat) : null);
      if (head.cells[j].hasAttribute("data-unit")) { unitCols.push(j); }
    }
    var state = {page: 0, col: -1, dir: 1, shown: [], unit: ""};
    var small = n <= SMALL;  // a short table only sorts: no search, filters or pages
    var wrap = table.parentNode;
    var bar = el("div", {"class": "an-tools"});
    var search = el("input", {type: "search", placeholder: t.search, "aria-label": t.search, "class": "an-search"});
    var prev = el("button", {type: "button", "class": "an-prev"}, "‹ " + t.prev);
    var next = el("button", {type: "button", "class": "an-next"}, t.next + " ›");
    var info = el("span", {"class": "an-info"});
    bar.appendChild(search); bar.appendChild(prev); bar.appendChild(info); bar.appendChild(next);
    if (!small) { wrap.parentNode.insertBefore(bar, wrap); }
    var chip = el("div", {"class": "an-unit", hidden: ""}), chipText = el("span"), clear = el("button", {type: "button"}, t.all);
    chip.appendChild(chipText); chip.appendChild(clear);
    wrap.parentNode.insertBefore(chip, wrap);
    var frow = el("tr", {"class": "an-filters"});
    for (j = 0; j < ncol; j++) {
      var input = el("input", {type: "search", placeholder: numeric[j] ? ">0, 1~9" : t.filter,
                               "aria-label": t.filter + " " + head.cells[j].textContent, "data-col": String(j)});
      filters.push(input);
      var th = el("th"); th.appendChild(input); frow.appendChild(th);
    }
    if (!small) { table.tHead.appendChild(frow); }

    function render() {
      var total = state.shown.length, pages = Math.max(1, Math.ceil(total / PAGE));
      state.page = Math.max(0, Math.min(state.page, pages - 1));
      var lo = state.page * PAGE, hi = lo + PAGE, frag = document.createDocumentFragment();
      if (model.inDocument) {  // every row stays in the document (printing shows them all); others hidden
        var seen = new Uint8Array(n);
        state.shown.forEach(function (i, k) { seen[i] = 1; var r = model.row(i); r.hidden = k < lo || k >= hi; frag.appendChild(r); });
        for (var i = 0; i < n; i++) { if (!seen[i]) { model.row(i).hidden = true; frag.appendChild(model.row(i)); } }
      } else {  // only the current page is in the document
        state.shown.slice(lo, hi).forEach(function (i) { var r = model.row(i); r.hidden = false; frag.appendChild(r); });
        while (tbody.firstChild) { tbody.removeChild(tbody.firstChild); }
      }
      tbody.appendChild(frag);
      info.textContent = total === 0 ? t.none
        : count(state.page + 1) + " / " + count(pages) + " " + t.page + " · " + count(total) + " " + t.rows;
      prev.disabled = state.page === 0; next.disabled = state.page >= pages - 1;
    }
    function haystack(i) {  // a row's texts and keys in lower case, for the search box
      if (!hay) { hay = []; }
      if (hay[i] === undefined) {
        var parts = [];
        for (var j = 0; j < ncol; j++) { parts.push(model.texts[j][i], model.keys[j][i]); }
        hay[i] = parts.join("\u0001").toLowerCase();
      }
      return hay[i];
    }
    function kept(i, exprs, q) {
      var j;
      if (state.unit) {
        var found = false;
        for (j = 0; j < unitCols.length && !found; j++) { found = isUnit(model.texts[unitCols[j]][i], state.unit); }
        if (!found) { return false; }
      }
      for (j = 0; j < ncol; j++) {
        if (exprs[j] && !test(exprs[j], model.texts[j][i], model.keys[j][i], numeric[j])) { return false; }
      }
      return !q || haystack(i).indexOf(q) >= 0;
    }
    function apply() {
      var q = search.value.trim().toLowerCase(), exprs = filters.map(function (f) { return f.value.trim(); });
      var shown = [];
      for (var i = 0; i < n; i++) { if (kept(i, exprs, q)) { shown.push(i); } }
      if (state.col >= 0) {
        var keys = model.keys[state.col], num = nums[state.col], dir = state.dir;
        shown.sort(function (a, b) {  // stable: ties keep the table's order
          var ex = missing(keys[a]), ey = missing(keys[b]);
          if (ex || ey) { return ex === ey ? 0 : (ex ? 1 : -1); }  // missing values last
          if (num) { return dir * (num[a] - num[b]); }
          return dir * (keys[a] < keys[b] ? -1 : keys[a] > keys[b] ? 1 : 0);
        });
      }
      state.shown = shown;
      state.page = 0;
      render();
    }
    function find(unit) {  // keep one unit's rows (tables with a unit column only); "" shows all
      if (!unitCols.length) { return -1; }
      state.unit = unit.toLowerCase();
      chip.hidden = !unit;
      chipText.textContent = t.unit + unit + " ";
      apply();
      return state.shown.length;
    }
    Array.prototype.forEach.call(head.cells, function (th, j) {
      th.classList.add("an-sortable");
      th.setAttribute("tabindex", "0");
      th.setAttribute("aria-sort", "none");
      if (!th.title) { th.title = t.sort; }
      function sort() {
        state.dir = state.col === j ? -state.dir : 1;
        state.col = j;
        Array.prototype.forEach.call(head.cells, function (h) { h.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", state.dir > 0 ? "ascending" : "descending");
        apply();
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); } });
    });
    search.addEventListener("input", apply);
    filters.forEach(function (f) { f.addEventListener("input", apply); });
    prev.addEventListener("click", function () { state.page -= 1; render(); });
    next.addEventListener("click", function () { state.page += 1; render(); });
    clear.addEventListener("click", function () { find(""); });
    apply();
    table.classList.add("an-ready");
    return {table: table, find: find};
  }

  /* Set a table up from its HTML rows, or once its payload is inflated; resolves to {table, find}. */
  function prepare(table) {
    var ncol = table.tHead.rows[0].cells.length, uri = table.getAttribute("data-rows");
    if (!uri) { return Promise.resolve(setup(table, htmlModel(table.tBodies[0], ncol))); }
    var inflated;
    try { inflated = inflate(uri); } catch (e) { inflated = Promise.reject(e); }
    return inflated.then(function (data) { return setup(table, payloadModel(data)); }, function () {
      var t = T[table.getAttribute("data-lang")] || T.zh, wrap = table.parentNode;
      wrap.parentNode.insertBefore(el("p", {"class": "an-nojs"}, t.old), wrap.nextSibling);
      return null;
    });
  }
  function init() {
    var tables = Array.prototype.slice.call(document.querySelectorAll("table.an-interactive"));
    Promise.all(tables.map(prepare)).then(function (ready) {
      ready = ready.filter(Boolean);
      function findAll() {
        var unit = findParam(), first = null;
        ready.forEach(function (r) { if (r.find(unit) > 0 && !first) { first = r.table; } });
        if (unit && first) { first.closest("figure").scrollIntoView(); }  // the unit's first rows
      }
      if (findParam()) { findAll(); }
      window.addEventListener("hashchange", findAll);
      document.documentElement.setAttribute("data-an-tables", "ready");
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
