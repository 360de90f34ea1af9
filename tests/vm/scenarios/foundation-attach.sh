# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# foundation-attach: keygate's BPF object loads, its LSM programs attach
# (counted with bpftool, and the count matches what the agent reports; a
# decision program the policy does not need stays loaded but unattached,
# keygate(8)), and everything is gone once the agent exits and `keygate
# stop` ran (kg_stop_agent).
# kg-timeout: 240

# Ids of loaded programs whose name starts with keygate_.
kg_keygate_prog_ids() {
	bpftool prog show | sed -n 's/^\([0-9]*\): [a-z_]*  name keygate_.*/\1/p'
}

[ -z "$(kg_keygate_prog_ids)" ] || kg_fail "keygate programs loaded before the test started"
kg_keygate_has run || kg_fail "keygate run is not implemented in this build"

kg_start_agent run
ids=$(kg_keygate_prog_ids)
progs=$(echo "$ids" | grep -c .)
[ "$progs" -gt 0 ] || { bpftool prog show; kg_fail "agent enforcing but no keygate_ programs loaded"; }
lsm_progs=$(bpftool prog show | grep -c '^[0-9]*: lsm  name keygate_')
# Besides the LSM programs, two fexit programs count directory moves (for
# the per-directory scope results, lsm/scope.bpf.h).
trace_progs=$(bpftool prog show | grep -c '^[0-9]*: tracing  name keygate_dir_')
[ "$trace_progs" = 2 ] || { bpftool prog show; kg_fail "$trace_progs directory-move programs loaded, not 2"; }
[ "$((lsm_progs + trace_progs))" = "$progs" ] ||
	kg_fail "$progs keygate programs loaded: $lsm_progs LSM programs and $trace_progs directory-move programs"
# Every keygate program is attached through a link, but for decision
# programs the policy in force does not need, which keygate status does not
# list either.
keygate status >"$KG_OUT/status.txt" 2>&1 || { cat "$KG_OUT/status.txt"; kg_fail "keygate status failed"; }
hooks=$(sed -n 's/^hooks: *//p' "$KG_OUT/status.txt")
attached=0
for id in $ids; do
	name=$(bpftool prog show id "$id" | sed -n 's/^[0-9]*: [a-z_]*  name \([^ ]*\) .*/\1/p')
	if bpftool link show | grep -qE "prog $id( |\$)"; then
		attached=$((attached + 1))
		continue
	fi
	case $name in
	keygate_bprm_check_security | keygate_mmap_file | keygate_file_mprotect | keygate_file_open | \
		keygate_kernel_read_file | keygate_kernel_load_data | keygate_kernel_post_load_data) ;;
	*) bpftool prog show id "$id"; kg_fail "program $name (id $id) is loaded but not attached" ;;
	esac
	echo " $hooks " | grep -q " $name " && kg_fail "keygate status lists $name, which has no link"
	kg_log "decision program $name not needed by the policy: loaded, not attached"
done
reported=$(sed -n 's/.*keygate: enforcing.* \([0-9][0-9]*\) programs attached.*/\1/p' "$KG_AGENT_LOG")
[ "$reported" = "$attached" ] || kg_fail "agent reports '${reported:-no count}' programs attached, bpftool sees $attached links"
[ "$(echo "$hooks" | wc -w)" = "$attached" ] || kg_fail "keygate status lists $(echo "$hooks" | wc -w) hooks, bpftool sees $attached links"
kg_log "agent attached $attached of $progs keygate programs, each with a link:"
bpftool prog show | grep ' name keygate_' | sed 's/^/kg:   /'

kg_stop_agent
[ "$KG_AGENT_STATUS" = 0 ] || { cat "$KG_AGENT_LOG"; kg_fail "agent exited with status $KG_AGENT_STATUS on SIGTERM"; }
left=$(kg_keygate_prog_ids | grep -c .)
[ "$left" = 0 ] || { bpftool prog show; kg_fail "$left keygate programs still loaded after the agent exited"; }
bpftool link show | grep -qE 'attach_type (lsm_mac|trace_fexit)' && { bpftool link show; kg_fail "keygate links left after the agent exited"; }
kg_log "agent exit detached everything (no keygate_ programs or LSM links left)"
