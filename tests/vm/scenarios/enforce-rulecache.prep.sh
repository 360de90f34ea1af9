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

{
	kg_prep_policy_head enforce-rulecache enforce
	kg_prep_signed_rule protected exec "$KG_GUEST_DATA/covered/" "log: all"
	kg_prep_signed_rule secret open_read "$KG_GUEST_DATA/covered/secret/" "log: all"
} >"$KG_STAGE/policy.yaml"
