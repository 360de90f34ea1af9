#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-only OR BSD-2-Clause
# check-man-cli.sh KEYGATE PAGE: keygate(8) documents every object and every
# global option that `keygate -h` lists, and every command and long option
# that each object's own help (`keygate OBJECT help`, or `--help`) shows, so
# the page cannot silently fall behind the binary. Rendered on one very long
# line per paragraph (-rLL) so that no option is broken at a hyphen.
set -u
keygate=$1
page=$2

help=$("$keygate" -h) || { echo "FAIL: $keygate -h"; exit 1; }
text=$(LC_ALL=C groff -man -t -rLL=2000n -Tascii -P-c -P-b -P-u "$page" 2>/dev/null) ||
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
for obj in $objects; do
	usage=$("$keygate" "$obj" help 2>/dev/null) || usage=$("$keygate" "$obj" --help 2>/dev/null) || usage=
	# "keygate [-j] policy check ..." and "keygate [-j] log [show] ...": the command word.
	cmds=$(printf '%s\n' "$usage" |
		sed -n "s/^.*keygate \(\[-[a-z]\] \)*$obj \[\{0,1\}\([a-z][a-z-]*\).*/\2/p" | grep -vx help | sort -u)
	for cmd in $cmds; do
		if ! printf '%s\n' "$text" | grep -Eq -- "keygate $obj \\[?$cmd"; then
			echo "FAIL: $page does not document 'keygate $obj $cmd'"
			missing=$((missing + 1))
		fi
	done
	for long in $(printf '%s\n' "$usage" | grep -o -- '--[a-z][a-z-]*' | sort -u); do
		if ! printf '%s\n' "$text" | grep -Eq -- "$long([^a-z-]|\$)"; then
			echo "FAIL: $page does not document 'keygate $obj' option $long"
			missing=$((missing + 1))
		fi
	done
done
[ "$missing" -eq 0 ] || exit 1
echo "OK: $page documents objects:" $objects "and options:" $options "and each object's commands and long options"
