# Helpers shared by tests/lb/test-lb-*.sh (sourced, not run): the target
# tests' helpers, and how to find HAProxy. Skips (77) without it.
here=$(dirname "$0")
. "$here/../e2e/test-targets-lib.sh"

: "${LB_TOOL:?}"
command -v curl >/dev/null || { echo "# SKIP: curl missing"; exit 77; }
command -v python3 >/dev/null || { echo "# SKIP: python3 missing"; exit 77; }
haproxy=$("$LB_TOOL" argv /dev/null 2>/dev/null | head -1)
[ -n "$haproxy" ] || { echo "# SKIP: haproxy missing (tools/install-deps installs it)"; exit 77; }
