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

# kg_start_agent ARGS...: starts `keygate ARGS` (e.g. `run --policy P`) in the
# background, output in $KG_AGENT_LOG, and waits up to 30 s for its line
# containing "keygate: enforcing". Fails the scenario if the agent exits or
# never gets there.
kg_start_agent() {
	: >"$KG_AGENT_LOG"
	/usr/sbin/keygate "$@" >"$KG_AGENT_LOG" 2>&1 &
	KG_AGENT_PID=$!
	echo "$KG_AGENT_PID" >"$KG_OUT/agent.pid"
	_i=0
	while ! grep -q "keygate: enforcing" "$KG_AGENT_LOG"; do
		if ! kill -0 "$KG_AGENT_PID" 2>/dev/null; then
			wait "$KG_AGENT_PID"
			_st=$?
			KG_AGENT_PID=
			cat "$KG_AGENT_LOG"
			kg_fail "keygate $* exited with status $_st before enforcing"
		fi
		_i=$((_i + 1))
		if [ "$_i" -gt 150 ]; then
			cat "$KG_AGENT_LOG"
			kg_fail "keygate $* did not report 'keygate: enforcing' within 30 s"
		fi
		sleep 0.2
	done
	kg_log "agent (pid $KG_AGENT_PID) enforcing"
}

# kg_stop_agent: SIGTERM, then waits up to 10 s; sets KG_AGENT_STATUS.
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
}

# kg_keygate_has NOUN: 0 when `keygate NOUN` is implemented, i.e. the
# binary no longer carries the "NOUN: not implemented yet" placeholder.
kg_keygate_has() {
	! strings /usr/sbin/keygate | grep -qF "$1: not implemented yet"
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

trap 'kg_stop_agent >/dev/null 2>&1' EXIT
