# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# enforce-firmware: firmware files need the organisation's signature. The
# kg_fwload test module requests the firmware named by its parameter at
# init and returns request_firmware()'s error. A denied read makes the
# firmware loader move on to the next search path, so the process sees
# ENOENT (not EPERM); the kernel log shows the -EPERM of the read itself.
# kg_fwload carries no kernel module signature: with module.sig_enforce off
# it loads because its fs-verity signature satisfies the module_file rule.
. /kg/scenarios/enforce-lib.sh
kge_setup
kg_require_probe modules
sig_enforce=$(cat /sys/module/module/parameters/sig_enforce 2>/dev/null)
kg_log "module.sig_enforce=$sig_enforce"
[ "$sig_enforce" = Y ] && kg_skip "module.sig_enforce=Y (the kernel rejects a module without its signature)"
fw=$KG_DATA/fw
ko=$KG_DATA/mod/kg_fwload.ko
printf '%s' "$fw" >/sys/module/firmware_class/parameters/path ||
	kg_fail "cannot set the firmware search path"

kge_start "$KG_DATA/policy.yaml"

kge_expect ok kg-module finit "$ko" plain name=kg-fw-signed.bin
kg_expect_event op=module_file verdict=allow reason=verified rule=org-modules anchor=org path="$ko"
kg_expect_event op=firmware verdict=allow reason=verified rule=org-firmware anchor=org path="$fw/kg-fw-signed.bin"
kge_expect ok kg-module remove kg_fwload

kge_expect errno:ENOENT kg-module finit "$ko" plain name=kg-fw-unsigned.bin
kg_expect_event op=firmware verdict=deny reason=no-signature rule=org-firmware path="$fw/kg-fw-unsigned.bin"
dmesg | grep -F "loading $fw/kg-fw-unsigned.bin failed with error -1" ||
	kg_fail "the kernel log does not show the firmware read failing with -EPERM"

kg_stop_agent
printf '' >/sys/module/firmware_class/parameters/path
kg_pass
