/* The browser's map: the same result set as the list, grouped by place, clustered.
   Offline by design: no tile server; a plain background with lines every degree. */
(function () {
  "use strict";
  var el = document.getElementById("map");
  if (!el || !window.L) { return; }
  var map = L.map(el, { maxZoom: 12, minZoom: 2, zoomSnap: 0.5, attributionControl: false, keyboard: true });
  map.setView([52.2, 5.3], 7);
  for (var lat = -80; lat <= 80; lat += 1) {
    L.polyline([[lat, -180], [lat, 180]], { color: "#c7d3dd", weight: lat % 5 === 0 ? 1.2 : 0.5, interactive: false }).addTo(map);
  }
  for (var lon = -180; lon <= 180; lon += 1) {
    L.polyline([[-85, lon], [85, lon]], { color: "#c7d3dd", weight: lon % 5 === 0 ? 1.2 : 0.5, interactive: false }).addTo(map);
  }
  var clusters = L.markerClusterGroup ? L.markerClusterGroup({ maxClusterRadius: 50 }) : L.layerGroup();
  function esc(s) {
    return String(s).replace(/[&<>"]/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]; });
  }
  /* Only http(s), mailto and paths on this site become links (the server's rule, portal/safeweb.py). */
  function safeHref(u) {
    var s = String(u || "").replace(/[\u0000-\u0020\u007f]/g, "");
    return /^(https?:|mailto:|\/(?!\/))/i.test(s) ? String(u) : null;
  }
  fetch(el.getAttribute("data-src"), { headers: { Accept: "application/json" } })
    .then(function (r) { return r.json(); })
    .then(function (data) {
      if (!data.ok) { return; }
      var bounds = [];
      var browse = el.getAttribute("data-browse") || "/browse";
      var allText = el.getAttribute("data-all-text") || "{n}";
      data.rows.forEach(function (p) {
        var icon = L.divIcon({
          className: "place-pin",
          html: '<span class="visually-hidden">' + esc(p.label) + ": </span>" + p.count,
          iconSize: [28, 28]
        });
        var marker = L.marker([p.lat, p.long], { icon: icon, title: p.label + " (" + p.count + ")", keyboard: true });
        var list = p.initiatives.map(function (i) {
          var href = safeHref(i.page_url || i.iri);
          return href ? '<li><a href="' + esc(href) + '">' + esc(i.label) + "</a></li>" : "<li>" + esc(i.label) + "</li>";
        }).join("");
        var token = p.place.replace(/\/$/, "").split("/").pop();
        var sep = browse.indexOf("?") >= 0 ? "&" : "?";
        var more = '<a href="' + esc(browse + sep + "place=" + encodeURIComponent(p.place)) + '">' + esc(allText.replace("{n}", p.count)) + "</a>";
        marker.bindPopup("<strong>" + esc(p.label) + "</strong><ul>" + list + "</ul>" + more);
        marker.on("add", function () {
          var node = marker.getElement();
          if (node) { node.setAttribute("role", "button"); node.setAttribute("aria-label", p.label + ": " + p.count); node.removeAttribute("title"); }
        });
        clusters.addLayer(marker);
        bounds.push([p.lat, p.long]);
        void token;
      });
      map.addLayer(clusters);
      if (bounds.length) { map.fitBounds(bounds, { padding: [30, 30], maxZoom: 10 }); }
      el.setAttribute("data-ready", String(data.rows.length));
    })
    .catch(function () { el.setAttribute("data-ready", "error"); });
})();
