// layerscope's HTML report: draws the report's JSON (the inert block above) as SVG and tables.
// Everything from the image is put on the page as text (textContent, attribute values), never
// parsed as markup. No fetch of any kind: the page's policy forbids it.
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("layerscope-data").textContent);
  var main = document.getElementById("report");
  var SVGNS = "http://www.w3.org/2000/svg";
  // Okabe-Ito: told apart with the common colour-vision deficiencies; dead bytes are also hatched
  var PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
                 "#999999"];
  var CHANGES = ["added", "removed", "changed"];
  var CHANGE_COLOURS = ["#009E73", "#D55E00", "#0072B2"];
  var ROWS_SHOWN = 500;
  var state = {step: null};
  var listeners = [];

  function el(tag, attrs, content) {
    var node = document.createElement(tag);
    setAll(node, attrs);
    add(node, content);
    return node;
  }
  function sv(tag, attrs, content) {
    var node = document.createElementNS(SVGNS, tag);
    setAll(node, attrs);
    add(node, content);
    return node;
  }
  function setAll(node, attrs) {
    if (!attrs) { return; }
    Object.keys(attrs).forEach(function (key) {
      if (attrs[key] !== null && attrs[key] !== undefined) { node.setAttribute(key, String(attrs[key])); }
    });
  }
  function add(node, content) {
    if (content === null || content === undefined) { return; }
    if (Array.isArray(content)) { content.forEach(function (c) { add(node, c); }); return; }
    if (typeof content === "object") { node.appendChild(content); return; }
    node.appendChild(document.createTextNode(String(content)));
  }
  function size(n) {
    if (n === null || n === undefined) { return "n/a"; }
    var units = ["B", "kB", "MB", "GB", "TB", "PB"];
    var abs = Math.abs(n);
    if (abs < 1000) { return n + " B"; }
    var i = 0;
    while (abs >= 1000 && i < units.length - 1) { abs /= 1000; i += 1; }
    return (n < 0 ? "-" : "") + abs.toFixed(1) + " " + units[i];
  }
  function signed(n) { return n === null || n === undefined ? "n/a" : (n > 0 ? "+" : "") + size(n); }
  function exact(n) { return n === null || n === undefined ? "n/a" : n.toLocaleString("en-US"); }
  function short(text, width) {
    var line = String(text).replace(/\s+/g, " ").trim();
    return line.length <= width ? line : line.slice(0, width - 1) + "\u2026";
  }
  function colour(series) {
    return D.kind === "diff" ? CHANGE_COLOURS[series] : PALETTE[((series % 8) + 8) % 8];
  }
  function section(id, title, intro) {
    var s = el("section", {id: id, "aria-labelledby": id + "-title"},
               el("h2", {id: id + "-title"}, title));
    if (intro) { s.appendChild(el("p", {"class": "intro"}, intro)); }
    main.appendChild(s);
    return s;
  }
  function bytesCell(n) { return el("td", {"class": "num", "data-bytes": n}, [size(n), el("br"), el("small", null, exact(n))]); }
  function figure(name, label, bytes, note) {
    return el("div", {"class": "figure", "data-figure": name, "data-bytes": bytes}, [
      el("div", {"class": "label"}, label), el("div", {"class": "value"}, size(bytes)),
      el("div", {"class": "exact"}, exact(bytes) + " bytes"), note ? el("div", {"class": "note"}, note) : null]);
  }
  function select(step) {
    state.step = state.step === step ? null : step;
    listeners.forEach(function (f) { f(state.step); });
  }
  function onSelect(f) { listeners.push(f); }
  function activate(node, action) {
    node.addEventListener("click", action);
    node.addEventListener("keydown", function (e) {
      if (e.key === "Enter" || e.key === " ") { e.preventDefault(); action(); }
    });
  }
  function patterns(svg) {
    var defs = sv("defs");
    var colours = D.kind === "diff" ? CHANGE_COLOURS : PALETTE;
    colours.forEach(function (c, i) {
      var p = sv("pattern", {id: "hatch-" + i, width: 6, height: 6, patternUnits: "userSpaceOnUse",
                             patternTransform: "rotate(45)"});
      p.appendChild(sv("rect", {width: 6, height: 6, fill: "#ffffff"}));
      p.appendChild(sv("rect", {width: 3, height: 6, fill: c}));
      defs.appendChild(p);
    });
    svg.appendChild(defs);
  }
  function hatch(series) { return "url(#hatch-" + (D.kind === "diff" ? series : ((series % 8) + 8) % 8) + ")"; }

  // ---- the header and headline figures
  function header(title, subtitle) {
    main.appendChild(el("header", null, [el("h1", null, title), el("p", {"class": "subtitle"}, subtitle)]));
  }
  function inspectHeadline() {
    var im = D.image;
    var compressed = D.layers.every(function (l) { return l.compressed_size !== null; })
      ? D.layers.reduce(function (t, l) { return t + l.compressed_size; }, 0) : null;
    var s = section("headline", "Headline");
    var figures = el("div", {"class": "figures"}, [
      figure("size", "Size", im.size, im.layer_count + " layers"),
      figure("visible", "Visible", im.visible_bytes, "in the final filesystem"),
      figure("wasted", "Wasted", im.wasted_bytes, "written, then deleted or replaced"),
      figure("user_size", "User part", im.user_size, "excluding the base image"),
      figure("user_wasted", "User wasted", im.user_wasted_bytes, null)]);
    if (compressed !== null) { figures.appendChild(figure("download", "Download", compressed, "compressed layers")); }
    s.appendChild(figures);
    s.appendChild(el("p", null, "Base image: " + D.base.layer_count + " layer(s), " + D.base.step_count +
                     " step(s), found by " + D.base.method + (D.base.detail ? " (" + D.base.detail + ")" : "") +
                     ". dive's efficiency: " + (100 * im.efficiency).toFixed(4) + "%."));
  }

  // ---- steps as bars
  function steps() {
    var s = section("steps", "Steps", "Each step's bytes: live (solid), written but dead later " +
                    "(hatched), and the lower layers' bytes it deleted or replaced (outline). " +
                    "Select a step to highlight its files in the map and the wasted-file table.");
    var rows = D.steps;
    var widest = Math.max(1, Math.max.apply(null, rows.map(function (r) { return Math.max(r.size, r.deleted_lower_bytes); })));
    var H = 26, W = 1000, LABEL = 360, BAR = W - LABEL - 100;
    var svg = sv("svg", {viewBox: "0 0 " + W + " " + (rows.length * H + 4), role: "group",
                         "aria-label": "Bytes per step; each bar is a button that highlights its step", "class": "chart"});
    patterns(svg);
    rows.forEach(function (r, i) {
      var y = i * H + 2;
      var g = sv("g", {tabindex: 0, role: "button", "aria-pressed": "false", "class": "step", "data-step": r.index,
                       "aria-label": "Step " + r.index + ": " + short(r.instruction, 200) + ". " + size(r.size) +
                       ", live " + size(r.live_bytes) + ", dead " + size(r.dead_bytes) + ", deleted lower " + size(r.deleted_lower_bytes)});
      g.appendChild(sv("title", null, "Step " + r.index + (r.base ? " (base)" : "") + ": " + r.instruction));
      g.appendChild(sv("rect", {x: 0, y: y, width: W, height: H - 2, "class": "row-bg"}));
      g.appendChild(sv("text", {x: 4, y: y + 16, "class": "label"}, "#" + r.index + (r.base ? " base " : " ") + short(r.instruction, 52)));
      var x = LABEL, live = BAR * r.live_bytes / widest, dead = BAR * r.dead_bytes / widest;
      g.appendChild(sv("rect", {x: x, y: y + 3, width: live, height: H - 8, fill: colour(r.index)}));
      g.appendChild(sv("rect", {x: x + live, y: y + 3, width: dead, height: H - 8, fill: hatch(r.index), stroke: colour(r.index)}));
      if (r.deleted_lower_bytes) {
        g.appendChild(sv("rect", {x: x, y: y + 1, width: BAR * r.deleted_lower_bytes / widest, height: H - 4,
                                  fill: "none", stroke: "#000", "stroke-dasharray": "4 2"}));
      }
      g.appendChild(sv("text", {x: W - 4, y: y + 16, "text-anchor": "end", "class": "label"}, size(r.size)));
      activate(g, function () { select(r.index); });
      svg.appendChild(g);
    });
    s.appendChild(svg);
    onSelect(function (step) {
      svg.querySelectorAll("g.step").forEach(function (g) {
        var on = String(step) === g.getAttribute("data-step");
        g.setAttribute("aria-pressed", on ? "true" : "false");
        g.classList.toggle("selected", on);
      });
    });
    var note = el("p", {id: "selection", "class": "selection", "aria-live": "polite"}, "No step selected.");
    s.appendChild(note);
    onSelect(function (step) {
      var r = rows.filter(function (x) { return x.index === step; })[0];
      note.textContent = r ? "Step " + r.index + " selected: it wrote " + size(r.live_bytes + r.dead_bytes) +
        ", of which " + size(r.dead_bytes) + " died later. Select it again to clear." : "No step selected.";
    });
    var table = el("table", {"class": "data", id: "steps-table"}, el("thead", null, el("tr", null,
      ["#", "Instruction", "Size", "Added", "Replaced", "Deleted lower", "Dead", "Live"].map(function (h) { return el("th", {scope: "col"}, h); }))));
    var body = el("tbody");
    rows.forEach(function (r) {
      var text = r.instruction.length > 300 ? el("details", null, [el("summary", null, short(r.instruction, 120)), el("code", null, r.instruction)])
        : el("code", null, r.instruction);
      body.appendChild(el("tr", {"data-step": r.index}, [el("td", {"class": "num"}, String(r.index) + (r.base ? " (base)" : "")),
        el("td", {"class": "instruction"}, text), bytesCell(r.size), bytesCell(r.added_bytes), bytesCell(r.replaced_bytes),
        bytesCell(r.deleted_lower_bytes), bytesCell(r.dead_bytes), bytesCell(r.live_bytes)]));
    });
    table.appendChild(body);
    s.appendChild(el("div", {"class": "scroll"}, table));
    onSelect(function (step) {
      body.querySelectorAll("tr").forEach(function (tr) { tr.classList.toggle("hl", String(step) === tr.getAttribute("data-step")); });
    });
  }

  // ---- the zoomable directory map (an icicle: each row one level deeper)
  function directoryMap(title, intro, seriesName) {
    var nodes = D.map.nodes;
    if (nodes.length === 0) { return; }
    var children = nodes.map(function () { return []; });
    nodes.forEach(function (n, i) { if (n[0] >= 0) { children[n[0]].push(i); } });
    function sum(pairs) { var t = 0; for (var i = 1; i < pairs.length; i += 2) { t += pairs[i]; } return t; }
    function total(i) { return sum(nodes[i][4]) + sum(nodes[i][5]); }
    function path(i) {
      var parts = [];
      while (i > 0) { parts.unshift(nodes[i][1]); i = nodes[i][0]; }
      return "/" + parts.join("/");
    }
    function bySeries(pairs) {
      var out = [];
      for (var k = 0; k < pairs.length; k += 2) { out.push(seriesName(pairs[k]) + ": " + size(pairs[k + 1])); }
      return out.join(", ");
    }
    var s = section("map", title, intro);
    var crumbs = el("nav", {"aria-label": "Directory path", "class": "crumbs"});
    s.appendChild(crumbs);
    var W = 1000, H = 30, LEVELS = 4;
    var svg = sv("svg", {viewBox: "0 0 " + W + " " + (H * LEVELS), role: "group", "class": "chart", id: "map-svg",
                         "aria-label": "Directory map; each directory is a button that zooms into it"});
    s.appendChild(svg);
    var table = el("table", {"class": "data", id: "map-table"});
    s.appendChild(el("div", {"class": "scroll"}, table));
    var zoomed = 0;

    function draw() {
      while (svg.firstChild) { svg.removeChild(svg.firstChild); }
      patterns(svg);
      var whole = Math.max(1, total(zoomed));
      function place(i, x, depth) {
        var w = W * total(i) / whole;
        if (w < 0.5 || depth >= LEVELS) { return; }
        var n = nodes[i], y = depth * H;
        var zoomable = (n[2] === "d") && children[i].length > 0 && i !== zoomed;
        var g = sv("g", {"class": "node" + (zoomable ? " zoomable" : ""), "data-node": i, "data-path": path(i)});
        if (zoomable) {
          setAll(g, {tabindex: 0, role: "button", "aria-label": path(i) + ", " + size(total(i)) + "; Enter zooms in"});
          activate(g, function () { zoom(i); });
        }
        g.appendChild(sv("title", null, path(i) + "\n" + size(total(i)) + " (" + exact(total(i)) + " bytes)" +
          (n[4].length ? "\nlive: " + bySeries(n[4]) : "") + (n[5].length ? "\ndead: " + bySeries(n[5]) : "") +
          (n[2] === "c" ? "\n" + exact(n[3]) + " entries, not listed" : "")));
        var sx = x;
        [[n[4], false], [n[5], true]].forEach(function (part) {
          for (var k = 0; k < part[0].length; k += 2) {
            var sw = W * part[0][k + 1] / whole;
            g.appendChild(sv("rect", {x: sx, y: y + 1, width: Math.max(0, sw), height: H - 2, "class": "seg",
                                      "data-series": part[0][k], "data-dead": part[1] ? 1 : 0,
                                      fill: part[1] ? hatch(part[0][k]) : colour(part[0][k])}));
            sx += sw;
          }
        });
        g.appendChild(sv("rect", {x: x, y: y + 1, width: Math.max(0, w), height: H - 2, "class": "outline"}));
        if (w > 70) {
          var text = short(n[1] + " " + size(total(i)), Math.floor((w - 8) / 7.3));
          g.appendChild(sv("rect", {x: x + 2, y: y + 7, width: Math.min(w - 4, text.length * 7.3 + 6), height: 16, "class": "label-bg"}));
          g.appendChild(sv("text", {x: x + 5, y: y + 19, "class": "label"}, text));
        }
        svg.appendChild(g);
        var cx = x;
        children[i].forEach(function (c) { place(c, cx, depth + 1); cx += W * total(c) / whole; });
      }
      place(zoomed, 0, 0);
      highlight(state.step);
      while (crumbs.firstChild) { crumbs.removeChild(crumbs.firstChild); }
      var chain = [];
      for (var i = zoomed; i >= 0; i = nodes[i][0]) { chain.unshift(i); if (i === 0) { break; } }
      chain.forEach(function (c, k) {
        var b = el("button", {type: "button", "class": "crumb", "aria-current": c === zoomed ? "location" : null}, k === 0 ? "/" : nodes[c][1]);
        activate(b, function () { zoom(c); });
        crumbs.appendChild(b);
      });
      crumbs.appendChild(el("span", {id: "map-zoomed", "data-path": path(zoomed), "data-bytes": total(zoomed)}, " \u2014 " + size(total(zoomed)) + " (" + exact(total(zoomed)) + " bytes)"));
      fillTable();
    }
    function fillTable() {
      while (table.firstChild) { table.removeChild(table.firstChild); }
      table.appendChild(el("caption", null, "Entries of " + path(zoomed) + " (the map as a table)"));
      // a diff's map has no dead bytes: its series are the kinds of change
      var deadToo = D.kind !== "diff";
      var heads = deadToo ? ["Entry", "Total", "Live", "Dead", "Entries", "By step"] : ["Entry", "Total", "Entries", "By change"];
      table.appendChild(el("thead", null, el("tr", null, heads.map(function (h) { return el("th", {scope: "col"}, h); }))));
      var body = el("tbody");
      children[zoomed].forEach(function (c) {
        var n = nodes[c];
        var name = n[2] === "d" && children[c].length ? el("button", {type: "button", "class": "link"}, n[1] + "/") : n[1] + (n[2] === "d" || n[2] === "c" ? "/" : "");
        if (typeof name === "object") { activate(name, function () { zoom(c); }); }
        var split = deadToo ? (n[4].length ? "live " + bySeries(n[4]) : "") + (n[5].length ? (n[4].length ? "; " : "") + "dead " + bySeries(n[5]) : "")
          : bySeries(n[4]);
        body.appendChild(el("tr", {"data-node": c}, [el("td", {"class": "path"}, name), bytesCell(total(c)),
          deadToo ? bytesCell(sum(n[4])) : null, deadToo ? bytesCell(sum(n[5])) : null,
          el("td", {"class": "num"}, exact(n[3])), el("td", null, split)]));
      });
      table.appendChild(body);
    }
    function zoom(i) { zoomed = i; draw(); }
    function highlight(step) {
      svg.querySelectorAll("rect.seg").forEach(function (r) {
        r.classList.toggle("dim", step !== null && r.getAttribute("data-series") !== String(step));
      });
    }
    onSelect(highlight);
    draw();
  }

  // ---- a searchable, sortable table
  function searchTable(s, id, columns, rows, total, label) {
    var input = el("input", {type: "search", id: id + "-search", "aria-controls": id, placeholder: "Search paths"});
    s.appendChild(el("label", {"for": id + "-search", "class": "search"}, ["Search " + label + ": ", input]));
    var count = el("p", {"class": "count", id: id + "-count", "aria-live": "polite"});
    s.appendChild(count);
    var table = el("table", {"class": "data", id: id});
    var headRow = el("tr");
    var sort = {column: null, down: true};
    columns.forEach(function (c, k) {
      var b = el("button", {type: "button", "class": "sort"}, c.title);
      var th = el("th", {scope: "col", "aria-sort": "none"}, b);
      activate(b, function () {
        sort.down = sort.column === k ? !sort.down : c.bytes === true;
        sort.column = k;
        headRow.querySelectorAll("th").forEach(function (h) { h.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", sort.down ? "descending" : "ascending");
        fill();
      });
      headRow.appendChild(th);
    });
    table.appendChild(el("thead", null, headRow));
    var body = el("tbody");
    table.appendChild(body);
    s.appendChild(el("div", {"class": "scroll tall"}, table));
    function fill() {
      var q = input.value.toLowerCase();
      var shown = rows.filter(function (r) { return !q || String(r[columns[0].key]).toLowerCase().indexOf(q) >= 0; });
      if (sort.column !== null) {
        var key = columns[sort.column].key, sign = sort.down ? -1 : 1;
        shown.sort(function (a, b) { return a[key] < b[key] ? -sign : a[key] > b[key] ? sign : 0; });
      }
      while (body.firstChild) { body.removeChild(body.firstChild); }
      shown.slice(0, ROWS_SHOWN).forEach(function (r) {
        var tr = el("tr", {"data-written": r.written_by_step, "data-killed": r.killed_by_step});
        columns.forEach(function (c) { tr.appendChild(c.bytes ? bytesCell(r[c.key]) : el("td", {"class": c.key === columns[0].key ? "path" : null}, c.show ? c.show(r) : String(r[c.key]))); });
        body.appendChild(tr);
      });
      count.textContent = shown.length + " of " + rows.length + " rows match" + (shown.length > ROWS_SHOWN ? "; the first " + ROWS_SHOWN + " are shown" : "") +
        (total > rows.length ? "; the page carries the " + rows.length + " biggest of " + total + " (the JSON report has every one)" : "") + ".";
      count.setAttribute("data-matches", shown.length);
      mark(state.step);
    }
    function mark(step) {
      body.querySelectorAll("tr").forEach(function (tr) {
        tr.classList.toggle("hl", step !== null && (tr.getAttribute("data-written") === String(step) || tr.getAttribute("data-killed") === String(step)));
      });
    }
    input.addEventListener("input", fill);
    onSelect(mark);
    fill();
  }

  function wasted() {
    var s = section("wasted", "Wasted files", "Every version written by one step and deleted or replaced by a later one.");
    searchTable(s, "wasted-table", [
      {key: "path", title: "Path"}, {key: "size", title: "Size", bytes: true}, {key: "kind", title: "Kind"},
      {key: "written_by_step", title: "Written by step"}, {key: "killed_by_step", title: "Killed by step"}],
      D.wasted, D.wasted_count, "wasted files");
  }

  function findings() {
    if (!D.findings) { return; }
    var s = section("findings", "Findings", D.findings.length ? null : "No findings.");
    var list = el("ol", {"class": "findings"});
    D.findings.forEach(function (f) {
      list.appendChild(el("li", {"class": "finding", "data-rule": f.rule}, [
        el("h3", null, [el("span", {"class": "badge " + f.severity}, f.severity), " " + f.rule + " " + f.title]),
        el("p", null, ["Saving: ", el("strong", {"data-bytes": f.estimated_saving_bytes}, f.estimated_saving_bytes === null ? "n/a" : size(f.estimated_saving_bytes)),
                       f.steps.length ? "; steps " + f.steps.join(" \u2192 ") : "",
                       f.lines.length ? " (Dockerfile line " + f.lines.join(", ") + ")" : "", f.base ? " (base image)" : ""]),
        el("p", null, f.message), el("p", null, ["Fix: ", el("code", null, f.fix)]),
        (f.packages.length || f.paths.length) ? el("details", null, [el("summary", null, (f.packages.length ? "Packages" : "Paths") + " (" + (f.packages.length || f.paths.length) + ")"),
          el("ul", null, (f.packages.length ? f.packages : f.paths).map(function (p) { return el("li", null, el("code", null, p)); }))]) : null]));
    });
    s.appendChild(list);
    if (D.patch !== undefined) {
      s.appendChild(el("h3", null, "Dockerfile patch"));
      s.appendChild(D.patch ? el("pre", {"class": "patch", id: "patch"}, D.patch)
                            : el("p", {id: "patch"}, "No mechanical fix applies to this Dockerfile."));
    }
  }

  function warnings() {
    if (!D.warnings || !D.warnings.length) { return; }
    var s = section("warnings", "Warnings");
    s.appendChild(el("ul", null, D.warnings.map(function (w) { return el("li", null, w.message); })));
  }

  // ---- diff
  function diffHeadline() {
    var s = section("headline", "Headline", D.summary.identical ? "The images have the same layers." : null);
    var rows = [["Size", "size", D.a.size, D.b.size], ["Visible", "visible", D.a.visible_bytes, D.b.visible_bytes],
                ["Wasted", "wasted", D.a.wasted_bytes, D.b.wasted_bytes], ["Download", "download", D.a.compressed_size, D.b.compressed_size]];
    var table = el("table", {"class": "data", id: "headline-table"}, el("thead", null, el("tr", null,
      ["", "A: " + D.a.ref, "B: " + D.b.ref, "Delta"].map(function (h) { return el("th", {scope: "col"}, h); }))));
    var body = el("tbody");
    rows.forEach(function (r) {
      var delta = r[2] === null || r[3] === null ? null : r[3] - r[2];
      body.appendChild(el("tr", {"data-figure": r[1]}, [el("th", {scope: "row"}, r[0]), bytesCell(r[2]), bytesCell(r[3]),
        el("td", {"class": "num delta", "data-bytes": delta}, [signed(delta), el("br"), el("small", null, delta === null ? "" : (delta > 0 ? "+" : "") + exact(delta))])]));
    });
    body.appendChild(el("tr", null, [el("th", {scope: "row"}, "Layers"), el("td", {"class": "num"}, String(D.a.layer_count)),
      el("td", {"class": "num"}, String(D.b.layer_count)), el("td", {"class": "num"}, String(D.b.layer_count - D.a.layer_count))]));
    table.appendChild(body);
    s.appendChild(table);
    s.appendChild(el("p", null, D.shared_layers + " shared layer(s), " + D.shared_steps + " shared step(s)" +
      (D.divergence ? "; the histories diverge at " + (D.divergence.step_a === null ? "the end of A" : "A step " + D.divergence.step_a) +
       " / " + (D.divergence.step_b === null ? "the end of B" : "B step " + D.divergence.step_b) : "") + "."));
  }
  function diffSteps() {
    var s = section("steps", "Steps side by side", "The steps after the shared ones, A's bar above B's.");
    var rows = D.steps;
    if (!rows.length) { s.appendChild(el("p", null, "No differing steps.")); return; }
    var widest = Math.max(1, Math.max.apply(null, rows.map(function (r) { return Math.max(r.size_a, r.size_b); })));
    var H = 34, W = 1000, LABEL = 360, BAR = W - LABEL - 120;
    var svg = sv("svg", {viewBox: "0 0 " + W + " " + (rows.length * H + 4), "class": "chart", role: "img",
                         "aria-label": "Step sizes of A and B; the table below has every figure"});
    rows.forEach(function (r, i) {
      var y = i * H + 2, g = sv("g");
      g.appendChild(sv("title", null, "A: " + (r.instruction_a === null ? "-" : r.instruction_a) + "\nB: " + (r.instruction_b === null ? "-" : r.instruction_b)));
      g.appendChild(sv("text", {x: 4, y: y + 20, "class": "label"}, short((r.instruction_b === null ? r.instruction_a : r.instruction_b) || "", 52)));
      g.appendChild(sv("rect", {x: LABEL, y: y + 3, width: BAR * r.size_a / widest, height: 12, fill: "#999999"}));
      g.appendChild(sv("rect", {x: LABEL, y: y + 17, width: BAR * r.size_b / widest, height: 12, fill: "#0072B2"}));
      g.appendChild(sv("text", {x: W - 4, y: y + 20, "text-anchor": "end", "class": "label"}, signed(r.size_delta)));
      svg.appendChild(g);
    });
    s.appendChild(svg);
    var table = el("table", {"class": "data", id: "steps-table"}, el("thead", null, el("tr", null,
      ["A #", "B #", "Instruction", "Size A", "Size B", "Delta"].map(function (h) { return el("th", {scope: "col"}, h); }))));
    var body = el("tbody");
    rows.forEach(function (r) {
      var same = r.instruction_a === r.instruction_b || r.instruction_a === null || r.instruction_b === null;
      var text = same ? el("code", null, r.instruction_a === null ? r.instruction_b : r.instruction_a)
        : [el("code", null, "A: " + r.instruction_a), el("br"), el("code", null, "B: " + r.instruction_b)];
      body.appendChild(el("tr", null, [el("td", {"class": "num"}, r.step_a === null ? "-" : String(r.step_a)),
        el("td", {"class": "num"}, r.step_b === null ? "-" : String(r.step_b)), el("td", {"class": "instruction"}, text),
        bytesCell(r.size_a), bytesCell(r.size_b), bytesCell(r.size_delta)]));
    });
    table.appendChild(body);
    s.appendChild(el("div", {"class": "scroll"}, table));
  }
  function diffLists() {
    var s = section("files", "Changed files");
    searchTable(s, "files-table", [{key: "path", title: "Path"}, {key: "change", title: "Change"},
      {key: "size_a", title: "Size A", bytes: true}, {key: "size_b", title: "Size B", bytes: true},
      {key: "size_delta", title: "Delta", bytes: true}], D.files, D.files_count, "changed files");
    var w = section("waste", "Waste that appeared or disappeared", "Dead versions in B but not in A (appeared), or in A but not in B (disappeared).");
    searchTable(w, "waste-table", [{key: "path", title: "Path"}, {key: "change", title: "Change"},
      {key: "size", title: "Size", bytes: true}, {key: "written_by", title: "Written by"}, {key: "killed_by", title: "Killed by"}],
      D.waste, D.waste_count, "waste changes");
    if (D.growth_check) { budgets([D.growth_check], "growth", "Growth check"); }
  }

  // ---- check
  function checkVerdict() {
    var failed = D.status === "fail";
    var s = section("verdict", "Verdict");
    s.appendChild(el("p", {"class": "verdict " + D.status, id: "verdict-line", "data-status": D.status},
      [el("span", {"class": "badge " + D.status}, failed ? "\u2717 FAIL" : "\u2713 PASS"), " " +
       Object.keys(D.counts).map(function (k) { return D.counts[k] + " " + k; }).join(", ") + " for " + D.image.ref + " (" + size(D.image.size) + ", " + exact(D.image.size) + " bytes)."]));
    if (D.config_files.length) { s.appendChild(el("p", null, "Settings from " + D.config_files.join(", ") + ".")); }
    budgets(D.budgets, "budgets", "Budgets");
  }
  function budgets(list, id, title) {
    var s = section(id, title, list.length ? null : "No budgets were set.");
    list.forEach(function (b) {
      var bytes = b.unit === "bytes";
      var item = el("article", {"class": "budget " + b.status, "data-budget": b.name, "data-status": b.status}, [
        el("h3", null, [el("span", {"class": "badge " + b.status}, (b.status === "pass" ? "\u2713 " : b.status === "fail" ? "\u2717 " : "") + b.status.toUpperCase()), " " + b.name]),
        el("p", null, b.message),
        el("p", null, ["Measured: ", el("strong", {"data-measured": b.measured}, bytes ? size(b.measured) + " (" + exact(b.measured) + " bytes)" : String(b.measured)),
                       "; limit: ", el("strong", null, bytes && typeof b.limit === "number" ? size(b.limit) + " (" + exact(b.limit) + " bytes)" : JSON.stringify(b.limit)),
                       b.source ? "; from " + b.source : ""])]);
      if (b.contributors.length) {
        var t = el("table", {"class": "data"}, [el("caption", null, "Contributors"), el("thead", null, el("tr", null,
          ["Kind", "What", "Bytes", "Step", "Detail"].map(function (h) { return el("th", {scope: "col"}, h); })))]);
        var body = el("tbody");
        b.contributors.forEach(function (c) {
          body.appendChild(el("tr", null, [el("td", null, c.kind), el("td", {"class": "path"}, c.label), bytesCell(c.bytes),
            el("td", {"class": "num"}, c.step === null ? "-" : String(c.step)), el("td", null, c.detail)]));
        });
        t.appendChild(body);
        item.appendChild(el("div", {"class": "scroll"}, t));
      }
      s.appendChild(item);
    });
  }

  function stepName(series) { return "step " + series; }

  if (D.kind === "inspect") {
    header("layerscope inspect " + D.image.ref, D.image.id + " \u00b7 " + D.image.platform);
    inspectHeadline();
    steps();
    directoryMap("Directory map", "The final filesystem by directory, sized by bytes, with the dead bytes shown where " +
                 "they were written (hatched), coloured by the step that wrote them. Select a directory to zoom in; the " +
                 "path above the map zooms out.", stepName);
    wasted();
    findings();
    warnings();
  } else if (D.kind === "diff") {
    header("layerscope diff", "A: " + D.a.ref + " \u00b7 B: " + D.b.ref);
    diffHeadline();
    diffSteps();
    directoryMap("Changed bytes by directory", "Bytes of the files B added (green), removed (vermillion) and changed " +
                 "(blue), by directory. Select a directory to zoom in.", function (k) { return CHANGES[k]; });
    diffLists();
  } else {
    header("layerscope check " + D.image.ref, D.image.id + " \u00b7 " + D.image.platform);
    checkVerdict();
  }
  main.setAttribute("data-ready", "true");
  if (window.performance && performance.mark) { performance.mark("layerscope-ready"); }
}());
