#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# policy-reload.sh KEYGATE: `keygate policy reload --pid PID` against a
# stand-in agent (python, ctypes sigqueue) that answers the request the way
# `keygate run` does: SIGHUP from sigqueue (SI_QUEUE) in, SIGUSR2 with 0 or
# -errno back. The real agent's side runs in the system tier.
set -u
keygate=$1
fail() { echo "FAIL: $*"; exit 1; }

# stand_in ANSWER: prints its pid, then answers one request with ANSWER
# ("none": never answers).
stand_in() {
	python3 -u - "$1" <<'PY' &
import ctypes, os, signal, sys
answer = sys.argv[1]
signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGHUP])
print(os.getpid(), flush=True)
info = signal.sigwaitinfo([signal.SIGHUP])
SI_QUEUE = -1
if info.si_code != SI_QUEUE:
    sys.exit("not a sigqueue request: si_code %d" % info.si_code)
if answer != "none":
    libc = ctypes.CDLL(None, use_errno=True)
    libc.sigqueue.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_void_p]
    if libc.sigqueue(info.si_pid, signal.SIGUSR2, ctypes.c_void_p(int(answer) & 0xffffffff)):
        sys.exit("sigqueue failed")
signal.sigtimedwait([signal.SIGTERM], 5)
PY
}

run_case() { # run_case ANSWER EXPECTED_STATUS TEXT [ARGS...]
	local answer=$1 expected=$2 text=$3 pid out status
	shift 3
	coproc STANDIN { stand_in "$answer"; wait; }
	read -r pid <&"${STANDIN[0]}" || fail "$text: the stand-in agent did not start"
	out=$("$keygate" policy reload --pid "$pid" "$@" 2>&1)
	status=$?
	kill "$pid" 2>/dev/null
	wait 2>/dev/null
	[ "$status" -eq "$expected" ] || fail "$text: exit $status, expected $expected: $out"
	echo "ok: $text (exit $status): $out"
}

run_case 0 0 "the agent applied the policy"
run_case -22 1 "the agent rejected the policy (EINVAL)"
run_case none 1 "no answer within --timeout 2" --timeout 2
out=$("$keygate" policy reload 2>&1); status=$?
[ "$status" -eq 2 ] || fail "no --pid: exit $status, expected 2: $out"
out=$("$keygate" -j policy reload --pid 4194304 2>&1); status=$?
[ "$status" -eq 1 ] || fail "a pid that does not exist: exit $status, expected 1: $out"
python3 -c 'import json, sys; json.loads(sys.argv[1])' "$out" || fail "-j error is not JSON: $out"
echo "ok: usage error exit 2, unknown pid exit 1 with a JSON error"
