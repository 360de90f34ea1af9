#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-only OR BSD-2-Clause
# check-man-pages.sh SRCDIR [BUILDDIR]: every man page (a file NAME.[1-8]
# starting with a .TH line) under the source tree's documentation folders,
# and any page generated into the build tree, renders without warnings:
# `groff -man -ww -z` and, where man-db is installed, `man --warnings -l`.
# Exit 77 (skip) only when groff is absent.
set -u
srcdir=$1
builddir=${2:-}

if ! command -v groff >/dev/null 2>&1; then
	echo "SKIP: groff not found"
	exit 77
fi

list=$(mktemp) || exit 1
trap 'rm -f "$list"' EXIT
for dir in "$srcdir/cli" "$srcdir/lib" "$srcdir/policy" "$srcdir/lsm" "$srcdir/docs" "$srcdir/doc" "$srcdir/man" "$srcdir/packaging"; do
	[ -d "$dir" ] && find "$dir" -maxdepth 3 -type f -name '*.[1-8]'
done > "$list"
if [ -n "$builddir" ] && [ -d "$builddir" ]; then
	find "$builddir" -maxdepth 2 -type f -name '*.[1-8]' >> "$list"
fi

checked=0
failed=0
while read -r page; do
	head -n 20 "$page" | grep -q '^\.TH ' || continue
	checked=$((checked + 1))
	out=$(LC_ALL=C.UTF-8 groff -man -t -ww -z -Tutf8 "$page" 2>&1)
	if [ -n "$out" ]; then
		printf '%s\n' "$out"
		echo "FAIL: groff -man -ww -z $page"
		failed=$((failed + 1))
		continue
	fi
	if command -v man >/dev/null 2>&1; then
		out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
		if [ -n "$out" ]; then
			printf '%s\n' "$out"
			echo "FAIL: man --warnings -l $page"
			failed=$((failed + 1))
			continue
		fi
	fi
	echo "OK: $page"
done < "$list"

if [ "$checked" -eq 0 ]; then
	echo "FAIL: no man page found under $srcdir"
	exit 1
fi
echo "$checked man page(s) checked, $failed with warnings"
[ "$failed" -eq 0 ]
