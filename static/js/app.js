// The viewer's only script: theme toggle, copy buttons, trait filter, time zone cookie,
// live-update polling only while the tab is visible, and aria-busy on loading panels.
// No inline handlers and no eval, so the strict CSP holds.
(function () {
  "use strict";
  var root = document.documentElement;

  // The agent's time zone, so the server renders times and day groups in it. Embedded in a
  // host, no cookie is kept: embed.js sends the zone as a header instead.
  if (!root.hasAttribute("data-embed")) try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && document.cookie.indexOf("pv_tz=" + encodeURIComponent(zone)) === -1) {
      document.cookie = "pv_tz=" + encodeURIComponent(zone) + "; path=/; max-age=31536000; samesite=lax";
    }
  } catch (e) { /* no Intl: times stay in the server's zone */ }

  function currentTheme() {
    if (root.dataset.theme) return root.dataset.theme;
    return window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }

  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-theme-toggle]");
    if (toggle) {
      var next = currentTheme() === "dark" ? "light" : "dark";
      root.dataset.theme = next;
      try { localStorage.setItem("pv-theme", next); } catch (e) { /* not persisted */ }
      toggle.setAttribute("aria-pressed", String(next === "dark"));
      return;
    }
    var copy = event.target.closest("[data-copy]");
    if (copy) {
      var text = copy.getAttribute("data-copy");
      var status = document.querySelector("[data-copy-status]");
      var done = function () {
        copy.classList.add("copied");
        if (status) status.textContent = "Copied " + text;
        setTimeout(function () { copy.classList.remove("copied"); }, 1500);
      };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(done, function () {
          if (status) status.textContent = "Could not copy; select the text instead.";
        });
      }
    }
  });

  // Trait filter: hide rows whose key and value do not contain the typed text.
  document.addEventListener("input", function (event) {
    var input = event.target.closest("[data-filter-input]");
    if (!input) return;
    var scope = input.closest("[data-filter-scope]");
    var needle = input.value.trim().toLowerCase();
    var shown = 0;
    scope.querySelectorAll("[data-filter-row]").forEach(function (row) {
      var match = !needle || row.textContent.toLowerCase().indexOf(needle) !== -1;
      row.hidden = !match;
      if (match) shown += 1;
    });
    var empty = scope.querySelector("[data-filter-empty]");
    if (empty) empty.hidden = shown > 0;
  });

  // Raw events arrive as one-line JSON; indent one when the agent expands it.
  document.addEventListener("toggle", function (event) {
    var details = event.target;
    if (!details.open || !details.querySelector) return;
    // A timeline row holds a link to its raw event; on first opening, fetch it into a <pre>
    // that takes the link's place (one listener here instead of htmx attributes and a <pre>
    // on each of 50 rows).
    var link = details.querySelector(":scope > a.raw[href]");
    if (link && window.htmx) {
      var block = document.createElement("pre");
      block.className = "json";
      block.tabIndex = 0;
      block.setAttribute("aria-label", "Raw event");
      link.replaceWith(block);
      block.appendChild(link);
      window.htmx.ajax("GET", link.getAttribute("href"), { target: block, swap: "innerHTML" });
      return;
    }
    var pre = details.querySelector(":scope > pre[data-json]");
    if (!pre || pre.dataset.pretty) return;
    try {
      pre.textContent = JSON.stringify(JSON.parse(pre.textContent), null, 2);
    } catch (e) { /* leave it as sent */ }
    pre.dataset.pretty = "1";
  }, true);

  // Live updates poll only while the agent can see the page; catch up when they come back.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    if (elt && elt.hasAttribute && elt.hasAttribute("data-live") && document.visibilityState !== "visible") {
      event.preventDefault();
    }
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState !== "visible" || !window.htmx) return;
    document.querySelectorAll("[data-live]").forEach(function (elt) { window.htmx.trigger(elt, "pv:poll"); });
  });

  // Screen readers hear a panel once it has loaded, not its skeleton.
  document.addEventListener("htmx:afterSettle", function () {
    document.querySelectorAll('.panel[aria-busy="true"]').forEach(function (panel) {
      if (!panel.querySelector(".is-loading")) panel.setAttribute("aria-busy", "false");
    });
  });
})();
