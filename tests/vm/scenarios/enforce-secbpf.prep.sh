#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# enforce-secbpf (host side): a signed and an unsigned copy of one program;
# a policy whose signature_xattr is security.bpf.keygate.sig (the guest, as
# root, copies each signature there: only root can set security.* names).
. "$KG_SRC/tests/vm/fixtures/enforce-prep.sh"

kg_prep_key org
true_bin=$(kg_prep_helper kg-true)
kg_prep_copy "$true_bin" bin/signed
kg_prep_variant "$true_bin" bin/user-only x
kg_prep_variant "$true_bin" bin/unsigned xx
kg_prep_variant "$true_bin" bin/private xxx
kg_prep_sign bin/signed org
kg_prep_sign bin/user-only org
kg_prep_sign bin/private org
kg_prep_verity bin/unsigned
chmod 0711 "$KG_STAGE/bin/private"

{
	echo "keygate: 1"
	echo "policy: {name: secbpf, version: 1, mode: enforce, default: allow, signature_xattr: security.bpf.keygate.sig}"
	kg_prep_policy_head secbpf enforce | sed '1,2d'
	kg_prep_signed_rule bin exec "$KG_GUEST_DATA/bin/" "log: all"
} >"$KG_STAGE/policy.yaml"
