#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# enforce-overlay (host side): a lower layer with a program signed by the
# organisation (fs-verity), as a container image layer would hold it, and
# an empty directory to mount the overlay on.
. "$KG_SRC/tests/vm/fixtures/enforce-prep.sh"

kg_prep_key org
kg_prep_copy "$(kg_prep_helper kg-true)" lower/bin/app
kg_prep_sign lower/bin/app org
mkdir -p "$KG_STAGE/merged"

{
	kg_prep_policy_head enforce-overlay enforce
	kg_prep_signed_rule layers exec "$KG_GUEST_DATA/" "log: all"
} >"$KG_STAGE/policy.yaml"
