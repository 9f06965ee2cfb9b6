#!/bin/bash
# python3 under faultrun exec: open, buffered and raw writes, fsync, a budget.
. "$(dirname "$0")/test-exec-lib.sh"
skip_unless python3
# the interpreter itself, not a version-manager wrapper script
PY=$(python3 -c 'import sys; print(sys.executable)')
mkdir -p "$D/py" "$D/other"

note "a buffered write meets a full disk at close"
fr "write errno=ENOSPC path=$D/py/**" -- "$PY" -c "
f = open('$D/py/a', 'w')
f.write('x' * 10)
f.close()"
check "python fails" failed
check "OSError errno 28" err_has "OSError: \[Errno 28\] No space left on device"
fr_control "write errno=ENOSPC path=$D/py/**" -- "$PY" -c "open('$D/other/a', 'w').write('x')"
check "another directory works" succeeded

note "open of a state file"
fr "open errno=EACCES path=$D/py/state.json" -- "$PY" -c "open('$D/py/state.json', 'w')"
check "PermissionError" err_has "PermissionError: \[Errno 13\]"

note "os.fsync"
fr "fsync errno=EIO path=$D/py/**" -- "$PY" -c "
import os
fd = os.open('$D/py/s', os.O_WRONLY | os.O_CREAT)
os.write(fd, b'x')
os.fsync(fd)"
check "os.fsync raises EIO" err_has "OSError: \[Errno 5\] Input/output error"

note "os.write until the budget is spent"
fr "write budget=10000 path=$D/py/**" -- "$PY" -c "
import os
fd = os.open('$D/py/b', os.O_WRONLY | os.O_CREAT)
n = 0
try:
    while True:
        n += os.write(fd, b'x' * 3000)
except OSError as e:
    print('errno', e.errno, 'wrote', n)"
check "ENOSPC after exactly the budget" out_has "errno 28 wrote 10000"
check "the file holds the budget" size_is "$D/py/b" 10000
finish
