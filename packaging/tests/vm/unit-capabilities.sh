# SPDX-License-Identifier: LGPL-2.1-only OR BSD-2-Clause
# unit-capabilities: the agent enforces with nothing but the capability
# bounding set keygate.service gives it (CapabilityBoundingSet=, applied with
# setpriv as systemd applies it, plus no_new_privs): it attaches, verifies a
# signed program, denies an unsigned one, reloads on SIGHUP, and detaches on
# SIGTERM. With an empty bounding set it must refuse to start, so this
# scenario can tell a sufficient set from an ignored one.
# kg-timeout: 180
. "$KG_DATA/enforce-lib.sh"
kge_setup
bin=$KG_DATA/bin
bset=$(cat "$KG_DATA/bounding-set")
mask=$(cat "$KG_DATA/bounding-mask")
policy=$KG_DATA/enforce.yaml
kge_policy "$policy"

# unit_start BSET: keygate run under setpriv; waits for "keygate: enforcing"
# (returns 0) or the agent's exit (returns 1, status in KG_AGENT_STATUS).
unit_start() {
	: >"$KG_AGENT_LOG"
	LD_LIBRARY_PATH=$KG_DATA/tools "$KG_DATA/tools/setpriv" --bounding-set "$1" \
		--no-new-privs -- /usr/sbin/keygate -j run --log "$KG_OUT/audit.log" \
		--policy "$policy" >"$KG_AGENT_LOG" 2>&1 &
	KG_AGENT_PID=$!
	kg_wait_enforcing 30
}

if unit_start -all; then
	kg_stop_agent
	kg_fail "agent enforced with an empty capability bounding set: the set is not applied"
fi
kg_log "empty bounding set: agent refused to start (status $KG_AGENT_STATUS) as it must"
[ -z "$(kge_our_progs)" ] || kg_fail "programs left attached by the refused agent"

if ! unit_start "$bset"; then
	cat "$KG_AGENT_LOG"
	kg_fail "agent exited with status $KG_AGENT_STATUS under the unit's bounding set $bset"
fi
got=$(sed -n 's/^CapBnd:[[:space:]]*//p' "/proc/$KG_AGENT_PID/status")
[ "$got" = "$mask" ] || kg_fail "agent CapBnd $got, expected $mask ($bset)"
kg_log "agent enforcing with CapBnd $got ($bset)"
kge_expect ok kg-exec "$bin/signed"
kg_expect_event op=exec verdict=allow reason=verified rule=bin anchor=org path="$bin/signed"
kge_expect errno:EPERM kg-exec "$bin/unsigned"
kg_expect_event op=exec verdict=deny reason=no-signature rule=bin path="$bin/unsigned"

kill -HUP "$KG_AGENT_PID"
_i=0
while [ "$(grep -c 'keygate: enforcing' "$KG_AGENT_LOG")" -lt 2 ]; do
	_i=$((_i + 1))
	[ "$_i" -le 100 ] || { cat "$KG_AGENT_LOG"; kg_fail "no reload within 20 s of SIGHUP"; }
	sleep 0.2
done
kg_log "SIGHUP reload applied under the unit's bounding set"
kge_expect errno:EPERM kg-exec "$bin/unsigned"

kg_stop_agent
[ "$KG_AGENT_STATUS" = 0 ] || kg_fail "agent exit status $KG_AGENT_STATUS after SIGTERM"
_left=$(kge_our_progs)
[ -z "$_left" ] || kg_fail "programs still loaded after the agent exited: $_left"

kg_pass
