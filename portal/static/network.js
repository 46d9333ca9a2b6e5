/* The network view: actors (diamonds) and initiatives (circles) joined by their roles.
   Enhances the table of links on the same page; double-click (or Enter on a focused node in the
   table) opens a page. */
(function () {
  "use strict";
  var el = document.getElementById("network");
  if (!el || !window.cytoscape) { return; }
  fetch(el.getAttribute("data-src"), { headers: { Accept: "application/json" } })
    .then(function (r) { return r.json(); })
    .then(function (data) {
      if (!data.ok) { return; }
      var elements = [];
      data.nodes.forEach(function (n) {
        elements.push({ data: { id: n.id, label: n.label, kind: n.kind, url: n.page_url || n.id, degree: n.degree } });
      });
      data.rows.forEach(function (e, i) {
        elements.push({ data: { id: "e" + i, source: e.source, target: e.target, label: e.label, stated: e.stated } });
      });
      var cy = cytoscape({
        container: el,
        elements: elements,
        wheelSensitivity: 0.3,
        style: [
          { selector: "node", style: { label: "data(label)", "font-size": 10, "text-wrap": "ellipsis", "text-max-width": 120, color: "#1b1b1b", "text-valign": "bottom", "text-margin-y": 3 } },
          { selector: "node[kind = 'initiative']", style: { shape: "ellipse", "background-color": "#0b5394", width: "mapData(degree, 1, 10, 14, 34)", height: "mapData(degree, 1, 10, 14, 34)" } },
          { selector: "node[kind = 'actor']", style: { shape: "diamond", "background-color": "#1d6b3a", width: "mapData(degree, 1, 10, 14, 34)", height: "mapData(degree, 1, 10, 14, 34)" } },
          { selector: "edge", style: { width: 1.5, "line-color": "#8a8a8a", "curve-style": "bezier" } },
          { selector: "edge[?stated]", style: { "line-style": "solid" } },
          { selector: "edge[!stated]", style: { "line-style": "dashed" } }
        ],
        layout: { name: elements.length > 600 ? "grid" : "cose", animate: false, nodeDimensionsIncludeLabels: true }
      });
      cy.on("dbltap", "node", function (evt) {
      var url = String(evt.target.data("url") || "");
      if (/^(https?:|\/(?!\/))/i.test(url.replace(/[\u0000-\u0020\u007f]/g, ""))) { window.location.href = url; }
    });
      el.setAttribute("data-ready", String(data.nodes.length));
      window.kiemenNetwork = cy;
    })
    .catch(function () { el.setAttribute("data-ready", "error"); });
})();
