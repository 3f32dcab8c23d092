(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("impact-data").textContent);
  var byId = {};
  data.findings.forEach(function (f) { byId[f.id] = f; });
  var layerSel = document.getElementById("filter-layer");
  var kindSel = document.getElementById("filter-kind");
  var text = document.getElementById("filter-text");
  var count = document.getElementById("filter-count");
  var none = document.getElementById("no-match");
  var articles = Array.prototype.slice.call(document.querySelectorAll("article.finding"));
  var groups = Array.prototype.slice.call(document.querySelectorAll("section.layer-group"));

  function apply() {
    var layer = layerSel.value;
    var kind = kindSel.value;
    var terms = text.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    articles.forEach(function (el) {
      var f = byId[el.getAttribute("data-id")];
      var ok = !!f && (!layer || f.layer === layer) && (!kind || f.kind === kind) &&
        terms.every(function (t) { return f.text.indexOf(t) >= 0; });
      el.hidden = !ok;
      if (ok) { shown += 1; }
    });
    groups.forEach(function (g) { g.hidden = !g.querySelector("article.finding:not([hidden])"); });
    count.textContent = shown + " of " + data.findings.length + " findings shown";
    none.hidden = shown > 0;
  }

  // shareable filtered views: report.html#filter?layer=ts-url&kind=hazard&q=cursor
  function fromHash() {
    var hash = window.location.hash || "";
    if (hash.indexOf("#filter?") !== 0) { return; }
    var params = new URLSearchParams(hash.slice("#filter?".length));
    layerSel.value = params.get("layer") || "";
    kindSel.value = params.get("kind") || "";
    text.value = params.get("q") || "";
  }
  function toHash() {
    var params = new URLSearchParams();
    if (layerSel.value) { params.set("layer", layerSel.value); }
    if (kindSel.value) { params.set("kind", kindSel.value); }
    if (text.value.trim()) { params.set("q", text.value.trim()); }
    var query = params.toString();
    try {
      window.history.replaceState(null, "", query ? "#filter?" + query : window.location.pathname);
    } catch (e) { /* some viewers forbid history changes on file:// pages: filtering still works */ }
  }
  function update() { apply(); toHash(); }

  layerSel.addEventListener("change", update);
  kindSel.addEventListener("change", update);
  text.addEventListener("input", update);
  window.addEventListener("hashchange", function () { fromHash(); apply(); });

  // a click on a layer row or a graph node narrows the findings to it
  Array.prototype.forEach.call(document.querySelectorAll("tr.layer-row"), function (row) {
    row.addEventListener("click", function () {
      layerSel.value = row.getAttribute("data-layer");
      update();
      document.getElementById("findings").scrollIntoView();
    });
  });
  Array.prototype.forEach.call(document.querySelectorAll(".fk-graph .node"), function (node) {
    node.addEventListener("click", function () {
      text.value = node.getAttribute("data-table");
      update();
      document.getElementById("findings").scrollIntoView();
    });
  });

  fromHash();
  apply();
  document.body.setAttribute("data-ready", String(data.findings.length));
})();
