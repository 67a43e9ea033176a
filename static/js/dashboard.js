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

  renderers.pareto = function (el, data) {
    var names = JSON.parse(el.dataset.labels || "{}");
    var pts = [{ customer_share: "0", revenue_share: "0" }].concat(data.pareto || []);
    var x = pts.map(function (p) { return Number(p.customer_share); });
    var y = pts.map(function (p) { return Number(p.revenue_share); });
    var a = Number(data.cutoffs.a), b = Number(data.cutoffs.b);
    var bands = [
      { y0: 0, y1: a, color: "rgba(11,99,206,0.10)", label: "A" },
      { y0: a, y1: b, color: "rgba(11,99,206,0.05)", label: "B" },
      { y0: b, y1: 1, color: "rgba(0,0,0,0.03)", label: "C" }
    ];
    Plotly.newPlot(el, [{ type: "scatter", mode: "lines+markers", x: x, y: y, marker: { size: 4 },
      line: { color: "#0b63ce" }, name: "Pareto" }],
      layout({
        xaxis: { title: { text: names.x || "" }, range: [0, 1], tickformat: ".0%" },
        yaxis: { title: { text: names.y || "" }, range: [0, 1.02], tickformat: ".0%" },
        shapes: bands.map(function (band) {
          return { type: "rect", xref: "paper", x0: 0, x1: 1, y0: band.y0, y1: band.y1, fillcolor: band.color,
                   line: { width: 0 }, layer: "below" };
        }),
        annotations: bands.map(function (band) {
          return { xref: "paper", x: 0.98, y: (band.y0 + band.y1) / 2, text: band.label, showarrow: false };
        }),
        showlegend: false
      }), config);
  };

  renderers.bcg = function (el, data) {
    var names = JSON.parse(el.dataset.labels || "{}");
    var colors = { star: "#f5a623", cash_cow: "#2e7d32", question_mark: "#0b63ce", dog: "#9e9e9e" };
    var threshold = Number(data.growth_threshold);
    var points = data.points || [];
    var density = data.density || [];
    // Customers with no previous revenue have no growth ratio: plot them above the highest growth shown.
    var finite = points.filter(function (p) { return p.growth !== null; }).map(function (p) { return Number(p.growth); })
      .concat(density.filter(function (c) { return c.growth_to !== null; }).map(function (c) { return Number(c.growth_to); }));
    var top = Math.max(threshold * 2, finite.length ? Math.max.apply(null, finite) : 1) * 1.1;
    var biggest = density.reduce(function (m, c) { return Math.max(m, c.customers); }, 1);
    // The density layer: one translucent square per value × growth range, sized by its customers (stored
    // bins, so it is as light at a million customers as at a hundred).
    var layer = Object.keys(colors).map(function (q) {
      var cells = density.filter(function (c) { return c.bcg_quadrant === q; });
      return {
        type: "scatter", mode: "markers", name: names.density || "", showlegend: false, hoverinfo: "text",
        x: cells.map(function (c) { return Math.sqrt(Number(c.revenue_from) * Number(c.revenue_to)); }),
        y: cells.map(function (c) {
          return c.growth_from === null ? top : (Number(c.growth_from) + Number(c.growth_to)) / 2;
        }),
        text: cells.map(function (c) {
          var growth = c.growth_from === null ? (names["new"] || "new") :
            Math.round(Number(c.growth_from) * 100) + "% … " + Math.round(Number(c.growth_to) * 100) + "%";
          return c.customers + " · " + c.revenue_from + " … " + c.revenue_to + " · " + growth;
        }),
        marker: { symbol: "square", color: colors[q], opacity: 0.25, line: { width: 0 },
                  size: cells.map(function (c) { return 6 + 22 * Math.sqrt(c.customers / biggest); }) }
      };
    });
    var traces = Object.keys(colors).map(function (q) {
      var qp = points.filter(function (p) { return p.bcg_quadrant === q; });
      return {
        type: "scatter", mode: "markers", name: (names[q] || q) + " (" + (data.quadrant_customers[q] || 0) + ")",
        x: qp.map(function (p) { return Number(p.revenue); }),
        y: qp.map(function (p) { return p.growth === null ? top : Number(p.growth); }),
        text: qp.map(function (p) { return p.name; }),
        customdata: qp.map(function (p) { return p.customer; }),
        hovertemplate: "%{text}<br>%{x:,.2f} · %{y:.1%}<extra></extra>",
        marker: { color: colors[q], size: 8, opacity: 0.9, line: { width: 1, color: "#fff" } }
      };
    });
    Plotly.newPlot(el, layer.concat(traces), layout({
      xaxis: { title: { text: names.x || "" }, type: "log" },
      yaxis: { title: { text: names.y || "" }, tickformat: ".0%" },
      shapes: [{ type: "line", xref: "paper", x0: 0, x1: 1, y0: threshold, y1: threshold,
                 line: { dash: "dot", color: "#555", width: 1 } }]
    }), config);
    el.on("plotly_click", function (event) {
      var id = event.points && event.points[0] && event.points[0].customdata;
      if (id && el.dataset.customerUrl) {
        window.location.href = el.dataset.customerUrl.replace(/\/0\/$/, "/" + String(id) + "/");
      }
    });
  };

  function draw(el) {
    var render = renderers[el.dataset.chart];
    if (!render || typeof Plotly === "undefined") { return Promise.resolve(); }
    return fetch(el.dataset.src, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (data) { render(el, data); el.dataset.ready = "true"; })
      .catch(function () { el.dataset.ready = "error"; });
  }

  window.CRMDashboard = { renderers: renderers, layout: layout, config: config };
  document.addEventListener("DOMContentLoaded", function () {
    // One chart at a time, top to bottom: a phone on a slow network gets the first chart soonest, and the
    // server never sees a burst of heavy dashboard queries from one page.
    Array.prototype.reduce.call(document.querySelectorAll("[data-chart]"), function (chain, el) {
      return chain.then(function () { return draw(el); });
    }, Promise.resolve());
  });
})();
