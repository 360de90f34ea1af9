# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# enforce-otherfs: a file on a file system that holds no scope (/tmp, while
# the policy's scope is on the data disk) is decided without a walk, and
# still by the policy: a default that audits open_read logs its open, a rule
# without paths decides it, and only with neither is it allowed silently
# (the fast exit). Each open is also counted as a decision.
# kg-timeout: 300
. /kg/scenarios/enforce-lib.sh
kge_setup
f=/tmp/kg-otherfs
echo data >"$f"

# decisions_allowed: keygate status's count of allowed decisions.
decisions_allowed() {
	keygate -j status | sed -n 's/.*"allow": *\([0-9]*\).*/\1/p' | head -n1
}

kge_start "$KG_DATA/audit.yaml"
kg_expect_ok cat "$f"
kg_expect_event op=open_read verdict=audit reason=no-rule path="$f"
kg_stop_agent

kge_start "$KG_DATA/everything.yaml"
kg_expect_ok cat "$f"
kg_expect_event op=open_read verdict=allow reason=allowed-by-rule rule=every-file path="$f"
kg_stop_agent

kge_start "$KG_DATA/allow.yaml"
before=$(decisions_allowed)
kg_expect_ok kg-loop open 50 "$f"
after=$(decisions_allowed)
kg_log "allowed decisions: $before before 50 opens, $after after"
[ -n "$before" ] && [ -n "$after" ] || kg_fail "keygate -j status gave no count of allowed decisions"
[ $((after - before)) -ge 50 ] || kg_fail "50 opens on /tmp, but $((after - before)) allowed decisions counted"
kg_expect_no_event path="$f"
kg_stop_agent
kg_pass
