#!/bin/sh
# faultrun report in a real browser: headless Chromium opens the pages drawn
# from the passing, the failing, a multi-scenario journal and one with
# services (a crash, an HAProxy's backends going out of rotation), at desktop
# and phone width. The page must render without a script error, draw every
# sample, fault window and assertion window, pass its own interaction
# self-test (page.html#selftest: hover, highlight, zoom), fit a phone's
# width, print to PDF, and screenshot as a non-blank picture holding the
# outcome colours.
#
# env: FAULTRUN, FIXTURES (tests/e2e/fixtures), REPORT_OUT (optional: where
# to leave pages and screenshots), CHROMIUM (optional: the browser).
# Exits 77 (skip) only when no Chromium is installed (Debian: apt-get install chromium).
set -eu

: "${FAULTRUN:?set FAULTRUN to the faultrun binary}"
: "${FIXTURES:?set FIXTURES to tests/e2e/fixtures}"
browser=${CHROMIUM:-}
if [ -z "$browser" ]; then
	for b in chromium chromium-browser; do
		if command -v "$b" >/dev/null 2>&1; then
			browser=$(command -v "$b")
			break
		fi
	done
fi
if [ -z "$browser" ]; then
	echo "SKIP: chromium is not installed (Debian: apt-get install chromium)"
	exit 77
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out=${REPORT_OUT:-$work}
mkdir -p "$out"

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# chrome SIZE ARGS...: one headless run with a fresh profile, no network
chrome() {
	size=$1
	shift
	prof=$(mktemp -d)
	timeout 90 "$browser" --headless --no-sandbox --disable-gpu --disable-quic \
		--no-first-run --disable-background-networking --disable-component-update \
		--disable-sync --disable-extensions --hide-scrollbars --mute-audio \
		--user-data-dir="$prof" --window-size="$size" --virtual-time-budget=10000 \
		"$@" 2>> "$work/chromium.log"
	st=$?
	rm -rf "$prof"
	return $st
}

"$FAULTRUN" report -q "$FIXTURES/journal-pass.json" --html "$out/report-passing.html"
"$FAULTRUN" report -q "$FIXTURES/journal-fail.json" --html "$out/report-failing.html"
"$FAULTRUN" report -q "$FIXTURES/journal-multi.json" "$FIXTURES/journal-fail.json" \
	--html "$out/report-multi.html"
"$FAULTRUN" report -q "$FIXTURES/journal-services.json" --html "$out/report-services.html"

for pg in passing failing multi services; do
	for size in 1280,1000 390,844; do
		tag=$pg-${size%%,*}
		chrome "$size" --dump-dom "file://$out/report-$pg.html#selftest" > "$work/$tag.dom" ||
			fail "chromium could not open report-$pg.html (see below)
$(tail -20 "$work/chromium.log")"
		chrome "$size" --screenshot="$out/report-$tag.png" "file://$out/report-$pg.html" > /dev/null ||
			fail "chromium could not screenshot report-$pg.html"
	done
	chrome 1280,1000 --no-pdf-header-footer --print-to-pdf="$work/$pg.pdf" \
		"file://$out/report-$pg.html" > /dev/null || fail "chromium could not print report-$pg.html"
done

lib=$(dirname "$0")/test-report-lib.py
P=$FIXTURES/journal-pass.json
F=$FIXTURES/journal-fail.json
M=$FIXTURES/journal-multi.json
S=$FIXTURES/journal-services.json
for w in 1280 390; do
	python3 "$lib" dom "$work/passing-$w.dom" "$P" || fail "report-passing.html at $w px"
	python3 "$lib" dom "$work/failing-$w.dom" "$F" || fail "report-failing.html at $w px"
	python3 "$lib" dom "$work/multi-$w.dom" "$M" "$F" || fail "report-multi.html at $w px"
	python3 "$lib" dom "$work/services-$w.dom" "$S" || fail "report-services.html at $w px"
	# HAProxy's view, as the journal says: target out 4.1-10.2 s, app2 out 6.3-7.4 s,
	# both unknown while the stats socket was lost (12-13 s), app2 in MAINT after
	python3 "$lib" span "$work/services-$w.dom" lb target DOWN 4.1 10.2 &&
		python3 "$lib" span "$work/services-$w.dom" lb app2 DOWN 6.3 7.4 &&
		python3 "$lib" span "$work/services-$w.dom" lb target LOST 12 13 &&
		python3 "$lib" span "$work/services-$w.dom" lb app2 MAINT 13 15.03 ||
		fail "report-services.html at $w px: the load balancer's backends"
done
# screenshots: real pictures; the failing run's holds every outcome colour, the
# passing run's no red (the multi page opens on a summary and a run that never
# started: no samples in view)
python3 "$lib" png "$out/report-passing-1280.png" 1280 ok,nodown || fail "screenshot"
python3 "$lib" png "$out/report-passing-390.png" 390 ok || fail "screenshot"
python3 "$lib" png "$out/report-failing-1280.png" 1280 ok,err,down,to || fail "screenshot"
python3 "$lib" png "$out/report-failing-390.png" 390 ok || fail "screenshot"
python3 "$lib" png "$out/report-multi-1280.png" 1280 || fail "screenshot"
python3 "$lib" png "$out/report-multi-390.png" 390 || fail "screenshot"
python3 "$lib" png "$out/report-services-1280.png" 1280 ok,down || fail "screenshot"
python3 "$lib" png "$out/report-services-390.png" 390 ok || fail "screenshot"
for pg in passing failing multi services; do
	python3 "$lib" pdf "$work/$pg.pdf" || fail "printing report-$pg.html"
done
echo "ok: 4 pages rendered, self-tested, screenshot and printed; see $out"