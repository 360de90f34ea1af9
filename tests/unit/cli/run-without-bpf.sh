#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# run-without-bpf.sh KEYGATE: in a build without BPF support, `keygate run`
# and `keygate probe` exit 3 saying so (text and JSON), while
# `keygate policy check` still works.
set -u
keygate=$1
src=$2
fail() { echo "FAIL: $*"; exit 1; }

for cmd in run probe; do
	err=$("$keygate" "$cmd" 2>&1 >/dev/null)
	status=$?
	[ "$status" -eq 3 ] || fail "keygate $cmd: exit $status, expected 3"
	case $err in
	*"built without BPF support"*) ;;
	*) fail "keygate $cmd: '$err' does not say it was built without BPF" ;;
	esac
done
out=$("$keygate" -j run 2>/dev/null)
[ -z "$out" ] || fail "keygate -j run wrote to stdout: $out"
"$keygate" -j run 2>&1 >/dev/null | grep -q '^{"error":.*built without BPF support' ||
	fail "keygate -j run: no JSON error on stderr"
"$keygate" policy check "$src/policy/examples/signed-apps" >/dev/null ||
	fail "keygate policy check fails in a build without BPF"
echo "ok: run and probe exit 3 and say so; policy check works"
