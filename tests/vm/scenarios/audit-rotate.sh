# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# audit-rotate: the log is rotated three times (rename + SIGUSR1, what the
# logrotate snippet does) while denied opens flow; every denied open is in
# one of the four files, or counted in a loss record.
. /kg/scenarios/enforce-lib.sh
kge_setup
log=$KG_OUT/audit.log
kge_start "$KG_DATA/policy.yaml"

# Bursts of 300 denied opens until told to stop: events keep flowing
# while the log is renamed and reopened.
(
	while [ ! -e "$KG_OUT/stop" ]; do
		kg-loop open 300 "$KG_DATA/secrets/unsigned" >>"$KG_OUT/loop.out"
		sleep 0.05
	done
) &
loop=$!
trap 'touch "$KG_OUT/stop"; kg_stop_agent >/dev/null 2>&1' EXIT
for n in 3 2 1; do
	sleep 2
	mv "$log" "$log.$n" || kg_fail "rename to audit.log.$n failed"
	kill -USR1 "$KG_AGENT_PID"
	# The agent reopens between two polls of the ring buffer.
	_i=0
	while [ ! -e "$log" ]; do
		_i=$((_i + 1))
		[ "$_i" -lt 100 ] || kg_fail "the agent did not reopen audit.log within 10 s of SIGUSR1"
		sleep 0.1
	done
	kg_log "rotated to audit.log.$n, reopened"
done
sleep 2
touch "$KG_OUT/stop"
wait "$loop"
denied=0
while read -r _line; do
	_f=$(echo "$_line" | sed -n 's/.*failed=\([0-9]*\).*/\1/p')
	denied=$((denied + ${_f:-0}))
done <"$KG_OUT/loop.out"
kg_log "$(wc -l <"$KG_OUT/loop.out") bursts, $denied denied opens"
[ "$denied" -gt 0 ] || kg_fail "no denied opens: $(cat "$KG_OUT/loop.out")"
sleep 2
kg_stop_agent

ls -l "$KG_OUT"/audit.log*
for n in 1 2 3; do
	[ -s "$log.$n" ] || kg_fail "audit.log.$n is empty: rotation lost the writer?"
done
[ -s "$log" ] || kg_fail "the reopened audit.log is empty"
keygate -j log summary -f "$log" >"$KG_OUT/summary.json"
cat "$KG_OUT/summary.json"
logged=$(sed -n 's/.*"by_verdict":{"deny":\([0-9]*\)}.*/\1/p' "$KG_OUT/summary.json")
lost=$(sed -n 's/.*"losses":{"ring":\([0-9]*\),"queue":\([0-9]*\),"write":\([0-9]*\).*/\1 \2 \3/p' \
	"$KG_OUT/summary.json")
set -- $lost
kg_log "denied $denied, logged $logged, lost: ring $1 queue $2 write $3"
[ $((logged + $1 + $2 + $3)) -eq "$denied" ] ||
	kg_fail "denied $denied != logged $logged + lost ($lost)"
[ "$2" -eq 0 ] && [ "$3" -eq 0 ] || kg_fail "the writer lost records during rotation"
grep -qF '"corrupt_lines":0' "$KG_OUT/summary.json" || kg_fail "corrupt lines after rotation"
kg_pass
