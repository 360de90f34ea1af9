#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
#
# enforce-bench.sh - keygate's enforcement overhead, measured in one boot of
# the VM tier (qemu TCG: absolute numbers are emulated, ratios are what
# matter). Loops: open/close and fork+exec. Configurations:
#   baseline             no agent
#   uncovered            agent running, rules that do not cover the file
#   cached               covered signed file, after its first verification
#   first-verification   first use of a covered signed file (one pass over
#                        20 distinct files), against baseline-first: first
#                        use of 20 distinct files without the agent
#
#   bench/enforce-bench.sh [--build DIR] [run-vm.sh options]
# Environment: KG_BENCH_REPS (5), KG_BENCH_OPEN_N (20000), KG_BENCH_EXEC_N (200).
# Targets: uncovered open <= 1.05x, cached exec <= 1.10x of the baseline.
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# The KG_BENCH_* knobs reach the guest through the prep hook (bench.conf).
"$src/tests/vm/run-vm.sh" "$@" "$src/bench/enforce-bench-guest.sh" | tee "$out"
grep -q '^vm: PASS enforce-bench-guest' "$out" || { echo "enforce-bench: the benchmark run failed" >&2; exit 1; }

sed -n 's/^ *kg: bench \([a-z]*\) \([a-z-]*\) ns_per_op=\([0-9]*\).*/\1 \2 \3/p' "$out" | awk '
	{ t[$1 " " $2] = $3 }
	function ratio(loop, config, base) {
		if (!((loop " " config) in t) || t[loop " " base] == 0) return "n/a"
		return sprintf("%.3fx", t[loop " " config] / t[loop " " base])
	}
	END {
		printf "\n%-6s %-20s %12s %10s\n", "loop", "configuration", "us/op", "vs base"
		n = split("open exec", loops, " ")
		for (i = 1; i <= n; i++) {
			l = loops[i]
			printf "%-6s %-20s %12.2f %10s\n", l, "baseline", t[l " baseline"] / 1000, "1.000x"
			printf "%-6s %-20s %12.2f %10s\n", l, "uncovered", t[l " uncovered"] / 1000, ratio(l, "uncovered", "baseline")
			printf "%-6s %-20s %12.2f %10s\n", l, "cached", t[l " cached"] / 1000, ratio(l, "cached", "baseline")
			printf "%-6s %-20s %12.2f %10s\n", l, "baseline-first", t[l " baseline-first"] / 1000, "1.000x"
			printf "%-6s %-20s %12.2f %10s\n", l, "first-verification", t[l " first-verification"] / 1000, ratio(l, "first-verification", "baseline-first")
		}
		printf "\ntargets: uncovered open %s (<= 1.05x), cached exec %s (<= 1.10x)\n",
			ratio("open", "uncovered", "baseline"), ratio("exec", "cached", "baseline")
	}'
