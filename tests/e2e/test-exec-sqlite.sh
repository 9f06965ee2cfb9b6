#!/bin/bash
# sqlite3 under faultrun exec: a database that outgrows its disk.
. "$(dirname "$0")/test-exec-lib.sh"
skip_unless sqlite3
mkdir -p "$D/db" "$D/other"
SQL="create table t(x); insert into t values (randomblob(200000));"

fr "write budget=64KiB path=$D/db/**" -- sqlite3 "$D/db/a.db" "$SQL"
check "sqlite3 fails" failed
check "database or disk is full" err_has "database or disk is full"
fr_control "write budget=64KiB path=$D/db/**" -- sqlite3 "$D/other/a.db" "$SQL"
check "another directory works" succeeded
fr "fsync errno=EIO path=$D/db/**" -- sqlite3 "$D/db/b.db" "$SQL"
check "an fsync error is a disk I/O error" err_has "disk I/O error"
fr "open errno=EACCES path=$D/db/c.db" -- sqlite3 "$D/db/c.db" "$SQL"
check "an unopenable database" err_has "unable to open database"
finish
