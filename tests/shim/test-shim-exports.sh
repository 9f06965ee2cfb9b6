#!/bin/sh
# The symbols libfaultshim.so exports are exactly the entry points declared
# in harness/shim/wrapped.def: nothing missing (a wrapper the version script
# or a visibility slip hides), nothing extra (a helper leaking into every
# target's namespace).
#
# usage: test-shim-exports.sh LIBFAULTSHIM WRAPPED_NAMES
set -eu
shim=$1
names=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
nm -D --defined-only "$shim" | awk '{ print $3 }' | sed 's/@.*//' |
	sort >"$tmp/exported"
grep -v '^[[:space:]]*$' "$names" | sed 's/[[:space:]]//g' | sort >"$tmp/declared"
if ! diff -u "$tmp/declared" "$tmp/exported"; then
	echo "faultrun: exported symbols differ from wrapped.def (- declared, + exported)" >&2
	exit 1
fi
n=$(wc -l <"$tmp/declared")
[ "$n" -gt 100 ] || { echo "faultrun: only $n names in wrapped.def?" >&2; exit 1; }
echo "ok: $n exported symbols, all declared in wrapped.def"
