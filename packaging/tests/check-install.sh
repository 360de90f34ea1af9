#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-only OR BSD-2-Clause
# check-install.sh BUILDDIR KEYGATE SYSCONFDIR UNITDIR MANDIR: install into a
# scratch DESTDIR and check what packages ship: the unit, keygate(8), an
# empty policy.d/, and a policy.yaml that compiles to exactly the built-in
# default policy (same digest as `keygate policy show --default`), so the
# packaged service enforces what the documentation says it does.
set -u
builddir=$1
keygate=$(readlink -f "$2") || exit 1
sysconfdir=$3
unitdir=$4
mandir=$5

dest=$(mktemp -d) || exit 1
trap 'rm -rf "$dest"' EXIT
if ! out=$(meson install -C "$builddir" --no-rebuild --quiet --destdir "$dest" 2>&1); then
	printf '%s\n' "$out"
	echo "FAIL: meson install --destdir"
	exit 1
fi

failed=0
for f in "$unitdir/keygate.service" "$mandir/man8/keygate.8" "$sysconfdir/keygate/policy.yaml"; do
	if [ ! -f "$dest$f" ]; then
		echo "FAIL: $f is not installed"
		failed=1
	fi
done
if [ ! -d "$dest$sysconfdir/keygate/policy.d" ]; then
	echo "FAIL: $sysconfdir/keygate/policy.d/ is not installed"
	failed=1
elif [ -n "$(ls -A "$dest$sysconfdir/keygate/policy.d")" ]; then
	echo "FAIL: $sysconfdir/keygate/policy.d/ is not empty"
	failed=1
fi
[ "$failed" -eq 0 ] || exit 1

digest() {
	"$keygate" -j policy show "$@" |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["digest"])'
}
installed=$(digest "$dest$sysconfdir/keygate") || { echo "FAIL: keygate policy show $sysconfdir/keygate"; exit 1; }
builtin=$(digest --default) || { echo "FAIL: keygate policy show --default"; exit 1; }
if [ "$installed" != "$builtin" ]; then
	echo "FAIL: installed policy digest $installed differs from the built-in default $builtin"
	exit 1
fi
echo "OK: installed layout; $sysconfdir/keygate compiles to the built-in default (sha256:$installed)"
