# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# enforce-kexec: a kexec image and its initramfs both need the
# organisation's signature under a `kexec: signed` rule scoped to
# /data/enforce-kexec/boot/, and kexec_load from a buffer, which has no path
# to scope, follows that rule too and fails it (no-file).
# Attack: keep a trusted kernel and hand it an initramfs of one's own (it
# runs as the next boot's PID 1), or load an image from memory.
# kg-kexec unloads any image it loaded, so nothing is left to boot.
# kg-timeout: 360
. /kg/scenarios/enforce-lib.sh
kge_setup
boot=$KG_DATA/boot

# Control, no agent: the kernel itself takes the unsigned initramfs (the
# image's signature check does not bind without lockdown) and the buffer form.
kge_expect ok kg-kexec file "$boot/vmlinuz" "$boot/initrd-unsigned.gz"
kge_expect ok kg-kexec buffer

kge_start "$KG_DATA/policy.yaml"
kge_expect ok kg-kexec file "$boot/vmlinuz" "$boot/initrd-signed.gz"
kg_expect_event op=kexec verdict=allow reason=verified rule=boot-kexec anchor=org path="$boot/vmlinuz"
kg_expect_event op=kexec verdict=allow reason=verified rule=boot-kexec anchor=org path="$boot/initrd-signed.gz"

kge_expect errno:EPERM kg-kexec file "$boot/vmlinuz" "$boot/initrd-unsigned.gz"
kg_expect_event op=kexec verdict=deny reason=no-signature rule=boot-kexec path="$boot/initrd-unsigned.gz"

kge_expect errno:EPERM kg-kexec buffer
kg_expect_event op=kexec verdict=deny reason=no-file rule=boot-kexec path=
kg_stop_agent
kg_pass
