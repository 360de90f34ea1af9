#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
#
# log-bench.sh BUILD_DIR [RECORDS] - audit trail figures (not a test):
#  1. records/s from a producer through kg_audit_decision() and the writer
#     thread into the JSON lines log, with the default queue, and how many
#     were lost (queue full); then once more with a 64 MiB queue;
#  2. `keygate log` filtering, showing and summarising RECORDS (default
#     1,000,000) records: wall and CPU seconds.
# Output goes to a scratch directory under /tmp (removed at the end;
# KEEP=1 keeps it).
set -eu

build=${1:?usage: log-bench.sh BUILD_DIR [RECORDS]}
records=${2:-1000000}
bench="$build/bench/audit-bench"
keygate="$build/cli/keygate"
for f in "$bench" "$keygate"; do
	[ -x "$f" ] || { echo "log-bench: $f missing; build first (ninja -C $build)" >&2; exit 1; }
done
scratch=$(mktemp -d /tmp/keygate-log-bench.XXXXXX)
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$scratch"' EXIT

echo "== 1. producer -> writer thread -> disk ($records records, $(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg))"
echo "-- default queue"
"$bench" "$scratch/default/audit.log" "$records"
echo "-- 64 MiB queue"
"$bench" "$scratch/big/audit.log" "$records" $((64 << 20))
log="$scratch/big/audit.log"
echo "log file: $(wc -l < "$log") lines, $(du -m "$log" | cut -f1) MiB"

timed() {
	label=$1
	shift
	# GNU time when present for CPU seconds, else the shell's clock.
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f "%e s wall, %U s user, %S s sys" -o "$scratch/time" "$@" > "$scratch/out" 2> "$scratch/err"
		printf '%-52s %s, %s lines out\n' "$label" "$(cat "$scratch/time")" "$(wc -l < "$scratch/out")"
	else
		start=$(date +%s.%N)
		"$@" > "$scratch/out" 2> "$scratch/err"
		end=$(date +%s.%N)
		printf '%-52s %s s wall, %s lines out\n' "$label" "$(echo "$end - $start" | bc)" "$(wc -l < "$scratch/out")"
	fi
}

echo
echo "== 2. keygate log over $(wc -l < "$log") records"
timed "log --verdict deny --path '/usr/*'" "$keygate" log -f "$log" --verdict deny --path '/usr/*'
timed "log --rule signed-libraries --uid 0" "$keygate" log -f "$log" --rule signed-libraries --uid 0
timed "log --since 1h (few match)" "$keygate" log -f "$log" --since 1h --pid 1
timed "-j log --op exec (JSON array)" "$keygate" -j log -f "$log" --op exec
timed "log (every record as a table row)" "$keygate" log -f "$log"
timed "log summary" "$keygate" log summary -f "$log"
gzip -c "$log" > "$log.1.gz"
timed "log summary, plain + gzip copy (2x records)" "$keygate" log summary -f "$log"
