#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# Host test (meson suite "host", root): the SEC("syscall") key lookup runs on
# kernels that cannot load LSM programs, so check kg-keyring-lookup here too.
set -euo pipefail
helper=$(realpath "$1")
if [ "$(id -u)" != 0 ]; then
	echo "needs root to load BPF programs"
	exit 77
fi
# @u, not @s: a process without a session keyring gets a private one from
# keyctl that dies with it, and the new keyring would be garbage collected.
ring=$(keyctl newring kg-host-test @u)
trap 'keyctl unlink "$ring" @u >/dev/null 2>&1 || true' EXIT
out=$("$helper" "$ring")
echo "real keyring $ring: $out"
[ "$out" = "found=1 keys_put=1" ] || { echo "FAIL: expected found=1 keys_put=1"; exit 1; }
out=$("$helper" 1)
echo "bogus serial 1 (never allocated, serials start at 3): $out"
[ "$out" = "found=0 keys_put=0" ] || { echo "FAIL: expected found=0 keys_put=0"; exit 1; }
echo "PASS"
