#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# policy-compile.sh [KEYGATE] - compiles generated policies of 100, 1,000 and
# 10,000 rules with `keygate policy check` and prints wall time and peak RSS
# (from /usr/bin/time -v, best of 5 runs) and the cost per rule, to check
# that compile time grows linearly. Figures, not a test.
#
# 10,000 rules exceed the kernel map (KG_MAX_RULES = 1024), so that run ends
# with the "too many rules" error: the compiler checks limits after the
# full compile precisely so that this measurement covers all the work.
set -eu
root=$(realpath "$(dirname "$0")/..")
keygate=${1:-$root/build/agent/keygate}
[ -x "$keygate" ] || { echo "usage: $0 [path/to/keygate]" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (Debian package 'time')" >&2; exit 2; }
tmp=$(mktemp -d /tmp/keygate-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

printf '%8s %10s %10s %12s %14s\n' rules "bytes" "time ms" "peak RSS KiB" "us per rule"
prev_rules=0
prev_ms=0
for n in 100 1000 10000; do
	"$root/bench/gen-policy.sh" "$n" "$root/policy/examples/certs/apps.pem" > "$tmp/p$n.yaml"
	best_ms=
	best_rss=
	for run in 1 2 3 4 5; do
		/usr/bin/time -v -o "$tmp/time" "$keygate" policy check "$tmp/p$n.yaml" \
			> "$tmp/out" 2>&1 || true
		# Elapsed (wall clock) time (h:mm:ss or m:ss): 0:00.01
		ms=$(awk -F': ' '/Elapsed \(wall clock\)/ {
			n = split($2, t, ":"); s = t[n] + (n > 1 ? t[n-1] * 60 : 0) + (n > 2 ? t[n-2] * 3600 : 0)
			printf "%.0f", s * 1000 }' "$tmp/time")
		rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$tmp/time")
		if [ -z "$best_ms" ] || [ "$ms" -lt "$best_ms" ]; then best_ms=$ms; fi
		if [ -z "$best_rss" ] || [ "$rss" -lt "$best_rss" ]; then best_rss=$rss; fi
	done
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
	printf '%8d %10d %10d %12d %14s\n' "$n" "$(wc -c < "$tmp/p$n.yaml")" "$best_ms" "$best_rss" "$per_rule"
	prev_rules=$n
	prev_ms=$best_ms
done
echo "(us per rule: added time over the previous size, divided by the added rules;"
echo " similar figures mean linear growth. /usr/bin/time has 10 ms resolution.)"
