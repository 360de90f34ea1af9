#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# enforce-mmap (host side): signed and unsigned shared libraries and programs.
. "$KG_SRC/tests/vm/fixtures/enforce-prep.sh"

kg_prep_key org
lib=$(kg_prep_helper libkg-dltest.so)
true_bin=$(kg_prep_helper kg-true)
kg_prep_copy "$lib" lib/libsigned.so
kg_prep_copy "$lib" lib/libunsigned.so
printf 'x' >>"$KG_STAGE/lib/libunsigned.so"
kg_prep_copy "$true_bin" bin/unsigned
kg_prep_copy "$true_bin" bin/signed
printf 'xx' >>"$KG_STAGE/bin/signed"
kg_prep_sign lib/libsigned.so org
kg_prep_verity lib/libunsigned.so
kg_prep_sign bin/signed org

cat >"$KG_STAGE/policy.yaml" <<YAML
keygate: 1
policy: {name: enforce-mmap, version: 1, mode: enforce, default: allow}
anchors:
  - {name: org, certificates: [keys/org.pem]}
rules:
  - name: code
    operations: [mmap_exec, mprotect_exec]
    paths: [$KG_GUEST_DATA/lib/, $KG_GUEST_DATA/bin/]
    require: signed
    anchors: [org]
    log: all
YAML
