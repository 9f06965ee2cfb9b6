#!/bin/sh
# Static check of libfaultshim.so: code linked into the shim never calls a
# libc function the shim interposes (every name in harness/shim/wrapped.def)
# except through its table of real functions (shim_real.<name>.fn). A
# direct call such as close(fd) inside the shim resolves to the shim's own
# exported wrapper: it re-enters the shim (a decision inside a decision, a
# wrapper running before the table is bound) instead of reaching libc.
# In the spirit of umockdev's tests/test-static-code.
#
# Two views, so a slip shows in either:
#  - the built library's dynamic relocations (JUMP_SLOT for a call,
#    GLOB_DAT or 64 for a taken address) that name a wrapped symbol;
#  - the undefined symbols (nm -u) of the static libraries linked into it
#    (harness/fault's reader side), which name the call's source file.
#
# usage: test-shim-static.sh LIBFAULTSHIM WRAPPED_NAMES [STATIC_LIB...]
set -eu
shim=$1
names=$2
shift 2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

grep -v '^[[:space:]]*$' "$names" | sed 's/[[:space:]]//g' | sort -u >"$tmp/wrapped"
n=$(wc -l <"$tmp/wrapped")
[ "$n" -gt 100 ] || { echo "faultrun: only $n names in $names?" >&2; exit 1; }

status=0
# readelf -rW: "Offset Info Type Symbol's-Value Symbol's-Name + Addend"
readelf -rW "$shim" |
	awk '$3 ~ /^R_/ && NF >= 5 { sub(/@.*/, "", $5); print $3, $5 }' |
	sort -u >"$tmp/relocs"
awk 'NR == FNR { w[$1] = 1; next } ($2 in w)' "$tmp/wrapped" "$tmp/relocs" \
	>"$tmp/bad-relocs"
if [ -s "$tmp/bad-relocs" ]; then
	echo "faultrun: $shim calls interposed names directly (use SHIM_REAL):" >&2
	sed 's/^/  /' "$tmp/bad-relocs" >&2
	status=1
fi

for lib in "$@"; do
	nm -u -A "$lib" 2>/dev/null |
		awk '{ print $1, $NF }' | sed 's/@.*//' | sort -u >"$tmp/undef"
	awk 'NR == FNR { w[$1] = 1; next } ($2 in w)' "$tmp/wrapped" \
		"$tmp/undef" >"$tmp/bad-undef"
	if [ -s "$tmp/bad-undef" ]; then
		echo "faultrun: $lib (linked into the shim) calls interposed names:" >&2
		sed 's/^/  /' "$tmp/bad-undef" >&2
		status=1
	fi
done

[ "$status" -eq 0 ] || exit 1
nrel=$(wc -l <"$tmp/relocs")
echo "ok: none of $n wrapped names among $nrel relocations of $shim" \
	"nor undefined in $# static libraries"
