#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# enforce-memfd (host side): two policies for executable memory files.
. "$KG_SRC/tests/vm/fixtures/enforce-prep.sh"

# 1. An exact rule for the path the kernel's d_path gives the memfd the
#    helper creates: "/memfd:NAME (deleted)". Scopes are bound to files in
#    the agent's view, and a memfd is in no directory it can name: the rule
#    covers a file of that name in /, never the memfd.
cat >"$KG_STAGE/named.yaml" <<YAML
keygate: 1
policy: {name: enforce-memfd-named, version: 1, mode: enforce, default: allow}
rules:
  - name: no-memfd-exec
    files: ["/memfd:kg-memfd (deleted)"]
    operations: [exec, mmap_exec]
    require: deny
YAML

# 2. Everything must be signed except the guest's own directories: a memfd
#    is not a verity file, so its exec is denied.
kg_prep_key org
cat >"$KG_STAGE/signed-only.yaml" <<YAML
$(kg_prep_policy_head enforce-memfd-signed enforce)
  - name: everything-signed
    operations: [exec]
    require: signed
    anchors: [org]
  - name: system
    operations: [exec]
    paths: [/bin/, /sbin/, /usr/, /lib/, /lib64/, /kg/, /data/, /tmp/]
    require: allow
YAML
