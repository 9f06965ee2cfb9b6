#!/bin/sh
# libfaultrun.so exports exactly the functions of faultrun.map, each at
# version FAULTRUN_1, and its SONAME is libfaultrun.so.1: a symbol that
# leaks (an internal fr_ctl_* of harness/fault) would become ABI.
# usage: test-lib-symbols.sh LIBFAULTRUN.so faultrun.map faultrun.h
set -u
lib=$1 map=$2 header=$3
fails=0
want=$(sed -n 's/^[[:space:]]*\(fr_[a-z_]*\);.*/\1/p' "$map" | sort)
declared=$(grep -o '\bfr_run_[a-z_]*(' "$header" | tr -d '(' | sort -u)
if [ "$declared" = "$want" ]; then
	echo "ok - faultrun.map lists every function faultrun.h declares"
else
	echo "not ok - faultrun.map and faultrun.h differ:"
	diff -u /dev/fd/3 /dev/fd/4 3<<E1 4<<E2 | sed 's/^/#   /'
$declared
E1
$want
E2
	fails=$((fails + 1))
fi
# defined dynamic symbols, without the version node's own ABS entry
have=$(readelf --dyn-syms -W "$lib" | awk '$1 ~ /^[0-9]+:$/ && $7 != "UND" && $5 != "LOCAL" && $8 != "" { print $8 }' |
	grep -v '^FAULTRUN_1$' | sort)
if [ "$(echo "$have" | sed 's/@@FAULTRUN_1$//')" = "$want" ]; then
	echo "ok - exports exactly the $(echo "$want" | wc -l) symbols of faultrun.map"
else
	echo "not ok - exports differ from faultrun.map:"
	diff -u /dev/fd/3 /dev/fd/4 3<<E1 4<<E2 | sed 's/^/#   /'
$want
E1
$(echo "$have" | sed 's/@@FAULTRUN_1$//')
E2
	fails=$((fails + 1))
fi
unversioned=$(echo "$have" | grep -v '@@FAULTRUN_1$')
if [ -z "$unversioned" ]; then
	echo "ok - every export is at version FAULTRUN_1"
else
	echo "not ok - not at FAULTRUN_1: $unversioned"
	fails=$((fails + 1))
fi
if readelf -d "$lib" | grep -q 'SONAME.*\[libfaultrun\.so\.1\]'; then
	echo "ok - SONAME libfaultrun.so.1"
else
	echo "not ok - SONAME is not libfaultrun.so.1"
	fails=$((fails + 1))
fi
# and nm agrees (a second reader of the table)
if [ "$(nm -D --defined-only "$lib" | awk '$2 == "T" { print $3 }' | sed 's/@@FAULTRUN_1$//' | sort)" = "$want" ]; then
	echo "ok - nm -D lists the same functions"
else
	echo "not ok - nm -D lists other functions"
	fails=$((fails + 1))
fi
[ "$fails" -eq 0 ]
