// vulnrelay web UI: live countdowns, and the details of the chart item in focus. Every page works without this script; it only
// ticks the countdowns the server rendered. Words come from data attributes, which the
// server fills from the message catalogues.
(function () {
  "use strict";
  function words(el, abs) {
    // The server's one duration format with seconds: "18 d 19 h 36 min 56 s".
    var units = (el.getAttribute("data-units") || "{n} d|{n} h|{n} min|{n} s").split("|");
    var parts = [Math.floor(abs / 86400), Math.floor(abs / 3600) % 24, Math.floor(abs / 60) % 60, abs % 60];
    var first = 0;
    while (first < 3 && parts[first] === 0) { first++; }
    var out = [];
    for (var i = first; i < 4; i++) { out.push(units[i].replace("{n}", String(parts[i]))); }
    return out.join(" ");
  }
  function render(el, now) {
    var due = Date.parse(el.getAttribute("data-due"));
    if (isNaN(due)) { return; }
    var seconds = Math.round((due - now) / 1000);
    var clock = words(el, Math.abs(seconds));
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
  // The timeline chart: the details of the marker or bar pointed at or in focus go to
  // the live line under it (the same words are each item's accessible name).
  function show(event) {
    var item = event.target.closest && event.target.closest("[data-tip]");
    if (!item) { return; }
    var box = item.closest(".timeline-chart");
    var line = box && box.querySelector(".chart-detail");
    if (line) { line.textContent = item.getAttribute("data-tip"); }
  }
  document.addEventListener("focusin", show);
  // "Print or save as PDF" on bulletins and manuals: the browser's own print.
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print]")) { window.print(); }
  });
  document.addEventListener("mouseover", show);
})();
