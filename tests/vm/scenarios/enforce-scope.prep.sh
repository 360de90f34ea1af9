#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# enforce-scope (host side): a mixed-mode policy (global audit, enforcing
# rules) with a `signed` scope signed/ holding an `allow` sub-scope
# signed/plugins/, a user's home (uid 1000) inside signed/ with an unsigned
# static busybox (the program of every attack) and a jail that recreates the plugins path, and a
# `signed` rule for /tmp/.
. "$KG_SRC/tests/vm/fixtures/enforce-prep.sh"

kg_prep_key org
true_bin=$(kg_prep_helper kg-true)
busybox_bin=$(command -v busybox)

kg_prep_variant "$true_bin" signed/app scope-app
kg_prep_sign signed/app org
kg_prep_variant "$true_bin" signed/plugins/tool scope-plugin
kg_prep_copy "$busybox_bin" signed/home/busybox
kg_prep_copy "$busybox_bin" "signed/home/jail$KG_GUEST_DATA/signed/plugins/busybox"
mkdir -p "$KG_STAGE/mnt"
chown -R 1000:1000 "$KG_STAGE/signed/home"

{
	kg_prep_policy_head enforce-scope audit
	kg_prep_signed_rule tmp exec /tmp/ "mode: enforce" "log: all"
	kg_prep_signed_rule apps "exec, mmap_exec, mprotect_exec" "$KG_GUEST_DATA/signed/" \
		"mode: enforce" "log: all"
	cat <<YAML
  - name: plugins
    operations: [exec, mmap_exec, mprotect_exec]
    paths: [$KG_GUEST_DATA/signed/plugins/]
    require: allow
    mode: enforce
    log: all
YAML
} >"$KG_STAGE/policy.yaml"
