(function () {
  "use strict";
  // Chart options come from data (agent names, months): they are read as JSON, never run,
  // and every tooltip is built from text nodes, so a name is shown as the characters it is.
  function textBlock(lines) {
    var box = document.createElement("div");
    lines.forEach(function (line, i) {
      if (i > 0) { box.appendChild(document.createElement("br")); }
      box.appendChild(document.createTextNode(String(line)));
    });
    return box;
  }
  function shown(value) {
    if (value === null || value === undefined || value === "-") { return "—"; }
    if (Array.isArray(value)) { return value.map(shown).join(", "); }
    return String(value);
  }
  function itemTip(p) {
    var tip = p.data && p.data.tip;
    return textBlock(tip ? String(tip).split("\n") : [p.seriesName + ": " + shown(p.value)]);
  }
  function axisTip(params) {
    var list = Array.isArray(params) ? params : [params];
    var lines = list.length ? [String(list[0].axisValueLabel)] : [];
    list.forEach(function (p) { lines.push(p.seriesName + ": " + shown(p.value)); });
    return textBlock(lines);
  }
  var specs = JSON.parse(document.getElementById("kefu-charts").textContent);
  var charts = [];
  Object.keys(specs).forEach(function (id) {
    var el = document.getElementById(id);
    if (!el) { return; }
    var option = specs[id];
    option.animation = false;
    if (option.tooltip) {
      option.tooltip.formatter = option.tooltip.trigger === "axis" ? axisTip : itemTip;
      // confined tooltips have no arrow, which ECharts draws with a style attribute (CSP)
      option.tooltip.confine = true;
    }
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(option);
    charts.push(chart);
  });
  window.addEventListener("resize", function () {
    charts.forEach(function (c) { c.resize(); });
  });
  window.kefuCharts = charts;
})();
