#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# policy-compile.sh [KEYGATE] - compiles generated policies of 1,000, 10,000
# and 50,000 rules (bench/gen-policy.sh: 1.25 scopes per rule) with
# `keygate policy check` and prints CPU time (user + sys, best of 3
# batches), wall time, peak RSS (/usr/bin/time -v), the CPU time and
# memory per rule, and whether growth is linear. CPU time is the figure to
# compare: wall time also measures whatever else the machine runs. Figures,
# not a test.
#
# All three fit the kernel maps (lsm/keygate_abi.h: KG_MAX_RULES,
# KG_MAX_PATHS, 65,536 each). A policy beyond them is still compiled in
# full, then rejected with the limit errors, which are printed: the
# compiler checks limits last precisely so that this measurement covers
# all the work. tests/vm/scenarios/perf-scale.sh loads the 50,000-rule
# shape into the kernel.
set -eu
root=$(realpath "$(dirname "$0")/..")
keygate=${1:-$root/build/cli/keygate}
[ -x "$keygate" ] || { echo "usage: $0 [path/to/keygate]" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (Debian package 'time')" >&2; exit 2; }
tmp=$(mktemp -d /tmp/keygate-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
abi_limit() { sed -n "s/^#define $1 \([0-9]*\).*/\1/p" "$root/lsm/keygate_abi.h"; }
echo "kernel map limits: KG_MAX_RULES = $(abi_limit KG_MAX_RULES), KG_MAX_PATHS = $(abi_limit KG_MAX_PATHS) (scopes)"

printf '%8s %10s %8s %8s %12s %12s %11s  %s\n' rules bytes "CPU ms" "wall ms" "peak RSS KiB" "CPU us/rule" "RSS B/rule" result
first_us=
last_us=
for n in 1000 10000 50000; do
	"$root/bench/gen-policy.sh" "$n" "$root/policy/examples/certs/apps.pem" >"$tmp/p$n.yaml"
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
	/usr/bin/time -v -o "$tmp/time" "$keygate" policy check "$tmp/p$n.yaml" >"$tmp/out" 2>&1 || true
	rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$tmp/time")
	# Anything but a limit error means the generated policy is broken.
	if grep ': error: ' "$tmp/out" | grep -qv ': error: too many '; then
		echo "policy of $n rules has errors other than kernel limits:" >&2
		cat "$tmp/out" >&2
		exit 1
	fi
	if grep -q "is valid" "$tmp/out"; then
		result=valid
	else
		result="rejected: $(sed -n 's/.*: error: \(too many [a-z ]*\): \([0-9]*\).*/\1 (\2)/p' "$tmp/out" | paste -sd ';' | sed 's/;/; /g')"
	fi
	per_rule=$(awk -v ms="$best_ms" -v n="$n" 'BEGIN { printf "%.2f", ms * 1000 / n }')
	printf '%8d %10d %8s %8s %12d %12s %11d  %s\n' "$n" "$(wc -c <"$tmp/p$n.yaml")" "$best_ms" \
		"$best_wall" "$rss" "$per_rule" $((rss * 1024 / n)) "$result"
	[ -n "$first_us" ] || first_us=$per_rule
	last_us=$per_rule
done
awk -v a="$first_us" -v b="$last_us" 'BEGIN {
	r = b / a
	printf "CPU per rule at 50,000 / at 1,000 rules: %.2f (%s)\n", r,
		r < 1.5 ? "linear: the cost per rule does not grow with the policy" : "NOT linear: the cost per rule grows with the policy"
}'
echo "(times include process start and certificate loading; at 1,000 rules they are a"
echo " larger share, so a ratio below 1 is expected)"
