#!/bin/bash
# The shim's fd table stays true however a program closes, replaces or
# receives descriptors (raw syscall(SYS_close/close_range/dup3/openat),
# SCM_RIGHTS, pidfd_getfd, eventfd, pipes): a path rule faults the
# rule's files and never a socket, pipe or eventfd that reuses a number.
. "$(dirname "$0")/trust-lib.sh"
: "${TRUST_FDREUSE:?TRUST_FDREUSE must name the built trust-fdreuse}"
skip_unless python3
spec() { echo "write errno=ENOSPC path=$D/$1/**"; }

mkdir -p "$D/c" "$D/py"
note "C: close, close_range, dup3, openat through syscall(); SCM_RIGHTS; pidfd_getfd"
"$FAULTRUN" exec -q --json "$D/c.json" -f "$(spec c)" -- "$TRUST_FDREUSE" "$D/c" >"$D/out" 2>"$D/err"
rc=$?
sed 's/^/#   /' "$D/out"
check "every case held (exit 0)" succeeded
check "only the rule's files were faulted" only_faulted "$D/c.json" "$D/c"

note "Python: os.close, os.closerange, recv_fds, socket(fileno=), fromfd, eventfd, ctypes syscall"
"$FAULTRUN" exec -q --json "$D/py.json" -f "$(spec py)" -- \
	python3 "$(dirname "$0")/fds.py" "$D/py" >"$D/out" 2>"$D/err"
rc=$?
sed 's/^/#   /' "$D/out"
check "every case held (exit 0)" succeeded
check "only the rule's files were faulted" only_faulted "$D/py.json" "$D/py"

note "control: without the rule the cases that need a fault fail"
"$TRUST_FDREUSE" "$D/c" >"$D/out" 2>&1
rc=$?
check "the C program sees no ENOSPC of its own" failed
finish
