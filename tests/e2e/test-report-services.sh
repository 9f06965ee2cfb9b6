#!/bin/sh
# faultrun FILE --html with services: a real run with two python3
# http.server services beside the target (cache depends on api, so api
# starts first although the file names cache first); the timeline kills
# cache with SIGKILL. The page must show both services in start order with
# their lifecycle and output (test-report-lib.py page), and, when Chromium is
# installed, draw a lane per service titled with its name and type, with
# cache's unexpected exit in the bad colour (test-report-lib.py dom).
#
# env: FAULTRUN, FAULTRUN_SHIM, REPORT_OUT (optional), CHROMIUM (optional).
set -eu

: "${FAULTRUN:?set FAULTRUN to the faultrun binary}"
command -v python3 >/dev/null 2>&1 || { echo "SKIP: no python3"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out=${REPORT_OUT:-$work}
mkdir -p "$out" "$work/www"
lib=$(dirname "$0")/test-report-lib.py
echo hello > "$work/www/f.txt"

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

serve() { # the command of a python3 http.server on port placeholder $1
	echo "[python3, -m, http.server, --bind, 127.0.0.1, \"\${port.$1}\", --directory, $work/www]"
}
cat > "$work/svc.yml" <<YML
name: report-services
description: two services beside the target; the timeline kills one
services:
  cache:
    type: process
    depends-on: api
    command: $(serve cache)
    ready: {http: "http://127.0.0.1:\${port.cache}/", deadline: 10s}
  api:
    type: process
    command: $(serve api)
    ready: {http: "http://127.0.0.1:\${port.api}/", deadline: 10s}
target:
  command: $(serve t)
  ready: {http: "http://127.0.0.1:\${port.t}/", deadline: 10s}
probes:
  home: {http: "http://127.0.0.1:\${port.t}/f.txt", interval: 100ms}
timeline:
  - {at: 500ms, signal: {signal: KILL, service: cache}}
duration: 1500ms
expect:
  - exits: {service: cache, min: 1}
  - exits: {service: api, max: 0}
  - exits: 0
YML

st=0
timeout 90 "$FAULTRUN" -q "$work/svc.yml" --json "$work/svc.json" --html "$out/run-services.html" \
	> "$work/out" 2>&1 || st=$?
[ "$st" -eq 0 ] || fail "the run exited $st, want 0: $(cat "$work/out")"
# the run went as the scenario says, so the page has something to show
python3 - "$work/svc.json" <<'EOF' || fail "the run did not go as the scenario says"
import json, sys
sc = json.load(open(sys.argv[1]))['scenarios'][0]
sv = dict((s['name'], s) for s in sc['services'])
assert sv['api']['lifecycle'][0]['t'] < sv['cache']['lifecycle'][0]['t'], 'api did not start first'
assert [e for e in sv['cache']['lifecycle'] if e['event'] == 'exit' and e['signal'] == 'SIGKILL'
        and not e['expected']], sv['cache']['lifecycle']
assert [e for e in sv['api']['lifecycle'] if e['event'] == 'exit' and e['expected']], sv['api']['lifecycle']
EOF
python3 "$lib" page "$out/run-services.html" "$work/svc.json" || fail "run-services.html"
echo "ok: the page of a run with services holds what it measured"

browser=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [ -z "$browser" ]; then
	echo "chromium is not installed: the services' lanes are not checked"
	exit 0
fi
for w in 1280 390; do
	prof=$(mktemp -d)
	timeout 90 "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--disable-extensions --hide-scrollbars --user-data-dir="$prof" --window-size=$w,1000 \
		--virtual-time-budget=10000 --dump-dom "file://$out/run-services.html#selftest" \
		> "$work/$w.dom" 2> "$work/chromium.log" || fail "chromium: $(tail -5 "$work/chromium.log")"
	rm -rf "$prof"
	python3 "$lib" dom "$work/$w.dom" "$work/svc.json" || fail "run-services.html in chromium at $w px"
done
echo "ok: the services' lanes are drawn"
