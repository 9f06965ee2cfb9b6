# Helpers for tests/e2e/test-exec-*.sh (sourced, not run): real programs
# under `faultrun exec`, each fault paired with a control run without it,
# so that every check can fail. Needs FAULTRUN (the built faultrun) and
# FAULTRUN_SHIM (the built libfaultshim.so) from tests/meson.build.

set -u
fails=0
: "${FAULTRUN:?FAULTRUN must name the built faultrun}"
: "${FAULTRUN_SHIM:?FAULTRUN_SHIM must name the built libfaultshim.so}"
export FAULTRUN_SHIM
D=$(mktemp -d "${TMPDIR:-/tmp}/faultrun-exec-XXXXXX")
trap 'rm -rf "$D"' EXIT

note() { printf '# %s\n' "$*"; }
ok() { printf 'ok - %s\n' "$*"; }
fail() { printf 'not ok - %s\n' "$*"; fails=$((fails + 1)); }
check() { # check "what" command...
	local what=$1
	shift
	if "$@"; then ok "$what"; else fail "$what"; fi
}

# fr SPEC... -- CMD...: faultrun exec, quiet; stdout/stderr of CMD in
# $D/out and $D/err, status in $rc.
fr() {
	local args=()
	while [ "$1" != "--" ]; do
		args+=(-f "$1")
		shift
	done
	shift
	"$FAULTRUN" exec -q ${FR_MAY_NOT_FIRE:+--may-not-fire} "${args[@]}" -- "$@" \
		>"$D/out" 2>"$D/err"
	rc=$?
}

# fr_control SPEC... -- CMD...: the same, for a control run whose rule is
# not meant to fire (exec would exit 90 otherwise)
fr_control() {
	FR_MAY_NOT_FIRE=1 fr "$@"
}

out_has() { grep -q -- "$1" "$D/out"; }
not_out_has() { ! grep -q -- "$1" "$D/out"; }
err_has() { grep -q -- "$1" "$D/err"; }
size_is() { [ "$(stat -c %s "$1" 2>/dev/null)" = "$2" ]; }
failed() { [ "$rc" -ne 0 ]; }
succeeded() { [ "$rc" -eq 0 ]; }

# skip_unless PROGRAM: exit 77 (skip) when a program is missing
skip_unless() {
	command -v "$1" >/dev/null 2>&1 || { note "no $1: skip"; exit 77; }
}

finish() {
	if [ "$fails" -ne 0 ]; then
		note "$fails check(s) failed; last stderr:"
		sed 's/^/#   /' "$D/err" 2>/dev/null
		exit 1
	fi
	exit 0
}

# have_curl: curl can run here under the shim. Debian's curl hangs in
# setlocale() at start whenever libasan is preloaded (as it must be before
# an ASan-built shim), shim or no shim, so the curl cases are left to the
# plain build's pass there.
have_curl() {
	command -v curl >/dev/null 2>&1 || { note "no curl: its case skipped"; return 1; }
	if ldd "$FAULTRUN_SHIM" 2>/dev/null | grep -q libasan; then
		note "curl does not start with libasan preloaded: its case skipped under ASan"
		return 1
	fi
}
