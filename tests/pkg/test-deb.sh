#!/bin/sh
# The Debian package as a user meets it: debian/ builds a .deb from a clean
# copy of the tree (never the source tree: dpkg-buildpackage writes into the
# tree it builds and one directory above it), apt-get installs it, and the
# installed faultrun, run from another directory with no FAULTRUN_*
# variable set, finds its runner, shim and targets: the disk-full incident
# passes and `faultrun exec` injects a failure into cat. The package is
# purged at the end, so the machine is left as it was found.
# Root only (it installs a package); skips (77) without root, without
# dpkg-buildpackage, or when faultrun is already installed (not ours to
# replace). Slow (a whole optimised build): tests/run runs it once, in the
# plain pass.
set -u

[ "$(id -u)" -eq 0 ] || { echo "not root: skipped"; exit 77; }
command -v dpkg-buildpackage >/dev/null || {
	echo "no dpkg-buildpackage (apt-get install dpkg-dev debhelper): skipped"
	exit 77
}
if dpkg-query -W -f='${Status}' faultrun 2>/dev/null | grep -q "ok installed"; then
	echo "a faultrun package is installed already; not replacing it: skipped"
	exit 77
fi

src=$(cd "$(dirname "$0")/../.." && pwd)
W=$(mktemp -d "${TMPDIR:-/tmp}/faultrun-deb.XXXXXX")
installed=0
cleanup() {
	[ "$installed" = 1 ] && dpkg --purge faultrun libfaultrun-dev libfaultrun1 >/dev/null 2>&1
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

fails=0
ok() { printf 'ok - %s\n' "$*"; }
fail() { printf 'not ok - %s\n' "$*"; fails=$((fails + 1)); }
die() { printf 'not ok - %s\n' "$*"; exit 1; }
# apt and dpkg wait for a lock another apt-get holds, for so long
LOCK="-o DPkg::Lock::Timeout=120"

# A clean copy: the files git knows, plus new ones not ignored, as they are
# in the working tree (so uncommitted work is what gets packaged), and
# nothing from build directories.
mkdir "$W/faultrun" "$W/run"
if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
	git -C "$src" ls-files -z -c -o --exclude-standard |
		tar -C "$src" --null -T - --ignore-failed-read -cf - 2>/dev/null |
		tar -C "$W/faultrun" -xf - || die "copying the tree"
else
	tar -C "$src" --exclude='./build*' -cf - . | tar -C "$W/faultrun" -xf - ||
		die "copying the tree"
fi

# dpkg-checkbuilddeps first: a missing build dependency is a failure with
# its name, not a compiler error deep in the build log
(cd "$W/faultrun" && dpkg-checkbuilddeps) || die "build dependencies (tools/install-deps)"
# parallel=2: the machine's cores; nocheck: the suites run from tests/run;
# noddebs: no -dbgsym package to build and throw away
if ! (cd "$W/faultrun" && DEB_BUILD_OPTIONS="nocheck noddebs parallel=2" \
	nice dpkg-buildpackage -b -us -uc >"$W/build.log" 2>&1); then
	tail -40 "$W/build.log"
	die "dpkg-buildpackage -b -us -uc"
fi
deb=$(ls "$W"/faultrun_*.deb 2>/dev/null | head -1)
[ -n "$deb" ] && ok "dpkg-buildpackage built $(basename "$deb")" || die "no faultrun_*.deb"
lib=$(ls "$W"/libfaultrun1_*.deb 2>/dev/null | head -1)
dev=$(ls "$W"/libfaultrun-dev_*.deb 2>/dev/null | head -1)
[ -n "$lib" ] && [ -n "$dev" ] && ok "and $(basename "$lib"), $(basename "$dev")" ||
	die "no libfaultrun1_*.deb or libfaultrun-dev_*.deb"

# What the packages hold, where the issue and the FHS put it
triplet=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|' >"$W/files"
dpkg-deb -c "$lib" | awk '{ print $6 }' | sed 's|^\./|/|' >"$W/lib-files"
dpkg-deb -c "$dev" | awk '{ print $6 }' | sed 's|^\./|/|' >"$W/dev-files"
grep -qx "/usr/lib/$triplet/libfaultrun.so.1" "$W/lib-files" &&
	ok "libfaultrun1 holds libfaultrun.so.1" || fail "libfaultrun1 lacks libfaultrun.so.1"
for f in /usr/include/faultrun/faultrun.h "/usr/lib/$triplet/libfaultrun.so" \
	"/usr/lib/$triplet/pkgconfig/faultrun.pc"; do
	grep -qx "$f" "$W/dev-files" && ok "libfaultrun-dev holds $f" || fail "libfaultrun-dev lacks $f"
done
grep -q libfaultrun "$W/files" && fail "the faultrun package holds a libfaultrun file"
for f in /usr/bin/faultrun /usr/libexec/faultrun/faultrun-run \
	"/usr/lib/$triplet/faultrun/libfaultshim.so" \
	/usr/libexec/faultrun/targets/supervised-log \
	/usr/libexec/faultrun/targets/pooled-db \
	/usr/libexec/faultrun/targets/daemon-supervisor \
	/usr/share/doc/faultrun/README.md /usr/share/doc/faultrun/copyright; do
	grep -qx "$f" "$W/files" && ok "package holds $f" || fail "package lacks $f"
done
# every scenario of the tree (scenarios/meson.build lists them by name)
for y in "$src"/scenarios/*.yml; do
	f=/usr/share/faultrun/scenarios/$(basename "$y")
	grep -qx "$f" "$W/files" && ok "package holds $f" || fail "package lacks $f"
done

# and everything `meson install` installs (man pages, completion... as they
# are added), man pages compressed by dh_compress
b=$(ls -d "$W"/faultrun/obj-* 2>/dev/null | head -1)
meson introspect --installed "$b" 2>/dev/null | python3 -c '
import json, sys
for dest in json.load(sys.stdin).values():
    print(dest)' >"$W/meson-files"
n=0
while read -r f; do
	n=$((n + 1))
	cat "$W/files" "$W/lib-files" "$W/dev-files" | grep -qxF -e "$f" -e "$f.gz" || fail "package lacks $f (meson install installs it)"
done <"$W/meson-files"
[ "$n" -gt 0 ] && ok "package holds the $n files meson install installs" ||
	fail "meson introspect --installed $b listed nothing"

# Install it as a user would (apt-get resolves its Depends)
if apt-get $LOCK install -y -q --no-install-recommends "$deb" "$lib" "$dev" >"$W/apt.log" 2>&1; then
	installed=1
	ok "apt-get install ./$(basename "$deb")"
else
	installed=1
	cat "$W/apt.log"
	die "apt-get install ./$(basename "$deb")"
fi

# From another directory, with a shell's environment: no FAULTRUN_* (nor
# anything else the test harness set) that could point at a build tree
cd "$W/run" || die "cd $W/run"
clean() {
	env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME="${HOME:-/root}" LANG=C.UTF-8 "$@"
}
[ "$(command -v faultrun)" = /usr/bin/faultrun ] && ok "faultrun is /usr/bin/faultrun" ||
	fail "faultrun on PATH is '$(command -v faultrun)'"

clean faultrun --version >"$W/version" 2>&1 && grep -q '^faultrun ' "$W/version" &&
	ok "faultrun --version: $(cat "$W/version")" || fail "faultrun --version"

clean faultrun check /usr/share/faultrun/scenarios/ >"$W/check.out" 2>&1 &&
	ok "faultrun check /usr/share/faultrun/scenarios/" ||
	{ cat "$W/check.out"; fail "faultrun check /usr/share/faultrun/scenarios/"; }

# the shim preloaded is the installed one (LD_PRELOAD as the target sees it)
pre=$(clean faultrun exec -q --may-not-fire -f "open errno=EACCES path=/nonexistent/**" \
	-- sh -c 'printf %s "$LD_PRELOAD"' 2>"$W/pre.err")
case $pre in
"/usr/lib/$triplet/faultrun/libfaultshim.so"*) ok "the target preloads $pre" ;;
*) cat "$W/pre.err"; fail "the target's LD_PRELOAD is '$pre'" ;;
esac

# the disk-full incident against the installed supervised-log: passes
if timeout 120 env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="${HOME:-/root}" \
	faultrun /usr/share/faultrun/scenarios/disk-full.yml >"$W/run.out" 2>"$W/run.err"; then
	ok "faultrun /usr/share/faultrun/scenarios/disk-full.yml: $(head -1 "$W/run.out")"
else
	st=$?
	cat "$W/run.out" "$W/run.err"
	fail "faultrun /usr/share/faultrun/scenarios/disk-full.yml exited $st"
fi

# the shim alone: cat meets EACCES on the one path the rule names
clean faultrun exec -f "open errno=EACCES path=/etc/hostname" -- cat /etc/hostname \
	>"$W/exec.out" 2>"$W/exec.err"
st=$?
if [ "$st" = 1 ] && grep -q 'cat: /etc/hostname: Permission denied' "$W/exec.err" &&
	grep -q "rule 'rule0' armed: matched 1, injected 1" "$W/exec.err"; then
	ok "faultrun exec: cat /etc/hostname met EACCES (exit 1)"
else
	cat "$W/exec.out" "$W/exec.err"
	fail "faultrun exec -f 'open errno=EACCES path=/etc/hostname' -- cat exited $st"
fi

# libfaultrun-dev: a program built with pkg-config's flags alone links and
# runs against the installed library, and steers a run of the installed tool
if command -v cc >/dev/null && cc -o "$W/ctl-example" "$src/tests/lib/ctl-example.c" \
	$(pkg-config --cflags --libs faultrun) 2>"$W/cc.err"; then
	ok "tests/lib/ctl-example.c builds with pkg-config faultrun"
	# not through clean(): $! must be faultrun's own pid, not a subshell's
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="${HOME:-/root}" \
		faultrun exec -q --paused -f 'write errno=EIO name=ex' -- sleep 3 2>/dev/null &
	epid=$!
	for _ in $(seq 50); do clean faultrun ctl --run $epid list >/dev/null 2>&1 && break; sleep 0.1; done
	if clean "$W/ctl-example" $epid ex >"$W/ex.out" 2>&1 &&
		clean faultrun ctl --run $epid list 2>&1 | grep -q "rule .ex. armed"; then ok "the example arms a rule of a live run"
	else cat "$W/ex.out"; fail "ctl-example against the installed library"; fi
	kill $epid 2>/dev/null; wait $epid 2>/dev/null
else
	cat "$W/cc.err"; fail "tests/lib/ctl-example.c does not build with pkg-config faultrun"
fi

# with its shim gone, the installed faultrun names every place it looked at
shim=/usr/lib/$triplet/faultrun/libfaultshim.so
if mv "$shim" "$shim.away"; then
	clean faultrun exec -f "open errno=EACCES" -- true 2>"$W/noshim.err"
	st=$?
	mv "$shim.away" "$shim"
	if [ "$st" != 0 ] && grep -q 'FAULTRUN_SHIM (not set)' "$W/noshim.err" &&
		grep -q '/usr/bin/../shim/libfaultshim.so (the build tree)' "$W/noshim.err" &&
		grep -q "$shim (the installed shim)" "$W/noshim.err"; then
		ok "no shim: exit $st, naming the three places looked at"
	else
		cat "$W/noshim.err"
		fail "no shim: exit $st"
	fi
else
	fail "cannot move $shim away"
fi

# purge: nothing of the package stays behind
cd / || exit 1
if dpkg --purge faultrun libfaultrun-dev libfaultrun1 >"$W/purge.log" 2>&1; then
	installed=0
	ok "dpkg --purge faultrun"
else
	cat "$W/purge.log"
	fail "dpkg --purge faultrun"
fi
for f in /usr/bin/faultrun /usr/libexec/faultrun "/usr/lib/$triplet/faultrun" \
	"/usr/lib/$triplet/libfaultrun.so.1" /usr/include/faultrun \
	/usr/share/faultrun /usr/share/doc/faultrun; do
	[ -e "$f" ] && fail "$f is left after the purge"
done

[ "$fails" = 0 ] || { echo "# $fails check(s) failed"; exit 1; }
exit 0
