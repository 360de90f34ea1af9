#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-only OR BSD-2-Clause
# build-rpm.sh [OUTDIR]: build keygate's binary RPM from the committed tree.
#
# Makes the source tarball keygate-VERSION.tar.xz from git HEAD (git archive,
# the same files `meson dist` would take), then runs
#   rpmbuild -bb packaging/rpm/keygate.spec
# in a temporary _topdir. RPMs land in OUTDIR (default: ./dist).
#
# On Fedora/RHEL this is an ordinary build (install the BuildRequires first:
# dnf builddep packaging/rpm/keygate.spec). On a host whose rpm lacks the
# Fedora meson and systemd macros (Debian's `rpm` package) it is a smoke
# build: packaging/rpm/debian-host.macros stands in for those macros and
# --nodeps skips the BuildRequires check, since rpm's database there knows
# no packages. Extra rpmbuild arguments: RPMBUILD_FLAGS (e.g. "--nocheck").
# KEYGATE_REF=<commit> packages that commit instead of HEAD.
set -eu

ref=${KEYGATE_REF:-HEAD}

top=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
outdir=$(realpath -m "${1:-$top/dist}")
version=$(cd "$top" && meson introspect --projectinfo meson.build |
	python3 -c 'import json, sys; print(json.load(sys.stdin)["version"])')
tmp=$(mktemp -d "${TMPDIR:-/tmp}/keygate-rpm.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$tmp/SOURCES" "$tmp/SPECS" "$outdir"
git -C "$top" archive --format=tar --prefix="keygate-$version/" "$ref" |
	xz -T0 > "$tmp/SOURCES/keygate-$version.tar.xz"
# The spec as committed, so it matches the tarball.
git -C "$top" show "$ref":packaging/rpm/keygate.spec > "$tmp/SPECS/keygate.spec"

set -- --define "_topdir $tmp"
if [ -z "$(rpm --eval '%{?meson:yes}')" ]; then
	git -C "$top" show "$ref":packaging/rpm/debian-host.macros > "$tmp/debian-host.macros"
	echo "build-rpm.sh: no Fedora meson/systemd rpm macros here: smoke build with" \
		"packaging/rpm/debian-host.macros and --nodeps" >&2
	set -- "$@" --load "$tmp/debian-host.macros" --nodeps
fi

# shellcheck disable=SC2086 # flags are meant to split
rpmbuild -bb "$@" ${RPMBUILD_FLAGS:-} "$tmp/SPECS/keygate.spec"

for f in "$tmp"/RPMS/*/*.rpm; do
	cp "$f" "$outdir/"
	echo "built: $outdir/$(basename "$f")"
done
