# Helpers for tests/reliability/*.sh (sourced, not run). TAP-style lines;
# every check can fail. Needs FAULTRUN (the built faultrun) and
# FAULTRUN_SHIM (the built libfaultshim.so) from tests/meson.build.

set -u
fails=0
checks=0
: "${FAULTRUN:?FAULTRUN must name the built faultrun}"
: "${FAULTRUN_SHIM:?FAULTRUN_SHIM must name the built libfaultshim.so}"
export FAULTRUN FAULTRUN_SHIM
W=$(mktemp -d "${TMPDIR:-/tmp}/faultrun-rel-XXXXXX")
chmod 755 "$W"
cleanups=()
on_exit() {
	local c
	for c in "${cleanups[@]}"; do eval "$c"; done
	[ -n "${KEEP_W:-}" ] || rm -rf "$W"
}
trap on_exit EXIT

# The environment that loads the shim by hand (env "${shim_env[@]}" CMD):
# a sanitizer build of it needs its runtime first, and the program is not
# ours to check for leaks (as fr_launch_setenv arranges for faultrun).
shim_env=(LD_PRELOAD="$FAULTRUN_SHIM")
rt=$(ldd "$FAULTRUN_SHIM" 2>/dev/null | awk '/lib(a|t)san\.so/ { print $3; exit }')
if [ -n "$rt" ]; then
	shim_env=(LD_PRELOAD="$rt:$FAULTRUN_SHIM"
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0")
fi

note() { printf '# %s\n' "$*"; }
ok() { checks=$((checks + 1)); printf 'ok %d - %s\n' "$checks" "$*"; }
fail() {
	checks=$((checks + 1))
	printf 'not ok %d - %s\n' "$checks" "$*"
	fails=$((fails + 1))
}
check() { # check "what" command...
	local what=$1
	shift
	if "$@"; then ok "$what"; else fail "$what"; fi
}

# skip_unless PROGRAM: exit 77 (skip) when a program is missing
skip_unless() {
	command -v "$1" >/dev/null 2>&1 || { note "no $1: skip"; exit 77; }
}

FREE_PORT_PY=$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")" && pwd)/../e2e/free-port.py
# free_port: a port nothing listens on, outside the ephemeral range (free-port.py)
free_port() { python3 "$FREE_PORT_PY"; }

# wait_for SECONDS COMMAND...: poll until COMMAND succeeds (10 ms steps)
wait_for() {
	local deadline=$(($(date +%s%N) + $1 * 1000000000))
	shift
	until "$@"; do
		[ "$(date +%s%N)" -lt "$deadline" ] || return 1
		sleep 0.01
	done
}

finish() {
	printf '1..%d\n' "$checks"
	[ "$fails" -eq 0 ] || { note "$fails check(s) failed"; exit 1; }
	exit 0
}

# procs_with_cmd STRING: pids whose command line holds STRING (not this shell)
procs_with_cmd() {
	pgrep -f -- "$1" | grep -vx "$$"
	true
}

# describe PID...: what each process is, for the log
describe() {
	local p
	for p in "$@"; do
		note "  left: $p $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | cut -c1-100)"
	done
}
