// Runs before first paint: apply the agent's saved theme so the page never flashes.
(function () {
  try {
    var saved = localStorage.getItem("pv-theme");
    if (saved === "light" || saved === "dark") document.documentElement.dataset.theme = saved;
  } catch (e) { /* storage blocked (third-party iframe): follow the system theme */ }
})();
