#!/bin/bash
# Measure what a full tmpfs and a full ext4 answer (root only):
#   tests/disk/measure-full.sh > docs/disk-full-measured.txt
# The results on this machine are in measured.txt (docs/faults.md, "disk").
# Builds measure-full.c with cc; mounts a 64 KiB tmpfs and a 1 MiB ext4
# image (no reserved blocks, -m 0) on a loop device.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'umount "$work/mnt" 2>/dev/null; rm -rf "$work"' EXIT
cc -O1 -o "$work/measure" "$here/measure-full.c"
mkdir "$work/mnt"
echo "== tmpfs, size=64k ($(uname -r))"
mount -t tmpfs -o size=64k tmpfs "$work/mnt"
"$work/measure" "$work/mnt"
umount "$work/mnt"
if command -v mkfs.ext4 >/dev/null && losetup -f >/dev/null 2>&1; then
	echo "== ext4, 1 MiB image, -b 4096 -m 0 (loop device)"
	truncate -s 1M "$work/img"
	mkfs.ext4 -q -F -b 4096 -m 0 "$work/img"
	mount -o loop "$work/img" "$work/mnt"
	"$work/measure" "$work/mnt"
	umount "$work/mnt"
else
	echo "== ext4: no loop device here, not measured"
fi
