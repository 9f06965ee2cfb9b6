#!/bin/bash
# Shell redirections under faultrun exec: the shell opens the file itself
# and writes through its own builtins.
. "$(dirname "$0")/test-exec-lib.sh"
mkdir -p "$D/x" "$D/y"

note "bash: echo into a full disk"
fr "write errno=ENOSPC path=$D/x/**" -- bash -c "echo hi > $D/x/f"
check "bash fails" failed
check "bash says No space left on device" err_has "No space left on device"
check "nothing was written" size_is "$D/x/f" 0
fr_control "write errno=ENOSPC path=$D/x/**" -- bash -c "echo hi > $D/y/f"
check "another directory is untouched" succeeded
check "... and written" size_is "$D/y/f" 3

note "bash: the state file cannot be opened"
fr "open errno=EACCES path=**/dump.pm2" -- bash -c "echo '{}' > $D/x/dump.pm2"
check "bash says Permission denied" err_has "Permission denied"
check "not created" test ! -e "$D/x/dump.pm2"

note "sh (dash): its echo reports any write error as an I/O error"
fr "write errno=ENOSPC path=$D/x/**" -- sh -c "echo hi > $D/x/g"
check "sh fails" failed
check "sh reports the write error" err_has "I/O error"
check "nothing was written" size_is "$D/x/g" 0
fr -- sh -c "echo hi > $D/x/g"
check "without a rule it writes" size_is "$D/x/g" 3

note "a budget shared by a pipeline of processes"
fr "write budget=10000 path=$D/x/part*" -- bash -c \
	"head -c 6000 /dev/zero > $D/x/part1; head -c 6000 /dev/zero > $D/x/part2"
check "the second writer hits the full disk" failed
check "together they wrote exactly the budget" \
	test $(($(stat -c %s "$D/x/part1") + $(stat -c %s "$D/x/part2"))) -eq 10000
finish
