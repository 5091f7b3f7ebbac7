// plexms: the only script besides htmx. No inline scripts anywhere (the CSP forbids them).
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  var token = meta ? meta.getAttribute("content") : "";

  // htmx requests carry the CSRF token in a header (forms also carry it as a field).
  document.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRF-Token"] = token;
  });

  // Print buttons: <button data-print>.
  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target.closest("[data-print]") : null;
    if (target) { event.preventDefault(); window.print(); }
  });

  // Idle timeout: the server ends the session; the page follows it to the sign-in form.
  var idle = parseInt(document.body.getAttribute("data-idle-seconds") || "0", 10);
  if (idle > 0) {
    var timer = null;
    var reset = function () {
      if (timer) { window.clearTimeout(timer); }
      timer = window.setTimeout(function () { window.location.assign("/login?expired=1"); }, idle * 1000);
    };
    // Only a request to the server renews the session, so only that resets the timer.
    document.addEventListener("htmx:afterRequest", reset);
    reset();
  }
  // A region that may scroll sideways (a wide table on a phone) can be reached and scrolled
  // with the keyboard, as WCAG asks (axe: scrollable-region-focusable).
  function focusableScrollers(root) {
    // every table: on a phone any of them may scroll, and the width can change at any time
    var boxes = (root || document).querySelectorAll("table, .table-wrap, .calendar");
    Array.prototype.forEach.call(boxes, function (box) {
      if (!box.hasAttribute("tabindex")) { box.setAttribute("tabindex", "0"); }
    });
  }
  // Only on narrow screens (plexms.css makes tables scroll there), so desktop keyboard users
  // get no extra tab stops.
  var narrow = window.matchMedia("(max-width: 800px)");
  function whenNarrow(root) { if (narrow.matches) { focusableScrollers(root); } }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { whenNarrow(); });
  } else {
    whenNarrow();
  }
  narrow.addEventListener("change", function () { whenNarrow(); });
  document.addEventListener("htmx:afterSettle", function (event) { whenNarrow(event.target); });
})();
