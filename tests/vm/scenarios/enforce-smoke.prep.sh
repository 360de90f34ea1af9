#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# enforce-smoke (host side): a signed, an unsigned verity and a non-verity
# copy of one program; an enforce and an audit policy over them.
. "$KG_SRC/tests/vm/fixtures/enforce-prep.sh"

kg_prep_key org
true_bin=$(kg_prep_helper kg-true)
kg_prep_copy "$true_bin" bin/signed
kg_prep_variant "$true_bin" bin/unsigned x
kg_prep_variant "$true_bin" bin/plain xx
kg_prep_sign bin/signed org
kg_prep_verity bin/unsigned

for mode in enforce audit; do
	{
		kg_prep_policy_head "smoke-$mode" "$mode"
		kg_prep_signed_rule bin exec "$KG_GUEST_DATA/bin/" "log: all"
	} >"$KG_STAGE/$mode.yaml"
done

# Scopes: a nested directory's rule wins over its parent's.
kg_prep_copy "$true_bin" bin/inner/plain
cat >"$KG_STAGE/scopes.yaml" <<YAML
keygate: 1
policy: {name: smoke-scopes, version: 1, mode: enforce, default: allow}
rules:
  - name: bin-allowed
    operations: [exec]
    paths: [$KG_GUEST_DATA/bin/]
    require: allow
  - name: inner-denied
    operations: [exec]
    paths: [$KG_GUEST_DATA/bin/inner/]
    require: deny
YAML
