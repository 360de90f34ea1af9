# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# persist-adopt: enforcement outlives the agent. Under a loop of unsigned
# execs, kill -9 of the agent lets none through; while no agent runs the
# pinned programs keep deciding and `keygate status` says so; a restarted
# agent adopts the state (same generation, then its own policy as the next
# one) and reports the decisions made meanwhile: every denied exec is
# reported by one of the two agents or counted as lost; it binds a mount
# made inside a scope after the adoption. SIGTERM leaves the
# state pinned too; `keygate stop` ends it.
# kg-timeout: 900
KGE_START_TIMEOUT=300
. /kg/scenarios/enforce-lib.sh
kge_setup
bin=$KG_DATA/bin
pins=/sys/fs/bpf/keygate

# loop_start NAME FILE [PAUSE_MS] / loop_stop NAME: a background exec loop.
loop_start() {
	rm -f "$KG_OUT/$1.stop"
	kg-loop exec-until "$KG_OUT/$1.stop" "$2" $3 >"$KG_OUT/$1.out" 2>&1 &
	eval "loop_$1=\$!"
}
loop_stop() {
	touch "$KG_OUT/$1.stop"
	eval "wait \$loop_$1"
	cat "$KG_OUT/$1.out"
}
# loop_result NAME: "OPS FAILED" of a finished loop.
loop_result() {
	sed -n 's/^ops=\([0-9]*\) failed=\([0-9]*\) .*/\1 \2/p' "$KG_OUT/$1.out"
}
# denials FILE PATH: deny events for PATH in an agent's JSON output.
denials() {
	grep -F '"type":"decision"' "$1" | grep -F '"verdict":"deny"' |
		grep -cF "\"path\":\"$2\""
}
# status_field NAME: a number (or null) from `keygate -j status`.
status_field() {
	sed -n "s/.*\"$1\":\([0-9a-z]*\).*/\1/p" "$KG_OUT/status.json"
}
status() {
	keygate -j status >"$KG_OUT/status.json" || { cat "$KG_OUT/status.json"; kg_fail "keygate status: $*"; }
	echo "KG-JSON $(cat "$KG_OUT/status.json")"
}

kge_start "$KG_DATA/policy.yaml"
kge_expect errno:EPERM kg-exec "$bin/unsigned"
kge_expect ok kg-exec "$bin/signed"
[ "$(ls "$pins/links" | wc -l)" -gt 0 ] || { cat "$KG_AGENT_LOG"; ls -la /sys/fs/bpf; kg_fail "nothing pinned under $pins/links while enforcing"; }
status "while the agent runs"
[ "$(status_field agent_pid)" = "$KG_AGENT_PID" ] || kg_fail "status names agent $(status_field agent_pid), not $KG_AGENT_PID"
gen1=$(status_field generation)
kg_log "agent $KG_AGENT_PID enforcing generation $gen1"

# kill -9 under a loop of unsigned execs.
loop_start a "$bin/unsigned"
sleep 2
kill -KILL "$KG_AGENT_PID"
wait "$KG_AGENT_PID" 2>/dev/null
KG_AGENT_PID=
cp "$KG_AGENT_LOG" "$KG_OUT/agent1.log"
sleep 2
loop_stop a
set -- $(loop_result a)
ops_a=$1 failed_a=$2
[ -n "$ops_a" ] && [ "$ops_a" -gt 0 ] || kg_fail "the exec loop did not run"
[ "$failed_a" = "$ops_a" ] || kg_fail "$((ops_a - failed_a)) of $ops_a unsigned execs ran across kill -9 of the agent"
kg_log "kill -9 under the loop: $ops_a unsigned execs, 0 ran"

# No agent: the pinned programs decide, status reads the pins.
kge_expect errno:EPERM kg-exec "$bin/unsigned-away"
kg-loop exec 20 "$bin/unsigned-away" >"$KG_OUT/away.out"
cat "$KG_OUT/away.out"
grep -q '^ops=20 failed=20 ' "$KG_OUT/away.out" || kg_fail "unsigned execs ran while no agent ran"
kge_expect ok kg-exec "$bin/signed"
status "with no agent"
[ "$(status_field agent_pid)" = null ] || kg_fail "status names agent $(status_field agent_pid) after kill -9"
[ "$(status_field generation)" = "$gen1" ] || kg_fail "generation $(status_field generation) in force, expected $gen1"
grep -q '"enforcing":true' "$KG_OUT/status.json" || kg_fail "status does not say enforcing"
keygate status | sed 's/^/kg:   /'

# A new agent adopts, under another loop (paused: an agent's start under
# TCG competes with the loop for the one CPU).
loop_start b "$bin/unsigned" 100
kge_start "$KG_DATA/policy.yaml"
sleep 1
loop_stop b
set -- $(loop_result b)
ops_b=$1 failed_b=$2
[ "$failed_b" = "$ops_b" ] || kg_fail "$((ops_b - failed_b)) of $ops_b unsigned execs ran while an agent adopted the state"
grep 'adopted the pinned state' "$KG_AGENT_LOG" | sed 's/^/kg: /'
grep -q "adopted the pinned state: policy persist-adopt version 7 .*generation $gen1;" "$KG_AGENT_LOG" ||
	{ cat "$KG_AGENT_LOG"; kg_fail "the new agent did not report adopting generation $gen1"; }
kge_expect errno:EPERM kg-exec "$bin/unsigned"
status "after adoption"
[ "$(status_field agent_pid)" = "$KG_AGENT_PID" ] || kg_fail "status names agent $(status_field agent_pid), not $KG_AGENT_PID"
[ "$(status_field generation)" = $((gen1 + 1)) ] || kg_fail "generation $(status_field generation) after adoption, expected $((gen1 + 1))"
[ "$(status_field adoptions)" = 1 ] || kg_fail "adoptions $(status_field adoptions), expected 1"

# Every denied exec is reported by one agent or counted as lost (+1: the
# killed agent may have printed its last event without consuming it).
sleep 2
lost=$(status_field events_lost)
away=$(denials "$KG_AGENT_LOG" "$bin/unsigned-away")
kg_log "decisions made with no agent: 21 denied execs, $away reported by the new agent, $lost events lost"
[ $((away + lost)) -ge 21 ] || kg_fail "only $away of 21 decisions made with no agent reported ($lost lost)"
[ "$away" -le 21 ] || kg_fail "$away decisions reported for 21 execs"
seen=$(($(denials "$KG_OUT/agent1.log" "$bin/unsigned") + $(denials "$KG_AGENT_LOG" "$bin/unsigned")))
want=$((ops_a + ops_b + 2)) # the loops and two single execs
kg_log "unsigned: $want denied execs, $seen reported by the two agents, $lost lost"
[ $((seen + lost)) -ge "$want" ] && [ $((seen + lost)) -le $((want + 1)) ] ||
	kg_fail "$want denied execs but $seen reported and $lost lost"

# The adopting agent watches mounts as a fresh one does: a file system
# mounted inside the scope after the adoption is bound to it. Control: an
# unsigned copy on a tmpfs outside every scope runs.
mkdir -p /run/kg-outside "$bin/late"
mount -t tmpfs kg-outside /run/kg-outside || kg_fail "mount tmpfs on /run/kg-outside"
cp "$bin/unsigned" /run/kg-outside/unsigned
kge_expect ok kg-exec /run/kg-outside/unsigned
before=$(grep -c 'scopes bound again' "$KG_AGENT_LOG")
t0=$(cut -d' ' -f1 /proc/uptime)
mount -t tmpfs kg-late "$bin/late" || kg_fail "mount tmpfs on $bin/late"
cp "$bin/unsigned" "$bin/late/unsigned"
i=0
while [ "$(grep -c 'scopes bound again' "$KG_AGENT_LOG")" -le "$before" ]; do
	i=$((i + 1))
	[ "$i" -lt 100 ] || { cat "$KG_AGENT_LOG"; kg_fail "the adopting agent did not bind the new mount within 10 s"; }
	sleep 0.1
done
t1=$(cut -d' ' -f1 /proc/uptime)
ms=$(echo "$t0 $t1" | awk '{ printf "%d\n", ($2 - $1) * 1000 }')
kg_log "mount inside the scope after adoption: bound again after $ms ms"
[ "$ms" -le 3000 ] || kg_fail "bound only after $ms ms: the mount watch (not the 5 s rescan) should see it"
kge_expect errno:EPERM kg-exec "$bin/late/unsigned"
kg_expect_event op=exec verdict=deny rule=apps path="$bin/late/unsigned"
umount "$bin/late" /run/kg-outside

# SIGTERM leaves the state pinned and in force.
kill -TERM "$KG_AGENT_PID"
wait "$KG_AGENT_PID"
KG_AGENT_STATUS=$?
KG_AGENT_PID=
[ "$KG_AGENT_STATUS" = 0 ] || kg_fail "agent exit status $KG_AGENT_STATUS after SIGTERM"
kge_expect errno:EPERM kg-exec "$bin/unsigned"
kg_log "SIGTERM: enforcement stays"

# keygate stop ends it: nothing pinned, no programs, the exec runs.
kg_end_enforcement
sed 's/^/kg: /' "$KG_OUT/stop.out"
[ ! -e "$pins" ] || kg_fail "$pins left after keygate stop"
[ -z "$(kge_our_progs)" ] || kg_fail "keygate programs loaded after keygate stop: $(kge_our_progs)"
kge_expect ok kg-exec "$bin/unsigned"
keygate -j status >"$KG_OUT/status.json" && kg_fail "status exits 0 after keygate stop"
grep -q '"enforcing":false' "$KG_OUT/status.json" || kg_fail "status after stop: $(cat "$KG_OUT/status.json")"
kg_pass
