#!/bin/bash
# faultrun help, --version and the --help texts as a user meets them: the
# usage, the manual pages built beside this faultrun, a clear message and
# exit 3 when man or the page is missing, and --help naming the installed
# documentation, never the source tree's docs/.
# Needs FAULTRUN, FAULTRUN_SHIM and FAULTRUN_VERSION (meson's project version).
. "$(dirname "$0")/test-exec-lib.sh"
: "${FAULTRUN_VERSION:?}"
export MANPAGER=cat PAGER=cat MANWIDTH=80 LC_ALL=C.UTF-8

# --- faultrun help: the usage, not a scenario file named "help"
"$FAULTRUN" help >"$D/out" 2>"$D/err"; rc=$?
check "help: exit 0" [ "$rc" = 0 ]
check "help: the usage on stdout" grep -q '^usage: faultrun \[run\]' "$D/out"
check "help: lists help itself" grep -q 'faultrun help \[exec | ctl | scenario | faults\]' "$D/out"
check "help: nothing on stderr" [ ! -s "$D/err" ]

# --- faultrun help TOPIC: the page built beside this faultrun (meson
# registers this test only when it built the pages)
for t in "exec faultrun-exec" "ctl faultrun-ctl" "scenario faultrun-scenario" \
	"faults faultrun-faults" "report faultrun"; do
	set -- $t
	"$FAULTRUN" help "$1" >"$D/out" 2>"$D/err"; rc=$?
	check "help $1: exit 0" [ "$rc" = 0 ]
	check "help $1: shows $2's NAME" grep -q "^ *$2 - " "$D/out"
done

"$FAULTRUN" help faults >"$D/out" 2>&1
check "help faults: its OPERATIONS" grep -q '^OPERATIONS' "$D/out"
"$FAULTRUN" help exec >"$D/out" 2>&1
check "help exec: its EXIT STATUS" grep -q '^EXIT STATUS' "$D/out"
"$FAULTRUN" help nosuch >"$D/out" 2>"$D/err"; rc=$?
check "help nosuch: exit 2" [ "$rc" = 2 ]
check "help nosuch: names the topics" grep -q "unknown topic 'nosuch' (exec, ctl, scenario, faults" "$D/err"

# --- no page installed (a faultrun with no build tree beside it, man
# looking in an empty MANPATH), and no man at all
mkdir -p "$D/bin" "$D/nobin" "$D/noman"
cp "$FAULTRUN" "$D/bin/faultrun"
MANPATH=$D/noman "$D/bin/faultrun" help faults >"$D/out" 2>"$D/err"; rc=$?
check "no page: exit 3" [ "$rc" = 3 ]
check "no page: says so" grep -q 'cannot show the manual page faultrun-faults(7): it is not installed' "$D/err"
check "no page: names the installed faults.md" grep -q 'read /.*/doc/faultrun/faults.md$' "$D/err"
check "no page: no pager output" [ ! -s "$D/out" ]
PATH=$D/nobin "$D/bin/faultrun" help scenario >"$D/out" 2>"$D/err"; rc=$?
check "no man: exit 3" [ "$rc" = 3 ]
check "no man: says so" grep -q 'faultrun-scenario(5): man was not found' "$D/err"
check "no man: names scenario-format.md" grep -q 'doc/faultrun/scenario-format.md$' "$D/err"

# --- --version and -V: meson's project version
for v in --version -V; do
	out=$("$FAULTRUN" "$v" 2>&1); rc=$?
	check "$v: exit 0" [ "$rc" = 0 ]
	check "$v: prints 'faultrun $FAULTRUN_VERSION'" [ "$out" = "faultrun $FAULTRUN_VERSION" ]
done

# --- each --help names the man pages and the installed docs, not docs/...
for c in "" exec ctl run report; do
	"$FAULTRUN" $c --help >"$D/out" 2>&1; rc=$?
	check "${c:-faultrun} --help: exit 0" [ "$rc" = 0 ]
	check "${c:-faultrun} --help: names a manual page" grep -Eq 'faultrun(-[a-z]+)?\([157]\)' "$D/out"
	check "${c:-faultrun} --help: names the installed docs" grep -q '/doc/faultrun' "$D/out"
	check "${c:-faultrun} --help: no source-tree docs/ path" sh -c "! grep -q ' docs/' '$D/out'"
done
finish
