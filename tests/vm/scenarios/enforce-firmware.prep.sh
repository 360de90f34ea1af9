#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# enforce-firmware (host side): the kg_fwload test module built for the
# guest kernel (fs-verity-signed with the organisation's key, no kernel
# module signature) and two firmware files, one signed, one not.
. "$KG_SRC/tests/vm/fixtures/enforce-prep.sh"

: "${KG_KERNEL_VERSION:?KG_KERNEL_VERSION is not set}"
kg_prep_key org
ko=$("$KG_SRC/tests/vm/fixtures/build-test-module.sh" "$KG_KERNEL_VERSION" \
	"$KG_SRC/tests/vm/fixtures/kg_fwload" "$(mktemp -d)") || kg_prep_die "cannot build kg_fwload"
kg_prep_copy "$ko" mod/kg_fwload.ko
kg_prep_sign mod/kg_fwload.ko org
mkdir -p "$KG_STAGE/fw"
head -c 8192 /dev/urandom >"$KG_STAGE/fw/kg-fw-signed.bin"
head -c 8192 /dev/urandom >"$KG_STAGE/fw/kg-fw-unsigned.bin"
kg_prep_sign fw/kg-fw-signed.bin org
kg_prep_verity fw/kg-fw-unsigned.bin

{
	kg_prep_policy_head enforce-firmware enforce
	kg_prep_signed_rule org-modules module_file "$KG_GUEST_DATA/mod/" "log: all"
	kg_prep_signed_rule org-firmware firmware "$KG_GUEST_DATA/fw/" "log: all"
} >"$KG_STAGE/policy.yaml"
