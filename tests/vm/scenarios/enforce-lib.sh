# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
#
# enforce-lib.sh - shared steps of the enforce-* scenarios (busybox sh),
# sourced after /kg/lib.sh as  . /kg/scenarios/enforce-lib.sh  (the runner
# copies *-lib.sh next to the scenarios).
#
# The helpers (tests/vm/helpers) print "result=ok" or "result=errno:NAME";
# the agent runs as `keygate -j run --policy P` and every decision it reports
# is a JSON line in $KG_AGENT_LOG with "op", "verdict", "reason", "rule",
# "anchor" and "path" fields.

# kge_setup: enables fs-verity on the files the prep script listed, and
# fails early when the agent cannot run at all.
kge_setup() {
	kg_keygate_has run || kg_fail "keygate run is not implemented in this build"
	kg_require_probe fs-verity
	[ -s "$KG_DATA/verity.list" ] || return 0
	while read -r _f; do
		[ -n "$_f" ] || continue
		_r=$(kg-verity enable "$KG_DATA/$_f")
		[ "$_r" = "result=ok" ] || kg_fail "fs-verity enable $_f: $_r"
	done <"$KG_DATA/verity.list"
}

# kge_policy FILE: the policy must compile; prints the diagnostics if not.
kge_policy() {
	if ! keygate policy check "$1" >"$KG_OUT/policy-check.out" 2>&1; then
		cat "$1" "$KG_OUT/policy-check.out"
		kg_fail "policy $1 does not compile"
	fi
}

# kge_start POLICY: the agent enforcing POLICY with JSON decisions on
# stdout and its audit log in $KG_OUT/audit.log. Like lib.sh's
# kg_start_agent, but waits up to KGE_START_TIMEOUT s (default 120): starts
# take 2-7 s under TCG, but over 30 s were seen on a loaded host.
KGE_START_TIMEOUT=${KGE_START_TIMEOUT:-120}
kge_start() {
	kge_policy "$1"
	: >"$KG_AGENT_LOG"
	_t0=$(date +%s)
	/usr/sbin/keygate -j run --policy "$1" --log "$KG_OUT/audit.log" >"$KG_AGENT_LOG" 2>&1 &
	KG_AGENT_PID=$!
	echo "$KG_AGENT_PID" >"$KG_OUT/agent.pid"
	while ! grep -q "keygate: enforcing" "$KG_AGENT_LOG"; do
		if ! kill -0 "$KG_AGENT_PID" 2>/dev/null; then
			wait "$KG_AGENT_PID"
			_st=$?
			KG_AGENT_PID=
			cat "$KG_AGENT_LOG"
			kg_fail "keygate run --policy $1 exited with status $_st before enforcing"
		fi
		if [ $(($(date +%s) - _t0)) -gt "$KGE_START_TIMEOUT" ]; then
			cat "$KG_AGENT_LOG"
			kg_fail "keygate run --policy $1 not enforcing after ${KGE_START_TIMEOUT} s"
		fi
		sleep 0.2
	done
	kg_log "agent (pid $KG_AGENT_PID) enforcing $1 after $(($(date +%s) - _t0)) s"
}

# kge_expect RESULT CMD...: CMD (a helper) must print result=RESULT,
# e.g. kge_expect errno:EPERM kg-exec /data/x/unsigned.
kge_expect() {
	_want=$1
	shift
	"$@" >"$KG_OUT/helper.out" 2>&1
	_got=$(sed -n 's/^result=//p' "$KG_OUT/helper.out" | tail -n1)
	if [ "$_got" != "$_want" ]; then
		cat "$KG_OUT/helper.out"
		kg_fail "'$*' gave result=${_got:-none}, expected $_want"
	fi
	kg_log "'$*': $_want as expected"
}

# _kge_filter FIELD=VALUE...: decision lines of the agent's output (or of
# $KGE_EVENTS_FILE) with every field equal to VALUE (exact JSON string
# match), on stdout.
_kge_filter() {
	grep -F '"type":"decision"' "${KGE_EVENTS_FILE:-$KG_AGENT_LOG}" >"$KG_OUT/filter.0" 2>/dev/null
	for _kv in "$@"; do
		grep -F "\"${_kv%%=*}\":\"${_kv#*=}\"" "$KG_OUT/filter.0" >"$KG_OUT/filter.1"
		mv "$KG_OUT/filter.1" "$KG_OUT/filter.0"
	done
	cat "$KG_OUT/filter.0"
}

# kge_count_events FIELD=VALUE...: how many decisions match.
kge_count_events() {
	_kge_filter "$@" | wc -l
}

# kge_expect_event FIELD=VALUE...: a matching decision must be reported
# within 10 s (events reach the agent asynchronously).
kge_expect_event() {
	_i=0
	while [ "$(kge_count_events "$@")" -eq 0 ]; do
		_i=$((_i + 1))
		if [ "$_i" -gt 50 ]; then
			echo "--- agent log:"
			cat "$KG_AGENT_LOG"
			kg_fail "no decision with $* in the agent's output"
		fi
		sleep 0.2
	done
	kg_log "event: $*"
}

# kge_expect_no_event FIELD=VALUE...: after a 1 s grace period, no decision
# may match.
kge_expect_no_event() {
	sleep 1
	if [ "$(kge_count_events "$@")" -ne 0 ]; then
		_kge_filter "$@"
		kg_fail "unexpected decision with $*"
	fi
	kg_log "no event with $* as expected"
}

# kge_expect_logged FIELD=VALUE...: the agent's audit log ($KG_OUT/audit.log,
# complete once the agent has stopped) holds a matching decision.
kge_expect_logged() {
	KGE_EVENTS_FILE=$KG_OUT/audit.log
	_n=$(kge_count_events "$@")
	KGE_EVENTS_FILE=
	if [ "$_n" -eq 0 ]; then
		cat "$KG_OUT/audit.log"
		kg_fail "no decision with $* in the audit log"
	fi
	kg_log "audit log: $*"
}

# kge_our_progs: names of loaded BPF programs that are keygate's.
kge_our_progs() {
	kg_bpf_prog_names | grep '^keygate_'
}
