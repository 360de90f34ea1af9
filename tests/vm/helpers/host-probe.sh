#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# Host test (meson suite "host", root): `keygate probe` on whatever kernel
# runs the tests. Its -j output is valid JSON whose verdict matches the exit
# status, every check has a detail, and libbpf's noise (the misleading
# `ulimit -l` hint) never reaches the user.
set -euo pipefail
keygate=$(realpath "$1")
if [ "$(id -u)" != 0 ]; then
	echo "needs root for the trial load"
	exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
set +e
"$keygate" -j probe >probe.json 2>probe.err
status=$?
"$keygate" probe >probe.txt 2>>probe.err
human_status=$?
set -e
cat probe.txt
[ "$status" = "$human_status" ] || { echo "FAIL: -j exit $status, human exit $human_status"; exit 1; }
python3 - "$status" probe.json <<'PY'
import json, sys
status = int(sys.argv[1])
report = json.load(open(sys.argv[2]))
checks = report["checks"]
names = [c["name"] for c in checks]
for want in ["bpf-lsm", "btf", "lsm-load", "kfunc:bpf_verify_pkcs7_signature", "fs-verity", "modules"]:
    assert want in names, f"check {want} missing"
assert all(c["detail"] for c in checks), "a check without detail"
all_ok = all(c["ok"] for c in checks)
assert report["all_ok"] == all_ok
assert report["can_enforce"] == all(c["ok"] for c in checks if c["required"])
assert status == (0 if all_ok else 3), f"exit {status} but all_ok={all_ok}"
lsm = next(c for c in checks if c["name"] == "lsm-load")
if not lsm["ok"] and "EPERM" in lsm["detail"]:
    assert "BPF LSM programs cannot be loaded" in lsm["detail"]
print("probe JSON consistent; lsm-load:", lsm["detail"])
PY
if grep -q ulimit probe.err; then
	echo "FAIL: libbpf's ulimit hint leaked:"
	cat probe.err
	exit 1
fi
echo PASS
