#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
#
# side-by-side.sh - keygate next to fapolicyd, in one boot of the VM tier
# (qemu TCG: absolute times are emulated, same-round ratios to no
# enforcement are the result). The guest runs on qemu's instruction clock
# (run-vm.sh --icount), one vCPU: a guest nanosecond is one instruction
# executed, so a ratio is one of instructions, whatever the host's load;
# time a task spends waiting (fapolicyd's answer) is not counted, which
# favours fapolicyd. KG_BENCH_CLOCK=host measures host time instead.
# Workloads: open of a file on a file system that holds no scope, of a
# file no rule covers, of a covered file with a cached verdict; exec cached
# and uncovered; the first use of 20 distinct signed files (first
# verification); a shell script of short commands (60 by default); a
# parallel build-like run (4 jobs, 12 units of sh + cat + md5sum by
# default); and four of them again with a rename and tmpfs mount storm
# running in the background. Configurations per round: no enforcement,
# keygate, keygate with an exec-only policy, empty BPF LSM programs on
# keygate's hooks, sleepable and not (the floor any decision pays: open and
# exec rows), IPE (built into Debian's kernel; the guest boots OVMF with
# the policy key in the UEFI db), fapolicyd 1.1.7 (Debian
# bookworm; file trust, sha256 integrity, rules mirroring keygate's
# policy), no enforcement again (the A/A ratio: the resolution reached).
#
#   bench/side-by-side.sh [--build DIR] [run-vm.sh options]
# Environment: KG_BENCH_CLOCK (icount, or host), KG_BENCH_REPS (3),
# KG_BENCH_OPEN_N (20000), KG_BENCH_EXEC_N (10), KG_BENCH_EXEC_BATCHES (3:
# open and exec loops), KG_BENCH_MACRO_BATCHES (2: the first verifies the
# files read for the first time, a row of its own), KG_BENCH_MACRO_ITER
# (15: 60 commands), KG_BENCH_UNITS (12), KG_BENCH_CACHE
# (/var/cache/keygate/bench: fapolicyd's .deb files, fetched with apt-get
# download and extracted with dpkg-deb, never installed).
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${KG_BENCH_CACHE:-/var/cache/keygate/bench}
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# fapolicyd and the libraries a Debian host may lack (liblmdb0; libmagic1 and
# libmagic-mgc pinned to the same release), extracted once.
# The tree measured: the run builds it as it is now.
rev=$(git -C "$src" describe --always --dirty 2>/dev/null || echo "?")
fa_root=$cache/fapolicyd-root
if [ ! -x "$fa_root/usr/sbin/fapolicyd" ]; then
	mkdir -p "$cache/debs"
	(cd "$cache/debs" && apt-get download fapolicyd liblmdb0 libmagic1 libmagic-mgc) ||
		{ echo "side-by-side: apt-get download of fapolicyd failed" >&2; exit 1; }
	rm -rf "$fa_root.tmp"
	mkdir -p "$fa_root.tmp"
	for deb in "$cache"/debs/*.deb; do
		dpkg-deb -x "$deb" "$fa_root.tmp"
	done
	mv "$fa_root.tmp" "$fa_root"
fi
fa_version=$(dpkg-deb -f "$(ls "$cache"/debs/fapolicyd_*.deb | tail -n1)" Version)
export KG_BENCH_FAPOLICYD_ROOT=$fa_root

# The KG_BENCH_* knobs reach the guest through the prep hook (bench.conf).
"$src/tests/vm/run-vm.sh" $([ "${KG_BENCH_CLOCK:-icount}" = host ] || echo --icount) "$@" \
	"$src/bench/side-by-side-guest.sh" | tee "$out"
grep -q '^vm: PASS side-by-side-guest' "$out" || { echo "side-by-side: the benchmark run failed" >&2; exit 1; }

echo
clock="instruction clock: ns are instructions"
[ "${KG_BENCH_CLOCK:-icount}" != host ] || clock="host clock"
echo "keygate $rev vs fapolicyd $fa_version, $(sed -n 's/^vm: guest \([^ ]*\).*/\1/p' "$out") under qemu TCG ($clock), one boot"
sed -n 's/^ *kg: \(memory\|verifications\|storm\|IPE\)/\1/p' "$out"
sed -n 's/^ *kg: bench \([0-9]*\) \([a-z+-]*\) \([a-z0-9-]*\) ns_per_op=\([0-9]*\).*/\1 \2 \3 \4/p' "$out" | awk '
	function median(list,    n, a, i, j, t) {
		n = split(list, a, " ")
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	{ t[$1, $2, $3] = $4; s[$2, $3] = s[$2, $3] " " $4; if ($1 > rounds) rounds = $1 }
	# Same-round ratios of CONFIG to base, as a list.
	function ratios(w, config,    r, list) {
		list = ""
		for (r = 1; r <= rounds; r++)
			if (((r, w, config) in t) && t[r, w, "base"] > 0)
				list = list " " t[r, w, config] / t[r, w, "base"]
		return list
	}
	function ratio(w, config,    list) {
		list = ratios(w, config)
		return list == "" ? -1 : median(list)
	}
	function show(x) { return x < 0 ? "-" : sprintf("%.3fx", x) }
	# Resolution: the largest deviation of the A/A ratio (base2 / base of
	# the same round) from 1; ratios closer than that cannot be told apart.
	function resolution(w,    list, n, a, i, m, d) {
		list = ratios(w, "base2")
		n = split(list, a, " ")
		m = -1
		for (i = 1; i <= n; i++) { d = a[i] - 1; if (d < 0) d = -d; if (d > m) m = d }
		return m
	}
	END {
		printf "\n%d rounds; base in us/op (median); ratios: median over rounds of the same-round ratio to base\n", rounds
		printf "%-22s %10s %9s %11s %9s %9s %9s %9s %12s %9s\n", "workload", "base us", "keygate", "kg exec-only", "empty s", "empty", "IPE", "fapolicyd", "kg/fa added", "A/A res"
		n = split("open-otherfs open-uncovered open-cached exec-cached exec-uncovered first-open first-exec macro-script parallel-build open-uncovered+storm open-cached+storm exec-cached+storm macro-script+storm", ws, " ")
		for (i = 1; i <= n; i++) {
			w = ws[i]
			if (!((w, "base") in s)) continue
			kg = ratio(w, "keygate"); fa = ratio(w, "fapolicyd"); res = resolution(w)
			added = (kg >= 0 && fa > 1) ? sprintf("%.4f", (kg - 1) / (fa - 1)) : "-"
			printf "%-22s %10.1f %9s %11s %9s %9s %9s %9s %12s %8.1f%%\n", w, median(s[w, "base"]) / 1000,
				show(kg), show(ratio(w, "keygate-exec-only")), show(ratio(w, "empty-sleepable")),
				show(ratio(w, "empty")), show(ratio(w, "ipe")), show(fa), added, res < 0 ? 0 : res * 100
		}
		print "kg/fa added: keygate time above base over fapolicyd time above base (targets: exec <= 0.05, open <= 0.01)"
		print "empty s, empty: programs that only return 0 on file_open and bprm_check_security, sleepable (as keygate'"'"'s) and not: the least a decision costs"
		print "IPE: execution only from the initramfs or with an fs-verity builtin signature (verified when the file was enabled); no open hook"
		print "A/A res: largest |base2/base - 1| over rounds; a ratio within that of 1.000x is noise"
	}'
