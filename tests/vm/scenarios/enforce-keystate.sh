# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# kg-timeout: 300
# enforce-keystate: a cached verdict holds only while the anchor keyring it
# was verified against is unchanged, and a signed program's outcome does
# not depend on who ran it first.
#  - keys: a program verified and then served from the cache (the control:
#    the cache is in use) must be denied, within the agent's keyring check
#    interval (1 s), once its signer's key is unlinked from the anchor
#    keyring, or once that keyring is revoked. The time is measured.
#  - readability: exec-only signed programs (0711, 4711) run by uid 1000
#    before and after root: the same outcome each time (denied: the
#    signature xattr is a `user.*` name the user may not read), never a
#    cache hit earned by root. A readable one still gets cache hits.
. /kg/scenarios/enforce-lib.sh
kge_setup
R=$KG_DATA/read
U=1000

kg_log "control: uid $U may run the exec-only programs without keygate"
kge_expect ok kg-userns $U exec "$R/x711"
kge_expect ok kg-userns $U exec "$R/x4711"

ring_of() {
	kg-keyring newring "$1" >"$KG_OUT/ring.out" || kg_fail "keyring: $(cat "$KG_OUT/ring.out")"
	_ring=$(sed -n 's/^serial=//p' "$KG_OUT/ring.out")
	kg-keyring addcert "$_ring" "$KG_DATA/keys/org.der" >"$KG_OUT/key.out" ||
		kg_fail "adding org.der to keyring $_ring: $(cat "$KG_OUT/key.out")"
	_key=$(sed -n 's/^serial=//p' "$KG_OUT/key.out")
	echo "$_ring $_key"
}
set -- $(ring_of kg-keystate-ring)
ring=$1 key=$2
set -- $(ring_of kg-keystate-ring2)
ring2=$1
sed "s/@RING@/$ring/; s/@RING2@/$ring2/" "$KG_DATA/policy.yaml.in" >"$KG_OUT/policy.yaml"
kge_start "$KG_OUT/policy.yaml"

# until_denied FILE: runs FILE every 50 ms until EPERM (at most 10 s);
# prints the milliseconds it took.
until_denied() {
	_t0=$(cut -d' ' -f1 /proc/uptime)
	_n=0
	while [ "$(kg-exec "$1" | sed -n 's/^result=//p')" = ok ]; do
		_n=$((_n + 1))
		[ "$_n" -lt 200 ] || kg_fail "$1 still allowed 10 s after its anchor changed"
		sleep 0.05
	done
	_t1=$(cut -d' ' -f1 /proc/uptime)
	echo "$_t0 $_t1" | awk '{ printf "%d\n", ($2 - $1) * 1000 }'
}

kge_expect ok kg-exec "$KG_DATA/ring/a"
kg_expect_event op=exec verdict=allow reason=verified rule=by-ring
kge_expect ok kg-exec "$KG_DATA/ring/a"
kg_expect_event op=exec verdict=allow reason=cache-hit rule=by-ring
keyctl unlink "$key" "$ring" >/dev/null || kg_fail "keyctl unlink $key $ring"
ms=$(until_denied "$KG_DATA/ring/a")
kg_expect_event op=exec verdict=deny reason=unknown-signer rule=by-ring
kg_log "key unlinked from the anchor keyring: cached program denied after $ms ms"
[ "$ms" -le 3000 ] || kg_fail "denied only after $ms ms (bound: 1 s check interval)"

kge_expect ok kg-exec "$KG_DATA/ring2/a"
kge_expect ok kg-exec "$KG_DATA/ring2/a"
kg_expect_event op=exec verdict=allow reason=cache-hit rule=by-ring2
keyctl revoke "$ring2" || kg_fail "keyctl revoke $ring2"
ms=$(until_denied "$KG_DATA/ring2/a")
kg_expect_event op=exec verdict=deny reason=keyring-gone rule=by-ring2
kg_log "anchor keyring revoked: cached program denied after $ms ms"
[ "$ms" -le 3000 ] || kg_fail "denied only after $ms ms (bound: 1 s check interval)"

# Readability: user first, then root, then the user again (0711) ...
kge_expect errno:EPERM kg-userns $U exec "$R/x711"
kg_expect_event op=exec verdict=deny reason=internal-error error=EACCES rule=by-cert path="$R/x711"
kge_expect ok kg-exec "$R/x711"
kg_expect_event op=exec verdict=allow reason=verified rule=by-cert path="$R/x711"
kge_expect errno:EPERM kg-userns $U exec "$R/x711"
[ "$(kg_count_events op=exec verdict=deny reason=internal-error error=EACCES path="$R/x711")" -ge 2 ] ||
	kg_fail "uid $U after root: expected the same denial as before"
# ... root first, then the user (4711).
kge_expect ok kg-exec "$R/x4711"
kg_expect_event op=exec verdict=allow reason=verified rule=by-cert path="$R/x4711"
kge_expect errno:EPERM kg-userns $U exec "$R/x4711"
kg_expect_event op=exec verdict=deny reason=internal-error error=EACCES path="$R/x4711"
kg_log "exec-only signed programs: uid $U denied before and after root (EACCES), root allowed"
# A readable program: root's verdict serves the user from the cache.
kge_expect ok kg-exec "$R/x755"
kge_expect ok kg-userns $U exec "$R/x755"
kg_expect_event op=exec verdict=allow reason=cache-hit path="$R/x755"

kg_stop_agent
[ "$KG_AGENT_STATUS" = 0 ] || kg_fail "agent exit status $KG_AGENT_STATUS after SIGTERM"
kg_pass
