# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# sign-policy: with a policy-signing anchor only policies the kernel
# verified take effect. A signed policy loads; unsigned, tampered (one
# byte), signed by another key, older and same-version-other-digest
# policies are refused with their reason while the policy in force keeps
# deciding; root writing keygate's maps directly changes nothing; the
# floor survives the end of the kernel state (keygate stop; the reboot is
# in the system tier).
# kg-timeout: 400
. /kg/scenarios/enforce-lib.sh
kg_keygate_has run || kg_fail "keygate run is not implemented in this build"
prog=$KG_DATA/bin/prog
pol=$KG_OUT/policy
floor=$KG_OUT/floor
anchor=cert:$KG_DATA/keys/polsign.pem
mkdir -p "$pol"

install_policy() { # install_policy NAME: policy.yaml and its policy.sig (if any)
	cp "$KG_DATA/$1/policy.yaml" "$pol/policy.yaml"
	rm -f "$pol/policy.sig"
	[ ! -e "$KG_DATA/$1/policy.sig" ] || cp "$KG_DATA/$1/policy.sig" "$pol/policy.sig"
}
reload_log=$KG_OUT/reload.out
# refuse NAME REASON: reloading NAME fails, the record says why, and the
# policy in force (strict-v2) still denies.
refuse() {
	install_policy "$1"
	if keygate policy reload --pid "$KG_AGENT_PID" --timeout 60 >"$reload_log" 2>&1; then
		cat "$reload_log" "$KG_AGENT_LOG"
		kg_fail "policy $1 was accepted"
	fi
	kg_wait_for_line "$KG_OUT/audit.log" "\"type\":\"policy_reload\".*\"result\":\"rejected: $2" 15 ||
		{ cat "$KG_OUT/audit.log"; kg_fail "no policy_reload record rejecting $1 with reason $2"; }
	kge_expect errno:EPERM kg-exec "$prog"
	kg_log "$1 refused: $(grep -o "\"result\":\"rejected: $2[^\"]*\"" "$KG_OUT/audit.log" | tail -n1)"
}

# inject: root's code inside keygate's own executable (the guard lets it
# open keygate's maps) writes an open-door config into the slot not in
# force and flips active_generation to it.
inject() {
	KG_INJECT_MAPS=/sys/fs/bpf/keygate/maps LD_PRELOAD=$KG_DATA/lib/libkg-inject.so \
		/usr/sbin/keygate status >"$KG_OUT/inject.out" 2>&1
	grep -q "^inject: result=ok" "$KG_OUT/inject.out" ||
		{ cat "$KG_OUT/inject.out"; kg_fail "the injected writes did not happen"; }
	kg_log "$(grep '^inject:' "$KG_OUT/inject.out")"
}

# Control: without keygate the program runs.
kge_expect ok kg-exec "$prog"

# Control: without a policy-signing anchor, the injected writes open the door.
install_policy v2
kg_start_agent -j run --policy "$pol" --log "$KG_OUT/unsigned.log"
grep -q "programs attached; unsigned" "$KG_AGENT_LOG" || { cat "$KG_AGENT_LOG"; kg_fail "not unsigned"; }
keygate status >"$KG_OUT/status.out" 2>&1
grep -q "policy signing: *unsigned" "$KG_OUT/status.out" ||
	{ cat "$KG_OUT/status.out"; kg_fail "keygate status does not say unsigned"; }
kge_expect errno:EPERM kg-exec "$prog"
inject
kge_expect ok kg-exec "$prog"
kg_log "control: unsigned mode, injected generation flip lets the program run"
kg_stop_agent

# An unsigned policy cannot start enforcing where an anchor is set.
install_policy unsigned
if /usr/sbin/keygate run --policy "$pol" --policy-anchor "$anchor" --policy-floor "$floor" \
	--log "$KG_OUT/start.log" >"$KG_OUT/start.out" 2>&1; then
	kg_fail "the agent started with an unsigned policy and an anchor"
fi
grep -q "refused: unsigned" "$KG_OUT/start.out" || { cat "$KG_OUT/start.out"; kg_fail "no 'refused: unsigned'"; }
grep -q '"type":"policy_load".*"signer":null.*"result":"rejected: unsigned' "$KG_OUT/start.log" ||
	{ cat "$KG_OUT/start.log"; kg_fail "no policy_load record for the unsigned start"; }
kg_log "unsigned start refused: $(grep -o 'refused: unsigned[^;]*' "$KG_OUT/start.out")"
kg_end_enforcement
kge_expect ok kg-exec "$prog"

# The signed policy loads; the kernel verified it.
install_policy v2
keygate policy check "$pol" --anchor "$KG_DATA/keys/polsign.pem" >"$KG_OUT/check.out" ||
	{ cat "$KG_OUT/check.out"; kg_fail "policy check does not call v2's signature valid"; }
kg_start_agent -j run --policy "$pol" --policy-anchor "$anchor" --policy-floor "$floor" \
	--log "$KG_OUT/audit.log"
grep -q "signature verified by the kernel, signer CN=keygate test key polsign" "$KG_AGENT_LOG" ||
	{ cat "$KG_AGENT_LOG"; kg_fail "the agent does not say the kernel verified the signature"; }
grep -q '"type":"policy_load".*"signer":"CN=keygate test key polsign".*"result":"applied"' \
	"$KG_OUT/audit.log" || { cat "$KG_OUT/audit.log"; kg_fail "no applied policy_load record with the signer"; }
kge_expect errno:EPERM kg-exec "$prog"
kg_expect_event op=exec verdict=deny rule=strict-v2 path="$prog"
grep -q "^version 2 digest " "$floor" || kg_fail "floor file: $(cat "$floor" 2>&1)"
keygate status >"$KG_OUT/status.out" 2>&1
grep -q "policy signing: *signed" "$KG_OUT/status.out" ||
	{ cat "$KG_OUT/status.out"; kg_fail "keygate status does not say policies must be signed"; }

refuse unsigned unsigned
refuse other unknown-signer
refuse tampered bad-signature
kg_expect_no_event rule=strict-w2
refuse older rollback
refuse samever same-version
before=$(kg_count_events op=exec verdict=deny rule=strict-v2 path="$prog")
kge_expect errno:EPERM kg-exec "$prog"
i=0
while [ "$(kg_count_events op=exec verdict=deny rule=strict-v2 path="$prog")" -le "$before" ] && [ $i -lt 50 ]; do
	sleep 0.2
	i=$((i + 1))
done
[ "$(kg_count_events op=exec verdict=deny rule=strict-v2 path="$prog")" -gt "$before" ] ||
	kg_fail "after the refused reloads the exec was not denied by strict-v2"

# Root writing keygate's maps directly: control first (root can write a map
# of its own), then keygate's policy config, generation and gate.
ctl=/sys/fs/bpf/kg-sign-policy-ctl
bpftool map create "$ctl" type array key 4 value 4 entries 1 name kgctl ||
	kg_fail "control: bpftool map create failed"
kg_expect_ok bpftool map update pinned "$ctl" key 0 0 0 0 value 1 0 0 0
rm -f "$ctl"
zeros() { i=0; while [ $i -lt "$1" ]; do printf '0 '; i=$((i + 1)); done; }
maps=/sys/fs/bpf/keygate/maps
for m in $(ls "$maps"); do
	case $m in kg_config | kg_policy_gate | bss) ;; *) continue ;; esac
	size=$(bpftool -j map show pinned "$maps/$m" 2>/dev/null | sed -n 's/.*"bytes_value":\([0-9]*\).*/\1/p')
	[ -n "$size" ] && kg_fail "bpftool could open keygate's map $m"
	if bpftool map update pinned "$maps/$m" key 1 0 0 0 value $(zeros 112) >"$KG_OUT/w.out" 2>&1; then
		kg_fail "root wrote keygate's map $m"
	fi
	grep -q "Operation not permitted" "$KG_OUT/w.out" || { cat "$KG_OUT/w.out"; kg_fail "writing $m: not EPERM"; }
	kg_log "writing keygate's map $m: EPERM"
done
kge_expect errno:EPERM kg-exec "$prog"
# The same injected writes as in the control: the kernel never accepted
# that generation, so nothing changes.
inject
kge_expect errno:EPERM kg-exec "$prog"
kg_log "signed mode: injected generation flip changes no decision"

# A newer signed policy is accepted; the floor follows it.
install_policy v3
keygate policy reload --pid "$KG_AGENT_PID" --timeout 60 >"$reload_log" 2>&1 ||
	{ cat "$reload_log" "$KG_AGENT_LOG"; kg_fail "signed v3 was refused"; }
kge_expect errno:EPERM kg-exec "$prog"
kg_expect_event op=exec verdict=deny rule=strict-v3 path="$prog"
grep -q "^version 3 digest " "$floor" || kg_fail "floor file after v3: $(cat "$floor" 2>&1)"
kg_stop_agent
[ "$KG_AGENT_STATUS" = 0 ] || kg_fail "agent exit status $KG_AGENT_STATUS"

# The kernel state is gone (as after a reboot); the floor on disk holds.
kge_expect ok kg-exec "$prog"
install_policy older
if /usr/sbin/keygate run --policy "$pol" --policy-anchor "$anchor" --policy-floor "$floor" \
	--log "$KG_OUT/start2.log" >"$KG_OUT/start2.out" 2>&1; then
	kg_fail "the agent started with an older signed policy than the floor"
fi
grep -q "refused: rollback" "$KG_OUT/start2.out" || { cat "$KG_OUT/start2.out"; kg_fail "no 'refused: rollback'"; }
grep -q '"type":"policy_load".*"signer":"CN=keygate test key polsign".*"result":"rejected: rollback' \
	"$KG_OUT/start2.log" || { cat "$KG_OUT/start2.log"; kg_fail "no policy_load record rejecting the rollback"; }
kg_log "older policy after the kernel state ended: $(grep -o 'refused: rollback[^;]*' "$KG_OUT/start2.out")"
kg_end_enforcement
kg_pass
