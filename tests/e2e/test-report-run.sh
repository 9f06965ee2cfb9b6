#!/bin/sh
# faultrun FILE --html: pages from real runs. A short disk-full scenario
# (fixtures/report-disk-full.yml) runs against the PM2-like supervisor of
# scenarios/targets, once fixed (passes) and once buggy (fails). Each page
# must hold what its run measured (test-report-lib.py page), `faultrun
# report` must draw both runs on one page, --html alone must leave no
# temporary journal behind, and, when Chromium is installed, the failing
# run's page must render and self-test without error.
#
# env: FAULTRUN, FAULTRUN_SHIM, TARGETS_DIR, FIXTURES, REPORT_OUT (optional),
# CHROMIUM (optional). Exits 77 when the targets were not built
# (-Dexamples=false).
set -eu

: "${FAULTRUN:?set FAULTRUN to the faultrun binary}"
: "${FIXTURES:?set FIXTURES to tests/e2e/fixtures}"
: "${TARGETS_DIR:?set TARGETS_DIR to the built scenarios/targets}"
export TARGETS_DIR
if [ ! -x "$TARGETS_DIR/supervised-log" ]; then
	echo "SKIP: the incident targets were not built (-Dexamples=false)"
	exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out=${REPORT_OUT:-$work}
mkdir -p "$out" "$work/tmp"
lib=$(dirname "$0")/test-report-lib.py
scn=$FIXTURES/report-disk-full.yml

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# the fixed variant, --html alone: the journal never touches the disk
st=0
TMPDIR=$work/tmp "$FAULTRUN" -q "$scn" --set variant=fixed --html "$out/run-passing.html" \
	> "$work/fixed.out" 2>&1 || st=$?
[ "$st" -eq 0 ] || fail "the fixed variant exited $st, want 0: $(cat "$work/fixed.out")"
[ -z "$(ls -A "$work/tmp")" ] || fail "left in TMPDIR: $(ls -A "$work/tmp")"
! grep -q '<dt>journal</dt>' "$out/run-passing.html" || fail "the page names a journal file that does not exist"
# the page's own embedded journal is what its tables must agree with
python3 -c '
import re, sys, json
src = open(sys.argv[1], encoding="utf-8").read()
raw = re.search(r"<script type=\"application/json\"[^>]*>(.*?)</script>", src, re.S).group(1)
json.dump(json.loads(raw), open(sys.argv[2], "w"))' "$out/run-passing.html" "$work/fixed.json"
python3 "$lib" page "$out/run-passing.html" "$work/fixed.json" || fail "run-passing.html"

# the buggy variant, with --json too
st=0
"$FAULTRUN" -q "$scn" --set variant=buggy --json "$work/buggy.json" --html "$out/run-failing.html" \
	> "$work/buggy.out" 2>&1 || st=$?
[ "$st" -eq 1 ] || fail "the buggy variant exited $st, want 1: $(cat "$work/buggy.out")"
python3 "$lib" page "$out/run-failing.html" "$work/buggy.json" || fail "run-failing.html"
grep -q '<dt>journal</dt><dd><code>buggy.json</code>' "$out/run-failing.html" ||
	fail "the page does not name its journal"

# what the runs measured, as the pages must show it
python3 - "$work/fixed.json" "$work/buggy.json" <<'EOF' || fail "the runs did not go as the scenario says"
import json, sys
fixed, buggy = (json.load(open(p))['scenarios'][0] for p in sys.argv[1:3])
assert fixed['verdict'] == 'pass' and buggy['verdict'] == 'fail', (fixed['verdict'], buggy['verdict'])
for sc in (fixed, buggy):
    lf = [f for f in sc['faults'] if f['name'] == 'log-full'][0]
    assert len(lf['windows']) == 1 and abs(lf['windows'][0]['start'] - 1.5) < 0.1, lf['windows']
    assert lf['injected'] > 0, lf
    assert any(p['name'] == 'lb' and p['lb'] for p in sc['probes'])
    assert sum(len(p['samples']) for p in sc['probes']) > 100
assert any(a['ok'] is False and a['kind'] == 'availability' for a in buggy['assertions'])
EOF

# both runs again from their journals, on one page
"$FAULTRUN" report -q "$work/fixed.json" "$work/buggy.json" --html "$out/run-both.html" ||
	fail "faultrun report of two real journals"
python3 "$lib" page "$out/run-both.html" "$work/fixed.json" "$work/buggy.json" || fail "run-both.html"
echo "ok: pages of real runs hold what was measured"

browser=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [ -z "$browser" ]; then
	echo "chromium is not installed: the rendering of real runs is not checked"
	exit 0
fi
for pg in failing both; do
	prof=$(mktemp -d)
	timeout 90 "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--disable-extensions --hide-scrollbars --user-data-dir="$prof" --window-size=1280,1000 \
		--virtual-time-budget=10000 --dump-dom "file://$out/run-$pg.html#selftest" \
		> "$work/$pg.dom" 2> "$work/chromium.log" || fail "chromium: $(tail -5 "$work/chromium.log")"
	rm -rf "$prof"
done
python3 "$lib" dom "$work/failing.dom" "$work/buggy.json" || fail "run-failing.html in chromium"
python3 "$lib" dom "$work/both.dom" "$work/fixed.json" "$work/buggy.json" || fail "run-both.html in chromium"
echo "ok: pages of real runs render in chromium"
