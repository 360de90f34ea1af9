#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# audit-trail (host side), also sourced by audit-rotate and audit-flood:
# an unsigned program under an exec rule and an unsigned file under an
# open rule, both denied and logged.
. "$KG_SRC/tests/vm/fixtures/enforce-prep.sh"

kg_prep_key org
true_bin=$(kg_prep_helper kg-true)
kg_prep_copy "$true_bin" bin/signed
kg_prep_variant "$true_bin" bin/unsigned x
kg_prep_sign bin/signed org
mkdir -p "$KG_STAGE/secrets"
echo "not signed" >"$KG_STAGE/secrets/unsigned"

{
	kg_prep_policy_head "$KG_PREP_NAME" enforce 4
	kg_prep_signed_rule apps exec "$KG_GUEST_DATA/bin/"
	kg_prep_signed_rule secrets open_read "$KG_GUEST_DATA/secrets/"
} >"$KG_STAGE/policy.yaml"
