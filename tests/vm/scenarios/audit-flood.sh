# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# audit-flood: with the agent stopped (SIGSTOP) the kernel's ring buffer
# fills up; the drops are counted in the kernel, reported by the agent as
# a "loss" record, and logged + lost add up to every denied open.
. /kg/scenarios/enforce-lib.sh
kge_setup
log=$KG_OUT/audit.log
kge_start "$KG_DATA/policy.yaml"

kill -STOP "$KG_AGENT_PID"
kg-loop open 5000 "$KG_DATA/secrets/unsigned" >"$KG_OUT/loop.out"
kill -CONT "$KG_AGENT_PID"
cat "$KG_OUT/loop.out"
grep -q "ops=5000 failed=5000" "$KG_OUT/loop.out" || kg_fail "expected 5000 denied opens"

# The agent drains the ring and reads the kernel's drop counter.
kg_wait_for_line "$log" '"type":"loss".*"source":"ring"' 30 ||
	kg_fail "no ring loss record in the audit log within 30 s"
sleep 2
kg_stop_agent
grep -q "decision events lost" "$KG_AGENT_LOG" || kg_fail "the agent did not report the drops"

keygate -j log summary -f "$log" >"$KG_OUT/summary.json"
cat "$KG_OUT/summary.json"
logged=$(sed -n 's/.*"by_verdict":{"deny":\([0-9]*\)}.*/\1/p' "$KG_OUT/summary.json")
ring=$(sed -n 's/.*"losses":{"ring":\([0-9]*\),.*/\1/p' "$KG_OUT/summary.json")
kg_log "denied 5000, logged $logged, ring drops $ring"
[ "${ring:-0}" -gt 0 ] || kg_fail "no ring-buffer drops counted"
[ $((logged + ring)) -eq 5000 ] || kg_fail "logged $logged + dropped $ring != 5000 denied"
keygate log summary -f "$log" | grep -q "ring buffer $ring" || kg_fail "the human summary hides the drops"
kg_pass
