// vulnrelay web UI: live countdowns. Every page works without this script; it only
// ticks the countdowns the server rendered. Words come from data attributes, which the
// server fills from the message catalogues.
(function () {
  "use strict";
  function pad(n) { return n < 10 ? "0" + n : String(n); }
  function render(el, now) {
    var due = Date.parse(el.getAttribute("data-due"));
    if (isNaN(due)) { return; }
    var seconds = Math.round((due - now) / 1000);
    var abs = Math.abs(seconds);
    var d = Math.floor(abs / 86400), h = Math.floor(abs / 3600) % 24;
    var m = Math.floor(abs / 60) % 60, s = abs % 60;
    var clock = d + el.getAttribute("data-day") + " " + pad(h) + ":" + pad(m) + ":" + pad(s);
    var template = el.getAttribute(seconds < 0 ? "data-overdue" : "data-left");
    el.textContent = template.replace("{time}", clock);
    var item = el.closest(".deadline");
    if (item && seconds < 0) { item.classList.add("overdue"); }
  }
  function tick() {
    var now = Date.now();
    var all = document.querySelectorAll(".countdown[data-due]");
    for (var i = 0; i < all.length; i++) { render(all[i], now); }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", tick);
  } else {
    tick();
  }
  setInterval(tick, 1000);
})();
