# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# audit-trail: a denied exec and denied opens reach the JSON log with the
# documented fields (rule, source file:line, policy name/version/digest,
# pid, comm, path, dev, ino) and the kernel audit stream as MAC_CHECK
# (type 1134) records; `keygate log` filters and summarises them.
. /kg/scenarios/enforce-lib.sh
kge_setup
log=$KG_OUT/audit.log
kge_start "$KG_DATA/policy.yaml"

# With auditing off the kernel drops user records; without auditd it
# prints them to the kernel log, rate-limited (10 per 5 s): enable it
# after the programs are loaded (each load is an audit record too) and
# let the limit recover.
_r=$(kg-auditctl enable)
[ "$_r" = "result=ok" ] || kg_fail "kg-auditctl enable: $_r"
sleep 6

kge_expect errno:EPERM kg-exec "$KG_DATA/bin/unsigned"
kge_expect ok kg-exec "$KG_DATA/bin/signed"
kg-loop open 3 "$KG_DATA/secrets/unsigned" >"$KG_OUT/loop.out"
grep -q "ops=3 failed=3" "$KG_OUT/loop.out" || kg_fail "opens of the unsigned secret: $(cat "$KG_OUT/loop.out")"
kg_expect_event op=exec verdict=deny path="$KG_DATA/bin/unsigned"
kg_expect_event op=open_read verdict=deny path="$KG_DATA/secrets/unsigned"
sleep 1
kg_stop_agent
kg-auditctl disable >/dev/null

# -- the JSON lines log
[ -s "$log" ] || kg_fail "no audit log at $log"
keygate -j log -f "$log" --verdict deny --op exec >"$KG_OUT/exec.json" 2>"$KG_OUT/log.err" ||
	kg_fail "keygate log failed: $(cat "$KG_OUT/log.err")"
[ ! -s "$KG_OUT/log.err" ] || kg_fail "keygate log reported: $(cat "$KG_OUT/log.err")"
cat "$KG_OUT/exec.json"
for want in '"type":"decision"' '"schema":1' '"op":"exec"' '"verdict":"deny"' \
	'"rule":"apps"' '"rule_id":0' "\"path\":\"$KG_DATA/bin/unsigned\"" '"comm":"kg-exec"' \
	'"policy":{"name":"audit-trail","version":4,"digest":"sha256:'; do
	grep -qF "$want" "$KG_OUT/exec.json" || kg_fail "exec record lacks $want"
done
for re in '"source":"[^"]*policy\.yaml:[0-9]+"' '"reason":"(not-verity|no-signature)"' \
	'"pid":[1-9][0-9]*' '"dev":"[0-9]+:[0-9]+"' '"ino":[1-9][0-9]*' \
	'"time":"20[0-9-]{8}T[0-9:]{8}\.[0-9]{6}Z"'; do
	grep -qE "$re" "$KG_OUT/exec.json" || kg_fail "exec record does not match $re"
done
[ "$(grep -c '"type":"decision"' "$KG_OUT/exec.json")" -eq 1 ] || kg_fail "expected exactly one denied exec"
# the allowed, verified exec is not logged (rules log failures only)
keygate -j log -f "$log" --path "$KG_DATA/bin/signed" | grep -q '"type"' &&
	kg_fail "the verified exec was logged"

keygate -j log summary -f "$log" >"$KG_OUT/summary.json"
cat "$KG_OUT/summary.json"
grep -qF '"by_verdict":{"deny":4}' "$KG_OUT/summary.json" || kg_fail "summary: expected 4 denies"
grep -qF '"by_rule":{"secrets":3,"apps":1}' "$KG_OUT/summary.json" || kg_fail "summary: counts by rule"
grep -qF '"agent_start":1' "$KG_OUT/summary.json" || kg_fail "summary: no agent_start record"
grep -qF '"agent_stop":1' "$KG_OUT/summary.json" || kg_fail "summary: no agent_stop record"
grep -qF '"corrupt_lines":0' "$KG_OUT/summary.json" || kg_fail "summary: corrupt lines"
keygate log -f "$log" --rule secrets --since 10m >"$KG_OUT/table.txt"
cat "$KG_OUT/table.txt"
[ "$(grep -c "deny .*open_read .*$KG_DATA/secrets/unsigned" "$KG_OUT/table.txt")" -eq 3 ] ||
	kg_fail "table: expected 3 denied opens"

# -- the kernel audit stream (no auditd here: the kernel log)
dmesg | grep 'type=1134' >"$KG_OUT/audit.txt"
cat "$KG_OUT/audit.txt"
grep 'op=exec verdict=deny' "$KG_OUT/audit.txt" | grep -F "path=\"$KG_DATA/bin/unsigned\"" |
	grep 'rule="apps"' | grep 'ocomm="kg-exec"' | grep -q 'res=failed' ||
	kg_fail "no MAC_CHECK record for the denied exec in the kernel log"
[ "$(grep -c 'op=open_read verdict=deny' "$KG_OUT/audit.txt")" -eq 3 ] ||
	kg_fail "expected 3 MAC_CHECK records for the denied opens"
kg_pass
