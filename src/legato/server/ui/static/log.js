// The log page: follows a running try (appends the bytes after what it has whenever the live
// channel reports a bigger log), search, level filter, wrap, jump to the first error. Lines are
// drawn as the server draws them (server/ui/log_html.py): <span class="ln lv-LEVEL" id="L12">.
(function () {
  "use strict";
  var LINE = /^\[\d{4}-\d\d-\d\dT[\d:]+Z\] (\w+)\s/;
  var LEVELS = { warning: ["WARNING", "ERROR", "CRITICAL"], error: ["ERROR", "CRITICAL"], output: ["OUTPUT"] };
  var pre, fetching = false, partial = "";

  function lineEl(n, text, level) {
    var span = document.createElement("span"), a = document.createElement("a");
    span.className = "ln lv-" + level; span.id = "L" + n; span.dataset.level = level;
    a.href = "#L" + n; a.textContent = String(n); a.setAttribute("aria-label", "line " + n);
    span.appendChild(a); span.appendChild(document.createTextNode(text));
    return span;
  }

  function lastLevel() {
    var last = pre.lastElementChild;
    return last ? last.dataset.level : "INFO";
  }

  function append(text) {
    var lines = (partial + text).split("\n");
    partial = lines.pop();                       // an unfinished last line waits for its end
    var n = +pre.dataset.lines, level = lastLevel(), frag = document.createDocumentFragment();
    lines.forEach(function (line) {
      var m = LINE.exec(line);
      if (m) { level = m[1]; }
      n += 1;
      frag.appendChild(lineEl(n, line, level));
    });
    pre.dataset.lines = String(n);
    pre.appendChild(frag);
    if (lines.length) { document.getElementById("log-waiting").hidden = true; }
    applyFilters();
    var follow = document.getElementById("log-follow");
    if (follow && follow.checked && lines.length) { pre.scrollTop = pre.scrollHeight; }
  }

  function fetchMore() {
    if (fetching || !pre.dataset.text || pre.dataset.try === "0") { return; }
    fetching = true;
    fetch(pre.dataset.text + "&offset=" + pre.dataset.offset, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error("log " + r.status); } return r.json(); })
      .then(function (data) {
        if (data.offset !== +pre.dataset.offset) { return; }
        pre.dataset.offset = String(data.next_offset);
        if (data.text) { append(data.text); }
        if (data.next_offset < data.size) { fetching = false; fetchMore(); }
      })
      .catch(function () { /* the next live message asks again */ })
      .finally(function () { fetching = false; });
  }

  function onLive(ev) {
    var log = ev.detail && ev.detail.log;
    if (!log || !pre) { return; }
    if (pre.dataset.follow === "latest" && log.latest !== +pre.dataset.try) { window.legato.swapMain(); return; }
    var badge = document.getElementById("log-state");
    if (badge && log.state) { badge.className = "badge s-" + log.state; badge.textContent = log.state; }
    if (log.size > +pre.dataset.offset) { fetchMore(); }
  }

  function applyFilters() {
    var level = document.getElementById("log-level").value, wanted = LEVELS[level];
    var query = document.getElementById("log-search").value.toLowerCase(), hits = 0;
    pre.querySelectorAll(".ln").forEach(function (ln) {
      var shown = !wanted || wanted.indexOf(ln.dataset.level) >= 0;
      ln.classList.toggle("hidden", !shown);
      var hit = shown && query !== "" && ln.textContent.toLowerCase().indexOf(query) >= 0;
      ln.classList.toggle("hit", hit);
      if (hit) { hits += 1; }
    });
    document.getElementById("log-hits").textContent = query ? hits + (hits === 1 ? " line" : " lines") : "";
  }

  function jumpTo(el) {
    if (!el) { return; }
    window.history.replaceState(null, "", "#" + el.id);
    el.scrollIntoView({ block: "center" });
    el.querySelector("a").focus();
  }

  function nextHit() {
    var hits = Array.prototype.slice.call(pre.querySelectorAll(".ln.hit"));
    var current = window.location.hash.slice(1);
    var after = hits.filter(function (h) { return +h.id.slice(1) > +current.slice(1); });
    jumpTo(after[0] || hits[0]);
  }

  function init() {
    pre = document.getElementById("log");
    if (!pre || pre.dataset.ready) { return; }
    pre.dataset.ready = "1";
    partial = "";
    document.getElementById("log-search").addEventListener("input", applyFilters);
    document.getElementById("log-search").addEventListener("keydown", function (ev) {
      if (ev.key === "Enter") { ev.preventDefault(); nextHit(); }
    });
    document.getElementById("log-level").addEventListener("change", applyFilters);
    document.getElementById("log-wrap").addEventListener("change", function (ev) { pre.classList.toggle("wrap", ev.target.checked); });
    document.getElementById("log-jump-error").addEventListener("click", function () {
      jumpTo(pre.querySelector('.ln[data-level="ERROR"]:not(.hidden), .ln[data-level="CRITICAL"]:not(.hidden)'));
    });
    var target = window.location.hash && document.getElementById(window.location.hash.slice(1));
    if (target) { target.scrollIntoView({ block: "center" }); }
  }

  init();
  document.addEventListener("legato:swapped", init);
  document.addEventListener("legato:live", onLive);
})();
