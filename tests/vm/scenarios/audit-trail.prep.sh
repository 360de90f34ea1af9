#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# audit-trail (host side), also sourced by audit-rotate and audit-flood:
# an unsigned program under an exec rule and an unsigned file under an
# open rule, both denied and logged.
. "$KG_SRC/tests/vm/fixtures/enforce-prep.sh"

kg_prep_key org
true_bin=$(kg_prep_helper kg-true)
kg_prep_copy "$true_bin" bin/signed
kg_prep_copy "$true_bin" bin/unsigned
printf 'x' >>"$KG_STAGE/bin/unsigned"
kg_prep_sign bin/signed org
mkdir -p "$KG_STAGE/secrets"
echo "not signed" >"$KG_STAGE/secrets/unsigned"

cat >"$KG_STAGE/policy.yaml" <<YAML
keygate: 1
policy: {name: $KG_PREP_NAME, version: 4, mode: enforce, default: allow}
anchors:
  - {name: org, certificates: [keys/org.pem]}
rules:
  - name: apps
    operations: [exec]
    paths: [$KG_GUEST_DATA/bin/]
    require: signed
    anchors: [org]
  - name: secrets
    operations: [open_read]
    paths: [$KG_GUEST_DATA/secrets/]
    require: signed
    anchors: [org]
YAML
