#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# enforce-rulecache (host side): unsigned programs and files that start
# outside the covered directory, one signed program inside it, and a jail
# (static busybox) inside it for the chroot case.
. "$KG_SRC/tests/vm/fixtures/enforce-prep.sh"

kg_prep_key org
true_bin=$(kg_prep_helper kg-true)

for f in outside/renamed outside/linked outside/dir/child covered/signed; do
	kg_prep_copy "$true_bin" "$f"
done
printf 'signed' >>"$KG_STAGE/covered/signed" # its own digest
kg_prep_sign covered/signed org
echo data >"$KG_STAGE/outside/read-me"
mkdir -p "$KG_STAGE/covered/secret"
kg_prep_copy "$(command -v busybox)" covered/jail/busybox

cat >"$KG_STAGE/policy.yaml" <<YAML
keygate: 1
policy: {name: enforce-rulecache, version: 1, mode: enforce, default: allow}
anchors:
  - {name: org, certificates: [keys/org.pem]}
rules:
  - name: protected
    operations: [exec]
    paths: [$KG_GUEST_DATA/covered/]
    require: signed
    anchors: [org]
    log: all
  - name: secret
    operations: [open_read]
    paths: [$KG_GUEST_DATA/covered/secret/]
    require: signed
    anchors: [org]
    log: all
YAML
