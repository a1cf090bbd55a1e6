// A stand-in for Pipedrive around a custom panel: it answers @pipedrive/app-extensions-sdk
// (static/vendor/app-extensions-sdk.umd.js) running in `iframe`, as docs/host-protocols.md
// describes. For local pages and browser tests only; no real Pipedrive is involved.
//
//   const sim = PipedriveHostSim.start(iframe, {
//     url: "https://app.example/embed/pipedrive",  // default: the iframe's current src
//     identifier: "...", theme: "light",
//     onResize(height, width), signToken: () => Promise.resolve("jwt"),
//   });
//   sim.setTheme("dark");   // fires Event.USER_SETTINGS_CHANGE
//   sim.stop();
(function () {
  "use strict";

  function start(iframe, options) {
    options = options || {};
    var identifier = options.identifier || "00000000-0000-4000-8000-00000000b001";
    var theme = options.theme === "dark" ? "dark" : "light";
    var url = new URL(options.url || iframe.getAttribute("src"), window.location.href);
    // The SDK reads its identifier and the first theme from these two query parameters.
    url.searchParams.set("id", identifier);
    url.searchParams.set("theme", theme);
    var appOrigin = url.origin;
    var listeners = {};

    function resize(size) {
      size = size || {};
      if (size.height !== undefined) iframe.style.height = size.height + "px";
      if (options.onResize) return options.onResize(size.height, size.width);
    }

    var commands = {
      initialize: function (args) {
        if (args && args.size) return resize(args.size);
      },
      resize: resize,
      get_signed_token: function () {
        if (!options.signToken) throw new Error("get_signed_token needs options.signToken");
        return Promise.resolve(options.signToken()).then(function (token) {
          return { token: token };
        });
      },
    };

    function execute(payload, port) {
      var command = commands[payload.command];
      Promise.resolve()
        .then(function () {
          if (!command) throw new Error(payload.command + " is not simulated");
          return command(payload.args);
        })
        .then(
          function (data) {
            port.postMessage(data === undefined ? {} : { data: data });
          },
          function (error) {
            port.postMessage({ error: String(error && error.message) });
          }
        );
    }

    function onMessage(event) {
      if (event.source !== iframe.contentWindow || event.origin !== appOrigin) return;
      var message = event.data;
      if (!message || message.id !== identifier || !message.payload) return;
      var payload = message.payload;
      var port = event.ports && event.ports[0];
      if (payload.type === "command" && port) execute(payload, port);
      else if (payload.type === "listener" && port) {
        (listeners[payload.event] = listeners[payload.event] || []).push(port);
      }
    }

    function emit(name, data) {
      (listeners[name] || []).forEach(function (port) {
        port.postMessage({ data: data });
      });
    }

    window.addEventListener("message", onMessage);
    iframe.src = url.href;

    return {
      setTheme: function (next) {
        theme = next === "dark" ? "dark" : "light";
        emit("user_settings_change", { theme: theme });
      },
      emit: emit,
      stop: function () {
        window.removeEventListener("message", onMessage);
        Object.keys(listeners).forEach(function (name) {
          listeners[name].forEach(function (port) {
            port.close();
          });
        });
        listeners = {};
      },
    };
  }

  window.PipedriveHostSim = { start: start };
})();
