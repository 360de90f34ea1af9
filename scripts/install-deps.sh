#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
#
# install-deps.sh - installs every build and test dependency of keygate on
# Debian/Ubuntu with apt. Idempotent and quiet when everything is present;
# runs `apt-get update` only when something is missing. Run as root.
# (Fedora/RHEL package names: see README.md, "Building".)
set -euo pipefail

packages=(
	# build
	gcc make meson ninja-build pkg-config clang llvm bpftool
	libbpf-dev libelf-dev libyaml-dev libkeyutils-dev zlib1g-dev libssl-dev
	libaudit-dev libsystemd-dev
	# unit tests; the policy fuzzer (clang's libFuzzer and sanitizer runtimes);
	# man page and unit file checks (groff, man, systemd-analyze, systemd.pc)
	libcmocka-dev libclang-rt-14-dev groff-base man-db systemd procps
	# VM tier: qemu, initramfs and image tools, guest tools, test fixtures
	qemu-system-x86 busybox-static cpio gzip xz-utils zstd kmod e2fsprogs
	keyutils fsverity attr openssl xxd python3
	# packages and the system tier: build-deb.sh, build-rpm.sh, their linters,
	# and the guest's Debian 12 root file system
	debhelper dpkg-dev fakeroot rpm lintian rpmlint mmdebstrap
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing packages: ${missing[*]}; run as root" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
