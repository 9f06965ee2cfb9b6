#!/bin/bash
# The control plane is private, and a bad block turns injection off.
# - faultrun exec's run directory is 0700 and its block 0600, both ours;
#   another user can neither read the block, list the directory, nor find
#   or steer the run with faultrun ctl;
# - the shim ignores a block that is a symlink, someone else's, readable
#   by others, not a regular file (a FIFO must not hang it), truncated,
#   or with a bad header: the program runs as without the shim (exit 0, its
#   output written), and no rule fires;
# - a block with a valid header but garbage in its rule table never
#   crashes a program (no signal death), whatever it then injects;
# - faultrun ctl refuses a block that is a symlink or someone else's, and
#   faultrun refuses a base directory that is a symlink, someone else's,
#   or open to others.
# The checks that need another user run as nobody (setpriv) when we are
# root, and are skipped otherwise.
. "$(dirname "$0")/lib.sh"
skip_unless python3

export XDG_RUNTIME_DIR=$W/xdg
mkdir -m 700 "$XDG_RUNTIME_DIR"
mkdir -p "$W/t"
as_nobody=()
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null &&
	id nobody >/dev/null 2>&1; then
	as_nobody=(setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups)
	mkdir -p "$W/nb"
	chown nobody "$W/nb"
else
	note "not root: the checks with another user are skipped"
fi

# not_ok COMMAND...: the command fails (its stderr kept in $W/not_ok.err)
not_ok() { ! "$@" >"$W/not_ok.out" 2>"$W/not_ok.err"; }

# A real block with an armed rule that fails every write under $W/t and
# $W/nb, copied out of a faultrun exec run (cat reads it under the shim).
"$FAULTRUN" exec -q -f "name=t write errno=EIO path=$W/t/**" \
	-f "name=nb write errno=EIO path=$W/nb/**" -- \
	sh -c 'cat "$FAULTRUN_CTL"' >"$W/good"
size=$(stat -c %s "$W/good")
check "a block was copied ($size bytes)" [ "$size" -gt 4096 ]

# under BLOCK [RUNNER...]: run a writer to $W/t (or $W/nb) with the shim
# preloaded and FAULTRUN_CTL=BLOCK; sets $rc, output in $W/out
under() {
	local block=$1 dir=$W/t
	shift
	[ $# -gt 0 ] && dir=$W/nb
	rm -f "$dir/f"
	"$@" env "${shim_env[@]}" FAULTRUN_CTL="$block" \
		timeout -k 2 20 sh -c "echo hello >$dir/f && cat $dir/f" \
		>"$W/out" 2>&1
	rc=$?
}
injected() { [ "$rc" != 0 ] && grep -qiE "I/O error|Input/output error" "$W/out"; }
ignored() { [ "$rc" = 0 ] && grep -qx hello "$W/out"; }
# install NAME MODE [OWNER]: a copy of the good block
install_block() {
	cp "$W/good" "$W/$1"
	chmod "$2" "$W/$1"
	[ -n "${3:-}" ] && chown "$3" "$W/$1"
	true
}

note "a good block: the rule fires (the control for every check below)"
install_block mine 600
under "$W/mine"
check "our own 0600 block: the write fails with EIO" injected

note "blocks the shim must not use"
ln -s "$W/mine" "$W/link"
under "$W/link"
check "a symlink to a good block is ignored" ignored
install_block open 644
under "$W/open"
check "a block readable by others (0644) is ignored" ignored
mkfifo "$W/fifo"
under "$W/fifo"
check "a FIFO is ignored (and does not hang the program)" ignored
under "$W/t"
check "a directory is ignored" ignored
head -c $((size / 2)) "$W/good" >"$W/half"
chmod 600 "$W/half"
under "$W/half"
check "a truncated block is ignored" ignored
: >"$W/empty"
chmod 600 "$W/empty"
under "$W/empty"
check "an empty block is ignored" ignored
for field in magic:0:8 version:8:4 size:12:4 max_rules:16:4 max_events:20:4; do
	IFS=: read -r name off len <<<"$field"
	install_block "bad-$name" 600
	printf '%*s' "$len" '' | tr ' ' '\377' |
		dd of="$W/bad-$name" bs=1 seek="$off" conv=notrunc status=none
	under "$W/bad-$name"
	check "a block with a bad $name is ignored" ignored
done
under "$W/does-not-exist"
check "a missing block is ignored" ignored

if [ ${#as_nobody[@]} -gt 0 ]; then
	note "another user's block"
	install_block theirs 600 nobody
	under "$W/theirs"
	check "root: a block owned by nobody is ignored" ignored
	install_block root-only 600
	under "$W/root-only" "${as_nobody[@]}"
	check "nobody: root's 0600 block is ignored (cannot open it)" ignored
	install_block root-open 666
	under "$W/root-open" "${as_nobody[@]}"
	check "nobody: root's block even when 0666 is ignored" ignored
	install_block nobodys 600 nobody
	under "$W/nobodys" "${as_nobody[@]}"
	check "nobody: its own block works (the control)" injected
fi

note "garbage behind a valid header never crashes a program"
crashed=0
for seed in $(seq 1 20); do
	python3 - "$W/good" "$W/garbage" "$seed" <<'PY'
import random, sys
data = bytearray(open(sys.argv[1], "rb").read())
r = random.Random(int(sys.argv[3]))
# header (magic, version, size, max_*) kept; then nslots, the masks, and
# the rule table: random bytes at random places, and whole random runs
for _ in range(200):
    data[r.randrange(48, 46000)] = r.randrange(256)
for _ in range(4):
    at = r.randrange(48, 46000)
    data[at:at + 512] = bytes(r.randrange(256) for _ in range(512))
open(sys.argv[2], "wb").write(data)
PY
	chmod 600 "$W/garbage"
	for prog in "sh -c 'echo hello >$W/t/f; cat $W/t/f; ls $W >/dev/null'" \
		"python3 -c 'open(\"$W/t/p\", \"w\").write(\"x\" * 100000); import os; os.listdir(\"$W\")'"; do
		env "${shim_env[@]}" FAULTRUN_CTL="$W/garbage" \
			timeout -k 2 20 sh -c "$prog" >/dev/null 2>&1
		st=$?
		# 124: a stall rule made of garbage may hold a call until cleared
		if [ "$st" -ge 128 ] && [ "$st" != 124 ]; then
			crashed=$((crashed + 1))
			note "seed $seed: '$prog' died with status $st"
			cp "$W/garbage" "$W/crash-$seed"
		fi
	done
done
check "no program died of a signal on 20 garbage blocks" [ "$crashed" = 0 ]

note "faultrun exec: a private run directory"
"$FAULTRUN" exec -q -- sh -c 'd=${FAULTRUN_CTL%/*}
stat -c "%a %u" "$d" "$FAULTRUN_CTL"; echo "$FAULTRUN_CTL"' >"$W/perm"
check "run directory 0700, ours" [ "$(sed -n 1p "$W/perm")" = "700 $(id -u)" ]
check "block 0600, ours" [ "$(sed -n 2p "$W/perm")" = "600 $(id -u)" ]
check "the run directory is gone after the run" [ ! -e "$(sed -n 3p "$W/perm")" ]

if [ ${#as_nobody[@]} -gt 0 ]; then
	note "another user and a live run"
	"$FAULTRUN" exec -q -f "name=x write errno=EIO path=$W/t/**" -- \
		sh -c 'echo "$FAULTRUN_CTL" >'"$W/ctlpath"'; exec sleep 30' &
	pid=$!
	wait_for 10 test -s "$W/ctlpath"
	ctl=$(cat "$W/ctlpath")
	check "nobody can use faultrun itself (the control)" \
		"${as_nobody[@]}" env XDG_RUNTIME_DIR="$W/nb" "$FAULTRUN" exec -q -- true
	check "nobody cannot read the block" \
		not_ok "${as_nobody[@]}" cat "$ctl"
	check "nobody cannot list the run directory" \
		not_ok "${as_nobody[@]}" ls "${ctl%/*}"
	check "nobody cannot steer it with faultrun ctl --run DIR" \
		not_ok "${as_nobody[@]}" "$FAULTRUN" ctl --run "${ctl%/*}" disarm x
	check "nobody cannot steer it with faultrun ctl --run PID" \
		not_ok "${as_nobody[@]}" "$FAULTRUN" ctl --run "$pid" disarm x
	check "the rule is still armed" grep -q "armed" \
		<("$FAULTRUN" ctl --run "$pid" list 2>&1 | grep -v disarmed)
	kill "$pid"
	wait "$pid" 2>/dev/null

	note "faultrun ctl and a block that is not ours"
	mkdir -p "$W/foreign"
	install_block foreign/ctl 600 nobody
	check "ctl refuses a block owned by nobody" \
		not_ok "$FAULTRUN" ctl --run "$W/foreign" list
fi
mkdir -p "$W/linked"
ln -s "$W/mine" "$W/linked/ctl"
check "ctl refuses a block reached through a symlink" \
	not_ok "$FAULTRUN" ctl --run "$W/linked" list
check "... and names it" grep -q "linked/ctl" "$W/not_ok.err"

note "the base directory of run directories"
base=$XDG_RUNTIME_DIR/faultrun
rm -rf "$base"
mkdir -m 700 "$W/elsewhere"
ln -s "$W/elsewhere" "$base"
check "faultrun exec refuses a base directory that is a symlink" \
	not_ok "$FAULTRUN" exec -q -- true
"$FAULTRUN" exec -q -- true 2>"$W/err"
check "... and names it and why" \
	grep -qF "cannot create a run directory: '$base' is a symbolic link" "$W/err"
rm "$base"
mkdir -m 755 "$base"
check "... one open to others (0755)" not_ok "$FAULTRUN" exec -q -- true
"$FAULTRUN" exec -q -- true 2>"$W/err"
check "... and names it and why" grep -qF "'$base' is open to other users (mode 755)" "$W/err"
if [ ${#as_nobody[@]} -gt 0 ]; then
	chmod 700 "$base"
	chown nobody "$base"
	check "... one owned by someone else" not_ok "$FAULTRUN" exec -q -- true
	"$FAULTRUN" exec -q -- true 2>"$W/err"
	check "... and names it and whose it is" \
		grep -qF "'$base' belongs to uid $(id -u nobody), not to uid $(id -u)" "$W/err"
fi
rm -rf "$base"
"$FAULTRUN" exec -q -- true
check "a fresh base directory is made 0700" \
	[ "$(stat -c %a "$base")" = 700 ]
finish
