// Legato UI: live pages, theme toggle, small form helpers. No framework, no build step.
//
// Live: <main data-poll="/ui/api/..."> names the page's live JSON. The page listens to
// /ui/api/live?topic=<that URL> (server-sent events; the server sends only what changed) or,
// without EventSource, fetches the JSON every 2 s. A message may carry
//   runs   {run_id: state}                 recolours [data-run] without data-task
//   cells  {run_id: {task: "state|mix"}}   recolours [data-run][data-task]
//   items  {key: state}, counts {key: text} (incident pages)
//   set    a digest of the rows shown; version  a digest of everything shown:
//          when either differs from the page's, a fresh <main> is fetched and swapped in
//   log    {try, latest, state, size}      handed to log.js ("legato:live" event)
// The page never reloads; the server's templates stay the one place that draws things. A swap
// keeps what the user typed or ticked in the live region and has not sent yet (a run's note, the
// options of a clear), and the focus.
(function () {
  "use strict";
  var main = document.getElementById("live");

  function splitCode(code) {
    var parts = String(code).split("|");
    return { state: parts[0], mix: parts[1] || null };
  }

  function setState(el, code) {
    if (code === undefined || code === null) { return; }
    var c = splitCode(code), want = ["s-" + c.state].concat(c.mix ? ["mix-" + c.mix] : []);
    var have = Array.prototype.filter.call(el.classList, function (k) {
      return k.indexOf("s-") === 0 || k.indexOf("mix-") === 0;
    });
    if (have.length === want.length && want.every(function (k) { return el.classList.contains(k); })) { return; }
    have.forEach(function (k) { el.classList.remove(k); });
    want.forEach(function (k) { el.classList.add(k); });
    if (el.classList.contains("badge")) { el.textContent = c.state; }
    var old = el.getAttribute("aria-label");
    var base = el.dataset.label || (old && old.indexOf(": ") > 0 ? old.slice(0, old.indexOf(": ")) : null);
    if (base) {
      var label = base + ": " + c.state + (c.mix ? " and " + c.mix : "");
      el.setAttribute("aria-label", label);
      if (el.hasAttribute("title")) { el.setAttribute("title", label); }
    }
  }

  // the grid: a row per task (tr[data-task]), a column per run (thead th[data-col-run])
  function applyGrid(table, cells) {
    var columns = {};
    table.querySelectorAll("th[data-col-run]").forEach(function (th, i) { columns[th.dataset.colRun] = i; });
    var changed = Object.keys(cells).filter(function (run) { return columns[run] !== undefined; });
    if (!changed.length) { return; }
    table.querySelectorAll("tbody tr[data-task]").forEach(function (tr) {
      var links = tr.querySelectorAll("a.cell");
      changed.forEach(function (run) {
        var code = cells[run][tr.dataset.task];
        if (code !== undefined && links[columns[run]]) { setState(links[columns[run]], code); }
      });
    });
  }

  // what the user typed or ticked in the live region and has not sent yet survives a swap
  function edited(el) {
    if (el.type === "checkbox" || el.type === "radio") { return el.checked !== el.defaultChecked; }
    if (el.tagName === "SELECT") {
      return Array.prototype.some.call(el.options, function (o) { return o.selected !== o.defaultSelected; });
    }
    return el.value !== el.defaultValue;
  }
  function keepEdits() {
    var fields = [], active = document.activeElement;
    var focus = active && active.id && main.contains(active) ? active.id : null;
    main.querySelectorAll("input[id], textarea[id], select[id]").forEach(function (el) {
      if (el.type !== "hidden" && edited(el)) { fields.push([el.id, el.checked, el.value]); }
    });
    return function () {
      fields.forEach(function (f) {
        var el = document.getElementById(f[0]);
        if (!el || !main.contains(el)) { return; }
        if (el.type === "checkbox" || el.type === "radio") { el.checked = f[1]; } else { el.value = f[2]; }
      });
      var el = focus && document.getElementById(focus);
      if (el && main.contains(el)) { el.focus(); }
    };
  }

  var swapping = null;
  function swapMain() {
    if (swapping) { return swapping; }
    swapping = fetch(window.location.href, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) { throw new Error("page " + r.status); }
      return r.text();
    }).then(function (html) {
      var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("live");
      if (!fresh) { return; }
      var restore = keepEdits();
      main.innerHTML = fresh.innerHTML;
      restore();
      ["set", "poll"].forEach(function (k) { if (fresh.dataset[k] !== undefined) { main.dataset[k] = fresh.dataset[k]; } });
      document.dispatchEvent(new CustomEvent("legato:swapped"));
    }).finally(function () { swapping = null; });
    return swapping;
  }

  function apply(data) {
    if (!data || data.gone) { return; }
    if (data.set !== undefined && main.dataset.set !== undefined && data.set !== main.dataset.set) { return swapMain(); }
    var version = main.querySelector("[data-version]");
    if (version && data.version !== undefined && version.dataset.version !== data.version) { return swapMain(); }
    var runs = data.runs || {}, cells = data.cells || {}, items = data.items || {}, counts = data.counts || {};
    main.querySelectorAll("[data-run]").forEach(function (el) {
      var run = el.dataset.run, task = el.dataset.task;
      if (task === undefined) { setState(el, runs[run]); } else if (cells[run]) { setState(el, cells[run][task]); }
    });
    main.querySelectorAll("table[data-grid]").forEach(function (table) { applyGrid(table, cells); });
    main.querySelectorAll("[data-item]").forEach(function (el) { setState(el, items[el.dataset.item]); });
    main.querySelectorAll("[data-count]").forEach(function (el) {
      var text = counts[el.dataset.count];
      if (text !== undefined && el.textContent !== String(text)) { el.textContent = text; }
    });
    document.dispatchEvent(new CustomEvent("legato:live", { detail: data }));
  }

  function loggedOut() {
    return fetch(main.dataset.poll, { credentials: "same-origin" }).then(function (r) {
      if (r.status === 401) { window.location.assign("/ui/login?next=" + encodeURIComponent(window.location.pathname + window.location.search)); }
    }).catch(function () { /* server away: the reconnect will tell */ });
  }

  var source = null, timer = null;
  function poll() {
    if (document.hidden) { return; }
    fetch(main.dataset.poll, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) {
        if (r.status === 401) { loggedOut(); throw new Error("logged out"); }
        if (!r.ok) { throw new Error("poll " + r.status); }
        return r.json();
      })
      .then(apply)
      .catch(function () { /* the next tick may succeed */ })
      .then(function () { timer = window.setTimeout(poll, 2000); });
  }

  function connect() {
    if (!main || !main.dataset.poll || document.hidden || source) { return; }
    if (!window.EventSource) { poll(); return; }
    source = new EventSource("/ui/api/live?topic=" + encodeURIComponent(main.dataset.poll));
    source.onmessage = function (ev) { apply(JSON.parse(ev.data)); };
    source.onerror = function () {
      if (source && source.readyState === 2) {          // refused (not a dropped stream): why?
        source = null;
        loggedOut().then(function () { timer = window.setTimeout(connect, 3000); });
      }
    };
  }

  function disconnect() {
    if (source) { source.close(); source = null; }
    if (timer) { window.clearTimeout(timer); timer = null; }
  }

  document.addEventListener("visibilitychange", function () {   // a background tab costs nothing
    if (document.hidden) { disconnect(); } else { connect(); }
  });
  window.addEventListener("pagehide", disconnect);
  if (main) { connect(); }
  window.legato = { swapMain: swapMain, apply: apply };
})();

// The theme toggle: light <-> dark, remembered (theme.js applies it before the first paint).
(function () {
  "use strict";
  var button = document.getElementById("theme-toggle");
  if (!button) { return; }
  function current() {
    var set = document.documentElement.dataset.theme;
    if (set) { return set; }
    return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }
  function label() {
    var next = current() === "dark" ? "light" : "dark";
    button.textContent = next === "dark" ? "Dark" : "Light";
    button.setAttribute("aria-label", "Switch to the " + next + " theme");
  }
  button.addEventListener("click", function () {
    var next = current() === "dark" ? "light" : "dark";
    document.documentElement.dataset.theme = next;
    try { window.localStorage.setItem("legato-theme", next); } catch (e) { /* not kept */ }
    label();
  });
  label();
})();

// A "select all" checkbox (data-select-all="group") ticks every enabled [data-select="group"];
// a submit button with data-confirm asks first; a select with data-autosubmit submits its form.
document.addEventListener("change", function (ev) {
  "use strict";
  var t = ev.target;
  if (t.dataset && t.dataset.autosubmit !== undefined && t.form) { t.form.requestSubmit(); return; }
  var group = t.dataset && t.dataset.selectAll;
  if (!group) { return; }
  document.querySelectorAll('[data-select="' + group + '"]').forEach(function (box) {
    if (!box.disabled) { box.checked = t.checked; }
  });
});
document.addEventListener("click", function (ev) {
  "use strict";
  var button = ev.target.closest && ev.target.closest("[data-confirm]");
  if (button && !window.confirm(button.dataset.confirm)) { ev.preventDefault(); }
});

// Tooltips for state cells: their accessible name, shown on hover and on keyboard focus.
(function () {
  "use strict";
  var tip = null;
  function show(ev) {
    var el = ev.target.closest && ev.target.closest(".cell[aria-label], svg a[aria-label]");
    if (!el) { return; }
    if (!tip) { tip = document.createElement("div"); tip.className = "tooltip"; tip.setAttribute("role", "tooltip"); document.body.appendChild(tip); }
    tip.textContent = el.getAttribute("aria-label");
    var box = el.getBoundingClientRect();
    tip.style.left = Math.min(window.innerWidth - 320, Math.max(4, box.left)) + window.scrollX + "px";
    tip.style.top = box.bottom + window.scrollY + 6 + "px";
    tip.hidden = false;
  }
  function hide() { if (tip) { tip.hidden = true; } }
  document.addEventListener("mouseover", show);
  document.addEventListener("focusin", show);
  document.addEventListener("mouseout", hide);
  document.addEventListener("focusout", hide);
})();
