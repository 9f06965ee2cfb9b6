/*
 * The page: find the journals, draw every timeline, self-test.
 * A part of the report's script (see report_html_base.js).
 */
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
			/* a load balancer's backend transition shows HAProxy's reason */
			t.lanes.forEach(function (l) {
				var it = l.kind === 'service' && l.items.filter(function (x) { return x.lb && x.lb.detail; })[0];
				if (!it)
					return;
				pointer(t, 'pointermove', it.x, it.y);
				if (tip.hidden || tip.textContent.indexOf(it.lb.detail) < 0)
					bad.push(name + ': hovering ' + l.name + '\'s ' + it.lb.event + ' at ' + fmtT(it.lb.t) + ' shows "' + tip.textContent + '"');
				pointer(t, 'pointermove', -100, -100);
			});
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
