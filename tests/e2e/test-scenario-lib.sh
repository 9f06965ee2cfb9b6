# Helpers shared by tests/e2e/test-scenario-*.sh (sourced, not run): the
# incident library (scenarios/*.yml) run through faultrun against the real
# targets, once per variant.
#
# Environment (set by tests/meson.build): FAULTRUN (the built faultrun),
# SCENARIOS (the source tree's scenarios/), FAULTRUN_TARGETS (the built
# targets), FAULTRUN_SHIM (the built shim).
#
# Output is TAP-like; the script's exit status is the verdict (77: skipped).
# Each run gets its own XDG_RUNTIME_DIR under $WORK, so the run directory,
# and with it every process a run starts (targets, their children, the
# embedded mariadbd), carries $WORK in its command line or environment:
# that is how the tests see that nothing is left running.

set -u
fails=0
WORK=$(mktemp -d "${TMPDIR:-/tmp}/faultrun-scn.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

exec 3>&1
note() { printf '# %s\n' "$*" >&3; }
ok() { printf 'ok - %s\n' "$*" >&3; }
fail() { printf 'not ok - %s\n' "$*" >&3; fails=$((fails + 1)); }
check() { # check "what" command...
	local what=$1
	shift
	if "$@"; then ok "$what"; else fail "$what"; fi
}

finish() {
	if [ "$fails" -gt 0 ]; then
		note "$fails check(s) failed"
		exit 1
	fi
	exit 0
}

[ -x "${FAULTRUN:-}" ] || { echo "FAULTRUN not set"; exit 99; }
[ -d "${SCENARIOS:-}" ] || { echo "SCENARIOS not set"; exit 99; }
[ -d "${FAULTRUN_TARGETS:-}" ] || { echo "FAULTRUN_TARGETS not set"; exit 99; }
export FAULTRUN_TARGETS
command -v python3 >/dev/null || { echo "no python3: skipped"; exit 77; }

need_mariadb() {
	[ -x /usr/sbin/mariadbd ] || command -v mariadbd >/dev/null || {
		echo "no mariadbd (apt-get install mariadb-server): skipped"
		exit 77
	}
}

# Processes (not zombies) whose command line or environment holds $1. One
# python3 reads /proc (the marker goes in on stdin, so it is not in its own
# command line or environment).
procs_marked() {
	printf '%s' "$1" | python3 -c '
import os, sys
mark = sys.stdin.buffer.read()
for p in os.listdir("/proc"):
    if not p.isdigit() or int(p) == os.getpid():
        continue
    try:
        if open("/proc/%s/stat" % p, "rb").read().rsplit(b")", 1)[1].split()[0] == b"Z":
            continue
        if any(mark in open("/proc/%s/%s" % (p, f), "rb").read()
               for f in ("cmdline", "environ")):
            print(p)
    except OSError:
        pass
'
}

# nothing_left MARKER: no process carries the marker (a short grace for
# the kernel to finish killing what teardown killed).
nothing_left() {
	local i left
	for i in $(seq 1 40); do
		left=$(procs_marked "$1")
		[ -z "$left" ] && return 0
		sleep 0.1
	done
	note "still running: $(for p in $left; do { tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null; echo; done)"
	return 1
}

# run_scenario TAG FILE [ARGS...]: run faultrun on the scenario with a
# private runtime dir; stdout in $WORK/TAG.out, stderr in $WORK/TAG.err,
# JUnit in $WORK/TAG.xml; the exit status in $status, the wall time (ms) in
# $took, and in $seen how many processes carried the marker while it ran
# (so that "nothing left running" is known to look at the right processes).
run_scenario() {
	local tag=$1 file=$2 t0 pid n
	shift 2
	mkdir -m 700 -p "$WORK/$tag.rt"
	t0=$(date +%s%N)
	XDG_RUNTIME_DIR="$WORK/$tag.rt" "$FAULTRUN" "$SCENARIOS/$file" \
		--junit "$WORK/$tag.xml" "$@" >"$WORK/$tag.out" 2>"$WORK/$tag.err" &
	pid=$!
	seen=0
	while kill -0 "$pid" 2>/dev/null; do
		n=$(procs_marked "$WORK/$tag.rt" | wc -l)
		[ "$n" -gt "$seen" ] && seen=$n
		sleep 1
	done
	wait "$pid"
	status=$?
	took=$(( ($(date +%s%N) - t0) / 1000000 ))
	note "$tag: exit $status in ${took} ms; faultrun said:"
	sed 's/^/#   /' "$WORK/$tag.out" >&3
	if [ "$status" -ge 2 ]; then
		note "$tag: stderr:"
		tail -n 30 "$WORK/$tag.err" | sed 's/^/#   /' >&3
	fi
}

# expect_exit TAG WANT
expect_exit() {
	if [ "$status" = "$2" ]; then
		ok "$1: exit $status"
	else
		fail "$1: exit $status, expected $2"
	fi
}

# table_line TAG VERDICT LABEL: the result table has "  VERDICT  LABEL  ..."
table_line() {
	grep -qE "^  $2 +$(printf '%s' "$3" | sed 's/[][\.*^$(){}+?|/]/\\&/g')  " \
		"$WORK/$1.out"
}

# junit TAG MODE LABEL [REGEX]: in the JUnit file, the testcase whose name
# is LABEL (the bound is in its message and properties) has a <failure> (MODE=fail)
# whose message matches REGEX (it names the measured value and the bound),
# or has none (MODE=pass).
junit() {
	python3 - "$WORK/$1.xml" "$2" "$3" "${4:-}" <<'PY'
import re, sys, xml.dom.minidom as m
path, mode, label, rx = sys.argv[1:5]
doc = m.parse(path)
cases = [c for c in doc.getElementsByTagName("testcase")
         if c.getAttribute("name") == label]
if len(cases) != 1:
    print("# %d testcases named %r in %s: %s" % (len(cases), label, path,
          [c.getAttribute("name") for c in doc.getElementsByTagName("testcase")]))
    sys.exit(1)
f = cases[0].getElementsByTagName("failure")
if mode == "pass":
    sys.exit(0 if not f else 1)
if not f:
    print("# testcase %r has no failure" % label)
    sys.exit(1)
msg = f[0].getAttribute("message")
if rx and not re.search(rx, msg):
    print("# failure message %r does not match %r" % (msg, rx))
    sys.exit(1)
sys.exit(0)
PY
}

# junit_counts TAG TESTS FAILURES: the <testsuite> totals
junit_counts() {
	python3 - "$WORK/$1.xml" "$2" "$3" <<'PY'
import sys, xml.dom.minidom as m
s = m.parse(sys.argv[1]).getElementsByTagName("testsuite")[0]
got = (s.getAttribute("tests"), s.getAttribute("failures"))
if got != (sys.argv[2], sys.argv[3]):
    print("# tests/failures %s, expected %s" % (got, tuple(sys.argv[2:4])))
    sys.exit(1)
PY
}

# scenario_ran TAG: the run finished its timeline (not a setup failure)
scenario_ran() {
	grep -qE '^[a-z-]+: (PASS|FAIL) ' "$WORK/$1.out"
}

# ran_marked TAG MIN: at least MIN processes carried the run's marker
ran_marked() {
	if [ "$seen" -ge "$2" ]; then
		ok "$1: $seen processes of the run seen while it ran"
	else
		fail "$1: only $seen processes of the run seen while it ran (want >= $2)"
	fi
}

# passes TAG NASSERT: exit 0, every assertion ok, nothing left running
passes() {
	expect_exit "$1" 0
	check "$1: PASS line" grep -qE "^[a-z-]+: PASS \($2 assertions held\)" "$WORK/$1.out"
	check "$1: JUnit: $2 testcases, 0 failures" junit_counts "$1" "$2" 0
	check "$1: nothing left running" nothing_left "$WORK/$1.rt"
}

# fails_on TAG NASSERT: exit 1 and a FAIL line; then the caller checks which
fails_on() {
	expect_exit "$1" 1
	check "$1: FAIL line" grep -qE "^[a-z-]+: FAIL \([0-9]+ of $2 assertions failed\)" "$WORK/$1.out"
	check "$1: nothing left running" nothing_left "$WORK/$1.rt"
}

# not_in FILE STRING: $WORK/FILE does not hold the string
not_in() { ! grep -qF -- "$2" "$WORK/$1"; }
