# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# enforce-uncovered: on every kernel, while the agent enforces a policy
# covering exec, mmap_exec, mprotect_exec and open_read for one directory,
# everything outside it works as without keygate (busybox applets, a
# dynamically linked program and its libraries, executable mappings, plain
# reads) and no decision fails as internal-error. Guards against a kernel
# change that makes every covered operation fail closed (on 7.x, task
# storage larger than kmalloc_nolock's 8 KiB limit denied every exec).
# On a kernel without bpf_get_file_xattr/bpf_get_fsverity_digest (6.1)
# keygate refuses every policy at start (exit 3, the probe's reason) and
# leaves nothing loaded.
# kg-timeout: 420
. /kg/scenarios/enforce-lib.sh
kge_setup
covered=$KG_DATA/covered

# uncovered_ok: the operations outside covered/ work, with no event.
uncovered_ok() {
	kg_expect_ok true
	kg_expect_ok grep -q kg_pass /kg/lib.sh
	kge_expect ok kg-exec /usr/local/bin/kg-true
	kge_expect ok kg-mapexec mmap /usr/local/bin/kg-true
	kge_expect ok kg-mapexec mprotect /usr/local/bin/kg-true
	kg_expect_ok /usr/sbin/keygate policy check "$KG_DATA/deny.yaml"
	kg_expect_no_event reason=internal-error
}

# A kernel keygate cannot run on: every policy is refused with the probe's
# reason, audit-only ones too, and nothing stays loaded.
[ -s /tmp/kg/probe.txt ] || /usr/sbin/keygate probe >/tmp/kg/probe.txt 2>&1
missing=$(sed -n 's/^FAIL \{1,\}\(kfunc:bpf_get_\(file_xattr\|fsverity_digest\)\) .*/\1/p' /tmp/kg/probe.txt | head -n1)
if [ -n "$missing" ]; then
	reason=$(sed -n "s/^FAIL \{1,\}$missing \{1,\}//p" /tmp/kg/probe.txt)
	grep -qF "keygate cannot enforce on this kernel: $missing: $reason" /tmp/kg/probe.txt ||
		kg_fail "keygate probe does not say it cannot enforce because of $missing"
	for policy in deny signed audit; do
		kge_expect_refusal "$KG_DATA/$policy.yaml" "$missing: $reason"
		[ -z "$(kge_our_progs)" ] || kg_fail "keygate programs loaded after a refused start"
		kg_log "$policy.yaml refused without $missing (exit 3, the probe's reason)"
	done
	kge_expect ok kg-exec /usr/local/bin/kg-true
	kg_pass
fi

# Covered by `deny`.
kge_start "$KG_DATA/deny.yaml"
uncovered_ok
kge_expect errno:EPERM kg-exec "$covered/signed"
kg_expect_event op=exec verdict=deny reason=denied-by-rule rule=covered-denied path="$covered/signed"
# execve's own open of the file is the exec, not an open_read.
kg_expect_no_event op=open_read path="$covered/signed"
kg_expect_errno EPERM cat "$covered/signed.sig"
kg_expect_event op=open_read verdict=deny reason=denied-by-rule rule=covered-denied path="$covered/signed.sig"
kg_stop_agent
[ "$KG_AGENT_STATUS" = 0 ] || kg_fail "agent exit status $KG_AGENT_STATUS after SIGTERM"

# Covered by `signed`.
# A signature xattr longer than keygate reads (4096 bytes; the data disk
# has ext4's ea_inode feature for values larger than a block).
sig=$(head -c 5000 /dev/zero | od -An -tx1 -v | tr -d ' \n')
setfattr -n user.keygate.sig -v "0x$sig" "$covered/oversized" || kg_fail "setfattr of 5000 bytes failed"
kge_start "$KG_DATA/signed.yaml"
uncovered_ok
kge_expect ok kg-exec "$covered/signed"
kg_expect_event op=exec verdict=allow reason=verified rule=covered anchor=org path="$covered/signed"
kge_expect ok kg-mapexec mmap "$covered/signed"
kge_expect errno:EPERM kg-exec "$covered/unsigned"
kg_expect_event op=exec verdict=deny reason=no-signature rule=covered path="$covered/unsigned"
kge_expect errno:EPERM kg-exec "$covered/oversized"
kg_expect_event op=exec verdict=deny reason=malformed-signature error=ERANGE rule=covered path="$covered/oversized"
kg_stop_agent
[ "$KG_AGENT_STATUS" = 0 ] || kg_fail "agent exit status $KG_AGENT_STATUS after SIGTERM"
kg_pass
