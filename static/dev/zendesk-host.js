// A stand-in for the Zendesk agent UI around a ticket-sidebar app: it answers the ZAF SDK
// (static/vendor/zaf_sdk.min.js) running in `iframe` over postMessage, as docs/host-protocols.md
// describes. For local pages and browser tests only; no real Zendesk is involved.
//
//   const sim = ZendeskHostSim.start(iframe, {
//     url: "https://app.example/embed/zendesk",   // default: the iframe's current src
//     token: "jwt",   // a signed-URL app: POST it to `url` in the (named) iframe, as Zendesk does
//     ticket: {id, createdAt, requester: {id, name, email, externalId}},
//     currentUser: {id, name, email, locale, timeZone: {ianaName}},
//     onResize(height, width), onAppendText(text), onInstanceCreate(spec),
//   });
//   sim.setTicket({requester: {...}});   // fires ticket.requester.<field>.changed
//   sim.stop();
(function () {
  "use strict";

  var DEFAULT_TICKET = {
    id: 1001,
    createdAt: "2026-01-02T09:30:00Z",
    requester: { id: 501, name: "Joe Bloggs", email: "joe.bloggs@example.com", externalId: null },
  };
  var DEFAULT_USER = {
    id: 9001,
    name: "Carol Agent",
    email: "carol@example.com",
    locale: "en-US",
    timeZone: { ianaName: "Europe/London" },
  };
  // Zendesk fires a change event per requester field; the id goes first, as a new requester does.
  var REQUESTER_FIELDS = ["id", "name", "email", "externalId"];

  function copy(value) {
    return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
  }

  function lookup(tree, path) {
    return path.split(".").reduce(function (node, key) {
      return node !== null && typeof node === "object" && key in node ? node[key] : undefined;
    }, tree);
  }

  function cssLength(value) {
    return typeof value === "number" ? value + "px" : value;
  }

  function start(iframe, options) {
    options = options || {};
    var appGuid = options.appGuid || "00000000-0000-4000-8000-00000000a001";
    var url = new URL(options.url || iframe.getAttribute("src"), window.location.href);
    // Like Zendesk, tell the SDK who its parent is; it drops every message from another origin.
    url.searchParams.set("origin", window.location.origin);
    url.searchParams.set("app_guid", appGuid);
    var appOrigin = url.origin;
    var state = {
      ticket: copy(options.ticket || DEFAULT_TICKET),
      currentUser: copy(options.currentUser || DEFAULT_USER),
    };
    var subscribers = {};
    var nextInstance = 1;

    function send(message) {
      iframe.contentWindow.postMessage(JSON.stringify(message), appOrigin);
    }

    function fire(name, data) {
      // The SDK subscribes with iframe.on:<name>; like Zendesk, deliver only what was asked for.
      if (subscribers[name] > 0) send({ key: "zaf." + name, message: data });
    }

    function unknown(name, what) {
      return { name: "SimulatorError", message: what + " is not simulated", path: name };
    }

    function answerGet(paths) {
      var result = { errors: {} };
      paths.forEach(function (path) {
        var value = lookup(state, path);
        if (value === undefined) result.errors[path] = unknown(path, "this path");
        else result[path] = copy(value);
      });
      return Promise.resolve(result);
    }

    function createInstance(spec) {
      var instanceGuid = "00000000-0000-4000-8000-" + String(nextInstance++).padStart(12, "0");
      return {
        instanceGuid: instanceGuid,
        host: "zendesk",
        product: "support",
        location: spec && spec.location,
        account: { subdomain: "simulated" },
      };
    }

    var actions = {
      resize: function (size) {
        size = size || {};
        if (size.height !== undefined) iframe.style.height = cssLength(size.height);
        if (size.width !== undefined) iframe.style.width = cssLength(size.width);
        if (options.onResize) return options.onResize(size.height, size.width);
      },
      "comment.appendText": function (text) {
        if (options.onAppendText) return options.onAppendText(text);
      },
      "instances.create": function (spec) {
        var instance = createInstance(spec);
        var hook = options.onInstanceCreate ? options.onInstanceCreate(spec) : undefined;
        return Promise.resolve(hook).then(function () {
          return [instance];
        });
      },
    };

    function answerInvoke(calls) {
      var result = { errors: {} };
      return Promise.all(
        Object.keys(calls).map(function (name) {
          if (!actions[name]) {
            result.errors[name] = unknown(name, "this action");
            return null;
          }
          return Promise.resolve()
            .then(function () {
              return actions[name].apply(null, calls[name]);
            })
            .then(
              function (value) {
                if (value !== undefined) result[name] = value;
              },
              function (error) {
                result.errors[name] = { name: "Error", message: String(error && error.message) };
              }
            );
        })
      ).then(function () {
        return result;
      });
    }

    function answerSet(values) {
      var result = { errors: {} };
      Object.keys(values).forEach(function (path) {
        result.errors[path] = unknown(path, "setting this path");
      });
      return Promise.resolve(result);
    }

    function answerRequest(message) {
      var answer = { get: answerGet, invoke: answerInvoke, set: answerSet }[message.request];
      if (!answer) return;
      answer(message.params).then(function (result) {
        send({ id: message.id, result: result });
      });
    }

    function register() {
      subscribers = {};
      send({
        key: "zaf.app.registered",
        message: {
          metadata: { appId: 0, installationId: 0, name: "Profile Viewer", version: "dev", settings: {} },
          context: {
            host: "zendesk",
            product: "support",
            location: "ticket_sidebar",
            instanceGuid: appGuid,
            account: { subdomain: "simulated" },
            ticketId: state.ticket.id,
          },
        },
      });
    }

    function answerProxyRequest(key, spec) {
      // client.request() proxies REST calls through Zendesk; the simulator has no Zendesk API.
      var done = options.onRequest ? Promise.resolve(options.onRequest(spec)) : Promise.reject();
      done.then(
        function (data) {
          fire(key + ".done", { responseArgs: [data, "success", { status: 200 }] });
        },
        function () {
          var xhr = { status: 501, responseText: "client.request is not simulated" };
          fire(key + ".fail", { responseArgs: [xhr, "error", "Not Implemented"] });
        }
      );
    }

    function onMessage(event) {
      if (event.source !== iframe.contentWindow || event.origin !== appOrigin) return;
      var message = event.data;
      if (typeof message === "string") {
        try {
          message = JSON.parse(message);
        } catch (error) {
          return;
        }
      }
      if (!message || typeof message !== "object") return;
      if (message.request) return answerRequest(message);
      var key = String(message.key || "");
      var subscription = /^iframe\.(on|off):(.+)$/.exec(key);
      if (key === "iframe.handshake") register();
      else if (subscription) subscribers[subscription[2]] = (message.message || {}).subscriberCount;
      else if (/^request:\d+$/.test(key)) answerProxyRequest(key, message.message);
    }

    window.addEventListener("message", onMessage);
    if (options.token) {
      // A signed-URL app: Zendesk posts its token to the app's address, into the frame.
      var form = document.createElement("form");
      form.method = "POST";
      form.action = url.href;
      form.target = iframe.name;
      form.hidden = true;
      var field = document.createElement("input");
      field.type = "hidden";
      field.name = "token";
      field.value = options.token;
      form.appendChild(field);
      document.body.appendChild(form);
      form.submit();
      form.remove();
    } else {
      iframe.src = url.href;
    }

    return {
      setTicket: function (ticket) {
        var before = state.ticket.requester || {};
        state.ticket = Object.assign({}, state.ticket, copy(ticket));
        var after = state.ticket.requester || {};
        REQUESTER_FIELDS.forEach(function (field) {
          if (before[field] !== after[field]) {
            fire("ticket.requester." + field + ".changed", after[field]);
          }
        });
      },
      trigger: fire,
      stop: function () {
        window.removeEventListener("message", onMessage);
      },
    };
  }

  window.ZendeskHostSim = { start: start };
})();
