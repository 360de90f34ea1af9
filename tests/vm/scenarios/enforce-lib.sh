# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
#
# enforce-lib.sh - shared steps of the enforce-* scenarios (busybox sh),
# sourced after /kg/lib.sh as  . /kg/scenarios/enforce-lib.sh  (the runner
# copies *-lib.sh next to the scenarios).
#
# The helpers (tests/vm/helpers) print "result=ok" or "result=errno:NAME";
# the agent runs as `keygate -j run --policy P`; lib.sh's kg_expect_event,
# kg_count_events, kg_expect_no_event and kg_expect_logged match the JSON
# decisions it reports.

# kge_setup: enables fs-verity on the files the prep script listed, and
# fails early when the agent cannot run at all.
kge_setup() {
	kg_keygate_has run || kg_fail "keygate run is not implemented in this build"
	kg_require_probe fs-verity
	kg_enable_verity_list
}

# kge_expect_refusal POLICY CHECK_REASON: `keygate run --policy POLICY`
# must refuse to start (exit 3) and give the probe's "CHECK: reason".
kge_expect_refusal() {
	kge_policy "$1"
	/usr/sbin/keygate run --policy "$1" >"$KG_OUT/refused.out" 2>&1
	_status=$?
	cat "$KG_OUT/refused.out"
	[ "$_status" = 3 ] || kg_fail "keygate run of $1 exited $_status; expected 3 ($2)"
	grep -qF "$2" "$KG_OUT/refused.out" ||
		kg_fail "the refusal of $1 does not give the probe's reason '$2'"
}

# kge_policy FILE: the policy must compile; prints the diagnostics if not.
kge_policy() {
	if ! keygate policy check "$1" >"$KG_OUT/policy-check.out" 2>&1; then
		cat "$1" "$KG_OUT/policy-check.out"
		kg_fail "policy $1 does not compile"
	fi
}

# kge_start POLICY: the agent enforcing POLICY with JSON decisions on
# stdout and its audit log in $KG_OUT/audit.log. The enforce-* scenarios
# wait up to KGE_START_TIMEOUT s (default 120) for any agent start: starts
# take 2-7 s under TCG, but over 30 s were seen on a loaded host.
KG_START_TIMEOUT=${KGE_START_TIMEOUT:-120}
kge_start() {
	kge_policy "$1"
	kg_start_agent -j run --policy "$1" --log "$KG_OUT/audit.log"
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

# kge_our_progs: names of loaded BPF programs that are keygate's.
kge_our_progs() {
	kg_bpf_prog_names | grep '^keygate_'
}
