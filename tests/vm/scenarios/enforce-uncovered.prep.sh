#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# enforce-uncovered (host side): a signed and two unsigned copies of one
# program under covered/ (the guest gives one of them a signature xattr
# larger than the host's file system can hold); policies that cover exec,
# mmap_exec, mprotect_exec and open_read there, by `deny` and by `signed`.
. "$KG_SRC/tests/vm/fixtures/enforce-prep.sh"

kg_prep_key org
true_bin=$(kg_prep_helper kg-true)
kg_prep_copy "$true_bin" covered/signed
kg_prep_variant "$true_bin" covered/unsigned x
kg_prep_variant "$true_bin" covered/oversized xx
kg_prep_sign covered/signed org
kg_prep_verity covered/unsigned covered/oversized

ops="exec, mmap_exec, mprotect_exec, open_read"
cat >"$KG_STAGE/deny.yaml" <<YAML
keygate: 1
policy: {name: uncovered-deny, version: 1, mode: enforce, default: allow}
rules:
  - name: covered-denied
    operations: [$ops]
    paths: [$KG_GUEST_DATA/covered/]
    require: deny
YAML
{
	kg_prep_policy_head uncovered-signed enforce
	kg_prep_signed_rule covered "$ops" "$KG_GUEST_DATA/covered/" "log: all"
} >"$KG_STAGE/signed.yaml"
{
	kg_prep_policy_head uncovered-audit audit
	kg_prep_signed_rule covered "$ops" "$KG_GUEST_DATA/covered/"
} >"$KG_STAGE/audit.yaml"
