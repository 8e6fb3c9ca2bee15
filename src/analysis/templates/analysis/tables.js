/* analysis report tables: sort, filter, search and paging, offline (no library, no request).
   Every row is in the page; rows after the first page carry the `hidden` attribute, so that a
   reader without scripts sees the first page and a note. Sort keys are in data-v (numbers as
   numbers, grades by grade order, Chinese text by pinyin); cells without data-v sort by text.
   A column filter takes text (contained), or for a numeric column `>50`, `<=10`, `10~20`.
   See docs/decisions.md ("Interactive tables"). */
(function () {
  "use strict";
  var PAGE = 25, SMALL = 10;
  var T = {
    zh: {search: "搜索", filter: "筛选", prev: "上一页", next: "下一页", rows: "行", page: "页", none: "无匹配行",
         sort: "点击排序"},
    en: {search: "Search", filter: "filter", prev: "Previous", next: "Next", rows: "rows", page: "page",
         none: "no matching rows", sort: "click to sort"}
  };
  function key(td) { return td.hasAttribute("data-v") ? td.getAttribute("data-v") : td.textContent; }
  function numericColumn(rows, j) {
    var seen = false;
    for (var i = 0; i < rows.length; i++) {
      var k = key(rows[i].cells[j]);
      if (k === "" || k === "—") { continue; }
      if (isNaN(parseFloat(k)) || !isFinite(k)) { return false; }
      seen = true;
    }
    return seen;
  }
  function test(expr, td, numeric) {
    expr = expr.trim();
    if (!expr) { return true; }
    var m = numeric && expr.match(/^(>=|<=|>|<|=)?\s*(-?[\d.]+)\s*(?:~\s*(-?[\d.]+))?$/);
    if (m) {
      var v = parseFloat(key(td)), a = parseFloat(m[2]);
      if (isNaN(v)) { return false; }
      if (m[3] !== undefined) { return v >= a && v <= parseFloat(m[3]); }
      switch (m[1]) {
        case ">": return v > a; case "<": return v < a; case ">=": return v >= a; case "<=": return v <= a;
        case "=": return v === a; default: return String(key(td)).indexOf(m[2]) >= 0 || td.textContent.indexOf(m[2]) >= 0;
      }
    }
    var needle = expr.toLowerCase();
    return td.textContent.toLowerCase().indexOf(needle) >= 0 || String(key(td)).toLowerCase().indexOf(needle) >= 0;
  }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs) { if (Object.prototype.hasOwnProperty.call(attrs, k)) { e.setAttribute(k, attrs[k]); } }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  function setup(table) {
    var t = T[table.getAttribute("data-lang")] || T.zh;
    var tbody = table.tBodies[0], head = table.tHead.rows[0];
    var rows = Array.prototype.slice.call(tbody.rows), ncol = head.cells.length;
    var numeric = [], filters = [], state = {page: 0, col: -1, dir: 1, shown: rows};
    for (var j = 0; j < ncol; j++) { numeric.push(numericColumn(rows, j)); }
    var small = rows.length <= SMALL;  // a short table only sorts: no search, filters or pages
    var bar = el("div", {"class": "an-tools"});
    var search = el("input", {type: "search", placeholder: t.search, "aria-label": t.search, "class": "an-search"});
    var prev = el("button", {type: "button", "class": "an-prev"}, "‹ " + t.prev);
    var next = el("button", {type: "button", "class": "an-next"}, t.next + " ›");
    var info = el("span", {"class": "an-info"});
    bar.appendChild(search); bar.appendChild(prev); bar.appendChild(info); bar.appendChild(next);
    var wrap = table.parentNode;
    if (!small) { wrap.parentNode.insertBefore(bar, wrap); }
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
      state.page = Math.min(state.page, pages - 1);
      var lo = state.page * PAGE, hi = lo + PAGE, frag = document.createDocumentFragment();
      rows.forEach(function (r) { r._anShown = false; r._anVisible = false; });
      state.shown.forEach(function (r, i) { r._anShown = true; r._anVisible = i >= lo && i < hi; frag.appendChild(r); });
      rows.forEach(function (r) { if (!r._anShown) { frag.appendChild(r); } });
      tbody.appendChild(frag);
      rows.forEach(function (r) { r.hidden = !r._anVisible; });
      info.textContent = total === 0 ? t.none : (state.page + 1) + " / " + pages + " " + t.page + " · " + total + " " + t.rows;
      prev.disabled = state.page === 0; next.disabled = state.page >= pages - 1;
    }
    function apply() {
      var q = search.value;
      state.shown = rows.filter(function (r) {
        for (var j = 0; j < ncol; j++) { if (!test(filters[j].value, r.cells[j], numeric[j])) { return false; } }
        if (!q.trim()) { return true; }
        for (j = 0; j < ncol; j++) { if (test(q, r.cells[j], false)) { return true; } }
        return false;
      });
      if (state.col >= 0) {
        var c = state.col, num = numeric[c], dir = state.dir;
        state.shown.sort(function (a, b) {
          var x = key(a.cells[c]), y = key(b.cells[c]);
          var ex = x === "" || x === "—", ey = y === "" || y === "—";
          if (ex || ey) { return ex === ey ? 0 : (ex ? 1 : -1); }  // missing values last
          if (num) { return dir * (parseFloat(x) - parseFloat(y)); }
          return dir * (x < y ? -1 : x > y ? 1 : 0);
        });
      }
      state.page = 0;
      render();
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
    table.classList.add("an-ready");
    render();
  }
  function init() { Array.prototype.forEach.call(document.querySelectorAll("table.an-interactive"), setup); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
