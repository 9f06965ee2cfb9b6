#!/bin/bash
# An open no rule concerns is made as openat2 with no symlink allowed on
# the way (harness/shim/nolinks.c), so that the new fd's first call needs
# no kernel path. That must change nothing the program sees, and must not
# hide a rule:
#   - through a symlink (a component on the way, or the file itself) the
#     program's own open is made, and a rule on the link's target still
#     catches writes through the link;
#   - errors are the program's own: a missing file, a dangling link, a
#     link under O_NOFOLLOW, flags openat2 refuses but open ignores;
#   - an O_TMPFILE file, whose kernel path is not the one written, is
#     still judged on the kernel's;
#   - the new file's flags (O_LARGEFILE: a write past 2 GiB) and mode are
#     what a plain open gives;
#   - a process that installs a seccomp filter forbidding openat2 (killing
#     on it) through prctl() or syscall(SYS_seccomp), or that starts under
#     one, never meets an openat2 of the shim's.
#
#   test-shim-nolinks.sh FAULTRUN NOLINKS_HELPER
FAULTRUN=$1 HELPER=$2
. "$(dirname "$0")/../e2e/test-exec-lib.sh"
tmp=$D
# a symlink elsewhere than the rule's tree: its written path begins with
# none of the rule's first bytes, so its open is a quiet one
link=$(mktemp -u /dev/shm/fr-nolinks-XXXXXX)
trap 'rm -rf "$D" "$link" "$link-f"' EXIT
# under RULE CMD...: CMD under faultrun exec with RULE armed, its output on
# ours (test-exec-lib's fr writes it under $D, which a /tmp rule faults)
under() {
	local rule=$1
	shift
	"$FAULTRUN" exec -q --may-not-fire -f "$rule" -- "$@"
}

mkdir -p "$tmp/real/sub" "$tmp/other"
echo data >"$tmp/real/sub/f"
ln -s "$tmp/real" "$link"
ln -s "$tmp/real/sub/f" "$link-f"
ln -s "$tmp/real/none" "$tmp/other/dangling"

# the file's mode and flags, and a write past 2 GiB (EFBIG without O_LARGEFILE)
cat >"$tmp/facts.py" <<'PY'
import errno, fcntl, os, stat, sys
p = sys.argv[1]
fd = os.open(p, os.O_RDWR | os.O_CREAT, 0o170640)
fl = fcntl.fcntl(fd, fcntl.F_GETFL)
os.lseek(fd, 3 << 30, 0)
os.write(fd, b"x")
mode = stat.S_IMODE(os.fstat(fd).st_mode)
os.close(fd)
os.unlink(p)
res = []
for path, flags in ((sys.argv[2], os.O_RDONLY), (sys.argv[3], os.O_RDONLY),
                    (sys.argv[4], os.O_RDONLY | os.O_NOFOLLOW),
                    (sys.argv[4], os.O_PATH | os.O_WRONLY)):
    try:
        os.close(os.open(path, flags))
        res.append("opened")
    except OSError as e:
        res.append(errno.errorcode[e.errno])
print("flags", oct(fl), "mode", oct(mode), "opens", " ".join(res))
PY
args=("$tmp/other/big" "$tmp/other/missing" "$tmp/other/dangling" "$link-f")
plain=$(umask 022; python3 "$tmp/facts.py" "${args[@]}" 2>&1)
shim=$(umask 022; under "write errno=EIO path=/nonexistent/**" python3 "$tmp/facts.py" "${args[@]}" 2>&1)
check "flags, mode and errors as plain: '$plain'" [ "$shim" = "$plain" ]
check "and they are the expected ones" [ "$plain" = \
	"flags 0o100002 mode 0o640 opens ENOENT ENOENT ELOOP opened" ]

# writes through a symlink, with a rule on the link's target tree
cat >"$tmp/write.py" <<'PY'
import os, sys
out = []
for p in sys.argv[1:]:
    fd = os.open(p, os.O_WRONLY | os.O_APPEND)
    try:
        os.write(fd, b"x")
        out.append("wrote")
    except OSError as e:
        out.append(os.strerror(e.errno))
    os.close(fd)
print(" ".join(out))
PY
out=$(under "write errno=ENOSPC path=$tmp/real/**" python3 "$tmp/write.py" \
	"$link/sub/f" "$link-f" "$tmp/other/../real/sub/f" 2>&1)
check "a rule on the target catches writes through a link on the way and a link to the file: '$out'" \
	[ "$out" = "No space left on device No space left on device No space left on device" ]
echo data >"$tmp/other/g"
out=$(under "write errno=ENOSPC path=$tmp/real/**" python3 "$tmp/write.py" "$tmp/other/g" 2>&1)
check "a file elsewhere is written: '$out'" [ "$out" = wrote ]

# an O_TMPFILE file's kernel path is DIR/#inode: a rule for DIR's files
# catches its writes though the written path ("/tmp" against "/tmp/**")
# begins with none of the rule's bytes. The program is python3 itself (a
# wrapper script would write under /tmp too), its output on a pipe.
if d=$(cd /tmp && pwd -P) && [ "$d" = /tmp ] && py=$(readlink -f "$(command -v python3)"); then
	out=$(under "write errno=ENOSPC path=/tmp/**" "$py" -c '
import os
fd = os.open("/tmp", os.O_TMPFILE | os.O_WRONLY, 0o600)
try:
    os.write(fd, b"x")
    print("wrote")
except OSError as e:
    print(os.strerror(e.errno))' 2>&1 | cat)
	check "an O_TMPFILE file under a rule's tree: '$out'" [ "$out" = "No space left on device" ]
fi

# seccomp filters that kill on openat2
for how in prctl seccomp exec; do
	out=$(under "write errno=EIO path=/nonexistent/**" "$HELPER" "$how" "$tmp/other/g" 2>&1)
	rc=$?
	check "a filter installed with $how: the process lives (exit $rc: $out)" [ "$rc" = 0 ]
done
out=$("$HELPER" prctl "$tmp/other/g" 2>&1)
check "the helper's filter is installed plainly too (exit $?)" [ "$out" = "opened
opened" ]

finish
