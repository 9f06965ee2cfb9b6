/*
 * Assertion windows, highlighting and pointer interaction.
 * A part of the report's script (see report_html_base.js).
 */
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
		/* exits and restarts of a service: its label is "service NAME ..." */
		var unit = typeof a.service === 'string' ? a.service :
			   (/^service (\S+) /.exec(String(a.label)) || [])[1];
		var lanes = this.lanes.filter(function (l) {
			if (a.probe && l.kind === 'probe')
				return l.probe.name === a.probe;
			if (!a.probe && a.fault && l.kind === 'fault' && !a.window)
				return l.fault.name === a.fault;
			if (a.kind === 'restarts' || a.kind === 'exits')
				return unit ? l.kind === 'service' && l.name === unit : l.kind === 'target';
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

