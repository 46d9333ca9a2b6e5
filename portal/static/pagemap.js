/* Small maps on the pages of initiatives and places: one marker per place, no tiles (offline). */
(function () {
  "use strict";
  if (!window.L) { return; }
  Array.prototype.forEach.call(document.querySelectorAll(".page-map"), function (el) {
    var points = JSON.parse(el.getAttribute("data-points") || "[]").filter(function (p) { return p.lat !== null && p.lat !== undefined; });
    if (!points.length) { return; }
    var map = L.map(el, { maxZoom: 12, minZoom: 2, attributionControl: false });
    for (var lat = -80; lat <= 80; lat += 1) {
      L.polyline([[lat, -180], [lat, 180]], { color: "#c7d3dd", weight: 0.6, interactive: false }).addTo(map);
    }
    for (var lon = -180; lon <= 180; lon += 1) {
      L.polyline([[-85, lon], [85, lon]], { color: "#c7d3dd", weight: 0.6, interactive: false }).addTo(map);
    }
    var bounds = [];
    points.forEach(function (p) {
      var icon = L.divIcon({ className: "place-pin", html: '<span class="visually-hidden">' + String(p.label).replace(/[<>&"]/g, "") + "</span>•", iconSize: [22, 22] });
      var m = L.marker([p.lat, p.long], { icon: icon, keyboard: false, interactive: false }).addTo(map);
      void m;
      bounds.push([p.lat, p.long]);
    });
    if (bounds.length === 1) { map.setView(bounds[0], 8); } else { map.fitBounds(bounds, { padding: [20, 20], maxZoom: 9 }); }
    el.setAttribute("data-ready", String(points.length));
  });
})();
