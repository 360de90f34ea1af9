# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# persist-upgrade: upgrades keep enforcing, under a loop of unsigned execs
# that must all be denied. (1) From the previous build, whose agent pins
# nothing and detaches on exit: the new agent starts while the old one
# enforces and the old one then exits; every keygate program left loaded
# afterwards is the new agent's. (2) A package upgrade of this build: the
# binary is replaced under the running agent, which is then restarted.
# kg-timeout: 900
KGE_START_TIMEOUT=300
. /kg/scenarios/enforce-lib.sh
kge_setup
bin=$KG_DATA/bin
pins=/sys/fs/bpf/keygate
previous=$KG_DATA/previous/keygate

loop_start() {
	rm -f "$KG_OUT/loop.stop"
	kg-loop exec-until "$KG_OUT/loop.stop" "$bin/unsigned" 100 >"$KG_OUT/loop.out" 2>&1 &
	loop_pid=$!
}
# loop_check WHAT: stops the loop; every exec must have been denied.
loop_check() {
	touch "$KG_OUT/loop.stop"
	wait "$loop_pid"
	cat "$KG_OUT/loop.out"
	set -- $(sed -n 's/^ops=\([0-9]*\) failed=\([0-9]*\) .*/\1 \2/p' "$KG_OUT/loop.out")
	[ -n "$1" ] && [ "$1" -gt 0 ] || kg_fail "the exec loop did not run ($*)"
	[ "$2" = "$1" ] || kg_fail "$(($1 - $2)) of $1 unsigned execs ran during $*"
	kg_log "$1 unsigned execs during the $WHAT, 0 ran"
}
progs() { kge_our_progs | wc -l; }

# (1) previous build -> this one.
"$previous" -V | grep -q '^keygate ' || kg_fail "the previous keygate does not run"
kge_policy "$KG_DATA/policy.yaml"
: >"$KG_OUT/previous.log"
"$previous" -j run --policy "$KG_DATA/policy.yaml" --log - >"$KG_OUT/previous.log" 2>&1 &
old_pid=$!
trap 'kill "$old_pid" 2>/dev/null; wait "$old_pid"; kg_stop_agent >/dev/null 2>&1; kg_end_enforcement >/dev/null 2>&1' EXIT
kg_wait_for_line "$KG_OUT/previous.log" "keygate: enforcing" 300 ||
	{ cat "$KG_OUT/previous.log"; kg_fail "the previous agent did not start"; }
n_old=$(progs)
[ ! -e "$pins" ] || kg_fail "the previous build pinned $pins"
kge_expect errno:EPERM kg-exec "$bin/unsigned"
WHAT="upgrade from the previous build"
loop_start
kge_start "$KG_DATA/policy.yaml"
# The new agent loads every program and attaches (and pins) those its
# policy needs; the old agent's programs are all still loaded.
n_links=$(ls "$pins/links" | wc -l)
n_new=$(($(progs) - n_old))
[ "$n_links" -gt 0 ] && [ "$n_new" -ge "$n_links" ] ||
	kg_fail "$(progs) keygate programs with both agents: $n_old of the previous one leave $n_new for $n_links pinned links"
kill -TERM "$old_pid"
wait "$old_pid"
sleep 1
loop_check
i=0
while [ "$(progs)" != "$n_new" ] && [ "$i" -lt 50 ]; do
	sleep 0.2
	i=$((i + 1))
done
[ "$(progs)" = "$n_new" ] || kg_fail "$(progs) keygate programs after the previous agent exited, expected $n_new"
kge_expect ok kg-exec "$bin/signed"
kge_expect errno:EPERM kg-exec "$bin/unsigned"

# (2) a package upgrade of a pinning, self-protecting build: the agent runs
# from a path whose file is then replaced (a new inode, as dpkg does); on
# SIGTERM it records the new file as its successor, which adopts the state
# although its executable is not the guarded one.
kg_stop_agent
installed=$KG_OUT/sbin/keygate
mkdir -p "$KG_OUT/sbin"
cp /usr/sbin/keygate "$installed"
start_installed() {
	: >"$KG_AGENT_LOG"
	"$installed" -j run --policy "$KG_DATA/policy.yaml" --log "$KG_OUT/audit.log" >"$KG_AGENT_LOG" 2>&1 &
	KG_AGENT_PID=$!
	kg_wait_enforcing "$KG_START_TIMEOUT" || { cat "$KG_AGENT_LOG"; kg_fail "$installed did not start"; }
}
start_installed
"$installed" -j status | grep -q '"self_protection":true' || kg_fail "self-protection is not on"
WHAT="package upgrade"
loop_start
cp /usr/sbin/keygate "$installed.new" && mv "$installed.new" "$installed"
kill -TERM "$KG_AGENT_PID"
wait "$KG_AGENT_PID"
start_installed
grep -q "adopted the pinned state" "$KG_AGENT_LOG" ||
	{ cat "$KG_AGENT_LOG"; kg_fail "the upgraded binary did not adopt the state"; }
sleep 1
loop_check
kge_expect errno:EPERM kg-exec "$bin/unsigned"
kill -TERM "$KG_AGENT_PID"
wait "$KG_AGENT_PID"
KG_AGENT_PID=
kg_end_enforcement "$installed"
sed 's/^/kg: /' "$KG_OUT/stop.out"
[ ! -e "$pins" ] || kg_fail "$pins left after keygate stop"
kge_expect ok kg-exec "$bin/unsigned"
kg_pass
