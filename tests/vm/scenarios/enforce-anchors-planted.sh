# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# enforce-anchors-planted: another user cannot lend its keyring to an
# anchor named by description. The agent runs under a private session
# keyring (as systemd starts services), where keyutils' find-by-description
# (keyctl's "%keyring:NAME") misses the admin's keyring in root's user
# keyring and scans /proc/keys instead, in serial order: a same-description
# keyring of uid 1000, viewable by everyone and with a lower serial, holding
# that user's certificate, came first. The policy names the anchor as
# keygate-policy(5) shows it: keyring: "%keyring:ops".
# kg-timeout: 400
. /kg/scenarios/enforce-lib.sh
kge_setup

attacker=1000
# The admin's keyring, as keygate-policy(5) describes it. Its serial is
# random; one above 2^26 leaves the other user a fair chance per try.
admin=$(keyctl newring ops @u) || kg_fail "keyctl newring ops @u failed"
while [ "$admin" -lt 67108864 ]; do
	admin=$(keyctl newring ops @u) || kg_fail "keyctl newring ops @u failed"
done
keyctl padd asymmetric "" "$admin" <"$KG_DATA/keys/org.der" >/dev/null ||
	kg_fail "keyctl padd of org.der into $admin failed"
kg_log "the admin's keyring ops is $admin (in root's user keyring)"

# The other user plants its own "ops" before the agent starts.
kg-as $attacker kg-keyring plant ops "$admin" "$KG_DATA/keys/user.der" >"$KG_OUT/plant.out" 2>&1 ||
	{ cat "$KG_OUT/plant.out"; kg_fail "uid $attacker could not plant its keyring"; }
planted=$(sed -n 's/^serial=//p' "$KG_OUT/plant.out")
keyctl describe "$planted" >"$KG_OUT/planted.out" 2>&1 ||
	{ cat "$KG_OUT/planted.out"; kg_fail "the planted keyring $planted is gone"; }
kg_log "uid $attacker planted keyring ops $planted: $(cat "$KG_OUT/planted.out")"

# Control: in a private session, the description lookup keyutils (and
# keygate before) used takes the other user's keyring.
found=$(keyctl session - keyctl describe %keyring:ops 2>/dev/null | sed -n 's/^ *\([0-9]*\):.*/\1/p')
[ "$found" = "$planted" ] ||
	kg_fail "control: keyctl's %keyring:ops in a new session gave '$found', not the planted $planted"
kg_log "control: keyctl's %keyring:ops in a private session is the planted $planted"

# keygate_session_start POLICY: the agent in a new anonymous session keyring.
keygate_session_start() {
	kge_policy "$1"
	: >"$KG_AGENT_LOG"
	keyctl session - /usr/sbin/keygate -j run --policy "$1" --log "$KG_OUT/audit.log" \
		>"$KG_AGENT_LOG" 2>&1 &
	KG_AGENT_PID=$!
	echo "$KG_AGENT_PID" >"$KG_OUT/agent.pid"
	if ! kg_wait_enforcing "$KG_START_TIMEOUT"; then
		cat "$KG_AGENT_LOG"
		kg_fail "the agent exited with status $KG_AGENT_STATUS before enforcing"
	fi
}

# keygate_session_refuses POLICY MESSAGE: the agent must not start.
keygate_session_refuses() {
	kge_policy "$1"
	keyctl session - /usr/sbin/keygate run --policy "$1" >"$KG_OUT/refused.out" 2>&1
	_status=$?
	if [ "$_status" -eq 0 ] || ! grep -qF -- "$2" "$KG_OUT/refused.out"; then
		cat "$KG_OUT/refused.out"
		kg_fail "the agent (status $_status) did not refuse with: $2"
	fi
	kg_log "refused (status $_status): $(grep -F -- "$2" "$KG_OUT/refused.out")"
}

keygate_session_start "$KG_DATA/policy.yaml"
grep -qF "anchor ops: keyring 'ops' in the user keyring of uid 0 (serial $admin): owner uid 0" "$KG_AGENT_LOG" ||
	{ cat "$KG_AGENT_LOG"; kg_fail "the agent did not log the admin's keyring $admin as anchor ops"; }
kg_log "$(grep -F "anchor ops:" "$KG_AGENT_LOG")"
kge_expect ok kg-as $attacker kg-exec "$KG_DATA/planted/org"
kg_expect_event op=exec verdict=allow reason=verified rule=planted anchor=ops path="$KG_DATA/planted/org"
kge_expect errno:EPERM kg-as $attacker kg-exec "$KG_DATA/planted/user"
kg_expect_event op=exec verdict=deny reason=unknown-signer rule=planted path="$KG_DATA/planted/user"
kg_stop_agent

# Without the admin's keyring, the other user's is still not taken.
keyctl unlink "$admin" @u >/dev/null || kg_fail "keyctl unlink $admin @u failed"
found=$(keyctl session - keyctl describe %keyring:ops 2>/dev/null | sed -n 's/^ *\([0-9]*\):.*/\1/p')
[ "$found" = "$planted" ] || kg_fail "control: %keyring:ops gave '$found', not the planted $planted"
keygate_session_refuses "$KG_DATA/policy.yaml" \
	"anchor ops: keyring 'ops' not found in the agent's process or session keyring or the user keyring of uid 0"

# Named by serial, the other user's keyring is refused for its owner.
sed "s/@RING@/$planted/" "$KG_DATA/policy-serial.yaml.in" >"$KG_OUT/policy-serial.yaml"
keygate_session_refuses "$KG_OUT/policy-serial.yaml" \
	"anchor ops: keyring serial $planted (owner uid $attacker, gid $attacker, permissions 3f3f0009) cannot be a trust anchor: it is not owned by root"
kg_pass
