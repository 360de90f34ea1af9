# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# enforce-smoke: the enforcement path end to end. Under an enforce rule a
# signed fs-verity program runs (verified, then from the cache), an
# unsigned verity file and a non-verity file fail with EPERM; under audit
# they run and are reported; after the agent exits none of its programs
# stays attached. A changed signature xattr is verified again; a nested
# directory's rule beats its parent's.
# kg-timeout: 420
. /kg/scenarios/enforce-lib.sh
kge_setup
bin=$KG_DATA/bin

kg_start_agent -j run --log "$KG_OUT/audit.log" --policy "$KG_DATA/enforce.yaml"
kge_expect ok kg-exec "$bin/signed"
kg_expect_event op=exec verdict=allow reason=verified rule=bin anchor=org path="$bin/signed"
kge_expect ok kg-exec "$bin/signed"
kg_expect_event op=exec verdict=allow reason=cache-hit rule=bin path="$bin/signed"
kge_expect errno:EPERM kg-exec "$bin/unsigned"
kg_expect_event op=exec verdict=deny reason=no-signature rule=bin path="$bin/unsigned"
kge_expect errno:EPERM kg-exec "$bin/plain"
kg_expect_event op=exec verdict=deny reason=not-verity rule=bin path="$bin/plain"
# A changed or removed signature xattr drops the cached verdict.
setfattr -n user.keygate.sig -v 0x300100 "$bin/signed" || kg_fail "setfattr failed"
kge_expect errno:EPERM kg-exec "$bin/signed"
kg_expect_event op=exec verdict=deny reason=malformed-signature rule=bin path="$bin/signed"
setfattr -x user.keygate.sig "$bin/signed" || kg_fail "setfattr -x failed"
kge_expect errno:EPERM kg-exec "$bin/signed"
kg_expect_event op=exec verdict=deny reason=no-signature rule=bin path="$bin/signed"
setfattr -n user.keygate.sig -v "0x$(od -An -tx1 -v "$bin/signed.sig" | tr -d ' \n')" "$bin/signed" ||
	kg_fail "restoring the signature failed"
_verified=$(kg_count_events op=exec reason=verified path="$bin/signed")
kge_expect ok kg-exec "$bin/signed"
_i=0
while [ "$(kg_count_events op=exec verdict=allow reason=verified path="$bin/signed")" -le "$_verified" ]; do
	_i=$((_i + 1))
	[ "$_i" -lt 50 ] || kg_fail "the restored signature was not verified again"
	sleep 0.2
done
[ -n "$(kge_our_progs)" ] || kg_fail "no keygate_ programs loaded while enforcing"
kg_stop_agent
[ "$KG_AGENT_STATUS" = 0 ] || kg_fail "agent exit status $KG_AGENT_STATUS after SIGTERM"
_left=$(kge_our_progs)
[ -z "$_left" ] || kg_fail "programs still loaded after the agent exited: $_left"
kge_expect ok kg-exec "$bin/plain"

kg_start_agent -j run --log "$KG_OUT/audit.log" --policy "$KG_DATA/scopes.yaml"
kge_expect errno:EPERM kg-exec "$bin/inner/plain"
kg_expect_event op=exec verdict=deny reason=denied-by-rule rule=inner-denied path="$bin/inner/plain"
kge_expect ok kg-exec "$bin/plain"
kg_expect_no_event path="$bin/plain" rule=inner-denied
kg_stop_agent

kg_start_agent -j run --log "$KG_OUT/audit.log" --policy "$KG_DATA/audit.yaml"
kge_expect ok kg-exec "$bin/plain"
kg_expect_event op=exec verdict=audit reason=not-verity rule=bin path="$bin/plain"
kge_expect ok kg-exec "$bin/unsigned"
kg_expect_event op=exec verdict=audit reason=no-signature rule=bin path="$bin/unsigned"
kg_stop_agent
[ "$KG_AGENT_STATUS" = 0 ] || kg_fail "agent exit status $KG_AGENT_STATUS after SIGTERM"
kg_pass
