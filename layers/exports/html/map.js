/* Precinct Planner: the offline HTML map's own script (no network, no eval, no innerHTML
 * of data). Draws every packed layer (layers/exports/html/packing.py) on one canvas and
 * answers a click, as QGIS's identify does, with every visible feature under it: points
 * first, then lines, then polygons, each group top layer first. Hit-testing goes through a
 * grid index per layer, so a click stays fast on 100,000 features. */
(function () {
  'use strict';
  var HIT_PX = 5;        // a click this close (screen px) to a point or a line hits it
  var MAX_LISTED = 40;   // features listed in one popup; the rest are counted
  var CACHE_PIXELS = 6e6; // zoomed out this far, the whole map is drawn once per zoom
  var DENSE = 20000;     // a style group drawing more segments than this uses 1 px lines
  var RANK = {point: 0, line: 1, polygon: 2};
  var FAMILY_ORDER = ['polygon', 'line', 'point'];  // drawing order inside a layer

  function mercX(lon) { return (lon + 180) / 360 * 256; }
  function mercY(lat) {
    var s = Math.sin(Math.max(-85.0511287798, Math.min(85.0511287798, lat)) * Math.PI / 180);
    return (0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI)) * 256;
  }
  function unmerc(x, y) {
    var n = Math.PI * (1 - 2 * y / 256);
    return [Math.atan(0.5 * (Math.exp(n) - Math.exp(-n))) * 180 / Math.PI, x / 256 * 360 - 180];
  }

  /* --- decoding --------------------------------------------------------------------- */
  function offsets(counts, n) {  // counts: one per item, or one number for all
    var out = new Int32Array(n + 1), same = typeof counts === 'number';
    for (var i = 0; i < n; i++) out[i + 1] = out[i] + (same ? counts : counts[i]);
    return out;
  }

  function buildGrid(box, n) {
    var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity, i;
    for (i = 0; i < n; i++) {
      if (box[4 * i] > box[4 * i + 2]) continue;  // a feature without vertices
      x0 = Math.min(x0, box[4 * i]); y0 = Math.min(y0, box[4 * i + 1]);
      x1 = Math.max(x1, box[4 * i + 2]); y1 = Math.max(y1, box[4 * i + 3]);
    }
    if (!(x0 <= x1)) return null;
    var side = Math.max(1, Math.min(512, Math.ceil(Math.sqrt(n / 2))));
    var g = {x0: x0, y0: y0, cw: (x1 - x0) / side || 1e-9, ch: (y1 - y0) / side || 1e-9,
             side: side};
    var start = new Int32Array(side * side + 1), cx, cy, pass, fill;
    for (pass = 0; pass < 2; pass++) {
      if (pass === 1) {
        for (i = 0; i < side * side; i++) start[i + 1] += start[i];
        fill = start.slice(0, side * side);
        g.items = new Int32Array(start[side * side]);
      }
      for (i = 0; i < n; i++) {
        if (box[4 * i] > box[4 * i + 2]) continue;
        var a = cell(g, box[4 * i], 0), b = cell(g, box[4 * i + 2], 0);
        var c = cell(g, box[4 * i + 1], 1), d = cell(g, box[4 * i + 3], 1);
        for (cy = c; cy <= d; cy++) {
          for (cx = a; cx <= b; cx++) {
            if (pass === 0) start[cy * side + cx + 1]++;
            else g.items[fill[cy * side + cx]++] = i;
          }
        }
      }
    }
    g.start = start;
    return g;
  }

  function cell(g, value, axis) {
    var c = Math.floor(axis ? (value - g.y0) / g.ch : (value - g.x0) / g.cw);
    return c < 0 ? 0 : (c >= g.side ? g.side - 1 : c);
  }

  function decodePart(d, layer) {
    var xy = d.xy, nv = xy.length / 2, X = new Float64Array(nv), Y = new Float64Array(nv);
    var lon = 0, lat = 0, i, v;
    for (i = 0; i < nv; i++) {
      lon += xy[2 * i]; lat += xy[2 * i + 1];
      X[i] = mercX(lon / 1e6); Y[i] = mercY(lat / 1e6);
    }
    var n = d.n, fo = offsets(d.f, n), nr = fo[n], ro = offsets(d.r === undefined ? 1 : d.r, nr);
    var box = new Float64Array(4 * n), rb = new Float64Array(4 * nr), r;
    for (r = 0; r < nr; r++) {  // the box of every ring (a point is a ring of one)
      var bx0 = Infinity, by0 = Infinity, bx1 = -Infinity, by1 = -Infinity;
      for (v = ro[r]; v < ro[r + 1]; v++) {
        if (X[v] < bx0) bx0 = X[v]; if (X[v] > bx1) bx1 = X[v];
        if (Y[v] < by0) by0 = Y[v]; if (Y[v] > by1) by1 = Y[v];
      }
      rb[4 * r] = bx0; rb[4 * r + 1] = by0; rb[4 * r + 2] = bx1; rb[4 * r + 3] = by1;
    }
    for (i = 0; i < n; i++) {  // and of every feature
      box[4 * i] = box[4 * i + 1] = Infinity; box[4 * i + 2] = box[4 * i + 3] = -Infinity;
      for (r = fo[i]; r < fo[i + 1]; r++) {
        box[4 * i] = Math.min(box[4 * i], rb[4 * r]);
        box[4 * i + 1] = Math.min(box[4 * i + 1], rb[4 * r + 1]);
        box[4 * i + 2] = Math.max(box[4 * i + 2], rb[4 * r + 2]);
        box[4 * i + 3] = Math.max(box[4 * i + 3], rb[4 * r + 3]);
      }
    }
    var ns = d.styles.length, single = typeof d.style === 'number';
    var styleOf = single ? null : Int32Array.from(d.style);
    var gs = new Int32Array(ns + 1), order = new Int32Array(n), at;
    for (i = 0; i < n; i++) gs[(single ? d.style : styleOf[i]) + 1]++;
    for (i = 0; i < ns; i++) gs[i + 1] += gs[i];
    at = gs.slice(0, ns);
    for (i = 0; i < n; i++) order[at[single ? d.style : styleOf[i]]++] = i;
    var reach = 0;
    d.styles.forEach(function (s) {
      reach = Math.max(reach, d.family === 'point' ? (s.radius || 4) : (s.weight || 1) / 2);
    });
    return {family: d.family, layer: layer, X: X, Y: Y, ro: ro, fo: fo, n: n, box: box, rb: rb,
            styles: d.styles, single: single ? d.style : -1, styleOf: styleOf, gs: gs,
            order: order, reach: reach, grid: undefined, stamp: null,
            mark: 0, title: d.title, labels: d.labels, cols: d.cols, name: d.name || []};
  }

  function styleIndex(p, i) { return p.single >= 0 ? p.single : p.styleOf[i]; }

  /* Ground metres per screen pixel at the map's centre (what a style's maxMpp is against). */
  function metresPerPixel(map) {
    return 156543.03392 * Math.cos(map.getCenter().lat * Math.PI / 180) / Math.pow(2, map.getZoom());
  }

  /* --- drawing ---------------------------------------------------------------------- */
  /* Screen coordinates of ring r, vertices closer than DECIMATE px to the last kept one
   * left out (the last vertex always kept), in BX/BY; returns how many. */
  var BX = [], BY = [], CX = [], CY = [], DECIMATE = 0.7, MARGIN = 20;
  function ringPoints(p, r, k, ox, oy) {
    var X = p.X, Y = p.Y, a = p.ro[r], e = p.ro[r + 1], n = 0, lx = 0, ly = 0;
    for (var v = a; v < e; v++) {
      var x = X[v] * k - ox, y = Y[v] * k - oy;
      if (v > a && v < e - 1 && Math.abs(x - lx) < DECIMATE && Math.abs(y - ly) < DECIMATE) continue;
      BX[n] = x; BY[n] = y; n++; lx = x; ly = y;
    }
    return n;
  }

  /* Sutherland–Hodgman: the ring in BX/BY (n points) clipped to one side of a line;
   * side 0: x >= c, 1: x <= c, 2: y >= c, 3: y <= c. Result in BX/BY; returns its length. */
  function clipSide(n, side, c) {
    var m = 0, i, px, py, pin, qx, qy, qin;
    if (n === 0) return 0;
    px = BX[n - 1]; py = BY[n - 1];
    pin = side === 0 ? px >= c : side === 1 ? px <= c : side === 2 ? py >= c : py <= c;
    for (i = 0; i < n; i++) {
      qx = BX[i]; qy = BY[i];
      qin = side === 0 ? qx >= c : side === 1 ? qx <= c : side === 2 ? qy >= c : qy <= c;
      if (qin !== pin) {
        var t = side < 2 ? (c - px) / (qx - px) : (c - py) / (qy - py);
        CX[m] = px + t * (qx - px); CY[m] = py + t * (qy - py); m++;
      }
      if (qin) { CX[m] = qx; CY[m] = qy; m++; }
      px = qx; py = qy; pin = qin;
    }
    for (i = 0; i < m; i++) { BX[i] = CX[i]; BY[i] = CY[i]; }
    return m;
  }

  /* One path per style group. Rings and lines that leave the canvas are cut at its edge (a
   * city-wide ring zoomed in would otherwise be stroked, and dashed, along its whole length).
   * A group that draws more than DENSE segments (the streets of a whole city) strokes 1 px
   * wide: software canvases stroke wider lines ten times slower, and zoomed out the thinner
   * lines read better too. */
  function drawPart(ctx, p, k, ox, oy, view, alpha, mpp) {
    var ro = p.ro, fo = p.fo, box = p.box, rb = p.rb, family = p.family;
    var x0 = -MARGIN, y0 = -MARGIN, x1 = (view[2] - view[0]) * k + MARGIN;
    var y1 = (view[3] - view[1]) * k + MARGIN;
    for (var s = 0; s < p.styles.length; s++) {
      var st = p.styles[s], drew = false, segments = 0;
      if (st.maxMpp !== undefined && mpp > st.maxMpp) continue;  // thinned out at this scale
      ctx.beginPath();
      for (var j = p.gs[s]; j < p.gs[s + 1]; j++) {
        var i = p.order[j];
        if (box[4 * i] > view[2] || box[4 * i + 2] < view[0] ||
            box[4 * i + 1] > view[3] || box[4 * i + 3] < view[1]) continue;
        drew = true;
        for (var r = fo[i]; r < fo[i + 1]; r++) {
          var bx0 = rb[4 * r] * k - ox, by0 = rb[4 * r + 1] * k - oy;
          var bx1 = rb[4 * r + 2] * k - ox, by1 = rb[4 * r + 3] * k - oy;
          if (bx0 > x1 || bx1 < x0 || by0 > y1 || by1 < y0) continue;
          if (family === 'point') {
            ctx.moveTo(bx0 + st.radius, by0);
            ctx.arc(bx0, by0, st.radius, 0, 2 * Math.PI);
            continue;
          }
          var n = ringPoints(p, r, k, ox, oy), t;
          var inside = bx0 >= x0 && bx1 <= x1 && by0 >= y0 && by1 <= y1;
          if (family === 'polygon') {
            if (!inside) {
              n = clipSide(clipSide(clipSide(clipSide(n, 0, x0), 1, x1), 2, y0), 3, y1);
            }
            if (n < 3) continue;
            ctx.moveTo(BX[0], BY[0]);
            for (t = 1; t < n; t++) ctx.lineTo(BX[t], BY[t]);
            // not closePath(): in Chromium it slows down with the number of rings in a path
            if (BX[n - 1] !== BX[0] || BY[n - 1] !== BY[0]) ctx.lineTo(BX[0], BY[0]);
            segments += n;
            continue;
          }
          var pen = false;  // a line: segments wholly beyond one edge are skipped
          for (t = 1; t < n; t++) {
            var ax = BX[t - 1], ay = BY[t - 1], qx = BX[t], qy = BY[t];
            if (!inside && ((ax < x0 && qx < x0) || (ax > x1 && qx > x1) ||
                            (ay < y0 && qy < y0) || (ay > y1 && qy > y1))) { pen = false; continue; }
            if (!pen) { ctx.moveTo(ax, ay); pen = true; }
            ctx.lineTo(qx, qy); segments++;
          }
        }
      }
      if (!drew) continue;
      if (family !== 'line' && st.fillOpacity > 0) {
        ctx.globalAlpha = alpha * st.fillOpacity;
        ctx.fillStyle = st.fillColor;
        ctx.fill('nonzero');
      }
      if (st.weight > 0 && st.opacity > 0) {
        ctx.globalAlpha = alpha * st.opacity;
        ctx.strokeStyle = st.color;
        ctx.lineWidth = segments > DENSE ? Math.min(st.weight, 1) : st.weight;
        ctx.setLineDash(st.dash || []);
        ctx.stroke();
      }
    }
  }

  var Paint = L.Renderer.extend({
    options: {padding: 0.4, pane: 'ppVectors'},
    initialize: function (layers, options) {
      L.Renderer.prototype.initialize.call(this, options);
      this._ppLayers = layers;
    },
    _initContainer: function () {
      this._container = document.createElement('canvas');
      this._container.className = 'pp-canvas';
      this._ctx = this._container.getContext('2d');
    },
    _destroyContainer: function () {
      L.DomUtil.remove(this._container);
      delete this._ctx;
    },
    _update: function () {
      if (this._map._animatingZoom && this._bounds) return;
      L.Renderer.prototype._update.call(this);
      var b = this._bounds, size = b.getSize(), c = this._container;
      var m = window.devicePixelRatio || 1;
      L.DomUtil.setPosition(c, b.min);
      c.width = Math.round(m * size.x); c.height = Math.round(m * size.y);
      c.style.width = size.x + 'px'; c.style.height = size.y + 'px';
      this.redraw(m);
    },
    schedule: function () {  // one redraw for any number of changes in a frame
      var self = this;
      if (!this._pending) {
        this._pending = L.Util.requestAnimFrame(function () { self.redraw(); });
      }
    },
    changed: function () { this._cacheKey = null; this.schedule(); },
    redraw: function (m) {
      if (this._pending) { L.Util.cancelAnimFrame(this._pending); this._pending = null; }
      if (!this._map || !this._ctx) return;
      m = m || window.devicePixelRatio || 1;
      var ctx = this._ctx, b = this._bounds, map = this._map, z = map.getZoom(), k = Math.pow(2, z);
      var origin = map.getPixelOrigin(), ox = origin.x + b.min.x, oy = origin.y + b.min.y;
      var size = b.getSize(), view = [ox / k, oy / k, (ox + size.x) / k, (oy + size.y) / k];
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.clearRect(0, 0, this._container.width, this._container.height);
      var cache = this._cached(z, k, m);
      if (cache) {  // zoomed out: the whole map is drawn once per zoom, panning copies it
        ctx.drawImage(cache.canvas, Math.round((cache.ox - ox) * m), Math.round((cache.oy - oy) * m));
        return;
      }
      this._drawLayers(ctx, k, ox, oy, view, m);
    },
    _drawLayers: function (ctx, k, ox, oy, view, m) {
      var mpp = metresPerPixel(this._map);
      ctx.setTransform(m, 0, 0, m, 0, 0);
      ctx.lineJoin = 'round'; ctx.lineCap = 'round';
      this._ppLayers.forEach(function (layer) {
        if (!layer.shown || !layer.parts) return;
        FAMILY_ORDER.forEach(function (family) {
          layer.parts.forEach(function (p) {
            if (p.family === family) drawPart(ctx, p, k, ox, oy, view, layer.opacity, mpp);
          });
        });
      });
      ctx.globalAlpha = 1;
      ctx.setLineDash([]);
    },
    /* The whole extent drawn at this zoom, when it fits in CACHE_PIXELS; else null. */
    _cached: function (z, k, m) {
      var key = z + '/' + m;
      if (this._cacheKey === key) return this._cache;
      var ext = this._extent || (this._extent = extentOf(this._ppLayers));
      if (!ext) return null;
      var pad = 8, ox = Math.floor(ext[0] * k) - pad, oy = Math.floor(ext[1] * k) - pad;
      var w = Math.ceil(ext[2] * k) + pad - ox, h = Math.ceil(ext[3] * k) + pad - oy;
      if (w * h * m * m > CACHE_PIXELS || w * m > 8192 || h * m > 8192) {
        this._cache = this._cacheKey = null;
        return null;
      }
      var canvas = (this._cache && this._cache.canvas) || document.createElement('canvas');
      canvas.width = Math.ceil(w * m); canvas.height = Math.ceil(h * m);
      var view = [ox / k, oy / k, (ox + w) / k, (oy + h) / k];
      this._drawLayers(canvas.getContext('2d'), k, ox, oy, view, m);
      this._cache = {canvas: canvas, ox: ox, oy: oy};
      this._cacheKey = key;
      return this._cache;
    }
  });

  function extentOf(layers) {  // world box of every vector layer, shown or not
    var e = [Infinity, Infinity, -Infinity, -Infinity];
    layers.forEach(function (layer) {
      (layer.parts || []).forEach(function (p) {
        for (var i = 0; i < p.n; i++) {
          if (p.box[4 * i] > p.box[4 * i + 2]) continue;
          e[0] = Math.min(e[0], p.box[4 * i]); e[1] = Math.min(e[1], p.box[4 * i + 1]);
          e[2] = Math.max(e[2], p.box[4 * i + 2]); e[3] = Math.max(e[3], p.box[4 * i + 3]);
        }
      });
    });
    return e[0] <= e[2] ? e : null;
  }

  /* --- hit testing ------------------------------------------------------------------ */
  function segmentDistance2(px, py, ax, ay, bx, by) {
    var dx = bx - ax, dy = by - ay, len = dx * dx + dy * dy, t = 0;
    if (len > 0) t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / len));
    var ex = ax + t * dx - px, ey = ay + t * dy - py;
    return ex * ex + ey * ey;
  }

  function hits(p, i, wx, wy, k) {
    var X = p.X, Y = p.Y, ro = p.ro, fo = p.fo, r, v, j, st = p.styles[styleIndex(p, i)];
    if (p.family === 'point') {
      var reach = (st.radius || 4) + HIT_PX;
      for (v = ro[fo[i]]; v < ro[fo[i + 1]]; v++) {
        var dx = (X[v] - wx) * k, dy = (Y[v] - wy) * k;
        if (dx * dx + dy * dy <= reach * reach) return true;
      }
      return false;
    }
    if (p.family === 'line') {
      var tol = ((st.weight || 1) / 2 + HIT_PX) / k, tol2 = tol * tol;
      for (r = fo[i]; r < fo[i + 1]; r++) {
        if (ro[r + 1] - ro[r] === 1 && segmentDistance2(wx, wy, X[ro[r]], Y[ro[r]],
                                                       X[ro[r]], Y[ro[r]]) <= tol2) return true;
        for (v = ro[r] + 1; v < ro[r + 1]; v++) {
          if (segmentDistance2(wx, wy, X[v - 1], Y[v - 1], X[v], Y[v]) <= tol2) return true;
        }
      }
      return false;
    }
    var inside = false;  // even-odd over every ring of the feature (holes included)
    for (r = fo[i]; r < fo[i + 1]; r++) {
      var a = ro[r], e = ro[r + 1];
      for (v = a, j = e - 1; v < e; j = v++) {
        if ((Y[v] > wy) !== (Y[j] > wy) &&
            wx < (X[j] - X[v]) * (wy - Y[v]) / (Y[j] - Y[v]) + X[v]) inside = !inside;
      }
    }
    return inside;
  }

  function identify(layers, latlng, zoom, mpp) {
    var wx = mercX(latlng.lng), wy = mercY(latlng.lat), k = Math.pow(2, zoom), found = [];
    layers.forEach(function (layer, li) {
      if (!layer.shown || !layer.parts) return;
      layer.parts.forEach(function (p) {
        if (p.grid === undefined) {  // built on the first click
          p.grid = buildGrid(p.box, p.n);
          p.stamp = new Int32Array(p.n);
        }
        var g = p.grid;
        if (!g) return;
        var reach = (p.family === 'polygon' ? 0 : p.reach + HIT_PX) / k;
        var c0 = cell(g, wx - reach, 0), c1 = cell(g, wx + reach, 0);
        var r0 = cell(g, wy - reach, 1), r1 = cell(g, wy + reach, 1), box = p.box;
        p.mark++;
        for (var cy = r0; cy <= r1; cy++) {
          for (var cx = c0; cx <= c1; cx++) {
            var q = cy * g.side + cx;
            for (var t = g.start[q]; t < g.start[q + 1]; t++) {
              var i = g.items[t];
              if (p.stamp[i] === p.mark) continue;
              p.stamp[i] = p.mark;
              if (wx < box[4 * i] - reach || wx > box[4 * i + 2] + reach ||
                  wy < box[4 * i + 1] - reach || wy > box[4 * i + 3] + reach) continue;
              var limit = p.styles[styleIndex(p, i)].maxMpp;
              if (limit !== undefined && mpp > limit) continue;  // not drawn at this scale
              if (hits(p, i, wx, wy, k)) found.push({li: li, part: p, i: i});
            }
          }
        }
      });
    });
    found.sort(function (a, b) {
      return (RANK[a.part.family] - RANK[b.part.family]) || (b.li - a.li) || (a.i - b.i);
    });
    return found;
  }

  /* --- popups ----------------------------------------------------------------------- */
  function value(col, i) {
    if (col && col.d) { var c = col.c[i]; return c < 0 ? null : col.d[c]; }
    return col[i];
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function featureName(p, i, texts) {
    var parts = [];
    p.name.forEach(function (c) {
      var v = value(p.cols[c], i);
      if (v !== null && v !== undefined && v !== '') parts.push(String(v));
    });
    return parts.length ? parts.join(' · ') : texts.feature + ' ' + value(p.cols[0], i);
  }

  function featureTable(p, i) {
    var table = el('table');
    for (var c = 0; c < p.labels.length; c++) {
      var v = value(p.cols[c], i);
      if (v === null || v === undefined || v === '') continue;
      var row = table.insertRow();
      row.appendChild(el('th', null, p.labels[c]));
      row.insertCell().textContent = String(v);
    }
    return table;
  }

  function popupContent(found, texts, onOpen) {
    var box = el('div', 'pp-popup');
    box.appendChild(el('div', 'pp-popup-count', texts.here.replace('{n}', found.length)));
    found.slice(0, MAX_LISTED).forEach(function (h, j) {
      var item = el('details', 'pp-hit');
      item.setAttribute('data-layer', h.part.layer.id);
      item.setAttribute('data-fid', String(value(h.part.cols[0], h.i)));
      var summary = el('summary');
      summary.appendChild(el('span', 'pp-hit-layer', h.part.title));
      summary.appendChild(el('span', 'pp-hit-name', featureName(h.part, h.i, texts)));
      item.appendChild(summary);
      item.appendChild(featureTable(h.part, h.i));
      item.open = j === 0;
      item.addEventListener('toggle', function () { if (item.open) onOpen(h); });
      box.appendChild(item);
    });
    if (found.length > MAX_LISTED) {
      box.appendChild(el('div', 'pp-popup-more',
                         texts.more.replace('{n}', found.length - MAX_LISTED)));
    }
    return box;
  }

  function outline(h) {
    var p = h.part, ro = p.ro, fo = p.fo, rings = [], r, v;
    var look = {color: '#00b7eb', weight: 3, opacity: 1, fill: false, interactive: false,
                pane: 'ppHighlight'};
    if (p.family === 'point') {
      var st = p.styles[styleIndex(p, h.i)];
      return L.featureGroup(Array.prototype.map.call(ro.slice(fo[h.i], fo[h.i + 1]), function (a) {
        return L.circleMarker(unmerc(p.X[a], p.Y[a]),
                              L.extend({}, look, {radius: (st.radius || 4) + 3}));
      }));
    }
    for (r = fo[h.i]; r < fo[h.i + 1]; r++) {
      var ring = [];
      for (v = ro[r]; v < ro[r + 1]; v++) ring.push(unmerc(p.X[v], p.Y[v]));
      rings.push(ring);
    }
    return p.family === 'line' ? L.polyline(rings, look) : L.polygon(rings, look);
  }

  /* --- the page --------------------------------------------------------------------- */
  function escapeHtml(text) {
    return String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;').replace(/'/g, '&#39;');
  }

  function updateLegend(layers) {
    var legend = document.getElementById('pp-legend');
    if (!legend) return;
    var shown = {}, any = false;
    layers.forEach(function (layer) { shown[layer.id] = layer.shown; });
    Array.prototype.forEach.call(legend.querySelectorAll('.pp-legend-layer'), function (s) {
      s.hidden = !shown[s.getAttribute('data-layer')];
      any = any || !s.hidden;
    });
    var empty = legend.querySelector('.pp-legend-empty');
    if (empty) empty.hidden = any;
  }

  var Switch = L.Layer.extend({  // one entry of the layer control: shows or hides a layer
    initialize: function (layer, paint) { this._pp = layer; this._paint = paint; },
    onAdd: function () { this._pp.shown = true; this._changed(); },
    onRemove: function () { this._pp.shown = false; this._changed(); },
    _changed: function () {
      if (this._pp.image) {
        if (this._pp.shown) this._pp.image.addTo(this._map);
        else this._pp.image.remove();
      }
      if (this._paint._map) this._paint.changed();  // else drawn when the canvas is added
      this._paint.fire('switched');
    }
  });

  var Credit = L.Control.extend({  // attribution as plain text: no link, no flag
    options: {position: 'bottomright'},
    onAdd: function () {
      var box = el('div', 'leaflet-control-attribution pp-credit', this.options.text);
      L.DomEvent.disableClickPropagation(box);
      return box;
    }
  });

  window.ppStart = function (map, source) {
    var data = JSON.parse(source.textContent);
    map.createPane('ppVectors').style.zIndex = 450;
    map.createPane('ppHighlight').style.zIndex = 460;
    map.getPane('ppHighlight').style.pointerEvents = 'none';
    var layers = data.layers.map(function (d) {
      var layer = {id: d.id, title: d.title, shown: d.visible, opacity: d.opacity};
      if (d.kind === 'raster') {
        layer.image = L.imageOverlay(d.url, d.bounds, {opacity: d.opacity, interactive: false,
                                                        className: d.pixelated ? 'pp-pixelated' : ''});
      } else {
        layer.parts = d.parts.map(function (part) { return decodePart(part, layer); });
      }
      return layer;
    });
    if (data.bounds) map.fitBounds(data.bounds, {animate: false});  // before drawing anything
    var paint = new Paint(layers);
    var control = L.control.layers(null, null, {collapsed: false, sortLayers: false});
    var highlight = L.layerGroup().addTo(map);
    layers.slice().reverse().forEach(function (layer) {  // top layer first, as in the app
      var sw = new Switch(layer, paint);
      control.addOverlay(sw, escapeHtml(layer.title));
      if (layer.shown) sw.addTo(map);
    });
    paint.addTo(map);
    L.control.zoom({zoomInTitle: data.texts.zoomIn, zoomOutTitle: data.texts.zoomOut}).addTo(map);
    control.addTo(map);
    L.control.scale({imperial: false, metric: true}).addTo(map);
    if (data.credit) new Credit({text: data.credit}).addTo(map);
    paint.on('switched', function () { updateLegend(layers); highlight.clearLayers(); });
    updateLegend(layers);
    function show(h) { highlight.clearLayers(); highlight.addLayer(outline(h)); }
    map.on('click', function (e) {
      var found = identify(layers, e.latlng, map.getZoom(), metresPerPixel(map));
      highlight.clearLayers();
      if (!found.length) { map.closePopup(); return; }
      show(found[0]);
      L.popup({maxWidth: 380, minWidth: 220, maxHeight: 340, className: 'pp-identify',
               autoPanPaddingTopLeft: [20, 80], autoPanPaddingBottomRight: [20, 30]})
        .setLatLng(e.latlng).setContent(popupContent(found, data.texts, show)).openOn(map);
      var close = document.querySelector('.pp-identify .leaflet-popup-close-button');
      if (close) { close.setAttribute('aria-label', data.texts.close); close.title = data.texts.close; }
    });
    map.on('popupclose', function () { highlight.clearLayers(); });
    window.ppMap = {  // for scripts and tests: the map, its layers and the identify answer
      map: map, layers: layers, hitPx: HIT_PX,
      identify: function (lat, lng) {
        var found = identify(layers, L.latLng(lat, lng), map.getZoom(), metresPerPixel(map));
        return found.map(function (h) {
          return {layer: h.part.layer.id, title: h.part.title, family: h.part.family,
                  fid: value(h.part.cols[0], h.i)};
        });
      }
    };
  };
}());
