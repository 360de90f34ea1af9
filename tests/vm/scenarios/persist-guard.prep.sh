#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# persist-guard (host side): an unsigned program under a signed exec rule.
. "$KG_SRC/tests/vm/fixtures/enforce-prep.sh"

kg_prep_key org
kg_prep_copy "$(kg_prep_helper kg-true)" bin/unsigned
{
	kg_prep_policy_head persist-guard enforce
	kg_prep_signed_rule apps exec "$KG_GUEST_DATA/bin/"
} >"$KG_STAGE/policy.yaml"
