#!/bin/bash
# Differential tests of the disk fault: the same workload on a real 64 KiB
# tmpfs and on a plain directory under `disk size=64KiB` (faultrun exec),
# comparing what got through (bytes, lines, rows) and which errors the
# program saw. Root only (mount -t tmpfs); skips with 77 otherwise.
#
# Tolerance: none. tmpfs charges whole pages for file data and nothing for
# inodes or directory entries, which is what the model charges
# (docs/faults.md, "disk"), so bytes, lines and error counts must be equal.
set -u
: "${FAULTRUN:?}" "${FAULTRUN_SHIM:?}" "${DISK_STDIO:?}" "${DISK_MIX:?}"
export FAULTRUN_SHIM DISK_STDIO DISK_MIX
[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP not root"; exit 77; }
HERE=$(cd "$(dirname "$0")" && pwd)
export HERE
WORK=$(mktemp -d)
trap 'umount "$WORK/real" 2>/dev/null; rm -rf "$WORK"' EXIT
mkdir "$WORK/real" "$WORK/model"
mount -t tmpfs -o size=64k tmpfs "$WORK/real" 2>/dev/null ||
	{ echo "1..0 # SKIP cannot mount a tmpfs here"; exit 77; }
umount "$WORK/real"
fails=0 n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
bad() { n=$((n + 1)); echo "not ok $n - $*"; fails=$((fails + 1)); }

# run WORKLOAD on a fresh 64 KiB tmpfs and under the model; each prints
# its summary line ("bytes N errors M ...") to stdout
both() {
	local name=$1 script=$2
	rm -rf "$WORK/model" && mkdir "$WORK/model"
	mount -t tmpfs -o size=64k tmpfs "$WORK/real"
	real=$(D="$WORK/real" timeout 60 bash -c "$script" 2>"$WORK/$name.real.err")
	umount "$WORK/real"
	model=$(D="$WORK/model" timeout 60 "$FAULTRUN" exec -q \
		-f "disk size=64KiB path=$WORK/model/**" -- bash -c "$script" 2>"$WORK/$name.model.err")
	echo "# $name: tmpfs: $real"
	echo "# $name: model: $model"
}

same() {
	if [ "$real" = "$model" ] && [ -n "$real" ]; then ok "$1: same as tmpfs ($real)"
	else bad "$1: tmpfs '$real', model '$model'"; fi
}

# dd: one file, 1000-byte blocks, until the disk is full
both dd 'dd if=/dev/zero of=$D/f bs=1000 count=100 2>&1 | grep -c "No space left" | tr -d "\n";
	echo " full, bytes $(stat -c %s $D/f)"'
same dd

# cat >>: 700-byte appends to a log, some failing
both cat 'head -c 700 /dev/zero > /tmp/chunk.$$; e=0;
	for i in $(seq 120); do cat /tmp/chunk.$$ >> $D/log 2>/dev/null || e=$((e+1)); done;
	rm -f /tmp/chunk.$$; echo "errors $e bytes $(stat -c %s $D/log)"'
same "cat >>"

# a file freed: fill, delete, fill again
both refill 'dd if=/dev/zero of=$D/a bs=4096 count=100 2>/dev/null; rm $D/a;
	dd if=/dev/zero of=$D/b bs=4096 count=100 2>/dev/null; echo "bytes $(stat -c %s $D/b)"'
same "fill, unlink, fill again"

# a C program mixing overwrites, appends, writes into holes, ftruncate down
# and up, fallocate, posix_fallocate, unlink of an open file, rename over a
# file, O_TRUNC (workload-mix.c): every step's result and statvfs's free
# space, line by line
both mix '"$DISK_MIX" $D | tr -s " " | tr "\n" ";"'
same "C program: overwrites, truncates, fallocate, unlink, rename"

# C programs logging through stdio (workload-stdio.c): fprintf + fflush per
# line, a full buffer written by the fprintf that overflows it and the
# rest at fclose, fputs/fputc/big fwrites/line-buffered/unbuffered
# streams, fopen "w" truncating a full file, and what exit() flushes
for mode in line buffer mixed refill; do
	both "stdio-$mode" '"$DISK_STDIO" '"$mode"' $D'
	same "stdio $mode"
done
both stdio-exit 'e=$("$DISK_STDIO" exit 2>&1 >$D/out); echo "$e bytes $(stat -c %s $D/out)"'
same "stdio exit"

# Python logging.FileHandler: records until the disk is full
both python 'python3 "$HERE/workload-logging.py" $D'
same "python logging.FileHandler"

# Node fs.createWriteStream appends: lines until the first error
both node 'node -e "
const fs = require(\"fs\");
const p = process.argv[1] + \"/out.log\";
const s = fs.createWriteStream(p, {flags: \"a\"});
let errs = 0;
s.on(\"error\", () => { errs++; });
let i = 0;
function more() {
  while (i < 2000) {
    if (s.destroyed) break;
    const ok = s.write(\"request \" + String(i++).padStart(5, \"0\") + \" served in 12ms by worker 3\\n\");
    if (!ok) { s.once(\"drain\", more); return; }
  }
  s.end(() => done());
}
function done() { console.log(\"errors\", errs, \"bytes\", fs.statSync(p).size); }
s.on(\"close\", () => { if (errs) done(); });
more();
" $D'
same "node fs.createWriteStream"

echo "1..$n"
exit $((fails > 0))
