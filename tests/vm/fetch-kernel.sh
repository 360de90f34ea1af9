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
# (same kernel, without the signed package's extra dependencies).
resolve_image() {
	image=$(apt-cache "${apt_opts[@]}" depends "$meta" 2>/dev/null |
		awk '/Depends: linux-image-[0-9]/ { print $2; exit }') || true
	[ -n "$image" ] || return 1
	# Where no -unsigned twin exists (unstable), the image itself is unsigned.
	for candidate in "${image%-unsigned}-unsigned" "${image%-unsigned}"; do
		version=$(apt-cache "${apt_opts[@]}" show "$candidate" 2>/dev/null |
			awk '/^Version:/ { print $2; exit }')
		[ -n "$version" ] && image=$candidate && return 0
	done
	return 1
}

# A fresh machine may have no or stale package lists: refresh once (only the
# lists; nothing is installed or upgraded).
lists_refreshed=0
refresh_lists() {
	[ "$lists_refreshed" = 0 ] || return 1
	lists_refreshed=1
	echo "fetch-kernel: refreshing apt package lists" >&2
	apt-get -q "${apt_opts[@]}" update >&2
}

if ! resolve_image; then
	refresh_lists && resolve_image ||
		die "apt does not know $meta or its image (the host needs bookworm and bookworm-security sources)"
fi
# Sets kver, kbuild_pkg and dest from image and version.
derive_names() {
	kver=${image#linux-image-}
	kver=${kver%-unsigned}
	# linux-kbuild-6.12.117+deb12 for 6.12.117+deb12-cloud-amd64, else linux-kbuild-6.1.
	kbuild_pkg=linux-kbuild-${kver%-cloud-amd64}
	if ! apt-cache "${apt_opts[@]}" show "$kbuild_pkg" >/dev/null 2>&1; then
		kbuild_pkg=linux-kbuild-$(echo "$kver" | cut -d. -f1,2)
	fi
	dest=$cache/kernels/${image}_$version
}

# Downloads and extracts into $dest unless it is there already.
fetch() {
	[ -e "$dest/.complete" ] && return 0
	rm -rf "$dest" "$dest.tmp"
	mkdir -p "$dest.tmp/debs"
	echo "fetch-kernel: downloading $image $version and $kbuild_pkg" >&2
	# Newer kernels split the image package: vmlinuz and modules are in
	# linux-binary-VER and linux-modules-VER, which it depends on.
	parts=$(apt-cache "${apt_opts[@]}" show "$image=$version" 2>/dev/null |
		sed -n 's/^Depends: //p' | head -n1 | tr ',' '\n' |
		sed -n "s/^ *\(linux-\(binary\|modules\)-$kver\)\b.*/\1/p")
	# shellcheck disable=SC2086 # parts is a word list of package names
	(cd "$dest.tmp/debs" && apt-get -q "${apt_opts[@]}" download "$image=$version" $parts >&2) ||
		return 1
	(cd "$dest.tmp/debs" && apt-get -q "${apt_opts[@]}" download "$kbuild_pkg" >&2) ||
		echo "fetch-kernel: $kbuild_pkg unavailable; sign-file will be missing" >&2
	for deb in "$dest.tmp"/debs/*.deb; do
		dpkg-deb -x "$deb" "$dest.tmp/root"
	done
	rm -rf "$dest.tmp/debs"
	# Newer packages ship usr/lib/modules (merged /usr).
	if [ ! -e "$dest.tmp/root/lib" ] && [ -d "$dest.tmp/root/usr/lib/modules" ]; then
		ln -s usr/lib "$dest.tmp/root/lib"
	fi
	/usr/sbin/depmod -b "$dest.tmp/root" "$kver" || die "depmod -b for $kver failed"
	touch "$dest.tmp/.complete"
	mv "$dest.tmp" "$dest"
}

mkdir -p "$cache/kernels"
exec 9>"$cache/kernels/.lock"
flock 9
derive_names
if ! fetch; then
	# Stale lists name a version the mirror no longer has.
	refresh_lists && resolve_image && derive_names && fetch ||
		die "apt-get download $image=$version failed"
fi

kbuild_dir=$(find "$dest/root/usr/lib" -maxdepth 1 -name 'linux-kbuild-*' 2>/dev/null | head -n1)
vmlinuz=$dest/root/boot/vmlinuz-$kver
[ -f "$vmlinuz" ] || vmlinuz=$dest/root/lib/modules/$kver/vmlinuz
printf 'KG_VMLINUZ=%q\n' "$vmlinuz"
printf 'KG_KERNEL_VERSION=%q\n' "$kver"
printf 'KG_MODULES_DIR=%q\n' "$dest/root/lib/modules/$kver"
printf 'KG_KBUILD=%q\n' "$kbuild_dir"
printf 'KG_KERNEL_KEY=%q\n' "${image}_$version"
