// Progressive enhancement only: every page works without this file.
// 1. A form marked data-once is sent once: its buttons are disabled after the first submit.
// 2. A region marked data-live="<url>" refreshes itself from that URL (JSON with "html",
//    "final" and "announce") every data-live-every milliseconds until "final" is true.
"use strict";

document.querySelectorAll("form[data-once]").forEach(function (form) {
  form.addEventListener("submit", function (event) {
    if (form.dataset.sent) {
      event.preventDefault(); // a second click: the first request is on its way
      return;
    }
    form.dataset.sent = "true";
    var clicked = event.submitter;
    // After this tick, so the clicked button's formaction still chooses where the form goes.
    setTimeout(function () {
      form.querySelectorAll("button[type=submit]").forEach(function (button) {
        button.disabled = true;
      });
      if (clicked && clicked.dataset.busyLabel) clicked.textContent = clicked.dataset.busyLabel;
    }, 0);
  });
});

// Back to a page the browser kept (back button): make its form usable again.
window.addEventListener("pageshow", function (event) {
  if (!event.persisted) return;
  document.querySelectorAll("form[data-once]").forEach(function (form) {
    delete form.dataset.sent;
    form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = false; });
  });
});

document.querySelectorAll("[data-live]").forEach(function (region) {
  var every = Number(region.dataset.liveEvery || 500);
  var announcer = document.getElementById(region.dataset.liveAnnounce || "");
  var shown = null;

  function apply(data) {
    // Not while keyboard focus is inside: replacing the focused element would lose it.
    if (data.html !== shown && !region.contains(document.activeElement)) {
      region.innerHTML = data.html;
      shown = data.html;
    }
    if (announcer && data.announce && announcer.textContent !== data.announce) {
      announcer.textContent = data.announce;
    }
    return data.final && data.html === shown;
  }

  function poll() {
    fetch(region.dataset.live, { headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (data && apply(data)) {
          region.dataset.liveDone = "true"; // nothing more will change: stop asking
          return;
        }
        setTimeout(poll, every);
      })
      .catch(function () { setTimeout(poll, every); }); // a network blip: ask again
  }

  if (region.dataset.liveDone !== "true") setTimeout(poll, every);
});
