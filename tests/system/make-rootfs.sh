#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
#
# make-rootfs.sh CACHE_DIR - a Debian 12 root file system image for the
# system tier: systemd as PID 1, auditd, logrotate and keygate's runtime
# libraries, so the guest can `apt install ./keygate_*.deb` without a
# network. Built with mmdebstrap (its own apt configuration: the host's
# sources are never read or changed) into an ext4 image with the verity
# feature, cached as CACHE_DIR/rootfs-HASH.img where HASH covers this
# script, so changing the package list or the setup rebuilds it. Prints
# the image path. The tier never writes it: each run copies it and puts
# its own files (the driver unit, the guest script) into the copy.
set -euo pipefail

cache=$1
suite=bookworm
mirror=http://deb.debian.org/debian
packages=(
	systemd systemd-sysv auditd logrotate procps keyutils fsverity attr
	bpftool util-linux
	# keygate's shared libraries, so apt resolves the package offline
	libbpf1 libelf1 libyaml-0-2 libkeyutils1 zlib1g libaudit1 libsystemd0
)

die() { echo "make-rootfs: $*" >&2; exit 1; }

key=$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-16)
image=$cache/rootfs-$key.img
if [ -f "$image" ]; then
	echo "$image"
	exit 0
fi
command -v mmdebstrap >/dev/null || die "mmdebstrap not found; run scripts/install-deps.sh"
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
[ -f "$image" ] && { echo "$image"; exit 0; }

tree=$cache/tree.$$
rm -rf "$tree"
trap 'rm -rf "$tree" "$image.tmp"' EXIT
echo "make-rootfs: building a $suite root file system with mmdebstrap (a few minutes, once)" >&2
mmdebstrap --variant=minbase --mode=root --format=directory \
	--include="$(IFS=,; echo "${packages[*]}")" \
	--customize-hook='echo kgsys > "$1/etc/hostname"' \
	--customize-hook='echo "/dev/nvme0n1 / ext4 rw,errors=remount-ro 0 1" > "$1/etc/fstab"' \
	--customize-hook='chroot "$1" passwd -d root' \
	--customize-hook='chroot "$1" systemctl mask apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service fstrim.timer getty@tty1.service serial-getty@ttyS0.service serial-getty@ttyS1.service' \
	"$suite" "$tree" "$mirror" >&2 || die "mmdebstrap failed"

size_mb=$(( $(du -sm "$tree" | cut -f1) + 768 ))
mkfs.ext4 -q -F -b 4096 -O verity -L kgroot -d "$tree" "$image.tmp" "${size_mb}M" >&2 ||
	die "mkfs.ext4 of the root image failed"
mv "$image.tmp" "$image"
find "$cache" -maxdepth 1 -name 'rootfs-*.img' ! -name "rootfs-$key.img" -delete
echo "$image"
