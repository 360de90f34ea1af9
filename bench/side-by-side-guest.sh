# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# kg-timeout: 3000
# side-by-side-guest: the guest half of bench/side-by-side.sh (run it through
# that script). One boot, REPS rounds; each round measures every workload
# under each configuration in turn:
#   base               no enforcement
#   keygate            keygate run, rules for exec and open_read on covered/
#   keygate-exec-only  keygate run, rules for exec only (open-uncovered only)
#   empty-sleepable    kg-empty-lsm -s on keygate's two hooks for this policy
#                      (file_open, bprm_check_security): programs that only
#                      return 0, the floor of any decision (open and exec rows)
#   empty              the same, not sleepable
#   ipe                IPE, built into Debian's kernel: execution only from the
#                      initramfs or of files with an fs-verity builtin
#                      signature (every covered file has one); the other
#                      configurations run with an allow-all IPE policy active
#                      (none can be unloaded once active); no exec-uncovered
#                      row (IPE has no scopes)
#   fapolicyd          Debian's fapolicyd, file trust with sha256 integrity
#   base2              no enforcement again (A/A: the resolution reached)
# Prints lines
#   kg: bench ROUND WORKLOAD CONFIG ns_per_op=N
#   kg: memory ...         keygate's maps while it enforces (round 1)
#   kg: verifications ...  what the first-use workloads cost keygate
# and fails only when a workload itself fails or a configuration cannot
# be set up.
d=$KG_DATA
# REPS, OPEN_N, EXEC_N, EXEC_BATCHES, MACRO_BATCHES, FIRST_FILES; the
# workload sizes KG_BENCH_MACRO_ITER and KG_BENCH_UNITS (exported).
. "$d/bench.conf"
T=/sys/kernel/tracing
# Under a loaded host, TCG takes minutes to load the agent's programs.
KG_START_TIMEOUT=300

kg_keygate_has run || kg_fail "keygate run is not implemented in this build"
IPE=/sys/kernel/security/ipe
if [ ! -d "$IPE" ]; then
	kg_log "IPE: not measured, this kernel has no IPE (LSMs: $(cat /sys/kernel/security/lsm))"
	IPE=
elif ! grep -q 'keygate test key org' /proc/keys; then
	kg_fail "key org is not in the .platform keyring: was the guest booted with OVMF and its UEFI db?"
fi
# fs-verity with builtin signatures (IPE's fsverity_signature) where a file
# has one, checked against key org in the .fs-verity keyring.
if [ -n "$IPE" ]; then
	keyctl padd asymmetric '' %keyring:.fs-verity <"$d/keys/org.der" >/dev/null ||
		kg_fail "cannot add key org to the .fs-verity keyring"
	while read -r _f; do
		[ -n "$_f" ] || continue
		_sig=
		[ -f "$d/$_f.sig" ] && _sig=$d/$_f.sig
		_r=$(kg-verity enable "$d/$_f" $_sig)
		[ "$_r" = "result=ok" ] || kg_fail "fs-verity enable $_f ${_sig:+with its builtin signature}: $_r"
	done <"$d/verity.list"
else
	kg_enable_verity_list
fi
for _p in allow bench; do
	[ -z "$IPE" ] || cat "$d/ipe/$_p.p7s" >"$IPE/new_policy" || kg_fail "IPE refused policy $_p"
done

# once ROUND WORKLOAD CONFIG CMD...: one run of a kg-loop command.
once() {
	_round=$1 _work=$2 _config=$3
	shift 3
	"$@" >"$KG_OUT/loop.out" 2>&1 ||
		kg_fail "$* ($_work, $_config) failed: $(cat "$KG_OUT/loop.out")"
	sed -n 's/.*ns_per_op=\([0-9]*\).*/\1/p' "$KG_OUT/loop.out"
}

# sample ROUND WORKLOAD CONFIG BATCHES CMD...: the minimum over BATCHES
# runs (under TCG, load on the host only ever makes a batch slower).
sample() {
	_r=$1 _w=$2 _c=$3 _b=$4
	shift 4
	_best=
	while [ "$_b" -gt 0 ]; do
		_ns=$(once "$_r" "$_w" "$_c" "$@") || exit 1
		[ -z "$_best" ] || [ "$_ns" -lt "$_best" ] && _best=$_ns
		_b=$((_b - 1))
	done
	kg_log "bench $_r $_w $_c ns_per_op=$_best"
}

files() {
	_i=1
	while [ "$_i" -le "$FIRST_FILES" ]; do
		echo "$d/covered/$1$_i"
		_i=$((_i + 1))
	done
}

# A rename and mount storm elsewhere (/tmp), for as long as it runs.
storm_start() {
	mkdir -p /tmp/storm/m
	: >/tmp/storm/a
	rm -f /tmp/storm/stop
	(
		n=0
		while [ ! -e /tmp/storm/stop ]; do
			mv /tmp/storm/a /tmp/storm/b
			mv /tmp/storm/b /tmp/storm/a
			mount -t tmpfs storm /tmp/storm/m
			umount /tmp/storm/m
			n=$((n + 1))
		done
		echo "$n" >/tmp/storm/count
	) &
	STORM_PID=$!
	STORM_START=$(date +%s)
}

storm_stop() {
	: >/tmp/storm/stop
	wait "$STORM_PID"
	STORM_OPS=$((STORM_OPS + $(cat /tmp/storm/count)))
	STORM_SECONDS=$((STORM_SECONDS + $(date +%s) - STORM_START))
}
STORM_OPS=0
STORM_SECONDS=0

# row ROUND CONFIG WORKLOAD: one sample of WORKLOAD (a +storm name is the
# same operation; the caller runs the storm).
row() {
	case $3 in
	open-otherfs) sample "$1" "$3" "$2" "$EXEC_BATCHES" kg-loop open "$_n" /tmp/u-open ;;
	open-uncovered*) sample "$1" "$3" "$2" "$EXEC_BATCHES" kg-loop open "$_n" "$d/other/u-open" ;;
	open-cached*) sample "$1" "$3" "$2" "$EXEC_BATCHES" kg-loop open "$_n" "$d/covered/c-open" ;;
	exec-cached*) sample "$1" "$3" "$2" "$EXEC_BATCHES" kg-loop exec "$EXEC_N" "$d/covered/c-exec" ;;
	exec-uncovered) sample "$1" "$3" "$2" "$EXEC_BATCHES" kg-loop exec "$EXEC_N" "$d/other/u-exec" ;;
	first-open) sample "$1" "$3" "$2" 1 kg-loop open 1 $(files vopen-) ;;
	first-exec) sample "$1" "$3" "$2" 1 kg-loop exec 1 $(files vexec-) ;;
	macro-script*) sample "$1" "$3" "$2" "$MACRO_BATCHES" kg-loop exec 1 "$d/covered/macro.sh" ;;
	parallel-build) sample "$1" "$3" "$2" "$MACRO_BATCHES" kg-loop exec 1 "$d/covered/build.sh" ;;
	*) kg_fail "no workload $3" ;;
	esac
}

# rows ROUND CONFIG WORKLOAD...: one sample of each.
rows() {
	_rows_round=$1 _rows_config=$2
	shift 2
	for _rows_work in "$@"; do
		row "$_rows_round" "$_rows_config" "$_rows_work"
	done
}

# workloads ROUND CONFIG: the workloads CONFIG is measured on, one sample each.
workloads() {
	_n=$OPEN_N
	# fapolicyd answers each open from userspace: fewer, slower operations.
	[ "$2" = fapolicyd ] && _n=$((OPEN_N / 50))
	case $2 in
	keygate-exec-only)
		rows "$1" "$2" open-uncovered
		return ;;
	empty*)
		rows "$1" "$2" open-otherfs open-uncovered open-cached exec-cached
		return ;;
	ipe)
		rows "$1" "$2" open-otherfs first-exec open-uncovered open-cached exec-cached \
			macro-script parallel-build
		return ;;
	esac
	row "$1" "$2" open-otherfs
	# The first use of each file: a verification for keygate and fapolicyd.
	kg_count_begin
	rows "$1" "$2" first-open first-exec
	kg_count_end "$2"
	kg-loop open 1 "$d/covered/c-open" >/dev/null || kg_fail "covered open denied ($2)"
	kg-loop exec 1 "$d/covered/c-exec" >/dev/null || kg_fail "covered exec denied ($2)"
	rows "$1" "$2" open-uncovered open-cached exec-cached exec-uncovered macro-script parallel-build
	storm_start
	rows "$1" "$2" open-uncovered+storm open-cached+storm exec-cached+storm macro-script+storm
	storm_stop
}

# Counting the first-use work of keygate: kprobes on the kfunc that reads
# the signature xattr and on the kernel's PKCS#7 verification under the
# kfunc bpf_verify_pkcs7_signature (which itself is notrace: no kprobe
# event), the kernel's own count whoever calls them; and keygate's own
# counters (keygate status). Round 1 only.
COUNT=0
kg_count_begin() {
	[ "$COUNT" = 1 ] || return 0
	echo 1 >"$T/events/kgbench/enable" || kg_fail "cannot enable the counting kprobes"
}

kg_count_end() {
	[ "$COUNT" = 1 ] || return 0
	echo 0 >"$T/events/kgbench/enable"
	_x=$(awk '$1 == "xattr" || $1 == "kgbench/xattr" { print $2 }' "$T/kprobe_profile")
	_p=$(awk '$1 == "pkcs7" || $1 == "kgbench/pkcs7" { print $2 }' "$T/kprobe_profile")
	_own=$(keygate status 2>/dev/null | sed -n 's/^verifications: *//p')
	kg_log "verifications $1: $((2 * FIRST_FILES)) first uses of distinct signed files (one anchor each): verify_pkcs7_signature=$_p bpf_get_file_xattr=$_x; keygate status after: ${_own:-n/a}"
	COUNT=0
}

# keygate's kernel memory while it enforces, as `keygate status` reports
# it: every pinned map's memlock figure (fdinfo), and the most one task or
# one inode can hold in local storage (not enumerable from userspace);
# and the hooks attached. In the JSON, the totals come before "maps".
kg_memory() {
	_cfg=$1
	keygate -p status >"$KG_OUT/status.json" || kg_fail "keygate status failed"
	awk -v cfg="$_cfg" '
		function val(line) { sub(/^[^:]*: */, "", line); gsub(/[",]/, "", line); return line }
		/"maps": \[/ { inmaps = 1; next }
		inmaps && /"name":/ { name = val($0) }
		inmaps && /"type":/ { type = val($0) }
		inmaps && /"value_size":/ { value = val($0) }
		inmaps && /"max_entries":/ { max = val($0) }
		inmaps && /"memlock_bytes":/ {
			printf "kg: memory %s map %-16s %-14s value %6d B max_entries %7d memlock %9d B\n",
				cfg, name, type, value, max, val($0)
		}
		inmaps && /"per_(task|inode)_bytes":/ { printf "kg: memory %s map %-16s +%s B per %s\n", cfg, name, val($0), $0 ~ /task/ ? "task" : "inode" }
		!inmaps && /"memlock_bytes":/ { total = val($0) }
		!inmaps && /"per_task_max_bytes":/ { task = val($0) }
		!inmaps && /"per_inode_max_bytes":/ { inode = val($0) }
		!inmaps && /"tasks":/ { tasks = val($0) }
		END {
			printf "kg: memory %s total memlock %d B (%.1f KiB); local storage up to %d B per task that verified or logged (%d tasks alive), up to %d B per inode decided\n",
				cfg, total, total / 1024, task, tasks, inode
		}' "$KG_OUT/status.json"
	keygate status | sed -n "s/^hooks: */kg: memory $_cfg hooks attached: /p"
}

# Leaves no enforcement behind: with pinned programs, the agent's exit
# alone does not end enforcement, so the baseline would not be one.
kg_stop_all() {
	kg_stop_agent
	[ "$KG_AGENT_STATUS" = 0 ] || kg_fail "agent exit status $KG_AGENT_STATUS"
	if kg_keygate_has stop; then
		keygate stop >"$KG_OUT/stop.out" 2>&1 || true
	fi
	if bpftool prog show | grep -q ' lsm '; then
		bpftool prog show
		kg_fail "BPF LSM programs still loaded after the agent stopped: no baseline possible"
	fi
}

# fapolicyd: its files into the root, an unprivileged user for it.
cp -a "$d/fapolicyd/usr" "$d/fapolicyd/etc" / || kg_fail "cannot install fapolicyd in the guest root"
mkdir -p /usr/local/lib/fapolicyd /var/lib/fapolicyd /run/fapolicyd /var/log
cp "$d"/fapolicyd/lib/* /usr/local/lib/fapolicyd/
grep -q '^root:' /etc/passwd 2>/dev/null || echo 'root:x:0:0:root:/root:/bin/sh' >>/etc/passwd
grep -q '^root:' /etc/group 2>/dev/null || echo 'root:x:0:' >>/etc/group
echo 'fapolicyd:x:998:998:fapolicyd:/var/lib/fapolicyd:/bin/false' >>/etc/passwd
echo 'fapolicyd:x:998:' >>/etc/group
chown 998:998 /var/lib/fapolicyd /run/fapolicyd

fa_start() {
	rm -rf /var/lib/fapolicyd/* /run/fapolicyd.pid /run/fapolicyd/*
	LD_LIBRARY_PATH=/usr/local/lib/fapolicyd /usr/sbin/fapolicyd --debug-deny >"$KG_OUT/fapolicyd.log" 2>&1 &
	FA_PID=$!
	echo "$FA_PID" >"$KG_OUT/fapolicyd.pid"
	if ! kg_wait_for_line "$KG_OUT/fapolicyd.log" 'Starting to listen for events' 300; then
		cat "$KG_OUT/fapolicyd.log"
		kg_fail "fapolicyd did not start listening"
	fi
	# Its rules must be in force: an untrusted file in covered/ is denied.
	kg_expect_errno EPERM cat "$d/covered/c-open.sig" >/dev/null
}

# empty_start [-s]: kg-empty-lsm on the hooks keygate attaches for policy.yaml.
empty_start() {
	kg-empty-lsm "$@" file_open bprm_check_security >"$KG_OUT/empty.out" 2>&1 &
	EMPTY_PID=$!
	if ! kg_wait_for_line "$KG_OUT/empty.out" '^attached 2$' 120; then
		cat "$KG_OUT/empty.out"
		kg_fail "kg-empty-lsm $* did not attach"
	fi
}

empty_stop() {
	kill -TERM "$EMPTY_PID"
	wait "$EMPTY_PID" || kg_fail "kg-empty-lsm exit status $?: $(cat "$KG_OUT/empty.out")"
	! bpftool prog show | grep -q kg_empty || kg_fail "kg-empty-lsm's programs outlived it"
}

# ipe_policy NAME: makes IPE policy NAME the active one.
ipe_policy() {
	printf 1 >"$IPE/policies/kg$1/active" || kg_fail "cannot activate IPE policy $1"
}

fa_stop() {
	kill -TERM "$FA_PID"
	wait "$FA_PID"
	_s=$?
	[ "$_s" = 0 ] || { cat "$KG_OUT/fapolicyd.log"; kg_fail "fapolicyd exit status $_s"; }
}

T_READY=0
if echo 'p:kgbench/xattr bpf_get_file_xattr' >>"$T/kprobe_events" &&
	echo 'p:kgbench/pkcs7 verify_pkcs7_signature' >>"$T/kprobe_events"; then
	T_READY=1
else
	kg_log "verifications: no kprobes on the kfuncs ($(tail -n 2 "$T/error_log" | tr '\n' ' '); kallsyms: $(grep -cw -e bpf_get_file_xattr -e bpf_verify_pkcs7_signature /proc/kallsyms)); keygate counters only"
fi

# A file on a file system no scope is on (the guest's root, not the data image).
cp "$d/other/u-open" /tmp/u-open || kg_fail "cannot copy u-open to /tmp"
# Page cache warm for every file, so no configuration pays for disk reads.
cat "$d"/other/* "$d"/covered/* "$d"/covered/bin/busybox "$d"/covered/src/* >/dev/null 2>&1

if [ -n "$IPE" ]; then
	ipe_policy allow
	[ "$(cat "$IPE/enforce")" = 1 ] || kg_fail "IPE is not enforcing"
fi

round=1
while [ "$round" -le "$REPS" ]; do
	workloads $round base

	kg_start_agent run --policy "$d/policy.yaml" --log "$KG_OUT/audit.log"
	[ "$round" = 1 ] && [ "$T_READY" = 1 ] && COUNT=1
	workloads $round keygate
	[ "$round" = 1 ] && kg_memory keygate
	kg_stop_all

	kg_start_agent run --policy "$d/policy-exec-only.yaml" --log "$KG_OUT/audit.log"
	workloads $round keygate-exec-only
	[ "$round" = 1 ] && kg_memory keygate-exec-only
	kg_stop_all

	empty_start -s
	workloads $round empty-sleepable
	empty_stop

	empty_start
	workloads $round empty
	empty_stop

	if [ -n "$IPE" ]; then
		ipe_policy bench
		# Its rules must be in force: a file without a builtin signature does not run.
		kg_expect_errno EACCES "$d/other/u-exec"
		workloads $round ipe
		ipe_policy allow
	fi

	fa_start
	workloads $round fapolicyd
	fa_stop

	workloads $round base2
	round=$((round + 1))
done
kg_log "storm: $STORM_OPS rename pairs + tmpfs mounts in ${STORM_SECONDS}s"
kg_pass
