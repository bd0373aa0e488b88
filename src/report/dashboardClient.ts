/**
 * Browser-side script of the dashboard (plain ES2017 kept as a string so no bundler or
 * transpiler helpers leak in). Reads the embedded JSON and draws one plotly chart per figure.
 * Every data string goes through esc(): plotly parses a small HTML subset in text (<a>, <b>, …),
 * and entity-escaped text is shown literally (plotly decodes &lt; &gt; &amp; and numeric entities
 * only, hence &#34; rather than &quot;). Bars use the primary y axis and lines the overlaying y2,
 * so lines are drawn on top.
 */
export const DASHBOARD_CLIENT_JS = String.raw`
(function () {
  "use strict";
  var payload = JSON.parse(document.getElementById("figure-data").textContent);
  var d = payload.data;
  var C = { completed: "#1DB954", skipped: "#E45756", plays: "#C8CED6", noLabels: "#8D99A6", line: "#1F3B57" };
  var PALETTE = ["#4C78A8", "#F58518", "#54A24B", "#E45756", "#72B7B2", "#B279A2", "#FF9DA6", "#9D755D"];
  function esc(s) {
    return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&#34;").replace(/'/g, "&#39;");
  }
  function pct(v) { return v === null ? "n/a" : Math.round(v * 100) + "%"; }
  function pluck(rows, k) { return rows.map(function (r) { return r[k]; }); }
  var config = { displaylogo: false, responsive: true, typesetMath: false, showLink: false, showSendToCloud: false, showEditInChartStudio: false };
  function base(extra) {
    var layout = {
      font: { family: "Helvetica, Arial, sans-serif", size: 12 },
      margin: { l: 60, r: 60, t: 20, b: 50 }, height: 360, paper_bgcolor: "white", plot_bgcolor: "white",
      legend: { orientation: "h", y: -0.2 }
    };
    for (var k in extra) layout[k] = extra[k];
    return layout;
  }
  var rateAxis = { title: { text: "Completion rate" }, tickformat: ".0%", range: [0, 1] };
  var rateAxis2 = { title: { text: "Completion rate" }, tickformat: ".0%", range: [0, 1], overlaying: "y", side: "left", tickmode: "auto" };
  var playsAxis = { title: { text: "Plays" }, side: "right", rangemode: "tozero", showgrid: false };
  function rateWithPlays(rows, xKey, xTitle) {
    var x = rows.map(function (r) { return esc(r[xKey]); });
    return {
      traces: [
        { type: "bar", name: "plays", x: x, y: pluck(rows, "plays"), marker: { color: C.plays } },
        { type: "scatter", mode: "lines+markers", name: "completion rate", x: x, y: pluck(rows, "completion_rate"),
          yaxis: "y2", connectgaps: false, line: { color: C.line }, text: rows.map(function (r) { return r.labelled + " labelled plays"; }) }
      ],
      layout: base({ xaxis: { title: { text: xTitle }, type: "category" }, yaxis: playsAxis, yaxis2: rateAxis2 })
    };
  }
  function curves(block, metric, xTitle, yTitle, extra) {
    var models = block.summary.map(function (s) { return s.model; });
    var traces = models.map(function (m, i) {
      var pts = block.points.filter(function (p) { return p.model === m; });
      var s = block.summary[i];
      return { type: "scatter", mode: "lines", name: esc(m) + " (" + metric + " " + (s.value === null ? "n/a" : s.value.toFixed(3)) + ")",
        x: pluck(pts, "x"), y: pluck(pts, "y"), line: { color: PALETTE[i % PALETTE.length], width: 2 } };
    });
    return { traces: extra.concat(traces), layout: base({ xaxis: { title: { text: xTitle }, range: [0, 1] }, yaxis: { title: { text: yTitle }, range: [0, 1.02] } }) };
  }
  var builders = {
    completion_rate_by_hour: function () { return rateWithPlays(d.hourly, "hour", "Local hour"); },
    prediction_distribution: function () {
      var traces = ["completed", "skipped"].map(function (o) {
        var bins = d.predictionHistogram.filter(function (b) { return b.outcome === o; });
        return { type: "bar", name: o, opacity: 0.6, marker: { color: C[o] },
          x: bins.map(function (b) { return (b.bin_start + b.bin_end) / 2; }), y: pluck(bins, "count"), width: bins.map(function (b) { return b.bin_end - b.bin_start; }) };
      });
      return { traces: traces, layout: base({ barmode: "overlay", xaxis: { title: { text: "Predicted completion probability" }, range: [0, 1] }, yaxis: { title: { text: "Plays" } } }) };
    },
    top_artists_completion_rate: function () {
      var rows = d.topArtists.slice().reverse();
      return { traces: [{ type: "bar", orientation: "h", marker: { color: C.completed }, x: pluck(rows, "completion_rate"),
          y: rows.map(function (r) { return esc(r.artist); }), text: rows.map(function (r) { return r.plays + " plays"; }), textposition: "outside", cliponaxis: false }],
        layout: base({ xaxis: rateAxis, yaxis: { type: "category", automargin: true }, margin: { l: 160, r: 60, t: 20, b: 50 } }) };
    },
    platform_mix: function () {
      var rows = d.platformMix.slice().reverse();
      return { traces: [{ type: "bar", orientation: "h", marker: { color: C.line }, x: pluck(rows, "plays"), y: rows.map(function (r) { return esc(r.platform_family); }),
          text: rows.map(function (r) { return Math.round(r.share * 100) + "% of plays, " + pct(r.completion_rate) + " completed"; }), textposition: "auto" }],
        layout: base({ xaxis: { title: { text: "Plays" } }, yaxis: { type: "category", automargin: true } }) };
    },
    reliability_diagram: function () {
      var bins = d.reliability.filter(function (b) { return b.count > 0; });
      var max = Math.max.apply(null, bins.map(function (b) { return b.count; }).concat([1]));
      return { traces: [
          { type: "bar", name: "plays in bin", x: d.reliability.map(function (b) { return (b.bin_start + b.bin_end) / 2; }), y: pluck(d.reliability, "count"),
            width: d.reliability.map(function (b) { return b.bin_end - b.bin_start; }), marker: { color: C.plays }, opacity: 0.5 },
          { type: "scatter", mode: "lines", name: "perfect calibration", x: [0, 1], y: [0, 1], yaxis: "y2", line: { dash: "dash", color: "#999" } },
          { type: "scatter", mode: "lines+markers", name: "observed", yaxis: "y2", x: pluck(bins, "mean_predicted"), y: pluck(bins, "observed_rate"),
            marker: { size: bins.map(function (b) { return 6 + 14 * Math.sqrt(b.count / max); }), color: C.line }, line: { color: C.line },
            text: bins.map(function (b) { return b.count + " plays"; }) }
        ],
        layout: base({ xaxis: { title: { text: "Mean predicted probability" }, range: [0, 1] }, yaxis: playsAxis,
          yaxis2: { title: { text: "Observed completion rate" }, range: [0, 1], overlaying: "y", side: "left", tickmode: "auto" } }) };
    },
    roc_curves: function () {
      return curves(d.roc, "AUC", "False positive rate", "True positive rate",
        [{ type: "scatter", mode: "lines", name: "chance", x: [0, 1], y: [0, 1], line: { dash: "dash", color: "#999" } }]);
    },
    pr_curves: function () {
      var r = d.pr.positiveRate;
      return curves(d.pr, "AP", "Recall", "Precision", r === null ? [] :
        [{ type: "scatter", mode: "lines", name: "base rate " + r.toFixed(3), x: [0, 1], y: [r, r], line: { dash: "dash", color: "#999" } }]);
    },
    feature_importance: function () {
      var rows = d.featureImportance.slice().reverse();
      return { traces: [{ type: "bar", orientation: "h", x: pluck(rows, "coefficient"), y: rows.map(function (r) { return esc(r.feature); }),
          marker: { color: rows.map(function (r) { return r.coefficient >= 0 ? C.completed : C.skipped; }) } }],
        layout: base({ xaxis: { title: { text: "Standardised coefficient" }, zeroline: true }, yaxis: { type: "category", automargin: true }, height: Math.max(300, 24 * rows.length + 80) }) };
    },
    completion_by_session_position: function () { return rateWithPlays(d.sessionPosition, "bucket", "Position in session"); },
    hour_weekday_heatmap: function () {
      var days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"], z = [], text = [];
      for (var i = 0; i < 7; i++) { z.push([]); text.push([]); }
      d.hourWeekday.forEach(function (c) { z[c.day_of_week][c.hour] = c.completion_rate; text[c.day_of_week][c.hour] = c.labelled + " labelled plays"; });
      return { traces: [{ type: "heatmap", z: z, x: Array.from({ length: 24 }, function (_, h) { return h; }), y: days, text: text,
          colorscale: "Viridis", zmin: 0, zmax: 1, colorbar: { title: { text: "Completion" }, tickformat: ".0%" }, hoverongaps: false }],
        layout: base({ xaxis: { title: { text: "Local hour" }, dtick: 1 }, yaxis: { autorange: "reversed", type: "category" } }) };
    },
    model_comparison: function () {
      var metrics = ["AUC", "log loss"];
      var traces = metrics.map(function (m, i) {
        var rows = d.modelComparison.filter(function (r) { return r.metric === m; });
        return { type: "bar", name: m, x: rows.map(function (r) { return esc(r.model); }), y: pluck(rows, "value"),
          text: rows.map(function (r) { return r.value.toFixed(3); }), textposition: "outside", marker: { color: PALETTE[i] } };
      });
      return { traces: traces, layout: base({ barmode: "group", xaxis: { type: "category", title: { text: "Model" } }, yaxis: { title: { text: "AUC (higher better) / log loss (lower better)" } } }) };
    },
    completion_over_time: function () {
      var rows = d.monthly;
      var x = rows.map(function (r) { return esc(r.month); });
      return { traces: [
          { type: "bar", name: "plays (labelled month)", x: x, y: rows.map(function (r) { return r.status === "labelled" ? r.plays : null; }), marker: { color: C.plays } },
          { type: "bar", name: "plays (no labels)", x: x, y: rows.map(function (r) { return r.status === "labelled" ? null : r.plays; }), marker: { color: C.noLabels } },
          { type: "scatter", mode: "lines+markers", name: "completion rate", x: x, y: pluck(rows, "completion_rate"), yaxis: "y2", connectgaps: false, line: { color: C.line } }
        ],
        layout: base({ barmode: "overlay", xaxis: { type: "category", title: { text: "Month" } }, yaxis: playsAxis, yaxis2: rateAxis2 }) };
    },
    training_curves: function () {
      var traces = [];
      d.training.forEach(function (h, i) {
        [["train", h.train, "solid"], ["validation", h.validation, "dash"]].forEach(function (s) {
          if (s[1].length === 0) return;
          traces.push({ type: "scatter", mode: "lines+markers", name: esc(h.model) + " " + s[0],
            x: s[1].map(function (_, e) { return e + 1; }), y: s[1], line: { color: PALETTE[i % PALETTE.length], dash: s[2] } });
        });
      });
      return { traces: traces, layout: base({ xaxis: { title: { text: "Epoch" } }, yaxis: { title: { text: "Log loss" } } }) };
    }
  };
  builders.label_disagreement_by_platform = function () {
    var rows = d.labelDisagreement, rules = [];
    rows.forEach(function (r) { if (rules.indexOf(r.rule) < 0) rules.push(r.rule); });
    return { traces: rules.map(function (rule, i) {
        var rs = rows.filter(function (r) { return r.rule === rule; });
        return { type: "bar", orientation: "h", name: esc(rule), y: rs.map(function (r) { return esc(r.platform_family); }), x: pluck(rs, "disagreement"),
          text: rs.map(function (r) { return Math.round(r.disagreement * 100) + "% of " + r.labelled; }), textposition: "auto", marker: { color: PALETTE[i % PALETTE.length] } };
      }),
      layout: base({ barmode: "group", xaxis: { title: { text: "Disagreement with reason-end" }, tickformat: ".0%" }, yaxis: { type: "category", autorange: "reversed", automargin: true } }) };
  };
  payload.figures.forEach(function (id) {
    var el = document.getElementById("fig-" + id);
    var fig = builders[id]();
    Plotly.newPlot(el, fig.traces, fig.layout, config);
  });
})();
`;
