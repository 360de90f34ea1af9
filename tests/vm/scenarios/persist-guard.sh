# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# persist-guard: self-protection. A root process without keygate's binary
# writes keygate's maps (by pin and by id), detaches its links,
# unpins or renames its objects, ptraces the agent: each gets EPERM and a
# self-protection event. Controls first: the same attacks on objects
# keygate does not guard succeed. A kernel-issued bpf(2) command (a syscall
# program's) passes the guard. After kill -9 of the agent the guard
# holds; `keygate stop` (keygate's own binary) still ends enforcement.
# kg-timeout: 600
KGE_START_TIMEOUT=300
. /kg/scenarios/enforce-lib.sh
kge_setup
pins=/sys/fs/bpf/keygate
unsigned=$KG_DATA/bin/unsigned

# Controls, without keygate.
control=/sys/fs/bpf/kg-control
bpftool map create "$control" type array key 4 value 8 entries 1 name kgcontrol ||
	kg_fail "cannot create the control map"
kge_expect ok kg-tamper map-write "$control"
control_id=$(bpftool map show pinned "$control" | sed -n 's/^\([0-9]*\):.*/\1/p')
kge_expect ok kg-tamper map-write-id "$control_id"
kg_expect_ok mv "$control" "$control-moved"
kg_expect_ok rm "$control-moved"
sleep 600 &
victim=$!
kge_expect ok kg-tamper ptrace "$victim"
kill "$victim"
kge_expect ok kg-exec "$unsigned"
kge_expect ok kg-sysbpf

kge_start "$KG_DATA/policy.yaml"
# A bpf(2) command issued by the kernel for a syscall program is no attack
# on keygate's objects: it passes the guard (on 6.15 and later the hook
# has one argument more, which must not be read as an earlier verdict).
kge_expect ok kg-sysbpf
keygate -j status >"$KG_OUT/status.json"
echo "KG-JSON $(cat "$KG_OUT/status.json")"
grep -q '"self_protection":true' "$KG_OUT/status.json" || kg_fail "self-protection is not on"
links=$(ls "$pins/links" | wc -l)

# expect_guarded OP RESULT CMD...: RESULT, and one more self-protection
# event for OP.
expect_guarded() {
	_op=$1 _want=$2
	shift 2
	_before=$(kg_count_events op="$_op" verdict=deny reason=self-protection)
	kge_expect "$_want" "$@"
	_i=0
	while [ "$(kg_count_events op="$_op" verdict=deny reason=self-protection)" -le "$_before" ]; do
		_i=$((_i + 1))
		[ "$_i" -le 50 ] || { cat "$KG_AGENT_LOG"; kg_fail "no $_op event for '$*'"; }
		sleep 0.2
	done
	kg_log "event: op=$_op verdict=deny reason=self-protection"
}

# Maps: by pin, and every map of keygate_bprm_check_security by id.
expect_guarded guard_map errno:EPERM kg-tamper map-write "$pins/maps/bss"
expect_guarded guard_map errno:EPERM kg-tamper map-write "$pins/maps/kg_config"
expect_guarded guard_map errno:EPERM kg-tamper map-write "$pins/state"
ids=$(bpftool prog show name keygate_bprm_check_security | sed -n 's/.*map_ids \([0-9,]*\).*/\1/p' | tr ',' ' ')
[ -n "$ids" ] || kg_fail "no map ids for keygate_bprm_check_security"
for id in $ids; do
	kg-tamper map-write-id "$id" >"$KG_OUT/helper.out" 2>&1
	grep -q '^result=errno:EPERM$' "$KG_OUT/helper.out" ||
		{ cat "$KG_OUT/helper.out"; kg_fail "writing map id $id: not EPERM"; }
done
kg_log "every map of keygate_bprm_check_security ($ids): EPERM"

# Links: detaching one through its pin or by id.
expect_guarded guard_link errno:EPERM kg-tamper link-open "$pins/links/keygate_bprm_check_security"
link_id=$(bpftool link show | sed -n 's/^\([0-9]*\): tracing .*/\1/p' | head -n1)
[ -n "$link_id" ] || { bpftool link show; kg_fail "no LSM link listed"; }
expect_guarded guard_link errno:EPERM kg-tamper link-detach "$link_id"

# Pins: unpin, rename the directory, remove the agent record.
before=$(kg_count_events op=guard_pin)
kg_expect_errno EPERM rm "$pins/links/keygate_bprm_check_security"
kg_expect_errno EPERM mv "$pins" /sys/fs/bpf/elsewhere
kg_expect_errno EPERM rm "$pins/state"
kg_expect_errno EPERM mv "$pins/maps/bss" "$pins/maps/other"
sleep 1
[ "$(kg_count_events op=guard_pin)" -ge $((before + 4)) ] ||
	kg_fail "$(($(kg_count_events op=guard_pin) - before)) guard_pin events for 4 attempts"
kg_log "unpin and rename attempts: EPERM and an event each"

# ptrace of the agent.
expect_guarded guard_ptrace errno:EPERM kg-tamper ptrace "$KG_AGENT_PID"

[ "$(ls "$pins/links" | wc -l)" = "$links" ] || kg_fail "links changed under attack"
kge_expect errno:EPERM kg-exec "$unsigned"

# No agent: still guarded, still enforcing.
kill -KILL "$KG_AGENT_PID"
wait "$KG_AGENT_PID" 2>/dev/null
KG_AGENT_PID=
kge_expect errno:EPERM kg-tamper map-write "$pins/maps/bss"
kg_expect_errno EPERM rm "$pins/links/keygate_bprm_check_security"
kge_expect errno:EPERM kg-exec "$unsigned"

# keygate's own binary ends it.
kg_end_enforcement
sed 's/^/kg: /' "$KG_OUT/stop.out"
[ ! -e "$pins" ] || kg_fail "$pins left after keygate stop"
kge_expect ok kg-exec "$unsigned"
kg_pass
