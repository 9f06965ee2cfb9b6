/*
 * The services' lanes: each service drawn like the target, and for a load
 * balancer (type haproxy) one row per backend with its state over time as
 * HAProxy saw it. A part of the report's script (see report_html_base.js).
 */
	var LB_ROW = 16; /* px per backend row */

	/* "2 starts, 1 restart, 1 unexpected exit": the target's and a service's counts */
	function unitCounts(u) {
		return num(u.starts, 0) + ' start' + (u.starts === 1 ? '' : 's') +
			', ' + num(u.restarts, 0) + ' restart' + (u.restarts === 1 ? '' : 's') +
			', ' + num(u.exits, 0) + ' unexpected exit' + (u.exits === 1 ? '' : 's');
	}

	/* the services in the order they started (their first event); never started: last */
	function servicesInOrder(sc) {
		var list = arr(sc.services).filter(function (sv) {
			return sv && typeof sv === 'object';
		}).map(function (sv, i) {
			var first = arr(sv.lifecycle)[0];
			return { sv: sv, i: i, t: num(first && first.t, Infinity) };
		});
		list.sort(function (a, b) {
			return a.t === b.t ? a.i - b.i : (a.t < b.t ? -1 : 1);
		});
		return list.map(function (o) { return o.sv; });
	}

	/* a load balancer's backends: those it lists, then any other its events name */
	function lbBackends(sv) {
		var names = [];
		function add(n) {
			if (typeof n === 'string' && names.indexOf(n) < 0)
				names.push(n);
		}
		arr(sv.backends).forEach(add);
		arr(sv.lifecycle).forEach(function (e) {
			if (e.event === 'lb')
				add(e.server);
		});
		return names;
	}

	/*
	 * In rotation or not, from HAProxy's server state: UP (also "UP 1/3",
	 * going down but still serving) and NOCHECK (checks disabled: HAProxy
	 * sends it traffic) are in; DOWN, MAINT, DRAIN, NOLB are out; UNKNOWN
	 * and a lost stats socket are unknown.
	 */
	function lbClass(state) {
		var s = String(state);
		if (s === 'LOST' || s === 'UNKNOWN')
			return 'unknown';
		return /^UP\b/.test(s) || s === 'NOCHECK' ? 'in' : 'out';
	}

	/*
	 * Each backend's state over time from a load balancer's lifecycle: spans
	 * (segs) from one lb event to the next change of that backend, an lb-lost
	 * (every backend unknown), or the balancer's exit. Before a backend's first
	 * event it was in that event's "before" state since haproxy started.
	 */
	function lbStates(life, be, rows, end) {
		var segs = [], marks = [], lost = [];
		function close(r, t) {
			if (r.state !== null && t > r.since)
				segs.push({ r: r, a: r.since, b: t, state: r.state, detail: r.detail });
			r.state = null;
		}
		/* when haproxy last started: where the state a first event had "before" began */
		var up = null;
		life.forEach(function (e) {
			var t = num(e.t, 0), r = rows[e.server];
			if (e.event === 'start' || e.event === 'ready') {
				up = t;
			} else if (e.event === 'lb' && r) {
				if (r.state === null && typeof e.before === 'string' && up !== null) {
					r.state = e.before;
					r.since = up;
					r.detail = null;
				}
				close(r, t);
				r.state = typeof e.state === 'string' ? e.state : 'UNKNOWN';
				r.since = t;
				r.detail = e.detail;
				marks.push({ r: r, t: t, e: e });
			} else if (e.event === 'lb-lost') {
				be.forEach(function (n) {
					close(rows[n], t);
					rows[n].state = 'LOST';
					rows[n].since = t;
					rows[n].detail = e.detail;
				});
				lost.push(e);
			} else if (e.event === 'exit') {
				/* haproxy is gone: nobody balances, its lane's bar says so */
				be.forEach(function (n) { close(rows[n], t); });
				up = null;
			}
		});
		be.forEach(function (n) { close(rows[n], end); });
		return { segs: segs, marks: marks, lost: lost };
	}

	/* a service: its processes like the target's, then its backends' rows */
	Timeline.prototype.drawService = function (l, g, gt, narrow) {
		var sv = l.svc, life = arr(sv.lifecycle), be = l.backends, X = this.X, L = this.L;
		var t0 = (this.view || this.full)[0], t1 = (this.view || this.full)[1];
		this.drawTarget(l, g, gt, life);
		if (!be.length)
			return 0;
		var rowTop = l.body + 38, rows = {};
		el(g, 'line', { class: 'sep', x1: L, x2: L + this.PW, y1: rowTop - 2, y2: rowTop - 2 });
		be.forEach(function (name, k) {
			rows[name] = { name: name, cy: rowTop + k * LB_ROW + 8, state: null, since: 0, detail: null, label: -1e9 };
		});
		var st = lbStates(life, be, rows, Math.max(this.full[1], t1));
		var segs = st.segs, marks = st.marks, lost = st.lost;

		segs.forEach(function (sg) {
			var a = Math.max(sg.a, t0), b = Math.min(sg.b, t1), c = lbClass(sg.state);
			if (!(b > a))
				return;
			el(g, 'line', {
				class: 'rot-' + c, x1: X(a), x2: X(b), y1: sg.r.cy, y2: sg.r.cy, 'stroke-width': 6,
				'data-backend': sg.r.name, 'data-state': sg.state, 'data-t0': sg.a, 'data-t1': sg.b
			});
			l.items.push({
				x: (X(a) + X(b)) / 2, y: sg.r.cy, tip: function () {
					var lines = [sg.r.name + ': ' + (sg.state === 'LOST' ? 'unknown' : sg.state) + ' ' +
						     fmtT(sg.a) + ' – ' + fmtT(sg.b) + ' (' + fmtDur(sg.b - sg.a) + ')'];
					if (sg.detail)
						lines.push(sg.detail);
					lines.push({ text: c === 'in' ? 'in rotation' : c === 'out' ? 'out of rotation' :
						     'HAProxy\'s stats did not answer', cls: 'dim' });
					return lines;
				}
			});
		});
		/* transitions and losses, labelled left to right while the labels do not overlap */
		var labels = [], first = rows[be[0]];
		marks.forEach(function (m) {
			var x = X(m.t), c = lbClass(m.e.state), st = String(m.e.state);
			if (m.t < t0 || m.t > t1)
				return;
			el(g, 'line', { x1: x, x2: x, y1: m.r.cy - 5, y2: m.r.cy + 5, stroke: c === 'out' ? 'var(--down)' : '#495057', 'stroke-width': 1.5 });
			labels.push({ r: m.r, x: x + 3, text: st, cls: c === 'out' ? 'ev-label-bad' : 'lane-sub', t: m.t });
			l.items.push({
				x: x, y: m.r.cy, lb: m.e, tip: function () {
					var lines = [m.r.name + ': ' + (typeof m.e.before === 'string' ? m.e.before : '?') + ' → ' + st + ' at ' + fmtT(m.t)];
					if (m.e.detail)
						lines.push(m.e.detail);
					lines.push({ text: (c === 'in' ? 'in rotation' : c === 'out' ? 'out of rotation' : 'state unknown') +
						     ', as ' + (sv.name || 'the load balancer') + ' saw it', cls: 'dim' });
					return lines;
				}
			});
		});
		lost.forEach(function (e) {
			var t = num(e.t, 0), x = X(t);
			if (t < t0 || t > t1)
				return;
			el(g, 'line', { x1: x, x2: x, y1: rowTop, y2: rowTop + be.length * LB_ROW, stroke: '#868e96', 'stroke-width': 1.5, 'stroke-dasharray': '2 2' });
			labels.push({ r: first, x: x + 3, text: 'lost', cls: 'lane-sub', t: t });
			l.items.push({
				x: x, y: first.cy, lb: e, tip: function () {
					return ['stats lost at ' + fmtT(e.t), e.detail || '',
						{ text: 'every backend\'s state is unknown until HAProxy answers again', cls: 'dim' }];
				}
			});
		});
		labels.sort(function (a, b) { return a.x - b.x; });
		labels.forEach(function (lb) {
			if (lb.x < lb.r.label)
				return;
			var t = el(gt, 'text', { x: lb.x, y: lb.r.cy + 3.5, class: lb.cls, 'font-size': '9.5px', 'data-backend': lb.r.name, 'data-t': lb.t }, lb.text);
			lb.r.label = lb.x + (t.getComputedTextLength ? t.getComputedTextLength() : lb.text.length * 7) + 4;
		});
		/* the backends' names in the gutter; in full on hover */
		be.forEach(function (n) {
			var r = rows[n];
			fit(el(gt, 'text', { class: 'gut', x: L - 4, y: r.cy + 3, 'text-anchor': 'end' }, n), L - (narrow ? 4 : 8));
			l.items.push({
				x: L - 14, y: r.cy, tip: function () {
					return ['backend ' + n, { text: 'green: in rotation, red: out, grey: unknown (as HAProxy saw it)', cls: 'dim' }];
				}
			});
		});
		return be.length;
	};
