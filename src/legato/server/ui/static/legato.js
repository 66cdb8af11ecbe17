// Legato UI live updates: every 2 s, fetch the JSON named by <main data-poll="...">, which is
// {"runs": [{run_id, state, ...}], "cells": {run_id: {task_id: state}}}, and recolour every
// element carrying data-run (and data-task) in place. When the set of runs differs from the
// page's (a run was triggered or scheduled), fetch this page again and swap in its <main>:
// the page never reloads, and the server's templates stay the one place that draws things.
(function () {
  "use strict";
  var PERIOD_MS = 2000;
  var main = document.getElementById("live");
  if (!main || !main.dataset.poll) { return; }

  function setState(el, state) {
    if (!state) { return; }
    var kept = Array.prototype.filter.call(el.classList, function (c) { return c.indexOf("s-") !== 0; });
    var next = kept.concat(["s-" + state]).join(" ");
    if (el.getAttribute("class") !== next) { el.setAttribute("class", next); }
    if (el.classList.contains("badge")) { el.textContent = state; }
  }

  function pageIds(attr) {
    var ids = {};
    main.querySelectorAll("[data-" + attr + "]").forEach(function (el) { ids[el.dataset[attr]] = true; });
    return Object.keys(ids).sort().join("\n");
  }

  function swapMain() {
    return fetch(window.location.href, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) { throw new Error("page " + r.status); }
      return r.text();
    }).then(function (html) {
      var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("live");
      if (fresh) { main.innerHTML = fresh.innerHTML; }
    });
  }

  function apply(data) {
    var states = {};
    (data.runs || []).forEach(function (r) { states[r.run_id] = r.state; });
    var wanted = Object.keys(states).sort().join("\n");
    if (wanted !== pageIds("run")) { return swapMain(); }
    // other pages (incidents): "items" {key: state} recolour [data-item], "counts" {name: text}
    // fill [data-count]; a new or vanished item swaps in a fresh <main> like a new run does
    var items = data.items || {};
    if (data.items && Object.keys(items).sort().join("\n") !== pageIds("item")) { return swapMain(); }
    var version = main.querySelector("[data-version]");      // a page drawn from more than states
    if (version && data.version !== undefined && version.dataset.version !== data.version) { return swapMain(); }
    var cells = data.cells || {};
    main.querySelectorAll("[data-run]").forEach(function (el) {
      var run = el.dataset.run, task = el.dataset.task;
      setState(el, task === undefined ? states[run] : (cells[run] || {})[task]);
    });
    main.querySelectorAll("[data-item]").forEach(function (el) { setState(el, items[el.dataset.item]); });
    var counts = data.counts || {};
    main.querySelectorAll("[data-count]").forEach(function (el) {
      var text = counts[el.dataset.count];
      if (text !== undefined && el.textContent !== String(text)) { el.textContent = text; }
    });
  }

  function poll() {
    if (document.hidden) { window.setTimeout(poll, PERIOD_MS); return; }   // a background tab waits
    fetch(main.dataset.poll, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) {
        if (r.status === 401) { window.location.assign("/ui/login"); throw new Error("logged out"); }
        if (!r.ok) { throw new Error("poll " + r.status); }
        return r.json();
      })
      .then(apply)
      .catch(function () { /* keep polling; the next tick may succeed */ })
      .then(function () { window.setTimeout(poll, PERIOD_MS); });
  }

  window.setTimeout(poll, PERIOD_MS);
})();

// A "select all" checkbox (data-select-all="group") ticks every enabled [data-select="group"].
document.addEventListener("change", function (ev) {
  "use strict";
  var group = ev.target.dataset && ev.target.dataset.selectAll;
  if (!group) { return; }
  document.querySelectorAll('[data-select="' + group + '"]').forEach(function (box) {
    if (!box.disabled) { box.checked = ev.target.checked; }
  });
});
