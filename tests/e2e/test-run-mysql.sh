#!/bin/bash
# MySQL in scenarios, against the embedded MariaDB of the run: the
# services placeholders, the mysql probe (its expected value, its read
# timeout while a row is locked, a server error when connections run
# out), and the timeline's mysql actions (sql, lock, hold, kill).
# Skips (77) when mariadbd is not installed.
. "$(dirname "$0")/test-run-lib.sh"

mariadbd=${FAULTRUN_MARIADBD:-/usr/sbin/mariadbd}
[ -x "$mariadbd" ] || { echo "no $mariadbd: skipped"; exit 77; }

cat >"$WORK/db.yml" <<YML
name: db
services:
  db: {type: mariadb}
target:
  command: "echo db at \${services.db.host}:\${services.db.port} as \${services.db.user}; exec sleep 30.$$"
  ready: {log: "db at 127.0.0.1:[0-9]+ as ", deadline: 10s}
  shim: false
probes:
  one: {mysql: {service: db, query: "SELECT 1", expect: "1"}, interval: 200ms}
  row:
    mysql: {service: db, query: "SELECT a FROM t WHERE a = 1 FOR UPDATE", read-timeout: 300ms}
    interval: 200ms
    timeout: 2s
  as-target:
    mysql: {service: db, admin: false, query: "SELECT CURRENT_USER()"}
    interval: 200ms
timeline:
  - at: 100ms
    mysql: {service: db, sql: "CREATE TABLE t (a INT PRIMARY KEY) ENGINE=InnoDB; INSERT INTO t VALUES (1), (2); SET GLOBAL innodb_lock_wait_timeout = 1"}
  - at: 1s
    mysql: {service: db, lock: "SELECT a FROM t WHERE a = 1 FOR UPDATE", for: 1500ms}
  - at: 3s
    mysql: {service: db, sql: "SET GLOBAL max_connections = 8"}
  - at: 3200ms
    mysql: {service: db, hold: 12, for: 1s}
  - at: 5s
    mysql: {service: db, kill: target}
duration: 5500ms
expect:
  - availability: {probe: one, window: {to: 3100ms}, min: 100%}
  - availability: {probe: row, window: {from: 300ms, to: 900ms}, min: 100%}
YML

expect_status 0 "the scenario passes" "$FAULTRUN" "$WORK/db.yml" --json "$WORK/db.json" -q \
	>"$WORK/out" 2>"$WORK/err"
check "the target got the database's address" json "$WORK/db.json" \
	'[l for l in s["target"]["output"] if l.startswith("db at 127.0.0.1:") and l.split()[-1] != "as"]'
check "sql ran" json "$WORK/db.json" \
	'[e for e in s["timeline"] if e["action"] == "mysql" and e["at"] == 0.1 and e["detail"] == "ok"]'
check "the lock was taken" json "$WORK/db.json" \
	'[e for e in s["timeline"] if e["at"] == 1.0 and e["detail"] == "transaction open, not committed"]'
check "a probe on the locked row waited for the lock (or failed) while it was held" json "$WORK/db.json" \
	'all(not x["ok"] or x["t"] + x["latency"] >= 2.45 for p in s["probes"] if p["name"] == "row" for x in p["samples"] if 1.1 < x["t"] < 2.3)'
check "and got the row again after the lock was released" json "$WORK/db.json" \
	'[x for p in s["probes"] if p["name"] == "row" for x in p["samples"] if x["t"] > 2.8 and x["ok"] and x["detail"] == "1"]'
check "holding connections: the target's account is refused" json "$WORK/db.json" \
	'[x for p in s["probes"] if p["name"] == "as-target" for x in p["samples"] if 3.3 < x["t"] < 4.1 and not x["ok"] and x["answered"] and "Too many connections" in x["detail"]]'
check "the probe used the target's account otherwise" json "$WORK/db.json" \
	'[x for p in s["probes"] if p["name"] == "as-target" for x in p["samples"] if x["t"] < 1 and x["ok"] and x["detail"].startswith("app@")]'
check "holding more than max_connections also takes the admin's extra slot" json "$WORK/db.json" \
	'[x for p in s["probes"] if p["name"] == "one" for x in p["samples"] if 3.3 < x["t"] < 4.1 and x["detail"] == "Too many connections"]'
check "hold reports how many it got" json "$WORK/db.json" \
	'[e for e in s["timeline"] if e["at"] == 3.2 and e["detail"].startswith("holding ") and "Too many connections" in e["detail"]]'
check "kill ran" json "$WORK/db.json" \
	'[e for e in s["timeline"] if e["at"] == 5.0 and ("kill" in e["detail"])]'
check "the server is gone" eval '[ -z "$(procs_with_cmd "sleep 30.$$")" ]'

finish
