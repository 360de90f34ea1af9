# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# enforce-reload: SIGHUP swaps the policy under a running loop of execs,
# and no exec is decided by neither policy: every exec succeeds and yields
# exactly one decision, from rule gen-a or gen-b. An invalid policy keeps
# the old one in force. Once the agent exits and `keygate stop` ran (kg_stop_agent),
# none of its programs stay.
. /kg/scenarios/enforce-lib.sh
kge_setup
command -v bpftool >/dev/null || kg_fail "bpftool is not in the guest"
prog=$KG_DATA/bin/signed
policy=$KG_OUT/policy.yaml
cp "$KG_DATA/policy-a.yaml" "$policy"
kge_start "$policy"
[ -n "$(kge_our_progs)" ] || kg_fail "no keygate_* BPF programs loaded while enforcing"

# switch GEN: atomically replace the policy file and signal the agent.
switch() {
	cp "$KG_DATA/policy-$1.yaml" "$policy.new" && mv "$policy.new" "$policy"
	kill -HUP "$KG_AGENT_PID"
}

rm -f "$KG_OUT/stop"
kg-loop exec-until "$KG_OUT/stop" "$prog" >"$KG_OUT/loop.out" 2>&1 &
loop_pid=$!
for gen in b a b a b a b a b a; do
	sleep 0.5
	switch $gen
done
sleep 0.5
touch "$KG_OUT/stop"
wait "$loop_pid"
cat "$KG_OUT/loop.out"
ops=$(sed -n 's/^ops=\([0-9]*\) .*/\1/p' "$KG_OUT/loop.out")
failed=$(sed -n 's/.* failed=\([0-9]*\) .*/\1/p' "$KG_OUT/loop.out")
[ -n "$ops" ] && [ "$ops" -gt 0 ] || kg_fail "the exec loop did not run"
[ "$failed" = 0 ] || kg_fail "$failed of $ops execs failed during reloads"

# Every exec has exactly one decision, from one of the two rules.
i=0
while [ "$(kg_count_events op=exec path="$prog")" -lt "$ops" ] && [ "$i" -lt 100 ]; do
	sleep 0.2
	i=$((i + 1))
done
total=$(kg_count_events op=exec path="$prog")
by_a=$(kg_count_events op=exec verdict=allow rule=gen-a path="$prog")
by_b=$(kg_count_events op=exec verdict=allow rule=gen-b path="$prog")
kg_log "execs=$ops decisions=$total gen-a=$by_a gen-b=$by_b"
[ "$total" = "$ops" ] || kg_fail "$ops execs but $total decisions"
[ $((by_a + by_b)) = "$ops" ] || kg_fail "$((ops - by_a - by_b)) execs decided by neither policy"
[ "$by_a" -gt 0 ] && [ "$by_b" -gt 0 ] || kg_fail "the policy never changed (gen-a=$by_a gen-b=$by_b)"

# An invalid policy is refused and the last good one (gen-a) stays.
cp "$KG_DATA/policy-invalid.yaml" "$policy.new" && mv "$policy.new" "$policy"
kill -HUP "$KG_AGENT_PID"
sleep 1
kill -0 "$KG_AGENT_PID" 2>/dev/null || kg_fail "agent exited on an invalid policy"
grep -q "no-such-anchor" "$KG_AGENT_LOG" || kg_fail "agent did not say why the new policy was refused"
before=$(kg_count_events rule=gen-a path="$prog")
kge_expect ok kg-exec "$prog"
i=0
while [ "$(kg_count_events rule=gen-a path="$prog")" -le "$before" ] && [ "$i" -lt 50 ]; do
	sleep 0.2
	i=$((i + 1))
done
[ "$(kg_count_events rule=gen-a path="$prog")" -gt "$before" ] ||
	kg_fail "after an invalid reload the exec was not decided by gen-a"

kg_stop_agent
[ "$KG_AGENT_STATUS" = 0 ] || kg_fail "agent exit status $KG_AGENT_STATUS after SIGTERM"
left=$(kge_our_progs)
[ -z "$left" ] || kg_fail "BPF programs left after the agent exited: $left"
kg_pass
