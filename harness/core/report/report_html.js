/*
 * faultrun report: draws each scenario's timeline as SVG from the run
 * journal embedded in the page (docs/journal.md, docs/report.md).
 *
 * Plain ES2017, no library, no network. When every timeline is drawn it
 * sets <html data-render="done">; on any error it sets "error" and shows
 * the message in #fr-errors, so a headless browser can check the page.
 */
(function () {
	'use strict';

	var NS = 'http://www.w3.org/2000/svg';
	var root = document.documentElement;
	var failed = false;

	function report(msg) {
		failed = true;
		root.setAttribute('data-render', 'error');
		var box = document.getElementById('fr-errors');
		if (box) {
			box.hidden = false;
			box.textContent += 'faultrun report: ' + msg + '\n';
		}
	}
	window.addEventListener('error', function (e) {
		report('script error: ' + (e.message || String(e)) +
		       (e.lineno ? ' (line ' + e.lineno + ')' : ''));
	});

	/* ---- formatting (report_html.c formats the same way) ---- */

	function fmtDur(s) {
		if (typeof s !== 'number' || !isFinite(s))
			return '?';
		var a = Math.abs(s);
		if (a === 0)
			return '0 s';
		if (a < 0.001)
			return (s * 1e6).toFixed(0) + ' µs';
		if (a < 0.01)
			return (s * 1e3).toFixed(1) + ' ms';
		if (a < 1)
			return (s * 1e3).toFixed(0) + ' ms';
		if (a < 60)
			return s.toFixed(2) + ' s';
		var m = Math.floor(a / 60), r = Math.floor(a % 60);
		return (s < 0 ? '-' : '') + m + ' min ' + (r < 10 ? '0' : '') + r + ' s';
	}

	/* a latency scale's label: 100µs, 1ms, 10ms, 1s */
	function fmtTick(d) {
		function r(v) { return String(Math.round(v * 1000) / 1000); }
		if (d >= 1)
			return r(d) + 's';
		if (d >= 0.001)
			return r(d * 1e3) + 'ms';
		return r(d * 1e6) + 'µs';
	}

	function fmtT(t) {
		return (typeof t === 'number' && isFinite(t)) ? t.toFixed(2) + ' s' : '?';
	}

	function num(v, d) {
		return (typeof v === 'number' && isFinite(v)) ? v : d;
	}

	function arr(v) {
		return Array.isArray(v) ? v : [];
	}

	/* shorten an SVG text (or tspan) with an ellipsis until it is at most w px wide */
	function fit(t, w) {
		var s = t.textContent;
		if (!t.getComputedTextLength || t.getComputedTextLength() <= w)
			return;
		var lo = 0, hi = s.length;
		while (lo < hi) {
			var mid = (lo + hi + 1) >> 1;
			t.textContent = s.slice(0, mid) + '…';
			if (t.getComputedTextLength() <= w)
				lo = mid;
			else
				hi = mid - 1;
		}
		t.textContent = lo ? s.slice(0, lo) + '…' : '';
	}

	function clip(s, n) {
		s = String(s);
		return s.length > n ? s.slice(0, Math.max(1, n - 1)) + '…' : s;
	}

	/* ---- SVG ---- */

	function el(parent, name, attrs, text) {
		var e = document.createElementNS(NS, name);
		if (attrs)
			for (var k in attrs)
				if (attrs[k] !== undefined && attrs[k] !== null)
					e.setAttribute(k, attrs[k]);
		if (text !== undefined)
			e.textContent = text;
		if (parent)
			parent.appendChild(e);
		return e;
	}

	function r1(v) {
		return Math.round(v * 10) / 10;
	}

	var FAULT_COLORS = ['#e8590c', '#1c7ed6', '#0ca678', '#d6336c', '#5c7cfa', '#f59f00',
			    '#ae3ec9', '#66a80f'];
	var OUTCOME = {
		ok: 'ok',
		err: 'answered, but failed',
		down: 'no answer',
		to: 'timed out'
	};

	/* ok, err (answered but failed), down (no answer), to (timeout) */
	function outcome(s, lb) {
		if (lb ? s.check : s.ok)
			return 'ok';
		if (s.timeout)
			return 'to';
		if (s.answered)
			return 'err';
		return 'down';
	}

	/* the time range a scenario covers: setup (negative times) to its end */
	function extent(sc) {
		var lo = 0, hi = Math.max(num(sc.duration, 0), 0);
		function see(t) {
			if (typeof t === 'number' && isFinite(t)) {
				if (t < lo)
					lo = t;
				if (t > hi)
					hi = t;
			}
		}
		arr(sc.target && sc.target.lifecycle).forEach(function (e) { see(e.t); });
		arr(sc.probes).forEach(function (p) {
			arr(p.samples).forEach(function (s) {
				see(s.t);
				see(num(s.t, 0) + num(s.latency, 0));
			});
		});
		arr(sc.faults).forEach(function (f) {
			arr(f.windows).forEach(function (w) { see(w.start); see(w.end); });
			see(f.first);
			see(f.last);
		});
		arr(sc.injections && sc.injections.events).forEach(function (e) { see(e.t); });
		arr(sc.timeline).forEach(function (s) { see(s.t); });
		if (hi - lo < 0.001)
			hi = lo + 1;
		return [lo, hi];
	}

	/* round tick positions, about one per 80 px */
	function ticks(t0, t1, px) {
		var n = Math.max(2, Math.floor(px / 80));
		var raw = (t1 - t0) / n;
		var p = Math.pow(10, Math.floor(Math.log10(raw)));
		var m = raw / p;
		var step = (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
		if (raw > 30)
			step = [30, 60, 120, 300, 600, 1200, 1800, 3600].find(function (s) { return s >= raw; }) || step;
		var dec = step >= 1 ? 0 : Math.min(4, Math.ceil(-Math.log10(step) - 1e-9));
		var out = [];
		for (var i = Math.ceil(t0 / step - 1e-9); i * step <= t1 + step * 1e-9; i++) {
			var t = i * step;
			var label = step >= 60 ? (t / 60) + ' min' : t.toFixed(dec) + ' s';
			out.push({ t: t, label: i === 0 ? '0' : label });
		}
		return out;
	}

	/* a log scale for latencies, from a decade below the fastest sample to the timeout */
	function latScale(p, y0, h) {
		var hi = Math.max(num(p.timeout, 0), 0), minPos = Infinity;
		arr(p.samples).forEach(function (s) {
			var l = num(s.latency, 0);
			if (!s.timeout && l > hi)
				hi = l;
			if (l > 0 && l < minPos)
				minPos = l;
		});
		if (!(hi > 0))
			hi = 1;
		if (!isFinite(minPos))
			minPos = hi / 100;
		var lo = Math.pow(10, Math.floor(Math.log10(Math.min(minPos, hi / 10))));
		lo = Math.max(lo, hi / 1e4);
		var a = Math.log10(lo), b = Math.log10(hi);
		return {
			lo: lo,
			hi: hi,
			y: function (v) {
				var l = Math.log10(Math.max(lo, Math.min(hi, v > 0 ? v : lo)));
				return y0 + h - (l - a) / (b - a) * h;
			}
		};
	}

	/* ---- tooltip ---- */

	var tip = document.getElementById('fr-tip');

	function showTip(lines, cx, cy) {
		if (!tip)
			return;
		tip.textContent = '';
		lines.forEach(function (l, i) {
			var d = document.createElement(i === 0 ? 'b' : 'div');
			if (typeof l === 'object') {
				d.textContent = l.text;
				d.className = l.cls;
			} else {
				d.textContent = l;
			}
			tip.appendChild(d);
		});
		tip.hidden = false;
		var w = tip.offsetWidth, h = tip.offsetHeight;
		var x = cx + 14, y = cy + 14;
		if (x + w > window.innerWidth - 6)
			x = Math.max(6, cx - w - 14);
		if (y + h > window.innerHeight - 6)
			y = Math.max(6, cy - h - 14);
		tip.style.left = x + 'px';
		tip.style.top = y + 'px';
	}

	function hideTip() {
		if (tip)
			tip.hidden = true;
	}

	/* ---- one scenario's timeline ---- */

	function Timeline(div, sc) {
		this.div = div;
		this.sc = sc;
		this.full = extent(sc);
		this.view = null; /* [t0, t1] when zoomed */
		this.width = 0;
		this.pinned = -1;
		this.section = div.closest('section');
		this.rows = this.section ? this.section.querySelectorAll('table.asserts tr[data-a]') : [];
		this.faultColor = {};
		var self = this;
		arr(sc.faults).forEach(function (f, i) {
			self.faultColor[f.name] = FAULT_COLORS[i % FAULT_COLORS.length];
		});
		this.wireRows();
	}

	Timeline.prototype.color = function (fault) {
		return this.faultColor[fault] || '#868e96';
	};

	Timeline.prototype.wireRows = function () {
		var self = this;
		Array.prototype.forEach.call(this.rows, function (tr) {
			var i = Number(tr.getAttribute('data-a'));
			tr.addEventListener('mouseenter', function () { self.highlight(i); });
			tr.addEventListener('mouseleave', function () { self.highlight(self.pinned); });
			tr.addEventListener('focus', function () { self.highlight(i); });
			tr.addEventListener('keydown', function (ev) {
				if (ev.key === 'Enter' || ev.key === ' ') {
					ev.preventDefault();
					tr.click();
				}
			});
			tr.addEventListener('click', function () {
				self.pinned = self.pinned === i ? -1 : i;
				self.highlight(self.pinned === -1 ? i : self.pinned);
				var r = self.svg && self.svg.getBoundingClientRect();
				if (r && (r.bottom < 0 || r.top > window.innerHeight))
					self.svg.scrollIntoView({ block: 'nearest' });
			});
		});
	};

	Timeline.prototype.draw = function () {
		var sc = this.sc, self = this;
		var W = Math.max(300, Math.floor(this.div.clientWidth || 800));
		var narrow = W < 560;
		var L = narrow ? 40 : 52, R = 10;
		var PW = W - L - R;
		var t0 = (this.view || this.full)[0], t1 = (this.view || this.full)[1];
		var X = function (t) { return L + (t - t0) / (t1 - t0) * PW; };
		var T = function (x) { return t0 + (x - L) / PW * (t1 - t0); };
		var inView = function (a, b) { return b >= t0 && a <= t1; };
		var stats = { samples: 0, windows: 0, assertions: 0, lanes: 0, injections: 0 };

		this.width = W;
		this.lanes = [];
		this.X = X;
		this.T = T;
		this.L = L;
		this.PW = PW;

		/* legend and zoom control (HTML, above the drawing) */
		var legend = this.div.querySelector('.legend');
		if (!legend) {
			legend = document.createElement('div');
			legend.className = 'legend';
			this.div.insertBefore(legend, this.div.firstChild);
		}
		legend.textContent = '';
		[['ok', 'var(--ok)'], ['answered, failed', 'var(--err)'], ['no answer', 'var(--down)']]
			.forEach(function (it) {
				var s = document.createElement('span'), i = document.createElement('i');
				i.style.background = it[1];
				s.appendChild(i);
				s.appendChild(document.createTextNode(it[0]));
				legend.appendChild(s);
			});
		var sx = document.createElement('span'), ix = document.createElement('i');
		ix.className = 'xm';
		ix.textContent = '×';
		sx.appendChild(ix);
		sx.appendChild(document.createTextNode(' timeout'));
		legend.appendChild(sx);
		var sb = document.createElement('span'), ib = document.createElement('i');
		ib.className = 'band';
		ib.style.background = 'rgba(232, 89, 12, 0.25)';
		sb.appendChild(ib);
		sb.appendChild(document.createTextNode('fault armed'));
		legend.appendChild(sb);
		if (this.view) {
			var btn = document.createElement('button');
			btn.type = 'button';
			btn.textContent = 'show whole run';
			btn.addEventListener('click', function () { self.view = null; self.draw(); });
			legend.appendChild(btn);
		}
		var hint = document.createElement('span');
		hint.className = 'hint';
		hint.textContent = 'hover or tap for details · drag to zoom';
		legend.appendChild(hint);

		/* ---- lay out lanes top to bottom ---- */
		var y = 0;
		var AXIS = 20;
		y += AXIS;

		/* fault window labels, packed into rows so they do not overlap */
		var wins = [];
		arr(sc.faults).forEach(function (f) {
			arr(f.windows).forEach(function (w) {
				var a = num(w.start, 0), b = num(w.end, t1);
				if (!inView(a, b))
					return;
				wins.push({ f: f, a: a, b: b });
			});
		});
		var labelRows = [];
		wins.forEach(function (w) {
			var x = Math.max(L, X(w.a)) + 3, len = String(w.f.name).length * 6.4 + 8;
			var row = 0;
			while (labelRows[row] !== undefined && labelRows[row] > x)
				row++;
			labelRows[row] = x + len;
			w.row = row;
			w.lx = x;
		});
		var labelTop = y;
		y += labelRows.length * 14 + (labelRows.length ? 2 : 0);
		var bandTop = labelTop;

		var lanes = [];
		function lane(kind, title, sub, h, extra) {
			var l = { kind: kind, title: title, sub: sub, y: y, head: 15, h: h, items: [] };
			for (var k in extra)
				l[k] = extra[k];
			l.body = y + l.head;
			y += l.head + h + 8;
			lanes.push(l);
			return l;
		}

		if (arr(sc.timeline).length)
			lane('steps', 'timeline', arr(sc.timeline).length + (arr(sc.timeline).length === 1 ? ' step' : ' steps'), 14);
		var life = arr(sc.target && sc.target.lifecycle);
		var tg = sc.target || {};
		lane('target', 'target', (num(tg.starts, 0)) + ' start' + (tg.starts === 1 ? '' : 's') +
		     ', ' + num(tg.restarts, 0) + ' restart' + (tg.restarts === 1 ? '' : 's') +
		     ', ' + num(tg.exits, 0) + ' unexpected exit' + (tg.exits === 1 ? '' : 's'), 36);
		arr(sc.faults).forEach(function (f) {
			if (!arr(f.windows).length && !num(f.injected, 0))
				return;
			var sub = num(f.injected, 0) + ' injected of ' + num(f.matched, 0) + ' matched';
			if (arr(f.windows).length && !num(f.injected, 0))
				sub += f.may_not_fire ? ' (allowed not to fire)' : ' — never fired';
			lane('fault', 'faults · ' + f.name, sub + ' · ' + (f.spec || ''), 24, { fault: f });
		});
		arr(sc.probes).forEach(function (p) {
			var n = arr(p.samples).length, ok = 0, to = 0;
			arr(p.samples).forEach(function (s) {
				if (s.ok)
					ok++;
				if (s.timeout)
					to++;
			});
			var sub = (p.kind || '') + ' · ' + (p.what || '') + ' · ' +
				  (n ? (100 * ok / n).toFixed(1) + '% ok of ' + n : 'no samples') +
				  (to ? ' · ' + to + ' timeout' + (to === 1 ? '' : 's') : '');
			var isLb = p.lb && typeof p.lb === 'object';
			var h = p.kind === 'request' && n < 50 ? 56 : 74;
			lane('probe', p.name, sub, h + (isLb ? 10 : 0), { probe: p, lb: isLb ? p.lb : null });
		});
		var winAsserts = [];
		arr(sc.assertions).forEach(function (a, i) {
			if (a.window && arr(a.window.intervals).length)
				winAsserts.push(i);
		});
		if (winAsserts.length)
			lane('asserts', 'assertions', 'each over the window it judged', winAsserts.length * 15);
		var H = y + 18;
		this.lanes = lanes;
		this.H = H;

		/* ---- draw ---- */
		var old = this.svg;
		var svg = el(null, 'svg', {
			xmlns: NS, width: W, height: H, viewBox: '0 0 ' + W + ' ' + H,
			role: 'img', 'aria-label': 'timeline of ' + (sc.name || 'the scenario')
		});
		this.svg = svg;
		/* in the document before drawing, so texts can be measured */
		if (old && old.parentNode)
			old.parentNode.replaceChild(svg, old);
		else
			this.div.appendChild(svg);
		var uid = (this.div.getAttribute('data-journal') || 0) + '-' +
			  (this.div.getAttribute('data-scenario') || 0);
		var defs = el(svg, 'defs');
		var pat = el(defs, 'pattern', {
			id: 'fr-hatch-' + uid, width: 6, height: 6, patternUnits: 'userSpaceOnUse',
			patternTransform: 'rotate(45)'
		});
		el(pat, 'rect', { width: 6, height: 6, fill: '#f4f5f7' });
		el(pat, 'line', { x1: 0, y1: 0, x2: 0, y2: 6, stroke: '#dfe3e8', 'stroke-width': 2 });
		var clipId = 'fr-clip-' + uid;
		el(el(defs, 'clipPath', { id: clipId }), 'rect', { x: L - 4, y: 0, width: PW + 8, height: H });

		var gBack = el(svg, 'g');
		var gPlot = el(svg, 'g', { 'clip-path': 'url(#' + clipId + ')' });
		var gText = el(svg, 'g');
		this.gHl = el(svg, 'g', { 'pointer-events': 'none' });
		this.gSel = el(svg, 'g', { 'pointer-events': 'none' });

		/* lane backgrounds */
		lanes.forEach(function (l) {
			el(gBack, 'rect', { class: 'lane-bg', x: L, y: l.body, width: PW, height: l.h });
		});

		/* setup (before the target was ready) */
		if (t0 < 0)
			el(gBack, 'rect', { fill: 'url(#fr-hatch-' + uid + ')', x: X(t0), y: bandTop, width: Math.max(0, X(Math.min(0, t1)) - X(t0)), height: H - 18 - bandTop });

		/* grid and axis */
		var tk = ticks(t0, t1, PW);
		tk.forEach(function (k) {
			var x = r1(X(k.t));
			el(gBack, 'line', { class: 'grid', x1: x, x2: x, y1: AXIS - 4, y2: H - 18 });
			var hw = k.label.length * 3.2;
			var anchor = x + hw > W - 1 ? 'end' : x - hw < 1 ? 'start' : 'middle';
			el(gText, 'text', { class: 'tick', x: x, y: 12, 'text-anchor': anchor }, k.label);
			el(gText, 'text', { class: 'tick', x: x, y: H - 5, 'text-anchor': anchor }, k.label);
		});
		el(gBack, 'line', { class: 'axis', x1: L, x2: L + PW, y1: AXIS - 4, y2: AXIS - 4 });
		el(gBack, 'line', { class: 'axis', x1: L, x2: L + PW, y1: H - 18, y2: H - 18 });
		if (t0 < 0 && t1 > 0)
			el(gText, 'text', { class: 'tick', x: Math.max(L + 2, X(t0) + 3), y: bandTop + 10 }, 'setup');

		/* fault windows: shaded across every lane, labelled on top */
		wins.forEach(function (w) {
			var c = self.color(w.f.name);
			var xa = Math.max(L, X(w.a)), xb = Math.min(L + PW, X(w.b));
			el(gBack, 'rect', {
				x: xa, y: bandTop, width: Math.max(1, xb - xa), height: H - 18 - bandTop,
				fill: c, 'fill-opacity': 0.09
			});
			if (X(w.a) >= L)
				el(gBack, 'line', { x1: X(w.a), x2: X(w.a), y1: bandTop, y2: H - 18, stroke: c, 'stroke-width': 1.2 });
			if (X(w.b) <= L + PW)
				el(gBack, 'line', { x1: X(w.b), x2: X(w.b), y1: bandTop, y2: H - 18, stroke: c, 'stroke-width': 1.2, 'stroke-dasharray': '4 3' });
			el(gText, 'text', { x: w.lx, y: labelTop + 11 + w.row * 14, fill: c, 'font-weight': 600 },
			   w.f.name + ' ' + fmtT(w.a).replace(' s', '') + '–' + fmtT(w.b));
			stats.windows++;
		});

		/* lane titles */
		lanes.forEach(function (l) {
			var t = el(gText, 'text', { x: L, y: l.y + 11 });
			var ts = el(t, 'tspan', { class: 'lane-title' }, clip(l.title, 60));
			fit(ts, PW * 0.6);
			var tw = ts.getComputedTextLength ? ts.getComputedTextLength() : l.title.length * 6.5;
			if (l.sub && PW - tw > 80)
				fit(el(t, 'tspan', { class: 'lane-sub', dx: 8 }, l.sub), PW - tw - 10);
			stats.lanes++;
		});

		lanes.forEach(function (l) {
			if (l.kind === 'steps')
				self.drawSteps(l, gPlot);
			else if (l.kind === 'target')
				self.drawTarget(l, gPlot, gText, life);
			else if (l.kind === 'fault')
				stats.injections += self.drawFault(l, gPlot, gText);
			else if (l.kind === 'probe')
				stats.samples += self.drawProbe(l, gPlot, gText, narrow);
			else if (l.kind === 'asserts')
				stats.assertions += self.drawAsserts(l, gPlot, gText, winAsserts);
			l.items.sort(function (a, b) { return a.x - b.x; });
		});

		var nojs = this.div.querySelector('.nojs');
		if (nojs)
			nojs.hidden = true;
		this.wirePointer();
		this.highlight(this.pinned);
		var d = this.div;
		d.setAttribute('data-drawn-samples', stats.samples);
		d.setAttribute('data-drawn-windows', stats.windows);
		d.setAttribute('data-drawn-assertions', stats.assertions);
		d.setAttribute('data-drawn-injections', stats.injections);
		d.setAttribute('data-drawn-lanes', stats.lanes);
	};

	/* the timeline's steps: inject ▼, clear ▽, other actions as small marks */
	Timeline.prototype.drawSteps = function (l, g) {
		var self = this, cy = l.body + l.h / 2;
		arr(this.sc.timeline).forEach(function (s) {
			var x = self.X(num(s.t, num(s.at, 0)));
			var c = s.fault ? self.color(s.fault) : '#495057';
			var shape;
			if (s.action === 'inject')
				shape = el(g, 'path', { d: 'M' + (x - 5) + ' ' + (cy - 5) + 'h10l-5 9z', fill: c });
			else if (s.action === 'clear')
				shape = el(g, 'path', { d: 'M' + (x - 5) + ' ' + (cy - 5) + 'h10l-5 9z', fill: '#fff', stroke: c, 'stroke-width': 1.5 });
			else if (s.action === 'end')
				shape = el(g, 'rect', { x: x - 1, y: cy - 6, width: 2, height: 12, fill: c });
			else if (s.action === 'signal' || s.action === 'restart')
				shape = el(g, 'path', { d: 'M' + x + ' ' + (cy - 5) + 'l5 5l-5 5l-5 -5z', fill: '#f08c00' });
			else
				shape = el(g, 'rect', { x: x - 4, y: cy - 4, width: 8, height: 8, rx: 1.5, fill: c });
			l.items.push({
				x: x, y: cy, tip: function () {
					var lines = [s.action + (s.fault ? ' ' + s.fault : '') + ' at ' + fmtT(s.t)];
					if (s.detail)
						lines.push(s.detail);
					lines.push({ text: 'scheduled at ' + fmtT(s.at), cls: 'dim' });
					return lines;
				}
			});
			return shape;
		});
	};

	/* the target: one bar per process (starting, then up), exits and restarts marked */
	Timeline.prototype.drawTarget = function (l, g, gt, life) {
		var self = this, X = this.X;
		var top = l.body + 13, bh = 10, cur = null, procs = [];
		var end = (this.view || this.full)[1];
		life.forEach(function (e) {
			if (e.event === 'start') {
				if (cur)
					procs.push(cur);
				cur = { pid: e.pid, start: num(e.t, 0), ready: null, end: null, attempt: num(e.attempt, 0) };
			} else if (e.event === 'ready' && cur && cur.ready === null) {
				cur.ready = num(e.t, 0);
			} else if (e.event === 'exit' && cur) {
				cur.end = num(e.t, 0);
				cur.exit = e;
				procs.push(cur);
				cur = null;
			}
		});
		if (cur)
			procs.push(cur);
		procs.forEach(function (p) {
			var b = p.end === null ? Math.max(end, p.start) : p.end;
			var rdy = p.ready === null ? b : p.ready;
			el(g, 'rect', { class: 'proc-start', x: X(p.start), y: top, width: Math.max(1, X(rdy) - X(p.start)), height: bh });
			if (p.ready !== null)
				el(g, 'rect', { class: 'proc-up', x: X(rdy), y: top, width: Math.max(1, X(b) - X(rdy)), height: bh });
			l.items.push({
				x: X(p.start) + 2, y: top + bh / 2, tip: function () {
					return ['pid ' + p.pid + (p.attempt ? ' (restart #' + p.attempt + ')' : ''),
						'started ' + fmtT(p.start) + (p.ready !== null ? ', ready ' + fmtT(p.ready) + ' (after ' + fmtDur(p.ready - p.start) + ')' : ', never ready'),
						p.end !== null ? 'ended ' + fmtT(p.end) : 'running at the end of the run'];
				}
			});
		});
		var lastLabel = -1e9;
		life.forEach(function (e) {
			var x = X(num(e.t, 0)), cy = top + bh / 2, bad = false, label = null, below = false;
			if (e.event === 'exit') {
				bad = !e.expected;
				label = e.signal ? e.signal : 'exit ' + e.status;
				el(g, 'rect', { x: x - 1.5, y: top - 4, width: 3, height: bh + 8, class: bad ? 'ev-bad' : '', fill: bad ? null : '#868e96' });
				if (!bad)
					label = null;
			} else if (e.event === 'start' && num(e.attempt, 0) > 0) {
				label = 'restart #' + e.attempt;
				below = true;
				el(g, 'path', { d: 'M' + x + ' ' + (top - 3) + 'l4 -4h-8z', fill: '#495057' });
			} else if (e.event === 'ready') {
				el(g, 'rect', { x: x - 1, y: top - 3, width: 2, height: bh + 6, fill: '#2f9e44' });
			} else if (e.event === 'not-ready' || e.event === 'give-up') {
				bad = true;
				label = e.event === 'give-up' ? 'gave up' : 'not ready';
				el(g, 'circle', { cx: x, cy: cy, r: 5, class: 'ev-bad' });
			} else if (e.event === 'signal' || e.event === 'stop') {
				el(g, 'path', { d: 'M' + x + ' ' + (top - 6) + 'l4 4l-4 4l-4 -4z', fill: e.event === 'stop' ? '#868e96' : '#f08c00' });
			}
			if (label) {
				var ly = below ? top + bh + 10 : top - 4;
				if (below || x - lastLabel > 40) {
					/* exits: left of the mark, so a quick restart's label does not cover it */
					el(gt, 'text', { x: below ? x + 4 : x - 4, y: ly, 'text-anchor': below ? 'start' : 'end', class: bad ? 'ev-label-bad' : 'lane-sub' }, label);
					if (!below)
						lastLabel = x;
				}
			}
			l.items.push({
				x: x, y: cy, tip: function () {
					var lines = [e.event + ' at ' + fmtT(e.t)];
					if (e.pid !== undefined)
						lines.push('pid ' + e.pid);
					if (e.event === 'exit')
						lines.push((e.signal ? 'killed by ' + e.signal : 'status ' + e.status) + (e.expected ? ' (expected: faultrun stopped it)' : ' (unexpected)'));
					if (e.event === 'start')
						lines.push(num(e.attempt, 0) ? 'restart #' + e.attempt : 'first start');
					if ((e.event === 'signal' || e.event === 'stop') && e.signal)
						lines.push(e.signal);
					if (e.detail)
						lines.push(e.detail);
					return lines;
				}
			});
		});
	};

	/* a fault's injections over time: armed windows and a histogram of events */
	Timeline.prototype.drawFault = function (l, g, gt) {
		var self = this, f = l.fault, X = this.X, c = this.color(f.name);
		var t0 = (this.view || this.full)[0], t1 = (this.view || this.full)[1];
		arr(f.windows).forEach(function (w) {
			var a = X(num(w.start, t0)), b = X(num(w.end, t1));
			el(g, 'rect', { x: a, y: l.body, width: Math.max(1, b - a), height: l.h, fill: c, 'fill-opacity': 0.13 });
		});
		var evs = arr(this.sc.injections && this.sc.injections.events).filter(function (e) {
			return e.fault === f.name;
		});
		var nb = Math.max(10, Math.floor(this.PW / 4)), bw = (t1 - t0) / nb;
		var bins = {};
		evs.forEach(function (e) {
			var t = num(e.t, NaN);
			if (!(t >= t0 && t <= t1))
				return;
			var i = Math.min(nb - 1, Math.floor((t - t0) / bw));
			(bins[i] = bins[i] || []).push(e);
		});
		var max = 0;
		Object.keys(bins).forEach(function (i) { max = Math.max(max, bins[i].length); });
		var n = 0;
		Object.keys(bins).forEach(function (k) {
			var b = bins[k], i = Number(k), hgt = Math.max(2, b.length / max * (l.h - 3));
			var x = X(t0 + i * bw);
			el(g, 'rect', { x: x + 0.3, y: l.body + l.h - hgt, width: Math.max(1, X(t0 + bw) - X(t0) - 0.6), height: hgt, fill: c });
			n += b.length;
			l.items.push({
				x: x + 2, y: l.body + l.h - hgt / 2, tip: function () {
					var e = b[0], pids = {};
					b.forEach(function (v) { pids[v.pid] = 1; });
					return [b.length + ' injection' + (b.length === 1 ? '' : 's') + ' of ' + f.name,
						fmtT(t0 + i * bw) + ' – ' + fmtT(t0 + (i + 1) * bw),
						e.op + ' → ' + e.action + (e.errno ? ' ' + e.errno : '') + (e.where ? ' ' + e.where : ''),
						{ text: 'pid ' + Object.keys(pids).join(', '), cls: 'dim' }];
				}
			});
		});
		/* injections the ring lost: counted, not recorded; between the first and the first kept */
		var dropped = num(this.sc.injections && this.sc.injections.dropped, 0);
		if (dropped && evs.length && typeof f.first === 'number' && f.first < num(evs[0].t, f.first)) {
			var xa = X(Math.max(t0, f.first)), xb = X(Math.min(t1, num(evs[0].t, f.first)));
			if (xb > xa) {
				el(g, 'rect', { x: xa, y: l.body + l.h - 6, width: xb - xa, height: 6, fill: c, 'fill-opacity': 0.35 });
				var msg = 'earlier injections: counted, not recorded';
				if (xb - xa > msg.length * 5.4 + 8)
					el(gt, 'text', { x: xa + 4, y: l.body + l.h - 9, class: 'lane-sub', 'font-size': '9.5px' }, msg);
				l.items.push({ x: (xa + xb) / 2, y: l.body + l.h - 3, tip: function () {
					return ['injections not recorded', 'the shim\'s ring holds the last ' + arr(self.sc.injections.events).length + ' events; ' + dropped + ' earlier ones (all faults) are only counted'];
				} });
			}
		}
		/* first/last from the counters when the ring lost events */
		[['first', f.first], ['last', f.last]].forEach(function (p) {
			if (typeof p[1] !== 'number')
				return;
			var x = X(p[1]);
			el(g, 'line', { x1: x, x2: x, y1: l.body, y2: l.body + l.h, stroke: c, 'stroke-width': 1, 'stroke-dasharray': '2 2' });
			l.items.push({ x: x, y: l.body + 3, tip: function () { return [p[0] + ' injection of ' + f.name + ' at ' + fmtT(p[1])]; } });
		});
		l.items.push({
			x: this.L + 4, y: l.body + l.h / 2, tip: function () {
				var lines = [f.name, f.spec || '', num(f.injected, 0) + ' injected, ' + num(f.matched, 0) + ' matched' + (num(f.bytes, 0) ? ', ' + f.bytes + ' bytes' : '')];
				if (dropped)
					lines.push({ text: 'the event ring kept the last ' + arr(self.sc.injections.events).length + ' events; ' + dropped + ' earlier ones are only counted', cls: 'dim' });
				return lines;
			}
		});
		return n;
	};

	/* a probe or the load: each sample at its time, latency on a log scale */
	Timeline.prototype.drawProbe = function (l, g, gt, narrow) {
		var p = l.probe, X = this.X, L = this.L, PW = this.PW, lb = l.lb;
		var toY = l.body + 5, plotTop = l.body + 12, plotH = l.h - 12 - (lb ? 22 : 12);
		var stripY = plotTop + plotH + 8;
		var sc = latScale(p, plotTop, plotH);
		var t0 = (this.view || this.full)[0], t1 = (this.view || this.full)[1];
		var paths = { ok: [], err: [], down: [], to: [] }, xm = [], tobar = [];
		var strip = { ok: [], err: [], down: [], to: [] };
		var samples = arr(p.samples), n = 0;
		var gut = function (y, s) { el(gt, 'text', { class: 'gut', x: L - 4, y: y + 3, 'text-anchor': 'end' }, s); };

		/* the latency scale: decades, and the timeout at the top */
		var lastY = -1e9;
		if (p.timeout) {
			el(g, 'line', { class: 'tline', x1: L, x2: L + PW, y1: toY, y2: toY });
			gut(toY, narrow ? 'to' : 'timeout');
			lastY = toY;
		}
		/* decades from the bottom up, labelled while they stay 11 px apart */
		var decs = [];
		for (var d = sc.lo; d <= sc.hi * 1.0001; d *= 10)
			decs.push(d);
		var below = stripY;
		decs.forEach(function (dv) {
			var yy = sc.y(dv);
			el(g, 'line', { class: 'grid', x1: L, x2: L + PW, y1: yy, y2: yy });
			if (below - yy >= 11 && yy - lastY >= 11) {
				gut(yy, fmtTick(dv));
				below = yy;
			}
		});

		var order = samples.map(function (s, i) { return i; });
		order.sort(function (a, b) { return num(samples[a].t, 0) - num(samples[b].t, 0); });
		var prev = null;
		order.forEach(function (idx, k) {
			var s = samples[idx], t = num(s.t, NaN);
			if (!(t >= t0 - 1e-9 && t <= t1 + 1e-9))
				return;
			var o = outcome(s, lb), x = X(t), yv;
			n++;
			if (s.timeout) {
				yv = toY;
				xm.push('M' + r1(x - 3) + ' ' + r1(toY - 3) + 'l6 6m0 -6l-6 6');
				tobar.push('M' + r1(x) + ' ' + r1(toY) + 'H' + r1(X(t + num(s.latency, 0))));
			} else {
				yv = sc.y(num(s.latency, 0));
				paths[o].push('M' + r1(x) + ' ' + r1(yv) + 'h0');
			}
			/* the availability strip: this sample's outcome until the next sample */
			var nx = k + 1 < order.length ? X(num(samples[order[k + 1]].t, t)) : X(t + num(p.interval, 0) || t);
			nx = Math.min(nx, x + Math.max(3, X(t + 2 * num(p.interval, 0.5)) - x));
			if (prev && prev.o === o && Math.abs(prev.x1 - x) < 0.6) {
				prev.x1 = nx;
			} else {
				prev = { o: o, x0: x, x1: nx };
				strip[o].push(prev);
			}
			l.items.push({ x: x, y: yv, s: s, tip: sampleTip(p, s, lb) });
		});
		Object.keys(paths).forEach(function (o) {
			if (paths[o].length)
				el(g, 'path', { class: 'dot s-' + o, d: paths[o].join('') });
			if (strip[o].length)
				el(g, 'path', {
					class: 'strip s-' + o, d: strip[o].map(function (sg) {
						return 'M' + r1(sg.x0) + ' ' + stripY + 'H' + r1(Math.max(sg.x1, sg.x0 + 1));
					}).join('')
				});
		});
		if (tobar.length)
			el(g, 'path', { class: 'tobar', d: tobar.join('') });
		if (xm.length)
			el(g, 'path', { class: 'xmark', d: xm.join('') });
		gut(stripY, 'ok');
		if (!samples.length)
			el(gt, 'text', { class: 'lane-sub', x: L + PW / 2, y: plotTop + plotH / 2 + 4, 'text-anchor': 'middle' },
			   'no samples');

		/* the load balancer's view: in or out of rotation */
		if (lb) {
			/* drawn over the time the load balancer watched: first check to last answer */
			var ry = stripY + 10, state = lb.initial !== 'out';
			var from = Infinity, to = -Infinity, segs = [];
			samples.forEach(function (sm) {
				from = Math.min(from, num(sm.t, Infinity));
				to = Math.max(to, num(sm.t, -Infinity) + num(sm.latency, 0));
			});
			var at = from;
			arr(lb.transitions).forEach(function (tr) {
				segs.push([at, num(tr.t, at), state]);
				at = num(tr.t, at);
				state = !!tr['in'];
			});
			segs.push([at, Math.max(to, at), state]);
			segs.forEach(function (sg) {
				sg[0] = Math.max(sg[0], t0);
				sg[1] = Math.min(sg[1], t1);
				if (!(sg[1] > sg[0]))
					return;
				el(g, 'line', { class: sg[2] ? 'rot-in' : 'rot-out', x1: X(sg[0]), x2: X(sg[1]), y1: ry, y2: ry, 'stroke-width': 6 });
			});
			arr(lb.transitions).forEach(function (tr) {
				var x = X(num(tr.t, 0));
				el(gt, 'text', { x: x + 3, y: ry + 3.5, class: tr['in'] ? 'lane-sub' : 'ev-label-bad', 'font-size': '9.5px' }, tr['in'] ? 'in' : 'out');
				l.items.push({
					x: x, y: ry, tip: function () {
						return [(tr['in'] ? 'back in rotation' : 'taken out of rotation') + ' at ' + fmtT(tr.t),
							{ text: 'in after ' + lb.healthy_threshold + ' passed checks, out after ' + lb.unhealthy_threshold + ' failed', cls: 'dim' }];
					}
				});
			});
			gut(ry, 'LB');
		}
		return n;
	};

	function sampleTip(p, s, lb) {
		return function () {
			var o = outcome(s, lb);
			var lines = [p.name + ' at ' + fmtT(s.t)];
			lines.push(s.detail || OUTCOME[o]);
			if (s.timeout)
				lines.push('timed out after ' + fmtDur(num(s.latency, p.timeout)));
			else
				lines.push('latency ' + fmtDur(num(s.latency, 0)) + ' · ' + (lb ? (s.check ? 'check passed' : 'check failed: ' + OUTCOME[o]) : OUTCOME[o]));
			if (lb)
				lines.push(s['in'] ? 'in rotation' : 'out of rotation');
			if (s.status !== null && s.status !== undefined && String(s.detail).indexOf(String(s.status)) < 0)
				lines.push('status ' + s.status);
			lines.push({ text: 'answered by ' + fmtT(num(s.t, 0) + num(s.latency, 0)), cls: 'dim' });
			return lines;
		};
	}

	/* each assertion with a window: a bar over the window, green held, red failed */
	Timeline.prototype.drawAsserts = function (l, g, gt, idx) {
		var self = this, X = this.X, L = this.L, PW = this.PW, n = 0;
		var t0 = (this.view || this.full)[0], t1 = (this.view || this.full)[1];
		this.assertY = {};
		idx.forEach(function (ai, row) {
			var a = self.sc.assertions[ai], y = l.body + row * 15 + 1, first = null;
			self.assertY[ai] = y;
			arr(a.window.intervals).forEach(function (iv) {
				var s = Math.max(t0, num(iv[0], t0)), e = Math.min(t1, num(iv[1], t1));
				if (e < s)
					return;
				var xa = X(s), xb = Math.max(X(e), xa + 2);
				el(g, 'rect', { class: a.ok ? 'a-bar-ok' : 'a-bar-fail', x: xa, y: y, width: xb - xa, height: 12, rx: 2 });
				if (first === null)
					first = xa;
				l.items.push({ x: (xa + xb) / 2, y: y + 6, a: ai, tip: assertTip(a) });
				l.items.push({ x: xa + 3, y: y + 6, a: ai, tip: assertTip(a) });
			});
			if (first === null)
				return;
			var tx = Math.min(Math.max(L + 2, first + 4), L + PW - 60);
			var text = (a.ok ? '✓ ' : '✗ ') + a.label + ': ' + a.measured + ' (' + a.bound + ')';
			fit(el(gt, 'text', { x: tx, y: y + 9.5, class: a.ok ? '' : 'a-text-fail', 'font-size': '10px' }, text),
			    L + PW - tx - 2);
			n++;
		});
		return n;
	};

	function assertTip(a) {
		return function () {
			return [(a.ok ? '✓ held: ' : '✗ failed: ') + a.label, 'measured ' + a.measured + ', bound ' + a.bound,
				{ text: (a.window ? a.window.label + ': ' + arr(a.window.intervals).map(function (iv) { return fmtT(iv[0]) + '–' + fmtT(iv[1]); }).join(', ') : 'whole run') + (a.line ? ' · line ' + a.line : ''), cls: 'dim' }];
		};
	}

	/* outline the window (and lane) assertion i judged; -1 clears */
	Timeline.prototype.highlight = function (i) {
		var self = this;
		Array.prototype.forEach.call(this.rows, function (tr) {
			tr.classList.toggle('hl', Number(tr.getAttribute('data-a')) === i);
		});
		if (!this.gHl)
			return;
		while (this.gHl.firstChild)
			this.gHl.removeChild(this.gHl.firstChild);
		var a = arr(this.sc.assertions)[i];
		if (!a)
			return;
		var lanes = this.lanes.filter(function (l) {
			if (a.probe && l.kind === 'probe')
				return l.probe.name === a.probe;
			if (!a.probe && a.fault && l.kind === 'fault' && !a.window)
				return l.fault.name === a.fault;
			if ((a.kind === 'restarts' || a.kind === 'exits') && l.kind === 'target')
				return true;
			return false;
		});
		var t0 = (this.view || this.full)[0], t1 = (this.view || this.full)[1];
		var ivs = a.window ? arr(a.window.intervals) : [[t0, t1]];
		var boxes = lanes.map(function (l) { return [l.y, l.body + l.h + 3]; });
		if (this.assertY && this.assertY[i] !== undefined)
			boxes.push([this.assertY[i] - 2, this.assertY[i] + 14]);
		if (!boxes.length)
			boxes.push([0, this.H - 18]);
		ivs.forEach(function (iv) {
			var s = Math.max(t0, num(iv[0], t0)), e = Math.min(t1, num(iv[1], t1));
			if (e < s)
				return;
			var xa = self.X(s), xb = Math.max(self.X(e), xa + 3);
			boxes.forEach(function (b) {
				el(self.gHl, 'rect', { class: 'hl-box', x: xa - 1, y: b[0], width: xb - xa + 2, height: b[1] - b[0], rx: 3 });
			});
		});
	};

	/* find the item nearest to a point, within r pixels */
	Timeline.prototype.hit = function (px, py, r) {
		var best = null, bd = r * r;
		this.lanes.forEach(function (l) {
			if (py < l.y - r || py > l.body + l.h + r)
				return;
			var it = l.items, lo = 0, hi = it.length;
			while (lo < hi) {
				var mid = (lo + hi) >> 1;
				if (it[mid].x < px - r)
					lo = mid + 1;
				else
					hi = mid;
			}
			for (var k = lo; k < it.length && it[k].x <= px + r; k++) {
				var dx = it[k].x - px, dy = (it[k].y - py) * 0.6, dd = dx * dx + dy * dy;
				if (dd <= bd) {
					bd = dd;
					best = it[k];
				}
			}
		});
		return best;
	};

	Timeline.prototype.wirePointer = function () {
		var self = this, svg = this.svg, drag = null;
		function local(ev) {
			var r = svg.getBoundingClientRect();
			var k = self.width / (r.width || self.width);
			return [(ev.clientX - r.left) * k, (ev.clientY - r.top) * k];
		}
		function hover(ev, r) {
			var p = local(ev), it = self.hit(p[0], p[1], r);
			if (it) {
				showTip(it.tip(), ev.clientX, ev.clientY);
				if (it.a !== undefined)
					self.highlight(it.a);
			} else {
				hideTip();
				self.highlight(self.pinned);
			}
			return it;
		}
		svg.addEventListener('pointermove', function (ev) {
			if (drag) {
				var p = local(ev);
				drag.x1 = Math.max(self.L, Math.min(self.L + self.PW, p[0]));
				while (self.gSel.firstChild)
					self.gSel.removeChild(self.gSel.firstChild);
				el(self.gSel, 'rect', { class: 'sel', x: Math.min(drag.x0, drag.x1), y: 0, width: Math.abs(drag.x1 - drag.x0), height: self.H - 18 });
				hideTip();
				return;
			}
			if (ev.pointerType === 'mouse' || ev.pointerType === 'pen')
				hover(ev, 8);
		});
		svg.addEventListener('pointerleave', function () {
			if (!drag) {
				hideTip();
				self.highlight(self.pinned);
			}
		});
		svg.addEventListener('pointerdown', function (ev) {
			if (ev.pointerType === 'touch') {
				/* tap: show the nearest item's details, with a larger reach */
				if (!hover(ev, 18))
					hideTip();
				return;
			}
			if (ev.button !== 0)
				return;
			var p = local(ev);
			if (p[0] < self.L || p[0] > self.L + self.PW)
				return;
			drag = { x0: p[0], x1: p[0] };
			try { svg.setPointerCapture(ev.pointerId); } catch (e) { /* not supported */ }
		});
		svg.addEventListener('pointerup', function () {
			if (!drag)
				return;
			var d = drag;
			drag = null;
			while (self.gSel.firstChild)
				self.gSel.removeChild(self.gSel.firstChild);
			if (Math.abs(d.x1 - d.x0) < 6)
				return;
			var a = self.T(Math.min(d.x0, d.x1)), b = self.T(Math.max(d.x0, d.x1));
			if (b - a < 0.001)
				return;
			self.view = [a, b];
			hideTip();
			self.draw();
		});
		svg.addEventListener('dblclick', function () {
			if (self.view) {
				self.view = null;
				self.draw();
			}
		});
	};

	/* ---- the page ---- */

	var journals = {};
	var timelines = [];

	function render() {
		Array.prototype.forEach.call(document.querySelectorAll('script.fr-journal'), function (s) {
			try {
				journals[s.getAttribute('data-journal')] = JSON.parse(s.textContent);
			} catch (e) {
				report('journal ' + s.getAttribute('data-journal') + ' is not valid JSON: ' + e.message);
			}
		});
		Array.prototype.forEach.call(document.querySelectorAll('.tl[data-journal]'), function (div) {
			var j = journals[div.getAttribute('data-journal')];
			var sc = j && arr(j.scenarios)[Number(div.getAttribute('data-scenario'))];
			if (!sc) {
				report('no scenario for timeline ' + div.getAttribute('data-journal') + '/' + div.getAttribute('data-scenario'));
				return;
			}
			try {
				var t = new Timeline(div, sc);
				t.draw();
				timelines.push(t);
			} catch (e) {
				report('drawing ' + (sc.name || '?') + ': ' + (e && e.stack ? e.stack : e));
			}
		});
		var pending = null;
		window.addEventListener('resize', function () {
			clearTimeout(pending);
			pending = setTimeout(function () {
				timelines.forEach(function (t) {
					if (Math.floor(t.div.clientWidth) !== t.width)
						t.draw();
				});
			}, 120);
		});
		document.addEventListener('pointerdown', function (ev) {
			if (!ev.target.closest || !ev.target.closest('.tl svg'))
				hideTip();
		});
		window.addEventListener('beforeprint', function () {
			hideTip();
			Array.prototype.forEach.call(document.querySelectorAll('details'), function (d) {
				d.open = true;
			});
		});
		if (!failed)
			root.setAttribute('data-render', 'done');
		if (location.hash === '#selftest')
			selftest();
	}

	/*
	 * page.html#selftest: drive the page like a person would (hover a
	 * sample, an assertion row and its bar, drag to zoom, double-click back)
	 * and write what went wrong to <html data-selftest>: "ok" or the
	 * problems. The tests open pages this way in a headless browser.
	 */
	function selftest() {
		var bad = [];
		function pointer(t, type, x, y) {
			var r = t.svg.getBoundingClientRect(), k = r.width / t.width;
			t.svg.dispatchEvent(new PointerEvent(type, {
				clientX: r.left + x * k, clientY: r.top + y * k, pointerType: 'mouse',
				button: 0, buttons: type === 'pointerup' ? 0 : 1, pointerId: 1, bubbles: true
			}));
		}
		timelines.forEach(function (t) {
			var name = t.sc.name;
			var lane = t.lanes.filter(function (l) { return l.kind === 'probe' && l.items.length; })[0];
			if (lane) {
				var it = lane.items[Math.floor(lane.items.length / 2)];
				pointer(t, 'pointermove', it.x, it.y);
				if (tip.hidden || tip.textContent.indexOf(lane.probe.name + ' at ') !== 0)
					bad.push(name + ': hovering a sample of ' + lane.probe.name + ' shows "' + tip.textContent + '"');
				pointer(t, 'pointermove', -100, -100);
				if (!tip.hidden)
					bad.push(name + ': the tooltip stays after the pointer moved away');
			}
			Array.prototype.forEach.call(t.rows, function (tr) {
				var i = Number(tr.getAttribute('data-a'));
				tr.dispatchEvent(new MouseEvent('mouseenter'));
				if (!tr.classList.contains('hl') || !t.gHl.firstChild)
					bad.push(name + ': assertion ' + i + ' highlights nothing');
				tr.dispatchEvent(new MouseEvent('mouseleave'));
				if (tr.classList.contains('hl') || t.gHl.firstChild)
					bad.push(name + ': assertion ' + i + ' stays highlighted');
				var al = t.lanes.filter(function (l) { return l.kind === 'asserts'; })[0];
				var bar = al && al.items.filter(function (x) { return x.a === i; })[0];
				if (bar) {
					pointer(t, 'pointermove', bar.x, bar.y);
					if (!tr.classList.contains('hl'))
						bad.push(name + ': hovering the window of assertion ' + i + ' does not mark its row');
					pointer(t, 'pointermove', -100, -100);
				}
			});
			var before = Number(t.div.getAttribute('data-drawn-samples'));
			var y = t.H / 2;
			pointer(t, 'pointerdown', t.L + t.PW * 0.5, y);
			pointer(t, 'pointermove', t.L + t.PW * 0.75, y);
			pointer(t, 'pointerup', t.L + t.PW * 0.75, y);
			if (!t.view)
				bad.push(name + ': dragging does not zoom');
			else if (before > 8 && !(Number(t.div.getAttribute('data-drawn-samples')) < before))
				bad.push(name + ': zoomed in, still ' + t.div.getAttribute('data-drawn-samples') + ' samples drawn');
			t.svg.dispatchEvent(new MouseEvent('dblclick', { bubbles: true }));
			if (t.view || Number(t.div.getAttribute('data-drawn-samples')) !== before)
				bad.push(name + ': double-click does not show the whole run again');
		});
		hideTip();
		if (root.scrollWidth > window.innerWidth + 1)
			bad.push('the page is ' + root.scrollWidth + ' px wide in a ' + window.innerWidth + ' px window');
		root.setAttribute('data-selftest', bad.length ? bad.join('; ') : 'ok');
	}

	try {
		render();
	} catch (e) {
		report(e && e.stack ? e.stack : String(e));
	}
})();
