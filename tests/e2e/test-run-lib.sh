# Helpers shared by tests/e2e/test-run*.sh (sourced, not run).
# Environment: FAULTRUN (the built faultrun), TARGETS (tests/e2e/targets).
# Output is TAP-like; the script's exit status is the verdict. Waits have
# deadlines; nothing sleeps a fixed time to let something happen.

set -u
fails=0
WORK=$(mktemp -d "${TMPDIR:-/tmp}/faultrun-e2e.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# results go to fd 3 (the test's stdout), whatever a command's redirections
exec 3>&1
note() { printf '# %s\n' "$*" >&3; }
ok() { printf 'ok - %s\n' "$*" >&3; }
fail() { printf 'not ok - %s\n' "$*" >&3; fails=$((fails + 1)); }
check() { # check "what" command...
	local what=$1
	shift
	if "$@"; then ok "$what"; else fail "$what"; fi
}
not() { ! "$@"; }

# expect_status WANT "what" command...: run, compare the exit status
expect_status() {
	local want=$1 what=$2 got
	shift 2
	"$@"
	got=$?
	if [ "$got" = "$want" ]; then
		ok "$what (exit $got)"
	else
		fail "$what: exit $got, expected $want"
		# what faultrun said, for the log
		[ -f "$WORK/out" ] && sed 's/^/#   /' "$WORK/out" >&3
		[ -f "$WORK/err" ] && tail -20 "$WORK/err" | sed 's/^/#   /' >&3
	fi
}

# contains FILE STRING: the file holds the string (fixed, not a pattern)
contains() { grep -qF -- "$2" "$1"; }

# json FILE PYTHON-EXPR: a Python expression over the journal `j` is true
json() {
	python3 - "$1" "$2" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
s = j["scenarios"][0] if j.get("scenarios") else None
ok = eval(sys.argv[2])
if not ok:
    print("# json check failed: " + sys.argv[2], file=sys.stderr)
sys.exit(0 if ok else 1)
PY
}

# xml FILE: well-formed XML
xml_ok() {
	python3 -c 'import sys, xml.dom.minidom as m; m.parse(sys.argv[1])' "$1"
}

# Processes (not zombies) whose environment names the given string.
procs_with_env() {
	local p
	for p in /proc/[0-9]*; do
		[ -r "$p/environ" ] || continue
		grep -q '^State:.*Z' "$p/status" 2>/dev/null && continue
		if { tr '\0' '\n' <"$p/environ"; } 2>/dev/null | grep -qF -- "$1"; then
			echo "${p#/proc/}"
		fi
	done
}

# Processes (not zombies) whose command line contains the string.
procs_with_cmd() {
	local p
	for p in /proc/[0-9]*; do
		[ "${p#/proc/}" = "$$" ] && continue
		grep -q '^State:.*Z' "$p/status" 2>/dev/null && continue
		if { tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null | grep -qF -- "$1"; then
			echo "${p#/proc/}"
		fi
	done
}

# wait_for SECONDS command...: until the command succeeds
wait_for() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -ge "$end" ] && return 1
		sleep 0.05
	done
}

finish() {
	if [ "$fails" -gt 0 ]; then
		note "$fails check(s) failed"
		exit 1
	fi
	exit 0
}

LOGSRV="$TARGETS/logsrv.py"
CYCLESRV="$TARGETS/cyclesrv.py"
[ -x "$FAULTRUN" ] || { echo "FAULTRUN not set"; exit 99; }
command -v python3 >/dev/null || { echo "no python3: skipped"; exit 77; }

# bad "what" "expected message" YAML: `faultrun check` of the scenario
# YAML exits 2 with the message (file:line:col) on stderr
bad() { # bad "what" "expected message" yaml...
	local what=$1 msg=$2
	printf '%s\n' "$3" >"$WORK/bad.yml"
	"$FAULTRUN" check "$WORK/bad.yml" >"$WORK/out" 2>"$WORK/err"
	local st=$?
	if [ "$st" = 2 ] && grep -qF -- "$msg" "$WORK/err"; then ok "$what"; else
		fail "$what (exit $st)"; sed 's/^/#   /' "$WORK/err" >&3; fi
}
