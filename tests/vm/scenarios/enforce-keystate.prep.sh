#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# enforce-keystate (host side): programs signed by "org" under ring/ and
# ring2/ (anchors: two keyrings the scenario makes and then changes) and
# under read/ (certificate anchor): one readable by all, one exec-only
# (0711) and one exec-only setuid (4711), all owned by root.
. "$KG_SRC/tests/vm/fixtures/enforce-prep.sh"

kg_prep_key org
true_bin=$(kg_prep_helper kg-true)

for f in ring/a ring2/a read/x755 read/x711 read/x4711; do
	kg_prep_variant "$true_bin" "$f" "keystate-$f"
	kg_prep_sign "$f" org
done
chmod 0755 "$KG_STAGE/read/x755"
chmod 0711 "$KG_STAGE/read/x711"
chmod 4711 "$KG_STAGE/read/x4711"

cat >"$KG_STAGE/policy.yaml.in" <<YAML
keygate: 1
policy: {name: enforce-keystate, version: 1, mode: enforce, default: allow}
anchors:
  - {name: org-cert, certificates: [$KG_GUEST_DATA/keys/org.pem]}
  - {name: ring, keyring: @RING@}
  - {name: ring2, keyring: @RING2@}
rules:
  - {name: by-ring, operations: [exec], paths: [$KG_GUEST_DATA/ring/], require: signed, anchors: [ring], log: all}
  - {name: by-ring2, operations: [exec], paths: [$KG_GUEST_DATA/ring2/], require: signed, anchors: [ring2], log: all}
  - {name: by-cert, operations: [exec], paths: [$KG_GUEST_DATA/read/], require: signed, anchors: [org-cert], log: all}
YAML
