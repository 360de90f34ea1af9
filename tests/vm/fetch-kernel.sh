#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
#
# fetch-kernel.sh - download a Debian cloud kernel (and its kbuild package,
# for sign-file) with `apt-get download` into the VM cache, extract it with
# dpkg-deb and run depmod on its module tree. Never installs anything.
#
#   fetch-kernel.sh CACHE_DIR {6.12|6.1|unstable}
#
# Prints shell assignments for run-vm.sh to eval:
#   KG_VMLINUZ=... KG_KERNEL_VERSION=... KG_MODULES_DIR=... KG_KBUILD=...
# 6.12 and 6.1 come from the host's bookworm(-security) apt sources;
# unstable uses a private apt configuration with its own lists under the
# cache, so the host's sources and packages are never touched.
set -euo pipefail

cache=$1
flavour=$2
apt_opts=(-o APT::Sandbox::User=root)

die() { echo "fetch-kernel: $*" >&2; exit 1; }

private_apt() {
	local suite=$1 dir=$cache/apt-$1
	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $suite main" \
		>"$dir/sources.list"
	apt_opts+=(-o "Dir::Etc::sourcelist=$dir/sources.list" -o Dir::Etc::sourceparts=/dev/null
		-o "Dir::State::Lists=$dir/lists" -o "Dir::Cache=$dir/cache"
		-o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=)
	# Refresh the private lists at most once a day.
	if [ -z "$(find "$dir/lists" -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null)" ]; then
		apt-get -q "${apt_opts[@]}" update >&2 || die "apt-get update for $suite failed"
	fi
}

case $flavour in
6.12) meta=linux-image-6.12-cloud-amd64 ;;
6.1) meta=linux-image-cloud-amd64 ;;
unstable) meta=linux-image-cloud-amd64; private_apt unstable ;;
*) die "unknown kernel '$flavour' (choose 6.12, 6.1 or unstable)" ;;
esac

# The meta package depends on the signed image; we want its -unsigned twin
# (same files, no shim/secure-boot baggage).
image=$(apt-cache "${apt_opts[@]}" depends "$meta" 2>/dev/null |
	awk '/Depends: linux-image-[0-9]/ { print $2; exit }') ||
	true
[ -n "$image" ] || die "apt does not know $meta; run 'apt-get update' (the host needs bookworm and bookworm-security sources)"
image=${image%-unsigned}-unsigned
version=$(apt-cache "${apt_opts[@]}" show "$image" 2>/dev/null | awk '/^Version:/ { print $2; exit }')
[ -n "$version" ] || die "apt does not know $image"
kver=${image#linux-image-}
kver=${kver%-unsigned}
# linux-kbuild-6.12.117+deb12 for 6.12.117+deb12-cloud-amd64; linux-kbuild-6.1 for 6.1.0-N-cloud-amd64.
kbuild_pkg=linux-kbuild-${kver%-cloud-amd64}
if ! apt-cache "${apt_opts[@]}" show "$kbuild_pkg" >/dev/null 2>&1; then
	mm=$(echo "$kver" | cut -d. -f1,2)
	kbuild_pkg=linux-kbuild-$mm
fi

dest=$cache/kernels/${image}_$version
mkdir -p "$cache/kernels"
exec 9>"$cache/kernels/.lock"
flock 9
if [ ! -e "$dest/.complete" ]; then
	rm -rf "$dest" "$dest.tmp"
	mkdir -p "$dest.tmp/debs"
	echo "fetch-kernel: downloading $image $version and $kbuild_pkg" >&2
	(cd "$dest.tmp/debs" && apt-get -q "${apt_opts[@]}" download "$image=$version" >&2 &&
		{ apt-get -q "${apt_opts[@]}" download "$kbuild_pkg" >&2 ||
			echo "fetch-kernel: $kbuild_pkg unavailable; sign-file will be missing" >&2; }) ||
		die "apt-get download $image=$version failed"
	for deb in "$dest.tmp"/debs/*.deb; do
		dpkg-deb -x "$deb" "$dest.tmp/root"
	done
	rm -rf "$dest.tmp/debs"
	/usr/sbin/depmod -b "$dest.tmp/root" "$kver" || die "depmod -b for $kver failed"
	touch "$dest.tmp/.complete"
	mv "$dest.tmp" "$dest"
fi

kbuild_dir=$(find "$dest/root/usr/lib" -maxdepth 1 -name 'linux-kbuild-*' 2>/dev/null | head -n1)
printf 'KG_VMLINUZ=%q\n' "$dest/root/boot/vmlinuz-$kver"
printf 'KG_KERNEL_VERSION=%q\n' "$kver"
printf 'KG_MODULES_DIR=%q\n' "$dest/root/lib/modules/$kver"
printf 'KG_KBUILD=%q\n' "$kbuild_dir"
printf 'KG_KERNEL_KEY=%q\n' "${image}_$version"
