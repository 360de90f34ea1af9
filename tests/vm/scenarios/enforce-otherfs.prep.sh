#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# enforce-otherfs (host side): policies whose only scope for open_read is on
# the data disk, so the guest's /tmp (tmpfs) holds none: audit.yaml audits
# open_read where no rule covers it; everything.yaml adds a rule without
# paths (every file) that allows open_read and logs it; allow.yaml has
# neither (the default allows).
. "$KG_SRC/tests/vm/fixtures/enforce-prep.sh"

kg_prep_key org
kg_prep_copy "$(kg_prep_helper kg-true)" covered/signed
kg_prep_sign covered/signed org

{
	kg_prep_policy_head otherfs-audit enforce | sed 's/default: allow/default: {open_read: audit}/'
	kg_prep_signed_rule covered open_read "$KG_GUEST_DATA/covered/"
} >"$KG_STAGE/audit.yaml"
{
	kg_prep_policy_head otherfs-everything enforce
	kg_prep_signed_rule covered open_read "$KG_GUEST_DATA/covered/"
	cat <<YAML
  - name: every-file
    operations: [open_read]
    require: allow
    log: all
YAML
} >"$KG_STAGE/everything.yaml"
{
	kg_prep_policy_head otherfs-allow enforce
	kg_prep_signed_rule covered open_read "$KG_GUEST_DATA/covered/"
} >"$KG_STAGE/allow.yaml"
