/* analysis unit finder (一站查询) of a period's index page: type a unit's code, name, pinyin or
   pinyin initials; every matching unit is listed with links to its diagnosis, its history and
   its rows in each report (the report page opened at #find=<unit>, see tables.js). The data are
   the JSON of #an-finder-data: {"reports": [[title, page]], "units": [[code, label, search key,
   diagnosis page, [report numbers]]]} (analysis.site.finder_data). The list of diagnoses below
   narrows as you type too, and stays whole without scripts. Offline: no library, no request. */
(function () {
  "use strict";
  var MAX = 20;
  var T = {
    zh: {diagnosis: "诊断书", history: "历史", rows: "本单位在报告中的行:", sep: "、", nodiag: "本期无诊断书",
         none: "没有找到这个单位。", more: "另有 {n} 个单位,请输入更多字。"},
    en: {diagnosis: "diagnosis", history: "history", rows: "its rows in the reports: ", sep: ", ",
         nodiag: "no diagnosis this period", none: "No unit found.", more: "{n} more units: type more."}
  };
  var input = document.getElementById("an-finder"), list = document.getElementById("an-finder-results");
  var source = document.getElementById("an-finder-data");
  if (!input) { return; }
  var t = T[(document.documentElement.lang || "zh").slice(0, 2)] || T.zh;
  var data = source ? JSON.parse(source.textContent) : {reports: [], units: []};
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs) { if (Object.prototype.hasOwnProperty.call(attrs, k)) { e.setAttribute(k, attrs[k]); } }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  function rank(unit, q) {  // the code itself first, then codes that start with the query, then the rest
    var code = unit[0].toLowerCase();
    return code === q ? 0 : code.indexOf(q) === 0 ? 1 : 2;
  }
  function item(unit) {
    var li = el("li", {"class": "an-found"}), code = unit[0], diagnosis = unit[3];
    li.appendChild(el("b", {}, unit[1]));
    li.appendChild(document.createTextNode(" · "));
    if (diagnosis) {
      li.appendChild(el("a", {href: diagnosis, "class": "an-diagnosis"}, t.diagnosis));
      li.appendChild(document.createTextNode(" · "));
      var page = diagnosis.split("/").pop().replace(/\.html$/, "");
      li.appendChild(el("a", {href: diagnosis + "#tbl-" + page + "-history"}, t.history));
    } else {
      li.appendChild(el("span", {"class": "an-muted"}, t.nodiag));
    }
    if (unit[4].length) {
      li.appendChild(document.createTextNode(" · " + t.rows));
      unit[4].forEach(function (r, k) {
        var report = data.reports[r];
        if (k) { li.appendChild(document.createTextNode(t.sep)); }
        li.appendChild(el("a", {href: report[1] + "#find=" + encodeURIComponent(code), "class": "an-rows"}, report[0]));
      });
    }
    return li;
  }
  function show() {
    var q = input.value.trim().toLowerCase();
    Array.prototype.forEach.call(document.querySelectorAll("li[data-find]"), function (li) {
      li.style.display = !q || li.getAttribute("data-find").indexOf(q) >= 0 ? "" : "none";
    });
    while (list.firstChild) { list.removeChild(list.firstChild); }
    if (!q) { return; }
    var hits = data.units.filter(function (u) { return u[2].indexOf(q) >= 0; });
    hits.sort(function (a, b) { return rank(a, q) - rank(b, q) || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0); });
    hits.slice(0, MAX).forEach(function (u) { list.appendChild(item(u)); });
    if (!hits.length) { list.appendChild(el("li", {"class": "an-muted"}, t.none)); }
    if (hits.length > MAX) { list.appendChild(el("li", {"class": "an-muted"}, t.more.replace("{n}", hits.length - MAX))); }
  }
  input.addEventListener("input", show);
  show();  // a query the browser restored (back button)
})();
