#!/bin/bash
# The disk model under the seccomp backend (docs/seccomp.md, "disk")
# against its oracle, a real small tmpfs (as tests/disk/test-disk-diff.sh
# does for the preload): the same writer on `mount -t tmpfs -o size=S` and
# on a plain directory under `faultrun exec --backend seccomp -f "disk
# size=S path=..."` must see the same results and leave the same bytes:
# dd (a short write up to the last free page, then ENOSPC), python3
# (appends, overwrites that take nothing, ftruncate, truncate, O_TRUNC,
# unlink of a file held open and then closed, rename over a file,
# posix_fallocate, statvfs and fstatvfs: df's numbers) and the static SEC_WRITER (raw write(2) calls no
# preload can see). Root only (mount): skips with 77 otherwise.
# Needs FAULTRUN, FAULTRUN_SHIM, SEC_WRITER (empty: no static libc, that part skipped).
. "$(dirname "$0")/../e2e/test-exec-lib.sh"
skip_unless python3
[ "$(id -u)" = 0 ] || { note "not root: skip"; exit 77; }
mkdir "$D/real" "$D/model"
mount -t tmpfs -o size=64k tmpfs "$D/real" 2>/dev/null || { note "cannot mount a tmpfs: skip"; exit 77; }
umount "$D/real"
trap 'umount "$D/real" 2>/dev/null; rm -rf "$D"' EXIT

cat >"$D/writer.py" <<'PY'
import errno, os, sys
d = sys.argv[1]
def w(fd, n, chunk):
    tot = 0
    try:
        while tot < n:
            tot += os.write(fd, b"x" * min(chunk, n - tot))
        return "ok %d" % tot
    except OSError as e:
        return "%s %d" % (errno.errorcode[e.errno], tot)
def step(what, f):
    try:
        r = f()
    except OSError as e:
        r = errno.errorcode[e.errno]
    print(what, r)
def df(st):
    return "size %d free %d avail %d" % (st.f_blocks * st.f_frsize, st.f_bfree * st.f_frsize,
                                         st.f_bavail * st.f_frsize)
W, C, T = os.O_WRONLY, os.O_CREAT, os.O_TRUNC
step("statvfs, empty", lambda: df(os.statvfs(d)))
a = os.open(d + "/a", W | C | os.O_APPEND)
step("append until full", lambda: w(a, 1 << 20, 3000))
step("statvfs, full", lambda: df(os.statvfs(d)))
step("fstatvfs of a file, full", lambda: df(os.fstatvfs(a)))
o = os.open(d + "/a", W)
step("overwrite", lambda: w(o, 8192, 4096))
step("ftruncate 10000", lambda: os.ftruncate(o, 10000))
step("append after ftruncate", lambda: w(a, 1 << 20, 3000))
step("truncate 5000", lambda: os.truncate(d + "/a", 5000))
b = os.open(d + "/b", W | C | T)
step("b", lambda: w(b, 1 << 20, 1000))
step("unlink a, held open", lambda: os.unlink(d + "/a"))
step("b, a still open", lambda: w(b, 1 << 20, 1000))
os.close(a); os.close(o)
step("statvfs of a file, a still open", lambda: df(os.statvfs(d + "/b")))
step("b, a closed", lambda: w(b, 1 << 20, 1000))
c = os.open(d + "/b", W | T)
step("b after O_TRUNC", lambda: w(c, 20000, 5000))
step("fallocate 1 MiB", lambda: os.posix_fallocate(c, 0, 1 << 20))
step("fallocate 8 KiB more", lambda: os.posix_fallocate(c, 20000, 8192))
e = os.open(d + "/e", W | C)
step("e", lambda: w(e, 1 << 20, 7000))
step("rename e over b", lambda: os.rename(d + "/e", d + "/b"))
f = os.open(d + "/f", W | C)
step("f, b's blocks free", lambda: w(f, 1 << 20, 7000))
os.unlink(d + "/f")
step("statvfs, f removed", lambda: df(os.statvfs(d)))
PY

# run NAME SIZE CMD... (DIR in CMD is the directory): on a tmpfs of SIZE, then
# on a directory under the seccomp backend's disk of SIZE; the output
# (directory names replaced), the status and each file's size must be equal
run() {
	local name=$1 size=$2 where
	shift 2
	for where in real model; do
		local args=() dir="$D/$where"
		for a in "$@"; do args+=("${a//DIR/$dir}"); done
		rm -rf "${dir:?}"/* 2>/dev/null
		if [ $where = real ]; then
			mount -t tmpfs -o size="$size" tmpfs "$dir"
			timeout 30 "${args[@]}" >"$D/$where.out" 2>&1
		else
			timeout 30 "$FAULTRUN" exec --backend seccomp -f "disk size=$size path=$dir/**" \
				-- "${args[@]}" >"$D/$where.out" 2>&1
		fi
		echo "rc $?" >>"$D/$where.out"
		# faultrun's own lines (seed, the rule's counters) apart
		grep '^faultrun: ' "$D/$where.out" >"$D/err"
		sed -i '/^faultrun: /d' "$D/$where.out"
		(cd "$dir" && for f in *; do [ -e "$f" ] && echo "file $f $(stat -c %s "$f")"; done) \
			>>"$D/$where.out"
		sed -i -e "s|$dir|DIR|g" -e 's/ copied, .*/ copied/' "$D/$where.out"
		[ $where = real ] && umount "$dir"
	done
	sed 's/^/#   /' "$D/model.out"
	diff "$D/real.out" "$D/model.out" | sed 's/^/#   diff /'
	check "$name: the same results and bytes as on a real tmpfs" cmp -s "$D/real.out" "$D/model.out"
}

run "dd bs=5000" 64k dd if=/dev/zero of=DIR/f bs=5000 count=20
check "dd: short up to the last free page, then ENOSPC" \
	sh -c "grep -q 'No space left on device' '$D/model.out' && grep -qx 'file f 65536' '$D/model.out'"
check "dd: the disk is counted as a rule" err_has "rule 'rule0' armed: matched .*, size 65536, free 0"

run "python3" 64k python3 "$D/writer.py" DIR
check "python3: the append ends short, then ENOSPC" grep -qx 'append until full ENOSPC 65536' "$D/model.out"
check "python3: overwrites take nothing" grep -qx 'overwrite ok 8192' "$D/model.out"
check "python3: a file unlinked but held open keeps its blocks" grep -qx 'b, a still open ENOSPC 0' "$D/model.out"
check "python3: statvfs and fstatvfs report the disk, as on the tmpfs" sh -c "
	grep -qx 'statvfs, empty size 65536 free 65536 avail 65536' '$D/model.out' &&
	grep -qx 'statvfs, full size 65536 free 0 avail 0' '$D/model.out' &&
	grep -qx 'fstatvfs of a file, full size 65536 free 0 avail 0' '$D/model.out'"

# a budget clamps the free space statvfs reports under it, as the shim does
df_py='import os, sys; s = os.statvfs(sys.argv[1]); print(s.f_bavail * s.f_frsize <= 10240, s.f_blocks > 0)'
for be in preload seccomp; do
	"$FAULTRUN" exec --backend $be -f "write budget=10KiB path=$D/model/**" --may-not-fire -- \
		python3 -c "$df_py" "$D/model" >"$D/df-$be" 2>"$D/err"
done
check "a budget's statvfs: at most the budget free, as under the preload" \
	sh -c "grep -qx 'True True' '$D/df-seccomp' && cmp -s '$D/df-preload' '$D/df-seccomp'"

run "dd, 3 files over 16k" 16k sh -c 'for f in a b c; do dd if=/dev/zero of=DIR/$f bs=3000 count=3 2>&1 | tail -1; done'

if [ -n "${SEC_WRITER:-}" ]; then
	# 3000 bytes each in 300-byte write(2) calls, O_TRUNC: the fourth refills a
	run "static writer" 8k "$SEC_WRITER" fill DIR/a fill DIR/b fill DIR/c fill DIR/a
	check "static writer: ENOSPC on the third file, the first refilled" \
		sh -c "grep -q 'fill DIR/c: ENOSPC 0' '$D/model.out' && grep -qx 'file a 3000' '$D/model.out'"
else
	note "no static libc: the static writer is skipped"
fi
finish
