// Sortable tables (th buttons in table[data-sortable]) and the team filter (#rh-team-filter):
// plain DOM, no library, no server. Chart series carry their team in trace.meta.team.
(function () {
  "use strict";

  function cellKey(row, index) {
    var cell = row.cells[index];
    if (!cell) {
      return "";
    }
    return cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent.trim();
  }

  function compare(a, b) {
    // empty values sort last whichever the direction; numbers as numbers, text as text
    if (a === "" || b === "") {
      return a === b ? 0 : a === "" ? 1 : -1;
    }
    var x = Number(a);
    var y = Number(b);
    if (!isNaN(x) && !isNaN(y)) {
      return x - y;
    }
    return a.localeCompare(b);
  }

  Array.prototype.forEach.call(document.querySelectorAll("table[data-sortable]"), function (table) {
    var body = table.tBodies[0];
    Array.prototype.forEach.call(table.querySelectorAll("button.rh-sort"), function (button) {
      button.addEventListener("click", function () {
        var index = Number(button.getAttribute("data-column"));
        var ascending = button.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(table.querySelectorAll("button.rh-sort"), function (other) {
          other.removeAttribute("aria-sort");
        });
        button.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (r, s) {
          var a = cellKey(r, index);
          var b = cellKey(s, index);
          if (a === "" || b === "") {
            return compare(a, b);
          }
          return ascending ? compare(a, b) : compare(b, a);
        });
        rows.forEach(function (row) {
          body.appendChild(row);
        });
      });
    });
  });

  var filter = document.getElementById("rh-team-filter");
  if (!filter) {
    return;
  }
  // chart series carry the team escaped as the charts escape every data string
  function escaped(text) {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;").replace(/'/g, "&#x27;");
  }
  function apply() {
    var team = filter.value;
    var series = escaped(team);
    Array.prototype.forEach.call(document.querySelectorAll("[data-team]"), function (node) {
      node.hidden = team !== "" && node.getAttribute("data-team") !== team;
    });
    document.body.setAttribute("data-team-filter", team);
    if (typeof window.Plotly === "undefined") {
      return;
    }
    Array.prototype.forEach.call(document.querySelectorAll("div.rh-chart.js-plotly-plot"), function (node) {
      var visible = (node.data || []).map(function (trace) {
        var owner = trace.meta && trace.meta.team;
        return owner === undefined || team === "" || owner === series;
      });
      if (visible.some(function (shown, i) { return shown !== (node.data[i].visible !== false); })) {
        window.Plotly.restyle(node, { visible: visible });
      }
    });
  }
  filter.addEventListener("change", apply);
  if (filter.value !== "") {
    apply();
  }
})();
