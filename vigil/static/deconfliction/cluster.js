// The cluster graph: tips and the values they share, drawn with the locally served cytoscape.
// Data comes from the JSON endpoint named in data-src (no inline script: strict CSP).
(function () {
  "use strict";

  function draw(container, payload) {
    if (typeof window.cytoscape !== "function") {
      container.textContent = "The graph library did not load; the tables below list the cluster.";
      return;
    }
    const cy = window.cytoscape({
      container: container,
      elements: payload.elements,
      wheelSensitivity: 0.3,
      layout: { name: "cose", animate: false, padding: 30, nodeRepulsion: 9000 },
      style: [
        {
          selector: "node[kind = 'tip']",
          style: {
            "background-color": "#1f4f8f",
            label: "data(label)",
            color: "#1d2330",
            "font-size": 13,
            "text-valign": "bottom",
            "text-margin-y": 4,
            width: 26,
            height: 26,
          },
        },
        { selector: "node[?focus]", style: { "border-width": 4, "border-color": "#e0a100" } },
        {
          selector: "node[kind = 'value']",
          style: {
            shape: "round-rectangle",
            "background-color": "#e3e7ee",
            "border-width": 1,
            "border-color": "#8893a6",
            label: "data(label)",
            "font-size": 12,
            "text-valign": "center",
            width: "label",
            height: 22,
            padding: 4,
          },
        },
        { selector: "edge", style: { width: 1.5, "line-color": "#8893a6", "curve-style": "bezier" } },
        { selector: "edge[?linked]", style: { "line-color": "#1d6b33", width: 2.5 } },
        { selector: "edge[kind = 'link']", style: { "line-style": "dashed" } },
      ],
    });
    cy.on("tap", "node[kind = 'tip']", function (event) {
      const url = event.target.data("url");
      if (url) window.location.assign(url);
    });
    container.dataset.ready = "true";
    container.dataset.nodes = String(payload.elements.nodes.length);
  }

  function init() {
    const container = document.getElementById("cluster-graph");
    if (!container || !container.dataset.src) return;
    fetch(container.dataset.src, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (payload) { draw(container, payload); })
      .catch(function (err) {
        container.textContent = "The graph could not be loaded (" + err.message + "); the tables below list the cluster.";
      });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
