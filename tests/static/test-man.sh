#!/bin/bash
# The manual pages render without a warning (man-db and groff, every
# warning enabled), every section 1 page says its EXIT STATUS, and
# faultrun-faults(7) documents every operation, action and field the SPEC
# parser accepts, read from the parser's own tables (harness/fault/rule.c,
# rule_spec.c): a new operation or field cannot leave the page behind.
# Usage: test-man.sh SOURCE_ROOT PAGE... (the built pages). Skips (77)
# without man or groff.
set -u
root=$1
shift
command -v man >/dev/null 2>&1 && command -v groff >/dev/null 2>&1 ||
	{ echo "SKIP: no man or groff"; exit 77; }
[ $# -gt 0 ] || { echo "no pages given (built without scdoc?)"; exit 77; }
export LC_ALL=C.UTF-8 MANWIDTH=80
D=$(mktemp -d "${TMPDIR:-/tmp}/faultrun-man-XXXXXX")
trap 'rm -rf "$D"' EXIT
fails=0
ok() { printf 'ok - %s\n' "$*"; }
fail() { printf 'not ok - %s\n' "$*"; fails=$((fails + 1)); }

faults=
for page in "$@"; do
	name=${page##*/}
	# man --warnings: what man-db's own groff run reports; groff -ww: every warning
	w=$(man --warnings -l "$page" 2>&1 >/dev/null; groff -ww -z -man -Tutf8 "$page" 2>&1)
	if [ -z "$w" ]; then ok "$name renders without warnings"; else
		fail "$name renders with warnings:"
		printf '#   %s\n' "$w"
	fi
	case $name in
	*.1)
		if man -l "$page" 2>/dev/null | grep -q '^EXIT STATUS'; then
			ok "$name has EXIT STATUS"
		else fail "$name has no EXIT STATUS section"; fi
		;;
	faultrun-faults.7) faults=$page ;;
	esac
done
[ -n "$faults" ] || { fail "faultrun-faults.7 was not given"; exit 1; }

# The page as text, one paragraph a line where it fits (no hyphenation, no
# justification), and its definition terms: a line indented 7 whose next
# line is indented 11 (the term's text).
MANWIDTH=250 man --nh --nj -l "$faults" >"$D/text" 2>/dev/null
awk '{ ind = match($0, /[^ ]/) - 1 } ind == 11 && pind == 7 { print p }
	NF { p = $0; pind = ind }' "$D/text" >"$D/terms"
[ -s "$D/terms" ] || fail "no definition terms found in faultrun-faults(7)"

# Operations: rule.c's op_names, less those parse_ops() refuses as SPEC words.
rule_c=$root/harness/fault/rule.c spec_c=$root/harness/fault/rule_spec.c
hidden=$(grep -o 'op != FR_OP_[A-Z_]*' "$spec_c" | sed 's/.*FR_OP_//')
n=0
while read -r id word path; do
	n=$((n + 1))
	case " $(echo $hidden) " in *" $id "*) continue ;; esac
	if grep -Eq "^ {7}\*?$word \($path\)" "$D/terms"; then
		ok "operation $word ($path) is documented"
	else fail "operation '$word ($path)' is not a term of faultrun-faults(7)"; fi
done < <(sed -n 's/.*\[FR_OP_\([A-Z_]*\)\] = { "\([^"]*\)", "\([^"]*\)" }.*/\1 \2 \3/p' "$rule_c")
[ "$n" -ge 14 ] || fail "read only $n operations from $rule_c"

# Actions: rule.c's action_names (all but "none"), each the start of a term.
n=0
for a in $(sed -n 's/.*\[FR_ACT_[A-Z_]*\] = "\([^"]*\)".*/\1/p' "$rule_c"); do
	[ "$a" = none ] && continue
	n=$((n + 1))
	if grep -Eq "^ {7}$a([= ,]|$)" "$D/terms"; then ok "action $a is documented"
	else fail "action '$a' does not start a term of faultrun-faults(7)"; fi
done
[ "$n" -ge 10 ] || fail "read only $n actions from $rule_c"

# Fields: every key of rule_spec.c's rule_keys, in some term.
keys=$(sed -n '/rule_keys\[\] = {/,/};/p' "$spec_c" | grep -o '"[^"]*"' | tr -d '"')
n=0
for k in $keys; do
	n=$((n + 1))
	if grep -Eq "(^ {7}|[ ,|[])$k(=|,| |$)" "$D/terms"; then ok "field $k is documented"
	else fail "field '$k' is in no term of faultrun-faults(7)"; fi
done
[ "$n" -ge 30 ] || fail "read only $n fields from $spec_c"

# Every Markdown page a --help or a manual page sends the reader to is one
# docs/meson.build installs into the docdir
for f in $(grep -hoE '[a-z-]+\.md' "$root"/harness/cli/*.c "$root"/docs/man/*.scd | sort -u); do
	if grep -q "'$f'" "$root/docs/meson.build"; then ok "$f (named by a --help or a page) is installed"
	else fail "$f is named by a --help or a manual page but docs/meson.build does not install it"; fi
done

echo "$fails failed"
[ "$fails" = 0 ]
