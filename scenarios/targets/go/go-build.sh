#!/bin/sh
# go-build.sh SRCDIR OUTPUT CACHEDIR GO: builds the Go target as Meson
# asks (scenarios/targets/go/meson.build). Go 1.19 has no `go build -C`,
# and a module is built from its own directory, hence this script.
#   - CGO_ENABLED=0: a static binary that makes its system calls itself,
#     which is exactly what an LD_PRELOAD shim cannot reach;
#   - GOCACHE/GOPATH in the build directory: nothing written to $HOME (CI
#     runs as root, maybe without one), and a wiped build dir starts clean;
#   - GOPROXY=off, GOFLAGS=-mod=readonly: the build is offline and the
#     module has no dependencies, so any download is a mistake;
#   - -trimpath: no build-machine paths in the binary; -buildvcs=false:
#     a worktree owned by another user would make `git status` fail;
#   - -ldflags='-s -w': no symbol table nor DWARF (Go's stack traces use
#     its own pclntab, not these). Go compresses its DWARF, which dwz
#     cannot rewrite: it exits 1, and so would the Debian package build's
#     dh_dwz (Debian bug #931891).
set -eu
src=$1 out=$2 cache=$3 go=$4
case $out in /*) ;; *) out=$PWD/$out ;; esac
case $cache in /*) ;; *) cache=$PWD/$cache ;; esac
cd "$src"
exec env CGO_ENABLED=0 GOCACHE="$cache/build" GOPATH="$cache/path" GOENV=off \
	GOFLAGS=-mod=readonly GOPROXY=off GOTOOLCHAIN=local GO111MODULE=on \
	GOWORK=off "$go" build -trimpath -buildvcs=false \
	-ldflags="-s -w" -o "$out" .
