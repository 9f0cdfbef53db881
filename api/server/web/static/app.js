// apiscout web page: progressive enhancement only; every page works
// without it. Same-origin requests only (the page's CSP allows no other).
(function () {
  "use strict";

  // Forms with data-confirm ask before submitting.
  document.addEventListener("submit", function (ev) {
    var msg = ev.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) ev.preventDefault();
  });

  // An element with data-poll="/url" is replaced by the fragment the URL
  // answers, every second, until the fragment no longer polls. With
  // data-reload-when-done, the page reloads then (to show the final
  // report).
  function poll(el) {
    var url = el.getAttribute("data-poll");
    var reload = el.hasAttribute("data-reload-when-done");
    var id = el.id;
    var timer = window.setTimeout(function tick() {
      fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
        .then(function (r) {
          if (r.status === 401) window.location.reload(); // signed out: to the sign-in form
          if (!r.ok) throw new Error("HTTP " + r.status);
          return r.text();
        })
        .then(function (html) {
          var cur = document.getElementById(id);
          if (!cur) return;
          var tpl = document.createElement("template");
          tpl.innerHTML = html.trim();
          var next = tpl.content.firstElementChild;
          if (!next) return;
          cur.replaceWith(next);
          // Tell screen readers when the status changes, not every tick.
          var live = document.getElementById("import-live");
          var status = next.getAttribute("data-status");
          if (live && status !== cur.getAttribute("data-status")) {
            var lead = next.querySelector(".lead");
            live.textContent = lead ? lead.textContent.replace(/\s+/g, " ").trim() : status;
          }
          if (next.hasAttribute("data-poll")) {
            timer = window.setTimeout(tick, 1000);
          } else if (reload) {
            window.location.reload();
          }
        })
        .catch(function () { timer = window.setTimeout(tick, 3000); });
    }, 1000);
    return timer;
  }

  function start() {
    document.querySelectorAll("[data-poll]").forEach(poll);
    var r = document.querySelector("[data-refresh]");
    if (r) {
      window.setTimeout(function () { window.location.reload(); }, parseInt(r.getAttribute("data-refresh"), 10) || 2000);
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
