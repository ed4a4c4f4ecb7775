/* forewarn report: horizon switch, map panel, sortable and filterable ranking. No libraries.
   Data come from the JSON block #fw-data; text is only ever set with textContent. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("fw-data").textContent);
  document.documentElement.classList.add("js");
  var horizon = data.horizons[0];
  var pinned = null;
  var panel = document.getElementById("fw-panel");
  var hint = panel ? panel.firstElementChild.cloneNode(true) : null;
  var map = document.getElementById("fw-map");

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = text; }
    return e;
  }

  function list(title, items, cls) {
    if (!items || !items.length) { return; }
    panel.appendChild(el("p", null, title));
    var ul = el("ul", cls);
    items.forEach(function (t) { ul.appendChild(el("li", null, t)); });
    panel.appendChild(ul);
  }

  function label(r, s) {  // as the report's own labels: name: score [within h], class risk
    if (s.c < 0) { return r.n + ": no score"; }
    return r.n + ": " + s.p + (data.io ? "" : " within " + data.ht[horizon]) + ", " + s.cl +
      " risk" + (s.lo ? ", low data reliability" : "");
  }

  function show(id) {
    var r = data.regions[id];
    if (!panel || !r) { return; }
    var s = r.h[horizon];
    panel.textContent = "";
    panel.appendChild(el("h3", null, r.n));
    if (r.p) { panel.appendChild(el("p", "muted", r.p)); }
    if (!s) {
      panel.appendChild(el("p", null, "No score for this horizon."));
      return;
    }
    panel.appendChild(el("p", "big", s.p));
    panel.appendChild(el("p", null, data.w[horizon]));
    if (!data.io) { panel.appendChild(el("p", null, "Interval: " + s.i)); }
    var line = el("p", null, "Class: ");
    line.appendChild(el("span", "chip c" + (s.c >= 0 ? s.c : "n"), s.cl));
    panel.appendChild(line);
    var rel = el("p", null, "Data reliability: " + s.r);
    if (s.lo) { rel.appendChild(el("span", "flag", " \u26A0 low reliability")); }
    panel.appendChild(rel);
    panel.appendChild(el("p", null, "Change since last run: " + s.d));
    if (!s.up && !s.dn) {
      panel.appendChild(el("p", "muted", "Drivers of this region: drivers.parquet in the run folder."));
    }
    list("Raising the risk:", s.up, "drivers up");
    list("Lowering the risk:", s.dn, "drivers down");
    if (r.a) {
      var a = el("a", null, "Open the region card");
      a.href = "#" + r.a;
      panel.appendChild(a);
    }
  }

  function restore() {
    if (!panel) { return; }
    if (pinned) { show(pinned); return; }
    panel.textContent = "";
    if (hint) { panel.appendChild(hint.cloneNode(true)); }
  }

  function paint() {
    if (!map) { return; }
    Array.prototype.forEach.call(map.querySelectorAll(".rg"), function (p) {
      var id = p.getAttribute("data-id");
      var s = (data.regions[id] || { h: {} }).h[horizon];
      var cls = "rg c" + (s && s.c >= 0 ? s.c : "n");
      if (s && s.lo) { cls += " low"; }
      if (id === pinned) { cls += " sel"; }
      p.setAttribute("class", cls);
      p.setAttribute("aria-label", s ? (s.al || label(data.regions[id], s))
                                     : data.regions[id].n + ": no score");
    });
  }

  function setHorizon(h) {
    horizon = h;
    Array.prototype.forEach.call(document.querySelectorAll(".hblock"), function (b) {
      b.hidden = b.getAttribute("data-h") !== h;
    });
    Array.prototype.forEach.call(document.querySelectorAll(".fw-hz"), function (t) {
      t.textContent = data.ht[h];
    });
    paint();
    restore();
    filter();
  }

  if (map) {
    map.addEventListener("mouseover", function (e) {
      var id = e.target.getAttribute && e.target.getAttribute("data-id");
      if (id) { show(id); }
    });
    map.addEventListener("focusin", function (e) {
      var id = e.target.getAttribute("data-id");
      if (id) { show(id); }
    });
    map.addEventListener("mouseleave", restore);
    map.addEventListener("focusout", restore);
    var pin = function (e) {
      var id = e.target.getAttribute && e.target.getAttribute("data-id");
      if (!id) { return; }
      pinned = pinned === id ? null : id;
      paint();
      restore();
    };
    map.addEventListener("click", pin);
    map.addEventListener("keydown", function (e) {
      if (e.key === "Enter" || e.key === " ") { e.preventDefault(); pin(e); }
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("input[name='fw-h']"), function (r) {
    r.addEventListener("change", function () { if (r.checked) { setHorizon(r.value); } });
  });

  /* Sorting: each cell carries its sort value in data-v; missing values always go last. */
  function sortBy(button) {
    var th = button.closest("th");
    var table = th.closest("table");
    var col = th.cellIndex;
    var numeric = button.getAttribute("data-type") === "num";
    var current = th.getAttribute("aria-sort");
    var first = button.getAttribute("data-first") || (numeric ? "descending" : "ascending");
    var dir = current === "none" || !current ? first :
      (current === "ascending" ? "descending" : "ascending");
    Array.prototype.forEach.call(table.querySelectorAll("th"), function (o) {
      o.setAttribute("aria-sort", "none");
    });
    th.setAttribute("aria-sort", dir);
    var sign = dir === "ascending" ? 1 : -1;
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[col].getAttribute("data-v");
      var y = b.cells[col].getAttribute("data-v");
      if (x === "" || y === "") { return (x === "") - (y === ""); }
      if (numeric) { return sign * (parseFloat(x) - parseFloat(y)); }
      return sign * x.localeCompare(y);
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }
  Array.prototype.forEach.call(document.querySelectorAll("button.sort"), function (b) {
    b.addEventListener("click", function () { sortBy(b); });
  });

  var parent = document.getElementById("fw-parent");
  var find = document.getElementById("fw-find");
  var count = document.getElementById("fw-count");
  function filter() {
    var p = parent ? parent.value : "";
    var q = find ? find.value.trim().toLowerCase() : "";
    var shown = 0;
    var total = 0;
    Array.prototype.forEach.call(document.querySelectorAll("table.rank"), function (t) {
      var visible = !t.closest(".hblock").hidden;
      Array.prototype.forEach.call(t.tBodies[0].rows, function (r) {
        var ok = (!p || r.getAttribute("data-parent") === p) &&
          (!q || r.getAttribute("data-name").indexOf(q) >= 0);
        r.hidden = !ok;
        if (visible) { total += 1; shown += ok ? 1 : 0; }
      });
    });
    if (count) { count.textContent = "Showing " + shown + " of " + total + " regions"; }
  }
  if (parent) { parent.addEventListener("change", filter); }
  if (find) { find.addEventListener("input", filter); }

  setHorizon(horizon);
})();
