#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# policy-compile.sh [KEYGATE] - compiles generated policies of 100, 1,000 and
# 10,000 rules with `keygate policy check` and prints CPU time (user + sys),
# wall time (best of 3 batches) and peak RSS (/usr/bin/time -v) and the CPU
# cost per rule, to check that compile time grows linearly. CPU time is the
# figure to compare: wall time also measures whatever else the machine runs.
# Figures, not a test.
#
# 10,000 rules exceed the kernel map (KG_MAX_RULES = 1024), so that run ends
# with the "too many rules" error: the compiler checks limits after the
# full compile precisely so that this measurement covers all the work.
set -eu
root=$(realpath "$(dirname "$0")/..")
keygate=${1:-$root/build/cli/keygate}
[ -x "$keygate" ] || { echo "usage: $0 [path/to/keygate]" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (Debian package 'time')" >&2; exit 2; }
tmp=$(mktemp -d /tmp/keygate-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

printf '%8s %10s %8s %8s %12s %12s\n' rules bytes "CPU ms" "wall ms" "peak RSS KiB" "CPU us/rule"
prev_rules=0
prev_ms=0
for n in 100 1000 10000; do
	"$root/bench/gen-policy.sh" "$n" "$root/policy/examples/certs/apps.pem" > "$tmp/p$n.yaml"
	# Small policies compile faster than /usr/bin/time's 10 ms resolution:
	# time a batch of runs (at least 20,000 rules in total) and divide.
	reps=$((20000 / n))
	[ "$reps" -ge 1 ] || reps=1
	best_ms=
	best_wall=
	for run in 1 2 3; do
		/usr/bin/time -f '%U %S %e' -o "$tmp/time" sh -c '
			i=0
			while [ $i -lt "$1" ]; do
				"$2" policy check "$3" > "$4" 2>&1 || true
				i=$((i + 1))
			done' sh "$reps" "$keygate" "$tmp/p$n.yaml" "$tmp/out"
		ms=$(awk -v r="$reps" '{ printf "%.1f", ($1 + $2) * 1000 / r }' "$tmp/time")
		wall=$(awk -v r="$reps" '{ printf "%.1f", $3 * 1000 / r }' "$tmp/time")
		if [ -z "$best_ms" ] || awk -v a="$ms" -v b="$best_ms" 'BEGIN { exit !(a < b) }'; then
			best_ms=$ms
		fi
		if [ -z "$best_wall" ] || awk -v a="$wall" -v b="$best_wall" 'BEGIN { exit !(a < b) }'; then
			best_wall=$wall
		fi
	done
	/usr/bin/time -v -o "$tmp/time" "$keygate" policy check "$tmp/p$n.yaml" > "$tmp/out" 2>&1 || true
	best_rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$tmp/time")
	if [ "$n" -le 1024 ] && ! grep -q "is valid" "$tmp/out"; then
		echo "policy of $n rules did not compile:" >&2
		cat "$tmp/out" >&2
		exit 1
	fi
	if [ "$n" -gt 1024 ] && ! grep -q "too many rules" "$tmp/out"; then
		echo "policy of $n rules: expected the KG_MAX_RULES error" >&2
		cat "$tmp/out" >&2
		exit 1
	fi
	per_rule=$(awk -v ms="$best_ms" -v pms="$prev_ms" -v n="$n" -v pn="$prev_rules" \
		'BEGIN { printf "%.2f", (ms - pms) * 1000 / (n - pn) }')
	printf '%8d %10d %8s %8s %12d %12s\n' "$n" "$(wc -c < "$tmp/p$n.yaml")" "$best_ms" \
		"$best_wall" "$best_rss" "$per_rule"
	prev_rules=$n
	prev_ms=$best_ms
done
echo "(CPU us/rule: added CPU time over the previous size, divided by the added"
echo " rules; similar figures mean linear growth. Times include process start.)"
