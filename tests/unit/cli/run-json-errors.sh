#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# run-json-errors.sh KEYGATE: `keygate -j run` keeps stdout for decision
# records. A run that fails (here: an anchor naming a keyring serial that
# does not exist, so it fails on every kernel, after the probe) writes
# nothing but JSON lines on stdout and its error as a JSON object on stderr.
set -u
keygate=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

cat >"$dir/policy.yaml" <<'YAML'
keygate: 1
policy:
  name: json-errors
  version: 1
  mode: audit
anchors:
  - name: missing
    keyring: 2147483600
rules:
  - name: apps
    operations: [exec]
    paths: [/opt/kg-json-errors/]
    require: signed
    anchors: [missing]
YAML

"$keygate" -j run --policy "$dir/policy.yaml" --log - >"$dir/out" 2>"$dir/err"
status=$?
[ "$status" -ne 0 ] || fail "run with a missing keyring succeeded"
python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$dir/out" ||
	fail "stdout is not JSON lines: $(cat "$dir/out")"
json_error=$(grep '^{"error":' "$dir/err") || fail "no JSON error on stderr: $(cat "$dir/err")"
"$keygate" run --policy "$dir/policy.yaml" --log - >"$dir/out" 2>"$dir/err"
[ ! -s "$dir/out" ] || fail "text mode wrote to stdout: $(cat "$dir/out")"
grep -q '^keygate: ' "$dir/err" || fail "no error on stderr in text mode: $(cat "$dir/err")"
echo "ok: exit $status, stdout JSON lines only, error on stderr: $json_error"
