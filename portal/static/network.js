/* The network view: actors (diamonds) and initiatives (circles) joined by their roles.
   Layout: fCoSE (npm cytoscape-fcose), which spreads clusters apart; plain CoSE if it is missing.
   Labels are sized after the layout so they read at 12 px on screen at the default zoom; in a
   large network only the better-connected nodes keep a permanent label, the rest show it on
   hover or focus. Edges are coloured by role (legend on the page) and dashed when the role is
   inferred rather than stated. Double-click a node to open its page. */
(function () {
  "use strict";
  var el = document.getElementById("network");
  if (!el || !window.cytoscape) { return; }
  if (window.cytoscapeFcose) { try { cytoscape.use(cytoscapeFcose); } catch (e) { /* already registered */ } }
  var legend = JSON.parse(el.getAttribute("data-roles") || "[]");
  var colour = {};
  legend.forEach(function (r) { colour[r.iri] = r.colour; });
  var SCREEN_PX = 12;

  function safe(url) {
    return /^(https?:|\/(?!\/))/i.test(String(url || "").replace(/[\u0000-\u0020\u007f]/g, ""));
  }

  fetch(el.getAttribute("data-src"), { headers: { Accept: "application/json" } })
    .then(function (r) { return r.json(); })
    .then(function (data) {
      if (!data.ok) { el.setAttribute("data-ready", "error"); return; }
      var elements = [];
      var many = data.nodes.length > 60;
      data.nodes.forEach(function (n) {
        elements.push({ data: { id: n.id, label: n.label, kind: n.kind, url: n.page_url || n.id, degree: n.degree, major: !many || n.degree >= 3 } });
      });
      data.rows.forEach(function (e, i) {
        elements.push({ data: { id: "e" + i, source: e.source, target: e.target, label: e.label, stated: e.stated, colour: colour[(e.roles || [])[0]] || "#4a4a4a" } });
      });
      var fcose = !!window.cytoscapeFcose;
      var cy = cytoscape({
        container: el,
        elements: elements,
        wheelSensitivity: 0.3,
        style: [
          { selector: "node", style: { label: "data(label)", "font-size": SCREEN_PX, "text-wrap": "wrap", "text-max-width": 140, color: "#1b1b1b", "text-valign": "bottom", "text-margin-y": 3, "text-background-color": "#ffffff", "text-background-opacity": 0.8, "text-background-padding": 1, "min-zoomed-font-size": 7 } },
          { selector: "node[!major]", style: { "text-opacity": 0 } },
          { selector: "node.show, node:selected", style: { "text-opacity": 1, "z-index": 10 } },
          { selector: "node[kind = 'initiative']", style: { shape: "ellipse", "background-color": "#0b5394", width: "mapData(degree, 1, 10, 14, 34)", height: "mapData(degree, 1, 10, 14, 34)" } },
          { selector: "node[kind = 'actor']", style: { shape: "diamond", "background-color": "#1d6b3a", width: "mapData(degree, 1, 10, 16, 36)", height: "mapData(degree, 1, 10, 16, 36)" } },
          { selector: "edge", style: { width: 2, "line-color": "data(colour)", "curve-style": "bezier", "font-size": SCREEN_PX - 2, color: "#1b1b1b", "text-rotation": "autorotate", "text-background-color": "#ffffff", "text-background-opacity": 0.85, "text-opacity": 0 } },
          { selector: "edge.show", style: { label: "data(label)", "text-opacity": 1, width: 3, "z-index": 10 } },
          { selector: "edge[?stated]", style: { "line-style": "solid" } },
          { selector: "edge[!stated]", style: { "line-style": "dashed" } }
        ],
        layout: fcose
          ? { name: "fcose", quality: "default", randomize: true, animate: false, nodeDimensionsIncludeLabels: true, nodeRepulsion: 9000, idealEdgeLength: 90, packComponents: true }
          : { name: elements.length > 600 ? "grid" : "cose", animate: false, nodeDimensionsIncludeLabels: true }
      });
      /* Font sizes in model units so that, at the zoom the layout ended with, they are 12 px. */
      function readable() {
        var z = cy.zoom() || 1;
        cy.style().selector("node").style("font-size", SCREEN_PX / z).selector("edge").style("font-size", (SCREEN_PX - 1) / z).update();
      }
      readable();
      cy.on("mouseover", "node", function (evt) { evt.target.addClass("show"); evt.target.connectedEdges().addClass("show"); });
      cy.on("mouseout", "node", function (evt) { evt.target.removeClass("show"); evt.target.connectedEdges().removeClass("show"); });
      cy.on("mouseover", "edge", function (evt) { evt.target.addClass("show"); });
      cy.on("mouseout", "edge", function (evt) { evt.target.removeClass("show"); });
      cy.on("dbltap", "node", function (evt) {
        var url = String(evt.target.data("url") || "");
        if (safe(url)) { window.location.href = url; }
      });
      el.setAttribute("data-layout", fcose ? "fcose" : "cose");
      el.setAttribute("data-ready", String(data.nodes.length));
      window.kiemenNetwork = cy;
    })
    .catch(function () { el.setAttribute("data-ready", "error"); });
})();
