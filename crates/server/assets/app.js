// vulnrelay web UI: live countdowns, the details of the chart item in focus, and the
// organisation pickers' live search. Every page works without this script; it only
// ticks the countdowns the server rendered and refills the pickers it listed. Words
// come from data attributes, which the server fills from the message catalogues.
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
  // Organisation pickers: the list follows the search box as the viewer types, a page
  // from GET /api/v1/orgs?q=&role= (the session's cookie reads it). Without the script
  // the box's button sends the form back and the server lists what it found.
  function fill(template, count, text) {
    return (template || "").replace("{count}", String(count)).replace("{text}", text);
  }
  function refill(box) {
    var select = document.getElementById(box.getAttribute("data-picker"));
    if (!select) { return; }
    var status = document.getElementById(select.id + "-status");
    var text = box.value.trim();
    var role = box.getAttribute("data-role") || "";
    var exclude = box.getAttribute("data-exclude") || "";
    var asked = (box.vrAsked || 0) + 1;
    box.vrAsked = asked;
    var url = "/api/v1/orgs?limit=50&q=" + encodeURIComponent(text) + (role ? "&role=" + encodeURIComponent(role) : "");
    fetch(url, { credentials: "same-origin", headers: { accept: "application/json" } })
      .then(function (answer) { return answer.ok ? answer.json() : Promise.reject(answer.status); })
      .then(function (body) {
        if (asked !== box.vrAsked) { return; }
        // The empty choice and the viewer's own choice stay, whatever the search.
        var chosen = select.selectedIndex >= 0 ? select.options[select.selectedIndex] : null;
        var kept = chosen && (chosen.value === "" || select.vrChosen || chosen.defaultSelected) ? chosen.value : null;
        var keep = [];
        for (var i = 0; i < select.options.length; i++) {
          var option = select.options[i];
          if (option.value === "" || option.value === kept) { keep.push(option); }
        }
        select.textContent = "";
        keep.forEach(function (option) { select.appendChild(option); });
        var chinese = (document.documentElement.lang || "").indexOf("zh") === 0;
        (body.orgs || []).forEach(function (org) {
          if (org.id === exclude || org.id === kept) { return; }
          var option = document.createElement("option");
          option.value = org.id;
          option.textContent = chinese && org.name_zh ? org.name_zh : org.name;
          select.appendChild(option);
        });
        if (kept !== null) { select.value = kept; }
        var count = 0;
        for (var j = 0; j < select.options.length; j++) { if (select.options[j].value !== "") { count++; } }
        var template = !text ? (body.next ? box.getAttribute("data-first") : "")
          : !count ? box.getAttribute("data-none")
          : body.next ? box.getAttribute("data-found-more") : box.getAttribute("data-found");
        if (status) { status.textContent = fill(template, count, text); }
      })
      .catch(function () { /* the box's button still sends the form */ });
  }
  function isFindBox(target) { return target && target.matches && target.matches("input.org-find-text"); }
  document.addEventListener("input", function (event) {
    var box = event.target;
    if (!isFindBox(box)) { return; }
    clearTimeout(box.vrTimer);
    box.vrTimer = setTimeout(function () { refill(box); }, 200);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !isFindBox(event.target)) { return; }
    event.preventDefault();
    clearTimeout(event.target.vrTimer);
    refill(event.target);
  });
  document.addEventListener("change", function (event) {
    if (event.target && event.target.tagName === "SELECT") { event.target.vrChosen = true; }
  });
})();
