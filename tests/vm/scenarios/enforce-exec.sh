# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# enforce-exec: exec of a program under a `require: signed` rule, for each
# state its signature can be in; errno seen by the process and the event.
. /kg/scenarios/enforce-lib.sh
kge_setup
kge_start "$KG_DATA/policy.yaml"
bin=$KG_DATA/bin

kge_expect ok kg-exec "$bin/signed"
kg_expect_event op=exec verdict=allow reason=verified rule=apps anchor=org path="$bin/signed"
kge_expect ok kg-exec "$bin/signed"
kg_expect_event op=exec verdict=allow reason=cache-hit rule=apps path="$bin/signed"

kge_expect errno:EPERM kg-exec "$bin/not-verity"
kg_expect_event op=exec verdict=deny reason=not-verity rule=apps path="$bin/not-verity"

kge_expect errno:EPERM kg-exec "$bin/no-signature"
kg_expect_event op=exec verdict=deny reason=no-signature rule=apps path="$bin/no-signature"

# Signed by a key the policy knows (anchor "other") but the rule does not trust.
kge_expect errno:EPERM kg-exec "$bin/other-key"
kg_expect_event op=exec verdict=deny reason=unknown-signer rule=apps path="$bin/other-key"

# A valid signature of another file.
kge_expect errno:EPERM kg-exec "$bin/copied-sig"
kg_expect_event op=exec verdict=deny reason=bad-signature rule=apps path="$bin/copied-sig"

kge_expect errno:EPERM kg-exec "$bin/revoked"
kg_expect_event op=exec verdict=deny reason=revoked rule=apps path="$bin/revoked"

kge_expect errno:EPERM kg-exec "$bin/malformed"
kg_expect_event op=exec verdict=deny reason=malformed-signature rule=apps path="$bin/malformed"

# Outside the rule's scope the default (allow, not logged) applies.
kge_expect ok kg-exec "$KG_DATA/outside/unsigned"
kg_expect_no_event path="$KG_DATA/outside/unsigned"

kg_stop_agent
[ "$KG_AGENT_STATUS" = 0 ] || kg_fail "agent exit status $KG_AGENT_STATUS after SIGTERM"
# Every denial also reached the audit log.
for r in not-verity no-signature unknown-signer bad-signature revoked malformed-signature; do
	kg_expect_logged op=exec verdict=deny reason=$r rule=apps
done
# Enforcement ends with `keygate stop` (kg_stop_agent).
kge_expect ok kg-exec "$bin/not-verity"
kg_pass
