/*
 * SVG helpers, scales and the tooltip.
 * A part of the report's script (see report_html_base.js).
 */
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
		arr(sc.services).forEach(function (sv) {
			arr(sv && sv.lifecycle).forEach(function (e) { see(e.t); });
		});
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

