/* Every map of the portal: /browse, place, actor and initiative pages. Offline by design: no
   tile server; country outlines from Natural Earth (npm world-atlas, TopoJSON, turned into
   GeoJSON by topojson-client), a place's name on hover and as the accessible name of its
   marker. Elements: .kiemen-map with data-src (an /api/map URL: points grouped by place,
   clustered) or data-points (a few points embedded in the page), data-countries (the TopoJSON). */
(function () {
  "use strict";
  if (!window.L) { return; }

  function esc(s) {
    return String(s).replace(/[&<>"]/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]; });
  }
  /* Only http(s), mailto and paths on this site become links (the server's rule, portal/safeweb.py). */
  function safeHref(u) {
    var s = String(u || "").replace(/[\u0000-\u0020\u007f]/g, "");
    return /^(https?:|mailto:|\/(?!\/))/i.test(s) ? String(u) : null;
  }

  var atlas = {};  /* one download per page, whatever the number of maps */
  function countries(map, url) {
    if (!url || !window.topojson) { return; }
    atlas[url] = atlas[url] || fetch(url).then(function (r) { return r.json(); });
    atlas[url].then(function (topo) {
      var shapes = topojson.feature(topo, topo.objects.countries);
      L.geoJSON(shapes, {
        style: { color: "#7d8c99", weight: 0.8, fillColor: "#f7f4ec", fillOpacity: 1 },
        onEachFeature: function (f, layer) {
          if (f.properties && f.properties.name) { layer.bindTooltip(f.properties.name, { sticky: true, className: "country-name" }); }
        }
      }).addTo(map).bringToBack();
      map.getContainer().setAttribute("data-countries-ready", String(shapes.features.length));
    }).catch(function () { /* the points still show without outlines */ });
  }

  function named(marker, name) {
    marker.on("add", function () {
      var node = marker.getElement();
      if (node) { node.setAttribute("aria-label", name); node.removeAttribute("title"); }
    });
  }

  function base(el) {
    var map = L.map(el, { maxZoom: 12, minZoom: 2, zoomSnap: 0.5, attributionControl: false, keyboard: true, worldCopyJump: true });
    map.setView([52.2, 5.3], 7);
    countries(map, el.getAttribute("data-countries"));
    return map;
  }

  function clustered(el) {
    var map = base(el);
    var group = L.markerClusterGroup ? L.markerClusterGroup({
      maxClusterRadius: 50,
      iconCreateFunction: function (cluster) {
        var n = cluster.getChildCount();
        var names = cluster.getAllChildMarkers().map(function (m) { return m.options.placeName; });
        var size = n < 10 ? "small" : n < 100 ? "medium" : "large";
        var text = names.slice(0, 5).join(", ") + (names.length > 5 ? ", …" : "");
        return L.divIcon({
          html: '<div><span aria-hidden="true">' + n + '</span><span class="visually-hidden">' + esc(text) + "</span></div>",
          className: "marker-cluster marker-cluster-" + size, iconSize: L.point(40, 40)
        });
      }
    }) : L.layerGroup();
    var browse = el.getAttribute("data-browse") || "/browse";
    var allText = el.getAttribute("data-all-text") || "{n}";
    fetch(el.getAttribute("data-src"), { headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (!data.ok) { el.setAttribute("data-ready", "error"); return; }
        var bounds = [];
        data.rows.forEach(function (p) {
          var name = p.label + ": " + p.count;
          var icon = L.divIcon({ className: "place-pin", html: '<span class="visually-hidden">' + esc(p.label) + ": </span>" + p.count, iconSize: [28, 28] });
          var marker = L.marker([p.lat, p.long], { icon: icon, keyboard: true, placeName: p.label + " (" + p.count + ")" });
          marker.bindTooltip(esc(p.label) + " (" + p.count + ")", { direction: "top", offset: [0, -12] });
          var list = p.initiatives.map(function (i) {
            var href = safeHref(i.page_url || i.iri);
            return href ? '<li><a href="' + esc(href) + '">' + esc(i.label) + "</a></li>" : "<li>" + esc(i.label) + "</li>";
          }).join("");
          var sep = browse.indexOf("?") >= 0 ? "&" : "?";
          var more = '<a href="' + esc(browse + sep + "place=" + encodeURIComponent(p.place)) + '">' + esc(allText.replace("{n}", p.count)) + "</a>";
          marker.bindPopup("<strong>" + esc(p.label) + "</strong><ul>" + list + "</ul>" + more);
          named(marker, name);
          group.addLayer(marker);
          bounds.push([p.lat, p.long]);
        });
        map.addLayer(group);
        if (bounds.length) { map.fitBounds(bounds, { padding: [30, 30], maxZoom: 10 }); }
        el.setAttribute("data-ready", String(data.rows.length));
      })
      .catch(function () { el.setAttribute("data-ready", "error"); });
    return map;
  }

  function embedded(el) {
    var points = JSON.parse(el.getAttribute("data-points") || "[]").filter(function (p) { return p.lat !== null && p.lat !== undefined; });
    if (!points.length) { return; }
    var map = base(el);
    var bounds = [];
    points.forEach(function (p) {
      var icon = L.divIcon({ className: "place-pin", html: '<span class="visually-hidden">' + esc(p.label) + "</span>•", iconSize: [22, 22] });
      var href = safeHref(p.url);
      var m = L.marker([p.lat, p.long], { icon: icon, keyboard: !!href }).addTo(map);
      m.bindTooltip(esc(p.label), { direction: "top", offset: [0, -10] });
      named(m, p.label);
      if (href) { m.on("click keypress", function (e) { if (!e.originalEvent || e.type === "click" || e.originalEvent.key === "Enter") { window.location.href = href; } }); }
      bounds.push([p.lat, p.long]);
    });
    if (bounds.length === 1) { map.setView(bounds[0], 8); } else { map.fitBounds(bounds, { padding: [20, 20], maxZoom: 9 }); }
    el.setAttribute("data-ready", String(points.length));
  }

  Array.prototype.forEach.call(document.querySelectorAll(".kiemen-map"), function (el) {
    if (el.hasAttribute("data-src")) { clustered(el); } else { embedded(el); }
  });
})();
