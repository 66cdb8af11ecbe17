// The DAG graph: zoom (wheel, pinch, buttons), pan (drag), fit to the screen, by changing the
// SVG's viewBox. The layout itself is computed on the server (services/ui_graph.py).
(function () {
  "use strict";
  function init() {
    var svg = document.getElementById("graph"), wrap = document.getElementById("graph-wrap");
    if (!svg || !wrap || svg.dataset.ready) { return; }
    svg.dataset.ready = "1";
    var W = +svg.dataset.width, H = +svg.dataset.height, view = { x: 0, y: 0, w: W, h: H };
    function set() { svg.setAttribute("viewBox", [view.x, view.y, view.w, view.h].join(" ")); }
    function fit() {
      var r = wrap.getBoundingClientRect(), scale = Math.max(W / Math.max(r.width, 1), H / Math.max(r.height, 1), 1);
      view.w = r.width * scale; view.h = r.height * scale;
      view.x = (W - view.w) / 2; view.y = (H - view.h) / 2; set();
    }
    function actual() {
      var r = wrap.getBoundingClientRect();
      view = { x: 0, y: 0, w: r.width, h: r.height }; set();
    }
    function zoom(factor, cx, cy) {
      var r = wrap.getBoundingClientRect();
      var px = cx === undefined ? 0.5 : (cx - r.left) / r.width, py = cy === undefined ? 0.5 : (cy - r.top) / r.height;
      var nw = Math.min(Math.max(view.w * factor, 40), W * 20), nh = nw * view.h / view.w;
      view.x += (view.w - nw) * px; view.y += (view.h - nh) * py; view.w = nw; view.h = nh; set();
    }
    var actions = { in: function () { zoom(0.8); }, out: function () { zoom(1.25); }, fit: fit, reset: actual };
    document.querySelectorAll("[data-graph]").forEach(function (b) {
      b.addEventListener("click", function () { actions[b.dataset.graph](); });
    });
    wrap.addEventListener("wheel", function (ev) {
      ev.preventDefault(); zoom(ev.deltaY > 0 ? 1.15 : 1 / 1.15, ev.clientX, ev.clientY);
    }, { passive: false });
    var drag = null, moved = false;
    wrap.addEventListener("pointerdown", function (ev) {
      if (ev.button !== 0) { return; }
      drag = { x: ev.clientX, y: ev.clientY, vx: view.x, vy: view.y }; moved = false;
    });
    window.addEventListener("pointermove", function (ev) {
      if (!drag) { return; }
      var dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
      if (!moved && Math.abs(dx) + Math.abs(dy) < 4) { return; }
      moved = true; wrap.classList.add("dragging");
      var r = wrap.getBoundingClientRect();
      view.x = drag.vx - dx * view.w / r.width; view.y = drag.vy - dy * view.h / r.height; set();
    });
    window.addEventListener("pointerup", function () { drag = null; wrap.classList.remove("dragging"); });
    wrap.addEventListener("click", function (ev) { if (moved) { ev.preventDefault(); moved = false; } }, true);
    wrap.addEventListener("keydown", function (ev) {
      var step = view.w / 10, keys = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
      if (ev.key === "+" || ev.key === "=") { zoom(0.8); } else if (ev.key === "-") { zoom(1.25); } else if (keys[ev.key] && ev.target === wrap) {
        view.x += keys[ev.key][0]; view.y += keys[ev.key][1]; set(); ev.preventDefault();
      }
    });
    fit();
  }
  init();
  document.addEventListener("legato:swapped", init);
})();
