# SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
# kg-timeout: 1200
# perf-scale: a policy of 50,000 rules and 62,500 scopes, every scope an
# existing directory (so every one is bound and written to the kernel
# maps), loads, decides by the right rule, and reloads; the cost of an open
# in a scope is logged next to the same open under a one-rule policy
# (TCG: a ratio, not a test), with the kernel memory keygate status
# reports for both.
. /kg/scenarios/enforce-lib.sh
kge_setup
d=$KG_DATA
n=$(cat "$d/rules.count")
KG_START_TIMEOUT=600

# The scopes: a directory per rule, the parents of the exact files.
i=0
while [ "$i" -lt 50 ]; do
	echo "/tmp/scale/t$i"
	i=$((i + 1))
done | xargs mkdir -p
awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++) printf "/tmp/scale/t%d/a%d\n", i % 50, i }' |
	xargs mkdir -p || kg_fail "cannot create the scope directories"
[ "$(ls -d /tmp/scale/t*/a* | wc -l)" = "$n" ] || kg_fail "scope directories missing"
# Targets: r10 denies, r15 allows, r11 needs a signature (payload has none).
for r in 10 15 11; do
	cp "$d/payload" "/tmp/scale/t$((r % 50))/a$r/prog"
	cp "$d/payload" "/tmp/scale/t$((r % 50))/a$r/data"
done
last=$((n - 1))
cp "$d/payload" "/tmp/scale/t$((last % 50))/a$last/data"

# open_cost POLICY-NAME: ns per open of a file in scope r15 (allowed).
open_cost() {
	kg-loop open 3000 "/tmp/scale/t15/a15/data" >"$KG_OUT/loop.out" || kg_fail "opens under $1 failed"
	sed -n 's/.*ns_per_op=\([0-9]*\).*/\1/p' "$KG_OUT/loop.out"
}

kge_start "$d/small.yaml"
small_ns=$(open_cost small)
small_mem=$(keygate status | sed -n 's/^kernel memory: *//p')
kg_stop_agent

t0=$(date +%s)
kge_start "$d/large.yaml"
kg_log "$n rules: the agent enforced after $(($(date +%s) - t0)) s"
grep -q "perf-scale-large" "$KG_AGENT_LOG" || kg_fail "the large policy is not the one in force"
kge_expect ok kg-exec "$d/bin/signed"
kge_expect errno:EPERM kg-exec "$d/bin/unsigned"
kge_expect errno:EPERM kg-exec /tmp/scale/t10/a10/prog
kg_expect_event op=exec verdict=deny reason=denied-by-rule rule=r10 path=/tmp/scale/t10/a10/prog
kge_expect ok kg-exec /tmp/scale/t15/a15/prog
kge_expect errno:EPERM kg-exec /tmp/scale/t11/a11/prog
kg_expect_event op=exec verdict=deny reason=not-verity rule=r11 path=/tmp/scale/t11/a11/prog
kg_expect_errno EPERM cat "/tmp/scale/t11/a11/data"
# the last rule of the file is in force too (no cap cut it off)
case $((last % 10)) in
0) want=EPERM ;;
5) want=ok ;;
*) want=EPERM ;;
esac
if [ "$want" = ok ]; then
	kg_expect_ok cat "/tmp/scale/t$((last % 50))/a$last/data"
else
	kg_expect_errno EPERM cat "/tmp/scale/t$((last % 50))/a$last/data"
	kg_expect_event op=open_read verdict=deny rule=r$last path="/tmp/scale/t$((last % 50))/a$last/data"
fi
large_ns=$(open_cost large)
large_mem=$(keygate status | sed -n 's/^kernel memory: *//p')
kg_log "open in a scope: ${small_ns} ns/op with 1 rule, ${large_ns} ns/op with $n rules (ratio $(awk -v a="$large_ns" -v b="$small_ns" 'BEGIN { printf "%.2f", a / b }'))"
kg_log "kernel memory, 1 rule: $small_mem"
kg_log "kernel memory, $n rules: $large_mem"

# A reload of the large policy swaps all of it in the other slot.
t0=$(date +%s)
keygate policy reload --pid "$KG_AGENT_PID" --timeout 600 >"$KG_OUT/reload.out" 2>&1 ||
	{ cat "$KG_OUT/reload.out" "$KG_AGENT_LOG"; kg_fail "reload of the large policy failed"; }
kg_log "reload of $n rules: $(($(date +%s) - t0)) s"
kge_expect errno:EPERM kg-exec /tmp/scale/t10/a10/prog
kge_expect ok kg-exec /tmp/scale/t15/a15/prog
kg_stop_agent
[ "$KG_AGENT_STATUS" = 0 ] || kg_fail "agent exit status $KG_AGENT_STATUS"
kg_pass
