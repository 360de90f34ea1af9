# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# enforce-secbpf: signatures in a security.bpf.* xattr (policy
# signature_xattr: security.bpf.keygate.sig). Only root can set such a name,
# unlike user.* which the file's owner can set. Where the kernel reads it
# (7.x; probe check security-bpf-xattr), a signed program runs, an unsigned
# one and one signed only in user.keygate.sig fail with EPERM and their
# events; the caller's read permission is still checked (a user who may
# execute but not read a signed 0711 program fails with internal-error
# EACCES, as with user.*). Where the kernel cannot read it (6.12), the
# agent refuses the policy at start with the probe's reason.
# kg-timeout: 300
. /kg/scenarios/enforce-lib.sh
kge_setup
bin=$KG_DATA/bin
for f in signed private; do
	setfattr -n security.bpf.keygate.sig -v "0x$(od -An -tx1 -v "$bin/$f.sig" | tr -d ' \n')" "$bin/$f" ||
		kg_fail "root could not set security.bpf.keygate.sig on $f"
done

[ -s /tmp/kg/probe.txt ] || /usr/sbin/keygate probe >/tmp/kg/probe.txt 2>&1
if ! grep -qE '^ok +security-bpf-xattr ' /tmp/kg/probe.txt; then
	reason=$(sed -n 's/^no \{1,\}security-bpf-xattr \{1,\}//p' /tmp/kg/probe.txt)
	[ -n "$reason" ] || kg_fail "keygate probe has no security-bpf-xattr line"
	kge_expect_refusal "$KG_DATA/policy.yaml" "security-bpf-xattr: $reason"
	kg_log "policy with a security.bpf. signature_xattr refused: $reason"
	kg_pass
fi

# The owner of a file can set user.* but not security.* xattrs on it
# (util-linux setpriv by its path: busybox sh runs its own applet first).
owned=$KG_DATA/owned
cp "$bin/unsigned" "$owned" && chown 1000:1000 "$owned"
/usr/local/bin/setpriv --reuid 1000 --regid 1000 --clear-groups setfattr -n user.keygate.sig -v 0x30 "$owned" \
	>"$KG_OUT/setfattr.err" 2>&1 || kg_fail "the owner could not set user.keygate.sig: $(cat "$KG_OUT/setfattr.err")"
/usr/local/bin/setpriv --reuid 1000 --regid 1000 --clear-groups setfattr -n security.bpf.keygate.sig -v 0x30 "$owned" \
	>"$KG_OUT/setfattr.err" 2>&1 && kg_fail "a non-root owner set security.bpf.keygate.sig"
kg_log "a non-root owner cannot set security.bpf.keygate.sig: $(cat "$KG_OUT/setfattr.err")"

kge_start "$KG_DATA/policy.yaml"
kge_expect ok kg-exec "$bin/signed"
kg_expect_event op=exec verdict=allow reason=verified rule=bin anchor=org path="$bin/signed"
kge_expect errno:EPERM kg-exec "$bin/unsigned"
kg_expect_event op=exec verdict=deny reason=no-signature rule=bin path="$bin/unsigned"
# A signature in user.keygate.sig does not count under this policy.
kge_expect errno:EPERM kg-exec "$bin/user-only"
kg_expect_event op=exec verdict=deny reason=no-signature rule=bin path="$bin/user-only"
# Mode 0711: uid 1000 may execute it but not read it. The kernel checks
# the caller's read permission for security.bpf. names too (as for user.*):
# not verified yet, it fails as internal-error EACCES (a limit, documented).
/usr/local/bin/setpriv --reuid 1000 --regid 1000 --clear-groups kg-exec "$bin/private" >"$KG_OUT/private.out" 2>&1
private=$(sed -n 's/^result=//p' "$KG_OUT/private.out")
kg_log "uid 1000 executing the 0711 signed program: $private"
[ "$private" = errno:EPERM ] || kg_fail "uid 1000 running the unverified 0711 program: $private, expected errno:EPERM"
kg_expect_event op=exec verdict=deny reason=internal-error error=EACCES rule=bin path="$bin/private"
kg_stop_agent
[ "$KG_AGENT_STATUS" = 0 ] || kg_fail "agent exit status $KG_AGENT_STATUS after SIGTERM"
kg_pass
