// moira sequence chart. Everything it needs is in the page (no network): the data below the
// script, this code, the styles. Only the rows in view are drawn, so 10,000 events scroll freely.
(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('moira-data').textContent);
  var EV = D.ev, P = D.p, K = D.kinds, N = EV.length;
  // Event fields: step, time ns, kind, lane, lane of b, lane of a, arrival, words, label, flags.
  var STEP = 0, TIME = 1, KIND = 2, LANE = 3, BL = 4, AL = 5, ARR = 6, TEXT = 7, LABEL = 8, FLAGS = 9;
  var F_FOLDED = 1, F_TIMER = 2, F_CRASH = 4;
  var ROW = 22, LANE_W = 172, GUTTER = 150, LABEL_CHARS = 30;
  function kind(i) { return K[EV[i][KIND]]; }

  var ui = {
    chart: document.getElementById('chart'), body: document.getElementById('body'),
    lanes: document.getElementById('lanes'), tip: document.getElementById('tip'),
    filter: document.getElementById('filter'), stats: document.getElementById('stats')
  };
  var opt = { decisions: false, timers: false, hide: false };
  var picked = {};          // lanes picked in the header: only their events
  var slice = null;         // Uint8Array: events in the causal slice shown
  var selected = -1;
  var rows = [], rowOf = new Int32Array(N), arrows = [], bands = [];

  // ------------------------------------------------------------------ lanes and their x
  var laneX = [], nodeSpan = {};
  D.lanes.forEach(function (l, i) {
    laneX.push(GUTTER + i * LANE_W + LANE_W / 2);
    var s = nodeSpan[l.node] || (nodeSpan[l.node] = { first: i, last: i });
    s.last = i;
  });
  var width = GUTTER + Math.max(1, D.lanes.length) * LANE_W + 40;

  function drawHeader() {
    var h = '<div class="gutter">step · time (s)</div>';
    Object.keys(nodeSpan).forEach(function (n) {
      var s = nodeSpan[n];
      h += '<div class="node" style="left:' + (GUTTER + s.first * LANE_W) + 'px;width:' + ((s.last - s.first + 1) * LANE_W) +
        'px">' + esc(D.nodes[n] || ('node' + n)) + '</div>';
    });
    D.lanes.forEach(function (l, i) {
      h += '<div class="lane' + (picked[i] ? ' picked' : '') + '" data-lane="' + i + '" title="' + esc(l.label) +
        (l.exit ? ' — exit: ' + esc(l.exit) : '') + ' (click: only this process)" style="left:' + (GUTTER + i * LANE_W) +
        'px;width:' + LANE_W + 'px">' + esc(l.label) + '</div>';
    });
    ui.lanes.innerHTML = h;
    ui.lanes.style.width = width + 'px';
  }

  // ------------------------------------------------------------------ which rows are shown
  function shown(i) {
    var e = EV[i], k = K[e[KIND]];
    if (k === 'decision' && !opt.decisions) return false;
    if ((e[FLAGS] & F_FOLDED) && k === 'deliver') return false;
    if ((e[FLAGS] & F_TIMER) && !opt.timers) return false;
    if (slice && opt.hide && !slice[i]) return false;
    var any = false, some = false;
    for (var l in picked) { some = true; if (+l === e[LANE] || +l === e[BL] || +l === e[AL]) any = true; }
    if (some && !any) return false;
    var q = ui.filter.value.trim().toLowerCase();
    if (q && e[TEXT].toLowerCase().indexOf(q) < 0 && k.indexOf(q) < 0) return false;
    return true;
  }

  function layout() {
    rows = [];
    rowOf.fill(-1);
    for (var i = 0; i < N; i++) if (shown(i)) { rowOf[i] = rows.length; rows.push(i); }
    arrows = [];
    bands = [];
    var partitionFrom = -1;
    rows.forEach(function (i, r) {
      var e = EV[i], k = K[e[KIND]];
      if (k === 'spawn' && e[LANE] >= 0 && e[AL] >= 0 && e[LANE] !== e[AL]) arrows.push([r, r, e[LANE], e[AL], 'spn', 'spawn', i]);
      var isSend = k === 'send' || D.signals.indexOf(k) >= 0;
      if (isSend && e[ARR] >= 0 && e[BL] >= 0) {
        var from = e[LANE] >= 0 ? e[LANE] : e[AL];
        var end = rowOf[e[ARR]];
        if (end < 0 && (EV[e[ARR]][FLAGS] & F_FOLDED)) end = r;  // delivered at once: drawn level
        var lost = K[EV[e[ARR]][KIND]] === 'drop';
        if (end >= 0 && from >= 0) {
          var cls = lost ? 'lost' : k === 'send' ? 'msg' : (k === 'exit_signal' || k === 'down') ? 'ex' : 'sig';
          arrows.push([r, end, from, e[BL], cls, e[LABEL], i]);
        }
      }
      if (k === 'fault') {
        var t = e[LABEL];
        if (/^partition/.test(t)) partitionFrom = r;
        else if (/^heal/.test(t) && partitionFrom >= 0) { bands.push([partitionFrom, r, 'partition']); partitionFrom = -1; }
        bands.push([r, r, /^(crash|kill)/.test(t) ? 'crash' : /^(restart|heal)/.test(t) ? 'restart' : 'fault', t]);
      }
    });
    if (partitionFrom >= 0) bands.push([partitionFrom, rows.length - 1, 'partition']);
    ui.body.style.height = (rows.length * ROW + 60) + 'px';
    ui.body.style.width = width + 'px';
    var s = N + ' events kept' + (D.notKept ? ' (' + D.notKept + ' earlier ones not kept)' : '') + ' · ' + rows.length +
      ' shown · ' + D.lanes.length + ' processes';
    if (slice) { var c = 0; for (var j = 0; j < N; j++) c += slice[j]; s += ' · slice: ' + c + ' events (' + sliceNote + ')'; }
    ui.stats.textContent = s;
    draw();
  }

  // ------------------------------------------------------------------ drawing the rows in view
  function y(r) { return r * ROW + ROW / 2; }
  function draw() {
    var top = ui.chart.scrollTop, h = ui.chart.clientHeight;
    var r0 = Math.max(0, Math.floor(top / ROW) - 5), r1 = Math.min(rows.length - 1, Math.ceil((top + h) / ROW) + 5);
    var o = [];
    o.push('<svg xmlns="http://www.w3.org/2000/svg" width="' + width + '" height="' + ((r1 - r0 + 1) * ROW + 2) +
      '" style="position:absolute;left:0;top:' + (r0 * ROW) + 'px" viewBox="0 ' + (r0 * ROW) + ' ' + width + ' ' +
      ((r1 - r0 + 1) * ROW + 2) + '"><defs>' + marker('m', '#2b63c6') + marker('s', '#8e44ad') + marker('x', '#c0392b') +
      marker('p', '#2e8b57') + '</defs>');
    var lastTime = r0 > 0 ? EV[rows[r0 - 1]][TIME] : -1;
    for (var r = r0; r <= r1; r++) {
      var i = rows[r], e = EV[i];
      if (i === selected) o.push('<rect class="sel" x="0" y="' + r * ROW + '" width="' + width + '" height="' + ROW + '"/>');
      if (i === D.failure) o.push('<rect class="failrow" x="0" y="' + r * ROW + '" width="' + width + '" height="' + ROW + '"/>');
      // The virtual-time axis: a rule where time moves on, the time in black there, grey after.
      var moved = e[TIME] !== lastTime;
      if (moved) o.push('<line class="tick" x1="0" x2="' + width + '" y1="' + r * ROW + '" y2="' + r * ROW + '"/>');
      o.push('<text class="' + (moved ? 't' : 'g') + '" x="6" y="' + (y(r) + 4) + '"' + (moved ? ' font-weight="bold"' : '') +
        '>' + e[STEP] + ' · ' + secs(e[TIME]) + '</text>');
      lastTime = e[TIME];
    }
    bands.forEach(function (b) {
      if (b[1] < r0 || b[0] > r1) return;
      var color = b[2] === 'partition' ? 'rgba(230,126,34,0.10)' : b[2] === 'crash' ? 'rgba(192,57,43,0.22)' :
        b[2] === 'restart' ? 'rgba(46,139,87,0.20)' : 'rgba(120,120,120,0.18)';
      o.push('<rect x="' + GUTTER + '" y="' + b[0] * ROW + '" width="' + (width - GUTTER) + '" height="' +
        ((b[1] - b[0] + 1) * ROW) + '" fill="' + color + '"/>');
    });
    // Lane lines, from the process's first shown row to its exit.
    D.lanes.forEach(function (l, li) {
      var a = l.first >= 0 ? firstRowAtOrAfter(l.first) : 0, b = l.exitAt >= 0 ? lastRowAtOrBefore(l.exitAt) : rows.length - 1;
      if (a > r1 || b < r0 || a > b) return;
      o.push('<line class="lane" x1="' + laneX[li] + '" x2="' + laneX[li] + '" y1="' + y(Math.max(a, r0 - 1)) + '" y2="' +
        y(Math.min(b, r1 + 1)) + '"/>');
    });
    arrows.forEach(function (a) {
      var lo = Math.min(a[0], a[1]), hi = Math.max(a[0], a[1]);
      if (hi < r0 || lo > r1) return;
      var dim = slice && !(slice[a[6]]);
      var x1 = laneX[a[2]], x2 = laneX[a[3]], y1 = y(a[0]), y2 = y(a[1]);
      var m = a[4] === 'msg' ? 'm' : a[4] === 'spn' ? 'p' : a[4] === 'sig' ? 's' : 'x';
      if (x1 === x2) {  // to itself: a loop out to the right
        o.push('<path class="' + a[4] + (dim ? ' dim' : '') + '" d="M' + x1 + ' ' + y1 + ' C' + (x1 + 40) + ' ' + y1 + ' ' + (x1 + 40) +
          ' ' + (y2 + 8) + ' ' + (x2 + 4) + ' ' + (y2 + 2) + '" marker-end="url(#' + m + ')"/>');
      } else {
        o.push('<line class="' + a[4] + (dim ? ' dim' : '') + '" x1="' + x1 + '" y1="' + y1 + '" x2="' + (x2 + (x2 > x1 ? -4 : 4)) +
          '" y2="' + y2 + '" marker-end="url(#' + m + ')"/>');
      }
      if (a[5] && a[0] >= r0 && a[0] <= r1) {
        var left = x2 < x1;
        o.push('<text class="t' + (dim ? ' dim' : '') + '" x="' + (x1 + (left ? -6 : 6)) + '" y="' + (y1 - 4) + '"' +
          (left ? ' text-anchor="end"' : '') + ' fill="' + (a[4] === 'msg' ? '#1c4a9c' : '#6b3a80') + '">' + esc(cut(a[5])) + '</text>');
      }
    });
    for (r = r0; r <= r1; r++) glyph(o, rows[r], r);
    o.push('</svg>');
    var old = ui.body.querySelector('svg');
    var holder = document.createElement('div');
    holder.innerHTML = o.join('');
    if (old) ui.body.replaceChild(holder.firstChild, old); else ui.body.appendChild(holder.firstChild);
  }

  function glyph(o, i, r) {
    var e = EV[i], k = K[e[KIND]], l = e[LANE] >= 0 ? e[LANE] : e[BL] >= 0 ? e[BL] : e[AL];
    var dim = slice && !slice[i] ? ' class="dim"' : '';
    var yy = y(r);
    if (k === 'fault') {
      o.push('<text' + dim + ' x="' + (GUTTER + 8) + '" y="' + (yy + 4) + '" fill="#8a1f17" font-weight="bold">FAULT ' + esc(e[LABEL]) + '</text>');
      return;
    }
    if (l < 0) {
      if (k === 'decision') o.push('<text class="g" x="' + (GUTTER + 8) + '" y="' + (yy + 4) + '">' + esc(e[TEXT]) + '</text>');
      return;
    }
    var x = laneX[l];
    o.push('<g' + dim + '>');
    if (k === 'receive') o.push('<circle cx="' + x + '" cy="' + yy + '" r="4" fill="#2b63c6"/>');
    else if (k === 'send' || D.signals.indexOf(k) >= 0) o.push('<rect x="' + (x - 3) + '" y="' + (yy - 3) + '" width="6" height="6" fill="#1d2330"/>');
    else if (k === 'spawn') o.push('<circle cx="' + x + '" cy="' + yy + '" r="3.5" fill="#2e8b57"/>');
    else if (k === 'exit') {
      var crash = e[FLAGS] & F_CRASH;
      o.push('<line x1="' + (x - 9) + '" x2="' + (x + 9) + '" y1="' + yy + '" y2="' + yy + '" stroke="' + (crash ? '#c0392b' : '#1d2330') + '" stroke-width="3"/>');
      o.push('<text x="' + (x + 12) + '" y="' + (yy + 4) + '" fill="' + (crash ? '#c0392b' : '#1d2330') + '">exit: ' + esc(cut(e[LABEL])) + '</text>');
    } else if (k === 'mark') {
      o.push('<path d="M' + x + ' ' + (yy - 8) + ' L' + (x + 7) + ' ' + (yy + 5) + ' L' + (x - 7) + ' ' + (yy + 5) + ' Z" fill="#c0392b"/>');
      o.push('<text x="' + (x + 12) + '" y="' + (yy + 4) + '" fill="#b3261e" font-weight="bold">' + esc(e[LABEL]) + '</text>');
    } else if (k === 'deliver') o.push('<path d="M' + (x - 5) + ' ' + (yy - 5) + ' L' + x + ' ' + yy + ' L' + (x - 5) + ' ' + (yy + 5) + '" stroke="#2b63c6" fill="none"/>');
    else if (k === 'drop') o.push('<path d="M' + (x - 5) + ' ' + (yy - 5) + ' L' + (x + 5) + ' ' + (yy + 5) + ' M' + (x + 5) + ' ' + (yy - 5) + ' L' + (x - 5) + ' ' + (yy + 5) + '" stroke="#c0392b" stroke-width="2"/>');
    else o.push('<circle cx="' + x + '" cy="' + yy + '" r="2.5" fill="#9aa3b2"/>');
    if (i === D.failure && k !== 'mark') o.push('<text x="' + (x + 12) + '" y="' + (yy + 4) + '" fill="#b3261e" font-weight="bold">FAILURE</text>');
    o.push('</g>');
  }

  function marker(id, color) {
    return '<marker id="' + id + '" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">' +
      '<path d="M0 0 L10 5 L0 10 z" fill="' + color + '"/></marker>';
  }
  function firstRowAtOrAfter(i) { for (; i < N; i++) if (rowOf[i] >= 0) return rowOf[i]; return rows.length; }
  function lastRowAtOrBefore(i) { for (; i >= 0; i--) if (rowOf[i] >= 0) return rowOf[i]; return -1; }
  function secs(ns) { var s = Math.floor(ns / 1e9), us = Math.floor((ns % 1e9) / 1e3); return s + '.' + ('00000' + us).slice(-6); }
  function cut(s) { return s.length > LABEL_CHARS ? s.slice(0, LABEL_CHARS - 1) + '…' : s; }
  function esc(s) { return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;'); }

  // ------------------------------------------------------------------ causal slices
  // preds point to earlier events only: one sweep each way.
  function past(t) {
    var s = new Uint8Array(N); s[t] = 1;
    for (var i = t; i >= 0; i--) if (s[i]) for (var j = 0; j < P[i].length; j++) s[P[i][j]] = 1;
    return s;
  }
  function future(t) {
    var s = new Uint8Array(N); s[t] = 1;
    for (var i = t + 1; i < N; i++) for (var j = 0; j < P[i].length; j++) if (s[P[i][j]]) { s[i] = 1; break; }
    return s;
  }
  var sliceNote = '';
  function setSlice(s, note, target) {
    slice = s; sliceNote = note; selected = target;
    document.getElementById('clear').disabled = !s;
    layout();
    if (target >= 0) scrollTo(target);
  }
  function scrollTo(i) {
    var r = firstRowAtOrAfter(i);  // a hidden event: the next one shown
    // Low in the view: what led to it is above.
    ui.chart.scrollTop = Math.max(0, r * ROW - ui.chart.clientHeight * 0.7);
    draw();
  }

  // ------------------------------------------------------------------ interaction
  function eventAt(ev) {
    var rect = ui.body.getBoundingClientRect();
    var r = Math.floor((ev.clientY - rect.top) / ROW);
    return r >= 0 && r < rows.length ? rows[r] : -1;
  }
  ui.body.addEventListener('mousemove', function (ev) {
    var i = eventAt(ev);
    if (i < 0) { ui.tip.style.display = 'none'; return; }
    var e = EV[i];
    ui.tip.textContent = '#' + i + '  step ' + e[STEP] + '  t=' + secs(e[TIME]) + ' s  ' + kind(i) + '\n' + e[TEXT] +
      (i === D.failure ? '\n\nTHE FAILURE' + (D.failureText ? ': ' + D.failureText : '') : '') + '\n\nclick: its causal past';
    ui.tip.style.display = 'block';
    ui.tip.style.left = Math.min(ev.clientX + 14, window.innerWidth - 740) + 'px';
    ui.tip.style.top = (ev.clientY + 16) + 'px';
  });
  ui.body.addEventListener('mouseleave', function () { ui.tip.style.display = 'none'; });
  ui.body.addEventListener('click', function (ev) {
    var i = eventAt(ev);
    if (i >= 0) setSlice(past(i), 'causal past of #' + i, i);
  });
  ui.lanes.addEventListener('click', function (ev) {
    var l = ev.target.getAttribute('data-lane');
    if (l === null) return;
    if (picked[l]) delete picked[l]; else picked[l] = true;
    drawHeader(); layout();
  });
  ui.chart.addEventListener('scroll', function () {
    ui.lanes.style.left = '0px';
    if (!draw.pending) { draw.pending = true; requestAnimationFrame(function () { draw.pending = false; draw(); }); }
  });
  ui.filter.addEventListener('input', layout);
  function toggle(id, key) {
    var b = document.getElementById(id);
    b.addEventListener('click', function () { opt[key] = !opt[key]; b.classList.toggle('on', opt[key]); layout(); });
  }
  toggle('decisions', 'decisions');
  toggle('timers', 'timers');
  toggle('hide', 'hide');
  document.getElementById('why').addEventListener('click', function () {
    if (D.failure >= 0) setSlice(past(D.failure), 'why: the causal past of the failure', D.failure);
  });
  document.getElementById('narrow').addEventListener('click', function () {
    if (D.failure < 0) return;
    var s = past(D.failure);
    if (D.narrowSince >= 0) { var f = future(D.narrowSince); for (var i = 0; i < N; i++) s[i] &= f[i]; }
    setSlice(s, 'why, narrowed to the round trip the failure closes (from #' + D.narrowSince + ')', D.failure);
  });
  document.getElementById('clear').addEventListener('click', function () { setSlice(null, '', -1); });
  document.getElementById('tofail').addEventListener('click', function () { if (D.failure >= 0) scrollTo(D.failure); });
  if (D.failure < 0) ['why', 'narrow', 'tofail'].forEach(function (id) { document.getElementById(id).disabled = true; });
  document.getElementById('clear').disabled = true;

  drawHeader();
  layout();
  // #top: stay at the start; #why, #narrow: open with that slice; #e123: at event 123 (for links
  // and screenshots).
  var at = /^#e(\d+)$/.exec(location.hash);
  if (location.hash === '#why' || location.hash === '#narrow') document.getElementById(location.hash.slice(1)).click();
  else if (at && +at[1] < N) scrollTo(+at[1]);
  else if (D.failure >= 0 && location.hash !== '#top') scrollTo(D.failure);
})();
