/*
 * faultrun report: draws each scenario's timeline as SVG from the run
 * journal embedded in the page (docs/journal.md, docs/report.md).
 *
 * Plain ES2017, no library, no network. When every timeline is drawn it
 * sets <html data-render="done">; on any error it sets "error" and shows
 * the message in #fr-errors, so a headless browser can check the page.
 *
 * The script is report_html_*.js: report_html_embed.py joins them in the
 * order meson.build lists them, inside one strict-mode function, so they
 * share its variables; this first one holds what every other one uses.
 */

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

