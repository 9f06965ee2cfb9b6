#!/bin/bash
# Inputs that are not files are refused at once, never read: a FIFO would
# hang faultrun until someone writes to it, a device or a directory is no
# scenario and no journal. Each gets a one-line error naming it, exit 2.
. "$(dirname "$0")/../e2e/test-exec-lib.sh"
mkfifo "$D/fifo.yml"
mkdir "$D/dir.json"

refused() { # what, expected message, faultrun args...
	local what=$1 msg=$2
	shift 2
	timeout 10 "$FAULTRUN" "$@" >"$D/out" 2>"$D/err"
	rc=$?
	check "$what: exit 2 at once" test "$rc" = 2
	check "$what: says why" err_has "$msg"
}

refused "a FIFO as a scenario (check)" "fifo.yml': not a regular file (a FIFO)" check "$D/fifo.yml"
refused "a FIFO as a scenario (run)" "fifo.yml': not a regular file (a FIFO)" "$D/fifo.yml"
refused "a device as a scenario" "'/dev/zero': not a regular file (a character device)" check /dev/zero
refused "a FIFO as a journal" "fifo.yml: not a regular file (a FIFO)" report "$D/fifo.yml" --html "$D/x.html"
refused "a directory as a journal" "dir.json: not a regular file (a directory)" report "$D/dir.json" --html "$D/x.html"
check "no page was written" test ! -e "$D/x.html"
finish
