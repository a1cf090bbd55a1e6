// Wires a host simulator page (templates/embed/sim_*.html) to its host script: the picker,
// the reply box, the theme and the signed tokens.
(function () {
  "use strict";
  var body = document.body;
  var frame = document.querySelector("[data-sim-frame]");

  if (body.dataset.sim === "zendesk") {
    var tickets = JSON.parse(document.getElementById("sim-tickets").textContent);
    var reply = document.querySelector("[data-sim-reply]");
    var sim = window.ZendeskHostSim.start(frame, {
      url: body.dataset.entry,
      token: body.dataset.token,
      ticket: tickets[0],
      onAppendText: function (text) { reply.value += text; },
      onInstanceCreate: function () { return null; },
    });
    document.querySelector("[data-sim-requester]").addEventListener("change", function (event) {
      sim.setTicket(tickets[Number(event.target.value)]);
    });
  }

  if (body.dataset.sim === "pipedrive") {
    var record = document.querySelector("[data-sim-record]");
    var theme = document.querySelector("[data-sim-theme]");
    var forge = document.querySelector("[data-sim-forge]");
    var current = null;
    function signToken() {
      return fetch(body.dataset.tokenUrl, { cache: "no-store" })
        .then(function (response) { return response.json(); })
        .then(function (data) {
          // A forged token: the same claims, the signature of another one.
          return forge.checked ? data.token.replace(/.{6}$/, "AAAAAA") : data.token;
        });
    }
    function open() {
      var parts = record.value.split(":");
      signToken().then(function (token) {
        var url = new URL(body.dataset.entry);
        url.search = new URLSearchParams({
          userId: body.dataset.userId, companyId: body.dataset.companyId,
          selectedIds: parts[1], resource: parts[0], view: "custom_panel", token: token,
        }).toString();
        if (current) current.stop();
        current = window.PipedriveHostSim.start(frame, { url: url.href, theme: theme.value, signToken: signToken });
      });
    }
    record.addEventListener("change", open);
    forge.addEventListener("change", open);
    theme.addEventListener("change", function () { if (current) current.setTheme(theme.value); });
    open();
  }
})();
