# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# enforce-audit: a rule in audit mode (and then a policy in audit mode)
# allows what enforce mode denies and reports each would-deny (verdict
# "audit") with its reason.
. /kg/scenarios/enforce-lib.sh
kge_setup
kge_start "$KG_DATA/policy.yaml"
bin=$KG_DATA/bin

kge_expect ok kg-exec "$bin/not-verity"
kg_expect_event op=exec verdict=audit reason=not-verity rule=apps-audit path="$bin/not-verity"
kge_expect ok kg-exec "$bin/no-signature"
kg_expect_event op=exec verdict=audit reason=no-signature rule=apps-audit path="$bin/no-signature"

# A verified file is not a would-deny: with `log: failures` nothing is reported.
kge_expect ok kg-exec "$bin/signed"
kg_expect_no_event path="$bin/signed"
kg_expect_no_event verdict=deny
kg_stop_agent

# mode: audit for the whole policy does the same for every rule.
kge_start "$KG_DATA/policy-audit-mode.yaml"
kge_expect ok kg-exec "$bin/not-verity"
kg_expect_event op=exec verdict=audit reason=not-verity rule=apps path="$bin/not-verity"
kge_expect ok kg-exec "$bin/signed"
kg_expect_no_event verdict=deny
kg_stop_agent
kg_pass
