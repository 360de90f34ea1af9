#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-only OR BSD-2-Clause
# build-deb.sh [OUTDIR]: build keygate's .deb from the committed tree (HEAD).
#
# The debian/ directory lives in packaging/debian so that the source tree has
# one packaging folder; this script exports HEAD into a temporary directory,
# copies packaging/debian to ./debian there, and runs
#   dpkg-buildpackage -us -uc -b
# The .deb, .buildinfo and .changes land in OUTDIR (default: ./dist).
# Extra arguments to dpkg-buildpackage can be given in DPKG_BUILDPACKAGE_FLAGS
# (e.g. "-d" to skip the Build-Depends check, DEB_BUILD_OPTIONS=nocheck to
# skip the unit suite). Uncommitted changes are not packaged: commit first.
# KEYGATE_REF=<commit> packages that commit instead of HEAD.
set -eu

ref=${KEYGATE_REF:-HEAD}

top=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
outdir=$(realpath -m "${1:-$top/dist}")
tmp=$(mktemp -d "${TMPDIR:-/tmp}/keygate-deb.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

src="$tmp/keygate"
mkdir -p "$src" "$outdir"
git -C "$top" archive --format=tar "$ref" | tar -xf - -C "$src"
cp -r "$src/packaging/debian" "$src/debian"

# shellcheck disable=SC2086 # flags are meant to split
(cd "$src" && dpkg-buildpackage -us -uc -b ${DPKG_BUILDPACKAGE_FLAGS:-})

for f in "$tmp"/keygate_* "$tmp"/keygate-dbgsym_*; do
	[ -e "$f" ] || continue
	cp "$f" "$outdir/"
	echo "built: $outdir/$(basename "$f")"
done
