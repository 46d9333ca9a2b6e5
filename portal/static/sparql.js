/* The Kiemen query page: YASGUI on our own endpoint, offline.
 *
 * - the endpoint is ours and the endpoint catalogue lists only it (no DBpedia default);
 * - the remote autocompleters (prefix.cc, LOV) are replaced by ones fed from the page: the
 *   ontology's prefixes, classes and properties;
 * - no tab persistence, so the page opens on the chosen example; shareable links carry the query;
 * - a few ARIA fixes for what axe finds in YASGUI's markup;
 * - literals shown as values, their datatype on hover; long cells wrap inside the page.
 */
(function () {
  "use strict";
  var cfgEl = document.getElementById("kiemen-sparql-config");
  var root = document.getElementById("yasgui");
  if (!cfgEl || !root || typeof window.Yasgui === "undefined") { return; }
  var cfg = JSON.parse(cfgEl.textContent);
  var Yasgui = window.Yasgui;
  var Yasqe = Yasgui.Yasqe;

  function startsWithFilter(list) {
    return function (_yasqe, token) {
      var s = token && (token.autocompletionString || token.string) || "";
      return list.filter(function (iri) { return iri.indexOf(s) === 0; });
    };
  }

  if (Yasqe && Yasqe.forkAutocompleter) {
    var prefixList = Object.keys(cfg.prefixes).map(function (p) { return p + ": <" + cfg.prefixes[p] + ">"; });
    Yasqe.forkAutocompleter("prefixes", { name: "kiemen-prefixes", get: function () { return Promise.resolve(prefixList.slice().sort()); }, persistenceId: null }, false);
    Yasqe.forkAutocompleter("class", { name: "kiemen-classes", get: startsWithFilter(cfg.classes) }, false);
    Yasqe.forkAutocompleter("property", { name: "kiemen-properties", get: startsWithFilter(cfg.properties) }, false);
    Yasqe.defaults.autocompleters = ["kiemen-prefixes", "kiemen-classes", "kiemen-properties", "variables"];
    Yasqe.defaults.prefixCcApi = null;
  }

  /* Literals as values: "3693" rather than "3693"^^<…#integer>; the datatype (or language)
     shows on hover and to screen readers through the title. */
  var XSD = "http://www.w3.org/2001/XMLSchema#";
  var RDF_LANG = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString";
  function esc(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  var Table = Yasgui.Yasr && Yasgui.Yasr.plugins && Yasgui.Yasr.plugins.table;
  if (Table && Table.prototype && Table.prototype.formatLiteral) {
    Table.prototype.formatLiteral = function (binding) {
      var value = esc(binding.value);
      var lang = binding["xml:lang"];
      var datatype = binding.datatype;
      if (lang) {
        return '<span class="literal" lang="' + esc(lang) + '" title="@' + esc(lang) + '">' + value +
          '</span> <span class="literal-lang" aria-hidden="true">' + esc(lang) + "</span>";
      }
      if (datatype && datatype !== XSD + "string" && datatype !== RDF_LANG) {
        var shown = datatype.indexOf(XSD) === 0 ? "xsd:" + datatype.slice(XSD.length) : datatype;
        return '<span class="literal typed" data-datatype="' + esc(datatype) + '" title="' +
          esc(shown) + '">' + value + "</span>";
      }
      return '<span class="literal">' + value + "</span>";
    };
  }

  var byName = {};
  cfg.examples.forEach(function (e) { byName[e.name] = e; });

  function queryFromLocation() {
    var params = new URLSearchParams(window.location.search);
    var hash = new URLSearchParams(window.location.hash.replace(/^#/, ""));
    return hash.get("query") || params.get("query");
  }

  var fromLink = queryFromLocation();
  var initialQuery = fromLink || cfg.defaultQuery;

  var yasgui = new Yasgui(root, {
    requestConfig: { endpoint: cfg.endpoint, method: "POST" },
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: cfg.endpoint }]; }, keys: [] },
    copyEndpointOnNewTab: true,
    persistenceId: null,
    populateFromUrl: false,
    autofocus: false,
    yasqe: { value: initialQuery, autocompleters: ["kiemen-prefixes", "kiemen-classes", "kiemen-properties", "variables"], prefixCcApi: null, persistenceId: null },
    yasr: { persistenceId: null }
  });

  function currentTab() { return yasgui.getTab(); }

  function shareUrl(query) {
    var url = new URL(window.location.href);
    url.search = "";
    url.hash = "";
    url.searchParams.set("query", query);
    if (cfg.lang) { url.searchParams.set("lang", cfg.lang); }
    return url.toString();
  }

  var share = document.getElementById("share-link");
  function updateShare() {
    var tab = currentTab();
    if (share && tab) { share.href = shareUrl(tab.getQuery()); }
  }

  function setQuery(text, run) {
    var tab = currentTab();
    if (!tab) { return; }
    tab.setEndpoint(cfg.endpoint);
    tab.setQuery(text);
    updateShare();
    if (run) { tab.query(); }
  }

  function markCurrent(name) {
    document.querySelectorAll(".example-link").forEach(function (a) {
      if (a.getAttribute("data-example") === name) { a.setAttribute("aria-current", "true"); }
      else { a.removeAttribute("aria-current"); }
    });
  }

  document.querySelectorAll(".example-link").forEach(function (a) {
    a.addEventListener("click", function (ev) {
      var e = byName[a.getAttribute("data-example")];
      if (!e) { return; }
      ev.preventDefault();
      markCurrent(e.name);
      setQuery(e.query, true);
      history.replaceState(null, "", a.getAttribute("href"));
      var editor = document.getElementById("editor-heading");
      if (editor) { editor.scrollIntoView({ block: "start" }); }
    });
  });

  /* Accessibility: name the controls YASGUI leaves unnamed, fix tab-list roles. */
  function fixAria() {
    root.querySelectorAll("textarea:not([aria-label])").forEach(function (el) {
      el.setAttribute("aria-label", "SPARQL");
    });
    root.querySelectorAll("input:not([aria-label]):not([id])").forEach(function (el) {
      el.setAttribute("aria-label", el.getAttribute("placeholder") || cfg.texts.endpoint);
    });
    root.querySelectorAll("select:not([aria-label])").forEach(function (el) {
      el.setAttribute("aria-label", el.getAttribute("title") || "options");
    });
    root.querySelectorAll("button:not([aria-label])").forEach(function (el) {
      if (!el.textContent.trim()) { el.setAttribute("aria-label", el.getAttribute("title") || "button"); }
    });
    /* the tab list may own only tabs: YASGUI's "+" button sits inside it, so it is hidden (one
       editor is enough here; the examples open in it) */
    root.querySelectorAll("[role=tablist] .addTab").forEach(function (el) {
      el.parentNode.setAttribute("hidden", "");
    });
    /* the editor's scrolling area must be reachable by keyboard */
    root.querySelectorAll(".CodeMirror-scroll").forEach(function (el) {
      if (el.getAttribute("tabindex") === "0") { return; }
      el.setAttribute("tabindex", "0");
      el.setAttribute("aria-label", cfg.texts.editor);
    });
  }
  fixAria();
  new MutationObserver(fixAria).observe(root, { childList: true, subtree: true });

  yasgui.on("tabChange", updateShare);
  yasgui.on("tabSelect", function () { setTimeout(updateShare, 0); });
  var tab = currentTab();
  if (tab) {
    tab.setEndpoint(cfg.endpoint);
    if (tab.getQuery() !== initialQuery) { tab.setQuery(initialQuery); }
    var yq = tab.getYasqe && tab.getYasqe();
    if (yq) { yq.on("change", updateShare); }
    updateShare();
    tab.query();
  }
  window.kiemenYasgui = yasgui;
}());
