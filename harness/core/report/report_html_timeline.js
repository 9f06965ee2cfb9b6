/*
 * One scenario's timeline: its layout and drawing.
 * A part of the report's script (see report_html_base.js).
 */
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
		var stats = { samples: 0, windows: 0, assertions: 0, lanes: 0, injections: 0, services: 0, backends: 0 };

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
		lane('target', 'target', unitCounts(sc.target || {}), 36, { name: 'target' });
		/* the services, in the order they started; each like the target, plus its backends */
		servicesInOrder(sc).forEach(function (sv) {
			var be = lbBackends(sv);
			lane('service', 'service · ' + sv.name + ' (' + (sv.type || 'process') + ')', unitCounts(sv) +
			     (sv.shim === false ? ' · not under the shim' : ''),
			     36 + (be.length ? be.length * LB_ROW + 4 : 0), { svc: sv, name: String(sv.name), backends: be });
		});
		arr(sc.faults).forEach(function (f) {
			if (!arr(f.windows).length && !num(f.injected, 0))
				return;
			var sub = num(f.injected, 0) + ' injected of ' + num(f.matched, 0) + ' matched';
			if (arr(f.windows).length && !num(f.injected, 0))
				sub += f.may_not_fire ? ' (allowed not to fire)' : ' — never fired';
			/* taller with a rate: the sample's ticks above the bars */
			lane('fault', 'faults · ' + f.name, sub + ' · ' + (f.spec || ''), f.rate ? 32 : 24, { fault: f, name: f.name });
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
			lane('probe', p.name, sub, h + (isLb ? 10 : 0), { probe: p, lb: isLb ? p.lb : null, name: p.name });
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

		/* each lane's drawing in a group of its own, named for the tests and tools */
		lanes.forEach(function (l) {
			var tag = { 'data-lane': l.kind, 'data-name': l.name };
			l.gp = el(gPlot, 'g', tag);
			l.gt = el(gText, 'g', tag);
		});

		/* lane titles */
		lanes.forEach(function (l) {
			var t = el(l.gt, 'text', { x: L, y: l.y + 11 });
			var ts = el(t, 'tspan', { class: 'lane-title' }, clip(l.title, 60));
			fit(ts, PW * 0.6);
			var tw = ts.getComputedTextLength ? ts.getComputedTextLength() : l.title.length * 6.5;
			if (l.sub && PW - tw > 80)
				fit(el(t, 'tspan', { class: 'lane-sub', dx: 8 }, l.sub), PW - tw - 10);
			stats.lanes++;
		});

		lanes.forEach(function (l) {
			if (l.kind === 'steps')
				self.drawSteps(l, l.gp);
			else if (l.kind === 'target')
				self.drawTarget(l, l.gp, l.gt, life);
			else if (l.kind === 'service') {
				stats.services++;
				stats.backends += self.drawService(l, l.gp, l.gt, narrow);
			}
			else if (l.kind === 'fault')
				stats.injections += self.drawFault(l, l.gp, l.gt);
			else if (l.kind === 'probe')
				stats.samples += self.drawProbe(l, l.gp, l.gt, narrow);
			else if (l.kind === 'asserts')
				stats.assertions += self.drawAsserts(l, l.gp, l.gt, winAsserts);
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
		d.setAttribute('data-drawn-services', stats.services);
		d.setAttribute('data-drawn-backends', stats.backends);
	};

