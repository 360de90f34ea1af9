#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# enforce-reload (host side): two policies that both allow one signed
# program, told apart by their rule names, and one that does not compile.
. "$KG_SRC/tests/vm/fixtures/enforce-prep.sh"

kg_prep_key org
kg_prep_copy "$(kg_prep_helper kg-true)" bin/signed
kg_prep_sign bin/signed org

for gen in a b; do
	cat >"$KG_STAGE/policy-$gen.yaml" <<YAML
keygate: 1
policy: {name: enforce-reload-$gen, version: 1, mode: enforce, default: allow}
anchors:
  - {name: org, certificates: [$KG_GUEST_DATA/keys/org.pem]}
rules:
$(kg_prep_signed_rule "gen-$gen" exec "$KG_GUEST_DATA/bin/" "log: all")
YAML
done
cat >"$KG_STAGE/policy-invalid.yaml" <<YAML
keygate: 1
policy: {name: enforce-reload-invalid, version: 1, mode: enforce, default: allow}
rules:
  - name: broken
    operations: [exec]
    require: signed
    anchors: [no-such-anchor]
YAML
