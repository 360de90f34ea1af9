# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# enforce-smoke: the enforcement path end to end. Under an enforce rule a
# signed fs-verity program runs (verified, then from the cache), an
# unsigned verity file and a non-verity file fail with EPERM; under audit
# they run and are reported; after the agent exits none of its programs
# stays attached.
. /kg/scenarios/enforce-lib.sh
kge_setup
bin=$KG_DATA/bin

kg_start_agent -j run --log "$KG_OUT/audit.log" --policy "$KG_DATA/enforce.yaml"
kge_expect ok kg-exec "$bin/signed"
kge_expect_event op=exec verdict=allow reason=verified rule=bin anchor=org path="$bin/signed"
kge_expect ok kg-exec "$bin/signed"
kge_expect_event op=exec verdict=allow reason=cache-hit rule=bin path="$bin/signed"
kge_expect errno:EPERM kg-exec "$bin/unsigned"
kge_expect_event op=exec verdict=deny reason=no-signature rule=bin path="$bin/unsigned"
kge_expect errno:EPERM kg-exec "$bin/plain"
kge_expect_event op=exec verdict=deny reason=not-verity rule=bin path="$bin/plain"
[ -n "$(kge_our_progs)" ] || kg_fail "no keygate_ programs loaded while enforcing"
kg_stop_agent
[ "$KG_AGENT_STATUS" = 0 ] || kg_fail "agent exit status $KG_AGENT_STATUS after SIGTERM"
_left=$(kge_our_progs)
[ -z "$_left" ] || kg_fail "programs still loaded after the agent exited: $_left"
kge_expect ok kg-exec "$bin/plain"

kg_start_agent -j run --log "$KG_OUT/audit.log" --policy "$KG_DATA/audit.yaml"
kge_expect ok kg-exec "$bin/plain"
kge_expect_event op=exec verdict=audit reason=not-verity rule=bin path="$bin/plain"
kge_expect ok kg-exec "$bin/unsigned"
kge_expect_event op=exec verdict=audit reason=no-signature rule=bin path="$bin/unsigned"
kg_stop_agent
[ "$KG_AGENT_STATUS" = 0 ] || kg_fail "agent exit status $KG_AGENT_STATUS after SIGTERM"
kg_pass
