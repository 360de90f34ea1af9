#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# persist-adopt (host side): a signed program and two unsigned ones in a
# directory covered by a `require: signed` exec rule.
. "$KG_SRC/tests/vm/fixtures/enforce-prep.sh"

kg_prep_key org
true_bin=$(kg_prep_helper kg-true)
kg_prep_variant "$true_bin" bin/signed ""
kg_prep_variant "$true_bin" bin/unsigned " "
kg_prep_variant "$true_bin" bin/unsigned-away "  "
kg_prep_sign bin/signed org
{
	kg_prep_policy_head persist-adopt enforce 7
	kg_prep_signed_rule apps exec "$KG_GUEST_DATA/bin/"
} >"$KG_STAGE/policy.yaml"
