#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# Host test (meson suite "host", root): `keygate probe` on whatever kernel
# runs the tests. Its -j output is valid JSON whose verdict matches the exit
# status, every check has a detail, and libbpf's noise (the misleading
# `ulimit -l` hint) never reaches the user. The pkcs7 and fs-verity checks
# agree with the kernel config (CI's host has CONFIG_SYSTEM_DATA_VERIFICATION
# and CONFIG_FS_VERITY off: both must FAIL there, saying so), also when the
# config is hidden and the probe falls back to kallsyms / BTF.
set -euo pipefail
keygate=$(realpath "$1")
if [ "$(id -u)" != 0 ]; then
	echo "needs root for the trial load"
	exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
# The kernel config as the probe reads it: "y", "unset", or "" (no config).
config_state() {
	local text
	if [ -r /proc/config.gz ]; then
		text=$(zcat /proc/config.gz)
	elif [ -r "/boot/config-$(uname -r)" ]; then
		text=$(cat "/boot/config-$(uname -r)")
	else
		return 0
	fi
	if grep -qE "^$1=[ym]" <<<"$text"; then echo y; else echo unset; fi
}
pkcs7_config=$(config_state CONFIG_SYSTEM_DATA_VERIFICATION)
verity_config=$(config_state CONFIG_FS_VERITY)
echo "kernel config: SYSTEM_DATA_VERIFICATION=${pkcs7_config:-unknown} FS_VERITY=${verity_config:-unknown}"
set +e
"$keygate" -j probe >probe.json 2>probe.err
status=$?
"$keygate" probe >probe.txt 2>>probe.err
human_status=$?
set -e
cat probe.txt
[ "$status" = "$human_status" ] || { echo "FAIL: -j exit $status, human exit $human_status"; exit 1; }
python3 - "$status" probe.json "$pkcs7_config" "$verity_config" <<'PY'
import json, sys
status = int(sys.argv[1])
report = json.load(open(sys.argv[2]))
pkcs7_config, verity_config = sys.argv[3], sys.argv[4]
checks = report["checks"]
names = [c["name"] for c in checks]
for want in ["bpf-lsm", "btf", "lsm-load", "kfunc:bpf_verify_pkcs7_signature", "fs-verity", "modules"]:
    assert want in names, f"check {want} missing"
assert all(c["detail"] for c in checks), "a check without detail"
assert report["all_ok"] == all(c["ok"] for c in checks if not c["feature"])
all_ok = report["all_ok"]
assert report["can_enforce"] == all(c["ok"] for c in checks if c["required"])
assert status == (0 if all_ok else 3), f"exit {status} but all_ok={all_ok}"
lsm = next(c for c in checks if c["name"] == "lsm-load")
if not lsm["ok"] and "EPERM" in lsm["detail"]:
    assert "BPF LSM programs cannot be loaded" in lsm["detail"]
pkcs7 = next(c for c in checks if c["name"] == "kfunc:bpf_verify_pkcs7_signature")
stub = ("CONFIG_SYSTEM_DATA_VERIFICATION is not set in this kernel: "
        "bpf_verify_pkcs7_signature is a stub")
if pkcs7_config == "unset":
    assert not pkcs7["ok"], f"pkcs7 kfunc ok without SYSTEM_DATA_VERIFICATION: {pkcs7['detail']}"
    if "not in vmlinux BTF" not in pkcs7["detail"]:
        assert stub in pkcs7["detail"] and "kernel config" in pkcs7["detail"], pkcs7["detail"]
elif pkcs7_config == "y" and "not in vmlinux BTF" not in pkcs7["detail"]:
    assert pkcs7["ok"] and "SYSTEM_DATA_VERIFICATION=y" in pkcs7["detail"], pkcs7["detail"]
verity = next(c for c in checks if c["name"] == "fs-verity")
if verity_config == "unset":
    assert not verity["ok"], f"fs-verity ok without CONFIG_FS_VERITY: {verity['detail']}"
    assert "CONFIG_FS_VERITY is not set in this kernel" in verity["detail"], verity["detail"]
elif verity_config == "y":
    assert verity["ok"], verity["detail"]
print("probe JSON consistent; lsm-load:", lsm["detail"])
print("pkcs7:", pkcs7["detail"])
print("fs-verity:", verity["detail"])
PY

# Without a readable config the probe falls back to kallsyms (pkcs7) and
# vmlinux BTF (fs-verity), as on Debian kernels without IKCONFIG: the verdict
# must not change.
if [ -n "$pkcs7_config" ] && command -v unshare >/dev/null; then
	: >empty-config
	unshare -m sh -c 'mount --bind empty-config /proc/config.gz 2>/dev/null || true
		mount -t tmpfs none /boot && exec "$1" -j probe' sh "$keygate" >noconfig.json 2>>probe.err || [ $? = "$status" ] ||
		{ echo "FAIL: probe without kernel config exited differently"; exit 1; }
	python3 - noconfig.json probe.json <<'PY'
import json, sys
hidden = {c["name"]: c for c in json.load(open(sys.argv[1]))["checks"]}
seen = {c["name"]: c for c in json.load(open(sys.argv[2]))["checks"]}
for name in ["kfunc:bpf_verify_pkcs7_signature", "fs-verity"]:
    h = hidden[name]
    assert "kernel config" not in h["detail"], f"config not hidden: {h['detail']}"
    assert h["ok"] == seen[name]["ok"], f"{name}: with config {seen[name]}, without {h}"
    print(f"{name} without kernel config:", h["detail"])
p = hidden["kfunc:bpf_verify_pkcs7_signature"]
if not p["ok"] and "not in vmlinux BTF" not in p["detail"]:
    assert "is a stub (no verify_pkcs7_signature in /proc/kallsyms)" in p["detail"], p["detail"]
PY
fi
# The probe leaves the system as it found it: securityfs, when it had to
# mount it (a chroot, a minimal container), is unmounted again, and its
# security.bpf. xattr trial leaves no scratch file behind.
if command -v unshare >/dev/null; then
	unshare -m sh -c 'umount /sys/kernel/security 2>/dev/null || exit 0
		"$1" -j probe >probe-nosecfs.json 2>>probe.err
		grep -c " /sys/kernel/security securityfs " /proc/self/mounts' sh "$keygate" >secfs.count || true
	python3 - probe-nosecfs.json secfs.count <<'PY'
import json, os, sys
if os.path.getsize(sys.argv[1]) == 0:
    print("securityfs could not be unmounted in a namespace; not checked")
    sys.exit(0)
lsm = next(c for c in json.load(open(sys.argv[1]))["checks"] if c["name"] == "bpf-lsm")
assert "active LSM list" in lsm["detail"], f"bpf-lsm without securityfs: {lsm['detail']}"
count = open(sys.argv[2]).read().strip()
assert count == "0", f"securityfs still mounted {count} time(s) after the probe"
print("probe without securityfs:", lsm["detail"], "; left unmounted")
PY
fi
# Another test's keygate may be probing right now (meson runs tests in
# parallel): a scratch file still there a few seconds later is a leftover.
leftover=$(find /dev/shm /tmp -maxdepth 1 -name 'keygate-probe-*' 2>/dev/null)
if [ -n "$leftover" ]; then
	sleep 3
	leftover=$(for f in $leftover; do [ ! -e "$f" ] || echo "$f"; done)
fi
[ -z "$leftover" ] || { echo "FAIL: the probe left $leftover"; exit 1; }
python3 - probe.json <<'PY'
import json, sys
checks = json.load(open(sys.argv[1]))["checks"]
features = {c["name"] for c in checks if c["feature"]}
assert features == {"module-compressed-reads", "security-bpf-xattr", "overlay-backing-file"}, features
assert not any(c["required"] for c in checks if c["feature"])
print("features:", ", ".join(f"{c['name']}={'ok' if c['ok'] else 'no'}" for c in checks if c["feature"]))
PY
if grep -q ulimit probe.err; then
	echo "FAIL: libbpf's ulimit hint leaked:"
	cat probe.err
	exit 1
fi
echo PASS
