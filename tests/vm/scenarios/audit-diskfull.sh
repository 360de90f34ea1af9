# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# audit-diskfull: the log's file system fills up; the agent keeps
# enforcing, counts what it could not write, says so once, and writes a
# "loss" record (source write, ENOSPC) when space is back.
. /kg/scenarios/enforce-lib.sh
kge_setup
small=$KG_OUT/small
mkdir -p "$small"
mount -t tmpfs -o size=128k tmpfs "$small" || kg_fail "cannot mount a small tmpfs"
trap 'kg_stop_agent >/dev/null 2>&1; umount "$small" 2>/dev/null' EXIT
# kge_start logs to $KG_OUT/audit.log: point it at the small file system.
ln -s "$small/audit.log" "$KG_OUT/audit.log"
kge_start "$KG_DATA/policy.yaml"

kg-loop open 1500 "$KG_DATA/secrets/unsigned" >"$KG_OUT/loop.out"
grep -q "ops=1500 failed=1500" "$KG_OUT/loop.out" || kg_fail "enforcement changed: $(cat "$KG_OUT/loop.out")"
kg_wait_for_line "$KG_AGENT_LOG" "write failed: No space left on device" 30 ||
	kg_fail "the agent did not report the full disk"
kill -0 "$KG_AGENT_PID" || kg_fail "the agent died on a full disk"
kge_expect errno:EPERM kg-exec "$KG_DATA/bin/unsigned"

# Space is back (an administrator truncated the log).
: >"$small/audit.log"
kg-loop open 5 "$KG_DATA/secrets/unsigned" >/dev/null
kg_wait_for_line "$small/audit.log" '"type":"loss".*"source":"write".*"error":"ENOSPC"' 30 ||
	kg_fail "no write loss record after space came back"
kg_wait_for_line "$KG_AGENT_LOG" "writing works again" 10 || kg_fail "the agent did not say writing recovered"
kg_stop_agent

keygate -j log summary -f "$small/audit.log" >"$KG_OUT/summary.json"
cat "$KG_OUT/summary.json"
lost=$(sed -n 's/.*"losses":{"ring":[0-9]*,"queue":[0-9]*,"write":\([0-9]*\).*/\1/p' "$KG_OUT/summary.json")
kg_log "records lost to ENOSPC: $lost"
[ "${lost:-0}" -gt 0 ] || kg_fail "summary shows no write losses"
grep -qF '"corrupt_lines":0' "$KG_OUT/summary.json" || kg_log "torn lines reported (expected after ENOSPC mid-line)"
kg_pass
