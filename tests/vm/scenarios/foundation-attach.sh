# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# foundation-attach: keygate's BPF object loads, its LSM programs attach
# (counted with bpftool), and everything is gone once the agent exits.
# kg-timeout: 240

kg_count_keygate_progs() { kg_bpf_prog_names | grep -c '^keygate_'; }

# Prints the ids of loaded programs whose name starts with keygate_.
kg_keygate_prog_ids() {
	bpftool prog show | sed -n 's/^\([0-9]*\): [a-z_]*  name keygate_.*/\1/p'
}

[ "$(kg_count_keygate_progs)" = 0 ] || kg_fail "keygate programs loaded before the test started"

if kg_keygate_has run; then
	kg_start_agent run
	ids=$(kg_keygate_prog_ids)
	progs=$(echo "$ids" | grep -c .)
	[ "$progs" -gt 0 ] || { bpftool prog show; kg_fail "agent enforcing but no keygate_ programs loaded"; }
	# Every keygate program must be attached through a link.
	attached=0
	for id in $ids; do
		if bpftool link show | grep -qE "prog $id\$|prog $id "; then
			attached=$((attached + 1))
		else
			bpftool prog show id "$id"
			kg_fail "program id $id is loaded but not attached"
		fi
	done
	kg_log "agent attached $attached keygate programs:"
	bpftool prog show | grep ' name keygate_' | sed 's/^/kg:   /'
	kg_stop_agent
	[ "$KG_AGENT_STATUS" = 0 ] || { cat "$KG_AGENT_LOG"; kg_fail "agent exited with status $KG_AGENT_STATUS on SIGTERM"; }
	left=$(kg_count_keygate_progs)
	[ "$left" = 0 ] || { bpftool prog show; kg_fail "$left keygate programs still loaded after the agent exited"; }
	kg_log "agent exit detached everything (no keygate_ programs left)"
else
	# Until `keygate run` exists: load keygate's object with bpftool (no
	# attach: bpftool 7.1 cannot autoattach), count its LSM programs, then
	# check that the probe's trial LSM program attaches and runs.
	obj=$KG_DATA/keygate.bpf.o
	pins=/sys/fs/bpf/kg-attach
	bpftool prog loadall "$obj" "$pins" >"$KG_OUT/loadall.out" 2>&1 ||
		{ cat "$KG_OUT/loadall.out"; kg_fail "bpftool prog loadall of keygate's BPF object failed"; }
	progs=$(bpftool prog show | grep -c '^[0-9]*: lsm  name keygate_')
	[ "$progs" -gt 0 ] || { bpftool prog show; kg_fail "keygate's object loaded no LSM programs"; }
	kg_log "keygate's BPF object loaded $progs LSM program(s):"
	bpftool prog show | grep ' name keygate_' | sed 's/^/kg:   /'
	rm -rf "$pins"
	sleep 1
	left=$(kg_count_keygate_progs)
	[ "$left" = 0 ] || kg_fail "$left keygate programs still loaded after unpinning"
	out=$(keygate probe) || { echo "$out"; kg_fail "keygate probe failed"; }
	echo "$out" | grep -qE '^ok +lsm-load +.*loaded, attached and ran' ||
		{ echo "$out"; kg_fail "probe's trial LSM program did not attach and run"; }
	kg_log "probe_file_open (lsm.s/file_open) attached and ran; keygate run not built yet"
fi
