// Draws every chart slot (div.rh-chart with a data-chart id) from the JSON block #rh-charts.
(function () {
  "use strict";
  var holder = document.getElementById("rh-charts");
  var nodes = document.querySelectorAll("div.rh-chart[data-chart]");
  if (!holder || nodes.length === 0) {
    return;
  }
  if (typeof window.Plotly === "undefined") {
    // The shared plotly.min.js is missing next to the report: say so instead of blank boxes.
    Array.prototype.forEach.call(nodes, function (node) {
      node.classList.add("rh-chart--missing");
      node.textContent = "Charts need assets/plotly.min.js next to the weekly folders.";
    });
    return;
  }
  var specs = JSON.parse(holder.textContent);
  var config = {
    responsive: true,
    displaylogo: false,
    modeBarButtonsToRemove: ["lasso2d", "select2d", "autoScale2d"],
    toImageButtonOptions: { format: "png", scale: 2 }
  };
  Array.prototype.forEach.call(nodes, function (node) {
    var spec = specs[node.getAttribute("data-chart")];
    if (spec) {
      window.Plotly.newPlot(node, spec.data, spec.layout, config);
    }
  });
  // Re-fit charts to the paper width before printing and back afterwards.
  function resizeAll() {
    Array.prototype.forEach.call(nodes, function (node) {
      if (node.classList.contains("js-plotly-plot")) {
        window.Plotly.Plots.resize(node);
      }
    });
  }
  window.addEventListener("beforeprint", resizeAll);
  window.addEventListener("afterprint", resizeAll);
})();
