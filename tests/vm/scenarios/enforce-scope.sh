# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# kg-timeout: 420
# enforce-scope: a scope is bound to the file, not to the caller's view.
# An unprivileged user (uid 1000, user namespaces enabled) tries to move an
# unsigned program out of a `signed` scope (/tmp/, signed/) or into an
# `allow` sub-scope (signed/plugins/) with a bind mount, a chroot and
# pivot_root; root tries a chroot. Each attack first runs without keygate
# (the control: it works), then under the policy: EPERM and a deny event
# of the covering rule. Under the same mixed-mode policy (global audit,
# enforcing rules): a path longer than PATH_MAX is decided by its rule, a
# file nested deeper than KG_SCOPE_DEPTH_MAX (1024) and a file mapped
# before the policy fail as the rule says (deny), not as the global mode.
. /kg/scenarios/enforce-lib.sh
kge_setup
D=$KG_DATA
U=1000
P=$D/signed/plugins
evil_in_jail=$P/busybox # the path inside the jail and after pivot_root

# Debian enables unprivileged user namespaces on an installed system; make
# sure the guest does too, and say what it had.
userns=/proc/sys/kernel/unprivileged_userns_clone
if [ -e "$userns" ]; then
	kg_log "$userns was $(cat "$userns"); max_user_namespaces $(cat /proc/sys/user/max_user_namespaces)"
	echo 1 >"$userns" || kg_fail "cannot enable unprivileged user namespaces"
fi

cp "$D/signed/home/busybox" /tmp/busybox && chmod 0755 /tmp/busybox || kg_fail "copy to /tmp"

long=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
# 60 directories of 79 bytes: a path of about 4800 bytes, past PATH_MAX.
kge_expect ok kg-deep make "$D/signed/home" 60 "$long" "$D/signed/home/busybox"
# Deeper than the kernel's walk goes (KG_SCOPE_DEPTH_MAX).
kge_expect ok kg-deep make "$D/signed/home" 1100 d "$D/signed/home/busybox"

# The attacks, as uid 1000 unless noted; RESULT is ok without keygate.
attacks() {
	_r=$1
	kge_expect "$_r" kg-userns $U exec /tmp/busybox true
	kge_expect "$_r" kg-userns $U bind /tmp "$D/mnt" "$D/mnt/busybox" true
	kge_expect "$_r" kg-userns $U chroot /tmp /busybox true
	kge_expect "$_r" kg-userns $U exec "$D/signed/home/busybox" true
	kge_expect "$_r" kg-userns $U bind "$D/signed/home" "$P" "$P/busybox" true
	kge_expect "$_r" kg-userns $U chroot "$D/signed/home/jail" "$evil_in_jail" true
	kge_expect "$_r" kg-userns $U pivot "$D/signed/home" jail "$evil_in_jail" true
	kge_expect "$_r" kg-userns 0 chroot "$D/signed/home/jail" "$evil_in_jail" true
	kge_expect "$_r" kg-deep exec "$D/signed/home" 60 "$long" busybox true
}

kg_log "controls: every attack works without keygate"
attacks ok
kge_expect ok kg-deep exec "$D/signed/home" 1100 d busybox true
kge_expect ok kg-mapexec mprotect "$D/signed/home/busybox"
# A read-only mapping made before the agent starts, made executable after.
kg-mapexec premapped "$D/signed/home/busybox" "$KG_OUT/go" >"$KG_OUT/premapped.out" 2>&1 &
premapped_pid=$!
kg_wait_for_line "$KG_OUT/premapped.out" '^mapped' 30 || kg_fail "premapped helper did not map"

kge_start "$D/policy.yaml"
touch "$KG_OUT/go"
wait "$premapped_pid"
grep -q '^result=errno:EPERM$' "$KG_OUT/premapped.out" || {
	cat "$KG_OUT/premapped.out"
	kg_fail "mprotect(PROT_EXEC) of a mapping made before the policy was not refused"
}
kg_expect_event op=mprotect_exec verdict=deny reason=internal-error error=ENODATA
kg_log "pre-mapped file: mprotect refused (EPERM), deny internal-error ENODATA"

kg_log "under keygate: every attack is refused by the rule of the file's real scope"
attacks errno:EPERM
[ "$(kg_count_events op=exec verdict=deny rule=tmp reason=not-verity)" -ge 3 ] ||
	kg_fail "expected 3 denials by rule tmp"
[ "$(kg_count_events op=exec verdict=deny rule=apps reason=not-verity)" -ge 6 ] ||
	kg_fail "expected 6 denials by rule apps"
kg_log "3 denials by rule tmp, 6 by rule apps (not-verity)"

# Deeper than the walk goes: fails before the rule is known, and the
# policy says deny for exec (the enforcing rules), whatever the global mode.
kge_expect errno:EPERM kg-deep exec "$D/signed/home" 1100 d busybox true
kg_expect_event op=exec verdict=deny reason=internal-error error=ELOOP

# What the scopes allow still runs: the signed app, the plugin in place.
kge_expect ok kg-userns $U exec "$D/signed/app"
kg_expect_event op=exec verdict=allow reason=verified rule=apps
kge_expect ok kg-userns $U exec "$P/tool"
kg_expect_event op=exec verdict=allow reason=allowed-by-rule rule=plugins
# The allow scope follows its directory into any view of it.
kge_expect ok kg-userns $U bind "$P" "$D/mnt" "$D/mnt/tool"

kg_stop_agent
[ "$KG_AGENT_STATUS" = 0 ] || kg_fail "agent exit status $KG_AGENT_STATUS after SIGTERM"
kg_pass
