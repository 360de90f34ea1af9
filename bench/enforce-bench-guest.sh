# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# kg-timeout: 1200
# enforce-bench-guest: the guest half of bench/enforce-bench.sh (run it
# through that script). All figures come from one boot: REPS rounds, each
# with the agent stopped then running. Prints lines
#   kg: bench ROUND LOOP CONFIG ns_per_op=N
# and fails only when a loop itself fails (an op denied or an agent error).
d=$KG_DATA
FIRST_FILES=20
. "$d/bench.conf" # REPS, OPEN_N, EXEC_N (from the KG_BENCH_* knobs)

kg_keygate_has run || kg_fail "keygate run is not implemented in this build"
kg_enable_verity_list

# sample ROUND LOOP CONFIG N FILE...: one run of `kg-loop LOOP N FILE...`.
sample() {
	_round=$1 _loop=$2 _config=$3
	shift 3
	kg-loop "$_loop" "$@" >"$KG_OUT/loop.out" 2>&1 ||
		kg_fail "kg-loop $_loop $* ($_config) failed: $(cat "$KG_OUT/loop.out")"
	kg_log "bench $_round $_loop $_config ns_per_op=$(sed -n 's/.*ns_per_op=\([0-9]*\).*/\1/p' "$KG_OUT/loop.out")"
}

files() {
	_i=1
	while [ "$_i" -le "$FIRST_FILES" ]; do
		echo "$1$_i"
		_i=$((_i + 1))
	done
}

# Page cache warm for every file, so no configuration pays for disk reads.
cat "$d"/other/* "$d"/covered/* >/dev/null

# Rounds interleave the configurations, so that load on the host (TCG)
# hits all of them alike; the host side pairs them by round.
#   files-once: one exec/open of each of 20 distinct files; without the
#   agent (baseline) and right after it starts (first verification of each).
round=1
while [ "$round" -le "$REPS" ]; do
	sample $round open baseline "$OPEN_N" "$d/other/u-open"
	sample $round exec baseline "$EXEC_N" "$d/other/u-exec"
	sample $round open baseline-files-once 1 $(files "$d/covered/vopen-")
	sample $round exec baseline-files-once 1 $(files "$d/covered/vexec-")

	kg_start_agent run --policy "$d/policy.yaml" --log "$KG_OUT/audit.log"
	sample $round open first-verification 1 $(files "$d/covered/vopen-")
	sample $round exec first-verification 1 $(files "$d/covered/vexec-")
	sample $round open uncovered "$OPEN_N" "$d/other/u-open"
	sample $round exec uncovered "$EXEC_N" "$d/other/u-exec"
	# The first use verifies; every later one hits the verdict cache.
	kg-loop open 1 "$d/covered/c-open" >/dev/null || kg_fail "covered open denied"
	kg-loop exec 1 "$d/covered/c-exec" >/dev/null || kg_fail "covered exec denied"
	sample $round open cached "$OPEN_N" "$d/covered/c-open"
	sample $round exec cached "$EXEC_N" "$d/covered/c-exec"
	kg_stop_agent
	[ "$KG_AGENT_STATUS" = 0 ] || kg_fail "agent exit status $KG_AGENT_STATUS"

	kg_start_agent run --policy "$d/policy-exec-only.yaml" --log "$KG_OUT/audit.log"
	sample $round open op-not-covered "$OPEN_N" "$d/other/u-open"
	kg_stop_agent
	[ "$KG_AGENT_STATUS" = 0 ] || kg_fail "agent exit status $KG_AGENT_STATUS"
	round=$((round + 1))
done
kg_pass
