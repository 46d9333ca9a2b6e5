/* Small helpers on every page, for phones and keyboards (issue #17 item 5). No inline script:
   the Content-Security-Policy allows only files from this site.
   - A table wider than its box scrolls inside it; the box becomes a named, focusable region so
     keyboard users can scroll it too (WCAG 2.1.1).
   - On /browse, small screens show results first and the filters behind a button.
   - After a facet is toggled the page reloads; focus returns to the facet that was changed. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var FOCUS_KEY = "kiemen.focus";

  function nameOf(el) {
    var section = el.closest("section[aria-labelledby]");
    var heading = section && document.getElementById(section.getAttribute("aria-labelledby"));
    var caption = el.querySelector("caption");
    return (caption && caption.textContent) || (heading && heading.textContent) || document.title;
  }

  function scrollBoxes() {
    Array.prototype.forEach.call(document.querySelectorAll("main table"), function (table) {
      if (table.scrollWidth > table.clientWidth + 1 && !table.hasAttribute("tabindex")) {
        table.setAttribute("tabindex", "0");
        table.setAttribute("aria-label", nameOf(table).trim());
      }
    });
  }

  function filters() {
    var facets = document.querySelector(".browse > .facets");
    var toggle = document.querySelector(".filters-toggle");
    if (!facets || !toggle) { return; }
    var small = window.matchMedia("(max-width: 50rem)");
    function set(open) {
      facets.classList.toggle("collapsed", !open);
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    }
    set(!small.matches);
    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-expanded") !== "true";
      set(open);
      if (open) { var h = facets.querySelector("h2"); if (h) { h.setAttribute("tabindex", "-1"); h.focus(); } }
    });
    if (small.addEventListener) { small.addEventListener("change", function (e) { set(!e.matches); }); }
    return set;
  }

  function rememberFacet() {
    document.addEventListener("click", function (e) {
      var a = e.target.closest && e.target.closest("a[data-focus-id]");
      if (a) {
        try { window.sessionStorage.setItem(FOCUS_KEY, a.getAttribute("data-focus-id") + "|" + (a.getAttribute("data-focus-fallback") || "")); } catch (err) { /* storage off */ }
      }
    });
  }

  function restoreFacet(openFilters) {
    var saved;
    try { saved = window.sessionStorage.getItem(FOCUS_KEY); window.sessionStorage.removeItem(FOCUS_KEY); } catch (err) { return; }
    if (!saved) { return; }
    var parts = saved.split("|");
    var target = document.querySelector('[data-focus-id="' + (window.CSS && CSS.escape ? CSS.escape(parts[0]) : parts[0]) + '"]') ||
      (parts[1] && document.getElementById(parts[1]));
    if (!target) { return; }
    if (openFilters && target.closest(".facets")) { openFilters(true); }
    if (!target.matches("a, button, input, select, textarea, [tabindex]")) { target.setAttribute("tabindex", "-1"); }
    target.focus();
    target.scrollIntoView({ block: "center" });
  }

  var openFilters = filters();
  rememberFacet();
  restoreFacet(openFilters);
  scrollBoxes();
  window.addEventListener("resize", scrollBoxes);
})();
