#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-only OR BSD-2-Clause
# verify-unit.sh UNIT KEYGATE: `systemd-analyze verify` the configured unit.
# The installed binary does not exist on a build machine, so ExecStart= is
# pointed at the one just built. systemd-analyze exits 0 on unknown keys and
# bad values (it only prints them), so any output fails the test too.
# Exit 77 (skip) only when systemd-analyze is absent.
set -u
unit=$1
keygate=$(readlink -f "$2") || exit 1

if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "SKIP: systemd-analyze not found"
	exit 77
fi

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
sed -E "s|^(ExecStart=)[^ ]*/keygate |\\1$keygate |" "$unit" > "$tmp/keygate.service" || exit 1
if ! grep -q "^ExecStart=$keygate run " "$tmp/keygate.service"; then
	echo "FAIL: $unit: no ExecStart=.../keygate run line"
	exit 1
fi

# --man=no: the man pages are not installed on the build machine;
# the man-pages-render test checks them.
out=$(systemd-analyze verify --man=no "$tmp/keygate.service" 2>&1)
rc=$?
if [ $rc -ne 0 ] || [ -n "$out" ]; then
	printf '%s\n' "$out"
	echo "FAIL: systemd-analyze verify $unit (exit $rc)"
	exit 1
fi
echo "OK: systemd-analyze verify $unit"
