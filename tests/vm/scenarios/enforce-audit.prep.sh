#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# enforce-audit (host side): the same rule in audit mode.
. "$KG_SRC/tests/vm/fixtures/enforce-prep.sh"

kg_prep_key org
true_bin=$(kg_prep_helper kg-true)
kg_prep_copy "$true_bin" bin/signed
kg_prep_copy "$true_bin" bin/not-verity
printf 'x' >>"$KG_STAGE/bin/not-verity"
kg_prep_copy "$true_bin" bin/no-signature
printf 'xx' >>"$KG_STAGE/bin/no-signature"
kg_prep_sign bin/signed org
kg_prep_verity bin/no-signature

cat >"$KG_STAGE/policy.yaml" <<YAML
keygate: 1
policy: {name: enforce-audit, version: 1, mode: enforce, default: allow}
anchors:
  - {name: org, certificates: [keys/org.pem]}
rules:
  - name: apps-audit
    operations: [exec]
    paths: [$KG_GUEST_DATA/bin/]
    require: signed
    anchors: [org]
    mode: audit
YAML

# The same rule without its own mode, in a policy whose mode is audit.
cat >"$KG_STAGE/policy-audit-mode.yaml" <<YAML
keygate: 1
policy: {name: enforce-audit-mode, version: 1, mode: audit, default: allow}
anchors:
  - {name: org, certificates: [keys/org.pem]}
rules:
  - name: apps
    operations: [exec]
    paths: [$KG_GUEST_DATA/bin/]
    require: signed
    anchors: [org]
YAML
