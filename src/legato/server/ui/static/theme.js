// Loaded before the stylesheet applies (not deferred): the theme chosen with the toggle (kept in
// localStorage) wins over the system setting, so a dark page never flashes white first.
(function () {
  "use strict";
  try {
    var chosen = window.localStorage.getItem("legato-theme");
    if (chosen === "light" || chosen === "dark") { document.documentElement.dataset.theme = chosen; }
  } catch (e) { /* storage refused: follow the system */ }
})();
