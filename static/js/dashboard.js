/* Draws the dashboard charts from the same JSON the API serves (/api/v1/dashboard/...). */
(function () {
  "use strict";
  var phone = window.matchMedia("(max-width: 600px)").matches;
  var baseLayout = {
    margin: { l: phone ? 36 : 56, r: 12, t: 12, b: phone ? 40 : 48 },
    height: phone ? 260 : 340,
    font: { size: phone ? 11 : 13 },
    legend: { orientation: "h", y: -0.25 },
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)"
  };
  var config = { responsive: true, displaylogo: false, displayModeBar: false };

  function layout(extra) { return Object.assign({}, baseLayout, extra || {}); }

  var renderers = {
    activity: function (el, data) {
      var traces = data.reps.map(function (rep) {
        return { type: "bar", name: rep.name, x: data.dates.map(function (d) { return d.slice(5); }), y: rep.visits };
      });
      Plotly.newPlot(el, traces, layout({ barmode: "stack", xaxis: { type: "category", tickangle: -45 },
        yaxis: { dtick: 1, rangemode: "tozero" } }), config);
    },
    conversion: function (el, data) {
      var names = JSON.parse(el.dataset.labels || "{}");
      var labels = Object.keys(data.stages).map(function (k) { return names[k] || k; });
      Plotly.newPlot(el, [{ type: "bar", x: labels, y: Object.values(data.stages), marker: { color: "#0b63ce" } }],
        layout(), config);
    }
  };

  function draw(el) {
    var render = renderers[el.dataset.chart];
    if (!render || typeof Plotly === "undefined") { return; }
    fetch(el.dataset.src, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (data) { render(el, data); el.dataset.ready = "true"; })
      .catch(function () { el.dataset.ready = "error"; });
  }

  window.CRMDashboard = { renderers: renderers, layout: layout, config: config };
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-chart]").forEach(draw);
  });
})();
