# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# enforce-modules: kernel modules from files (finit_module, plain and
# MODULE_INIT_COMPRESSED_FILE, which newer kernels read as
# READING_MODULE_COMPRESSED) need the organisation's fs-verity signature;
# modules from a buffer (init_module) are decided by the policy alone, and
# their records name the module.
# kg-timeout: 480
. /kg/scenarios/enforce-lib.sh
kge_setup
kg_require_probe modules
mod=$KG_DATA/mod
# The kernel's own module signature check must not be what decides here.
sig_enforce=$(cat /sys/module/module/parameters/sig_enforce 2>/dev/null)
kg_log "module.sig_enforce=$sig_enforce"
[ "$sig_enforce" = Y ] && kg_skip "module.sig_enforce=Y (the kernel would decide first)"
for m in ts_kmp crc_itu_t; do
	grep -q "^$m " /proc/modules && kg_fail "$m is already loaded before the test"
done

kge_start "$KG_DATA/policy.yaml"

kge_expect errno:EPERM kg-module finit "$mod/unsigned/ts_kmp.ko"
kg_expect_event op=module_file verdict=deny reason=no-signature rule=modules path="$mod/unsigned/ts_kmp.ko"
kge_expect ok kg-module finit "$mod/signed/ts_kmp.ko"
kg_expect_event op=module_file verdict=allow reason=verified rule=modules anchor=org path="$mod/signed/ts_kmp.ko"
grep -q "^ts_kmp " /proc/modules || kg_fail "ts_kmp not in /proc/modules after a successful load"

# .ko.xz handed to the kernel compressed: the verity file is the .xz.
kge_expect errno:EPERM kg-module finit "$mod/unsigned/crc-itu-t.ko.xz" compressed
kg_expect_event op=module_file verdict=deny reason=no-signature rule=modules path="$mod/unsigned/crc-itu-t.ko.xz"
kge_expect ok kg-module finit "$mod/signed/crc-itu-t.ko.xz" compressed
kg_expect_event op=module_file verdict=allow reason=verified rule=modules anchor=org path="$mod/signed/crc-itu-t.ko.xz"
grep -q "^crc_itu_t " /proc/modules || kg_fail "crc_itu_t not in /proc/modules after a successful load"

kge_expect ok kg-module remove ts_kmp
kge_expect ok kg-module remove crc_itu_t

# modprobe of the compressed module: a kmod that lets the kernel decompress
# uses finit_module (the file is decided: signed loads, unsigned does not);
# kmod 30 decompresses itself and loads from memory, which this policy
# denies. Either way the unsigned module does not load.
modprobe_tree() {
	/usr/sbin/modprobe -d "$KG_DATA/tree-$1" crc-itu-t >"$KG_OUT/modprobe.out" 2>&1
	_rc=$?
	cat "$KG_OUT/modprobe.out"
	return $_rc
}
modprobe_tree unsigned && kg_fail "modprobe loaded the unsigned compressed module"
grep -q "Operation not permitted" "$KG_OUT/modprobe.out" || kg_fail "modprobe failed, but not with EPERM"
sleep 1 # decisions reach the agent asynchronously
if [ "$(kg_count_events op=module_file verdict=deny reason=no-signature path="$KG_DATA/tree-unsigned/lib/modules/$(uname -r)/extra/crc-itu-t.ko.xz")" -ge 1 ]; then
	kg_log "modprobe used finit_module: the unsigned file was refused"
	modprobe_tree signed || kg_fail "modprobe of the signed compressed module failed"
	kge_expect ok kg-module remove crc_itu_t
else
	kg_expect_event op=module_buffer verdict=deny reason=denied-by-rule rule=no-module-buffers module=crc_itu_t
	kg_log "modprobe loaded from memory (it decompresses itself): refused by no-module-buffers"
fi

# init_module(buffer): no file to verify; this policy denies buffers ...
# The record names the module from its own struct module and says whether
# it ends in a kernel module signature (the distribution's ts_kmp does).
kge_expect errno:EPERM kg-module init "$mod/signed/ts_kmp.ko"
kg_expect_event op=module_buffer verdict=deny reason=denied-by-rule rule=no-module-buffers module=ts_kmp
expect_module_signature() {
	_kg_filter "$KG_AGENT_LOG" op=module_buffer module=ts_kmp | grep -qF "\"module_signature\":$1" ||
		kg_fail "no module_buffer record for ts_kmp with module_signature $1"
	kg_log "module_buffer ts_kmp: module_signature $1"
}
expect_module_signature true
kg_stop_agent

# ... and this one allows them.
kge_start "$KG_DATA/buffers-allowed.yaml"
kge_expect ok kg-module init "$mod/nosig/ts_kmp.ko"
kg_expect_event op=module_buffer verdict=allow reason=allowed-by-rule rule=module-buffers module=ts_kmp
expect_module_signature false
kge_expect ok kg-module remove ts_kmp
kg_stop_agent

# The built-in default policy logs every module load as allowed: modprobe
# (kmod 30 decompresses .ko.xz itself and loads from a buffer; a plain .ko
# goes through finit_module) of the distribution's signed ts_kmp is never a
# would-deny.
kg_start_agent -j run --log "$KG_OUT/audit-default.log"
/usr/sbin/modprobe ts_kmp >"$KG_OUT/modprobe.out" 2>&1 || {
	cat "$KG_OUT/modprobe.out"
	kg_fail "modprobe ts_kmp failed under the default policy"
}
if /usr/sbin/modinfo -n ts_kmp | grep -q '\.xz$'; then
	kg_expect_event op=module_buffer verdict=allow reason=allowed-by-rule rule=module-loads module=ts_kmp
	expect_module_signature true
else
	kg_expect_event op=module_file verdict=allow reason=allowed-by-rule rule=module-loads
fi
kg_expect_no_event verdict=audit op=module_buffer
kg_expect_no_event verdict=audit op=module_file
kge_expect ok kg-module remove ts_kmp
kg_stop_agent
kg_pass
