// The embedded viewer's script (Zendesk ticket sidebar, Pipedrive panel): talks to the host
// through its SDK, keeps the embed token fresh, and loads the sidebar for the host's customer.
// No cookie is used here: the token rides on <body hx-headers>, the time zone in a header.
(function () {
  "use strict";
  var body = document.body;
  var host = body.dataset.host;
  var TOKEN_HEADER = "X-Embed-Token";
  var ttl = Number(body.dataset.tokenTtl) || 900;
  var zone = "";
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { /* server's zone */ }

  function headers() {
    try { return JSON.parse(body.getAttribute("hx-headers") || "{}"); } catch (e) { return {}; }
  }
  function setToken(token) {
    var all = headers();
    all.Authorization = "Bearer " + token;
    body.setAttribute("hx-headers", JSON.stringify(all));
  }
  function authFetch(url) {
    var all = headers();
    if (zone) all["X-Time-Zone"] = zone;
    return fetch(url, { headers: all, credentials: "omit", cache: "no-store" }).then(function (response) {
      var fresh = response.headers.get(TOKEN_HEADER);
      if (fresh) setToken(fresh);
      return response;
    });
  }
  function showAlert(html) {
    var alert = document.getElementById("embed-alert");
    alert.innerHTML = html;
    alert.hidden = false;
  }
  // A refusal of ours (401 with X-Embed-Refused) is shown as sent; anything else (a proxy's
  // page) only as a sentence, never as markup.
  var renewing = null;
  function refused(status, refusal, body) {
    if (status !== 401) return false;
    clearInterval(renewing);  // a lapsed sign-in does not come back by asking again
    if (refusal) showAlert(body);
    else showAlert("<strong>Signed out.</strong> Reload the app to sign in again.");
    return true;
  }

  document.addEventListener("htmx:configRequest", function (event) {
    if (zone) event.detail.headers["X-Time-Zone"] = zone;
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var xhr = event.detail.xhr;
    var fresh = xhr && xhr.getResponseHeader(TOKEN_HEADER);
    if (fresh) setToken(fresh);
  });
  // A refused token (401) says why in the banner; the panels stay as they were.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (refused(xhr.status, xhr.getResponseHeader("X-Embed-Refused"), xhr.responseText)) {
      event.detail.shouldSwap = false;
    }
  });
  // An open page renews its token even while idle, until the token's maximum age.
  renewing = setInterval(function () {
    authFetch(body.dataset.tokenUrl).then(function (response) {
      if (response.status !== 401) return;
      response.text().then(function (text) {
        refused(401, response.headers.get("X-Embed-Refused"), text);
      });
    }, function () { /* offline: the next panel request renews it */ });
  }, Math.max(30, ttl / 3) * 1000);

  // Traits, Metadata and Activity load when the agent first opens them.
  document.addEventListener("toggle", function (event) {
    var details = event.target;
    if (!details.open || !details.hasAttribute || !details.hasAttribute("data-load-on-open")) return;
    var slot = details.querySelector(".panel-body.is-loading");
    if (slot && window.htmx) window.htmx.trigger(slot, "pv:open");
  }, true);

  function loadSidebar(params) {
    var url = body.dataset.sidebarUrl;
    if (!url || !window.htmx) return;
    var query = new URLSearchParams(url.split("?")[1] || "");
    Object.keys(params || {}).forEach(function (key) { if (params[key]) query.set(key, params[key]); });
    // The ticket or record shown: the server remembers which customer was chosen for it.
    if (body.dataset.record) query.set("record", body.dataset.record);
    window.htmx.ajax("GET", url.split("?")[0] + "?" + query.toString(), { target: "#sidebar", swap: "innerHTML" });
  }

  // Resize the host's frame to the content.
  function watchHeight(resize) {
    if (!window.ResizeObserver) return;
    var last = 0;
    new ResizeObserver(function () {
      var height = Math.ceil(document.documentElement.scrollHeight);
      if (Math.abs(height - last) < 4) return;
      last = height;
      resize(height);
    }).observe(body);
  }

  function zendesk() {
    if (!window.ZAFClient) { showAlert("<strong>Zendesk.</strong> The Zendesk app framework did not load: reload the app."); return; }
    var client = window.ZAFClient.init();
    if (!client) { showAlert("<strong>Zendesk.</strong> Open this app from a Zendesk ticket."); return; }
    function load() {
      client.get(["ticket.id", "ticket.requester", "ticket.createdAt"]).then(function (data) {
        // This SDK resolves a timed-out call with an error object instead of rejecting.
        if (!data || data.name || !data["ticket.requester"]) throw new Error("no requester");
        var requester = data["ticket.requester"];
        body.dataset.record = "ticket:" + data["ticket.id"];
        var ref = requester.externalId ? "userId:" + requester.externalId : requester.email ? "email:" + requester.email : "";
        if (!ref) {
          loadSidebar({ q: requester.name || "", ticket_at: data["ticket.createdAt"] });
          return;
        }
        loadSidebar({ ref: ref, ticket_at: data["ticket.createdAt"] });
      }).catch(function () { showAlert("<strong>Zendesk.</strong> Could not read the ticket's requester: reload the app."); });
    }
    load();
    // A new requester fires one event per changed field: reload once for them all.
    var pending = null;
    function reload() {
      clearTimeout(pending);
      pending = setTimeout(load, 50);
    }
    client.on("ticket.requester.id.changed", reload);
    client.on("ticket.requester.email.changed", reload);
    client.on("ticket.requester.externalId.changed", reload);
    watchHeight(function (height) { client.invoke("resize", { width: "100%", height: height + "px" }); });
    document.addEventListener("click", function (event) {
      var insert = event.target.closest("[data-insert-reply]");
      if (insert) {
        var status = document.querySelector("[data-reply-status]");
        authFetch(insert.getAttribute("data-insert-reply")).then(function (response) {
          return response.text().then(function (text) {
            if (!response.ok) throw new Error(text);
            return client.invoke("comment.appendText", text);
          });
        }).then(function (result) {
          if (result && result.name) throw new Error(result.name);
          if (status) status.textContent = "Summary added to the reply.";
        }, function () {
          showAlert("<strong>Insert into reply.</strong> The summary could not be added: try again.");
        });
      }
    });
  }

  function pipedrive() {
    var SDK = window.AppExtensionsSDK;
    if (!SDK) { showAlert("<strong>Pipedrive.</strong> The Pipedrive SDK did not load: reload the panel."); return; }
    var Command = SDK.Command;
    var Event = SDK.Event;
    // The host's token is in this page's address: keep it out of the history and of copies.
    var entry = new URL(window.location.href);
    if (entry.searchParams.has("token")) {
      var shown = new URL(entry.href);
      shown.searchParams.delete("token");
      history.replaceState(null, "", shown.pathname + shown.search);
    }
    function applyTheme(theme) {
      if (theme === "light" || theme === "dark") document.documentElement.dataset.theme = theme;
    }
    var sdk = new SDK();
    sdk.initialize({ size: { height: 400 } }).then(function () {
      // The first theme comes from the panel's address; changes as events, whose `data`
      // carries it (the SDK's own userSettings lose it after a change).
      if (sdk.userSettings) applyTheme(sdk.userSettings.theme);
      sdk.listen(Event.USER_SETTINGS_CHANGE, function (message) {
        applyTheme(message && message.data && message.data.theme);
      });
      watchHeight(function (height) {
        sdk.execute(Command.RESIZE, { height: Math.min(750, Math.max(100, height)) });
      });
      document.addEventListener("click", function (event) {
        if (!event.target.closest("[data-embed-restart]")) return;
        // A fresh start: Pipedrive signs a new token, and the entry checks it again.
        sdk.execute(Command.GET_SIGNED_TOKEN).then(function (answer) {
          entry.searchParams.set("token", answer.token);
          window.location.replace(entry.toString());
        });
      });
    }, function () { /* outside Pipedrive: the panel still works, without theme or resize */ });
    loadSidebar({});
  }

  if (host === "zendesk") zendesk();
  else if (host === "pipedrive") pipedrive();
})();
