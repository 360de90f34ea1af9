#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-only OR BSD-2-Clause
# check-man-cli.sh KEYGATE PAGE: keygate(8) documents every object and every
# global option that `keygate -h` lists, so the page cannot silently fall
# behind the binary.
set -u
keygate=$1
page=$2

help=$("$keygate" -h) || { echo "FAIL: $keygate -h"; exit 1; }
text=$(LC_ALL=C groff -man -t -Tascii -P-c -P-b -P-u "$page" 2>/dev/null) ||
	{ echo "FAIL: cannot render $page"; exit 1; }

objects=$(printf '%s\n' "$help" | sed -n '/^Objects:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p')
options=$(printf '%s\n' "$help" | sed -n '/^Options:/,/^$/s/^  \(-[A-Za-z]\), \(--[a-z-]*\).*/\1,\2/p')
if [ -z "$objects" ] || [ -z "$options" ]; then
	echo "FAIL: could not read objects and options from '$keygate -h'"
	exit 1
fi

missing=0
for obj in $objects; do
	if ! printf '%s\n' "$text" | grep -q "keygate $obj"; then
		echo "FAIL: $page does not document object '$obj'"
		missing=$((missing + 1))
	fi
done
# Options as the OPTIONS section renders them: "-j, --json".
for opt in $options; do
	if ! printf '%s\n' "$text" | grep -q -- "${opt%,*}, ${opt#*,}"; then
		echo "FAIL: $page does not document option '$opt'"
		missing=$((missing + 1))
	fi
done
[ "$missing" -eq 0 ] || exit 1
echo "OK: $page documents objects:" $objects "and options:" $options
