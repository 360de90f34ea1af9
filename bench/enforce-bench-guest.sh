# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# kg-timeout: 1200
# enforce-bench-guest: the guest half of bench/enforce-bench.sh (run it
# through that script). All figures come from one boot; each is the median
# of REPS runs of a kg-loop, in ns per operation. Prints lines
#   kg: bench LOOP CONFIG ns_per_op=N
# and fails only when a loop itself fails (an op denied or an agent error).
d=$KG_DATA
FIRST_FILES=20
. "$d/bench.conf" # REPS, OPEN_N, EXEC_N (from the KG_BENCH_* knobs)

kg_keygate_has run || kg_fail "keygate run is not implemented in this build"
while read -r f; do
	[ -n "$f" ] || continue
	[ "$(kg-verity enable "$d/$f")" = result=ok ] || kg_fail "fs-verity enable $f failed"
done <"$d/verity.list"

# measure LOOP CONFIG N FILE...: median ns/op of REPS runs of `kg-loop LOOP`.
measure() {
	_loop=$1 _config=$2 _n=$3
	shift 3
	: >"$KG_OUT/samples"
	_r=0
	while [ "$_r" -lt "$REPS" ]; do
		kg-loop "$_loop" "$_n" "$@" >"$KG_OUT/loop.out" 2>&1 ||
			kg_fail "kg-loop $_loop $_n $* failed: $(cat "$KG_OUT/loop.out")"
		sed -n 's/.*ns_per_op=\([0-9]*\).*/\1/p' "$KG_OUT/loop.out" >>"$KG_OUT/samples"
		_r=$((_r + 1))
	done
	_median=$(sort -n "$KG_OUT/samples" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
	kg_log "bench $_loop $_config ns_per_op=$_median samples=$(tr '\n' ' ' <"$KG_OUT/samples")"
}

# measure_once LOOP CONFIG FILE...: one pass over distinct files, each used
# for the first time (cold page cache; with the agent, first verification).
measure_once() {
	_loop=$1 _config=$2
	shift 2
	kg-loop "$_loop" 1 "$@" >"$KG_OUT/loop.out" 2>&1 ||
		kg_fail "kg-loop $_loop 1 $* failed: $(cat "$KG_OUT/loop.out")"
	kg_log "bench $_loop $_config ns_per_op=$(sed -n 's/.*ns_per_op=\([0-9]*\).*/\1/p' "$KG_OUT/loop.out")"
}

files() {
	_i=1
	while [ "$_i" -le "$FIRST_FILES" ]; do
		echo "$1$_i"
		_i=$((_i + 1))
	done
}

# Baseline: no agent. The fresh-* files stand for a first use without keygate.
measure open baseline "$OPEN_N" "$d/other/u-open"
measure exec baseline "$EXEC_N" "$d/other/u-exec"
measure_once open baseline-first $(files "$d/other/fresh-open-")
measure_once exec baseline-first $(files "$d/other/fresh-exec-")

kg_start_agent run --policy "$d/policy.yaml" --log "$KG_OUT/audit.log"
measure open uncovered "$OPEN_N" "$d/other/u-open"
measure exec uncovered "$EXEC_N" "$d/other/u-exec"
# Covered and signed: the first pass verifies, every later one hits the cache.
kg-loop open 1 "$d/covered/c-open" >/dev/null || kg_fail "covered open denied"
kg-loop exec 1 "$d/covered/c-exec" >/dev/null || kg_fail "covered exec denied"
measure open cached "$OPEN_N" "$d/covered/c-open"
measure exec cached "$EXEC_N" "$d/covered/c-exec"
measure_once open first-verification $(files "$d/covered/vopen-")
measure_once exec first-verification $(files "$d/covered/vexec-")
kg_stop_agent
kg_pass
