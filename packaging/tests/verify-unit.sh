#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-only OR BSD-2-Clause
# verify-unit.sh UNIT KEYGATE [MANPAGE...]: `systemd-analyze verify` the
# configured unit. The installed binary does not exist on a build machine, so
# ExecStart= is pointed at the one just built; the man pages given are put in
# a scratch MANPATH so that every Documentation=man: entry must resolve. systemd-analyze exits 0 on unknown keys and
# bad values (it only prints them), so any output fails the test too.
# Exit 77 (skip) only when systemd-analyze is absent.
set -u
unit=$1
keygate=$(readlink -f "$2") || exit 1
shift 2

if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "SKIP: systemd-analyze not found"
	exit 77
fi

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
sed -E "s|^(Exec[A-Za-z]*=)[^ ]*/keygate |\\1$keygate |" "$unit" > "$tmp/keygate.service" || exit 1
if ! grep -q "^ExecStart=$keygate run " "$tmp/keygate.service"; then
	echo "FAIL: $unit: no ExecStart=.../keygate run line"
	exit 1
fi

man=no
if [ $# -gt 0 ] && command -v man >/dev/null 2>&1; then
	man=yes
	for page in "$@"; do
		section=${page##*.}
		mkdir -p "$tmp/man/man$section"
		ln -s "$(readlink -f "$page")" "$tmp/man/man$section/"
	done
fi
out=$(MANPATH=$tmp/man systemd-analyze verify --man=$man "$tmp/keygate.service" 2>&1)
rc=$?
if [ $rc -ne 0 ] || [ -n "$out" ]; then
	printf '%s\n' "$out"
	echo "FAIL: systemd-analyze verify $unit (exit $rc)"
	exit 1
fi
echo "OK: systemd-analyze verify --man=$man $unit"
