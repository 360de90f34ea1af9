#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# enforce-audit (host side): the same rule in audit mode.
. "$KG_SRC/tests/vm/fixtures/enforce-prep.sh"

kg_prep_key org
true_bin=$(kg_prep_helper kg-true)
kg_prep_copy "$true_bin" bin/signed
kg_prep_variant "$true_bin" bin/not-verity x
kg_prep_variant "$true_bin" bin/no-signature xx
kg_prep_sign bin/signed org
kg_prep_verity bin/no-signature

{
	kg_prep_policy_head enforce-audit enforce
	kg_prep_signed_rule apps-audit exec "$KG_GUEST_DATA/bin/" "mode: audit"
} >"$KG_STAGE/policy.yaml"

# The same rule without its own mode, in a policy whose mode is audit.
{
	kg_prep_policy_head enforce-audit-mode audit
	kg_prep_signed_rule apps exec "$KG_GUEST_DATA/bin/"
} >"$KG_STAGE/policy-audit-mode.yaml"
