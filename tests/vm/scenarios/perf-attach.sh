# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# perf-attach: a hook's program is attached only while the policy in force
# needs it. Under an exec-only policy no file_open link exists (no pin, no
# kernel link for the program, and the program never runs however many
# files are opened); a reload adding an open_read rule attaches it before
# the new generation is in force: in a tight loop, no open of a covered
# unsigned file succeeds once the new policy is observably in force (an
# exec its probe rule denies), nor after the reload returns. A reload back
# detaches it; persistence keeps exactly the links the pinned policy
# needs, and an agent adopting the state detaches what its policy does not.
. /kg/scenarios/enforce-lib.sh
kge_setup
command -v bpftool >/dev/null || kg_fail "bpftool is not in the guest"
kg_keygate_has status || kg_fail "keygate status is not implemented in this build"
d=$KG_DATA
links=/sys/fs/bpf/keygate/links
policy=$KG_OUT/policy.yaml
echo 1 >/proc/sys/kernel/bpf_stats_enabled || kg_fail "cannot enable BPF run statistics"

# Control, no keygate: the unsigned file opens, the probe is no program.
kg_expect_ok cat "$d/covered/unsigned.dat"
kge_expect errno:ENOEXEC kg-exec "$d/probe/probe"

# prog_id NAME: id of our loaded program NAME, or nothing.
prog_id() {
	bpftool prog show name "$1" 2>/dev/null | sed -n 's/^\([0-9]*\): .*/\1/p' | head -n1
}
# run_cnt NAME: how often the kernel ran program NAME (bpf_stats_enabled).
run_cnt() {
	_n=$(bpftool prog show name "$1" 2>/dev/null | sed -n 's/.*run_cnt \([0-9]*\).*/\1/p' | head -n1)
	echo "${_n:-0}"
}
# kernel_linked NAME: a BPF link in the kernel runs program NAME.
kernel_linked() {
	_id=$(prog_id "$1")
	[ -n "$_id" ] || return 1
	bpftool link show >"$KG_OUT/links.txt" 2>&1 || { cat "$KG_OUT/links.txt"; kg_fail "bpftool link show failed"; }
	grep -q "prog $_id\$" "$KG_OUT/links.txt" || grep -q "prog $_id " "$KG_OUT/links.txt"
}
# expect_hook NAME yes|no: pinned link, kernel link and keygate status agree.
expect_hook() {
	_pinned=no _linked=no _status=no
	[ -e "$links/$1" ] && _pinned=yes
	kernel_linked "$1" && _linked=yes
	keygate status >"$KG_OUT/status.txt" 2>&1 || { cat "$KG_OUT/status.txt"; kg_fail "keygate status failed"; }
	grep '^hooks:' "$KG_OUT/status.txt" | grep -qw "$1" && _status=yes
	[ "$_pinned/$_linked/$_status" = "$2/$2/$2" ] ||
		kg_fail "hook $1: pinned=$_pinned kernel link=$_linked status=$_status, expected $2 ($(grep '^hooks:' "$KG_OUT/status.txt"))"
	kg_log "hook $1 attached: $2 (pin, kernel link, status)"
}

# 1. Exec-only: no file_open program attached, and opens never run it.
cp "$d/exec-only.yaml" "$policy"
kge_start "$policy"
[ -n "$(prog_id keygate_file_open)" ] || kg_fail "keygate_file_open is not loaded at all"
expect_hook keygate_bprm_check_security yes
expect_hook keygate_file_open no
expect_hook keygate_inode_setxattr yes
kge_expect errno:EPERM kg-exec "$d/covered/unsigned-bin"
before=$(run_cnt keygate_file_open)
kg-loop open 2000 "$d/covered/unsigned.dat" >/dev/null || kg_fail "opens failed under the exec-only policy"
after=$(run_cnt keygate_file_open)
[ "$after" = "$before" ] || kg_fail "keygate_file_open ran $((after - before)) times under an exec-only policy"
kg_log "2000 opens under the exec-only policy: keygate_file_open ran 0 times"
keygate status | grep '^kernel memory:' || kg_fail "keygate status reports no kernel memory"

# 2. Reload adding open_read, under a tight open loop of the unsigned file.
rm -f "$KG_OUT/stop" "$KG_OUT/marker"
kg-loop open-watch "$KG_OUT/stop" "$KG_OUT/marker" "$d/probe/probe" "$d/covered/unsigned.dat" \
	>"$KG_OUT/watch.out" 2>&1 &
watch_pid=$!
sleep 1
cp "$d/open.yaml" "$policy.new" && mv "$policy.new" "$policy"
keygate policy reload --pid "$KG_AGENT_PID" --timeout 120 >"$KG_OUT/reload.out" 2>&1 ||
	{ cat "$KG_OUT/reload.out" "$KG_AGENT_LOG"; kg_fail "reload to open.yaml failed"; }
touch "$KG_OUT/marker"
sleep 2
touch "$KG_OUT/stop"
wait "$watch_pid" || { cat "$KG_OUT/watch.out"; kg_fail "the open loop failed"; }
w=$(cat "$KG_OUT/watch.out")
kg_log "open loop across the reload: $w"
val() { echo "$w" | sed -n "s/.* $1=\([0-9]*\).*/\1/p"; }
[ "$(val new)" -gt 0 ] || kg_fail "the loop never saw the new policy in force: $w"
[ "$(val opened_new)" = 0 ] || kg_fail "$(val opened_new) opens succeeded with the new policy in force: $w"
[ "$(val opened_marker)" = 0 ] || kg_fail "$(val opened_marker) opens succeeded after the reload returned: $w"
[ "$(val denied)" -gt 0 ] || kg_fail "no open was denied: $w"
[ "$(val flips)" = 1 ] || kg_fail "the open's outcome changed $(val flips) times, expected once: $w"
expect_hook keygate_file_open yes
kge_expect errno:EPERM kg-exec "$d/probe/probe"
kg_expect_errno EPERM cat "$d/covered/unsigned.dat"
kg_expect_event op=open_read verdict=deny reason=no-signature rule=open-signed path="$d/covered/unsigned.dat"
kg_expect_ok cat "$d/covered/signed.dat"
[ "$(run_cnt keygate_file_open)" -gt 0 ] || kg_fail "keygate_file_open never ran under the open policy"

# 3. Persistence: the agent exits, the pinned links (file_open among them)
# keep enforcing.
kill -TERM "$KG_AGENT_PID"
wait "$KG_AGENT_PID"
KG_AGENT_STATUS=$?
KG_AGENT_PID=
[ "$KG_AGENT_STATUS" = 0 ] || kg_fail "agent exit status $KG_AGENT_STATUS"
expect_hook keygate_file_open yes
kg_expect_errno EPERM cat "$d/covered/unsigned.dat"

# 4. An agent adopting the state with the exec-only policy: file_open is
# detached once that policy is in force, its pin removed.
cp "$d/exec-only.yaml" "$policy"
kge_start "$policy"
grep -q 'adopt' "$KG_AGENT_LOG" || { cat "$KG_AGENT_LOG"; kg_fail "the agent did not adopt the pinned state"; }
expect_hook keygate_file_open no
expect_hook keygate_bprm_check_security yes
kg_expect_ok cat "$d/covered/unsigned.dat"
kge_expect errno:EPERM kg-exec "$d/covered/unsigned-bin"

# 5. Reload to open.yaml and back: attached, then detached.
cp "$d/open.yaml" "$policy.new" && mv "$policy.new" "$policy"
keygate policy reload --pid "$KG_AGENT_PID" --timeout 120 >"$KG_OUT/reload.out" 2>&1 ||
	{ cat "$KG_OUT/reload.out"; kg_fail "second reload to open.yaml failed"; }
expect_hook keygate_file_open yes
kg_expect_errno EPERM cat "$d/covered/unsigned.dat"
cp "$d/exec-only.yaml" "$policy.new" && mv "$policy.new" "$policy"
keygate policy reload --pid "$KG_AGENT_PID" --timeout 120 >"$KG_OUT/reload.out" 2>&1 ||
	{ cat "$KG_OUT/reload.out"; kg_fail "reload back to exec-only.yaml failed"; }
expect_hook keygate_file_open no
kg_expect_ok cat "$d/covered/unsigned.dat"

kg_stop_agent
[ "$KG_AGENT_STATUS" = 0 ] || kg_fail "agent exit status $KG_AGENT_STATUS"
kg_pass
