/*
 * The timeline's lanes: steps, target, faults, probes (services: report_html_services.js).
 * A part of the report's script (see report_html_base.js).
 */
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
			} else if (e.event === 'daemon' && cur) {
				cur.pid = e.pid; /* the daemon's main process, no longer its launcher */
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
				el(g, 'rect', { x: x - 1.5, y: top - 4, width: 3, height: bh + 8, class: bad ? 'ev-bad' : 'ev-exit', 'data-event': 'exit', 'data-t': e.t });
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
			} else if (e.event === 'shim-limit') {
				/* the shim went past one of its limits: a fault may have missed calls */
				bad = true;
				label = 'shim limit';
				el(g, 'path', { d: 'M' + x + ' ' + (top - 6) + 'l5 9h-10z', class: 'ev-bad', 'data-event': 'shim-limit', 'data-t': e.t });
			} else if (e.event === 'ctl-external') {
				/* faultrun ctl changed the block, not the timeline: a violet flag */
				label = 'ctl: ' + (e.rule || '?') + ' ' + (e.change || '');
				below = true;
				el(g, 'path', { d: 'M' + x + ' ' + (top - 4) + 'v' + (bh + 8) + 'M' + x + ' ' + (top - 4) + 'h7l-2 3l2 3h-7', stroke: '#7048e8', fill: '#7048e8', 'data-event': 'ctl-external', 'data-rule': e.rule || '', 'data-t': e.t });
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
					if (e.event === 'ctl-external')
						return ['faultrun ctl at ' + fmtT(e.t) + ': ' + (e.rule || '?') + ' ' + (e.change || ''),
							'not by the timeline: its windows do not include this'];
					if (e.detail)
						lines.push(e.detail);
					return lines;
				}
			});
		});
	};

	/* injections per second, short: 65k/s, 1.2M/s */
	function fmtRate(v) {
		if (v >= 1e6)
			return (v / 1e6).toFixed(v >= 1e7 ? 0 : 1) + 'M/s';
		if (v >= 1e3)
			return (v / 1e3).toFixed(v >= 1e4 ? 0 : 1) + 'k/s';
		return (v >= 10 ? Math.round(v) : Math.round(v * 10) / 10) + '/s';
	}

	/* a journal's rate of a fault ({start, width, counts}), or null (older journals, exec) */
	function faultRate(f) {
		var r = f.rate;
		if (!r || !(num(r.width, 0) > 0) || !arr(r.counts).length)
			return null;
		return { start: num(r.start, 0), width: r.width, counts: arr(r.counts) };
	}

	/*
	 * The rate from the fault's exact counters: one bar per bucket, as high as its
	 * injections per second (one path, so a fault that fires all the time is a band)
	 */
	Timeline.prototype.drawRate = function (l, g, gt, f, rate, top) {
		var X = this.X, c = this.color(f.name);
		var t0 = (this.view || this.full)[0], t1 = (this.view || this.full)[1];
		var max = 0, d = [], h = l.body + l.h - top;
		rate.counts.forEach(function (n, i) {
			var a = rate.start + i * rate.width;
			if (num(n, 0) > 0 && a + rate.width >= t0 && a <= t1)
				max = Math.max(max, n);
		});
		if (!max)
			return;
		rate.counts.forEach(function (n, i) {
			var a = rate.start + i * rate.width, b = a + rate.width;
			n = num(n, 0);
			if (!(n > 0) || b < t0 || a > t1)
				return;
			var xa = X(Math.max(a, t0)), xb = X(Math.min(b, t1)), hgt = Math.max(1.5, n / max * (h - 1));
			d.push('M' + r1(xa) + ' ' + r1(l.body + l.h) + 'V' + r1(l.body + l.h - hgt) + 'H' + r1(Math.max(xb, xa + 0.8)) + 'V' + r1(l.body + l.h) + 'z');
			l.items.push({
				x: (xa + xb) / 2, y: l.body + l.h - hgt / 2, tip: function () {
					return [n + ' injection' + (n === 1 ? '' : 's') + ' of ' + f.name + ' (' + fmtRate(n / rate.width) + ')',
						fmtT(a) + ' – ' + fmtT(b),
						{ text: 'from the shim\'s counters: exact', cls: 'dim' }];
				}
			});
		});
		el(g, 'path', { class: 'rate', d: d.join(''), fill: c, 'fill-opacity': 0.75, 'data-rate-max': max });
		el(gt, 'text', { x: this.L + this.PW - 4, y: top + 8, 'text-anchor': 'end', class: 'lane-sub', 'font-size': '9.5px' },
		   'peak ' + fmtRate(max / rate.width));
	};

	/*
	 * The journal's injection events (all of them, or a sample) binned by pixel: a
	 * histogram over the lane, or ticks along its top when the rate is drawn below.
	 */
	Timeline.prototype.drawEvents = function (l, g, f, evs, top, h) {
		var X = this.X, c = this.color(f.name);
		var t0 = (this.view || this.full)[0], t1 = (this.view || this.full)[1];
		var nb = Math.max(10, Math.floor(this.PW / 4)), bw = (t1 - t0) / nb;
		var bins = {}, max = 0, n = 0;
		evs.forEach(function (e) {
			var t = num(e.t, NaN);
			if (!(t >= t0 && t <= t1))
				return;
			var i = Math.min(nb - 1, Math.floor((t - t0) / bw));
			(bins[i] = bins[i] || []).push(e);
		});
		Object.keys(bins).forEach(function (i) { max = Math.max(max, bins[i].length); });
		Object.keys(bins).forEach(function (k) {
			var b = bins[k], i = Number(k), hgt = Math.max(2, b.length / max * h);
			var x = X(t0 + i * bw);
			el(g, 'rect', { x: x + 0.3, y: top + h - hgt, width: Math.max(1, X(t0 + bw) - X(t0) - 0.6), height: hgt, fill: c });
			n += b.length;
			l.items.push({
				x: x + 2, y: top + h - hgt / 2, tip: function () {
					var e = b[0], pids = {};
					b.forEach(function (v) { pids[v.pid] = 1; });
					return [b.length + ' injection event' + (b.length === 1 ? '' : 's') + ' of ' + f.name + (l.sampled ? ' in the sample' : ''),
						fmtT(t0 + i * bw) + ' – ' + fmtT(t0 + (i + 1) * bw),
						e.op + ' → ' + e.action + (e.errno ? ' ' + e.errno : '') + (e.where ? ' ' + e.where : ''),
						{ text: 'pid ' + Object.keys(pids).join(', '), cls: 'dim' }];
				}
			});
		});
		return n;
	};

	/*
	 * A fault's injections over time: armed windows; the rate from its counters
	 * with the journal's sample of events as ticks above it, or (a journal without
	 * a rate) a histogram of its events
	 */
	Timeline.prototype.drawFault = function (l, g, gt) {
		var f = l.fault, X = this.X, c = this.color(f.name);
		var t0 = (this.view || this.full)[0], t1 = (this.view || this.full)[1];
		var inj = this.sc.injections || {}, rate = faultRate(f), n;
		arr(f.windows).forEach(function (w) {
			var a = X(num(w.start, t0)), b = X(num(w.end, t1));
			el(g, 'rect', { x: a, y: l.body, width: Math.max(1, b - a), height: l.h, fill: c, 'fill-opacity': 0.13 });
		});
		var evs = arr(inj.events).filter(function (e) {
			return e.fault === f.name;
		});
		var dropped = num(inj.dropped, 0);
		l.sampled = !!rate;
		if (rate) {
			n = this.drawEvents(l, g, f, evs, l.body + 1, 4);
			this.drawRate(l, g, gt, f, rate, l.body + 7);
		} else {
			n = this.drawEvents(l, g, f, evs, l.body, l.h - 3);
		}
		/* an older journal: injections the ring lost are counted, not recorded */
		if (!rate && dropped && evs.length && typeof f.first === 'number' && f.first < num(evs[0].t, f.first)) {
			var xa = X(Math.max(t0, f.first)), xb = X(Math.min(t1, num(evs[0].t, f.first)));
			if (xb > xa) {
				el(g, 'rect', { x: xa, y: l.body + l.h - 6, width: xb - xa, height: 6, fill: c, 'fill-opacity': 0.35 });
				var msg = 'earlier injections: counted, not recorded';
				if (xb - xa > msg.length * 5.4 + 8)
					el(gt, 'text', { x: xa + 4, y: l.body + l.h - 9, class: 'lane-sub', 'font-size': '9.5px' }, msg);
				l.items.push({ x: (xa + xb) / 2, y: l.body + l.h - 3, tip: function () {
					return ['injections not recorded', 'the shim\'s ring holds the last ' + arr(inj.events).length + ' events; ' + dropped + ' earlier ones (all faults) are only counted'];
				} });
			}
		}
		/* first/last from the counters */
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
				if (rate)
					lines.push({ text: 'bars: injections per ' + fmtDur(rate.width) + ' from the counters; ticks: the ' + evs.length + ' events of the journal\'s sample', cls: 'dim' });
				else if (dropped)
					lines.push({ text: 'the event ring kept the last ' + arr(inj.events).length + ' events; ' + dropped + ' earlier ones are only counted', cls: 'dim' });
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

