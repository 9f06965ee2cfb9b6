#!/bin/bash
# Nobody else gets into a run's embedded MariaDB. scenarios/pool-exhaustion.yml
# runs as root against pooled-db (as shipped); while it runs, another local
# user (nobody, through setpriv) tries to log in:
# - over TCP as the target's account with no password, a wrong one, and every
#   password-like word it can read in any process's command line (ps), as
#   faultrun's admin account, as root and anonymously: each is refused by the
#   server ("Access denied"), so the port was reachable and auth said no;
# - over the unix socket: it cannot even reach it (the run directory is 0700);
# - it cannot read the target's environment nor the run directory.
# Meanwhile the target logs in (the scenario passes), the server listens on
# 127.0.0.1 only, the target's password is in no process's command line and
# in no environment but the target's. A static check: no shipped scenario
# hands a password to anything but a target's `env` (or names the file).
# A second run, as a target user: that user can use the socket and the
# password file. Root only (skip 77 otherwise); needs the mariadb client.
. "$(dirname "$0")/test-scenario-lib.sh"
need_mariadb

[ "$(id -u)" = 0 ] || { echo "not root: skipped"; exit 77; }
for t in setpriv mariadb ss; do
	command -v $t >/dev/null || { echo "no $t: skipped"; exit 77; }
done
id nobody >/dev/null 2>&1 || { echo "no user nobody: skipped"; exit 77; }
as_nobody=(setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/)
not() { ! "$@"; }
chmod 755 "$WORK" # nobody runs in it; the runtime dirs below stay 0700

# ---- the shipped scenarios hand passwords to targets privately -----------
if ! python3 -c 'import yaml' 2>/dev/null; then
	note "no python3-yaml: the shipped scenarios are not checked"
else
check "no shipped scenario puts a password anywhere but a target's env" \
	python3 - "$SCENARIOS" <<'PY'
import glob, os, re, sys, yaml
bad = []
secret = re.compile(r"\$\{services\.[^}]*\.(admin_)?password(:-[^}]*)?\}")
def walk(node, path, f):
    if isinstance(node, dict):
        for k, v in node.items():
            walk(v, path + [str(k)], f)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            walk(v, path + [str(i)], f)
    elif isinstance(node, str) and secret.search(node):
        if path[:2] != ["target", "env"]:
            bad.append("%s: %s: %s" % (f, ".".join(path), node))
for f in sorted(glob.glob(os.path.join(sys.argv[1], "*.yml"))):
    walk(yaml.safe_load(open(f)), [], os.path.basename(f))
for b in bad:
    print("# " + b)
sys.exit(1 if bad else 0)
PY
fi

# ---- a run of pool-exhaustion.yml, and what nobody can do meanwhile ------
rt=$WORK/fixed.rt
mkdir -m 700 "$rt"
XDG_RUNTIME_DIR=$rt "$FAULTRUN" "$SCENARIOS/pool-exhaustion.yml" -v \
	--junit "$WORK/fixed.xml" >"$WORK/fixed.out" 2>"$WORK/fixed.err" &
frpid=$!
for i in $(seq 1 300); do
	grep -q 'the timeline starts' "$WORK/fixed.err" && break
	kill -0 $frpid 2>/dev/null || break
	sleep 0.1
done
check "the run started" grep -q 'the timeline starts' "$WORK/fixed.err"

# the run's processes, found through the marker (the runtime dir)
pids=$(procs_marked "$rt")
server=
target=
for p in $pids; do
	case "$(cat /proc/$p/comm 2>/dev/null)" in
	mariadbd) server=$p ;;
	pooled-db) target=$p ;;
	esac
done
note "server $server, target $target"
check "the run has a server and a target" test -n "$server" -a -n "$target"
arg() { tr '\0' '\n' </proc/$server/cmdline | sed -n "s/^--$1=//p"; }
port=$(arg port)
sock=$(arg socket)
note "port $port, socket $sock"

# The target's password as the target got it: its environment, a file
# named on its command line, or (as it was) its command line.
password=$(python3 - "$target" <<'PY'
import sys
pid = sys.argv[1]
env = dict(e.split(b"=", 1) for e in open("/proc/%s/environ" % pid, "rb").read().split(b"\0") if b"=" in e)
argv = open("/proc/%s/cmdline" % pid, "rb").read().split(b"\0")
def after(flag):
    return argv[argv.index(flag) + 1] if flag in argv else None
pw = env.get(b"DB_PASSWORD") or after(b"--db-password")
if pw is None and after(b"--db-password-file"):
    pw = open(after(b"--db-password-file"), "rb").read().strip()
print((pw or b"").decode())
PY
)
check "the target has a password (${#password} characters)" [ ${#password} -ge 16 ]

# the processes whose command line, or environment, holds $1
holding() { # holding cmdline|environ STRING
	printf '%s' "$2" | python3 -c '
import os, sys
s = sys.stdin.buffer.read()
for p in os.listdir("/proc"):
    if p.isdigit() and int(p) != os.getpid():
        try:
            if s in open("/proc/%s/%s" % (p, sys.argv[1]), "rb").read():
                print(p, open("/proc/%s/comm" % p).read().strip())
        except OSError:
            pass
' "$1"
}
seen_cmd=$(holding cmdline "$password")
check "the password is in no process's command line" [ -z "$seen_cmd" ]
[ -n "$seen_cmd" ] && note "in the command line of: $seen_cmd"
seen_env=$(holding environ "$password" | grep -v ' pooled-db$')
check "the password is in no environment but the target's" [ -z "$seen_env" ]
[ -n "$seen_env" ] && note "in the environment of: $seen_env"

listen=$(ss -Hltnp | grep "pid=$server," | awk '{print $4}')
note "mariadbd listens on: $listen"
check "the server listens on 127.0.0.1 only" \
	sh -c '[ -n "$1" ] && ! printf "%s\n" $1 | grep -qv "^127\.0\.0\.1:"' _ "$listen"

# denied USER [PASSWORD]: nobody's login over TCP is refused by the server
denied() {
	local out
	if [ $# -ge 2 ]; then
		out=$("${as_nobody[@]}" MYSQL_PWD="$2" mariadb --no-defaults \
			--protocol=tcp -h 127.0.0.1 -P "$port" -u "$1" \
			--connect-timeout=5 -e 'SELECT CURRENT_USER()' 2>&1)
	else
		out=$("${as_nobody[@]}" mariadb --no-defaults --skip-password \
			--protocol=tcp -h 127.0.0.1 -P "$port" -u "$1" \
			--connect-timeout=5 -e 'SELECT CURRENT_USER()' 2>&1)
	fi
	case "$out" in
	*"Access denied"*) return 0 ;;
	esac
	note "as nobody, user '$1': $out"
	return 1
}
check "nobody: the target's account without a password: access denied" denied app
check "nobody: the target's account with a wrong password: access denied" denied app wrong
check "nobody: the admin account without a password: access denied" denied faultrun
check "nobody: root without a password: access denied" denied root
check "nobody: root with a password: access denied" denied root root
# an empty name is the client's login name: an anonymous account ('')
# would take any name that no account has
check "nobody: anonymous (a name no account has): access denied" denied nosuchuser
# what `ps` shows nobody: every word that looks like a password
words=$("${as_nobody[@]}" sh -c 'cat /proc/[0-9]*/cmdline 2>/dev/null' |
	tr '\0' '\n' | grep -oE '[0-9a-zA-Z]{16,}' | sort -u)
harvested=0
let_in=0
for w in $words; do
	harvested=$((harvested + 1))
	for u in app faultrun root; do
		denied "$u" "$w" || let_in=$((let_in + 1))
	done
done
check "nobody: none of the $harvested words of command lines logs in" [ $let_in = 0 ]
out=$("${as_nobody[@]}" mariadb --no-defaults --skip-password -S "$sock" \
	-u app --connect-timeout=5 -e 'SELECT 1' 2>&1)
note "nobody over the socket: $out"
check "nobody cannot reach the socket" \
	sh -c 'case "$1" in *"(13)"*|*"(2)"*) exit 0;; esac; exit 1' _ "$out"
check "nobody cannot list the run directory" \
	not "${as_nobody[@]}" ls "$(dirname "$(dirname "$sock")")"
check "nobody cannot read the target's environment" \
	not "${as_nobody[@]}" cat /proc/$target/environ

wait $frpid
status=$?
expect_exit fixed 0
check "the target used its database (/health green)" \
	junit fixed pass "/health is green before the leak"
check "fixed: nothing left running" nothing_left "$rt"

# ---- the target as another user: the socket and the file are its own ----
rt=$WORK/user.rt
mkdir -m 700 "$rt"
cat >"$WORK/user.yml" <<'YML'
name: as-user
services:
  db: {type: mariadb}
target:
  user: nobody
  shim: false
  command: ["/bin/sh", "-c", "MYSQL_PWD=$(cat \"$DB_PASSWORD_FILE\") mariadb --no-defaults -S \"$DB_SOCKET\" -u app -N -e 'SELECT CURRENT_USER()' app && ls -l \"$DB_PASSWORD_FILE\" && exec sleep 30"]
  env: {DB_PASSWORD_FILE: "${services.db.password_file}", DB_SOCKET: "${services.db.socket}"}
  ready: {log: "app@localhost", deadline: 20s}
duration: 1s
expect:
  - exits: 0
YML
XDG_RUNTIME_DIR=$rt "$FAULTRUN" "$WORK/user.yml" --json "$WORK/user.json" \
	>"$WORK/user.out" 2>"$WORK/user.err"
status=$?
expect_exit user 0
[ "$status" = 0 ] || sed 's/^/#   /' "$WORK/user.err" >&3
check "user: the target logged in over the socket with the file's password" \
	python3 -c '
import json, sys
out = json.load(open(sys.argv[1]))["scenarios"][0]["target"]["output"]
print("# " + "\n# ".join(out))
sys.exit(0 if "app@localhost" in out and
         any(l.startswith("-rw------- 1 nobody ") for l in out) else 1)
' "$WORK/user.json"
check "user: nothing left running" nothing_left "/as-user-"

finish
