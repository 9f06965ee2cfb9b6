#!/bin/bash
# io/haproxy.c's configuration generator on odd inputs. A name, host or
# path reaches HAProxy's configuration parser, where a space, a quote, a
# '#' or a newline is syntax: a backend named "x\n  stats socket ..." would
# add directives. Each such input must be refused (exit 2, a message
# naming the field, no file written); what is accepted must be a file
# `haproxy -c` finds valid.
#
# env: LB_TOOL (tests/lb/lb-tool). Exit 77 without haproxy.
set -u
here=$(dirname "$0")
. "$here/test-lb-lib.sh"

run=$(mktemp -d /tmp/faultrun-test-lbconf-XXXXXX)
trap 'rm -rf "$run"' EXIT

# conf DIR ARGS...: the minimal good configuration plus ARGS (later wins)
conf() {
	local dir=$1
	shift
	mkdir -p "$dir"
	"$LB_TOOL" conf "$dir" --sock "$run/s.sock" --listen 8080 --check /health "$@"
}

# refused WHAT MESSAGE ARGS...: exit 2, MESSAGE on stderr, nothing written
refused() {
	local what=$1 msg=$2 dir=$run/refused
	shift 2
	rm -rf "$dir"
	conf "$dir" "$@" >/dev/null 2>"$run/err"
	local rc=$?
	if [ $rc = 2 ] && grep -q -- "$msg" "$run/err" && [ -z "$(ls -A "$dir")" ]; then
		ok "refused: $what ($(head -c 120 "$run/err"))"
	else
		fail "refused: $what (exit $rc: $(cat "$run/err"); files: $(ls "$dir"))"
	fi
}

# accepted WHAT ARGS...: written, mode 0600, and valid to haproxy -c
accepted() {
	local what=$1 dir=$run/ok cfg
	shift
	rm -rf "$dir"
	if ! cfg=$(conf "$dir" "$@" 2>"$run/err"); then
		fail "accepted: $what ($(cat "$run/err"))"
		return
	fi
	check "accepted: $what: mode 0600" [ "$(stat -c %a "$cfg")" = 600 ]
	check "accepted: $what: haproxy -c finds it valid" "$haproxy" -c -q -f "$cfg"
	last=$cfg
}

good=(--backend "b1=127.0.0.1:8081")
nl=$'\n'

refused "a backend name with a space" "backend name 'a b'" --backend "a b=127.0.0.1:1"
refused "a backend name with a double quote" "backend name" --backend 'a"b=127.0.0.1:1'
refused "a backend name with a single quote" "backend name" --backend "a'b=127.0.0.1:1"
refused "a backend name with a newline and a directive" "backend name" \
	--backend "x${nl}	stats socket /tmp/evil level admin=127.0.0.1:1"
refused "a backend name with '#'" "backend name" --backend "a#b=127.0.0.1:1"
refused "a backend name with '\$'" "backend name" --backend 'a$HOME=127.0.0.1:1'
refused "an empty backend name" "backend name ''" --backend "=127.0.0.1:1"
refused "a 64-character backend name" "backend name" \
	--backend "$(printf 'a%.0s' $(seq 64))=127.0.0.1:1"
refused "two backends with one name" "used twice" "${good[@]}" --backend "b1=127.0.0.1:2"
refused "no backend" "no backends"
refused "a load balancer name with a space" "load balancer name" "${good[@]}" --name "my lb"
refused "a host with a space" "address" --backend "b1=127.0.0.1 backup:1"
refused "a host with a quote" "address" --backend 'b1=127."0.0.1:1'
refused "port 0" "address" --backend "b1=127.0.0.1:0"
refused "port 65536" "address" --backend "b1=127.0.0.1:65536"
refused "listen port 70000" "listen address" "${good[@]}" --listen 70000
refused "a check path with a space" "health check path" "${good[@]}" --check "/a b"
refused "a check path with '#'" "health check path" "${good[@]}" --check "/a#b"
refused "a check path with a quote" "health check path" "${good[@]}" --check '/a"b'
refused "a check path with '\$'" "health check path" "${good[@]}" --check '/${HOME}'
refused "a check path with a backslash" "health check path" "${good[@]}" --check '/a\b'
refused "a check path without a leading /" "health check path" "${good[@]}" --check "health"
refused "a 500 for no backend" "expected 502 or 503" "${good[@]}" --down 500
refused "a socket path with a quote" "stats socket" "${good[@]}" --sock "$run/a'b.sock"
refused "a socket path with a newline" "stats socket" "${good[@]}" --sock "$run/a${nl}b.sock"
refused "a relative socket path" "stats socket" "${good[@]}" --sock "s.sock"
refused "a socket path too long for sun_path" "stats socket" "${good[@]}" \
	--sock "/tmp/$(printf 'x%.0s' $(seq 110))"

accepted "names with '.', '-', '_'" --name "lb.web-1_x" --backend "app.b-1_x=127.0.0.1:8081"
check "... the server line" grep -q "^	server app.b-1_x 127.0.0.1:8081$" "$last"
accepted "an IPv6 backend" --backend "b6=::1:8081"
check "... written in brackets" grep -q "^	server b6 \[::1\]:8081$" "$last"
accepted "a host name" --backend "bh=localhost:8081"
accepted "a check path with a query" "${good[@]}" --check "/health?deep=1&x=%20"
check "... on the httpchk line" grep -q "^	option httpchk GET /health?deep=1&x=%20$" "$last"
accepted "a socket path with a space (single-quoted)" "${good[@]}" --sock "$run/a b.sock"
check "... quoted" grep -q "stats socket '$run/a b.sock' mode 600 level admin" "$last"
accepted "502 with no healthy backend" "${good[@]}" --down 502
check "... answered by the frontend while nbsrv is 0" \
	grep -q "http-request return status 502 .* if { nbsrv(lb_backends) eq 0 }" "$last"
accepted "503 with no healthy backend (the default)" "${good[@]}"
check "... no rule of our own: HAProxy's 503" not grep -q "http-request return" "$last"
accepted "interval, timeout, rise, fall" "${good[@]}" --interval 1500 --timeout 700 \
	--rise 4 --fall 5
check "... on default-server" grep -q "default-server check inter 1500ms rise 4 fall 5" "$last"
check "... the check timeout" grep -q "timeout check 700ms" "$last"

finish
