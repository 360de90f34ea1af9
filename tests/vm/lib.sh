# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
#
# lib.sh - helpers for VM scenarios (busybox sh, sourced before each
# scenario). A scenario passes when it reaches its end (or calls kg_pass);
# kg_fail/kg_skip record the result and end it.
#
# Environment: KG_NAME (scenario name), KG_DATA (/data/NAME: what the host
# prep hook staged), KG_OUT (scratch dir, agent log), KG_RESULT_FILE.
# keygate is /usr/sbin/keygate; helper binaries are in /usr/local/bin.

KG_AGENT_LOG=$KG_OUT/agent.log
KG_AGENT_PID=

kg_log() { echo "kg: $*"; }

_kg_result() {
	[ -s "$KG_RESULT_FILE" ] || echo "$*" >"$KG_RESULT_FILE"
}

kg_pass() { _kg_result PASS; exit 0; }

# kg_fail REASON: the scenario failed.
kg_fail() {
	echo "kg: FAIL: $*"
	_kg_result "FAIL $*"
	exit 1
}

# kg_skip FEATURE: the kernel lacks FEATURE (the runner's --strict mode
# counts this as a failure).
kg_skip() {
	echo "kg: SKIP: $*"
	_kg_result "SKIP $*"
	exit 0
}

_kg_strerror() {
	case $1 in
	EPERM) echo "Operation not permitted" ;;
	EACCES) echo "Permission denied" ;;
	ENOENT) echo "No such file or directory" ;;
	EINVAL) echo "Invalid argument" ;;
	EBADMSG) echo "Bad message" ;;
	ENODATA) echo "No data available" ;;
	ENOKEY) echo "Required key not available" ;;
	EKEYREJECTED) echo "Key was rejected by service" ;;
	EKEYREVOKED) echo "Key has been revoked" ;;
	ENOEXEC) echo "Exec format error" ;;
	*) echo "$1" ;;
	esac
}

# kg_expect_errno ERRNO CMD...: CMD must fail, and its error message must
# be strerror(ERRNO) (e.g. kg_expect_errno EPERM /data/x/unsigned).
kg_expect_errno() {
	_want=$1
	shift
	_msg=$(_kg_strerror "$_want")
	if "$@" >"$KG_OUT/expect.out" 2>&1; then
		cat "$KG_OUT/expect.out"
		kg_fail "'$*' succeeded; expected $_want"
	fi
	if ! grep -qF "$_msg" "$KG_OUT/expect.out"; then
		cat "$KG_OUT/expect.out"
		kg_fail "'$*' failed, but not with $_want ($_msg)"
	fi
	kg_log "'$*' failed with $_want as expected"
}

# kg_expect_ok CMD...: CMD must succeed.
kg_expect_ok() {
	if ! "$@" >"$KG_OUT/expect.out" 2>&1; then
		cat "$KG_OUT/expect.out"
		kg_fail "'$*' failed"
	fi
	kg_log "'$*' succeeded"
}

# kg_wait_for_line FILE REGEX TIMEOUT_S: 0 once a line of FILE matches the
# extended REGEX, 1 after TIMEOUT_S seconds.
kg_wait_for_line() {
	_i=0
	while [ "$_i" -lt $(($3 * 5)) ]; do
		grep -qE "$2" "$1" 2>/dev/null && return 0
		sleep 0.2
		_i=$((_i + 1))
	done
	return 1
}

# kg_wait_enforcing TIMEOUT_S: 0 once $KG_AGENT_LOG has the agent's
# "keygate: enforcing" line (KG_START_SECONDS: how long it took); 1 if the
# agent ($KG_AGENT_PID) exits first, with its status in KG_AGENT_STATUS.
# Fails the scenario after TIMEOUT_S seconds.
kg_wait_enforcing() {
	_t0=$(date +%s)
	while ! grep -q "keygate: enforcing" "$KG_AGENT_LOG"; do
		if ! kill -0 "$KG_AGENT_PID" 2>/dev/null; then
			wait "$KG_AGENT_PID"
			KG_AGENT_STATUS=$?
			KG_AGENT_PID=
			return 1
		fi
		if [ $(($(date +%s) - _t0)) -gt "$1" ]; then
			cat "$KG_AGENT_LOG"
			kg_fail "agent did not report 'keygate: enforcing' within $1 s"
		fi
		sleep 0.2
	done
	KG_START_SECONDS=$(($(date +%s) - _t0))
}

# kg_start_agent ARGS...: starts `keygate ARGS` (e.g. `run --policy P`) in the
# background, output in $KG_AGENT_LOG, and waits up to KG_START_TIMEOUT s
# (default 120: a loaded TCG host is slow) for its line containing "keygate: enforcing". Fails the
# scenario if the agent exits or never gets there.
KG_START_TIMEOUT=${KG_START_TIMEOUT:-120}
kg_start_agent() {
	: >"$KG_AGENT_LOG"
	/usr/sbin/keygate "$@" >"$KG_AGENT_LOG" 2>&1 &
	KG_AGENT_PID=$!
	echo "$KG_AGENT_PID" >"$KG_OUT/agent.pid"
	if ! kg_wait_enforcing "$KG_START_TIMEOUT"; then
		cat "$KG_AGENT_LOG"
		kg_fail "keygate $* exited with status $KG_AGENT_STATUS before enforcing"
	fi
	kg_log "agent (pid $KG_AGENT_PID) enforcing after $KG_START_SECONDS s"
}

# kg_stop_agent: SIGTERM, then waits up to 10 s; sets KG_AGENT_STATUS; then
# ends enforcement (kg_end_enforcement).
kg_stop_agent() {
	[ -n "$KG_AGENT_PID" ] || return 0
	kill -TERM "$KG_AGENT_PID" 2>/dev/null
	_i=0
	while kill -0 "$KG_AGENT_PID" 2>/dev/null && [ "$_i" -lt 50 ]; do
		sleep 0.2
		_i=$((_i + 1))
	done
	if kill -0 "$KG_AGENT_PID" 2>/dev/null; then
		kill -KILL "$KG_AGENT_PID"
		wait "$KG_AGENT_PID" 2>/dev/null
		KG_AGENT_PID=
		: >"$KG_OUT/agent.pid"
		kg_fail "agent ignored SIGTERM for 10 s"
	fi
	wait "$KG_AGENT_PID"
	KG_AGENT_STATUS=$?
	KG_AGENT_PID=
	: >"$KG_OUT/agent.pid"
	kg_log "agent stopped, exit status $KG_AGENT_STATUS"
	kg_end_enforcement
}

# kg_end_enforcement [KEYGATE]: `keygate stop` (with /usr/sbin/keygate or
# KEYGATE), so that the pinned state an agent leaves behind (keygate(8),
# PERSISTENCE) does not reach the next scenario; fails if a keygate program
# is still loaded afterwards.
kg_end_enforcement() {
	"${1:-/usr/sbin/keygate}" stop >"$KG_OUT/stop.out" 2>&1 ||
		{ cat "$KG_OUT/stop.out"; kg_fail "keygate stop failed"; }
	if kg_bpf_prog_names | grep -q '^keygate_'; then
		bpftool prog show
		bpftool link show
		kg_fail "keygate programs loaded after keygate stop"
	fi
}

# The agent's JSON decisions (`keygate -j run`): one line each in
# $KG_AGENT_LOG (or its audit log) with "op", "verdict", "reason", "rule",
# "anchor" and "path" fields, matched as FIELD=VALUE (exact JSON string).

# _kg_filter FILE FIELD=VALUE...: decision lines of FILE with every field
# equal to VALUE, on stdout.
_kg_filter() {
	grep -F '"type":"decision"' "$1" >"$KG_OUT/filter.0" 2>/dev/null
	shift
	for _kv in "$@"; do
		grep -F "\"${_kv%%=*}\":\"${_kv#*=}\"" "$KG_OUT/filter.0" >"$KG_OUT/filter.1"
		mv "$KG_OUT/filter.1" "$KG_OUT/filter.0"
	done
	cat "$KG_OUT/filter.0"
}

# kg_count_events FIELD=VALUE...: how many of the agent's decisions match.
kg_count_events() {
	_kg_filter "$KG_AGENT_LOG" "$@" | wc -l
}

# kg_expect_event FIELD=VALUE...: a matching decision must be reported
# within 10 s (events reach the agent asynchronously).
kg_expect_event() {
	_i=0
	while [ "$(kg_count_events "$@")" -eq 0 ]; do
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

# kg_expect_no_event FIELD=VALUE...: after a 1 s grace period, no decision
# may match.
kg_expect_no_event() {
	sleep 1
	if [ "$(kg_count_events "$@")" -ne 0 ]; then
		_kg_filter "$KG_AGENT_LOG" "$@"
		kg_fail "unexpected decision with $*"
	fi
	kg_log "no event with $* as expected"
}

# kg_expect_logged FIELD=VALUE...: the agent's audit log ($KG_OUT/audit.log,
# complete once the agent has stopped) holds a matching decision.
kg_expect_logged() {
	if [ "$(_kg_filter "$KG_OUT/audit.log" "$@" | wc -l)" -eq 0 ]; then
		cat "$KG_OUT/audit.log"
		kg_fail "no decision with $* in the audit log"
	fi
	kg_log "audit log: $*"
}

# kg_keygate_has NOUN: 0 when `keygate NOUN` is implemented, i.e. the
# binary no longer carries the "NOUN: not implemented yet" placeholder.
kg_keygate_has() {
	! strings /usr/sbin/keygate | grep -qF "$1: not implemented yet"
}

# kg_enable_verity_list: fs-verity on every file the prep hook listed in
# $KG_DATA/verity.list (kg_prep_verity, kg_prep_sign); fails on the first
# that will not enable.
kg_enable_verity_list() {
	[ -s "$KG_DATA/verity.list" ] || return 0
	while read -r _f; do
		[ -n "$_f" ] || continue
		_r=$(kg-verity enable "$KG_DATA/$_f")
		[ "$_r" = "result=ok" ] || kg_fail "fs-verity enable $_f: $_r"
	done <"$KG_DATA/verity.list"
}

# kg_require_probe CHECK: skips the scenario unless `keygate probe` reports
# CHECK (e.g. fs-verity, modules, kfunc:bpf_get_fsverity_digest) as ok.
kg_require_probe() {
	[ -s /tmp/kg/probe.txt ] || /usr/sbin/keygate probe >/tmp/kg/probe.txt 2>&1
	grep -qE "^ok +$1 " /tmp/kg/probe.txt || kg_skip "$1 ($(grep -E "^FAIL +$1 " /tmp/kg/probe.txt))"
}

# kg_bpf_prog_names: names of the loaded BPF programs, one per line.
kg_bpf_prog_names() {
	bpftool prog show | sed -n 's/^[0-9]*: [a-z_]*  name \([^ ]*\) .*/\1/p'
}

trap 'kg_stop_agent >/dev/null 2>&1; kg_end_enforcement >/dev/null 2>&1' EXIT
