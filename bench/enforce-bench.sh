#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
#
# enforce-bench.sh - keygate's enforcement overhead, measured in one boot of
# the VM tier (qemu TCG: absolute numbers are emulated, ratios are what
# matter). Loops: open/close and fork+exec. Configurations:
#   baseline             no agent
#   uncovered            agent running, rules that do not cover the file
#                        (but cover the operation elsewhere: path lookup)
#   op-not-covered       open only: agent running with exec rules only
#   cached               covered signed file, after its first verification
#   baseline-files-once  one use each of 20 distinct signed files, no agent
#   first-verification   the same right after the agent started: each use
#                        verifies the file's signature
# Rounds (KG_BENCH_REPS) interleave agent-off and agent-on measurements;
# each ratio is the median over rounds of the same-round ratio.
#
#   bench/enforce-bench.sh [--build DIR] [run-vm.sh options]
# Environment: KG_BENCH_REPS (7), KG_BENCH_OPEN_N (50000), KG_BENCH_EXEC_N (200).
# Targets: uncovered open <= 1.05x, cached exec <= 1.10x of the baseline.
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# The KG_BENCH_* knobs reach the guest through the prep hook (bench.conf).
"$src/tests/vm/run-vm.sh" "$@" "$src/bench/enforce-bench-guest.sh" | tee "$out"
grep -q '^vm: PASS enforce-bench-guest' "$out" || { echo "enforce-bench: the benchmark run failed" >&2; exit 1; }

sed -n 's/^ *kg: bench \([0-9]*\) \([a-z]*\) \([a-z-]*\) ns_per_op=\([0-9]*\).*/\1 \2 \3 \4/p' "$out" | awk '
	function median(list,    n, a, i, j, t) {
		n = split(list, a, " ")
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	function minimum(list,    n, a, i, m) {
		n = split(list, a, " ")
		m = a[1]
		for (i = 2; i <= n; i++) if (a[i] + 0 < m + 0) m = a[i]
		return m
	}
	{ t[$1, $2, $3] = $4; s[$2, $3] = s[$2, $3] " " $4; if ($1 > rounds) rounds = $1 }
	# ratio: median over rounds of (config / base) within the same round.
	function ratio(loop, config, base,    r, list) {
		list = ""
		for (r = 1; r <= rounds; r++)
			if (((r, loop, config) in t) && t[r, loop, base] > 0)
				list = list " " t[r, loop, config] / t[r, loop, base]
		return list == "" ? "n/a" : sprintf("%.3fx", median(list))
	}
	function row(loop, config, base) {
		printf "%-5s %-20s %12.1f %12.1f %10s\n", loop, config, median(s[loop, config]) / 1000,
			minimum(s[loop, config]) / 1000, base == "" ? "-" : ratio(loop, config, base)
	}
	END {
		printf "\n%d rounds; us/op; ratio = median over rounds of the same-round ratio\n", rounds
		printf "%-5s %-20s %12s %12s %10s\n", "loop", "configuration", "median", "min", "ratio"
		split("open exec", loops, " ")
		for (i = 1; i <= 2; i++) {
			l = loops[i]
			row(l, "baseline", "")
			row(l, "uncovered", "baseline")
			if (l == "open") row(l, "op-not-covered", "baseline")
			row(l, "cached", "baseline")
			row(l, "baseline-files-once", "")
			row(l, "first-verification", "baseline-files-once")
		}
		printf "\ntargets: uncovered open %s (<= 1.05x), cached exec %s (<= 1.10x)\n",
			ratio("open", "uncovered", "baseline"), ratio("exec", "cached", "baseline")
	}'
