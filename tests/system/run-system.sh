#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
#
# run-system.sh - keygate's system tier: the package as an administrator
# meets it, on a Debian 12 guest booted with systemd as PID 1 under qemu
# (TCG). See tests/system/README.md.
#
#   tests/system/run-system.sh --build DIR [--deb FILE] [--timeout SECONDS] [-v]
#
# Builds the .deb from HEAD with scripts/build-deb.sh (unless --deb), makes
# or reuses the cached root file system (make-rootfs.sh), boots it with the
# VM tier's 6.12 kernel, and parses the guest's result lines. Prints one
# line per step, the figures, "system: gap restart=N kill9=N reinstall=N
# reboot=N" and "system: N passed, N failed"; exits 1 if anything failed or
# the guest could not be booted.
set -uo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
sysdir=$src/tests/system
build=$src/build
deb=
timeout=1800
verbose=0
vm_cache=${KEYGATE_VM_CACHE:-/var/cache/keygate/vm}
cache=${KEYGATE_SYSTEM_CACHE:-/var/cache/keygate/system}
RUNNER=run-system TIER=system RUNNER_USAGE=4,16
. "$src/tests/runner-lib.sh"

own_option() {
	runner_shift=0
	[ "$1" != --deb ] || { deb=$2; runner_shift=2; }
}
runner_parse "$@"

die() { runner_die "$@"; }

runner_require_tools qemu-system-x86_64 mmdebstrap mkfs.ext4 debugfs dpkg-buildpackage flock
[ "$(id -u)" = 0 ] || die "needs root (mmdebstrap, the caches in /var/cache/keygate)"
runner_build_dir
helper=$build/tests/vm/helpers/kg-true
[ -x "$helper" ] || die "$helper not built (meson setup -Dtests=enabled, ninja)"

work=$build/tests/system/work
rm -rf "$work"
mkdir -p "$work"
start=$(date +%s)

# --- the package, the kernel, the root file system ---------------------------
if [ -z "$deb" ]; then
	echo "system: building the .deb from HEAD (scripts/build-deb.sh, unit suite skipped)"
	DEB_BUILD_OPTIONS=nocheck "$src/scripts/build-deb.sh" "$work/deb" >"$work/build-deb.log" 2>&1 ||
		{ tail -n 30 "$work/build-deb.log"; die "scripts/build-deb.sh failed (log: $work/build-deb.log)"; }
	deb=$(ls "$work"/deb/keygate_*.deb 2>/dev/null | head -n1)
fi
[ -f "$deb" ] || die "no .deb to install"
kernel_env=$("$src/tests/vm/fetch-kernel.sh" "$vm_cache" 6.12) || die "could not fetch the 6.12 kernel"
eval "$kernel_env"
[ -f "$KG_VMLINUZ" ] || die "kernel image $KG_VMLINUZ missing"
rootfs=$("$sysdir/make-rootfs.sh" "$cache") || die "could not build the root file system"
prepared=$(date +%s)

# --- the package linters (host side, counted as steps) -------------------------
host_pass=0 host_fail=0
host_step() { # host_step NAME DETAIL OK(0/1) [OUTPUT]
	if [ "$3" = 0 ]; then
		host_pass=$((host_pass + 1)); echo "system: PASS $1: $2"
	else
		host_fail=$((host_fail + 1)); echo "system: FAIL $1: $2"
		[ -z "${4:-}" ] || printf '%s\n' "$4" | sed 's/^/    /'
	fi
}
changes=$(ls "$(dirname "$deb")"/keygate_*.changes 2>/dev/null | head -n1)
if command -v lintian >/dev/null && [ -n "$changes" ]; then
	out=$(lintian --pedantic -I -E "$changes" 2>&1 | grep -E '^[EWIP]: ')
	host_step lintian "lintian --pedantic: no tag beyond the documented overrides" \
		"$([ -z "$out" ]; echo $?)" "$out"
elif ! command -v lintian >/dev/null; then
	host_step lintian "lintian not found; run scripts/install-deps.sh" 1
fi
if command -v rpmlint >/dev/null; then
	out=$(rpmlint --ignore-unused-rpmlintrc "$src/packaging/rpm/keygate.spec" 2>&1)
	host_step rpmlint-spec "rpmlint keygate.spec: no errors" \
		"$(echo "$out" | grep -q ' 0 errors' ; echo $?)" "$out"
else
	host_step rpmlint-spec "rpmlint not found; run scripts/install-deps.sh" 1
fi

# --- the run's root: a copy of the cached image with the run's files ----------
# Written into the copy with debugfs (no mount, no loop device): the driver
# unit that runs guest.sh at every boot, and under /kgsys the guest script,
# the package, the policies, the test certificate and program, and the
# kernel's config (the linux-image package would install it in /boot).
files=$work/kgsys
mkdir -p "$files"
cp "$sysdir/guest.sh" "$sysdir/gaploop.sh" "$deb" "$helper" "$files/"
cp "$src/policy/examples/certs/apps.pem" "$files/kgsys.pem"
config=$(dirname "$KG_MODULES_DIR")/../../boot/config-$KG_KERNEL_VERSION
[ -f "$config" ] && cp "$config" "$files/"
policy() { # policy VERSION [OPERATIONS]
	cat <<EOF
# keygate system tier: /opt/kgsys/ must be signed by the test key.
keygate: 1
policy: {name: kgsys, version: $1, mode: enforce}
anchors:
  - {name: kgsys-test, certificates: [/usr/local/share/kgsys/kgsys.pem]}
rules:
  - name: opt-kgsys
    operations: [${2:-exec}]
    paths: [/opt/kgsys/]
    require: signed
    anchors: [kgsys-test]
EOF
}
policy 1 >"$files/policy-v1.yaml"
policy 2 >"$files/policy-v2.yaml"
policy 3 "exec, teleport" >"$files/policy-bad.yaml"
policy 1 | sed -e 's|certificates: \[.*\]|keyring: "%keyring:kgsys-no-such-keyring"|' >"$files/policy-broken.yaml"
# Signed policies (keygate(8), POLICY SIGNING), signed here with the
# documented openssl command line and verified by the guest's kernel;
# anchored in the builtin keyring, which cannot have signed the program.
signing=$work/signing
mkdir -p "$signing"
openssl req -x509 -newkey rsa:2048 -nodes -days 36500 -sha256 -subj "/CN=kgsys policy signer" \
	-keyout "$signing/key.pem" -out "$files/policy-signer.pem" 2>/dev/null ||
	die "openssl req for the policy-signing key failed"
for v in 4 5; do
	mkdir -p "$signing/v$v"
	policy "$v" | sed -e 's|certificates: \[.*\]|system: builtin|' >"$signing/v$v/policy.yaml"
	"$build/cli/keygate" policy compile "$signing/v$v" --signed-part -o "$signing/v$v.kgp" >/dev/null ||
		die "keygate policy compile --signed-part (version $v) failed"
	openssl cms -sign -binary -noattr -md sha256 -outform DER -signer "$files/policy-signer.pem" \
		-inkey "$signing/key.pem" -in "$signing/v$v.kgp" -out "$files/policy-signed-v$v.sig" ||
		die "openssl cms -sign (version $v) failed"
	cp "$signing/v$v/policy.yaml" "$files/policy-signed-v$v.yaml"
done
cat >"$work/kg-system.service" <<'EOF'
[Unit]
Description=keygate system tier driver
After=local-fs.target systemd-journald.service auditd.service

[Service]
Type=simple
ExecStart=/bin/sh /kgsys/guest.sh
StandardOutput=journal+console
StandardError=journal+console
EOF
root=$work/root.img
cp --sparse=always "$rootfs" "$root" || die "cannot copy $rootfs"
{
	echo "mkdir /kgsys"
	for f in "$files"/*; do
		echo "write $f /kgsys/$(basename "$f")"
	done
	echo "write $work/kg-system.service /etc/systemd/system/kg-system.service"
	echo "symlink /etc/systemd/system/multi-user.target.wants/kg-system.service /etc/systemd/system/kg-system.service"
} >"$work/debugfs.cmds"
debugfs -w -f "$work/debugfs.cmds" "$root" >"$work/debugfs.log" 2>&1 ||
	die "debugfs could not write the run's files into $root"
if grep -qiE 'error|could not|not found' "$work/debugfs.log"; then
	cat "$work/debugfs.log"
	die "debugfs could not write the run's files into $root"
fi

# --- boot ----------------------------------------------------------------------
console=$work/console.log
results=$work/results.log
echo "system: booting Debian 12 ($KG_KERNEL_VERSION, systemd, qemu TCG); console in $console"
# One disk: with two, either may become nvme0n1 (NVMe probes asynchronously).
qemu=(qemu-system-x86_64 -accel tcg,thread=single -cpu max -m 2048 -smp 2 -display none -nic none
	-kernel "$KG_VMLINUZ"
	-append "root=/dev/nvme0n1 rw console=ttyS0 quiet loglevel=4 systemd.show_status=0 panic=-1"
	-drive "file=$root,if=none,id=root,format=raw" -device nvme,drive=root,serial=kgsys
	-serial "file:$console" -serial "file:$results")
booted=$(date +%s)
: >"$console"
: >"$results"
"${qemu[@]}" &
qpid=$!
[ "$verbose" = 1 ] && { tail -F "$results" 2>/dev/null & tpid=$!; }
# The guest reboots once, so qemu cannot be told -no-reboot: a panic would
# boot again and again. Stop it on a panic or at the time limit.
stopped=
while kill -0 "$qpid" 2>/dev/null; do
	if grep -q 'Kernel panic' "$console" 2>/dev/null; then
		stopped="the guest kernel panicked"
	elif [ $(($(date +%s) - booted)) -ge "$timeout" ]; then
		stopped="time limit of ${timeout}s reached"
	fi
	if [ -n "$stopped" ]; then
		kill "$qpid" 2>/dev/null
		break
	fi
	sleep 2
done
wait "$qpid" 2>/dev/null
[ -n "${tpid:-}" ] && kill "$tpid" 2>/dev/null
end=$(date +%s)
tr -d '\r' <"$results" >"$results.txt" 2>/dev/null || : >"$results.txt"

# --- results -------------------------------------------------------------------
passed=$host_pass failed=$host_fail
while read -r tag status name detail; do
	[ "$tag" = KGSYS ] || continue
	case $status in
	PASS) passed=$((passed + 1)); echo "system: PASS $name: $detail" ;;
	FAIL) failed=$((failed + 1)); echo "system: FAIL $name: $detail" ;;
	FIGURE) echo "system: figure $name $detail" ;;
	esac
done <"$results.txt"

figure() { sed -n "s/^KGSYS FIGURE .*\\b$1=\\([^ ]*\\).*/\\1/p" "$results.txt" | tail -n1; }
restart=$(figure gap_restart)
kill9=$(figure gap_kill9)
reinstall=$(figure gap_reinstall)
reboot=$(figure gap_reboot)
echo "system: gap restart=${restart:-none} kill9=${kill9:-none} reinstall=${reinstall:-none}" \
	"reboot=${reboot:-none} (unsigned execs that ran, one try every 0.1 s)"
echo "system: start to enforcing $(figure start_ms) ms (systemctl enable --now)," \
	"boot to enforcing $(figure boot_to_enforcing_ms) ms, boot window $(figure boot_window_ms) ms" \
	"(early-boot loop started to enforcing); build+prepare $((prepared - start)) s," \
	"guest $((end - booted)) s"

if ! grep -q '^KGSYS DONE' "$results.txt"; then
	failed=$((failed + 1))
	echo "system: FAIL guest: the walk did not finish (${stopped:-qemu exited}; last line: $(tail -n1 "$results.txt"))"
	echo "system: console tail:"
	tr -d '\r' <"$console" | tail -n 40 | sed 's/^/    /'
fi
if [ "$failed" -gt 0 ] && [ -f "$console" ]; then
	tr -d '\r' <"$console" | grep -E 'keygate|BUG|Oops|panic' | tail -n 20 | sed 's/^/    console: /'
fi
echo "system: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
