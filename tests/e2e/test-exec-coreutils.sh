#!/bin/bash
# coreutils under faultrun exec: dd and cp filling a budget (dd writes with
# write(), cp with copy_file_range), df seeing the budget, cp meeting a read
# error, mkdir/mv/rm meeting path faults.
. "$(dirname "$0")/test-exec-lib.sh"
mkdir -p "$D/dd" "$D/cp"
head -c 1048576 /dev/urandom >"$D/src"

note "dd: 100 KiB of disk"
fr "write budget=100KiB path=$D/dd/**" -- dd if=/dev/zero of="$D/dd/f" bs=4096 count=100
check "dd fails" failed
check "dd reports ENOSPC" err_has "No space left on device"
check "the file is exactly the budget" size_is "$D/dd/f" 102400
fr_control "write budget=100KiB path=$D/dd/**" -- dd if=/dev/zero of="$D/dd/g" bs=4096 count=10
check "a smaller copy fits" succeeded
check "... whole" size_is "$D/dd/g" 40960

note "cp: 300 KiB of disk, a 1 MiB file"
fr "write budget=300KiB path=$D/cp/**" -- cp "$D/src" "$D/cp/f"
check "cp fails" failed
check "cp reports ENOSPC" err_has "No space left on device"
check "the copy is exactly the budget" size_is "$D/cp/f" 307200
fr "read errno=EIO path=$D/src" -- cp "$D/src" "$D/cp/g"
check "cp reports a read error" err_has "Input/output error"
fr -- cp "$D/src" "$D/cp/h"
check "without a rule cp copies" cmp -s "$D/src" "$D/cp/h"

note "df: the budget is the free space"
fr "write budget=1MiB path=$D/dd/**" -- df -B1 --output=avail "$D/dd"
check "df shows 1 MiB available" out_has '^ *1048576$'
fr "write budget=1MiB path=$D/dd/**" -- df -B1 --output=avail "$D/cp"
check "elsewhere df shows the real disk" not_out_has '^ *1048576$'

note "mkdir, mv, rm"
fr "mkdir errno=ENOSPC path=$D/cp/**" -- mkdir "$D/cp/new"
check "mkdir: No space left on device" err_has "No space left on device"
fr "rename errno=EACCES path=$D/cp/**" -- mv "$D/cp/h" "$D/cp/i"
check "mv: Permission denied" err_has "Permission denied"
check "... h still there" test -e "$D/cp/h"
fr "unlink errno=EBUSY path=$D/cp/h" -- rm -f "$D/cp/h"
check "rm: Device or resource busy" err_has "Device or resource busy"
fr "unlink errno=EBUSY path=$D/cp/h" -- rm -f "$D/cp/g"
check "rm of another file works" test ! -e "$D/cp/g"
finish
