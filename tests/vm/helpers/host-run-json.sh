#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# Host test (meson suite "host", root): `keygate -j run` on a kernel that
# refuses to load BPF LSM programs (CI's host: BPF_PROG_LOAD fails with
# EPERM). Its stdout parses as JSON lines (here: none), its one error is a
# JSON object on stderr that names EPERM, the exit status is 3 (the kernel
# cannot enforce), and libbpf's noise does not reach the user. On a kernel
# that can enforce, the agent would start for real: the test says so and
# skips (exit 77).
set -uo pipefail
keygate=$(realpath "$1")
if [ "$(id -u)" != 0 ]; then
	echo "needs root for the load"
	exit 77
fi
if "$keygate" -j probe 2>/dev/null | python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["can_enforce"] else 1)'; then
	echo "this kernel can enforce: keygate run would start the agent; not run here"
	exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

timeout 300 "$keygate" -j run >"$tmp/out" 2>"$tmp/err"
status=$?
[ "$status" = 3 ] || fail "keygate -j run exited $status, expected 3; stderr: $(cat "$tmp/err")"
python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$tmp/out" ||
	fail "stdout is not JSON lines: $(cat "$tmp/out")"
python3 - "$tmp/err" <<'PY' || fail "stderr: $(cat "$tmp/err")"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 1, f"{len(lines)} lines on stderr, expected one JSON error"
error = json.loads(lines[0])["error"]
assert "EPERM" in error, f"the error does not name EPERM: {error}"
print("error:", error)
PY
grep -q ulimit "$tmp/err" && fail "libbpf's ulimit hint leaked: $(cat "$tmp/err")"
echo "PASS: exit 3, $(wc -l <"$tmp/out") stdout lines, all JSON"
