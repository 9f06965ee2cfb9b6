/*
 * Unit tests of the scenario loader: every invalid file gives exactly the
 * expected "FILE:LINE:COL: message", and valid files give the expected
 * model (vars and --set, placeholders, faults as rules, timeline order,
 * windows, implicit "fired" checks, instantiation for a run).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "scenario/scenario.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct bad_case {
	const char *name;
	const char *yaml;
	const char *message;
};

/* Each file is loaded as "t.yml"; the message must match exactly. */
static const struct bad_case bad_cases[] = {
	{ "malformed",
	  "target: {command: \"true\"\n"
	  "duration: 5s\n",
	  "t.yml:2:1: did not find expected ',' or '}' while parsing a flow mapping" },
	{ "list",
	  "- a\n"
	  "- b\n",
	  "t.yml:1:1: a scenario must be a mapping, not a list" },
	{ "empty",
	  "",
	  "t.yml:1:1: empty scenario (expected a mapping with name, target, probes, timeline, expect)" },
	{ "unknown-top",
	  "target: {command: \"true\"}\n"
	  "duration: 5s\n"
	  "expect: [{exits: 0}]\n"
	  "probs: {}\n",
	  "t.yml:4:1: unknown key 'probs' in the scenario (did you mean 'probes'?)" },
	{ "unknown-top-far",
	  "target: {command: \"true\"}\n"
	  "duration: 5s\n"
	  "expect: [{exits: 0}]\n"
	  "zzzzzzzz: 1\n",
	  "t.yml:4:1: unknown key 'zzzzzzzz' in the scenario (expected one of: name, description, vars, seed, duration, services, target, faults, probes, load, timeline, expect)" },
	{ "duplicate",
	  "target: {command: \"true\"}\n"
	  "duration: 5s\n"
	  "expect: [{exits: 0}]\n"
	  "duration: 6s\n",
	  "t.yml:4:1: duplicate key 'duration' in the scenario (first at line 2)" },
	{ "duration-no-unit",
	  "target: {command: \"true\"}\n"
	  "duration: 5\n"
	  "expect: [{exits: 0}]\n",
	  "t.yml:2:11: duration '5' needs a unit (for example '5ms' or '5s')" },
	{ "duration-garbage",
	  "target: {command: \"true\"}\n"
	  "duration: soon\n"
	  "expect: [{exits: 0}]\n",
	  "t.yml:2:11: duration: 'soon' is not a duration (use a number and a unit: 250ms, 2s, 1.5s, 1m)" },
	{ "no-target",
	  "duration: 5s\n"
	  "expect: [{exits: 0}]\n",
	  "t.yml:1:1: the scenario has no 'target' (the command to run)" },
	{ "no-command",
	  "target: {env: {A: b}}\n"
	  "duration: 5s\n"
	  "expect: [{exits: 0}]\n",
	  "t.yml:1:9: target has no 'command'" },
	{ "target-key",
	  "target: {comand: \"true\"}\n"
	  "duration: 5s\n"
	  "expect: [{exits: 0}]\n",
	  "t.yml:1:10: unknown key 'comand' in target (did you mean 'command'?)" },
	{ "restart-policy",
	  "target: {command: \"true\", restart: on-fail}\n"
	  "duration: 5s\n"
	  "expect: [{exits: 0}]\n",
	  "t.yml:1:36: unknown restart policy 'on-fail' (never, on-failure, always)" },
	{ "stop-signal",
	  "target: {command: \"true\", stop: {signal: SIGFOO}}\n"
	  "duration: 5s\n"
	  "expect: [{exits: 0}]\n",
	  "t.yml:1:42: stop signal: unknown signal 'SIGFOO' (SIGTERM, SIGINT, SIGKILL, SIGHUP, SIGUSR1, ...)" },
	{ "probe-interval-unit",
	  "target: {command: \"true\"}\n"
	  "duration: 5s\n"
	  "expect: [{exits: 0}]\n"
	  "probes:\n"
	  "  home: {tcp: \"127.0.0.1:80\", interval: 100}\n",
	  "t.yml:5:41: interval '100' needs a unit (for example '100ms' or '100s')" },
	{ "probe-two-checks",
	  "target: {command: \"true\"}\n"
	  "duration: 5s\n"
	  "expect: [{exits: 0}]\n"
	  "probes:\n"
	  "  home: {tcp: \"127.0.0.1:80\", http: \"http://x/\"}\n",
	  "t.yml:5:10: probe 'home' has both 'http' and 'tcp': give one check" },
	{ "probe-no-check",
	  "target: {command: \"true\"}\n"
	  "duration: 5s\n"
	  "expect: [{exits: 0}]\n"
	  "probes:\n"
	  "  home: {interval: 1s}\n",
	  "t.yml:5:9: probe 'home' has no check: give one of http, tcp, exec, log, target, mysql" },
	{ "probe-key",
	  "target: {command: \"true\"}\n"
	  "duration: 5s\n"
	  "expect: [{exits: 0}]\n"
	  "probes:\n"
	  "  home: {tcp: \"127.0.0.1:80\", intervall: 1s}\n",
	  "t.yml:5:31: unknown key 'intervall' in probe 'home' (did you mean 'interval'?)" },
	{ "http-status",
	  "target: {command: \"true\"}\n"
	  "duration: 5s\n"
	  "expect: [{exits: 0}]\n"
	  "probes:\n"
	  "  home:\n"
	  "    http: {url: \"http://x/\", status: 99}\n",
	  "t.yml:6:38: status '99' is not an HTTP status (100-599)" },
	{ "body-regex",
	  "target: {command: \"true\"}\n"
	  "duration: 5s\n"
	  "expect: [{exits: 0}]\n"
	  "probes:\n"
	  "  home:\n"
	  "    http: {url: \"http://x/\", body-match: \"(ok\"}\n",
	  "t.yml:6:42: bad pattern '(ok': Unmatched ( or \\(" },
	{ "tcp-port",
	  "target: {command: \"true\"}\n"
	  "duration: 5s\n"
	  "expect: [{exits: 0}]\n"
	  "probes:\n"
	  "  home: {tcp: localhost}\n",
	  "t.yml:5:15: tcp 'localhost': expected HOST:PORT" },
	{ "log-expect",
	  "target: {command: \"true\"}\n"
	  "duration: 5s\n"
	  "expect: [{exits: 0}]\n"
	  "probes:\n"
	  "  l: {log: {pattern: x, expect: maybe}}\n",
	  "t.yml:5:33: log expect must be 'seen' (ok once a line matched) or 'absent' (ok while no new line matches), not 'maybe'" },
	{ "target-check",
	  "target: {command: \"true\"}\n"
	  "duration: 5s\n"
	  "expect: [{exits: 0}]\n"
	  "probes:\n"
	  "  t: {target: dead}\n",
	  "t.yml:5:15: target check must be 'alive' or 'ready', not 'dead'" },
	{ "fault-field",
	  "target: {command: \"true\"}\n"
	  "duration: 5s\n"
	  "expect: [{exits: 0}]\n"
	  "faults:\n"
	  "  f: {op: write, errn: ENOSPC}\n",
	  "t.yml:5:18: fault 'f': unknown field 'errn' (did you mean 'errno'?)" },
	{ "fault-spec-field",
	  "target: {command: \"true\"}\n"
	  "duration: 5s\n"
	  "expect: [{exits: 0}]\n"
	  "faults:\n"
	  "  f: \"write errno=ENOSPC pth=/x\"\n",
	  "t.yml:5:26: fault 'f': unknown field 'pth' (did you mean 'path'?)" },
	{ "fault-errno-op",
	  "target: {command: \"true\"}\n"
	  "duration: 5s\n"
	  "expect: [{exits: 0}]\n"
	  "faults:\n"
	  "  f: \"connect errno=ENOSPC\"\n",
	  "t.yml:5:6: fault 'f': 'errno=ENOSPC': connect() never fails with ENOSPC" },
	{ "fault-query-field",
	  "target: {command: \"true\"}\n"
	  "duration: 5s\n"
	  "expect: [{exits: 0}]\n"
	  "faults:\n"
	  "  dns: {op: resolve, error: EAI_AGAIN, qurey: db.internal}\n",
	  "t.yml:5:40: fault 'dns': unknown field 'qurey' (did you mean 'query'?)" },
	{ "fault-error-op",
	  "target: {command: \"true\"}\n"
	  "duration: 5s\n"
	  "expect: [{exits: 0}]\n"
	  "faults:\n"
	  "  dns: {op: write, error: EAI_AGAIN}\n",
	  "t.yml:5:8: fault 'dns': 'error=EAI_AGAIN' applies to 'resolve' only; 'write' fails with errno=NAME" },
	{ "fault-name",
	  "target: {command: \"true\"}\n"
	  "duration: 5s\n"
	  "expect: [{exits: 0}]\n"
	  "faults:\n"
	  "  \"log full\": \"write errno=ENOSPC\"\n",
	  "t.yml:5:3: fault name 'log full': use letters, digits, '-' and '_'" },
	{ "fault-no-action",
	  "target: {command: \"true\"}\n"
	  "duration: 5s\n"
	  "expect: [{exits: 0}]\n"
	  "faults:\n"
	  "  f: {op: write, path: /x}\n",
	  "t.yml:5:6: fault 'f': no action given (errno=NAME, short, budget=SIZE, delay=DURATION, stall, reset, refuse, blackhole, close-after=SIZE, slow-close=DURATION, drop, duplicate, reorder, error=EAI_*)" },
	{ "inject-unknown",
	  "target: {command: \"true\"}\n"
	  "duration: 5s\n"
	  "faults: {log-full: \"write errno=EIO\"}\n"
	  "timeline:\n"
	  "  - {at: 1s, inject: log-ful}\n"
	  "expect: [{exits: 0}]\n",
	  "t.yml:5:22: unknown fault 'log-ful' (did you mean 'log-full'?)" },
	{ "step-no-at",
	  "target: {command: \"true\"}\n"
	  "duration: 5s\n"
	  "faults: {f: \"write errno=EIO\"}\n"
	  "timeline:\n"
	  "  - {inject: f}\n"
	  "expect: [{exits: 0}]\n",
	  "t.yml:5:5: a timeline step needs 'at' (a time from the start of the run, like 5s)" },
	{ "step-two",
	  "target: {command: \"true\"}\n"
	  "duration: 5s\n"
	  "faults: {f: \"write errno=EIO\"}\n"
	  "timeline:\n"
	  "  - {at: 1s, inject: f, clear: f}\n"
	  "expect: [{exits: 0}]\n",
	  "t.yml:5:25: a timeline step does one thing: it has both 'inject' and 'clear'" },
	{ "step-none",
	  "target: {command: \"true\"}\n"
	  "duration: 5s\n"
	  "timeline:\n"
	  "  - {at: 1s}\n"
	  "expect: [{exits: 0}]\n",
	  "t.yml:4:5: a timeline step needs an action: inject, clear, request, signal, restart, run, mysql, disk or end" },
	{ "clear-first",
	  "target: {command: \"true\"}\n"
	  "duration: 5s\n"
	  "faults: {f: \"write errno=EIO\"}\n"
	  "timeline:\n"
	  "  - {at: 1s, clear: f}\n"
	  "expect: [{exits: 0}]\n",
	  "t.yml:5:14: fault 'f' is not injected here, nothing to clear" },
	{ "inject-twice",
	  "target: {command: \"true\"}\n"
	  "duration: 5s\n"
	  "faults: {f: \"write errno=EIO\"}\n"
	  "timeline:\n"
	  "  - {at: 1s, inject: f}\n"
	  "  - {at: 2s, inject: f}\n"
	  "expect: [{exits: 0}]\n",
	  "t.yml:6:14: fault 'f' is already injected here" },
	{ "after-end",
	  "target: {command: \"true\"}\n"
	  "timeline:\n"
	  "  - {at: 3s, end: true}\n"
	  "  - {at: 4s, signal: SIGUSR1}\n"
	  "expect: [{exits: 0}]\n",
	  "t.yml:4:14: this step comes after the timeline's 'end'" },
	{ "step-after-duration",
	  "target: {command: \"true\"}\n"
	  "duration: 5s\n"
	  "timeline:\n"
	  "  - {at: 6s, signal: SIGUSR1}\n"
	  "expect: [{exits: 0}]\n",
	  "t.yml:4:14: this step is at or after the end of the run (duration 5s)" },
	{ "duration-and-end",
	  "target: {command: \"true\"}\n"
	  "duration: 5s\n"
	  "timeline:\n"
	  "  - {at: 3s, end: true}\n"
	  "expect: [{exits: 0}]\n",
	  "t.yml:4:14: the scenario has both 'duration' and a timeline 'end'; keep one" },
	{ "no-end",
	  "target: {command: \"true\"}\n"
	  "expect: [{exits: 0}]\n",
	  "t.yml:1:1: the run has no end: add 'duration: 30s' or a timeline step with 'end: true'" },
	{ "expect-kind",
	  "target: {command: \"true\"}\n"
	  "duration: 5s\n"
	  "expect:\n"
	  "  - availabilty: {probe: x, min: 99%}\n",
	  "t.yml:4:5: unknown key 'availabilty' in expect (did you mean 'availability'?)" },
	{ "expect-probe",
	  "target: {command: \"true\"}\n"
	  "duration: 5s\n"
	  "probes: {home: {tcp: \"a:1\"}}\n"
	  "expect:\n"
	  "  - availability: {probe: hom, min: 99%}\n",
	  "t.yml:5:27: unknown probe 'hom' (did you mean 'home'?)" },
	{ "avail-percent",
	  "target: {command: \"true\"}\n"
	  "duration: 5s\n"
	  "probes: {home: {tcp: \"a:1\"}}\n"
	  "expect:\n"
	  "  - availability: {probe: home, min: 99}\n",
	  "t.yml:5:38: min '99' needs a '%' (write '99%') or a ratio from 0 to 1" },
	{ "latency-bound",
	  "target: {command: \"true\"}\n"
	  "duration: 5s\n"
	  "probes: {home: {tcp: \"a:1\"}}\n"
	  "expect:\n"
	  "  - latency: {probe: home}\n",
	  "t.yml:5:14: latency needs a bound: p50, p90, p95, p99, p99.9 or max" },
	{ "recovers-never-cleared",
	  "target: {command: \"true\"}\n"
	  "duration: 5s\n"
	  "faults: {f: \"write errno=EIO\"}\n"
	  "probes: {home: {tcp: \"a:1\"}}\n"
	  "timeline: [{at: 1s, inject: f}]\n"
	  "expect:\n"
	  "  - recovers-within: {probe: home, fault: f, within: 1s}\n",
	  "t.yml:7:43: fault 'f' is never cleared on the timeline, so it cannot recover" },
	{ "window-bad",
	  "target: {command: \"true\"}\n"
	  "duration: 5s\n"
	  "probes: {home: {tcp: \"a:1\"}}\n"
	  "expect:\n"
	  "  - availability: {probe: home, window: during, min: 99%}\n",
	  "t.yml:5:41: window 'during': expected 'whole', 'before FAULT', 'during FAULT', 'after FAULT' (optionally '+1s' to skip the start), or a mapping with from/to" },
	{ "window-fault",
	  "target: {command: \"true\"}\n"
	  "duration: 5s\n"
	  "faults: {log-full: \"write errno=EIO\"}\n"
	  "probes: {home: {tcp: \"a:1\"}}\n"
	  "timeline: [{at: 1s, inject: log-full}]\n"
	  "expect:\n"
	  "  - availability: {probe: home, window: during log-ful, min: 99%}\n",
	  "t.yml:7:41: unknown fault 'log-ful' (did you mean 'log-full'?)" },
	{ "oor-not-lb",
	  "target: {command: \"true\"}\n"
	  "duration: 5s\n"
	  "probes: {home: {tcp: \"a:1\"}}\n"
	  "expect:\n"
	  "  - out-of-rotation: {probe: home, max: 1s}\n",
	  "t.yml:5:30: probe 'home' has no 'lb': out-of-rotation needs a load-balancer probe" },
	{ "var-unknown",
	  "target: {command: \"echo ${vars.mod}\"}\n"
	  "vars: {mode: a}\n"
	  "duration: 5s\n"
	  "expect: [{exits: 0}]\n",
	  "t.yml:1:25: unknown var 'mod' (did you mean 'mode'?)" },
	{ "placeholder-unknown",
	  "target: {command: \"echo ${rundir}\"}\n"
	  "duration: 5s\n"
	  "expect: [{exits: 0}]\n",
	  "t.yml:1:25: unknown placeholder '${rundir}' (did you mean 'run_dir'?) (known: ${vars.NAME}, ${env.NAME}, ${port.NAME}, ${run_dir}, ${scenario_dir}, ${services.NAME.FIELD})" },
	{ "placeholder-in-duration",
	  "target: {command: \"true\"}\n"
	  "duration: 5s\n"
	  "timeline: [{at: \"${run_dir}\", signal: SIGUSR1}]\n"
	  "expect: [{exits: 0}]\n",
	  "t.yml:3:18: '${run_dir}' is only known when the run starts and cannot be used here" },
	{ "env-unset",
	  "target: {command: \"echo ${env.FAULTRUN_SURELY_UNSET}\"}\n"
	  "duration: 5s\n"
	  "expect: [{exits: 0}]\n",
	  "t.yml:1:25: environment variable 'FAULTRUN_SURELY_UNSET' is not set (give a default: ${env.FAULTRUN_SURELY_UNSET:-VALUE})" },
	{ "service-unknown",
	  "target: {command: \"echo ${services.bd.port}\"}\n"
	  "services: {db: {type: mariadb}}\n"
	  "duration: 5s\n"
	  "expect: [{exits: 0}]\n",
	  "t.yml:1:19: unknown service 'bd' in '${services.bd.port}'" },
	{ "service-field",
	  "target: {command: \"echo ${services.db.prot}\"}\n"
	  "services: {db: {type: mariadb}}\n"
	  "duration: 5s\n"
	  "expect: [{exits: 0}]\n",
	  "t.yml:1:19: unknown service field 'prot' in '${services.db.prot}'" },
	{ "set-choice",
	  "#set\n"
	  "vars:\n"
	  "  mode: {default: slow, choices: [slow, fast2]}\n"
	  "target: {command: \"true\"}\n"
	  "duration: 5s\n"
	  "expect: [{exits: 0}]\n",
	  "faultrun: --set mode=fast: expected one of slow, fast2 (did you mean 'fast2'?) (t.yml:3:9)" },
	{ "service-type",
	  "target: {command: \"true\"}\n"
	  "duration: 5s\n"
	  "expect: [{exits: 0}]\n"
	  "services: {db: {type: postgres}}\n",
	  "t.yml:4:23: unknown service type 'postgres' (known: process, mariadb, haproxy)" },
	{ "request-count",
	  "target: {command: \"true\"}\n"
	  "duration: 5s\n"
	  "timeline:\n"
	  "  - at: 1s\n"
	  "    request: {url: \"http://x/\", count: 0}\n"
	  "expect: [{exits: 0}]\n",
	  "t.yml:5:40: count must be at least 1" },
	{ "no-expect",
	  "target: {command: \"true\"}\n"
	  "duration: 5s\n",
	  "t.yml:1:1: the scenario has no 'expect': nothing would be checked" },
	{ "load-rate",
	  "target: {command: \"true\"}\n"
	  "duration: 5s\n"
	  "expect: [{exits: 0}]\n"
	  "load: {url: \"http://x/\"}\n",
	  "t.yml:4:7: load has no 'rate' (requests per second)" },
	{ "load-rate-bad",
	  "target: {command: \"true\"}\n"
	  "duration: 5s\n"
	  "expect: [{exits: 0}]\n"
	  "load: {url: \"http://x/\", rate: fast}\n",
	  "t.yml:4:32: rate must be requests per second ('20', '20/s', '30/m'), not 'fast'" },
	{ "mysql-service",
	  "target: {command: \"true\"}\n"
	  "duration: 5s\n"
	  "expect: [{exits: 0}]\n"
	  "probes:\n"
	  "  db: {mysql: {service: db, query: SELECT 1}}\n",
	  "t.yml:5:25: unknown service 'db'" },
	{ "mysql-two-ops",
	  "target: {command: \"true\"}\n"
	  "duration: 5s\n"
	  "services: {db: {type: mariadb}}\n"
	  "timeline:\n"
	  "  - at: 1s\n"
	  "    mysql: {service: db, hold: 10, sql: \"SELECT 1\"}\n"
	  "expect: [{exits: 0}]\n",
	  "t.yml:6:32: a mysql step needs exactly one of sql, hold, lock, kill" },
	{ "disk-step-not-disk",
	  "target: {command: \"true\"}\n"
	  "faults: {f: \"write errno=EIO path=/x/**\"}\n"
	  "timeline:\n"
	  "  - {at: 1s, inject: f}\n"
	  "  - {at: 2s, disk: {fault: f, free: +1MiB}}\n"
	  "  - {at: 3s, end: true}\n"
	  "expect: [{exits: 0}]\n",
	  "t.yml:5:28: fault 'f' is not a disk fault (disk free=SIZE path=...)" },
	{ "disk-step-size",
	  "target: {command: \"true\"}\n"
	  "faults: {d: {disk: true, free: 64KiB, path: /x/**}}\n"
	  "timeline:\n"
	  "  - {at: 1s, inject: d}\n"
	  "  - {at: 2s, disk: {fault: d, free: lots}}\n"
	  "  - {at: 3s, end: true}\n"
	  "expect: [{exits: 0}]\n",
	  "t.yml:5:37: free: expected a size (1MiB to set it), or +SIZE/-SIZE to change it, not 'lots'" },
	{ "disk-step-disarmed",
	  "target: {command: \"true\"}\n"
	  "faults: {d: \"disk free=64KiB path=/x/**\"}\n"
	  "timeline:\n"
	  "  - {at: 2s, disk: {fault: d, free: +1MiB}}\n"
	  "  - {at: 3s, end: true}\n"
	  "expect: [{exits: 0}]\n",
	  "t.yml:4:14: disk fault 'd' is not injected here; inject it first" },
	{ "count-minmax",
	  "target: {command: \"true\"}\n"
	  "duration: 5s\n"
	  "expect:\n"
	  "  - restarts: {min: 3, max: 1}\n",
	  "t.yml:4:15: min is above max" },
	{ "negative",
	  "target: {command: \"true\"}\n"
	  "duration: 5s\n"
	  "expect:\n"
	  "  - exits: -1\n",
	  "t.yml:4:12: exits must be a whole number from 0 to 1000000000, not '-1'" },
	{ "ready-target",
	  "target: {command: \"true\", ready: {target: alive}}\n"
	  "duration: 5s\n"
	  "expect: [{exits: 0}]\n",
	  "t.yml:1:35: a readiness check cannot be 'target' (use http, tcp, exec, log or mysql)" },	{ "status-codes-missing",
	  "target: {command: \"true\"}\n"
	  "duration: 5s\n"
	  "probes: {web: {http: \"http://a:1/\"}, t: {tcp: \"a:1\"}}\n"
	  "expect:\n"
	  "  - status: {probe: web, min: 90%}\n",
	  "t.yml:5:13: status needs 'codes' (like [502, 503] or 5xx)" },
	{ "status-bad-code",
	  "target: {command: \"true\"}\n"
	  "duration: 5s\n"
	  "probes: {web: {http: \"http://a:1/\"}, t: {tcp: \"a:1\"}}\n"
	  "expect:\n"
	  "  - status: {probe: web, codes: [502, 6xx], min: 90%}\n",
	  "t.yml:5:39: status '6xx': expected a code (200), a class (2xx) or a range (200-299)" },
	{ "status-no-bound",
	  "target: {command: \"true\"}\n"
	  "duration: 5s\n"
	  "probes: {web: {http: \"http://a:1/\"}, t: {tcp: \"a:1\"}}\n"
	  "expect:\n"
	  "  - status: {probe: web, codes: 5xx}\n",
	  "t.yml:5:13: status needs 'min' or 'max' (like 90%)" },
	{ "status-tcp-probe",
	  "target: {command: \"true\"}\n"
	  "duration: 5s\n"
	  "probes: {web: {http: \"http://a:1/\"}, t: {tcp: \"a:1\"}}\n"
	  "expect:\n"
	  "  - status: {probe: t, codes: 5xx, min: 1%}\n",
	  "t.yml:5:21: probe 't' is a tcp probe: status needs an http probe, the load or requests" },
	{ "status-unanswered",
	  "target: {command: \"true\"}\n"
	  "duration: 5s\n"
	  "probes: {web: {http: \"http://a:1/\"}, t: {tcp: \"a:1\"}}\n"
	  "expect:\n"
	  "  - status: {probe: web, codes: 5xx, min: 1%, unanswered: maybe}\n",
	  "t.yml:5:59: unanswered 'maybe': expected 'count' (in the share, as code 'none') or 'ignore' (answers only)" },
	{ "status-none-ignored",
	  "target: {command: \"true\"}\n"
	  "duration: 5s\n"
	  "probes: {web: {http: \"http://a:1/\"}, t: {tcp: \"a:1\"}}\n"
	  "expect:\n"
	  "  - status: {probe: web, codes: [none, 5xx], min: 1%, unanswered: ignore}\n",
	  "t.yml:5:67: 'unanswered: ignore' leaves out what code 'none' counts" },
	{ "status-min-max",
	  "target: {command: \"true\"}\n"
	  "duration: 5s\n"
	  "probes: {web: {http: \"http://a:1/\"}, t: {tcp: \"a:1\"}}\n"
	  "expect:\n"
	  "  - status: {probe: web, codes: 5xx, min: 50%, max: 10%}\n",
	  "t.yml:5:13: min is above max" },
	{ "status-bad-key",
	  "target: {command: \"true\"}\n"
	  "duration: 5s\n"
	  "probes: {web: {http: \"http://a:1/\"}, t: {tcp: \"a:1\"}}\n"
	  "expect:\n"
	  "  - status: {probe: web, code: 5xx, min: 50%}\n",
	  "t.yml:5:26: unknown key 'code' in status (did you mean 'codes'?)" },
};

static void test_invalid_files(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct fr_override ovr[] = { { "mode", "fast", false } };
		bool with_set = strcmp(c->name, "set-choice") == 0;
		struct fr_scenario *s = NULL;
		char err[1024] = "";
		int ret = fr_scenario_load_string("t.yml", c->yaml, with_set ? ovr : NULL,
						  with_set ? 1 : 0, &s, err, sizeof(err));
		if (ret == 0) {
			ret = fr_scenario_check(s, err, sizeof(err));
			fr_scenario_destroy(s);
		}
		if (ret != -EINVAL || strcmp(err, c->message) != 0)
			print_error("case '%s':\n  got      %d '%s'\n  expected '%s'\n",
				    c->name, ret, err, c->message);
		assert_int_equal(ret, -EINVAL);
		assert_string_equal(err, c->message);
	}
}

static const char *full =
	"name: disk-full\n"
	"description: the log disk fills up\n"
	"seed: 42\n"
	"vars:\n"
	"  variant: {default: fixed, choices: [fixed, buggy]}\n"
	"  logdir: ${run_dir}/logs\n"
	"services:\n"
	"  db: {type: mariadb}\n"
	"target:\n"
	"  command: [./app, --port, \"${port.http}\", --mode, \"${vars.variant}\"]\n"
	"  env: {LOG_DIR: \"${vars.logdir}\", DB_PORT: \"${services.db.port}\"}\n"
	"  ready: {http: \"http://127.0.0.1:${port.http}/health\", deadline: 10s}\n"
	"  restart: {policy: on-failure, backoff: 500ms, limit: 3}\n"
	"  stop: {signal: SIGINT, grace: 2s}\n"
	"faults:\n"
	"  log-full: \"write errno=ENOSPC path=${vars.logdir}/**\"\n"
	"  state:\n"
	"    op: open\n"
	"    errno: EACCES\n"
	"    path: ${run_dir}/state.json\n"
	"    may-not-fire: true\n"
	"  unused: {ops: [read, write], errno: EIO}\n"
	"probes:\n"
	"  home:\n"
	"    http: {url: \"http://127.0.0.1:${port.http}/\", status: [2xx, 404]}\n"
	"    interval: 100ms\n"
	"    timeout: 2s\n"
	"  slb:\n"
	"    http: \"http://127.0.0.1:${port.http}/health\"\n"
	"    lb: {healthy-threshold: 3, unhealthy-threshold: 2, initial: out}\n"
	"  alive: {target: alive}\n"
	"load: {url: \"http://127.0.0.1:${port.http}/\", rate: 30/m}\n"
	"timeline:\n"
	"  - {at: 4s, clear: log-full}\n"
	"  - {at: 2s, inject: log-full}\n"
	"  - {at: 2s, inject: state}\n"
	"  - at: 3s\n"
	"    request: {url: \"http://127.0.0.1:${port.http}/leak\", count: 5, name: leaks}\n"
	"  - {at: 5s, clear: state}\n"
	"  - {at: 6s, end: true}\n"
	"expect:\n"
	"  - availability: {probe: home, window: during log-full, min: 99.5%}\n"
	"  - latency: {probe: load, window: after log-full +1s, p99: 200ms, max: 1s}\n"
	"  - recovers-within: {probe: home, fault: log-full, within: 2s}\n"
	"  - detects-within: {probe: slb, fault: log-full, within: 3s, samples: 2}\n"
	"  - responds-within: {probe: home, window: {during: state, skip: 500ms}, within: 1s}\n"
	"  - out-of-rotation: {probe: slb, window: {from: 1s, to: end}, max: 3s}\n"
	"  - restarts: {max: 0}\n"
	"  - exits: 0\n"
	"  - availability: {probe: leaks, min: 0.5, name: leak requests answer}\n";

static void test_valid_full(void **state)
{
	struct fr_scenario *s;
	char err[1024];

	(void)state;
	assert_int_equal(fr_scenario_load_string("full.yml", full, NULL, 0, &s, err,
						 sizeof(err)), 0);
	assert_string_equal(s->name, "disk-full");
	assert_string_equal(s->description, "the log disk fills up");
	assert_true(s->seed_set);
	assert_int_equal(s->seed, 42);
	assert_int_equal(s->duration_ns, 6000000000ull);
	assert_int_equal(s->nvars, 2);
	assert_string_equal(s->vars[0].value, "fixed");
	assert_int_equal(s->vars[0].nchoices, 2);
	assert_string_equal(s->vars[1].value, "${run_dir}/logs");

	/* target */
	assert_int_equal(s->target.command.argc, 5);
	assert_false(s->target.command.shell);
	assert_string_equal(s->target.command.argv[4].raw, "fixed");
	assert_string_equal(s->target.command.argv[2].raw, "${port.http}");
	assert_int_equal(s->target.nenv, 2);
	assert_string_equal(s->target.env[0].key, "LOG_DIR");
	assert_string_equal(s->target.env[0].value.raw, "${run_dir}/logs");
	assert_true(s->target.ready.present);
	assert_int_equal(s->target.ready.check.kind, FR_CHECK_HTTP);
	assert_int_equal(s->target.ready.deadline_ns, 10000000000ull);
	assert_int_equal(s->target.restart, FR_RESTART_ON_FAILURE);
	assert_int_equal(s->target.backoff_ns, 500000000ull);
	assert_int_equal(s->target.restart_limit, 3);
	assert_int_equal(s->target.stop_signal, 2);
	assert_int_equal(s->target.grace_ns, 2000000000ull);
	assert_true(s->target.shim);
	assert_int_equal(s->nports, 1);
	assert_string_equal(s->ports[0], "http");

	/* faults */
	assert_int_equal(s->nfaults, 3);
	assert_non_null(s->faults[0].spec.raw);
	assert_int_equal(s->faults[1].nfields, 3);
	assert_true(s->faults[1].may_not_fire);
	assert_string_equal(s->faults[2].fields[0].value.raw, "read,write");

	/* probes and series */
	assert_int_equal(s->nprobes, 3);
	assert_int_equal(s->probes[0].interval_ns, 100000000ull);
	assert_int_equal(s->probes[0].timeout_ns, 2000000000ull);
	assert_int_equal(s->probes[0].check.http.status.n, 2);
	assert_int_equal(s->probes[0].check.http.status.r[0].lo, 200);
	assert_int_equal(s->probes[0].check.http.status.r[0].hi, 299);
	assert_int_equal(s->probes[0].check.http.status.r[1].lo, 404);
	assert_true(s->probes[1].lb.on);
	assert_int_equal(s->probes[1].lb.healthy, 3);
	assert_int_equal(s->probes[1].lb.unhealthy, 2);
	assert_false(s->probes[1].lb.initial_in);
	assert_int_equal(s->probes[2].check.kind, FR_CHECK_TARGET);
	/* defaults */
	assert_int_equal(s->probes[2].interval_ns, 500000000ull);
	assert_int_equal(s->probes[2].timeout_ns, 1000000000ull);
	assert_true(s->load.present);
	assert_true(s->load.rate > 0.49 && s->load.rate < 0.51);
	assert_int_equal(s->nseries, 5);
	assert_int_equal(fr_scenario_series(s, "load"), 3);
	assert_int_equal(fr_scenario_series(s, "leaks"), 4);

	/* timeline: sorted by time, the file's order for equal times */
	assert_int_equal(s->nsteps, 6);
	assert_int_equal(s->steps[0].kind, FR_STEP_INJECT);
	assert_int_equal(s->steps[0].fault, 0);
	assert_int_equal(s->steps[1].kind, FR_STEP_INJECT);
	assert_int_equal(s->steps[1].fault, 1);
	assert_int_equal(s->steps[2].kind, FR_STEP_REQUEST);
	assert_int_equal(s->steps[2].req.count, 5);
	assert_int_equal(s->steps[3].kind, FR_STEP_CLEAR);
	assert_int_equal(s->steps[5].kind, FR_STEP_END);

	/* expectations: 9 written + fired for log-full (state may not fire) */
	assert_int_equal(s->nexpects, 10);
	assert_int_equal(s->expects[0].kind, FR_EXP_AVAILABILITY);
	assert_true(s->expects[0].min_ratio > 0.9949 && s->expects[0].min_ratio < 0.9951);
	assert_string_equal(s->expects[0].label, "availability of home during log-full");
	assert_string_equal(s->expects[0].bound_text, ">= 99.5%");
	assert_int_equal(s->expects[0].mark.line, 42);
	assert_int_equal(s->expects[1].nlat, 2);
	assert_int_equal(s->expects[1].window.kind, FR_WIN_AFTER);
	assert_int_equal(s->expects[1].window.skip_ns, 1000000000ull);
	assert_string_equal(s->expects[1].window.label, "after log-full +1s");
	assert_int_equal(s->expects[2].stable, 3);
	assert_int_equal(s->expects[3].stable, 2);
	assert_int_equal(s->expects[4].window.kind, FR_WIN_DURING);
	assert_int_equal(s->expects[4].window.skip_ns, 500000000ull);
	assert_int_equal(s->expects[5].window.kind, FR_WIN_RANGE);
	assert_int_equal(s->expects[5].window.from_ns, 1000000000ull);
	assert_true(s->expects[5].window.to_ns == UINT64_MAX);
	assert_int_equal(s->expects[6].max, 0);
	assert_int_equal(s->expects[7].min, 0);
	assert_int_equal(s->expects[7].max, 0);
	assert_string_equal(s->expects[8].label, "leak requests answer");
	assert_true(s->expects[9].implicit);
	assert_int_equal(s->expects[9].kind, FR_EXP_FIRED);
	assert_int_equal(s->expects[9].fault, 0);
	assert_string_equal(s->expects[9].label, "fault log-full fired");
	fr_scenario_destroy(s);
}

static const char *service_value(void *opaque, const char *svc,
				 const char *field)
{
	(void)opaque;
	if (strcmp(svc, "db") == 0 && strcmp(field, "port") == 0)
		return "33306";
	return NULL;
}

/* a resolve fault as a mapping: op, error and query are ordinary fields */
static void test_resolve_fault(void **state)
{
	static const char yml[] = "target: {command: \"true\"}\n"
				  "duration: 5s\n"
				  "expect: [{exits: 0}]\n"
				  "faults:\n"
				  "  dns: {op: resolve, error: EAI_AGAIN, query: \"DB.internal\"}\n"
				  "  slow: \"resolve delay=2s query=*.internal\"\n";
	struct fr_scenario *s;
	char err[1024];
	struct fr_runctx ctx = { "/run/x", NULL, service_value, NULL };

	(void)state;
	assert_int_equal(fr_scenario_load_string("t.yml", yml, NULL, 0, &s, err, sizeof(err)), 0);
	assert_int_equal(fr_scenario_instantiate(s, &ctx, err, sizeof(err)), 0);
	assert_int_equal(s->nfaults, 2);
	assert_int_equal(s->faults[0].rule.ops, FR_OPBIT(FR_OP_RESOLVE));
	assert_int_equal(s->faults[0].rule.action, FR_ACT_GAIERR);
	assert_int_equal(s->faults[0].rule.err, EAI_AGAIN);
	assert_string_equal(s->faults[0].rule.query, "db.internal");
	assert_int_equal(s->faults[1].rule.action, FR_ACT_DELAY);
	assert_string_equal(s->faults[1].rule.query, "*.internal");
	fr_scenario_destroy(s);
}

static void test_instantiate(void **state)
{
	struct fr_scenario *s;
	char err[1024];
	unsigned ports[] = { 41000 };
	struct fr_runctx ctx = { "/run/x", ports, service_value, NULL };

	(void)state;
	assert_int_equal(fr_scenario_load_string("full.yml", full, NULL, 0, &s, err,
						 sizeof(err)), 0);
	assert_int_equal(fr_scenario_instantiate(s, &ctx, err, sizeof(err)), 0);
	assert_string_equal(s->target.command.argv[2].val, "41000");
	assert_string_equal(s->target.env[0].value.val, "/run/x/logs");
	assert_string_equal(s->target.env[1].value.val, "33306");
	assert_string_equal(s->probes[0].check.http.url.val, "http://127.0.0.1:41000/");
	assert_string_equal(s->faults[0].rule.name, "log-full");
	assert_string_equal(s->faults[0].rule.path, "/run/x/logs/**");
	assert_int_equal(s->faults[0].rule.err, ENOSPC);
	assert_string_equal(s->faults[1].rule.path, "/run/x/state.json");
	assert_int_equal(s->faults[1].rule.err, EACCES);
	assert_int_equal(s->faults[2].rule.err, EIO);
	/* again, for another run */
	ports[0] = 42000;
	ctx.run_dir = "/run/y";
	assert_int_equal(fr_scenario_instantiate(s, &ctx, err, sizeof(err)), 0);
	assert_string_equal(s->target.command.argv[2].val, "42000");
	assert_string_equal(s->faults[0].rule.path, "/run/y/logs/**");
	/* a service that has no such value here */
	ctx.service = NULL;
	assert_int_equal(fr_scenario_instantiate(s, &ctx, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "full.yml:11:45: service 'db' has no port here "
			    "(give a default: ${services.db.port:-VALUE})");
	fr_scenario_destroy(s);
}

static void test_vars_and_set(void **state)
{
	const char *y =
		"vars:\n"
		"  variant: {default: fixed, choices: [fixed, buggy]}\n"
		"  rate: 20\n"
		"  url: http://127.0.0.1:${port.p}/${vars.variant}\n"
		"target: {command: \"run ${vars.variant} $${literal}\"}\n"
		"load: {url: \"${vars.url}\", rate: \"${vars.rate}\"}\n"
		"duration: 5s\n"
		"expect: [{exits: 0}]\n";
	struct fr_override ovr[] = { { "variant", "buggy", false },
				     { "other", "x", false } };
	struct fr_scenario *s;
	char err[1024];
	unsigned ports[] = { 5 };
	struct fr_runctx ctx = { "/r", ports, NULL, NULL };

	(void)state;
	assert_int_equal(fr_scenario_load_string("v.yml", y, NULL, 0, &s, err,
						 sizeof(err)), 0);
	assert_string_equal(s->target.command.argv[0].raw, "run fixed $${literal}");
	assert_string_equal(s->load.http.url.raw, "http://127.0.0.1:${port.p}/fixed");
	assert_true(s->load.rate > 19.9 && s->load.rate < 20.1);
	fr_scenario_destroy(s);

	assert_int_equal(fr_scenario_load_string("v.yml", y, ovr, 2, &s, err,
						 sizeof(err)), 0);
	assert_true(ovr[0].used);
	assert_false(ovr[1].used);
	assert_string_equal(s->vars[0].value, "buggy");
	assert_string_equal(s->target.command.argv[0].raw, "run buggy $${literal}");
	assert_int_equal(fr_scenario_instantiate(s, &ctx, err, sizeof(err)), 0);
	assert_string_equal(s->target.command.argv[0].val, "run buggy ${literal}");
	assert_string_equal(s->load.http.url.val, "http://127.0.0.1:5/buggy");
	assert_true(s->target.command.shell);
	fr_scenario_destroy(s);
}

static void test_missing_file(void **state)
{
	struct fr_scenario *s;
	char err[256];

	(void)state;
	assert_int_equal(fr_scenario_load("/nonexistent/x.yml", NULL, 0, &s, err,
					  sizeof(err)), -ENOENT);
	assert_string_equal(err, "faultrun: '/nonexistent/x.yml': No such file or "
			    "directory");
	assert_null(s);
}

static void test_name_from_file(void **state)
{
	struct fr_scenario *s;
	char err[256];

	(void)state;
	assert_int_equal(fr_scenario_load_string("dir/pool-exhaustion.yml",
						 "target: {command: x}\n"
						 "duration: 1s\n"
						 "expect: [{exits: 0}]\n",
						 NULL, 0, &s, err, sizeof(err)), 0);
	assert_string_equal(s->name, "pool-exhaustion");
	assert_string_equal(s->description, "");
	fr_scenario_destroy(s);
}

static void test_explicit_fired(void **state)
{
	/* an explicit 'fired' replaces the implicit one; min 0 allows silence */
	const char *y =
		"target: {command: x}\n"
		"faults: {a: \"write errno=EIO\", b: \"read errno=EIO\"}\n"
		"timeline: [{at: 1s, inject: a}, {at: 1s, inject: b}]\n"
		"duration: 3s\n"
		"expect:\n"
		"  - fired: {fault: a, min: 0}\n";
	struct fr_scenario *s;
	char err[256];

	(void)state;
	assert_int_equal(fr_scenario_load_string("f.yml", y, NULL, 0, &s, err,
						 sizeof(err)), 0);
	assert_int_equal(s->nexpects, 2);
	assert_false(s->expects[0].implicit);
	assert_int_equal(s->expects[0].min, 0);
	assert_true(s->expects[1].implicit);
	assert_int_equal(s->expects[1].fault, 1);
	fr_scenario_destroy(s);
}

static void test_signal_names(void **state)
{
	(void)state;
	assert_int_equal(fr_signal_from_name("SIGTERM"), 15);
	assert_int_equal(fr_signal_from_name("kill"), 9);
	assert_int_equal(fr_signal_from_name("10"), 10);
	assert_int_equal(fr_signal_from_name("SIGNOPE"), 0);
	assert_string_equal(fr_signal_name(9), "SIGKILL");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_invalid_files),
		cmocka_unit_test(test_valid_full),
		cmocka_unit_test(test_instantiate),
		cmocka_unit_test(test_resolve_fault),
		cmocka_unit_test(test_vars_and_set),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_name_from_file),
		cmocka_unit_test(test_explicit_fired),
		cmocka_unit_test(test_signal_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
