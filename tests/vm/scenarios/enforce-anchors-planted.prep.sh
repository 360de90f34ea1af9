#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# enforce-anchors-planted (host side): a program signed by the admin's key
# and one signed by another user's key, under a keyring anchor named as
# keygate-policy(5) shows it.
. "$KG_SRC/tests/vm/fixtures/enforce-prep.sh"

kg_prep_key org
kg_prep_key user
true_bin=$(kg_prep_helper kg-true)
kg_prep_variant "$true_bin" planted/org " "
kg_prep_sign planted/org org
kg_prep_variant "$true_bin" planted/user "  "
kg_prep_sign planted/user user
# The other user reads its certificate and runs the programs.
chmod -R a+rX "$KG_STAGE"

cat >"$KG_STAGE/policy.yaml" <<YAML
keygate: 1
policy: {name: enforce-anchors-planted, version: 1, mode: enforce, default: allow}
anchors:
  - name: ops
    keyring: "%keyring:ops"
rules:
  - {name: planted, operations: [exec], paths: [$KG_GUEST_DATA/planted/], require: signed, anchors: [ops], log: all}
YAML
sed 's/keyring: "%keyring:ops"/keyring: @RING@/' "$KG_STAGE/policy.yaml" >"$KG_STAGE/policy-serial.yaml.in"
