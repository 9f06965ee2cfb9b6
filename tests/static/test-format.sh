#!/bin/sh
# The C sources follow the tree's .clang-format (kernel style, 100 columns):
# lists every file clang-format would change. Skips (77) without
# clang-format, whose output differs between major versions: the one
# tools/install-deps installs (Debian bookworm's 14) is the reference.
set -u
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
command -v clang-format >/dev/null 2>&1 || { echo "SKIP: no clang-format"; exit 77; }
cd "$root" || exit 1
bad=0 n=0
for f in $(find harness include -name '*.[ch]' | sort); do
	n=$((n + 1))
	if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
		echo "not formatted: $f (clang-format -i $f)"
		bad=$((bad + 1))
	fi
done
echo "$n files checked, $bad not formatted"
[ "$bad" = 0 ] && [ "$n" -gt 0 ]
