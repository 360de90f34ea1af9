#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# persist-upgrade (host side): the previous keygate binary (an agent that
# pinned nothing), a signed and an unsigned program under a signed rule.
. "$KG_SRC/tests/vm/fixtures/enforce-prep.sh"

previous=$("$KG_SRC/tests/vm/fixtures/build-previous.sh" "$KG_SRC" "$KG_BUILD") ||
	kg_prep_die "building the previous keygate failed"
kg_prep_copy "$previous" previous/keygate
kg_prep_key org
true_bin=$(kg_prep_helper kg-true)
kg_prep_variant "$true_bin" bin/signed ""
kg_prep_variant "$true_bin" bin/unsigned " "
kg_prep_sign bin/signed org
{
	kg_prep_policy_head persist-upgrade enforce
	kg_prep_signed_rule apps exec "$KG_GUEST_DATA/bin/"
} >"$KG_STAGE/policy.yaml"
