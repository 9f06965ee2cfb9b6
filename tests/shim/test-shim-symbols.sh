#!/bin/bash
# The shim binds its real functions by reading the symbol tables of the
# objects after it (harness/shim/symbols.c), not with dlsym: this checks,
# for every wrapped.def name, that the lookup gives what dlsym(RTLD_NEXT)
# gives from the shim's place in LD_PRELOAD (after a sanitizer runtime,
# which intercepts many of the same names), and that it mallocs nothing
# (a dlsym that fails does, which deadlocked jemalloc's initialisation).
# libsymcheck.so (tests/shim/symcheck.c) does both in its constructor.
#
#   test-shim-symbols.sh LIBSYMCHECK
set -u
lib=$1
# under ASan the runtime stays first, as faultrun keeps it (fr_launch_setenv)
rt=$(ldd "$lib" | awk '$1 ~ /^lib(asan|tsan)\.so/ { print $3; exit }')
preload="${rt:+$rt:}$lib"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

# check NAME CMD...: CMD started with libsymcheck.so preloaded (one line
# per process it starts)
check() {
	local name=$1 line
	shift
	LD_PRELOAD="$preload" timeout 15 "$@" >/dev/null 2>"$tmp/err"
	grep '^symcheck: differs' "$tmp/err"
	if ! grep -q '^symcheck: [0-9]' "$tmp/err"; then
		echo "FAIL: $name: no symcheck line: $(head -3 "$tmp/err")"
		fails=$((fails + 1))
		return
	fi
	while read -r line; do
		echo "$name: $line"
		# every name decided by the tables as dlsym decides it, with no
		# malloc; and a failing dlsym's malloc seen (the count works)
		if ! echo "$line" | grep -Eq ' 0 unsure, 0 differ, 0 mallocs in the lookups, [1-9][0-9]* in a failing dlsym$'; then
			echo "FAIL: $name"
			fails=$((fails + 1))
		fi
		# a lookup finding nothing would agree with a dlsym finding
		# nothing: nearly every name is in libc, so count them too
		if [ "$(echo "$line" | sed -n 's/.* names, \([0-9]*\) found.*/\1/p')" -lt 150 ]; then
			echo "FAIL: $name: too few names found"
			fails=$((fails + 1))
		fi
	done < <(grep '^symcheck: [0-9]' "$tmp/err")
}

check true /bin/true
# python3 needs libm, libz, libexpat before libc: lookups pass through them
if command -v python3 >/dev/null; then
	check python3 python3 -c pass
fi
# curl: libcurl and its twenty-odd libraries, in breadth-first order (not
# under ASan: curl hangs at start with libasan preloaded, shim or not)
if command -v curl >/dev/null && [ -z "$rt" ]; then
	check curl curl --version
fi
[ "$fails" -eq 0 ] || exit 1
echo "ok: libsymcheck agrees with dlsym(RTLD_NEXT)${rt:+ after $rt}"
