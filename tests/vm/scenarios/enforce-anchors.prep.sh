#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# enforce-anchors (host side): the same signed program under each kind of
# trust anchor. The keyring serial exists only in the guest, so the policy
# is a template whose @RING@ the scenario fills in.
. "$KG_SRC/tests/vm/fixtures/enforce-prep.sh"

kg_prep_key org
kg_prep_key other
true_bin=$(kg_prep_helper kg-true)
n=0
for dir in cert ring ring-name builtin; do
	for f in org other; do
		kg_prep_variant "$true_bin" "$dir/$f" "$(printf '%*s' "$n" '')"
		n=$((n + 1))
		kg_prep_sign "$dir/$f" "$f"
	done
done

# Run only after the keyring is revoked: no cached verdict can allow it.
kg_prep_variant "$true_bin" ring/late "$(printf '%*s' "$n" '')"
kg_prep_sign ring/late org

cat >"$KG_STAGE/policy.yaml.in" <<YAML
keygate: 1
policy: {name: enforce-anchors, version: 1, mode: enforce, default: allow}
anchors:
  - {name: org-cert, certificates: [$KG_GUEST_DATA/keys/org.pem]}
  - {name: org-ring, keyring: @RING@}
  - {name: org-ring-name, keyring: "kg-anchors-ring"}
  - {name: distro, system: builtin}
rules:
  - {name: by-cert, operations: [exec], paths: [$KG_GUEST_DATA/cert/], require: signed, anchors: [org-cert], log: all}
  - {name: by-ring, operations: [exec], paths: [$KG_GUEST_DATA/ring/], require: signed, anchors: [org-ring], log: all}
  - {name: by-ring-name, operations: [exec], paths: [$KG_GUEST_DATA/ring-name/], require: signed, anchors: [org-ring-name], log: all}
  - {name: by-builtin, operations: [exec], paths: [$KG_GUEST_DATA/builtin/], require: signed, anchors: [distro], log: all}
YAML
