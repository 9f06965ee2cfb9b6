#!/bin/sh
# faultrun report: the HTML page drawn from recorded journals holds what was
# measured (verdict, assertions with measured values and bounds, fault
# windows, samples, the target's and services' lifecycles), embeds the journals intact and safely, needs
# no network, and bad input gets one clear line and exit 2.
#
# env: FAULTRUN (the binary), FIXTURES (tests/e2e/fixtures), REPORT_OUT
# (optional: where to leave the pages for a person to look at).
set -eu

: "${FAULTRUN:?set FAULTRUN to the faultrun binary}"
: "${FIXTURES:?set FIXTURES to tests/e2e/fixtures}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out=${REPORT_OUT:-$work}
mkdir -p "$out"

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

pass=$FIXTURES/journal-pass.json
failj=$FIXTURES/journal-fail.json
multi=$FIXTURES/journal-multi.json
svcs=$FIXTURES/journal-services.json

# --- pages from the passing, the failing, and several journals ---
"$FAULTRUN" report -q "$pass" --html "$out/report-passing.html" || fail "report of a passing run"
"$FAULTRUN" report -q "$failj" --html "$out/report-failing.html" || fail "report of a failing run"
"$FAULTRUN" report -q --html "$out/report-multi.html" "$multi" "$pass" || fail "report of two journals"
"$FAULTRUN" report -q "$failj" --html "$work/again.html"
cmp -s "$out/report-failing.html" "$work/again.html" || fail "the same journal gives a different page"
"$FAULTRUN" report -q "$svcs" --html "$out/report-services.html" || fail "report of a run with services"
"$FAULTRUN" report -q "$failj" --html - > "$work/stdout.html"
cmp -s "$out/report-failing.html" "$work/stdout.html" || fail "--html - differs from the file"
"$FAULTRUN" report -q - --html "$work/stdin.html" < "$failj"
sed 's/journal-fail\.json/stdin/' "$out/report-failing.html" | cmp -s - "$work/stdin.html" ||
	fail "a journal read from stdin differs"

lib=$(dirname "$0")/test-report-lib.py
python3 "$lib" page "$out/report-passing.html" "$pass" || fail "report-passing.html"
python3 "$lib" page "$out/report-failing.html" "$failj" || fail "report-failing.html"
python3 "$lib" page "$out/report-multi.html" "$multi" "$pass" || fail "report-multi.html"
python3 "$lib" page "$out/report-services.html" "$svcs" || fail "report-services.html"

# the failing run's page says what failed, in words a person reads
python3 - "$out/report-failing.html" <<'EOF' || fail "report-failing.html"
import html, re, sys
text = ' '.join(html.unescape(re.sub(r'<[^>]+>', ' ', open(sys.argv[1], encoding='utf-8').read())).split())
missing = [w for w in (
    'FAIL disk-full', '✗ failed home recovers within 2s after log-full is cleared 3.39s <= 2s',
    'log-full write errno=ENOSPC', '2.00–8.00 s', '1873', 'exit 4243 status 1 (unexpected)',
    'restart #1', 'behind a load balancer', 'out at 4.00 s', '1617 earlier ones were not recorded')
    if w not in text]
if missing:
    sys.exit('FAIL: not in the page: %s' % missing)
EOF
# the services' sections: in start order, a crash, HAProxy's view of its backends
python3 - "$out/report-services.html" <<'EOF' || fail "report-services.html"
import html, re, sys
text = ' '.join(html.unescape(re.sub(r'<[^>]+>', ' ', open(sys.argv[1], encoding='utf-8').read())).split())
order = [text.find('Service %s' % n) for n in ('db process', 'app2 process', 'lb haproxy')]
if -1 in order or order != sorted(order):
    sys.exit('FAIL: the services are not shown in start order: %s' % order)
missing = [w for w in (
    '6.00 s exit 5002 status 1 (unexpected)', 'restart #1', 'backends target , app2',
    'target: UP → DOWN (out of rotation): Layer7 wrong status (L7STS/500)',
    'lb-lost stats socket did not answer', "last 4 lines of app2 's output",
    'RuntimeError: <b>pool</b> exhausted & gone')
    if w not in text]
if missing:
    sys.exit('FAIL: not in the page: %s' % missing)
EOF
# hostile strings in a journal are shown as text, never as markup
n=$(grep -o '&lt;/script&gt;&lt;script&gt;alert(&quot;x&quot;)' "$out/report-multi.html" | wc -l)
[ "$n" -ge 5 ] || fail "report-multi.html: the hostile strings are not shown escaped ($n)"
echo "ok: page content checked"

# --- the inline renderer parses as JavaScript (node, when installed; the browser test runs it) ---
if command -v node >/dev/null 2>&1; then
	python3 -c 'import re, sys; print(re.findall(r"<script>\n(.*?)</script>", open(sys.argv[1], encoding="utf-8").read(), re.S)[-1])' \
		"$out/report-failing.html" > "$work/page.js"
	[ -s "$work/page.js" ] || fail "no inline script found"
	node --check "$work/page.js" || fail "the page's script does not parse"
	echo "ok: the page's script parses"
fi

# --- bad input: one line naming the file (and line:column), exit 2, nothing written ---
expect_err() {
	want_re=$1
	shift
	if "$FAULTRUN" report "$@" 2> "$work/err"; then
		fail "report $* succeeded"
	else
		st=$?
	fi
	[ "$st" -eq 2 ] || fail "report $*: exit $st, want 2"
	grep -Eq "$want_re" "$work/err" || fail "report $*: message '$(cat "$work/err")' does not match '$want_re'"
}
printf '{"format": "faultrun-journal",\n "version": 1\n "scenarios": []}\n' > "$work/bad.json"
printf '{"format": "faultrun-journal", "version": 2, "scenarios": []}\n' > "$work/v2.json"
printf '{"scenarios": []}\n' > "$work/other.json"
printf '[1, 2' > "$work/cut.json"
expect_err "^faultrun: $work/bad.json:3:2: expected ',' or '}'\$" "$work/bad.json" --html "$work/x.html"
expect_err "^faultrun: $work/cut.json:1:1: unterminated array" "$work/cut.json" --html "$work/x.html"
expect_err "journal version 2 is not supported" "$work/v2.json" --html "$work/x.html"
expect_err "not a faultrun journal" "$work/other.json" --html "$work/x.html"
expect_err "^faultrun: $work/missing.json: No such file or directory\$" "$work/missing.json" --html "$work/x.html"
expect_err "no output given" "$pass"
expect_err "no journal given" --html "$work/x.html"
expect_err "unknown option '--htlm'" "$pass" --htlm "$work/x.html"
expect_err "'--html' needs a file name" "$pass" --html
# a bad journal among good ones: nothing is written
expect_err "bad.json:3:2" "$pass" "$work/bad.json" --html "$work/x.html"
[ ! -e "$work/x.html" ] || fail "a page was written although a journal was bad"
# an output that cannot be written: a directory; no temporary file is left
mkdir "$work/dir.html"
expect_err "dir.html: Is a directory" "$pass" --html "$work/dir.html"
[ -z "$(ls "$work" | grep '\.tmp')" ] || fail "a temporary file was left behind"
echo "ok: bad input refused"
