# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# enforce-mmap: executable mappings of files (dlopen, the dynamic loader run
# directly, mprotect adding PROT_EXEC) under a `require: signed` rule.
. /kg/scenarios/enforce-lib.sh
kge_setup
kge_start "$KG_DATA/policy.yaml"
lib=$KG_DATA/lib
bin=$KG_DATA/bin

# glibc turns the mmap's EPERM into "failed to map segment" without the
# errno; the event carries the decision, kg-mapexec mmap the errno.
kge_expect dlopen-failed kg-mapexec dlopen "$lib/libunsigned.so"
grep -qF "failed to map segment" "$KG_OUT/helper.out" || kg_fail "dlopen failed for another reason"
kg_expect_event op=mmap_exec verdict=deny reason=no-signature rule=code path="$lib/libunsigned.so"
kge_expect errno:EPERM kg-mapexec mmap "$lib/libunsigned.so"
kge_expect ok kg-mapexec dlopen "$lib/libsigned.so"
# No reason asserted: ld.so maps the file without PROT_EXEC first, and
# keygate verifies then (for a later mprotect) without logging, so the
# PROT_EXEC mapping may be a cache hit. The anchor shows who signed it.
kg_expect_event op=mmap_exec verdict=allow rule=code anchor=org path="$lib/libsigned.so"

# `ld.so ./unsigned`: exec of the loader is not covered, its PROT_EXEC
# mapping of the program is.
ldso=
for l in /lib64/ld-linux-x86-64.so.2 /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2; do
	[ -e "$l" ] && ldso=$l && break
done
[ -n "$ldso" ] || kg_fail "no dynamic loader in the guest"
"$ldso" "$bin/unsigned" >"$KG_OUT/ldso.out" 2>&1 && kg_fail "ld.so ran the unsigned program"
grep -qF "failed to map segment" "$KG_OUT/ldso.out" || kg_fail "ld.so failed otherwise: $(cat "$KG_OUT/ldso.out")"
kg_expect_event op=mmap_exec verdict=deny reason=not-verity rule=code path="$bin/unsigned"
kg_expect_ok "$ldso" "$bin/signed"
kg_expect_event op=mmap_exec verdict=allow rule=code path="$bin/signed"

# mprotect(PROT_EXEC) is decided from the verdict cache (the hook cannot
# sleep): allowed for a file verified under this policy, denied otherwise.
kge_expect ok kg-mapexec mmap "$bin/signed"
kge_expect ok kg-mapexec mprotect "$bin/signed"
kge_expect errno:EPERM kg-mapexec mprotect "$bin/unsigned"
kg_expect_event op=mprotect_exec verdict=deny rule=code path="$bin/unsigned"
kge_expect errno:EPERM kg-mapexec mprotect "$lib/libunsigned.so"
kg_expect_event op=mprotect_exec verdict=deny rule=code path="$lib/libunsigned.so"

kg_stop_agent
kg_pass
