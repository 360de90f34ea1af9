#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# enforce-kexec (host side): the guest's own kernel image (a bzImage the
# kernel's kexec probe accepts; not signed by a key the kernel knows, which
# the kernel tolerates without lockdown) fs-verity-signed with the
# organisation's key, and two small initramfs files, one signed, one not.
. "$KG_SRC/tests/vm/fixtures/enforce-prep.sh"

: "${KG_VMLINUZ:?KG_VMLINUZ is not set}"
kg_prep_key org
kg_prep_copy "$KG_VMLINUZ" boot/vmlinuz
kg_prep_sign boot/vmlinuz org
for i in signed unsigned; do
	(cd "$(mktemp -d)" && echo "keygate $i initramfs" >init &&
		echo init | cpio -o -H newc --quiet | gzip -1) >"$KG_STAGE/boot/initrd-$i.gz"
done
kg_prep_sign boot/initrd-signed.gz org
kg_prep_verity boot/initrd-unsigned.gz

{
	kg_prep_policy_head enforce-kexec enforce
	kg_prep_signed_rule boot-kexec kexec "$KG_GUEST_DATA/boot/" "log: all"
} >"$KG_STAGE/policy.yaml"
